package wiki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrNotADF is wrapped by FromADF's error when the input is not an ADF document.
var ErrNotADF = errors.New("not an Atlassian Document Format document")

// FromADF renders an ADF document as Jira wiki markup. JSON null renders as "".
// It fails only when the input is not JSON of an ADF document (a node of type
// "doc"); nodes it does not know degrade to their text.
func FromADF(doc []byte) (string, error) {
	if bytes.Equal(bytes.TrimSpace(doc), []byte("null")) {
		return "", nil
	}
	var root node
	if err := json.Unmarshal(doc, &root); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotADF, err)
	}
	if root.Type != "doc" {
		return "", fmt.Errorf("%w: the top-level node has type %q; send {\"type\":\"doc\",\"version\":1,\"content\":[…]}", ErrNotADF, root.Type)
	}
	return renderBlocks(root.Content), nil
}

func renderBlocks(ns []*node) string {
	var parts []string
	for _, n := range ns {
		if s := renderBlock(n); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

var inlineTypes = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"text": true, "hardBreak": true, "mention": true, "emoji": true, "inlineCard": true,
		"date": true, "status": true, "mediaInline": true, "placeholder": true, "inlineExtension": true,
	}
})

func renderBlock(n *node) string {
	if n == nil {
		return ""
	}
	switch n.Type {
	case "paragraph":
		return escapeLineStarts(renderInline(n.Content, false))
	case "heading":
		level, _ := n.Attrs["level"].(float64)
		return fmt.Sprintf("h%d. %s", min(max(int(level), 1), 6), renderInline(n.Content, true))
	case "bulletList", "orderedList", "taskList", "decisionList":
		return renderList(n, "")
	case "codeBlock":
		open := "{code}"
		if lang := n.attr("language"); lang != "" && !strings.ContainsAny(lang, "}|\n") {
			open = "{code:" + lang + "}"
		}
		return open + "\n" + plainText(n.Content) + "\n{code}"
	case "blockquote":
		return "{quote}\n" + renderBlocks(n.Content) + "\n{quote}"
	case "panel":
		color := panelColors()[n.attr("panelType")]
		if color == "" {
			color = panelColors()["info"]
		}
		return "{panel:bgColor=" + color + "}\n" + renderBlocks(n.Content) + "\n{panel}"
	case "rule":
		return "----"
	case "table":
		return renderTable(n)
	case "mediaSingle", "mediaGroup":
		var imgs []string
		for _, c := range n.Content {
			if s := renderMedia(c); s != "" {
				imgs = append(imgs, s)
			}
		}
		return strings.Join(imgs, " ")
	case "media":
		return renderMedia(n)
	case "blockCard", "embedCard":
		if u := n.attr("url"); u != "" {
			return "[" + u + "|" + u + "|smart-card]"
		}
		return ""
	}
	if len(n.Content) > 0 {
		if inlineTypes()[firstType(n.Content)] {
			return escapeLineStarts(renderInline(n.Content, false))
		}
		return renderBlocks(n.Content)
	}
	return escapeLineStarts(renderInline([]*node{n}, false))
}

func firstType(ns []*node) string {
	if len(ns) == 0 || ns[0] == nil {
		return ""
	}
	return ns[0].Type
}

func renderMedia(n *node) string {
	if n == nil || n.Type != "media" {
		return ""
	}
	name := n.attr("url")
	if n.attr("type") != "external" || name == "" {
		name = n.attr("alt")
		if name == "" {
			name = n.attr("id")
		}
	}
	if name == "" || strings.ContainsAny(name, "!| \t\n") {
		return ""
	}
	return "!" + name + "!"
}

// renderList writes one list level; prefix holds the markers of the levels
// above, so a bullet inside a numbered list is "#*".
func renderList(n *node, prefix string) string {
	marker := prefix + "*"
	if n.Type == "orderedList" {
		marker = prefix + "#"
	}
	var lines []string
	for _, item := range n.Content {
		if item == nil {
			continue
		}
		var text []string
		var nested []string
		children := item.Content
		if item.Type == "taskItem" || item.Type == "decisionItem" || inlineTypes()[firstType(children)] {
			children = []*node{{Type: "paragraph", Content: item.Content}}
		}
		for _, c := range children {
			switch {
			case c == nil:
			case c.Type == "bulletList" || c.Type == "orderedList" || c.Type == "taskList" || c.Type == "decisionList":
				nested = append(nested, renderList(c, marker))
			case c.Type == "paragraph" || c.Type == "heading":
				text = append(text, renderInline(c.Content, true))
			default:
				if s := flattenBlock(c); s != "" {
					text = append(text, s)
				}
			}
		}
		lines = append(lines, marker+" "+strings.Join(text, `\\`))
		lines = append(lines, nested...)
	}
	return strings.Join(lines, "\n")
}

// flattenBlock renders a block where only one line fits (list items, cells).
func flattenBlock(n *node) string {
	s := renderBlock(n)
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", `\\`)
}

func renderTable(n *node) string {
	var rows []string
	for _, row := range n.Content {
		if row == nil || len(row.Content) == 0 {
			continue
		}
		var b strings.Builder
		last := "|"
		for _, cell := range row.Content {
			if cell == nil {
				continue
			}
			last = "|"
			if cell.Type == "tableHeader" {
				last = "||"
			}
			var parts []string
			for _, c := range cell.Content {
				if c == nil {
					continue
				}
				if c.Type == "paragraph" {
					parts = append(parts, renderInline(c.Content, true))
				} else if s := flattenBlock(c); s != "" {
					parts = append(parts, s)
				}
			}
			text := strings.Join(parts, `\\`)
			if strings.TrimSpace(text) == "" {
				text = " " // "||" would read as a header delimiter
			}
			b.WriteString(last + text)
		}
		b.WriteString(last)
		rows = append(rows, b.String())
	}
	return strings.Join(rows, "\n")
}

func plainText(ns []*node) string {
	var b strings.Builder
	for _, n := range ns {
		if n == nil {
			continue
		}
		if n.Type == "hardBreak" {
			b.WriteByte('\n')
		}
		b.WriteString(n.Text)
		b.WriteString(plainText(n.Content))
	}
	return b.String()
}

// renderInline writes inline nodes. single is for one-line contexts (headings,
// list items, cells), where a hard break must be Jira's \\ instead of a newline.
func renderInline(ns []*node, single bool) string {
	var b strings.Builder
	for i, n := range ns {
		if n == nil {
			continue
		}
		switch n.Type {
		case "text":
			if href := linkOf(n); href != "" && i > 0 && linkOf(ns[i-1]) == href {
				continue // written with the first node of its link
			}
			b.WriteString(renderLinked(ns[i:], lastRune(b.String())))
		case "hardBreak":
			if single {
				b.WriteString(`\\`)
			} else {
				b.WriteByte('\n')
			}
		case "mention":
			if id := n.attr("id"); id != "" {
				b.WriteString("[~accountid:" + id + "]")
			} else {
				b.WriteString(escapeText(n.attr("text")))
			}
		case "emoji":
			if name := strings.Trim(n.attr("shortName"), ":"); emojiName().MatchString(name) {
				b.WriteString(":" + name + ":")
			} else {
				b.WriteString(escapeText(n.attr("text")))
			}
		case "inlineCard":
			if u := n.attr("url"); u != "" {
				b.WriteString("[" + u + "|" + u + "|smart-link]")
			}
		case "date":
			if ms, err := strconv.ParseInt(n.attr("timestamp"), 10, 64); err == nil {
				b.WriteString(time.UnixMilli(ms).UTC().Format("2006-01-02"))
			}
		case "status":
			b.WriteString(escapeText(n.attr("text")))
		case "mediaInline":
			b.WriteString(renderMedia(&node{Type: "media", Attrs: n.Attrs}))
		default:
			if n.Text != "" {
				b.WriteString(escapeText(n.Text))
			}
			b.WriteString(renderInline(n.Content, single))
		}
	}
	return b.String()
}

func linkOf(n *node) string {
	if n == nil || n.Type != "text" {
		return ""
	}
	for _, m := range n.Marks {
		if m.Type == "link" {
			return m.attr("href")
		}
	}
	return ""
}

// renderLinked writes ns[0] and, when it is linked, every following text node
// with the same link inside one [text|url], as Jira does.
func renderLinked(ns []*node, prev rune) string {
	href := linkOf(ns[0])
	if !isURL(href) {
		return renderText(ns[0], prev, nextText(ns, 0))
	}
	end := 1
	for end < len(ns) && linkOf(ns[end]) == href {
		end++
	}
	if end == 1 && len(ns[0].Marks) == 1 && ns[0].Text == href {
		return "[" + href + "]"
	}
	var b strings.Builder
	for i := range end {
		unlinked := *ns[i]
		unlinked.Marks = nil
		for _, m := range ns[i].Marks {
			if m.Type != "link" {
				unlinked.Marks = append(unlinked.Marks, m)
			}
		}
		last := '['
		if b.Len() > 0 {
			last = lastRune(b.String())
		}
		next := ""
		if i+1 < end {
			next = ns[i+1].Text
		}
		b.WriteString(renderText(&unlinked, last, next))
	}
	return "[" + b.String() + "|" + href + "]"
}

func nextText(ns []*node, i int) string {
	if i+1 < len(ns) && ns[i+1] != nil {
		return ns[i+1].Text
	}
	return ""
}

var effectChars = sync.OnceValue(func() map[string]string {
	return map[string]string{"strong": "*", "em": "_", "strike": "-", "underline": "+"}
})

// renderText wraps a text node in its marks. Marks open and close with
// Jira's bare characters where the neighbours allow it, else with the brace
// form ({*}…{*}) that Jira accepts anywhere.
func renderText(n *node, prev rune, next string) string {
	if n.Text == "" {
		return ""
	}
	has := map[string]mark{}
	for _, m := range n.Marks {
		has[m.Type] = m
	}
	var s string
	if _, ok := has["code"]; ok {
		s = "{{" + n.Text + "}}"
	} else {
		s = escapeText(n.Text)
	}
	first, _ := utf8.DecodeRuneInString(n.Text)
	lastR, _ := utf8.DecodeLastRuneInString(n.Text)
	nextR, _ := utf8.DecodeRuneInString(next)
	braces := isWord(prev) || isWord(nextR) || unicode.IsSpace(first) || unicode.IsSpace(lastR)
	wrap := func(c string) {
		if braces {
			s = "{" + c + "}" + s + "{" + c + "}"
		} else {
			s = c + s + c
		}
	}
	if m, ok := has["subsup"]; ok {
		if m.attr("type") == "sup" {
			wrap("^")
		} else {
			wrap("~")
		}
	}
	for _, t := range []string{"strike", "underline", "em", "strong"} {
		if _, ok := has[t]; ok {
			wrap(effectChars()[t])
		}
	}
	if m, ok := has["textColor"]; ok && hexColor().MatchString(m.attr("color")) {
		s = "{color:" + m.attr("color") + "}" + s + "{color}"
	}
	return s
}

func lastRune(s string) rune {
	if s == "" {
		return ' '
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

var (
	hexColor  = lazyRegexp(`^#[0-9a-fA-F]{6}$`)
	emojiName = lazyRegexp(`^[a-z0-9_+\-]+$`)
	emojiAt   = lazyRegexp(`^:[a-z0-9_+\-]+:`)
)

// escapeText backslash-escapes every character the wiki parser would read
// as markup here; it uses the same predicates as the parser.
func escapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		esc := false
		switch r {
		case '*', '_', '-', '+', '^', '~':
			esc = canOpen(s, i) || canClose(s, i)
		case '{', '[', '|':
			esc = true
		case '!':
			esc = i+1 < len(s) && !unicode.IsSpace(rune(s[i+1]))
		case ':':
			esc = !isWord(prevRune(s, i)) && emojiAt().MatchString(s[i:])
		case '\\':
			// A backslash before punctuation would read as an escape; doubled
			// it would read as a line break. Jira has no spelling for it there.
		}
		if esc {
			b.WriteByte('\\')
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

var (
	lineHeading = lazyRegexp(`^(h[1-6]|bq)\.`)
	lineList    = lazyRegexp(`^[*#]+(\s|$)`)
)

// escapeLineStarts keeps paragraph lines from reading as headings, quotes or
// list items.
func escapeLineStarts(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case lineHeading().MatchString(l):
			dot := strings.IndexByte(l, '.')
			lines[i] = l[:dot] + `\` + l[dot:]
		case lineList().MatchString(l):
			lines[i] = `\` + l
		case strings.HasPrefix(l, "----"):
			lines[i] = `\` + l
		}
	}
	return strings.Join(lines, "\n")
}
