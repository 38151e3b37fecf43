package jql

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// check is Jira's validation pass: it runs only on a syntactically valid query,
// resolves field names to canonical ones and prepares values for matching.
func (p *parser) check(q *Query) error {
	var err *Error
	walk(q.Where, func(c *Clause) {
		if err == nil {
			err = p.checkClause(c)
		}
	})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range q.Sorts {
		t := p.sortTyped[i]
		if i == MaxOrderBy {
			return &Error{Message: fmt.Sprintf("The ORDER BY clause may list at most %d fields; remove '%s' and those after it.", MaxOrderBy, t.text), Pos: t.pos}
		}
		d, ok := lookupField(t.text)
		switch {
		case !ok:
			return noField(t.text, t.pos)
		case !d.sortable:
			return &Error{Message: fmt.Sprintf("Not able to sort using field '%s'.", t.text), Pos: t.pos}
		case seen[d.name]:
			return &Error{Message: fmt.Sprintf("The sort field '%s' is referenced multiple times in the JQL sort.", t.text), Pos: t.pos}
		}
		seen[d.name] = true
		q.Sorts[i].Field = d.name
	}
	return nil
}

func noField(name string, pos int) *Error {
	return &Error{Message: fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", name), Pos: pos}
}

// lazyRegexp compiles expr on first use: compiled at package initialisation
// it would cost every tm command, most of which never start the sandbox.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var issueKey = lazyRegexp(`^[A-Za-z][A-Za-z0-9_]*-[0-9]+$`)

func (p *parser) checkClause(c *Clause) *Error {
	typed := p.typed[c]
	d, ok := lookupField(typed)
	if !ok {
		return noField(typed, c.Pos)
	}
	fail := func(format string, args ...any) *Error {
		return &Error{Message: fmt.Sprintf(format, args...), Pos: c.Pos}
	}
	if !d.allows(c.Op) {
		return fail("The operator '%s' is not supported by the '%s' field.", displayOp(c.Op), typed)
	}
	multi := c.List || len(c.Values) > 1
	switch c.Op {
	case OpIs, OpIsNot:
		if multi || c.Values[0].Kind != Empty {
			return fail("The operator '%s' only supports the EMPTY and NULL operands; use '=' or 'IN' to compare with values.", displayOp(c.Op))
		}
	case OpEq, OpNe, OpLike, OpNotLike, OpLt, OpLe, OpGt, OpGe:
		if multi {
			return fail("The operator '%s' does not support multi-value operands; use 'IN' or 'NOT IN' with a list.", displayOp(c.Op))
		}
	}
	for i := range c.Values {
		v := &c.Values[i]
		switch v.Kind {
		case Empty:
			if d.ops&opsEmpty == 0 || c.Op.isRange() || c.Op.isText() {
				return fail("The field '%s' does not support searching for EMPTY values.", typed)
			}
		case Func:
			if err := checkFunc(d, typed, v); err != nil {
				err.Pos = c.Pos
				return err
			}
		case Literal:
			if err := checkLiteral(d, typed, c.Op, v); err != nil {
				err.Pos = c.Pos
				return err
			}
		}
	}
	if c.Op.isText() && c.Values[0].Kind == Literal {
		c.terms = searchTerms(c.Values[0].Text)
	}
	c.Field = d.name
	return nil
}

func (op Op) isRange() bool { return op == OpLt || op == OpLe || op == OpGt || op == OpGe }
func (op Op) isText() bool  { return op == OpLike || op == OpNotLike }

const dateFormats = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."

func checkLiteral(d fieldDef, typed string, op Op, v *Value) *Error {
	switch {
	case d.kind == kindDate:
		spec, ok := parseDate(v.Text)
		if !ok {
			return &Error{Message: fmt.Sprintf("Date value '%s' for field '%s' is invalid. %s", v.Text, typed, dateFormats)}
		}
		v.date = spec
	case d.kind == kindKey:
		if !issueKey().MatchString(v.Text) && !integer().MatchString(v.Text) {
			return &Error{Message: fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", v.Text, typed)}
		}
	case d.name == "statusCategory":
		if _, ok := statusCategories()[strings.ToLower(v.Text)]; !ok {
			return &Error{Message: fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v.Text, typed)}
		}
	case op.isText():
		if strings.TrimSpace(v.Text) == "" {
			return &Error{Message: fmt.Sprintf("The field '%s' does not support searching for an empty string.", typed)}
		}
	}
	return nil
}

// functions the sandbox evaluates, by lower-case name, to their spelling.
var functions = sync.OnceValue(func() map[string]string {
	m := map[string]string{"currentuser": "currentUser", "now": "now"}
	for name := range markerFuncs() {
		m[strings.ToLower(name)] = name
	}
	for _, edge := range []string{"start", "end"} {
		for _, unit := range []string{"Day", "Week", "Month", "Year"} {
			name := edge + "Of" + unit
			m[strings.ToLower(name)] = name
		}
	}
	return m
})

// markerFuncs are the functions that stand for a set the caller's Issue
// knows about (Marker), by the one field each is valid for.
var markerFuncs = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"openSprints": "sprint", "closedSprints": "sprint", "futureSprints": "sprint",
		"watchedIssues": "key", "issueHistory": "key",
	}
})

// Marker is the value Issue.Field lists to say the issue is in the set of a
// marker function: Marker("openSprints") among the sprint values of an
// issue in an active or future sprint, Marker("watchedIssues") among the
// key values of an issue the searcher watches.
func Marker(function string) string { return "\x00" + function }

func checkFunc(d fieldDef, typed string, v *Value) *Error {
	low := strings.ToLower(v.Text)
	if low == "membersof" {
		return &Error{Message: "The function 'membersOf' is not supported by the tm sandbox; list the users instead, e.g. assignee in (accountId1, accountId2)."}
	}
	name, ok := functions()[low]
	if !ok {
		return &Error{Message: fmt.Sprintf("Unable to find JQL function '%s()'.", v.Text)}
	}
	v.Text = name
	if field, ok := markerFuncs()[name]; ok {
		if d.name != field {
			return &Error{Message: fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", name, typed)}
		}
		if len(v.Args) > 0 {
			return &Error{Message: fmt.Sprintf("Function '%s' expected '0' arguments but received '%d'.", name, len(v.Args))}
		}
		return nil
	}
	wantUser := name == "currentUser"
	if (wantUser && d.kind != kindUser && d.kind != kindCustom) || (!wantUser && d.kind != kindDate && d.kind != kindCustom) {
		return &Error{Message: fmt.Sprintf("A value provided by the function '%s' is invalid for the field '%s'.", name, typed)}
	}
	maxArgs := 1
	if name == "currentUser" || name == "now" {
		maxArgs = 0
	}
	if len(v.Args) > maxArgs {
		return &Error{Message: fmt.Sprintf("Function '%s' expected '%d' arguments but received '%d'.", name, maxArgs, len(v.Args))}
	}
	if !wantUser {
		spec, ok := dateFunc(name, v.Args)
		if !ok {
			return &Error{Message: fmt.Sprintf("Duration for function '%s' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.", name)}
		}
		v.date = spec
	}
	return nil
}
