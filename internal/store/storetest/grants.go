package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
)

func testGrantCRUD(t *testing.T, e *env) {
	ctx := context.Background()
	u := e.user("crud")
	_, err := e.db.GetGrant(ctx, u.ID)
	wantErr(t, err, tm.ENOTFOUND, fmt.Sprintf("user %q has not connected Atlassian", u.ID))

	start := e.clock.Now()
	g := e.grant(u)
	got := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	want := &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{
		AccessToken: "access-crud-0", RefreshToken: "refresh-crud-0", TokenType: "Bearer",
		Scopes: []string{"read:jira-work", "write:jira-work", "offline_access"}, ExpiresAt: start.Add(time.Hour),
	}, FamilyStartedAt: start, Version: g.Version}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("GetGrant after SaveGrant (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, g); diff != "" {
		t.Fatalf("SaveGrant did not fill in the stored grant (-stored +saved):\n%s", diff)
	}

	// Consent again: a new family replaces the old one, the version moves
	// on, a lost mark is cleared and the site selection kept.
	check(t, e.db.ReplaceSites(ctx, u.ID, []tm.Site{{CloudID: "c1", Name: "One"}}))
	must[*tm.Grant](t)(e.db.MarkGrantLost(ctx, u.ID, g.Version, "invalid_grant"))
	e.clock.Advance(24 * time.Hour)
	again := &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{AccessToken: "access-crud-new", RefreshToken: "refresh-crud-new", ExpiresAt: e.clock.Now().Add(time.Hour)}}
	check(t, e.db.SaveGrant(ctx, again))
	got = must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	if got.AccessToken != "access-crud-new" || got.Lost || got.SelectedCloudID != "c1" ||
		!got.FamilyStartedAt.Equal(e.clock.Now()) || got.Version <= g.Version+1 {
		t.Fatalf("after consenting again: %+v (first version %d)", got, g.Version)
	}

	check(t, e.db.DeleteGrant(ctx, u.ID))
	_, err = e.db.GetGrant(ctx, u.ID)
	wantErr(t, err, tm.ENOTFOUND, "has not connected Atlassian")
	if sites := must[[]tm.Site](t)(e.db.Sites(ctx, u.ID)); len(sites) != 0 {
		t.Fatalf("sites survived disconnecting: %v", sites)
	}
	check(t, e.db.DeleteGrant(ctx, u.ID)) // disconnecting twice is fine

	// A grant saved after a delete never reuses a version a stale writer may hold.
	stale := got.Version
	g2 := e.grant(u)
	if g2.Version <= stale {
		t.Fatalf("version after delete and save = %d, not above the old %d", g2.Version, stale)
	}
	_, err = e.db.UpdateGrantTokens(ctx, u.ID, stale, tm.TokenSet{AccessToken: "x", ExpiresAt: e.clock.Now()})
	wantErr(t, err, tm.ECONFLICT, "changed underneath")
}

func testGrantValidation(t *testing.T, e *env) {
	ctx := context.Background()
	u := e.user("valid")
	exp := e.clock.Now().Add(time.Hour)
	tests := []struct {
		name string
		g    *tm.Grant
		code string
		want string
	}{
		{"nil", nil, tm.EINVALID, "a grant needs a user id"},
		{"no user id", &tm.Grant{TokenSet: tm.TokenSet{AccessToken: "a", ExpiresAt: exp}}, tm.EINVALID, "a grant needs a user id"},
		{"no access token", &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{ExpiresAt: exp}}, tm.EINVALID, "a grant needs an access token"},
		{"no expiry", &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{AccessToken: "a"}}, tm.EINVALID, "the access token's expiry time"},
		{"unknown user", &tm.Grant{UserID: "nobody", TokenSet: tm.TokenSet{AccessToken: "a", ExpiresAt: exp}}, tm.ENOTFOUND, `no user with id "nobody"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.db.SaveGrant(ctx, tt.g), tt.code, tt.want)
		})
	}
	g := e.grant(u)
	_, err := e.db.UpdateGrantTokens(ctx, u.ID, g.Version, tm.TokenSet{ExpiresAt: exp})
	wantErr(t, err, tm.EINVALID, "a grant needs an access token")
	_, err = e.db.UpdateGrantTokens(ctx, "nobody", 1, tm.TokenSet{AccessToken: "a", ExpiresAt: exp})
	wantErr(t, err, tm.ENOTFOUND, `user "nobody" has not connected Atlassian`)
	_, err = e.db.MarkGrantLost(ctx, "nobody", 1, "")
	wantErr(t, err, tm.ENOTFOUND, `user "nobody" has not connected Atlassian`)
}

func testCompareAndSwap(t *testing.T, e *env) {
	ctx := context.Background()
	u := e.user("cas")
	g := e.grant(u)
	e.clock.Advance(time.Minute)
	rotated := tm.TokenSet{AccessToken: "access-cas-1", RefreshToken: "refresh-cas-1", TokenType: "Bearer",
		Scopes: []string{"read:jira-work"}, ExpiresAt: e.clock.Now().Add(time.Hour)}
	got := must[*tm.Grant](t)(e.db.UpdateGrantTokens(ctx, u.ID, g.Version, rotated))
	if got.Version != g.Version+1 || got.AccessToken != "access-cas-1" || got.RefreshToken != "refresh-cas-1" ||
		!got.RefreshedAt.Equal(e.clock.Now()) || !got.FamilyStartedAt.Equal(g.FamilyStartedAt) || !slices.Equal(got.Scopes, rotated.Scopes) {
		t.Fatalf("after rotation: %+v", got)
	}
	if stored := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)); !cmp.Equal(stored, got) {
		t.Fatalf("stored grant differs from the returned one:\n%s", cmp.Diff(got, stored))
	}

	// The same write with the old version is refused and changes nothing.
	_, err := e.db.UpdateGrantTokens(ctx, u.ID, g.Version, tm.TokenSet{AccessToken: "access-cas-stale", ExpiresAt: e.clock.Now()})
	wantErr(t, err, tm.ECONFLICT, fmt.Sprintf("version %d expected, %d stored", g.Version, got.Version))
	if stored := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)); stored.AccessToken != "access-cas-1" {
		t.Fatalf("a refused write changed the access token to %q", stored.AccessToken.Reveal())
	}

	// No refresh token in the response: keep the stored one.
	got = must[*tm.Grant](t)(e.db.UpdateGrantTokens(ctx, u.ID, got.Version, tm.TokenSet{AccessToken: "access-cas-2", ExpiresAt: e.clock.Now().Add(time.Hour)}))
	if got.RefreshToken != "refresh-cas-1" || got.AccessToken != "access-cas-2" {
		t.Fatalf("after an update without refresh token: access %q refresh %q", got.AccessToken.Reveal(), got.RefreshToken.Reveal())
	}
}

// testConcurrentCAS races writers holding the same version: one wins.
func testConcurrentCAS(t *testing.T, e *env) {
	ctx := context.Background()
	u := e.user("race")
	g := e.grant(u)
	other := e.open(e.keys)
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		db := e.db
		if i%2 == 1 {
			db = other
		}
		wg.Go(func() {
			_, err := db.UpdateGrantTokens(ctx, u.ID, g.Version, tm.TokenSet{AccessToken: tm.Secret(fmt.Sprint("access-", i)), ExpiresAt: e.clock.Now()})
			switch tm.ErrorCode(err) {
			case "":
				wins.Add(1)
			case tm.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 15 {
		t.Fatalf("%d writers won and %d conflicted; want 1 and 15", wins.Load(), conflicts.Load())
	}
	if got := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)); got.Version != g.Version+1 {
		t.Fatalf("version = %d, want %d", got.Version, g.Version+1)
	}
}

func testMarkGrantLost(t *testing.T, e *env) {
	ctx := context.Background()
	u := e.user("lost")
	g := e.grant(u)
	e.clock.Advance(time.Minute)
	lost := must[*tm.Grant](t)(e.db.MarkGrantLost(ctx, u.ID, g.Version, ""))
	if !lost.Lost || lost.LostReason != "invalid_grant" || !lost.LostAt.Equal(e.clock.Now()) || lost.Version != g.Version+1 {
		t.Fatalf("after MarkGrantLost: %+v", lost)
	}
	// A refresher that lost the race must not mark a freshly rotated grant lost.
	_, err := e.db.MarkGrantLost(ctx, u.ID, g.Version, "invalid_grant")
	wantErr(t, err, tm.ECONFLICT, "reload the grant")
	// A successful rotation clears the mark.
	ok := must[*tm.Grant](t)(e.db.UpdateGrantTokens(ctx, u.ID, lost.Version, tm.TokenSet{AccessToken: "a", RefreshToken: "r", ExpiresAt: e.clock.Now().Add(time.Hour)}))
	if ok.Lost || ok.LostReason != "" || !ok.LostAt.IsZero() {
		t.Fatalf("a rotation left the grant lost: %+v", ok)
	}
}

// testIsolation: one user's id never reaches another user's grant.
func testIsolation(t *testing.T, e *env) {
	ctx := context.Background()
	a, b := e.user("alice"), e.user("bob")
	ga := e.grant(a)

	// Bob has no grant: Alice's version does not let a write through.
	_, err := e.db.UpdateGrantTokens(ctx, b.ID, ga.Version, tm.TokenSet{AccessToken: "evil", ExpiresAt: e.clock.Now()})
	wantErr(t, err, tm.ENOTFOUND, fmt.Sprintf("user %q has not connected Atlassian", b.ID))
	_, err = e.db.GetGrant(ctx, b.ID)
	wantErr(t, err, tm.ENOTFOUND, "has not connected Atlassian")

	gb := e.grant(b)
	must[*tm.Grant](t)(e.db.UpdateGrantTokens(ctx, b.ID, gb.Version, tm.TokenSet{AccessToken: "access-bob-1", ExpiresAt: e.clock.Now()}))
	// Locking Bob's grant sees Bob's tokens, and cannot be used to write Alice's.
	err = e.db.WithGrantLock(ctx, b.ID, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		if g.UserID != b.ID || g.AccessToken != "access-bob-1" {
			t.Errorf("lock on Bob's grant saw %q of user %q", g.AccessToken.Reveal(), g.UserID)
		}
		g.UserID = a.ID
		g.AccessToken = "evil"
		return g, nil
	})
	wantErr(t, err, tm.EINVALID, fmt.Sprintf("the grant lock of user %q cannot store a grant of user %q", b.ID, a.ID))
	_, err = e.db.MarkGrantLost(ctx, b.ID, must[*tm.Grant](t)(e.db.GetGrant(ctx, b.ID)).Version, "test")
	check(t, err)
	check(t, e.db.DeleteGrant(ctx, b.ID))

	got := must[*tm.Grant](t)(e.db.GetGrant(ctx, a.ID))
	if diff := cmp.Diff(ga, got); diff != "" {
		t.Fatalf("Alice's grant changed through Bob's id (-before +after):\n%s", diff)
	}
}

func testGrantLock(t *testing.T, e *env) {
	ctx := context.Background()
	err := e.db.WithGrantLock(ctx, "nobody", func(context.Context, *tm.Grant) (*tm.Grant, error) {
		t.Error("fn ran without a grant")
		return nil, nil
	})
	wantErr(t, err, tm.ENOTFOUND, `user "nobody" has not connected Atlassian`)

	u := e.user("lock")
	g := e.grant(u)

	// An error from fn comes back as it is, and nothing is stored.
	boom := errors.New("token endpoint unreachable")
	err = e.db.WithGrantLock(ctx, u.ID, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.AccessToken = "never stored"
		return g, boom
	})
	errIs(t, err, boom)
	// nil stores nothing.
	check(t, e.db.WithGrantLock(ctx, u.ID, func(context.Context, *tm.Grant) (*tm.Grant, error) { return nil, nil }))
	if got := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)); !cmp.Equal(got, g) {
		t.Fatalf("grant changed by a lock that stored nothing:\n%s", cmp.Diff(g, got))
	}

	// A returned grant is stored and gets its new version.
	e.clock.Advance(time.Minute)
	var out *tm.Grant
	check(t, e.db.WithGrantLock(ctx, u.ID, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.AccessToken, g.RefreshToken, g.ExpiresAt = "access-lock-1", "refresh-lock-1", e.clock.Now().Add(time.Hour)
		out = g
		return g, nil
	}))
	stored := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	if out.Version != g.Version+1 || !cmp.Equal(stored, out) || !stored.RefreshedAt.Equal(e.clock.Now()) {
		t.Fatalf("after the locked write: stored %+v, returned %+v", stored, out)
	}

	// Marking the grant lost under the lock, so a waiting refresher sees it.
	check(t, e.db.WithGrantLock(ctx, u.ID, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.Lost = true
		return g, nil
	}))
	stored = must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	if !stored.Lost || stored.LostReason != "invalid_grant" || !stored.RefreshedAt.Equal(out.RefreshedAt) {
		t.Fatalf("after marking lost under the lock: %+v", stored)
	}

	// A cancelled context stops a caller queued behind the lock.
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- e.db.WithGrantLock(ctx, u.ID, func(context.Context, *tm.Grant) (*tm.Grant, error) {
			close(held)
			<-release
			return nil, nil
		})
	}()
	<-held
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = e.db.WithGrantLock(cctx, u.ID, func(context.Context, *tm.Grant) (*tm.Grant, error) {
		t.Error("fn ran while another caller held the lock")
		return nil, nil
	})
	close(release)
	errIs(t, err, context.DeadlineExceeded)
	if !strings.Contains(err.Error(), "wait for the grant lock") {
		t.Fatalf("error %q does not say what it waited for", err)
	}
	check(t, <-done)
}

// authServer plays Atlassian's token endpoint for the refresh tests: each
// refresh token may be spent once, and spending it yields the next pair.
type authServer struct {
	mu        sync.Mutex
	spent     map[tm.Secret]int
	refreshes int
}

func (a *authServer) refresh(rt tm.Secret) (tm.Secret, tm.Secret) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.spent[rt]++
	a.refreshes++
	n := a.refreshes
	return tm.Secret(fmt.Sprint("access-", n)), tm.Secret(fmt.Sprint("refresh-", n))
}

// testGrantLockTwoProcesses: two handles on one database (two server
// processes), 20 goroutines each, all finding the access token expired at
// once. Exactly one refresh may happen; everyone else must reuse its result.
func testGrantLockTwoProcesses(t *testing.T, e *env) {
	ctx := context.Background()
	u := e.user("twoproc")
	g := e.grant(u)
	e.clock.Advance(2 * time.Hour) // the access token has expired
	procs := []interface {
		WithGrantLock(context.Context, string, func(context.Context, *tm.Grant) (*tm.Grant, error)) error
	}{e.db, e.open(e.keys)}

	auth := &authServer{spent: map[tm.Secret]int{}}
	const perProcess = 20
	seen := make(chan tm.Secret, 2*perProcess)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range procs {
		for range perProcess {
			wg.Go(func() {
				<-start
				err := p.WithGrantLock(ctx, u.ID, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
					if g.ExpiresAt.After(e.clock.Now()) {
						seen <- g.AccessToken // someone refreshed: reuse
						return nil, nil
					}
					time.Sleep(5 * time.Millisecond) // the token endpoint's round trip
					g.AccessToken, g.RefreshToken = auth.refresh(g.RefreshToken)
					g.ExpiresAt = e.clock.Now().Add(time.Hour)
					seen <- g.AccessToken
					return g, nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(seen)

	if auth.refreshes != 1 {
		t.Fatalf("%d refreshes happened, want exactly 1", auth.refreshes)
	}
	for rt, n := range auth.spent {
		if n > 1 {
			t.Fatalf("refresh token %s was spent %d times", rt, n)
		}
	}
	count := 0
	for a := range seen {
		count++
		if a != "access-1" {
			t.Fatalf("a caller used %q, not the refreshed token", a.Reveal())
		}
	}
	if count != 2*perProcess {
		t.Fatalf("%d callers finished, want %d", count, 2*perProcess)
	}
	got := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	if got.Version != g.Version+1 || got.RefreshToken != "refresh-1" {
		t.Fatalf("stored after the race: version %d (want %d), refresh token %q", got.Version, g.Version+1, got.RefreshToken.Reveal())
	}
}
