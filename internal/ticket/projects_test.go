package ticket_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// withProjects is the default seed with n more projects P00000… .
func withProjects(n int) *emulator.Seed {
	s := emulator.DefaultSeed()
	site := &s.Sites[0]
	tmpl := site.Projects[0]
	for i := range n {
		p := tmpl
		p.ID, p.Key, p.Name = fmt.Sprint(100000+i), fmt.Sprintf("P%05d", i), fmt.Sprintf("Project %d", i)
		site.Projects = append(site.Projects, p)
	}
	return s
}

// inFlight watches the project pages a client has in flight.
type inFlight struct {
	next http.RoundTripper

	mu       sync.Mutex
	now, max int       // pages in flight, and the most at once after a 429
	limited  time.Time // when the first 429 came back
	early    []string  // pages other than the refused one sent before Retry-After passed
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.now++
	if !f.limited.IsZero() {
		f.max = max(f.max, f.now)
		if r.URL.Query().Get("startAt") != "0" && time.Since(f.limited) < time.Second {
			f.early = append(f.early, r.URL.Query().Get("startAt"))
		}
	}
	f.mu.Unlock()
	resp, err := f.next.RoundTrip(r)
	f.mu.Lock()
	f.now--
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && f.limited.IsZero() {
		f.limited = time.Now()
	}
	f.mu.Unlock()
	return resp, err
}

// TestProjectsRateLimited: a 429 halves the pages in flight and holds
// back the next ones for the Retry-After Jira sent, so a large listing
// does not keep hammering a rate limiter that already said no.
func TestProjectsRateLimited(t *testing.T) {
	sb := newSandbox(t, emulator.Options{Seed: withProjects(1000), Latency: 20 * time.Millisecond})
	f, err := emulator.ParseFault("GET /rest/api/3/project/search=429:1sx1")
	if err != nil {
		t.Fatal(err)
	}
	sb.s.E.AddFault(f)
	watch := &inFlight{next: http.DefaultTransport}
	// The client's own wait before its retry is skipped: the listing's
	// hold on the other pages is what is measured.
	sb = sb.with(watch, jira.WithSleep(func(context.Context, time.Duration) error { return nil }))
	n, err := sb.svc.Projects(context.Background(), ticket.ProjectListing{Concurrency: 8}, func([]tm.Project) error { return nil })
	if err != nil || n < 1000 {
		t.Fatalf("listed %d projects, err %v", n, err)
	}
	if watch.limited.IsZero() {
		t.Fatal("no 429 was sent")
	}
	if watch.max > 4 {
		t.Errorf("%d pages in flight after a 429 with a window of 8; want at most 4", watch.max)
	}
	if len(watch.early) > 0 {
		t.Errorf("pages at startAt %v went out before Retry-After (1s) had passed", watch.early)
	}
}
