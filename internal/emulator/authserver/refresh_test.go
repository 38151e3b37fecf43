package authserver_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator/authserver"
)

const day = 24 * time.Hour

// refreshFails asserts the one answer Atlassian gives for every dead refresh token.
func (e *env) refreshFails(rt string) {
	e.t.Helper()
	status, out := e.token(refreshBody(rt), false)
	wantOAuthError(e.t, status, out, http.StatusForbidden, "invalid_grant", "Unknown or invalid refresh token.")
}

func TestRefreshRotatesAndOldTokenOutsideLeewayRevokesFamily(t *testing.T) {
	e := newEnv(t)
	p0 := e.signIn(allScopes)
	e.clock.Advance(time.Minute)
	p1 := e.mustToken(refreshBody(p0.refresh))
	if p1.refresh == p0.refresh || p1.access == p0.access || p1.scope != allScopes {
		t.Fatalf("refresh did not rotate: %+v after %+v", p1, p0)
	}
	// Rotation does not cut short the previous access token's hour.
	for _, at := range []string{p0.access, p1.access} {
		if _, ok := e.auth.Verify(at); !ok {
			t.Error("an access token died on rotation")
		}
	}
	e.clock.Advance(authserver.RefreshReuseLeeway)
	p2 := e.mustToken(refreshBody(p1.refresh))
	// p0 is two generations old: reuse, whatever the clock says.
	e.refreshFails(p0.refresh)
	e.refreshFails(p2.refresh)
	for _, at := range []string{p0.access, p1.access, p2.access} {
		if _, ok := e.auth.Verify(at); ok {
			t.Error("an access token of a revoked family still verifies")
		}
	}
	if s := e.auth.Stats(); s.Refreshes != 2 || s.RefreshFailures != 2 || s.FamiliesRevoked != 1 || s.ReuseInLeeway != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestPreviousRefreshTokenInsideLeewayIsTolerated(t *testing.T) {
	e := newEnv(t)
	p0 := e.signIn(allScopes)
	p1 := e.mustToken(refreshBody(p0.refresh))
	e.clock.Advance(authserver.RefreshReuseLeeway - time.Second)
	// A second worker still holding p0 gets a fresh pair in the same family.
	p1b := e.mustToken(refreshBody(p0.refresh))
	if p1b.refresh == p1.refresh || p1b.access == p1.access {
		t.Fatal("reuse inside the leeway returned the same pair")
	}
	// Both siblings of the current generation stay usable; using one
	// advances the family.
	p2 := e.mustToken(refreshBody(p1.refresh))
	e.mustToken(refreshBody(p1b.refresh)) // previous generation, inside its leeway
	if s := e.auth.Stats(); s.Refreshes != 4 || s.ReuseInLeeway != 2 || s.FamiliesRevoked != 0 {
		t.Errorf("stats = %+v", s)
	}
	// The leeway counts from the rotation, not from the last tolerated reuse.
	e.clock.Advance(authserver.RefreshReuseLeeway)
	e.refreshFails(p1.refresh)
	e.refreshFails(p2.refresh)
	if s := e.auth.Stats(); s.FamiliesRevoked != 1 {
		t.Errorf("FamiliesRevoked = %d, want 1", s.FamiliesRevoked)
	}
}

func TestRefreshTokenExpiresAfter90DaysInactivity(t *testing.T) {
	e := newEnv(t)
	p := e.signIn(allScopes)
	for range 3 { // each refresh resets the 90-day clock
		e.clock.Advance(89 * day)
		p = e.mustToken(refreshBody(p.refresh))
	}
	e.clock.Advance(90 * day)
	e.refreshFails(p.refresh)
	if s := e.auth.Stats(); s.FamiliesRevoked != 0 || s.RefreshFailures != 1 {
		t.Errorf("expiry is not revocation: stats = %+v", s)
	}
}

func TestFamilyExpires365DaysAfterConsentDespiteRefreshes(t *testing.T) {
	e := newEnv(t)
	p := e.signIn(allScopes)
	for range 12 {
		e.clock.Advance(30 * day)
		p = e.mustToken(refreshBody(p.refresh))
	}
	e.clock.Advance(5*day - time.Second) // 365 days minus a second after consent
	p = e.mustToken(refreshBody(p.refresh))
	e.clock.Advance(time.Second)
	e.refreshFails(p.refresh)
	// Consenting again starts a fresh family with a fresh year.
	fresh := e.signIn(allScopes)
	e.clock.Advance(89 * day)
	e.mustToken(refreshBody(fresh.refresh))
}

func TestRefreshTokenBelongsToItsClient(t *testing.T) {
	e := newEnv(t)
	p := e.signIn(allScopes)
	status, out := e.token(map[string]string{"grant_type": "refresh_token", "client_id": otherID, "client_secret": otherSecret, "refresh_token": p.refresh}, false)
	wantOAuthError(t, status, out, 403, "invalid_grant", "Unknown or invalid refresh token.")
	e.mustToken(refreshBody(p.refresh)) // not revoked by another client's attempt
	e.refreshFails("eyJhbGciOiJIUzI1NiJ9.e30.forged")
}

func TestConcurrentRefreshWithSameTokenAllSucceedInsideLeeway(t *testing.T) {
	e := newEnv(t)
	p0 := e.signIn(allScopes)
	const n = 50
	var wg sync.WaitGroup
	results := make([]pair, n)
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			status, out := e.token(refreshBody(p0.refresh), i%2 == 0)
			statuses[i] = status
			results[i] = pair{access: str(out["access_token"]), refresh: str(out["refresh_token"])}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range results {
		if statuses[i] != 200 || r.refresh == "" || seen[r.refresh] {
			t.Fatalf("request %d: %d, refresh token empty or repeated", i, statuses[i])
		}
		seen[r.refresh] = true
	}
	if s := e.auth.Stats(); s.Refreshes != n || s.ReuseInLeeway != n-1 || s.FamiliesRevoked != 0 {
		t.Errorf("stats = %+v, want %d refreshes, %d inside the leeway", s, n, n-1)
	}
	// After the leeway the shared token is reuse: the whole family dies,
	// including every pair just issued.
	e.clock.Advance(authserver.RefreshReuseLeeway)
	e.refreshFails(p0.refresh)
	for _, r := range results {
		if _, ok := e.auth.Verify(r.access); ok {
			t.Fatal("an access token survived the family's revocation")
		}
	}
	e.refreshFails(results[n-1].refresh)
}

func TestConcurrentCodeExchangeOnlyOneWinsAndReuseRevokesIt(t *testing.T) {
	e := newEnv(t)
	code := e.code(allScopes, "", "")
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	for range n {
		wg.Go(func() {
			if status, out := e.token(codeBody(code), false); status == 200 {
				mu.Lock()
				won = append(won, str(out["access_token"]))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d exchanges of one code succeeded, want 1", len(won))
	}
	if _, ok := e.auth.Verify(won[0]); ok {
		t.Error("the winner's token survived the code's reuse")
	}
	if s := e.auth.Stats(); s.CodeExchanges != 1 || s.CodeFailures != n-1 || s.FamiliesRevoked != 1 {
		t.Errorf("stats = %+v", s)
	}
}
