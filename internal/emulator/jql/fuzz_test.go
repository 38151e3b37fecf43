package jql_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/jql"
)

var seeds = []string{
	"",
	"order by key",
	"project = SPACE2 AND status != Done ORDER BY created DESC, key",
	`project in (SPACE2, "OPS") AND (labels = urgent OR priority in (High, Highest)) AND NOT type = Epic`,
	`assignee = currentUser() AND updated >= -7d AND created < "2024/01/02 15:04"`,
	`text ~ "login* \"reset flow\"" AND summary !~ 'typo'`,
	"cf[10011] >= 5 OR customfield_10012 IS NOT EMPTY",
	"key > SPACE2-10 && issuekey <= SPACE2-20 || id = 10001",
	"!(status = Open)",
	`labels = 'a\u0040b\n\t\\'`,
	"created > startOfDay(-1d) and duedate < endOfMonth(\"+1\")",
	"assignee in (EMPTY, 'alice@example.com') and reporter is null",
	"project foo",
	"a = func(bad,)",
	"(a=b and c = d",
	"comment ~ 'test\n",
	"cf[29829 = world",
	"mine{www = qwwr",
	"x = 1 ORDER BY key, id, status, priority, created, updated, duedate, summary",
	"status = \x7f",
	"project = \xff",
	"((((((((((project = A))))))))))",
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	is := fixture()["SPACE2-1"]
	env := jql.Env{CurrentAccountID: "acc-alice", Now: now}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := jql.Parse(s)
		if err != nil {
			var je *jql.Error
			if !errors.As(err, &je) {
				t.Fatalf("Parse(%q) error %T is not *jql.Error", s, err)
			}
			if je.Pos < 0 || je.Pos > len(s) || je.Message == "" {
				t.Fatalf("Parse(%q) error %q at %d, outside the input (len %d)", s, je.Message, je.Pos, len(s))
			}
			return
		}
		q.Match(is, env) // must not panic, whatever the query
		canon := q.String()
		q2, err := jql.Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, canon, err)
		}
		if again := q2.String(); again != canon {
			t.Fatalf("String not stable:\n%s\n%s", canon, again)
		}
		clearPos(q.Where)
		clearPos(q2.Where)
		if !reflect.DeepEqual(q, q2) {
			t.Fatalf("Parse(String()) differs for %q via %q", s, canon)
		}
	})
}

// clearPos zeroes clause positions, the one thing String cannot preserve.
func clearPos(e jql.Expr) {
	switch e := e.(type) {
	case *jql.And:
		for _, t := range e.Terms {
			clearPos(t)
		}
	case *jql.Or:
		for _, t := range e.Terms {
			clearPos(t)
		}
	case *jql.Not:
		clearPos(e.Term)
	case *jql.Clause:
		e.Pos = 0
	}
}

func BenchmarkParseMatch(b *testing.B) {
	const q = `project = SPACE2 AND status != Done AND (labels in (backend, urgent) OR text ~ "password reset") AND updated >= -7d ORDER BY priority DESC, key`
	issues := fixture()
	env := jql.Env{CurrentAccountID: "acc-alice", Now: now}
	b.ReportAllocs()
	for b.Loop() {
		parsed, err := jql.Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		for _, is := range issues {
			parsed.Match(is, env)
		}
	}
}
