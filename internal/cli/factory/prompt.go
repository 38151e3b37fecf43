package factory

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
)

// Prompter asks questions on a terminal: a line on stderr, the answer from
// stdin. Only commands whose stdin and stderr are terminals use it.
type Prompter struct {
	io *iostreams.IOStreams
	in *bufio.Reader
	// Edit opens text in the user's editor and returns what was saved.
	Edit func(text string) (string, error)
}

// NewPrompter asks through ios, editing with $VISUAL or $EDITOR (else vi).
func NewPrompter(ios *iostreams.IOStreams, getenv func(string) string) *Prompter {
	return &Prompter{io: ios, in: bufio.NewReader(ios.In), Edit: func(text string) (string, error) {
		return editText(getenv, text)
	}}
}

// Ask asks question and returns the trimmed answer, or def when it is
// empty; end of input is ErrCancel.
func (p *Prompter) Ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.io.ErrOut, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.io.ErrOut, "%s: ", question)
	}
	line, err := p.in.ReadString('\n')
	line = strings.TrimSpace(line)
	if err != nil && line == "" {
		fmt.Fprintln(p.io.ErrOut)
		if errors.Is(err, io.EOF) {
			return "", ErrCancel
		}
		return "", err
	}
	if line == "" {
		return def, nil
	}
	return line, nil
}

func editText(getenv func(string) string, text string) (string, error) {
	editor := getenv("VISUAL")
	if editor == "" {
		editor = getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	f, err := os.CreateTemp("", "tm-*.md")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	// The editor may be "code --wait": words, run without a shell.
	args := append(strings.Fields(editor), f.Name())
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("the editor %s failed: %w", args[0], err)
	}
	b, err := os.ReadFile(f.Name())
	return string(b), err
}
