package checkperms_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// TestConnectionProblemsAreNotAuthentication: a 5xx, an HTML page or no
// answer at all is a connection problem: it is never reported as refused
// credentials, and the exit code is 1, not 4 (authentication).
func TestConnectionProblemsAreNotAuthentication(t *testing.T) {
	for _, tc := range []struct {
		fault  string
		stderr string
	}{
		{"*=500", "500"},
		{"*=html502", `"502 Bad Gateway"`},
		{"*=reset", "Could not"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			s := emulatortest.Start(t, emulator.Options{})
			f, err := emulator.ParseFault(tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			s.E.AddFault(f)
			w := newWorld(t, s, pat(s, s.You(), s.You().ClassicToken))
			w.f.Timeout = "4s"
			code := cli.Run(w.f, []string{"check-permissions"})
			if code != cli.ExitError {
				t.Errorf("exit %d; want %d", code, cli.ExitError)
			}
			out := w.out.String()
			if strings.Contains(out, "did not accept the credentials") || strings.Contains(out+w.err.String(), "Authentication failed") {
				t.Errorf("a connection problem reported as refused credentials:\n%s", out)
			}
			contains(t, "stdout", out, "Could not check the account", tc.stderr)
		})
	}
}

// TestMyselfWithoutAccount: an empty or malformed /myself is a failure,
// never "Signed in as ".
func TestMyselfWithoutAccount(t *testing.T) {
	real := emulatortest.Start(t, emulator.Options{})
	for name, body := range map[string]string{"empty": "", "empty object": "{}", "malformed": `{"accountId":`} {
		t.Run(name, func(t *testing.T) {
			// Everything but /myself comes from the sandbox.
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/myself") {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, body)
					return
				}
				req, _ := http.NewRequestWithContext(r.Context(), r.Method, real.URL+r.URL.RequestURI(), r.Body)
				req.Header = r.Header.Clone()
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				for k, v := range resp.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(resp.StatusCode)
				io.Copy(w, resp.Body)
			}))
			t.Cleanup(proxy.Close)
			env := pat(real, real.You(), real.You().ClassicToken)
			env["ATLASSIAN_BASE_URL"] = proxy.URL
			w := newWorld(t, real, env)
			// This answer is deliberately not Jira's: no OpenAPI check.
			w.f.HTTPClient = func() *http.Client { return &http.Client{} }
			w.f.Timeout = "20s"
			code := cli.Run(w.f, []string{"check-permissions"})
			if code == cli.ExitOK || code == cli.ExitAuthError {
				t.Errorf("exit %d; want a failure that is not about authentication", code)
			}
			if strings.Contains(w.out.String(), "Signed in as") {
				t.Errorf("an answer naming nobody was taken as a sign-in:\n%s", w.out)
			}
		})
	}
}

// TestDebugShowsSignInHops: in OAUTH mode --debug also shows the sign-in's
// own calls (the refresh after Atlassian stopped taking the access token),
// and no token or secret.
func TestDebugShowsSignInHops(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := signedInWorld(t, s)
	s.E.Auth().RevokeAccessTokens(s.You().AccountID)

	if code := cli.Run(w.f, []string{"--debug", "check-permissions", "-p", "SPACE2"}); code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, w.out, w.err)
	}
	contains(t, "stderr", w.err.String(), "debug: POST "+s.URL+"/oauth/token → 200", "debug: GET "+s.URL+"/ex/jira/")
	for _, secret := range append(s.E.Auth().IssuedSecrets(), s.Creds.OAuth[0].ClientSecret) {
		if len(secret) >= 8 && strings.Contains(w.err.String()+w.out.String(), secret) {
			t.Errorf("a secret reached the output (%s)", tm.Mask(secret))
		}
	}
}
