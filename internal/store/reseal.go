package store

import (
	"context"
	"fmt"
)

// resealBatch bounds how many grants ResealGrants holds in memory at once.
const resealBatch = 200

// ResealGrants rewrites every token still sealed with an old key under the
// primary key, so that the old key can then be dropped from the keyring,
// and says how many grants it rewrote. Active grants move to the primary
// key by themselves at their next rotation; this finishes the rest.
//
// It never moves a grant's version: a refresher holding that version must
// still be able to store its rotated pair. A grant that changes while this
// runs is left alone, since its writer sealed it with the primary key.
func (db *DB) ResealGrants(ctx context.Context) (int, error) {
	type sealed struct{ userID, access, refresh string }
	done, after := 0, ""
	for {
		var batch []sealed
		rows, err := db.r.QueryContext(ctx, `
			SELECT user_id, access_token, refresh_token FROM grants WHERE user_id > $1 ORDER BY user_id LIMIT $2`,
			after, resealBatch)
		if err != nil {
			return done, db.dbErr("list grants to reseal", "", err)
		}
		n := 0
		for rows.Next() {
			var s sealed
			if err := rows.Scan(&s.userID, &s.access, &s.refresh); err != nil {
				rows.Close()
				return done, db.dbErr("list grants to reseal", "", err)
			}
			n, after = n+1, s.userID
			if db.keys.NeedsReseal(s.access) || db.keys.NeedsReseal(s.refresh) {
				batch = append(batch, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return done, db.dbErr("list grants to reseal", "", err)
		}
		for _, s := range batch {
			ok, err := db.reseal(ctx, s.userID, s.access, s.refresh)
			if err != nil {
				return done, err
			}
			if ok {
				done++
			}
		}
		if n < resealBatch {
			return done, nil
		}
	}
}

// reseal rewrites one grant's tokens if they are still the given values.
func (db *DB) reseal(ctx context.Context, userID, oldAccess, oldRefresh string) (bool, error) {
	var next [2]string
	for i, c := range []struct{ col, old string }{{colAccess, oldAccess}, {colRefresh, oldRefresh}} {
		plain, err := db.open(userID, c.col, c.old)
		if err != nil {
			return false, err
		}
		if next[i], err = db.seal(userID, c.col, plain); err != nil {
			return false, err
		}
	}
	res, err := db.w.ExecContext(ctx, `
		UPDATE grants SET access_token = $2, refresh_token = $3
		WHERE user_id = $1 AND access_token = $4 AND refresh_token = $5`,
		userID, next[0], next[1], oldAccess, oldRefresh)
	if err != nil {
		return false, db.dbErr(fmt.Sprintf("reseal the grant of user %q", userID), userID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
