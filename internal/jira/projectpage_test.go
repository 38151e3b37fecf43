package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// atlassianExample is project/search's example in Atlassian's OpenAPI
// document: the fields Cloud sends that a listing does not keep.
const atlassianExample = `{"isLast":false,"maxResults":2,"nextPage":"https://your-domain.atlassian.net/rest/api/3/project/search?startAt=2&maxResults=2","self":"https://your-domain.atlassian.net/rest/api/3/project/search?startAt=0&maxResults=2","startAt":0,"total":7,"values":[{"avatarUrls":{"16x16":"https://your-domain.atlassian.net/secure/projectavatar?size=xsmall&pid=10000","48x48":"https://your-domain.atlassian.net/secure/projectavatar?size=large&pid=10000"},"id":"10000","insight":{"lastIssueUpdateTime":"2021-04-22T05:37:05.000+0000","totalIssueCount":100},"key":"EX","name":"Example","projectCategory":{"description":"First Project Category","id":"10000","name":"FIRST","self":"https://your-domain.atlassian.net/rest/api/3/projectCategory/10000"},"self":"https://your-domain.atlassian.net/rest/api/3/project/EX","simplified":false,"style":"classic"},{"id":"10001","key":"ABC","name":"Alphabetical","projectTypeKey":"software","isPrivate":true,"properties":{},"entityId":"7a3c","uuid":"7a3c","style":"next-gen"}]}`

// projectPageCases are pages the fast reader must take (fast) or leave to
// encoding/json; either way the result must be encoding/json's.
var projectPageCases = []struct {
	name, body string
	fast       bool
}{
	{"atlassian example", atlassianExample, true},
	{"empty page", `{"startAt":0,"maxResults":100,"total":0,"isLast":true,"values":[]}`, true},
	{"whitespace everywhere", " {\n\t\"total\" : 1 ,\r\n \"values\" : [ { \"key\" : \"A\" , \"x\" : [ 1 , -2.5e+3 , null , true , \"\" ] } ] } \n", true},
	{"type and style of every kind", `{"values":[{"key":"A","projectTypeKey":"service_desk","style":"classic"},{"key":"B","projectTypeKey":"custom","style":"next-gen2"},{"key":"C","projectTypeKey":"","style":"softwar"}]}`, true},
	{"non-ASCII name", `{"values":[{"key":"ÅB","name":"Équipe 日本 😀"}]}`, true},
	{"escape in a skipped value", `{"self":"a\"b\\\/\u00e9","values":[{"key":"K","self":"\ud83d\ude00"}]}`, true},
	{"no values key", `{"total":3}`, true},
	{"escape in a kept string", `{"values":[{"key":"K","name":"a\u00e9\nb"}]}`, false},
	{"invalid UTF-8 in a kept string", "{\"values\":[{\"key\":\"K\",\"name\":\"a\xffb\"}]}", false},
	{"key matched ignoring case", `{"values":[{"KEY":"K"}]}`, false},
	{"key matched by Kelvin sign", `{"values":[{"\u212aey":"K"}]}`, false},
	{"raw Kelvin sign in a key", "{\"values\":[{\"\u212aey\":\"K\"}]}", false},
	{"null field", `{"total":null,"values":[]}`, false},
	{"null values", `{"values":null}`, false},
	{"fraction for an int", `{"total":1.5}`, false},
	{"exponent for an int", `{"total":1e2}`, false},
	{"int out of range", `{"total":99999999999999999999}`, false},
	{"string for a bool", `{"isLast":"true"}`, false},
	{"values twice", `{"values":[{"key":"A","name":"n"}],"values":[{"key":"B"}]}`, false},
	{"trailing comma", `{"values":[{"key":"A"},]}`, false},
	{"trailing garbage", `{"values":[]} x`, false},
	{"unterminated", `{"values":[{"key":"A"`, false},
	{"control character in a string", "{\"self\":\"a\tb\"}", false},
	{"bad escape", `{"self":"\x"}`, false},
	{"short unicode escape", `{"self":"\u12"}`, false},
	{"leading zero", `{"total":01}`, false},
	{"bare minus", `{"x":-}`, false},
	{"truncated literal", `{"isLast":tru}`, false},
	{"literal run-on", `{"isLast":truex}`, false},
	{"top-level array", `[]`, false},
	{"top-level null", `null`, false},
	{"empty", ``, false},
	{"nested as deep as encoding/json allows", `{"values":[{"key":"A","x":` + nested(9997) + `}]}`, true},
	{"nested deeper than encoding/json allows", `{"values":[{"key":"A","x":` + nested(9998) + `}]}`, false},
}

// nested is n arrays, one inside the other.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestProjectPageReaderAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range projectPageCases {
		t.Run(tc.name, func(t *testing.T) {
			var fast projectPage
			ok := scanProjectPage([]byte(tc.body), &fast)
			if ok != tc.fast {
				t.Fatalf("fast reader took it: %v; want %v", ok, tc.fast)
			}
			checkAgainstEncodingJSON(t, []byte(tc.body))
		})
	}
}

// checkAgainstEncodingJSON fails when decodeBody's answer differs from
// encoding/json's, or when the fast reader accepts what it refuses.
func checkAgainstEncodingJSON(t *testing.T, b []byte) {
	t.Helper()
	var want, got, fast projectPage
	werr := json.Unmarshal(b, &want)
	gerr := got.decodeBody(b)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("error %v; encoding/json says %v\n%q", gerr, werr, b)
	}
	if !reflect.DeepEqual(pageOf(&got), pageOf(&want)) {
		t.Fatalf("decoded %+v\nencoding/json %+v\n%q", pageOf(&got), pageOf(&want), b)
	}
	if scanProjectPage(b, &fast) && (werr != nil || !reflect.DeepEqual(pageOf(&fast), pageOf(&want))) {
		t.Fatalf("fast reader took %q as %+v; encoding/json: %+v, %v", b, pageOf(&fast), pageOf(&want), werr)
	}
}

// pageOf is what SearchProjects makes of a decoded page; a missing
// values key and an empty one must stay apart, as encoding/json has them.
func pageOf(p *projectPage) ProjectPage {
	out := ProjectPage{StartAt: p.StartAt, MaxResults: p.MaxResults, Total: p.Total, IsLast: p.IsLast}
	if p.Values != nil || p.Projects != nil {
		out.Projects = p.projects()
	}
	return out
}

// The sandbox's pages, large ones included, are read by the fast reader.
func TestSandboxProjectPagesReadFast(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithProjects(250)})
	you := s.You()
	for _, q := range []string{"startAt=0&maxResults=100", "startAt=200&maxResults=100", "expand=description,lead,insight&maxResults=50"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/rest/api/3/project/search?"+q, nil)
		req.SetBasicAuth(you.Email, you.ClassicToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var p projectPage
		if !scanProjectPage(b, &p) || len(p.Projects) == 0 || p.Projects[0].Key == "" || p.Total < 250 {
			t.Fatalf("%s: fast reader refused or read nothing (%d values, total %d):\n%.300s", q, len(p.Projects), p.Total, b)
		}
		checkAgainstEncodingJSON(t, b)
	}
}

func FuzzProjectPageReader(f *testing.F) {
	for _, tc := range projectPageCases {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(strings.Repeat("[", 10002) + strings.Repeat("]", 10002)))
	f.Add([]byte(`{"x":` + strings.Repeat("[", 10002) + strings.Repeat("]", 10002) + `}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkAgainstEncodingJSON(t, b) })
}

// Response buffers are reused once decoded: what a page decoded to must
// not change when later pages are read into the same buffers.
func TestDecodedPagesOutliveTheirBuffers(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithProjects(450)})
	you := s.You()
	c := NewClient(nil, s.URL, BasicAuth{Email: you.Email, Token: tm.Secret(you.ClassicToken)})
	ctx := context.Background()
	first, err := c.SearchProjects(ctx, ProjectQuery{})
	if err != nil {
		t.Fatal(err)
	}
	kept := fmt.Sprint(first.Projects) // a copy of every byte, not of the string headers
	for start := 100; start < 450; start += 100 {
		for range 3 {
			if _, err := c.SearchProjects(ctx, ProjectQuery{StartAt: start}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fmt.Sprint(first.Projects) != kept {
		t.Fatal("a decoded page changed when its buffer was reused")
	}
}

// TestShortPageSizedToTotal: a page of 3 projects holds room for 3, not
// for the 100 a page may hold: tm serve lists a small site's projects on
// every dashboard load.
func TestShortPageSizedToTotal(t *testing.T) {
	body := `{"maxResults":100,"startAt":0,"total":3,"isLast":true,"values":[{"key":"A"},{"key":"B"},{"key":"C"}]}`
	var p projectPage
	if !scanProjectPage([]byte(body), &p) {
		t.Fatal("the fast reader refused a plain page")
	}
	if len(p.Projects) != 3 || cap(p.Projects) > 3 {
		t.Errorf("%d projects in room for %d; want room for 3", len(p.Projects), cap(p.Projects))
	}
}

// FuzzProjectQueryEncode holds the hand-built query string of a project
// page to what url.Values.Encode writes for the same parameters.
func FuzzProjectQueryEncode(f *testing.F) {
	f.Add("", "", 0, 100)
	f.Add("web app", "browse", 19900, 50)
	f.Add("a&b=c?d#e+f%", "create", 100, 1)
	f.Add("ÜNICODE ✓", "", -1, 0)
	f.Fuzz(func(t *testing.T, query, action string, startAt, maxResults int) {
		q := ProjectQuery{Query: query, Action: action, StartAt: startAt, MaxResults: maxResults}
		v := url.Values{}
		v.Set("startAt", strconv.Itoa(startAt))
		v.Set("maxResults", strconv.Itoa(maxResults))
		v.Set("orderBy", "key")
		if query != "" {
			v.Set("query", query)
		}
		if action != "" {
			v.Set("action", action)
		}
		if got, want := q.encode(), v.Encode(); got != want {
			t.Fatalf("encode() = %q, want %q", got, want)
		}
	})
}

// BenchmarkProjectPage decodes a full page of 100 projects in the shape
// Jira Cloud sends (avatars, category, insight), reusing the page's array
// as a listing does.
func BenchmarkProjectPage(b *testing.B) {
	var vals []string
	for i := range 100 {
		vals = append(vals, fmt.Sprintf(`{"avatarUrls":{"16x16":"https://example.atlassian.net/rest/api/3/universal_avatar/view/type/project/avatar/%[1]d?size=xsmall","48x48":"https://example.atlassian.net/rest/api/3/universal_avatar/view/type/project/avatar/%[1]d"},"expand":"description,lead,issueTypes,url,projectKeys,permissions,insight","id":"%[1]d","isPrivate":false,"key":"P%[1]d","name":"Project number %[1]d","projectTypeKey":"software","properties":{},"self":"https://example.atlassian.net/rest/api/3/project/%[1]d","simplified":false,"style":"classic"}`, 10000+i))
	}
	body := []byte(`{"isLast":false,"maxResults":100,"self":"https://example.atlassian.net/rest/api/3/project/search?maxResults=100&orderBy=key&startAt=0","startAt":0,"total":20000,"values":[` + strings.Join(vals, ",") + `]}`)
	var into []tm.Project
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p := projectPage{into: into}
		if err := p.decodeBody(body); err != nil || len(p.Projects) != 100 {
			b.Fatal(len(p.Projects), err)
		}
		into = p.Projects
	}
}
