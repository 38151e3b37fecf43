package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

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

var teamTypes = []jira.IssueTypeMeta{
	{ID: "10010", Name: "Task"}, {ID: "10011", Name: "Epic"},
	{ID: "10012", Name: "Subtask", Subtask: true}, {ID: "10013", Name: "Bug"}, {ID: "10099", Name: "bug"},
}

func TestPickType(t *testing.T) {
	for _, tc := range []struct {
		name, parent, wantID, wantErr string
	}{
		{"", "", "10010", ""},
		{"bug", "", "10013", ""}, // a name Jira repeats: the first stands for it
		{"BUG", "", "10013", ""},
		{"10011", "", "10011", ""},
		{"Subtask", "TEAM-1", "10012", ""},
		{"subtask", "", "", "Subtask is a sub-task type: give the parent issue's key (parent), or choose another type; valid: Task, Epic, Bug."},
		{"Spaceship", "", "", `TEAM has no issue type "Spaceship"; valid: Task, Epic, Bug.`},
		{"Spaceship", "TEAM-1", "", `TEAM has no issue type "Spaceship"; valid: Task, Epic, Subtask, Bug.`},
	} {
		got, err := pickType(teamTypes, "TEAM", tc.name, tc.parent)
		if tc.wantErr != "" {
			var ce *choiceError
			if !errors.As(err, &ce) || err.Error() != tc.wantErr || ce.Field != "type" {
				t.Errorf("pickType(%q, parent %q): %v, want %q", tc.name, tc.parent, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.ID != tc.wantID {
			t.Errorf("pickType(%q, parent %q) = %s, %v; want %s", tc.name, tc.parent, got.ID, err, tc.wantID)
		}
	}
	// Default: the first type when there is no Task; none at all is a
	// permission problem, not a choice.
	if got, _ := pickType(teamTypes[1:], "TEAM", "", ""); got.ID != "10011" {
		t.Errorf("default without Task: %s", got.ID)
	}
	if _, err := pickType(nil, "OPS", "Task", ""); err == nil || !strings.Contains(err.Error(), "Jira offers you no issue types in OPS") {
		t.Errorf("no types: %v", err)
	}
}

func TestPickPriority(t *testing.T) {
	screen := []jira.FieldMeta{{FieldID: "summary"}, {FieldID: "priority", Name: "Priority",
		AllowedValues: []jira.AllowedValue{{ID: "1", Name: "Highest"}, {ID: "2", Name: "High"}}}}
	bug := jira.IssueTypeMeta{ID: "10013", Name: "Bug"}
	if v, err := pickPriority(screen, "TEAM", bug, "high"); err != nil || v.ID != "2" {
		t.Errorf("high: %v %v", v, err)
	}
	_, err := pickPriority(screen, "TEAM", bug, "Urgent")
	if want := `"Urgent" is not a priority of Bug issues in TEAM; valid: Highest, High.`; err == nil || err.Error() != want {
		t.Errorf("Urgent: %v, want %q", err, want)
	}
	_, err = pickPriority(screen[:1], "TEAM", bug, "High")
	if want := "Bug issues in TEAM have no priority on their create screen: leave the priority out"; err == nil || err.Error() != want {
		t.Errorf("no priority field: %v, want %q", err, want)
	}
}

// FuzzPickType: whatever the name, the answer is a selectable type that
// matches it, or an error that lists every selectable type.
func FuzzPickType(f *testing.F) {
	for _, s := range []string{"", "Task", "tASK", "Subtask", "10012", "ß", "bug\x00", strings.Repeat("x", 300)} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, name string, withParent bool) {
		parent := ""
		if withParent {
			parent = "TEAM-1"
		}
		ok := selectableTypes(teamTypes, withParent)
		got, err := pickType(teamTypes, "TEAM", name, parent)
		if err != nil {
			var ce *choiceError
			if !errors.As(err, &ce) || len(ce.Valid) != len(ok) {
				t.Fatalf("%q: %v does not list the %d valid types", name, err, len(ok))
			}
			if utf8.ValidString(name) && len(ce.Message) > 200 {
				t.Fatalf("%q: message of %d bytes", name, len(ce.Message))
			}
			return
		}
		if !containsType(ok, got) {
			t.Fatalf("%q: picked %+v, not selectable", name, got)
		}
		if name != "" && !strings.EqualFold(got.Name, name) && got.ID != name {
			t.Fatalf("%q: picked %+v", name, got)
		}
	})
}

func containsType(ts []jira.IssueTypeMeta, t jira.IssueTypeMeta) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}
