package jira_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// These tests put small fault servers in front of the client: redirects to
// other origins, stalls and foreign answers are what the sandbox is not for.

// catcher is a server that records whether credentials reached it.
type catcher struct {
	*httptest.Server
	hits  atomic.Int32
	creds atomic.Int32
}

func newCatcher(t *testing.T, tlsOn bool) *catcher {
	c := &catcher{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			c.creds.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"accountId":"foreign","displayName":"Not Jira"}`)
	})
	if tlsOn {
		c.Server = httptest.NewTLSServer(h)
	} else {
		c.Server = httptest.NewServer(h)
	}
	t.Cleanup(c.Close)
	return c
}

func redirector(t *testing.T, tlsOn bool, status int, to func(r *http.Request) string) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final/rest/api/3/myself" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"accountId":"me","displayName":"Me"}`)
			return
		}
		http.Redirect(w, r, to(r), status)
	})
	var s *httptest.Server
	if tlsOn {
		s = httptest.NewTLSServer(h)
	} else {
		s = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

var secretAuth = jira.BasicAuth{Email: "me@example.com", Token: tm.Secret("ATATT3xSECRET")}

// TestRedirectToAnotherOriginRefused: a redirect from the site to another
// port of the same host (plain http), or to another host, is not followed:
// the credentials never reach it and its answer is never taken as Jira's.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	for _, tc := range []struct {
		name       string
		siteTLS    bool
		otherTLS   bool
		wantReason string
	}{
		{"https to http on another port of the same host", true, false, "downgrades https to http"},
		{"http to another port", false, false, "another origin"},
		{"https to another https origin", true, true, "another origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := newCatcher(t, tc.otherTLS)
			site := redirector(t, tc.siteTLS, http.StatusFound, func(r *http.Request) string { return other.URL + r.URL.Path })
			hc := site.Client()
			if tc.otherTLS {
				// Trust both test servers' certificates: only the policy may refuse.
				hc.Transport = other.Client().Transport
			}
			var traces []jira.Trace
			var mu sync.Mutex
			c := jira.NewClient(hc, site.URL, secretAuth, jira.WithTrace(func(tr jira.Trace) { mu.Lock(); traces = append(traces, tr); mu.Unlock() }))
			_, err := c.Myself(context.Background())
			var re *tm.RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v; want a refused redirect", err)
			}
			if other.hits.Load() != 0 || other.creds.Load() != 0 {
				t.Errorf("the other origin got %d requests (%d with credentials); want none", other.hits.Load(), other.creds.Load())
			}
			msg := err.Error()
			for _, want := range []string{site.URL + "/rest/api/3/myself", other.URL + "/rest/api/3/myself", tc.wantReason, "proxy or single sign-on", "wrong base URL"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "SECRET") {
				t.Errorf("message leaks the token: %q", msg)
			}
			if len(traces) != 1 || traces[0].Status != http.StatusFound || traces[0].Err == nil {
				t.Errorf("traces = %+v; want the refused 302 with its error", traces)
			}
		})
	}
}

// TestSameOriginRedirectFollowedAndTraced: a redirect within the origin is
// followed, and --debug sees every hop, not only the final answer.
func TestSameOriginRedirectFollowedAndTraced(t *testing.T) {
	var site *httptest.Server
	site = redirector(t, false, http.StatusMovedPermanently, func(r *http.Request) string { return site.URL + "/final" + r.URL.Path })
	var traces []jira.Trace
	c := jira.NewClient(site.Client(), site.URL, secretAuth, jira.WithTrace(func(tr jira.Trace) { traces = append(traces, tr) }))
	u, err := c.Myself(context.Background())
	if err != nil || u.AccountID != "me" {
		t.Fatalf("Myself = %+v, %v", u, err)
	}
	if len(traces) != 2 {
		t.Fatalf("traces = %+v; want the hop and the final answer", traces)
	}
	if traces[0].Status != http.StatusMovedPermanently || traces[0].Location != site.URL+"/final/rest/api/3/myself" {
		t.Errorf("hop trace = %+v", traces[0])
	}
	if traces[1].Status != http.StatusOK || traces[1].URL != site.URL+"/final/rest/api/3/myself" {
		t.Errorf("final trace = %+v", traces[1])
	}
}

// TestPOSTNeverBecomesGET: a 302 or 303 would make Go resend a POST as a
// GET; the client refuses instead. A 307 within the origin keeps the POST.
func TestPOSTNeverBecomesGET(t *testing.T) {
	var gets atomic.Int32
	var site *httptest.Server
	site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet:
			gets.Add(1)
			io.WriteString(w, `{}`)
		case strings.HasPrefix(r.URL.Path, "/moved"):
			b, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(b), `"summary"`) {
				http.Error(w, "body lost", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"1","key":"P-1"}`)
		case r.URL.Query().Get("code") == "307":
			http.Redirect(w, r, site.URL+"/moved"+r.URL.Path, http.StatusTemporaryRedirect)
		default:
			http.Redirect(w, r, site.URL+"/moved"+r.URL.Path, http.StatusSeeOther)
		}
	}))
	t.Cleanup(site.Close)

	c := jira.NewClient(site.Client(), site.URL, secretAuth)
	_, err := c.CreateIssue(context.Background(), jira.CreateRequest{ProjectKey: "P", Fields: map[string]any{"summary": "x"}})
	var re *tm.RedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "turn the POST into a GET") {
		t.Errorf("303 on a POST: %v; want a refused redirect", err)
	}
	if gets.Load() != 0 {
		t.Errorf("the POST was resent as %d GETs", gets.Load())
	}

	keep := jira.NewClient(&http.Client{Transport: addQuery{site.Client().Transport, "code", "307"}}, site.URL, secretAuth)
	tk, err := keep.CreateIssue(context.Background(), jira.CreateRequest{ProjectKey: "P", Fields: map[string]any{"summary": "x"}})
	if err != nil || tk.Key != "P-1" {
		t.Errorf("307 within the origin: %+v, %v; want the POST carried through", tk, err)
	}
}

type addQuery struct {
	next http.RoundTripper
	k, v string
}

func (a addQuery) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, "/moved") {
		r = r.Clone(r.Context())
		q := r.URL.Query()
		q.Set(a.k, a.v)
		r.URL.RawQuery = q.Encode()
	}
	return a.next.RoundTrip(r)
}

// TestStalledJiraBoundedByDeadline: a server that accepts the request and
// goes quiet holds the command only until its deadline, attempts included,
// and the error says it connected and then got no answer.
func TestStalledJiraBoundedByDeadline(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); site.Close() })
	c := jira.NewClient(site.Client(), site.URL, secretAuth)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.SearchProjects(ctx, jira.ProjectQuery{})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %v; want the 400ms deadline to hold", el)
	}
	var se *jira.StallError
	if !errors.As(err, &se) || !se.Connected || !strings.Contains(err.Error(), "connected, then the server stopped answering") {
		t.Errorf("err = %v; want a stall after connecting", err)
	}
}

// TestCouldNotConnectSaysSo: a listener that never completes the TLS
// handshake is still "connected" at TCP level; a dial that never completes
// is "could not connect".
func TestCouldNotConnectSaysSo(t *testing.T) {
	dialer := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	c := jira.NewClient(&http.Client{Transport: dialer}, "https://jira.example.test", secretAuth)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Myself(ctx)
	var se *jira.StallError
	if !errors.As(err, &se) || se.Connected || !strings.Contains(err.Error(), "could not connect") {
		t.Errorf("err = %v; want could not connect", err)
	}
}

// TestTLSToPlainHTTPNotRetried: https:// in front of a plain-HTTP server
// cannot succeed on a retry; one attempt, and the error says use http://.
func TestTLSToPlainHTTPNotRetried(t *testing.T) {
	var hits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(plain.Close)
	var w waits
	u := strings.Replace(plain.URL, "http://", "https://", 1)
	c := jira.NewClient(nil, u, secretAuth, jira.WithSleep(w.sleep))
	_, err := c.SearchProjects(context.Background(), jira.ProjectQuery{})
	if err == nil || !strings.Contains(err.Error(), "use http://") {
		t.Errorf("err = %v; want advice to use http://", err)
	}
	if len(w.d) != 0 {
		t.Errorf("%d retries; want none", len(w.d))
	}
}

// TestRetryAfterBeyondDeadlineNotWaited: when Jira asks for a longer wait
// than the command has left, the client does not start it and says so.
func TestRetryAfterBeyondDeadlineNotWaited(t *testing.T) {
	var hits atomic.Int32
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(site.Close)
	var w waits
	c := jira.NewClient(site.Client(), site.URL, secretAuth, jira.WithSleep(w.sleep))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.SearchProjects(ctx, jira.ProjectQuery{})
	var je *jira.Error
	if !errors.As(err, &je) || !je.NotWaited || je.Waited != 0 || je.RetryAfter != 2*time.Minute || je.RetryAt.IsZero() {
		t.Fatalf("err = %#v; want a 429 not waited for, asking 2m", err)
	}
	if hits.Load() != 1 || len(w.d) != 0 {
		t.Errorf("%d requests, %d waits; want 1 and none", hits.Load(), len(w.d))
	}
}

// TestHTMLSignInPageRecognised: a 200 single sign-on page is not JSON:
// one attempt, its title quoted.
func TestHTMLSignInPageRecognised(t *testing.T) {
	var hits atomic.Int32
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html><head><title>Sign in &ndash; Corp SSO</title></head><body>login</body></html>")
	}))
	t.Cleanup(site.Close)
	var w waits
	c := jira.NewClient(site.Client(), site.URL, secretAuth, jira.WithSleep(w.sleep))
	_, err := c.Myself(context.Background())
	var je *jira.Error
	if !errors.As(err, &je) || !je.HTML || je.HTMLTitle != "Sign in – Corp SSO" {
		t.Fatalf("err = %v; want an HTML page titled %q", err, "Sign in – Corp SSO")
	}
	if hits.Load() != 1 || len(w.d) != 0 {
		t.Errorf("%d requests, %d waits; want 1 and none", hits.Load(), len(w.d))
	}
	if !strings.Contains(err.Error(), "single sign-on") {
		t.Errorf("message %q does not suggest SSO", err)
	}
}
