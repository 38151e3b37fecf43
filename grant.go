package tm

import (
	"context"
	"time"
)

// TokenSet is what one OAuth token response carries.
type TokenSet struct {
	AccessToken  Secret    `json:"-"`
	RefreshToken Secret    `json:"-"` // rotates: each one may be spent once
	TokenType    string    `json:"tokenType,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
	ExpiresAt    time.Time `json:"expiresAt"` // of the access token
}

// Grant is a user's connection to Atlassian: the current token pair of one
// refresh-token family, and the site the user works in.
type Grant struct {
	UserID string `json:"userId"`
	TokenSet
	// FamilyStartedAt is the first consent of this token family. Atlassian
	// ends a family 365 days after it, however often it is refreshed.
	FamilyStartedAt time.Time `json:"familyStartedAt"`
	RefreshedAt     time.Time `json:"refreshedAt,omitzero"` // last rotation; zero before the first
	// Version increases with every write of the grant, for compare-and-swap.
	Version int64 `json:"version"`
	// Lost is set when Atlassian refused the refresh token (invalid_grant):
	// the user must consent again.
	Lost            bool      `json:"lost,omitempty"`
	LostReason      string    `json:"lostReason,omitempty"`
	LostAt          time.Time `json:"lostAt,omitzero"`
	SelectedCloudID string    `json:"selectedCloudId,omitempty"`
}

// FamilyLifetime is how long Atlassian lets a refresh-token family live
// after the first consent.
const FamilyLifetime = 365 * 24 * time.Hour

// FamilyExpiresAt is when the family ends and consent is needed again.
func (g *Grant) FamilyExpiresAt() time.Time { return g.FamilyStartedAt.Add(FamilyLifetime) }

// Site is an Atlassian site (cloud) the grant reaches, from accessible-resources.
type Site struct {
	CloudID   string   `json:"cloudId"`
	Name      string   `json:"name"`
	URL       string   `json:"url"`
	Scopes    []string `json:"scopes,omitempty"`
	AvatarURL string   `json:"avatarUrl,omitempty"`
}

// GrantStore keeps each user's grant. Token rotation must never spend one
// refresh token twice, so token writes are compare-and-swap on Version
// (UpdateGrantTokens) or happen under a row lock (WithGrantLock).
type GrantStore interface {
	// GetGrant returns the user's grant with its tokens opened, or ENOTFOUND.
	GetGrant(ctx context.Context, userID string) (*Grant, error)
	// SaveGrant stores a grant after consent: a new token family. It
	// replaces any previous grant (clearing Lost), starts the family at
	// g.FamilyStartedAt (now when zero), keeps the previous site selection
	// when g.SelectedCloudID is empty, and sets g.Version.
	SaveGrant(ctx context.Context, g *Grant) error
	// DeleteGrant forgets the grant and the user's sites (disconnect). It
	// is not an error when there is none.
	DeleteGrant(ctx context.Context, userID string) error
	// MarkGrantLost records that the refresh token was refused, if the
	// grant is still at expectVersion; otherwise ECONFLICT, because another
	// worker has rotated it and the caller should retry with the new pair.
	MarkGrantLost(ctx context.Context, userID string, expectVersion int64, reason string) (*Grant, error)
	// UpdateGrantTokens stores a rotated token pair if the grant is still
	// at expectVersion, returning the grant at its new version; otherwise an
	// error with code ECONFLICT (ENOTFOUND when there is no grant).
	UpdateGrantTokens(ctx context.Context, userID string, expectVersion int64, t TokenSet) (*Grant, error)
	// WithGrantLock runs fn with the user's grant while holding its lock,
	// across processes sharing the database. When fn returns a grant, its
	// tokens (TokenSet), Lost and LostReason are stored before the lock is
	// released and the returned grant gets the new Version; nil stores
	// nothing; an error stores nothing and is returned as it is. So a
	// refresher persists the rotated pair before anyone uses it, and a
	// concurrent refresher waits, then sees the new version and reuses it.
	// fn must not call the store.
	WithGrantLock(ctx context.Context, userID string, fn func(ctx context.Context, g *Grant) (*Grant, error)) error
}

// SiteStore keeps the sites a user's grant reaches and which one they use.
type SiteStore interface {
	// ReplaceSites stores the user's sites, merging entries with the same
	// CloudID. A selected site that is gone is unselected; when exactly
	// one site remains and none is selected, it is selected.
	ReplaceSites(ctx context.Context, userID string, sites []Site) error
	// Sites returns the user's sites, ordered by name.
	Sites(ctx context.Context, userID string) ([]Site, error)
	// SelectSite sets the grant's SelectedCloudID; ENOTFOUND when the user
	// has no grant or no such site.
	SelectSite(ctx context.Context, userID, cloudID string) error
}
