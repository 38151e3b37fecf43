package atlassian

import (
	"context"
	"errors"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/ticket-mate/tm"
)

// StoredTokens is a user's token pair as persisted, with the version the
// store bumps on every write so a stale writer can be detected.
type StoredTokens struct {
	Version      int64
	AccessToken  tm.Secret
	RefreshToken tm.Secret
	IssuedAt     time.Time // when the access token was obtained
	ExpiresAt    time.Time // when the access token expires
	Lost         bool      // the grant was refused for good: the user must reconnect
}

// TokenStore is what the token source needs from persistence. Every call is
// keyed by the user id the caller authenticated, never by anything a
// request names.
type TokenStore interface {
	// LoadTokens returns the user's pair; tm.ENOTFOUND when there is none.
	LoadTokens(ctx context.Context, userID string) (StoredTokens, error)
	// SaveRotated replaces the pair if the stored version is still
	// fromVersion, and returns the new version; tm.ECONFLICT otherwise.
	SaveRotated(ctx context.Context, userID string, fromVersion int64, t *Token) (int64, error)
	// MarkLost records that the grant is dead (invalid_grant).
	MarkLost(ctx context.Context, userID, reason string) error
	// WithLock runs fn while holding the user's grant lock, which excludes
	// every other holder — in this process and in every other replica.
	WithLock(ctx context.Context, userID string, fn func(ctx context.Context) error) error
}

// ErrReconnect means the user's Jira connection is gone (refresh refused,
// revoked, expired after 365 days, or never made): only a new consent helps.
var ErrReconnect = &tm.Error{Code: tm.EUNAUTHORIZED,
	Message: "your Jira connection has expired or was revoked",
	Hint:    "Reconnect Jira to sign in with Atlassian again."}

// Hooks observe refreshes (metrics); nil fields are skipped.
type Hooks struct {
	Refreshed     func()
	RefreshFailed func(reason string)
}

// Tokens hands out valid access tokens per user: it refreshes shortly
// before expiry or after Jira refused a token that should still be valid,
// exactly once per user however many requests ask at the same moment (in
// this process through single-flight, across processes through the
// store's lock), and commits the rotated pair before anyone uses it.
type Tokens struct {
	client *Client
	store  TokenStore
	hooks  Hooks
	now    func() time.Time
	flight singleflight.Group
}

// NewTokens returns a token source over store.
func NewTokens(client *Client, store TokenStore, hooks Hooks) *Tokens {
	return &Tokens{client: client, store: store, hooks: hooks, now: client.cfg.Now}
}

// RefreshMargin is how long before expiry a token is refreshed: five
// minutes, or a tenth of the token's lifetime when that is shorter, so a
// short-lived token is not refreshed on every use.
func RefreshMargin(issuedAt, expiresAt time.Time) time.Duration {
	m := 5 * time.Minute
	if life := expiresAt.Sub(issuedAt); issuedAt.IsZero() || life <= 0 {
		return m
	} else if life/10 < m {
		return life / 10
	}
	return m
}

func (t *Tokens) fresh(s StoredTokens) bool {
	return !s.AccessToken.IsZero() && t.now().Before(s.ExpiresAt.Add(-RefreshMargin(s.IssuedAt, s.ExpiresAt)))
}

// Access is an access token and the stored version it came from.
type Access struct {
	Token   tm.Secret
	Version int64
}

// Token returns a usable access token for userID, refreshing first when the
// stored one is about to expire.
func (t *Tokens) Token(ctx context.Context, userID string) (Access, error) {
	s, err := t.load(ctx, userID)
	if err != nil {
		return Access{}, err
	}
	if t.fresh(s) {
		return Access{s.AccessToken, s.Version}, nil
	}
	return t.refresh(ctx, userID, s.Version, false)
}

// Refused handles Jira refusing the access token of version staleVersion
// before its expiry: it refreshes once (shared with every other request of
// the user that saw the same refusal) and returns the token to retry with.
func (t *Tokens) Refused(ctx context.Context, userID string, staleVersion int64) (Access, error) {
	return t.refresh(ctx, userID, staleVersion, true)
}

func (t *Tokens) load(ctx context.Context, userID string) (StoredTokens, error) {
	s, err := t.store.LoadTokens(ctx, userID)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		return s, ErrReconnect
	}
	if err != nil {
		return s, err
	}
	if s.Lost {
		return s, ErrReconnect
	}
	return s, nil
}

// refresh is single-flight per user in this process; inside, the store lock
// makes it single across processes. Whoever gets the lock second finds the
// version moved and uses the stored pair instead of spending the (now
// rotated-away) refresh token again.
func (t *Tokens) refresh(ctx context.Context, userID string, seenVersion int64, refused bool) (Access, error) {
	ch := t.flight.DoChan(userID, func() (any, error) {
		// The refresh must finish even if the request that started it goes
		// away: other requests wait on it, and a refresh abandoned after
		// Atlassian rotated would lose the new pair.
		ctx := context.WithoutCancel(ctx)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var out Access
		err := t.store.WithLock(ctx, userID, func(ctx context.Context) error {
			s, err := t.load(ctx, userID)
			if err != nil {
				return err
			}
			if s.Version != seenVersion || (!refused && t.fresh(s)) {
				out = Access{s.AccessToken, s.Version}
				return nil
			}
			tok, err := t.client.Refresh(ctx, s.RefreshToken)
			if err != nil {
				return t.refreshFailed(ctx, userID, err)
			}
			v, err := t.store.SaveRotated(ctx, userID, s.Version, tok)
			if err != nil {
				return err
			}
			if t.hooks.Refreshed != nil {
				t.hooks.Refreshed()
			}
			out = Access{tok.AccessToken, v}
			return nil
		})
		return out, err
	})
	select {
	case <-ctx.Done():
		return Access{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return Access{}, r.Err
		}
		return r.Val.(Access), nil
	}
}

func (t *Tokens) refreshFailed(ctx context.Context, userID string, err error) error {
	if errors.Is(err, ErrInvalidGrant) {
		t.hook("invalid_grant")
		if mErr := t.store.MarkLost(ctx, userID, "refresh refused: invalid_grant"); mErr != nil {
			return mErr
		}
		return &tm.Error{Code: ErrReconnect.Code, Message: ErrReconnect.Message, Hint: ErrReconnect.Hint, Err: err}
	}
	var te *TokenError
	if errors.As(err, &te) {
		t.hook(te.Code)
	} else {
		t.hook("unavailable")
	}
	return err
}

func (t *Tokens) hook(reason string) {
	if t.hooks.RefreshFailed != nil {
		t.hooks.RefreshFailed(reason)
	}
}

// IsReconnect reports whether err means the user must consent again.
func IsReconnect(err error) bool {
	var e *tm.Error
	return errors.As(err, &e) && e.Message == ErrReconnect.Message
}

// Transport sends a user's requests with their access token and, when the
// answer is a 401 although the token should still be valid, refreshes once
// and retries once. Build one per user and request; it is cheap.
type Transport struct {
	Tokens *Tokens
	UserID string
	Base   http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements http.RoundTripper. The Authorization header of req
// is replaced.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx := req.Context()
	acc, err := tr.Tokens.Token(ctx, tr.UserID)
	if err != nil {
		return nil, err
	}
	resp, err := base.RoundTrip(withBearer(req, acc.Token))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// A request whose body cannot be replayed is returned as refused; the
	// 401 means Jira did not act on it.
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil
	}
	acc, err = tr.Tokens.Refused(ctx, tr.UserID, acc.Version)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	retry := withBearer(req, acc.Token)
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	resp.Body.Close()
	return base.RoundTrip(retry)
}

func withBearer(req *http.Request, tok tm.Secret) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.Reveal())
	return r
}
