package tm

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
)

// Origin is a URL's scheme, host and port (the port spelt out even when it
// is the scheme's default): the unit credentials are bound to.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port)
}

// SameOrigin reports whether a and b share scheme, host and port.
func SameOrigin(a, b *url.URL) bool { return Origin(a) == Origin(b) }

// RedirectError is a redirect an outbound client refused to follow: to
// another origin (credentials would go where they were not configured for,
// and the answer would come from someone else), from https to http, one
// that would turn a POST into a GET, or any redirect of an endpoint that
// must follow none.
type RedirectError struct {
	Method string
	From   string // the URL that answered with the redirect (no credentials)
	To     string // where it pointed
	Status int
	Reason string // why it was not followed
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s %s answered %d, a redirect to %s, which tm did not follow: %s. "+
		"This usually means a proxy or single sign-on page in front of the service, or a wrong base URL",
		e.Method, e.From, e.Status, e.To, e.Reason)
}

// FollowSameOrigin is an http.Client CheckRedirect that follows a redirect
// only within the origin of the first request and only when the method
// stays the same, so credentials never leave the origin they were set for,
// an https request is never downgraded, and a POST never becomes a GET.
func FollowSameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0]
	refuse := func(reason string) error { return redirectError(req, via, reason) }
	switch {
	case first.URL.Scheme == "https" && req.URL.Scheme != "https":
		return refuse("it downgrades https to http")
	case !SameOrigin(first.URL, req.URL):
		return refuse("it leads to another origin than " + Origin(first.URL) + ", and credentials go only there")
	case req.Method != first.Method:
		return refuse(fmt.Sprintf("it would turn the %s into a %s", first.Method, req.Method))
	case len(via) >= 10:
		return refuse("too many redirects")
	}
	return nil
}

// FollowNoRedirect is an http.Client CheckRedirect for endpoints that must
// follow none (an OAuth token endpoint: a 307 would replay the secret).
func FollowNoRedirect(req *http.Request, via []*http.Request) error {
	return redirectError(req, via, "this endpoint follows no redirect")
}

func redirectError(req *http.Request, via []*http.Request, reason string) error {
	e := &RedirectError{Method: via[0].Method, To: Redacted(req.URL), Reason: reason}
	if r := req.Response; r != nil {
		e.Status = r.StatusCode
		if r.Request != nil {
			e.From = Redacted(r.Request.URL)
		}
	}
	if e.From == "" {
		e.From = Redacted(via[len(via)-1].URL)
	}
	return e
}

// Redacted is u without user information.
func Redacted(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = nil
	return c.String()
}
