package factory_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/ticket"
)

// TestListingReusesConnections: the client tm's commands use keeps the
// connections of a listing's pages open for the next pages, rather than
// dialling again (a TLS handshake each on a real site).
func TestListingReusesConnections(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithProjects(2000), Latency: 20 * time.Millisecond})
	tr, ok := factory.New().HTTPClient().Transport.(*http.Transport)
	if !ok {
		t.Fatalf("the command client's transport is %T, want *http.Transport", factory.New().HTTPClient().Transport)
	}
	tr = tr.Clone()
	var dials atomic.Int32
	dial := (&net.Dialer{}).DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	you := s.You()
	f := testFactory(t, map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken})
	f.HTTPClient = func() *http.Client { return &http.Client{Transport: tr} }
	j, err := f.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const window = 4
	n, err := ticket.New(j.Client, nil).Projects(context.Background(), ticket.ProjectListing{Concurrency: window},
		func([]tm.Project) error { return nil })
	if err != nil || n < 2000 {
		t.Fatalf("listed %d projects, err %v", n, err)
	}
	// One more dial may race with a connection being handed back as its
	// body ends. net/http's default transport dials 6 to 8 here.
	if d := dials.Load(); d > window+1 {
		t.Errorf("%d connections dialled for %d pages at most %d at a time; want at most %d", d, (n+99)/100, window, window+1)
	}
}

// TestWritesWaitForInterruptHandling: Ctrl-C handling is set up beside a
// command's first request rather than before it. A read goes out at once;
// no write leaves before an interrupt during it would be caught and
// explained.
func TestWritesWaitForInterruptHandling(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	f := testFactory(t, map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken})
	var reads, writes atomic.Int32
	f.HTTPClient = func() *http.Client {
		return &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method == http.MethodGet {
				reads.Add(1)
			} else {
				writes.Add(1)
			}
			return http.DefaultTransport.RoundTrip(req)
		})}
	}
	release := make(chan struct{})
	var armed atomic.Bool
	f.ArmInterrupt = func() {
		<-release
		armed.Store(true)
	}
	ctx := context.Background()
	j, err := f.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Client.Myself(ctx); err != nil {
		t.Fatalf("a read while the interrupt is being armed: %v", err)
	}
	if reads.Load() != 1 || armed.Load() {
		t.Fatalf("reads sent %d, armed %v; want the read sent before arming finished", reads.Load(), armed.Load())
	}
	done := make(chan error, 1)
	go func() {
		_, err := j.Client.AddComment(ctx, "SPACE2-1", map[string]any{"type": "doc", "version": 1,
			"content": []any{map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": "armed first"}}}}})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the write finished (err %v) before the interrupt was armed", err)
	case <-time.After(200 * time.Millisecond):
	}
	if n := writes.Load(); n != 0 {
		t.Fatalf("%d writes reached the network before the interrupt was armed", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if writes.Load() != 1 || !armed.Load() {
		t.Errorf("writes sent %d, armed %v; want the write sent once armed", writes.Load(), armed.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
