// Package server owns "tm serve": the HTTP routes of the team dashboard and
// its JSON API, browser sessions, the Atlassian OAuth 2.0 (3LO) sign-in, the
// HTML templates (embedded) and the Prometheus metrics; and, for terminals,
// device sign-in (RFC 8628), ticket-mate tokens and the Jira gateway.
//
// It depends on the domain's store interfaces (tm.Store), the OAuth client
// in internal/atlassian and the REST client in internal/jira; the serve
// command chooses the concrete store. Every store call is keyed by the user
// id of the request's session (or of its ticket-mate token), never by an id
// a request names, so one user can never act with another's grant.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/secret"
)

// Options wire a Server.
type Options struct {
	Store tm.Store
	OAuth *atlassian.Client
	// APIURL is the Atlassian API gateway (https://api.atlassian.com); Jira
	// calls go to {APIURL}/ex/jira/{cloudId}.
	APIURL string
	// PublicURL is the URL people open; an https URL makes cookies Secure.
	PublicURL string
	Logger    *slog.Logger // nil: discard
	// Transport carries outbound Jira calls (nil: a pool sized for many
	// users of one gateway);
	// every call is also bounded by JiraTimeout.
	Transport   http.RoundTripper
	JiraTimeout time.Duration // default 30s
	Now         func() time.Time
	// DefaultProject is the project the create form starts on for someone
	// who has created nothing here yet (when they can see it).
	DefaultProject string
	// Devices tunes device sign-in and the Jira gateway (zero: defaults).
	Devices DeviceOptions
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken tm.Secret
	// MetricsElsewhere drops /metrics from the main handler: it is served
	// on its own address through MetricsHandler.
	MetricsElsewhere bool
	// Ready, when set, is asked by /readyz besides the database (the
	// encryption key against what is stored).
	Ready func(ctx context.Context) error
	// Keys seal what MCP authorization hands out (client ids, codes);
	// nil: assistants cannot sign in by themselves, /mcp still takes tokens.
	Keys *secret.Keyring
}

// Server is the tm serve application. It is an http.Handler.
type Server struct {
	store     tm.Store
	oauth     *atlassian.Client
	tokens    *atlassian.Tokens
	apiURL    string
	log       *slog.Logger
	now       func() time.Time
	sessions  *scs.SessionManager
	metrics   *metrics
	pages     map[string]*template.Template
	assetVer  string
	transport http.RoundTripper
	timeout   time.Duration
	meta      *metaCache
	defProj   string
	dev       *devices
	keys      *secret.Keyring
	handler   http.Handler

	// loginLimit bounds sign-in starts per client address.
	loginLimit *rateLimiter

	hsts         bool
	metricsToken tm.Secret
	metricsAway  bool
	ready        func(ctx context.Context) error
}

// New builds a Server.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.OAuth == nil {
		return nil, errors.New("server: Store and OAuth are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Transport == nil {
		o.Transport = outbound()
	}
	if o.JiraTimeout <= 0 {
		o.JiraTimeout = 30 * time.Second
	}
	s := &Server{
		store:   o.Store,
		oauth:   o.OAuth,
		apiURL:  strings.TrimRight(o.APIURL, "/"),
		log:     o.Logger,
		now:     o.Now,
		metrics: newMetrics(),
		timeout: o.JiraTimeout,
		meta:    newMetaCache(metaTTL, metaMaxEntries, o.Now),
		defProj: strings.ToUpper(strings.TrimSpace(o.DefaultProject)),
		dev:     newDevices(o.Devices, o.PublicURL, o.Now),
		// Ten sign-in starts at once, then one every six seconds.
		loginLimit: newRateLimiter(1.0/6, 10, o.Now),

		hsts:         secureCookies(o.PublicURL),
		metricsToken: o.MetricsToken,
		metricsAway:  o.MetricsElsewhere,
		ready:        o.Ready,
		keys:         o.Keys,
	}
	s.transport = jiraTransport{next: o.Transport, m: s.metrics}
	s.tokens = atlassian.NewTokens(o.OAuth, o.Store, atlassian.Hooks{
		Refreshed:     s.metrics.refreshes.Inc,
		RefreshFailed: func(reason string) { s.metrics.refreshFailures.WithLabelValues(failureReason(reason)).Inc() },
	})
	var err error
	if s.pages, s.assetVer, err = loadTemplates(); err != nil {
		return nil, err
	}
	s.sessions = s.newSessions(o.Store, secureCookies(o.PublicURL))
	s.handler = s.routes()
	return s, nil
}

// outbound is the transport to Jira when none is given. Every user's calls
// go to the one API gateway host, and Go's default keeps only two idle
// connections per host: with 50 people asking at once, most requests paid
// for a new connection (and left one in TIME_WAIT).
func outbound() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	return t
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// secureCookies reports whether the public URL is https.
func secureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && u.Scheme == "https"
}

func failureReason(r string) string {
	switch r {
	case "invalid_grant", "unavailable":
		return r
	}
	return "other"
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, route(f)) }

	h("GET /healthz", s.healthz)
	h("GET /readyz", s.readyz)
	if !s.metricsAway {
		mux.Handle("GET /metrics", route(s.MetricsHandler().ServeHTTP))
	}
	h("GET /static/", s.static)

	h("GET /{$}", s.dashboard)
	h("POST /{$}", s.signedInPage(s.formChange))
	h("POST /tickets", s.keepDraft(s.onceOnly(s.formCreateTicket)))
	h("POST /preview", s.signedInPage(s.formPreview))
	h("GET /issues/{key}", s.signedInPage(s.issuePage))
	h("POST /issues/{key}/comments", s.signedInPage(s.formComment))
	h("POST /issues/{key}/transitions", s.signedInPage(s.formTransition))
	h("POST /issues/{key}/assign", s.signedInPage(s.formAssign))
	h("GET /bulk", s.signedInPage(s.bulkPage))
	h("GET /disconnect", s.signedInPage(s.disconnectPage))
	mux.Handle("POST /bulk", routeLimit(s.signedInPage(s.formBulk), maxBulkBody))
	h("GET /sites/switch", s.signedInPage(s.switchSitePage))
	h("POST /sites/select", s.signedInPage(s.formSelectSite))

	h("GET /api/auth/jira/login", s.login)
	h("GET /api/auth/jira/callback", s.callback)
	h("POST /api/auth/logout", s.logout)
	h("POST /api/auth/jira/disconnect", s.signedInPage(s.disconnect))

	h("GET /api/me", s.api(s.apiMe))
	h("GET /api/sites", s.api(s.apiSites))
	h("POST /api/sites/{cloudId}/select", s.api(s.apiSelectSite))
	h("GET /api/projects", s.api(s.apiProjects))
	h("GET /api/permissions", s.api(s.apiPermissions))
	h("POST /api/tickets", s.api(s.onceOnly(s.apiCreateTicket)))
	h("GET /api/tickets/recent", s.api(s.apiRecentTickets))
	mux.Handle("POST /api/tickets/bulk", routeLimit(s.api(s.apiBulk), maxBulkBody))
	h("GET /api/issues", s.api(s.apiIssues))
	h("GET /api/issues/{key}", s.api(s.apiIssue))
	h("PATCH /api/issues/{key}", s.api(s.apiEdit))
	h("POST /api/issues/{key}/comments", s.api(s.apiComment))
	h("GET /api/issues/{key}/transitions", s.api(s.apiTransitions))
	h("POST /api/issues/{key}/transitions", s.api(s.apiTransition))

	h("POST /api/device/code", s.deviceCode)
	h("POST /api/device/token", s.deviceToken)
	h("POST /api/device/revoke", s.revokeToken)
	h("GET /api/token", s.apiToken)
	h("GET /device", s.devicePage)
	h("POST /device", s.signedInPage(s.deviceDecide))
	h("GET /tokens", s.signedInPage(s.tokensPage))
	h("POST /tokens/{id}/revoke", s.signedInPage(s.revokeOwnToken))
	h("GET /api/tokens", s.api(s.apiTokens))
	mux.Handle("/gateway/{cloudId}/rest/", gatewayRoute(s.gateway))
	mux.Handle(mcpPath, s.mcpHandler())
	s.mcpAuthRoutes(h)

	mux.Handle("/", route(s.notFound))

	// Cross-origin protection refuses state-changing requests a browser
	// sends from another origin (Sec-Fetch-Site, Origin), so no form on
	// another site can post here; SameSite=Lax cookies back it up.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &tm.Error{Code: tm.EFORBIDDEN, Message: "cross-origin request refused"})
	}))
	return s.observe(securityHeaders(s.hsts, cop.Handler(withReadAhead(s.sessions.LoadAndSave(s.idleSessions(mux))))))
}

// MetricsHandler serves the Prometheus metrics, behind MetricsToken when
// one is set. The serve command mounts it on the main address or its own.
func (s *Server) MetricsHandler() http.Handler {
	h := s.metrics.handler()
	if s.metricsToken.IsZero() {
		return h
	}
	want := []byte("Bearer " + s.metricsToken.Reveal())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token set in TM_METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
		return
	}
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			s.log.WarnContext(ctx, "readiness: "+err.Error())
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, &tm.Error{Code: tm.ENOTFOUND, Message: "no such page"})
}
