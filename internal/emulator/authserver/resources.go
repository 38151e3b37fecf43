package authserver

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
)

// resource is one entry of accessible-resources.
type resource struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	URL       string   `json:"url"`
	Scopes    []string `json:"scopes"`
	AvatarURL string   `json:"avatarUrl"`
}

// bearer resolves the request's access token, answering the gateway's 401
// itself when it is missing or dead.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (Grant, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		// The scheme is case-insensitive (RFC 7235 §2.1).
		if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			tok, ok = h[7:], true
		}
	}
	g, valid := s.Verify(strings.TrimSpace(tok))
	if !ok || !valid {
		gatewayUnauthorized(w, "Unauthorized")
		return Grant{}, false
	}
	return g, true
}

func gatewayUnauthorized(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"code": http.StatusUnauthorized, "message": msg})
}

// accessibleResources serves GET /oauth/token/accessible-resources: every
// site of the grant, in no defined order (deliberately shuffled, so clients
// cannot come to depend on one).
func (s *Server) accessibleResources(w http.ResponseWriter, r *http.Request) {
	g, ok := s.bearer(w, r)
	if !ok {
		return
	}
	var scopes []string
	for _, sc := range g.Scopes {
		if productScope(sc) {
			scopes = append(scopes, sc)
		}
	}
	out := []resource{}
	for _, site := range s.o.Sites() {
		if slices.Contains(g.CloudIDs, site.CloudID) {
			out = append(out, resource{ID: site.CloudID, Name: site.Name, URL: site.URL, Scopes: append([]string{}, scopes...), AvatarURL: site.AvatarURL})
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	writeJSON(w, http.StatusOK, out)
}

// profile is the User Identity API's /me body.
type profile struct {
	AccountType     string            `json:"account_type"`
	AccountID       string            `json:"account_id"`
	Email           string            `json:"email"`
	Name            string            `json:"name"`
	Picture         string            `json:"picture"`
	AccountStatus   string            `json:"account_status"`
	Nickname        string            `json:"nickname"`
	ZoneInfo        string            `json:"zoneinfo"`
	Locale          string            `json:"locale"`
	ExtendedProfile map[string]string `json:"extended_profile"`
	EmailVerified   bool              `json:"email_verified"`
}

// me serves GET /me, which needs read:me on top of a valid token.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	g, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if !slices.Contains(g.Scopes, scopeReadMe) {
		gatewayUnauthorized(w, "Unauthorized; scope does not match")
		return
	}
	u, found := pick(s.o.Users(), g.AccountID, func(u User) string { return u.AccountID })
	if !found || g.AccountID == "" {
		gatewayUnauthorized(w, "Unauthorized")
		return
	}
	p := profile{
		AccountType: "atlassian", AccountID: u.AccountID, Email: u.Email, Name: u.Name,
		Picture: u.Picture, AccountStatus: "active", Nickname: u.Nickname,
		ZoneInfo: or(u.ZoneInfo, "UTC"), Locale: or(u.Locale, "en-US"),
		ExtendedProfile: map[string]string{}, EmailVerified: u.Email != "",
	}
	if p.Nickname == "" {
		p.Nickname, _, _ = strings.Cut(u.Email, "@")
	}
	for k, v := range map[string]string{"job_title": u.JobTitle, "department": u.Department, "organization": u.Organization, "location": u.Location} {
		if v != "" {
			p.ExtendedProfile[k] = v
		}
	}
	writeJSON(w, http.StatusOK, p)
}

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
