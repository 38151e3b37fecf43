package wiki

import (
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// effects maps Jira's text-effect characters to the ADF mark they stand for.
var effects = sync.OnceValue(func() map[byte]mark {
	return map[byte]mark{
		'*': {Type: "strong"},
		'_': {Type: "em"},
		'-': {Type: "strike"},
		'+': {Type: "underline"},
		'^': {Type: "subsup", Attrs: map[string]any{"type": "sup"}},
		'~': {Type: "subsup", Attrs: map[string]any{"type": "sub"}},
	}
})

var (
	reBraceEffect = lazyRegexp(`^\{([*_+^~-])\}`)
	reColorOpen   = lazyRegexp(`^\{color:([^}\n]*)\}`)
	reURL         = lazyRegexp(`^https?://[^\s\[\]|<>"{}\\]+`)
	reEmoji       = lazyRegexp(`^:([a-z0-9_+\-]+):`)
)

// maxInlineDepth bounds recursion through nested marks.
const maxInlineDepth = 16

type inlineParser struct {
	out   []*node
	buf   strings.Builder
	marks []mark
}

// parseInline turns one paragraph's text into inline nodes carrying marks.
func parseInline(s string, marks []mark) []*node {
	p := &inlineParser{marks: marks}
	p.run(s, 0)
	p.flush()
	return p.out
}

func (p *inlineParser) flush() {
	if p.buf.Len() == 0 {
		return
	}
	text := p.buf.String()
	p.buf.Reset()
	if n := len(p.out); n > 0 && p.out[n-1].Type == "text" && reflect.DeepEqual(p.out[n-1].Marks, p.marks) {
		p.out[n-1].Text += text
		return
	}
	p.out = append(p.out, &node{Type: "text", Text: text, Marks: p.marks})
}

func (p *inlineParser) emit(n *node) {
	p.flush()
	p.out = append(p.out, n)
}

// with parses s with one more mark, then restores the current marks.
func (p *inlineParser) with(m mark, s string, depth int) {
	p.flush()
	saved := p.marks
	p.marks = addMark(saved, m)
	p.run(s, depth+1)
	p.flush()
	p.marks = saved
}

// addMark returns marks plus m, keeping ADF's rules: one mark per type, and
// code combined with nothing but link.
func addMark(marks []mark, m mark) []mark {
	var out []mark
	for _, old := range marks {
		if old.Type == "code" && m.Type != "link" {
			return marks
		}
		if old.Type == m.Type || (m.Type == "code" && old.Type != "link") {
			continue
		}
		out = append(out, old)
	}
	out = append(out, m)
	sortMarks(out)
	return out
}

func (p *inlineParser) run(s string, depth int) {
	for i := 0; i < len(s); {
		if n := p.step(s, i, depth); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			p.buf.WriteString("\uFFFD") // keep the output valid UTF-8
		} else {
			p.buf.WriteString(s[i : i+size])
		}
		i += size
	}
}

// step consumes markup at s[i] and returns how many bytes it used, or 0 when
// s[i] is ordinary text.
func (p *inlineParser) step(s string, i, depth int) int {
	rest := s[i:]
	c := s[i]
	switch {
	case c == '\\':
		if i+1 >= len(s) {
			return 0
		}
		if s[i+1] == '\\' {
			p.emit(&node{Type: "hardBreak"})
			return 2
		}
		if isPunct(s[i+1]) {
			p.buf.WriteByte(s[i+1])
			return 2
		}
		return 0
	case c == '\n':
		p.emit(&node{Type: "hardBreak"})
		return 1
	case strings.HasPrefix(rest, "{{"):
		end := strings.Index(rest[2:], "}}")
		if end <= 0 {
			return 0
		}
		p.flush()
		saved := p.marks
		p.marks = addMark(saved, mark{Type: "code"})
		p.buf.WriteString(strings.ReplaceAll(rest[2:2+end], "\n", " "))
		p.flush()
		p.marks = saved
		return end + 4
	case c == '{':
		return p.braces(rest, depth)
	case c == '[':
		return p.bracket(rest, depth)
	case c == ':':
		m := reEmoji().FindStringSubmatch(rest)
		if m == nil || isWord(prevRune(s, i)) {
			return 0
		}
		p.emit(&node{Type: "emoji", Attrs: map[string]any{"shortName": ":" + m[1] + ":"}})
		return len(m[0])
	case c == 'h':
		u := reURL().FindString(rest)
		if u == "" || isWord(prevRune(s, i)) {
			return 0
		}
		u = strings.TrimRight(u, ".,;:!?)'")
		if depth < maxInlineDepth {
			p.flush()
			saved := p.marks
			p.marks = addMark(saved, mark{Type: "link", Attrs: map[string]any{"href": u}})
			p.buf.WriteString(u)
			p.flush()
			p.marks = saved
			return len(u)
		}
		return 0
	}
	if m, ok := effects()[c]; ok && depth < maxInlineDepth && canOpen(s, i) {
		if j := findCloser(s, i); j > 0 {
			p.with(m, s[i+1:j], depth)
			return j + 1 - i
		}
	}
	return 0
}

// braces handles {color:…}…{color} and the brace form of effects, {*}…{*}.
func (p *inlineParser) braces(rest string, depth int) int {
	if depth >= maxInlineDepth {
		return 0
	}
	if m := reBraceEffect().FindStringSubmatch(rest); m != nil {
		end := indexUnescaped(rest[3:], m[0])
		if end <= 0 {
			return 0
		}
		p.with(effects()[m[1][0]], rest[3:3+end], depth)
		return end + 6
	}
	if m := reColorOpen().FindStringSubmatch(rest); m != nil {
		body := rest[len(m[0]):]
		end := indexUnescaped(body, "{color}")
		if end < 0 {
			return 0
		}
		if color := normalColor(m[1]); color != "" {
			p.with(mark{Type: "textColor", Attrs: map[string]any{"color": color}}, body[:end], depth)
		} else {
			p.run(body[:end], depth+1)
		}
		return len(m[0]) + end + len("{color}")
	}
	return 0
}

var namedColors = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"red": "#ff0000", "green": "#008000", "blue": "#0000ff", "black": "#000000", "white": "#ffffff",
		"gray": "#808080", "grey": "#808080", "orange": "#ffa500", "purple": "#800080", "yellow": "#ffff00",
	}
})

func normalColor(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if named, ok := namedColors()[c]; ok {
		return named
	}
	if len(c) == 4 && c[0] == '#' {
		c = "#" + string([]byte{c[1], c[1], c[2], c[2], c[3], c[3]})
	}
	if hexColor().MatchString(c) {
		return c
	}
	return ""
}

// bracket handles [~accountid:…] mentions and [text|url] links, including
// smart links [url|url|smart-link].
func (p *inlineParser) bracket(rest string, depth int) int {
	end := indexUnescaped(rest, "]")
	if end <= 1 || strings.Contains(rest[:end], "\n") {
		return 0
	}
	body := rest[1:end]
	if id, ok := strings.CutPrefix(body, "~accountid:"); ok || strings.HasPrefix(body, "~") {
		if !ok {
			id = body[1:]
		}
		if id == "" {
			return 0
		}
		p.emit(&node{Type: "mention", Attrs: map[string]any{"id": id}})
		return end + 1
	}
	parts := splitUnescaped(body, '|')
	text, href := parts[0], parts[0]
	if len(parts) > 1 {
		href = parts[1]
	}
	href = strings.TrimSpace(href)
	if !isURL(href) || depth >= maxInlineDepth {
		return 0
	}
	if len(parts) == 3 && strings.HasPrefix(parts[2], "smart-") {
		p.emit(&node{Type: "inlineCard", Attrs: map[string]any{"url": href}})
		return end + 1
	}
	link := mark{Type: "link", Attrs: map[string]any{"href": href}}
	if len(parts) == 1 || text == "" {
		p.flush()
		saved := p.marks
		p.marks = addMark(saved, link)
		p.buf.WriteString(href)
		p.flush()
		p.marks = saved
	} else {
		p.with(link, text, depth)
	}
	return end + 1
}

// badHref are characters a link target cannot hold in wiki markup.
const badHref = " \t\n|[]\\"

func isURL(s string) bool {
	return !strings.ContainsAny(s, badHref) && (strings.Contains(s, "://") || strings.HasPrefix(s, "mailto:"))
}

// canOpen: an effect character opens after a non-word character and before a
// non-space one. The renderer escapes by the same rule.
func canOpen(s string, i int) bool {
	if i+1 >= len(s) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(s[i+1:])
	return !isWord(prevRune(s, i)) && !unicode.IsSpace(next)
}

// canClose: an effect character closes after a non-space character and
// before a non-word one.
func canClose(s string, i int) bool {
	if i == 0 {
		return false
	}
	prev := prevRune(s, i)
	return !unicode.IsSpace(prev) && prev != '\\' && !isWord(nextRune(s, i))
}

// findCloser finds the character closing the effect opened at s[i] on the
// same line, skipping escaped characters.
func findCloser(s string, i int) int {
	c := s[i]
	for j := i + 2; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '\n':
			return -1
		case c:
			if canClose(s, j) {
				return j
			}
		}
	}
	return -1
}

func indexUnescaped(s, sub string) int {
	for j := 0; j+len(sub) <= len(s); j++ {
		if s[j] == '\\' {
			j++
			continue
		}
		if strings.HasPrefix(s[j:], sub) {
			return j
		}
	}
	return -1
}

func splitUnescaped(s string, sep byte) []string {
	var parts []string
	var b strings.Builder
	for j := 0; j < len(s); j++ {
		switch {
		case s[j] == '\\' && j+1 < len(s):
			b.WriteByte(s[j])
			b.WriteByte(s[j+1])
			j++
		case s[j] == sep:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(s[j])
		}
	}
	return append(parts, b.String())
}

func prevRune(s string, i int) rune {
	if i == 0 {
		return ' '
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

func nextRune(s string, i int) rune {
	_, size := utf8.DecodeRuneInString(s[i:])
	if i+size >= len(s) {
		return ' '
	}
	r, _ := utf8.DecodeRuneInString(s[i+size:])
	return r
}

func isPunct(c byte) bool {
	return c < 0x80 && unicode.IsPunct(rune(c)) || strings.IndexByte("^+|~$<>=`", c) >= 0
}
