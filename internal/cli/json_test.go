package cli_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestJSONKeepsAngleBrackets: --json writes < > & as themselves.
func TestJSONKeepsAngleBrackets(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	out := w.MustRun(t, "create-ticket", "-t", "Render <b> & <i> tags", "--json")
	if !strings.Contains(out, `"Render <b> & <i> tags"`) {
		t.Errorf("--json escapes the title:\n%s", out)
	}
	if out := w.MustRun(t, "search", "--json", "project = SPACE2 ORDER BY created DESC"); strings.Contains(out, `\u003c`) {
		t.Errorf("search --json escapes < and >:\n%s", out)
	}
}
