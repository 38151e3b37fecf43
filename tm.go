// Package tm holds ticket-mate's vocabulary: the domain types every other
// package speaks (configuration values, credentials, errors) and the
// interfaces the application needs. It imports nothing but the standard
// library, so every other package may import it and it may import none of them.
package tm

import (
	"errors"
	"fmt"
)

// Version is stamped at build time with -ldflags "-X github.com/ticket-mate/tm.Version=…".
var Version = "dev"

// Error codes. They classify a failure for the two places that turn errors
// into something a person sees: the CLI's exit code and the server's HTTP status.
const (
	ECONFIG       = "config"       // configuration is missing or malformed
	EINVALID      = "invalid"      // the request or input is wrong
	EUNAUTHORIZED = "unauthorized" // credentials missing, wrong or expired
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed
	ENOTFOUND     = "not_found"    // the thing does not exist or is not visible
	ECONFLICT     = "conflict"     // the thing changed underneath us
	ERATELIMIT    = "rate_limited" // the server asked us to slow down
	EUNAVAILABLE  = "unavailable"  // the remote side failed or could not be reached
	EINTERNAL     = "internal"     // a bug or an unexpected condition
)

// Error is an application error: a code for machines, a message for people
// and, optionally, the next step to take.
type Error struct {
	Code    string
	Message string
	Hint    string // what to do next; may be several lines
	Err     error  // the underlying cause, for errors.Is/As; never shown raw
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + "\n" + e.Hint
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
