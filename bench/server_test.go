package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/store"
)

// upstreamTimer sums the time the server spends waiting for Jira, so the
// server's own overhead is what is left of a request's latency.
type upstreamTimer struct {
	next  http.RoundTripper
	total atomic.Int64
}

func (u *upstreamTimer) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := u.next.RoundTrip(r)
	if err == nil {
		// Count the body too: the client reads it after RoundTrip returns.
		resp.Body = &timedBody{ReadCloser: resp.Body, start: start, u: u}
	} else {
		u.total.Add(int64(time.Since(start)))
	}
	return resp, err
}

type timedBody struct {
	io.ReadCloser
	start time.Time
	u     *upstreamTimer
	once  sync.Once
}

func (b *timedBody) Close() error {
	b.once.Do(func() { b.u.total.Add(int64(time.Since(b.start))) })
	return b.ReadCloser.Close()
}

// fixture is a tm server over SQLite with n signed-in users of a sandbox
// whose every request takes latency.
type fixture struct {
	url      string
	users    []*http.Client
	upstream *upstreamTimer
}

func newFixture(b *testing.B, n int, latency time.Duration) *fixture {
	b.Helper()
	seed := emulator.DefaultSeed()
	accounts := addUsers(seed, n)
	emu, err := emulator.New(emulator.Options{Seed: seed, Latency: latency, RateLimit: emulator.RateLimit{Points: -1}})
	if err != nil {
		b.Fatal(err)
	}
	es := httptest.NewServer(emu)
	b.Cleanup(func() { es.Close(); emu.Close() })
	emu.SetBaseURL(es.URL)
	creds := emu.Credentials()

	k, err := secret.ParseKey("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := secret.NewKeyring(k)
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), keys)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })

	ts := httptest.NewUnstartedServer(nil)
	f := &fixture{url: "http://" + ts.Listener.Addr().String(), upstream: &upstreamTimer{next: pooled()}}
	oauth, err := atlassian.New(atlassian.Config{AuthURL: es.URL, APIURL: es.URL, ClientID: creds.OAuth[0].ClientID,
		ClientSecret: tm.Secret(creds.OAuth[0].ClientSecret), RedirectURI: f.url + "/api/auth/jira/callback"})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: db, OAuth: oauth, APIURL: es.URL, Transport: f.upstream})
	if err != nil {
		b.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	b.Cleanup(ts.Close)

	// Sign everyone in at once: with latency each sign-in takes a few round trips.
	f.users = make([]*http.Client, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each user from an address of their own: sign-ins are limited per address.
			c := loopbackClient(i)
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Get(f.url + "/api/auth/jira/login")
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			back, err := emu.Auth().Approve(resp.Header.Get("Location"), accounts[i], creds.Sites[0].CloudID)
			if err != nil {
				b.Error(err)
				return
			}
			resp, err = c.Get(back)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				b.Errorf("callback for user %d: HTTP %d", i, resp.StatusCode)
			}
			c.CheckRedirect = nil
			f.users[i] = c
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return f
}

// BenchmarkServerProjects measures GET /api/projects with 50 signed-in
// users asking at once, with the sandbox answering at once and after 50 ms;
// one user asking in turn shows the cost of a request without queueing.
// Reported: requests/s, p50 and p99 latency, and the server's own time per
// request (latency minus the time spent waiting for Jira).
func BenchmarkServerProjects(b *testing.B) {
	for _, c := range []struct {
		users   int
		latency time.Duration
	}{{1, 0}, {50, 0}, {50, 50 * time.Millisecond}} {
		b.Run(fmt.Sprintf("users=%d/latency=%s", c.users, c.latency), func(b *testing.B) {
			f := newFixture(b, c.users, c.latency)
			var next atomic.Int64
			lat := make([]time.Duration, b.N)
			f.upstream.total.Store(0)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range f.users {
				c := f.users[w]
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						t0 := time.Now()
						resp, err := c.Get(f.url + "/api/projects")
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Errorf("HTTP %d", resp.StatusCode)
							return
						}
						lat[i] = time.Since(t0)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			overhead := (sum - time.Duration(f.upstream.total.Load())) / time.Duration(b.N)
			b.ReportMetric(float64(overhead.Microseconds())/1000, "server-ms/req")
		})
	}
}

// pooled is a transport that keeps enough idle connections for 50 users
// of one host, as tm serve's own does.
func pooled() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	return t
}
