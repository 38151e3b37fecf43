package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// problem is an error as a person may see it: a status, a message with no
// internals (no URLs, no bodies, no tokens), and whether reconnecting helps.
type problem struct {
	Status    int
	Message   string
	Reconnect bool
	// Field and Valid name the request field whose value is not one Jira
	// offers, and the values it does.
	Field string
	Valid []string
}

// classify turns any error into what the response may say. Internal errors
// become a generic message; their detail goes only to the log.
func classify(err error) problem {
	if atlassian.IsReconnect(err) {
		return problem{Status: http.StatusUnauthorized, Message: "Your Jira connection has expired or was revoked. Reconnect Jira.", Reconnect: true}
	}
	var je *jira.Error
	if errors.As(err, &je) && (je.AuthFailed() || je.OAuthError != "" || je.StatusCode == 0 && !je.Uncertain) {
		return jiraProblem(je)
	}
	// Any other refusal is explained once, by the ticket service.
	err = ticket.Explain(err, ticket.About{})
	var e *tm.Error
	if errors.As(err, &e) {
		status := codeStatus(e.Code)
		switch {
		case status == http.StatusBadGateway && je == nil:
			// Not Jira's answer explained (a token endpoint or the
			// database out of reach): the text names hosts and transport
			// errors, for the log only.
			return problem{Status: status, Message: "Atlassian or Jira did not answer as expected; try again in a minute."}
		case status >= 500 && status != http.StatusBadGateway:
			return problem{Status: status, Message: genericMessage}
		}
		var d *ticket.Detail
		if errors.As(err, &d) && d.Valid != nil {
			// A name Jira does not offer: the valid ones, in the answer too.
			return problem{Status: status, Message: e.Message + "; valid: " + strings.Join(d.Valid, ", ") + ".", Field: d.Field, Valid: d.Valid}
		}
		msg := e.Message
		if e.Hint != "" {
			if !strings.HasSuffix(msg, ".") {
				msg += "."
			}
			msg += " " + strings.ReplaceAll(e.Hint, "\n", " ")
		}
		p := problem{Status: codeStatus(e.Code), Message: msg}
		if d != nil {
			p.Field = d.Field
		}
		return p
	}
	var te *atlassian.TokenError
	if errors.As(err, &te) {
		return problem{Status: http.StatusBadGateway, Message: "Atlassian refused the sign-in (" + te.Code + ")."}
	}
	return problem{Status: http.StatusInternalServerError, Message: genericMessage}
}

// genericMessage is all a person learns of an internal failure; the
// request id in the answer finds the details in the log.
const genericMessage = "Something went wrong on our side; it has been logged."

func codeStatus(code string) int {
	switch code {
	case tm.EINVALID, tm.ECONFIG:
		return http.StatusBadRequest
	case tm.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case tm.EFORBIDDEN:
		return http.StatusForbidden
	case tm.ENOTFOUND:
		return http.StatusNotFound
	case tm.ECONFLICT:
		return http.StatusConflict
	case tm.ERATELIMIT:
		return http.StatusTooManyRequests
	case tm.EUNAVAILABLE:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// jiraProblem answers what only the server can explain: a refused or
// expired connection (the remedy is to reconnect), or a Jira it cannot
// reach.
func jiraProblem(je *jira.Error) problem {
	switch {
	case je.StatusCode == 0:
		return problem{Status: http.StatusBadGateway, Message: "Jira could not be reached; try again in a minute."}
	case je.ScopeMismatch():
		return problem{Status: http.StatusForbidden, Message: "The Jira connection lacks a scope this needs. Reconnect Jira to grant it.", Reconnect: true}
	}
	return problem{Status: http.StatusUnauthorized, Message: "Jira refused your connection. Reconnect Jira.", Reconnect: true}
}

// fail answers a failed request: JSON for the API, an HTML page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := classify(err)
	id := requestID(r.Context())
	if p.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "error", err.Error(), "request_id", id)
		if id != "" {
			p.Message += " (request id " + id + ")"
		}
	} else {
		s.log.InfoContext(r.Context(), "request refused", "route", r.Pattern, "status", p.Status, "error", err.Error(), "request_id", id)
	}
	if isAPI(r) {
		body := map[string]any{"error": p.Message}
		if id != "" {
			body["requestId"] = id
		}
		if p.Reconnect {
			body["reconnect"] = true
		}
		if p.Field != "" {
			body["field"] = p.Field
		}
		if p.Valid != nil {
			body["valid"] = p.Valid
		}
		writeJSON(w, p.Status, body)
		return
	}
	d := pageData{Title: pageTitle(p.Status), Error: &errorView{Title: pageTitle(p.Status), Message: sentence(p.Message)}}
	if uid := s.sessionUser(r.Context()); uid != "" {
		if u, err := s.store.UserByID(r.Context(), uid); err == nil {
			d.User = newUserView(u)
		}
	}
	s.render(w, r, p.Status, "error", d)
}

// unavailable answers when the layers under the handlers failed (the
// session store, a panic): JSON for the API, plain text otherwise, with
// the request id and never the error's text.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, status int, msg string) {
	id := requestID(r.Context())
	if isAPI(r) {
		writeJSON(w, status, map[string]any{"error": msg + " (request id " + id + ")", "requestId": id})
		return
	}
	http.Error(w, msg+" (request id "+id+")", status)
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasPrefix(r.URL.Path, "/api/auth/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// pageTitle names an error page in plain words.
func pageTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "You cannot do that here"
	case http.StatusUnauthorized:
		return "Sign in again"
	case http.StatusBadRequest:
		return "That did not work"
	case http.StatusTooManyRequests:
		return "Too many requests; wait a moment"
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return "Jira is not answering"
	}
	return "Something went wrong"
}

// sessionUser is userID for a request that may have been refused before
// its session was loaded (a cross-origin post): then there is no one.
func (s *Server) sessionUser(ctx context.Context) (uid string) {
	defer func() {
		if recover() != nil {
			uid = ""
		}
	}()
	return s.userID(ctx)
}
