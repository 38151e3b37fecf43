package emulator_test

import (
	"cmp"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

// issueReads reads one issue's fields the three ways a client does — GET
// issue, a search page and bulkfetch — and returns the three fields
// objects.
func issueReads(t *testing.T, c *client, key, fields string) []map[string]any {
	t.Helper()
	var out []map[string]any
	r := c.get("/rest/api/3/issue/" + key + "?fields=" + fields)
	want(t, r, http.StatusOK)
	out = append(out, r.obj(t)["fields"].(map[string]any))
	var page struct{ Issues []map[string]any }
	r = c.get("/rest/api/3/search/jql?jql=key%3D" + key + "&fields=" + fields)
	want(t, r, http.StatusOK)
	r.json(t, &page)
	if len(page.Issues) != 1 {
		t.Fatalf("search for %s: %d issues", key, len(page.Issues))
	}
	out = append(out, page.Issues[0]["fields"].(map[string]any))
	quoted := `"` + strings.Join(strings.Split(fields, ","), `","`) + `"`
	r = c.do("POST", "/rest/api/3/issue/bulkfetch", `{"fields":[`+quoted+`],"issueIdsOrKeys":["`+key+`"]}`)
	want(t, r, http.StatusOK)
	page.Issues = nil
	r.json(t, &page)
	if len(page.Issues) != 1 {
		t.Fatalf("bulkfetch of %s: %d issues", key, len(page.Issues))
	}
	return append(out, page.Issues[0]["fields"].(map[string]any))
}

// An edit shows at once in every way of reading the issue, and so does
// a change to another issue that this one shows (its parent's summary, a
// new sub-task), though the earlier answers were kept.
func TestEditedIssueShowsWhereverRead(t *testing.T) {
	s := start(t, emulator.Options{})
	alex := classic(t, s, youEmail)
	r := alex.do("POST", "/rest/api/3/issue", map[string]any{"fields": map[string]any{
		"project": map[string]any{"key": "SPACE2"}, "issuetype": map[string]any{"name": "Subtask"},
		"parent": map[string]any{"key": "SPACE2-1"}, "summary": "First sub-task"}})
	want(t, r, http.StatusCreated)
	child := r.obj(t)["key"].(string)

	const fields = "summary,labels,subtasks,updated"
	for range 2 { // the second round is answered from what the first kept
		issueReads(t, alex, "SPACE2-1", fields)
		issueReads(t, alex, child, "summary,parent")
	}
	r = alex.do("PUT", "/rest/api/3/issue/SPACE2-1", map[string]any{"fields": map[string]any{
		"summary": "Edited summary", "labels": []string{"edited"}}})
	want(t, r, http.StatusNoContent)
	for i, f := range issueReads(t, alex, "SPACE2-1", fields) {
		if f["summary"] != "Edited summary" || len(f["labels"].([]any)) != 1 || f["labels"].([]any)[0] != "edited" {
			t.Errorf("read %d after the edit: summary %v, labels %v", i, f["summary"], f["labels"])
		}
	}
	for i, f := range issueReads(t, alex, child, "summary,parent") {
		parent := f["parent"].(map[string]any)["fields"].(map[string]any)
		if parent["summary"] != "Edited summary" {
			t.Errorf("read %d of the sub-task: its parent's summary is %v", i, parent["summary"])
		}
	}

	r = alex.do("POST", "/rest/api/3/issue", map[string]any{"fields": map[string]any{
		"project": map[string]any{"key": "SPACE2"}, "issuetype": map[string]any{"name": "Subtask"},
		"parent": map[string]any{"key": "SPACE2-1"}, "summary": "Second sub-task"}})
	want(t, r, http.StatusCreated)
	second := r.obj(t)["key"].(string)
	for i, f := range issueReads(t, alex, "SPACE2-1", fields) {
		var keys []string
		for _, st := range f["subtasks"].([]any) {
			keys = append(keys, st.(map[string]any)["key"].(string))
		}
		if strings.Join(keys, ",") != child+","+second {
			t.Errorf("read %d after a second sub-task: subtasks %v", i, keys)
		}
	}
}

// Callers never share a rendering: whether one watches an issue, and which
// of its links one may see, differ between callers reading the same issue
// with the same fields.
func TestRenderingsAreTheCallers(t *testing.T) {
	s := start(t, emulator.Options{})
	alex, mia, sam := classic(t, s, youEmail), classic(t, s, miaEmail), classic(t, s, samEmail)
	you := s.User(t, youEmail)
	want(t, alex.do("POST", "/rest/api/3/issue/SPACE2-1/watchers", `"`+you.AccountID+`"`), http.StatusNoContent)
	miaRaw := rawClient(t, s.URL, basic(miaEmail, s.User(t, miaEmail).ClassicToken)) // the 201 has no body, unlike the document says
	want(t, miaRaw.do("POST", "/rest/api/3/issueLink", map[string]any{"type": map[string]any{"name": "Blocks"},
		"inwardIssue": map[string]any{"key": "SPACE2-1"}, "outwardIssue": map[string]any{"key": "SECRET-1"}}), http.StatusCreated)

	const fields = "watches,issuelinks"
	for round := range 2 {
		// Mia first: her view (the SECRET link) is kept before the others ask.
		for i, f := range issueReads(t, mia, "SPACE2-1", fields) {
			if n := len(f["issuelinks"].([]any)); n != 1 {
				t.Errorf("round %d, Mia's read %d: %d links, want the one to SECRET-1", round, i, n)
			}
			if f["watches"].(map[string]any)["isWatching"] != false {
				t.Errorf("round %d, Mia's read %d: watching, though only Alex watches", round, i)
			}
		}
		for i, f := range issueReads(t, alex, "SPACE2-1", fields) {
			if n := len(f["issuelinks"].([]any)); n != 0 {
				t.Errorf("round %d, Alex's read %d: %d links, but he cannot see SECRET-1", round, i, n)
			}
			if f["watches"].(map[string]any)["isWatching"] != true {
				t.Errorf("round %d, Alex's read %d: not watching", round, i)
			}
		}
		for i, f := range issueReads(t, sam, "SPACE2-1", fields) {
			if n := len(f["issuelinks"].([]any)); n != 0 || f["watches"].(map[string]any)["isWatching"] != false {
				t.Errorf("round %d, Sam's read %d: %d links, watching %v", round, i, n, f["watches"].(map[string]any)["isWatching"])
			}
		}
	}
}

// Self links follow the host, site and REST version each request came
// in on, though a project's summary is kept after the first page that
// shows it.
func TestProjectPagesFollowTheRequest(t *testing.T) {
	s := start(t, emulator.Options{Seed: emulator.SeedWithProjects(30)})
	alex := classic(t, s, youEmail)
	host := strings.TrimPrefix(s.URL, "http://")
	you := s.User(t, youEmail)
	cases := []struct{ host, path, self string }{
		{"", "/rest/api/3/project/search", s.URL + "/rest/api/3/project/"},
		{"localhost:1", "/rest/api/3/project/search", "http://localhost:1/rest/api/3/project/"},
		{"", "/rest/api/2/project/search", s.URL + "/rest/api/2/project/"},
		{"", "/rest/api/latest/project/search", s.URL + "/rest/api/2/project/"},
	}
	// More origins than the sandbox keeps renderings for: past its bound
	// the pages are rendered afresh, still for their own origin.
	for i := range 300 {
		h := "h" + strings.Repeat("x", i%7) + "." + strings.Repeat("y", i/7) + ".example"
		cases = append(cases, struct{ host, path, self string }{h, "/rest/api/3/project/search", "http://" + h + "/rest/api/3/project/"})
	}
	for _, tc := range append(cases, cases[:4]...) {
		var page struct {
			Values []struct{ ID, Self string }
		}
		r := getOn(t, alex, cmp.Or(tc.host, host), tc.path+"?maxResults=5", you)
		want(t, r, http.StatusOK)
		r.json(t, &page)
		if len(page.Values) != 5 {
			t.Fatalf("%s on %s: %d projects", tc.path, tc.host, len(page.Values))
		}
		for _, p := range page.Values {
			if p.Self != tc.self+p.ID {
				t.Fatalf("%s on %q: self %s, want %s", tc.path, tc.host, p.Self, tc.self+p.ID)
			}
		}
	}
}

// The parts of an issue that never change (its status, type, priority,
// project and people) are kept too, and still link to the host and REST
// version each request came in on.
func TestIssuePartsFollowTheRequest(t *testing.T) {
	s := start(t, emulator.Options{})
	you := s.User(t, youEmail)
	raw := rawClient(t, s.URL, basic(you.Email, you.ClassicToken))
	host := strings.TrimPrefix(s.URL, "http://")
	for _, tc := range []struct{ host, v string }{{host, "3"}, {"localhost:1", "3"}, {host, "2"}, {"localhost:1", "2"}, {host, "3"}} {
		for _, path := range []string{"/issue/SPACE2-1?fields=status,assignee,reporter,issuetype,priority,project",
			"/search/jql?jql=key%3DSPACE2-1&fields=status,assignee,reporter,issuetype,priority,project"} {
			r := getOn(t, raw, tc.host, "/rest/api/"+tc.v+path, you)
			want(t, r, http.StatusOK)
			fields := r.obj(t)
			if is, ok := fields["issues"].([]any); ok {
				fields = is[0].(map[string]any)
			}
			fields = fields["fields"].(map[string]any)
			prefix := "http://" + tc.host + "/rest/api/" + tc.v + "/"
			for _, f := range []string{"status", "assignee", "reporter", "issuetype", "priority", "project"} {
				v, _ := fields[f].(map[string]any)
				if self, _ := v["self"].(string); !strings.HasPrefix(self, prefix) {
					t.Errorf("%s %s on %s: %s self %q, want it under %s", tc.v, path, tc.host, f, self, prefix)
				}
			}
		}
	}
}

// getOn sends GET path to c's server as u, naming host in the request
// (as a client that reached the sandbox by another name would).
func getOn(t *testing.T, c *client, host, path string, u emulator.UserInfo) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	req.Host = host
	req.SetBasicAuth(u.Email, u.ClassicToken)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: body}
}
