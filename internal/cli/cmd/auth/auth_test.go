package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IO: ios, WorkDir: t.TempDir(), ConfigDir: t.TempDir(), CacheDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HTTPClient: func() *http.Client { return &http.Client{Timeout: 10 * time.Second} }}
	code := cli.Run(f, args)
	return code, out.String(), errOut.String()
}

func TestStatusAPIToken(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	env := map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken}

	code, out, _ := run(t, env, "auth", "status")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"API token (ATLASSIAN_API_KEY)  (used by tm commands)", "✓ Works: " + you.DisplayName,
		"From: ATLASSIAN_API_KEY from env ATLASSIAN_API_KEY", "Site: " + s.URL, "ticket-mate server (tm login --server)\n  - not set up",
		"to set up: tm login --server URL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, you.ClassicToken) {
		t.Error("the API token is printed in full")
	}

	env["ATLASSIAN_API_KEY"] = you.ClassicToken + "x"
	code, out, _ = run(t, env, "auth", "status")
	if code != cli.ExitAuthError {
		t.Fatalf("a wrong token: exit %d, want 4\n%s", code, out)
	}
	for _, want := range []string{"X Authentication failed", "To fix: 1. "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusNothing(t *testing.T) {
	code, out, errOut := run(t, map[string]string{}, "auth", "status", "--json")
	if code != cli.ExitAuthError || !strings.Contains(out, `"kind": "server"`) || !strings.Contains(out, `"present": false`) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
