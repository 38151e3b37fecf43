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
	"sync"
	"time"

	"github.com/ticket-mate/tm"
)

// A double submit creates one ticket. POST /api/tickets takes an
// Idempotency-Key header; the create form carries a one-time token
// (formTokenField) printed into each rendered form. The first request with
// a key runs; any other with the same key and user waits for it and gets
// the same answer, and one with the same key but another body is refused.
// Keys are remembered for onceTTL in this process.

const (
	idempotencyHeader = "Idempotency-Key"
	formTokenField    = "submit_token"
	onceTTL           = 24 * time.Hour
	onceMaxEntries    = 10_000
	onceMaxKey        = 255
	// onceRunTimeout bounds a create that runs on after its client left:
	// a browser abandons the first submit of a double click, and the
	// create must still finish so the second can be answered with it.
	onceRunTimeout = 2 * time.Minute
)

type onceStore struct {
	mu      sync.Mutex
	entries map[string]*onceEntry
}

type onceEntry struct {
	done    chan struct{}
	body    [32]byte // the request body's hash
	expires time.Time

	status int
	header http.Header
	answer []byte
}

func newOnceStore() *onceStore { return &onceStore{entries: map[string]*onceEntry{}} }

// claim returns the entry for key and whether the caller runs the request.
func (o *onceStore) claim(key string, body [32]byte, now time.Time) (*onceEntry, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.entries[key]; ok && now.Before(e.expires) {
		return e, false
	}
	if len(o.entries) >= onceMaxEntries {
		for k, e := range o.entries {
			if !now.Before(e.expires) {
				delete(o.entries, k)
			}
		}
		// Still full: forget finished answers (any; map order is random)
		// rather than grow without bound. One still running stays.
		for k, e := range o.entries {
			if len(o.entries) < onceMaxEntries {
				break
			}
			select {
			case <-e.done:
				delete(o.entries, k)
			default:
			}
		}
	}
	e := &onceEntry{done: make(chan struct{}), body: body, expires: now.Add(onceTTL)}
	o.entries[key] = e
	return e, true
}

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
		e, run := s.once.claim(userID+"\x00"+key, sha256.Sum256(raw), s.now())
		if !run {
			select {
			case <-e.done:
			case <-r.Context().Done():
				return
			}
			if e.body != sha256.Sum256(raw) {
				s.fail(w, r, &tm.Error{Code: tm.EINVALID,
					Message: "this Idempotency-Key was already used for a different request; use a new key for a new ticket."})
				return
			}
			replay(w, e, true)
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), onceRunTimeout)
		defer cancel()
		rec := &recorder{header: http.Header{}}
		h(rec, r.WithContext(ctx), userID)
		e.status, e.header, e.answer = rec.status, rec.header, rec.buf.Bytes()
		close(e.done)
		replay(w, e, false)
	}
}

func replay(w http.ResponseWriter, e *onceEntry, repeated bool) {
	for k, v := range e.header {
		w.Header()[k] = v
	}
	if repeated {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	status := e.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(e.answer)
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
