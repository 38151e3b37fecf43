package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/server"
)

func gatewayDo(t testing.TB, method, u, token, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, r)
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func gatewayGet(t testing.TB, u, token string) (int, string) {
	t.Helper()
	resp, body := gatewayDo(t, http.MethodGet, u, token, "", nil)
	return resp.StatusCode, body
}

func regexpFind(t testing.TB, text, expr string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s not found in:\n%s", expr, text)
	}
	return m[1]
}

// signInDevice signs browser b's person in a device with scope and
// returns the token.
func signInDevice(t testing.TB, e *env, b *browser, scope, decision string) string {
	t.Helper()
	dc := startDevice(t, e, scope)
	b.approve(dc, decision)
	st, ta := pollDevice(t, e, dc)
	if st != http.StatusOK {
		t.Fatalf("token after approval: HTTP %d %+v", st, ta)
	}
	return ta.AccessToken
}

// headerLog records the headers of every request the sandbox receives.
type headerLog struct {
	mu   sync.Mutex
	seen []http.Header
	next http.Handler
}

func (h *headerLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/ex/jira/") {
		h.mu.Lock()
		h.seen = append(h.seen, r.Header.Clone())
		h.mu.Unlock()
	}
	h.next.ServeHTTP(w, r)
}

func (h *headerLog) all() []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]http.Header(nil), h.seen...)
}

// startRecordedSandbox is startSandbox with the gateway's requests recorded.
func startRecordedSandbox(t testing.TB) (*sandbox, *headerLog) {
	sb := &sandbox{Clock: &clock{}}
	em, err := emulator.New(emulator.Options{Clock: sb.Clock.Now, RateLimit: emulator.RateLimit{Points: -1}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &headerLog{next: em}
	hs := httptest.NewServer(rec)
	t.Cleanup(func() { hs.Close(); em.Close() })
	em.SetBaseURL(hs.URL)
	sb.E, sb.URL, sb.Creds = em, hs.URL, em.Credentials()
	return sb, rec
}

func TestGatewayTwoUsers(t *testing.T) {
	sb, rec := startRecordedSandbox(t)
	e := newEnv(t, envOptions{sandbox: sb})
	alex, sam := e.browser(), e.browser()
	alex.connect(0, 0)
	sam.connect(1, 1)
	alexTok := signInDevice(t, e, alex, "", "approve")
	samTok := signInDevice(t, e, sam, "", "approve")
	site0, site1 := e.sb.Creds.Sites[0].CloudID, e.sb.Creds.Sites[1].CloudID
	gw := func(site, path string) string { return e.URL + "/gateway/" + site + path }

	// Each token acts as its own person.
	for _, c := range []struct{ tok, site, account string }{{alexTok, site0, e.sb.Creds.Users[0].AccountID}, {samTok, site1, e.sb.Creds.Users[1].AccountID}} {
		st, body := gatewayGet(t, gw(c.site, "/rest/api/3/myself"), c.tok)
		if st != http.StatusOK || !strings.Contains(body, c.account) {
			t.Fatalf("myself through the gateway: HTTP %d %s, want account %s", st, body, c.account)
		}
	}
	// Neither reaches the other's site, and it looks like no site at all.
	st, body := gatewayGet(t, gw(site1, "/rest/api/3/myself"), alexTok)
	if st != http.StatusNotFound || !strings.Contains(body, "does not reach the site") {
		t.Fatalf("alex on sam's site: HTTP %d %s", st, body)
	}
	st, _ = gatewayGet(t, gw("no-such-site", "/rest/api/3/myself"), alexTok)
	if st != http.StatusNotFound {
		t.Fatalf("alex on an unknown site: HTTP %d", st)
	}

	// Nothing of the caller goes to Jira but what Jira needs; nothing of
	// Jira's comes back but its answer.
	before := len(rec.all())
	resp, body := gatewayDo(t, http.MethodGet, gw(site0, "/rest/api/3/project/search?maxResults=5"), alexTok, "",
		http.Header{"Cookie": {"tm_session=abc; other=1"}, "X-Forwarded-For": {"10.0.0.1"}, "X-Custom": {"leak"}, "Accept": {"application/json"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"values"`) {
		t.Fatalf("project search: HTTP %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Set-Cookie") != "" || resp.Header.Get("Authorization") != "" {
		t.Errorf("the gateway's answer carries Set-Cookie %q / Authorization %q", resp.Header.Get("Set-Cookie"), resp.Header.Get("Authorization"))
	}
	sent := rec.all()[before:]
	if len(sent) != 1 {
		t.Fatalf("%d requests reached Jira for one call, want 1", len(sent))
	}
	h := sent[0]
	if h.Get("Cookie") != "" || h.Get("X-Forwarded-For") != "" || h.Get("X-Custom") != "" {
		t.Errorf("caller headers reached Jira: %v", h)
	}
	if a := h.Get("Authorization"); !strings.HasPrefix(a, "Bearer ") || strings.Contains(a, "tmu_") {
		t.Errorf("Jira got Authorization %q, want the person's Atlassian access token", tmMask(a))
	}
	for _, s := range e.sb.E.Auth().IssuedSecrets() {
		if len(s) >= 8 && strings.Contains(body, s) {
			t.Errorf("an Atlassian secret (%s) came back to the caller", tmMask(s))
		}
	}

	// Only Jira's REST paths are forwarded.
	for _, p := range []string{"/rest/auth/1/session", "/rest/api/3/../../../admin", "/rest/api/3/%2e%2e/%2e%2e/x", "/rest/servicedeskapi/request"} {
		if st, _ := gatewayGet(t, gw(site0, p), alexTok); st != http.StatusNotFound {
			t.Errorf("%s through the gateway: HTTP %d, want 404", p, st)
		}
	}
	if st, _ := gatewayGet(t, e.URL+"/gateway/"+site0+"/secure/Dashboard.jspa", alexTok); st != http.StatusNotFound {
		t.Errorf("a Jira page through the gateway: HTTP %d, want 404", st)
	}
	// Without a token, with a session cookie only, or with an Atlassian-looking token: refused.
	for _, tok := range []string{"", "ATATT3xFfGF0abc", "tmu_NOTATOKEN"} {
		if st, body := gatewayGet(t, gw(site0, "/rest/api/3/myself"), tok); st != http.StatusUnauthorized || !strings.Contains(body, "invalid_token") {
			t.Errorf("token %q: HTTP %d %s", tok, st, body)
		}
	}
}

func tmMask(s string) string { return tm.Mask(s) }

func TestGatewayScopesAndAudit(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	site := e.sb.Creds.Sites[0].CloudID
	gw := e.URL + "/gateway/" + site
	readTok := signInDevice(t, e, b, "", "approve-read")
	writeTok := signInDevice(t, e, b, "read write", "approve")
	create := `{"fields":{"project":{"key":"SPACE2"},"issuetype":{"name":"Task"},"summary":"Through the gateway"}}`

	resp, body := gatewayDo(t, http.MethodPost, gw+"/rest/api/3/issue", readTok, create, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "read-only") {
		t.Fatalf("create with a read token: HTTP %d %s", resp.StatusCode, body)
	}
	resp, body = gatewayDo(t, http.MethodPost, gw+"/rest/api/3/search/jql", readTok, `{"jql":"project = SPACE2","maxResults":1}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search (a POST that reads) with a read token: HTTP %d %s", resp.StatusCode, body)
	}
	resp, body = gatewayDo(t, http.MethodPost, gw+"/rest/api/3/issue", writeTok, create, nil)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, `"key"`) {
		t.Fatalf("create with a write token: HTTP %d %s", resp.StatusCode, body)
	}
	logs := e.Logs.String()
	var audits []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"gateway write"`) {
			audits = append(audits, l)
		}
	}
	// Two writes were asked for, one refused for the token's scope and one
	// made: one line each. The search, a POST that reads, has none.
	if len(audits) != 2 {
		t.Fatalf("%d audit lines, want 2:\n%s", len(audits), strings.Join(audits, "\n"))
	}
	wantIn(t, "audit line of the refused write", audits[0], `"method":"POST"`, `"path":"/rest/api/3/issue"`, `"status":403`, `"user":"`, `"token":"`)
	wantIn(t, "audit line of the write", audits[1], `"method":"POST"`, `"path":"/rest/api/3/issue"`, `"status":201`, `"user":"`)
	if strings.Contains(logs, readTok) || strings.Contains(logs, writeTok) {
		t.Error("a ticket-mate token is in the logs")
	}
}

func TestGatewayRefreshUnderLoad(t *testing.T) { testGatewayRefreshUnderLoad(t, envOptions{}) }

func testGatewayRefreshUnderLoad(t *testing.T, o envOptions) {
	o.devices = server.DeviceOptions{GatewayRate: 1000, GatewayBurst: 1000}
	e := newEnv(t, o)
	b := e.browser()
	b.connect(0, 0)
	tok := signInDevice(t, e, b, "", "approve")
	u := e.URL + "/gateway/" + e.sb.Creds.Sites[0].CloudID + "/rest/api/3/myself"
	e.Clock.Advance(2 * time.Hour) // the stored access token is now past its expiry for the server
	before := e.sb.E.Auth().Stats().Refreshes
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if st, body := gatewayGet(t, u, tok); st != http.StatusOK {
				t.Errorf("HTTP %d %s", st, body)
			}
		})
	}
	wg.Wait()
	if n := e.sb.E.Auth().Stats().Refreshes - before; n != 1 {
		t.Fatalf("%d refreshes for 20 concurrent requests with an expired token, want exactly 1", n)
	}
}

func TestGatewayRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{devices: server.DeviceOptions{GatewayRate: 0.5, GatewayBurst: 3}})
	alex, sam := e.browser(), e.browser()
	alex.connect(0, 0)
	sam.connect(1, 0)
	alexTok, samTok := signInDevice(t, e, alex, "", "approve"), signInDevice(t, e, sam, "", "approve")
	u := e.URL + "/gateway/" + e.sb.Creds.Sites[0].CloudID + "/rest/api/3/myself"
	for i := range 3 {
		if st, _ := gatewayGet(t, u, alexTok); st != http.StatusOK {
			t.Fatalf("request %d within the burst: HTTP %d", i+1, st)
		}
	}
	resp, body := gatewayDo(t, http.MethodGet, u, alexTok, "", nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Retry-After") {
		t.Fatalf("request past the burst: HTTP %d %s", resp.StatusCode, body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Fatalf("Retry-After %q, want 1 or 2 seconds at 0.5 requests a second", resp.Header.Get("Retry-After"))
	}
	// Another person's budget is their own.
	if st, _ := gatewayGet(t, u, samTok); st != http.StatusOK {
		t.Fatalf("sam while alex is limited: HTTP %d", st)
	}
	e.Clock.Advance(2 * time.Second)
	if st, _ := gatewayGet(t, u, alexTok); st != http.StatusOK {
		t.Fatalf("alex after waiting Retry-After: HTTP %d", st)
	}
}

// TestGatewayAtlassianRefuses: an access token Atlassian revoked early is
// refreshed and the call retried, unseen by the device; a grant Atlassian
// revoked altogether is reported as the person's Jira connection to renew,
// not as a bad ticket-mate token.
func TestGatewayAtlassianRefuses(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	tok := signInDevice(t, e, b, "", "approve")
	u := e.URL + "/gateway/" + e.sb.Creds.Sites[0].CloudID + "/rest/api/3/myself"
	account := e.sb.Creds.Users[0].AccountID

	e.sb.E.Auth().RevokeAccessTokens(account)
	before := e.sb.E.Auth().Stats().Refreshes
	if st, body := gatewayGet(t, u, tok); st != http.StatusOK {
		t.Fatalf("after an early revocation of the access token: HTTP %d %s", st, body)
	}
	if n := e.sb.E.Auth().Stats().Refreshes - before; n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}

	e.sb.E.Auth().RevokeGrant(account, e.sb.Creds.OAuth[0].ClientID)
	e.sb.E.Auth().RevokeAccessTokens(account)
	st, body := gatewayGet(t, u, tok)
	if st != http.StatusUnauthorized || !strings.Contains(body, `"jira_reconnect"`) || !strings.Contains(body, "Connect Jira") {
		t.Fatalf("after Atlassian revoked the grant: HTTP %d %s", st, body)
	}
	// Once the server knows the grant is lost it answers at once.
	st, body = gatewayGet(t, u, tok)
	if st != http.StatusUnauthorized || !strings.Contains(body, `"jira_reconnect"`) {
		t.Fatalf("second call: HTTP %d %s", st, body)
	}
}
