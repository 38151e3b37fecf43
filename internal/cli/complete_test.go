package cli_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestCompletionOfValues: after one create has cached the project's create
// screen, --type, --priority and --component complete from it without a
// request, --assignee offers me, text flags offer no file names, and no
// description carries the backticks that name values in --help.
func TestCompletionOfValues(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.Create(t, "-p", "SPACE2", "-t", "Fills the cache", "--priority", "High")
	before := w.Requests()
	complete := func(args ...string) string {
		t.Helper()
		return w.MustRun(t, append([]string{"__complete", "create-ticket"}, args...)...)
	}
	if got := complete("-p", "SPACE2", "--type", ""); !strings.Contains(got, "Task\n") || !strings.Contains(got, "Bug\n") {
		t.Errorf("--type completes to:\n%s", got)
	}
	if got := complete("--priority", "H"); !strings.Contains(got, "High\n") || strings.Contains(got, "Low\n") {
		t.Errorf("--priority H completes to:\n%s", got)
	}
	if got := complete("--assignee", ""); !strings.HasPrefix(got, "me\t") {
		t.Errorf("--assignee completes to:\n%s", got)
	}
	for _, fl := range []string{"--title", "--type", "--priority", "--component", "--assignee", "--parent", "--label"} {
		if got := complete(fl, ""); !strings.Contains(got, ":4\n") {
			t.Errorf("%s may complete file names:\n%s", fl, got)
		}
	}
	if got := complete("--"); strings.Contains(got, "`") {
		t.Errorf("completion descriptions hold backticks:\n%s", got)
	}
	if n := w.Requests() - before; n != 0 {
		t.Errorf("completion sent %d requests to Jira", n)
	}
}
