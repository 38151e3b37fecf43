package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/ticket-mate/tm"
)

// Session keys.
const (
	keyUserID     = "uid"
	keyState      = "oauth_state"
	keyStateUntil = "oauth_state_until"
	keyFlash      = "flash"
	keyFlashKind  = "flash_kind"
	keyFlashLink  = "flash_link"
	keyFlashText  = "flash_link_text"
)

// stateTTL is how long a sign-in may take between "Connect Jira" and the
// callback.
const stateTTL = 10 * time.Minute

func newSessions(store tm.SessionStore, secure bool, log *slog.Logger) *scs.SessionManager {
	sm := scs.New()
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		log.ErrorContext(r.Context(), "session store failed", "error", err.Error())
		http.Error(w, "session storage is unavailable; try again shortly", http.StatusServiceUnavailable)
	}
	sm.Store = store
	sm.Lifetime = 30 * 24 * time.Hour
	sm.IdleTimeout = 7 * 24 * time.Hour
	sm.Cookie.Name = "tm_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	return sm
}

// userID is the signed-in user of the request's session, or "".
func (s *Server) userID(ctx context.Context) string {
	return s.sessions.GetString(ctx, keyUserID)
}

// newState makes an OAuth state value and binds it to this browser's
// session, replacing any earlier one: only the latest sign-in can finish.
func (s *Server) newState(ctx context.Context) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	st := base64.RawURLEncoding.EncodeToString(b)
	s.sessions.Put(ctx, keyState, st)
	s.sessions.Put(ctx, keyStateUntil, s.now().Add(stateTTL).UnixNano())
	return st, nil
}

// takeState checks got against the session's state and spends it, so a
// callback URL can never be replayed. It says why a state is refused.
func (s *Server) takeState(ctx context.Context, got string) error {
	want := s.sessions.PopString(ctx, keyState)
	until, _ := s.sessions.Pop(ctx, keyStateUntil).(int64)
	switch {
	case want == "":
		return &tm.Error{Code: tm.EINVALID, Message: "This sign-in link was already used, or it was started in another browser.",
			Hint: "Start again with Connect Jira."}
	case subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1:
		return &tm.Error{Code: tm.EINVALID, Message: "This sign-in does not match the one this browser started.",
			Hint: "Start again with Connect Jira."}
	case !s.now().Before(time.Unix(0, until)):
		return &tm.Error{Code: tm.EINVALID, Message: "This sign-in took longer than 10 minutes and expired.",
			Hint: "Start again with Connect Jira."}
	}
	return nil
}

// flash is a one-time message shown on the next dashboard render.
type flash struct {
	Kind     string // ok, warn, error
	Message  string
	Link     string
	LinkText string
}

func (s *Server) setFlash(ctx context.Context, f flash) {
	s.sessions.Put(ctx, keyFlash, f.Message)
	s.sessions.Put(ctx, keyFlashKind, f.Kind)
	s.sessions.Put(ctx, keyFlashLink, f.Link)
	s.sessions.Put(ctx, keyFlashText, f.LinkText)
}

func (s *Server) popFlash(ctx context.Context) *flash {
	msg := s.sessions.PopString(ctx, keyFlash)
	kind := s.sessions.PopString(ctx, keyFlashKind)
	link := s.sessions.PopString(ctx, keyFlashLink)
	text := s.sessions.PopString(ctx, keyFlashText)
	if msg == "" {
		return nil
	}
	return &flash{Kind: kind, Message: msg, Link: link, LinkText: text}
}

// signIn starts the user's session with a new token, so a session id
// planted before sign-in is worthless after it.
func (s *Server) signIn(ctx context.Context, userID string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, keyUserID, userID)
	return nil
}

var _ scs.Store = tm.SessionStore(nil)
