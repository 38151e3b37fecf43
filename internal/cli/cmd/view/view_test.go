package view_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestView: the fields, the description as text and the newest comments,
// in one request.
func TestView(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.MustRun(t, "comment", "SPACE2-2", "First **look**")
	w.MustRun(t, "comment", "SPACE2-2", "Second look")
	w.S.E.ResetRequests()
	out := w.MustRun(t, "view", "space2-2", "--comments", "1")
	if n := w.Requests(); n != 1 {
		t.Errorf("tm view: %d requests %v, want 1", n, w.S.E.Requests())
	}
	for _, want := range []string{"SPACE2-2  Login fails with an expired token", "Status: In Progress", "Type: Bug",
		"Assignee: Alex Morgan", "Labels: auth, bug", "every call answers 401", "Comments (newest 1 of 2)", "Second look", w.S.URL + "/browse/SPACE2-2"} {
		if !strings.Contains(out, want) {
			t.Errorf("view lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "First") {
		t.Errorf("--comments 1 shows an older comment:\n%s", out)
	}

	var is tm.Issue
	if err := json.Unmarshal([]byte(w.MustRun(t, "view", "SPACE2-5", "--json")), &is); err != nil {
		t.Fatal(err)
	}
	if is.Key != "SPACE2-5" || is.Parent == nil || is.Parent.Key != "SPACE2-3" || is.Type != "Subtask" || is.Assignee != nil {
		t.Errorf("--json: %+v", is)
	}
	var parent map[string]any
	_ = json.Unmarshal([]byte(w.MustRun(t, "view", "SPACE2-3", "--json", "--comments", "0")), &parent)
	for _, k := range []string{"key", "id", "url", "summary", "status", "type", "priority", "assignee", "reporter", "labels", "created", "updated"} {
		if _, ok := parent[k]; !ok {
			t.Errorf("--json lacks the documented field %q: %v", k, parent)
		}
	}
	if plain := w.MustRun(t, "view", "SPACE2-1", "--plain"); !strings.Contains(plain, "status\tDone\n") || !strings.Contains(plain, "key\tSPACE2-1\n") {
		t.Errorf("--plain:\n%s", plain)
	}
}

// TestViewErrors: an unknown key, a hidden one, a malformed one.
func TestViewErrors(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.Fails(t, cli.ExitError, []string{"view", "SPACE2-999"}, "Issue SPACE2-999 does not exist, or you cannot see it")
	w.Fails(t, cli.ExitError, []string{"view", "SECRET-1"}, "Issue SECRET-1 does not exist, or you cannot see it")
	w.Fails(t, cli.ExitError, []string{"view", "not a key"}, "not an issue key")
	w.Fails(t, cli.ExitUsage, []string{"view"}, "accepts 1 arg")
}

// TestViewDataCenter: REST v2, the wiki markup description shown as written.
func TestViewDataCenter(t *testing.T) {
	w := tmtest.New(t, emulator.Options{DataCenter: true})
	w.MustRun(t, "comment", "SPACE2-1", "From *DC*")
	out := w.MustRun(t, "view", "SPACE2-1")
	if !strings.Contains(out, "Run tm sandbox") || !strings.Contains(out, "From") || w.S.E.Requests()["GET /rest/api/2/issue/{issueIdOrKey}"] != 1 {
		t.Errorf("view on Data Center (%v):\n%s", w.S.E.Requests(), out)
	}
}
