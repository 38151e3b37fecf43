package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/store"
)

// A signed-in API call that reaches Jira reads the database once: its
// session, grant and selected site in one statement.

// TestOneStoreReadPerRequest counts the store's session and grant reads
// behind each signed-in GET /api/projects, on SQLite and PostgreSQL.
func TestOneStoreReadPerRequest(t *testing.T) {
	for name, dbURL := range map[string]func(t *testing.T) string{
		"SQLite":     func(t *testing.T) string { return "" },
		"PostgreSQL": func(t *testing.T) string { return newPostgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			var reads readCounter
			e := newEnv(t, envOptions{databaseURL: dbURL(t), server: func(o *server.Options) {
				o.Store = &countingStore{DB: o.Store.(*store.DB), reads: &reads}
			}})
			b := e.browser()
			b.connect(0, 0)
			for i := range 5 {
				reads.reset()
				if st := b.api("GET", "/api/projects", nil, nil); st != http.StatusOK {
					t.Fatalf("GET /api/projects: HTTP %d", st)
				}
				if got := reads.String(); got != "FindWithGrantCtx" {
					t.Fatalf("request %d read %s; want the session and grant in one read (FindWithGrantCtx)", i, got)
				}
			}
		})
	}
}

// TestPostgresRoundTripsPerRequest counts the PostgreSQL protocol's round
// trips (a client message answered by the server) behind each signed-in
// GET /api/projects: every statement, transaction and ping shows.
func TestPostgresRoundTripsPerRequest(t *testing.T) {
	p := startTripCounter(t, newPostgres(t))
	e := newEnv(t, envOptions{databaseURL: p.url})
	b := e.browser()
	b.connect(0, 0)
	get := func() {
		if st := b.api("GET", "/api/projects", nil, nil); st != http.StatusOK {
			t.Fatalf("GET /api/projects: HTTP %d", st)
		}
	}
	get() // the statement is prepared on first use
	// A connection idle for a second is pinged before reuse: the fewest
	// of a few windows is the requests' own.
	const n = 10
	fewest := int64(1 << 62)
	for range 3 {
		before := p.trips.Load()
		for range n {
			get()
		}
		fewest = min(fewest, p.trips.Load()-before)
	}
	if fewest != n {
		t.Fatalf("%d requests made %d round trips to PostgreSQL; want one each", n, fewest)
	}
}

// readCounter records which session and grant reads a request made.
type readCounter struct {
	mu    sync.Mutex
	reads []string
}

func (c *readCounter) add(s string) { c.mu.Lock(); c.reads = append(c.reads, s); c.mu.Unlock() }
func (c *readCounter) reset()       { c.mu.Lock(); c.reads = nil; c.mu.Unlock() }
func (c *readCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := ""
	for i, r := range c.reads {
		if i > 0 {
			s += ", "
		}
		s += r
	}
	return s
}

// countingStore is the store, noting every read a signed-in request may
// make of its session, user, grant and sites.
type countingStore struct {
	*store.DB
	reads *readCounter
}

func (c *countingStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	c.reads.add("FindCtx")
	return c.DB.FindCtx(ctx, token)
}

func (c *countingStore) Find(token string) ([]byte, bool, error) {
	c.reads.add("Find")
	return c.DB.Find(token)
}

func (c *countingStore) FindWithGrantCtx(ctx context.Context, token string) ([]byte, bool, *tm.SessionGrant, error) {
	c.reads.add("FindWithGrantCtx")
	return c.DB.FindWithGrantCtx(ctx, token)
}

func (c *countingStore) GrantAndSite(ctx context.Context, userID string) (*tm.Grant, *tm.Site, error) {
	c.reads.add("GrantAndSite")
	return c.DB.GrantAndSite(ctx, userID)
}

func (c *countingStore) GetGrant(ctx context.Context, userID string) (*tm.Grant, error) {
	c.reads.add("GetGrant")
	return c.DB.GetGrant(ctx, userID)
}

func (c *countingStore) Sites(ctx context.Context, userID string) ([]tm.Site, error) {
	c.reads.add("Sites")
	return c.DB.Sites(ctx, userID)
}

func (c *countingStore) UserByID(ctx context.Context, userID string) (*tm.User, error) {
	c.reads.add("UserByID")
	return c.DB.UserByID(ctx, userID)
}

// tripCounter is a TCP proxy in front of PostgreSQL that counts round
// trips: each time the server answers something the client sent.
type tripCounter struct {
	url   string
	trips atomic.Int64
}

func startTripCounter(t *testing.T, dbURL string) *tripCounter {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	target := u.Host
	u.Host = ln.Addr().String()
	p := &tripCounter{url: u.String()}
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				client.Close()
				continue
			}
			var asked atomic.Bool
			pipe := func(dst, src net.Conn, onData func()) {
				defer dst.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						onData()
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						if err != io.EOF {
							src.Close()
						}
						return
					}
				}
			}
			wg.Go(func() { pipe(server, client, func() { asked.Store(true) }) })
			wg.Go(func() {
				pipe(client, server, func() {
					if asked.Swap(false) {
						p.trips.Add(1)
					}
				})
			})
		}
	})
	return p
}
