package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

// TestADFRefused: rich text that breaks Atlassian's ADF schema is refused
// with Jira's 400 and the field's error, wherever rich text goes in.
func TestADFRefused(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	para := func(nodes ...any) map[string]any { return m{"type": "paragraph", "content": nodes} }
	text := func(s string, marks ...string) map[string]any {
		n := m{"type": "text", "text": s}
		if len(marks) > 0 {
			var ms []any
			for _, k := range marks {
				ms = append(ms, m{"type": k})
			}
			n["marks"] = ms
		}
		return n
	}
	doc := func(nodes ...any) m { return m{"type": "doc", "version": 1, "content": nodes} }
	bad := map[string]m{
		"text directly under doc": doc(text("loose")),
		"unknown node":            doc(m{"type": "marquee", "content": []any{text("x")}}),
		"heading level 9":         doc(m{"type": "heading", "attrs": m{"level": 9}, "content": []any{text("h")}}),
		"strong with code":        doc(para(text("x", "strong", "code"))),
	}
	for name, d := range bad {
		t.Run(name, func(t *testing.T) {
			r := c.do("POST", "/rest/api/3/issue", spaceTask(m{"description": d}))
			want(t, r, 400)
			if _, fields := r.errors(t); fields["description"] != "Operation value must be an Atlassian Document (see the Atlassian Document Format)" {
				t.Errorf("errors = %v", fields)
			}
			r = c.do("PUT", "/rest/api/3/issue/SPACE2-1", m{"fields": m{"customfield_10041": d}})
			wantError(t, r, 400, "Atlassian Document")
			r = c.do("POST", "/rest/api/3/issue/SPACE2-1/comment", m{"body": d})
			wantError(t, r, 400, "Atlassian Document")
		})
	}
	// What the schema allows goes in, marks and all.
	good := doc(m{"type": "heading", "attrs": m{"level": 2}, "content": []any{text("Steps")}},
		para(text("bold", "strong", "em"), text(" and "), text("code", "code")))
	want(t, c.do("POST", "/rest/api/3/issue", spaceTask(m{"description": good})), 201)
}

// TestTextTooLong: rich text over 32,767 characters is refused on both
// REST versions (v3 counts the document's JSON, v2 the wiki markup).
func TestTextTooLong(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	const msg = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
	long := strings.Repeat("x", 32768)
	r := c.do("POST", "/rest/api/3/issue", spaceTask(m{"description": adf(long)}))
	want(t, r, 400)
	if _, fields := r.errors(t); fields["description"] != msg {
		t.Errorf("errors = %v", fields)
	}
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-1/comment", m{"body": adf(long)}), 400, msg)
	wantError(t, c.do("PUT", "/rest/api/3/issue/SPACE2-1", m{"fields": m{"environment": adf(long)}}), 400, msg)
	wantError(t, c.do("PUT", "/rest/api/3/issue/SPACE2-1", m{"fields": m{"customfield_10041": adf(long)}}), 400, msg)
	v2 := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken))
	wantError(t, v2.do("POST", "/rest/api/2/issue/SPACE2-1/comment", m{"body": long}), 400, msg)
	// At the limit it is accepted.
	want(t, v2.do("POST", "/rest/api/2/issue/SPACE2-1/comment", m{"body": long[:32767]}), 201)
}

// TestContentTypeRefused: form and text bodies meet Jira's XSRF guard,
// other non-JSON bodies a 415; nothing is created either way.
func TestContentTypeRefused(t *testing.T) {
	s := start(t, emulator.Options{})
	you := s.You()
	send := func(ctype string, hdr map[string]string) *http.Response {
		body := `{"fields":{"project":{"key":"SPACE2"},"issuetype":{"id":"10001"},"summary":"form"}}`
		req, _ := http.NewRequest("POST", s.URL+"/rest/api/3/issue", strings.NewReader(body))
		req.SetBasicAuth(you.Email, you.ClassicToken)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain;charset=UTF-8", "multipart/form-data; boundary=x"} {
		if resp := send(ct, nil); resp.StatusCode != 403 {
			t.Errorf("%s: status %d, want 403 XSRF check failed", ct, resp.StatusCode)
		}
		if resp := send(ct, map[string]string{"X-Atlassian-Token": "no-check"}); resp.StatusCode != 415 {
			t.Errorf("%s with no-check: status %d, want 415", ct, resp.StatusCode)
		}
	}
	if resp := send("application/xml", nil); resp.StatusCode != 415 {
		t.Errorf("application/xml: status %d, want 415", resp.StatusCode)
	}
	if resp := send("", nil); resp.StatusCode != 415 {
		t.Errorf("a body without Content-Type: status %d, want 415", resp.StatusCode)
	}
	r := rawClient(t, s.URL, basic(you.Email, you.ClassicToken)).do("POST", "/rest/api/3/issue", spaceTask(nil))
	want(t, r, 201)
	if key := r.obj(t)["key"]; key != "SPACE2-6" {
		t.Errorf("the refused requests created issues: the next key is %v", key)
	}
	// The 403 body is Jira's text.
	req, _ := http.NewRequest("PUT", s.URL+"/rest/api/3/issue/SPACE2-1", strings.NewReader("summary=x"))
	req.SetBasicAuth(you.Email, you.ClassicToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	io.Copy(buf, resp.Body)
	if resp.StatusCode != 403 || buf.String() != "XSRF check failed" {
		t.Errorf("PUT form: %d %q", resp.StatusCode, buf)
	}
}

// TestMethodNotAllowed: a known resource asked with a method it lacks
// answers 405 with Allow; only unknown paths are 404.
func TestMethodNotAllowed(t *testing.T) {
	s := start(t, emulator.Options{})
	c := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken))
	r := c.do("PATCH", "/rest/api/3/issue/SPACE2-1", m{})
	want(t, r, 405)
	if got := r.header.Get("Allow"); got != "GET,PUT,DELETE" {
		t.Errorf("Allow = %q, want GET,PUT,DELETE", got)
	}
	r = c.do("DELETE", "/rest/api/3/myself", nil)
	want(t, r, 405)
	if got := r.header.Get("Allow"); got != "GET" {
		t.Errorf("Allow = %q", got)
	}
	want(t, c.do("PUT", "/rest/agile/1.0/board", m{}), 405)
	want(t, c.get("/rest/api/3/no-such-thing"), 404)
	want(t, c.get("/rest/api/3/issue/SPACE2-1/nothing-here"), 404)
}
