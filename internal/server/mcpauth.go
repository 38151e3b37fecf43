package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ticket-mate/tm"
)

// MCP authorization (the MCP spec's profile of OAuth 2.1): an assistant
// that knows only the /mcp URL finds this server as its authorization
// server (RFC 9728, RFC 8414), registers itself (RFC 7591), and sends its
// person to consent here with an authorization code and PKCE (S256). The
// token it gets is a ticket-mate token like a terminal's, listed and
// revocable on the tokens page.
//
// Nothing new is stored: a client id is its registration sealed with the
// server's key, and a code seals the PKCE challenge and redirect with the
// id of an approved device request, which the store exchanges for a token
// exactly once — so any replica answers any step.
const (
	authorizePath = "/oauth/authorize"
	tokenPath     = "/oauth/token"
	registerPath  = "/oauth/register"
	// authCodeTTL bounds the time from consent to the token request.
	authCodeTTL = time.Minute
	// clientPrefix marks a sealed client id.
	clientPrefix = "tmc_"
)

func (s *Server) mcpAuthRoutes(h func(pattern string, f http.HandlerFunc)) {
	h("GET "+protectedResourcePath+mcpPath, s.protectedResource)
	h("GET "+protectedResourcePath, s.protectedResource)
	if s.keys == nil {
		return
	}
	h("GET /.well-known/oauth-authorization-server", s.authServerMeta)
	h("POST "+registerPath, s.registerClient)
	h("GET "+authorizePath, s.authorizePage)
	h("POST "+authorizePath, s.signedInPage(s.authorizeDecide))
	h("POST "+tokenPath, s.authCodeToken)
}

// publicJSON answers metadata any origin may read.
func publicJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) protectedResource(w http.ResponseWriter, r *http.Request) {
	base := s.dev.base(r)
	meta := map[string]any{
		"resource":                 base + mcpPath,
		"scopes_supported":         []string{tm.TokenScopeRead, tm.TokenScopeWrite},
		"bearer_methods_supported": []string{"header"},
		"resource_name":            "ticket-mate",
	}
	if s.keys != nil {
		meta["authorization_servers"] = []string{base}
	}
	publicJSON(w, meta)
}

func (s *Server) authServerMeta(w http.ResponseWriter, r *http.Request) {
	base := s.dev.base(r)
	publicJSON(w, map[string]any{
		"issuer":                                         base,
		"authorization_endpoint":                         base + authorizePath,
		"token_endpoint":                                 base + tokenPath,
		"registration_endpoint":                          base + registerPath,
		"revocation_endpoint":                            base + "/api/device/revoke",
		"scopes_supported":                               []string{tm.TokenScopeRead, tm.TokenScopeWrite},
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"authorization_response_iss_parameter_supported": true,
	})
}

// client is a registered client, sealed into its id.
type client struct {
	Name         string   `json:"n"`
	RedirectURIs []string `json:"r"`
	IssuedAt     int64    `json:"t"`
}

var clientAAD, codeAAD = []byte("mcp client"), []byte("mcp code")

func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RedirectURIs            []string `json:"redirect_uris"`
		ClientName              string   `json:"client_name"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
		GrantTypes              []string `json:"grant_types"`
		ResponseTypes           []string `json:"response_types"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&req); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "send the registration as JSON")
		return
	}
	if len(req.RedirectURIs) == 0 || len(req.RedirectURIs) > 10 {
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "give 1 to 10 redirect_uris")
		return
	}
	for _, u := range req.RedirectURIs {
		if !redirectAllowed(u) {
			oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "a redirect URI is https, http on a loopback address, or an app's own scheme; without a fragment")
			return
		}
	}
	if m := req.TokenEndpointAuthMethod; m != "" && m != "none" {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", `token_endpoint_auth_method must be "none" (a public client with PKCE)`)
		return
	}
	for _, g := range req.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "grant_types may only hold authorization_code")
			return
		}
	}
	c := client{Name: clip(strings.TrimSpace(req.ClientName), 60), RedirectURIs: req.RedirectURIs, IssuedAt: s.now().Unix()}
	if c.Name == "" {
		c.Name = "an assistant"
	}
	b, _ := json.Marshal(c)
	sealed, err := s.keys.Seal(b, clientAAD)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "mcp client registered", "client", c.Name, "redirect", strings.Join(c.RedirectURIs, " "))
	writeJSON(w, http.StatusCreated, map[string]any{
		"client_id":                  clientPrefix + sealed,
		"client_id_issued_at":        c.IssuedAt,
		"client_name":                c.Name,
		"redirect_uris":              c.RedirectURIs,
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
	})
}

// redirectAllowed: https, http on a loopback address (RFC 8252 §7.3), or
// a private-use scheme (§7.1); never a fragment or a script.
func redirectAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" || u.Scheme == "" || len(raw) > 2000 {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Host != ""
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || ip != nil && ip.IsLoopback()
	case "javascript", "data", "file", "vbscript", "about", "blob":
		return false
	}
	return true
}

func (s *Server) client(id string) (*client, bool) {
	sealed, ok := strings.CutPrefix(id, clientPrefix)
	if !ok {
		return nil, false
	}
	b, err := s.keys.Open(sealed, clientAAD)
	if err != nil {
		return nil, false
	}
	var c client
	return &c, json.Unmarshal(b, &c) == nil
}

// authRequest is an authorization request, checked.
type authRequest struct {
	ClientID, RedirectURI, State, Challenge string
	Scopes                                  []string
	Client                                  *client
}

// parseAuthRequest checks the request's parameters. A bad client or
// redirect is told to the person (redirecting there would hand an
// attacker the answer); other problems go back to the client (ok).
func (s *Server) parseAuthRequest(r *http.Request, v url.Values) (ar *authRequest, toClient string, problem string) {
	c, ok := s.client(v.Get("client_id"))
	if !ok {
		return nil, "", "This assistant is not registered here (unknown client_id). Add the server to the assistant again."
	}
	ar = &authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Challenge: v.Get("code_challenge"), Client: c}
	if ar.RedirectURI == "" && len(c.RedirectURIs) == 1 {
		ar.RedirectURI = c.RedirectURIs[0]
	}
	if !slices.Contains(c.RedirectURIs, ar.RedirectURI) {
		return nil, "", "The assistant asked to return to an address it did not register."
	}
	switch {
	case v.Get("response_type") != "code":
		return ar, "unsupported_response_type", ""
	case v.Get("code_challenge_method") != "S256" || len(ar.Challenge) != 43:
		return ar, "invalid_request", ""
	case v.Get("resource") != "" && v.Get("resource") != s.dev.base(r)+mcpPath:
		// RFC 8707: the token is for this server's /mcp, nothing else.
		return ar, "invalid_target", ""
	}
	scopes, ok := parseScope(v.Get("scope"))
	if !ok {
		return ar, "invalid_scope", ""
	}
	ar.Scopes = scopes
	return ar, "", ""
}

// back redirects to the client with params and the issuer (RFC 9207).
func (s *Server) back(w http.ResponseWriter, r *http.Request, ar *authRequest, params url.Values) {
	if ar.State != "" {
		params.Set("state", ar.State)
	}
	params.Set("iss", s.dev.base(r))
	u, _ := url.Parse(ar.RedirectURI)
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// consentPage is parsed on first use, not at package initialisation, which every
// tm command pays.
var consentPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Allow {{.Client}} — ticket-mate</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="container">
<h1>Allow {{.Client}} to use Jira as you?</h1>
{{if .Problem}}<p class="error">{{.Problem}}</p>{{else}}
<p>{{.Client}} (returning to <code>{{.Host}}</code>) asks to {{if .Write}}read, create and change{{else}}read{{end}} Jira tickets as <strong>{{.User}}</strong> through ticket-mate.
It gets a ticket-mate token you can revoke at any time on <a href="/tokens">your devices</a>.</p>
<form method="post" action="/oauth/authorize" class="actions">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
{{if .Write}}<button type="submit" name="decision" value="approve">Allow reading and writing</button>{{end}}
<button type="submit" name="decision" value="approve-read"{{if .Write}} class="secondary"{{end}}>Allow reading only</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>{{end}}
</main></body></html>`))
})

type consentView struct {
	Client, Host, User, Problem string
	Write                       bool
	Params                      map[string]string
}

func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, toClient, problem := s.parseAuthRequest(r, r.URL.Query())
	switch {
	case problem != "":
		s.consent(w, http.StatusBadRequest, consentView{Client: "An assistant", Problem: problem})
		return
	case toClient != "":
		s.back(w, r, ar, url.Values{"error": {toClient}})
		return
	}
	uid := s.userID(ctx)
	if uid == "" {
		s.sessions.Put(ctx, keyNext, r.URL.RequestURI())
		http.Redirect(w, r, "/api/auth/jira/login", http.StatusSeeOther)
		return
	}
	u, err := s.store.UserByID(ctx, uid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	params := map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope", "response_type", "resource"} {
		params[k] = r.URL.Query().Get(k)
	}
	params["redirect_uri"] = ar.RedirectURI
	ru, _ := url.Parse(ar.RedirectURI)
	allowRedirect(w, ru)
	s.consent(w, http.StatusOK, consentView{Client: ar.Client.Name, Host: ru.Scheme + "://" + ru.Host, User: u.Name,
		Write: slices.Contains(ar.Scopes, tm.TokenScopeWrite), Params: params})
}

// cspSource is what a CSP source expression may hold of a redirect URI.
var cspSource = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z][a-z0-9+.-]*:(//[a-z0-9.:\[\]-]+)?$`)
})

// allowRedirect lets the consent page's form lead to the assistant's
// redirect URI: browsers hold the redirect that answers the decision to
// the page's form-action, which otherwise allows only this server.
func allowRedirect(w http.ResponseWriter, redirect *url.URL) {
	src := strings.ToLower(redirect.Scheme) + ":"
	if redirect.Host != "" {
		src += "//" + strings.ToLower(redirect.Host)
	}
	if !cspSource().MatchString(src) {
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "form-action 'self'", "form-action 'self' "+src, 1))
}

func (s *Server) consent(w http.ResponseWriter, status int, v consentView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = consentPage().Execute(w, v)
}

// authCode is what an authorization code seals.
type authCode struct {
	DeviceCode  string `json:"d"`
	Challenge   string `json:"c"`
	RedirectURI string `json:"r"`
	ClientID    string `json:"i"`
	Expires     int64  `json:"e"`
}

func (s *Server) authorizeDecide(w http.ResponseWriter, r *http.Request, userID string) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "the form could not be read"})
		return
	}
	ar, toClient, problem := s.parseAuthRequest(r, r.PostForm)
	switch {
	case problem != "":
		s.consent(w, http.StatusBadRequest, consentView{Client: "An assistant", Problem: problem})
		return
	case toClient != "":
		s.back(w, r, ar, url.Values{"error": {toClient}})
		return
	}
	var scopes []string
	switch r.PostForm.Get("decision") {
	case "approve":
		scopes = ar.Scopes
	case "approve-read":
		scopes = []string{tm.TokenScopeRead}
	default:
		s.log.InfoContext(ctx, "mcp client denied", "user", userID, "client", ar.Client.Name)
		s.back(w, r, ar, url.Values{"error": {"access_denied"}})
		return
	}
	// The consent is a device request decided at once; the code carries
	// the secret that exchanges it.
	dc := rand.Text() + rand.Text()
	now := s.now()
	ru, _ := url.Parse(ar.RedirectURI)
	d := &tm.DeviceAuth{DeviceCodeHash: hashToken(dc), UserCode: newUserCode(), Name: ar.Client.Name,
		Host: clip(ru.Scheme+"://"+ru.Host, 120), Scopes: ar.Scopes, Interval: s.dev.Interval, CreatedAt: now, ExpiresAt: now.Add(authCodeTTL)}
	if err := s.store.CreateDeviceAuth(ctx, d); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.store.DecideDeviceAuth(ctx, d.UserCode, userID, true, scopes); err != nil {
		s.fail(w, r, err)
		return
	}
	b, _ := json.Marshal(authCode{DeviceCode: dc, Challenge: ar.Challenge, RedirectURI: ar.RedirectURI, ClientID: ar.ClientID,
		Expires: now.Add(authCodeTTL).Unix()})
	code, err := s.keys.Seal(b, codeAAD)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "mcp client approved", "user", userID, "client", ar.Client.Name, "scope", strings.Join(scopes, " "))
	s.back(w, r, ar, url.Values{"code": {code}})
}

// authCodeToken exchanges a code and its PKCE verifier for a token.
func (s *Server) authCodeToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code")
		return
	}
	var ac authCode
	b, err := s.keys.Open(f.Get("code"), codeAAD)
	if err != nil || json.Unmarshal(b, &ac) != nil || s.now().Unix() > ac.Expires {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown or expired; sign in again")
		return
	}
	if f.Get("client_id") != ac.ClientID || f.Get("redirect_uri") != "" && f.Get("redirect_uri") != ac.RedirectURI {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code was issued to another client or redirect")
		return
	}
	v := f.Get("code_verifier")
	sum := sha256.Sum256([]byte(v))
	if len(v) < 43 || len(v) > 128 || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.Challenge)) != 1 {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	ctx := r.Context()
	secret := tokenPrefix + rand.Text() + rand.Text()
	t := &tm.APIToken{CreatedAt: s.now(), ExpiresAt: s.now().Add(s.dev.TokenLifetime)}
	if err := s.store.IssueDeviceToken(ctx, hashToken(ac.DeviceCode), hashToken(secret), t); err != nil {
		if code := tm.ErrorCode(err); code == tm.ECONFLICT || code == tm.ENOTFOUND {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "this code was already exchanged for a token")
			return
		}
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "mcp client signed in", "user", t.UserID, "token", t.ID, "client", t.Name, "scope", strings.Join(t.Scopes, " "))
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": secret,
		"token_type":   "Bearer",
		"expires_in":   int(s.dev.TokenLifetime / time.Second),
		"scope":        strings.Join(t.Scopes, " "),
	})
}
