package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	tm "github.com/ticket-mate/tm"
)

// ReplaceSites stores the user's sites and keeps the selection valid.
func (db *DB) ReplaceSites(ctx context.Context, userID string, sites []tm.Site) error {
	merged, err := mergeSites(sites)
	if err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.dbErr("store the sites", userID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sites WHERE user_id = $1`, userID); err != nil {
		return db.dbErr("store the sites", userID, err)
	}
	for _, s := range merged {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO sites (user_id, cloud_id, name, url, scopes, avatar_url) VALUES ($1, $2, $3, $4, $5, $6)`,
			userID, s.CloudID, s.Name, s.URL, joinScopes(s.Scopes), s.AvatarURL); err != nil {
			return db.dbErr("store the sites", userID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE grants SET selected_cloud_id = '' WHERE user_id = $1 AND selected_cloud_id <> ''
			AND NOT EXISTS (SELECT 1 FROM sites WHERE sites.user_id = $1 AND sites.cloud_id = grants.selected_cloud_id)`,
		userID); err != nil {
		return db.dbErr("unselect a site that is gone", userID, err)
	}
	if len(merged) == 1 {
		if _, err := tx.ExecContext(ctx, `UPDATE grants SET selected_cloud_id = $2 WHERE user_id = $1 AND selected_cloud_id = ''`,
			userID, merged[0].CloudID); err != nil {
			return db.dbErr("select the only site", userID, err)
		}
	}
	return db.dbErr("store the sites", userID, tx.Commit())
}

// mergeSites folds entries with the same cloud id into one with the union
// of their scopes: accessible-resources lists a site once per product.
func mergeSites(sites []tm.Site) ([]tm.Site, error) {
	var out []tm.Site
	index := map[string]int{}
	for _, s := range sites {
		if s.CloudID == "" {
			return nil, tm.Errorf(tm.EINVALID, "site %q has no cloud id", s.Name)
		}
		i, ok := index[s.CloudID]
		if !ok {
			index[s.CloudID] = len(out)
			s.Scopes = slices.Clone(s.Scopes)
			out = append(out, s)
			continue
		}
		for _, sc := range s.Scopes {
			if !slices.Contains(out[i].Scopes, sc) {
				out[i].Scopes = append(out[i].Scopes, sc)
			}
		}
	}
	return out, nil
}

// Sites returns the user's sites ordered by name.
func (db *DB) Sites(ctx context.Context, userID string) ([]tm.Site, error) {
	rows, err := db.query(ctx, db.r, `
		SELECT cloud_id, name, url, scopes, avatar_url FROM sites WHERE user_id = $1 ORDER BY name, cloud_id`, userID)
	if err != nil {
		return nil, db.dbErr("read the sites", userID, err)
	}
	defer rows.Close()
	out := []tm.Site{}
	for rows.Next() {
		var s tm.Site
		var scopes string
		if err := rows.Scan(&s.CloudID, &s.Name, &s.URL, &scopes, &s.AvatarURL); err != nil {
			return nil, db.dbErr("read the sites", userID, err)
		}
		s.Scopes = splitScopes(scopes)
		out = append(out, s)
	}
	return out, db.dbErr("read the sites", userID, rows.Err())
}

// SelectSite makes cloudID the user's working site.
func (db *DB) SelectSite(ctx context.Context, userID, cloudID string) error {
	res, err := db.w.ExecContext(ctx, `
		UPDATE grants SET selected_cloud_id = $2 WHERE user_id = $1
			AND EXISTS (SELECT 1 FROM sites WHERE sites.user_id = $1 AND sites.cloud_id = $2)`, userID, cloudID)
	if err != nil {
		return db.dbErr("select the site", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var one int
	err = db.w.QueryRowContext(ctx, `SELECT 1 FROM grants WHERE user_id = $1`, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return noGrant(userID)
	}
	if err != nil {
		return db.dbErr("select the site", userID, err)
	}
	return &tm.Error{Code: tm.ENOTFOUND, Message: fmt.Sprintf("site %q is not among the sites user %q connected", cloudID, userID),
		Hint: "Choose one of the connected sites, or connect Atlassian again and pick this site on the consent page."}
}
