package progress_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/progress"
)

func wait(t *testing.T, ios *iostreams.IOStreams, label string, d time.Duration, steps ...string) string {
	t.Helper()
	_, _, _, errOut := iostreams.Test()
	ios.ErrOut = errOut
	ctx, done := progress.Begin(context.Background(), ios, label)
	for _, s := range steps {
		progress.Step(ctx, s)
	}
	time.Sleep(d)
	done()
	done() // a second stop is harmless
	return errOut.String()
}

func TestSpinnerOnlyOnATerminal(t *testing.T) {
	old := progress.Delay
	progress.Delay = 20 * time.Millisecond
	t.Cleanup(func() { progress.Delay = old })

	piped, _, _, _ := iostreams.Test()
	if got := wait(t, piped, "Creating ticket…", 80*time.Millisecond); got != "" {
		t.Errorf("piped stderr got %q, want nothing", got)
	}

	tty, _, _, _ := iostreams.Test()
	tty.SetTTY(true, true, true)
	got := wait(t, tty, "Connecting to Jira…", 80*time.Millisecond, "Reading SPACE2's create screen…")
	if !strings.Contains(got, "⠋ Reading SPACE2's create screen…") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("TTY stderr = %q, want the named step animated and the line cleared at the end", got)
	}
	if got := wait(t, tty, "Creating ticket…", 0); got != "" {
		t.Errorf("a wait shorter than the delay printed %q", got)
	}

	dumb, _, _, _ := iostreams.Test()
	dumb.SetTTY(true, true, true)
	dumb.SetColorDisabled(true)
	got = wait(t, dumb, "Creating ticket…", 300*time.Millisecond)
	if got != "Creating ticket…\n" {
		t.Errorf("NO_COLOR stderr = %q, want one static line", got)
	}
}
