package authserver

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are parsed on first use, not at package initialisation, which every
// tm command pays.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(templateFS, "templates/*.html"))
})

// consentForm is an authorize request that passed validation and waits for
// the person's decision. Its nonce is the CSRF token of the consent form:
// single use, so a replayed or forged POST finds nothing.
type consentForm struct {
	client      *Client
	redirectURI string
	state       string
	scopes      []string
	expires     time.Time
}

// pageError is a request too broken to send back to the app: Atlassian shows
// an error page instead of redirecting, so a bad redirect_uri never receives
// anything.
type pageError struct{ Title, Detail, Next string }

func (e *pageError) Error() string { return e.Title + ": " + e.Detail }

// checkAuthorize validates the authorize query. It returns either a form
// ready for consent, a redirect carrying an error for the app, or a page error.
func (s *Server) checkAuthorize(q url.Values) (*consentForm, *url.URL, *pageError) {
	clientID := q.Get("client_id")
	c := s.clients[clientID]
	switch {
	case clientID == "":
		return nil, nil, &pageError{"Missing client_id", "The authorization link has no client_id parameter.", "Ask the app's developer to include the client id from the developer console."}
	case c == nil:
		return nil, nil, &pageError{"Unknown app", fmt.Sprintf("No app is registered with client_id %q.", clientID), "Check the client id against the developer console."}
	}
	redirectURI := q.Get("redirect_uri")
	if !c.allowsRedirect(redirectURI) {
		return nil, nil, &pageError{"Invalid redirect_uri",
			fmt.Sprintf("The redirect_uri %q is not a callback URL registered for %s.", redirectURI, c.Name),
			"Registered callback URLs: " + strings.Join(c.RedirectURIs, ", ") + ". Use one of them exactly, or register this one in the developer console."}
	}
	if rt := q.Get("response_type"); rt != "code" {
		return nil, nil, &pageError{"Unsupported response_type", fmt.Sprintf("response_type is %q; only \"code\" is supported.", rt), "Send response_type=code."}
	}
	if aud := q.Get("audience"); aud != audienceAPI {
		return nil, nil, &pageError{"Missing or wrong audience", fmt.Sprintf("audience is %q, but Jira's APIs need audience=%s.", aud, audienceAPI), "Add audience=api.atlassian.com to the authorization URL."}
	}
	state := q.Get("state")
	scopes := dedupe(strings.Fields(q.Get("scope")))
	if len(scopes) == 0 {
		return nil, errorRedirect(redirectURI, state, "invalid_scope", "No scope was requested. Send a space-separated list of the app's scopes."), nil
	}
	var unknown []string
	for _, sc := range scopes {
		if sc != scopeOffline && !slices.Contains(c.Scopes, sc) {
			unknown = append(unknown, sc)
		}
	}
	if len(unknown) > 0 {
		return nil, errorRedirect(redirectURI, state, "invalid_scope",
			"Scopes not configured for this app: "+strings.Join(unknown, " ")+". Add them in the developer console or stop requesting them."), nil
	}
	if len(s.o.Users()) == 0 {
		return nil, nil, &pageError{"Nobody can sign in", "The sandbox has no users.", "Add users to the sandbox seed."}
	}
	return &consentForm{client: c, redirectURI: redirectURI, state: state, scopes: scopes}, nil, nil
}

// allowsRedirect: exact match with a registered URI, or — with
// LoopbackAnyPort — any loopback host and port with a registered scheme, path
// and query.
func (c *Client) allowsRedirect(uri string) bool {
	if uri == "" {
		return false
	}
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	if !c.LoopbackAnyPort {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.User != nil || u.Fragment != "" || !isLoopback(u.Hostname()) {
		return false
	}
	for _, reg := range c.RedirectURIs {
		r, err := url.Parse(reg)
		if err == nil && r.Scheme == u.Scheme && r.Path == u.Path && r.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withParams appends params to a redirect URI, keeping any query it has.
func withParams(redirectURI string, params url.Values) *url.URL {
	u, _ := url.Parse(redirectURI) // validated by allowsRedirect
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u
}

// errorRedirect sends an RFC 6749 §4.1.2.1 error back to the app; state
// goes back verbatim, also when empty.
func errorRedirect(redirectURI, state, code, desc string) *url.URL {
	return withParams(redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {state}})
}

type consentPage struct {
	App    string
	Scopes []scopeView
	Users  []User
	Sites  []Site
	Nonce  string
}

// showConsent serves GET /authorize.
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request) {
	form, redirect, perr := s.checkAuthorize(r.URL.Query())
	switch {
	case perr != nil:
		s.renderError(w, perr)
		return
	case redirect != nil:
		http.Redirect(w, r, redirect.String(), http.StatusFound)
		return
	}
	nonce := s.remember(form)
	page := consentPage{App: form.client.Name, Users: s.o.Users(), Sites: s.o.Sites(), Nonce: nonce}
	for _, sc := range form.scopes {
		page.Scopes = append(page.Scopes, describeScope(sc))
	}
	if page.App == "" {
		page.App = form.client.ID
	}
	render(w, http.StatusOK, "consent.html", page)
}

// remember stores a validated request under a fresh nonce.
func (s *Server) remember(form *consentForm) string {
	b := make([]byte, 24)
	rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	form.expires = now.Add(consentFormTTL)
	for n, f := range s.forms { // bounded: abandoned forms expire
		if !now.Before(f.expires) {
			delete(s.forms, n)
		}
	}
	s.forms[nonce] = form
	return nonce
}

// decideConsent serves POST /authorize: the consent form's Accept or Deny.
func (s *Server) decideConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, &pageError{"Malformed form", "The consent form could not be read.", "Start the sign-in again from the app."})
		return
	}
	s.mu.Lock()
	form := s.forms[r.PostForm.Get("nonce")]
	delete(s.forms, r.PostForm.Get("nonce"))
	expired := form != nil && !s.now().Before(form.expires)
	s.mu.Unlock()
	if form == nil || expired {
		s.renderError(w, &pageError{"This consent form is no longer valid", "It was already submitted, it expired, or it did not come from this page.", "Start the sign-in again from the app."})
		return
	}
	var u *url.URL
	var perr *pageError
	switch r.PostForm.Get("decision") {
	case "accept":
		u, perr = s.accept(form, r.PostForm.Get("account_id"), r.PostForm.Get("cloud_id"))
	case "deny":
		u = s.deny(form)
	default:
		perr = &pageError{"No decision", "The form carried neither Accept nor Deny.", "Start the sign-in again from the app."}
	}
	if perr != nil {
		s.renderError(w, perr)
		return
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) deny(form *consentForm) *url.URL {
	s.mu.Lock()
	s.stats.ConsentsDenied++
	s.mu.Unlock()
	return errorRedirect(form.redirectURI, form.state, "access_denied", "User did not authorize the request")
}

// accept records the consent — one grant per (app, user), to which the chosen
// site is added — and issues a code. Empty ids pick the first user or site.
func (s *Server) accept(form *consentForm, accountID, cloudID string) (*url.URL, *pageError) {
	user, ok := pick(s.o.Users(), accountID, func(u User) string { return u.AccountID })
	if !ok {
		return nil, &pageError{"Unknown user", fmt.Sprintf("No sandbox user has account id %q.", accountID), "Pick a user from the list."}
	}
	site, ok := pick(s.o.Sites(), cloudID, func(st Site) string { return st.CloudID })
	if !ok && cloudID != "" {
		return nil, &pageError{"Unknown site", fmt.Sprintf("No site has cloud id %q.", cloudID), "Pick a site from the list."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := grantKey{client: form.client.ID, account: user.AccountID}
	g := s.grants[k]
	if g == nil {
		g = &grant{}
		s.grants[k] = g
	}
	if ok && !slices.Contains(g.sites, site.CloudID) {
		g.sites = append(g.sites, site.CloudID)
	}
	for c, ac := range s.codes { // bounded: unused codes past their lifetime answer like unknown ones
		if !ac.used && !now.Before(ac.issuedAt.Add(CodeTTL)) {
			delete(s.codes, c)
		}
	}
	code := s.mint("code", map[string]any{"sub": user.AccountID, "client_id": form.client.ID, "iat": now.Unix()})
	s.codes[code] = &authCode{client: form.client.ID, redirectURI: form.redirectURI, account: user.AccountID, scopes: form.scopes, issuedAt: now}
	s.stats.CodesIssued++
	return withParams(form.redirectURI, url.Values{"code": {code}, "state": {form.state}}), nil
}

// pick finds the element whose id is want, or the first one when want is empty.
func pick[T any](list []T, want string, id func(T) string) (T, bool) {
	var zero T
	for _, v := range list {
		if want == "" || id(v) == want {
			return v, true
		}
	}
	return zero, false
}

// Approve plays a person who opens authorizeURL and presses Accept, for
// tests that drive an OAuth client without a browser. accountID and cloudID
// pick the user and site ("" for the first). It returns the URL the browser
// would be sent to: the app's callback with code and state, or with an error
// for problems Atlassian reports to the app (invalid_scope). Problems
// Atlassian shows on its own error page are returned as errors.
func (s *Server) Approve(authorizeURL, accountID, cloudID string) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", fmt.Errorf("authserver: parse authorize URL: %w", err)
	}
	form, redirect, perr := s.checkAuthorize(u.Query())
	if perr != nil {
		return "", errors.New("authserver: " + perr.Error())
	}
	if redirect != nil {
		return redirect.String(), nil
	}
	if redirect, perr = s.accept(form, accountID, cloudID); perr != nil {
		return "", errors.New("authserver: " + perr.Error())
	}
	return redirect.String(), nil
}

func (s *Server) renderError(w http.ResponseWriter, e *pageError) {
	render(w, http.StatusBadRequest, "error.html", e)
}

func render(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	// No form-action: Chromium applies it to the redirect after the POST,
	// which would block the app's callback.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	pages().ExecuteTemplate(w, name, data)
}

func dedupe(in []string) []string {
	out := in[:0:0]
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
