package adf

import (
	"bytes"
	"strings"
	"sync"
	"unicode"

	"github.com/ticket-mate/tm/internal/third_party/goldmark"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	east "github.com/ticket-mate/tm/internal/third_party/goldmark/extension/ast"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/text"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/util"
)

// markdown is built on first use, not in init, so commands that never touch
// Markdown do not pay for it. A goldmark instance is safe for concurrent use.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(gfm{}))
})

// parse returns the GFM syntax tree of src (tables, strikethrough, autolinks,
// task lists).
func parse(src []byte) ast.Node {
	return markdown().Parser().Parse(text.NewReader(src))
}

// decode turns source text into what it means: backslash escapes removed,
// entity and numeric references resolved, NUL replaced, invalid UTF-8 made
// valid. goldmark leaves all of that to its HTML renderer, which we don't use.
func decode(b []byte) string {
	b = util.UnescapePunctuations(b)
	b = util.ResolveNumericReferences(b)
	b = util.ResolveEntityNames(b)
	s := string(b)
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// raw returns source text as written (code spans, HTML), only made safe.
func raw(b []byte) string {
	s := string(b)
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// linesText joins a block's source lines (code blocks, HTML blocks) and drops
// the final newline.
func linesText(n ast.Node, src []byte) string {
	var buf bytes.Buffer
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		buf.Write(seg.Value(src))
	}
	if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
		buf.Write(h.ClosureLine.Value(src))
	}
	return strings.TrimRight(raw(buf.Bytes()), "\n")
}

// codeSpanText is a code span's content: raw, with line endings as spaces
// (CommonMark), already stripped of its one optional padding space by goldmark.
func codeSpanText(n ast.Node, src []byte) string {
	var sb strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			v := t.Segment.Value(src)
			if bytes.HasSuffix(v, []byte("\n")) {
				sb.Write(v[:len(v)-1])
				sb.WriteByte(' ')
			} else {
				sb.Write(v)
			}
		case *ast.String:
			sb.Write(t.Value)
		}
	}
	return raw([]byte(sb.String()))
}

// rawHTMLText is inline HTML as literal text.
func rawHTMLText(n *ast.RawHTML, src []byte) string {
	var buf bytes.Buffer
	for i := 0; i < n.Segments.Len(); i++ {
		seg := n.Segments.At(i)
		buf.Write(seg.Value(src))
	}
	return raw(buf.Bytes())
}

// destination is a link or image target with escapes and references resolved.
func destination(b []byte) string { return safeHref(decode(b)) }

// safeHref drops a link target that runs code or smuggles a document when
// clicked (javascript:, vbscript:, data:), however it is spelt: browsers
// ignore case, surrounding blanks and tabs or line breaks inside a scheme.
// The link's text stays; only the link goes.
func safeHref(u string) string {
	scheme := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return unicode.ToLower(r)
	}, u)
	for _, bad := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(scheme, bad) {
			return ""
		}
	}
	return u
}

// normalizeNewlines turns CRLF and lone CR line endings into LF, so no
// carriage return survives into a code block or a line of text.
func normalizeNewlines(src []byte) []byte {
	if bytes.IndexByte(src, '\r') < 0 {
		return src
	}
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(src, []byte("\r"), []byte("\n"))
}

// autoLinkURL is where an autolink points: www. links get http://, e-mail
// addresses get mailto:.
func autoLinkURL(n *ast.AutoLink, src []byte) string {
	u := raw(n.URL(src))
	if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
		u = "mailto:" + u
	}
	return safeHref(u)
}

// plainText is the text a reader sees in an inline subtree, with no markup:
// image alt text, table cells flattened into one line.
func plainText(n ast.Node, src []byte) string {
	var sb strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch t := c.(type) {
			case *ast.Text:
				if t.IsRaw() {
					sb.WriteString(raw(t.Segment.Value(src)))
				} else {
					sb.WriteString(decode(t.Segment.Value(src)))
				}
				if t.SoftLineBreak() || t.HardLineBreak() {
					sb.WriteByte(' ')
				}
			case *ast.String:
				sb.WriteString(stringValue(t))
			case *ast.CodeSpan:
				sb.WriteString(codeSpanText(t, src))
			case *ast.AutoLink:
				sb.WriteString(raw(t.Label(src)))
			case *ast.RawHTML:
				sb.WriteString(rawHTMLText(t, src))
			case *east.TaskCheckBox:
				sb.WriteString(checkboxText(t.IsChecked))
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return sb.String()
}

func stringValue(s *ast.String) string {
	if s.IsCode() || s.IsRaw() {
		return raw(s.Value)
	}
	return decode(s.Value)
}

// checkboxText is how a task checkbox reads where no task list can hold it.
func checkboxText(checked bool) string {
	if checked {
		return "[x] "
	}
	return "[ ] "
}
