package envcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/clitest"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
)

// token192 has the shape of a current API token and ends like the setup guide's example.
var token192 = "ATATT3x" + strings.Repeat("FfGF0", 37)[:181] + "K9wq"

// world is a factory over a temporary directory, an environment map and
// test streams.
type world struct {
	f        *factory.Factory
	out, err *bytes.Buffer
}

func newWorld(t *testing.T, env map[string]string, files map[string]string) *world {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	io, _, out, errOut := iostreams.Test()
	return &world{out: out, err: errOut, f: &factory.Factory{
		IO:        io,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		WorkDir:   dir,
		ConfigDir: filepath.Join(dir, "no-user-config"),
		HTTPClient: func() *http.Client {
			t.Error("env-check asked for an HTTP client; it must stay offline")
			return &http.Client{Transport: failing{t}}
		},
	}}
}

type failing struct{ t *testing.T }

func (f failing) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("env-check made a request: %s %s", r.Method, r.URL)
	return nil, errors.New("no network in env-check")
}

func (w *world) run(t *testing.T, args ...string) error {
	t.Helper()
	cmd := NewCmd(w.f, nil)
	cmd.SetArgs(append([]string{}, args...))         // never nil: cobra would read os.Args
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as under the root command
	cmd.SetOut(w.f.IO.Out)
	cmd.SetErr(w.f.IO.ErrOut)
	return cmd.Execute()
}

var scenarios = []struct {
	name     string
	env      map[string]string
	files    map[string]string
	args     []string
	wantFail bool
}{
	{name: "pat_ok", files: map[string]string{".env.local": "ATLASSIAN_BASE_URL=https://your-site.atlassian.net\nATLASSIAN_EMAIL=your-email@example.com\nATLASSIAN_API_KEY=" + token192 + "\n"}},
	{name: "pat_problems", env: map[string]string{"JIRA_API_TOKEN": "abcdefghij0123456789abcd", "ATLASSIAN_USE_CLOUD_API": "yes"},
		files: map[string]string{".env": "ATLASSIAN_BASE_URL=https://acme.atlassian.net/browse/SPACE2-7\n"}, args: []string{"-p", "space2"}, wantFail: true},
	{name: "oauth_warnings", env: map[string]string{"ATLASSIAN_AUTH_MODE": "oauth", "ATLASSIAN_CLIENT_ID": "j8yykRabc", "ATLASSIAN_CLIENT_SECRET": "client-secret-value-0123456789",
		"ATLASSIAN_REDIRECT_URI": "http://localhost:4000/callback"}, args: []string{"--project", "SPACE2"}},
	{name: "bearer_missing", env: map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": "http://jira.intranet:8080/jira/browse/ABC-1"}, wantFail: true},
}

func TestGoldenOutput(t *testing.T) {
	for _, sc := range scenarios {
		for _, mode := range []string{"tty", "piped", "json", "nocolor"} {
			t.Run(sc.name+"/"+mode, func(t *testing.T) {
				w := newWorld(t, sc.env, sc.files)
				tty := mode == "tty" || mode == "nocolor"
				w.f.IO.SetTTY(false, tty, tty)
				w.f.IO.SetColorDisabled(mode == "nocolor")
				args := sc.args
				if mode == "json" {
					args = append(args[:len(args):len(args)], "--json")
				}
				err := w.run(t, args...)
				if sc.wantFail != errors.Is(err, factory.ErrSilent) {
					t.Errorf("error = %v, want ErrSilent: %v", err, sc.wantFail)
				} else if !sc.wantFail && err != nil {
					t.Errorf("error = %v", err)
				}
				if w.err.Len() > 0 {
					t.Errorf("stderr: %q; the report belongs on stdout", w.err)
				}
				if mode == "json" && !json.Valid(w.out.Bytes()) {
					t.Errorf("--json output is not JSON:\n%s", w.out)
				}
				if hasANSI := bytes.Contains(w.out.Bytes(), []byte("\x1b[")); hasANSI != (mode == "tty") {
					t.Errorf("colour codes present: %v, want %v", hasANSI, mode == "tty")
				}
				clitest.Golden(t, sc.name+"."+mode, w.out.Bytes())
			})
		}
	}
}

func TestTheSetupGuidesExampleLines(t *testing.T) {
	w := newWorld(t, nil, scenarios[0].files)
	if err := w.run(t); err != nil {
		t.Fatal(err)
	}
	want := "ok   ATLASSIAN_BASE_URL        = https://your-site.atlassian.net\n" +
		"ok   ATLASSIAN_EMAIL           = your-email@example.com\n" +
		"ok   ATLASSIAN_API_KEY         = ATATT3x***K9wq (length: 192)\n"
	if !strings.Contains(w.out.String(), want) {
		t.Errorf("output:\n%s\nlacks the setup guide's lines:\n%s", w.out, want)
	}
	if !strings.HasSuffix(w.out.String(), "All set for PAT mode. Next: tm check-permissions\n") {
		t.Errorf("output does not end with the summary and next command:\n%s", w.out)
	}
}

func TestNeverPrintsASecret(t *testing.T) {
	secrets := map[string]string{
		"ATLASSIAN_API_KEY":       token192,
		"ATLASSIAN_CLIENT_SECRET": "0123456789abcdefOAUTHSECRET",
		"TM_ENCRYPTION_KEY":       "ZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMtbG9uZyEhISE=",
		"DATABASE_URL":            "postgres://tm:db-password-123@db.example/tm",
	}
	needles := []string{token192, token192[7 : len(token192)-4], "OAUTHSECRET", "ZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMtbG9u", "db-password-123"}
	for _, mode := range []string{"PAT", "BEARER", "OAUTH"} {
		for _, asJSON := range []bool{false, true} {
			env := map[string]string{"ATLASSIAN_AUTH_MODE": mode, "ATLASSIAN_BASE_URL": "https://acme.atlassian.net"}
			for k, v := range secrets {
				env[k] = v
			}
			// The same secrets in files, readable by others, must not leak through the file checks either.
			files := map[string]string{".env.local": "ATLASSIAN_API_KEY=" + token192 + "\n", "ticket-mate.json": `{"clientSecret": "0123456789abcdefOAUTHSECRET"}`}
			w := newWorld(t, env, files)
			_ = os.Chmod(filepath.Join(w.f.WorkDir, ".env.local"), 0o644)
			var args []string
			if asJSON {
				args = []string{"--json"}
			}
			_ = w.run(t, args...)
			all := w.out.String() + w.err.String()
			for _, n := range needles {
				if strings.Contains(all, n) {
					t.Errorf("%s json=%v: output contains a secret (%.12s…):\n%s", mode, asJSON, n, all)
				}
			}
			if mode != "OAUTH" && !strings.Contains(all, tm.Mask(token192)) {
				t.Errorf("%s json=%v: the masked token %q is missing:\n%s", mode, asJSON, tm.Mask(token192), all)
			}
		}
	}
}

func TestDoesNoNetwork(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		t.Errorf("env-check reached the network: %s %s", r.Method, r.URL)
	}))
	defer srv.Close()
	// Everything that could tempt a check to call out: a reachable site, the
	// gateway without a cloud id (discoverable from tenant_info), OAuth endpoints.
	for _, mode := range []string{"PAT", "BEARER", "OAUTH"} {
		w := newWorld(t, map[string]string{
			"ATLASSIAN_AUTH_MODE": mode, "ATLASSIAN_BASE_URL": srv.URL, "ATLASSIAN_EMAIL": "me@example.com",
			"ATLASSIAN_API_KEY": token192, "ATLASSIAN_USE_CLOUD_API": "true", "ATLASSIAN_API_URL": srv.URL,
			"ATLASSIAN_AUTH_URL": srv.URL, "ATLASSIAN_CLIENT_ID": "id", "ATLASSIAN_CLIENT_SECRET": "secret",
		}, nil)
		if err := w.run(t); err != nil {
			t.Errorf("%s: %v\n%s", mode, err, w.out)
		}
		if !strings.Contains(w.out.String(), srv.URL) {
			t.Errorf("%s: the report does not show the base URL %s:\n%s", mode, srv.URL, w.out)
		}
	}
	if hits != 0 {
		t.Errorf("%d requests reached the server", hits)
	}
}

func TestSecretInATrackedJSONFile(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	w := newWorld(t, nil, map[string]string{
		"ticket-mate.json": `{"apiKey": "` + token192 + `"}`,
		"jira.json":        `{"clientSecret": "not-tracked-secret-value"}`,
	})
	for _, args := range [][]string{{"init", "-q"}, {"add", "ticket-mate.json"}} {
		c := exec.Command(git, args...)
		c.Dir = w.f.WorkDir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	_ = w.run(t)
	out := w.out.String()
	if !strings.Contains(out, "warn ticket-mate.json          = tracked by git\n   holds ATLASSIAN_API_KEY and is committed") ||
		!strings.Contains(out, "git rm --cached ticket-mate.json") {
		t.Errorf("no warning for the tracked secret:\n%s", out)
	}
	if strings.Contains(out, "jira.json          = tracked") {
		t.Errorf("jira.json is not tracked but is reported so:\n%s", out)
	}
}

func TestLoadErrorsAreReturned(t *testing.T) {
	w := newWorld(t, nil, map[string]string{".env.local": "ATLASSIAN_EMAIL=me@example.com\nATLASSIAN_API_KEY " + token192 + "\n"})
	err := w.run(t)
	var le *config.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), ".env.local:2:19: ATLASSIAN_API_KEY: expected = after the name") {
		t.Fatalf("error = %v, want the .env.local line", err)
	}
	if strings.Contains(err.Error()+w.out.String(), token192[10:40]) {
		t.Errorf("the error or output quotes the token")
	}
	if w.out.Len() != 0 {
		t.Errorf("a report was printed from a configuration that did not load:\n%s", w.out)
	}

	w.out.Reset()
	err = w.run(t, "--json")
	var got jsonReport
	if jerr := json.Unmarshal(w.out.Bytes(), &got); jerr != nil || got.OK || got.Error != err.Error() || len(got.Checks) != 0 {
		t.Errorf("--json after a load error: %v\n%s", jerr, w.out)
	}
	if !errors.As(err, &le) {
		t.Errorf("--json: error = %v, want the *config.LoadError too", err)
	}
}
