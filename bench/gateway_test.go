package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/cmd/login"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/servertest"
)

// counting counts the requests a client sends.
type counting struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// BenchmarkCLIThroughServer compares tm ls-projects and tm create-ticket
// signed in with an API token (straight to the sandbox) and signed in
// through a tm server (tm login --server: every call goes through its
// gateway), with the sandbox at cliLatency. Reported: requests Jira got
// per run, requests tm sent per run, and wall time in round trips.
func BenchmarkCLIThroughServer(b *testing.B) {
	for _, tc := range []struct {
		name string
		cold bool // no cached create metadata
		args []string
	}{
		{"ls-projects", false, []string{"ls-projects"}},
		{"create-ticket-warm", false, []string{"create-ticket", "-t", "Bench", "-d", "Some **Markdown**"}},
		{"create-ticket-cold", true, []string{"create-ticket", "-t", "Bench", "-d", "Some **Markdown**"}},
	} {
		for _, via := range []string{"direct", "gateway"} {
			b.Run(tc.name+"/"+via, func(b *testing.B) {
				s := servertest.Start(b, servertest.Options{Latency: cliLatency, Devices: server.DeviceOptions{GatewayRate: 1e6, GatewayBurst: 1e6}})
				sent := &counting{next: http.DefaultTransport}
				hc := &http.Client{Transport: sent}
				w := newCLIWorld(b, s.Sandbox, hc, siteEnv(s.Sandbox))
				if via == "gateway" {
					w.env = map[string]string{}
					w.f.ConfigDir = filepath.Join(b.TempDir(), "ticket-mate")
					signInThroughServer(b, w, s)
				}
				floor := 1
				if tc.cold {
					floor = 2
				}
				benchCommand(b, w, floor, func() {
					sent.n.Store(0)
					if tc.cold {
						w.f.CacheDir = b.TempDir()
					}
				}, tc.args...)
				b.ReportMetric(float64(sent.n.Load()), "tm-requests/op")
			})
		}
	}
}

// signInThroughServer runs tm login --server for the sandbox's first user,
// approving the code at once.
func signInThroughServer(b *testing.B, w *cliWorld, s *servertest.Server) {
	p := s.SignIn(b, 0, 0)
	o := &login.ServerOptions{IO: w.f.IO, HTTPClient: w.f.HTTPClient, Store: w.f.SaveServerSignIn, CheckStore: w.f.CheckServerStore,
		Hostname: func() (string, error) { return "bench", nil }, Server: s.URL, NoBrowser: true,
		Sleep: func(ctx context.Context, d time.Duration) error {
			code, err := servertest.UserCode(w.err.String())
			if err != nil {
				return err
			}
			p.Decide(b, code, "approve")
			s.Clock.Advance(d)
			return nil
		}}
	if err := login.RunServer(context.Background(), o); err != nil {
		b.Fatalf("tm login --server: %v\n%s", err, w.err)
	}
	if !strings.Contains(w.err.String(), "Signed in to") {
		b.Fatalf("login output: %s", w.err)
	}
}
