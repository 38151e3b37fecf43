package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// call is one request to a Jira operation, with everything the handlers
// need to know about where it came in and who sent it.
type call struct {
	e       *Emulator
	w       http.ResponseWriter
	r       *http.Request
	site    *site
	gateway bool
	prefix  string // path prefix the request came in under ("", /sites/x, /ex/jira/id)
	// fullPath is the path as sent, prefix included: faults match on it.
	fullPath string
	ver      string // "3" or "2" (latest is 2)
	who      *user  // nil: anonymous
	failed   bool   // credentials were sent but not accepted
	cred     credKind
	route    *route
	hdrDone  bool
	// rendered is the last JSON body sent, for handlers that cache it.
	rendered []byte
	query    url.Values // parsed on first use (params)
	// fixedParts is the site's renderings for this origin (fixedView).
	fixedParts *sync.Map
	fixedDone  bool
	// keyMarkers: the query being run asks for watchedIssues() or
	// issueHistory(), so issue keys carry those markers.
	keyMarkers bool
}

type callKey struct{}

// v3 reports whether the request speaks REST v3 (ADF).
func (c *call) v3() bool { return c.ver == "3" }

// self is the URL prefix for self links: the host the request came in on.
func (c *call) self() string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + c.prefix
}

// api is the self-link prefix of this REST version.
func (c *call) api() string { return c.self() + "/rest/api/" + c.ver }

// siteURL is the site's browse URL (serverInfo.baseUrl): never the gateway.
func (c *call) siteURL() string {
	if p := c.e.baseURL.Load(); p != nil {
		return *p + c.site.prefix()
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + c.site.prefix()
}

// ServeHTTP plays every host on one listener: the admin API, the OAuth
// server, the gateway, and the sites.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, adminPrefix) {
		e.serveAdmin(w, r)
		return
	}
	switch {
	case path == "/authorize" || path == "/oauth/token" || path == "/oauth/token/accessible-resources" || path == "/me":
		e.counts.add(r.Method + " " + path)
		if !e.inject(w, r, path) {
			return
		}
		if e.dc {
			http.NotFound(w, r)
			return
		}
		e.auth.ServeHTTP(w, r)
	case strings.HasPrefix(path, "/ex/jira/"):
		rest := path[len("/ex/jira/"):]
		cloudID, tail, _ := strings.Cut(rest, "/")
		s := e.siteByCloud[cloudID]
		if e.dc || s == nil {
			e.counts.add(r.Method + " /ex/jira/{cloudId}")
			writeErrors(w, http.StatusNotFound, []string{"No Jira site is available for cloud id '" + cloudID + "'."}, nil)
			return
		}
		e.serveSite(w, r, s, "/ex/jira/"+cloudID, "/"+tail, true)
	case strings.HasPrefix(path, "/sites/"):
		slug, tail, _ := strings.Cut(path[len("/sites/"):], "/")
		s := e.siteBySlug[slug]
		if e.dc || s == nil {
			e.counts.add(r.Method + " /sites/{slug}")
			http.NotFound(w, r)
			return
		}
		e.serveSite(w, r, s, "/sites/"+slug, "/"+tail, false)
	default:
		e.serveSite(w, r, e.sites[0], "", path, false)
	}
}

// serveSite routes a request for site s whose path below the prefix is tail.
func (e *Emulator) serveSite(w http.ResponseWriter, r *http.Request, s *site, prefix, tail string, gateway bool) {
	c := &call{e: e, w: w, site: s, gateway: gateway, prefix: prefix, fullPath: r.URL.Path}
	r2 := r.WithContext(context.WithValue(r.Context(), callKey{}, c))
	u := *r.URL
	u.Path, u.RawPath = tail, ""
	r2.URL = &u
	c.r = r2
	if gateway && !strings.HasPrefix(tail, "/rest/api/") && !strings.HasPrefix(tail, "/rest/agile/") {
		e.counts.add(r.Method + " /ex/jira/{cloudId}")
		if !e.inject(w, r, r.URL.Path) {
			return
		}
		writeErrors(w, http.StatusNotFound, []string{"The gateway only serves the REST APIs under /rest/api/ and /rest/agile/."}, nil)
		return
	}
	e.mux.ServeHTTP(w, r2)
}

// route is one registered operation.
type route struct {
	pattern  string // as registered, e.g. "GET /rest/api/3/issue/{issueIdOrKey}"
	scopeKey string // the OpenAPI operation it stands for (v3 path)
	ver      string
	flags    routeFlag
	h        func(*call)
	count    *counterCell
}

type routeFlag uint8

const (
	anon       routeFlag = 1 << iota // anonymous callers are served (as anonymous)
	authText                         // anonymous → 401 text/plain (myself)
	userSearch                       // spends the user-search bucket
	v3Only                           // not served on REST v2
	v2Only                           // not served on REST v3
	cloudOnly                        // not served in Data Center mode
	dcOnly                           // served only in Data Center mode
	siteOnly                         // not served through the gateway
)

// op registers a REST operation for every API version the mode serves.
// path is the v3 OpenAPI path with "{v}" for the version.
func (e *Emulator) op(method, path string, flags routeFlag, h func(*call)) {
	vers := []string{"3", "2", "latest"}
	if e.dc {
		if flags&cloudOnly != 0 {
			return
		}
		vers = []string{"2", "latest"}
	} else if flags&dcOnly != 0 {
		return
	}
	for _, v := range vers {
		if (flags&v3Only != 0 && v != "3") || (flags&v2Only != 0 && v == "3") {
			continue
		}
		pattern := method + " " + strings.Replace(path, "{v}", v, 1)
		rt := &route{pattern: pattern, scopeKey: method + " " + strings.Replace(path, "{v}", "3", 1),
			ver: v, flags: flags, h: h, count: e.counts.cell(pattern)}
		if v == "latest" {
			rt.ver = "2"
		}
		e.mux.Handle(pattern, rt)
	}
}

// ServeHTTP runs the shared part of every operation: count, authenticate,
// check scopes and rate limits, set Atlassian's headers, then the handler.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := r.Context().Value(callKey{}).(*call)
	c.r, c.route, c.ver = r, rt, rt.ver
	rt.count.n.Add(1)
	if !c.e.inject(w, r, c.fullPath) {
		return
	}
	if rt.flags&siteOnly != 0 && c.gateway {
		writeErrors(w, http.StatusNotFound, []string{"This resource is not available through the gateway."}, nil)
		return
	}
	if !c.e.authenticate(c) {
		return
	}
	if !c.e.limits.allow(c) {
		return
	}
	if !c.acceptsBody() {
		return
	}
	c.headers()
	rt.h(c)
}

// headers sets the identity and tracing headers Atlassian sends.
func (c *call) headers() {
	if c.hdrDone {
		return
	}
	c.hdrDone = true
	h := c.w.Header()
	n := c.e.reqSeq.Add(1)
	seq := strconv.FormatUint(n, 16)
	h.Set("X-Arequestid", seq)
	h.Set("Atl-Traceid", c.e.fixedHdr+leftPad(seq, 16))
	if c.e.dc {
		name := "anonymous"
		if c.who != nil {
			name = c.who.Username
			h.Set("X-Seraph-Loginreason", "OK")
		}
		h.Set("X-Ausername", name)
		h.Set("X-Asessionid", seq)
	} else {
		h.Set("Server", "AtlassianEdge")
		if c.who != nil {
			h.Set("X-Aaccountid", urlQueryEscape(c.who.AccountID))
		}
	}
	if c.failed {
		h.Set("X-Seraph-Loginreason", "AUTHENTICATED_FAILED")
	}
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

func urlQueryEscape(s string) string { return queryEscaper.Replace(s) }

// queryEscaper is built once: every Cloud answer to a signed-in caller
// escapes an account id with it.
var queryEscaper = strings.NewReplacer(":", "%3A", "/", "%2F", " ", "%20")

// json sends v with status and returns the body sent (see writeJSON).
func (c *call) json(status int, v any) []byte {
	c.headers()
	return writeJSON(c.w, status, v)
}

// writeJSON sends v as Jira does: no HTML escaping of <, > and &. It
// returns the body sent, or nil when that was assembled from kept
// renderings (see rendercache.go) in a buffer that is used again.
func writeJSON(w http.ResponseWriter, status int, v any) []byte {
	if o, ok := v.(obj); ok && writeAssembled(w, status, o) {
		return nil
	}
	b, err := encodeBody(v)
	if err != nil {
		http.Error(w, "emulator: "+err.Error(), http.StatusInternalServerError)
		return nil
	}
	writeRaw(w, status, b)
	return b
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// errorCollection is Jira's standard error body.
type errorCollection struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func writeErrors(w http.ResponseWriter, status int, msgs []string, fields map[string]string) {
	writeJSON(w, status, newErrors(msgs, fields))
}

func newErrors(msgs []string, fields map[string]string) errorCollection {
	if msgs == nil {
		msgs = []string{}
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return errorCollection{ErrorMessages: msgs, Errors: fields}
}

// fail sends an ErrorCollection with messages.
func (c *call) fail(status int, msgs ...string) {
	c.headers()
	writeErrors(c.w, status, msgs, nil)
}

// failFields sends an ErrorCollection with field errors.
func (c *call) failFields(status int, fields map[string]string) {
	c.headers()
	writeErrors(c.w, status, nil, fields)
}

func (c *call) noContent() {
	c.headers()
	c.w.WriteHeader(http.StatusNoContent)
}

// decode reads a JSON body into v; on failure it answers 400 as Jira does
// and returns false.
func (c *call) decode(v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, 10<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if err.Error() == "EOF" {
			c.fail(http.StatusBadRequest, "No content to map to Object due to end of input")
			return false
		}
		c.fail(http.StatusBadRequest, "Unexpected character or malformed JSON in the request body: "+err.Error())
		return false
	}
	return true
}

// params is the query string, parsed once per request: a handler reads
// it parameter by parameter. It is shared: copy it to change it.
func (c *call) params() url.Values {
	if c.query == nil {
		c.query = c.r.URL.Query()
	}
	return c.query
}

// query helpers.
func (c *call) q(name string) string { return c.params().Get(name) }

// intParam reads an integer query parameter with a default; it answers 400
// and returns false when the value is not a number.
func (c *call) intParam(name string, def int) (int, bool) {
	v := c.params().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.fail(http.StatusBadRequest, "The value '"+v+"' is invalid for the parameter '"+name+"'. It must be a number.")
		return 0, false
	}
	return n, true
}

// paging reads startAt and maxResults (default defMax); negative values
// answer 400.
func (c *call) paging(defMax int) (startAt, maxResults int, ok bool) {
	if startAt, ok = c.intParam("startAt", 0); !ok {
		return 0, 0, false
	}
	if maxResults, ok = c.intParam("maxResults", defMax); !ok {
		return 0, 0, false
	}
	if startAt < 0 || maxResults < 0 {
		c.fail(http.StatusBadRequest, "The startAt and maxResults parameters must not be negative.")
		return 0, 0, false
	}
	return startAt, maxResults, true
}

// listParam splits comma lists and repeated parameters into one list.
func (c *call) listParam(name string) []string {
	var out []string
	for _, v := range c.params()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
