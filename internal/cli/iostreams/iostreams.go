// Package iostreams owns the process's standard streams as the commands see
// them: where data goes (stdout), where people are spoken to (stderr), and
// whether each is a terminal. Tests inject buffers and pretend to be a TTY.
// It imports only the standard library and golang.org/x/term.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // data
	ErrOut io.Writer // people

	stdinTTY, stdoutTTY, stderrTTY bool
	colorDisabled                  bool
	width                          int // columns of the terminal on stdout; 0 unknown
}

// System returns the process's own streams, with TTY detection and the
// NO_COLOR / TERM=dumb conventions applied.
func System() *IOStreams {
	isTTY := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdinTTY:      isTTY(os.Stdin),
		stdoutTTY:     isTTY(os.Stdout),
		stderrTTY:     isTTY(os.Stderr),
		colorDisabled: noColor || os.Getenv("TERM") == "dumb",
		width:         terminalWidth(os.Stdout),
	}
}

// terminalWidth is the width of the terminal f is, else $COLUMNS, else 0.
func terminalWidth(f *os.File) int {
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}

// Width is the number of columns stdout's terminal has; 0 when unknown.
func (s *IOStreams) Width() int { return s.width }

// SetWidth sets the terminal's width; for tests.
func (s *IOStreams) SetWidth(n int) { s.width = n }

// Test returns streams backed by buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// SetTTY makes the streams report themselves as terminals (or not); for tests.
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// SetColorDisabled forces colour off (or back on, when a TTY); for tests.
func (s *IOStreams) SetColorDisabled(v bool) { s.colorDisabled = v }

func (s *IOStreams) IsStdinTTY() bool  { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// ColorEnabled reports whether stdout may carry ANSI colour.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.colorDisabled }

// CanAnimate reports whether stderr may carry a spinner: a terminal that
// takes escape sequences (not NO_COLOR, not TERM=dumb).
func (s *IOStreams) CanAnimate() bool { return s.stderrTTY && !s.colorDisabled }

// ReadSecret reads one line from stdin without echoing it (a token typed at
// a prompt). Off a terminal it reads the line as it is.
func (s *IOStreams) ReadSecret() (string, error) {
	if f, ok := s.In.(*os.File); ok && s.stdinTTY {
		b, err := term.ReadPassword(int(f.Fd()))
		return string(b), err
	}
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := s.In.Read(one)
		if n == 1 && one[0] != '\n' {
			b = append(b, one[0])
		}
		if n == 1 && one[0] == '\n' || err != nil {
			if len(b) == 0 && err != nil {
				return "", err
			}
			return string(b), nil
		}
	}
}

// StderrColorEnabled reports whether stderr may carry ANSI colour.
func (s *IOStreams) StderrColorEnabled() bool { return s.stderrTTY && !s.colorDisabled }
