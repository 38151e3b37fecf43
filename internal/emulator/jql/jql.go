// Package jql owns the emulator's Jira Query Language: parsing the subset the
// sandbox supports into a Query, checking it the way Jira does (same error
// wording and positions), matching issues against it and ordering them.
//
// It imports only the standard library. The emulator must not share code with
// ticket-mate's client, so that a misunderstanding of Jira cannot hide in both.
//
// What Match expects from Issue.Field, per canonical field name (the first
// element is the field's own value and the one ORDER BY uses; further elements
// are aliases that also match):
//
//	project            key, id, name           compared case-insensitively
//	key                current key, then keys the issue had before a move (case-insensitive)
//	id                 numeric issue id
//	status             name, id                case-insensitive
//	statusCategory     key: new | indeterminate | done (names "To Do", "In Progress", "Done" and ids 2, 4, 3 are accepted in queries)
//	assignee, reporter, creator
//	                   accountId (username on Data Center); nil when unassigned. Exact match,
//	                   after query values are resolved through Env.ResolveUser
//	labels             every label; nil when none. Case-sensitive
//	issuetype          name, id                case-insensitive
//	priority           name, id                case-insensitive; ORDER BY priority ranks by id,
//	                                           smaller id = higher priority (Jira's 1 Highest … 5 Lowest)
//	resolution         name, id; nil when unresolved ("Unresolved" in a query means empty)
//	summary            the summary
//	description        the description as plain text; nil when none
//	comment            each comment body as plain text
//	text               not asked for: it searches summary, description and comment
//	parent             parent key, parent id; nil when none
//	lastViewed         when the searcher last viewed the issue; nil when never
//	created, updated   one timestamp: RFC 3339 or Jira's "2006-01-02T15:04:05.000-0700"
//	duedate            "2006-01-02"; nil when none
//	sprint             name and id of each sprint; Marker("openSprints") when one is active or
//	                   future, Marker("closedSprints") / Marker("futureSprints") likewise
//	key                also Marker("watchedIssues") when the searcher watches the issue, and
//	                   Marker("issueHistory") when the searcher has viewed it
//	component, fixVersion, affectedVersion
//	                   names; nil when none
//	rank               the issue's lexorank: sortable only (ORDER BY rank), as in Jira
//	customfield_NNNNN  the values as strings (cf[NNNNN] in a query asks for this name)
//
// Dates in queries are read in Env.Now's location and compared at minute
// precision, which is the finest a JQL date can express.
package jql

import (
	"fmt"
	"strings"
	"time"
)

// Issue is what Match and Compare read. Field returns the values of a field by
// its canonical name (see the package documentation); nil or empty means the
// field is empty.
type Issue interface {
	Field(name string) []string
}

// Env is the evaluation context of one search.
type Env struct {
	// CurrentAccountID is who currentUser() is; empty for an anonymous caller,
	// for whom currentUser() matches nothing.
	CurrentAccountID string
	// Now anchors relative dates ("-7d") and date functions; zero means time.Now().
	Now time.Time
	// ResolveUser turns a user value from the query (accountId, email, display
	// name, or username on Data Center) into the accountId Issue.Field returns.
	// nil takes every value as an accountId.
	ResolveUser func(string) (accountID string, ok bool)
}

// Error is a JQL problem in Jira's wording. Pos is the byte offset in the query
// the problem is about (len(query) for "before the end of the query").
type Error struct {
	Message string
	Pos     int
}

func (e *Error) Error() string { return e.Message }

// newError builds an Error. Syntax errors carry Jira's "(line L, character C)"
// suffix unless they are about the end of the query; validation errors never do.
func newError(src string, pos int, msg string, located bool) *Error {
	if located && pos < len(src) {
		line, col := lineCol(src, pos)
		msg = fmt.Sprintf("%s (line %d, character %d)", msg, line, col)
	}
	return &Error{Message: msg, Pos: pos}
}

// UnboundedMessage is what Jira's enhanced search says about a query without a
// restriction (see Query.Bounded).
const UnboundedMessage = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."

// MaxOrderBy is how many fields an ORDER BY may list on the enhanced search.
const MaxOrderBy = 7

// Query is a parsed and checked JQL query.
type Query struct {
	Where Expr   // nil when the query has no restriction
	Sorts []Sort // ORDER BY, in order
}

// Sort is one ORDER BY term; Field is a canonical field name.
type Sort struct {
	Field string
	Desc  bool
}

// Expr is a node of the WHERE part: *And, *Or, *Not or *Clause.
type Expr interface{ expr() }

// And matches when every term matches.
type And struct{ Terms []Expr }

// Or matches when any term matches.
type Or struct{ Terms []Expr }

// Not inverts its term.
type Not struct{ Term Expr }

// Op is a JQL operator, spelled as String prints it.
type Op string

// The supported operators.
const (
	OpEq      Op = "="
	OpNe      Op = "!="
	OpLike    Op = "~"
	OpNotLike Op = "!~"
	OpLt      Op = "<"
	OpLe      Op = "<="
	OpGt      Op = ">"
	OpGe      Op = ">="
	OpIn      Op = "IN"
	OpNotIn   Op = "NOT IN"
	OpIs      Op = "IS"
	OpIsNot   Op = "IS NOT"
)

// Clause is one "field operator operand" term.
type Clause struct {
	Field  string  // canonical name, e.g. "issuetype", "customfield_10011"
	Op     Op      // the operator
	Values []Value // the operand; lists are flattened, so IN (a, (b)) has two
	List   bool    // the operand was written as a list
	Pos    int     // byte offset of the field name in the query

	terms []term // ~ and !~: the search terms, prepared once
}

// ValueKind tells literals from EMPTY and function calls.
type ValueKind int

// The kinds of operand values.
const (
	Literal ValueKind = iota // a bare word, number or quoted string
	Empty                    // EMPTY or NULL
	Func                     // a function call: Text is its name, Args its arguments
)

// Value is one operand value.
type Value struct {
	Kind ValueKind
	Text string
	Args []string

	date *dateSpec // date fields: the literal or function, decoded once
}

func (*And) expr()    {}
func (*Or) expr()     {}
func (*Not) expr()    {}
func (*Clause) expr() {}

// Bounded reports whether the query restricts the result set. Jira's enhanced
// search rejects unbounded queries (empty, or ORDER BY only) with 400 and
// UnboundedMessage.
func (q *Query) Bounded() bool { return q.Where != nil }

// OrderBy returns the ORDER BY terms.
func (q *Query) OrderBy() []Sort { return q.Sorts }

// Projects returns every literal value given for the project field, whatever
// the operator: Jira checks each of them and answers an unknown one with
// "The value 'X' does not exist for the field 'project'." (the emulator's job).
func (q *Query) Projects() []string { return q.Literals("project") }

// Literals returns the literal values the query gives for a canonical field
// name, in query order, so the emulator can check them against what exists
// (statuses, issue types, priorities, users, custom fields).
func (q *Query) Literals(field string) []string {
	var out []string
	walk(q.Where, func(c *Clause) {
		if c.Field != field {
			return
		}
		for _, v := range c.Values {
			if v.Kind == Literal {
				out = append(out, v.Text)
			}
		}
	})
	return out
}

// Fields returns the canonical names of the fields the WHERE part uses, once
// each, in order of first use.
func (q *Query) Fields() []string {
	var out []string
	seen := map[string]bool{}
	walk(q.Where, func(c *Clause) {
		if !seen[c.Field] {
			seen[c.Field] = true
			out = append(out, c.Field)
		}
	})
	return out
}

// UsesFunction reports whether the WHERE part calls function name (as
// spelled in the package's function list, e.g. "watchedIssues"), so the
// caller computes the set behind a Marker only when it is asked for.
func (q *Query) UsesFunction(name string) bool {
	found := false
	walk(q.Where, func(c *Clause) {
		for _, v := range c.Values {
			if v.Kind == Func && v.Text == name {
				found = true
			}
		}
	})
	return found
}

func walk(e Expr, f func(*Clause)) {
	switch e := e.(type) {
	case *And:
		for _, t := range e.Terms {
			walk(t, f)
		}
	case *Or:
		for _, t := range e.Terms {
			walk(t, f)
		}
	case *Not:
		walk(e.Term, f)
	case *Clause:
		f(e)
	}
}

// CheckUsers resolves every literal user value through env.ResolveUser and
// reports the first one that names nobody, in Jira's words. Call it once per
// search, before matching.
func (q *Query) CheckUsers(env Env) error {
	if env.ResolveUser == nil {
		return nil
	}
	var err error
	walk(q.Where, func(c *Clause) {
		if err != nil || fieldOf(c.Field).kind != kindUser {
			return
		}
		for _, v := range c.Values {
			if v.Kind != Literal {
				continue
			}
			if _, ok := env.ResolveUser(v.Text); !ok {
				err = &Error{Message: fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v.Text, c.Field), Pos: c.Pos}
				return
			}
		}
	})
	return err
}

// displayOp is how Jira names an operator inside its messages.
func displayOp(op Op) string { return strings.ToLower(string(op)) }
