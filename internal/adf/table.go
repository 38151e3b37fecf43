package adf

import (
	"bytes"
	"sync"

	gast "github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	east "github.com/ticket-mate/tm/internal/third_party/goldmark/extension/ast"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/parser"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/renderer/html"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/text"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/util"
)

// escapedPipeCellsKey holds, while a document is parsed, the table cells
// with \| inside a code span: the pipe escape still applies there, so the
// backslash is taken out of the code span once inlines are parsed.
var escapedPipeCellsKey = parser.NewContextKey()

type escapedPipeCell struct {
	cell        *east.TableCell
	pos         []int // source offsets of the backslashes
	transformed bool
}

// tableParagraphTransformer turns a paragraph whose line is a delimiter
// row (| --- | :-: |) under a header row with as many cells into a table.
type tableParagraphTransformer struct{}

func (tableParagraphTransformer) Transform(node *gast.Paragraph, reader text.Reader, pc parser.Context) {
	ppos := node.Pos()
	lines := node.Lines()
	if lines.Len() < 2 {
		return
	}
	for i := 1; i < lines.Len(); i++ {
		delim := lines.At(i)
		alignments := parseDelimiterRow(delim.Value(reader.Source()))
		if alignments == nil {
			continue
		}
		header := parseTableRow(lines.At(i-1), alignments, true, reader, pc)
		if header == nil || len(alignments) != header.ChildCount() {
			return
		}
		table := east.NewTable()
		table.Alignments = alignments
		table.SetPos(ppos)
		table.AppendChild(table, east.NewTableHeader(header))
		for j := i + 1; j < lines.Len(); j++ {
			table.AppendChild(table, parseTableRow(lines.At(j), alignments, false, reader, pc))
		}
		node.Lines().SetSliced(0, i-1)
		node.Parent().InsertAfter(node.Parent(), node, table)
		if node.Lines().Len() == 0 {
			node.Parent().RemoveChild(node.Parent(), node)
		} else {
			last := node.Lines().At(i - 2)
			last.Stop-- // the paragraph's last line loses its newline
			node.Lines().Set(i-2, last)
		}
	}
}

// parseTableRow splits a row into cells at unescaped pipes. A body row
// drops cells beyond the header's and gains empty ones up to it.
func parseTableRow(segment text.Segment, alignments []east.Alignment, isHeader bool, reader text.Reader, pc parser.Context) *east.TableRow {
	npos := segment
	source := reader.Source()
	segment = segment.TrimLeftSpace(source)
	segment = segment.TrimRightSpace(source)
	line := segment.Value(source)
	pos := 0
	limit := len(line)
	row := east.NewTableRow(alignments)
	row.SetPos(npos.Start)
	if len(line) > 0 && line[pos] == '|' {
		pos++
	}
	if len(line) > 0 && line[limit-1] == '|' {
		limit--
	}
	i := 0
	for ; pos < limit; i++ {
		alignment := east.AlignNone
		if i >= len(alignments) {
			if !isHeader {
				return row
			}
		} else {
			alignment = alignments[i]
		}

		var escaped *escapedPipeCell
		cell := east.NewTableCell()
		cell.SetPos(npos.Start + pos - npos.Padding)
		cell.Alignment = alignment
		hasBacktick := false
		closure := pos
		for ; closure < limit; closure++ {
			if line[closure] == '`' {
				hasBacktick = true
			}
			if line[closure] != '|' {
				continue
			}
			if closure == 0 || line[closure-1] != '\\' {
				break
			}
			if hasBacktick {
				if escaped == nil {
					escaped = &escapedPipeCell{cell: cell}
					list, _ := pc.Get(escapedPipeCellsKey).([]*escapedPipeCell)
					pc.Set(escapedPipeCellsKey, append(list, escaped))
				}
				escaped.pos = append(escaped.pos, segment.Start+closure-1)
			}
		}
		seg := text.NewSegment(segment.Start+pos, segment.Start+closure)
		seg = seg.TrimLeftSpace(source)
		seg = seg.TrimRightSpace(source)
		cell.Lines().Append(seg)
		row.AppendChild(row, cell)
		pos = closure + 1
	}
	for ; i < len(alignments); i++ {
		row.AppendChild(row, east.NewTableCell())
	}
	return row
}

// parseDelimiterRow returns the column alignments a delimiter row such as
// "| :-- | --: | :-: | --- |" gives, or nil if line is not one.
func parseDelimiterRow(line []byte) []east.Alignment {
	if !isTableDelim(line) {
		return nil
	}
	cols := bytes.Split(line, []byte{'|'})
	if util.IsBlank(cols[0]) {
		cols = cols[1:]
	}
	if len(cols) > 0 && util.IsBlank(cols[len(cols)-1]) {
		cols = cols[:len(cols)-1]
	}
	var alignments []east.Alignment
	for _, col := range cols {
		a, ok := columnAlignment(col)
		if !ok {
			return nil
		}
		alignments = append(alignments, a)
	}
	return alignments
}

func isTableDelim(bs []byte) bool {
	if w, _ := util.IndentWidth(bs, 0); w > 3 {
		return false
	}
	allSep := true
	for _, b := range bs {
		if b != '-' {
			allSep = false
		}
		if !util.IsSpace(b) && b != '-' && b != '|' && b != ':' {
			return false
		}
	}
	return !allSep
}

// columnAlignment reads one delimiter cell, \s*:?-+:?\s*, the colons
// saying where the column aligns.
func columnAlignment(col []byte) (east.Alignment, bool) {
	i, j := 0, len(col)
	for i < j && isRegexpSpace(col[i]) {
		i++
	}
	for j > i && isRegexpSpace(col[j-1]) {
		j--
	}
	col = col[i:j]
	left := len(col) > 0 && col[0] == ':'
	if left {
		col = col[1:]
	}
	right := len(col) > 0 && col[len(col)-1] == ':'
	if right {
		col = col[:len(col)-1]
	}
	if len(col) == 0 || len(bytes.Trim(col, "-")) != 0 {
		return east.AlignNone, false
	}
	switch {
	case left && right:
		return east.AlignCenter, true
	case left:
		return east.AlignLeft, true
	case right:
		return east.AlignRight, true
	}
	return east.AlignNone, true
}

// tableASTTransformer takes the backslash of \| out of code spans in table
// cells, where inline parsing kept it.
type tableASTTransformer struct{}

func (tableASTTransformer) Transform(node *gast.Document, reader text.Reader, pc parser.Context) {
	list, _ := pc.Get(escapedPipeCellsKey).([]*escapedPipeCell)
	if list == nil {
		return
	}
	pc.Set(escapedPipeCellsKey, nil)
	for _, v := range list {
		if v.transformed {
			continue
		}
		_ = gast.Walk(v.cell, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
			if !entering || n.Kind() != gast.KindCodeSpan {
				return gast.WalkContinue, nil
			}
			for c := n.FirstChild(); c != nil; {
				next := c.NextSibling()
				if c.Kind() != gast.KindText {
					c = next
					continue
				}
				parent := c.Parent()
				ts := &c.(*gast.Text).Segment
				n := c
				for _, v := range list {
					for _, pos := range v.pos {
						if ts.Start <= pos && pos < ts.Stop {
							segment := n.(*gast.Text).Segment
							n1 := gast.NewRawTextSegment(segment.WithStop(pos))
							n2 := gast.NewRawTextSegment(segment.WithStart(pos + 1))
							parent.InsertAfter(parent, n, n1)
							parent.InsertAfter(parent, n1, n2)
							parent.RemoveChild(parent, n)
							n = n2
							v.transformed = true
						}
					}
				}
				c = next
			}
			return gast.WalkContinue, nil
		})
	}
}

// Attributes each table element may carry, as in goldmark: built on first
// render, not at start-up.
var (
	tableAttributes = sync.OnceValue(func() util.BytesFilter {
		return html.GlobalAttributeFilter.ExtendString(`align,bgcolor,border,cellpadding,cellspacing,frame,rules,summary,width`)
	})
	tableSectionAttributes = sync.OnceValue(func() util.BytesFilter {
		return html.GlobalAttributeFilter.ExtendString(`align,bgcolor,char,charoff,valign`)
	})
	tableCellAttributes = sync.OnceValue(func() util.BytesFilter {
		return html.GlobalAttributeFilter.ExtendString(`abbr,align,axis,bgcolor,char,charoff,colspan,headers,height,rowspan,scope,valign,width`)
	})
)

func (r *gfmRenderer) renderTable(w util.BufWriter, _ []byte, n gast.Node, entering bool) (gast.WalkStatus, error) {
	if entering {
		openTag(w, n, "table", tableAttributes)
		_ = w.WriteByte('\n')
	} else {
		_, _ = w.WriteString("</table>\n")
	}
	return gast.WalkContinue, nil
}

// renderTableHeader writes the header row's <tr> itself: goldmark's tree
// has no row node under the header.
func (r *gfmRenderer) renderTableHeader(w util.BufWriter, _ []byte, n gast.Node, entering bool) (gast.WalkStatus, error) {
	if entering {
		openTag(w, n, "thead", tableSectionAttributes)
		_, _ = w.WriteString("\n<tr>\n")
		return gast.WalkContinue, nil
	}
	_, _ = w.WriteString("</tr>\n</thead>\n")
	if n.NextSibling() != nil {
		_, _ = w.WriteString("<tbody>\n")
	}
	return gast.WalkContinue, nil
}

func (r *gfmRenderer) renderTableRow(w util.BufWriter, _ []byte, n gast.Node, entering bool) (gast.WalkStatus, error) {
	if entering {
		openTag(w, n, "tr", tableSectionAttributes)
		_ = w.WriteByte('\n')
		return gast.WalkContinue, nil
	}
	_, _ = w.WriteString("</tr>\n")
	if n.Parent().LastChild() == n {
		_, _ = w.WriteString("</tbody>\n")
	}
	return gast.WalkContinue, nil
}

// renderTableCell writes alignment as goldmark does: in HTML5 a text-align
// style, in XHTML an align attribute.
func (r *gfmRenderer) renderTableCell(w util.BufWriter, _ []byte, node gast.Node, entering bool) (gast.WalkStatus, error) {
	n := node.(*east.TableCell)
	tag := "td"
	if n.Parent().Kind() == east.KindTableHeader {
		tag = "th"
	}
	if !entering {
		_, _ = w.WriteString("</" + tag + ">\n")
		return gast.WalkContinue, nil
	}
	_, _ = w.WriteString("<" + tag)
	if n.Alignment != east.AlignNone {
		if r.XHTML {
			if _, ok := n.AttributeString("align"); !ok { // an explicit align wins
				_, _ = w.WriteString(` align="` + n.Alignment.String() + `"`)
			}
		} else {
			var style util.CopyOnWriteBuffer
			if v, ok := n.AttributeString("style"); ok {
				switch v := v.(type) {
				case []byte:
					style = util.NewCopyOnWriteBuffer(v)
				case string:
					style = util.NewCopyOnWriteBuffer([]byte(v))
				}
				style.AppendByte(';')
			}
			style.AppendString("text-align:" + n.Alignment.String())
			n.SetAttributeString("style", style.Bytes())
		}
	}
	if n.Attributes() != nil {
		html.RenderAttributes(w, n, tableCellAttributes())
	}
	_ = w.WriteByte('>')
	return gast.WalkContinue, nil
}
