package ticket

import (
	"context"
	"sync"
	"time"

	"github.com/ticket-mate/tm/internal/jira"
)

// window bounds the requests of one operation in flight at once, and
// shrinks when Jira says they are too many: a rate-limited answer (429, or
// 503 with Retry-After) halves it and holds back new requests until the
// wait Jira asked for has passed — the requests already in flight are the
// burst it is refusing, so keeping the window full would earn more 429s.
type window struct {
	mu     sync.Mutex
	n      int
	resume time.Time // no new request before this
}

func newWindow(n int) *window { return &window{n: max(n, 1)} }

// watch returns ctx with the window listening for rate limits on every
// request sent under it.
func (w *window) watch(ctx context.Context) context.Context {
	return jira.OnRateLimited(ctx, w.rateLimited)
}

func (w *window) rateLimited(wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n = max(w.n/2, 1)
	if t := time.Now().Add(wait); t.After(w.resume) {
		w.resume = t
	}
}

func (w *window) size() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// held waits until no rate limit holds new requests back, or ctx ends.
func (w *window) held(ctx context.Context) {
	w.mu.Lock()
	d := time.Until(w.resume)
	w.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
