package checkperms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/credfile/credfiletest"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/cmd/checkperms"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/openapitest"
)

// world is a factory wired to an emulator, with captured streams.
type world struct {
	f        *factory.Factory
	out, err *bytes.Buffer
}

func newWorld(t *testing.T, s *emulatortest.Server, env map[string]string) *world {
	t.Helper()
	return newWorldVia(t, env, http.DefaultTransport)
}

// newWorldVia is newWorld whose requests go through rt.
func newWorldVia(t *testing.T, env map[string]string, rt http.RoundTripper) *world {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	hc := &http.Client{Transport: openapitest.Transport(t, rt)}
	f := &factory.Factory{IO: ios, WorkDir: t.TempDir(), CacheDir: t.TempDir(), ConfigDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HTTPClient: func() *http.Client { return hc }}
	return &world{f: f, out: out, err: errOut}
}

// pat is the environment of an API-token user on the emulator's site.
func pat(s *emulatortest.Server, u emulator.UserInfo, token string) map[string]string {
	return map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": u.Email, "ATLASSIAN_API_KEY": token,
		"ATLASSIAN_API_URL": s.URL}
}

func (w *world) run(t *testing.T, project string, json bool) error {
	t.Helper()
	return checkperms.Run(context.Background(), &checkperms.Options{IO: w.f.IO, Connect: w.f.Connect, Now: time.Now, Project: project, JSON: json})
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(got, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, got)
		}
	}
}

// gate holds each request until want of them are in flight at once: a
// command that sends them one after another stalls and is caught, however
// loaded the machine is.
type gate struct {
	next    http.RoundTripper
	want    int
	mu      sync.Mutex
	arrived int
	open    chan struct{}
	stalled atomic.Bool
}

func newGate(next http.RoundTripper, want int) *gate {
	return &gate{next: next, want: want, open: make(chan struct{})}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.mu.Lock()
	if g.arrived++; g.arrived == g.want {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(5 * time.Second):
		g.stalled.Store(true)
	}
	return g.next.RoundTrip(r)
}

// TestReport: a working classic token passes every check, in one round of
// three parallel requests.
func TestReport(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	g := newGate(http.DefaultTransport, 3)
	w := newWorldVia(t, pat(s, you, you.ClassicToken), g)
	if err := w.run(t, "", false); err != nil {
		t.Fatalf("check-permissions: %v\n%s%s", err, w.out, w.err)
	}
	contains(t, "report", w.out.String(), "ok   Jira Cloud 1001.0.0-SNAPSHOT at "+s.URL, "Endpoint:   "+s.URL+"/rest/api/3",
		"Signed in as "+you.DisplayName+" <"+you.Email+">", "Account ID: "+you.AccountID, "Project SPACE2",
		"ok   Browse Projects", "ok   Create Issues", "All required checks passed.")
	if strings.Contains(w.out.String(), you.ClassicToken) {
		t.Error("the report shows the token")
	}
	got := s.E.Requests()
	if got["GET /rest/api/3/myself"] != 1 || got["GET /rest/api/3/serverInfo"] != 1 || got["GET /rest/api/3/mypermissions"] != 1 || len(got) != 3 {
		t.Errorf("requests %v; want myself, serverInfo, mypermissions once each", got)
	}
	if g.stalled.Load() {
		t.Error("a request waited 5 s for the others: the calls did not run in parallel")
	}
}

func TestJSON(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	w := newWorld(t, s, pat(s, you, you.ClassicToken))
	if err := w.run(t, "OPS", true); err != factory.ErrSilent {
		t.Fatalf("OPS, where Alex may not create: %v; want a failed check (exit 1)", err)
	}
	var r tm.PermissionReport
	if err := json.Unmarshal(w.out.Bytes(), &r); err != nil {
		t.Fatalf("--json: %v\n%s", err, w.out)
	}
	if r.Account == nil || r.Account.AccountID != you.AccountID || r.Server == nil || !r.Server.Cloud() || r.ProjectKey != "OPS" {
		t.Errorf("report %+v", r)
	}
	granted := map[string]bool{}
	for _, p := range r.Permissions {
		if !p.Known {
			t.Errorf("%s unknown", p.Key)
		}
		granted[p.Key] = p.Granted
	}
	if !granted[tm.PermBrowseProjects] || granted[tm.PermCreateIssues] || !granted[tm.PermUserPicker] {
		t.Errorf("permissions in OPS %v; want browse, no create, user picker", granted)
	}
}

// TestTroubleshooting: each case of the setup guide gets its own advice,
// and the exit code the guide's reader expects.
func TestTroubleshooting(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	scopedSeed := emulator.DefaultSeed()
	scopedSeed.Users[0].ScopedScopes = []string{"read:jira-work"}
	narrow := emulatortest.Start(t, emulator.Options{Seed: scopedSeed})

	for _, tc := range []struct {
		name     string
		s        *emulatortest.Server
		env      func(map[string]string)
		args     []string
		exit     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{name: "wrong token", exit: cli.ExitAuthError,
			env: func(e map[string]string) { e["ATLASSIAN_API_KEY"] = "ATATT3x" + strings.Repeat("Q", 185) },
			stderr: []string{"Authentication failed", "refused the API token for " + you.Email, "401 Unauthorized",
				"Create a new API token at https://id.atlassian.com/manage-profile/security/api-tokens",
				"Check ATLASSIAN_EMAIL (" + you.Email + ")", "Check ATLASSIAN_BASE_URL (" + s.URL + ")",
				"tried it there as well"}},
		{name: "legacy short token", exit: cli.ExitAuthError,
			env:    func(e map[string]string) { e["ATLASSIAN_API_KEY"] = "abcdefghij0123456789abcd" },
			stderr: []string{"ATLASSIAN_API_KEY is 24 characters and does not start with ATATT3: it is an old-format token", "about 192 characters"}},
		{name: "token cut off at 75 characters", exit: cli.ExitAuthError,
			env:    func(e map[string]string) { e["ATLASSIAN_API_KEY"] = "ATATT3x" + strings.Repeat("k", 68) },
			stderr: []string{"ATLASSIAN_API_KEY is only 75 characters; API tokens are about 192", "copy it again"}},
		{name: "scoped token on the site: tm goes through the gateway and says how to configure it", exit: 0,
			env:    func(e map[string]string) { e["ATLASSIAN_API_KEY"] = you.ScopedToken },
			stdout: []string{"through the Atlassian API gateway, cloud id " + s.Creds.Sites[0].CloudID, "/ex/jira/" + s.Creds.Sites[0].CloudID + "/rest/api/3", "All required checks passed", "Token scopes"},
			stderr: []string{"it is a scoped token", "ATLASSIAN_USE_CLOUD_API=true", "ATLASSIAN_CLOUD_ID=" + s.Creds.Sites[0].CloudID}},
		{name: "project key in lower case", exit: 0, args: []string{"-p", "space2"},
			stdout: []string{"Project SPACE2", "All required checks passed"},
			stderr: []string{"Jira project keys are upper case; using SPACE2 for \"space2\""}},
		{name: "project not found", exit: cli.ExitError, args: []string{"-p", "SPACE3"},
			stdout: []string{"Jira could not check permissions in SPACE3", "Project \"SPACE3\" was not found",
				"Project keys are case-sensitive: check SPACE3 letter by letter", "tm ls-projects"}},
		{name: "project you cannot see", exit: cli.ExitError, args: []string{"-p", "SECRET"},
			stdout: []string{"Project \"SECRET\" was not found, or you cannot see it", "Check you have access to the project"}},
		{name: "missing permission", exit: cli.ExitError, args: []string{"-p", "OPS"},
			stdout: []string{"FAIL Create Issues", "Ask a Jira admin of OPS for \"Create Issues\"", "Some required checks failed"}},
		{name: "scope mismatch", s: narrow, exit: cli.ExitError,
			env: func(e map[string]string) {
				e["ATLASSIAN_API_KEY"] = narrow.You().ScopedToken
				e["ATLASSIAN_USE_CLOUD_API"] = "true"
			},
			stdout: []string{"FAIL read:jira-user", "scope does not match", "lacks the scope read:jira-user", "ok   read:jira-work",
				"FAIL write:jira-work", "lacks the scope write:jira-work, which tm create-ticket needs", "Create a scoped API token with read:jira-work, write:jira-work, read:jira-user"}},
		{name: "OAuth mode, not signed in", exit: cli.ExitAuthError,
			env: func(e map[string]string) {
				e["ATLASSIAN_AUTH_MODE"] = "OAUTH"
				e["ATLASSIAN_CLIENT_ID"] = s.Creds.OAuth[0].ClientID
				e["ATLASSIAN_CLIENT_SECRET"] = s.Creds.OAuth[0].ClientSecret
				e["ATLASSIAN_REDIRECT_URI"] = "http://localhost:4000/api/auth/jira/callback"
			},
			stderr: []string{"not signed in", "tm login"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := s
			if tc.s != nil {
				srv = tc.s
			}
			env := pat(srv, srv.You(), srv.You().ClassicToken)
			if tc.env != nil {
				tc.env(env)
			}
			w := newWorld(t, srv, env)
			code := cli.Run(w.f, append([]string{"check-permissions"}, tc.args...))
			if code != tc.exit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.exit, w.out, w.err)
			}
			contains(t, "stdout", w.out.String(), tc.stdout...)
			contains(t, "stderr", w.err.String(), tc.stderr...)
			for _, secret := range []string{env["ATLASSIAN_API_KEY"], env["ATLASSIAN_CLIENT_SECRET"]} {
				if secret != "" && strings.Contains(w.out.String()+w.err.String(), secret) {
					t.Error("a secret reached the output")
				}
			}
		})
	}
}

// TestCloudAPIMode: with ATLASSIAN_USE_CLOUD_API and no cloud id, tm asks
// the site once and remembers the answer.
func TestCloudAPIMode(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	env := pat(s, you, you.ScopedToken)
	env["ATLASSIAN_USE_CLOUD_API"] = "true"
	w := newWorld(t, s, env)
	for i := range 2 {
		s.E.ResetRequests()
		w.out.Reset()
		if err := w.run(t, "", false); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, w.out)
		}
		want := 1 - i // the second run reads the cache
		if got := s.E.Requests()["GET /_edge/tenant_info"]; got != want {
			t.Errorf("run %d: tenant_info asked %d times, want %d", i, got, want)
		}
		contains(t, "report", w.out.String(), "cloud id "+s.Creds.Sites[0].CloudID, "/ex/jira/"+s.Creds.Sites[0].CloudID+"/rest/api/3")
	}
}

// TestDataCenter: a Data Center PAT over REST v2.
func TestDataCenter(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{DataCenter: true})
	you := s.You()
	w := newWorld(t, s, map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_API_KEY": you.PAT})
	if err := w.run(t, "", false); err != nil {
		t.Fatalf("%v\n%s", err, w.out)
	}
	contains(t, "report", w.out.String(), "Jira Data Center (Server)", s.URL+"/rest/api/2", "Data Center personal access token (Bearer)",
		"Username:   "+you.Username, "ok   Create Issues")
}

// TestRateLimitedThenOK: a 429 is waited out and said on stderr.
func TestRateLimitedThenOK(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	f, err := emulator.ParseFault("GET /rest/api/3/myself=429:1sx1")
	if err != nil {
		t.Fatal(err)
	}
	s.E.AddFault(f)
	you := s.You()
	w := newWorld(t, s, pat(s, you, you.ClassicToken))
	if err := w.run(t, "", false); err != nil {
		t.Fatalf("%v\n%s", err, w.err)
	}
	contains(t, "stderr", w.err.String(), "Jira is rate-limiting requests (429, RateLimit-Reason: jira-burst-based); waiting 1")
}

// signedInWorld is OAUTH mode with a sign-in stored the way tm login
// stores it, for the sandbox's first user on its first site.
func signedInWorld(t *testing.T, s *emulatortest.Server) *world {
	t.Helper()
	env := map[string]string{
		"ATLASSIAN_AUTH_MODE":     "OAUTH",
		"ATLASSIAN_CLIENT_ID":     s.Creds.OAuth[0].ClientID,
		"ATLASSIAN_CLIENT_SECRET": s.Creds.OAuth[0].ClientSecret,
		"ATLASSIAN_REDIRECT_URI":  credfiletest.RedirectURI,
		"ATLASSIAN_AUTH_URL":      s.URL,
		"ATLASSIAN_API_URL":       s.URL,
	}
	w := newWorld(t, s, env)
	w.f.ConfigDir = t.TempDir()
	store := credfile.New(credfile.Path(w.f.ConfigDir), s.URL, s.Creds.OAuth[0].ClientID, time.Now)
	credfiletest.SignIn(t, s, credfiletest.Client(t, s, time.Now), store, s.You().AccountID, s.Creds.Sites[0].CloudID)
	return w
}

// TestOAuthSignedIn: after tm login (here: a sign-in stored the way tm login
// stores it), check-permissions goes through the gateway with the Bearer
// token of the selected site and passes.
func TestOAuthSignedIn(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := signedInWorld(t, s)
	s.E.ResetRequests()

	if code := cli.Run(w.f, []string{"check-permissions", "-p", "SPACE2"}); code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, w.out, w.err)
	}
	contains(t, "stdout", w.out.String(), "All required checks passed", s.You().DisplayName, "/ex/jira/"+s.Creds.Sites[0].CloudID)
	if n := s.E.Requests()["GET /rest/api/3/myself"]; n != 1 {
		t.Errorf("GET myself sent %d times, want 1", n)
	}
}
