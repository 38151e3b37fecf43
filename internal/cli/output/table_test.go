package output_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/clitest"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
)

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"abc": 3, "日本語": 6, "✅": 2, "❌": 2, "✓": 1, "✗": 1, "é": 1, "e\u0301": 1, "👍🏽": 2, "⚠️": 1, "…": 1, "한국": 4, "ｆｕｌｌ": 8,
	} {
		if got := output.Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
	for _, tc := range []struct {
		s    string
		w    int
		want string
	}{{"Operations", 6, "Opera…"}, {"日本語のプロジェクト", 7, "日本語…"}, {"short", 9, "short"}} {
		if got := output.Truncate(tc.s, tc.w); got != tc.want || output.Width(got) > tc.w {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.w, got, tc.want)
		}
	}
}

var rows = [][]string{
	{"SPACE2", "Space Two", "software", "company-managed"},
	{"JP", "日本語のプロジェクト管理チーム", "business", "team-managed"},
	{"EMOJI", "🚀 Launch squad with a very long name that goes on", "software", "team-managed"},
}

// TestTableGolden: the same rows on a terminal, piped, under NO_COLOR and
// at 60 columns; every terminal line fits the width it was given.
func TestTableGolden(t *testing.T) {
	for _, mode := range []struct {
		name         string
		tty, noColor bool
		width        int
	}{{"tty", true, false, 120}, {"piped", false, false, 0}, {"nocolor", true, true, 120}, {"cols60", true, false, 60}} {
		t.Run(mode.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			ios.SetTTY(false, mode.tty, mode.tty)
			ios.SetColorDisabled(mode.noColor)
			ios.SetWidth(mode.width)
			tb := output.NewTable(ios, "KEY", "NAME", "TYPE", "STYLE")
			for _, r := range rows {
				if err := tb.Row(append([]string(nil), r...)...); err != nil {
					t.Fatal(err)
				}
			}
			if err := tb.Flush(); err != nil {
				t.Fatal(err)
			}
			if mode.width > 0 {
				for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
					l = strings.NewReplacer("\x1b[1m", "", "\x1b[0m", "").Replace(l)
					if output.Width(l) > mode.width {
						t.Errorf("line wider than %d: %q (%d)", mode.width, l, output.Width(l))
					}
				}
			}
			clitest.Golden(t, "table."+mode.name, out.Bytes())
		})
	}
}

// TestTableStreams: rows after the sample keep the widths and are written
// at once; a row longer than the sample's is cut, not widened.
func TestTableStreams(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetTTY(false, true, true)
	ios.SetColorDisabled(true)
	tb := output.NewTable(ios, "KEY", "NAME")
	tb.Row("A", "first")
	tb.Flush() // the first page
	n := out.Len()
	tb.Row("B", "a much longer name than the first page had")
	if out.Len() == n {
		t.Fatal("a row after the first page was held back")
	}
	if last := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")[2]; last != "B    a mu…" {
		t.Errorf("streamed row %q: want it cut to the first page's widths", last)
	}
}
