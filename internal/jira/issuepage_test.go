package jira

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/openapitest"
)

const (
	// sandboxIssue is one issue of a search/jql page as the sandbox sends it.
	sandboxIssue = `{"expand":"renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations","fields":{"assignee":null,"issuetype":{"avatarId":10318,"description":"A small, distinct piece of work.","hierarchyLevel":0,"iconUrl":"http://127.0.0.1:18731/rest/api/2/universal_avatar/view/type/issuetype/avatar/10318?size=medium","id":"10001","name":"Task","self":"http://127.0.0.1:18731/rest/api/3/issuetype/10001","subtask":false},"priority":{"iconUrl":"http://127.0.0.1:18731/images/icons/priorities/medium.svg","id":"3","name":"Medium","self":"http://127.0.0.1:18731/rest/api/3/priority/3"},"status":{"description":"","iconUrl":"http://127.0.0.1:18731/images/icons/statuses/generic.png","id":"10000","name":"To Do","self":"http://127.0.0.1:18731/rest/api/3/status/10000","statusCategory":{"colorName":"blue-gray","id":2,"key":"new","name":"To Do","self":"http://127.0.0.1:18731/rest/api/3/statuscategory/2"}},"summary":"Issue number 450 about something","updated":"2026-12-04T20:57:18.975+0000"},"id":"11008","key":"SPACE2-1005","self":"http://127.0.0.1:18731/rest/api/3/issue/11008"}`
	// dataCenterPage is a page of Data Center's search, offset-paged.
	dataCenterPage = `{"expand":"schema,names","startAt":50,"maxResults":50,"total":51,"issues":[{"expand":"operations","id":"10001","self":"https://jira.example.com/rest/api/2/issue/10001","key":"SPACE2-2","fields":{"summary":"Login fails","assignee":{"name":"alex","key":"JIRAUSER10000","displayName":"Alex Morgan","emailAddress":"alex@example.com","active":true},"description":"h1. Steps\n* one"}}]}`
)

// issuePageCases are pages the fast reader must take (fast) or leave to
// encoding/json; either way every endpoint's result must be encoding/json's.
var issuePageCases = []struct {
	name, body string
	fast       bool
}{
	{"search/jql page", `{"isLast":false,"nextPageToken":"Ch0jU3RyaW5nJlUxQkJRMFU9JUludCZNVEF3TVE9PRAyGAI=","issues":[` + sandboxIssue + `,` + sandboxIssue + `]}`, true},
	{"bulkfetch page", `{"expand":"schema,names","issueErrors":[{"errorMessages":["no"],"errors":{}}],"issues":[` + sandboxIssue + `]}`, true},
	{"Data Center page", dataCenterPage, true},
	{"ids only", `{"isLast":true,"issues":[{"id":"11008"},{"id":"11007"}]}`, true},
	{"no issues", `{"issues":[],"isLast":true}`, true},
	{"no issues key", `{"isLast":true}`, true},
	{"empty fields", `{"issues":[{"id":"1","key":"A-1","fields":{}}]}`, true},
	{"null, escapes and non-ASCII in field values", `{"issues":[{"id":"1","fields":{"assignee":null,"summary":"a \"b\" \u00e9\n","labels":["日本","x\\y"],"customfield_1":-1.5e3}}]}`, true},
	{"invalid UTF-8 in a field value", "{\"issues\":[{\"id\":\"1\",\"fields\":{\"summary\":\"a\xffb\"}}]}", true},
	{"the last of a field sent twice", `{"issues":[{"fields":{"summary":"a","summary":"b"}}]}`, true},
	{"properties", `{"nextPageToken":"t1","issues":[{"id":"1","key":"A-1","properties":{"ticket-mate.request":{"id":"ab12"}}}]}`, true},
	{"whitespace everywhere", " {\r\n \"issues\" : [ { \"id\" : \"1\" , \"fields\" : { \"summary\" : \"s\" , \"labels\" : [ \"a\" , \"b\" ] } } ] , \"isLast\" : true } \t", true},
	{"nested as deep as encoding/json allows", `{"issues":[{"id":"1","fields":{"x":` + nested(9996) + `}}]}`, true},
	{"nested deeper than encoding/json allows", `{"issues":[{"id":"1","fields":{"x":` + nested(9997) + `}}]}`, false},
	{"escape in a field id", `{"issues":[{"fields":{"sum\u006dary":"a"}}]}`, false},
	{"invalid UTF-8 in a field id", "{\"issues\":[{\"fields\":{\"a\xffb\":1}}]}", false},
	{"escape in an issue key", `{"issues":[{"key":"A-\u0031"}]}`, false},
	{"escape in the page token", `{"nextPageToken":"a\/b"}`, false},
	{"issue key matched ignoring case", `{"issues":[{"KEY":"A-1"}]}`, false},
	{"page key matched ignoring case", `{"Issues":[]}`, false},
	{"raw Kelvin sign in a key", "{\"issues\":[{\"\u212aey\":\"A-1\"}]}", false},
	{"null issues", `{"issues":null}`, false},
	{"null fields", `{"issues":[{"id":"1","fields":null}]}`, false},
	{"null id", `{"issues":[{"id":null}]}`, false},
	{"null issue", `{"issues":[null]}`, false},
	{"issues twice", `{"issues":[{"id":"1"}],"issues":[{"key":"A-2"}]}`, false},
	{"fields twice", `{"issues":[{"fields":{"a":1},"fields":{"b":2}}]}`, false},
	{"properties twice", `{"issues":[{"properties":{"a":1},"properties":{}}]}`, false},
	{"fraction for an int", `{"total":1.0}`, false},
	{"string for a bool", `{"isLast":"true"}`, false},
	{"number for a string", `{"nextPageToken":5}`, false},
	{"number for an issue", `{"issues":[1]}`, false},
	{"array for fields", `{"issues":[{"fields":[]}]}`, false},
	{"trailing comma in fields", `{"issues":[{"fields":{"a":1,}}]}`, false},
	{"unterminated field value", `{"issues":[{"fields":{"a":"b}}]}`, false},
	{"trailing garbage", `{"issues":[]}]`, false},
	{"top-level array", `[{"id":"1"}]`, false},
	{"empty", ``, false},
}

func TestIssuePageReaderAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range issuePageCases {
		t.Run(tc.name, func(t *testing.T) {
			var p issuePage
			if ok := p.scan([]byte(tc.body)); ok != tc.fast {
				t.Fatalf("fast reader took it: %v; want %v", ok, tc.fast)
			}
			checkIssuesAgainstEncodingJSON(t, []byte(tc.body))
		})
	}
}

// Atlassian's own examples of search/jql, bulkfetch and GET issue answers
// are read fast, and as encoding/json reads them.
func TestAtlassianIssueExamplesReadFast(t *testing.T) {
	for name, body := range atlassianIssueExamples(t) {
		t.Run(name, func(t *testing.T) {
			var p issuePage
			var is Issue
			pageOK, issueOK := p.scan(body), scanIssue(body, &is)
			if !pageOK || !issueOK || len(p.Issues) == 0 && len(is.Fields) == 0 {
				t.Fatalf("fast reader refused or read nothing: page %v (%d issues), issue %v (%d fields)", pageOK, len(p.Issues), issueOK, len(is.Fields))
			}
			checkIssuesAgainstEncodingJSON(t, body)
		})
	}
}

// atlassianIssueExamples are the 200 answers the OpenAPI document gives
// for the endpoints that send issues.
func atlassianIssueExamples(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, ep := range [][2]string{{http.MethodGet, "/rest/api/3/search/jql"}, {http.MethodPost, "/rest/api/3/search/jql"},
		{http.MethodPost, "/rest/api/3/issue/bulkfetch"}, {http.MethodGet, "/rest/api/3/issue/{issueIdOrKey}"}} {
		out[ep[0]+" "+ep[1]] = openapitest.Example(tb, ep[0], ep[1])
	}
	return out
}

// checkIssuesAgainstEncodingJSON fails when any reader of issues answers b
// otherwise than encoding/json reading the same struct: other values or
// another error.
func checkIssuesAgainstEncodingJSON(t *testing.T, b []byte) {
	t.Helper()
	checkDecoder[searchPage](t, b)
	checkDecoder[offsetPage](t, b)
	checkDecoder[bulkPage](t, b)
	checkDecoder[Issue](t, b)
}

// checkDecoder compares *T's decodeBody with json.Unmarshal into a T.
func checkDecoder[T any, P interface {
	*T
	bodyDecoder
}](t *testing.T, b []byte) {
	t.Helper()
	var want, got T
	werr := json.Unmarshal(b, &want)
	gerr := P(&got).decodeBody(b)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("%T: error %v; encoding/json says %v\n%.300q", got, gerr, werr, b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%T: decoded %+v\nencoding/json %+v\n%.300q", got, got, want, b)
	}
}

func FuzzIssuePageReader(f *testing.F) {
	for _, tc := range issuePageCases {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(sandboxIssue))
	for _, body := range atlassianIssueExamples(f) {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkIssuesAgainstEncodingJSON(t, b) })
}

// sandboxReads answers a GET or POST to the sandbox with the body as sent.
func sandboxReads(t *testing.T, s *emulatortest.Server, auth func(*http.Request), method, path, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	auth(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

// The sandbox's pages and issues, with the fields a listing and a view
// ask for, are read by the fast reader: it cannot quietly fall back.
func TestSandboxIssuePagesReadFast(t *testing.T) {
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = strconv.Quote("SPACE2-" + strconv.Itoa(101+i))
	}
	list := `"summary","status","issuetype","priority","assignee","updated"`
	view := `summary,status,issuetype,priority,assignee,reporter,labels,created,updated,parent,subtasks,issuelinks,description,comment`
	cloud := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithIssues(250)})
	dc := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithIssues(250), DataCenter: true})
	basic := func(r *http.Request) { r.SetBasicAuth(cloud.You().Email, cloud.You().ClassicToken) }
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+dc.You().PAT) }
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"search/jql, list fields", sandboxReads(t, cloud, basic, http.MethodPost, "/rest/api/3/search/jql",
			`{"jql":"project = SPACE2 ORDER BY key","maxResults":100,"fields":[`+list+`]}`)},
		{"search/jql, ids", sandboxReads(t, cloud, basic, http.MethodGet, "/rest/api/3/search/jql?jql=project%3DSPACE2&maxResults=5000&fields=id", "")},
		{"bulkfetch, list fields", sandboxReads(t, cloud, basic, http.MethodPost, "/rest/api/3/issue/bulkfetch",
			`{"issueIdsOrKeys":[`+strings.Join(keys, ",")+`],"fields":[`+list+`]}`)},
		{"issue, view fields", sandboxReads(t, cloud, basic, http.MethodGet, "/rest/api/3/issue/SPACE2-2?fields="+view, "")},
		{"Data Center search, list fields", sandboxReads(t, dc, bearer, http.MethodPost, "/rest/api/2/search",
			`{"jql":"project = SPACE2","startAt":100,"maxResults":100,"fields":[`+list+`]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p issuePage
			var is Issue
			switch {
			case strings.HasPrefix(tc.name, "issue,"):
				if !scanIssue(tc.body, &is) || is.Key != "SPACE2-2" || len(is.Fields) < 14 {
					t.Fatalf("fast reader refused or read too little (%d fields):\n%.300s", len(is.Fields), tc.body)
				}
			case !p.scan(tc.body) || len(p.Issues) < 100 || p.Issues[0].ID == "":
				t.Fatalf("fast reader refused or read too little (%d issues):\n%.300s", len(p.Issues), tc.body)
			case !strings.HasSuffix(tc.name, "ids") && len(p.Issues[0].Fields) != 6:
				t.Fatalf("%d fields read, want the 6 asked for: %v", len(p.Issues[0].Fields), p.Issues[0].Fields)
			}
			checkIssuesAgainstEncodingJSON(t, tc.body)
		})
	}
}

// Response buffers are reused once decoded: the issues of a page, their
// fields and properties included, must not change when later pages are
// read into the same buffers.
func TestDecodedIssuesOutliveTheirBuffers(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithIssues(400)})
	you := s.You()
	c := NewClient(nil, s.URL, BasicAuth{Email: you.Email, Token: tm.Secret(you.ClassicToken)})
	ctx := context.Background()
	fields := []string{"summary", "status", "issuetype", "priority", "assignee", "updated"}
	read := func(from int) []Issue {
		keys := make([]string, 100)
		for i := range keys {
			keys[i] = "SPACE2-" + strconv.Itoa(from+i)
		}
		issues, err := c.BulkFetch(ctx, keys, fields)
		if err != nil || len(issues) != 100 {
			t.Fatalf("%d issues, %v", len(issues), err)
		}
		return issues
	}
	first := read(101)
	page, err := c.Search(ctx, SearchQuery{JQL: "project = SPACE2 ORDER BY key", Fields: fields, MaxResults: 100})
	if err != nil || len(page.Issues) != 100 {
		t.Fatalf("%d issues, %v", len(page.Issues), err)
	}
	kept := snapshot(first) + snapshot(page.Issues)
	for from := 201; from < 500; from += 100 {
		for range 3 {
			read(from)
		}
	}
	if snapshot(first)+snapshot(page.Issues) != kept {
		t.Fatal("decoded issues changed when their buffers were reused")
	}
}

// Nothing the fast reader decodes refers to the body it read: not the
// ids, keys and tokens, not the fields and properties kept as sent.
func TestDecodedIssuesDoNotAliasTheBody(t *testing.T) {
	for _, tc := range issuePageCases {
		if !tc.fast {
			continue
		}
		b := []byte(tc.body)
		var p issuePage
		if !p.scan(b) {
			t.Fatalf("%s: fast reader refused it", tc.name)
		}
		kept := snapshot(p.Issues) + p.NextPageToken
		for i := range b {
			b[i] = 'x'
		}
		if got := snapshot(p.Issues) + p.NextPageToken; got != kept {
			t.Errorf("%s: decoded issues changed with the body:\n%.300s\nwas\n%.300s", tc.name, got, kept)
		}
	}
}

// snapshot copies every byte of issues, raw fields included.
func snapshot(issues []Issue) string {
	var b bytes.Buffer
	for _, is := range issues {
		fmt.Fprintf(&b, "%s %s %s %s\n", is.ID, is.Key, is.Fields, is.Properties) // maps in key order
	}
	return b.String()
}

// plainWord agrees with a byte-by-byte look, whatever byte sits wherever
// in the word, next to whatever other byte.
func TestPlainWord(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }
	for pos := range 8 {
		for c := range 256 {
			for _, other := range []byte{'a', 0x00, 0x1f, 0x20, 0x21, '"', '\\', 0x7f, 0x80, 0xff} {
				w := bytes.Repeat([]byte{other}, 8)
				w[pos] = byte(c)
				want := plain(byte(c)) && plain(other)
				if got := plainWord(binary.LittleEndian.Uint64(w)); got != want {
					t.Fatalf("%q: plain %v, want %v", w, got, want)
				}
			}
		}
	}
}

// classify agrees with a byte-by-byte look, whatever byte sits wherever
// in a string of any length around the word size, next to whatever byte.
func TestClassify(t *testing.T) {
	for n := 1; n <= 17; n++ {
		for pos := range n {
			for c := range 256 {
				for _, other := range []byte{'a', 0x00, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xff} {
					b := bytes.Repeat([]byte{other}, n)
					b[pos] = byte(c)
					checkClassify(t, b)
				}
			}
		}
	}
	checkClassify(t, nil)
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"", "plain ascii text of some length", `a\"b`, "tab\there", "ünïcödé", "\x7f\x80\xff", "0123456\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkClassify)
}

func checkClassify(t *testing.T, b []byte) {
	wantSpecial, wantASCII := false, true
	for _, c := range b {
		wantSpecial = wantSpecial || c < 0x20 || c == '\\'
		wantASCII = wantASCII && c < 0x80
	}
	if special, ascii := classify(b); special != wantSpecial || ascii != wantASCII {
		t.Fatalf("classify(%q) = %v, %v; want %v, %v", b, special, ascii, wantSpecial, wantASCII)
	}
}
