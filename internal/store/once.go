package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	tm "github.com/ticket-mate/tm"
)

// ClaimOnce records that the user's request under key starts now. Exactly
// one caller claims a key: the insert either adds the row or meets the
// primary key, on SQLite and PostgreSQL alike, whichever replica asks.
func (db *DB) ClaimOnce(ctx context.Context, userID, key string, bodyHash []byte, expires time.Time) (tm.OnceRecord, bool, error) {
	if userID == "" || key == "" || len(bodyHash) == 0 {
		return tm.OnceRecord{}, false, tm.Errorf(tm.EINVALID, "a once-only request needs a user id, a key and the body's hash")
	}
	now := db.now()
	// Expired keys are free again; clearing them here keeps the table to
	// one day of creates without a sweeper.
	if _, err := db.w.ExecContext(ctx, `DELETE FROM once_requests WHERE expires_at <= $1`, now.UnixMilli()); err != nil {
		return tm.OnceRecord{}, false, db.dbErr("clear expired once-only requests", userID, err)
	}
	res, err := db.w.ExecContext(ctx, `
		INSERT INTO once_requests (user_id, idem_key, body_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, idem_key) DO NOTHING`,
		userID, key, hex.EncodeToString(bodyHash), now.UnixMilli(), expires.UnixMilli())
	if err != nil {
		return tm.OnceRecord{}, false, db.dbErr("claim the once-only request", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return tm.OnceRecord{}, false, db.dbErr("claim the once-only request", userID, err)
	} else if n == 1 {
		return tm.OnceRecord{BodyHash: bodyHash, CreatedAt: now}, true, nil
	}
	rec, err := db.GetOnce(ctx, userID, key)
	return rec, false, err
}

// FinishOnce stores the answer of the claimed request.
func (db *DB) FinishOnce(ctx context.Context, userID, key string, a tm.OnceAnswer) error {
	header, err := json.Marshal(a.Header)
	if err != nil {
		return db.dbErr("store the once-only answer", userID, err)
	}
	res, err := db.w.ExecContext(ctx, `
		UPDATE once_requests SET done = 1, status = $3, header = $4, answer = $5
		WHERE user_id = $1 AND idem_key = $2 AND done = 0`,
		userID, key, a.Status, string(header), base64.StdEncoding.EncodeToString(a.Body))
	if err != nil {
		return db.dbErr("store the once-only answer", userID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return &tm.Error{Code: tm.ECONFLICT, Message: "this once-only request is not waiting for its answer (finished already, or expired)"}
	}
	return nil
}

// GetOnce reads the record of the user's request under key.
func (db *DB) GetOnce(ctx context.Context, userID, key string) (tm.OnceRecord, error) {
	var rec tm.OnceRecord
	var hash, header, answer string
	var done int
	err := db.r.QueryRowContext(ctx, `
		SELECT body_hash, created_at, done, status, header, answer FROM once_requests
		WHERE user_id = $1 AND idem_key = $2 AND expires_at > $3`, userID, key, db.now().UnixMilli()).
		Scan(&hash, timeCol{&rec.CreatedAt}, &done, &rec.Answer.Status, &header, &answer)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, &tm.Error{Code: tm.ENOTFOUND, Message: "no once-only request under this key"}
	}
	if err != nil {
		return rec, db.dbErr("read the once-only request", userID, err)
	}
	rec.Done = done == 1
	if rec.BodyHash, err = hex.DecodeString(hash); err == nil {
		if err = json.Unmarshal([]byte(header), &rec.Answer.Header); err == nil {
			rec.Answer.Body, err = base64.StdEncoding.DecodeString(answer)
		}
	}
	return rec, db.dbErr("read the once-only request", userID, err)
}
