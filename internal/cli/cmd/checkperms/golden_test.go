package checkperms_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/clitest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

var (
	roundTrip = regexp.MustCompile(`Round trip: [0-9.]+(ms|µs|s)`)
	masked    = regexp.MustCompile(`ATATT3x\*\*\*\S{4}`)
)

// TestGoldenReport: the report on a terminal, piped, under NO_COLOR and at
// 60 columns, for a working token, a project where only some is granted
// (a missing optional permission is neutral, not a failure) and a refused
// token (one failure line, the rest skipped).
func TestGoldenReport(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	for _, sc := range []struct {
		name, project, token string
	}{{"working", "", you.ClassicToken}, {"partial", "OPS", you.ClassicToken}, {"refused", "", "ATATT3x" + strings.Repeat("k", 185)}} {
		for _, mode := range []string{"tty", "piped", "nocolor", "cols60"} {
			t.Run(sc.name+"/"+mode, func(t *testing.T) {
				w := newWorld(t, s, pat(s, you, sc.token))
				tty := mode != "piped"
				w.f.IO.SetTTY(false, tty, tty)
				w.f.IO.SetColorDisabled(mode == "nocolor")
				if mode == "cols60" {
					w.f.IO.SetWidth(60)
				}
				_ = w.run(t, sc.project, false)
				got := strings.ReplaceAll(w.out.String(), s.URL, "$SITE")
				got = roundTrip.ReplaceAllString(got, "Round trip: $$TIME")
				got = masked.ReplaceAllString(got, "$$TOKEN")
				if sc.name == "refused" && (strings.Count(got, "✗")+strings.Count(got, "FAIL") != 1 || !strings.Contains(got, "skipped")) {
					t.Errorf("a refused token should be one ✗ line and the rest skipped:\n%s", got)
				}
				clitest.Golden(t, "report."+sc.name+"."+mode, []byte(got))
			})
		}
	}
}
