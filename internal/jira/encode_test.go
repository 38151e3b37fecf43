package jira

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// createRequests are requests with every kind of value a create sends,
// and strings json.Marshal escapes.
func createRequests(summary, label, key string) []CreateRequest {
	type doc struct {
		Type    string `json:"type"`
		Version int    `json:"version"`
	}
	return []CreateRequest{
		{ProjectKey: "SPACE2", Fields: map[string]any{"summary": summary, "issuetype": map[string]string{"id": "10001"}}},
		{ProjectKey: key, Fields: map[string]any{
			"summary": summary, "labels": []string{label, "b", ""}, "components": []map[string]string{{"name": label}, {}},
			"parent": map[string]string{"key": key}, "description": doc{Type: "doc", Version: 1},
			key: label, "customfield_10001": 3.5, "customfield_10002": map[string]any{"value": label, "child": map[string]any{"id": 7}},
			"customfield_10003": []any{label, 1, nil}, "customfield_10004": json.RawMessage(` {"a" : 1} `),
			"customfield_10005": nil, "customfield_10006": []string(nil), "customfield_10007": map[string]string(nil),
			"customfield_10008": map[string]any(nil), "customfield_10009": []map[string]string(nil), "customfield_10010": true,
		}},
		{ProjectKey: "OPS", Fields: map[string]any{"project": map[string]string{"key": "ELSEWHERE"}, "summary": summary}},
		{ProjectKey: "OPS"},
	}
}

var encodeCases = [][3]string{
	{"Plain summary", "label", "SPACE2-1"},
	{`<b>"quoted"</b> & \back`, "new\nline", "tab\tkey"},
	{"héllo \u2028 wörld", "\x00\x1f\x7f", "\xff\xfe"},
	{"", "", ""},
}

// FuzzAppendBody: a create's body is written byte for byte as
// json.Marshal writes it.
func FuzzAppendBody(f *testing.F) {
	for _, c := range encodeCases {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, summary, label, key string) {
		for _, r := range createRequests(summary, label, key) {
			want, err := json.Marshal(r.body("0123abcd"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.appendBody([]byte("pre"), "0123abcd")
			if err != nil || !bytes.Equal(got, append([]byte("pre"), want...)) {
				t.Errorf("appendBody(%+v) = %s, %v\nwant pre%s", r, got, err, want)
			}
		}
	})
}

// TestAppendJSONError: a value json.Marshal cannot write fails the same.
func TestAppendJSONError(t *testing.T) {
	r := CreateRequest{ProjectKey: "SPACE2", Fields: map[string]any{"x": map[string]any{"y": make(chan int)}}}
	_, werr := json.Marshal(r.body("m"))
	_, err := r.appendBody(nil, "m")
	if werr == nil || err == nil || err.Error() != werr.Error() {
		t.Errorf("appendBody: %v; json.Marshal: %v", err, werr)
	}
}

// BenchmarkBulkBody writes the body of a bulk create of BulkCreateMax
// rows like those of a CSV file (summary, type, labels) the way
// encoding/json did and the way BulkCreate does.
func BenchmarkBulkBody(b *testing.B) {
	rs := make([]CreateRequest, BulkCreateMax)
	for i := range rs {
		rs[i] = CreateRequest{ProjectKey: "SPACE2", Fields: map[string]any{"summary": "Benchmark ticket " + strconv.Itoa(i+1),
			"issuetype": map[string]string{"id": "10001"}, "labels": []string{"bench"}}}
	}
	const marker = "0123456789abcdef0123456789abcdef"
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ups := make([]createBody, len(rs))
			for i, r := range rs {
				ups[i] = r.body(marker)
			}
			if _, err := json.Marshal(map[string]any{"issueUpdates": ups}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := append(make([]byte, 0, 256*len(rs)), `{"issueUpdates":[`...)
			for i, r := range rs {
				if i > 0 {
					p = append(p, ',')
				}
				var err error
				if p, err = r.appendBody(p, marker); err != nil {
					b.Fatal(err)
				}
			}
			_ = append(p, "]}"...)
		}
	})
}
