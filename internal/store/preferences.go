package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	tm "github.com/ticket-mate/tm"
)

// SaveFormChoices replaces the user's create-form choices on a site.
func (db *DB) SaveFormChoices(ctx context.Context, c tm.FormChoices) error {
	if c.UserID == "" || c.CloudID == "" || strings.TrimSpace(c.Project) == "" {
		return tm.Errorf(tm.EINVALID, "form choices need a user id, a cloud id and a project")
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = db.now()
	}
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO form_choices (user_id, cloud_id, project, issue_type, priority, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id, cloud_id) DO UPDATE SET
			project = excluded.project, issue_type = excluded.issue_type,
			priority = excluded.priority, updated_at = excluded.updated_at`,
		c.UserID, c.CloudID, c.Project, c.Type, c.Priority, c.UpdatedAt.UnixMilli())
	return db.dbErr("remember the form's choices", c.UserID, err)
}

// FormChoices returns the user's create-form choices on a site.
func (db *DB) FormChoices(ctx context.Context, userID, cloudID string) (*tm.FormChoices, error) {
	c := tm.FormChoices{UserID: userID, CloudID: cloudID}
	err := db.r.QueryRowContext(ctx, `
		SELECT project, issue_type, priority, updated_at FROM form_choices
		WHERE user_id = $1 AND cloud_id = $2`, userID, cloudID,
	).Scan(&c.Project, &c.Type, &c.Priority, timeCol{&c.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tm.Errorf(tm.ENOTFOUND, "no form choices remembered for this site")
	}
	if err != nil {
		return nil, db.dbErr("read the form's choices", userID, err)
	}
	return &c, nil
}
