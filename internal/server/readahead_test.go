package server

import (
	"context"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
)

// The grant read with the session stands in for one read of the same
// user's grant, early in the same request, and for nothing else.
func TestTakeGrant(t *testing.T) {
	newCtx := func(uid string) (context.Context, *readAhead) {
		ra := &readAhead{}
		ra.put(&tm.SessionGrant{UserID: uid, Grant: &tm.Grant{UserID: uid}})
		return context.WithValue(context.Background(), readAheadKey{}, ra), ra
	}
	ctx, _ := newCtx("u1")
	if sg := takeGrant(ctx, "u2"); sg != nil {
		t.Fatalf("another user's request took u1's grant: %+v", sg)
	}
	ctx, _ = newCtx("u1")
	if sg := takeGrant(ctx, "u1"); sg == nil || sg.Grant.UserID != "u1" {
		t.Fatalf("takeGrant = %+v, want u1's grant", sg)
	}
	if sg := takeGrant(ctx, "u1"); sg != nil {
		t.Fatal("the grant read with the session was used twice; a second use must read the database")
	}
	ctx, ra := newCtx("u1")
	ra.at = ra.at.Add(-readAheadFresh - time.Millisecond)
	if sg := takeGrant(ctx, "u1"); sg != nil {
		t.Fatal("a grant read longer ago than readAheadFresh was used")
	}
	if sg := takeGrant(context.Background(), "u1"); sg != nil {
		t.Fatal("a request without a read-ahead took a grant")
	}
}
