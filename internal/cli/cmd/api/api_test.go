package api_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestAPI: a raw call with tm's credentials, a body, pages followed.
func TestAPI(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	if out := w.MustRun(t, "api", "GET", "myself"); !strings.Contains(out, `"emailAddress":"alex@sandbox.example"`) {
		t.Errorf("GET myself: %s", out)
	}
	out := w.MustRun(t, "api", "POST", "search/jql", "--data", `{"jql":"project = SPACE2 ORDER BY key","fields":["summary"],"maxResults":2}`, "--paginate")
	if n := strings.Count(out, "\n"); n != 3 || w.S.E.Requests()["POST /rest/api/3/search/jql"] != 3 {
		t.Errorf("--paginate: %d pages %v:\n%s", n, w.S.E.Requests(), out)
	}
	if out := w.MustRun(t, "api", "GET", "/rest/api/3/project/search?maxResults=1", "--paginate"); strings.Count(out, "\n") < 3 {
		t.Errorf("startAt pages: %s", out)
	}
	w.Fails(t, cli.ExitError, []string{"api", "GET", "issue/SPACE2-999"}, "Issue does not exist or you do not have permission to see it")
	w.Fails(t, cli.ExitError, []string{"api", "POST", "issue", "--data", "{nope"}, "--data is not valid JSON")
	w.Fails(t, cli.ExitUsage, []string{"api", "FETCH", "myself"}, `METHOD "FETCH"`)
}

// TestAPIDataCenter: the REST root is v2; offsets are followed.
func TestAPIDataCenter(t *testing.T) {
	w := tmtest.New(t, emulator.Options{DataCenter: true})
	if out := w.MustRun(t, "api", "GET", "myself"); !strings.Contains(out, `"name":"alex"`) || w.S.E.Requests()["GET /rest/api/2/myself"] != 1 {
		t.Errorf("GET myself: %s %v", out, w.S.E.Requests())
	}
	out := w.MustRun(t, "api", "POST", "search", "--data", `{"jql":"project = SPACE2","maxResults":2}`, "--paginate")
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("--paginate: %d pages:\n%s", n, out)
	}
}
