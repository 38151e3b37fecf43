package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	tm "github.com/ticket-mate/tm"
)

const grantColumns = `user_id, access_token, refresh_token, token_type, scopes, expires_at,
	family_started_at, refreshed_at, version, lost_at, lost_reason, selected_cloud_id`

type rowScanner interface{ Scan(dest ...any) error }

// queryRower is a pool or a transaction.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanGrant reads a row of grantColumns and opens its tokens.
func (db *DB) scanGrant(row rowScanner) (*tm.Grant, error) { return db.scanGrantAnd(row) }

// scanGrantAnd reads a row of grantColumns followed by more columns into
// more.
func (db *DB) scanGrantAnd(row rowScanner, more ...any) (*tm.Grant, error) {
	var r grantRow
	if err := row.Scan(append(r.dest(), more...)...); err != nil {
		return nil, err
	}
	return db.openGrant(&r)
}

// grantRow is a row of grantColumns as scanned, its tokens still sealed.
type grantRow struct {
	g                       tm.Grant
	access, refresh, scopes string
}

func (r *grantRow) dest() []any {
	g := &r.g
	return []any{&g.UserID, &r.access, &r.refresh, &g.TokenType, &r.scopes, timeCol{&g.ExpiresAt},
		timeCol{&g.FamilyStartedAt}, timeCol{&g.RefreshedAt}, &g.Version, timeCol{&g.LostAt}, &g.LostReason, &g.SelectedCloudID}
}

// openGrant opens a scanned row's tokens.
func (db *DB) openGrant(r *grantRow) (*tm.Grant, error) {
	g := r.g
	g.Scopes = splitScopes(r.scopes)
	g.Lost = !g.LostAt.IsZero()
	var err error
	if g.AccessToken, err = db.open(g.UserID, colAccess, r.access); err != nil {
		return nil, err
	}
	if g.RefreshToken, err = db.open(g.UserID, colRefresh, r.refresh); err != nil {
		return nil, err
	}
	return &g, nil
}

// seal seals a token for its row and column. The empty token is stored as
// the empty string: there is nothing to hide, and in an update it means
// "keep the stored one".
func (db *DB) seal(userID, col string, s tm.Secret) (string, error) {
	if s.IsZero() {
		return "", nil
	}
	return db.keys.Seal([]byte(s.Reveal()), tokenAAD(userID, col))
}

func (db *DB) open(userID, col, sealed string) (tm.Secret, error) {
	if sealed == "" {
		return "", nil
	}
	pt, err := db.keys.Open(sealed, tokenAAD(userID, col))
	if err != nil {
		return "", &tm.Error{Code: tm.EINTERNAL,
			Message: fmt.Sprintf("the stored %s of user %q cannot be decrypted: %v", col, userID, err),
			Hint: "If the encryption key was rotated, put the previous key in TM_ENCRYPTION_OLD_KEYS. " +
				"Otherwise the user must disconnect and connect Atlassian again.",
			Err: err}
	}
	return tm.Secret(pt), nil
}

func checkTokens(t tm.TokenSet) error {
	if t.AccessToken.IsZero() {
		return tm.Errorf(tm.EINVALID, "a grant needs an access token")
	}
	if t.ExpiresAt.IsZero() {
		return tm.Errorf(tm.EINVALID, "a grant needs the access token's expiry time")
	}
	return nil
}

// GetGrant returns the user's grant.
func (db *DB) GetGrant(ctx context.Context, userID string) (*tm.Grant, error) {
	g, err := db.scanGrant(db.queryRow(ctx, db.r, `SELECT `+grantColumns+` FROM grants WHERE user_id = $1`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noGrant(userID)
	}
	if err != nil {
		return nil, db.dbErr("read the grant", userID, err)
	}
	return g, nil
}

// grantSiteColumns are grantColumns of the grants row g followed by the
// columns of siteRow from the sites row st, for a statement that joins the
// grant's selected site. Under a LEFT JOIN of grants (orEmpty), a missing
// grant reads as one with an empty user id rather than as NULLs.
func grantSiteColumns(orEmpty bool) string {
	cols := strings.Split(grantColumns, ",")
	for i, c := range cols {
		c = "g." + strings.TrimSpace(c)
		if z, ok := grantZeros[strings.TrimPrefix(c, "g.")]; ok && orEmpty {
			c = "COALESCE(" + c + ", " + z + ")"
		}
		cols[i] = c
	}
	return strings.Join(cols, ", ") + ", st.cloud_id, st.name, st.url, st.scopes, st.avatar_url"
}

// grantZeros are the values a missing grant's NOT NULL columns read as;
// its time columns read as NULL, the zero time.
var grantZeros = map[string]string{"user_id": "''", "access_token": "''", "refresh_token": "''", "token_type": "''",
	"scopes": "''", "version": "0", "lost_reason": "''", "selected_cloud_id": "''"}

// siteJoin joins the selected site of the grants row g as st.
const siteJoin = ` LEFT JOIN sites st ON st.user_id = g.user_id AND st.cloud_id = g.selected_cloud_id`

// grantSiteQuery reads a grant and its selected site in one statement.
var grantSiteQuery = sync.OnceValue(func() string {
	return `SELECT ` + grantSiteColumns(false) + ` FROM grants g` + siteJoin + ` WHERE g.user_id = $1`
})

// siteRow is the selected site's columns of a grant read with its site;
// all NULL when none is selected or it is no longer among the user's sites.
type siteRow struct{ id, name, url, scopes, avatar sql.NullString }

func (r *siteRow) dest() []any { return []any{&r.id, &r.name, &r.url, &r.scopes, &r.avatar} }

func (r *siteRow) site() *tm.Site {
	if !r.id.Valid {
		return nil
	}
	return &tm.Site{CloudID: r.id.String, Name: r.name.String, URL: r.url.String, Scopes: splitScopes(r.scopes.String),
		AvatarURL: r.avatar.String}
}

// GrantAndSite returns the user's grant and its selected site, nil when
// none is selected or the selected one is no longer among the user's
// sites. It is GetGrant and Sites in one read: every Jira call a request
// makes needs both, and the second read was a seventh of the server's
// time per request.
func (db *DB) GrantAndSite(ctx context.Context, userID string) (*tm.Grant, *tm.Site, error) {
	var st siteRow
	g, err := db.scanGrantAnd(db.queryRow(ctx, db.r, grantSiteQuery(), userID), st.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, noGrant(userID)
	}
	if err != nil {
		return nil, nil, db.dbErr("read the grant", userID, err)
	}
	return g, st.site(), nil
}

// SaveGrant stores a grant after consent, starting a new token family.
func (db *DB) SaveGrant(ctx context.Context, g *tm.Grant) error {
	if g == nil || g.UserID == "" {
		return tm.Errorf(tm.EINVALID, "a grant needs a user id")
	}
	if err := checkTokens(g.TokenSet); err != nil {
		return err
	}
	access, err := db.seal(g.UserID, colAccess, g.AccessToken)
	if err != nil {
		return err
	}
	refresh, err := db.seal(g.UserID, colRefresh, g.RefreshToken)
	if err != nil {
		return err
	}
	now := db.now()
	family := g.FamilyStartedAt
	if family.IsZero() {
		family = now
	}
	// A new row's version starts at the time in microseconds rather than 1,
	// so a grant deleted and saved again never repeats a version that a
	// stale writer of the old row may still hold.
	saved, err := db.scanGrant(db.w.QueryRowContext(ctx, `
		INSERT INTO grants (user_id, access_token, refresh_token, token_type, scopes, expires_at,
			family_started_at, refreshed_at, version, lost_at, lost_reason, selected_cloud_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, NULL, '', $9, $10, $10)
		ON CONFLICT (user_id) DO UPDATE SET
			access_token = excluded.access_token, refresh_token = excluded.refresh_token,
			token_type = excluded.token_type, scopes = excluded.scopes, expires_at = excluded.expires_at,
			family_started_at = excluded.family_started_at, refreshed_at = NULL,
			version = grants.version + 1, lost_at = NULL, lost_reason = '',
			selected_cloud_id = CASE WHEN excluded.selected_cloud_id = '' THEN grants.selected_cloud_id
				ELSE excluded.selected_cloud_id END,
			updated_at = excluded.updated_at
		RETURNING `+grantColumns,
		g.UserID, access, refresh, g.TokenType, joinScopes(g.Scopes), g.ExpiresAt.UnixMilli(),
		family.UnixMilli(), now.UnixMicro(), g.SelectedCloudID, now.UnixMilli()))
	if err != nil {
		return db.dbErr("store the grant", g.UserID, err)
	}
	*g = *saved
	return nil
}

// DeleteGrant forgets the user's grant and sites.
func (db *DB) DeleteGrant(ctx context.Context, userID string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.dbErr("delete the grant", userID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE user_id = $1`, userID); err != nil {
		return db.dbErr("delete the grant", userID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sites WHERE user_id = $1`, userID); err != nil {
		return db.dbErr("delete the grant's sites", userID, err)
	}
	return db.dbErr("delete the grant", userID, tx.Commit())
}

// tokenWrite is one compare-and-swap write of a grant's token state.
type tokenWrite struct {
	tm.TokenSet
	refreshedAt time.Time // zero: keep the stored one
	lostAt      time.Time // zero: not lost
	lostReason  string
}

// writeTokens applies w if the grant is still at expectVersion and returns
// the grant as stored; sql.ErrNoRows when it is not.
func (db *DB) writeTokens(ctx context.Context, q queryRower, userID string, expectVersion int64, w tokenWrite) (*tm.Grant, error) {
	access, err := db.seal(userID, colAccess, w.AccessToken)
	if err != nil {
		return nil, err
	}
	refresh, err := db.seal(userID, colRefresh, w.RefreshToken)
	if err != nil {
		return nil, err
	}
	return db.scanGrant(q.QueryRowContext(ctx, `
		UPDATE grants SET
			access_token = $3,
			refresh_token = CASE WHEN $4 = '' THEN refresh_token ELSE $4 END,
			token_type = $5, scopes = $6, expires_at = $7,
			refreshed_at = COALESCE($8, refreshed_at),
			lost_at = $9, lost_reason = $10, updated_at = $11,
			version = version + 1
		WHERE user_id = $1 AND version = $2
		RETURNING `+grantColumns,
		userID, expectVersion, access, refresh, w.TokenType, joinScopes(w.Scopes), w.ExpiresAt.UnixMilli(),
		millis(w.refreshedAt), millis(w.lostAt), w.lostReason, db.now().UnixMilli()))
}

// UpdateGrantTokens stores a rotated token pair if the grant is still at
// expectVersion. An empty RefreshToken keeps the stored one.
func (db *DB) UpdateGrantTokens(ctx context.Context, userID string, expectVersion int64, t tm.TokenSet) (*tm.Grant, error) {
	if err := checkTokens(t); err != nil {
		return nil, err
	}
	g, err := db.writeTokens(ctx, db.w, userID, expectVersion, tokenWrite{TokenSet: t, refreshedAt: db.now()})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.conflict(ctx, userID, expectVersion)
	}
	if err != nil {
		return nil, db.dbErr("store the rotated tokens", userID, err)
	}
	return g, nil
}

// MarkGrantLost records that Atlassian refused the grant's refresh token.
func (db *DB) MarkGrantLost(ctx context.Context, userID string, expectVersion int64, reason string) (*tm.Grant, error) {
	if reason == "" {
		reason = "invalid_grant"
	}
	now := db.now().UnixMilli()
	g, err := db.scanGrant(db.w.QueryRowContext(ctx, `
		UPDATE grants SET lost_at = COALESCE(lost_at, $3), lost_reason = $4, updated_at = $3, version = version + 1
		WHERE user_id = $1 AND version = $2
		RETURNING `+grantColumns, userID, expectVersion, now, reason))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.conflict(ctx, userID, expectVersion)
	}
	if err != nil {
		return nil, db.dbErr("mark the grant lost", userID, err)
	}
	return g, nil
}

// conflict explains why a compare-and-swap matched no row.
func (db *DB) conflict(ctx context.Context, userID string, expectVersion int64) error {
	var stored int64
	err := db.w.QueryRowContext(ctx, `SELECT version FROM grants WHERE user_id = $1`, userID).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return noGrant(userID)
	}
	if err != nil {
		return db.dbErr("read the grant version", userID, err)
	}
	return &tm.Error{Code: tm.ECONFLICT,
		Message: fmt.Sprintf("the grant of user %q changed underneath: version %d expected, %d stored", userID, expectVersion, stored),
		Hint:    "Another request rotated its tokens; reload the grant and use the stored pair."}
}

// WithGrantLock runs fn on the user's grant under a lock that spans
// processes: a row lock in a transaction on PostgreSQL (SELECT … FOR
// UPDATE), the database write lock on SQLite (BEGIN IMMEDIATE). Inside one
// process, callers for the same user queue before touching the database.
func (db *DB) WithGrantLock(ctx context.Context, userID string, fn func(ctx context.Context, g *tm.Grant) (*tm.Grant, error)) error {
	unlock, err := db.locks.lock(ctx, userID)
	if err != nil {
		return fmt.Errorf("wait for the grant lock of user %q: %w", userID, err)
	}
	defer unlock()

	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.dbErr("lock the grant", userID, err)
	}
	defer tx.Rollback()
	cur, err := db.scanGrant(tx.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants WHERE user_id = $1`+db.eng.forUpdate, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return noGrant(userID)
	}
	if err != nil {
		return db.dbErr("lock the grant", userID, err)
	}
	before := *cur // fn may change cur and return it
	next, err := fn(ctx, cur)
	if err != nil {
		return err
	}
	if next == nil {
		return db.dbErr("release the grant lock", userID, tx.Commit())
	}
	if next.UserID != "" && next.UserID != userID {
		return tm.Errorf(tm.EINVALID, "the grant lock of user %q cannot store a grant of user %q", userID, next.UserID)
	}
	if err := checkTokens(next.TokenSet); err != nil {
		return err
	}
	saved, err := db.writeTokens(ctx, tx, userID, before.Version, lockedWrite(&before, next, db.now()))
	if errors.Is(err, sql.ErrNoRows) {
		// Cannot happen while the lock holds; say so rather than guess.
		return tm.Errorf(tm.EINTERNAL, "the grant of user %q changed while locked", userID)
	}
	if err != nil {
		return db.dbErr("store the grant", userID, err)
	}
	if err := tx.Commit(); err != nil {
		return db.dbErr("store the grant", userID, err)
	}
	*next = *saved
	return nil
}

// lockedWrite is the write that turns grant before into next: the rotation
// time moves only when a token changed, and a grant that stays lost keeps
// the time it was lost.
func lockedWrite(before, next *tm.Grant, now time.Time) tokenWrite {
	w := tokenWrite{TokenSet: next.TokenSet}
	if next.AccessToken != before.AccessToken || (!next.RefreshToken.IsZero() && next.RefreshToken != before.RefreshToken) {
		w.refreshedAt = now
	}
	if next.Lost {
		w.lostAt, w.lostReason = now, next.LostReason
		if before.Lost {
			w.lostAt = before.LostAt
		}
		if w.lostReason == "" {
			w.lostReason = "invalid_grant"
		}
	}
	return w
}
