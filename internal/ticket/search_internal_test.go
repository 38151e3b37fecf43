package ticket

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/jira"
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

// FuzzOrderAs: ordering bulkfetch's answer by the ids asked for gives what
// the map by id and key gives, whether the answer came in order, shuffled,
// short of hidden issues, or asked for by keys.
func FuzzOrderAs(f *testing.F) {
	for _, s := range [][]byte{{}, {0, 1, 2, 3}, {3, 2, 1, 0}, {0, 2}, {0x80, 1, 0x82}, {5, 5, 1}, {0x81, 0x81}} {
		f.Add(s, uint8(4))
		f.Add(s, uint8(5)) // answered in reverse
	}
	f.Fuzz(func(t *testing.T, asked []byte, n uint8) {
		// n issues exist; asked names them by id (or by key, high bit set),
		// and bulkfetch answers with those of them that exist, in the
		// order asked or reversed.
		issue := func(i byte) jira.Issue {
			return jira.Issue{ID: strconv.Itoa(10000 + int(i)), Key: "SPACE2-" + strconv.Itoa(int(i))}
		}
		var ids []string
		var got []jira.Issue
		for _, a := range asked {
			i := a & 0x7f
			if a&0x80 != 0 {
				ids = append(ids, issue(i).Key)
			} else {
				ids = append(ids, issue(i).ID)
			}
			if i < n && !slices.ContainsFunc(got, func(is jira.Issue) bool { return is.ID == issue(i).ID }) {
				got = append(got, issue(i))
			}
		}
		if n%2 == 1 {
			slices.Reverse(got)
		}
		want := orderByMap(slices.Clone(got), ids)
		if out := orderAs(got, ids); !slices.Equal(keysOf(out), keysOf(want)) {
			t.Errorf("asked %v, answered %v: %v, want %v", ids, keysOf(got), keysOf(out), keysOf(want))
		}
	})
}

func keysOf(is []jira.Issue) []string {
	out := make([]string, len(is))
	for i, x := range is {
		out[i] = x.Key
	}
	return out
}
