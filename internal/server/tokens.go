package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
)

// deviceView is the /device page: a code to enter, or the request it names
// with what the person may decide, or the outcome.
type deviceView struct {
	Code      string // as shown: XXXX-XXXX
	Request   *tm.DeviceAuth
	Asked     string // when the device asked, for people
	Host      string
	CanWrite  bool   // the device asked for write access
	Outcome   string // approve, approve-read or deny: the decision just made
	Problem   string // why the code cannot be decided
	SignInURL string // for a person not signed in yet
}

// tokensView is the "Signed-in devices and tokens" page.
type tokensView struct {
	Tokens []tokenRow
}

type tokenRow struct {
	tm.APIToken
	Scope, Created, Expires, LastUsed string
}

// maxUserCode bounds what is kept of a typed code: real ones have 8 letters.
const maxUserCode = 16

// keyNext is where the dashboard sends a person after signing in: the
// device page they came from.
const keyNext = "next"

// devicePage shows /device. A person who is not signed in is asked to sign
// in first and comes back to the same code afterwards.
func (s *Server) devicePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code := normalUserCode(r.URL.Query().Get("user_code"))
	if len(code) > maxUserCode {
		code = code[:maxUserCode]
	}
	v := &deviceView{Code: showUserCode(code)}
	d := pageData{Title: "Sign in a device", Device: v, Flash: s.popFlash(ctx)}
	uid := s.userID(ctx)
	if uid == "" {
		next := "/device"
		if code != "" {
			next += "?user_code=" + url.QueryEscape(showUserCode(code))
		}
		s.sessions.Put(ctx, keyNext, next)
		v.SignInURL = "/api/auth/jira/login"
		s.render(w, r, http.StatusOK, "device", d)
		return
	}
	if !s.fillUser(w, r, uid, &d) {
		return
	}
	if code != "" {
		s.describeRequest(r, code, v)
	}
	s.render(w, r, http.StatusOK, "device", d)
}

// describeRequest fills v with the pending request code names, or says why
// there is none.
func (s *Server) describeRequest(r *http.Request, code string, v *deviceView) {
	if ok, _ := s.dev.codes.allow("user:" + s.userID(r.Context())); !ok {
		v.Problem = "Too many codes tried in a short time. Wait a minute, then enter the code your terminal shows."
		return
	}
	req, err := s.store.DeviceAuthByUserCode(r.Context(), code)
	switch {
	case tm.ErrorCode(err) == tm.ENOTFOUND:
		v.Problem = "No sign-in request with the code " + showUserCode(code) + " is waiting. Codes last " +
			s.dev.CodeTTL.String() + ": check the code in your terminal, or run tm login --server again for a new one."
	case err != nil:
		s.log.ErrorContext(r.Context(), "reading a device request failed", "error", err.Error())
		v.Problem = "The request could not be read; try again in a moment."
	case req.State != tm.DevicePending:
		v.Problem = "This request was already " + req.State + ". Run tm login --server again if you need a new sign-in."
	default:
		v.Request, v.Asked, v.Host = req, req.CreatedAt.In(time.Local).Format("15:04:05 MST on Mon 2 Jan 2006"), req.Host
		v.CanWrite = slices.Contains(req.Scopes, tm.TokenScopeWrite)
		if v.Host == "" {
			v.Host = "(not given)"
		}
	}
}

// deviceDecide records the signed-in person's answer to a device request.
func (s *Server) deviceDecide(w http.ResponseWriter, r *http.Request, userID string) {
	ctx := r.Context()
	code := normalUserCode(r.PostFormValue("user_code"))
	decision := r.PostFormValue("decision")
	v := &deviceView{Code: showUserCode(code)}
	d := pageData{Title: "Sign in a device", Device: v}
	if !s.fillUser(w, r, userID, &d) {
		return
	}
	var scopes []string
	switch decision {
	case "approve":
		scopes = []string{tm.TokenScopeRead, tm.TokenScopeWrite}
	case "approve-read":
		scopes = []string{tm.TokenScopeRead}
	case "deny":
	default:
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "Choose Approve or Deny."})
		return
	}
	req, err := s.store.DecideDeviceAuth(ctx, code, userID, decision != "deny", scopes)
	switch tm.ErrorCode(err) {
	case "":
		v.Outcome, v.Request = decision, req
		s.log.InfoContext(ctx, "device request decided", "user", userID, "decision", decision, "device", req.Name, "host", req.Host)
	case tm.ENOTFOUND, tm.ECONFLICT, tm.EINVALID:
		s.describeRequest(r, code, v)
		if v.Problem == "" {
			v.Problem = err.Error()
		}
	default:
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "device", d)
}

// fillUser puts the signed-in user in the page header; false when it
// answered already (the user is gone, or the store failed).
func (s *Server) fillUser(w http.ResponseWriter, r *http.Request, uid string, d *pageData) bool {
	u, err := s.store.UserByID(r.Context(), uid)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		_ = s.sessions.Destroy(r.Context())
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return false
	}
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	d.User = newUserView(u)
	return true
}

// afterSignIn is where the callback sends a person: back to the device
// page that asked them to sign in, else the dashboard.
func (s *Server) afterSignIn(r *http.Request) string {
	if next := s.sessions.PopString(r.Context(), keyNext); strings.HasPrefix(next, "/device") || strings.HasPrefix(next, authorizePath+"?") {
		return next
	}
	return "/"
}

func (s *Server) tokenRows(r *http.Request, userID string) ([]tokenRow, error) {
	list, err := s.store.APITokens(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	const day = "2 Jan 2006"
	rows := make([]tokenRow, 0, len(list))
	for _, t := range list {
		row := tokenRow{APIToken: t, Scope: "read", Created: t.CreatedAt.In(time.Local).Format(day + " 15:04"),
			Expires: t.ExpiresAt.In(time.Local).Format(day), LastUsed: "never"}
		if t.CanWrite() {
			row.Scope = "read and write"
		}
		if !t.LastUsedAt.IsZero() {
			row.LastUsed = t.LastUsedAt.In(time.Local).Format(day + " 15:04")
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// tokensPage lists the user's signed-in devices, each with Revoke.
func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, userID string) {
	d := pageData{Title: "Signed-in devices and tokens", Flash: s.popFlash(r.Context())}
	if !s.fillUser(w, r, userID, &d) {
		return
	}
	rows, err := s.tokenRows(r, userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Tokens = &tokensView{Tokens: rows}
	s.render(w, r, http.StatusOK, "tokens", d)
}

// apiTokens lists the user's tokens as JSON.
func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, userID string) {
	list, err := s.store.APITokens(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

// revokeOwnToken revokes one of the signed-in user's tokens: the form on
// the tokens page, or DELETE-like POST from the API.
func (s *Server) revokeOwnToken(w http.ResponseWriter, r *http.Request, userID string) {
	id := r.PathValue("id")
	if err := s.store.RevokeAPIToken(r.Context(), userID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "token revoked", "user", userID, "token", id)
	if isAPI(r) {
		writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
		return
	}
	s.setFlash(r.Context(), flash{Kind: "ok", Message: "Revoked. That device can no longer reach Jira through ticket-mate."})
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
}
