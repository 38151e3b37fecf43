package output

import "github.com/ticket-mate/tm/internal/cli/iostreams"

// Mark is the status shown at the start of a check's line.
type Mark int

const (
	OK      Mark = iota // passed
	Fail                // failed and needs fixing
	Warn                // works, with something to look at
	Info                // a note
	Neutral             // not granted, and not needed (an optional permission)
	Skipped             // not checked, because an earlier check failed
)

// Every glyph is one column wide, so the text after them lines up in any
// terminal (emoji such as ⚠️ and ℹ️ are one column in some, two in others).
var glyphs = [...]string{OK: "✓", Fail: "✗", Warn: "!", Info: "i", Neutral: "-", Skipped: "-"}

// Words replace the glyphs without colour (NO_COLOR, TERM=dumb, piped):
// one width, greppable.
var words = [...]string{OK: "ok  ", Fail: "FAIL", Warn: "warn", Info: "note", Neutral: "no  ", Skipped: "skip"}

var colors = [...]string{OK: "\x1b[32m", Fail: "\x1b[31m", Warn: "\x1b[33m", Info: "\x1b[36m", Neutral: "\x1b[2m", Skipped: "\x1b[2m"}

// Marks renders marks for one output stream.
type Marks struct{ color bool }

// MarksFor renders marks for stdout: coloured glyphs on a terminal that
// takes colour, plain words otherwise.
func MarksFor(ios *iostreams.IOStreams) Marks { return Marks{color: ios.ColorEnabled()} }

// Glyph is m as shown at the start of a line.
func (ms Marks) Glyph(m Mark) string {
	if !ms.color {
		return words[m]
	}
	return colors[m] + glyphs[m] + "\x1b[0m"
}

// Plain reports whether marks are words (for text that names them).
func (ms Marks) Plain() bool { return !ms.color }

// Lead is m and a space before a one-off status line ("✓ Created …") on a
// terminal with colour; without colour the sentence speaks for itself.
func (ms Marks) Lead(m Mark) string {
	if !ms.color {
		return ""
	}
	return ms.Glyph(m) + " "
}

// MarksForStderr renders marks for stderr, where people are spoken to.
func MarksForStderr(ios *iostreams.IOStreams) Marks { return Marks{color: ios.StderrColorEnabled()} }
