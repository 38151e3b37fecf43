package store

import (
	"context"

	tm "github.com/ticket-mate/tm"
)

// AddTicket records a created ticket.
func (db *DB) AddTicket(ctx context.Context, t tm.TicketRecord) error {
	if t.UserID == "" || t.CloudID == "" || t.Key == "" {
		return tm.Errorf(tm.EINVALID, "a ticket record needs a user id, a cloud id and an issue key")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = db.now()
	}
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO tickets (user_id, cloud_id, issue_key, url, summary, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id, cloud_id, issue_key) DO UPDATE SET url = excluded.url, summary = excluded.summary`,
		t.UserID, t.CloudID, t.Key, t.URL, t.Summary, t.CreatedAt.UnixMilli())
	return db.dbErr("record the ticket", t.UserID, err)
}

// RecentTickets returns up to n of the user's tickets, newest first; n is
// capped at tm.MaxRecentTickets.
func (db *DB) RecentTickets(ctx context.Context, userID string, n int) ([]tm.TicketRecord, error) {
	if n <= 0 {
		return nil, tm.Errorf(tm.EINVALID, "the number of recent tickets must be positive, not %d", n)
	}
	rows, err := db.r.QueryContext(ctx, `
		SELECT cloud_id, issue_key, url, summary, created_at FROM tickets
		WHERE user_id = $1 ORDER BY created_at DESC, issue_key DESC LIMIT $2`, userID, min(n, tm.MaxRecentTickets))
	if err != nil {
		return nil, db.dbErr("read recent tickets", userID, err)
	}
	defer rows.Close()
	out := []tm.TicketRecord{}
	for rows.Next() {
		t := tm.TicketRecord{UserID: userID}
		if err := rows.Scan(&t.CloudID, &t.Key, &t.URL, &t.Summary, timeCol{&t.CreatedAt}); err != nil {
			return nil, db.dbErr("read recent tickets", userID, err)
		}
		out = append(out, t)
	}
	return out, db.dbErr("read recent tickets", userID, rows.Err())
}
