package createticket

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/ticket"
)

// TestPrintBulk: one line per input row, in input order: the line, then
// the key and URL of a created row or the error of any other, as the
// lines were always written.
func TestPrintBulk(t *testing.T) {
	rows := []ticket.Input{{Row: ticket.Row{Line: 2}, ID: "a#1"}, {Row: ticket.Row{Line: 3}, ID: "b#1"}, {Row: ticket.Row{Line: 12}, ID: "c#1"}}
	results := map[string]result{
		"a#1": {Key: "SPACE2-7", URL: "https://x.example/browse/SPACE2-7"},
		"b#1": {Error: "SPACE2 has no issue type \"Spaceship\""},
	}
	io, _, out, _ := iostreams.Test()
	if err := printBulk(&Options{IO: io}, rows, results); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, r := range rows {
		if res := results[r.ID]; res.Key != "" {
			fmt.Fprintf(&want, "%d\t%s\t%s\n", r.Row.Line, res.Key, res.URL)
		} else {
			fmt.Fprintf(&want, "%d\t\terror: %s\n", r.Row.Line, res.Error)
		}
	}
	if out.String() != want.String() {
		t.Errorf("printed\n%q\nwant\n%q", out.String(), want.String())
	}
}

// TestLookAhead: the default project's metadata is asked for before the
// file is read only when every row goes there and the run is a first one.
func TestLookAhead(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "new.csv.results.csv")
	again := filepath.Join(dir, "old.csv.results.csv")
	if err := os.WriteFile(again, []byte("line,row,key,url,error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		results, data string
		jsonl, want   bool
	}{
		{first, "summary,labels\nA,x\n", false, true},
		{first, "\ufeffSummary , Type\nA,Bug\n", false, true},
		{again, "summary\nA\n", false, false},
		{first, "summary, Project \nA,OPS\n", false, false},
		{first, "\ufeffPROJECT,summary\nOPS,A\n", false, false},
		{first, `{"summary":"A"}`, true, false},
		{first, "", false, false},
	} {
		if got := lookAhead(tc.results, []byte(tc.data), tc.jsonl); got != tc.want {
			t.Errorf("results %s, file %q (jsonl %v): %v, want %v", filepath.Base(tc.results), tc.data, tc.jsonl, got, tc.want)
		}
	}
}
