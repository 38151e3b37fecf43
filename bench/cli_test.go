package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
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

// cliLatency is the emulator's added latency per request in the CLI
// benchmarks: a round trip to Atlassian's edge from a nearby region.
const cliLatency = 50 * time.Millisecond

// cliWorld runs tm commands against an emulator.
type cliWorld struct {
	s        *emulatortest.Server
	f        *factory.Factory
	env      map[string]string
	out, err *bytes.Buffer
}

func newCLIWorld(tb testing.TB, s *emulatortest.Server, hc *http.Client, env map[string]string) *cliWorld {
	ios, _, out, errOut := iostreams.Test()
	w := &cliWorld{s: s, out: out, err: errOut, env: env}
	w.f = &factory.Factory{IO: ios, WorkDir: tb.TempDir(), CacheDir: tb.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := w.env[k]; return v, ok },
		HTTPClient: func() *http.Client { return hc }}
	return w
}

// siteEnv is the environment of the seed's first user with a classic token.
func siteEnv(s *emulatortest.Server) map[string]string {
	you := s.You()
	return map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email,
		"ATLASSIAN_API_KEY": you.ClassicToken, "ATLASSIAN_API_URL": s.URL}
}

func (w *cliWorld) run(tb testing.TB, args ...string) {
	w.out.Reset()
	w.err.Reset()
	if code := cli.Run(w.f, args); code != 0 {
		tb.Fatalf("tm %s: exit %d\n%s%s", strings.Join(args, " "), code, w.out, w.err)
	}
}

// requests counts what the emulator got (faults are counted twice there:
// under the operation and as a fault; only the first is taken).
func (w *cliWorld) requests() int {
	n := 0
	for k, c := range w.s.E.Requests() {
		if !strings.HasPrefix(k, "fault ") {
			n += c
		}
	}
	return n
}

// benchCommand runs args b.N times and reports the requests per run and
// the wall time in round trips of cliLatency, next to the floor.
func benchCommand(b *testing.B, w *cliWorld, floor int, before func(), args ...string) {
	w.run(b, args...) // first contact: connections, caches as the case wants them
	w.s.E.ResetRequests()
	var wall time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if before != nil {
			before()
		}
		b.StartTimer()
		start := time.Now()
		w.run(b, args...)
		wall += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(w.requests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(wall)/float64(b.N)/float64(cliLatency), "round-trips/op")
	b.ReportMetric(float64(floor), "floor-round-trips")
}

// BenchmarkCLICheckPermissions: myself, serverInfo and mypermissions in
// parallel — one round trip.
func BenchmarkCLICheckPermissions(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Latency: cliLatency})
	w := newCLIWorld(b, s, &http.Client{}, siteEnv(s))
	benchCommand(b, w, 1, nil, "check-permissions")
}

// BenchmarkCLICreateTicket: warm (cached create metadata) is the create
// alone; cold adds the project's issue types; a priority adds the chosen
// type's create screen, which can only be asked for once the type's id is
// known.
func BenchmarkCLICreateTicket(b *testing.B) {
	for _, tc := range []struct {
		name  string
		cold  bool
		floor int
		args  []string
	}{
		{"warm", false, 1, []string{"-t", "Bench", "-d", "Some **Markdown**"}},
		{"cold", true, 2, []string{"-t", "Bench", "-d", "Some **Markdown**"}},
		{"warm-priority-field", false, 1, []string{"-t", "Bench", "--priority", "High", "--field", "Story points=3"}},
		{"cold-priority-field", true, 3, []string{"-t", "Bench", "--priority", "High", "--field", "Story points=3"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := emulatortest.Start(b, emulator.Options{Latency: cliLatency})
			w := newCLIWorld(b, s, &http.Client{}, siteEnv(s))
			var before func()
			if tc.cold {
				before = func() { w.f.CacheDir = b.TempDir() }
			}
			benchCommand(b, w, tc.floor, before, append([]string{"create-ticket"}, tc.args...)...)
		})
	}
}

// BenchmarkCLILsProjects5000: 5,000 projects are 51 pages of 100; the
// first tells the total, the other 50 go 8 at a time: 1 + ⌈50/8⌉ = 8.
func BenchmarkCLILsProjects5000(b *testing.B) {
	seed := emulator.DefaultSeed()
	site := &seed.Sites[0]
	for i := range 5000 {
		p := site.Projects[0]
		p.ID, p.Key, p.Name = fmt.Sprint(20000+i), fmt.Sprintf("P%04d", i), fmt.Sprintf("Project %d", i)
		site.Projects = append(site.Projects, p)
	}
	s := emulatortest.Start(b, emulator.Options{Latency: cliLatency, Seed: seed})
	w := newCLIWorld(b, s, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, siteEnv(s))
	pages := (5003 + 99) / 100
	benchCommand(b, w, 1+(pages-1+7)/8, nil, "ls-projects")
}

// TestNoSecretsInOutput runs every command with --debug in every auth
// mode and checks that no credential, nor the Basic header built from one,
// reaches stdout or stderr — while the debug lines are there.
func TestNoSecretsInOutput(t *testing.T) {
	cloud := emulatortest.Start(t, emulator.Options{})
	dc := emulatortest.Start(t, emulator.Options{DataCenter: true})
	// The wire format of these calls is checked by the commands' own tests;
	// here the wrong-token cases meet answers the OpenAPI document does not
	// describe (the site's plain-text 401), so the client is a plain one.
	hc := func(*emulatortest.Server) *http.Client { return &http.Client{} }
	you := cloud.You()
	scopedOnSite := siteEnv(cloud)
	scopedOnSite["ATLASSIAN_API_KEY"] = you.ScopedToken
	gateway := siteEnv(cloud)
	gateway["ATLASSIAN_API_KEY"], gateway["ATLASSIAN_USE_CLOUD_API"] = you.ScopedToken, "true"
	wrong := siteEnv(cloud)
	wrong["ATLASSIAN_API_KEY"] = "ATATT3x" + strings.Repeat("S", 185)
	app := cloud.Creds.OAuth[0]
	oauth := map[string]string{"ATLASSIAN_AUTH_MODE": "OAUTH", "ATLASSIAN_CLIENT_ID": app.ClientID,
		"ATLASSIAN_CLIENT_SECRET": app.ClientSecret, "ATLASSIAN_REDIRECT_URI": "http://localhost:4000/api/auth/jira/callback",
		"ATLASSIAN_BASE_URL": cloud.URL}
	bearer := map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": dc.URL, "ATLASSIAN_API_KEY": dc.You().PAT}

	commands := [][]string{
		{"check-permissions"}, {"ls-projects"}, {"create-ticket", "-t", "Secret check", "-d", "body"},
		{"create-ticket", "-t", "Dry", "--dry-run"},
	}
	for _, mode := range []struct {
		name string
		s    *emulatortest.Server
		env  map[string]string
		ok   bool
	}{
		{"classic token", cloud, siteEnv(cloud), true},
		{"scoped token on the site", cloud, scopedOnSite, true},
		{"scoped token through the gateway", cloud, gateway, true},
		{"wrong token", cloud, wrong, false},
		{"OAuth app", cloud, oauth, false},
		{"Data Center PAT", dc, bearer, true},
	} {
		for _, args := range commands {
			t.Run(mode.name+"/"+strings.Join(args[:1], ""), func(t *testing.T) {
				w := newCLIWorld(t, mode.s, hc(mode.s), mode.env)
				code := cli.Run(w.f, append([]string{"--debug"}, args...))
				if mode.ok && code != 0 {
					t.Errorf("exit %d\n%s%s", code, w.out, w.err)
				}
				all := w.out.String() + w.err.String()
				if mode.ok && args[len(args)-1] != "--dry-run" && !strings.Contains(w.err.String(), "debug: GET ") &&
					!strings.Contains(w.err.String(), "debug: POST ") {
					t.Errorf("--debug printed no request lines:\n%s", w.err)
				}
				for _, secret := range secretsOf(mode.env) {
					if strings.Contains(all, secret) {
						t.Errorf("output contains a secret (%d characters starting %.4s)", len(secret), secret)
					}
				}
				for _, header := range []string{"Authorization", "Basic ", "Bearer ey", "Bearer ATATT"} {
					if strings.Contains(all, header) {
						t.Errorf("output contains %q", header)
					}
				}
			})
		}
	}
}

// secretsOf lists the credentials in env and the forms they travel in.
func secretsOf(env map[string]string) []string {
	var out []string
	for _, k := range []string{"ATLASSIAN_API_KEY", "ATLASSIAN_CLIENT_SECRET"} {
		v := env[k]
		if v == "" {
			continue
		}
		out = append(out, v, v[len(v)/2:], base64.StdEncoding.EncodeToString([]byte(env["ATLASSIAN_EMAIL"]+":"+v)))
	}
	return out
}
