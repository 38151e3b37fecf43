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
