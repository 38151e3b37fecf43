package adf

import (
	"strconv"
	"strings"

	"github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	east "github.com/ticket-mate/tm/internal/third_party/goldmark/extension/ast"
)

// FromMarkdown converts GitHub-flavoured Markdown into an ADF document that
// Jira Cloud's validator accepts. Constructs ADF cannot hold where they
// appear (a heading inside a list item, a table inside a quote) are demoted
// to the nearest thing it can hold rather than rejected, because a ticket
// with slightly plainer formatting beats no ticket. The only error is input
// that is not UTF-8.
func FromMarkdown(src []byte) (*Doc, error) {
	if err := checkUTF8("the Markdown text", src); err != nil {
		return nil, err
	}
	src = normalizeNewlines(src)
	return docFromTree(src, parse(src)), nil
}

// docFromTree converts the syntax tree root parsed from src.
func docFromTree(src []byte, root ast.Node) *Doc {
	c := &converter{src: src}
	return NewDoc(c.children(root)...)
}

type converter struct {
	src    []byte
	nextID int // task lists and items need document-unique localIds
}

func (c *converter) localID() string {
	c.nextID++
	return "tm-" + strconv.Itoa(c.nextID)
}

// children converts the block children of n.
func (c *converter) children(n ast.Node) []Node {
	var out []Node
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		out = append(out, c.block(ch)...)
	}
	return out
}

func (c *converter) block(n ast.Node) []Node {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return []Node{paragraph(c.inlines(n, false))}
	case *ast.Heading:
		return []Node{{Type: "heading", Attrs: map[string]any{"level": n.Level}, Content: c.inlines(n, false)}}
	case *ast.ThematicBreak:
		return []Node{{Type: "rule"}}
	case *ast.FencedCodeBlock:
		var lang string
		if n.Info != nil {
			lang = decode(n.Language(c.src))
		}
		return []Node{codeBlock(lang, linesText(n, c.src))}
	case *ast.CodeBlock:
		return []Node{codeBlock("", linesText(n, c.src))}
	case *ast.Blockquote:
		content := fit(c.children(n), inQuote)
		if len(content) == 0 {
			content = []Node{paragraph(nil)}
		}
		return []Node{{Type: "blockquote", Content: content}}
	case *ast.List:
		return c.list(n)
	case *ast.HTMLBlock:
		return htmlParagraph(linesText(n, c.src))
	case *east.Table:
		return []Node{c.table(n)}
	default:
		return c.children(n)
	}
}

func paragraph(content []Node) Node { return Node{Type: "paragraph", Content: content} }

func codeBlock(lang, text string) Node {
	n := Node{Type: "codeBlock"}
	if lang != "" {
		n.Attrs = map[string]any{"language": lang}
	}
	if text != "" {
		n.Content = []Node{{Type: "text", Text: text}}
	}
	return n
}

// htmlParagraph keeps an HTML block as literal text, one hardBreak per line.
func htmlParagraph(s string) []Node {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var content []Node
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			content = append(content, Node{Type: "hardBreak"})
		}
		if line != "" {
			content = append(content, Node{Type: "text", Text: line})
		}
	}
	return []Node{paragraph(content)}
}

// list converts a Markdown list. In an unordered list, each run of items
// that open with a checkbox becomes a taskList and each run of other items
// a bulletList, so task items mixed with bullets keep their checkboxes.
func (c *converter) list(n *ast.List) []Node {
	var items []ast.Node
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		items = append(items, item)
	}
	if n.IsOrdered() {
		return []Node{c.plainList(n, items)}
	}
	var out []Node
	for len(items) > 0 {
		task := isTaskItem(items[0])
		i := 1
		for i < len(items) && isTaskItem(items[i]) == task {
			i++
		}
		if task {
			out = append(out, c.taskList(items[:i])...)
		} else {
			out = append(out, c.plainList(n, items[:i]))
		}
		items = items[i:]
	}
	return out
}

func (c *converter) plainList(n *ast.List, items []ast.Node) Node {
	out := Node{Type: "bulletList"}
	if n.IsOrdered() {
		out.Type = "orderedList"
		if n.Start != 1 {
			out.Attrs = map[string]any{"order": n.Start}
		}
	}
	for _, item := range items {
		content := fit(c.children(item), inListItem)
		if len(content) == 0 || !startsListItem(content[0].Type) {
			content = append([]Node{paragraph(nil)}, content...)
		}
		out.Content = append(out.Content, Node{Type: "listItem", Content: content})
	}
	return out
}

// isTaskItem reports whether a list item opens with a checkbox.
func isTaskItem(item ast.Node) bool {
	first := item.FirstChild()
	if first == nil || first.FirstChild() == nil {
		return false
	}
	_, ok := first.FirstChild().(*east.TaskCheckBox)
	return ok
}

// taskList converts a run of task items. A taskItem holds inline content
// only; nested task lists become taskLists inside the list (ADF nests them
// as siblings of the item before), and any other block under an item (a
// plain nested list, code) closes the taskList, follows it, and a new
// taskList takes the next items.
func (c *converter) taskList(items []ast.Node) []Node {
	var out []Node
	cur := c.newTaskList()
	for _, item := range items {
		state := "TODO"
		if item.FirstChild().FirstChild().(*east.TaskCheckBox).IsChecked {
			state = "DONE"
		}
		task := Node{Type: "taskItem", Attrs: map[string]any{"localId": c.localID(), "state": state}}
		var after []Node
		for ch := item.FirstChild(); ch != nil; ch = ch.NextSibling() {
			switch ch := ch.(type) {
			case *ast.Paragraph, *ast.TextBlock:
				inl := c.inlines(ch, true)
				if len(task.Content) > 0 && len(inl) > 0 {
					task.Content = append(task.Content, Node{Type: "hardBreak"})
				}
				task.Content = append(task.Content, inl...)
			default:
				after = append(after, c.block(ch)...)
			}
		}
		cur.Content = append(cur.Content, task)
		for _, b := range after {
			switch {
			case b.Type == "taskList" && len(cur.Content) > 0:
				cur.Content = append(cur.Content, b)
			case b.Type == "taskList":
				out = append(out, b) // a taskList must open with an item
			default:
				if len(cur.Content) > 0 {
					out = append(out, cur)
					cur = c.newTaskList()
				}
				out = append(out, b)
			}
		}
	}
	if len(cur.Content) > 0 {
		out = append(out, cur)
	}
	return out
}

func (c *converter) newTaskList() Node {
	return Node{Type: "taskList", Attrs: map[string]any{"localId": c.localID()}}
}

func (c *converter) table(n *east.Table) Node {
	cols := len(n.Alignments)
	out := Node{Type: "table"}
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		cellType := "tableCell"
		if _, ok := row.(*east.TableHeader); ok {
			cellType = "tableHeader"
		}
		r := Node{Type: "tableRow"}
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			r.Content = append(r.Content, Node{Type: cellType, Content: []Node{paragraph(c.inlines(cell, false))}})
		}
		// GFM fills short rows with empty cells; ADF tables must be rectangular.
		for len(r.Content) < cols {
			r.Content = append(r.Content, Node{Type: cellType, Content: []Node{paragraph(nil)}})
		}
		if len(r.Content) > 0 {
			out.Content = append(out.Content, r)
		}
	}
	return out
}

// inlines converts the inline children of n into ADF inline nodes. In a task
// item the leading checkbox is the item's state, not text.
func (c *converter) inlines(n ast.Node, inTask bool) []Node {
	var out []Node
	c.inline(n, nil, inTask, &out)
	return mergeText(out)
}

var newlines = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

func (c *converter) inline(n ast.Node, marks []Mark, inTask bool, out *[]Node) {
	text := func(s string, marks []Mark) {
		// Line breaks are hardBreak nodes; a raw newline (from &#10; or inline
		// HTML spanning lines) would show differently in every renderer.
		s = newlines.Replace(s)
		if s != "" {
			*out = append(*out, Node{Type: "text", Text: s, Marks: marks})
		}
	}
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		switch t := ch.(type) {
		case *ast.Text:
			if t.IsRaw() {
				text(raw(t.Segment.Value(c.src)), marks)
			} else {
				text(decode(t.Segment.Value(c.src)), marks)
			}
			switch {
			case t.HardLineBreak():
				*out = append(*out, Node{Type: "hardBreak"})
			case t.SoftLineBreak():
				text(" ", marks)
			}
		case *ast.String:
			text(stringValue(t), marks)
		case *ast.CodeSpan:
			text(codeSpanText(t, c.src), codeMarks(marks))
		case *ast.Emphasis:
			typ := "em"
			if t.Level >= 2 {
				typ = "strong"
			}
			c.inline(t, withMark(marks, Mark{Type: typ}), inTask, out)
		case *east.Strikethrough:
			c.inline(t, withMark(marks, Mark{Type: "strike"}), inTask, out)
		case *ast.Link:
			c.inline(t, withLink(marks, destination(t.Destination)), inTask, out)
		case *ast.AutoLink:
			text(raw(t.Label(c.src)), withLink(marks, autoLinkURL(t, c.src)))
		case *ast.Image:
			// Jira Cloud cannot show an external image without uploading it as
			// media, so an image becomes a link to it, labelled by its alt text.
			href := destination(t.Destination)
			label := plainText(t, c.src)
			if label == "" {
				label = href
			}
			text(label, withLink(marks, href))
		case *ast.RawHTML:
			text(rawHTMLText(t, c.src), marks)
		case *east.TaskCheckBox:
			if !inTask {
				text(checkboxText(t.IsChecked), marks)
			}
		default:
			c.inline(ch, marks, inTask, out)
		}
	}
}

// withMark adds m unless a mark of its type is already there (ADF forbids
// duplicates, Markdown allows ***a*** and nested emphasis). Code text takes
// no other marks than link, so nothing is added inside code.
func withMark(marks []Mark, m Mark) []Mark {
	for _, have := range marks {
		if have.Type == m.Type || have.Type == "code" {
			return marks
		}
	}
	return append(marks[:len(marks):len(marks)], m)
}

// withLink sets the link mark, replacing an outer one. An empty target is no
// link: Jira rejects a link mark without href.
func withLink(marks []Mark, href string) []Mark {
	if href == "" {
		return marks
	}
	out := make([]Mark, 0, len(marks)+1)
	for _, m := range marks {
		if m.Type != "link" {
			out = append(out, m)
		}
	}
	return append(out, Mark{Type: "link", Attrs: map[string]any{"href": href}})
}

// codeMarks keeps only the link of the surrounding marks: the code mark may
// be combined with link and nothing else.
func codeMarks(marks []Mark) []Mark {
	out := []Mark{}
	for _, m := range marks {
		if m.Type == "link" {
			out = append(out, m)
		}
	}
	return append(out, Mark{Type: "code"})
}

// mergeText joins neighbouring text nodes with the same marks; goldmark splits
// text at every delimiter it considered. Runs are joined in one go so a line
// of a thousand stray asterisks stays linear.
func mergeText(nodes []Node) []Node {
	out := nodes[:0]
	for i := 0; i < len(nodes); {
		n := nodes[i]
		j := i + 1
		if n.Type == "text" {
			for j < len(nodes) && nodes[j].Type == "text" && sameMarks(n.Marks, nodes[j].Marks) {
				j++
			}
			if j > i+1 {
				var sb strings.Builder
				for _, m := range nodes[i:j] {
					sb.WriteString(m.Text)
				}
				n.Text = sb.String()
			}
		}
		out = append(out, n)
		i = j
	}
	return out
}

func sameMarks(a, b []Mark) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || markHref(a[i]) != markHref(b[i]) {
			return false
		}
	}
	return true
}

func markHref(m Mark) string {
	s, _ := m.Attrs["href"].(string)
	return s
}
