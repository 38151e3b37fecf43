package adf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Text renders the document as plain text for a terminal.
func (d *Doc) Text() string {
	if d == nil {
		return ""
	}
	return joinLines(blockLines(d.Content, false))
}

// ToText renders a rich-text field as Jira returns it: an ADF object (REST
// v3), a wiki-markup string (REST v2, Data Center), which comes back as is,
// or null. Nodes it does not know are rendered as their text, so documents
// from newer editors still read.
func ToText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("adf: rich text is not a valid JSON string: %w", err)
		}
		return s, nil
	}
	var n Node
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("adf: rich text is neither an ADF document nor a string: %w", err)
	}
	if n.Type == "doc" {
		return joinLines(blockLines(n.Content, false)), nil
	}
	return joinLines(blockLines([]Node{n}, false)), nil
}

func joinLines(lines []string) string {
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// blockLines renders a sequence of blocks. Loose sequences (the document, a
// quote) put a blank line between blocks; tight ones (a list item) do not.
// Inline nodes found among blocks are gathered into a paragraph.
func blockLines(nodes []Node, tight bool) []string {
	var out []string
	add := func(lines []string) {
		if len(lines) == 0 {
			return
		}
		if !tight && len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	for i := 0; i < len(nodes); i++ {
		if isInline(nodes[i]) {
			j := i
			for j < len(nodes) && isInline(nodes[j]) {
				j++
			}
			add(splitLines(inlineText(nodes[i:j])))
			i = j - 1
			continue
		}
		add(block(nodes[i]))
	}
	return out
}

func isInline(n Node) bool {
	switch n.Type {
	case "text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status",
		"placeholder", "mediaInline", "inlineExtension":
		return true
	}
	return n.Text != "" && len(n.Content) == 0
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func block(n Node) []string {
	switch n.Type {
	case "paragraph":
		return splitLines(inlineText(n.Content))
	case "heading":
		level := min(max(attrInt(n, "level", 1), 1), 6)
		return []string{strings.Repeat("#", level) + " " + oneLine(inlineText(n.Content))}
	case "bulletList":
		return listLines(n, func(int) string { return "- " })
	case "orderedList":
		start := attrInt(n, "order", 1)
		return listLines(n, func(i int) string { return strconv.Itoa(start+i) + ". " })
	case "taskList", "decisionList":
		return taskLines(n)
	case "codeBlock":
		return prefixLines(splitLines(inlineText(n.Content)), "    ", "")
	case "blockquote", "panel":
		return prefixLines(blockLines(n.Content, false), "> ", ">")
	case "rule":
		return []string{"----------"}
	case "table":
		return tableLines(n)
	case "expand", "nestedExpand":
		lines := prefixLines(blockLines(n.Content, false), "  ", "")
		if title := attrString(n, "title"); title != "" {
			lines = append([]string{title}, lines...)
		}
		return lines
	case "mediaSingle", "mediaGroup":
		var out []string
		for _, m := range n.Content {
			if m.Type == "media" {
				out = append(out, mediaText(m))
			}
		}
		return out
	case "media":
		return []string{mediaText(n)}
	case "blockCard", "embedCard":
		if u := cardURL(n); u != "" {
			return []string{u}
		}
		return nil
	}
	return blockLines(n.Content, false)
}

// listLines renders items with a marker on the first line and continuation
// lines indented under the item's text.
func listLines(n Node, marker func(i int) string) []string {
	var out []string
	i := 0
	for _, item := range n.Content {
		lines := blockLines(item.Content, true)
		if item.Type != "listItem" {
			// A stray nested list: indent it under the previous item.
			out = append(out, prefixLines(lines, "  ", "")...)
			continue
		}
		m := marker(i)
		i++
		if len(lines) == 0 {
			lines = []string{""}
		}
		out = append(out, prefixFirst(lines, m)...)
	}
	return out
}

// taskLines renders task and decision lists; their nested lists are siblings
// of the items in ADF and are indented under them.
func taskLines(n Node) []string {
	var out []string
	for _, item := range n.Content {
		switch item.Type {
		case "taskItem", "decisionItem":
			box := "[ ] "
			switch attrString(item, "state") {
			case "DONE":
				box = "[x] "
			case "DECIDED":
				box = "<> "
			}
			lines := splitLines(inlineText(item.Content))
			if len(lines) == 0 {
				lines = []string{""}
			}
			out = append(out, prefixFirst(lines, box)...)
		default:
			out = append(out, prefixLines(block(item), "    ", "")...)
		}
	}
	return out
}

func prefixFirst(lines []string, marker string) []string {
	indent := strings.Repeat(" ", len(marker))
	out := make([]string, len(lines))
	for i, l := range lines {
		switch {
		case i == 0:
			out[i] = marker + l
		case l == "":
			out[i] = ""
		default:
			out[i] = indent + l
		}
	}
	return out
}

// prefixLines prefixes every line; empty lines get emptyPrefix so a quote
// keeps its bar and indented code keeps no trailing blanks.
func prefixLines(lines []string, prefix, emptyPrefix string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if l == "" {
			out[i] = emptyPrefix
		} else {
			out[i] = prefix + l
		}
	}
	return out
}

// tableLines aligns cells in columns two spaces apart, with a dashed line
// under a header row.
func tableLines(n Node) []string {
	var rows [][]string
	header := false
	for r, row := range n.Content {
		var cells []string
		for _, cell := range row.Content {
			cells = append(cells, oneLine(strings.Join(blockLines(cell.Content, true), " ")))
			if r == 0 && cell.Type == "tableHeader" {
				header = true
			}
		}
		rows = append(rows, cells)
	}
	var widths []int
	for _, cells := range rows {
		for i, c := range cells {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	format := func(cells []string) string {
		var sb strings.Builder
		for i, c := range cells {
			if i > 0 {
				sb.WriteString("  ")
			}
			sb.WriteString(c)
			sb.WriteString(strings.Repeat(" ", max(0, widths[i]-displayWidth(c))))
		}
		return sb.String()
	}
	var out []string
	for r, cells := range rows {
		out = append(out, format(cells))
		if r == 0 && header {
			dashes := make([]string, len(widths))
			for i, w := range widths {
				dashes[i] = strings.Repeat("-", max(w, 1))
			}
			out = append(out, format(dashes))
		}
	}
	return out
}

// displayWidth counts terminal columns: East Asian wide characters and most
// emoji take two, combining marks none.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200b':
		case isWide(r):
			w += 2
		default:
			w++
		}
	}
	return w
}

func isWide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF && r != 0x303F) ||
		(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x1F300 && r <= 0x1F64F) ||
		(r >= 0x1F900 && r <= 0x1F9FF) || (r >= 0x20000 && r <= 0x3FFFD)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// inlineText renders inline nodes; hardBreaks become newlines.
// A terminal cannot follow a link, so after a linked run of text the target
// is shown in parentheses, unless the text already says it.
func inlineText(nodes []Node) string {
	var sb strings.Builder
	var href string
	var label strings.Builder
	endLink := func() {
		l := label.String()
		if href != "" && href != l && href != "mailto:"+l && href != "http://"+l {
			sb.WriteString(" (" + href + ")")
		}
		href = ""
		label.Reset()
	}
	for _, n := range nodes {
		h := linkHref(n)
		if h != href {
			endLink()
			href = h
		}
		if h != "" {
			label.WriteString(n.Text)
		}
		writeInline(&sb, n)
	}
	endLink()
	return sb.String()
}

func linkHref(n Node) string {
	if n.Type != "text" {
		return ""
	}
	for _, m := range n.Marks {
		if m.Type == "link" {
			return markHref(m)
		}
	}
	return ""
}

func writeInline(sb *strings.Builder, n Node) {
	switch n.Type {
	case "text":
		sb.WriteString(n.Text)
	case "hardBreak":
		sb.WriteByte('\n')
	case "mention":
		name := attrString(n, "text")
		if name == "" {
			name = attrString(n, "id")
		}
		if !strings.HasPrefix(name, "@") {
			name = "@" + name
		}
		sb.WriteString(name)
	case "emoji":
		if s := attrString(n, "shortName"); s != "" {
			sb.WriteString(s)
		} else {
			sb.WriteString(attrString(n, "text"))
		}
	case "inlineCard":
		sb.WriteString(cardURL(n))
	case "date":
		sb.WriteString(dateText(attrString(n, "timestamp")))
	case "status":
		sb.WriteString("[" + attrString(n, "text") + "]")
	case "placeholder":
		sb.WriteString(attrString(n, "text"))
	case "mediaInline":
		sb.WriteString(mediaText(n))
	default:
		sb.WriteString(n.Text)
		for _, c := range n.Content {
			writeInline(sb, c)
		}
	}
}

func cardURL(n Node) string {
	if u := attrString(n, "url"); u != "" {
		return u
	}
	if data, ok := n.Attrs["data"].(map[string]any); ok {
		if u, ok := data["url"].(string); ok {
			return u
		}
	}
	return ""
}

func mediaText(n Node) string {
	if u := attrString(n, "url"); u != "" {
		return u
	}
	if alt := attrString(n, "alt"); alt != "" {
		return "[attachment: " + alt + "]"
	}
	return "[attachment]"
}

// dateText formats a date node's timestamp (milliseconds since the epoch, as
// a string) as a calendar date in UTC.
func dateText(ts string) string {
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ts
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02")
}

func attrString(n Node, key string) string {
	switch v := n.Attrs[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// attrInt reads a numeric attribute, whether it came from JSON (float64) or
// was built in Go (int).
func attrInt(n Node, key string, def int) int {
	switch v := n.Attrs[key].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case string:
		if i, err := strconv.Atoi(v); err == nil {
			return i
		}
	}
	return def
}
