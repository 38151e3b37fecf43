package tm

import (
	"context"
	"slices"
	"time"
)

// Scopes of a ticket-mate token: what a device signed in through the
// server may do with the person's Jira access.
const (
	TokenScopeRead  = "read"  // GET requests and searches
	TokenScopeWrite = "write" // everything else; always together with read
)

// APIToken is a ticket-mate token a person handed to a device (tm login
// --server). Only its SHA-256 is stored; the token itself is shown once,
// to the device that asked for it.
type APIToken struct {
	ID         string    `json:"id"`
	UserID     string    `json:"-"`
	Name       string    `json:"name"` // the device's name for itself ("tm")
	Host       string    `json:"host"` // the machine it said it runs on
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}

// CanWrite reports whether the token may change things in Jira.
func (t *APIToken) CanWrite() bool { return slices.Contains(t.Scopes, TokenScopeWrite) }

// Device authorization states (RFC 8628): a request waits for the person,
// who approves or denies it; an approved one is exchanged once for a token.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceIssued   = "issued"
)

// DeviceAuth is one device authorization request.
type DeviceAuth struct {
	// DeviceCodeHash is the SHA-256 of the device code the device polls
	// with; the code itself is never stored.
	DeviceCodeHash string        `json:"-"`
	UserCode       string        `json:"userCode"` // normalised: upper case, no dash
	Name           string        `json:"name"`
	Host           string        `json:"host"`
	Scopes         []string      `json:"scopes"`
	Interval       time.Duration `json:"interval"`
	CreatedAt      time.Time     `json:"createdAt"`
	ExpiresAt      time.Time     `json:"expiresAt"`
	PolledAt       time.Time     `json:"polledAt,omitzero"`
	State          string        `json:"state"`
	UserID         string        `json:"-"` // who decided, once decided
}

// DeviceStore keeps device authorization requests and the tokens they
// become.
type DeviceStore interface {
	// CreateDeviceAuth stores a new pending request.
	CreateDeviceAuth(ctx context.Context, d *DeviceAuth) error
	// DeviceAuthByUserCode returns the unexpired request with userCode, or
	// ENOTFOUND.
	DeviceAuthByUserCode(ctx context.Context, userCode string) (*DeviceAuth, error)
	// DecideDeviceAuth approves (with scopes, a subset of those asked for)
	// or denies the pending, unexpired request with userCode on behalf of
	// userID; ENOTFOUND when there is none, ECONFLICT when it was decided.
	DecideDeviceAuth(ctx context.Context, userCode, userID string, approve bool, scopes []string) (*DeviceAuth, error)
	// PollDeviceAuth records a poll of the request with deviceCodeHash and
	// returns it as it was before the poll. A poll sooner than the
	// request's interval after the previous one is too fast: slowDown is
	// true and the interval grows by five seconds (RFC 8628 §3.5).
	PollDeviceAuth(ctx context.Context, deviceCodeHash string) (d *DeviceAuth, slowDown bool, err error)
	// IssueDeviceToken turns the approved request into the token t with
	// tokenHash, exactly once: ECONFLICT when it is not approved (any more).
	IssueDeviceToken(ctx context.Context, deviceCodeHash, tokenHash string, t *APIToken) error
	// APITokenByHash returns the unrevoked, unexpired token with tokenHash,
	// or ENOTFOUND.
	APITokenByHash(ctx context.Context, tokenHash string) (*APIToken, error)
	// APITokens lists the user's unrevoked, unexpired tokens, newest first.
	APITokens(ctx context.Context, userID string) ([]APIToken, error)
	// RevokeAPIToken revokes the user's token id; ENOTFOUND when the user
	// has no such token.
	RevokeAPIToken(ctx context.Context, userID, id string) error
	// TouchAPIToken records that the token was used at at.
	TouchAPIToken(ctx context.Context, id string, at time.Time) error
}
