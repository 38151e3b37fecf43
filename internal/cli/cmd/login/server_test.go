package login_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/cmd/login"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/oskeyring"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/servertest"
)

// terminal is a machine user's terminal: tm with its own config directory
// and no Jira configuration at all.
type terminal struct {
	f        *factory.Factory
	out, err *bytes.Buffer
	dir      string
}

func newTerminal(t *testing.T, kr oskeyring.Keyring) *terminal {
	ios, _, out, errOut := iostreams.Test()
	dir := t.TempDir()
	hc := &http.Client{Timeout: 20 * time.Second}
	f := &factory.Factory{IO: ios, WorkDir: t.TempDir(), ConfigDir: filepath.Join(dir, "ticket-mate"), CacheDir: t.TempDir(),
		Now: time.Now, LookupEnv: func(string) (string, bool) { return "", false }, HTTPClient: func() *http.Client { return hc }, Keyring: kr}
	return &terminal{f: f, out: out, err: errOut, dir: dir}
}

// run runs a tm command line and returns its exit code.
func (tt *terminal) run(args ...string) int {
	tt.out.Reset()
	tt.err.Reset()
	return cli.Run(tt.f, args)
}

func (tt *terminal) credFile() string { return credfile.Path(tt.f.ConfigDir) }

// deviceLogin runs tm login --server with the person acting in the browser
// when the terminal first waits: decision "" leaves the code undecided.
// Each wait moves the server's clock by advance(i, d) instead of sleeping.
func deviceLogin(t *testing.T, tt *terminal, s *servertest.Server, p *servertest.Person, decision string,
	advance func(i int, d time.Duration) time.Duration) ([]time.Duration, error) {
	var waits []time.Duration
	o := &login.ServerOptions{IO: tt.f.IO, HTTPClient: tt.f.HTTPClient, Store: tt.f.SaveServerSignIn, CheckStore: tt.f.CheckServerStore, Previous: tt.f.ServerSignIn,
		Hostname: func() (string, error) { return "ci-runner-7", nil }, Server: s.URL, NoBrowser: true,
		OpenBrowser: func(string) error { t.Error("a browser was opened with --no-browser"); return nil },
		Sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			if len(waits) == 1 && decision != "" {
				code, err := servertest.UserCode(tt.err.String())
				if err != nil {
					t.Fatal(err)
				}
				page := p.Decide(t, code, decision)
				if !strings.Contains(page, "ci-runner-7") {
					t.Errorf("the approval page does not name the device's host:\n%s", page)
				}
			}
			s.Clock.Advance(advance(len(waits)-1, d))
			return nil
		}}
	err := login.RunServer(context.Background(), o)
	return waits, err
}

func realTime(_ int, d time.Duration) time.Duration { return d }

func wantCode(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	var te *tm.Error
	if !errors.As(err, &te) || te.Code != code {
		t.Fatalf("error %v; want a tm.Error with code %s", err, code)
	}
	for _, p := range parts {
		if !strings.Contains(te.Error(), p) {
			t.Errorf("error lacks %q:\n%s", p, te.Error())
		}
	}
}

// TestServerLoginEndToEnd: approve, work through the gateway, revoke in the
// dashboard, and the next command exits 4 with the fix.
func TestServerLoginEndToEnd(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Devices: server.DeviceOptions{Interval: time.Second}})
	p := s.SignIn(t, 0, 0)
	tt := newTerminal(t, nil)

	waits, err := deviceLogin(t, tt, s, p, "approve", realTime)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, tt.err)
	}
	if len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("waits %v, want one of the server's 1 s interval", waits)
	}
	wantIn(t, tt.err.String(), "one-time code: ", s.URL+"/device?user_code=", "Signed in to "+s.URL, "read write", tt.credFile())
	// No keyring: the token is in the 0600 file, and nowhere on stdout.
	st, err := os.Stat(tt.credFile())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credential file: %v, mode %v", err, st)
	}
	ss := must(tt.f.ServerSignIn())
	if ss.Where != tt.credFile() || !strings.HasPrefix(ss.Token.Reveal(), "tmu_") || ss.CloudID != s.Sandbox.Creds.Sites[0].CloudID {
		t.Fatalf("stored sign-in: %+v", ss)
	}
	if strings.Contains(tt.out.String()+tt.err.String(), ss.Token.Reveal()) {
		t.Error("tm login printed the token")
	}

	// Every command works unchanged, through the gateway.
	if code := tt.run("ls-projects", "--plain"); code != 0 || !strings.Contains(tt.out.String(), "SPACE2") {
		t.Fatalf("ls-projects through the server: exit %d\nstdout: %s\nstderr: %s", code, tt.out, tt.err)
	}
	if code := tt.run("create-ticket", "-p", "SPACE2", "-t", "Made through the gateway"); code != 0 || !strings.Contains(tt.out.String(), "SPACE2-") {
		t.Fatalf("create-ticket through the server: exit %d\nstdout: %s\nstderr: %s", code, tt.out, tt.err)
	}
	if code := tt.run("check-permissions", "-p", "SPACE2"); code != 0 || !strings.Contains(tt.out.String()+tt.err.String(), "ticket-mate server "+s.URL) {
		t.Fatalf("check-permissions through the server: exit %d\nstdout: %s\nstderr: %s", code, tt.out, tt.err)
	}
	// Signing in again replaces the sign-in and revokes the token it held.
	if _, err := deviceLogin(t, tt, s, p, "approve", realTime); err != nil {
		t.Fatal(err)
	}
	again := must(tt.f.ServerSignIn())
	if again.Token == ss.Token {
		t.Fatal("a second tm login --server kept the first token")
	}
	ss = again
	if code := tt.run("ls-projects", "--plain"); code != 0 {
		t.Fatalf("ls-projects after signing in again: exit %d\n%s", code, tt.err)
	}
	toks := p.Tokens(t)
	if len(toks) != 1 || toks[0].Host != "ci-runner-7" || toks[0].Name != "tm CLI" || toks[0].LastUsedAt.IsZero() {
		t.Fatalf("the person's tokens: %+v", toks)
	}

	// env-check, offline, says the missing settings are not needed now.
	if code := tt.run("env-check"); code != 0 {
		t.Fatalf("env-check while signed in through the server: exit %d\n%s%s", code, tt.out, tt.err)
	}
	wantIn(t, tt.err.String(), "not needed now: tm is signed in through the ticket-mate server "+s.URL)

	// tm auth status shows the sign-in in use, checked with the server.
	you := s.Sandbox.Creds.Users[0]
	if code := tt.run("auth", "status"); code != 0 {
		t.Fatalf("auth status: exit %d\n%s%s", code, tt.out, tt.err)
	}
	wantIn(t, tt.out.String(), "ticket-mate server (tm login --server)  (used by tm commands)", "✓ Works: "+you.DisplayName,
		s.URL+", kept in "+tt.credFile(), "Scopes: read write", "Expires: ", "days)", "tmu_", "cloud id "+s.Sandbox.Creds.Sites[0].CloudID,
		"API token (ATLASSIAN_API_KEY)\n  - not set up")
	if strings.Contains(tt.out.String(), ss.Token.Reveal()) {
		t.Error("tm auth status printed the whole token")
	}

	// Jira disconnected on the server: exit 4, and the fix is in the browser;
	// connecting again there is enough, the terminal's sign-in stays.
	p.Disconnect(t)
	if code := tt.run("ls-projects"); code != cli.ExitAuthError {
		t.Fatalf("ls-projects with Jira disconnected on the server: exit %d, want 4\n%s", code, tt.err)
	}
	wantIn(t, tt.err.String(), "your Jira connection on the ticket-mate server "+s.URL+" has expired or was revoked", "Open "+s.URL+"/ in your browser and Connect Jira")
	p = s.SignIn(t, 0, 0)
	if code := tt.run("ls-projects", "--plain"); code != 0 {
		t.Fatalf("ls-projects after connecting Jira again: exit %d\n%s", code, tt.err)
	}

	// Revoked in the dashboard: the next command exits 4 and says what to run.
	p.RevokeAll(t)
	code := tt.run("ls-projects")
	if code != cli.ExitAuthError {
		t.Fatalf("ls-projects after revoke: exit %d, want 4\n%s", code, tt.err)
	}
	wantIn(t, tt.err.String(), "no longer accepts this terminal's sign-in", "tm login --server "+s.URL)
	if code := tt.run("auth", "status"); code != cli.ExitAuthError {
		t.Fatalf("auth status after revoke: exit %d, want 4\n%s", code, tt.out)
	}
	wantIn(t, tt.out.String(), "X the ticket-mate server "+s.URL+" no longer accepts", "To fix: tm login --server "+s.URL)
}

func TestServerLoginDeniedExpiredSlowDown(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Devices: server.DeviceOptions{Interval: time.Second}})
	p := s.SignIn(t, 0, 0)

	t.Run("denied", func(t *testing.T) {
		tt := newTerminal(t, nil)
		_, err := deviceLogin(t, tt, s, p, "deny", realTime)
		wantCode(t, err, tm.EUNAUTHORIZED, "denied in the browser", "nothing was stored", "tm login --server "+s.URL)
		if _, err := os.Stat(tt.credFile()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a denied sign-in left a credential file: %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		tt := newTerminal(t, nil)
		_, err := deviceLogin(t, tt, s, p, "", func(int, time.Duration) time.Duration { return 11 * time.Minute })
		wantCode(t, err, tm.EUNAUTHORIZED, "expired before it was approved", "tm login --server "+s.URL)
	})
	t.Run("slow down", func(t *testing.T) {
		// The second wait is cut short, so that poll comes too fast: the
		// server says slow_down and tm waits 5 s longer from then on.
		tt := newTerminal(t, nil)
		waits, err := deviceLogin(t, tt, s, p, "", func(i int, d time.Duration) time.Duration {
			switch i {
			case 1:
				return 0
			case 2:
				code, _ := servertest.UserCode(tt.err.String())
				p.Decide(t, code, "approve")
			}
			return d
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(waits) != 3 || waits[0] != time.Second || waits[1] != time.Second || waits[2] != 6*time.Second {
			t.Fatalf("waits %v, want [1s 1s 6s]: after slow_down the interval grows by 5 s", waits)
		}
	})
}

// TestServerTokenExpiredAndRateLimited: a token past its expiry gives exit
// 4 with the fix; the gateway's 429 is waited out as Retry-After says.
func TestServerTokenExpiredAndRateLimited(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Devices: server.DeviceOptions{Interval: time.Second, GatewayRate: 2, GatewayBurst: 1}})
	p := s.SignIn(t, 0, 0)
	tt := newTerminal(t, nil)
	if _, err := deviceLogin(t, tt, s, p, "approve", realTime); err != nil {
		t.Fatal(err)
	}
	if code := tt.run("ls-projects", "--plain"); code != 0 {
		t.Fatalf("first ls-projects: exit %d\n%s", code, tt.err)
	}
	start := time.Now()
	if code := tt.run("ls-projects", "--plain"); code != 0 || !strings.Contains(tt.out.String(), "SPACE2") {
		t.Fatalf("ls-projects past the gateway's burst: exit %d\n%s", code, tt.err)
	}
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Errorf("the second call took %s: the gateway's Retry-After was not honoured", waited)
	}
	wantIn(t, tt.err.String(), "rate-limiting", "ticket-mate-gateway-user-limit")

	s.Clock.Advance(91 * 24 * time.Hour)
	if code := tt.run("ls-projects"); code != cli.ExitAuthError {
		t.Fatalf("ls-projects with an expired token: exit %d, want 4\n%s", code, tt.err)
	}
	wantIn(t, tt.err.String(), "no longer accepts this terminal's sign-in", "tm login --server "+s.URL)
}

// TestServerSignInKeyring covers the OS keyring present (go-keyring's
// mock) and absent, and a corrupted credential file in both cases.
func TestServerSignInKeyring(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Devices: server.DeviceOptions{Interval: time.Second}})
	p := s.SignIn(t, 0, 0)
	garbage := []byte("{\"format\":1,\"signIns\":[{\"authUrl\": tru")

	t.Run("keyring present", func(t *testing.T) {
		keyring.MockInit()
		tt := newTerminal(t, oskeyring.System{})
		if _, err := deviceLogin(t, tt, s, p, "approve", realTime); err != nil {
			t.Fatal(err)
		}
		ss := must(tt.f.ServerSignIn())
		if ss.Where != factory.InKeyring {
			t.Fatalf("kept in %s, want the keyring", ss.Where)
		}
		if _, err := os.Stat(tt.credFile()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("with a keyring, the credential file was written too: %v", err)
		}
		if code := tt.run("ls-projects", "--plain"); code != 0 {
			t.Fatalf("ls-projects: exit %d\n%s", code, tt.err)
		}
		// logout --server revokes on the server and forgets the keyring entry.
		if code := tt.run("logout", "--server"); code != 0 {
			t.Fatalf("logout --server: exit %d\n%s", code, tt.err)
		}
		wantIn(t, tt.err.String(), "revoked on the server", factory.InKeyring)
		if toks := p.Tokens(t); len(toks) != 0 {
			t.Fatalf("tokens left on the server after logout: %+v", toks)
		}
		if _, err := keyring.Get(oskeyring.Service, "server"); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("keyring entry after logout: %v", err)
		}
	})

	t.Run("keyring present, file corrupted", func(t *testing.T) {
		keyring.MockInit()
		tt := newTerminal(t, oskeyring.System{})
		os.MkdirAll(tt.f.ConfigDir, 0o700)
		os.WriteFile(tt.credFile(), garbage, 0o600)
		if _, err := deviceLogin(t, tt, s, p, "approve", realTime); err != nil {
			t.Fatalf("login with a keyring beside a corrupted file: %v", err)
		}
		if code := tt.run("ls-projects", "--plain"); code != 0 {
			t.Fatalf("ls-projects: exit %d\n%s", code, tt.err)
		}
		if b, _ := os.ReadFile(tt.credFile()); !bytes.Equal(b, garbage) {
			t.Fatal("the corrupted file was changed; what it held is lost")
		}
		if code := tt.run("logout", "--server"); code != 0 {
			t.Fatalf("logout --server with the sign-in in the keyring beside a corrupted file: exit %d\n%s", code, tt.err)
		}
		if b, _ := os.ReadFile(tt.credFile()); !bytes.Equal(b, garbage) {
			t.Fatal("logout changed the corrupted file")
		}
	})

	t.Run("keyring absent", func(t *testing.T) {
		keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
		tt := newTerminal(t, oskeyring.System{})
		if _, err := deviceLogin(t, tt, s, p, "approve", realTime); err != nil {
			t.Fatal(err)
		}
		if ss := must(tt.f.ServerSignIn()); ss.Where != tt.credFile() {
			t.Fatalf("kept in %s, want the file fallback", ss.Where)
		}
		if code := tt.run("ls-projects", "--plain"); code != 0 {
			t.Fatalf("ls-projects: exit %d\n%s", code, tt.err)
		}
		// A plain tm logout (no OAuth app configured) deletes the file, and
		// revokes the server token it holds first.
		before := len(p.Tokens(t))
		if code := tt.run("logout"); code != 0 {
			t.Fatalf("logout: exit %d\n%s", code, tt.err)
		}
		if after := len(p.Tokens(t)); after != before-1 {
			t.Fatalf("tokens on the server %d → %d after tm logout, want one fewer", before, after)
		}
		wantIn(t, tt.err.String(), "revoked on the server", "Signed out: deleted "+tt.credFile())
	})

	t.Run("keyring absent, file corrupted", func(t *testing.T) {
		keyring.MockInitWithError(errors.New("no D-Bus session"))
		tt := newTerminal(t, oskeyring.System{})
		os.MkdirAll(tt.f.ConfigDir, 0o700)
		os.WriteFile(tt.credFile(), garbage, 0o600)
		before := len(p.Tokens(t))
		_, err := deviceLogin(t, tt, s, p, "approve", realTime)
		wantCode(t, err, tm.ECONFIG, tt.credFile()+" cannot be used", "not valid JSON", "mv "+tt.credFile()+" "+tt.credFile()+".broken", "tm login --server")
		if after := len(p.Tokens(t)); after != before {
			t.Errorf("a sign-in that could not be kept was still issued (%d → %d tokens)", before, after)
		}
		if b, _ := os.ReadFile(tt.credFile()); !bytes.Equal(b, garbage) {
			t.Fatal("the corrupted file was changed")
		}
		// Following the hint recovers.
		if err := os.Rename(tt.credFile(), tt.credFile()+".broken"); err != nil {
			t.Fatal(err)
		}
		if _, err := deviceLogin(t, tt, s, p, "approve", realTime); err != nil {
			t.Fatalf("login after moving the file aside: %v", err)
		}
		if code := tt.run("ls-projects", "--plain"); code != 0 {
			t.Fatalf("ls-projects after recovery: exit %d\n%s", code, tt.err)
		}
	})
}

func wantIn(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("output lacks %q:\n%s", p, text)
		}
	}
}
