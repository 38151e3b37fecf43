package jql

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tkEOF    tokKind = iota
	tkWord           // unquoted text: field names, keywords, bare values
	tkString         // "…" or '…'
	tkOp             // = != ~ !~ < <= > >=
	tkLParen
	tkRParen
	tkComma
	tkLBracket
	tkRBracket
	tkBang // ! on its own: NOT
	tkAmp  // & or &&: AND
	tkPipe // | or ||: OR
)

// token is one lexeme. text is the decoded value (escapes resolved); raw is the
// source as typed, which is what Jira quotes back in "but got '…'" messages.
type token struct {
	kind tokKind
	text string
	raw  string
	pos  int
}

// is reports whether t is the unquoted keyword kw (case-insensitive, as in Jira).
func (t token) is(kw string) bool { return t.kind == tkWord && strings.EqualFold(t.text, kw) }

// lexer hands out tokens on demand so that a lexical error further right never
// hides a syntax error further left: Jira reports the leftmost problem.
type lexer struct {
	src string
	i   int
}

// Characters Jira reserves outside quotes (JqlStringSupportImpl).
const reservedChars = "{}*/%+^$#@?;"

func isStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '=', '!', '<', '>', '(', ')', ',', '~', '[', ']', '&', '|':
		return true
	}
	return strings.IndexByte(reservedChars, c) >= 0
}

func (lx *lexer) next() (token, *Error) {
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		lx.i++
	}
	start := lx.i
	if start >= len(lx.src) {
		return token{kind: tkEOF, pos: start}, nil
	}
	c := lx.src[start]
	one := func(k tokKind) (token, *Error) {
		lx.i++
		return token{kind: k, text: lx.src[start:lx.i], raw: lx.src[start:lx.i], pos: start}, nil
	}
	two := func(k tokKind, second byte) (token, *Error) {
		lx.i++
		if lx.i < len(lx.src) && lx.src[lx.i] == second {
			lx.i++
		}
		return token{kind: k, text: lx.src[start:lx.i], raw: lx.src[start:lx.i], pos: start}, nil
	}
	switch c {
	case '(':
		return one(tkLParen)
	case ')':
		return one(tkRParen)
	case ',':
		return one(tkComma)
	case '[':
		return one(tkLBracket)
	case ']':
		return one(tkRBracket)
	case '&':
		return two(tkAmp, '&')
	case '|':
		return two(tkPipe, '|')
	case '=', '~':
		return one(tkOp)
	case '<', '>':
		return two(tkOp, '=')
	case '!':
		if start+1 < len(lx.src) && (lx.src[start+1] == '=' || lx.src[start+1] == '~') {
			lx.i += 2
			return token{kind: tkOp, text: lx.src[start:lx.i], raw: lx.src[start:lx.i], pos: start}, nil
		}
		return one(tkBang)
	case '"', '\'':
		return lx.quoted(c)
	}
	if strings.IndexByte(reservedChars, c) >= 0 {
		return token{}, lx.errAt(start, fmt.Sprintf("The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '\\u%04x' instead.", c, c))
	}
	return lx.word()
}

func (lx *lexer) word() (token, *Error) {
	start := lx.i
	var b strings.Builder
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		if c == '\\' {
			r, err := lx.escape()
			if err != nil {
				return token{}, err
			}
			b.WriteRune(r)
			continue
		}
		if isStop(c) {
			break
		}
		if err := lx.control(); err != nil {
			return token{}, err
		}
		r, n := utf8.DecodeRuneInString(lx.src[lx.i:])
		b.WriteRune(r)
		lx.i += n
	}
	return token{kind: tkWord, text: b.String(), raw: lx.src[start:lx.i], pos: start}, nil
}

func (lx *lexer) quoted(q byte) (token, *Error) {
	start := lx.i
	lx.i++
	var b strings.Builder
	for {
		if lx.i >= len(lx.src) {
			if b.Len() == 0 {
				return token{}, lx.errAt(start, "Error in the JQL Query: The quoted string has not been completed.")
			}
			// Jira shows the unfinished string with line breaks flattened to spaces.
			s := strings.NewReplacer("\n", " ", "\r", " ").Replace(b.String())
			return token{}, lx.errAt(start, fmt.Sprintf("Error in the JQL Query: The quoted string '%s' has not been completed.", s))
		}
		c := lx.src[lx.i]
		switch {
		case c == q:
			lx.i++
			return token{kind: tkString, text: b.String(), raw: lx.src[start:lx.i], pos: start}, nil
		case c == '\\':
			r, err := lx.escape()
			if err != nil {
				return token{}, err
			}
			b.WriteRune(r)
		case c == '\n' || c == '\r' || c == '\t':
			b.WriteByte(c)
			lx.i++
		default:
			if err := lx.control(); err != nil {
				return token{}, err
			}
			r, n := utf8.DecodeRuneInString(lx.src[lx.i:])
			b.WriteRune(r)
			lx.i += n
		}
	}
}

const validEscapes = `The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX.`

// escape decodes the backslash sequence at lx.i.
func (lx *lexer) escape() (rune, *Error) {
	start := lx.i
	if start+1 >= len(lx.src) {
		return 0, lx.errAt(start, "Error in the JQL Query: The escape sequence has not been completed. "+validEscapes)
	}
	c := lx.src[start+1]
	lx.i += 2
	switch c {
	case '\'', '"', '\\', ' ':
		return rune(c), nil
	case 't':
		return '\t', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 'u':
		if start+6 <= len(lx.src) {
			if v, err := strconv.ParseUint(lx.src[start+2:start+6], 16, 32); err == nil {
				lx.i = start + 6
				return rune(v), nil
			}
		}
		end := min(start+3, len(lx.src))
		return 0, lx.errAt(start, fmt.Sprintf("Error in the JQL Query: '%s' is an illegal JQL escape sequence. %s", lx.src[start:end], validEscapes))
	}
	_, n := utf8.DecodeRuneInString(lx.src[start+1:])
	return 0, lx.errAt(start, fmt.Sprintf("Error in the JQL Query: '%s' is an illegal JQL escape sequence. %s", lx.src[start:start+1+n], validEscapes))
}

// control rejects unescaped control characters, as Jira does, even inside quotes.
func (lx *lexer) control() *Error {
	r, _ := utf8.DecodeRuneInString(lx.src[lx.i:])
	if r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) && r != utf8.RuneError {
		return nil
	}
	if r == utf8.RuneError {
		return lx.errAt(lx.i, "Error in the JQL Query: The query is not valid UTF-8.")
	}
	line, col := lineCol(lx.src, lx.i)
	return lx.errAt(lx.i, fmt.Sprintf("Error in the JQL Query: The character 'U+%04X' on line %d at position %d must be escaped. Use the escape '\\u%04x' instead.", r, line, col, r))
}

func (lx *lexer) errAt(pos int, msg string) *Error {
	if !strings.HasPrefix(msg, "Error in the JQL Query: ") {
		msg = "Error in the JQL Query: " + msg
	}
	return newError(lx.src, pos, msg, true)
}

// lineCol turns a byte offset into Jira's 1-based line and character (in
// characters, not bytes).
func lineCol(src string, pos int) (line, col int) {
	line, col = 1, 1
	for i, r := range src {
		if i >= pos {
			break
		}
		if r == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}
