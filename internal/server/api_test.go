package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAPIWithoutSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/me"}, {"GET", "/api/sites"}, {"POST", "/api/sites/x/select"}, {"GET", "/api/projects"},
		{"GET", "/api/permissions?project=SPACE2"}, {"POST", "/api/tickets"}, {"GET", "/api/tickets/recent"},
		{"POST", "/api/auth/jira/disconnect"},
	} {
		var body map[string]string
		var payload any
		if r.method == "POST" {
			payload = map[string]string{}
		}
		if st := b.api(r.method, r.path, payload, &body); st != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: HTTP %d, want 401", r.method, r.path, st)
		}
		if !strings.Contains(body["error"], "not signed in") {
			t.Errorf("%s %s: error %q", r.method, r.path, body["error"])
		}
	}
}

func TestAPI(t *testing.T) { testAPI(t, envOptions{}) }

func testAPI(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	b := e.browser()
	b.connect(0, 0)
	site := e.sb.Creds.Sites[0]

	var sites struct {
		Sites    []struct{ CloudID, Name, URL string }
		Selected string
	}
	if st := b.api("GET", "/api/sites", nil, &sites); st != http.StatusOK || len(sites.Sites) != 1 || sites.Selected != site.CloudID {
		t.Fatalf("/api/sites: HTTP %d %+v (one site must be selected automatically)", st, sites)
	}

	var projects struct {
		Projects []struct{ Key, Name string }
	}
	if st := b.api("GET", "/api/projects", nil, &projects); st != http.StatusOK {
		t.Fatalf("/api/projects: HTTP %d", st)
	}
	var keys []string
	for _, p := range projects.Projects {
		keys = append(keys, p.Key)
	}
	if !strings.Contains(strings.Join(keys, ","), "SPACE2") {
		t.Errorf("projects %v lack SPACE2", keys)
	}

	var perms struct {
		Project     string
		Permissions []struct {
			Key  string
			Have bool
		}
	}
	if st := b.api("GET", "/api/permissions?project=space2", nil, &perms); st != http.StatusOK || perms.Project != "SPACE2" {
		t.Fatalf("/api/permissions: HTTP %d %+v", st, perms)
	}
	have := map[string]bool{}
	for _, p := range perms.Permissions {
		have[p.Key] = p.Have
	}
	if !have["BROWSE_PROJECTS"] || !have["CREATE_ISSUES"] {
		t.Errorf("the sandbox's first user must browse and create in SPACE2: %v", have)
	}
	var bad map[string]string
	if st := b.api("GET", "/api/permissions", nil, &bad); st != http.StatusBadRequest || !strings.Contains(bad["error"], "Name a project") {
		t.Errorf("/api/permissions without project: HTTP %d %v", st, bad)
	}

	var created struct{ Key, URL string }
	st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": "Printer on fire",
		"description": "It is **really** on fire.\n\n- call someone", "type": "Bug", "priority": "High", "labels": []string{"office", "urgent"}}, &created)
	if st != http.StatusCreated || !strings.HasPrefix(created.Key, "SPACE2-") || created.URL != site.URL+"/browse/"+created.Key {
		t.Fatalf("POST /api/tickets: HTTP %d %+v", st, created)
	}
	issue := fetchIssue(t, e, 0, 0, created.Key)
	if issue.Fields.Summary != "Printer on fire" || issue.Fields.IssueType.Name != "Bug" || issue.Fields.Priority.Name != "High" ||
		strings.Join(issue.Fields.Labels, ",") != "office,urgent" || issue.Fields.Reporter.AccountID != e.sb.Creds.Users[0].AccountID {
		t.Errorf("created issue as Jira has it: %+v", issue.Fields)
	}

	var recent struct {
		Tickets []struct{ Key, URL, Summary string }
	}
	if st := b.api("GET", "/api/tickets/recent", nil, &recent); st != http.StatusOK || len(recent.Tickets) != 1 || recent.Tickets[0].Key != created.Key {
		t.Errorf("/api/tickets/recent: HTTP %d %+v", st, recent)
	}

	for _, tc := range []struct {
		body any
		want string
	}{
		{map[string]any{"project": "SPACE2"}, "summary is required"},
		{map[string]any{"summary": "x"}, "project is required"},
		{map[string]any{"project": "SPACE2", "summary": "x", "type": "Spaceship"}, `SPACE2 has no issue type "Spaceship"; valid: `},
		{map[string]any{"project": "SPACE2", "summary": "x", "colour": "red"}, `unknown field "colour"`},
		{map[string]any{"project": "NOPE", "summary": "x"}, `Project "NOPE" was not found`},
		{map[string]any{"project": "SPACE2", "summary": strings.Repeat("é", 256)}, "the summary is 256 characters; Jira takes at most 255"},
		{map[string]any{"project": "SPACE2", "summary": "nul\x00byte"}, "the summary contains a NUL byte"},
		{map[string]any{"project": "SPACE2", "summary": "x", "description": strings.Repeat("a", 32768)}, "the description is 32768 characters; Jira keeps at most 32767"},
		{map[string]any{"project": "SPACE2", "summary": "x", "assignee": "nobody@sandbox.example"}, `no Jira user matches "nobody@sandbox.example"`},
		{map[string]any{"project": "SPACE2", "summary": "x", "fields": map[string]string{"Sevrity": "Major"}}, `has no field "Sevrity"`},
	} {
		var out struct{ Error string }
		if st := b.api("POST", "/api/tickets", tc.body, &out); st < 400 || st >= 500 || !strings.Contains(out.Error, tc.want) {
			t.Errorf("POST /api/tickets %v: HTTP %d %q, want 4xx with %q", tc.body, st, out.Error, tc.want)
		}
	}
	// Bodies are bounded.
	big := map[string]any{"project": "SPACE2", "summary": "x", "description": strings.Repeat("a", 70<<10)}
	var out map[string]string
	if st := b.api("POST", "/api/tickets", big, &out); st != http.StatusBadRequest || !strings.Contains(out["error"], "larger than 64 KiB") {
		t.Errorf("oversized body: HTTP %d %v", st, out)
	}

	// Disconnect deletes the grant; the user stays signed in and is asked to reconnect.
	var disc map[string]bool
	if st := b.api("POST", "/api/auth/jira/disconnect", map[string]string{}, &disc); st != http.StatusOK || !disc["disconnected"] {
		t.Fatalf("disconnect: HTTP %d %v", st, disc)
	}
	var gone map[string]any
	if st := b.api("GET", "/api/projects", nil, &gone); st != http.StatusUnauthorized || gone["reconnect"] != true {
		t.Errorf("after disconnect /api/projects: HTTP %d %v", st, gone)
	}
	wantIn(t, "dashboard after disconnect", b.get("/").Body, "Jira is not connected", ">Connect Jira</a>")

	// Logout ends the session.
	if st := b.api("POST", "/api/auth/logout", map[string]string{}, nil); st != http.StatusOK {
		t.Errorf("logout: HTTP %d", st)
	}
	if st := b.api("GET", "/api/me", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("after logout /api/me: HTTP %d", st)
	}
}

// jiraIssue is what the test reads back from the sandbox to check what was
// really created, and as whom.
type jiraIssue struct {
	Fields struct {
		Summary   string
		Labels    []string
		IssueType struct{ Name string } `json:"issuetype"`
		Priority  struct{ Name string }
		Reporter  struct {
			AccountID string `json:"accountId"`
		}
	}
}

func fetchIssue(t *testing.T, e *env, user, site int, key string) jiraIssue {
	t.Helper()
	var is jiraIssue
	sandboxGet(t, e, user, site, "/rest/api/3/issue/"+url.PathEscape(key), &is)
	return is
}

// sandboxGet reads path from the sandbox's site as user (Basic auth, not
// through tm) into out.
func sandboxGet(t *testing.T, e *env, user, site int, path string, out any) {
	t.Helper()
	u := e.sb.Creds.Users[user]
	req, _ := http.NewRequest("GET", e.sb.Creds.Sites[site].URL+path, nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Email+":"+u.ClassicToken)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(body, out) != nil {
		t.Fatalf("GET %s: HTTP %d %s", path, resp.StatusCode, body)
	}
}

// TestIsolation signs two people in on different sites: neither can see or
// use the other's grant, site or tickets.
func TestIsolation(t *testing.T) { testIsolation(t, envOptions{}) }

func testIsolation(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	a, bb := e.browser(), e.browser()
	a.connect(0, 0)
	bb.connect(1, 1)
	siteA, siteB := e.sb.Creds.Sites[0], e.sb.Creds.Sites[1]

	var meA, meB struct{ User struct{ AccountID string } }
	a.api("GET", "/api/me", nil, &meA)
	bb.api("GET", "/api/me", nil, &meB)
	if meA.User.AccountID != e.sb.Creds.Users[0].AccountID || meB.User.AccountID != e.sb.Creds.Users[1].AccountID {
		t.Fatalf("identities: A=%s B=%s", meA.User.AccountID, meB.User.AccountID)
	}
	var out map[string]string
	if st := a.api("POST", "/api/sites/"+siteB.CloudID+"/select", map[string]string{}, &out); st != http.StatusNotFound ||
		!strings.Contains(out["error"], "No site with that cloud id is in your Jira connection") {
		t.Errorf("A selecting B's site: HTTP %d %v", st, out)
	}
	var sites struct{ Sites []struct{ CloudID string } }
	a.api("GET", "/api/sites", nil, &sites)
	if len(sites.Sites) != 1 || sites.Sites[0].CloudID != siteA.CloudID {
		t.Errorf("A sees sites %+v", sites)
	}

	var created struct{ Key string }
	if st := bb.api("POST", "/api/tickets", map[string]any{"project": projectOn(t, bb), "summary": "B's secret plan"}, &created); st != http.StatusCreated {
		t.Fatalf("B create: HTTP %d", st)
	}
	if fetchIssue(t, e, 1, 1, created.Key).Fields.Reporter.AccountID != e.sb.Creds.Users[1].AccountID {
		t.Error("B's ticket was not created as B")
	}
	var recent struct{ Tickets []struct{ Key string } }
	a.api("GET", "/api/tickets/recent", nil, &recent)
	if len(recent.Tickets) != 0 {
		t.Errorf("A sees B's tickets: %+v", recent)
	}
	// A disconnecting leaves B connected.
	a.api("POST", "/api/auth/jira/disconnect", map[string]string{}, nil)
	if st := bb.api("GET", "/api/projects", nil, nil); st != http.StatusOK {
		t.Errorf("B after A disconnected: HTTP %d", st)
	}
}

// projectOn returns the first project the browser's user can see.
func projectOn(t *testing.T, b *browser) string {
	t.Helper()
	var projects struct{ Projects []struct{ Key string } }
	if st := b.api("GET", "/api/projects", nil, &projects); st != http.StatusOK || len(projects.Projects) == 0 {
		t.Fatalf("/api/projects: HTTP %d %+v", st, projects)
	}
	return projects.Projects[0].Key
}

func TestFormsAndSecurity(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)

	p := b.postForm("/tickets", url.Values{"project": {"SPACE2"}, "summary": {"From the form"}, "type": {"Task"}, "labels": {"a, b"}})
	if p.Status != http.StatusOK || p.URL != e.URL+"/" {
		t.Fatalf("form create ended at %s (HTTP %d)", p.URL, p.Status)
	}
	wantIn(t, "dashboard after create", p.Body, `Created <a href="/issues/SPACE2-`, "— From the form")

	// A cross-site form post is refused before it reaches the handler.
	req, _ := http.NewRequest("POST", e.URL+"/tickets", strings.NewReader("project=SPACE2&summary=csrf"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if p := b.do(req); p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Cross-origin request refused") {
		t.Errorf("cross-site POST: HTTP %d", p.Status)
	}
	var recent struct{ Tickets []struct{ Summary string } }
	b.api("GET", "/api/tickets/recent", nil, &recent)
	if len(recent.Tickets) != 1 {
		t.Errorf("recent tickets after one real and one forged create: %+v", recent)
	}

	h := b.get("/").Header
	for k, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if !strings.Contains(h.Get(k), want) {
			t.Errorf("header %s = %q, want %q", k, h.Get(k), want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP allows script: %q", csp)
	}
	if p := b.get("/static/app.css"); p.Status != 200 || !strings.Contains(p.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: HTTP %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	if p := b.get("/healthz"); p.Status != 200 {
		t.Errorf("/healthz: HTTP %d", p.Status)
	}
	if p := b.get("/readyz"); p.Status != 200 || !strings.Contains(p.Body, "ready") {
		t.Errorf("/readyz: HTTP %d %s", p.Status, p.Body)
	}
	m := b.get("/metrics").Body
	wantIn(t, "metrics", m, `tm_http_requests_total{route="GET /api/auth/jira/callback",status="303"} 1`,
		"tm_http_request_duration_seconds_bucket", "tm_jira_request_duration_seconds_count")
	if p := b.get("/nowhere"); p.Status != 404 || !strings.Contains(p.Body, "<h1 id=\"err-title\">Page not found</h1>") || !strings.Contains(p.Body, "Signed in as") {
		t.Errorf("/nowhere: HTTP %d", p.Status)
	}
}
