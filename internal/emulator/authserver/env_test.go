package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator/authserver"
)

const (
	appID       = "tm-app-client-id"
	appSecret   = "tm-app-secret-value-0123456789"
	appName     = "Ticket & Mate <dev>"
	appCallback = "http://localhost:4000/api/auth/jira/callback"
	otherID     = "other-client-id"
	otherSecret = "other-secret-value-9876543210"
	otherCB     = "https://other.example/cb"
	allScopes   = "read:jira-work write:jira-work read:jira-user read:me offline_access"
)

var (
	users = []authserver.User{
		{AccountID: "5b10a2844c20165700ede21g", Email: "mia@example.com", Name: "Mia Krystof", Nickname: "mkrystof",
			Picture: "https://avatar.example/mia.png", ZoneInfo: "Australia/Sydney", Locale: "en-AU", JobTitle: "Engineer"},
		{AccountID: "712020:0e3f6b1c-8c54-4f0a-b5a4-2f5b7e8a9d10", Email: "bo@example.com", Name: "Bo Lind"},
	}
	sites = []authserver.Site{
		{CloudID: "1324a887-45db-1bf4-1e99-ef0ff456d421", Name: "Acme", URL: "https://acme.atlassian.net", AvatarURL: "https://avatar.example/acme.png"},
		{CloudID: "9f0c2b7e-0000-4c6e-9a7a-3b1d2e4f5a6b", Name: "Beta", URL: "https://beta.atlassian.net", AvatarURL: "https://avatar.example/beta.png"},
	}
)

// clock is a settable Options.Clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an authorization server on a real listener plus a browser-like
// client that does not follow redirects, so tests see every Location.
type env struct {
	t     testing.TB
	url   string
	auth  *authserver.Server
	clock *clock
	hc    *http.Client
}

func newEnv(t testing.TB, mutate ...func(*authserver.Options)) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	o := authserver.Options{
		Users: func() []authserver.User { return users },
		Sites: func() []authserver.Site { return sites },
		Clients: []authserver.Client{
			{ID: appID, Secret: appSecret, Name: appName, RedirectURIs: []string{appCallback}, LoopbackAnyPort: true,
				Scopes: []string{"read:jira-work", "write:jira-work", "read:jira-user", "read:me", "manage:jira-project", "read:issue-details:jira"}},
			{ID: otherID, Secret: otherSecret, Name: "Other", RedirectURIs: []string{otherCB}, Scopes: []string{"read:jira-work"}},
		},
		Clock: c.Now,
	}
	for _, m := range mutate {
		m(&o)
	}
	a := authserver.New(o)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, auth: a, clock: c, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// with returns e reporting to t: a fuzz target must not report to its F.
func (e *env) with(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// authorizeQuery is the query tm sends, with overrides ("" deletes a key).
func authorizeQuery(overrides ...string) url.Values {
	q := url.Values{
		"audience": {"api.atlassian.com"}, "client_id": {appID}, "scope": {allScopes},
		"redirect_uri": {appCallback}, "state": {"st-123"}, "response_type": {"code"}, "prompt": {"consent"},
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		if overrides[i+1] == "" {
			q.Del(overrides[i])
		} else {
			q.Set(overrides[i], overrides[i+1])
		}
	}
	return q
}

func (e *env) do(req *http.Request) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

func (e *env) get(path, bearer string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return e.do(req)
}

var nonceRE = regexp.MustCompile(`<input type="hidden" id="nonce" name="nonce" value="([A-Za-z0-9_-]{20,})">`)

// consentPage opens the consent page and returns its body and CSRF nonce.
func (e *env) consentPage(q url.Values) (string, string) {
	e.t.Helper()
	resp, body := e.get("/authorize?"+q.Encode(), "")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /authorize = %d, want 200; body:\n%s", resp.StatusCode, body)
	}
	m := nonceRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("consent page has no nonce input:\n%s", body)
	}
	return body, m[1]
}

// submit posts the consent form and returns the status and Location.
func (e *env) submit(form url.Values) (int, string, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := e.do(req)
	return resp.StatusCode, resp.Header.Get("Location"), body
}

// decide runs the consent page and returns the callback URL the browser is sent to.
func (e *env) decide(q url.Values, decision, accountID, cloudID string) *url.URL {
	e.t.Helper()
	_, nonce := e.consentPage(q)
	status, loc, body := e.submit(url.Values{"nonce": {nonce}, "decision": {decision}, "account_id": {accountID}, "cloud_id": {cloudID}})
	if status != http.StatusFound {
		e.t.Fatalf("POST /authorize = %d, want 302; body:\n%s", status, body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// code signs in with scopes as accountID on cloudID and returns the code.
func (e *env) code(scopes, accountID, cloudID string) string {
	e.t.Helper()
	u := e.decide(authorizeQuery("scope", scopes), "accept", accountID, cloudID)
	c := u.Query().Get("code")
	if c == "" {
		e.t.Fatalf("callback %s has no code", u)
	}
	return c
}

// token posts body to /oauth/token as JSON (form=false) or form-encoded.
func (e *env) token(body map[string]string, form bool) (int, map[string]any) {
	e.t.Helper()
	var req *http.Request
	if form {
		v := url.Values{}
		for k, s := range body {
			v.Set(k, s)
		}
		req, _ = http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		b, _ := json.Marshal(body)
		req, _ = http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
	}
	resp, raw := e.do(req)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		e.t.Fatalf("token endpoint answered %d with non-JSON %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func codeBody(code string) map[string]string {
	return map[string]string{"grant_type": "authorization_code", "client_id": appID, "client_secret": appSecret, "code": code, "redirect_uri": appCallback}
}

func refreshBody(rt string) map[string]string {
	return map[string]string{"grant_type": "refresh_token", "client_id": appID, "client_secret": appSecret, "refresh_token": rt}
}

// pair is a successful token response.
type pair struct{ access, refresh, scope string }

func (e *env) mustToken(body map[string]string) pair {
	e.t.Helper()
	status, out := e.token(body, false)
	if status != http.StatusOK {
		e.t.Fatalf("token endpoint = %d %v, want 200", status, out)
	}
	p := pair{access: str(out["access_token"]), scope: str(out["scope"])}
	p.refresh, _ = out["refresh_token"].(string)
	return p
}

// signIn goes through the whole dance for the first user and site.
func (e *env) signIn(scopes string) pair {
	e.t.Helper()
	return e.mustToken(codeBody(e.code(scopes, "", "")))
}

func str(v any) string { s, _ := v.(string); return s }

// wantOAuthError checks an RFC 6749 error response, message included.
func wantOAuthError(t testing.TB, status int, out map[string]any, wantStatus int, code, descPart string) {
	t.Helper()
	if status != wantStatus || out["error"] != code || !strings.Contains(str(out["error_description"]), descPart) {
		t.Errorf("got %d %v, want %d error=%s with description containing %q", status, out, wantStatus, code, descPart)
	}
}
