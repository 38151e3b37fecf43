package assign_test

import (
	"encoding/json"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

func assignee(t *testing.T, w *tmtest.World, key string) *tm.Person {
	t.Helper()
	var is tm.Issue
	_ = json.Unmarshal([]byte(w.MustRun(t, "view", key, "--json", "--comments", "0")), &is)
	return is.Assignee
}

// TestAssign: me, an email, an account id (a username on Data Center),
// none; an unknown person and a refused permission say so.
func TestAssign(t *testing.T) {
	for _, dc := range []bool{false, true} {
		w := tmtest.New(t, emulator.Options{DataCenter: dc})
		mia := w.S.User(t, "mia@sandbox.example")
		w.MustRun(t, "assign", "SPACE2-3", "me")
		if a := assignee(t, w, "SPACE2-3"); a == nil || a.Name != "Alex Morgan" {
			t.Errorf("dc=%v me: %+v", dc, a)
		}
		w.MustRun(t, "assign", "SPACE2-3", "mia@sandbox.example")
		if a := assignee(t, w, "SPACE2-3"); a == nil || a.Name != "Mia Krystof" {
			t.Errorf("dc=%v email: %+v", dc, a)
		}
		w.MustRun(t, "assign", "SPACE2-3", "none")
		if a := assignee(t, w, "SPACE2-3"); a != nil {
			t.Errorf("dc=%v none: %+v", dc, a)
		}
		id := mia.AccountID
		if dc {
			id = mia.Username
		}
		w.MustRun(t, "assign", "SPACE2-3", id)
		if a := assignee(t, w, "SPACE2-3"); a == nil || a.Name != "Mia Krystof" {
			t.Errorf("dc=%v by id: %+v", dc, a)
		}
		w.Fails(t, cli.ExitError, []string{"assign", "SPACE2-3", "nobody@sandbox.example"}, `no Jira user matches "nobody@sandbox.example"`)
		w.Fails(t, cli.ExitError, []string{"assign", "SPACE2-3", "no-such-user"}, `no Jira user matches "no-such-user"`)
		w.Fails(t, cli.ExitError, []string{"assign", "OPS-1", "me"}, "Jira refused to assign OPS-1", `"Assign Issues" permission`)
		w.Fails(t, cli.ExitError, []string{"assign", "SPACE2-999", "me"}, "Issue SPACE2-999 does not exist")
	}
}
