package open_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestOpenAndComplete: tm open sends nothing; the keys it and view saw
// complete in the shell, projects too, without a request.
func TestOpenAndComplete(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.MustRun(t, "view", "SPACE2-2")
	w.MustRun(t, "view", "TEAM-1")
	w.S.E.ResetRequests()
	if out := w.MustRun(t, "open", "space2-5"); out != w.S.URL+"/browse/SPACE2-5\n" || len(w.Opened) != 1 || w.Opened[0] != w.S.URL+"/browse/SPACE2-5" {
		t.Errorf("open: %q, opened %v", out, w.Opened)
	}
	out := w.MustRun(t, "__complete", "view", "SP")
	if !strings.Contains(out, "SPACE2-5\nSPACE2-2\n") || strings.Contains(out, "TEAM-1") {
		t.Errorf("issue keys completed:\n%s", out)
	}
	out = w.MustRun(t, "__complete", "search", "--project", "")
	if !strings.Contains(out, "SPACE2\n") || !strings.Contains(out, "TEAM\n") {
		t.Errorf("project keys completed:\n%s", out)
	}
	if n := w.Requests(); n != 0 {
		t.Errorf("open and completion sent %v", w.S.E.Requests())
	}
	w.Fails(t, cli.ExitError, []string{"open", "what?"}, "not an issue key")
}
