package login

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/config"
)

// callback is the loopback listener that receives Atlassian's redirect.
type callback struct {
	uri     string // ATLASSIAN_REDIRECT_URI
	path    string
	state   string
	lns     []net.Listener
	srv     *http.Server
	answers chan answer
	ignored chan struct{} // one per request whose state did not match
}

// answer is what the redirect carried.
type answer struct {
	code, err, desc string
}

// listen binds the host and port of a loopback redirect URI. For
// "localhost" it binds 127.0.0.1 and, when it can, ::1, as a browser may
// resolve the name to either.
func listen(redirectURI string) (*callback, error) {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Host == "" {
		return nil, notLoopback(redirectURI, "it is not a URL")
	}
	if u.Scheme != "http" || !config.IsLoopback(u.Hostname()) {
		return nil, notLoopback(redirectURI, "tm login receives the answer on this machine, over plain http")
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	hosts := []string{u.Hostname()}
	if strings.EqualFold(u.Hostname(), "localhost") {
		hosts = []string{"127.0.0.1", "::1"}
	}
	cb := &callback{uri: redirectURI, path: u.Path, answers: make(chan answer, 1), ignored: make(chan struct{}, 16)}
	if cb.path == "" {
		cb.path = "/"
	}
	for i, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, port))
		if err != nil {
			if i > 0 { // the IPv6 twin is a courtesy; 127.0.0.1 is enough
				continue
			}
			return nil, listenError(redirectURI, port, err)
		}
		cb.lns = append(cb.lns, ln)
	}
	cb.srv = &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	return cb, nil
}

func (cb *callback) serve() {
	for _, ln := range cb.lns {
		go cb.srv.Serve(ln)
	}
}

func (cb *callback) close() {
	// Let the page that was just served reach the browser, briefly.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if cb.srv.Shutdown(ctx) != nil {
		cb.srv.Close()
	}
	for _, ln := range cb.lns { // when serve never ran
		ln.Close()
	}
}

// wait returns the authorization code, or why there is none.
func (cb *callback) wait(ctx context.Context, timeout time.Duration, w io.Writer) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", cancelled()
		case <-timer.C:
			return "", &tm.Error{Code: tm.EINVALID,
				Message: fmt.Sprintf("no answer from the browser within %s; nothing was stored", timeout),
				Hint:    "Run tm login again and accept on Atlassian's page (tm login --timeout 10m waits longer)."}
		case <-cb.ignored:
			ignored(w)
		case a := <-cb.answers:
			for len(cb.ignored) > 0 { // said before the answer, whichever select saw first
				<-cb.ignored
				ignored(w)
			}
			return a.code, a.problem()
		}
	}
}

func ignored(w io.Writer) {
	fmt.Fprintln(w, "Ignored a request to the callback that did not come from this sign-in (its state did not match).")
}

func (a answer) problem() error {
	switch {
	case a.err == "access_denied":
		return &tm.Error{Code: tm.EFORBIDDEN,
			Message: "access was not granted on Atlassian's consent page (access_denied); nothing was stored",
			Hint:    "Run tm login again and choose Accept. If your organisation must approve the app first, ask an Atlassian admin."}
	case a.err != "":
		msg := "Atlassian did not grant access: " + a.err
		if a.desc != "" {
			msg += " (" + a.desc + ")"
		}
		hint := "Run tm login again."
		if a.err == "invalid_scope" {
			hint = "Check ATLASSIAN_OAUTH_SCOPES against the scopes configured on the app in the developer console, then run tm login again."
		}
		return &tm.Error{Code: tm.EINVALID, Message: msg + "; nothing was stored", Hint: hint}
	case a.code == "":
		return &tm.Error{Code: tm.EINVALID, Message: "Atlassian's answer carried no authorization code; nothing was stored", Hint: "Run tm login again."}
	}
	return nil
}

// ServeHTTP answers the browser. The page never shows the code.
func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cb.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(cb.state)) != 1 {
		// Neither a forged request nor a tab left over from an earlier
		// tm login may hand over a code, or end this sign-in.
		select {
		case cb.ignored <- struct{}{}:
		default:
		}
		page(w, http.StatusBadRequest, "This answer is not for the sign-in tm is waiting for",
			"It carries another state: it may come from an earlier tm login. Use the link the terminal shows now, or run tm login again.")
		return
	}
	a := answer{code: q.Get("code"), err: q.Get("error"), desc: clean(q.Get("error_description"))}
	select {
	case cb.answers <- a:
	default: // a reload of the same redirect: the first answer counts
	}
	if a.err != "" || a.code == "" {
		page(w, http.StatusOK, "Access was not granted", "tm did not sign in. You can close this tab; the terminal says what to do next.")
		return
	}
	page(w, http.StatusOK, "ticket-mate received Atlassian's answer", "You can close this tab and return to the terminal.")
}

// pageTmpl is parsed on first use, not at package initialisation, which every
// tm command pays.
var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} – ticket-mate</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#172b4d}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))
})

func page(w http.ResponseWriter, status int, title, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	pageTmpl().Execute(w, struct{ Title, Text string }{title, text})
}

// clean keeps a provider's description printable and short.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.TrimSpace(s)
}

func notLoopback(uri, why string) error {
	return &tm.Error{Code: tm.ECONFIG,
		Message: fmt.Sprintf("ATLASSIAN_REDIRECT_URI (%s) is not a loopback http URL: %s", uri, why),
		Hint: "Register a loopback callback on your OAuth app in the developer console (https://developer.atlassian.com/console/myapps/ → Authorization),\n" +
			"e.g. " + config.DefaultRedirectURI + ", and set ATLASSIAN_REDIRECT_URI to exactly that URL in .env.local."}
}

func listenError(uri, port string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(strings.ToLower(err.Error()), "only one usage of each socket address") {
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("port %s is in use, so tm login cannot receive Atlassian's answer on ATLASSIAN_REDIRECT_URI (%s)", port, uri),
			Hint: "If tm serve (or another program) is running on that port, stop it while you sign in.\n" +
				"Or register another loopback callback on the app, e.g. http://localhost:4001/api/auth/jira/callback,\n" +
				"set ATLASSIAN_REDIRECT_URI to it in .env.local, and run tm login again."}
	}
	return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
		Message: fmt.Sprintf("cannot listen on port %s for ATLASSIAN_REDIRECT_URI (%s): %v", port, uri, err),
		Hint:    "Use a loopback callback URL with a free port above 1023, registered on the app, in ATLASSIAN_REDIRECT_URI."}
}
