package search

import (
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
)

// oneLineCases are cells the fast path takes and cells it must hand to
// strings.Fields: every kind of white space, at the ends and in runs.
var oneLineCases = []string{
	"", " ", "SPACE2-1", "Fix the login page", " leading", "trailing ", "two  spaces",
	"tab\there", "new\nline", "cr\r\nlf", "\v\f", "a \tb", "nbsp\u00a0inside", "nel\u0085x",
	"ideographic\u3000space", "héllo wörld", "\xff\xfe invalid", "x", " x ", "a b c d",
}

// FuzzAppendOneLine: appendOneLine writes what joining strings.Fields with
// one space writes, which is what the plain output wrote before.
func FuzzAppendOneLine(f *testing.F) {
	for _, c := range oneLineCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		want := "pre" + strings.Join(strings.Fields(c), " ")
		if got := string(appendOneLine([]byte("pre"), c)); got != want {
			t.Errorf("appendOneLine(%q) = %q, want %q", c, got, want)
		}
	})
}

// writes records each write it is given.
type writes []string

func (w *writes) Write(b []byte) (int, error) { *w = append(*w, string(b)); return len(b), nil }

// TestPrinterWritesPages: every format writes a page of rows at once, and
// what it writes does not depend on how the rows were split into pages.
func TestPrinterWritesPages(t *testing.T) {
	updated := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	issues := []tm.Issue{
		{Key: "SPACE2-3", Status: "To Do", Type: "Task", Priority: "Medium", Summary: "Plain", Updated: updated},
		{Key: "SPACE2-2", Status: "In Progress", Type: "Bug", Summary: " two\tlines\nhere ", Assignee: &tm.Person{Name: "Alex Morgan"}},
		{Key: "SPACE2-1", Status: "Done", Type: "Task", Summary: `quote " and, comma`, Labels: []string{"x"}},
	}
	for _, format := range []string{"plain", "json", "csv"} {
		print := func(pages ...[]tm.Issue) writes {
			io, _, _, _ := iostreams.Test()
			var w writes
			io.Out = &w
			p := newPrinter(&Options{IO: io, JSON: format == "json", CSV: format == "csv", Plain: format == "plain"})
			for _, pg := range pages {
				if err := p.page(pg); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.close(); err != nil {
				t.Fatal(err)
			}
			return w
		}
		whole := print(issues)
		split := print(issues[:2], issues[2:])
		if strings.Join(whole, "") != strings.Join(split, "") {
			t.Errorf("%s: one page wrote\n%q\ntwo pages wrote\n%q", format, strings.Join(whole, ""), strings.Join(split, ""))
		}
		want := 2 // the page, then the end of the output (JSON) or nothing
		if format != "json" {
			want = 1
		}
		if len(whole) != want || len(split) != want+1 {
			t.Errorf("%s: %d writes for one page, %d for two; want %d and %d", format, len(whole), len(split), want, want+1)
		}
	}
}
