package jql

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Match reports whether the issue satisfies the WHERE part (always, when the
// query has none). As in Jira, != and NOT IN never match an empty field:
// "assignee != alice" leaves out unassigned issues.
func (q *Query) Match(is Issue, env Env) bool {
	if q.Where == nil {
		return true
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	return eval(q.Where, is, &env)
}

func eval(e Expr, is Issue, env *Env) bool {
	switch e := e.(type) {
	case *And:
		for _, t := range e.Terms {
			if !eval(t, is, env) {
				return false
			}
		}
		return true
	case *Or:
		for _, t := range e.Terms {
			if eval(t, is, env) {
				return true
			}
		}
		return false
	case *Not:
		return !eval(e.Term, is, env)
	case *Clause:
		return e.match(is, env)
	}
	return false
}

func isEmpty(vs []string) bool {
	for _, v := range vs {
		if v != "" {
			return false
		}
	}
	return true
}

// values reads the field a clause tests. key and id are one field to Jira: a
// number given for issuekey is an id, a key given for id is a key.
func (c *Clause) values(is Issue) []string {
	var from []string
	switch c.Field {
	case "text":
		from = []string{"summary", "description", "comment"}
	case "key", "id":
		from = []string{"key", "id"}
	default:
		return is.Field(c.Field)
	}
	var all []string
	for _, f := range from {
		all = append(all, is.Field(f)...)
	}
	return all
}

func (c *Clause) match(is Issue, env *Env) bool {
	vs := c.values(is)
	switch c.Op {
	case OpIs:
		return isEmpty(vs)
	case OpIsNot:
		return !isEmpty(vs)
	case OpLike:
		return !isEmpty(vs) && c.contains(vs)
	case OpNotLike:
		return !isEmpty(vs) && !c.contains(vs)
	case OpLt, OpLe, OpGt, OpGe:
		return c.compare(vs, env)
	case OpEq, OpIn:
		return c.anyEqual(vs, env, true)
	case OpNe, OpNotIn:
		return !isEmpty(vs) && !c.anyEqual(vs, env, false)
	}
	return false
}

// anyEqual reports whether some operand value equals some field value. An
// EMPTY operand matches an empty field for = and IN; for != and NOT IN it only
// excludes nothing, since those already require a value.
func (c *Clause) anyEqual(vs []string, env *Env, positive bool) bool {
	kind := fieldOf(c.Field).kind
	for _, v := range c.Values {
		switch v.Kind {
		case Empty:
			if positive && isEmpty(vs) {
				return true
			}
			continue
		case Func:
			if _, ok := markerFuncs()[v.Text]; ok {
				if contains(vs, Marker(v.Text), true) {
					return true
				}
				continue
			}
			if v.date != nil {
				if c.dateEqual(vs, v.date.at(env.Now), env) {
					return true
				}
				continue
			}
			if env.CurrentAccountID != "" && contains(vs, env.CurrentAccountID, true) {
				return true
			}
			continue
		}
		want := v.Text
		switch {
		case kind == kindDate:
			if c.dateEqual(vs, v.date.at(env.Now), env) {
				return true
			}
			continue
		case kind == kindUser && env.ResolveUser != nil:
			if id, ok := env.ResolveUser(want); ok {
				want = id
			}
		case c.Field == "statusCategory":
			want = statusCategories()[strings.ToLower(want)]
		case c.Field == "resolution" && strings.EqualFold(want, "unresolved"):
			if positive && isEmpty(vs) {
				return true
			}
		}
		if contains(vs, want, kind == kindUser || kind == kindLabel) {
			return true
		}
	}
	return false
}

func contains(vs []string, want string, exact bool) bool {
	for _, v := range vs {
		if v == want || (!exact && strings.EqualFold(v, want)) {
			return true
		}
	}
	return false
}

func (c *Clause) dateEqual(vs []string, want time.Time, env *Env) bool {
	want = want.Truncate(time.Minute)
	for _, v := range vs {
		if t, ok := issueTime(v, env.Now.Location()); ok && t.Truncate(time.Minute).Equal(want) {
			return true
		}
	}
	return false
}

// compare evaluates <, <=, > and >=: dates by instant (to the minute), keys
// within their project by number, ids and numeric custom values by number.
func (c *Clause) compare(vs []string, env *Env) bool {
	v := c.Values[0]
	if v.date == nil && v.Kind == Func { // currentUser() on a custom field
		return false
	}
	for _, have := range vs {
		var cmp int
		var ok bool
		switch {
		case v.date != nil:
			cmp, ok = compareDate(have, v.date.at(env.Now), env.Now.Location())
		case c.Field == "key" || c.Field == "id":
			cmp, ok = compareKey(have, v.Text)
		default:
			cmp, ok = compareValue(have, v.Text), true
		}
		if ok && opHolds(c.Op, cmp) {
			return true
		}
	}
	return false
}

func opHolds(op Op, cmp int) bool {
	switch op {
	case OpLt:
		return cmp < 0
	case OpLe:
		return cmp <= 0
	case OpGt:
		return cmp > 0
	case OpGe:
		return cmp >= 0
	}
	return false
}

func compareDate(have string, want time.Time, loc *time.Location) (int, bool) {
	t, ok := issueTime(have, loc)
	if !ok {
		return 0, false
	}
	return t.Truncate(time.Minute).Compare(want.Truncate(time.Minute)), true
}

// compareKey compares issue keys of one project by number ("key > ABC-10"
// never matches another project), or two numeric ids.
func compareKey(have, want string) (int, bool) {
	hp, hn, hok := splitKey(have)
	wp, wn, wok := splitKey(want)
	switch {
	case hok && wok:
		if !strings.EqualFold(hp, wp) {
			return 0, false
		}
		return cmpInt(hn, wn), true
	case !hok && !wok:
		a, err1 := strconv.ParseInt(have, 10, 64)
		b, err2 := strconv.ParseInt(want, 10, 64)
		return cmpInt(a, b), err1 == nil && err2 == nil
	}
	return 0, false
}

func splitKey(k string) (project string, n int64, ok bool) {
	i := strings.LastIndexByte(k, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(k[i+1:], 10, 64)
	return k[:i], n, err == nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareValue orders two field values: numerically when both are numbers,
// else case-insensitively as text.
func compareValue(a, b string) int {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// term is one element of a text search: a word (maybe a prefix, from "win*"),
// or a phrase of words that must appear in order.
type term struct {
	words  []string
	prefix bool
}

// Lucene's English stop words, which Jira's text search ignores.
var stopWords = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
		"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
		"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true,
		"their": true, "then": true, "there": true, "these": true, "they": true, "this": true, "to": true,
		"was": true, "will": true, "with": true,
	}
})

// searchTerms splits a ~ operand: "quoted parts" are phrases, other words are
// single terms, each must occur (Jira Cloud ANDs the terms). A trailing * makes
// a prefix term.
func searchTerms(s string) []term {
	var out []term
	parts := strings.Split(s, `"`)
	for i, part := range parts {
		if i%2 == 1 { // inside quotes
			if ws := words(part); len(ws) > 0 {
				out = append(out, term{words: stems(ws)})
			}
			continue
		}
		for f := range strings.FieldsSeq(part) {
			prefix := strings.HasSuffix(f, "*")
			for _, w := range words(f) {
				if stopWords()[w] {
					continue
				}
				if prefix {
					out = append(out, term{words: []string{w}, prefix: true})
				} else {
					out = append(out, term{words: []string{stem(w)}})
				}
			}
		}
	}
	return out
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func stems(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = stem(w)
	}
	return out
}

// stem is a deliberately small English stemmer: it lets "test" find "tests",
// "tested" and "testing", as Jira's analyser does, without further cleverness.
func stem(w string) string {
	for _, suf := range [...]string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

// contains reports whether one field value holds every term. A query of stop
// words only has no terms and, as in Jira, finds nothing.
func (c *Clause) contains(vs []string) bool {
	if len(c.terms) == 0 {
		return false
	}
	for _, v := range vs {
		if textHas(words(v), c.terms) {
			return true
		}
	}
	if c.Field == "text" && len(vs) > 1 {
		return textHas(words(strings.Join(vs, "\n")), c.terms)
	}
	return false
}

func textHas(ws []string, terms []term) bool {
	stemmed := stems(ws)
	for _, t := range terms {
		if !termIn(ws, stemmed, t) {
			return false
		}
	}
	return true
}

func termIn(ws, stemmed []string, t term) bool {
	if t.prefix {
		for _, w := range ws {
			if strings.HasPrefix(w, t.words[0]) {
				return true
			}
		}
		return false
	}
	for i := 0; i+len(t.words) <= len(stemmed); i++ {
		match := true
		for j, w := range t.words {
			if stemmed[i+j] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
