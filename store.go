package tm

import (
	"context"
	"time"
)

// TicketRecord is a ticket a user created through the server, for the
// dashboard's "recent tickets".
type TicketRecord struct {
	UserID    string    `json:"-"`
	CloudID   string    `json:"cloudId"`
	Key       string    `json:"key"`
	URL       string    `json:"url"`
	Summary   string    `json:"summary"`
	CreatedAt time.Time `json:"createdAt"`
}

// TicketStore records created tickets.
type TicketStore interface {
	// AddTicket records t; recording the same (user, cloud, key) again
	// updates its URL and summary.
	AddTicket(ctx context.Context, t TicketRecord) error
	// RecentTickets returns up to n of the user's tickets, newest first.
	RecentTickets(ctx context.Context, userID string, n int) ([]TicketRecord, error)
}

// MaxRecentTickets bounds RecentTickets' n.
const MaxRecentTickets = 500

// Store is everything the server keeps in its database.
type Store interface {
	UserStore
	SiteStore
	GrantStore
	TicketStore
	SessionStore
	DeviceStore
	OnceStore
	PreferenceStore
	// Ping checks that the database answers, for readiness probes.
	Ping(ctx context.Context) error
	Close() error
}
