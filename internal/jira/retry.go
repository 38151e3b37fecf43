package jira

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds how a request is repeated. Only requests that are safe
// to repeat are retried after a failure (GET, also after a 503 with
// Retry-After); any request is retried after a 429, because Jira refused it
// before doing anything. A POST whose outcome is unknown (timeout, broken
// connection, any 5xx) is never repeated: the caller gets an *Error with
// Uncertain set and decides (see CreateIssue).
type RetryPolicy struct {
	MaxRetries int           // retries after the first attempt
	BaseDelay  time.Duration // first backoff after a 5xx or a broken connection
	RateDelay  time.Duration // first backoff after a 429 without Retry-After
	MaxDelay   time.Duration // cap of one backoff (Retry-After is honoured beyond it)
	MaxWait    time.Duration // total waiting one request may do before giving up
}

// DefaultRetryPolicy follows Atlassian's guidance (4 retries, 5s first wait
// after a rate limit, doubling, 30s cap, jitter 0.7–1.3). A 5xx starts at 1s
// instead: it is not about quota, and a gateway blip clears quickly. A CLI
// gives up after a minute of waiting in total and says so.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxRetries: 4,
		BaseDelay:  time.Second,
		RateDelay:  5 * time.Second,
		MaxDelay:   30 * time.Second,
		MaxWait:    time.Minute,
	}
}

// retryAfter decides whether the failed attempt is retried and after how long.
func (c *Client) retryAfter(e *Error, attempt int, idempotent bool) (time.Duration, bool) {
	if e.permanent || attempt > c.policy.MaxRetries {
		return 0, false
	}
	switch {
	case e.StatusCode == http.StatusTooManyRequests || idempotent && e.RateLimited():
		// Rate limits are retried even when the refusal is a web page:
		// Retry-After says when it changes.
		if e.RetryAfter > 0 {
			// Waiting less than asked earns a longer wait; jitter only adds.
			return e.RetryAfter + time.Duration(0.3*c.jitter()*float64(e.RetryAfter)), true
		}
		return c.backoff(c.policy.RateDelay, attempt), true
	case !idempotent:
		return 0, false
	case e.StatusCode == 0,
		e.StatusCode >= 200 && e.StatusCode < 300, // a body cut short
		e.StatusCode == http.StatusInternalServerError,
		e.StatusCode == http.StatusBadGateway,
		e.StatusCode == http.StatusServiceUnavailable,
		e.StatusCode == http.StatusGatewayTimeout:
		if e.LoginReason != "" || e.HTML {
			// A refused login, or a web page where JSON was expected (a
			// proxy's or a sign-in page), answers the same way again.
			return 0, false
		}
		return c.backoff(c.policy.BaseDelay, attempt), true
	}
	return 0, false
}

// backoff is first·2^(attempt-1), capped, times a jitter factor in [0.7, 1.3).
func (c *Client) backoff(first time.Duration, attempt int) time.Duration {
	d := first
	for i := 1; i < attempt && d < c.policy.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.policy.MaxDelay)
	return time.Duration(float64(d) * (0.7 + 0.6*c.jitter()))
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

type rateLimitKey struct{}

// OnRateLimited returns a context under which every rate-limited answer
// (429, or 503 with Retry-After) to a call is reported to f, with the wait
// the client will honour before its retry, before that wait starts. Callers
// that run requests in parallel use it to slow down the others.
func OnRateLimited(ctx context.Context, f func(wait time.Duration)) context.Context {
	return context.WithValue(ctx, rateLimitKey{}, f)
}

func rateLimited(ctx context.Context, wait time.Duration) {
	if f, ok := ctx.Value(rateLimitKey{}).(func(time.Duration)); ok {
		f(wait)
	}
}
