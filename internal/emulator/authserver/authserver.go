// Package authserver owns the sandbox's imitation of Atlassian's OAuth 2.0
// (3LO) endpoints: the consent page at /authorize, the token endpoint at
// /oauth/token with rotating refresh-token families, and the two gateway
// identity endpoints /oauth/token/accessible-resources and /me. It keeps every
// code, grant and token in memory and reads time only from Options.Clock, so
// tests can move the clock across the 10-minute, 1-hour, 90-day and 365-day
// boundaries.
//
// It imports only the standard library: the emulator must not share code
// with ticket-mate's client, so a misunderstanding of Atlassian cannot hide
// in both.
package authserver

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"
)

// Lifetimes Atlassian documents (contract §B2, §B3) or that we chose where it
// does not (codes: 10 minutes, as Auth0 does).
const (
	CodeTTL            = 10 * time.Minute
	DefaultAccessTTL   = time.Hour
	RefreshInactivity  = 90 * 24 * time.Hour
	FamilyLifetime     = 365 * 24 * time.Hour
	RefreshReuseLeeway = 10 * time.Minute
	consentFormTTL     = 30 * time.Minute
	audienceAPI        = "api.atlassian.com"
	scopeOffline       = "offline_access"
	scopeReadMe        = "read:me"
)

// User is an Atlassian account that may sign in on the consent page.
type User struct {
	AccountID, Email, Name, Nickname, Picture, ZoneInfo, Locale string
	// Optional extended profile, returned by /me under extended_profile.
	JobTitle, Department, Organization, Location string
}

// Site is a Jira Cloud site offered in the consent page's site picker.
type Site struct{ CloudID, Name, URL, AvatarURL string }

// Client is an OAuth 2.0 (3LO) app as registered in the developer console.
type Client struct {
	ID, Secret, Name string
	RedirectURIs     []string
	// Scopes configured on the app. offline_access is an Auth0 scope that is
	// never configured in the console, so it is always allowed.
	Scopes []string
	// LoopbackAnyPort accepts any loopback host (localhost, 127.0.0.1, [::1])
	// and port with a registered URI's scheme and path, as RFC 8252 §7.3 asks.
	LoopbackAnyPort bool
}

// Options configures a Server.
type Options struct {
	Users          func() []User // who may sign in on the consent page; the first is the default
	Sites          func() []Site // sites offered in the consent page's site picker
	Clients        []Client
	Clock          func() time.Time // nil: time.Now
	AccessTokenTTL time.Duration    // default 1h
}

// Grant is what a valid access token stands for.
type Grant struct {
	AccountID, ClientID string
	Scopes              []string // as consented, in request order
	CloudIDs            []string // every site of the (app, user) grant, sorted
	ExpiresAt           time.Time
}

// Stats counts what the server did since it was created.
type Stats struct {
	CodesIssued     int // consents accepted
	ConsentsDenied  int
	CodeExchanges   int // successful authorization_code grants
	CodeFailures    int // failed authorization_code grants (unknown, used, expired, mismatched)
	Refreshes       int // successful refresh_token grants, including ReuseInLeeway
	RefreshFailures int
	ReuseInLeeway   int // refreshes with the previous generation's token inside the leeway
	FamiliesRevoked int // by refresh-token or code reuse, or RevokeGrant
}

// Server is the authorization server. Its zero value is not usable; call New.
type Server struct {
	o       Options
	clients map[string]*Client
	mux     *http.ServeMux
	key     []byte // signs the JWT-shaped tokens; random per Server

	mu       sync.Mutex
	forms    map[string]*consentForm // CSRF nonce → the authorize request it belongs to
	codes    map[string]*authCode
	grants   map[grantKey]*grant
	refresh  map[string]*refreshToken
	access   map[string]*accessToken
	families []*family
	issued   []string
	stats    Stats
}

// New returns a Server for o. Clients are copied; Users and Sites are called
// on every request so the seed may change underneath.
func New(o Options) *Server {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = DefaultAccessTTL
	}
	if o.Users == nil {
		o.Users = func() []User { return nil }
	}
	if o.Sites == nil {
		o.Sites = func() []Site { return nil }
	}
	s := &Server{
		o:       o,
		clients: make(map[string]*Client, len(o.Clients)),
		key:     make([]byte, 32),
		forms:   map[string]*consentForm{},
		codes:   map[string]*authCode{},
		grants:  map[grantKey]*grant{},
		refresh: map[string]*refreshToken{},
		access:  map[string]*accessToken{},
	}
	rand.Read(s.key)
	for i := range o.Clients {
		c := o.Clients[i]
		c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
		c.Scopes = append([]string(nil), c.Scopes...)
		s.clients[c.ID] = &c
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /authorize", s.showConsent)
	s.mux.HandleFunc("POST /authorize", s.decideConsent)
	s.mux.HandleFunc("/oauth/token", s.token)
	s.mux.HandleFunc("GET /oauth/token/accessible-resources", s.accessibleResources)
	s.mux.HandleFunc("GET /me", s.me)
	return s
}

// ServeHTTP serves GET/POST /authorize, POST /oauth/token,
// GET /oauth/token/accessible-resources and GET /me.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// IssuedSecrets returns every code, access token and refresh token ever
// issued, so tests can search logs and files for leaks.
func (s *Server) IssuedSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// ExpireAccessTokens makes every live access token count as expired now.
// Refresh tokens are untouched, so clients must refresh.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Clock()
	for _, a := range s.access {
		if a.expiresAt.After(now) {
			a.expiresAt = now
		}
	}
}

// RevokeAccessTokens invalidates every access token of accountID before its
// expiry; refresh tokens stay valid.
func (s *Server) RevokeAccessTokens(accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.access {
		if a.fam.key.account == accountID {
			a.revoked = true
		}
	}
}

// RevokeGrant is the user (or an admin) removing the app from the account:
// every family of the (app, user) grant dies and its sites are forgotten, so
// the next sign-in starts a new grant.
func (s *Server) RevokeGrant(accountID, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := grantKey{client: clientID, account: accountID}
	for _, f := range s.families {
		if f.key == k {
			s.revokeFamily(f)
		}
	}
	delete(s.grants, k)
}

func (s *Server) now() time.Time { return s.o.Clock() }
