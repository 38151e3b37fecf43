package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	tm "github.com/ticket-mate/tm"
)

// UpsertUser creates or updates the user with u.AccountID.
func (db *DB) UpsertUser(ctx context.Context, u tm.User) (*tm.User, error) {
	if strings.TrimSpace(u.AccountID) == "" {
		return nil, tm.Errorf(tm.EINVALID, "a user needs an Atlassian account id")
	}
	now := db.now()
	out := u
	err := db.w.QueryRowContext(ctx, `
		INSERT INTO users (id, account_id, email, name, picture, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (account_id) DO UPDATE SET
			email = excluded.email, name = excluded.name, picture = excluded.picture,
			updated_at = excluded.updated_at
		RETURNING id, created_at, updated_at`,
		newID(), u.AccountID, u.Email, u.Name, u.Picture, now.UnixMilli(),
	).Scan(&out.ID, timeCol{&out.CreatedAt}, timeCol{&out.UpdatedAt})
	if err != nil {
		return nil, db.dbErr("store a user", "", err)
	}
	return &out, nil
}

// UserByID returns the user with id.
func (db *DB) UserByID(ctx context.Context, id string) (*tm.User, error) {
	u := tm.User{ID: id}
	err := db.queryRow(ctx, db.r, `
		SELECT account_id, email, name, picture, created_at, updated_at
		FROM users WHERE id = $1`, id,
	).Scan(&u.AccountID, &u.Email, &u.Name, &u.Picture, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noUser(id)
	}
	if err != nil {
		return nil, db.dbErr("read a user", id, err)
	}
	return &u, nil
}
