package edit_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestEdit: only what is named changes; labels are added and removed;
// fields are set by name.
func TestEdit(t *testing.T) {
	for _, dc := range []bool{false, true} {
		w := tmtest.New(t, emulator.Options{DataCenter: dc})
		w.MustRun(t, "edit", "SPACE2-2", "--summary", "Login fails after a year", "--label", "+urgent,-bug", "--priority", "Highest",
			"-d", "Now **worse**", "--field", "Story points=8")
		var is tm.Issue
		_ = json.Unmarshal([]byte(w.MustRun(t, "view", "SPACE2-2", "--json")), &is)
		if is.Summary != "Login fails after a year" || !slices.Equal(is.Labels, []string{"auth", "urgent"}) || is.Priority != "Highest" ||
			!strings.Contains(is.Description, "worse") || is.Status != "In Progress" {
			t.Errorf("dc=%v after the edit: %+v", dc, is)
		}
		var raw struct {
			Fields map[string]json.RawMessage
		}
		v := "3"
		if dc {
			v = "2"
		}
		w.MustRun(t, "api", "GET", "/rest/api/"+v+"/issue/SPACE2-2?fields=customfield_10016")
		_ = json.Unmarshal(w.Out.Bytes(), &raw)
		if string(raw.Fields["customfield_10016"]) != "8" {
			t.Errorf("dc=%v story points %s", dc, raw.Fields["customfield_10016"])
		}
		w.Fails(t, cli.ExitError, []string{"edit", "SPACE2-2", "--field", "Sevrity=x"}, `has no field "Sevrity"`)
		w.Fails(t, cli.ExitError, []string{"edit", "SPACE2-2", "--summary", strings.Repeat("é", 256)}, "the summary is 256 characters")
		w.Fails(t, cli.ExitError, []string{"edit", "OPS-1", "--summary", "x"}, "Jira refused to edit OPS-1", `"Edit Issues" permission`)
		w.Fails(t, cli.ExitError, []string{"edit", "SPACE2-999", "--summary", "x"}, "Issue SPACE2-999 does not exist")
		w.Fails(t, cli.ExitUsage, []string{"edit", "SPACE2-2"}, "name something to change")
	}
}
