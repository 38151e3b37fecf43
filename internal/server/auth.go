package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
)

// login sends the browser to Atlassian's consent page with a fresh state
// bound to this browser. Sign-in starts are rate-limited per client.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.loginLimit.allow(clientAddr(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		s.fail(w, r, &tm.Error{Code: tm.ERATELIMIT, Message: "Too many sign-in attempts from your address; wait a minute and try again."})
		return
	}
	st, err := s.newState(w)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, s.oauth.AuthorizeURL(st), http.StatusFound)
}

// callback finishes the dance: state first (single use, this browser, 10
// minutes), then the code is exchanged server-side, the identity and sites
// are read, and the user, grant and sites are stored before the session
// becomes signed in.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	if err := s.takeState(w, r, q.Get("state")); err != nil {
		s.fail(w, r, err)
		return
	}
	if e := q.Get("error"); e != "" {
		msg := "You declined access on Atlassian's page, so Jira is not connected. Connect Jira again whenever you like."
		if e != "access_denied" {
			msg = "Atlassian did not connect Jira (" + clip(e, 60) + "). Try Connect Jira again."
		}
		s.log.InfoContext(ctx, "consent not given", "error", clip(e, 60))
		s.setFlash(ctx, flash{Kind: "error", Message: msg})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	userID, name, err := s.connect(ctx, q.Get("code"))
	if err != nil {
		if errors.Is(err, atlassian.ErrInvalidGrant) {
			err = &tm.Error{Code: tm.EINVALID, Message: "Atlassian refused this sign-in code: it was already used or has expired.",
				Hint: "Start again with Connect Jira.", Err: err}
		}
		s.fail(w, r, err)
		return
	}
	if err := s.signIn(ctx, userID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "signed in", "user", userID)
	s.setFlash(ctx, flash{Kind: "ok", Message: "Jira connected. Signed in as " + isolate(name) + "."})
	http.Redirect(w, r, s.afterSignIn(r), http.StatusSeeOther)
}

// connect exchanges code and stores who the token belongs to, the new token
// family and the sites it reaches.
func (s *Server) connect(ctx context.Context, code string) (userID, name string, err error) {
	tok, err := s.oauth.Exchange(ctx, code)
	if err != nil {
		return "", "", err
	}
	me, err := s.oauth.Me(ctx, tok.AccessToken)
	if err != nil {
		return "", "", err
	}
	res, err := s.oauth.AccessibleResources(ctx, tok.AccessToken)
	if err != nil {
		return "", "", err
	}
	u, err := s.store.UpsertUser(ctx, tm.User{AccountID: me.AccountID, Email: me.Email, Name: me.Name, Picture: me.Picture})
	if err != nil {
		return "", "", err
	}
	if err := s.store.SaveGrant(ctx, &tm.Grant{UserID: u.ID, TokenSet: *tok, FamilyStartedAt: s.now()}); err != nil {
		return "", "", err
	}
	sites := make([]tm.Site, 0, len(res))
	for _, r := range res {
		sites = append(sites, tm.Site{CloudID: r.ID, Name: r.Name, URL: r.URL, Scopes: r.Scopes, AvatarURL: r.AvatarURL})
	}
	if err := s.store.ReplaceSites(ctx, u.ID, sites); err != nil {
		return "", "", err
	}
	return u.ID, u.Name, nil
}

// logout ends the session; the grant stays for the next sign-in.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	done(w, r, map[string]any{"signedOut": true})
}

// disconnect forgets the user's grant and sites; the user stays signed in
// and sees "Reconnect Jira".
func (s *Server) disconnect(w http.ResponseWriter, r *http.Request, userID string) {
	if err := s.store.DeleteGrant(r.Context(), userID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.meta.dropUser(userID) // a new grant may come with other permissions
	s.log.InfoContext(r.Context(), "jira disconnected", "user", userID)
	s.setFlash(r.Context(), flash{Kind: "ok", Message: "Jira disconnected. ticket-mate no longer holds a token for you."})
	done(w, r, map[string]any{"disconnected": true})
}

// done answers a successful state-changing request: the JSON body for an
// API client, a redirect to the dashboard for a form.
func done(w http.ResponseWriter, r *http.Request, body any) {
	if isAPI(r) {
		writeJSON(w, http.StatusOK, body)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// clip bounds a value echoed from a query string.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
