// Package jira is ticket-mate's REST client for Jira Cloud (v3, on the site
// host or through the Atlassian API gateway) and Jira Data Center (v2). It
// owns the wire: URLs, headers, authentication, Atlassian's error bodies,
// retries and Retry-After, and the rule that credentials stay on the origin
// they were configured for (redirects are followed only within it). It
// imports only the standard library and the domain package tm; it never
// prints, exits or reads the environment — it reports what people should
// know through an injected Notifier.
package jira

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ticket-mate/tm"
)

// Client talks to one Jira instance. It is safe for concurrent use.
type Client struct {
	hc         *http.Client
	auth       Auth
	site       string // the site URL, for browse links and tenant_info
	apiVersion string // "3" (Cloud) or "2" (Data Center)
	dataCenter bool
	userAgent  string
	timeout    time.Duration
	policy     RetryPolicy
	notify     func(Notice)
	trace      func(Trace)
	sleep      func(context.Context, time.Duration) error
	jitter     func() float64 // in [0,1)

	mu       sync.Mutex
	base     string // the REST root in use: the site or {APIURL}/ex/jira/{cloudId}
	gateway  bool
	fallback func(context.Context) (string, error)
	fbDone   chan struct{} // closed when the gateway fallback has been decided
	fbErr    error
}

// Option configures a Client.
type Option func(*Client)

// WithSiteURL sets the site URL (https://x.atlassian.net) when baseURL is
// the gateway: browse links and cloud-id discovery use the site.
func WithSiteURL(site string) Option {
	return func(c *Client) { c.site = strings.TrimRight(site, "/") }
}

// WithGateway marks baseURL as the API gateway ({APIURL}/ex/jira/{cloudId}).
func WithGateway() Option { return func(c *Client) { c.gateway = true } }

// WithDataCenter selects Jira Data Center: REST v2, wiki markup, usernames.
func WithDataCenter() Option {
	return func(c *Client) { c.dataCenter, c.apiVersion = true, "2" }
}

// WithGatewayFallback lets the client retry a request that the site refused
// as unauthenticated through the API gateway, as scoped API tokens only work
// there. gateway returns the gateway's REST root ({APIURL}/ex/jira/{cloudId});
// it is called at most once. When the gateway accepts the credentials the
// client stays on it and reports NoticeGateway.
func WithGatewayFallback(gateway func(ctx context.Context) (string, error)) Option {
	return func(c *Client) { c.fallback = gateway }
}

// WithNotifier receives what a person should be told while a call runs
// (rate-limit waits, retries, the gateway fallback).
func WithNotifier(f func(Notice)) Option { return func(c *Client) { c.notify = f } }

// WithTrace receives one Trace per attempt (for --debug).
func WithTrace(f func(Trace)) Option { return func(c *Client) { c.trace = f } }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.policy = p } }

// WithRequestTimeout bounds each attempt (default: none of its own; the
// caller's context bounds the whole call, attempts and waits included).
func WithRequestTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithSleep replaces the wait between attempts (tests).
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// WithUserAgent replaces "ticket-mate/<version>".
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// NewClient returns a client for the REST root baseURL: the site
// (https://x.atlassian.net, https://jira.corp) or the gateway
// (https://api.atlassian.com/ex/jira/{cloudId}, with WithGateway and
// WithSiteURL). httpClient nil means http.DefaultClient.
func NewClient(httpClient *http.Client, baseURL string, auth Auth, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	if auth == nil {
		auth = Anonymous{}
	}
	if f, ok := auth.(fixedAuth); ok {
		// Built once; a missing token is left for Apply to report.
		if h, err := f.header(); err == nil {
			auth = fixedHeader{h}
		}
	}
	c := &Client{
		auth:       auth,
		base:       strings.TrimRight(baseURL, "/"),
		apiVersion: "3",
		userAgent:  "ticket-mate/" + tm.Version,
		policy:     DefaultRetryPolicy(),
		sleep:      sleepCtx,
		jitter:     rand.Float64,
	}
	for _, o := range opts {
		o(c)
	}
	// Credentials go only to the origin they were configured for: a
	// redirect elsewhere (or to http, or one that turns a POST into a GET)
	// is refused whatever the injected client would have done.
	hc := *httpClient
	hc.CheckRedirect = c.checkRedirect
	c.hc = &hc
	if c.site == "" {
		c.site = c.base
	}
	return c
}

// DataCenter reports whether the client speaks Data Center's REST v2.
func (c *Client) DataCenter() bool { return c.dataCenter }

// Endpoint returns the REST root now in use, e.g. https://x.atlassian.net/rest/api/3.
func (c *Client) Endpoint() string {
	base, _ := c.route()
	return base + "/rest/api/" + c.apiVersion
}

// ViaGateway reports whether requests now go through the API gateway.
func (c *Client) ViaGateway() bool {
	_, gw := c.route()
	return gw
}

// SiteURL returns the site URL.
func (c *Client) SiteURL() string { return c.site }

// BrowseURL returns the link people open for an issue: always on the site,
// also when the API call went through the gateway.
func (c *Client) BrowseURL(key string) string { return c.site + "/browse/" + url.PathEscape(key) }

func (c *Client) route() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base, c.gateway
}

// encoded is a request body this package has already written as
// json.Marshal would: do sends it as it is. (json.Marshal of a
// json.RawMessage would check and compact it all again.)
type encoded []byte

// call describes one logical request; do may send it several times.
type call struct {
	method string
	path   string // under the REST root ("myself"), or absolute from the base host when it starts with "/"
	query  url.Values
	// rawQuery, when set, is the query already encoded: a listing's many
	// pages differ in one number, and spare building a map for each.
	rawQuery string
	body     any
	site     bool // send to the site host whatever the route (tenant_info)
	noAuth   bool
	read     bool // a POST that only reads (search): safe to repeat like a GET
}

// Trace is one hop of one attempt of a request, for --debug: a redirect
// that was followed (Location set), or the attempt's final answer. It never
// holds headers.
type Trace struct {
	Method   string
	URL      string
	Status   int // 0 when no response arrived
	Duration time.Duration
	Attempt  int    // 1 for the first try
	Location string // the redirect followed from URL, if this hop was one
	Err      error
}

// NoticeKind says what a Notice is about.
type NoticeKind int

const (
	// NoticeRateLimited: Jira asked to slow down; the client waits Wait.
	NoticeRateLimited NoticeKind = iota + 1
	// NoticeRetry: a transient failure; the client retries after Wait.
	NoticeRetry
	// NoticeGateway: the site refused the token, the gateway accepted it —
	// it is a scoped token; GatewayURL and CloudID say where it works.
	NoticeGateway
	// NoticeLookup: a create got no clear answer; the client looks for the
	// issue instead of sending the create again.
	NoticeLookup
)

// Notice is something a person should hear while a call runs.
type Notice struct {
	Kind       NoticeKind
	Method     string
	URL        string
	Status     int
	Wait       time.Duration
	Attempt    int
	Reason     string // RateLimit-Reason, or the transient error
	GatewayURL string
}

// do sends the call and decodes a 2xx JSON body into out (when non-nil).
// ctx bounds everything, every attempt and every wait included: a wait that
// would outlast ctx's deadline is not started.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	var payload []byte
	switch b := cl.body.(type) {
	case nil:
	case encoded:
		payload = b
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			return fmt.Errorf("jira: encoding %s %s: %w", cl.method, cl.path, err)
		}
	}
	idempotent := cl.method == http.MethodGet || cl.method == http.MethodHead || cl.read
	var waited time.Duration
	triedGateway := false
	for attempt := 1; ; attempt++ {
		base, gw := c.route()
		if cl.site {
			base, gw = c.site, false
		}
		u := c.url(base, cl)
		body, jerr := c.attempt(ctx, cl, u, gw, payload, attempt, idempotent)
		if jerr == nil {
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				releaseBody(body)
				return nil
			}
			if err := decodeBody(body, out); err != nil {
				// A whole body that is not the JSON expected comes back
				// the same on a retry.
				jerr = &Error{Method: cl.method, URL: u, StatusCode: http.StatusOK, Gateway: gw,
					Err: fmt.Errorf("reading the response: %w", err), Uncertain: !idempotent, permanent: true}
				if !idempotent {
					return jerr
				}
			} else {
				releaseBody(body)
				return nil
			}
		}
		jerr.Waited = waited
		if ctx.Err() != nil {
			return jerr
		}

		// A token refused by the site may be a scoped token, which works
		// only through the gateway: try there once.
		if jerr.AuthFailed() && !gw && !cl.site && !triedGateway && c.fallback != nil {
			triedGateway = true
			if c.switchToGateway(ctx) {
				attempt--
				continue
			}
			var fe *Error
			if errors.As(c.GatewayFallbackErr(), &fe) {
				jerr.Fallback = fe
			}
		}

		wait, retry := c.retryAfter(jerr, attempt, idempotent)
		if jerr.RateLimited() {
			rateLimited(ctx, wait)
		}
		if !retry {
			return jerr
		}
		if waited+wait > c.policy.MaxWait || !fitsDeadline(ctx, wait) {
			jerr.NotWaited = true
			return jerr
		}
		kind := NoticeRetry
		reason := ""
		if jerr.RateLimited() {
			kind, reason = NoticeRateLimited, jerr.RateLimitReason
		} else if jerr.Err != nil {
			reason = jerr.Err.Error()
		}
		c.emit(Notice{Kind: kind, Method: cl.method, URL: u, Status: jerr.StatusCode, Wait: wait, Attempt: attempt, Reason: reason})
		if err := c.sleep(ctx, wait); err != nil {
			return jerr
		}
		waited += wait
	}
}

// fitsDeadline reports whether waiting d still leaves ctx time to send.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// hopKey carries an attempt's hop clock to checkRedirect through the
// request's context, so every redirect followed is traced with its timing.
type hopKey struct{}

type hopClock struct {
	attempt int
	start   time.Time
}

// checkRedirect follows a redirect only within the request's origin (see
// tm.FollowSameOrigin) and traces each hop it follows.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if err := tm.FollowSameOrigin(req, via); err != nil {
		return err
	}
	hop, _ := req.Context().Value(hopKey{}).(*hopClock)
	if c.trace != nil && hop != nil && req.Response != nil && req.Response.Request != nil {
		prev := req.Response.Request
		now := time.Now()
		c.trace(Trace{Method: prev.Method, URL: tm.Redacted(prev.URL), Status: req.Response.StatusCode,
			Duration: now.Sub(hop.start), Attempt: hop.attempt, Location: tm.Redacted(req.URL)})
		hop.start = now
	}
	return nil
}

// attempt sends the request once. It returns the body of a 2xx response,
// or the error.
func (c *Client) attempt(ctx context.Context, cl call, u string, gw bool, payload []byte, attempt int, idempotent bool) ([]byte, *Error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	start := time.Now()
	hop := &hopClock{attempt: attempt, start: start}
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(context.WithValue(ctx, hopKey{}, hop), &httptrace.ClientTrace{
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				connected.Store(true)
			}
		},
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	status := 0
	traceURL := u
	var err error
	defer func() {
		if c.trace != nil {
			c.trace(Trace{Method: cl.method, URL: traceURL, Status: status, Duration: time.Since(hop.start), Attempt: attempt, Err: err})
		}
	}()
	fail := func(e *Error) ([]byte, *Error) {
		e.Method, e.URL, e.Gateway = cl.method, u, gw
		err = e.Err
		if e.HTML {
			err = errors.New(e.htmlText())
		}
		return nil, e
	}

	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, rd)
	if err != nil {
		return fail(&Error{Err: err, permanent: true})
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !cl.noAuth {
		if aerr := c.auth.Apply(ctx, req); aerr != nil {
			return fail(&Error{Err: fmt.Errorf("credentials: %w", aerr), permanent: true})
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		te := transportError(err, req.URL, connected.Load(), time.Since(start), idempotent)
		var re *tm.RedirectError
		if errors.As(te.Err, &re) {
			status, traceURL = re.Status, re.From
		}
		return fail(te)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	if resp.Request != nil {
		traceURL = tm.Redacted(resp.Request.URL)
	}

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		body, rerr := readBody(resp)
		switch {
		case rerr != nil:
			return fail(&Error{StatusCode: resp.StatusCode, Err: fmt.Errorf("reading the response: %w", rerr), Uncertain: !idempotent})
		case len(body) > maxBody:
			// The same request gets the same oversized answer.
			return fail(&Error{StatusCode: resp.StatusCode, Err: fmt.Errorf("response larger than %d MiB", maxBody>>20), permanent: true})
		}
		if lr := loginFailure(resp.Header); lr != "" {
			return fail(&Error{StatusCode: resp.StatusCode, LoginReason: lr})
		}
		if isHTML(resp.Header.Get("Content-Type"), body) {
			// A sign-in page or a proxy's page answers the same way again.
			return fail(&Error{StatusCode: resp.StatusCode, HTML: true, HTMLTitle: htmlTitle(body), permanent: true})
		}
		return body, nil
	}

	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{StatusCode: resp.StatusCode, LoginReason: loginFailure(resp.Header)}
	e.parseBody(resp.Header.Get("Content-Type"), body)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if e.RetryAfter > 0 {
			e.RetryAt = time.Now().Add(e.RetryAfter)
		}
		e.RateLimitReason = resp.Header.Get("RateLimit-Reason")
	}
	if resp.StatusCode >= 500 && !idempotent {
		e.Uncertain = true
	}
	return fail(e)
}

// readBody reads a 2xx body, at most maxBody+1 bytes of it. When the
// length is announced the buffer is allocated once at that size: growing
// it from 512 bytes costs a large listing a copy of every page many times.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		buf := bodyBuffer(int(n))
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
}

// bodies keeps decoded bodies' buffers for the next response: a listing
// reads pages wave after wave, and without it each wave allocates afresh
// while the last one's buffers wait for the collector.
var bodies sync.Pool // *[]byte

// maxPooledBody bounds the buffers kept: a page of projects or issues is
// well under it; a rare large answer is left to the collector.
const maxPooledBody = 1 << 20

func bodyBuffer(n int) []byte {
	if n > maxPooledBody {
		return make([]byte, n)
	}
	if p, _ := bodies.Get().(*[]byte); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	// Room for a page a little larger than this one, so that pages of
	// one listing share buffers.
	return make([]byte, n, min(n+n/4, maxPooledBody))
}

// releaseBody hands a body's buffer back once nothing refers to it: every
// decoder copies what it keeps.
func releaseBody(b []byte) {
	if c := cap(b); c > 0 && c <= maxPooledBody {
		bodies.Put(&b)
	}
}

// transportError classifies a request that got no usable answer: a
// redirect refused, TLS spoken to a plain-HTTP server, a host that cannot
// be reached, or a connection that stalled before or after connecting.
func transportError(err error, u *url.URL, connected bool, after time.Duration, idempotent bool) *Error {
	var re *tm.RedirectError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &re):
		return &Error{StatusCode: re.Status, Err: re, permanent: true}
	case errors.As(err, &rh), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &Error{Err: fmt.Errorf("%s answers in plain HTTP, not TLS: use http://%s in the URL (or the port that serves https)", u.Host, u.Host), permanent: true}
	case unreachable(err):
		return &Error{Err: redactURLError(err), permanent: true}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{Err: &StallError{Connected: connected, After: after, cause: err}, Uncertain: !idempotent && connected, Connected: connected}
	}
	return &Error{Err: redactURLError(err), Uncertain: !idempotent, Connected: connected}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// StallError is a request that ran out of time: before a connection was
// made, or after (the server accepted the request and went quiet).
type StallError struct {
	Connected bool
	After     time.Duration
	cause     error
}

func (e *StallError) Error() string {
	if e.Connected {
		return fmt.Sprintf("connected, then the server stopped answering (no answer after %s)", e.After.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("could not connect (no connection after %s)", e.After.Round(100*time.Millisecond))
}

func (e *StallError) Unwrap() error { return e.cause }

// maxBody bounds a successful response; the largest tm reads (a createmeta
// page with long allowed-value lists) is far below it.
const maxBody = 32 << 20

// loginFailure returns X-Seraph-LoginReason unless it is absent or "OK".
func loginFailure(h http.Header) string {
	lr := h.Get("X-Seraph-LoginReason")
	if lr == "" || strings.EqualFold(lr, "OK") {
		return ""
	}
	return lr
}

func (c *Client) url(base string, cl call) string {
	var u string
	if strings.HasPrefix(cl.path, "/") {
		u = base + cl.path
	} else {
		u = base + "/rest/api/" + c.apiVersion + "/" + cl.path
	}
	switch {
	case cl.rawQuery != "":
		u += "?" + cl.rawQuery
	case len(cl.query) > 0:
		u += "?" + cl.query.Encode()
	}
	return u
}

// switchToGateway decides, once per client, whether the gateway accepts the
// credentials the site refused. It reports whether requests should be
// retried (they now go to the gateway).
func (c *Client) switchToGateway(ctx context.Context) bool {
	c.mu.Lock()
	if c.gateway {
		c.mu.Unlock()
		return true
	}
	if c.fbDone != nil {
		done := c.fbDone
		c.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return false
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.gateway
	}
	c.fbDone = make(chan struct{})
	c.mu.Unlock()

	gwBase, err := c.fallback(ctx)
	var probeErr error
	if err == nil {
		gwBase = strings.TrimRight(gwBase, "/")
		// Probe with /myself: it never answers as anonymous, so a 200 proves
		// the credentials work there.
		probe := &Client{hc: c.hc, auth: c.auth, site: c.site, base: gwBase, gateway: true,
			apiVersion: c.apiVersion, userAgent: c.userAgent, timeout: c.timeout, policy: c.policy,
			trace: c.trace, notify: c.notify, sleep: c.sleep, jitter: c.jitter}
		probeErr = probe.do(ctx, call{method: http.MethodGet, path: "myself"}, nil)
	}
	c.mu.Lock()
	if err == nil && probeErr == nil {
		c.base, c.gateway = gwBase, true
	}
	c.fbErr = errors.Join(err, probeErr)
	close(c.fbDone)
	ok := c.gateway
	c.mu.Unlock()
	if ok {
		c.emit(Notice{Kind: NoticeGateway, GatewayURL: gwBase})
	}
	return ok
}

// GatewayFallbackErr returns why the gateway fallback did not work, if it
// was tried and failed (nil otherwise).
func (c *Client) GatewayFallbackErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fbDone == nil || c.gateway {
		return nil
	}
	return c.fbErr
}

func (c *Client) emit(n Notice) {
	if c.notify != nil {
		c.notify(n)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unreachable reports a failure to reach the host at all — nothing
// listening, no such host, a certificate that does not verify. Those come
// from a wrong URL or network setup, not a blip: retrying only delays the
// advice. Nothing was sent, so the outcome of a POST is not in doubt.
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr) && !dnsErr.IsTemporary ||
		errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr)
}

// redactURLError drops credentials a URL might carry from a transport error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if p, perr := url.Parse(ue.URL); perr == nil && p.User != nil {
			p.User = nil
			return &url.Error{Op: ue.Op, URL: p.String(), Err: ue.Err}
		}
	}
	return err
}
