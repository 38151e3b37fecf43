package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
)

// testOnce: a key is claimed once per user across handles (replicas), the
// first request's answer is what every repeat reads, another user's key is
// their own, and an expired key is free again.
func testOnce(t *testing.T, e *env) {
	ctx := context.Background()
	u, v := e.user("once"), e.user("once-other")
	body := sha256.Sum256([]byte(`{"summary":"Once"}`))
	expires := e.clock.Now().Add(24 * time.Hour)

	_, _, err := e.db.ClaimOnce(ctx, "nobody", "k", body[:], expires)
	wantErr(t, err, tm.ENOTFOUND, `no user with id "nobody"`)
	_, err = e.db.GetOnce(ctx, u.ID, "k")
	wantErr(t, err, tm.ENOTFOUND, "no once-only request under this key")

	// Eight requests at once, half through a second handle: one runs.
	replica := e.open(e.keys)
	var claimed atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		db := e.db
		if i%2 == 1 {
			db = replica
		}
		wg.Go(func() {
			rec, ok, err := db.ClaimOnce(ctx, u.ID, "k", body[:], expires)
			if err != nil {
				t.Errorf("claim %d: %v", i, err)
				return
			}
			if ok {
				claimed.Add(1)
			} else if !bytes.Equal(rec.BodyHash, body[:]) || rec.Done {
				t.Errorf("claim %d saw %+v while the first runs", i, rec)
			}
		})
	}
	wg.Wait()
	if n := claimed.Load(); n != 1 {
		t.Fatalf("%d of 8 concurrent claims ran the request; want exactly 1", n)
	}

	answer := tm.OnceAnswer{Status: 201, Header: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte(`{"key":"SPACE2-7"}`)}
	check(t, replica.FinishOnce(ctx, u.ID, "k", answer))
	wantErr(t, e.db.FinishOnce(ctx, u.ID, "k", answer), tm.ECONFLICT, "not waiting for its answer")
	rec, ok, err := e.db.ClaimOnce(ctx, u.ID, "k", body[:], expires)
	if err != nil || ok || !rec.Done {
		t.Fatalf("claim after the answer: %+v %v %v; want the finished record", rec, ok, err)
	}
	if diff := cmp.Diff(answer, rec.Answer); diff != "" {
		t.Errorf("the stored answer (-finished +read):\n%s", diff)
	}

	// The key is per user.
	if _, ok, err := e.db.ClaimOnce(ctx, v.ID, "k", body[:], expires); err != nil || !ok {
		t.Errorf("another user's claim of the same key: %v %v; want it claimed", ok, err)
	}

	// Once expired, the key is free again.
	e.clock.Advance(24*time.Hour + time.Second)
	_, err = e.db.GetOnce(ctx, u.ID, "k")
	wantErr(t, err, tm.ENOTFOUND, "no once-only request under this key")
	if _, ok, err := e.db.ClaimOnce(ctx, u.ID, "k", body[:], e.clock.Now().Add(time.Hour)); err != nil || !ok {
		t.Errorf("claim after expiry: %v %v; want it claimed", ok, err)
	}
}
