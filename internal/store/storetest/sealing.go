package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/store"
)

// rawTokens reads a grant's token columns as stored.
func rawTokens(t testing.TB, db *store.DB, userID string) (access, refresh string) {
	t.Helper()
	check(t, db.SQL().QueryRowContext(context.Background(),
		`SELECT access_token, refresh_token FROM grants WHERE user_id = $1`, userID).Scan(&access, &refresh))
	return access, refresh
}

func testSealedAtRest(t *testing.T, e *env) {
	u := e.user("sealed")
	e.grant(u)
	access, refresh := rawTokens(t, e.db, u.ID)
	for col, raw := range map[string]string{"access_token": access, "refresh_token": refresh} {
		plain := col[:strings.IndexByte(col, '_')] + "-sealed-0"
		if raw == "" || raw == plain || strings.Contains(raw, plain) || strings.Contains(raw, "sealed-0") {
			t.Fatalf("%s is stored as %q, which reveals %q", col, raw, plain)
		}
		if !strings.HasPrefix(raw, "v1:"+e.keys.PrimaryID()+":") {
			t.Fatalf("%s is stored as %q, not sealed with the primary key", col, raw)
		}
	}
	// Two seals of one value differ (fresh nonces).
	e.grant(u)
	if again, _ := rawTokens(t, e.db, u.ID); again == access {
		t.Fatal("sealing the same token twice gave the same text")
	}
}

func testAADBinding(t *testing.T, e *env) {
	ctx := context.Background()
	a, b := e.user("aad-a"), e.user("aad-b")
	e.grant(a)
	e.grant(b)
	// Copy Alice's sealed access token into Bob's row, at the SQL level.
	_, err := e.db.SQL().ExecContext(ctx,
		`UPDATE grants SET access_token = (SELECT access_token FROM grants WHERE user_id = $1) WHERE user_id = $2`, a.ID, b.ID)
	check(t, err)
	_, err = e.db.GetGrant(ctx, b.ID)
	wantErr(t, err, tm.EINTERNAL, fmt.Sprintf("the stored access_token of user %q cannot be decrypted", b.ID))
	errIs(t, err, secret.ErrAuth)
	if strings.Contains(err.Error(), "access-aad-a") {
		t.Fatalf("the error reveals the token: %q", err)
	}
	// Bob's lock cannot read it either.
	err = e.db.WithGrantLock(ctx, b.ID, func(context.Context, *tm.Grant) (*tm.Grant, error) {
		t.Error("fn ran on a grant that does not open")
		return nil, nil
	})
	errIs(t, err, secret.ErrAuth)

	// Swapping the columns within one row fails the same way.
	_, err = e.db.SQL().ExecContext(ctx,
		`UPDATE grants SET access_token = refresh_token, refresh_token = access_token WHERE user_id = $1`, a.ID)
	check(t, err)
	_, err = e.db.GetGrant(ctx, a.ID)
	wantErr(t, err, tm.EINTERNAL, "cannot be decrypted")
	errIs(t, err, secret.ErrAuth)
}

func testKeyRotation(t *testing.T, e *env) {
	ctx := context.Background()
	u, idle := e.user("rotate"), e.user("rotate-idle")
	g := e.grant(u) // sealed with the first key
	idleGrant := e.grant(idle)
	oldAccess, _ := rawTokens(t, e.db, u.ID)

	oldKey := e.keys.PrimaryID()
	newKey := NewKey(t)
	// The old key is still needed to open what it sealed.
	forgotten := e.open(NewKeyring(t, newKey))
	_, err := forgotten.GetGrant(ctx, u.ID)
	wantErr(t, err, tm.EINTERNAL, fmt.Sprintf("names key id %q", oldKey))
	errIs(t, err, secret.ErrUnknownKey)

	// Add a new primary key, keep the old one: old values still open.
	rotated := NewKeyring(t, newKey, e.key)
	db := e.open(rotated)
	got := must[*tm.Grant](t)(db.GetGrant(ctx, u.ID))
	if got.AccessToken != g.AccessToken || got.RefreshToken != g.RefreshToken {
		t.Fatalf("after rotation read %q/%q", got.AccessToken.Reveal(), got.RefreshToken.Reveal())
	}
	if !rotated.NeedsReseal(oldAccess) {
		t.Fatal("a value sealed with the old key does not need resealing")
	}
	// The next write seals with the new primary key.
	must[*tm.Grant](t)(db.UpdateGrantTokens(ctx, u.ID, got.Version, tm.TokenSet{AccessToken: "access-rotated", RefreshToken: "refresh-rotated", ExpiresAt: e.clock.Now()}))
	access, refresh := rawTokens(t, db, u.ID)
	for _, raw := range []string{access, refresh} {
		if !strings.HasPrefix(raw, "v1:"+newKey.ID+":") {
			t.Fatalf("written after rotation as %q, not under the new key %q", raw, newKey.ID)
		}
	}
	// The idle grant is still under the old key until it is resealed,
	// without moving its version (a refresher may hold it).
	_, err = forgotten.GetGrant(ctx, idle.ID)
	errIs(t, err, secret.ErrUnknownKey)
	if n := must[int](t)(db.ResealGrants(ctx)); n != 1 {
		t.Fatalf("ResealGrants rewrote %d grants, want 1 (the idle one)", n)
	}
	if n := must[int](t)(db.ResealGrants(ctx)); n != 0 {
		t.Fatalf("a second ResealGrants rewrote %d grants, want 0", n)
	}

	// Now the new key alone suffices.
	if got := must[*tm.Grant](t)(forgotten.GetGrant(ctx, u.ID)); got.AccessToken != "access-rotated" {
		t.Fatalf("new-key-only store read %q", got.AccessToken.Reveal())
	}
	resealed := must[*tm.Grant](t)(forgotten.GetGrant(ctx, idle.ID))
	if diff := cmp.Diff(idleGrant, resealed); diff != "" {
		t.Fatalf("resealing changed the idle grant (-before +after):\n%s", diff)
	}
}

// testCheckKeys: CheckKeys says how many stored grants a keyring opens,
// how many wait for a reseal, and which key ids it lacks.
func testCheckKeys(t *testing.T, e *env) {
	ctx := context.Background()
	if kc := must[store.KeyCheck](t)(e.db.CheckKeys(ctx)); kc.Grants != 0 || kc.Opened != 0 {
		t.Fatalf("empty database: %+v", kc)
	}
	e.grant(e.user("one"))
	e.grant(e.user("two"))
	if kc := must[store.KeyCheck](t)(e.db.CheckKeys(ctx)); kc.Grants != 2 || kc.Opened != 2 || kc.OldKey != 0 || kc.Unopened() != 0 {
		t.Fatalf("with its own key: %+v", kc)
	}
	newKey := NewKey(t)
	other := e.open(NewKeyring(t, newKey))
	kc := must[store.KeyCheck](t)(other.CheckKeys(ctx))
	if kc.Grants != 2 || kc.Opened != 0 || len(kc.UnknownID) != 1 || kc.UnknownID[0] != e.keys.PrimaryID() {
		t.Fatalf("with another key: %+v; want nothing opened and the missing key id %q", kc, e.keys.PrimaryID())
	}
	rotated := e.open(NewKeyring(t, newKey, e.key))
	if kc := must[store.KeyCheck](t)(rotated.CheckKeys(ctx)); kc.Opened != 2 || kc.OldKey != 2 {
		t.Fatalf("during a rotation: %+v; want both opened, both under the old key", kc)
	}
	must[int](t)(rotated.ResealGrants(ctx))
	if kc := must[store.KeyCheck](t)(other.CheckKeys(ctx)); kc.Opened != 2 || kc.OldKey != 0 || len(kc.UnknownID) != 0 {
		t.Fatalf("after the reseal, the new key alone: %+v", kc)
	}
}
