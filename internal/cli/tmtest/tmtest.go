// Package tmtest runs tm command lines against the sandbox over real HTTP,
// every request and answer checked against Jira's OpenAPI document: the
// world the ticket commands' tests share. It imports the cli package, its
// factory, the emulator and openapitest; only tests import it.
package tmtest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/openapitest"
)

// World is a sandbox and a factory wired to it as the seed's first user.
type World struct {
	S        *emulatortest.Server
	F        *factory.Factory
	Env      map[string]string
	In       *bytes.Buffer
	Out, Err *bytes.Buffer
	Opened   []string
}

// New starts a sandbox with o and a world on it: a classic API token on
// Cloud, a personal access token on Data Center.
func New(t *testing.T, o emulator.Options) *World {
	t.Helper()
	s := emulatortest.Start(t, o)
	ios, in, out, errOut := iostreams.Test()
	w := &World{S: s, In: in, Out: out, Err: errOut}
	you := s.You()
	w.Env = map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken,
		"ATLASSIAN_API_URL": s.URL}
	if o.DataCenter {
		w.Env["ATLASSIAN_AUTH_MODE"], w.Env["ATLASSIAN_API_KEY"] = "BEARER", you.PAT
	}
	hc := &http.Client{Transport: openapitest.Transport(t, http.DefaultTransport)}
	w.F = &factory.Factory{IO: ios, WorkDir: t.TempDir(), CacheDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := w.Env[k]; return v, ok },
		HTTPClient: func() *http.Client { return hc }}
	w.F.Browser = func(u string) error { w.Opened = append(w.Opened, u); return nil }
	return w
}

// Run runs tm with args and returns the exit code; stdout and stderr are
// in Out and Err.
func (w *World) Run(args ...string) int {
	w.Out.Reset()
	w.Err.Reset()
	return cli.Run(w.F, args)
}

// MustRun runs tm with args and fails t unless it exits 0.
func (w *World) MustRun(t *testing.T, args ...string) string {
	t.Helper()
	if code := w.Run(args...); code != 0 {
		t.Fatalf("tm %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, w.Out, w.Err)
	}
	return w.Out.String()
}

// Fails runs tm with args and fails t unless it exits with code and
// stderr holds every one of want.
func (w *World) Fails(t *testing.T, code int, args []string, want ...string) {
	t.Helper()
	got := w.Run(args...)
	if got != code {
		t.Errorf("tm %s: exit %d, want %d\nstderr: %s", strings.Join(args, " "), got, code, w.Err)
	}
	for _, s := range want {
		if !strings.Contains(w.Err.String(), s) {
			t.Errorf("tm %s: stderr lacks %q:\n%s", strings.Join(args, " "), s, w.Err)
		}
	}
}

// Requests counts what the sandbox got since the last reset, faults once.
func (w *World) Requests() int {
	n := 0
	for k, c := range w.S.E.Requests() {
		if !strings.HasPrefix(k, "fault ") {
			n += c
		}
	}
	return n
}

// Create makes a ticket with tm create-ticket and returns its key.
func (w *World) Create(t *testing.T, args ...string) string {
	t.Helper()
	out := w.MustRun(t, append([]string{"create-ticket"}, args...)...)
	key, _, _ := strings.Cut(out, "\n")
	return strings.TrimSpace(key)
}
