package ticket

import (
	"strings"
	"testing"
)

// FuzzSplitOrderBy: the where clause and the ORDER BY put back together
// are the query (bar the space between them), and an ORDER BY found
// starts with it.
func FuzzSplitOrderBy(f *testing.F) {
	for _, s := range []string{"project = X ORDER BY created DESC", `summary ~ "ORDER BY" order by key`, "ORDER BY rank", "a = 'it''s'", `x = "\"" ORDER BY y`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		where, order := splitOrderBy(q)
		if order != "" && !strings.HasPrefix(strings.ToUpper(order), "ORDER BY") {
			t.Fatalf("%q: order %q", q, order)
		}
		if got := strings.Join(strings.Fields(where+" "+order), " "); got != strings.Join(strings.Fields(q), " ") {
			t.Fatalf("%q: split into %q and %q", q, where, order)
		}
	})
}

// FuzzCheckKey: a key that passes is upper case, trimmed, and passes again
// unchanged.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"SPACE2-1", " space2-42 ", "10001", "-1", "A-", "ÄB-1", "A_B-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := CheckKey(s)
		if err != nil {
			return
		}
		if k != strings.ToUpper(k) || k != strings.TrimSpace(k) || k == "" {
			t.Fatalf("%q → %q", s, k)
		}
		if k2, err := CheckKey(k); err != nil || k2 != k {
			t.Fatalf("%q → %q → %q, %v", s, k, k2, err)
		}
	})
}
