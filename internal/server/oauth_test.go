package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConnectAccept(t *testing.T) { testConnectAccept(t, envOptions{}) }

func testConnectAccept(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	b := e.browser()

	out := b.get("/")
	wantIn(t, "signed-out dashboard", out.Body, `href="/api/auth/jira/login"`, "Connect Jira")

	consent := b.startConnect()
	q, _ := url.Parse(consent.URL)
	want := url.Values{"audience": {"api.atlassian.com"}, "client_id": {e.sb.Creds.OAuth[0].ClientID},
		"scope":        {"read:jira-work write:jira-work read:jira-user read:me offline_access"},
		"redirect_uri": {e.URL + "/api/auth/jira/callback"}, "response_type": {"code"}, "prompt": {"consent"}}
	for k, v := range want {
		if got := q.Query().Get(k); got != v[0] {
			t.Errorf("authorize %s = %q, want %q", k, got, v[0])
		}
	}
	if st := q.Query().Get("state"); len(st) < 40 {
		t.Errorf("state %q is too short to be unguessable", st)
	}

	u := e.sb.Creds.Users[0]
	dash := b.decide(consent, "accept", u.AccountID, e.sb.Creds.Sites[0].CloudID)
	if dash.URL != e.URL+"/" || dash.Status != http.StatusOK {
		t.Fatalf("ended at %s (HTTP %d)", dash.URL, dash.Status)
	}
	wantIn(t, "dashboard after sign-in", dash.Body, "Jira connected. Signed in as \u2068"+u.DisplayName+"\u2069", "SPACE2", "Create a ticket", "offline_access")

	var me struct {
		User      struct{ AccountID, Email string }
		Connected bool
		Site      struct{ CloudID string }
		Token     struct {
			ConsentDaysLeft int
			Scopes          []string
		}
	}
	if st := b.api("GET", "/api/me", nil, &me); st != http.StatusOK {
		t.Fatalf("/api/me: HTTP %d", st)
	}
	if me.User.AccountID != u.AccountID || !me.Connected || me.Site.CloudID != e.sb.Creds.Sites[0].CloudID {
		t.Errorf("/api/me = %+v", me)
	}
	if me.Token.ConsentDaysLeft < 364 {
		t.Errorf("consent days left = %d, want 364 or 365", me.Token.ConsentDaysLeft)
	}
	if s := e.sb.E.Auth().Stats(); s.CodeExchanges != 1 {
		t.Errorf("code exchanges = %d, want 1", s.CodeExchanges)
	}
	// The session cookie is HttpOnly and Lax.
	for _, c := range strings.Split(strings.Join(dash.Header.Values("Set-Cookie"), "\n"), "\n") {
		if strings.HasPrefix(c, "tm_session=") && (!strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax")) {
			t.Errorf("session cookie %q lacks HttpOnly or SameSite=Lax", c)
		}
	}
}

func TestConnectDeny(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	p := b.decide(b.startConnect(), "deny", e.sb.Creds.Users[0].AccountID, "")
	if p.URL != e.URL+"/" || p.Status != http.StatusOK {
		t.Fatalf("deny ended at %s (HTTP %d)", p.URL, p.Status)
	}
	wantIn(t, "dashboard after deny", p.Body, "You declined access", "Connect Jira")
	if st := b.api("GET", "/api/me", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("after deny /api/me = HTTP %d, want 401", st)
	}
}

func TestCallbackStateChecks(t *testing.T) {
	e := newEnv(t, envOptions{})
	acct, site := e.sb.Creds.Users[0].AccountID, e.sb.Creds.Sites[0].CloudID

	t.Run("replayed", func(t *testing.T) {
		b := e.browser()
		b.decide(b.startConnect(), "accept", acct, site)
		p := b.get(b.callbackURL())
		if p.Status != http.StatusBadRequest {
			t.Fatalf("replayed callback: HTTP %d", p.Status)
		}
		wantIn(t, "replayed callback page", p.Body, "already used")
	})

	t.Run("mismatch", func(t *testing.T) {
		alice, mallory := e.browser(), e.browser()
		// Mallory gets a callback URL for her own consent but does not
		// open it; Alice, who started a sign-in of her own, is lured to it.
		consent := mallory.startConnect()
		mallory.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		back := mallory.decide(consent, "accept", acct, site)
		loc := back.Header.Get("Location")
		if !strings.Contains(loc, "/api/auth/jira/callback?") {
			t.Fatalf("consent redirected to %q", loc)
		}
		alice.startConnect()
		p := alice.get(loc)
		if p.Status != http.StatusBadRequest {
			t.Fatalf("foreign callback: HTTP %d", p.Status)
		}
		wantIn(t, "mismatch page", p.Body, "does not match the one this browser started")
		// A browser that never started a sign-in is refused too.
		fresh := e.browser()
		wantIn(t, "callback without a sign-in", fresh.get(loc).Body, "started in another browser")
		if st := alice.api("GET", "/api/me", nil, nil); st != http.StatusUnauthorized {
			t.Errorf("Alice got signed in by a foreign callback: /api/me HTTP %d", st)
		}
	})

	t.Run("expired", func(t *testing.T) {
		b := e.browser()
		consent := b.startConnect()
		e.Clock.Advance(11 * time.Minute)
		defer e.Clock.Advance(-11 * time.Minute)
		p := b.decide(consent, "accept", acct, site)
		if p.Status != http.StatusBadRequest {
			t.Fatalf("expired state: HTTP %d", p.Status)
		}
		wantIn(t, "expired state page", p.Body, "took longer than 10 minutes")
	})

	t.Run("reused code", func(t *testing.T) {
		b := e.browser()
		b.decide(b.startConnect(), "accept", acct, site)
		used, _ := url.Parse(b.callbackURL())
		// A new sign-in in the same browser, finished with the old code.
		consent := b.startConnect()
		q, _ := url.Parse(consent.URL)
		v := url.Values{"code": {used.Query().Get("code")}, "state": {q.Query().Get("state")}}
		before := e.sb.E.Auth().Stats().CodeFailures
		p := b.get("/api/auth/jira/callback?" + v.Encode())
		if p.Status != http.StatusBadRequest {
			t.Fatalf("reused code: HTTP %d\n%s", p.Status, p.Body)
		}
		wantIn(t, "reused code page", p.Body, "already used or has expired")
		if after := e.sb.E.Auth().Stats().CodeFailures; after != before+1 {
			t.Errorf("code failures %d → %d, want one more", before, after)
		}
	})
}

// TestFamilyExpiry moves the emulator past the 365-day family life: the
// next Jira call's refresh is refused and the user is asked to reconnect,
// and the dead refresh token is never spent again.
func TestFamilyExpiry(t *testing.T) { testFamilyExpiry(t, envOptions{}) }

func testFamilyExpiry(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	b := e.browser()
	b.connect(0, 0)
	e.sb.Clock.Advance(366 * 24 * time.Hour)

	var body map[string]any
	if st := b.api("GET", "/api/projects", nil, &body); st != http.StatusUnauthorized || body["reconnect"] != true {
		t.Fatalf("/api/projects after a year: HTTP %d %v", st, body)
	}
	wantIn(t, "error", body["error"].(string), "Reconnect Jira")
	stats := e.sb.E.Auth().Stats()
	if stats.RefreshFailures != 1 || stats.Refreshes != 0 {
		t.Errorf("stats %+v, want exactly one failed refresh", stats)
	}
	dash := b.get("/")
	wantIn(t, "dashboard", dash.Body, "Reconnect Jira", `href="/api/auth/jira/login"`)
	b.api("GET", "/api/projects", nil, nil)
	if again := e.sb.E.Auth().Stats(); again.RefreshFailures != 1 {
		t.Errorf("a lost grant was refreshed again: %+v", again)
	}
	// Reconnecting starts a new family and works again.
	e.sb.Clock.Advance(-366 * 24 * time.Hour)
	b.connect(0, 0)
	if st := b.api("GET", "/api/projects", nil, nil); st != http.StatusOK {
		t.Errorf("after reconnect /api/projects: HTTP %d", st)
	}
}

// TestRevokedGrant: the user removed the app at Atlassian; the refresh gets
// invalid_grant and the grant is marked lost.
func TestRevokedGrant(t *testing.T) { testRevokedGrant(t, envOptions{}) }

func testRevokedGrant(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	b := e.browser()
	b.connect(0, 0)
	e.sb.E.Auth().RevokeGrant(e.sb.Creds.Users[0].AccountID, e.sb.Creds.OAuth[0].ClientID)
	var body map[string]any
	if st := b.api("GET", "/api/projects", nil, &body); st != http.StatusUnauthorized || body["reconnect"] != true {
		t.Fatalf("/api/projects after revocation: HTTP %d %v", st, body)
	}
	var me struct{ Connected, Reconnect bool }
	b.api("GET", "/api/me", nil, &me)
	if me.Connected || !me.Reconnect {
		t.Errorf("/api/me after revocation = %+v, want reconnect", me)
	}
	wantIn(t, "metrics", b.get("/metrics").Body, `tm_oauth_refresh_failures_total{reason="invalid_grant"} 1`)
}

// TestEarly401 revokes the access token before its expiry: concurrent
// requests all succeed after exactly one refresh and one retry each.
func TestEarly401(t *testing.T) { testEarly401(t, envOptions{}) }

func testEarly401(t *testing.T, o envOptions) {
	e := newEnv(t, o)
	b := e.browser()
	b.connect(0, 0)
	e.sb.E.Auth().RevokeAccessTokens(e.sb.Creds.Users[0].AccountID)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if st := b.api("GET", "/api/projects", nil, nil); st != http.StatusOK {
				t.Errorf("/api/projects after early revocation: HTTP %d", st)
			}
		})
	}
	wg.Wait()
	if s := e.sb.E.Auth().Stats(); s.Refreshes != 1 || s.RefreshFailures != 0 {
		t.Errorf("stats %+v, want exactly one refresh", s)
	}
	wantIn(t, "metrics", b.get("/metrics").Body, "tm_oauth_refreshes_total 1")
}

// TestRefreshBeforeExpiry: near the end of the hour the token is renewed
// before use, without Jira ever seeing the old one refused.
func TestRefreshBeforeExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	e.Clock.Advance(57 * time.Minute)
	e.sb.Clock.Advance(57 * time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if st := b.api("GET", "/api/projects", nil, nil); st != http.StatusOK {
				t.Errorf("HTTP %d", st)
			}
		})
	}
	wg.Wait()
	if s := e.sb.E.Auth().Stats(); s.Refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", s.Refreshes)
	}
}
