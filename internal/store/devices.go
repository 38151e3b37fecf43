package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	tm "github.com/ticket-mate/tm"
)

// slowDownStep is how much RFC 8628 §3.5 grows a device's polling interval
// each time it polls too fast.
const slowDownStep = 5 * time.Second

const deviceColumns = `device_code_hash, user_code, name, host, scopes, interval_ms, created_at, expires_at, polled_at, state, COALESCE(user_id, '')`

func scanDevice(row rowScanner) (*tm.DeviceAuth, error) {
	var d tm.DeviceAuth
	var scopes string
	var interval int64
	err := row.Scan(&d.DeviceCodeHash, &d.UserCode, &d.Name, &d.Host, &scopes, &interval,
		timeCol{&d.CreatedAt}, timeCol{&d.ExpiresAt}, timeCol{&d.PolledAt}, &d.State, &d.UserID)
	if err != nil {
		return nil, err
	}
	d.Scopes, d.Interval = splitScopes(scopes), time.Duration(interval)*time.Millisecond
	return &d, nil
}

func noDevice() error {
	return &tm.Error{Code: tm.ENOTFOUND, Message: "no sign-in request with this code is waiting; it may have expired",
		Hint: "Run tm login --server again in the terminal and enter the new code."}
}

// CreateDeviceAuth stores a new pending request.
func (db *DB) CreateDeviceAuth(ctx context.Context, d *tm.DeviceAuth) error {
	if d.DeviceCodeHash == "" || d.UserCode == "" || d.ExpiresAt.IsZero() || d.Interval <= 0 {
		return tm.Errorf(tm.EINVALID, "a device request needs a device code hash, a user code, an expiry and an interval")
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = db.now()
	}
	d.State = tm.DevicePending
	// Requests a day past their expiry are of no use to anyone: each new
	// one clears them, so the table stays small without a sweeper.
	if _, err := db.w.ExecContext(ctx, `DELETE FROM device_auths WHERE expires_at < $1`, db.now().Add(-24*time.Hour).UnixMilli()); err != nil {
		return db.dbErr("clear expired device requests", "", err)
	}
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO device_auths (device_code_hash, user_code, name, host, scopes, interval_ms, created_at, expires_at, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.DeviceCodeHash, d.UserCode, d.Name, d.Host, joinScopes(d.Scopes), d.Interval.Milliseconds(),
		d.CreatedAt.UnixMilli(), d.ExpiresAt.UnixMilli(), d.State)
	return db.dbErr("store the device request", "", err)
}

// DeviceAuthByUserCode returns the unexpired request with userCode.
func (db *DB) DeviceAuthByUserCode(ctx context.Context, userCode string) (*tm.DeviceAuth, error) {
	d, err := scanDevice(db.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM device_auths
		WHERE user_code = $1 AND expires_at > $2`, userCode, db.now().UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noDevice()
	}
	return d, db.dbErr("read the device request", "", err)
}

// DecideDeviceAuth approves or denies a pending request.
func (db *DB) DecideDeviceAuth(ctx context.Context, userCode, userID string, approve bool, scopes []string) (*tm.DeviceAuth, error) {
	var out *tm.DeviceAuth
	err := db.tx(ctx, "decide the device request", userID, func(tx *sql.Tx) error {
		d, err := db.lockDevice(ctx, tx, `user_code = $1 AND expires_at > $2`, userCode, db.now().UnixMilli())
		if err != nil {
			return err
		}
		if d.State != tm.DevicePending {
			return &tm.Error{Code: tm.ECONFLICT, Message: "this sign-in request was already " + d.State + "."}
		}
		d.State, d.UserID = tm.DeviceDenied, userID
		if approve {
			for _, s := range scopes {
				if !slices.Contains(d.Scopes, s) {
					return tm.Errorf(tm.EINVALID, "the device did not ask for the scope %q", s)
				}
			}
			d.State, d.Scopes = tm.DeviceApproved, scopes
		}
		if _, err := tx.ExecContext(ctx, `UPDATE device_auths SET state = $1, user_id = $2, scopes = $3 WHERE device_code_hash = $4`,
			d.State, userID, joinScopes(d.Scopes), d.DeviceCodeHash); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, err
}

// PollDeviceAuth records a poll and reports whether it came too fast.
func (db *DB) PollDeviceAuth(ctx context.Context, deviceCodeHash string) (*tm.DeviceAuth, bool, error) {
	var out *tm.DeviceAuth
	slow := false
	err := db.tx(ctx, "record the device poll", "", func(tx *sql.Tx) error {
		d, err := db.lockDevice(ctx, tx, `device_code_hash = $1`, deviceCodeHash)
		if err != nil {
			return err
		}
		now := db.now()
		interval := d.Interval
		if !d.PolledAt.IsZero() && now.Sub(d.PolledAt) < d.Interval {
			slow, interval = true, d.Interval+slowDownStep
		}
		if _, err := tx.ExecContext(ctx, `UPDATE device_auths SET polled_at = $1, interval_ms = $2 WHERE device_code_hash = $3`,
			now.UnixMilli(), interval.Milliseconds(), deviceCodeHash); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, slow, err
}

// IssueDeviceToken stores t for the approved request, once.
func (db *DB) IssueDeviceToken(ctx context.Context, deviceCodeHash, tokenHash string, t *tm.APIToken) error {
	if tokenHash == "" || t.ExpiresAt.IsZero() {
		return tm.Errorf(tm.EINVALID, "a token needs its hash and an expiry")
	}
	return db.tx(ctx, "issue the device token", "", func(tx *sql.Tx) error {
		d, err := db.lockDevice(ctx, tx, `device_code_hash = $1`, deviceCodeHash)
		if err != nil {
			return err
		}
		if d.State != tm.DeviceApproved {
			return &tm.Error{Code: tm.ECONFLICT, Message: "the sign-in request is " + d.State + ", not approved"}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE device_auths SET state = $1 WHERE device_code_hash = $2`, tm.DeviceIssued, deviceCodeHash); err != nil {
			return err
		}
		t.ID, t.UserID, t.Name, t.Host, t.Scopes = newID(), d.UserID, d.Name, d.Host, d.Scopes
		if t.CreatedAt.IsZero() {
			t.CreatedAt = db.now()
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO api_tokens (id, token_hash, user_id, name, host, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, tokenHash, t.UserID, t.Name, t.Host, joinScopes(t.Scopes), t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
		return err
	})
}

const tokenColumns = `id, user_id, name, host, scopes, created_at, expires_at, last_used_at`

func scanToken(row rowScanner) (*tm.APIToken, error) {
	var t tm.APIToken
	var scopes string
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Host, &scopes, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.LastUsedAt}); err != nil {
		return nil, err
	}
	t.Scopes = splitScopes(scopes)
	return &t, nil
}

// APITokenByHash returns the live token with tokenHash.
func (db *DB) APITokenByHash(ctx context.Context, tokenHash string) (*tm.APIToken, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`, tokenHash, db.now().UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tm.Errorf(tm.ENOTFOUND, "no such token, or it was revoked or has expired")
	}
	return t, db.dbErr("read a token", "", err)
}

// APITokens lists the user's live tokens, newest first.
func (db *DB) APITokens(ctx context.Context, userID string) ([]tm.APIToken, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id`, userID, db.now().UnixMilli())
	if err != nil {
		return nil, db.dbErr("list tokens", userID, err)
	}
	defer rows.Close()
	out := []tm.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, db.dbErr("list tokens", userID, err)
		}
		out = append(out, *t)
	}
	return out, db.dbErr("list tokens", userID, rows.Err())
}

// RevokeAPIToken revokes one of the user's tokens.
func (db *DB) RevokeAPIToken(ctx context.Context, userID, id string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL`,
		db.now().UnixMilli(), id, userID)
	if err != nil {
		return db.dbErr("revoke the token", userID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return tm.Errorf(tm.ENOTFOUND, "you have no such token; it may have been revoked already")
	}
	return nil
}

// TouchAPIToken records a use of the token.
func (db *DB) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, at.UnixMilli(), id)
	return db.dbErr("record the token's use", "", err)
}

// lockDevice reads the request matching where inside tx, locking its row
// on PostgreSQL (SQLite's write transaction holds the whole database).
func (db *DB) lockDevice(ctx context.Context, tx *sql.Tx, where string, args ...any) (*tm.DeviceAuth, error) {
	d, err := scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM device_auths WHERE `+where+db.eng.forUpdate, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noDevice()
	}
	return d, err
}

// tx runs fn in a write transaction.
func (db *DB) tx(ctx context.Context, what, userID string, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.dbErr(what, userID, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return db.dbErr(what, userID, err)
	}
	return db.dbErr(what, userID, tx.Commit())
}
