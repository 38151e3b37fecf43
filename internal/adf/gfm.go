package adf

// GitHub-flavoured Markdown's extensions (tables, strikethrough, task list
// items, extended autolinks) as goldmark parsers and renderers.
//
// goldmark ships them in its extension package, whose initialisation
// compiles regular expressions that every tm command paid for at start-up,
// Markdown or not. These follow that package (MIT licence, copyright 2019
// Yusuke Inuzuka) rule for rule, with hand-written scanners in place of its
// regular expressions, and build the same nodes from goldmark/extension/ast,
// so the conversions read the same trees and the preview renders the same
// HTML; gfm_test.go holds them to that against goldmark's own extension.

import (
	"github.com/ticket-mate/tm/internal/third_party/goldmark"
	gast "github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	east "github.com/ticket-mate/tm/internal/third_party/goldmark/extension/ast"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/parser"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/renderer"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/renderer/html"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/text"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/util"
)

// gfm adds the four extensions' parsers with goldmark's priorities, in
// goldmark's order, so parsers sharing a trigger character run in the same
// sequence.
type gfm struct{}

func (gfm) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithInlineParsers(util.Prioritized(autoLinkParser{}, 999)),
		parser.WithParagraphTransformers(util.Prioritized(tableParagraphTransformer{}, 200)),
		parser.WithASTTransformers(util.Prioritized(tableASTTransformer{}, 0)),
		parser.WithInlineParsers(util.Prioritized(strikethroughParser{}, 500)),
		// Before the link parser, which also starts at [.
		parser.WithInlineParsers(util.Prioritized(taskCheckBoxParser{}, 0)),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(&gfmRenderer{Config: html.NewConfig()}, 500)))
}

// isRegexpSpace is the \s of the expressions GFM's rules were written in:
// ASCII tab, newline, form feed, carriage return and space, not vertical tab.
func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// strikethroughParser reads ~text~ and ~~text~~; three or more tildes are
// text.
type strikethroughParser struct{}

func (strikethroughParser) Trigger() []byte { return []byte{'~'} }

func (strikethroughParser) Parse(parent gast.Node, block text.Reader, pc parser.Context) gast.Node {
	before := block.PrecendingCharacter()
	line, segment := block.PeekLine()
	node := parser.ScanDelimiter(line, before, 1, strikethroughDelimiter{})
	if node == nil || node.OriginalLength > 2 || before == '~' {
		return nil
	}
	node.Segment = segment.WithStop(segment.Start + node.OriginalLength)
	block.Advance(node.OriginalLength)
	pc.PushDelimiter(node)
	return node
}

func (strikethroughParser) CloseBlock(gast.Node, parser.Context) {}

type strikethroughDelimiter struct{}

func (strikethroughDelimiter) IsDelimiter(b byte) bool { return b == '~' }

func (strikethroughDelimiter) CanOpenCloser(opener, closer *parser.Delimiter) bool {
	return opener.Char == closer.Char
}

func (strikethroughDelimiter) OnMatch(int) gast.Node { return east.NewStrikethrough() }

// taskCheckBoxParser reads the [ ] or [x] that opens a list item's first
// paragraph.
type taskCheckBoxParser struct{}

func (taskCheckBoxParser) Trigger() []byte { return []byte{'['} }

func (taskCheckBoxParser) Parse(parent gast.Node, block text.Reader, pc parser.Context) gast.Node {
	if parent.Parent() == nil || parent.Parent().FirstChild() != parent || parent.HasChildren() {
		return nil
	}
	if _, ok := parent.Parent().(*gast.ListItem); !ok {
		return nil
	}
	line, _ := block.PeekLine()
	end, checked := taskCheckBoxEnd(line)
	if end < 0 {
		return nil
	}
	block.Advance(end)
	return east.NewTaskCheckBox(checked)
}

// taskCheckBoxEnd matches [ ], [x] or [X] (any ASCII space inside) and the
// spaces after it at the start of line: where that ends, or -1, and whether
// the box is ticked.
func taskCheckBoxEnd(line []byte) (int, bool) {
	if len(line) < 3 || line[0] != '[' || line[2] != ']' {
		return -1, false
	}
	mark := line[1]
	if mark != 'x' && mark != 'X' && !isRegexpSpace(mark) {
		return -1, false
	}
	end := 3
	for end < len(line) && isRegexpSpace(line[end]) {
		end++
	}
	return end, mark == 'x' || mark == 'X'
}

func (taskCheckBoxParser) CloseBlock(gast.Node, parser.Context) {}

// gfmRenderer renders the extension nodes into the preview's HTML as
// goldmark's renderers do.
type gfmRenderer struct{ html.Config }

func (r *gfmRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(east.KindTable, r.renderTable)
	reg.Register(east.KindTableHeader, r.renderTableHeader)
	reg.Register(east.KindTableRow, r.renderTableRow)
	reg.Register(east.KindTableCell, r.renderTableCell)
	reg.Register(east.KindStrikethrough, r.renderStrikethrough)
	reg.Register(east.KindTaskCheckBox, r.renderTaskCheckBox)
}

// openTag writes <tag with the node's attributes that filter lets through.
func openTag(w util.BufWriter, n gast.Node, tag string, filter func() util.BytesFilter) {
	_, _ = w.WriteString("<" + tag)
	if n.Attributes() != nil {
		html.RenderAttributes(w, n, filter())
	}
	_ = w.WriteByte('>')
}

func (r *gfmRenderer) renderStrikethrough(w util.BufWriter, _ []byte, n gast.Node, entering bool) (gast.WalkStatus, error) {
	if entering {
		openTag(w, n, "del", func() util.BytesFilter { return html.GlobalAttributeFilter })
	} else {
		_, _ = w.WriteString("</del>")
	}
	return gast.WalkContinue, nil
}

func (r *gfmRenderer) renderTaskCheckBox(w util.BufWriter, _ []byte, n gast.Node, entering bool) (gast.WalkStatus, error) {
	if !entering {
		return gast.WalkContinue, nil
	}
	if n.(*east.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(`<input checked="" disabled="" type="checkbox"`)
	} else {
		_, _ = w.WriteString(`<input disabled="" type="checkbox"`)
	}
	if r.XHTML {
		_, _ = w.WriteString(" /> ")
	} else {
		_, _ = w.WriteString("> ")
	}
	return gast.WalkContinue, nil
}
