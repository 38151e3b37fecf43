package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	tm "github.com/ticket-mate/tm"
)

// Sessions are keyed by the SHA-256 of their token, so the database never
// holds a cookie value that would log someone in.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// FindCtx returns an unexpired session's data.
func (db *DB) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := db.queryRow(ctx, db.r, `SELECT data FROM sessions WHERE token_hash = $1 AND expiry > $2`,
		tokenHash(token), db.now().UnixMilli()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, db.dbErr("read the session", "", err)
	}
	return data, true, nil
}

// sessionGrantQuery reads a session with its user's grant and selected
// site: the one read a signed-in request needs before it calls Jira. As two
// reads (the session, then the grant) each was an eighth of the server's
// CPU per request on PostgreSQL, most of it the round trip itself. Built
// on first use: every tm command would pay for it at start-up.
var sessionGrantQuery = sync.OnceValue(func() string {
	return `SELECT s.data, COALESCE(s.user_id, ''), ` + grantSiteColumns(true) + `
	FROM sessions s LEFT JOIN grants g ON g.user_id = s.user_id` + siteJoin + `
	WHERE s.token_hash = $1 AND s.expiry > $2`
})

// FindWithGrantCtx is FindCtx that also reads, in the same statement, the
// grant and selected site of the user the session was stored for
// (CommitUserCtx). The SessionGrant is nil for a session stored without a
// user; a grant that is missing or cannot be opened is reported in its Err
// and leaves the session found.
func (db *DB) FindWithGrantCtx(ctx context.Context, token string) ([]byte, bool, *tm.SessionGrant, error) {
	var data []byte
	var uid string
	var g grantRow
	var st siteRow
	dest := append(append([]any{&data, &uid}, g.dest()...), st.dest()...)
	err := db.queryRow(ctx, db.r, sessionGrantQuery(), tokenHash(token), db.now().UnixMilli()).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil, nil
	}
	if err != nil {
		return nil, false, nil, db.dbErr("read the session", "", err)
	}
	if uid == "" {
		return data, true, nil, nil
	}
	sg := &tm.SessionGrant{UserID: uid}
	switch {
	case g.g.UserID == "":
		sg.Err = noGrant(uid)
	default:
		if sg.Grant, sg.Err = db.openGrant(&g); sg.Err == nil {
			sg.Site = st.site()
		}
	}
	return data, true, sg, nil
}

// CommitCtx stores a session's data and expiry, replacing earlier ones.
func (db *DB) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	return db.CommitUserCtx(ctx, token, "", data, expiry)
}

// CommitUserCtx is CommitCtx for a session signed in as userID ("" for
// nobody), which FindWithGrantCtx reads the grant of.
func (db *DB) CommitUserCtx(ctx context.Context, token, userID string, data []byte, expiry time.Time) error {
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, data, expiry, user_id) VALUES ($1, $2, $3, NULLIF($4, ''))
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry, user_id = excluded.user_id`,
		tokenHash(token), data, expiry.UnixMilli(), userID)
	return db.dbErr("store the session", "", err)
}

// DeleteCtx removes a session; an unknown token is not an error.
func (db *DB) DeleteCtx(ctx context.Context, token string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(token))
	return db.dbErr("delete the session", "", err)
}

// Find is FindCtx for stores without a context (scs.Store).
func (db *DB) Find(token string) ([]byte, bool, error) {
	return db.FindCtx(context.Background(), token)
}

// Commit is CommitCtx for stores without a context (scs.Store).
func (db *DB) Commit(token string, data []byte, expiry time.Time) error {
	return db.CommitCtx(context.Background(), token, data, expiry)
}

// Delete is DeleteCtx for stores without a context (scs.Store).
func (db *DB) Delete(token string) error {
	return db.DeleteCtx(context.Background(), token)
}

// DeleteExpiredSessions removes expired sessions.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= $1`, db.now().UnixMilli())
	if err != nil {
		return 0, db.dbErr("delete expired sessions", "", err)
	}
	return res.RowsAffected()
}

// CleanSessions deletes expired sessions every interval until ctx ends,
// passing failures to onErr (which may be nil). Run it in a goroutine.
func (db *DB) CleanSessions(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := db.DeleteExpiredSessions(ctx); err != nil && onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}
