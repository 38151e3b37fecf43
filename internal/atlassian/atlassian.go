// Package atlassian owns ticket-mate's side of Atlassian OAuth 2.0 (3LO): the
// authorize URL, the code exchange, refresh with rotation, the sites a grant
// covers (accessible-resources) and the signed-in identity (/me), plus a token
// source that refreshes once per user, persists the rotated pair before it is
// used, and turns invalid_grant into "reconnect".
//
// Every endpoint comes from configuration so the sandbox can stand in for
// auth.atlassian.com and api.atlassian.com. It imports only the domain package
// and the standard library (plus x/sync for single-flight).
package atlassian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
)

// Audience is the API audience Atlassian issues Jira tokens for.
const Audience = "api.atlassian.com"

// DefaultScopes is what ticket-mate asks for when configuration names none:
// classic Jira read/write, user lookup, the identity API and refresh tokens.
var DefaultScopes = []string{"read:jira-work", "write:jira-work", "read:jira-user", "read:me", "offline_access"}

// maxBody bounds every response body read from Atlassian.
const maxBody = 1 << 20

// Config is an OAuth app registration and where to reach Atlassian.
type Config struct {
	AuthURL      string // https://auth.atlassian.com
	APIURL       string // https://api.atlassian.com
	ClientID     string
	ClientSecret tm.Secret
	RedirectURI  string
	Scopes       []string // nil: DefaultScopes
	// HTTPClient makes every call; it must carry a timeout. nil: a client
	// with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock used to turn expires_in into an instant. nil: time.Now.
	Now func() time.Time
}

// Client talks to Atlassian's authorization server and identity endpoints.
type Client struct {
	cfg Config
	// token posts to the token endpoint and follows no redirect: a 307
	// would replay the client secret wherever it pointed.
	token *http.Client
	// api calls the gateway (identity, sites) and follows redirects only
	// within its origin, so an access token never leaves it.
	api *http.Client
}

// New returns a client for cfg. It validates what a misconfigured server
// would otherwise only discover at the first sign-in.
func New(cfg Config) (*Client, error) {
	if cfg.ClientID == "" || cfg.ClientSecret.IsZero() {
		return nil, &tm.Error{Code: tm.ECONFIG,
			Message: "the OAuth app's client id and secret are not set",
			Hint:    "Set ATLASSIAN_CLIENT_ID and ATLASSIAN_CLIENT_SECRET from the app's Settings page in the Atlassian developer console."}
	}
	if cfg.RedirectURI == "" {
		return nil, &tm.Error{Code: tm.ECONFIG,
			Message: "the OAuth redirect URI is not set",
			Hint:    "Set ATLASSIAN_REDIRECT_URI to the callback URL registered on the app, e.g. http://localhost:4000/api/auth/jira/callback."}
	}
	for name, u := range map[string]*string{"ATLASSIAN_AUTH_URL": &cfg.AuthURL, "ATLASSIAN_API_URL": &cfg.APIURL} {
		p, err := url.Parse(*u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, &tm.Error{Code: tm.ECONFIG, Message: fmt.Sprintf("%s %q is not an http(s) URL", name, *u)}
		}
		*u = strings.TrimRight(*u, "/")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	token, api := *cfg.HTTPClient, *cfg.HTTPClient
	token.CheckRedirect, api.CheckRedirect = tm.FollowNoRedirect, tm.FollowSameOrigin
	return &Client{cfg: cfg, token: &token, api: &api}, nil
}

// Scopes returns the scopes the client asks for.
func (c *Client) Scopes() []string { return c.cfg.Scopes }

// AuthorizeURL is where the browser goes to consent. state must be
// unguessable and bound to the browser that started the dance.
func (c *Client) AuthorizeURL(state string) string {
	q := url.Values{
		"audience":      {Audience},
		"client_id":     {c.cfg.ClientID},
		"scope":         {strings.Join(c.cfg.Scopes, " ")},
		"redirect_uri":  {c.cfg.RedirectURI},
		"state":         {state},
		"response_type": {"code"},
		"prompt":        {"consent"},
	}
	// url.Values encodes spaces as '+'; Atlassian documents %20 in scope.
	return c.cfg.AuthURL + "/authorize?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// Exchange trades an authorization code for the first token pair.
func (c *Client) Exchange(ctx context.Context, code string) (*tm.TokenSet, error) {
	if code == "" {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "the callback carried no authorization code"}
	}
	return c.tokenRequest(ctx, map[string]string{
		"grant_type":   "authorization_code",
		"code":         code,
		"redirect_uri": c.cfg.RedirectURI,
	})
}

// Refresh spends refreshToken for a new pair. Atlassian rotates: the old
// refresh token is dead once this returns, so the caller must persist the new
// pair before anything else. A refresh token that is expired, revoked or
// rotated away yields an error matching ErrInvalidGrant.
func (c *Client) Refresh(ctx context.Context, refreshToken tm.Secret) (*tm.TokenSet, error) {
	if refreshToken.IsZero() {
		return nil, &TokenError{Code: "invalid_grant", Description: "no refresh token stored (offline_access not granted)"}
	}
	return c.tokenRequest(ctx, map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": refreshToken.Reveal(),
	})
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
}

// tokenRequest posts the documented JSON body to /oauth/token.
func (c *Client) tokenRequest(ctx context.Context, body map[string]string) (*tm.TokenSet, error) {
	body["client_id"] = c.cfg.ClientID
	body["client_secret"] = c.cfg.ClientSecret.Reveal()
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.AuthURL+"/oauth/token", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	start := c.cfg.Now()
	resp, err := c.token.Do(req)
	if err != nil {
		return nil, unreachable("the Atlassian token endpoint", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, unreachable("the Atlassian token endpoint", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, tokenError(resp.StatusCode, raw)
	}
	var tr tokenResponse
	if err := json.Unmarshal(raw, &tr); err != nil || tr.AccessToken == "" {
		return nil, &tm.Error{Code: tm.EUNAVAILABLE, Message: "the Atlassian token endpoint answered 200 without an access token"}
	}
	t := &tm.TokenSet{
		AccessToken:  tm.Secret(tr.AccessToken),
		RefreshToken: tm.Secret(tr.RefreshToken),
		TokenType:    tr.TokenType,
		Scopes:       strings.Fields(tr.Scope),
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 3600 // Atlassian's documented lifetime
	}
	// Count the lifetime from when the request left, not when it came back,
	// so a slow answer never makes a token look fresher than it is.
	t.ExpiresAt = start.Add(time.Duration(tr.ExpiresIn) * time.Second)
	return t, nil
}

// TokenError is an RFC 6749 error from the token endpoint. Its message
// carries the provider's code and description, never the request.
type TokenError struct {
	Status      int
	Code        string // invalid_grant, invalid_client, access_denied, …
	Description string
}

func (e *TokenError) Error() string {
	msg := "Atlassian refused the token request: " + e.Code
	if e.Description != "" {
		msg += " (" + e.Description + ")"
	}
	return msg
}

// ErrInvalidGrant matches (errors.Is) a TokenError whose code is
// invalid_grant: the code or refresh token is expired, used, revoked or
// rotated away. It is never worth retrying; the user must consent again.
var ErrInvalidGrant = errors.New("invalid_grant")

// Is makes errors.Is(err, ErrInvalidGrant) work.
func (e *TokenError) Is(target error) bool {
	return target == ErrInvalidGrant && e.Code == "invalid_grant"
}

func tokenError(status int, raw []byte) error {
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(raw, &body)
	if body.Error == "" {
		if status >= 500 || status == http.StatusTooManyRequests {
			return &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("the Atlassian token endpoint failed (HTTP %d); try again in a minute", status)}
		}
		body.Error = fmt.Sprintf("http_%d", status)
	}
	return &TokenError{Status: status, Code: body.Error, Description: body.Description}
}

func unreachable(what string, err error) error {
	var re *tm.RedirectError
	if errors.As(err, &re) {
		return &tm.Error{Code: tm.EUNAVAILABLE, Message: what + ": " + re.Error(), Err: re}
	}
	// url.Error would repeat the URL; it holds no secret but says nothing new.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &tm.Error{Code: tm.EUNAVAILABLE, Message: "could not reach " + what + ": " + err.Error(), Err: err}
}
