package adf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ToMarkdown renders a rich-text field as Markdown, for readers that
// understand it (an assistant): marks become **, *, `, ~~ and links,
// code blocks fences, tables pipe tables; the rest reads as ToText does.
// A wiki-markup string (Data Center) comes back as is.
func ToMarkdown(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || raw[0] == '"' {
		return ToText(raw)
	}
	var n Node
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("adf: rich text is neither an ADF document nor a string: %w", err)
	}
	nodes := []Node{n}
	if n.Type == "doc" {
		nodes = n.Content
	}
	return joinLines(blockLines(markdownNodes(nodes), false)), nil
}

// markdownNodes rewrites nodes so that the plain-text renderer writes
// Markdown: formatted text carries its syntax in its text.
func markdownNodes(nodes []Node) []Node {
	out := make([]Node, len(nodes))
	for i, n := range nodes {
		switch n.Type {
		case "text":
			n.Text, n.Marks = markedText(n.Text, n.Marks), nil
		case "codeBlock":
			lang, _ := n.Attrs["language"].(string)
			n = paragraph([]Node{{Type: "text", Text: "```" + lang + "\n" + inlineText(n.Content) + "\n```"}})
		case "table":
			n = paragraph([]Node{{Type: "text", Text: strings.Join(pipeTable(n), "\n")}})
		default:
			n.Content = markdownNodes(n.Content)
		}
		out[i] = n
	}
	return out
}

// markedText wraps s in the syntax of its marks; spaces at its ends stay
// outside, where Markdown wants them.
func markedText(s string, marks []Mark) string {
	core := strings.TrimSpace(s)
	if core == "" || len(marks) == 0 {
		return s
	}
	lead, trail := s[:strings.Index(s, core)], s[strings.Index(s, core)+len(core):]
	has := func(t string) bool {
		for _, m := range marks {
			if m.Type == t {
				return true
			}
		}
		return false
	}
	if has("code") {
		if strings.Contains(core, "`") {
			core = "`` " + core + " ``"
		} else {
			core = "`" + core + "`"
		}
	}
	if has("em") {
		core = "*" + core + "*"
	}
	if has("strong") {
		core = "**" + core + "**"
	}
	if has("strike") {
		core = "~~" + core + "~~"
	}
	for _, m := range marks {
		if href := markHref(m); m.Type == "link" && href != "" {
			core = "[" + core + "](" + href + ")"
		}
	}
	return lead + core + trail
}

// pipeTable renders a table as a Markdown pipe table; the first row is its
// header, as Markdown requires one.
func pipeTable(n Node) []string {
	var out []string
	for r, row := range n.Content {
		var cells []string
		for _, cell := range row.Content {
			c := oneLine(strings.Join(blockLines(markdownNodes(cell.Content), true), " "))
			cells = append(cells, strings.ReplaceAll(c, "|", `\|`))
		}
		out = append(out, "| "+strings.Join(cells, " | ")+" |")
		if r == 0 {
			out = append(out, "|"+strings.Repeat(" --- |", len(cells)))
		}
	}
	return out
}
