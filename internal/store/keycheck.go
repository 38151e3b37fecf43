package store

import (
	"context"
	"slices"
	"strings"
)

// KeyCheck is what the keyring makes of the tokens stored: how many grants
// there are, how many it opens, how many are sealed with an old key (a
// rotation to finish), and the key ids of those it cannot open.
type KeyCheck struct {
	Grants    int
	Opened    int
	OldKey    int
	UnknownID []string // key ids named by values the keyring cannot open
}

// Unopened is how many grants the keyring cannot open.
func (k KeyCheck) Unopened() int { return k.Grants - k.Opened }

// CheckKeys tries the keyring on every stored access token. A server that
// starts with a key that opens nothing would fail every user at their next
// request; this lets it refuse to start instead.
func (db *DB) CheckKeys(ctx context.Context) (KeyCheck, error) {
	var kc KeyCheck
	after := ""
	for {
		rows, err := db.r.QueryContext(ctx, `
			SELECT user_id, access_token FROM grants WHERE user_id > $1 ORDER BY user_id LIMIT $2`, after, resealBatch)
		if err != nil {
			return kc, db.dbErr("check the encryption key", "", err)
		}
		n := 0
		for rows.Next() {
			var userID, access string
			if err := rows.Scan(&userID, &access); err != nil {
				rows.Close()
				return kc, db.dbErr("check the encryption key", "", err)
			}
			n, after = n+1, userID
			kc.Grants++
			if _, err := db.keys.Open(access, tokenAAD(userID, colAccess)); err != nil {
				if id := sealedKeyID(access); id != "" && !slices.Contains(kc.UnknownID, id) {
					kc.UnknownID = append(kc.UnknownID, id)
				}
				continue
			}
			kc.Opened++
			if db.keys.NeedsReseal(access) {
				kc.OldKey++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return kc, db.dbErr("check the encryption key", "", err)
		}
		if n < resealBatch {
			return kc, nil
		}
	}
}

// sealedKeyID is the key id written in a sealed value's header ("v1:<id>:…").
func sealedKeyID(sealed string) string {
	parts := strings.SplitN(sealed, ":", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}
