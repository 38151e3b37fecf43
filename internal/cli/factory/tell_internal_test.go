package factory

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/jira"
)

// Parallel requests (check-permissions asks three things at once) report
// their traces and notices from their own goroutines: every line must reach
// stderr whole, and the race detector must see one writer at a time.
func TestStderrLinesFromConcurrentRequests(t *testing.T) {
	io, _, _, errOut := iostreams.Test()
	f := &Factory{IO: io}
	j := &Jira{Config: &config.Config{BaseURL: "https://example.atlassian.net"}}
	trace, notify := debugTrace(f), j.notifier(f)
	const each = 50
	var wg sync.WaitGroup
	for i := 0; i < each; i++ {
		wg.Go(func() {
			trace(jira.Trace{Method: "GET", URL: "https://example.atlassian.net/rest/api/3/myself", Status: 200, Duration: time.Millisecond, Attempt: 1})
		})
		wg.Go(func() {
			notify(jira.Notice{Kind: jira.NoticeRetry, Method: "GET", URL: "https://example.atlassian.net/rest/api/3/project", Status: 503, Wait: time.Second})
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
	var traces, retries int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "debug: GET https://example.atlassian.net/rest/api/3/myself → 200"):
			traces++
		case strings.HasPrefix(l, "GET https://example.atlassian.net/rest/api/3/project failed (503 Service Unavailable); retrying in"):
			retries++
		default:
			t.Errorf("torn or unexpected line %q", l)
		}
	}
	if traces != each || retries != each {
		t.Errorf("got %d trace and %d retry lines, want %d of each", traces, retries, each)
	}
}
