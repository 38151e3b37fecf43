package jira

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 6, 5, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"-3", 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestBackoffBounds: each wait is the doubled base, capped, within the
// 0.7–1.3 jitter band; Retry-After is never shortened.
func TestBackoffBounds(t *testing.T) {
	for _, j := range []float64{0, 0.5, 0.999} {
		c := NewClient(nil, "http://x", nil)
		c.jitter = func() float64 { return j }
		p := c.policy
		for attempt := 1; attempt <= 6; attempt++ {
			base := p.BaseDelay << (attempt - 1)
			base = min(base, p.MaxDelay)
			got := c.backoff(p.BaseDelay, attempt)
			lo, hi := time.Duration(float64(base)*0.7), time.Duration(float64(base)*1.3)
			if got < lo || got > hi {
				t.Errorf("jitter %v attempt %d: backoff %v outside [%v, %v]", j, attempt, got, lo, hi)
			}
		}
		e := &Error{StatusCode: 429, RetryAfter: 7 * time.Second}
		wait, ok := c.retryAfter(e, 1, false)
		if !ok || wait < 7*time.Second || wait > time.Duration(7*1.3*float64(time.Second)) {
			t.Errorf("jitter %v: 429 Retry-After 7s waits %v (retry %v), want 7s..9.1s", j, wait, ok)
		}
	}
}

func TestRetryDecisions(t *testing.T) {
	c := NewClient(nil, "http://x", nil)
	for _, tc := range []struct {
		name       string
		e          *Error
		idempotent bool
		want       bool
	}{
		{"GET 503", &Error{StatusCode: 503}, true, true},
		{"GET reset", &Error{Err: errReset}, true, true},
		{"GET 400", &Error{StatusCode: 400}, true, false},
		{"GET 401", &Error{StatusCode: 401}, true, false},
		{"POST 503 without Retry-After", &Error{StatusCode: 503}, false, false},
		{"POST 503 with Retry-After", &Error{StatusCode: 503, RetryAfter: time.Second}, false, false},
		{"GET 503 with Retry-After", &Error{StatusCode: 503, RetryAfter: time.Second}, true, true},
		{"POST 429", &Error{StatusCode: 429}, false, true},
		{"POST reset", &Error{Err: errReset}, false, false},
		{"credentials missing", &Error{Err: errReset, permanent: true}, true, false},
		{"GET 200 with login failure", &Error{StatusCode: 200, LoginReason: "AUTHENTICATED_FAILED"}, true, false},
		{"GET 502 web page", &Error{StatusCode: 502, HTML: true}, true, false},
		{"GET 429 web page", &Error{StatusCode: 429, HTML: true}, true, true},
		{"GET 503 web page with Retry-After", &Error{StatusCode: 503, HTML: true, RetryAfter: time.Second}, true, true},
	} {
		if _, got := c.retryAfter(tc.e, 1, tc.idempotent); got != tc.want {
			t.Errorf("%s: retry = %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, got := c.retryAfter(&Error{StatusCode: 503}, c.policy.MaxRetries+1, true); got {
		t.Error("retried beyond MaxRetries")
	}
}

var errReset = &strErr{"connection reset by peer"}

type strErr struct{ s string }

func (e *strErr) Error() string { return e.s }

// TestErrorBodies: every body shape of contract §0.2 yields its message.
func TestErrorBodies(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              []string
	}{
		{"collection", "application/json", `{"errorMessages":["Field 'priority' is required"],"errors":{"summary":"You must specify a summary of the issue."}}`,
			[]string{"Field 'priority' is required", "summary: You must specify a summary of the issue."}},
		{"plain 401", "text/plain", "Client must be authenticated to access this resource.", []string{"Client must be authenticated to access this resource."}},
		{"gateway", "application/json", `{"code":401,"message":"Unauthorized; scope does not match"}`, []string{"Unauthorized; scope does not match"}},
		{"server json", "application/json", `{"message":"Authentication failed","status-code":401}`, []string{"Authentication failed"}},
		{"oauth", "application/json", `{"error":"invalid_client","error_description":"Unauthorized"}`, []string{"invalid_client: Unauthorized"}},
		{"html", "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", nil},
		{"empty", "", "", nil},
		{"non-string field error", "application/json", `{"errors":{"customfield_1":{"x":1}}}`, []string{`customfield_1: {"x":1}`}},
	} {
		e := &Error{StatusCode: 401}
		e.parseBody(tc.ctype, []byte(tc.body))
		got := e.Messages()
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: messages %q, want %q", tc.name, got, tc.want)
		}
	}
	e := &Error{StatusCode: 401, Message: "Unauthorized; scope does not match"}
	if !e.ScopeMismatch() || !e.AuthFailed() {
		t.Error("gateway scope message: want ScopeMismatch and AuthFailed")
	}
}

// FuzzErrorBody: no body, however malformed, makes the parser panic or
// produce invalid UTF-8 from valid input.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"errorMessages":["x"],"errors":{"a":"b"}}`, `{"code":401,"message":"Unauthorized"}`,
		"Client must be authenticated", `{"errors":null}`, `{"errorMessages":"notalist"}`, "<html>", "{", "\x00\xff",
		strings.Repeat("é", 400),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := &Error{StatusCode: 500, Method: "GET", URL: "http://x"}
		e.parseBody("", []byte(body))
		msg := e.Error()
		if strings.ToValidUTF8(body, "") == body && strings.ToValidUTF8(msg, "") != msg {
			t.Fatalf("valid body %q gave invalid message %q", body, msg)
		}
	})
}

func TestMatchCreated(t *testing.T) {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	withProp := func(key, marker, summary string) Issue {
		return Issue{Key: key, Fields: map[string]json.RawMessage{"summary": raw(summary)},
			Properties: map[string]json.RawMessage{CreateMarkerProperty: raw(map[string]string{"id": marker})}}
	}
	plain := func(key, summary string) Issue {
		return Issue{Key: key, Fields: map[string]json.RawMessage{"summary": raw(summary)}}
	}
	for _, tc := range []struct {
		name   string
		issues []Issue
		want   string
	}{
		{"marker wins over summary", []Issue{withProp("A-2", "other", "Fix"), withProp("A-1", "m1", "Fix")}, "A-1"},
		{"marker echoed, not ours: no summary guess", []Issue{withProp("A-2", "other", "Fix")}, ""},
		{"no properties echoed: exact summary", []Issue{plain("A-3", "Fix it"), plain("A-2", "Fix")}, "A-2"},
		{"nothing matches", []Issue{plain("A-3", "fix")}, ""},
	} {
		is, ok := matchCreated(tc.issues, "m1", "Fix")
		if got := map[bool]string{true: is.Key}[ok]; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestOversizedAnswerNotRetried: an answer over the size limit comes back
// the same on a retry.
func TestOversizedAnswerNotRetried(t *testing.T) {
	var hits atomic.Int32
	big := strings.Repeat(" ", maxBody+1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, big)
	}))
	defer s.Close()
	c := NewClient(s.Client(), s.URL, nil, WithSleep(func(context.Context, time.Duration) error { return nil }))
	_, err := c.Myself(context.Background())
	if err == nil || !strings.Contains(err.Error(), "larger than") || hits.Load() != 1 {
		t.Errorf("err = %v after %d requests; want one request and a size error", err, hits.Load())
	}
}
