package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
)

// A double submit creates one ticket. POST /api/tickets takes an
// Idempotency-Key header; the create form carries a one-time token
// (formTokenField) printed into each rendered form. The first request with
// a key runs; any other with the same key and user waits for it and gets
// the same answer, and one with the same key but another body is refused.
// Keys live in the database for onceTTL, so a repeat that lands on another
// replica is answered the same way.

const (
	idempotencyHeader = "Idempotency-Key"
	formTokenField    = "submit_token"
	onceTTL           = 24 * time.Hour
	onceMaxKey        = 255
	// onceRunTimeout bounds a create that runs on after its client left:
	// a browser abandons the first submit of a double click, and the
	// create must still finish so the second can be answered with it.
	onceRunTimeout = 2 * time.Minute
	// oncePoll is how often a repeat looks for the first request's answer.
	oncePoll = 50 * time.Millisecond
)

// onceOnly wraps a create handler so that a key (from the header or the
// form field) makes it run once per user.
func (s *Server) onceOnly(h func(w http.ResponseWriter, r *http.Request, userID string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, userID string) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "the request body could not be read (is it larger than 64 KiB?)"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		key := r.Header.Get(idempotencyHeader)
		if key == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if err := r.ParseForm(); err == nil {
				key = r.PostForm.Get(formTokenField)
				// The token is not part of what is being created.
				delete(r.PostForm, formTokenField)
				raw = []byte(r.PostForm.Encode())
			}
		}
		if key == "" {
			h(w, r, userID)
			return
		}
		if len(key) > onceMaxKey {
			s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "the Idempotency-Key is longer than 255 characters."})
			return
		}
		hash := sha256.Sum256(raw)
		rec, run, err := s.store.ClaimOnce(r.Context(), userID, key, hash[:], s.now().Add(onceTTL))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !run {
			s.repeat(w, r, userID, key, hash[:], rec)
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), onceRunTimeout)
		defer cancel()
		rec2 := &recorder{header: http.Header{}}
		h(rec2, r.WithContext(ctx), userID)
		a := tm.OnceAnswer{Status: rec2.status, Header: rec2.header, Body: rec2.buf.Bytes()}
		if err := s.store.FinishOnce(ctx, userID, key, a); err != nil {
			// The ticket exists; only a repeat of this request is left
			// without its answer, and it says so.
			s.log.Error("store the once-only answer", "user", userID, "err", err)
		}
		replay(w, a, false)
	}
}

// repeat answers a request whose key another request claimed: with that
// request's answer once it has one.
func (s *Server) repeat(w http.ResponseWriter, r *http.Request, userID, key string, hash []byte, rec tm.OnceRecord) {
	if !bytes.Equal(rec.BodyHash, hash) {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID,
			Message: "this Idempotency-Key was already used for a different request; use a new key for a new ticket."})
		return
	}
	giveUp := rec.CreatedAt.Add(onceRunTimeout + 10*time.Second)
	for !rec.Done {
		if s.now().After(giveUp) {
			s.fail(w, r, &tm.Error{Code: tm.ECONFLICT,
				Message: "the first request with this key did not finish (the server handling it may have stopped): the ticket may or may not exist.",
				Hint:    "Look at your recent tickets before sending it again with a new key."})
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(oncePoll):
		}
		var err error
		if rec, err = s.store.GetOnce(r.Context(), userID, key); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	replay(w, rec.Answer, true)
}

func replay(w http.ResponseWriter, a tm.OnceAnswer, repeated bool) {
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	if repeated {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(a.Body)
}

// recorder keeps a handler's answer so it can be sent again.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}

// newFormToken is the one-time token printed into a create form.
func newFormToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
