package tm

import (
	"context"
	"time"
)

// User is a person signed in to the ticket-mate server with their Atlassian
// account. ID is ticket-mate's own, a random opaque string: it is known
// before the row exists (so tokens can be sealed to it in the same write),
// it is the same column type on SQLite and PostgreSQL, and it reveals
// nothing about how many users there are when it shows up in a URL or log.
type User struct {
	ID        string    `json:"id"`
	AccountID string    `json:"accountId"` // Atlassian account id, from /me; unique
	Email     string    `json:"email,omitempty"`
	Name      string    `json:"name,omitempty"`
	Picture   string    `json:"picture,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"` // last time the profile was written (each sign-in)
}

// UserStore keeps users, keyed by their Atlassian account.
type UserStore interface {
	// UpsertUser creates the user with u.AccountID or updates its profile
	// (email, name, picture), returning the stored user with its ID.
	UpsertUser(ctx context.Context, u User) (*User, error)
	// UserByID returns the user, or an ENOTFOUND error.
	UserByID(ctx context.Context, id string) (*User, error)
}
