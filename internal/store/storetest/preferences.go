package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
)

// testFormChoices: the create form's last choices are kept per user and
// per site, replaced by the next save, and read by every replica.
func testFormChoices(t *testing.T, e *env) {
	ctx := context.Background()
	err := e.db.SaveFormChoices(ctx, tm.FormChoices{UserID: "nobody", CloudID: "c1", Project: "SPACE2"})
	wantErr(t, err, tm.ENOTFOUND, `no user with id "nobody"`)
	err = e.db.SaveFormChoices(ctx, tm.FormChoices{UserID: "x", CloudID: "c1", Project: " "})
	wantErr(t, err, tm.EINVALID, "need a user id, a cloud id and a project")
	u, v := e.user("choices"), e.user("choices-other")
	_, err = e.db.FormChoices(ctx, u.ID, "c1")
	wantErr(t, err, tm.ENOTFOUND, "no form choices remembered for this site")

	first := tm.FormChoices{UserID: u.ID, CloudID: "c1", Project: "SPACE2", Type: "Bug", Priority: "High", UpdatedAt: e.clock.Now()}
	check(t, e.db.SaveFormChoices(ctx, first))
	check(t, e.db.SaveFormChoices(ctx, tm.FormChoices{UserID: u.ID, CloudID: "c2", Project: "WEB", Type: "Story"}))
	check(t, e.db.SaveFormChoices(ctx, tm.FormChoices{UserID: v.ID, CloudID: "c1", Project: "OPS", Type: "Task"}))
	replica := e.open(e.keys)
	if diff := cmp.Diff(&first, must[*tm.FormChoices](t)(replica.FormChoices(ctx, u.ID, "c1"))); diff != "" {
		t.Fatalf("FormChoices on c1 (-saved +read):\n%s", diff)
	}
	if got := must[*tm.FormChoices](t)(e.db.FormChoices(ctx, u.ID, "c2")); got.Project != "WEB" || got.Type != "Story" || got.Priority != "" {
		t.Fatalf("FormChoices on c2 = %+v, want WEB, Story, no priority", got)
	}
	if got := must[*tm.FormChoices](t)(e.db.FormChoices(ctx, v.ID, "c1")); got.Project != "OPS" {
		t.Fatalf("another user's choices on c1 = %+v, want OPS", got)
	}

	// The next save replaces every choice, clearing one left empty.
	e.clock.Advance(time.Minute)
	check(t, e.db.SaveFormChoices(ctx, tm.FormChoices{UserID: u.ID, CloudID: "c1", Project: "TEAM", Type: "Task"}))
	want := &tm.FormChoices{UserID: u.ID, CloudID: "c1", Project: "TEAM", Type: "Task", UpdatedAt: e.clock.Now()}
	if diff := cmp.Diff(want, must[*tm.FormChoices](t)(e.db.FormChoices(ctx, u.ID, "c1"))); diff != "" {
		t.Fatalf("after a second save (-want +got):\n%s", diff)
	}
	if got := must[*tm.FormChoices](t)(e.db.FormChoices(ctx, v.ID, "c1")); got.Project != "OPS" {
		t.Fatalf("u's save changed v's choices to %+v", got)
	}
}
