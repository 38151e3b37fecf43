package jira_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/openapitest"
)

// env is an emulator and an HTTP client whose every request and response
// is checked against Atlassian's OpenAPI document.
type env struct {
	s  *emulatortest.Server
	hc *http.Client
	// seen records the headers of every request sent (values of
	// Authorization are kept only to check where they were sent).
	mu   sync.Mutex
	seen []http.Header
	urls []string
}

func start(t *testing.T, o emulator.Options) *env {
	t.Helper()
	e := &env{s: emulatortest.Start(t, o)}
	e.hc = &http.Client{Transport: openapitest.Transport(t, recorder{e, http.DefaultTransport})}
	return e
}

type recorder struct {
	e    *env
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.e.mu.Lock()
	r.e.seen = append(r.e.seen, req.Header.Clone())
	r.e.urls = append(r.e.urls, req.URL.String())
	r.e.mu.Unlock()
	return r.next.RoundTrip(req)
}

// count is how many requests went to key's operation, faulted ones included.
func (e *env) count(key string) int { return e.s.E.Requests()[key] }

func (e *env) fault(t *testing.T, spec string) {
	t.Helper()
	f, err := emulator.ParseFault(spec)
	if err != nil {
		t.Fatal(err)
	}
	e.s.E.AddFault(f)
}

func (e *env) cloudID() string { return e.s.Creds.Sites[0].CloudID }

func basic(u emulator.UserInfo, token string) jira.Auth {
	return jira.BasicAuth{Email: u.Email, Token: tm.Secret(token)}
}

// waits records the client's waits instead of sleeping them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

type notices struct {
	mu sync.Mutex
	n  []jira.Notice
}

func (n *notices) add(x jira.Notice) { n.mu.Lock(); n.n = append(n.n, x); n.mu.Unlock() }

func (n *notices) kinds() []jira.NoticeKind {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []jira.NoticeKind
	for _, x := range n.n {
		out = append(out, x.Kind)
	}
	return out
}

// oauthToken signs the sandbox's first user in through the emulator's
// authorization server over HTTP — consent form, code, token exchange — as
// a browser and a server would.
func oauthToken(t *testing.T, e *env) string {
	t.Helper()
	app := e.s.Creds.OAuth[0]
	redirect := "http://localhost:4000/api/auth/jira/callback"
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"audience": {"api.atlassian.com"}, "client_id": {app.ClientID}, "response_type": {"code"},
		"scope": {"read:jira-work write:jira-work read:jira-user offline_access"}, "redirect_uri": {redirect},
		"state": {"st4te"}, "prompt": {"consent"}}
	resp, err := noRedirect.Get(e.s.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("consent page without a nonce (status %d)", resp.StatusCode)
	}
	resp, err = noRedirect.PostForm(e.s.URL+"/authorize", url.Values{"nonce": {string(m[1])}, "decision": {"accept"},
		"account_id": {e.s.You().AccountID}, "cloud_id": {e.cloudID()}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("consent redirect %q: want a code and the state", resp.Header.Get("Location"))
	}
	body, _ := json.Marshal(map[string]string{"grant_type": "authorization_code", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "code": loc.Query().Get("code"), "redirect_uri": redirect})
	resp, err = http.Post(e.s.URL+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token exchange: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestAuthModes: each way of authenticating reaches Jira at its endpoint
// and is recognised as the right account.
func TestAuthModes(t *testing.T) {
	cloud := start(t, emulator.Options{})
	dc := start(t, emulator.Options{DataCenter: true})
	you := cloud.s.You()
	gateway := jira.GatewayURL(cloud.s.URL, cloud.cloudID())
	token := oauthToken(t, cloud)

	for _, tc := range []struct {
		name       string
		e          *env
		client     func(e *env) *jira.Client
		endpoint   string
		deployment string
		wantName   func(a tm.Account) string
	}{
		{"classic API token on the site", cloud, func(e *env) *jira.Client {
			return jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken))
		}, cloud.s.URL + "/rest/api/3", "Cloud", func(a tm.Account) string { return a.AccountID }},
		{"scoped API token through the gateway", cloud, func(e *env) *jira.Client {
			return jira.NewClient(e.hc, gateway, basic(you, you.ScopedToken), jira.WithGateway(), jira.WithSiteURL(e.s.URL))
		}, gateway + "/rest/api/3", "Cloud", func(a tm.Account) string { return a.AccountID }},
		{"OAuth 2.0 access token through the gateway", cloud, func(e *env) *jira.Client {
			src := jira.TokenSourceFunc(func(context.Context) (tm.Secret, error) { return tm.Secret(token), nil })
			return jira.NewClient(e.hc, gateway, jira.OAuthAuth{Source: src}, jira.WithGateway(), jira.WithSiteURL(e.s.URL))
		}, gateway + "/rest/api/3", "Cloud", func(a tm.Account) string { return a.AccountID }},
		{"Data Center personal access token", dc, func(e *env) *jira.Client {
			return jira.NewClient(e.hc, e.s.URL, jira.BearerAuth{Token: tm.Secret(e.s.You().PAT)}, jira.WithDataCenter())
		}, dc.s.URL + "/rest/api/2", "Server", func(a tm.Account) string { return a.Name }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client(tc.e)
			ctx := context.Background()
			me, err := c.Myself(ctx)
			if err != nil {
				t.Fatalf("Myself: %v", err)
			}
			u := tc.e.s.You()
			want := u.AccountID
			if tc.deployment == "Server" {
				want = u.Username
			}
			if got := tc.wantName(me); got != want || me.DisplayName != u.DisplayName {
				t.Errorf("Myself = %q (%s), want %q (%s)", got, me.DisplayName, want, u.DisplayName)
			}
			si, err := c.ServerInfo(ctx)
			if err != nil || si.DeploymentType != tc.deployment {
				t.Errorf("ServerInfo = %+v, %v; want deploymentType %s", si, err, tc.deployment)
			}
			if got := c.Endpoint(); got != tc.endpoint {
				t.Errorf("Endpoint = %s, want %s", got, tc.endpoint)
			}
			if got, want := c.BrowseURL("SPACE2-1"), tc.e.s.URL+"/browse/SPACE2-1"; got != want {
				t.Errorf("BrowseURL = %s, want %s (always on the site)", got, want)
			}
		})
	}
}

// TestHeaders: every request carries Accept, User-Agent, and
// Content-Type only with a body; tenant_info gets no credentials.
func TestHeaders(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken))
	ctx := context.Background()
	if _, err := c.Myself(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIssue(ctx, jira.CreateRequest{ProjectKey: "SPACE2", Fields: map[string]any{
		"summary": "Headers", "issuetype": map[string]string{"name": "Task"}}}); err != nil {
		t.Fatal(err)
	}
	if id, err := c.CloudID(ctx); err != nil || id != e.cloudID() {
		t.Fatalf("CloudID = %q, %v; want %q", id, err, e.cloudID())
	}
	if len(e.seen) != 3 {
		t.Fatalf("%d requests, want 3", len(e.seen))
	}
	for i, h := range e.seen {
		if h.Get("Accept") != "application/json" || h.Get("User-Agent") != "ticket-mate/"+tm.Version {
			t.Errorf("request %d (%s): Accept %q, User-Agent %q", i, e.urls[i], h.Get("Accept"), h.Get("User-Agent"))
		}
	}
	if e.seen[0].Get("Content-Type") != "" || e.seen[1].Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type: GET %q, POST %q; want none and application/json", e.seen[0].Get("Content-Type"), e.seen[1].Get("Content-Type"))
	}
	if e.seen[2].Get("Authorization") != "" {
		t.Error("tenant_info was sent credentials; it needs none")
	}
}

// TestScopedTokenFallback: a scoped token refused by the site is tried
// through the gateway — once, however many calls are in flight — and the
// client stays there and says so.
func TestScopedTokenFallback(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	var ns notices
	discovered := 0
	var mu sync.Mutex
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ScopedToken), jira.WithNotifier(ns.add),
		jira.WithGatewayFallback(func(ctx context.Context) (string, error) {
			mu.Lock()
			discovered++
			mu.Unlock()
			id, err := jira.NewClient(e.hc, e.s.URL, nil).CloudID(ctx)
			return jira.GatewayURL(e.s.URL, id), err
		}))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() { _, errs[0] = c.Myself(ctx) })
	wg.Go(func() { _, errs[1] = c.ServerInfo(ctx) })
	wg.Go(func() { _, errs[2] = c.MyPermissions(ctx, "SPACE2", tm.PermBrowseProjects) })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if !c.ViaGateway() || !strings.Contains(c.Endpoint(), "/ex/jira/"+e.cloudID()+"/rest/api/3") {
		t.Errorf("after the fallback: ViaGateway %v, Endpoint %s", c.ViaGateway(), c.Endpoint())
	}
	if discovered != 1 || e.count("GET /_edge/tenant_info") != 1 {
		t.Errorf("gateway resolved %d times, tenant_info asked %d times; want 1 and 1", discovered, e.count("GET /_edge/tenant_info"))
	}
	if k := ns.kinds(); len(k) != 1 || k[0] != jira.NoticeGateway || !strings.HasSuffix(ns.n[0].GatewayURL, e.cloudID()) {
		t.Errorf("notices %+v, want one NoticeGateway with the cloud id", ns.n)
	}

	// A wrong token fails on the site and at the gateway: the site's error
	// comes back, with the gateway's answer attached.
	bad := jira.NewClient(e.hc, e.s.URL, basic(you, "ATATT3x"+strings.Repeat("w", 185)),
		jira.WithGatewayFallback(func(context.Context) (string, error) { return jira.GatewayURL(e.s.URL, e.cloudID()), nil }))
	_, err := bad.Myself(ctx)
	var je *jira.Error
	if !errors.As(err, &je) || !je.AuthFailed() || je.Gateway || je.Fallback == nil || !je.Fallback.Gateway {
		t.Fatalf("wrong scoped token: %#v; want the site's 401 with the gateway's answer attached", err)
	}
	if !strings.Contains(err.Error(), "Client must be authenticated") {
		t.Errorf("error %q does not carry the site's message", err)
	}
}

// TestAuthFailures: a refused login is an error on every endpoint, also
// where Jira answers anonymous callers with a 200 or a 404.
func TestAuthFailures(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	ctx := context.Background()
	site := jira.NewClient(e.hc, e.s.URL, basic(you, "0123456789abcdef0123abcd"))
	for name, call := range map[string]func() error{
		"myself":        func() error { _, err := site.Myself(ctx); return err },
		"serverInfo":    func() error { _, err := site.ServerInfo(ctx); return err },
		"mypermissions": func() error { _, err := site.MyPermissions(ctx, "SPACE2", tm.PermBrowseProjects); return err },
		"project list":  func() error { _, err := site.SearchProjects(ctx, jira.ProjectQuery{}); return err },
	} {
		var je *jira.Error
		if err := call(); !errors.As(err, &je) || !je.AuthFailed() {
			t.Errorf("%s with a wrong token: %v; want an authentication failure", name, err)
		}
	}
	_, err := site.Myself(ctx)
	if !strings.Contains(err.Error(), "401 Unauthorized") || !strings.Contains(err.Error(), ": Client must be authenticated to access this resource.") {
		t.Errorf("myself: %q; want the plain-text 401 body", err)
	}
	_, err = site.ServerInfo(ctx)
	if !strings.Contains(err.Error(), "X-Seraph-LoginReason AUTHENTICATED_FAILED") {
		t.Errorf("serverInfo: %q; want the login reason", err)
	}

	// Scoped token on the site, no fallback configured: the plain 401.
	scoped := jira.NewClient(e.hc, e.s.URL, basic(you, you.ScopedToken))
	if _, err := scoped.Myself(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("scoped token on the site: %v; want 401", err)
	}

	// Mia's scoped token lacks write:jira-work: the gateway says so.
	mia := e.s.User(t, "mia@sandbox.example")
	gw := jira.NewClient(e.hc, jira.GatewayURL(e.s.URL, e.cloudID()), basic(mia, mia.ScopedToken), jira.WithGateway())
	_, err = gw.CreateIssue(ctx, jira.CreateRequest{ProjectKey: "SPACE2", Fields: map[string]any{"summary": "x", "issuetype": map[string]string{"name": "Task"}}})
	var je *jira.Error
	if !errors.As(err, &je) || !je.ScopeMismatch() || !je.Gateway {
		t.Fatalf("create with a read-only scoped token: %v; want the gateway's scope mismatch", err)
	}
	if _, err := gw.Myself(ctx); err != nil {
		t.Errorf("myself with read:jira-user: %v", err)
	}
}

// TestNotFound: a project you cannot see, or whose key has the wrong case.
func TestNotFound(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken))
	for _, key := range []string{"SECRET", "NOPE"} {
		_, err := c.MyPermissions(context.Background(), key, tm.PermBrowseProjects)
		var je *jira.Error
		if !errors.As(err, &je) || je.StatusCode != 404 || !strings.Contains(err.Error(), "No project could be found with key '"+key+"'") {
			t.Errorf("mypermissions %s: %v; want 404 naming the key", key, err)
		}
	}
}

// TestRateLimit: a 429 is waited out as Retry-After says (never less),
// reported with its reason, and retried — also for a POST.
func TestRateLimit(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	var w waits
	var ns notices
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken), jira.WithSleep(w.sleep), jira.WithNotifier(ns.add))
	e.fault(t, "GET /rest/api/3/myself=429:3sx1")
	e.fault(t, "POST /rest/api/3/issue=429:2sx1")
	ctx := context.Background()
	if _, err := c.Myself(ctx); err != nil {
		t.Fatalf("Myself after a 429: %v", err)
	}
	if _, err := c.CreateIssue(ctx, jira.CreateRequest{ProjectKey: "SPACE2", Fields: map[string]any{"summary": "after 429", "issuetype": map[string]string{"name": "Task"}}}); err != nil {
		t.Fatalf("create after a 429: %v", err)
	}
	if len(w.d) != 2 || w.d[0] < 3*time.Second || w.d[0] > 4*time.Second || w.d[1] < 2*time.Second {
		t.Errorf("waits %v; want ≥3s (≤30%% jitter) then ≥2s", w.d)
	}
	if e.count("GET /rest/api/3/myself") != 2 || e.count("POST /rest/api/3/issue") != 2 || e.count("fault 429") != 2 {
		t.Errorf("requests %v; want myself and create sent twice each, the first answered by a 429", e.s.E.Requests())
	}
	if len(ns.n) != 2 || ns.n[0].Kind != jira.NoticeRateLimited || ns.n[0].Reason == "" || ns.n[0].Status != 429 {
		t.Errorf("notices %+v; want two rate-limit notices with RateLimit-Reason", ns.n)
	}

	// A wait beyond the budget is not made: the error says how long.
	e.fault(t, "GET /rest/api/3/myself=429:10mx1")
	_, err := c.Myself(ctx)
	var je *jira.Error
	if !errors.As(err, &je) || !je.RateLimited() || je.RetryAfter < 9*time.Minute || je.RateLimitReason == "" {
		t.Fatalf("429 with a 10-minute Retry-After: %v; want a rate-limit error carrying it", err)
	}
}

// TestTransientGETRetried: 5xx (JSON or HTML), resets and truncated bodies
// on a GET are retried with backoff.
func TestTransientGETRetried(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	var w waits
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken), jira.WithSleep(w.sleep))
	ctx := context.Background()
	for _, fault := range []string{"503x2", "resetx1", "truncatex1", "500x1"} {
		e.s.E.ResetRequests()
		w.d = nil
		e.fault(t, "GET /rest/api/3/project/search="+fault)
		page, err := c.SearchProjects(ctx, jira.ProjectQuery{})
		if err != nil || page.Total == 0 {
			t.Errorf("fault %s: %v (total %d); want success after retries", fault, err, page.Total)
			continue
		}
		action, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimSuffix(fault, "x1"), "x2"), ":")
		n := e.count("GET /rest/api/3/project/search")
		// Go's transport itself resends an idempotent request whose reused
		// connection was reset before any answer; the client then waits none.
		if n < 2 || n != len(w.d)+1 && !(action == "reset" && n == 2) {
			t.Errorf("fault %s: %d requests, %d waits", fault, n, len(w.d))
		}
		for i, d := range w.d {
			if d < 700*time.Millisecond {
				t.Errorf("fault %s: wait %d is %v; want ≥0.7s", fault, i, d)
			}
		}
	}
	e.fault(t, "GET /rest/api/3/project/search=503")
	if _, err := c.SearchProjects(ctx, jira.ProjectQuery{}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a lasting 503: %v; want the 503 after the retries", err)
	}
	e.s.E.ClearFaults()
}

// TestHTMLAnswerNotRetried: a web page where JSON was expected (a proxy's
// error page) answers the same way again: one attempt, its title quoted.
func TestHTMLAnswerNotRetried(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	var w waits
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken), jira.WithSleep(w.sleep))
	e.fault(t, "GET /rest/api/3/project/search=html502x1")
	_, err := c.SearchProjects(context.Background(), jira.ProjectQuery{})
	var je *jira.Error
	if !errors.As(err, &je) || !je.HTML || je.HTMLTitle != "502 Bad Gateway" {
		t.Fatalf("err = %v; want an HTML *jira.Error titled 502 Bad Gateway", err)
	}
	if n := e.count("GET /rest/api/3/project/search"); n != 1 || len(w.d) != 0 {
		t.Errorf("%d requests, %d waits; want 1 and none", n, len(w.d))
	}
	if !strings.Contains(err.Error(), `"502 Bad Gateway"`) || !strings.Contains(err.Error(), "proxy") {
		t.Errorf("message %q does not quote the title and suggest a proxy", err)
	}
}

// TestPOSTNotRetried: a create whose outcome is unknown is not sent again;
// the client looks for it instead, and finds it when Jira made it.
func TestPOSTNotRetried(t *testing.T) {
	e := start(t, emulator.Options{})
	you := e.s.You()
	var w waits
	var ns notices
	ctx := context.Background()
	req := func(summary string) jira.CreateRequest {
		return jira.CreateRequest{ProjectKey: "SPACE2", Fields: map[string]any{"summary": summary, "issuetype": map[string]string{"name": "Task"}}}
	}
	c := jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken), jira.WithSleep(w.sleep), jira.WithNotifier(ns.add),
		jira.WithRequestTimeout(300*time.Millisecond))

	for _, fault := range []string{"503x1", "resetx1", "stall:2sx1", "html502x1"} {
		e.s.E.ResetRequests()
		e.fault(t, "POST /rest/api/3/issue="+fault)
		_, err := c.CreateIssue(ctx, req("Lost "+fault))
		var je *jira.Error
		if !errors.As(err, &je) || !je.Uncertain {
			t.Errorf("fault %s: %v; want an uncertain-outcome error", fault, err)
		}
		if n := e.count("POST /rest/api/3/issue"); n != 1 {
			t.Errorf("fault %s: the create was sent %d times", fault, n)
		}
		if n := e.count("GET /rest/api/3/search/jql"); n < 1 {
			t.Errorf("fault %s: no lookup (%v)", fault, e.s.E.Requests())
		}
	}

	// The answer is lost after Jira made the issue: the lookup finds it.
	lossy := &http.Client{Transport: loseAnswer{next: e.hc.Transport}}
	c2 := jira.NewClient(lossy, e.s.URL, basic(you, you.ClassicToken), jira.WithSleep(w.sleep))
	e.s.E.ResetRequests()
	got, err := c2.CreateIssue(ctx, req("Made but unanswered"))
	if err != nil || got.Key == "" || got.Summary != "Made but unanswered" {
		t.Fatalf("lost answer: %+v, %v; want the issue found by the lookup", got, err)
	}
	if e.count("POST /rest/api/3/issue") != 1 {
		t.Errorf("create sent %d times", e.count("POST /rest/api/3/issue"))
	}
	if got.URL != e.s.URL+"/browse/"+got.Key {
		t.Errorf("URL %s", got.URL)
	}
}

// loseAnswer delivers a POST and then drops Jira's answer, as a connection
// that breaks after the request was processed.
type loseAnswer struct{ next http.RoundTripper }

func (l loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost {
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

// TestProjectsAndCreateMeta reads pages and createmeta in both products.
func TestProjectsAndCreateMeta(t *testing.T) {
	for _, dc := range []bool{false, true} {
		e := start(t, emulator.Options{DataCenter: dc})
		you := e.s.You()
		var c *jira.Client
		if dc {
			c = jira.NewClient(e.hc, e.s.URL, jira.BearerAuth{Token: tm.Secret(you.PAT)}, jira.WithDataCenter())
		} else {
			c = jira.NewClient(e.hc, e.s.URL, basic(you, you.ClassicToken))
		}
		ctx := context.Background()
		var keys []string
		if dc {
			ps, err := c.AllProjects(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				keys = append(keys, p.Key)
			}
		} else {
			page, err := c.SearchProjects(ctx, jira.ProjectQuery{MaxResults: 2})
			if err != nil || len(page.Projects) != 2 || page.IsLast || page.Total != 3 {
				t.Fatalf("first page of 2: %+v, %v", page, err)
			}
			rest, err := c.SearchProjects(ctx, jira.ProjectQuery{StartAt: 2, MaxResults: 2})
			if err != nil || !rest.IsLast {
				t.Fatalf("second page: %+v, %v", rest, err)
			}
			for _, p := range append(page.Projects, rest.Projects...) {
				keys = append(keys, p.Key)
			}
		}
		if strings.Join(keys, ",") != "OPS,SPACE2,TEAM" {
			t.Errorf("dc=%v: projects %v; want OPS,SPACE2,TEAM (SECRET is invisible)", dc, keys)
		}
		types, err := c.CreateMetaIssueTypes(ctx, "SPACE2")
		if err != nil || len(types) == 0 {
			t.Fatalf("dc=%v: issue types %v, %v", dc, types, err)
		}
		fields, err := c.CreateMetaFields(ctx, "SPACE2", types[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, f := range fields {
			names[f.Name] = true
		}
		if !names["Summary"] || !names["Priority"] || !names["Story points"] {
			t.Errorf("dc=%v: create screen %v lacks Summary, Priority or Story points", dc, names)
		}
	}
}
