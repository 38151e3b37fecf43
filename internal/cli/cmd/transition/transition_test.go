package transition_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestTransition: list, then move by transition name and by target status
// in any case, with a comment and a resolution on the way.
func TestTransition(t *testing.T) {
	for _, dc := range []bool{false, true} {
		w := tmtest.New(t, emulator.Options{DataCenter: dc})
		w.F.IO.SetTTY(false, true, false)
		out := w.MustRun(t, "transition", "SPACE2-4")
		for _, want := range []string{"TRANSITION", "Start Progress  In Progress", "Done"} {
			if !strings.Contains(out, want) {
				t.Errorf("list lacks %q:\n%s", want, out)
			}
		}
		var ts []tm.Transition
		_ = json.Unmarshal([]byte(w.MustRun(t, "transition", "SPACE2-4", "--json")), &ts)
		if len(ts) != 2 || ts[0].To != "In Progress" {
			t.Errorf("--json: %+v", ts)
		}
		if out := w.MustRun(t, "transition", "SPACE2-4", "start progress"); out != "SPACE2-4 → In Progress\n" {
			t.Errorf("by transition name: %q", out)
		}
		w.MustRun(t, "transition", "SPACE2-4", "IN REVIEW", "--comment", "Ready for **review**")
		w.MustRun(t, "transition", "SPACE2-4", "done", "--resolution", "Done")
		var is tm.Issue
		_ = json.Unmarshal([]byte(w.MustRun(t, "view", "SPACE2-4", "--json")), &is)
		if is.Status != "Done" || is.CommentCount != 1 {
			t.Errorf("dc=%v: after the moves: %s, %d comments", dc, is.Status, is.CommentCount)
		}
		w.Fails(t, cli.ExitError, []string{"transition", "SPACE2-4", "Launch"}, `SPACE2-4 cannot move to "Launch"`, "Available: Reopen (→ To Do)")
		w.Fails(t, cli.ExitError, []string{"transition", "SPACE2-999", "Done"}, "Issue SPACE2-999 does not exist")
		w.Fails(t, cli.ExitUsage, []string{"transition", "SPACE2-4", "--comment", "x"}, "--comment, --resolution and --field go with a STATUS")
	}
}

// TestTransitionForbidden: Alex may not transition in OPS.
func TestTransitionForbidden(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.Fails(t, cli.ExitError, []string{"transition", "OPS-1", "Done"}, "OPS-1 offers no transitions to you")
}
