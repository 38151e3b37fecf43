package ticket_test

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/ticket"
)

// gate holds every GET until want of them are in flight together (or a
// while has passed), and counts the GETs of each path.
type gate struct {
	base http.RoundTripper
	want int

	mu       sync.Mutex
	inFlight int
	most     int
	open     chan struct{}
	paths    map[string]int
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		return g.base.RoundTrip(req)
	}
	g.mu.Lock()
	g.paths[req.URL.RequestURI()]++
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	if g.inFlight >= g.want {
		select {
		case <-g.open:
		default:
			close(g.open)
		}
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(2 * time.Second):
	}
	resp, err := g.base.RoundTrip(req)
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	return resp, err
}

// TestBulkLooksAhead: every lookup a file needs — each project's issue
// types, each person named by email, the caller for "me" — goes out at
// once before any row waits on one, and each is asked once however many
// rows need it.
func TestBulkLooksAhead(t *testing.T) {
	projects := []string{"SPACE2", "TEAM"}
	people := []string{"mia@sandbox.example", "me", "MIA@Sandbox.example"} // two people, asked for once each
	const lookups = 2 + 1 + 1
	g := &gate{base: http.DefaultTransport, want: lookups, open: make(chan struct{}), paths: map[string]int{}}
	sb := newSandbox(t, emulator.Options{}).with(g)

	var rows []ticket.Row
	for i := range 24 {
		rows = append(rows, ticket.Row{Line: i + 2, Draft: tm.TicketDraft{ProjectKey: strings.ToLower(projects[i%len(projects)]),
			Summary: "Looked ahead", Priority: "Medium", Assignee: people[i%len(people)]}})
	}
	var keys []string
	err := sb.svc.CreateMany(context.Background(), rows, ticket.BulkOptions{}, func(r ticket.RowResult) {
		if r.Err != nil {
			t.Errorf("line %d: %v", r.Line, r.Err)
		} else {
			keys = append(keys, r.Ticket.Key)
		}
	})
	if err != nil || len(keys) != len(rows) {
		t.Fatalf("created %d of %d: %v", len(keys), len(rows), err)
	}
	if g.most < lookups {
		t.Errorf("at most %d lookups in flight together, want all %d", g.most, lookups)
	}
	// The lookups, then each project's create screen for the priority.
	for path, n := range g.paths {
		if n != 1 {
			t.Errorf("GET %s asked %d times, want once", path, n)
		}
	}
	if len(g.paths) != lookups+len(projects) {
		t.Errorf("%d lookups, want %d: %v", len(g.paths), lookups+len(projects), g.paths)
	}
	// Each person got the rows that named them, "me" and any case too.
	found, err := sb.svc.Issues(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	assignees := map[string]int{}
	want := map[string]int{sb.s.You().AccountID: len(rows) / 3, sb.s.User(t, "mia@sandbox.example").AccountID: 2 * len(rows) / 3}
	for _, is := range found {
		if is.Assignee == nil {
			t.Errorf("%s has no assignee", is.Key)
			continue
		}
		assignees[is.Assignee.AccountID]++
	}
	if !maps.Equal(assignees, want) {
		t.Errorf("tickets by assignee %v, want %v", assignees, want)
	}
}

// TestBulkLookupsStartedEarly: issue types asked for before the rows were
// read are the ones the rows use: asked once.
func TestBulkLookupsStartedEarly(t *testing.T) {
	g := &gate{base: http.DefaultTransport, want: 1, open: make(chan struct{}), paths: map[string]int{}}
	sb := newSandbox(t, emulator.Options{}).with(g)
	ctx := context.Background()
	l := sb.svc.StartLookups(ctx, " space2 ")
	var rows []ticket.Row
	for i := range 10 {
		rows = append(rows, ticket.Row{Line: i + 2, Draft: tm.TicketDraft{ProjectKey: "SPACE2", Summary: "Early"}})
	}
	created := 0
	err := sb.svc.CreateMany(ctx, rows, ticket.BulkOptions{Lookups: l}, func(r ticket.RowResult) {
		if r.Err == nil {
			created++
		}
	})
	if err != nil || created != len(rows) {
		t.Fatalf("created %d of %d: %v", created, len(rows), err)
	}
	if len(g.paths) != 1 || g.paths["/rest/api/3/issue/createmeta/SPACE2/issuetypes?maxResults=200&startAt=0"] != 1 {
		t.Errorf("lookups %v, want the issue types of SPACE2 once", g.paths)
	}
}
