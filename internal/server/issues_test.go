package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/server"
)

// sendRaw posts body with the content type ct as b's browser and decodes
// the JSON answer into out.
func (b *browser) sendRaw(method, path, ct, body string, out any) int {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.e.URL+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", ct)
	p := b.do(req)
	if out != nil {
		if err := jsonUnmarshal(p.Body, out); err != nil {
			b.t.Fatalf("%s %s: HTTP %d, body %q is not JSON: %v", method, path, p.Status, p.Body, err)
		}
	}
	return p.Status
}

type apiIssue struct {
	Key, Summary, Status string
	Labels               []string
	Assignee             *struct{ AccountID string }
	CommentCount         int
	Comments             []struct{ Body string }
}

type apiError struct {
	Error string
	Field string
	Valid []string
}

// noInternals fails when an error shown to a person carries Jira's
// endpoints or Go's error text.
func noInternals(t *testing.T, what, msg string) {
	t.Helper()
	for _, bad := range []string{"/rest/api", "http://", "json:", "GET /api", "<nil>"} {
		if strings.Contains(msg, bad) {
			t.Errorf("%s: %q shows %q", what, msg, bad)
		}
	}
}

// TestIssuesAPI works on tickets through the JSON API over real HTTP:
// search in pages, read, comment, transition, edit, each error path with
// Jira's own reason, and bulk create from CSV and JSON Lines.
func TestIssuesAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)

	// Search, paged with the service's cursor: every page new issues.
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		var p struct {
			Issues []apiIssue
			Next   string
		}
		q := url.Values{"jql": {"project = SPACE2 ORDER BY key ASC"}, "limit": {"2"}, "cursor": {cursor}}
		if st := b.api("GET", "/api/issues?"+q.Encode(), nil, &p); st != http.StatusOK {
			t.Fatalf("search page %d: HTTP %d", pages, st)
		}
		pages++
		for _, is := range p.Issues {
			if seen[is.Key] {
				t.Fatalf("page %d repeats %s", pages, is.Key)
			}
			seen[is.Key] = true
		}
		if p.Next == "" || pages > 50 {
			break
		}
		cursor = p.Next
	}
	if pages < 3 || !seen["SPACE2-4"] {
		t.Errorf("search: %d pages, %d issues; want at least 3 pages with SPACE2-4", pages, len(seen))
	}
	var bad apiError
	if st := b.api("GET", "/api/issues?jql="+url.QueryEscape("project = = SPACE2"), nil, &bad); st != http.StatusBadRequest ||
		!strings.Contains(bad.Error, "Jira could not run the query") || bad.Field != "jql" {
		t.Errorf("bad JQL: HTTP %d %+v", st, bad)
	}
	noInternals(t, "bad JQL", bad.Error)

	// Read, comment, transition.
	var is apiIssue
	if st := b.api("GET", "/api/issues/space2-4", nil, &is); st != http.StatusOK || is.Key != "SPACE2-4" || is.Status == "" {
		t.Fatalf("GET issue: HTTP %d %+v", st, is)
	}
	var c struct{ ID, Body string }
	if st := b.api("POST", "/api/issues/SPACE2-4/comments", map[string]string{"body": "Looked at it **today**"}, &c); st != http.StatusCreated || c.ID == "" {
		t.Errorf("comment: HTTP %d %+v", st, c)
	}
	var ts struct{ Transitions []struct{ Name, To string } }
	if st := b.api("GET", "/api/issues/SPACE2-4/transitions", nil, &ts); st != http.StatusOK || len(ts.Transitions) == 0 {
		t.Fatalf("transitions: HTTP %d %+v", st, ts)
	}
	if st := b.api("POST", "/api/issues/SPACE2-4/transitions", map[string]string{"to": ts.Transitions[0].To}, nil); st != http.StatusOK {
		t.Errorf("transition to %s: HTTP %d", ts.Transitions[0].To, st)
	}
	if st := b.api("POST", "/api/issues/SPACE2-4/transitions", map[string]string{"to": "Launch"}, &bad); st != http.StatusBadRequest ||
		!strings.Contains(bad.Error, `cannot move to "Launch"`) || len(bad.Valid) == 0 {
		t.Errorf("transition to nowhere: HTTP %d %+v", st, bad)
	}

	// Edit: summary, a label and the assignee in one PATCH.
	if st := b.api("PATCH", "/api/issues/SPACE2-4", map[string]any{"summary": "Renamed from the API", "addLabels": []string{"triaged"}, "assignee": "me"}, nil); st != http.StatusOK {
		t.Fatalf("PATCH: HTTP %d", st)
	}
	b.api("GET", "/api/issues/SPACE2-4", nil, &is)
	if is.Summary != "Renamed from the API" || !strings.Contains(strings.Join(is.Labels, ","), "triaged") ||
		is.Assignee == nil || is.Assignee.AccountID != e.sb.Creds.Users[0].AccountID || is.CommentCount != 1 || is.Status != ts.Transitions[0].To {
		t.Errorf("after the changes: %+v", is)
	}
	if st := b.api("PATCH", "/api/issues/SPACE2-4", map[string]any{}, &bad); st != http.StatusBadRequest || !strings.Contains(bad.Error, "Nothing to change") {
		t.Errorf("empty PATCH: HTTP %d %+v", st, bad)
	}
	if st := b.api("PATCH", "/api/issues/SPACE2-4", map[string]any{"summary": strings.Repeat("x", 300)}, &bad); st != http.StatusBadRequest ||
		!strings.Contains(bad.Error, "300 characters") {
		t.Errorf("long summary: HTTP %d %+v", st, bad)
	}

	// Unknown issue, no permission.
	if st := b.api("GET", "/api/issues/SPACE2-999", nil, &bad); st != http.StatusNotFound || !strings.Contains(bad.Error, "SPACE2-999") {
		t.Errorf("unknown key: HTTP %d %+v", st, bad)
	}
	noInternals(t, "unknown key", bad.Error)
	if st := b.api("POST", "/api/issues/OPS-1/transitions", map[string]string{"to": "Done"}, &bad); st != http.StatusForbidden ||
		!strings.Contains(bad.Error, "offers no transitions to you") {
		t.Errorf("transition without permission: HTTP %d %+v", st, bad)
	}
	if st := b.api("GET", "/api/issues/not-a-key", nil, &bad); st != http.StatusBadRequest {
		t.Errorf("malformed key: HTTP %d %+v", st, bad)
	}

	// Bulk: a bad row in the middle stops the file before anything is sent.
	var res struct {
		Rows []struct {
			Line       int
			Key, Error string
		}
		Created, Failed int
	}
	before := e.sb.E.Requests()["POST /rest/api/3/issue/bulk"]
	if st := b.sendRaw("POST", "/api/tickets/bulk?project=SPACE2", "text/csv", "summary,type\nFirst,Task\nSecond,Nope\nThird,Task\n", &bad); st != http.StatusBadRequest ||
		!strings.Contains(bad.Error, "line 3") {
		t.Errorf("bad CSV: HTTP %d %+v", st, bad)
	}
	if n := e.sb.E.Requests()["POST /rest/api/3/issue/bulk"]; n != before {
		t.Errorf("a bad file sent %d bulk requests", n-before)
	}
	if st := b.sendRaw("POST", "/api/tickets/bulk?project=SPACE2", "text/csv", "summary,type,labels\nFirst,Task,a;b\nSecond,Bug,\n", &res); st != http.StatusCreated ||
		res.Created != 2 || len(res.Rows) != 2 || res.Rows[0].Line != 2 || !strings.HasPrefix(res.Rows[1].Key, "SPACE2-") {
		t.Errorf("CSV bulk: HTTP %d %+v", st, res)
	}
	res.Rows = nil
	jsonl := `{"summary":"From JSON Lines","project":"SPACE2","labels":["x","y"]}` + "\n"
	if st := b.sendRaw("POST", "/api/tickets/bulk", "application/x-ndjson", jsonl, &res); st != http.StatusCreated || res.Created != 1 || len(res.Rows) != 1 || !strings.HasPrefix(res.Rows[0].Key, "SPACE2-") {
		t.Errorf("JSON Lines bulk: HTTP %d %+v", st, res)
	}
	if st := b.sendRaw("POST", "/api/tickets/bulk", "text/plain", "x", &bad); st != http.StatusBadRequest || !strings.Contains(bad.Error, "text/csv") {
		t.Errorf("bulk as text/plain: HTTP %d %+v", st, bad)
	}
	var recent struct{ Tickets []struct{ Key string } }
	b.api("GET", "/api/tickets/recent", nil, &recent)
	if len(recent.Tickets) != 3 {
		t.Errorf("recent after bulk: %+v", recent)
	}
}

// TestIssuesAPIIsolation: each person works with their own identity and
// site; a browse-only person is refused what they may not do.
func TestIssuesAPIIsolation(t *testing.T) {
	e := newEnv(t, envOptions{})
	alex, mia, sam := e.browser(), e.browser(), e.browser()
	alex.connect(0, 0)
	mia.connect(1, 1)
	sam.connect(2, 0)

	var bad apiError
	// SPACE2 is on Alex's site, not on Mia's: to her it does not exist.
	if st := mia.api("GET", "/api/issues/SPACE2-4", nil, &bad); st != http.StatusNotFound {
		t.Errorf("Mia reading SPACE2-4 on her own site: HTTP %d %+v", st, bad)
	}
	if st := mia.api("POST", "/api/issues/SPACE2-4/comments", map[string]string{"body": "hi"}, &bad); st != http.StatusNotFound {
		t.Errorf("Mia commenting on SPACE2-4: HTTP %d %+v", st, bad)
	}
	// Sam may browse and comment in SPACE2 (everyone may), not edit or move.
	if st := sam.api("GET", "/api/issues/SPACE2-4", nil, nil); st != http.StatusOK {
		t.Errorf("Sam reading SPACE2-4: HTTP %d", st)
	}
	if st := sam.api("POST", "/api/issues/SPACE2-4/transitions", map[string]string{"to": "Done"}, &bad); st != http.StatusForbidden {
		t.Errorf("Sam moving SPACE2-4: HTTP %d %+v", st, bad)
	}
	noInternals(t, "Sam moving", bad.Error)
	if st := sam.api("PATCH", "/api/issues/SPACE2-4", map[string]any{"summary": "Sam was here"}, &bad); st != http.StatusForbidden {
		t.Errorf("Sam editing: HTTP %d %+v", st, bad)
	}
	// Comments go in as the commenter.
	var c struct{ Author string }
	if st := alex.api("POST", "/api/issues/SPACE2-4/comments", map[string]string{"body": "mine"}, &c); st != http.StatusCreated || c.Author != "Alex Morgan" {
		t.Errorf("Alex's comment: HTTP %d %+v", st, c)
	}
	// Without a session, every issue route answers 401.
	anon := e.browser()
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/issues?jql=project=SPACE2"}, {"GET", "/api/issues/SPACE2-4"}, {"PATCH", "/api/issues/SPACE2-4"},
		{"POST", "/api/issues/SPACE2-4/comments"}, {"GET", "/api/issues/SPACE2-4/transitions"},
		{"POST", "/api/issues/SPACE2-4/transitions"}, {"POST", "/api/tickets/bulk"},
	} {
		var payload any
		if r.method != "GET" {
			payload = map[string]string{}
		}
		if st := anon.api(r.method, r.path, payload, nil); st != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: HTTP %d", r.method, r.path, st)
		}
	}
}

func jsonUnmarshal(s string, out any) error { return json.Unmarshal([]byte(s), out) }

// rootCause puts a required field without a default on the screen of the
// "Done" transition, as a workflow with a transition screen has.
type rootCause struct{ base http.RoundTripper }

func (s rootCause) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/transitions") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	var m map[string]any
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_ = json.Unmarshal(body, &m)
	ts, _ := m["transitions"].([]any)
	for _, t := range ts {
		if t, _ := t.(map[string]any); t["name"] == "Done" {
			t["hasScreen"] = true
			t["fields"] = map[string]any{"customfield_10050": map[string]any{"key": "customfield_10050", "name": "Root cause",
				"required": true, "hasDefaultValue": false, "operations": []string{"set"}, "schema": map[string]any{"type": "string"}}}
		}
	}
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestTransitionNeedsField: a move whose screen needs a field is not
// attempted; the API names the field, and the issue page says so with a
// way to do it in Jira.
func TestTransitionNeedsField(t *testing.T) {
	e := newEnv(t, envOptions{server: func(o *server.Options) { o.Transport = rootCause{http.DefaultTransport} }})
	b := e.browser()
	b.connect(0, 0)
	var ts struct {
		Transitions []struct {
			Name, To string
			Required []string
		}
	}
	b.api("GET", "/api/issues/SPACE2-4/transitions", nil, &ts)
	var bad apiError
	if st := b.api("POST", "/api/issues/SPACE2-4/transitions", map[string]string{"to": "Done"}, &bad); st != http.StatusBadRequest ||
		!strings.Contains(bad.Error, `"Done" on SPACE2-4 needs Root cause`) || bad.Field != "Root cause" {
		t.Errorf("Done without its field: HTTP %d %+v (transitions %+v)", st, bad, ts)
	}
	if st := b.api("POST", "/api/issues/SPACE2-4/transitions", map[string]any{"to": "Done", "fields": map[string]string{"Root cause": "Worn roller"}}, &bad); st != http.StatusBadRequest ||
		!strings.Contains(bad.Error, "cannot be set") {
		// The field is sent; the sandbox, whose real screen lacks it,
		// refuses it as Jira would, and its words come through.
		t.Errorf("Done with its field: HTTP %d %+v", st, bad)
	}
	p := b.postForm("/issues/SPACE2-2/transitions", url.Values{"to": {"Done"}})
	if p.Status != http.StatusBadRequest {
		t.Errorf("page move without the field: HTTP %d", p.Status)
	}
	wantIn(t, "issue page after the refused move", p.Body, `id="move-error"`, `needs Root cause`, "/browse/SPACE2-2")
	if n := e.sb.E.Requests()["POST /rest/api/3/issue/{issueIdOrKey}/transitions"]; n != 1 {
		t.Errorf("%d transitions sent, want only the one with its field", n)
	}
}

// TestWorkPagesWithoutScript: the issue page and bulk upload work as plain
// forms, each POST answered with a redirect to a GET, so a reload never
// sends anything twice.
func TestWorkPagesWithoutScript(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)

	p := b.get("/issues/space2-4")
	wantIn(t, "issue page", p.Body, "SPACE2-4", `action="/issues/SPACE2-4/comments"`, `name="to" value="Start Progress"`)
	p = b.postForm("/issues/SPACE2-4/comments", url.Values{"body": {"From a *plain* form"}})
	if p.URL != e.URL+"/issues/SPACE2-4#comments" || !strings.Contains(p.Body, "Comment added.") || !strings.Contains(p.Body, "From a plain form") {
		t.Errorf("after the comment: %s\n%s", p.URL, clip(p.Body, 2000))
	}
	p = b.postForm("/issues/SPACE2-4/comments", url.Values{"body": {strings.Repeat("x", 40000)}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `aria-invalid="true" aria-describedby="body-error"`) {
		t.Errorf("an over-long comment: HTTP %d", p.Status)
	}
	p = b.postForm("/issues/SPACE2-4/assign", url.Values{"who": {"me"}})
	wantIn(t, "after Assign to me", p.Body, "Assigned to you.", "Alex Morgan")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("project", "SPACE2")
	fw, _ := mw.CreateFormFile("file", "rows.csv")
	io.WriteString(fw, "summary,priority\nUpload one,High\nUpload two,\n")
	mw.Close()
	req, _ := http.NewRequest("POST", e.URL+"/bulk", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	p = b.do(req)
	if p.URL != e.URL+"/bulk" || !strings.Contains(p.Body, "Created 2") {
		t.Errorf("after the upload: %s HTTP %d\n%s", p.URL, p.Status, clip(p.Body, 2000))
	}
	if again := b.get("/bulk"); strings.Contains(again.Body, "Created 2") {
		t.Error("the results show again on the next visit")
	}
	if n := e.sb.E.Requests()["POST /rest/api/3/issue/bulk"]; n != 1 {
		t.Errorf("%d bulk requests, want 1", n)
	}
	for _, page := range []string{"/", "/issues/SPACE2-4", "/bulk"} {
		if body := b.get(page).Body; regexp.MustCompile(`(GET|POST|PATCH) /api/`).MatchString(body) {
			t.Errorf("%s shows API wording", page)
		}
	}
}

// createNowhere answers every "projects I may create in" search with none,
// as Jira does for someone who may only browse.
type createNowhere struct{ base http.RoundTripper }

func (c createNowhere) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/project/search") || req.URL.Query().Get("action") != "create" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	var m map[string]any
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_ = json.Unmarshal(body, &m)
	m["values"], m["total"], m["isLast"] = []any{}, 0, true
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestDashboardCreateNowhere: someone who may create in no project is told
// so plainly, and what they can do, instead of a form Jira would refuse.
func TestDashboardCreateNowhere(t *testing.T) {
	e := newEnv(t, envOptions{server: func(o *server.Options) { o.Transport = createNowhere{http.DefaultTransport} }})
	b := e.browser()
	p := b.connect(0, 0)
	wantIn(t, "dashboard", p.Body, "You may not create tickets in any project on <bdi>sandbox</bdi>", "My work")
	if strings.Contains(p.Body, `id="create-form"`) {
		t.Error("the create form is offered to someone who may create nowhere")
	}
}
