package cli_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// newWorld is a tm world whose environment is env and whose requests go
// out unchecked: these tests talk to servers that are deliberately not Jira.
func newWorld(t *testing.T, env map[string]string) *tmtest.World {
	t.Helper()
	w := tmtest.New(t, emulator.Options{})
	w.Env = env
	w.F.HTTPClient = func() *http.Client { return &http.Client{} }
	return w
}

func sandboxWorld(t *testing.T) (*tmtest.World, *emulatortest.Server) {
	w := tmtest.New(t, emulator.Options{})
	return w, w.S
}

func fault(t *testing.T, s *emulatortest.Server, spec string) {
	t.Helper()
	f, err := emulator.ParseFault(spec)
	if err != nil {
		t.Fatal(err)
	}
	s.E.AddFault(f)
}

// TestUsageErrorsExit2: an unknown command and extra arguments are usage
// errors, exit 2 as documented.
func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"env-chek"}, {"env-check", "extra"}, {"ls-projects", "SPACE2"}, {"--timeout", "soon", "ls-projects"}} {
		w := newWorld(t, map[string]string{})
		if code := cli.Run(w.F, args); code != cli.ExitUsage {
			t.Errorf("tm %s: exit %d; want %d (stderr %q)", strings.Join(args, " "), code, cli.ExitUsage, w.Err)
		}
		if args[0] != "--timeout" && !strings.Contains(w.Err.String(), "--help") {
			t.Errorf("tm %s: stderr %q does not point at --help", strings.Join(args, " "), w.Err)
		}
	}
	w := newWorld(t, map[string]string{})
	cli.Run(w.F, []string{"env-chek"})
	if !strings.Contains(w.Err.String(), "env-check") {
		t.Errorf("no suggestion for a near miss: %q", w.Err)
	}
}

// TestOneDeadlinePerCommand: a Jira that accepts the request and goes
// quiet holds a command only for its --timeout (or TM_TIMEOUT), and the
// message says it connected and then got no answer.
func TestOneDeadlinePerCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag", []string{"--timeout", "700ms", "ls-projects"}, ""},
		{"environment", []string{"ls-projects"}, "700ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, s := sandboxWorld(t)
			if tc.env != "" {
				w.Env["TM_TIMEOUT"] = tc.env
			}
			fault(t, s, "GET */project/search=stall:3s")
			start := time.Now()
			code := cli.Run(w.F, tc.args)
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("took %v; want about 700ms", el)
			}
			if code != cli.ExitError {
				t.Errorf("exit %d; want 1", code)
			}
			for _, want := range []string{"Connected to Jira at " + s.URL, "then it stopped answering", "--timeout or TM_TIMEOUT"} {
				if !strings.Contains(w.Err.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, w.Err)
				}
			}
		})
	}
}

// TestInterruptDuringCreate: a signal stops the command at once with exit
// 2; a create that was on its way may have been made, and tm says how to
// look for it.
func TestInterruptDuringCreate(t *testing.T) {
	w, s := sandboxWorld(t)
	fault(t, s, "POST */issue=stall:3s")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.E.Requests()["POST /rest/api/3/issue"] == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	code := cli.RunContext(ctx, w.F, []string{"create-ticket", "-p", "SPACE2", "-t", "Interrupted"})
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v after the interrupt", el)
	}
	if code != cli.ExitUsage {
		t.Errorf("exit %d; want %d", code, cli.ExitUsage)
	}
	for _, want := range []string{"Interrupted", "POST /rest/api/3/issue", "the ticket may exist", s.URL + "/issues/?jql="} {
		if !strings.Contains(w.Err.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, w.Err)
		}
	}

	// Interrupted while only reading: no word about a ticket.
	w2, s2 := sandboxWorld(t)
	fault(t, s2, "GET */project/search=stall:3s")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if code := cli.RunContext(ctx2, w2.F, []string{"ls-projects"}); code != cli.ExitUsage {
		t.Errorf("ls-projects interrupted: exit %d", code)
	}
	if !strings.Contains(w2.Err.String(), "Interrupted") || strings.Contains(w2.Err.String(), "may exist") {
		t.Errorf("ls-projects interrupted: %q", w2.Err)
	}
}

// TestDebugShowsEveryHop: --debug prints the redirect followed within the
// site, and a redirect to another origin is refused with both URLs named
// and no credential anywhere in the output.
func TestDebugShowsEveryHop(t *testing.T) {
	var foreign atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { foreign.Add(1) }))
	t.Cleanup(other.Close)
	var site *httptest.Server
	site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/rest/"):
			http.Redirect(w, r, site.URL+"/jira"+r.URL.Path, http.StatusMovedPermanently)
		default:
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
		}
	}))
	t.Cleanup(site.Close)
	w := newWorld(t, map[string]string{"ATLASSIAN_BASE_URL": site.URL, "ATLASSIAN_EMAIL": "me@example.com",
		"ATLASSIAN_API_KEY": "legacytoken24charsxxxxxx"})
	code := cli.Run(w.F, []string{"--debug", "ls-projects"})
	out := w.Err.String()
	if code != cli.ExitError || foreign.Load() != 0 {
		t.Errorf("exit %d, %d requests reached the other origin", code, foreign.Load())
	}
	for _, want := range []string{
		"debug: GET " + site.URL + "/rest/api/3/project/search", "301", "redirect followed to " + site.URL + "/jira/rest/api/3/project/search",
		"→ 302", site.URL + "/jira/rest/api/3/project/search", other.URL + "/jira/rest/api/3/project/search", "did not follow",
		"proxy or single sign-on", "ATLASSIAN_BASE_URL",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "legacytoken") {
		t.Errorf("the token is in the output:\n%s", out)
	}
}

// TestInputChecks: what cannot be right is caught before anything is sent.
func TestInputChecks(t *testing.T) {
	w, s := sandboxWorld(t)
	s.E.ResetRequests()
	for _, args := range [][]string{
		{"check-permissions", "-p", ""},
		{"check-permissions", "-p", "  "},
		{"create-ticket", "-p", "", "-t", "x"},
		{"check-permissions", "-p", "SPACE 2"},
		{"create-ticket", "-p", "2FAST", "-t", "x"},
		{"check-permissions", "-p", "SP-1"},
	} {
		w.Err.Reset()
		if code := cli.Run(w.F, args); code != cli.ExitUsage {
			t.Errorf("tm %q: exit %d; want %d (%s)", args, code, cli.ExitUsage, w.Err)
		}
		if !strings.Contains(w.Err.String(), "project") {
			t.Errorf("tm %q: %q does not say what is wrong", args, w.Err)
		}
	}
	if n := len(s.E.Requests()); n != 0 {
		t.Errorf("%d kinds of request reached Jira; want none: %v", n, s.E.Requests())
	}

	// A bad configured key is a configuration error, also before any request.
	w.Env["ATLASSIAN_PROJECT_KEY"] = "my project"
	w.Err.Reset()
	if code := cli.Run(w.F, []string{"check-permissions"}); code != cli.ExitError || !strings.Contains(w.Err.String(), "ATLASSIAN_PROJECT_KEY") {
		t.Errorf("configured bad key: exit %d, %q", code, w.Err)
	}
	if n := len(s.E.Requests()); n != 0 {
		t.Errorf("requests reached Jira for a bad configured key: %v", s.E.Requests())
	}
}

// TestEnvCheckFindsInvisibleAndMisfitTokens: a zero-width character or a
// byte-order mark inside any setting is an error; a current-looking token
// much too short, or a Cloud token in BEARER mode, is a warning.
func TestEnvCheckFindsInvisibleAndMisfitTokens(t *testing.T) {
	full := "ATATT3x" + strings.Repeat("A", 185)
	base := map[string]string{"ATLASSIAN_BASE_URL": "https://acme.atlassian.net", "ATLASSIAN_EMAIL": "me@example.com", "ATLASSIAN_API_KEY": full}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		exit int
		want []string
	}{
		{"zero-width space in the token", with("ATLASSIAN_API_KEY", full[:50]+"\u200b"+full[50:]), cli.ExitError, []string{"ATLASSIAN_API_KEY", "invisible character (U+200B) at character 51"}},
		{"byte-order mark inside the email", with("ATLASSIAN_EMAIL", "me\ufeff@example.com"), cli.ExitError, []string{"ATLASSIAN_EMAIL", "U+FEFF"}},
		{"direction mark in the project", with("ATLASSIAN_PROJECT_KEY", "SPACE2\u200e"), cli.ExitError, []string{"U+200E"}},
		{"short current token", with("ATLASSIAN_API_KEY", full[:100]), cli.ExitOK, []string{"only 100 characters", "cut short"}},
		{"cloud token in bearer mode", map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": "https://jira.example.com", "ATLASSIAN_API_KEY": full},
			cli.ExitOK, []string{"Jira Cloud API token", "BEARER"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.env)
			code := cli.Run(w.F, []string{"env-check"})
			if code != tc.exit {
				t.Errorf("exit %d; want %d\n%s%s", code, tc.exit, w.Out, w.Err)
			}
			all := w.Out.String() + w.Err.String()
			for _, s := range tc.want {
				if !strings.Contains(all, s) {
					t.Errorf("output lacks %q:\n%s", s, all)
				}
			}
			if strings.Contains(all, full[10:60]) {
				t.Error("the token reached the output")
			}
		})
	}
}

// TestCollectorForShortCommands: the collector is tuned for a command
// with a deadline, and left alone for one that runs until stopped (a
// server sets its own).
func TestCollectorForShortCommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"env-check"}, 1},
		{[]string{"ls-projects"}, 1},
		{[]string{"serve", "--help"}, 0},
		{[]string{"sandbox", "--help"}, 0},
	} {
		w, _ := sandboxWorld(t)
		calls := 0
		w.F.Collector = func() { calls++ }
		cli.Run(w.F, tc.args)
		if calls != tc.want {
			t.Errorf("tm %s: collector tuned %d times, want %d", strings.Join(tc.args, " "), calls, tc.want)
		}
	}
}
