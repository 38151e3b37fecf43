package jira

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// bodyDecoder is a response type that reads its own body.
type bodyDecoder interface {
	decodeBody([]byte) error
}

// decodeBody reads a response body into out.
func decodeBody(b []byte, out any) error {
	if d, ok := out.(bodyDecoder); ok {
		return d.decodeBody(b)
	}
	return json.Unmarshal(b, out)
}

// whole reads the one value s.b holds with read; only white space may
// surround it. (read closes over s, rather than taking it, so that the
// scanner can stay on the stack.)
func (s *scanner) whole(read func() bool) bool {
	s.space()
	ok := read()
	s.space()
	return ok && s.i == len(s.b)
}

// scanner walks JSON text; every method returns false at the first byte
// it does not accept, leaving the caller to give up.
type scanner struct {
	b     []byte
	i     int
	depth int // of the object or array being read, from the top of b
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, calling field with each raw key (the
// bytes between the quotes) to read the value.
func (s *scanner) object(field func(key []byte) bool) bool {
	return s.list('{', '}', func() bool {
		key, plain, ok := s.rawString()
		if !ok || !plain || !s.next(':') {
			return false
		}
		s.space()
		return field(key)
	})
}

func (s *scanner) array(elem func() bool) bool { return s.list('[', ']', elem) }

// list reads the members of an object or the elements of an array, one
// level deeper into the document.
func (s *scanner) list(open, close byte, item func() bool) bool {
	if !s.next(open) || !s.enter() {
		return false
	}
	if s.next(close) {
		s.depth--
		return true
	}
	for {
		s.space()
		if !item() {
			return false
		}
		if s.next(close) {
			s.depth--
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// unknownKey skips the value of a key we don't keep, unless encoding/json
// would match the key to one of known by folding case (it does, and it
// folds some non-ASCII letters too).
func (s *scanner) unknownKey(key []byte, known ...string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, k := range known {
		if bytes.EqualFold(key, []byte(k)) {
			return false
		}
	}
	return s.skip()
}

// rawString reads a string and returns its bytes between the quotes;
// plain is false when they hold an escape or are not valid UTF-8 (what
// encoding/json would rewrite).
func (s *scanner) rawString() (raw []byte, plain, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false
	}
	start := s.i + 1
	// Most strings hold no escape: find the closing quote with
	// bytes.IndexByte (vector instructions), then check the bytes before
	// it in words. A string with an escape or a control character takes
	// the loop below, which reads escapes and refuses control characters.
	if q := bytes.IndexByte(s.b[start:], '"'); q >= 0 {
		raw = s.b[start : start+q]
		if special, ascii := classify(raw); !special {
			s.i = start + q + 1
			return raw, ascii || utf8.Valid(raw), true
		}
	}
	plain = true
	ascii := true
	for i := start; i < len(s.b); i++ {
		// Most of a page is long plain strings (URLs): step over eight
		// bytes at a time while none of them needs a look.
		for i+8 <= len(s.b) && plainWord(binary.LittleEndian.Uint64(s.b[i:])) {
			i += 8
		}
		if i == len(s.b) {
			break
		}
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			raw = s.b[start:i]
			if !ascii && !utf8.Valid(raw) {
				plain = false
			}
			return raw, plain, true
		case c == '\\':
			plain = false
			if !s.escape(i + 1) {
				return nil, false, false
			}
			i++
			if s.b[i] == 'u' {
				i += 4
			}
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false, false
}

// classify reports whether b holds a backslash or a control character,
// and whether it is all ASCII, eight bytes at a time (see plainWord).
func classify(b []byte) (special, ascii bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var low, high uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		bs := w ^ (ones * '\\')
		low |= (w-ones*0x20)&^w | (bs-ones)&^bs
		high |= w
	}
	special, ascii = low&highs != 0, high&highs == 0
	for _, c := range b[i:] {
		special = special || c < 0x20 || c == '\\'
		ascii = ascii && c < utf8.RuneSelf
	}
	return special, ascii
}

// plainWord reports whether none of the eight bytes in w is a quote, a
// backslash, a control character or part of a non-ASCII character: a
// byte is found by the borrow it causes when 0x01 (or 0x20) is taken
// from each byte of w (or of w with the quote or backslash xored away).
func plainWord(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	return (zero(w^(ones*'"')) | zero(w^(ones*'\\')) | (w-ones*0x20)&^w&highs | w&highs) == 0
}

// escape checks the escape sequence whose letter is at i.
func (s *scanner) escape(i int) bool {
	if i >= len(s.b) {
		return false
	}
	switch s.b[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if i+4 >= len(s.b) {
			return false
		}
		for _, c := range s.b[i+1 : i+5] {
			if !isHex(c) {
				return false
			}
		}
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *scanner) string(dst *string) bool {
	raw, plain, ok := s.rawString()
	if !ok || !plain {
		return false
	}
	*dst = string(raw)
	return true
}

// stringOf is string for a field that is almost always one of a few
// values: those are shared rather than allocated for every project.
func (s *scanner) stringOf(dst *string, common ...string) bool {
	raw, plain, ok := s.rawString()
	if !ok || !plain {
		return false
	}
	for _, c := range common {
		if string(raw) == c {
			*dst = c
			return true
		}
	}
	*dst = string(raw)
	return true
}

func (s *scanner) bool(dst *bool) bool {
	switch {
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		*dst, s.i = true, s.i+4
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		*dst, s.i = false, s.i+5
	default:
		return false
	}
	return true
}

// null reads a null.
func (s *scanner) null() bool {
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// int reads an integer written without fraction or exponent.
func (s *scanner) int(dst *int) bool {
	start := s.i
	if !s.number() {
		return false
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil {
		return false // a fraction, an exponent, or out of range
	}
	*dst = n
	return true
}

// number reads a JSON number as the grammar has it.
func (s *scanner) number() bool {
	i := s.i
	if i < len(s.b) && s.b[i] == '-' {
		i++
	}
	switch {
	case i < len(s.b) && s.b[i] == '0':
		i++
	case i < len(s.b) && '1' <= s.b[i] && s.b[i] <= '9':
		for i < len(s.b) && '0' <= s.b[i] && s.b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s.b) && s.b[i] == '.' {
		if i = s.digits(i + 1); i < 0 {
			return false
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		if i = s.digits(i); i < 0 {
			return false
		}
	}
	s.i = i
	return true
}

// digits returns where the digits from i end, or -1 when there are none.
func (s *scanner) digits(i int) int {
	d := i
	for i < len(s.b) && '0' <= s.b[i] && s.b[i] <= '9' {
		i++
	}
	if i == d {
		return -1
	}
	return i
}

// maxDepth is encoding/json's bound on nesting, counted from the top of
// the document: a value nested deeper is an error wherever it is.
const maxDepth = 10000

// enter goes one level deeper into the document.
func (s *scanner) enter() bool {
	s.depth++
	return s.depth <= maxDepth
}

// skip reads any one value.
func (s *scanner) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(func() bool { return s.skip() })
	case c == '"':
		_, _, ok := s.rawString()
		return ok
	case c == 't', c == 'f':
		var b bool
		return s.bool(&b)
	case c == 'n':
		return s.null()
	default:
		return s.number()
	}
}
