package atlassian_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/emulator/authserver"
)

const redirect = "http://127.0.0.1:4000/api/auth/jira/callback"

// fixture is the OAuth emulator on a real listener with a movable clock.
type fixture struct {
	as     *authserver.Server
	url    string
	client *atlassian.Client
	mu     sync.Mutex
	now    time.Time
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	f.as = authserver.New(authserver.Options{
		Users: func() []authserver.User {
			return []authserver.User{{AccountID: "acc-mia", Email: "mia@example.com", Name: "Mia Krystof"}}
		},
		Sites: func() []authserver.Site {
			return []authserver.Site{{CloudID: "cloud-1", Name: "one", URL: "https://one.example"},
				{CloudID: "cloud-2", Name: "two", URL: "https://two.example"}}
		},
		Clients: []authserver.Client{{ID: "cid", Secret: "csecret", Name: "tm", RedirectURIs: []string{redirect},
			Scopes: []string{"read:jira-work", "write:jira-work", "read:jira-user", "read:me"}}},
		Clock: f.clock,
	})
	srv := httptest.NewServer(f.as)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	c, err := atlassian.New(atlassian.Config{AuthURL: srv.URL, APIURL: srv.URL + "/", ClientID: "cid",
		ClientSecret: "csecret", RedirectURI: redirect, HTTPClient: srv.Client(), Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}

// consent approves the client's authorize URL for site cloudID and returns the code.
func (f *fixture) consent(t *testing.T, cloudID string) string {
	t.Helper()
	back, err := f.as.Approve(f.client.AuthorizeURL("st4te"), "", cloudID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	if got := u.Query().Get("state"); got != "st4te" {
		t.Fatalf("state came back as %q", got)
	}
	return u.Query().Get("code")
}

func TestAuthorizeURL(t *testing.T) {
	f := newFixture(t)
	u, err := url.Parse(f.client.AuthorizeURL("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/authorize" || !strings.HasPrefix(u.String(), f.url) {
		t.Errorf("authorize URL %s is not under %s/authorize", u, f.url)
	}
	want := url.Values{"audience": {"api.atlassian.com"}, "client_id": {"cid"}, "redirect_uri": {redirect},
		"scope": {strings.Join(atlassian.DefaultScopes, " ")}, "state": {"abc"}, "response_type": {"code"}, "prompt": {"consent"}}
	if d := cmp.Diff(want, u.Query()); d != "" {
		t.Errorf("query (-want +got):\n%s", d)
	}
	if strings.Contains(u.RawQuery, "+") {
		t.Errorf("scope spaces must be %%20, got %s", u.RawQuery)
	}
}

func TestNewRejectsMissingConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  atlassian.Config
		want string
	}{
		{atlassian.Config{AuthURL: "https://a", APIURL: "https://b", RedirectURI: "x"}, "client id and secret are not set"},
		{atlassian.Config{AuthURL: "https://a", APIURL: "https://b", ClientID: "c", ClientSecret: "s"}, "redirect URI is not set"},
		{atlassian.Config{AuthURL: "auth.atlassian.com", APIURL: "https://b", ClientID: "c", ClientSecret: "s", RedirectURI: "x"}, `ATLASSIAN_AUTH_URL "auth.atlassian.com" is not an http(s) URL`},
	} {
		_, err := atlassian.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || tm.ErrorCode(err) != tm.ECONFIG {
			t.Errorf("New(%+v) = %v, want ECONFIG %q", tc.cfg, err, tc.want)
		}
	}
}

func TestExchangeRefreshIdentity(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	code := f.consent(t, "cloud-1")
	f.consent(t, "cloud-2") // a second consent adds the site to the same grant
	tok, err := f.client.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken.IsZero() || tok.RefreshToken.IsZero() {
		t.Fatal("exchange returned no pair")
	}
	if want := f.clock().Add(time.Hour); !tok.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", tok.ExpiresAt, want)
	}
	if !slices.Contains(tok.Scopes, "offline_access") {
		t.Errorf("scopes %v lack offline_access", tok.Scopes)
	}

	me, err := f.client.Me(ctx, tok.AccessToken)
	if err != nil || me.AccountID != "acc-mia" || me.Email != "mia@example.com" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	sites, err := f.client.AccessibleResources(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	if d := cmp.Diff([]string{"cloud-1", "cloud-2"}, ids); d != "" {
		t.Errorf("sites (-want +got):\n%s", d)
	}

	next, err := f.client.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Error("refresh did not rotate the pair")
	}
	// Past the 10-minute leeway the old refresh token is dead.
	f.advance(11 * time.Minute)
	_, err = f.client.Refresh(ctx, tok.RefreshToken)
	var te *atlassian.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("stale refresh: err = %v, want a TokenError invalid_grant", err)
	}
	if strings.Contains(err.Error(), tok.RefreshToken.Reveal()) {
		t.Error("the error message carries the refresh token")
	}
	// The code is single-use, and replaying it revokes what it issued.
	if _, err := f.client.Exchange(ctx, code); !errors.Is(err, atlassian.ErrInvalidGrant) {
		t.Errorf("reused code: err = %v, want invalid_grant", err)
	}
	if _, err := f.client.Me(ctx, next.AccessToken); err == nil {
		t.Error("tokens of a replayed code still work")
	}
	if _, err := f.client.Me(ctx, "not-a-token"); err == nil || !strings.Contains(err.Error(), "Atlassian refused /me (HTTP 401)") {
		t.Errorf("Me with a bad token: %v", err)
	}
}

func TestMergeResources(t *testing.T) {
	got := atlassian.MergeResources([]atlassian.Resource{
		{ID: "a", Name: "Site A", URL: "https://a", Scopes: []string{"write:jira-work", "read:jira-user"}},
		{ID: "b", Name: "Site B", Scopes: []string{"read:jira-work"}},
		{ID: "a", Name: "Site A (Confluence)", URL: "https://a", Scopes: []string{"read:confluence", "read:jira-user"}, AvatarURL: "https://a/x.png"},
		{ID: "", Name: "no id"},
	})
	want := []atlassian.Resource{
		{ID: "a", Name: "Site A", URL: "https://a", Scopes: []string{"read:confluence", "read:jira-user", "write:jira-work"}, AvatarURL: "https://a/x.png"},
		{ID: "b", Name: "Site B", Scopes: []string{"read:jira-work"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRefreshMargin(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		life time.Duration
		want time.Duration
	}{
		{time.Hour, 5 * time.Minute},
		{10 * time.Minute, time.Minute},
		{20 * time.Second, 2 * time.Second},
	} {
		if got := atlassian.RefreshMargin(t0, t0.Add(tc.life)); got != tc.want {
			t.Errorf("lifetime %v: margin %v, want %v", tc.life, got, tc.want)
		}
	}
	if got := atlassian.RefreshMargin(time.Time{}, t0); got != 5*time.Minute {
		t.Errorf("unknown issue time: margin %v, want 5m", got)
	}
}

// memStore is a tm.GrantStore in memory for one user, "u1".
type memStore struct {
	tm.GrantStore // methods the token source must not use panic
	mu            sync.Mutex
	lock          sync.Mutex
	g             tm.Grant
	saves         atomic.Int32
}

func (m *memStore) GetGrant(_ context.Context, userID string) (*tm.Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if userID != "u1" || m.g.Version == 0 {
		return nil, tm.Errorf(tm.ENOTFOUND, "no grant")
	}
	g := m.g
	return &g, nil
}

func (m *memStore) WithGrantLock(ctx context.Context, userID string, fn func(context.Context, *tm.Grant) (*tm.Grant, error)) error {
	m.lock.Lock()
	defer m.lock.Unlock()
	g, err := m.GetGrant(ctx, userID)
	if err != nil {
		return err
	}
	out, err := fn(ctx, g)
	if err != nil || out == nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saves.Add(1)
	out.Version = m.g.Version + 1
	m.g = *out
	return nil
}

func signedIn(t *testing.T, f *fixture) *memStore {
	t.Helper()
	tok, err := f.client.Exchange(context.Background(), f.consent(t, "cloud-1"))
	if err != nil {
		t.Fatal(err)
	}
	return &memStore{g: tm.Grant{UserID: "u1", TokenSet: *tok, FamilyStartedAt: f.clock(), Version: 1}}
}

func TestTokensRefreshOnceNearExpiry(t *testing.T) {
	f := newFixture(t)
	st := signedIn(t, f)
	var refreshed atomic.Int32
	src := atlassian.NewTokens(f.client, st, atlassian.Hooks{Refreshed: func() { refreshed.Add(1) }})
	first := st.g.AccessToken

	a, err := src.Token(context.Background(), "u1")
	if err != nil || a.Token != first {
		t.Fatalf("fresh token: got version %d, %v", a.Version, err)
	}
	f.advance(56 * time.Minute) // inside the 5-minute margin
	var wg sync.WaitGroup
	got := make([]atlassian.Access, 50)
	for i := range got {
		wg.Go(func() {
			a, err := src.Token(context.Background(), "u1")
			if err != nil {
				t.Error(err)
			}
			got[i] = a
		})
	}
	wg.Wait()
	if n := f.as.Stats().Refreshes; n != 1 {
		t.Errorf("emulator saw %d refreshes, want 1", n)
	}
	if refreshed.Load() != 1 || st.saves.Load() != 1 {
		t.Errorf("hook %d, saves %d; want 1 and 1", refreshed.Load(), st.saves.Load())
	}
	for _, a := range got {
		if a.Version != 2 || a.Token != st.g.AccessToken || a.Token == first {
			t.Fatalf("a caller got version %d, not the stored rotated token", a.Version)
		}
	}
}

func TestTransportRetriesOnceAfterEarly401(t *testing.T) {
	f := newFixture(t)
	st := signedIn(t, f)
	src := atlassian.NewTokens(f.client, st, atlassian.Hooks{})
	f.as.RevokeAccessTokens("acc-mia") // still valid by the clock, refused by Atlassian
	hc := &http.Client{Transport: &atlassian.Transport{Tokens: src, UserID: "u1"}}

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := hc.Get(f.url + "/me")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("after retry: HTTP %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := f.as.Stats().Refreshes; n != 1 {
		t.Errorf("emulator saw %d refreshes, want 1", n)
	}
}

func TestInvalidGrantMarksLost(t *testing.T) {
	f := newFixture(t)
	st := signedIn(t, f)
	var reasons []string
	src := atlassian.NewTokens(f.client, st, atlassian.Hooks{RefreshFailed: func(r string) { reasons = append(reasons, r) }})
	f.advance(366 * 24 * time.Hour) // past the family's 365-day life
	_, err := src.Token(context.Background(), "u1")
	if !atlassian.IsReconnect(err) || !errors.Is(err, atlassian.ErrInvalidGrant) || !strings.Contains(err.Error(), "Reconnect Jira") {
		t.Fatalf("err = %v, want reconnect wrapping invalid_grant", err)
	}
	if !st.g.Lost || !strings.Contains(st.g.LostReason, "invalid_grant") {
		t.Error("grant not marked lost")
	}
	before := f.as.Stats()
	// Never retried: the next call fails without asking Atlassian.
	if _, err := src.Token(context.Background(), "u1"); !atlassian.IsReconnect(err) {
		t.Fatalf("second call: %v", err)
	}
	if after := f.as.Stats(); after.RefreshFailures != before.RefreshFailures || after.Refreshes != before.Refreshes {
		t.Errorf("a lost grant was spent again: %+v → %+v", before, after)
	}
	if d := cmp.Diff([]string{"invalid_grant"}, reasons); d != "" {
		t.Errorf("failure hooks (-want +got):\n%s", d)
	}
	if _, err := src.Token(context.Background(), "someone-else"); !atlassian.IsReconnect(err) {
		t.Errorf("unknown user: %v, want reconnect", err)
	}
}

// TestTransportKeepsScopeMismatch: the gateway's "scope does not match" 401
// is passed on as it is — a refreshed token has the same scopes, so spending
// a refresh token on it would only rotate the family for nothing.
func TestTransportKeepsScopeMismatch(t *testing.T) {
	f := newFixture(t)
	narrow, err := atlassian.New(atlassian.Config{AuthURL: f.url, APIURL: f.url + "/", ClientID: "cid",
		ClientSecret: "csecret", RedirectURI: redirect, Scopes: []string{"read:jira-work", "offline_access"}, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.client = narrow
	st := signedIn(t, f)
	hc := &http.Client{Transport: &atlassian.Transport{Tokens: atlassian.NewTokens(narrow, st, atlassian.Hooks{}), UserID: "u1"}}

	resp, err := hc.Get(f.url + "/me") // /me needs read:me
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "scope does not match") {
		t.Fatalf("HTTP %d %s, want the gateway's scope 401 with its body intact", resp.StatusCode, body)
	}
	if n := f.as.Stats().Refreshes; n != 0 {
		t.Errorf("emulator saw %d refreshes for a scope mismatch, want 0", n)
	}
}
