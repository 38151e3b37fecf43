// Package jql owns building Jira Query Language on the client: string
// literals Jira reads back exactly, field names, and a small clause builder,
// so no user-supplied value is ever spliced into a query unquoted.
//
// It imports only the standard library.
package jql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// reserved are the words Jira's JQL parser refuses as bare values or field
// names (compared case-insensitively).
var reserved = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		abort access add after alias all alter and any as asc audit avg before begin between
		boolean break by byte catch cf changed char character check checkpoint collate collation
		column commit connect continue count create current date decimal declare decrement
		default defaults define delete delimiter desc difference distinct divide do double drop
		else empty encoding end equals escape exclusive exec execute exists explain false fetch
		file field first float for from function go goto grant greater group having identified
		if immediate in increment index initial inner inout input insert int integer intersect
		intersection into is isempty isnull join last left less like limit lock long max min
		minus mode modify modulo more multiply next noaudit not notin nowait null number object
		of on option or order outer output power previous prior privileges public raise raw
		remainder rename resource return returns revoke right row rowid rownum rows select
		session set share size sqrt start strict string subtract sum synonym table then to
		trans transaction trigger true uid union unique update user validate values view was
		when whenever where while with`) {
		m[w] = true
	}
	return m
})

// IsReserved reports whether w is a JQL reserved word, which must be quoted
// to be used as a value or field name.
func IsReserved(w string) bool { return reserved()[strings.ToLower(w)] }

// Quote returns s as a double-quoted JQL string literal that Jira parses
// back to exactly s: quotes and backslashes are escaped, newlines, carriage
// returns and tabs become \n, \r and \t, and the characters JQL's grammar
// treats as control characters (C0, DEL, C1, the U+FDD0–U+FDEF and
// U+FFFE/U+FFFF non-characters) become \uXXXX. Invalid UTF-8 bytes are
// written as U+FFFD.
func Quote(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if isControl(r) {
				fmt.Fprintf(&sb, `\u%04x`, r)
			} else {
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0xfdd0 && r <= 0xfdef) || r == 0xfffe || r == 0xffff
}

// QuoteIfNeeded returns s bare when JQL reads it back as the same string
// value (a project key such as SPACE2, an issue key such as SPACE2-17, a
// status such as Done) and Quote(s) otherwise: for the empty string,
// reserved words (AND, empty, null, …), numbers (bare, Jira reads them as
// ids), and anything with a space, punctuation or non-ASCII letter.
func QuoteIfNeeded(s string) string {
	if isBare(s) {
		return s
	}
	return Quote(s)
}

func isBare(s string) bool {
	if s == "" || IsReserved(s) {
		return false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			digits = false
		case c == '-' && i > 0:
			digits = false
		default:
			return false
		}
	}
	return !digits
}

// Field returns a field reference: system and custom field ids bare
// (summary, customfield_10011, cf[10011]), names that need it quoted
// ("Story Points", "Epic Link").
func Field(name string) string {
	if isCustomFieldRef(name) {
		return name
	}
	return QuoteIfNeeded(name)
}

// isCustomFieldRef matches cf[12345], JQL's id syntax for custom fields.
func isCustomFieldRef(s string) bool {
	if len(s) < 5 || !strings.EqualFold(s[:3], "cf[") || s[len(s)-1] != ']' {
		return false
	}
	_, err := strconv.ParseUint(s[3:len(s)-1], 10, 32)
	return err == nil && s[3] != '+'
}

// Unquote is the inverse of Quote: it decodes a single- or double-quoted JQL
// string literal with the escapes Jira accepts (\" \' \\ \n \r \t, backslash
// space, \uXXXX including surrogate pairs). A bare word that QuoteIfNeeded
// would leave bare is returned as it is.
func Unquote(lit string) (string, error) {
	if lit == "" {
		return "", errors.New(`jql: empty literal; an empty string is written ""`)
	}
	q := lit[0]
	if q != '"' && q != '\'' {
		if isBare(lit) {
			return lit, nil
		}
		return "", fmt.Errorf("jql: %s is neither a quoted string nor a bare word; quote it", shorten(lit))
	}
	if len(lit) < 2 || lit[len(lit)-1] != q {
		return "", fmt.Errorf("jql: %s has no closing %c", shorten(lit), q)
	}
	body := lit[1 : len(lit)-1]
	var sb strings.Builder
	sb.Grow(len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == q:
			return "", fmt.Errorf("jql: unescaped %c at offset %d of %s; write \\%c", q, i+1, shorten(lit), q)
		case c != '\\':
			sb.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(body) {
			return "", fmt.Errorf("jql: %s ends inside an escape; write \\\\ for a backslash", shorten(lit))
		}
		switch e := body[i+1]; e {
		case '"', '\'', '\\', ' ':
			sb.WriteByte(e)
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, n, err := unicodeEscape(body[i:])
			if err != nil {
				return "", fmt.Errorf("jql: %v at offset %d of %s", err, i+1, shorten(lit))
			}
			sb.WriteRune(r)
			i += n
			continue
		default:
			return "", fmt.Errorf("jql: invalid escape \\%c at offset %d of %s; write \\\\ for a backslash", e, i+1, shorten(lit))
		}
		i += 2
	}
	return sb.String(), nil
}

// unicodeEscape decodes \uXXXX at the start of s, combining a UTF-16
// surrogate pair written as two escapes. It returns the rune and the bytes used.
func unicodeEscape(s string) (rune, int, error) {
	hex := func(s string) (rune, bool) {
		if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(s[2:6], 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex(s)
	if !ok {
		return 0, 0, errors.New(`invalid \u escape (want four hex digits)`)
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if lo, ok := hex(s[6:]); ok {
		if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
			return pair, 12, nil
		}
	}
	return 0, 0, fmt.Errorf(`unpaired surrogate \u%04x`, r)
}

func shorten(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}
