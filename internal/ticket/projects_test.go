package ticket_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// inFlight watches the requests for one path a client has in flight.
type inFlight struct {
	next http.RoundTripper
	path string

	mu       sync.Mutex
	now, max int       // requests in flight, and the most at once after the client knew of the 429
	limited  time.Time // when the first 429 came back
	refused  string    // that request (method, URL and body)
	retried  bool      // it went out again: from then on the client knew of the 429
	early    int       // other requests sent before its Retry-After (1s) had passed
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != f.path {
		return f.next.RoundTrip(r)
	}
	id := requestID(r)
	f.mu.Lock()
	f.now++
	switch {
	case f.limited.IsZero():
	case !f.retried:
		// Until the refused request goes out again the client may not
		// have read the 429 yet: a request another answer let out in
		// that moment is not a failure to slow down.
		f.retried = id == f.refused
	default:
		f.max = max(f.max, f.now)
		if time.Since(f.limited) < time.Second {
			f.early++
		}
	}
	f.mu.Unlock()
	resp, err := f.next.RoundTrip(r)
	f.mu.Lock()
	f.now--
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && f.limited.IsZero() {
		f.limited, f.refused = time.Now(), id
	}
	f.mu.Unlock()
	return resp, err
}

// requestID tells requests apart: pages by their URL, bulk calls by body.
func requestID(r *http.Request) string {
	id := r.Method + " " + r.URL.String()
	if r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			body, _ := io.ReadAll(b)
			id += " " + string(body)
		}
	}
	return id
}

// check says whether the client slowed down after the 429: at most half
// of window in flight, and nothing new sent before Retry-After had passed.
func (f *inFlight) check(t *testing.T, window int) {
	t.Helper()
	if f.limited.IsZero() || !f.retried {
		t.Fatal("no 429 was sent, or the refused request was not sent again")
	}
	if f.max > window/2 {
		t.Errorf("%d requests in flight after a 429 with a window of %d; want at most %d", f.max, window, window/2)
	}
	if f.early > 0 {
		t.Errorf("%d new requests went out before Retry-After (1s) had passed", f.early)
	}
}

// TestProjectsRateLimited: a 429 halves the pages in flight and holds
// back the next ones for the Retry-After Jira sent, so a large listing
// does not keep hammering a rate limiter that already said no.
func TestProjectsRateLimited(t *testing.T) {
	sb := newSandbox(t, emulator.Options{Seed: emulator.SeedWithProjects(1000), Latency: 20 * time.Millisecond})
	sb.fault("GET /rest/api/3/project/search=429:1sx1")
	watch := &inFlight{next: http.DefaultTransport, path: "/rest/api/3/project/search"}
	// The client's own wait before its retry is skipped: the listing's
	// hold on the other pages is what is measured.
	sb = sb.with(watch, jira.WithSleep(func(context.Context, time.Duration) error { return nil }))
	n, err := sb.svc.Projects(context.Background(), ticket.ProjectListing{Concurrency: 8}, func([]tm.Project) error { return nil })
	if err != nil || n < 1000 {
		t.Fatalf("listed %d projects, err %v", n, err)
	}
	watch.check(t, 8)
}

// TestBulkRateLimited: a 429 on one bulk create halves the requests in
// flight and holds back the next ones for its Retry-After. The latency
// lets the whole first wave go out before the 429 comes back, and the
// other requests of that wave are slowed, so that the 429 is answered
// first whichever of them it hits.
func TestBulkRateLimited(t *testing.T) {
	sb := newSandbox(t, emulator.Options{Latency: 50 * time.Millisecond})
	sb.fault("POST /rest/api/3/issue/bulk=429:1sx1", "POST /rest/api/3/issue/bulk=stall:300msx3")
	watch := &inFlight{next: http.DefaultTransport, path: "/rest/api/3/issue/bulk"}
	sb = sb.with(watch, jira.WithSleep(func(context.Context, time.Duration) error { return nil }))
	rows := make([]ticket.Row, 8*jira.BulkCreateMax)
	for i := range rows {
		rows[i] = ticket.Row{Line: i + 2, Draft: tm.TicketDraft{ProjectKey: "SPACE2", Summary: fmt.Sprintf("Row %d", i)}}
	}
	created := 0
	err := sb.svc.CreateMany(context.Background(), rows, ticket.BulkOptions{Concurrency: 4}, func(r ticket.RowResult) {
		if r.Err == nil {
			created++
		}
	})
	if err != nil || created != len(rows) {
		t.Fatalf("%d of %d rows created, err %v", created, len(rows), err)
	}
	watch.check(t, 4)
}

// TestSearchRateLimited: reading every match, a 429 on one bulkfetch
// halves the fetches in flight (16) and holds back the next ones for its
// Retry-After. The others stall past that Retry-After, so the fetch let
// out after the hold finds them still in flight: only the halved window
// keeps it back.
func TestSearchRateLimited(t *testing.T) {
	sb := newSandbox(t, emulator.Options{Latency: 50 * time.Millisecond})
	fill(t, sb, 1700, "many") // 17 fetches of 100
	sb.fault("POST /rest/api/3/issue/bulkfetch=429:1sx1", "POST /rest/api/3/issue/bulkfetch=stall:1500msx15")
	watch := &inFlight{next: http.DefaultTransport, path: "/rest/api/3/issue/bulkfetch"}
	sb = sb.with(watch, jira.WithSleep(func(context.Context, time.Duration) error { return nil }))
	if got := collect(t, sb, ticket.Query{Label: []string{"many"}, All: true}); len(got) != 1700 {
		t.Fatalf("%d issues, want 1700", len(got))
	}
	watch.check(t, 16)
}

// TestProjectsReuseEmittedPages: a listing holds about a window of pages,
// however long it is. Each emitted page's array is decoded into again, and
// the pages still arrive whole and in key order.
func TestProjectsReuseEmittedPages(t *testing.T) {
	sb := newSandbox(t, emulator.Options{Seed: emulator.SeedWithProjects(1000)})
	const window = 2
	arrays := map[*tm.Project]bool{}
	var keys []string
	n, err := sb.svc.Projects(context.Background(), ticket.ProjectListing{Concurrency: window}, func(ps []tm.Project) error {
		if len(ps) > 0 {
			arrays[&ps[:1][0]] = true
		}
		for _, p := range ps {
			keys = append(keys, p.Key)
		}
		return nil
	})
	if err != nil || n < 1000 || len(keys) != n {
		t.Fatalf("listed %d projects (%d keys), err %v", n, len(keys), err)
	}
	for i := 1; i < len(keys); i++ {
		if keys[i] <= keys[i-1] {
			t.Fatalf("key %d %q after %q: pages overwritten or out of order", i, keys[i], keys[i-1])
		}
	}
	pages := (n + jira.ProjectPageSize - 1) / jira.ProjectPageSize
	if len(arrays) > window+2 {
		t.Errorf("%d pages were decoded into %d arrays; want at most %d (a window plus the page being emitted)", pages, len(arrays), window+2)
	}
}

// started counts the requests for one path that have gone out.
type started struct {
	next http.RoundTripper
	path string
	n    atomic.Int32
}

func (s *started) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == s.path {
		s.n.Add(1)
	}
	return s.next.RoundTrip(r)
}

// TestProjectsFanOutBeforeFirstPage: once the first page tells the total,
// the other pages go out before it is shown, not after: the first page's
// emit waits for them, and fails the test if they wait for it.
func TestProjectsFanOutBeforeFirstPage(t *testing.T) {
	base := newSandbox(t, emulator.Options{Seed: emulator.SeedWithProjects(350), Latency: 20 * time.Millisecond})
	count := &started{next: http.DefaultTransport, path: "/rest/api/3/project/search"}
	sb := base.with(count)
	calls := 0
	n, err := sb.svc.Projects(context.Background(), ticket.ProjectListing{}, func([]tm.Project) error {
		if calls++; calls > 1 {
			return nil
		}
		deadline := time.Now().Add(5 * time.Second)
		for count.n.Load() < 2 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if count.n.Load() < 2 {
			return fmt.Errorf("no other page went out while the first page was shown")
		}
		return nil
	})
	if err != nil || n < 350 {
		t.Fatalf("listed %d projects: %v", n, err)
	}
	if pages := (n + jira.ProjectPageSize - 1) / jira.ProjectPageSize; int(count.n.Load()) != pages {
		t.Errorf("%d page requests for %d pages", count.n.Load(), pages)
	}
}

// TestAllProjects: the whole list at once, across pages and in key order,
// each project a copy of its own (pages' arrays are reused).
func TestAllProjects(t *testing.T) {
	sb := newSandbox(t, emulator.Options{Seed: emulator.SeedWithProjects(250)})
	n, err := sb.svc.Projects(context.Background(), ticket.ProjectListing{}, func([]tm.Project) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	all, err := sb.svc.AllProjects(context.Background(), "")
	if err != nil || len(all) != n || n <= jira.ProjectPageSize {
		t.Fatalf("%d projects (a listing finds %d), err %v", len(all), n, err)
	}
	seen := map[string]bool{}
	for i, p := range all {
		if seen[p.Key] || i > 0 && p.Key <= all[i-1].Key {
			t.Fatalf("project %d %q repeated or out of key order", i, p.Key)
		}
		seen[p.Key] = true
	}
}
