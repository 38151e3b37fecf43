package cli

import (
	"context"
	"errors"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
)

// Exit codes. This file is the one place an error becomes one.
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2 // bad flags or arguments, or the user cancelled
	ExitAuthError = 4 // authentication is needed or was refused
)

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var usage *factory.UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage), errors.Is(err, factory.ErrCancel), errors.Is(err, context.Canceled):
		return ExitUsage
	case tm.ErrorCode(err) == tm.EUNAUTHORIZED:
		return ExitAuthError
	default:
		return ExitError
	}
}
