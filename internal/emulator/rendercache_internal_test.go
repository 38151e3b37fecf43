package emulator

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

// A body assembled from kept renderings is the body encoding/json writes
// for the same value (which encodes a rawJSON through MarshalJSON and
// checks it): same bytes, whatever the strings hold.
func FuzzEncodeBody(f *testing.F) {
	for _, seed := range [][2]string{
		{"values", "Project 1"},
		{"issues", `<b>&"quoted"</b>`},
		{"", "käyttäjä 通知 \u2028 \x01"},
		{"isLast", "\\"},
		{"zz", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, text string) {
		item := obj{"name": text, "self": "http://h/" + text, "n": len(text), "nested": obj{key: []any{text, nil, true}}}
		raw, err := encodeRaw(item)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []any{
			obj{key: []any{raw, raw}, "total": 2, "isLast": true, "next": text},
			obj{"values": []any{raw, item, raw}, key: text},
			obj{key: raw, "other": obj{"deep": raw}},
			obj{key: []any{}},
			raw,
		} {
			got, err := encodeBody(v)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if w := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
				t.Fatalf("encodeBody:\n%s\nencoding/json:\n%s", got, w)
			}
		}
	})
}

// A value that does not encode is refused as encoding/json refuses it,
// kept or not.
func TestCachedKeepsNothingThatDoesNotEncode(t *testing.T) {
	var m sync.Map
	bad := obj{"n": func() {}}
	if got := cached(&m, 1, func() any { return bad }); !isObj(got) {
		t.Fatalf("cached returned %T for a value that does not encode", got)
	}
	if _, ok := m.Load(1); ok {
		t.Fatal("kept a value that does not encode")
	}
	if _, err := encodeBody(obj{"issues": []any{cached(&m, 1, func() any { return bad })}}); err == nil {
		t.Fatal("a body holding a value that does not encode was encoded")
	}
}

func isObj(v any) bool {
	_, ok := v.(obj)
	return ok
}
