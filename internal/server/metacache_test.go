package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// fakeClock is a settable clock for the cache's TTL.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// typesFetcher counts fetches and answers one type named after the project.
type typesFetcher struct{ n atomic.Int32 }

func (f *typesFetcher) fetch(project string) func(context.Context) ([]jira.IssueTypeMeta, error) {
	return func(context.Context) ([]jira.IssueTypeMeta, error) {
		f.n.Add(1)
		return []jira.IssueTypeMeta{{ID: "1", Name: "Task of " + project}}, nil
	}
}

func TestMetaCacheTTLAndBound(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m := newMetaCache(10*time.Minute, 2, clk.now)
	f := &typesFetcher{}
	ctx := context.Background()
	get := func(user, project string) (string, bool) {
		t.Helper()
		ts, cached, err := m.issueTypes(ctx, metaKey{user, "cloud", project}, f.fetch(project))
		if err != nil {
			t.Fatal(err)
		}
		return ts[0].Name, cached
	}

	if name, cached := get("u1", "A"); cached || name != "Task of A" {
		t.Fatalf("first read: %q cached=%v", name, cached)
	}
	if _, cached := get("u1", "A"); !cached || f.n.Load() != 1 {
		t.Fatalf("second read within the TTL: cached=%v after %d fetches", cached, f.n.Load())
	}
	// Another user never sees u1's entry.
	if _, cached := get("u2", "A"); cached {
		t.Error("u2 was served u1's createmeta")
	}
	// A third project evicts the least recently used (u1/A was used before u2/A).
	get("u1", "B")
	if m.len() != 2 {
		t.Errorf("cache holds %d projects, bound is 2", m.len())
	}
	before := f.n.Load()
	if _, cached := get("u2", "A"); !cached {
		t.Error("the recently used u2/A was evicted")
	}
	if _, cached := get("u1", "A"); cached || f.n.Load() != before+1 {
		t.Error("the least recently used u1/A was not evicted")
	}

	clk.add(10*time.Minute + time.Second)
	if _, cached := get("u1", "A"); cached {
		t.Error("an entry older than the TTL was served")
	}

	get("u2", "A") // fresh again

	m.dropUser("u1")
	if _, cached := get("u1", "A"); cached {
		t.Error("dropUser kept u1's entry")
	}
	if _, cached := get("u2", "A"); !cached {
		t.Error("dropUser(u1) dropped u2's entry")
	}
}

func TestMetaCacheSharesConcurrentMisses(t *testing.T) {
	m := newMetaCache(time.Minute, 10, time.Now)
	var n atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) ([]jira.FieldMeta, error) {
		n.Add(1)
		<-release
		return []jira.FieldMeta{{FieldID: "priority"}}, nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if fs, _, err := m.screen(context.Background(), metaKey{"u", "c", "P"}, "10001", fetch); err != nil || len(fs) != 1 {
				t.Errorf("screen: %v %v", fs, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n.Load() != 1 {
		t.Errorf("8 concurrent misses made %d requests, want 1", n.Load())
	}
	// A failed fetch is not cached.
	boom := errors.New("boom")
	k := metaKey{"u", "c", "Q"}
	if _, _, err := m.screen(context.Background(), k, "1", func(context.Context) ([]jira.FieldMeta, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error not passed on: %v", err)
	}
	if _, cached, err := m.screen(context.Background(), k, "1", func(context.Context) ([]jira.FieldMeta, error) { return nil, nil }); err != nil || cached {
		t.Errorf("after a failure: cached=%v err=%v", cached, err)
	}
}

// TestMetaCacheMyself: the user's own account is asked for once per user
// and site, kept apart from every project's metadata.
func TestMetaCacheMyself(t *testing.T) {
	m := newMetaCache(time.Minute, 10, time.Now)
	var n atomic.Int32
	fetch := func(context.Context) (tm.Account, error) {
		n.Add(1)
		return tm.Account{AccountID: "acc-1"}, nil
	}
	u := userMeta{m: m, user: "u", cloud: "c"}
	for i := range 3 {
		me, cached, err := u.Myself(context.Background(), fetch)
		if err != nil || me.AccountID != "acc-1" || cached != (i > 0) {
			t.Fatalf("read %d: %+v cached=%v %v", i, me, cached, err)
		}
	}
	u.Forget("SPACE2")
	if _, cached, _ := u.Myself(context.Background(), fetch); !cached || n.Load() != 1 {
		t.Errorf("forgetting a project dropped the account (cached=%v, %d fetches)", cached, n.Load())
	}
	if _, cached, _ := (userMeta{m: m, user: "other", cloud: "c"}).Myself(context.Background(), fetch); cached {
		t.Error("another user was served u's account")
	}
}
