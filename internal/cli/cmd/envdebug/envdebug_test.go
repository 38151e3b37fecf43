package envdebug

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/clitest"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/oskeyring"
)

var token192 = "ATATT3x" + strings.Repeat("Qw3_e", 37)[:181] + "K9wq"

type scenario struct {
	name    string
	env     map[string]string
	files   map[string]string // "user" is the user's config.json
	file    string            // --config
	args    []string
	wantErr string
	// server is a sign-in through a ticket-mate server, kept in the
	// credential file or, with inKeyring, in the OS keyring.
	server    *credfile.ServerSignIn
	inKeyring bool
}

// serverToken is the stored server sign-in's token: never shown.
const serverToken = "tmu_SERVERTOKEN0123456789abcdefghijklmnopqrstuv"

var teamServer = &credfile.ServerSignIn{Server: "https://tm.example.com", Token: serverToken, TokenID: "tok1",
	Account: credfile.Account{AccountID: "557058:alex", Email: "alex@example.com", Name: "Alex Morgan"},
	CloudID: "3f6c1a2e-0000-4000-8000-000000000001", SiteName: "acme", SiteURL: "https://acme.atlassian.net",
	Scopes: []string{"read", "write"}, ExpiresAt: time.Date(2027, 3, 4, 11, 57, 0, 0, time.UTC)}

// memKeyring is an OS keyring that answers from memory.
type memKeyring map[string]string

func (m memKeyring) Get(user string) (string, error) {
	if v, ok := m[user]; ok {
		return v, nil
	}
	return "", oskeyring.ErrNotFound
}
func (m memKeyring) Set(user, value string) error { m[user] = value; return nil }
func (m memKeyring) Delete(user string) error     { delete(m, user); return nil }

var scenarios = []scenario{
	{name: "layers",
		env: map[string]string{"JIRA_API_TOKEN": token192, "ATLASSIAN_EMAIL": "me@example.com", "DATABASE_URL": "postgres://tm:pw-123@db/tm"},
		files: map[string]string{
			".env.local":       "# mine\nATLASSIAN_BASE_URL=https://acme.atlassian.net/jira/software/projects/SPACE2/boards/1\nJIRA_USER_EMAIL=old@example.com\n",
			".env":             "ATLASSIAN_PROJECT_KEY=FROMENV\nATLASSIAN_BASE_URL=https://other.atlassian.net\n",
			"ticket-mate.json": "{\n  \"projectKey\": \"TM\",\n  \"cloudId\": \"f82a209c-ad3a-4c8c-b311-fc3bf6e584b5\"\n}\n",
			"jira.json":        `{"projectKey": "JIRA", "oauthScopes": ["read:jira-work"]}`,
			"user":             `{"authMode": "pat", "debug": true}`,
		},
		args: []string{"-p", "CLI"}},
	{name: "gateway_discovery", env: map[string]string{"ATLASSIAN_BASE_URL": "https://acme.atlassian.net", "ATLASSIAN_USE_CLOUD_API": "yes"}},
	{name: "bearer", env: map[string]string{"ATLASSIAN_AUTH_MODE": "Bearer", "ATLASSIAN_BASE_URL": "https://jira.corp.example/jira/"}},
	{name: "oauth_config_flag", file: "staging.json",
		files: map[string]string{"staging.json": `{"authMode": "OAUTH", "clientId": "abc", "clientSecret": "oauth-client-secret-42"}`, "ticket-mate.json": `{"projectKey": "IGNORED"}`}},
	// After tm login --server, with nothing configured: tm goes through the server.
	{name: "server_signin", server: teamServer},
	// Configured credentials win over a sign-in kept in the OS keyring.
	{name: "server_signin_unused", server: teamServer, inKeyring: true,
		env: map[string]string{"ATLASSIAN_BASE_URL": "https://acme.atlassian.net", "ATLASSIAN_EMAIL": "me@example.com", "ATLASSIAN_API_KEY": token192}},
	{name: "broken_file",
		files:   map[string]string{".env.local": "ATLASSIAN_API_KEY=" + token192 + "\n", "jira.json": "{\n  \"projectKey\": \"A\",\n  \"apikey\": \"" + token192 + "\"\n}\n"},
		wantErr: `jira.json:3:3: unknown key "apikey"; did you mean "apiKey"?`},
}

func (sc scenario) world(t *testing.T) (*factory.Factory, *bytes.Buffer, *bytes.Buffer, func(string) string) {
	t.Helper()
	// The user config directory lies inside the working directory so that
	// the file is shown by a relative name, as long on every machine.
	dir := t.TempDir()
	userDir := filepath.Join(dir, "xdg", "ticket-mate")
	if err := os.MkdirAll(userDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range sc.files {
		p := filepath.Join(dir, name)
		if name == "user" {
			p = filepath.Join(userDir, "config.json")
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var kr oskeyring.Keyring
	if sc.server != nil && sc.inKeyring {
		v, err := credfile.EncodeServer(sc.server)
		if err != nil {
			t.Fatal(err)
		}
		kr = memKeyring{"server": v}
	} else if sc.server != nil {
		if err := credfile.SaveServer(t.Context(), credfile.Path(userDir), sc.server); err != nil {
			t.Fatal(err)
		}
	}
	io, _, out, errOut := iostreams.Test()
	f := &factory.Factory{
		Keyring:    kr,
		IO:         io,
		LookupEnv:  func(k string) (string, bool) { v, ok := sc.env[k]; return v, ok },
		WorkDir:    dir,
		ConfigDir:  userDir,
		ConfigFile: sc.file,
		HTTPClient: func() *http.Client { t.Error("env-debug asked for an HTTP client"); return nil },
	}
	// Temporary directories differ per run; golden files name them by role.
	stable := func(s string) string { return strings.ReplaceAll(s, dir, "$WORK_DIR") }
	return f, out, errOut, stable
}

func runCmd(f *factory.Factory, args []string) error {
	cmd := NewCmd(f, nil)
	cmd.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

func TestGoldenOutput(t *testing.T) {
	for _, sc := range scenarios {
		for _, mode := range []string{"tty", "piped", "json", "nocolor", "cols60"} {
			t.Run(sc.name+"/"+mode, func(t *testing.T) {
				f, out, errOut, stable := sc.world(t)
				tty := mode == "tty" || mode == "nocolor" || mode == "cols60"
				f.IO.SetTTY(false, tty, tty)
				f.IO.SetColorDisabled(mode == "nocolor")
				if mode == "cols60" {
					f.IO.SetWidth(60)
				}
				args := sc.args
				if mode == "json" {
					args = append(args[:len(args):len(args)], "--json")
				}
				err := runCmd(f, args)
				switch {
				case sc.wantErr == "" && err != nil:
					t.Errorf("error: %v", err)
				case sc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), sc.wantErr)):
					t.Errorf("error = %v, want one containing %q", err, sc.wantErr)
				}
				if errOut.Len() > 0 {
					t.Errorf("stderr: %q", errOut)
				}
				if mode == "json" && !json.Valid(out.Bytes()) {
					t.Errorf("--json output is not JSON:\n%s", out)
				}
				if all := out.String(); strings.Contains(all, token192) || strings.Contains(all, "pw-123") || strings.Contains(all, "oauth-client-secret-42") || strings.Contains(all, serverToken) || strings.Contains(all, serverToken[:12]) {
					t.Errorf("output holds a secret:\n%s", all)
				}
				clitest.Golden(t, sc.name+"."+mode, []byte(stable(out.String())))
			})
		}
	}
}

func TestProvenanceAndDerivedValues(t *testing.T) {
	f, out, _, _ := scenarios[0].world(t)
	if err := runCmd(f, []string{"-p", "CLI", "--json"}); err != nil {
		t.Fatal(err)
	}
	var got jsonOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	src := map[string]jsonSetting{}
	for _, s := range got.Settings {
		src[s.Name] = s
	}
	want := map[string]string{
		config.KeyProjectKey: "flag --project",
		config.KeyAPIKey:     "env JIRA_API_TOKEN (alias)",
		config.KeyEmail:      "env ATLASSIAN_EMAIL",
		config.KeyBaseURL:    ".env.local:2",
		config.KeyCloudID:    "ticket-mate.json:3",
		config.KeyAuthMode:   "xdg/ticket-mate/config.json:1",
		config.KeyAuthURL:    "default",
		config.KeyClientID:   "not set",
	}
	for name, w := range want {
		if src[name].Source != w {
			t.Errorf("%s: source %q, want %q", name, src[name].Source, w)
		}
	}
	if o := src[config.KeyProjectKey].Overrides; strings.Join(o, ",") != ".env:1,ticket-mate.json:2,jira.json:1" {
		t.Errorf("project key overrides %q", o)
	}
	if o := src[config.KeyEmail].Overrides; strings.Join(o, ",") != ".env.local:3 JIRA_USER_EMAIL (alias)" {
		t.Errorf("email overrides %q", o)
	}
	if s := src[config.KeyAPIKey]; !s.Secret || s.Value == nil || *s.Value != tm.Mask(token192) {
		t.Errorf("API key shown as %v (secret %v)", s.Value, s.Secret)
	}
	if s := src[config.KeyClientID]; s.Value != nil {
		t.Errorf("a setting not set is %q in JSON, want null", *s.Value)
	}
	cloudID := "f82a209c-ad3a-4c8c-b311-fc3bf6e584b5"
	if d := got.Derived; d == nil || d.RESTURL != "https://acme.atlassian.net/rest/api/3" || d.API != config.APISite || d.DiscoverCloudID {
		t.Errorf("derived = %+v; the cloud id %s is set but the site API is used without USE_CLOUD_API", d, cloudID)
	}
}

func TestBrokenFileIsShownWithItsPosition(t *testing.T) {
	f, out, _, _ := scenarios[len(scenarios)-1].world(t)
	err := runCmd(f, nil)
	var le *config.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v is not a *config.LoadError", err)
	}
	for _, want := range []string{"jira.json\terror\tline 3, column 3: unknown key \"apikey\"; did you mean \"apiKey\"?", ".env.local\tfound\tsets ATLASSIAN_API_KEY"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "Settings") {
		t.Errorf("settings shown from a configuration that did not load:\n%s", out)
	}
}

// TestDamagedServerSignIn: a credential file that cannot be read does not
// stop env-debug; it says so in a note, without the file's content.
func TestDamagedServerSignIn(t *testing.T) {
	sc := scenario{name: "damaged"}
	f, out, _, _ := sc.world(t)
	path := credfile.Path(f.ConfigDir)
	if err := os.WriteFile(path, []byte(`{"server": {"token": "`+serverToken+`", `), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runCmd(f, nil); err != nil {
		t.Fatalf("env-debug with a damaged credential file: %v", err)
	}
	if !strings.Contains(out.String(), "The server sign-in (tm login --server) cannot be read: ") || !strings.Contains(out.String(), path) {
		t.Errorf("no note naming the damaged file:\n%s", out)
	}
	if strings.Contains(out.String(), serverToken[:12]) || strings.Contains(out.String(), "Server sign-in (") {
		t.Errorf("the damaged sign-in is shown:\n%s", out)
	}
}
