// Package output owns how the commands lay out what they print for people:
// tables sized to their content and the terminal, and the status marks
// beside check results. Piped, a table is tab-separated lines, written as
// rows arrive. It imports only the standard library and iostreams.
package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
)

const gap = "  "

// SampleRows is how many rows a terminal table holds back to size its
// columns; later rows keep those widths, so long listings still stream.
const SampleRows = 100

// Table writes rows under a header: on a terminal aligned, fitted to its
// width by cutting the widest column with "…", the header in bold when
// colour is allowed; piped, as tab-separated lines with no header.
type Table struct {
	w       io.Writer
	tty     bool
	bold    bool
	maxW    int
	header  []string
	pending [][]string
	widths  []int // set once sized
	// Indent starts every terminal line (a table inside a report section).
	Indent string
	// MarkFirst says the first column is a status mark, followed by one
	// space as on a report's other lines rather than the column gap.
	MarkFirst bool
	// PipedHeader prints the header when piped too.
	PipedHeader bool
	started     bool
	err         error
}

// NewTable starts a table for stdout with the given column headers.
func NewTable(ios *iostreams.IOStreams, header ...string) *Table {
	return &Table{w: ios.Out, tty: ios.IsStdoutTTY(), bold: ios.ColorEnabled(), maxW: ios.Width(), header: header}
}

// NewTableTo starts a terminal-style table on w (a section of a report that
// is laid out the same piped or not) with maxWidth columns (0: unlimited).
func NewTableTo(w io.Writer, maxWidth int, bold bool, header ...string) *Table {
	return &Table{w: w, tty: true, bold: bold, maxW: maxWidth, header: header}
}

// Row adds a row; line breaks and tabs in cells become spaces.
func (t *Table) Row(cells ...string) error {
	for i, c := range cells {
		cells[i] = oneLine.Replace(c)
	}
	if !t.tty {
		if !t.started && t.PipedHeader && len(t.header) > 0 {
			t.write(strings.Join(t.header, "\t") + "\n")
		}
		t.started = true
		t.write(strings.Join(cells, "\t") + "\n")
		return t.err
	}
	if t.widths != nil {
		t.write(t.line(cells))
		return t.err
	}
	t.pending = append(t.pending, cells)
	if len(t.pending) >= SampleRows {
		t.size()
	}
	return t.err
}

// Flush writes the rows held back for sizing. Call it when a page of rows
// has arrived (so they show at once) and at the end.
func (t *Table) Flush() error {
	if t.tty && t.widths == nil && len(t.pending) > 0 {
		t.size()
	}
	return t.err
}

// size fixes the column widths from the header and the rows held back,
// fits them to the terminal, and writes what was held back.
func (t *Table) size() {
	n := len(t.header)
	for _, r := range t.pending {
		n = max(n, len(r))
	}
	w := make([]int, n)
	for _, r := range append([][]string{t.header}, t.pending...) {
		for i, c := range r {
			w[i] = max(w[i], Width(c))
		}
	}
	room := t.maxW - Width(t.Indent)
	if t.MarkFirst && t.maxW > 0 {
		room++ // the mark's gap is one space
	}
	fit(w, room)
	t.widths = w
	if len(t.header) > 0 {
		h := t.line(t.header)
		if t.bold {
			h = "\x1b[1m" + strings.TrimRight(h, "\n") + "\x1b[0m\n"
		}
		t.write(h)
	}
	for _, r := range t.pending {
		t.write(t.line(r))
	}
	t.pending = nil
}

// fit narrows the widest column, one column at a time, until the row fits
// in maxW. The first column names the row (a key) and is never cut; the
// others keep at least 6 columns, enough for a word and "…".
func fit(w []int, maxW int) {
	if maxW <= 0 {
		return
	}
	const minCol = 6
	for total(w) > maxW {
		wi := -1
		for i := 1; i < len(w); i++ {
			if wi < 0 || w[i] > w[wi] {
				wi = i
			}
		}
		if wi < 0 || w[wi] <= minCol {
			return
		}
		w[wi]--
	}
}

func total(w []int) int {
	n := len(gap) * max(len(w)-1, 0)
	for _, x := range w {
		n += x
	}
	return n
}

func (t *Table) line(cells []string) string {
	var b strings.Builder
	b.WriteString(t.Indent)
	for i, wd := range t.widths {
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		if i == len(t.widths)-1 {
			b.WriteString(Truncate(c, wd))
			break
		}
		b.WriteString(Pad(c, wd))
		if i == 0 && t.MarkFirst {
			b.WriteString(" ")
		} else {
			b.WriteString(gap)
		}
	}
	return strings.TrimRight(b.String(), " ") + "\n"
}

var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

// OneLine puts s on one line: line breaks and tabs become spaces, so that
// a value cannot break a row or a tab-separated column.
func OneLine(s string) string { return oneLine.Replace(s) }

func (t *Table) write(s string) {
	if t.err == nil {
		_, t.err = fmt.Fprint(t.w, s)
	}
}

// Plain makes the table tab-separated lines even on a terminal (--plain).
func (t *Table) Plain() *Table {
	t.tty = false
	return t
}
