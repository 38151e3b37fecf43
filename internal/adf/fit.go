package adf

import "strings"

// An allowed says which block nodes a container may hold in ADF. Markdown
// nests anything in anything; ADF does not.
type allowed func(typ string) bool

// inQuote: a blockquote holds paragraphs, lists and code blocks.
func inQuote(typ string) bool {
	switch typ {
	case "paragraph", "bulletList", "orderedList", "codeBlock":
		return true
	}
	return false
}

// inListItem: the same set as a quote; the first child must moreover be a
// paragraph or a list (see startsListItem).
func inListItem(typ string) bool { return inQuote(typ) }

func startsListItem(typ string) bool {
	return typ == "paragraph" || typ == "bulletList" || typ == "orderedList"
}

// fit rewrites blocks so that every one is allowed in ctx: headings become
// paragraphs, quotes give up their content, tables become one paragraph per
// row, task lists become bullet lists with [ ]/[x], rules disappear.
func fit(blocks []Node, ctx allowed) []Node {
	var out []Node
	for _, b := range blocks {
		out = append(out, demote(b, ctx)...)
	}
	return out
}

func demote(b Node, ctx allowed) []Node {
	if ctx(b.Type) {
		return []Node{b}
	}
	switch b.Type {
	case "heading":
		return fit([]Node{paragraph(b.Content)}, ctx)
	case "blockquote":
		return fit(b.Content, ctx)
	case "table":
		var out []Node
		for _, row := range b.Content {
			out = append(out, paragraph(rowInlines(row)))
		}
		return fit(out, ctx)
	case "taskList":
		return fit([]Node{taskListAsBullets(b)}, ctx)
	}
	return nil
}

// rowInlines flattens a table row into one line: cells separated by " | ".
func rowInlines(row Node) []Node {
	var out []Node
	for i, cell := range row.Content {
		if i > 0 {
			out = append(out, Node{Type: "text", Text: " | "})
		}
		for j, p := range cell.Content {
			if j > 0 {
				out = append(out, Node{Type: "text", Text: " "})
			}
			out = append(out, p.Content...)
		}
	}
	return mergeText(out)
}

// taskListAsBullets turns a taskList into a bulletList whose items start with
// "[ ] " or "[x] ". Nested task lists (siblings in ADF) move into the item
// before them, where a bullet list nests.
func taskListAsBullets(tl Node) Node {
	out := Node{Type: "bulletList"}
	for _, ch := range tl.Content {
		if ch.Type == "taskList" && len(out.Content) > 0 {
			last := &out.Content[len(out.Content)-1]
			last.Content = append(last.Content, taskListAsBullets(ch))
			continue
		}
		if ch.Type == "taskList" {
			// A nested list before any item: hang it under an empty one.
			out.Content = append(out.Content, Node{Type: "listItem", Content: []Node{paragraph(nil), taskListAsBullets(ch)}})
			continue
		}
		box := checkboxText(strings.EqualFold(stateOf(ch), "DONE"))
		inl := append([]Node{{Type: "text", Text: box}}, ch.Content...)
		out.Content = append(out.Content, Node{Type: "listItem", Content: []Node{paragraph(mergeText(inl))}})
	}
	return out
}

func stateOf(n Node) string {
	s, _ := n.Attrs["state"].(string)
	return s
}
