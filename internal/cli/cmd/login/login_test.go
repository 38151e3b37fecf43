package login_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/cmd/login"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/credfile/credfiletest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// world is the sandbox and a terminal configured for its OAuth app, with
// the callback on a free loopback port.
type world struct {
	t        *testing.T
	sb       *emulatortest.Server
	clock    *credfiletest.Clock
	f        *factory.Factory
	env      map[string]string
	in       *bytes.Buffer
	out, err *syncBuffer
	port     int

	mu    sync.Mutex
	pages []page // what the browser was shown at the callback
}

type page struct {
	status int
	body   string
}

func newWorld(t *testing.T) *world {
	clock := &credfiletest.Clock{}
	sb := emulatortest.Start(t, emulator.Options{Clock: clock.Now})
	ios, in, _, _ := iostreams.Test()
	w := &world{t: t, sb: sb, clock: clock, in: in, out: &syncBuffer{}, err: &syncBuffer{}, port: freePort(t)}
	ios.Out, ios.ErrOut = w.out, w.err
	app := sb.Creds.OAuth[0]
	w.env = map[string]string{
		"ATLASSIAN_AUTH_MODE": "OAUTH", "ATLASSIAN_CLIENT_ID": app.ClientID, "ATLASSIAN_CLIENT_SECRET": app.ClientSecret,
		"ATLASSIAN_REDIRECT_URI": "http://localhost:" + strconv.Itoa(w.port) + "/api/auth/jira/callback",
		"ATLASSIAN_AUTH_URL":     sb.URL, "ATLASSIAN_API_URL": sb.URL,
	}
	w.f = &factory.Factory{IO: ios, WorkDir: t.TempDir(), ConfigDir: t.TempDir(), CacheDir: t.TempDir(), Now: clock.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := w.env[k]; return v, ok },
		HTTPClient: func() *http.Client { return &http.Client{Timeout: 10 * time.Second} }}
	return w
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// opts are tm login's options with browser standing in for the person.
func (w *world) opts(browser func(authorizeURL string) error) *login.Options {
	return &login.Options{IO: w.f.IO, Config: w.f.Config, OAuthApp: w.f.OAuthApp, OpenBrowser: browser, Timeout: 10 * time.Second}
}

func (w *world) store() *credfile.Store {
	return credfile.New(credfile.Path(w.f.ConfigDir), w.sb.URL, w.sb.Creds.OAuth[0].ClientID, nil)
}

// visit is the browser following a redirect to the callback.
func (w *world) visit(u string) {
	w.t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		w.t.Errorf("browser: %v", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	w.mu.Lock()
	w.pages = append(w.pages, page{resp.StatusCode, string(b)})
	w.mu.Unlock()
}

// accept is a person choosing cloudID ("" the first) and pressing Accept.
func (w *world) accept(cloudID string) func(string) error {
	return func(authorizeURL string) error {
		redirect, err := w.sb.E.Auth().Approve(authorizeURL, "", cloudID)
		if err != nil {
			w.t.Errorf("consent: %v", err)
			return nil
		}
		w.visit(redirect)
		return nil
	}
}

// decide drives Atlassian's consent form over HTTP as a browser would.
func (w *world) decide(authorizeURL, decision string) {
	w.t.Helper()
	resp, err := http.Get(authorizeURL)
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		w.t.Fatalf("no consent form at %s (HTTP %d)", authorizeURL, resp.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.PostForm(w.sb.URL+"/authorize", url.Values{"nonce": {string(m[1])}, "decision": {decision}})
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	w.visit(resp.Header.Get("Location"))
}

func (w *world) lastPage() page {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pages) == 0 {
		w.t.Fatal("the browser saw no callback page")
	}
	return w.pages[len(w.pages)-1]
}

// consentTo adds cloudID to the sandbox user's grant, as a consent in an
// earlier sign-in would have.
func (w *world) consentTo(cloudID string) {
	w.t.Helper()
	c := credfiletest.Client(w.t, w.sb, w.clock.Now)
	if _, err := w.sb.E.Auth().Approve(c.AuthorizeURL("earlier"), "", cloudID); err != nil {
		w.t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	if got := tm.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%s", p, err)
		}
	}
}

func wantUsage(t *testing.T, err error) {
	t.Helper()
	var ue *factory.UsageError
	if !errors.As(err, &ue) {
		t.Errorf("error %v is not a usage error (exit 2)", err)
	}
}

func wantNotUsage(t *testing.T, err error) {
	t.Helper()
	var ue *factory.UsageError
	if errors.As(err, &ue) || errors.Is(err, factory.ErrCancel) {
		t.Errorf("error %v would exit 2", err)
	}
}

// noSecrets fails when any code or token the sandbox issued shows in text.
func (w *world) noSecrets(where, text string) {
	w.t.Helper()
	for _, s := range w.sb.E.Auth().IssuedSecrets() {
		if strings.Contains(text, s) {
			w.t.Errorf("%s shows an issued code or token", where)
		}
	}
}

func (w *world) nothingStored() {
	w.t.Helper()
	if _, err := w.store().SignIn(context.Background()); tm.ErrorCode(err) != tm.ENOTFOUND {
		w.t.Errorf("something was stored: %v", err)
	}
}

func TestLogin(t *testing.T) {
	w := newWorld(t)
	var authorizeURL string
	accept := w.accept("")
	err := login.Run(context.Background(), w.opts(func(u string) error { authorizeURL = u; return accept(u) }))
	if err != nil {
		t.Fatal(err)
	}

	q := must(url.Parse(authorizeURL)).Query()
	for k, v := range map[string]string{"audience": "api.atlassian.com", "prompt": "consent", "response_type": "code",
		"client_id": w.env["ATLASSIAN_CLIENT_ID"], "redirect_uri": w.env["ATLASSIAN_REDIRECT_URI"]} {
		if q.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " offline_access ") {
		t.Errorf("scope %q lacks offline_access", q.Get("scope"))
	}
	if len(q.Get("state")) < 40 {
		t.Errorf("state %q is too short to be unguessable", q.Get("state"))
	}

	you, site := w.sb.You(), w.sb.Creds.Sites[0]
	stderr := w.err.String()
	for _, want := range []string{"Signed in to Atlassian as " + you.DisplayName + " (" + you.Email + ")",
		"Jira site: " + site.Name, site.CloudID, credfile.Path(w.f.ConfigDir), "readable only by you", "Next: tm check-permissions"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if w.out.String() != "" {
		t.Errorf("stdout = %q, want nothing", w.out.String())
	}
	p := w.lastPage()
	if p.status != http.StatusOK || !strings.Contains(p.body, "You can close this tab") {
		t.Errorf("callback page: HTTP %d\n%s", p.status, p.body)
	}
	w.noSecrets("stderr", stderr)
	w.noSecrets("the callback page", p.body)

	st := must(os.Stat(credfile.Path(w.f.ConfigDir)))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("sign-in file mode %04o, want 0600", st.Mode().Perm())
	}
	si := must(w.store().SignIn(context.Background()))
	if si.Account.AccountID != you.AccountID || si.Grant.SelectedCloudID != site.CloudID || si.Grant.RefreshToken.IsZero() {
		t.Errorf("stored sign-in: %+v, grant %+v", si.Account, si.Grant)
	}
	if g, ok := w.sb.E.Auth().Verify(si.Grant.AccessToken.Reveal()); !ok || g.AccountID != you.AccountID {
		t.Errorf("the stored access token is not the sandbox's for %s", you.AccountID)
	}
	if s := w.sb.E.Auth().Stats(); s.CodeExchanges != 1 {
		t.Errorf("code exchanges = %d, want 1", s.CodeExchanges)
	}
}

func TestLoginAccessDenied(t *testing.T) {
	w := newWorld(t)
	err := login.Run(context.Background(), w.opts(func(u string) error { w.decide(u, "deny"); return nil }))
	wantErr(t, err, tm.EFORBIDDEN, "access was not granted", "access_denied", "nothing was stored", "choose Accept")
	wantNotUsage(t, err)
	if p := w.lastPage(); !strings.Contains(p.body, "Access was not granted") || !strings.Contains(p.body, "You can close this tab") {
		t.Errorf("callback page after denial:\n%s", p.body)
	}
	w.nothingStored()
	if s := w.sb.E.Auth().Stats(); s.ConsentsDenied != 1 || s.CodeExchanges != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestLoginStateMismatch: a request carrying another state hands over
// nothing and does not end the sign-in; the real answer still does.
func TestLoginStateMismatch(t *testing.T) {
	w := newWorld(t)
	accept := w.accept("")
	forged := w.env["ATLASSIAN_REDIRECT_URI"] + "?code=forged-code&state=not-the-state"
	err := login.Run(context.Background(), w.opts(func(u string) error {
		w.visit(forged)
		if p := w.lastPage(); p.status != http.StatusBadRequest || !strings.Contains(p.body, "not for the sign-in tm is waiting for") {
			t.Errorf("forged callback: HTTP %d\n%s", p.status, p.body)
		}
		return accept(u)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.err.String(), "Ignored a request to the callback that did not come from this sign-in") {
		t.Errorf("stderr does not mention the ignored request:\n%s", w.err.String())
	}
	if s := w.sb.E.Auth().Stats(); s.CodeExchanges != 1 || s.CodeFailures != 0 {
		t.Errorf("the forged code reached the token endpoint: %+v", s)
	}

	// Only a forged answer: the sign-in times out, nothing stored.
	w2 := newWorld(t)
	o := w2.opts(func(string) error {
		w2.visit(w2.env["ATLASSIAN_REDIRECT_URI"] + "?code=forged-code&state=not-the-state")
		return nil
	})
	o.Timeout = 200 * time.Millisecond
	err = login.Run(context.Background(), o)
	wantErr(t, err, tm.EINVALID, "no answer from the browser within 200ms", "--timeout")
	w2.nothingStored()
}

func TestLoginPortInUse(t *testing.T) {
	w := newWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	opened := false
	err = login.Run(context.Background(), w.opts(func(string) error { opened = true; return nil }))
	wantErr(t, err, tm.EUNAVAILABLE, "port "+strconv.Itoa(w.port)+" is in use", w.env["ATLASSIAN_REDIRECT_URI"],
		"If tm serve", "stop it", "register another loopback callback", "ATLASSIAN_REDIRECT_URI")
	if opened {
		t.Error("the browser was opened although nothing could receive the answer")
	}
}

func TestLoginSeveralSites(t *testing.T) {
	t.Run("no --site and no terminal", func(t *testing.T) {
		w := newWorld(t)
		w.consentTo(w.sb.Creds.Sites[1].CloudID)
		err := login.Run(context.Background(), w.opts(w.accept("")))
		wantErr(t, err, tm.EINVALID, "several Jira sites; choose one with --site", "nothing was stored",
			w.sb.Creds.Sites[0].Name, w.sb.Creds.Sites[1].Name, w.sb.Creds.Sites[1].CloudID, "tm login --site <name>")
		wantUsage(t, err)
		w.nothingStored()
	})
	t.Run("--site by name", func(t *testing.T) {
		w := newWorld(t)
		eu := w.sb.Creds.Sites[1]
		w.consentTo(eu.CloudID)
		o := w.opts(w.accept(w.sb.Creds.Sites[0].CloudID))
		o.Site = strings.ToUpper(eu.Name)
		if err := login.Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		si := must(w.store().SignIn(context.Background()))
		if si.Grant.SelectedCloudID != eu.CloudID || len(si.Sites) != 2 {
			t.Errorf("selected %s of %d sites, want %s of 2", si.Grant.SelectedCloudID, len(si.Sites), eu.CloudID)
		}
		if !strings.Contains(w.err.String(), "Also reachable: "+w.sb.Creds.Sites[0].Name) {
			t.Errorf("stderr does not mention the other site:\n%s", w.err.String())
		}
	})
	t.Run("--site by URL", func(t *testing.T) {
		w := newWorld(t)
		eu := w.sb.Creds.Sites[1]
		w.consentTo(w.sb.Creds.Sites[0].CloudID)
		o := w.opts(w.accept(eu.CloudID))
		o.Site = strings.TrimPrefix(eu.URL, "http://") + "/"
		if err := login.Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if si := must(w.store().SignIn(context.Background())); si.Grant.SelectedCloudID != eu.CloudID {
			t.Errorf("selected %s, want %s", si.Grant.SelectedCloudID, eu.CloudID)
		}
	})
	t.Run("--site that the sign-in does not reach", func(t *testing.T) {
		w := newWorld(t)
		o := w.opts(w.accept(""))
		o.Site = "elsewhere"
		err := login.Run(context.Background(), o)
		wantErr(t, err, tm.EINVALID, "--site elsewhere is not one of the sites this sign-in reaches", w.sb.Creds.Sites[0].Name, "Use app on")
		w.nothingStored()
	})
	t.Run("prompt on a terminal", func(t *testing.T) {
		w := newWorld(t)
		w.consentTo(w.sb.Creds.Sites[1].CloudID)
		w.f.IO.SetTTY(true, false, true)
		w.in.WriteString("9\n2\n")
		if err := login.Run(context.Background(), w.opts(w.accept(""))); err != nil {
			t.Fatal(err)
		}
		// Sites are listed by name: sandbox, then sandbox-eu.
		if si := must(w.store().SignIn(context.Background())); si.Grant.SelectedCloudID != w.sb.Creds.Sites[1].CloudID {
			t.Errorf("selected %s, want the second listed", si.Grant.SelectedCloudID)
		}
		for _, want := range []string{"1) " + w.sb.Creds.Sites[0].Name, "2) " + w.sb.Creds.Sites[1].Name, "Use which site? [1-2]", `"9" is not one of them`} {
			if !strings.Contains(w.err.String(), want) {
				t.Errorf("prompt lacks %q:\n%s", want, w.err.String())
			}
		}
	})
	t.Run("a new login keeps the site chosen before", func(t *testing.T) {
		w := newWorld(t)
		eu := w.sb.Creds.Sites[1]
		w.consentTo(eu.CloudID)
		o := w.opts(w.accept(""))
		o.Site = eu.CloudID
		if err := login.Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		o.Site = ""
		if err := login.Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if si := must(w.store().SignIn(context.Background())); si.Grant.SelectedCloudID != eu.CloudID {
			t.Errorf("selected %s, want the earlier choice %s", si.Grant.SelectedCloudID, eu.CloudID)
		}
	})
}

func TestLoginNoBrowser(t *testing.T) {
	w := newWorld(t)
	// The person reads the URL from stderr and opens it themselves.
	urls := make(chan string, 1)
	w.err.onWrite = func(s string) {
		if m := regexp.MustCompile(`http://\S+/authorize\?\S+`).FindString(s); m != "" {
			select {
			case urls <- m:
			default:
			}
		}
	}
	go func() { w.accept("")(<-urls) }()
	o := w.opts(func(string) error { t.Error("opened a browser despite --no-browser"); return nil })
	o.NoBrowser = true
	if err := login.Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.err.String(), "Open this URL in a browser on this machine") {
		t.Errorf("stderr:\n%s", w.err.String())
	}
}

func TestLoginCancelled(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := login.Run(ctx, w.opts(func(string) error { cancel(); return nil }))
	if !errors.Is(err, factory.ErrCancel) {
		t.Fatalf("error %v is not a cancellation (exit 2)", err)
	}
	wantErr(t, err, tm.EINVALID, "sign-in cancelled; nothing was stored")
	w.nothingStored()
	// The port is free again.
	ln, lerr := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.port))
	if lerr != nil {
		t.Errorf("the callback port is still held: %v", lerr)
	} else {
		ln.Close()
	}
}

func TestLoginWrongMode(t *testing.T) {
	w := newWorld(t)
	w.env["ATLASSIAN_AUTH_MODE"] = "PAT"
	err := login.Run(context.Background(), w.opts(nil))
	wantUsage(t, err)
	wantErr(t, err, tm.EINVALID, "tm login is for ATLASSIAN_AUTH_MODE=OAUTH", "uses PAT", "needs no login", "tm check-permissions")
}

func TestLoginRedirectNotLoopback(t *testing.T) {
	w := newWorld(t)
	w.env["ATLASSIAN_REDIRECT_URI"] = "https://tm.example.com/api/auth/jira/callback"
	err := login.Run(context.Background(), w.opts(nil))
	wantErr(t, err, tm.ECONFIG, "ATLASSIAN_REDIRECT_URI (https://tm.example.com/api/auth/jira/callback) is not a loopback http URL",
		"http://localhost:4000/api/auth/jira/callback")
}

func TestLogout(t *testing.T) {
	w := newWorld(t)
	if err := login.Run(context.Background(), w.opts(w.accept(""))); err != nil {
		t.Fatal(err)
	}
	path := credfile.Path(w.f.ConfigDir)
	run := func(all bool) string {
		t.Helper()
		w.err.Reset()
		if err := login.RunLogout(context.Background(), &login.LogoutOptions{IO: w.f.IO, Config: w.f.Config, ConfigDir: w.f.ConfigDir, All: all}); err != nil {
			t.Fatal(err)
		}
		return w.err.String()
	}
	if got := run(false); !strings.Contains(got, "Signed out: removed the Atlassian sign-in of OAuth app "+w.env["ATLASSIAN_CLIENT_ID"]+" from "+path) ||
		!strings.Contains(got, login.RevokeURL) {
		t.Errorf("first logout:\n%s", got)
	}
	w.nothingStored()
	if got := run(false); !strings.Contains(got, "Not signed in with OAuth app") || !strings.Contains(got, path) {
		t.Errorf("second logout:\n%s", got)
	}
	if got := run(true); !strings.Contains(got, "Signed out: deleted "+path) {
		t.Errorf("logout --all:\n%s", got)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
	if got := run(true); !strings.Contains(got, "Not signed in: "+path+" does not exist") {
		t.Errorf("logout --all again:\n%s", got)
	}
	if w.out.String() != "" {
		t.Errorf("stdout = %q", w.out.String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// syncBuffer is a stream written from several goroutines.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	onWrite func(string)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	f := s.onWrite
	s.mu.Unlock()
	if f != nil {
		f(string(p))
	}
	return n, err
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
func (s *syncBuffer) Reset()         { s.mu.Lock(); s.b.Reset(); s.mu.Unlock() }
