package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/ticket-mate/tm"
)

// Session keys.
const (
	keyUserID     = "uid"
	keyFlash      = "flash"
	keyFlashKind  = "flash_kind"
	keyFlashLink  = "flash_link"
	keyFlashText  = "flash_link_text"
	keyFlashAfter = "flash_after"
)

// stateTTL is how long a sign-in may take between "Connect Jira" and the
// callback.
const stateTTL = 10 * time.Minute

func (s *Server) newSessions(store tm.SessionStore, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.ErrorContext(r.Context(), "session store failed", "error", err.Error(), "request_id", requestID(r.Context()))
		s.unavailable(w, r, http.StatusServiceUnavailable, "Session storage is unavailable; try again shortly.")
	}
	sm.Store = store
	if gs, ok := store.(grantSessionStore); ok {
		sm.Store = sessionStore{store, gs}
	}
	sm.Codec = sessionCodec{}
	sm.Lifetime = 30 * 24 * time.Hour
	// No sm.IdleTimeout: scs enforces it by writing the session back on
	// every request (a database write and a Set-Cookie each time, the
	// largest cost of an API call); idleSessions does it with one write an
	// hour.
	sm.Cookie.Name = "tm_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	return sm
}

// A session unused for sessionIdle is over. It remembers when it was last
// seen, to within sessionTouch, so a busy user costs one session write per
// sessionTouch rather than one per request.
const (
	sessionIdle  = 7 * 24 * time.Hour
	sessionTouch = time.Hour
	keySeen      = "seen" // Unix seconds
)

// idleSessions ends idle sessions and keeps the others' last-seen time.
// It runs inside LoadAndSave, before routing.
func (s *Server) idleSessions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		now := s.now()
		if seen, ok := s.sessions.Get(ctx, keySeen).(int64); ok {
			switch idle := now.Sub(time.Unix(seen, 0)); {
			case idle >= sessionIdle:
				if err := s.sessions.Destroy(ctx); err != nil {
					s.log.WarnContext(ctx, "ending an idle session failed", "error", err.Error(), "request_id", requestID(ctx))
				}
			case idle >= sessionTouch || idle < -sessionTouch:
				s.sessions.Put(ctx, keySeen, now.Unix())
			}
		} else if len(s.sessions.Keys(ctx)) > 0 {
			s.sessions.Put(ctx, keySeen, now.Unix())
		}
		next.ServeHTTP(w, r)
	})
}

// userID is the signed-in user of the request's session, or "".
func (s *Server) userID(ctx context.Context) string {
	return s.sessions.GetString(ctx, keyUserID)
}

// stateCookie carries the OAuth state of a sign-in in progress. It lives
// in the browser, not in a session row: an anonymous visitor who starts a
// sign-in (or a script hitting the login URL) writes nothing to the
// database, and the state dies with the cookie after stateTTL.
const stateCookie = "tm_oauth_state"

// CallbackPath is where Atlassian sends the browser back; the state cookie
// goes only there.
const CallbackPath = "/api/auth/jira/callback"

// newState makes an OAuth state value and binds it to this browser,
// replacing any earlier one: only the latest sign-in can finish.
func (s *Server) newState(w http.ResponseWriter) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	st := base64.RawURLEncoding.EncodeToString(b)
	until := s.now().Add(stateTTL)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: st + "." + strconv.FormatInt(until.UnixNano(), 10),
		Path: CallbackPath, MaxAge: int(stateTTL / time.Second), HttpOnly: true, Secure: s.sessions.Cookie.Secure,
		SameSite: http.SameSiteLaxMode})
	return st, nil
}

// takeState checks got against this browser's state and spends it, so a
// callback URL can never be replayed. It says why a state is refused.
func (s *Server) takeState(w http.ResponseWriter, r *http.Request, got string) error {
	var want string
	var until int64
	if c, err := r.Cookie(stateCookie); err == nil {
		v, exp, _ := strings.Cut(c.Value, ".")
		want = v
		until, _ = strconv.ParseInt(exp, 10, 64)
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: CallbackPath, MaxAge: -1, HttpOnly: true,
		Secure: s.sessions.Cookie.Secure, SameSite: http.SameSiteLaxMode})
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
	After    string // text after the link
}

func (s *Server) setFlash(ctx context.Context, f flash) {
	s.sessions.Put(ctx, keyFlash, f.Message)
	s.sessions.Put(ctx, keyFlashKind, f.Kind)
	s.sessions.Put(ctx, keyFlashLink, f.Link)
	s.sessions.Put(ctx, keyFlashText, f.LinkText)
	s.sessions.Put(ctx, keyFlashAfter, f.After)
}

func (s *Server) popFlash(ctx context.Context) *flash {
	msg := s.sessions.PopString(ctx, keyFlash)
	kind := s.sessions.PopString(ctx, keyFlashKind)
	link := s.sessions.PopString(ctx, keyFlashLink)
	text := s.sessions.PopString(ctx, keyFlashText)
	after := s.sessions.PopString(ctx, keyFlashAfter)
	if msg == "" {
		return nil
	}
	return &flash{Kind: kind, Message: msg, Link: link, LinkText: text, After: after}
}

// signIn starts the user's session with a new token, so a session id
// planted before sign-in is worthless after it.
func (s *Server) signIn(ctx context.Context, userID string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, keyUserID, userID)
	s.sessions.Put(ctx, keySeen, s.now().Unix())
	return nil
}

var _ scs.Store = tm.SessionStore(nil)

// grantSessionStore is a session store that keeps each session's user
// beside it, and so reads a session with its user's grant and selected site
// in one statement (package store does).
type grantSessionStore interface {
	CommitUserCtx(ctx context.Context, token, userID string, data []byte, expiry time.Time) error
	FindWithGrantCtx(ctx context.Context, token string) ([]byte, bool, *tm.SessionGrant, error)
}

// sessionStore hands scs a grantSessionStore. Every signed-in request
// that calls Jira needs its session and then its user's grant and site:
// one database round trip instead of two, which on PostgreSQL was an
// eighth of the server's CPU per request and most of the database's.
type sessionStore struct {
	tm.SessionStore
	gs grantSessionStore
}

// FindCtx reads the session and leaves the grant read with it to the
// request's readAhead (withReadAhead).
func (st sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	data, found, sg, err := st.gs.FindWithGrantCtx(ctx, token)
	if ra, ok := ctx.Value(readAheadKey{}).(*readAhead); ok && found && sg != nil {
		ra.put(sg)
	}
	return data, found, err
}

func (st sessionStore) Find(token string) ([]byte, bool, error) {
	return st.FindCtx(context.Background(), token)
}

// CommitCtx stores the session with the user it is signed in as.
func (st sessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	uid := ""
	if _, values, err := (sessionCodec{}).Decode(data); err == nil {
		uid, _ = values[keyUserID].(string)
	}
	return st.gs.CommitUserCtx(ctx, token, uid, data, expiry)
}

func (st sessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return st.CommitCtx(context.Background(), token, data, expiry)
}

// readAhead holds, for one request, the grant and site read with its
// session, until the request's first use of them (takeGrant). It is not a
// cache: it lives as long as the request, is used once, and only while
// fresh, so a request that took long to get there (a large upload) reads
// the grant again.
type readAhead struct {
	at time.Time
	sg atomic.Pointer[tm.SessionGrant]
}

// readAheadFresh is how long after the session read its grant stands in
// for a read of its own.
const readAheadFresh = time.Second

// readAheadKey is the context key of the request's readAhead.
type readAheadKey struct{}

func (ra *readAhead) put(sg *tm.SessionGrant) {
	ra.at = time.Now()
	ra.sg.Store(sg)
}

// withReadAhead gives the request a readAhead; it wraps LoadAndSave,
// whose session read fills it.
func withReadAhead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), readAheadKey{}, &readAhead{})))
	})
}

// takeGrant returns userID's grant and site as read with the request's
// session, or nil when there is none for this user or it is no longer
// fresh; either way it is gone after the first call.
func takeGrant(ctx context.Context, userID string) *tm.SessionGrant {
	ra, ok := ctx.Value(readAheadKey{}).(*readAhead)
	if !ok {
		return nil
	}
	sg := ra.sg.Swap(nil)
	if sg == nil || sg.UserID != userID || time.Since(ra.at) > readAheadFresh {
		return nil
	}
	return sg
}

// sessionCodec stores sessions as tagged JSON. scs's gob codec builds a
// new decoder, and compiles the session's types again, for every request:
// a twentieth of a request's CPU under load. Sessions hold strings, int64s
// and []bytes; anything else, and sessions stored before, go through gob.
type sessionCodec struct{}

// sessionJSONTag starts a JSON-coded session; a gob stream never starts
// with a zero byte (its first message has a non-zero length).
const sessionJSONTag = "\x00tm1"

type sessionJSON struct {
	Deadline int64             `json:"d"`
	Strings  map[string]string `json:"s,omitempty"`
	Ints     map[string]int64  `json:"i,omitempty"`
	Bytes    map[string][]byte `json:"b,omitempty"`
}

func (sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	out := sessionJSON{Deadline: deadline.UnixNano()}
	for k, v := range values {
		switch v := v.(type) {
		case string:
			if out.Strings == nil {
				out.Strings = map[string]string{}
			}
			out.Strings[k] = v
		case int64:
			if out.Ints == nil {
				out.Ints = map[string]int64{}
			}
			out.Ints[k] = v
		case []byte:
			if out.Bytes == nil {
				out.Bytes = map[string][]byte{}
			}
			out.Bytes[k] = v
		default:
			return scs.GobCodec{}.Encode(deadline, values)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append([]byte(sessionJSONTag), b...), nil
}

func (sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	rest, ok := bytes.CutPrefix(b, []byte(sessionJSONTag))
	if !ok {
		return scs.GobCodec{}.Decode(b)
	}
	var in sessionJSON
	if err := json.Unmarshal(rest, &in); err != nil {
		return time.Time{}, nil, err
	}
	values := make(map[string]any, len(in.Strings)+len(in.Ints)+len(in.Bytes))
	for k, v := range in.Strings {
		values[k] = v
	}
	for k, v := range in.Ints {
		values[k] = v
	}
	for k, v := range in.Bytes {
		values[k] = v
	}
	return time.Unix(0, in.Deadline), values, nil
}
