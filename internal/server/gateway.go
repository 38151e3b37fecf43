package server

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/jira"
)

// The Jira gateway lets a signed-in device (tm login --server) reach Jira
// as its person without holding any Atlassian secret: a request to
// /gateway/{cloudId}/rest/... goes to {APIURL}/ex/jira/{cloudId}/rest/...
// with the person's OAuth access token, refreshed here under the grant lock.

// maxGatewayBody bounds a forwarded request body; it is held in memory so
// that a request refused for an expired token can be sent again.
const maxGatewayBody = 10 << 20

// jiraRESTPrefixes are the only paths forwarded: Jira's platform and agile
// REST APIs.
var jiraRESTPrefixes = []string{"/rest/api/2/", "/rest/api/3/", "/rest/api/latest/", "/rest/agile/1.0/"}

// readPOSTs are POSTs that only read, allowed with a read-scoped token.
var readPOSTs = []string{"/search", "/search/jql", "/search/approximate-count", "/issue/bulkfetch", "/jql/parse",
	"/expression/eval", "/expression/evaluate", "/user/bulk"}

// Headers passed on each way. Everything else stays behind: the caller's
// cookies and token never reach Jira, and nothing Jira sets beyond these
// (cookies among it) reaches the caller.
var (
	forwardRequestHeaders = []string{"Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match",
		"If-Modified-Since", "X-Atlassian-Token", "X-Force-Accept-Language", "X-ExperimentalApi"}
	forwardResponseHeaders = []string{"Content-Type", "Content-Language", "ETag", "Last-Modified", "Retry-After",
		"RateLimit-Reason", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-NearLimit",
		"Beta-Retry-After", "X-AREQUESTID", "Warning", "Deprecation", "Sunset"}
)

// jiraPath returns the REST path of a gateway request and whether it is
// one the gateway forwards.
func jiraPath(escaped, cloudID string) (string, bool) {
	p, ok := strings.CutPrefix(escaped, "/gateway/"+url.PathEscape(cloudID))
	if !ok || !slices.ContainsFunc(jiraRESTPrefixes, func(pre string) bool { return strings.HasPrefix(p, pre) }) {
		return "", false
	}
	dec, err := url.PathUnescape(p)
	if err != nil || strings.Contains(dec, "//") || strings.Contains(dec, "\\") {
		return "", false
	}
	for _, seg := range strings.Split(dec, "/") {
		if seg == ".." || seg == "." {
			return "", false
		}
	}
	return p, true
}

// isWrite reports whether a request changes something in Jira.
func isWrite(method, path string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	case http.MethodPost:
		for _, pre := range jiraRESTPrefixes {
			if rest, ok := strings.CutPrefix(path, strings.TrimSuffix(pre, "/")); ok && slices.Contains(readPOSTs, rest) {
				return false
			}
		}
	}
	return true
}

// jiraRefusal answers as Jira does ({"errorMessages": […]}), so the
// caller's Jira client reports the message.
func jiraRefusal(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
}

// gateway forwards one Jira REST request for the token's person.
func (s *Server) gateway(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tok, err := s.bearerToken(r)
	if err != nil {
		s.refuseToken(w, r, err)
		return
	}
	uid := tok.UserID
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
		// Every attempt to change something is audited, refused ones too.
		sw := &statusWriter{ResponseWriter: w}
		w = sw
		defer func() {
			path, ok := jiraPath(r.URL.EscapedPath(), r.PathValue("cloudId"))
			if !ok {
				path = r.URL.EscapedPath()
			}
			if !ok || isWrite(r.Method, path) {
				s.log.InfoContext(ctx, "gateway write", "user", uid, "token", tok.ID, "method", r.Method, "path", path, "status", sw.status)
			}
		}()
	}
	if ok, wait := s.dev.limits.allow(uid); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		w.Header().Set("RateLimit-Reason", "ticket-mate-gateway-user-limit")
		jiraRefusal(w, http.StatusTooManyRequests, "Too many requests through ticket-mate for your account; retry after the time in Retry-After.")
		return
	}
	cloudID := r.PathValue("cloudId")
	path, ok := jiraPath(r.URL.EscapedPath(), cloudID)
	if !ok {
		jiraRefusal(w, http.StatusNotFound, "The ticket-mate gateway forwards only Jira REST paths (/rest/api/2|3/…, /rest/agile/1.0/…).")
		return
	}
	write := isWrite(r.Method, path)
	if write && !tok.CanWrite() {
		jiraRefusal(w, http.StatusForbidden, "This ticket-mate token is read-only. To change things in Jira, sign in with write access: tm login --server "+s.dev.base(r))
		return
	}
	g, err := s.store.GetGrant(ctx, uid)
	if tm.ErrorCode(err) == tm.ENOTFOUND || err == nil && g.Lost {
		s.reconnectJira(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.store.Sites(ctx, uid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !slices.ContainsFunc(sites, func(st tm.Site) bool { return st.CloudID == cloudID }) {
		// Another person's site looks exactly like one that does not exist.
		jiraRefusal(w, http.StatusNotFound, "Your Jira connection on ticket-mate does not reach the site "+clip(cloudID, 40)+"; choose one of yours on the dashboard.")
		return
	}
	s.forward(w, r, uid, g, jira.GatewayURL(s.apiURL, cloudID)+path)
}

// forward sends the request on with the person's access token and copies
// the answer back; it returns the status sent.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, uid string, g *tm.Grant, target string) int {
	ctx := r.Context()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxGatewayBody+1))
	if err != nil {
		jiraRefusal(w, http.StatusBadRequest, "The request body could not be read.")
		return http.StatusBadRequest
	}
	if len(body) > maxGatewayBody {
		jiraRefusal(w, http.StatusRequestEntityTooLarge, "The request body is larger than the gateway forwards (10 MiB).")
		return http.StatusRequestEntityTooLarge
	}
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(body))
	if err != nil {
		jiraRefusal(w, http.StatusBadRequest, "The request could not be forwarded.")
		return http.StatusBadRequest
	}
	if len(body) == 0 {
		out.Body, out.GetBody = http.NoBody, nil
	}
	for _, h := range forwardRequestHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			out.Header[h] = v
		}
	}
	out.Header.Set("User-Agent", "ticket-mate-gateway/"+tm.Version)
	tr := &atlassian.Transport{Tokens: s.tokens, UserID: uid, Base: s.transport, Grant: g}
	hc := &http.Client{Transport: tr, Timeout: s.timeout,
		// A redirect would lead the caller off the gateway: hand it on unfollowed, without its target.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(out)
	if err != nil {
		if atlassian.IsReconnect(err) {
			s.reconnectJira(w, r)
			return http.StatusUnauthorized
		}
		s.log.WarnContext(ctx, "gateway: Jira unreachable", "user", uid, "error", err.Error())
		jiraRefusal(w, http.StatusBadGateway, "Jira could not be reached through ticket-mate; try again in a minute.")
		return http.StatusBadGateway
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && !atlassian.ScopeMismatch(resp) {
		// The transport has already refreshed and retried: Atlassian refuses
		// the person's connection, which only they can renew, in the browser.
		// The caller's own token was fine.
		s.reconnectJira(w, r)
		return http.StatusUnauthorized
	}
	for _, h := range forwardResponseHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			w.Header()[h] = v
		}
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil && !errors.Is(err, ctx.Err()) {
		s.log.WarnContext(ctx, "gateway: copying Jira's answer failed", "user", uid, "error", err.Error())
	}
	return resp.StatusCode
}

// reconnectJira says the person's own Jira connection on the server is
// gone: only they can renew it, in the browser.
func (s *Server) reconnectJira(w http.ResponseWriter, r *http.Request) {
	oauthError(w, http.StatusUnauthorized, "jira_reconnect",
		"your Jira connection on ticket-mate has expired or was revoked: open "+s.dev.base(r)+"/ and Connect Jira, then run the command again")
}

// rateLimiter is a token bucket per user: rate requests a second, up to
// burst at once. It is per process; several replicas each allow as much.
type rateLimiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory; full buckets are forgotten first.
const maxBuckets = 10000

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket, or says how long until one is there.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// prune forgets buckets that have refilled: they hold nothing to remember.
func (l *rateLimiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// gatewayRoute is route for the gateway, whose bodies may be larger than
// a form's (forward bounds them).
func gatewayRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(routeKey).(*routeInfo); ok {
			ri.pattern = r.Pattern
		}
		h(w, r)
	})
}
