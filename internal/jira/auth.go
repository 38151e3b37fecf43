package jira

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/ticket-mate/tm"
)

// Auth puts credentials on an outgoing request. Apply is called once per
// attempt, so a token source behind it can hand out a fresh token on a retry.
type Auth interface {
	Apply(ctx context.Context, req *http.Request) error
}

// BasicAuth is an Atlassian API token (classic or scoped) used with the
// account's email: Authorization: Basic base64(email:token).
type BasicAuth struct {
	Email string
	Token tm.Secret
}

// Apply sets the Basic header.
func (a BasicAuth) Apply(_ context.Context, req *http.Request) error { return setHeader(a, req) }

func (a BasicAuth) header() (tm.Secret, error) {
	if a.Token.IsZero() {
		return "", errors.New("no API token")
	}
	return tm.Secret("Basic " + base64.StdEncoding.EncodeToString([]byte(a.Email+":"+a.Token.Reveal()))), nil
}

// BearerAuth is a fixed bearer token: a Data Center personal access token.
type BearerAuth struct {
	Token tm.Secret
}

// Apply sets the Bearer header.
func (a BearerAuth) Apply(_ context.Context, req *http.Request) error { return setHeader(a, req) }

func (a BearerAuth) header() (tm.Secret, error) {
	if a.Token.IsZero() {
		return "", errors.New("no personal access token")
	}
	return tm.Secret("Bearer " + a.Token.Reveal()), nil
}

// fixedAuth is an Auth whose header never changes: a client builds it
// once rather than encoding the credentials for every request (a listing
// sends hundreds).
type fixedAuth interface {
	header() (tm.Secret, error)
}

func setHeader(a fixedAuth, req *http.Request) error {
	h, err := a.header()
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", h.Reveal())
	return nil
}

// fixedHeader is a header built once, kept as a Secret so that printing
// the client shows no credential.
type fixedHeader struct{ h tm.Secret }

func (f fixedHeader) Apply(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", f.h.Reveal())
	return nil
}

// TokenSource hands out a current OAuth 2.0 access token, refreshing it
// when needed. Implementations must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (tm.Secret, error)
}

// TokenSourceFunc adapts a function to TokenSource.
type TokenSourceFunc func(ctx context.Context) (tm.Secret, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (tm.Secret, error) { return f(ctx) }

// OAuthAuth is Atlassian OAuth 2.0 (3LO): a Bearer access token from Source,
// sent through the API gateway.
type OAuthAuth struct {
	Source TokenSource
}

// Apply asks the source for a token and sets the Bearer header.
func (a OAuthAuth) Apply(ctx context.Context, req *http.Request) error {
	if a.Source == nil {
		return errors.New("no OAuth token source")
	}
	tok, err := a.Source.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	return nil
}

// Anonymous sends no credentials; for endpoints that need none
// (_edge/tenant_info, serverInfo).
type Anonymous struct{}

// Apply does nothing.
func (Anonymous) Apply(context.Context, *http.Request) error { return nil }
