package factory

import "errors"

// ErrCancel means the user stopped the command (Ctrl-C at a prompt).
var ErrCancel = errors.New("cancelled")

// ErrSilent means the command already told the user everything; exit 1
// without printing anything more. env-check uses it after a report with ❌.
var ErrSilent = errors.New("silent failure")

// UsageError is a mistake in how the command was called: exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef wraps a message as a usage error.
func Usagef(err error) error { return &UsageError{Err: err} }
