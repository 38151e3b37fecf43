package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
)

// Error is a failed Jira call: a response Jira (or the gateway in front of
// it) refused, a response that could not be read, or a request that never
// got an answer. It carries whatever the body said, whichever of the shapes
// Atlassian uses it came in.
type Error struct {
	Method string
	URL    string // without credentials; the query is kept, it never holds secrets

	// StatusCode is 0 when no response was received (see Err).
	StatusCode int

	// Atlassian's ErrorCollection.
	ErrorMessages   []string
	Errors          map[string]string // field id → message
	WarningMessages []string

	// Message is the text of a body that is not an ErrorCollection: the
	// plain-text 401 of the site host, the gateway's {"code","message"},
	// Server's {"message","status-code"}.
	Message string

	// OAuthError and OAuthDescription are an RFC 6749 error body.
	OAuthError       string
	OAuthDescription string

	// LoginReason is X-Seraph-LoginReason when it was not "OK".
	LoginReason string

	// RateLimitReason is RateLimit-Reason on a 429/503, RetryAfter its
	// wait and RetryAt the instant it ends.
	RateLimitReason string
	RetryAfter      time.Duration
	RetryAt         time.Time

	// Waited is how long the client waited between attempts before giving
	// up; NotWaited says it gave up because the next wait would not fit
	// in the time left (the command's deadline, or the policy's MaxWait).
	Waited    time.Duration
	NotWaited bool

	// HTML reports an HTML page where JSON was expected (a single sign-on
	// page, a proxy's error page); HTMLTitle is its <title>.
	HTML      bool
	HTMLTitle string

	// Connected reports that a connection was made before the request
	// failed without an answer.
	Connected bool

	// Gateway reports that the request went through the API gateway
	// ({APIURL}/ex/jira/{cloudId}) rather than the site host.
	Gateway bool

	// Fallback is the gateway's answer when a scoped-looking token was
	// refused on the site and tried there as well, and failed there too.
	Fallback *Error

	// Uncertain is set on a request that is not safe to repeat (a POST)
	// when it is unknown whether Jira carried it out: it timed out, the
	// connection broke, or a 5xx came back.
	Uncertain bool

	// LookupErr is why the search for an Uncertain create's ticket could
	// not be run; nil when it ran and found nothing.
	LookupErr error

	// Err is the transport or decoding error, if any.
	Err error

	permanent bool   // a failure before sending that no retry can fix
	raw       []byte // the error body as read, for answers with their own shape (bulk create)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.URL)
	if e.StatusCode == 0 {
		if e.Err != nil {
			b.WriteString(e.Err.Error())
		} else {
			b.WriteString("no response")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.HTML {
		b.WriteString(": ")
		b.WriteString(e.htmlText())
		return b.String()
	}
	if e.LoginReason != "" {
		fmt.Fprintf(&b, " (login refused: X-Seraph-LoginReason %s)", e.LoginReason)
	}
	if msgs := e.Messages(); len(msgs) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(msgs, "; "))
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Messages lists every message in the body: errorMessages, then field
// errors as "field: message" in field order, then the other shapes.
func (e *Error) Messages() []string {
	out := append([]string(nil), e.ErrorMessages...)
	for _, k := range e.FieldNames() {
		out = append(out, k+": "+e.Errors[k])
	}
	if e.Message != "" {
		out = append(out, e.Message)
	}
	if e.OAuthError != "" {
		s := e.OAuthError
		if e.OAuthDescription != "" {
			s += ": " + e.OAuthDescription
		}
		out = append(out, s)
	}
	return out
}

// FieldNames returns the keys of Errors, sorted.
func (e *Error) FieldNames() []string {
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AuthFailed reports whether Jira refused the credentials: a 401, or any
// response whose X-Seraph-LoginReason says the login failed (Cloud serves
// anonymous-capable endpoints as anonymous then, with a 200).
func (e *Error) AuthFailed() bool {
	return e.StatusCode == http.StatusUnauthorized || e.LoginReason != ""
}

// ScopeMismatch reports the gateway's "Unauthorized; scope does not match":
// the token is valid but lacks a scope the operation needs.
func (e *Error) ScopeMismatch() bool {
	return e.StatusCode == http.StatusUnauthorized && strings.Contains(strings.ToLower(e.Message), "scope does not match")
}

// RateLimited reports a 429, or a 503 that asked to come back later.
func (e *Error) RateLimited() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable && e.RetryAfter > 0
}

// errorBody is the union of every JSON error shape Atlassian sends.
type errorBody struct {
	ErrorMessages    []string       `json:"errorMessages"`
	Errors           map[string]any `json:"errors"`
	WarningMessages  []string       `json:"warningMessages"`
	Message          string         `json:"message"`
	Error            string         `json:"error"`
	ErrorDescription string         `json:"error_description"`
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// parseBody fills e from an error response body, whatever its shape. HTML
// (proxies, maintenance pages) is not shown: the status says enough.
func (e *Error) parseBody(contentType string, body []byte) {
	e.raw = body
	text := strings.TrimSpace(string(body))
	if text == "" {
		return
	}
	var eb errorBody
	if (text[0] == '{') && json.Unmarshal(body, &eb) == nil {
		e.ErrorMessages = eb.ErrorMessages
		e.WarningMessages = eb.WarningMessages
		if len(eb.Errors) > 0 {
			e.Errors = make(map[string]string, len(eb.Errors))
			for k, v := range eb.Errors {
				if s, ok := v.(string); ok {
					e.Errors[k] = s
				} else {
					b, _ := json.Marshal(v)
					e.Errors[k] = string(b)
				}
			}
		}
		e.Message = eb.Message
		e.OAuthError = eb.Error
		e.OAuthDescription = eb.ErrorDescription
		return
	}
	if isHTML(contentType, body) {
		e.HTML, e.HTMLTitle = true, htmlTitle(body)
		return
	}
	e.Message = truncate(text, 300)
}

// isHTML reports a body that is a web page rather than the JSON asked for.
func isHTML(contentType string, body []byte) bool {
	if strings.Contains(strings.ToLower(contentType), "html") {
		return true
	}
	t := bytes.TrimSpace(body)
	return len(t) > 0 && t[0] == '<'
}

// titleRE is compiled when an HTML page is first met, not at start-up,
// which every command pays.
var titleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })

// htmlTitle is the page's <title>, unescaped, on one line, clipped.
func htmlTitle(body []byte) string {
	m := titleRE().FindSubmatch(body)
	if m == nil {
		return ""
	}
	t := strings.Join(strings.Fields(html.UnescapeString(string(m[1]))), " ")
	return truncate(strings.ToValidUTF8(t, ""), 120)
}

// htmlText says what an HTML answer is, quoting its title.
func (e *Error) htmlText() string {
	page := "an HTML page"
	if e.HTMLTitle != "" {
		page = fmt.Sprintf("an HTML page titled %q", e.HTMLTitle)
	}
	return page + " where JSON was expected (a single sign-on page or a proxy in front of Jira, or a base URL that is not Jira's)"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// Code classifies the failure for the domain: the tm error code of its
// status (EUNAVAILABLE when no answer came).
func (e *Error) Code() string {
	switch s := e.StatusCode; {
	case s == 0, s >= 500:
		return tm.EUNAVAILABLE
	case s == http.StatusBadRequest, s == http.StatusUnprocessableEntity:
		return tm.EINVALID
	case s == http.StatusUnauthorized:
		return tm.EUNAUTHORIZED
	case s == http.StatusForbidden:
		return tm.EFORBIDDEN
	case s == http.StatusNotFound, s == http.StatusGone:
		return tm.ENOTFOUND
	case s == http.StatusConflict:
		return tm.ECONFLICT
	case s == http.StatusTooManyRequests:
		return tm.ERATELIMIT
	}
	return tm.EINTERNAL
}

// Status is the answer in a few words: "503 Service Unavailable", or why
// there was none.
func (e *Error) Status() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return "no answer"
}

// Path is the request's REST path, without the host and the query.
func (e *Error) Path() string {
	u := e.URL
	if i := strings.Index(u, "/rest/api/"); i >= 0 {
		u = u[i:]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
}
