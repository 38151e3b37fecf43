package atlassian

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/ticket-mate/tm"
)

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
// store's grant lock), and commits the rotated pair before anyone uses it.
type Tokens struct {
	client *Client
	store  tm.GrantStore
	hooks  Hooks
	now    func() time.Time
	flight singleflight.Group
}

// NewTokens returns a token source over store.
func NewTokens(client *Client, store tm.GrantStore, hooks Hooks) *Tokens {
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

// Fresh reports whether g's access token is usable at now without a refresh.
func Fresh(g *tm.Grant, now time.Time) bool {
	issued := g.RefreshedAt
	if issued.IsZero() {
		issued = g.FamilyStartedAt
	}
	return !g.AccessToken.IsZero() && now.Before(g.ExpiresAt.Add(-RefreshMargin(issued, g.ExpiresAt)))
}

// Access is an access token and the grant version it came from.
type Access struct {
	Token   tm.Secret
	Version int64
}

// Token returns a usable access token for userID, refreshing first when the
// stored one is about to expire.
func (t *Tokens) Token(ctx context.Context, userID string) (Access, error) {
	g, err := t.load(ctx, userID)
	if err != nil {
		return Access{}, err
	}
	if Fresh(g, t.now()) {
		return Access{g.AccessToken, g.Version}, nil
	}
	return t.refresh(ctx, userID, g.Version, false)
}

// Refused handles Jira refusing the access token of version staleVersion
// before its expiry: it refreshes once (shared with every other request of
// the user that saw the same refusal) and returns the token to retry with.
func (t *Tokens) Refused(ctx context.Context, userID string, staleVersion int64) (Access, error) {
	return t.refresh(ctx, userID, staleVersion, true)
}

func (t *Tokens) load(ctx context.Context, userID string) (*tm.Grant, error) {
	g, err := t.store.GetGrant(ctx, userID)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		return nil, ErrReconnect
	}
	if err != nil {
		return nil, err
	}
	if g.Lost {
		return nil, ErrReconnect
	}
	return g, nil
}

// refresh is single-flight per user in this process; inside, the store's
// grant lock makes it single across processes. Whoever gets the lock second
// finds the version moved and uses the stored pair instead of spending the
// rotated-away refresh token again.
func (t *Tokens) refresh(ctx context.Context, userID string, seenVersion int64, refused bool) (Access, error) {
	ch := t.flight.DoChan(userID, func() (any, error) {
		// The refresh must finish even if the request that started it goes
		// away: other requests wait on it, and a refresh abandoned after
		// Atlassian rotated would lose the new pair.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		var out Access
		var lost error
		var rotated *tm.Grant
		err := t.store.WithGrantLock(ctx, userID, func(ctx context.Context, g *tm.Grant) (*tm.Grant, error) {
			if g.Lost {
				return nil, ErrReconnect
			}
			if g.Version != seenVersion || (!refused && Fresh(g, t.now())) {
				out = Access{g.AccessToken, g.Version}
				return nil, nil
			}
			tok, err := t.client.Refresh(ctx, g.RefreshToken)
			if err != nil {
				if !errors.Is(err, ErrInvalidGrant) {
					t.failed(err)
					return nil, err
				}
				t.failed(err)
				lost = &tm.Error{Code: ErrReconnect.Code, Message: ErrReconnect.Message, Hint: ErrReconnect.Hint, Err: err}
				g.Lost, g.LostReason, g.LostAt = true, "Atlassian refused the refresh token (invalid_grant)", t.now()
				return g, nil
			}
			g.TokenSet = *tok
			g.RefreshedAt = t.now()
			rotated = g
			return g, nil
		})
		if tm.ErrorCode(err) == tm.ENOTFOUND {
			return nil, ErrReconnect
		}
		if err != nil {
			return nil, err
		}
		if lost != nil {
			return nil, lost
		}
		if rotated != nil {
			if t.hooks.Refreshed != nil {
				t.hooks.Refreshed()
			}
			out = Access{rotated.AccessToken, rotated.Version}
			if rotated.Version == seenVersion {
				// The store did not report the new version: read it back.
				g, err := t.load(ctx, userID)
				if err != nil {
					return nil, err
				}
				out = Access{g.AccessToken, g.Version}
			}
		}
		return out, nil
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

func (t *Tokens) failed(err error) {
	if t.hooks.RefreshFailed == nil {
		return
	}
	var te *TokenError
	switch {
	case errors.As(err, &te):
		t.hooks.RefreshFailed(te.Code)
	default:
		t.hooks.RefreshFailed("unavailable")
	}
}

// IsReconnect reports whether err means the user must consent again.
func IsReconnect(err error) bool {
	var e *tm.Error
	return errors.As(err, &e) && e.Message == ErrReconnect.Message
}

// Transport sends a user's requests with their access token and, when the
// answer is a 401 although the token should still be valid, refreshes once
// and retries once. Build one per user and incoming request; it is cheap.
//
// It is also a token source (Token), so a client that puts the
// Authorization header on itself (jira.OAuthAuth) gets the same tokens and
// treats a failure to get one as final rather than as a network error to
// retry.
type Transport struct {
	Tokens *Tokens
	UserID string
	Base   http.RoundTripper // nil: http.DefaultTransport
	// Grant, when set, is the user's grant as the caller just loaded it; a
	// fresh token in it is used without reading the store again.
	Grant *tm.Grant

	mu      sync.Mutex
	lastTok tm.Secret // the token last handed out by Token,
	lastVer int64     // and its grant version
}

// Token returns the user's current access token.
func (tr *Transport) Token(ctx context.Context) (tm.Secret, error) {
	acc, err := tr.token(ctx)
	if err != nil {
		return "", err
	}
	tr.mu.Lock()
	tr.lastTok, tr.lastVer = acc.Token, acc.Version
	tr.mu.Unlock()
	return acc.Token, nil
}

func (tr *Transport) token(ctx context.Context) (Access, error) {
	tr.mu.Lock()
	g := tr.Grant
	tr.Grant = nil // only for the first call: later ones may follow a refresh
	tr.mu.Unlock()
	if g != nil && g.UserID == tr.UserID && !g.Lost && Fresh(g, tr.Tokens.now()) {
		return Access{g.AccessToken, g.Version}, nil
	}
	return tr.Tokens.Token(ctx, tr.UserID)
}

// versionOf is the grant version of a token handed out by Token, 0 when
// unknown (then Refused uses whatever is stored instead of refreshing).
func (tr *Transport) versionOf(authorization string) int64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	// Compared without building "Bearer "+token: an access token is
	// about a kilobyte, and this runs on every Jira call.
	if tok, ok := strings.CutPrefix(authorization, "Bearer "); ok && tok == tr.lastTok.Reveal() {
		return tr.lastVer
	}
	return 0
}

// ScopeMismatch reports whether a 401 is the gateway's "scope does not
// match", leaving the body readable for the caller.
func ScopeMismatch(resp *http.Response) bool {
	head, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return err == nil && bytes.Contains(head, []byte("scope does not match"))
}

// RoundTrip implements http.RoundTripper. A request without an
// Authorization header gets the user's token.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx := req.Context()
	if api, err := url.Parse(tr.Tokens.client.cfg.APIURL); err != nil || !tm.SameOrigin(api, req.URL) {
		// Go drops Authorization on a redirect to another host; adding the
		// user's token back would hand it to whoever redirected there.
		return nil, &tm.Error{Code: tm.EUNAVAILABLE,
			Message: fmt.Sprintf("refused to send the Atlassian access token to %s: it goes only to %s (a redirect or a wrong URL led there)",
				tm.Origin(req.URL), tr.Tokens.client.cfg.APIURL)}
	}
	var version int64
	if req.Header.Get("Authorization") == "" {
		acc, err := tr.token(ctx)
		if err != nil {
			return nil, err
		}
		req, version = withBearer(req, acc.Token), acc.Version
	} else {
		version = tr.versionOf(req.Header.Get("Authorization"))
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if ScopeMismatch(resp) {
		// A refreshed token carries the same scopes: only a new consent helps.
		return resp, nil
	}
	// A request whose body cannot be replayed is returned as refused; the
	// 401 means Jira did not act on it.
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil
	}
	acc, err := tr.Tokens.Refused(ctx, tr.UserID, version)
	if IsReconnect(err) {
		// Jira's own 401 says it best, and no retry layer above will
		// mistake it for a network blip worth repeating.
		return resp, nil
	}
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
