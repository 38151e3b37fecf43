package store

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// Times are stored as BIGINT Unix milliseconds, UTC: both engines compare
// and index integers identically, neither driver reinterprets them through
// a time zone, and milliseconds are finer than anything OAuth expiry needs.
// The zero time.Time is stored as NULL.

// millis converts t for a query argument.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// timeCol scans a millisecond column into *t; NULL gives the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want an integer of Unix milliseconds", v)
	}
	return nil
}

// Scopes are stored space-separated, as OAuth writes them.
func joinScopes(s []string) string { return strings.Join(s, " ") }

func splitScopes(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}

// newID returns a random 128-bit id in base32 (26 characters).
func newID() string { return strings.ToLower(rand.Text()) }

// Token columns are sealed with AAD naming the row's user and the column,
// so a sealed value moved to another user or column does not open.
const (
	colAccess  = "access_token"
	colRefresh = "refresh_token"
)

func tokenAAD(userID, col string) []byte { return []byte("user:" + userID + "|col:" + col) }
