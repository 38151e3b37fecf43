package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
)

func newDevice(e *env, code string) *tm.DeviceAuth {
	e.t.Helper()
	d := &tm.DeviceAuth{DeviceCodeHash: sha256Hex("device-" + code), UserCode: code, Name: "tm", Host: "laptop",
		Scopes: []string{tm.TokenScopeRead, tm.TokenScopeWrite}, Interval: 5 * time.Second, ExpiresAt: e.clock.Now().Add(10 * time.Minute)}
	check(e.t, e.db.CreateDeviceAuth(context.Background(), d))
	return d
}

// testDeviceFlow walks a request from pending to a token: approval by one
// user, polls too fast and at the interval, and a single issue however
// many pollers race for it.
func testDeviceFlow(t *testing.T, e *env) {
	ctx := context.Background()
	mia, ben := e.user("mia"), e.user("ben")
	d := newDevice(e, "BCDFGHJK")

	got := must[*tm.DeviceAuth](t)(e.db.DeviceAuthByUserCode(ctx, "BCDFGHJK"))
	if got.State != tm.DevicePending || got.Name != "tm" || got.Host != "laptop" || got.Interval != 5*time.Second || got.UserID != "" {
		t.Fatalf("pending request: %+v", got)
	}
	_, err := e.db.DeviceAuthByUserCode(ctx, "ZZZZZZZZ")
	wantErr(t, err, tm.ENOTFOUND, "no sign-in request with this code")

	// First poll: pending, not too fast. A second one at once is too fast
	// and grows the interval by 5 s; one after the new interval is not.
	p, slow, err := e.db.PollDeviceAuth(ctx, d.DeviceCodeHash)
	check(t, err)
	if slow || p.State != tm.DevicePending {
		t.Fatalf("first poll: slow=%v %+v", slow, p)
	}
	e.clock.Advance(time.Second)
	if _, slow, _ = e.db.PollDeviceAuth(ctx, d.DeviceCodeHash); !slow {
		t.Fatal("a poll 1 s after the previous one (interval 5 s) is not too fast")
	}
	e.clock.Advance(6 * time.Second)
	if p, slow, _ = e.db.PollDeviceAuth(ctx, d.DeviceCodeHash); !slow || p.Interval != 10*time.Second {
		t.Fatalf("a poll 6 s later with the interval grown to 10 s: slow=%v interval=%s", slow, p.Interval)
	}
	e.clock.Advance(15 * time.Second) // the too-fast poll grew it again
	if _, slow, _ = e.db.PollDeviceAuth(ctx, d.DeviceCodeHash); slow {
		t.Fatal("a poll after the grown interval is too fast")
	}

	// A token cannot be issued before approval.
	err = e.db.IssueDeviceToken(ctx, d.DeviceCodeHash, sha256Hex("tok"), &tm.APIToken{ExpiresAt: e.clock.Now().Add(time.Hour)})
	wantErr(t, err, tm.ECONFLICT, "is pending, not approved")

	_, err = e.db.DecideDeviceAuth(ctx, "BCDFGHJK", mia.ID, true, []string{"admin"})
	wantErr(t, err, tm.EINVALID, `did not ask for the scope "admin"`)
	dec := must[*tm.DeviceAuth](t)(e.db.DecideDeviceAuth(ctx, "BCDFGHJK", mia.ID, true, []string{tm.TokenScopeRead}))
	if dec.State != tm.DeviceApproved || dec.UserID != mia.ID {
		t.Fatalf("approved: %+v", dec)
	}
	_, err = e.db.DecideDeviceAuth(ctx, "BCDFGHJK", ben.ID, false, nil)
	wantErr(t, err, tm.ECONFLICT, "already approved")

	// Eight pollers race for the approved request: exactly one gets a token.
	var wg sync.WaitGroup
	var mu sync.Mutex
	issued := []tm.APIToken{}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := &tm.APIToken{ExpiresAt: e.clock.Now().Add(30 * 24 * time.Hour)}
			if err := e.db.IssueDeviceToken(ctx, d.DeviceCodeHash, sha256Hex("tok-"+string(rune('a'+i))), tok); err == nil {
				mu.Lock()
				issued = append(issued, *tok)
				mu.Unlock()
			} else if tm.ErrorCode(err) != tm.ECONFLICT {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(issued) != 1 {
		t.Fatalf("%d tokens issued for one approval, want 1", len(issued))
	}
	tok := issued[0]
	if tok.UserID != mia.ID || tok.Host != "laptop" || !cmp.Equal(tok.Scopes, []string{tm.TokenScopeRead}) || tok.CanWrite() {
		t.Fatalf("issued token: %+v", tok)
	}
	list := must[[]tm.APIToken](t)(e.db.APITokens(ctx, mia.ID))
	if len(list) != 1 || list[0].ID != tok.ID {
		t.Fatalf("mia's tokens: %+v", list)
	}
	if other := must[[]tm.APIToken](t)(e.db.APITokens(ctx, ben.ID)); len(other) != 0 {
		t.Fatalf("ben sees tokens: %+v", other)
	}
}

// testDeviceDenyExpire covers a denied request and an expired one.
func testDeviceDenyExpire(t *testing.T, e *env) {
	ctx := context.Background()
	mia := e.user("mia")
	d := newDevice(e, "DENYDENY")
	dec := must[*tm.DeviceAuth](t)(e.db.DecideDeviceAuth(ctx, "DENYDENY", mia.ID, false, nil))
	if dec.State != tm.DeviceDenied {
		t.Fatalf("denied: %+v", dec)
	}
	p, _, err := e.db.PollDeviceAuth(ctx, d.DeviceCodeHash)
	check(t, err)
	if p.State != tm.DeviceDenied {
		t.Fatalf("poll after deny: %+v", p)
	}
	err = e.db.IssueDeviceToken(ctx, d.DeviceCodeHash, sha256Hex("x"), &tm.APIToken{ExpiresAt: e.clock.Now().Add(time.Hour)})
	wantErr(t, err, tm.ECONFLICT, "denied")

	late := newDevice(e, "LATELATE")
	e.clock.Advance(11 * time.Minute)
	_, err = e.db.DeviceAuthByUserCode(ctx, "LATELATE")
	wantErr(t, err, tm.ENOTFOUND, "may have expired")
	_, err = e.db.DecideDeviceAuth(ctx, "LATELATE", mia.ID, true, nil)
	wantErr(t, err, tm.ENOTFOUND, "may have expired")
	// The device still learns that its request expired.
	if p, _, err := e.db.PollDeviceAuth(ctx, late.DeviceCodeHash); err != nil || !e.clock.Now().After(p.ExpiresAt) {
		t.Fatalf("poll of an expired request: %+v, %v", p, err)
	}
	// A day after its expiry, the next new request clears it away.
	e.clock.Advance(24 * time.Hour)
	newDevice(e, "NEXTNEXT")
	_, _, err = e.db.PollDeviceAuth(ctx, late.DeviceCodeHash)
	wantErr(t, err, tm.ENOTFOUND, "no sign-in request with this code")
	if _, _, err := e.db.PollDeviceAuth(ctx, sha256Hex("device-NEXTNEXT")); err != nil {
		t.Fatalf("the new request: %v", err)
	}
}

// testAPITokens covers lookup by hash, expiry, revocation by its owner
// only, and use times.
func testAPITokens(t *testing.T, e *env) {
	ctx := context.Background()
	mia, ben := e.user("mia"), e.user("ben")
	issue := func(code string, life time.Duration) *tm.APIToken {
		d := newDevice(e, code)
		must[*tm.DeviceAuth](t)(e.db.DecideDeviceAuth(ctx, code, mia.ID, true, d.Scopes))
		tok := &tm.APIToken{ExpiresAt: e.clock.Now().Add(life)}
		check(t, e.db.IssueDeviceToken(ctx, d.DeviceCodeHash, sha256Hex("secret-"+code), tok))
		return tok
	}
	long, short := issue("LONGLONG", 30*24*time.Hour), issue("SHORTSHO", time.Hour)
	got := must[*tm.APIToken](t)(e.db.APITokenByHash(ctx, sha256Hex("secret-LONGLONG")))
	if got.ID != long.ID || got.UserID != mia.ID || !got.CanWrite() {
		t.Fatalf("token by hash: %+v", got)
	}
	_, err := e.db.APITokenByHash(ctx, sha256Hex("secret-NOTATOKN"))
	wantErr(t, err, tm.ENOTFOUND, "no such token")

	at := e.clock.Now().Add(time.Minute)
	check(t, e.db.TouchAPIToken(ctx, long.ID, at))
	if got := must[*tm.APIToken](t)(e.db.APITokenByHash(ctx, sha256Hex("secret-LONGLONG"))); !got.LastUsedAt.Equal(at) {
		t.Fatalf("last used %s, want %s", got.LastUsedAt, at)
	}

	e.clock.Advance(2 * time.Hour)
	_, err = e.db.APITokenByHash(ctx, sha256Hex("secret-SHORTSHO"))
	wantErr(t, err, tm.ENOTFOUND, "expired")
	if list := must[[]tm.APIToken](t)(e.db.APITokens(ctx, mia.ID)); len(list) != 1 || list[0].ID != long.ID {
		t.Fatalf("live tokens after one expired: %+v (short was %s)", list, short.ID)
	}

	// Only the owner revokes; revoking twice says so.
	wantErr(t, e.db.RevokeAPIToken(ctx, ben.ID, long.ID), tm.ENOTFOUND, "no such token")
	check(t, e.db.RevokeAPIToken(ctx, mia.ID, long.ID))
	wantErr(t, e.db.RevokeAPIToken(ctx, mia.ID, long.ID), tm.ENOTFOUND, "revoked already")
	_, err = e.db.APITokenByHash(ctx, sha256Hex("secret-LONGLONG"))
	wantErr(t, err, tm.ENOTFOUND, "revoked")
}
