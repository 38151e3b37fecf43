package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
)

// DeviceOptions tune device sign-in (RFC 8628) and the Jira gateway.
type DeviceOptions struct {
	Interval      time.Duration // between polls; default 5s
	CodeTTL       time.Duration // how long a code may wait for the person; default 10 minutes
	TokenLifetime time.Duration // of a ticket-mate token; default 90 days
	// GatewayRate and GatewayBurst bound each user's gateway requests: a
	// sustained rate per second and a burst; defaults 10 and 40.
	GatewayRate  float64
	GatewayBurst int
}

// deviceGrantType is RFC 8628's grant type for the token request.
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// tokenPrefix marks ticket-mate tokens, so a leaked one is recognisable
// (secret scanners) and never confused with an Atlassian token.
const tokenPrefix = "tmu_"

// userCodeAlphabet has no vowels (no words) and no look-alikes (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

type devices struct {
	DeviceOptions
	publicURL string
	limits    *rateLimiter // gateway requests, per user
	// codes bounds new device codes per client address, and lookups of a
	// code per signed-in person, so codes cannot be flooded or guessed.
	codes *rateLimiter
}

func newDevices(o DeviceOptions, publicURL string, now func() time.Time) *devices {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 10 * time.Minute
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 90 * 24 * time.Hour
	}
	if o.GatewayRate <= 0 {
		o.GatewayRate = 10
	}
	if o.GatewayBurst <= 0 {
		o.GatewayBurst = 40
	}
	return &devices{DeviceOptions: o, publicURL: strings.TrimRight(publicURL, "/"),
		limits: newRateLimiter(o.GatewayRate, o.GatewayBurst, now), codes: newRateLimiter(0.2, 20, now)}
}

// base is the URL people and devices reach this server at: TM_PUBLIC_URL,
// or else the address the request came to.
func (d *devices) base(r *http.Request) string {
	if d.publicURL != "" {
		return d.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func hashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newUserCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b)
}

// normalUserCode reads a code as people type it: any case, with or
// without the dash and spaces.
func normalUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// showUserCode writes a code as XXXX-XXXX.
func showUserCode(c string) string {
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

// parseScope reads the scope a device asks for; none means read and write.
func parseScope(s string) ([]string, bool) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return []string{tm.TokenScopeRead, tm.TokenScopeWrite}, true
	}
	out := []string{tm.TokenScopeRead}
	for _, v := range f {
		switch v {
		case tm.TokenScopeRead:
		case tm.TokenScopeWrite:
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		default:
			return nil, false
		}
	}
	return out, true
}

// oauthError answers a device endpoint the way RFC 6749 §5.2 says.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	writeJSON(w, status, body)
}

// deviceCode starts a device sign-in (RFC 8628 §3.1–3.2).
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded")
		return
	}
	if ok, wait := s.dev.codes.allow("addr:" + clientAddr(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		oauthError(w, http.StatusTooManyRequests, "slow_down", "too many sign-in requests from this address; retry later")
		return
	}
	scopes, ok := parseScope(r.PostForm.Get("scope"))
	if !ok {
		oauthError(w, http.StatusBadRequest, "invalid_scope", `scope is "read" or "read write"`)
		return
	}
	code := rand.Text() + rand.Text()
	now := s.now()
	d := &tm.DeviceAuth{
		DeviceCodeHash: hashToken(code), UserCode: newUserCode(),
		Name: clip(strings.TrimSpace(r.PostForm.Get("client_name")), 60), Host: clip(strings.TrimSpace(r.PostForm.Get("device_host")), 120),
		Scopes: scopes, Interval: s.dev.Interval, CreatedAt: now, ExpiresAt: now.Add(s.dev.CodeTTL),
	}
	if d.Name == "" {
		d.Name = "a device"
	}
	if err := s.store.CreateDeviceAuth(r.Context(), d); err != nil {
		s.fail(w, r, err)
		return
	}
	verify := s.dev.base(r) + "/device"
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               code,
		"user_code":                 showUserCode(d.UserCode),
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?user_code=" + url.QueryEscape(showUserCode(d.UserCode)),
		"expires_in":                int(s.dev.CodeTTL / time.Second),
		"interval":                  int(s.dev.Interval / time.Second),
	})
}

// clientAddr is the request's remote IP (no port). Behind a proxy it is
// the proxy's: the limit then applies to all behind it together.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// tokenSite is the site a signed-in device works with, in the token answer.
type tokenSite struct {
	CloudID string `json:"cloud_id"`
	Name    string `json:"name"`
	URL     string `json:"url"`
}

// deviceToken is the device's poll (RFC 8628 §3.4–3.5). The token is made
// here, on the first poll after approval, so it exists only in this answer
// and, hashed, in the store.
func (s *Server) deviceToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != deviceGrantType {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be "+deviceGrantType)
		return
	}
	ctx := r.Context()
	dc := hashToken(r.PostForm.Get("device_code"))
	d, slow, err := s.store.PollDeviceAuth(ctx, dc)
	switch {
	case tm.ErrorCode(err) == tm.ENOTFOUND:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown device_code")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case !s.now().Before(d.ExpiresAt) && d.State != tm.DeviceIssued:
		oauthError(w, http.StatusBadRequest, "expired_token", "the code expired before it was approved; start again")
		return
	case slow:
		oauthError(w, http.StatusBadRequest, "slow_down", "")
		return
	case d.State == tm.DevicePending:
		oauthError(w, http.StatusBadRequest, "authorization_pending", "")
		return
	case d.State == tm.DeviceDenied:
		oauthError(w, http.StatusBadRequest, "access_denied", "the sign-in was denied in the browser")
		return
	case d.State == tm.DeviceIssued:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "this code was already exchanged for a token")
		return
	}
	secret := tokenPrefix + rand.Text() + rand.Text()
	t := &tm.APIToken{CreatedAt: s.now(), ExpiresAt: s.now().Add(s.dev.TokenLifetime)}
	if err := s.store.IssueDeviceToken(ctx, dc, hashToken(secret), t); err != nil {
		if tm.ErrorCode(err) == tm.ECONFLICT {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "this code was already exchanged for a token")
			return
		}
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "device signed in", "user", t.UserID, "token", t.ID, "device", t.Name, "host", t.Host, "scope", strings.Join(t.Scopes, " "))
	body := map[string]any{
		"access_token": secret,
		"token_type":   "Bearer",
		"expires_in":   int(s.dev.TokenLifetime / time.Second),
		"scope":        strings.Join(t.Scopes, " "),
	}
	for k, v := range s.tokenInfo(ctx, r, t) {
		body[k] = v
	}
	writeJSON(w, http.StatusOK, body)
}

// tokenInfo is who a token acts for and where: the account, the sites its
// Jira connection reaches and the one selected, and the gateway root.
func (s *Server) tokenInfo(ctx context.Context, r *http.Request, t *tm.APIToken) map[string]any {
	out := map[string]any{"token_id": t.ID, "expires_at": t.ExpiresAt, "gateway": s.dev.base(r) + "/gateway"}
	if u, err := s.store.UserByID(ctx, t.UserID); err == nil {
		out["account"] = map[string]string{"account_id": u.AccountID, "name": u.Name, "email": u.Email}
	}
	sites := []tokenSite{}
	if all, err := s.store.Sites(ctx, t.UserID); err == nil {
		for _, st := range all {
			sites = append(sites, tokenSite{CloudID: st.CloudID, Name: st.Name, URL: st.URL})
		}
	}
	out["sites"] = sites
	if g, err := s.store.GetGrant(ctx, t.UserID); err == nil {
		out["selected_cloud_id"] = g.SelectedCloudID
		out["jira_connected"] = !g.Lost
	} else {
		out["jira_connected"] = false
	}
	return out
}

// bearerToken is the live ticket-mate token the request presents, or an
// error saying why there is none. It records the use at most once a
// minute, so the list of devices shows when each was last used.
func (s *Server) bearerToken(r *http.Request) (*tm.APIToken, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || !strings.HasPrefix(secret, tokenPrefix) {
		return nil, errNoToken
	}
	t, err := s.store.APITokenByHash(r.Context(), hashToken(strings.TrimSpace(secret)))
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		return nil, errDeadToken
	}
	if err != nil {
		return nil, err
	}
	if now := s.now(); now.Sub(t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(r.Context(), t.ID, now); err != nil {
			s.log.WarnContext(r.Context(), "recording a token's use failed", "error", err.Error())
		}
	}
	return t, nil
}

var (
	errNoToken   = errors.New("no ticket-mate token")
	errDeadToken = errors.New("the ticket-mate token was revoked or has expired")
)

// refuseToken answers a request without a live token (RFC 6750 §3).
func (s *Server) refuseToken(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, errNoToken) && !errors.Is(err, errDeadToken) {
		s.fail(w, r, err)
		return
	}
	desc := "this ticket-mate token was revoked or has expired; sign in again: tm login --server " + s.dev.base(r)
	if errors.Is(err, errNoToken) {
		desc = "send a ticket-mate token as Authorization: Bearer; get one with: tm login --server " + s.dev.base(r)
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="ticket-mate", error="invalid_token"`)
	oauthError(w, http.StatusUnauthorized, "invalid_token", desc)
}

// apiToken tells a device who its token acts for (tm auth status).
func (s *Server) apiToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.bearerToken(r)
	if err != nil {
		s.refuseToken(w, r, err)
		return
	}
	body := s.tokenInfo(r.Context(), r, t)
	body["scope"] = strings.Join(t.Scopes, " ")
	writeJSON(w, http.StatusOK, body)
}

// revokeToken is RFC 7009 revocation: the token in the form (or, without
// one, the one presented as Bearer) stops working. As the RFC says, an
// unknown token is not an error.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded")
		return
	}
	secret := r.PostForm.Get("token")
	if secret == "" {
		secret, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	t, err := s.store.APITokenByHash(r.Context(), hashToken(strings.TrimSpace(secret)))
	if err == nil {
		err = s.store.RevokeAPIToken(r.Context(), t.UserID, t.ID)
		s.log.InfoContext(r.Context(), "token revoked by its device", "user", t.UserID, "token", t.ID)
	}
	if err != nil && tm.ErrorCode(err) != tm.ENOTFOUND {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": err == nil})
}
