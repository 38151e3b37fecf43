package search_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

func fill(t *testing.T, w *tmtest.World, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("summary,labels\n")
	for i := range n {
		fmt.Fprintf(&b, "Found %d,found\n", i)
	}
	if err := os.WriteFile(filepath.Join(w.F.WorkDir, "in.csv"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	w.MustRun(t, "create-ticket", "--from", "in.csv")
}

// TestSearch: filters to JQL, every output format, --all and --count.
func TestSearch(t *testing.T) {
	for _, dc := range []bool{false, true} {
		w := tmtest.New(t, emulator.Options{DataCenter: dc})
		fill(t, w, 130)
		out := w.MustRun(t, "search", "--label", "found", "--limit", "5", "--plain")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[0], "SPACE2-") || !strings.Contains(lines[0], "\tTo Do\tTask\tMedium\t") {
			t.Errorf("dc=%v --plain: %q", dc, out)
		}
		w.S.E.ResetRequests()
		var all []tm.Issue
		if err := json.Unmarshal([]byte(w.MustRun(t, "search", "project = SPACE2", "--label", "found", "--all", "--json")), &all); err != nil || len(all) != 130 {
			t.Fatalf("dc=%v --all --json: %d issues, %v", dc, len(all), err)
		}
		recs, err := csv.NewReader(strings.NewReader(w.MustRun(t, "search", "--text", "Found 12", "--csv", "--all"))).ReadAll()
		if err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != "key,status,type,priority,assignee,updated,summary" {
			t.Errorf("dc=%v --csv: %v %v", dc, recs, err)
		}
		if got := strings.TrimSpace(w.MustRun(t, "search", "--label", "found", "--count")); got != "130" {
			t.Errorf("dc=%v --count: %q", dc, got)
		}
		// Without JQL or filters: the configured project.
		if out := w.MustRun(t, "search", "--plain", "--limit", "200"); strings.Count(out, "\n") != 135 {
			t.Errorf("dc=%v default project: %d rows", dc, strings.Count(out, "\n"))
		}
		w.Fails(t, cli.ExitError, []string{"search", "project = SPACE2 AND colour = red"}, "Jira could not run the query:", "colour")
		w.Fails(t, cli.ExitUsage, []string{"search", "--json", "--csv"}, "choose one of --json, --csv and --plain")
	}
}

// TestSearchTable: a table with a bold header on a terminal, fitted to
// its width.
func TestSearchTable(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.F.IO.SetTTY(false, true, false)
	w.F.IO.SetWidth(60)
	out := w.MustRun(t, "search", "--assignee", "me")
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if n := output.Width(strings.NewReplacer("\x1b[1m", "", "\x1b[0m", "").Replace(l)); n > 60 {
			t.Errorf("a line %d columns wide at 60: %q", n, l)
		}
	}
	if !strings.HasPrefix(out, "\x1b[1mKEY") || !strings.Contains(out, "SPACE2-2") || strings.Contains(out, "SPACE2-3 ") {
		t.Errorf("table:\n%s", out)
	}
}
