package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestPeerFlagNames: --summary, -b/--body, --body-file and -w/--web do
// what --title, -d and --open do; -t with an issue type's name warns.
func TestPeerFlagNames(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	key := w.Create(t, "--summary", "From the peer names", "-b", "Body **text**", "-w")
	if len(w.Opened) != 1 || !strings.HasSuffix(w.Opened[0], "/browse/"+key) {
		t.Errorf("-w opened %v", w.Opened)
	}
	out := w.MustRun(t, "view", key, "--json")
	if !strings.Contains(out, "From the peer names") || !strings.Contains(out, "Body") {
		t.Errorf("--summary/-b not used:\n%s", out)
	}

	notes := filepath.Join(w.F.WorkDir, "notes.md")
	if err := os.WriteFile(notes, []byte("From a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	key = w.Create(t, "-t", "With a body file", "--body-file", notes)
	if out := w.MustRun(t, "view", key, "--json"); !strings.Contains(out, "From a file") {
		t.Errorf("--body-file not read:\n%s", out)
	}
	w.Fails(t, cli.ExitUsage, []string{"create-ticket", "-t", "x", "-d", "a", "--body-file", notes}, "give the description once")

	// The create above cached SPACE2's issue types: -t Bug is most likely meant as the type.
	w.Create(t, "-t", "bug")
	if !strings.Contains(w.Err.String(), `-t is the title, and "bug" is one of SPACE2's issue types; for the type, use --type "Bug"`) {
		t.Errorf("no warning for -t bug: %q", w.Err)
	}
}

// TestDescriptionFromATerminal: -d - typed at a terminal says how to end it.
func TestDescriptionFromATerminal(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.F.IO.SetTTY(true, false, true)
	w.In.WriteString("Typed by hand\n")
	w.Create(t, "-t", "Typed", "-d", "-")
	if !strings.Contains(w.Err.String(), "Reading the description from stdin (Ctrl-D to finish)") {
		t.Errorf("stderr %q", w.Err)
	}
}

// TestDescriptionFromTheEditor: asked at a terminal, the description
// written in $VISUAL reaches the ticket.
func TestDescriptionFromTheEditor(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	editor := filepath.Join(t.TempDir(), "editor")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\necho 'Written in the editor' > \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.Env["VISUAL"] = editor
	w.F.IO.SetTTY(true, false, true)
	w.In.WriteString("Asked for\n\ny\n")
	key := w.Create(t)
	if out := w.MustRun(t, "view", key, "--json"); !strings.Contains(out, "Written in the editor") || !strings.Contains(out, "Asked for") {
		t.Errorf("the ticket lacks the asked title or edited description:\n%s", out)
	}
}
