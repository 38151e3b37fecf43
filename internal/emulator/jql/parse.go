package jql

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDepth bounds nesting of parentheses and lists so that a hostile query
// cannot exhaust the stack.
const maxDepth = 64

const validOperators = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."

type parser struct {
	src   string
	lx    lexer
	tok   token
	depth int

	// names as typed, for messages of the checking pass; by clause and sort.
	typed     map[*Clause]string
	sortTyped []token
}

// Parse parses and checks a JQL query. Errors are *Error with Jira's wording:
// syntax errors first (leftmost), then the first unknown field, unsupported
// operator or invalid value, in query order.
func Parse(s string) (*Query, error) {
	p := &parser{src: s, lx: lexer{src: s}, typed: map[*Clause]string{}}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if err := p.check(q); err != nil {
		return nil, err
	}
	return q, nil
}

func (p *parser) advance() *Error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// syntax reports a problem with the current token in Jira's two shapes: "but
// got 'X'. … (line, character)" or, at the end, "before the end of the query."
func (p *parser) syntax(expecting, suffix string) *Error {
	if p.tok.kind == tkEOF {
		if strings.Contains(suffix, "%TOKEN%") {
			suffix = "" // advice about quoting a token has no token to quote
		}
		return p.atEnd(expecting + " before the end of the query." + prefixSpace(suffix))
	}
	return p.got(expecting, suffix)
}

func (p *parser) got(expecting, suffix string) *Error {
	suffix = strings.ReplaceAll(suffix, "%TOKEN%", p.tok.raw)
	msg := fmt.Sprintf("Error in the JQL Query: %s but got '%s'.%s", expecting, p.tok.raw, prefixSpace(suffix))
	return newError(p.src, p.tok.pos, msg, true)
}

func (p *parser) atEnd(msg string) *Error {
	return &Error{Message: "Error in the JQL Query: " + msg, Pos: len(p.src)}
}

func (p *parser) located(pos int, msg string) *Error {
	return newError(p.src, pos, "Error in the JQL Query: "+msg, true)
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func (p *parser) query() (*Query, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	q := &Query{}
	if p.tok.kind != tkEOF && !p.tok.is("order") {
		w, err := p.or()
		if err != nil {
			return nil, err
		}
		q.Where = w
	}
	if p.tok.is("order") {
		if err := p.orderBy(q); err != nil {
			return nil, err
		}
	}
	if p.tok.kind != tkEOF {
		return nil, p.got("Expecting either 'OR' or 'AND'", "")
	}
	return q, nil
}

func (p *parser) or() (Expr, *Error) {
	return p.chain(func(t token) bool { return t.is("or") || t.kind == tkPipe }, p.and, func(ts []Expr) Expr { return &Or{Terms: ts} })
}

func (p *parser) and() (Expr, *Error) {
	return p.chain(func(t token) bool { return t.is("and") || t.kind == tkAmp }, p.not, func(ts []Expr) Expr { return &And{Terms: ts} })
}

// chain parses term (sep term)* into one n-ary node, folding nested nodes of
// the same kind so that "a AND (b AND c)" and "a AND b AND c" are one shape.
func (p *parser) chain(sep func(token) bool, term func() (Expr, *Error), build func([]Expr) Expr) (Expr, *Error) {
	first, err := term()
	if err != nil {
		return nil, err
	}
	terms := []Expr{first}
	for sep(p.tok) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := term()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	if len(terms) == 1 {
		return first, nil
	}
	node := build(nil)
	var flat []Expr
	for _, t := range terms {
		switch n := t.(type) {
		case *And:
			if _, same := node.(*And); same {
				flat = append(flat, n.Terms...)
				continue
			}
		case *Or:
			if _, same := node.(*Or); same {
				flat = append(flat, n.Terms...)
				continue
			}
		}
		flat = append(flat, t)
	}
	return build(flat), nil
}

func (p *parser) enter() *Error {
	p.depth++
	if p.depth > maxDepth {
		return p.located(p.tok.pos, fmt.Sprintf("The query nests parentheses or lists more than %d deep.", maxDepth))
	}
	return nil
}

// descend steps past an opening token (NOT or a parenthesis) one level deeper.
func (p *parser) descend() *Error {
	if err := p.enter(); err != nil {
		return err
	}
	return p.advance()
}

func (p *parser) not() (Expr, *Error) {
	if p.tok.is("not") || p.tok.kind == tkBang {
		defer func() { p.depth-- }()
		if err := p.descend(); err != nil {
			return nil, err
		}
		t, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Not{Term: t}, nil
	}
	if p.tok.kind == tkLParen {
		defer func() { p.depth-- }()
		if err := p.descend(); err != nil {
			return nil, err
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.tok.kind == tkEOF {
			return nil, p.atEnd("Expecting ')' before the end of the query.")
		}
		if p.tok.kind != tkRParen {
			return nil, p.got("Expecting either 'OR' or 'AND'", "")
		}
		return e, p.advance()
	}
	return p.clause()
}

// field parses a field name: a word, a quoted string or cf[N]. It returns the
// name as typed (cf[N] spelled customfield_N) and its position.
func (p *parser) field() (string, int, *Error) {
	t := p.tok
	switch t.kind {
	case tkEOF:
		return "", 0, p.atEnd("Expecting a field name at the end of the query.")
	case tkString:
		if t.text == "" {
			return "", 0, p.located(t.pos, "A field name cannot be empty.")
		}
		return t.text, t.pos, p.advance()
	case tkLBracket:
		return "", 0, p.got("Expecting a field name", "Did you mean 'cf['?")
	case tkWord:
		low := strings.ToLower(t.text)
		if keywords()[low] {
			return "", 0, p.got("Expecting a field name", "You must surround '%TOKEN%' in quotation marks to use it as a field name.")
		}
		if reservedWords()[low] {
			return "", 0, p.reserved(t)
		}
		if err := p.advance(); err != nil {
			return "", 0, err
		}
		if low != "cf" || t.raw != t.text {
			return t.text, t.pos, nil
		}
		return p.customField(t.pos)
	}
	return "", 0, p.got("Expecting a field name", "You must surround '%TOKEN%' in quotation marks to use it as a field name.")
}

func (p *parser) customField(pos int) (string, int, *Error) {
	if p.tok.kind != tkLBracket {
		return "", 0, p.syntax("Expecting '['", "")
	}
	if err := p.advance(); err != nil {
		return "", 0, err
	}
	id := p.tok
	if id.kind != tkWord || !isCustomID(id.text) {
		if err := p.number(id); err != nil {
			return "", 0, err
		}
		return "", 0, p.syntax("Expecting a custom field id (a positive number)", "")
	}
	if err := p.advance(); err != nil {
		return "", 0, err
	}
	if p.tok.kind != tkRBracket {
		return "", 0, p.syntax("Expecting ']'", "")
	}
	return "customfield_" + id.text, pos, p.advance()
}

var integer = lazyRegexp(`^-?[0-9]+$`)

// number rejects unquoted integers outside int64, in Jira's words.
func (p *parser) number(t token) *Error {
	if t.kind != tkWord || !integer().MatchString(t.text) {
		return nil
	}
	if _, err := strconv.ParseInt(t.text, 10, 64); err == nil {
		return nil
	}
	return p.located(t.pos, fmt.Sprintf("'%s' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.", t.text))
}

func (p *parser) reserved(t token) *Error {
	return p.located(t.pos, fmt.Sprintf("'%s' is a reserved JQL word. You must surround it in quotation marks to use it in a query.", t.text))
}

func (p *parser) clause() (Expr, *Error) {
	name, pos, err := p.field()
	if err != nil {
		return nil, err
	}
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	c := &Clause{Op: op, Pos: pos}
	p.typed[c] = name
	if p.tok.kind == tkLParen {
		c.List = true
	}
	c.Values, err = p.operand()
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) operator() (Op, *Error) {
	t := p.tok
	var op Op
	switch {
	case t.kind == tkOp:
		op = Op(t.text)
	case t.is("in"):
		op = OpIn
	case t.is("not"):
		if err := p.advance(); err != nil {
			return "", err
		}
		if !p.tok.is("in") {
			return "", p.syntax("Expecting 'IN'", "")
		}
		op = OpNotIn
	case t.is("is"):
		if err := p.advance(); err != nil {
			return "", err
		}
		if p.tok.kind == tkBang {
			return "", p.got("Expecting 'NOT'", "")
		}
		if !p.tok.is("not") {
			return OpIs, nil
		}
		op = OpIsNot
	case t.is("was") || t.is("changed"):
		return "", p.located(t.pos, fmt.Sprintf("History searches ('%s') are not supported by the tm sandbox; search the current values instead.", strings.ToLower(t.text)))
	default:
		return "", p.syntax("Expecting operator", validOperators)
	}
	return op, p.advance()
}

// operand parses a value, EMPTY, a function call or a (nested) list, and
// returns its values flattened.
func (p *parser) operand() ([]Value, *Error) {
	t := p.tok
	const what = "Expecting either a value, list or function"
	const quote = "You must surround '%TOKEN%' in quotation marks to use it as a value."
	switch t.kind {
	case tkLParen:
		return p.list()
	case tkString, tkWord:
		if t.kind == tkWord {
			low := strings.ToLower(t.text)
			switch {
			case low == "empty" || low == "null":
				return []Value{{Kind: Empty}}, p.advance()
			case keywords()[low]:
				return nil, p.got(what, quote)
			case reservedWords()[low]:
				return nil, p.reserved(t)
			}
			if err := p.number(t); err != nil {
				return nil, err
			}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind != tkLParen {
			return []Value{{Kind: Literal, Text: t.text}}, nil
		}
		if t.text == "" {
			return nil, p.located(t.pos, "A function name cannot be empty.")
		}
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		return []Value{{Kind: Func, Text: t.text, Args: args}}, nil
	}
	return nil, p.syntax(what, quote)
}

func (p *parser) list() ([]Value, *Error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var out []Value
	for {
		if err := p.advance(); err != nil { // past '(' or ','
			return nil, err
		}
		vs, err := p.operand()
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
		switch p.tok.kind {
		case tkComma:
			continue
		case tkRParen:
			return out, p.advance()
		}
		return nil, p.syntax("Expecting ')'", "")
	}
}

func (p *parser) args() ([]string, *Error) {
	if err := p.advance(); err != nil { // past '('
		return nil, err
	}
	args := []string{}
	switch p.tok.kind {
	case tkRParen:
		return args, p.advance()
	case tkEOF, tkComma:
		return nil, p.syntax("Expecting ')'", "")
	}
	for {
		t := p.tok
		switch t.kind {
		case tkWord, tkString:
			args = append(args, t.text)
		case tkEOF:
			return nil, p.atEnd("Expecting a function argument at the end of the query.")
		case tkRParen:
			return nil, p.located(t.pos, "Function argument must be specified.")
		default:
			return nil, p.got("Expecting a function argument", "You must surround '%TOKEN%' in quotation marks to use it as an argument.")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tkComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		case tkRParen:
			return args, p.advance()
		case tkEOF:
			return nil, p.atEnd("Expecting ')' before the end of the query.")
		}
		return nil, p.got("Expecting ')' or ','", "")
	}
}

func (p *parser) orderBy(q *Query) *Error {
	if err := p.advance(); err != nil { // past ORDER
		return err
	}
	if !p.tok.is("by") {
		return p.syntax("Expecting 'by'", "")
	}
	if err := p.advance(); err != nil {
		return err
	}
	for {
		start := p.tok
		name, _, err := p.field()
		if err != nil {
			return err
		}
		start.text = name
		s := Sort{}
		switch {
		case p.tok.is("asc"):
			if err := p.advance(); err != nil {
				return err
			}
		case p.tok.is("desc"):
			s.Desc = true
			if err := p.advance(); err != nil {
				return err
			}
		case p.tok.kind != tkEOF && p.tok.kind != tkComma:
			return p.got("Expecting either 'ASC' or 'DESC'", "")
		}
		q.Sorts = append(q.Sorts, s)
		p.sortTyped = append(p.sortTyped, start)
		if p.tok.kind == tkEOF {
			return nil
		}
		if p.tok.kind != tkComma {
			return p.got("Expecting ','", "")
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
}
