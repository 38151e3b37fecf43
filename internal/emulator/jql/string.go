package jql

import (
	"fmt"
	"strings"
)

// String prints the query in a canonical form that Parse reads back to an
// equal Query: canonical field names, keywords in capitals, every literal
// double-quoted, parentheses only where precedence needs them.
func (q *Query) String() string {
	var b strings.Builder
	if q.Where != nil {
		writeExpr(&b, q.Where, 0)
	}
	for i, s := range q.Sorts {
		if i == 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(queryName(s.Field))
		if s.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
	}
	return b.String()
}

// Binding strength: OR < AND < NOT/clause.
const (
	precOr = iota + 1
	precAnd
	precNot
)

func writeExpr(b *strings.Builder, e Expr, outer int) {
	var prec int
	var terms []Expr
	var sep string
	switch n := e.(type) {
	case *Or:
		prec, terms, sep = precOr, n.Terms, " OR "
	case *And:
		prec, terms, sep = precAnd, n.Terms, " AND "
	case *Not:
		b.WriteString("NOT ")
		writeExpr(b, n.Term, precNot)
		return
	case *Clause:
		writeClause(b, n)
		return
	}
	if prec < outer {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		writeExpr(b, t, prec+1)
	}
}

func writeClause(b *strings.Builder, c *Clause) {
	b.WriteString(queryName(c.Field))
	b.WriteByte(' ')
	b.WriteString(string(c.Op))
	b.WriteByte(' ')
	if c.List {
		b.WriteByte('(')
	}
	for i, v := range c.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		switch v.Kind {
		case Empty:
			b.WriteString("EMPTY")
		case Literal:
			b.WriteString(Quote(v.Text))
		case Func:
			b.WriteString(v.Text)
			b.WriteByte('(')
			for j, a := range v.Args {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(Quote(a))
			}
			b.WriteByte(')')
		}
	}
	if c.List {
		b.WriteByte(')')
	}
}

// Quote returns s as a double-quoted JQL string.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
