package emulator

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Default budgets: large enough that ordinary test suites never meet them.
const (
	defaultPoints     = 65000
	defaultUserSearch = 10000
)

// limiter keeps fixed-window buckets per site: points for Bearer (3LO)
// traffic and a user-search bucket for every caller.
type limiter struct {
	cfg RateLimit
	mu  sync.Mutex
	b   map[bucketKey]*bucket
}

type bucketKey struct {
	cloudID string
	kind    string // "points" or "user-search"
}

type bucket struct {
	windowStart time.Time
	used        int
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.Points == 0 {
		cfg.Points = defaultPoints
	}
	if cfg.UserSearch == 0 {
		cfg.UserSearch = defaultUserSearch
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Hour
	}
	return &limiter{cfg: cfg, b: map[bucketKey]*bucket{}}
}

// allow spends the request's cost; when a bucket is empty it answers 429
// and returns false. Successful responses carry the bucket's headers.
func (l *limiter) allow(c *call) bool {
	if c.e.dc {
		return true
	}
	if c.route.flags&userSearch != 0 && l.cfg.UserSearch > 0 {
		if !l.spend(c, "user-search", l.cfg.UserSearch, "jira-user-search-based") {
			return false
		}
	}
	if c.cred == credOAuth && l.cfg.Points > 0 {
		return l.spend(c, "points", l.cfg.Points, "jira-quota-based")
	}
	return true
}

func (l *limiter) spend(c *call, kind string, limit int, reason string) bool {
	now := c.e.now()
	start := now.Truncate(l.cfg.Window)
	l.mu.Lock()
	k := bucketKey{c.site.cloudID, kind}
	b := l.b[k]
	if b == nil || !b.windowStart.Equal(start) {
		b = &bucket{windowStart: start}
		l.b[k] = b
	}
	ok := b.used < limit
	if ok {
		b.used++
	}
	remaining := limit - b.used
	l.mu.Unlock()

	reset := start.Add(l.cfg.Window)
	h := c.w.Header()
	h.Set("X-Ratelimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(remaining))
	if remaining*5 < limit {
		h.Set("X-Ratelimit-Nearlimit", "true")
	}
	if ok {
		return true
	}
	writeRateLimited(c.w, reset, now, reason)
	return false
}

// writeRateLimited answers 429 with the headers Atlassian documents.
func writeRateLimited(w http.ResponseWriter, reset, now time.Time, reason string) {
	h := w.Header()
	wait := int(math.Ceil(reset.Sub(now).Seconds()))
	if wait < 1 {
		wait = 1
	}
	h.Set("Retry-After", strconv.Itoa(wait))
	h.Set("X-Ratelimit-Reset", reset.UTC().Format("2006-01-02T15:04Z"))
	h.Set("Ratelimit-Reason", reason)
	writeErrors(w, http.StatusTooManyRequests, []string{"Rate limit exceeded."}, nil)
}

// resetBuckets empties every bucket (admin reset).
func (l *limiter) resetBuckets() {
	l.mu.Lock()
	clear(l.b)
	l.mu.Unlock()
}
