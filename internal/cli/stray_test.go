package cli_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli"
)

// TestStrayArgumentsAfterAValue: words of an unquoted value are explained
// as such, with the quoted command to type, and exit 2.
func TestStrayArgumentsAfterAValue(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create-ticket", "-t", "Fix", "the", "login"}, `unexpected argument "the": quote values with spaces (-t "Fix the login")`},
		{[]string{"create-ticket", "-p", "SPACE2", "--title", "Crash", "on", "save", "--type", "Bug"}, `unexpected argument "on": quote values with spaces (--title "Crash on save")`},
		{[]string{"--debug", "create-ticket", "-d", "two", "words", "-t", "x"}, `unexpected argument "words": quote values with spaces (-d "two words")`},
	} {
		w := newWorld(t, map[string]string{})
		if code := cli.Run(w.F, tc.args); code != cli.ExitUsage {
			t.Errorf("tm %s: exit %d, want %d", strings.Join(tc.args, " "), code, cli.ExitUsage)
		}
		if !strings.Contains(w.Err.String(), tc.want) {
			t.Errorf("tm %s: stderr %q, want %q", strings.Join(tc.args, " "), w.Err, tc.want)
		}
	}
	w := newWorld(t, map[string]string{})
	cli.Run(w.F, []string{"ls-projects", "SPACE2"})
	if strings.Contains(w.Err.String(), "quote values") {
		t.Errorf("an argument after no value flag is explained as a split value: %q", w.Err)
	}
}
