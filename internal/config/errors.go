package config

import (
	"fmt"
	"strings"

	"github.com/ticket-mate/tm"
)

// FileError is a syntax problem at a place in a configuration file. It never
// quotes the file's content beyond names, since values may be secrets.
type FileError struct {
	File string
	Line int // 1-based; 0 when the whole file is meant
	Col  int // 1-based; 0 when unknown
	Msg  string
}

func (e *FileError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ValueError is a value that tm cannot use, with where it came from.
type ValueError struct {
	Source Source
	Key    string // the name as written in that source (variable or JSON key)
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Source.where(), e.Key, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// LoadError is why Load returned no configuration: every problem found (each
// a *FileError or *ValueError) and the files looked at, so that env-debug can
// still show them. It unwraps to a *tm.Error with code ECONFIG.
type LoadError struct {
	Problems []error
	Files    []File
	err      *tm.Error
}

func newLoadError(problems []error, files []File) *LoadError {
	msg := "configuration: " + problems[0].Error()
	if len(problems) > 1 {
		var b strings.Builder
		fmt.Fprintf(&b, "configuration: %d problems:", len(problems))
		for _, p := range problems {
			b.WriteString("\n  " + p.Error())
		}
		msg = b.String()
	}
	return &LoadError{Problems: problems, Files: files, err: &tm.Error{
		Code:    tm.ECONFIG,
		Message: msg,
		Hint:    "Fix the place named above, then run: tm env-check\n(tm env-debug lists every file tm reads and where each value comes from.)",
	}}
}

func (e *LoadError) Error() string { return e.err.Error() }

// Unwrap exposes the *tm.Error (for the exit code and the hint) and each problem.
func (e *LoadError) Unwrap() []error { return append([]error{e.err}, e.Problems...) }
