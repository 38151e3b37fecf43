package tm

import (
	"context"
	"time"
)

// SessionStore keeps browser sessions for the server's session manager.
// Its method set is that of github.com/alexedwards/scs/v2's Store and
// CtxStore, so an implementation plugs into scs without this package
// importing it. Find reports found=false for unknown or expired tokens.
type SessionStore interface {
	Find(token string) (data []byte, found bool, err error)
	Commit(token string, data []byte, expiry time.Time) error
	Delete(token string) error
	FindCtx(ctx context.Context, token string) (data []byte, found bool, err error)
	CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error
	DeleteCtx(ctx context.Context, token string) error
	// DeleteExpiredSessions removes sessions past their expiry and says how many.
	DeleteExpiredSessions(ctx context.Context) (int64, error)
}

// SessionGrant is what a signed-in request reads with its session, in the
// same statement: the user the session was stored for, their grant and the
// site they selected.
type SessionGrant struct {
	UserID string
	Grant  *Grant // nil when Err is set
	Site   *Site  // nil when none is selected or it is no longer among the user's sites
	Err    error  // ENOTFOUND when the user has no grant; otherwise why it could not be read
}
