package wiki

import (
	"regexp"
	"strings"
	"sync"
)

// ToADF converts Jira wiki markup to an ADF document. Text without markup
// becomes paragraphs split on blank lines, with a hardBreak for each single
// newline. The result is always a valid document: text nodes are never empty,
// a mark type appears at most once per node, code combines only with link.
func ToADF(s string) ([]byte, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return marshalDoc(parseBlocks(s, 0))
}

// maxNesting bounds recursion through {quote} and {panel} bodies.
const maxNesting = 32

// lazyRegexp compiles expr on first use: compiled at package initialisation
// it would cost every tm command, most of which never start the sandbox.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var (
	reMacro   = lazyRegexp(`^\{(code|noformat|quote|panel)(:[^}\n]*)?\}`)
	reHeading = lazyRegexp(`^h([1-6])\.(?:\s+|$)`)
	reRule    = lazyRegexp(`^-{4,}\s*$`)
	reList    = lazyRegexp(`^([*#]+)(?:\s+|$)`)
	reImage   = lazyRegexp(`^!([^\s!|]+)(?:\|[^!\n]*)?!$`)
	reCard    = lazyRegexp(`^\[([^|\]\s]+)\|([^|\]\s]+)\|smart-(?:card|embed)\]$`)
)

type blockParser struct {
	s     string
	pos   int
	depth int
}

func (p *blockParser) line() string {
	rest := p.s[p.pos:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		return rest[:i]
	}
	return rest
}

func (p *blockParser) nextLine() {
	p.pos += len(p.line())
	if p.pos < len(p.s) {
		p.pos++ // the newline
	}
}

func parseBlocks(s string, depth int) []*node {
	p := &blockParser{s: s, depth: depth}
	var out []*node
	for p.pos < len(p.s) {
		l := strings.TrimLeft(p.line(), " \t")
		switch {
		case strings.TrimSpace(l) == "":
			p.nextLine()
		case reMacro().MatchString(l) && p.macro(l, &out):
		case strings.HasPrefix(l, "bq. "):
			out = append(out, &node{Type: "blockquote", Content: []*node{paragraph(l[4:])}})
			p.nextLine()
		case reHeading().MatchString(l):
			m := reHeading().FindStringSubmatch(l)
			out = append(out, &node{Type: "heading", Attrs: map[string]any{"level": int(m[1][0] - '0')}, Content: parseInline(l[len(m[0]):], nil)})
			p.nextLine()
		case reRule().MatchString(l):
			out = append(out, &node{Type: "rule"})
			p.nextLine()
		case reList().MatchString(l):
			out = append(out, p.list()...)
		case strings.HasPrefix(l, "|"):
			out = append(out, p.table())
		case reImage().MatchString(strings.TrimSpace(l)):
			out = append(out, image(reImage().FindStringSubmatch(strings.TrimSpace(l))[1]))
			p.nextLine()
		case reCard().MatchString(strings.TrimSpace(l)):
			out = append(out, &node{Type: "blockCard", Attrs: map[string]any{"url": reCard().FindStringSubmatch(strings.TrimSpace(l))[2]}})
			p.nextLine()
		default:
			out = append(out, p.paragraph())
		}
	}
	return out
}

func startsBlock(l string) bool {
	l = strings.TrimLeft(l, " \t")
	return strings.TrimSpace(l) == "" || reMacro().MatchString(l) || strings.HasPrefix(l, "bq. ") ||
		reHeading().MatchString(l) || reRule().MatchString(l) || reList().MatchString(l) || strings.HasPrefix(l, "|")
}

func (p *blockParser) paragraph() *node {
	var lines []string
	for p.pos < len(p.s) {
		l := p.line()
		if len(lines) > 0 && startsBlock(l) {
			break
		}
		lines = append(lines, l)
		p.nextLine()
	}
	return paragraph(strings.Join(lines, "\n"))
}

func paragraph(s string) *node {
	return &node{Type: "paragraph", Content: parseInline(s, nil)}
}

func image(name string) *node {
	media := &node{Type: "media", Attrs: map[string]any{"type": "file", "id": name, "collection": "", "alt": name}}
	if strings.Contains(name, "://") {
		media.Attrs = map[string]any{"type": "external", "url": name}
	}
	return &node{Type: "mediaSingle", Attrs: map[string]any{"layout": "center"}, Content: []*node{media}}
}

// macro reads {code}, {noformat}, {quote} or {panel} up to its closing tag.
// Without a closing tag the line is ordinary text, as in Jira.
func (p *blockParser) macro(l string, out *[]*node) bool {
	m := reMacro().FindStringSubmatch(l)
	name, params := m[1], strings.TrimPrefix(m[2], ":")
	start := p.pos + strings.Index(p.s[p.pos:], m[0]) + len(m[0])
	end := strings.Index(p.s[start:], "{"+name+"}")
	if end < 0 {
		return false
	}
	inner := p.s[start : start+end]
	p.pos = start + end + len(name) + 2
	switch name {
	case "code", "noformat":
		inner = strings.TrimPrefix(strings.TrimSuffix(inner, "\n"), "\n")
		n := &node{Type: "codeBlock"}
		if lang, _, _ := strings.Cut(params, "|"); name == "code" && lang != "" && !strings.Contains(lang, "=") {
			n.Attrs = map[string]any{"language": lang}
		}
		if inner != "" {
			n.Content = []*node{{Type: "text", Text: inner}}
		}
		*out = append(*out, n)
	case "quote":
		*out = append(*out, &node{Type: "blockquote", Content: p.nested(inner, quoteChildren())})
	case "panel":
		kind := "info"
		for _, kv := range strings.Split(params, "|") {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(strings.TrimSpace(k), "bgColor") {
				for t, c := range panelColors() {
					if strings.EqualFold(strings.TrimSpace(v), c) {
						kind = t
					}
				}
			}
		}
		*out = append(*out, &node{Type: "panel", Attrs: map[string]any{"panelType": kind}, Content: p.nested(inner, panelChildren())})
	}
	return true
}

// ADF restricts what each container may hold; other blocks are unwrapped or
// turned into paragraphs rather than dropped.
var (
	quoteChildren = sync.OnceValue(func() map[string]bool {
		return map[string]bool{"paragraph": true, "bulletList": true, "orderedList": true, "codeBlock": true, "mediaSingle": true, "mediaGroup": true}
	})
	panelChildren = sync.OnceValue(func() map[string]bool {
		return map[string]bool{"paragraph": true, "heading": true, "bulletList": true, "orderedList": true, "codeBlock": true, "mediaSingle": true, "mediaGroup": true, "rule": true, "blockCard": true}
	})
)

func (p *blockParser) nested(inner string, allowed map[string]bool) []*node {
	var blocks []*node
	if p.depth < maxNesting {
		blocks = parseBlocks(inner, p.depth+1)
	} else {
		blocks = []*node{paragraph(strings.TrimSpace(inner))}
	}
	return fit(blocks, allowed)
}

func fit(blocks []*node, allowed map[string]bool) []*node {
	var out []*node
	for _, b := range blocks {
		switch {
		case allowed[b.Type]:
			out = append(out, b)
		case b.Type == "heading":
			out = append(out, &node{Type: "paragraph", Content: b.Content})
		case b.Type == "blockCard":
			out = append(out, &node{Type: "paragraph", Content: []*node{{Type: "inlineCard", Attrs: b.Attrs}}})
		case b.Type == "blockquote" || b.Type == "panel":
			out = append(out, fit(b.Content, allowed)...)
		case b.Type == "table":
			for _, row := range b.Content {
				for _, cell := range row.Content {
					out = append(out, fit(cell.Content, allowed)...)
				}
			}
		}
	}
	if len(out) == 0 {
		out = []*node{{Type: "paragraph"}}
	}
	return out
}

// list reads consecutive list lines into nested bulletList/orderedList nodes.
func (p *blockParser) list() []*node {
	type level struct {
		list   *node
		marker byte
	}
	var out []*node
	var stack []level
	for p.pos < len(p.s) {
		l := strings.TrimLeft(p.line(), " \t")
		m := reList().FindStringSubmatch(l)
		if m == nil {
			break
		}
		p.nextLine()
		markers := m[1]
		// Keep the open levels whose markers agree with this item's.
		keep := 0
		for keep < len(stack) && keep < len(markers) && stack[keep].marker == markers[keep] {
			keep++
		}
		stack = stack[:keep]
		for len(stack) < len(markers) {
			c := markers[len(stack)]
			t := "bulletList"
			if c == '#' {
				t = "orderedList"
			}
			ln := &node{Type: t}
			if len(stack) == 0 {
				out = append(out, ln)
			} else {
				parent := stack[len(stack)-1].list
				if len(parent.Content) == 0 {
					parent.Content = append(parent.Content, &node{Type: "listItem", Content: []*node{{Type: "paragraph"}}})
				}
				item := parent.Content[len(parent.Content)-1]
				item.Content = append(item.Content, ln)
			}
			stack = append(stack, level{list: ln, marker: c})
		}
		top := stack[len(stack)-1].list
		top.Content = append(top.Content, &node{Type: "listItem", Content: []*node{paragraph(l[len(m[0]):])}})
	}
	return out
}

func (p *blockParser) table() *node {
	t := &node{Type: "table", Attrs: map[string]any{"isNumberColumnEnabled": false, "layout": "default"}}
	var lines []string
	for p.pos < len(p.s) {
		l := strings.TrimSpace(p.line())
		if !strings.HasPrefix(l, "|") {
			break
		}
		p.nextLine()
		lines = append(lines, l)
		if row := parseRow(l); len(row.Content) > 0 {
			t.Content = append(t.Content, row)
		}
	}
	if len(t.Content) == 0 { // only bars: text, not a table
		return paragraph(strings.Join(lines, "\n"))
	}
	return t
}

// parseRow splits "||h||h||" or "|c|c|" into cells; a | inside [link|url] or
// escaped as \| does not split.
func parseRow(l string) *node {
	row := &node{Type: "tableRow"}
	var cellType string
	var b strings.Builder
	flush := func() {
		if cellType != "" {
			row.Content = append(row.Content, &node{Type: cellType, Content: []*node{paragraph(strings.TrimSpace(b.String()))}})
		}
		b.Reset()
	}
	bracket := 0
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '\\' && i+1 < len(l):
			b.WriteByte(c)
			b.WriteByte(l[i+1])
			i++
			continue
		case c == '[':
			bracket++
		case c == ']' && bracket > 0:
			bracket--
		case c == '|' && bracket == 0:
			flush()
			cellType = "tableCell"
			if i+1 < len(l) && l[i+1] == '|' {
				cellType = "tableHeader"
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	if strings.TrimSpace(b.String()) != "" {
		flush()
	}
	return row
}
