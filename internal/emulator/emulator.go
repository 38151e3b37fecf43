// Package emulator owns `tm sandbox`: a local Jira Cloud (or Data Center)
// that follows Atlassian's OpenAPI document and the wire contract — several
// sites told apart by path, the api.atlassian.com gateway, the OAuth
// authorization server (package authserver), permissions, workflows, search,
// the agile API's boards, sprints and epics, rate limits, latency and
// scripted faults. It refuses what Jira refuses (rich text that breaks the
// ADF schema, over-long text, non-JSON bodies, wrong methods) with Jira's
// status and body. It is the Jira of ticket-mate's test suite; package
// interop checks it against a client nobody here wrote.
//
// It imports the standard library, its own subpackages (adfschema,
// authserver, jql, wiki) and nothing else of ticket-mate: its wire types are
// written independently of the client's, so a shared misunderstanding of
// Jira cannot hide in both.
package emulator

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticket-mate/tm/internal/emulator/authserver"
)

// Options configures an Emulator. The zero value is a Cloud sandbox with
// the built-in seed.
type Options struct {
	Seed            *Seed            // nil: the built-in seed
	DataCenter      bool             // REST v2 only, Bearer PATs, usernames, deploymentType "Server"
	Latency, Jitter time.Duration    // added to every request (Latency ± Jitter)
	Clock           func() time.Time // nil: the emulator's own clock (time.Now, movable through the admin API)
	StatePath       string           // persist issues (and minted credentials) across restarts
	RateLimit       RateLimit        // zero: generous defaults
	// SearchLag keeps new issues out of search results for this long,
	// unless their id is passed in reconcileIssues.
	SearchLag time.Duration
	// Faults are scripted failures active from the start (see ParseFault).
	Faults []Fault
	// AccessTokenTTL is how long OAuth access tokens live (0: one hour, as
	// Atlassian's do); shorter ones exercise refreshes under load.
	AccessTokenTTL time.Duration
}

// RateLimit is the per-tenant (per-site) budget. Bearer (OAuth 3LO) traffic
// spends points; API-token traffic does not (Atlassian keeps only burst
// limits for it). User search has its own tenant-wide bucket for all
// callers. A negative value turns a bucket off.
type RateLimit struct {
	Points     int           // points per Window for Bearer traffic; 0: 65000
	UserSearch int           // user-search requests per Window; 0: 10000
	Window     time.Duration // 0: one hour
}

// Credentials are the sandbox's own throwaway secrets, minted at start (or
// restored from the state file).
type Credentials struct {
	BaseURL string            // the primary site URL (= the listener URL)
	Sites   []SiteInfo        // Sites[0] is the primary site at the root path
	Users   []UserInfo        // in seed order; Users[0] is "you"
	OAuth   []OAuthClientInfo // registered OAuth 2.0 (3LO) apps
}

// SiteInfo names one site.
type SiteInfo struct {
	CloudID, Name, URL string
}

// UserInfo is one account and its tokens. Username is the Data Center name;
// PAT the Data Center personal access token.
type UserInfo struct {
	AccountID, Email, DisplayName, Username string
	ClassicToken, ScopedToken               string
	ScopedScopes                            []string
	PAT                                     string
}

// OAuthClientInfo is one registered OAuth app.
type OAuthClientInfo struct {
	ClientID, ClientSecret, Name string
	RedirectURIs                 []string
}

// Emulator is the sandbox. It is safe for concurrent use.
type Emulator struct {
	opts  Options
	dc    bool
	seed  *Seed
	start time.Time

	clockOffset atomic.Int64 // nanoseconds added to time.Now when the clock is our own

	users       []*user
	userByID    map[string]*user
	userByEmail map[string]*user
	userByName  map[string]*user
	sites       []*site
	siteByCloud map[string]*site
	siteBySlug  map[string]*site

	creds      Credentials
	credMu     sync.RWMutex
	classic    map[string]*user // token → user
	scoped     map[string]*user
	pats       map[string]*user
	baseURL    atomic.Pointer[string]
	pageSecret []byte

	mu     issueLock  // guards every site's issues
	saveMu sync.Mutex // one state-file write at a time, in order

	mux      *http.ServeMux
	counts   counter
	faults   faultSet
	limits   *limiter
	auth     *authserver.Server
	persist  *persister
	reqSeq   atomic.Uint64
	cache    sync.Map // rendered bodies that depend only on their key
	views    viewHistory
	fixedHdr string // Atl-Traceid prefix, random per emulator
}

// New builds an emulator: it loads the seed, restores state from
// o.StatePath when it exists (or mints fresh credentials), and prepares the
// routes. It does not listen; serve it with net/http and call SetBaseURL.
func New(o Options) (*Emulator, error) {
	seed := o.Seed
	if seed == nil {
		seed = DefaultSeed()
	} else if err := seed.check(); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if o.Latency < 0 || o.Jitter < 0 || o.Jitter > o.Latency && o.Latency > 0 {
		return nil, errors.New("latency: Latency and Jitter must be positive, and Jitter no larger than Latency")
	}
	e := &Emulator{
		opts: o, dc: o.DataCenter, seed: seed,
		userByID: map[string]*user{}, userByEmail: map[string]*user{}, userByName: map[string]*user{},
		siteByCloud: map[string]*site{}, siteBySlug: map[string]*site{},
		classic: map[string]*user{}, scoped: map[string]*user{}, pats: map[string]*user{},
		pageSecret: make([]byte, 32),
	}
	rand.Read(e.pageSecret)
	e.fixedHdr = randomHex(8)
	e.start = e.now()
	for i, su := range seed.Users {
		u := &user{SeedUser: su, groups: map[string]bool{}}
		if u.Username == "" {
			u.Username = strings.ToLower(strings.SplitN(u.Email, "@", 2)[0])
		}
		if u.Key == "" {
			u.Key = fmt.Sprintf("JIRAUSER%d", 10000+i)
		}
		if u.AccountType == "" {
			u.AccountType = "atlassian"
		}
		if u.TimeZone == "" {
			u.TimeZone = "UTC"
		}
		if u.Locale == "" {
			u.Locale = "en_US"
		}
		if len(u.ScopedScopes) == 0 {
			u.ScopedScopes = []string{"read:jira-work", "write:jira-work", "read:jira-user"}
		}
		for _, g := range su.Groups {
			u.groups[g] = true
		}
		u.avatar = initials(u.DisplayName)
		e.users = append(e.users, u)
		e.userByID[u.AccountID] = u
		e.userByEmail[strings.ToLower(u.Email)] = u
		e.userByName[strings.ToLower(u.Username)] = u
	}
	for i, ss := range seed.Sites {
		s := newSite(ss, i)
		e.sites = append(e.sites, s)
		e.siteByCloud[s.cloudID] = s
		if i > 0 {
			e.siteBySlug[s.slug] = s
		}
	}
	restored, err := e.loadState()
	if err != nil {
		return nil, err
	}
	if !restored {
		e.mintCredentials()
		for i, s := range e.sites {
			s.seedIssues(seed.Sites[i], e.start)
		}
	}
	e.limits = newLimiter(o.RateLimit)
	for _, f := range o.Faults {
		e.faults.add(f)
	}
	e.auth = authserver.New(authserver.Options{
		Users:          e.authUsers,
		Sites:          e.authSites,
		Clients:        e.authClients(),
		Clock:          e.now,
		AccessTokenTTL: o.AccessTokenTTL,
	})
	e.routes()
	if o.StatePath != "" {
		e.persist = newPersister(e)
		if !restored {
			if err := e.Save(); err != nil {
				return nil, err
			}
		}
	}
	return e, nil
}

// now is the emulator's clock.
func (e *Emulator) now() time.Time {
	if e.opts.Clock != nil {
		return e.opts.Clock()
	}
	return time.Now().Add(time.Duration(e.clockOffset.Load()))
}

// SetBaseURL records the URL the emulator is served at (no trailing
// slash); self links and site URLs use it. Call it once listening.
func (e *Emulator) SetBaseURL(u string) {
	u = strings.TrimRight(u, "/")
	e.baseURL.Store(&u)
	e.credMu.Lock()
	e.creds.BaseURL = u
	for i, s := range e.sites {
		e.creds.Sites[i].URL = u + s.prefix()
	}
	e.credMu.Unlock()
}

// Credentials returns the sandbox's credentials (with full secrets: they
// are its own throwaway ones).
func (e *Emulator) Credentials() Credentials {
	e.credMu.RLock()
	defer e.credMu.RUnlock()
	c := e.creds
	c.Sites = append([]SiteInfo(nil), c.Sites...)
	c.Users = append([]UserInfo(nil), c.Users...)
	c.OAuth = append([]OAuthClientInfo(nil), c.OAuth...)
	return c
}

// Auth returns the OAuth authorization server the emulator composes.
func (e *Emulator) Auth() *authserver.Server { return e.auth }

// Requests returns request counts by "METHOD /path/pattern" (the pattern of
// the Jira operation, without the gateway or site prefix) since start or
// the last ResetRequests.
func (e *Emulator) Requests() map[string]int { return e.counts.snapshot() }

// ResetRequests sets every request count back to zero.
func (e *Emulator) ResetRequests() { e.counts.reset() }

// Close saves the state (when StatePath is set) and stops background work.
func (e *Emulator) Close() error {
	if e.persist == nil {
		return nil
	}
	return e.persist.close()
}

// prefix is the path under which a site is served on the listener.
func (s *site) prefix() string {
	if s.index == 0 {
		return ""
	}
	return "/sites/" + s.slug
}

func (e *Emulator) mintCredentials() {
	e.creds.Users = nil
	for _, u := range e.users {
		info := UserInfo{
			AccountID: u.AccountID, Email: u.Email, DisplayName: u.DisplayName, Username: u.Username,
			ClassicToken: mintAPIToken(), ScopedToken: mintAPIToken(),
			ScopedScopes: append([]string(nil), u.ScopedScopes...), PAT: mintPAT(),
		}
		e.creds.Users = append(e.creds.Users, info)
	}
	e.creds.OAuth = nil
	for _, a := range e.seed.OAuthApps {
		e.creds.OAuth = append(e.creds.OAuth, OAuthClientInfo{
			ClientID: randomString(alnum, 32), ClientSecret: randomString(b64url, 64),
			Name: a.Name, RedirectURIs: append([]string(nil), a.RedirectURIs...),
		})
	}
	e.indexCredentials()
}

// indexCredentials rebuilds the token lookups and site list from e.creds.
func (e *Emulator) indexCredentials() {
	clear(e.classic)
	clear(e.scoped)
	clear(e.pats)
	for _, info := range e.creds.Users {
		u := e.userByID[info.AccountID]
		if u == nil {
			continue
		}
		e.classic[info.ClassicToken] = u
		e.scoped[info.ScopedToken] = u
		e.pats[info.PAT] = u
	}
	e.creds.Sites = nil
	for _, s := range e.sites {
		e.creds.Sites = append(e.creds.Sites, SiteInfo{CloudID: s.cloudID, Name: s.name})
	}
}

func (e *Emulator) authUsers() []authserver.User {
	out := make([]authserver.User, 0, len(e.users))
	for _, u := range e.users {
		if u.Inactive {
			continue
		}
		out = append(out, authserver.User{
			AccountID: u.AccountID, Email: u.Email, Name: u.DisplayName, Nickname: u.Username,
			Picture: avatarURL(u, 48), ZoneInfo: u.TimeZone, Locale: strings.ReplaceAll(u.Locale, "_", "-"),
		})
	}
	return out
}

func (e *Emulator) authSites() []authserver.Site {
	base := e.base()
	out := make([]authserver.Site, 0, len(e.sites))
	for _, s := range e.sites {
		out = append(out, authserver.Site{CloudID: s.cloudID, Name: s.name, URL: base + s.prefix(),
			AvatarURL: "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png"})
	}
	return out
}

func (e *Emulator) authClients() []authserver.Client {
	var out []authserver.Client
	for i, a := range e.seed.OAuthApps {
		c := e.creds.OAuth[i]
		out = append(out, authserver.Client{ID: c.ClientID, Secret: c.ClientSecret, Name: a.Name,
			RedirectURIs: a.RedirectURIs, Scopes: a.Scopes, LoopbackAnyPort: a.LoopbackAnyPort})
	}
	return out
}

// base is the listener URL set by SetBaseURL, or a placeholder before.
func (e *Emulator) base() string {
	if p := e.baseURL.Load(); p != nil {
		return *p
	}
	return "http://127.0.0.1"
}

func initials(name string) string {
	var b strings.Builder
	for _, f := range strings.Fields(name) {
		b.WriteString(strings.ToUpper(f[:1]))
		if b.Len() == 2 {
			break
		}
	}
	return b.String()
}
