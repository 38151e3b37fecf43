// Package servertest runs a real tm serve — the server over a real SQLite
// file — wired to a sandbox on loopback, for tests and benchmarks of its
// clients (the CLI through the gateway). People sign in to it and approve
// devices over HTTP, as a browser would, without JavaScript.
//
// It imports the server, the store, the emulator and what wires them.
package servertest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/store"
)

// Options shape the server and its sandbox.
type Options struct {
	Latency time.Duration // the sandbox's per-request latency
	Devices server.DeviceOptions
}

// Server is a running tm serve and the sandbox it talks to.
type Server struct {
	URL     string
	Sandbox *emulatortest.Server
	DB      *store.DB
	Clock   *Clock // the server's and its store's clock
}

// Clock is the server's movable clock: real time plus an offset.
type Clock struct {
	mu sync.Mutex
	d  time.Duration
}

// Now is real time plus the offset.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.d += d; c.mu.Unlock() }

// Start runs a sandbox and a tm server until the test ends.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	sb := emulatortest.Start(tb, emulator.Options{Latency: o.Latency, RateLimit: emulator.RateLimit{Points: -1}})
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	k, err := secret.ParseKey(base64.StdEncoding.EncodeToString(key))
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := secret.NewKeyring(k)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Sandbox: sb, Clock: &Clock{}}
	s.DB, err = store.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "tm.db"), keys, store.WithClock(s.Clock.Now))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.DB.Close() })
	ts := httptest.NewUnstartedServer(nil)
	s.URL = "http://" + ts.Listener.Addr().String()
	app := sb.Creds.OAuth[0]
	oauth, err := atlassian.New(atlassian.Config{AuthURL: sb.URL, APIURL: sb.URL, ClientID: app.ClientID,
		ClientSecret: tm.Secret(app.ClientSecret), RedirectURI: s.URL + "/api/auth/jira/callback", Now: s.Clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: s.DB, Keys: keys, OAuth: oauth, APIURL: sb.URL, Now: s.Clock.Now, Devices: o.Devices})
	if err != nil {
		tb.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	tb.Cleanup(ts.Close)
	return s
}

// Person is someone with a browser (a cookie jar) signed in to the server.
type Person struct {
	s *Server
	c *http.Client
}

// SignIn signs the sandbox's user i in to the dashboard with site j.
func (s *Server) SignIn(tb testing.TB, i, j int) *Person {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(s.URL + "/api/auth/jira/login")
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	back, err := s.Sandbox.E.Auth().Approve(resp.Header.Get("Location"), s.Sandbox.Creds.Users[i].AccountID, s.Sandbox.Creds.Sites[j].CloudID)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err = c.Get(back)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign-in callback: HTTP %d", resp.StatusCode)
	}
	return &Person{s: s, c: c}
}

// Decide answers the device request with userCode on the /device page:
// "approve", "approve-read" or "deny". It returns the page's text.
func (p *Person) Decide(tb testing.TB, userCode, decision string) string {
	tb.Helper()
	resp, err := p.c.PostForm(p.s.URL+"/device", url.Values{"user_code": {userCode}, "decision": {decision}})
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("deciding %s: HTTP %d\n%s", userCode, resp.StatusCode, b)
	}
	return string(b)
}

// Tokens lists the person's live tokens.
func (p *Person) Tokens(tb testing.TB) []tm.APIToken {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.s.URL+"/api/tokens", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := p.c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Tokens []tm.APIToken }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	return out.Tokens
}

// RevokeAll revokes every token of the person with the tokens page's form.
func (p *Person) RevokeAll(tb testing.TB) int {
	tb.Helper()
	toks := p.Tokens(tb)
	for _, t := range toks {
		resp, err := p.c.PostForm(p.s.URL+"/tokens/"+t.ID+"/revoke", nil)
		if err != nil {
			tb.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			tb.Fatalf("revoke %s: HTTP %d", t.ID, resp.StatusCode)
		}
	}
	return len(toks)
}

// UserCode finds the one-time code tm login --server printed in text.
func UserCode(text string) (string, error) {
	const marker = "one-time code: "
	i := strings.Index(text, marker)
	if i < 0 {
		return "", fmt.Errorf("no one-time code in %q", text)
	}
	code, _, _ := strings.Cut(text[i+len(marker):], "\n")
	return strings.TrimSpace(code), nil
}

// Disconnect presses Disconnect Jira on the dashboard: the server forgets
// the person's Atlassian grant.
func (p *Person) Disconnect(tb testing.TB) {
	tb.Helper()
	resp, err := p.c.PostForm(p.s.URL+"/api/auth/jira/disconnect", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("disconnect: HTTP %d", resp.StatusCode)
	}
}

// Token is a ticket-mate token for the person from device sign-in:
// approved with write access, or read-only when readOnly.
func (p *Person) Token(tb testing.TB, readOnly bool) string {
	tb.Helper()
	post := func(path string, form url.Values, out any) {
		resp, err := http.PostForm(p.s.URL+path, form)
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
	}
	var code struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	post("/api/device/code", url.Values{"client_name": {"test"}}, &code)
	decision := "approve"
	if readOnly {
		decision = "approve-read"
	}
	p.Decide(tb, code.UserCode, decision)
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	post("/api/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {code.DeviceCode}}, &tok)
	if tok.AccessToken == "" {
		tb.Fatalf("device token: %s", tok.Error)
	}
	return tok.AccessToken
}

// Client is the person's browser: it keeps their cookies and does not
// follow redirects.
func (p *Person) Client() *http.Client { return p.c }
