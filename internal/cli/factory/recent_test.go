package factory_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/factory"
)

// memCache is a Cache in memory that counts its writes.
type memCache struct {
	files  map[string][]byte
	writes int
}

func (m *memCache) ReadCache(name string, _ time.Duration, v any) bool {
	b, ok := m.files[name]
	return ok && json.Unmarshal(b, v) == nil
}

func (m *memCache) WriteCache(name string, v any) error {
	b, err := json.Marshal(v)
	m.files[name] = b
	m.writes++
	return err
}

func (m *memCache) DropCache(name string) { delete(m.files, name) }

// Recent tickets come newest first, and viewing the newest again writes
// nothing: the write would be the last thing the command waits for.
func TestRememberWritesOnlyChanges(t *testing.T) {
	c := &memCache{files: map[string][]byte{}}
	steps := []struct {
		keys   []string
		writes int
		want   []string
	}{
		{[]string{"A-1"}, 1, []string{"A-1"}},
		{[]string{"A-1"}, 1, []string{"A-1"}},
		{[]string{"B-2"}, 2, []string{"B-2", "A-1"}},
		{[]string{"B-2"}, 2, []string{"B-2", "A-1"}},
		{[]string{"A-1"}, 3, []string{"A-1", "B-2"}},
		{[]string{"C-3", "A-1"}, 4, []string{"C-3", "A-1", "B-2"}},
	}
	for i, s := range steps {
		factory.Remember(c, s.keys...)
		var r struct{ Keys []string }
		c.ReadCache("recent-issues", time.Hour, &r)
		got := r.Keys
		if c.writes != s.writes || !slices.Equal(got, s.want) {
			t.Fatalf("step %d: %d writes, recent %v; want %d and %v", i, c.writes, got, s.writes, s.want)
		}
	}
}
