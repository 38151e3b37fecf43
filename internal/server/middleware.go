package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Limits on what a client may send.
const (
	maxFormBody = 64 << 10 // forms and JSON bodies: a ticket description fits many times over
)

type ctxKey int

const (
	routeKey ctxKey = iota
	requestIDKey
)

// requestID is the id observe gave the request: in the X-Request-Id
// header, in every log line about it, and in any error a person sees, so
// an operator can find the details a person is not shown.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// routeInfo is filled in by the matched handler so the outermost middleware,
// which runs before routing, can label metrics and logs with the pattern.
type routeInfo struct{ pattern string }

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs and counts every request. It logs the route pattern and the
// path without its query: a callback query carries the authorization code.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &routeInfo{}
		sw := &statusWriter{ResponseWriter: w}
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(r.Context(), "panic serving request", "route", ri.pattern, "panic", v, "request_id", id)
				if sw.status == 0 {
					s.unavailable(sw, r, http.StatusInternalServerError, genericMessage)
				}
			}
			d := time.Since(start)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			s.metrics.observeRequest(ri.pattern, sw.status, d)
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", ri.pattern), slog.Int("status", sw.status),
				slog.Duration("duration", d), slog.String("request_id", id))
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey, ri)))
	})
}

// route wraps a handler registered under pattern: it records the pattern
// for observe and caps the request body.
func route(h http.HandlerFunc) http.Handler { return routeLimit(h, maxFormBody) }

// routeLimit is route with a body cap of its own, for uploads.
func routeLimit(h http.HandlerFunc, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(routeKey).(*routeInfo); ok {
			ri.pattern = r.Pattern
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h(w, r)
	})
}

// securityHeaders applies to every response. The CSP allows no script at
// all: the dashboard works without JavaScript. Behind an https public URL,
// browsers are told to use nothing else (HSTS).
func securityHeaders(hsts bool, next http.Handler) http.Handler {
	const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
		"base-uri 'none'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages and API answers are per user: never cache them anywhere.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
