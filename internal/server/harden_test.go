package server_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/server"
)

// TestStaticServesFilesOnly: /static/ serves its files, never a listing
// and never a file outside it (the templates), however the path is spelt.
func TestStaticServesFilesOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	if p := b.get("/static/app.css"); p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Type"), "text/css") {
		t.Errorf("app.css: HTTP %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/static/", "/static/..%2ftemplates%2flayout.html", "/static/..%2Ftemplates/layout.html",
		"/static/%2e%2e/templates/layout.html", "/static/..%5ctemplates%5clayout.html", "/static/."} {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		p := b.do(req)
		if p.Status == http.StatusOK || strings.Contains(p.Body, "{{") || strings.Contains(p.Body, "app.css</a>") {
			t.Errorf("%s: HTTP %d, body %q", path, p.Status, clip(p.Body, 200))
		}
	}
}

// TestInternalErrorsHidden: a server whose key cannot open a user's
// tokens answers with a generic message and a request id; user ids, key
// ids and operator hints go to the log only.
func TestInternalErrorsHidden(t *testing.T) {
	first := newEnv(t, envOptions{})
	b := first.browser()
	b.connect(0, 0)
	other := newEnv(t, envOptions{sandbox: first.sb, databaseURL: first.dbURL}) // another key, the same database
	b.e = other
	var body struct{ Error, RequestID string }
	st := b.api("GET", "/api/projects", nil, &body)
	if st != http.StatusInternalServerError || !strings.Contains(body.Error, "Something went wrong on our side") || body.RequestID == "" {
		t.Fatalf("HTTP %d %+v; want a generic 500 with a request id", st, body)
	}
	for _, leak := range []string{"decrypt", "key id", "user", "old key", "access_token"} {
		if strings.Contains(strings.ToLower(body.Error), leak) {
			t.Errorf("the answer shows internals (%q): %q", leak, body.Error)
		}
	}
	if logs := other.Logs.String(); !strings.Contains(logs, body.RequestID) || !strings.Contains(logs, "cannot be decrypted") {
		t.Errorf("the log lacks the request id or the details:\n%s", clip(logs, 2000))
	}
	p := b.get("/")
	if strings.Contains(p.Body, "cannot be decrypted") || strings.Contains(p.Body, "old key") {
		t.Errorf("the dashboard shows internals:\n%s", clip(p.Body, 2000))
	}
}

func countSessions(t *testing.T, e *env) int {
	t.Helper()
	path := strings.TrimPrefix(e.dbURL, "sqlite:")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnonymousWritesNoSessions: visitors who only look, or start a
// sign-in they never finish, leave no session rows; the sign-in state
// lives in a cookie that expires in minutes; sign-in starts are limited
// per client.
func TestAnonymousWritesNoSessions(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	limited := 0
	for i := range 30 {
		resp, err := c.Get(e.URL + "/api/auth/jira/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusFound:
			if limited > 0 {
				t.Errorf("start %d allowed after being limited", i)
			}
			var state *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "tm_oauth_state" {
					state = ck
				}
			}
			if state == nil || state.MaxAge <= 0 || state.MaxAge > 15*60 || !state.HttpOnly || state.Path != "/api/auth/jira/callback" {
				t.Fatalf("state cookie %+v; want HttpOnly, for the callback only, expiring within minutes", state)
			}
		case http.StatusTooManyRequests:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Fatalf("start %d: HTTP %d", i, resp.StatusCode)
		}
		if resp, err := c.Get(e.URL + "/"); err == nil {
			resp.Body.Close()
		}
	}
	if limited == 0 || limited > 25 {
		t.Errorf("%d of 30 sign-in starts were limited; want the burst allowed and the rest refused", limited)
	}
	if n := countSessions(t, e); n != 0 {
		t.Errorf("%d session rows after anonymous visits; want none", n)
	}
	// A sign-in that finishes does make its session (the count can fail).
	fresh := newEnv(t, envOptions{sandbox: e.sb})
	fresh.browser().connect(0, 0)
	if n := countSessions(t, fresh); n != 1 {
		t.Errorf("%d session rows after one sign-in; want 1", n)
	}
}

// TestHSTSAndMetrics: HSTS behind an https public URL only; /metrics
// behind a bearer token, or not on the main address at all.
func TestHSTSAndMetrics(t *testing.T) {
	plain := newEnv(t, envOptions{})
	b := plain.browser()
	if p := b.get("/healthz"); p.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on a server without an https public URL")
	}
	if p := b.get("/metrics"); p.Status != http.StatusOK {
		t.Errorf("/metrics open by default: HTTP %d", p.Status)
	}

	secured := newEnv(t, envOptions{sandbox: plain.sb, server: func(o *server.Options) {
		o.PublicURL = "https://tm.example.com"
		o.MetricsToken = tm.Secret("m3trics-t0ken")
	}})
	b = secured.browser()
	if p := b.get("/healthz"); !strings.Contains(p.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS behind an https public URL: %v", p.Header)
	}
	if p := b.get("/metrics"); p.Status != http.StatusUnauthorized || strings.Contains(p.Body, "tm_http_requests_total") {
		t.Errorf("/metrics without the token: HTTP %d", p.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, secured.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer m3trics-t0ken")
	if p := b.do(req); p.Status != http.StatusOK || !strings.Contains(p.Body, "tm_http_requests_total") {
		t.Errorf("/metrics with the token: HTTP %d", p.Status)
	}

	away := newEnv(t, envOptions{sandbox: plain.sb, server: func(o *server.Options) { o.MetricsElsewhere = true }})
	if p := away.browser().get("/metrics"); p.Status != http.StatusNotFound {
		t.Errorf("/metrics on the main address when served elsewhere: HTTP %d", p.Status)
	}
}

// TestAPIErrorsAreJSONWithoutDatabase: with the database gone, /api/
// answers JSON errors (with a request id), never plain text.
func TestAPIErrorsAreJSONWithoutDatabase(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	e.db.Close()
	for _, path := range []string{"/api/me", "/api/projects", "/api/tickets/recent"} {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		p := b.do(req)
		var body struct{ Error, RequestID string }
		if p.Status < 500 || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") ||
			json.Unmarshal([]byte(p.Body), &body) != nil || body.Error == "" || body.RequestID == "" {
			t.Errorf("%s: HTTP %d %s %q; want a JSON error with a request id", path, p.Status, p.Header.Get("Content-Type"), p.Body)
		}
		if strings.Contains(p.Body, "sql") || strings.Contains(p.Body, "closed") {
			t.Errorf("%s shows internals: %q", path, p.Body)
		}
	}
}

var tokenRe = regexp.MustCompile(`name="submit_token" value="([^"]+)"`)

// TestDoubleSubmitCreatesOneTicket: the same Idempotency-Key, or the same
// form token, sent twice at once makes one ticket and the same answer.
func TestDoubleSubmitCreatesOneTicket(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	creates := func() int { return e.sb.E.Requests()["POST /rest/api/3/issue"] }

	ticket := map[string]any{"project": "SPACE2", "summary": "Once only", "type": "Task"}
	before := creates()
	var wg sync.WaitGroup
	keys := make([]string, 3)
	for i := range keys {
		wg.Go(func() {
			var out struct{ Key string }
			req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/tickets", strings.NewReader(`{"project":"SPACE2","summary":"Once only","type":"Task"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "k-123")
			p := b.do(req)
			if p.Status != http.StatusCreated || json.Unmarshal([]byte(p.Body), &out) != nil {
				t.Errorf("submit %d: HTTP %d %s", i, p.Status, p.Body)
			}
			keys[i] = out.Key
		})
	}
	wg.Wait()
	if n := creates() - before; n != 1 || keys[0] == "" || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("%d creates, keys %v; want one ticket, the same key for every submit", n, keys)
	}
	ticket["summary"] = "Something else"
	var bad struct{ Error string }
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/tickets", strings.NewReader(`{"project":"SPACE2","summary":"Something else","type":"Task"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k-123")
	if p := b.do(req); p.Status != http.StatusBadRequest || json.Unmarshal([]byte(p.Body), &bad) != nil || !strings.Contains(bad.Error, "different request") {
		t.Errorf("the key reused for another ticket: HTTP %d %s", p.Status, p.Body)
	}

	// The form: one token, two posts.
	dash := b.get("/?project=SPACE2")
	m := tokenRe.FindStringSubmatch(dash.Body)
	if m == nil {
		t.Fatalf("the create form carries no one-time token:\n%s", clip(dash.Body, 3000))
	}
	form := url.Values{"project": {"SPACE2"}, "summary": {"Form once"}, "type": {"Task"}, "submit_token": {m[1]}}
	before = creates()
	for range 2 {
		wg.Go(func() {
			if p := b.postForm("/tickets", form); p.Status != http.StatusOK {
				t.Errorf("form submit: HTTP %d", p.Status)
			}
		})
	}
	wg.Wait()
	if n := creates() - before; n != 1 {
		t.Errorf("a double-submitted form made %d tickets", n)
	}
	if again := tokenRe.FindStringSubmatch(b.get("/").Body); again == nil || again[1] == m[1] {
		t.Error("the next form did not get a new token")
	}
}

// TestUserTextIsolated: names and summaries from users or Jira are
// bidi-isolated, so a right-to-left override in one cannot reorder the page.
func TestUserTextIsolated(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	evil := "Invoice \u202Efdp.exe"
	if st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": evil, "type": "Task"}, nil); st != http.StatusCreated {
		t.Fatalf("create: HTTP %d", st)
	}
	p := b.get("/")
	wantIn(t, "dashboard", p.Body, "<bdi>"+evil+"</bdi>", "<bdi>"+e.sb.Creds.Users[0].DisplayName)
	if strings.Contains(p.Body, "<td>"+evil) {
		t.Error("the summary is shown without isolation")
	}
}

// TestJiraAnswersNotJirasAreGatewayErrors: a refused redirect, a web page
// or an unreadable answer is a 502 with a plain message, never the
// redirect's own status or its URLs.
func TestJiraAnswersNotJirasAreGatewayErrors(t *testing.T) {
	redirect := &jira.Error{Method: "GET", URL: "https://api.example/ex/jira/x/rest/api/3/project/search", StatusCode: http.StatusFound,
		Err: &tm.RedirectError{Method: "GET", From: "https://api.example/ex/jira/x", To: "https://evil.example/", Status: http.StatusFound, Reason: "another origin"}}
	for name, err := range map[string]error{
		"redirect":   redirect,
		"html":       &jira.Error{Method: "GET", URL: "https://api.example/ex/jira/x/rest/api/3/project", StatusCode: http.StatusOK, HTML: true, HTMLTitle: "Sign in"},
		"unreadable": &jira.Error{Method: "GET", URL: "https://api.example/ex/jira/x/rest/api/3/project", StatusCode: http.StatusOK, Err: errors.New("reading the response: unexpected EOF")},
	} {
		st, msg := server.Classify(err)
		if st != http.StatusBadGateway || strings.Contains(msg, "example") || strings.Contains(msg, "EOF") {
			t.Errorf("%s: %d %q; want a 502 that names no URL or internals", name, st, msg)
		}
	}
}

// TestRedirectedGatewayGetsNoToken: when the gateway redirects a Jira call
// to another host, tm serve does not follow: the user's token never
// reaches that host and its answer is never shown as Jira's.
func TestRedirectedGatewayGetsNoToken(t *testing.T) {
	sb := startSandbox(t, 0)
	var foreign, withToken atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		if r.Header.Get("Authorization") != "" {
			withToken.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"startAt":0,"maxResults":100,"total":1,"isLast":true,"values":[{"id":"1","key":"EVIL","name":"Not your Jira"}]}`)
	}))
	t.Cleanup(evil.Close)
	target, _ := url.Parse(sb.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/rest/api/3/project/search") {
			http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(gw.Close)
	e := newEnv(t, envOptions{sandbox: sb, apiURL: gw.URL})
	b := e.browser()
	b.connect(0, 0)
	var body map[string]any
	st := b.api("GET", "/api/projects", nil, &body)
	if st != http.StatusBadGateway || strings.Contains(fmt.Sprint(body), "EVIL") {
		t.Errorf("/api/projects: HTTP %d %v; want a 502 without the foreign answer", st, body)
	}
	if foreign.Load() != 0 || withToken.Load() != 0 {
		t.Errorf("the foreign host got %d requests, %d with the user's token", foreign.Load(), withToken.Load())
	}
	if p := b.get("/"); strings.Contains(p.Body, "EVIL") {
		t.Error("the dashboard shows the foreign host's projects")
	}
}
