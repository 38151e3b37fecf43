package authserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"
)

// grantKey identifies the one grant Atlassian keeps per (app, user).
type grantKey struct{ client, account string }

// grant is the (app, user) consent. Its sites grow with every consent to
// another site, and every live token of the pair covers them at once.
type grant struct {
	sites []string // cloud ids, in consent order
}

// family is one consent's token lineage: the code exchange starts it and
// every refresh extends it. issuedAt anchors the 365-day absolute expiry,
// lastUsed the 90-day inactivity expiry.
//
// Rotation follows Auth0's reuse interval, on which Atlassian's rotation is
// built: a refresh with a current-generation token advances the generation;
// the previous generation's tokens stay exchangeable for RefreshReuseLeeway
// after that advance and mint a sibling in the current generation (so N
// workers racing with the same token all succeed); any older token, or the
// previous one after the leeway, is reuse and revokes the whole family.
type family struct {
	key         grantKey
	scopes      []string
	refreshable bool // offline_access was granted
	issuedAt    time.Time
	lastUsed    time.Time
	generation  int
	rotatedAt   time.Time // when generation last advanced
	revoked     bool      // kills every refresh and access token of the family
}

type refreshToken struct {
	fam        *family
	generation int
}

type accessToken struct {
	fam       *family
	expiresAt time.Time
	revoked   bool
}

type authCode struct {
	client, redirectURI string
	account             string
	scopes              []string
	issuedAt            time.Time
	used                bool
	fam                 *family // set by the exchange, so reuse can revoke it
}

// tokenPair is the body of a successful token response.
type tokenPair struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// mint returns a JWT-shaped opaque token (HS256 over random claims). The
// cloud id is deliberately absent, as in Atlassian's tokens. Callers hold mu.
func (s *Server) mint(kind string, claims map[string]any) string {
	jti := make([]byte, 18)
	rand.Read(jti)
	claims["jti"] = base64.RawURLEncoding.EncodeToString(jti)
	claims["iss"] = "https://auth.atlassian.com"
	claims["typ"] = kind
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "auth.atlassian.com/" + kind})
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(signing))
	tok := signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	s.issued = append(s.issued, tok)
	return tok
}

// issuePair mints an access token (and, for refreshable families, a refresh
// token of the current generation). Callers hold mu.
func (s *Server) issuePair(f *family, now time.Time) tokenPair {
	exp := now.Add(s.o.AccessTokenTTL)
	at := s.mint("access", map[string]any{
		"sub": f.key.account, "aud": audienceAPI, "client_id": f.key.client,
		"scope": joinScopes(f.scopes), "iat": now.Unix(), "exp": exp.Unix(),
	})
	s.access[at] = &accessToken{fam: f, expiresAt: exp}
	p := tokenPair{
		AccessToken: at, ExpiresIn: int(s.o.AccessTokenTTL / time.Second),
		TokenType: "Bearer", Scope: joinScopes(f.scopes),
	}
	if f.refreshable {
		rt := s.mint("refresh", map[string]any{"sub": f.key.account, "client_id": f.key.client, "iat": now.Unix()})
		s.refresh[rt] = &refreshToken{fam: f, generation: f.generation}
		p.RefreshToken = rt
	}
	return p
}

// revokeFamily kills every token of f. Callers hold mu.
func (s *Server) revokeFamily(f *family) {
	if f.revoked {
		return
	}
	f.revoked = true
	s.stats.FamiliesRevoked++
}

// errRefresh is the one answer Atlassian gives for every bad refresh token.
var errRefresh = &oauthError{status: 403, Code: "invalid_grant", Description: "Unknown or invalid refresh token."}

// rotate exchanges a refresh token under the family rules above.
func (s *Server) rotate(clientID, token string) (tokenPair, *oauthError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	rt := s.refresh[token]
	if rt == nil || rt.fam.key.client != clientID || rt.fam.revoked {
		s.stats.RefreshFailures++
		return tokenPair{}, errRefresh
	}
	f := rt.fam
	if !now.Before(f.issuedAt.Add(FamilyLifetime)) || !now.Before(f.lastUsed.Add(RefreshInactivity)) {
		s.stats.RefreshFailures++
		return tokenPair{}, errRefresh
	}
	switch {
	case rt.generation == f.generation:
		f.generation++
		f.rotatedAt = now
	case rt.generation == f.generation-1 && now.Before(f.rotatedAt.Add(RefreshReuseLeeway)):
		s.stats.ReuseInLeeway++
	default:
		s.revokeFamily(f)
		s.stats.RefreshFailures++
		return tokenPair{}, errRefresh
	}
	f.lastUsed = now
	s.stats.Refreshes++
	return s.issuePair(f, now), nil
}

// exchange redeems an authorization code: single use, bound to the client and
// redirect URI, valid for CodeTTL. A second use revokes what the first issued
// (RFC 6749 §4.1.2).
func (s *Server) exchange(clientID, code, redirectURI string) (tokenPair, *oauthError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := s.codes[code]
	fail := func(desc string) (tokenPair, *oauthError) {
		s.stats.CodeFailures++
		return tokenPair{}, &oauthError{status: 403, Code: "invalid_grant", Description: desc}
	}
	switch {
	case c == nil || c.client != clientID:
		return fail("Invalid authorization code")
	case c.used:
		if c.fam != nil {
			s.revokeFamily(c.fam)
		}
		return fail("Invalid authorization code")
	case !now.Before(c.issuedAt.Add(CodeTTL)):
		return fail("Invalid authorization code")
	case c.redirectURI != redirectURI:
		return fail("The redirect_uri does not match the one used in the authorization request.")
	}
	c.used = true
	k := grantKey{client: c.client, account: c.account}
	f := &family{
		key: k, scopes: c.scopes, refreshable: slices.Contains(c.scopes, scopeOffline),
		issuedAt: now, lastUsed: now, generation: 1,
	}
	c.fam = f
	s.families = append(s.families, f)
	s.stats.CodeExchanges++
	return s.issuePair(f, now), nil
}

// verify resolves a live access token. Callers hold mu.
func (s *Server) verify(token string) (*accessToken, bool) {
	a := s.access[token]
	if a == nil || a.revoked || a.fam.revoked || !s.now().Before(a.expiresAt) {
		return nil, false
	}
	if _, ok := s.grants[a.fam.key]; !ok {
		return nil, false
	}
	return a, true
}

// Verify reports what accessToken stands for; false when it is unknown,
// expired per the Clock, or revoked.
func (s *Server) Verify(accessToken string) (Grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.verify(accessToken)
	if !ok {
		return Grant{}, false
	}
	cloudIDs := slices.Clone(s.grants[a.fam.key].sites)
	slices.Sort(cloudIDs)
	return Grant{
		AccountID: a.fam.key.account, ClientID: a.fam.key.client,
		Scopes: slices.Clone(a.fam.scopes), CloudIDs: cloudIDs, ExpiresAt: a.expiresAt,
	}, true
}
