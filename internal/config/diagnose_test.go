package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/config"
)

// token192 has the shape of a current API token.
var token192 = "ATATT3x" + strings.Repeat("Ab9_-", 37)[:181] + "=K9wq"

type finding struct{ name, status, msg, fix string }

func (f finding) String() string { return fmt.Sprintf("%s %s %q %q", f.status, f.name, f.msg, f.fix) }

func TestDiagnose(t *testing.T) {
	const site = "https://acme.atlassian.net"
	pat := map[string]string{"ATLASSIAN_BASE_URL": site, "ATLASSIAN_EMAIL": "me@example.com", "ATLASSIAN_API_KEY": token192}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	newToken := "generate a new one at " + config.APITokensURL
	tests := []struct {
		name  string
		env   map[string]string
		lines []string  // names of the lines, in order (each once)
		want  []finding // every non-ok check; msg and fix are substrings
	}{
		{name: "PAT complete", env: pat,
			lines: []string{"ATLASSIAN_AUTH_MODE", "ATLASSIAN_BASE_URL", "ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY", "ATLASSIAN_PROJECT_KEY"}},
		{name: "PAT with nothing set", env: map[string]string{},
			want: []finding{
				{"ATLASSIAN_BASE_URL", "error", "required in PAT mode", "set ATLASSIAN_BASE_URL=https://your-site.atlassian.net in .env.local"},
				{"ATLASSIAN_EMAIL", "error", "required in PAT mode", "set ATLASSIAN_EMAIL=your-email@example.com in .env.local"},
				{"ATLASSIAN_API_KEY", "error", "required in PAT mode", "set ATLASSIAN_API_KEY=<API token from " + config.APITokensURL + "> in .env.local"},
			}},
		{name: "BEARER needs no email", env: map[string]string{"ATLASSIAN_AUTH_MODE": "bearer"},
			lines: []string{"ATLASSIAN_AUTH_MODE", "ATLASSIAN_BASE_URL", "ATLASSIAN_API_KEY", "ATLASSIAN_PROJECT_KEY"},
			want: []finding{
				{"ATLASSIAN_BASE_URL", "error", "required in BEARER mode", "set ATLASSIAN_BASE_URL=https://jira.your-company.com in .env.local"},
				{"ATLASSIAN_API_KEY", "error", "required in BEARER mode", "<personal access token from your Jira profile>"},
			}},
		{name: "OAUTH needs the app's credentials", env: map[string]string{"ATLASSIAN_AUTH_MODE": "OAuth"},
			lines: []string{"ATLASSIAN_AUTH_MODE", "ATLASSIAN_CLIENT_ID", "ATLASSIAN_CLIENT_SECRET", "ATLASSIAN_REDIRECT_URI", "ATLASSIAN_PROJECT_KEY"},
			want: []finding{
				{"ATLASSIAN_CLIENT_ID", "error", "required in OAUTH mode", "set ATLASSIAN_CLIENT_ID="},
				{"ATLASSIAN_CLIENT_SECRET", "error", "required in OAUTH mode", "set ATLASSIAN_CLIENT_SECRET="},
			}},
		{name: "legacy 24-character token", env: with(pat, "ATLASSIAN_API_KEY", "abcdefghij0123456789abcd"),
			want: []finding{{"ATLASSIAN_API_KEY", "warn", "24 characters: an old token format", newToken}}},
		{name: "75-character token", env: with(pat, "ATLASSIAN_API_KEY", token192[:75]),
			want: []finding{{"ATLASSIAN_API_KEY", "warn", "75 characters", newToken}}},
		{name: "token without the prefix", env: with(pat, "ATLASSIAN_API_KEY", strings.Repeat("x", 192)),
			want: []finding{{"ATLASSIAN_API_KEY", "warn", "does not start with ATATT3x", newToken}}},
		{name: "token pasted in pieces", env: with(pat, "ATLASSIAN_API_KEY", token192[:100]+" "+token192[100:]),
			want: []finding{{"ATLASSIAN_API_KEY", "warn", "contains blanks or a line break", "paste the token again, on one line"}}},
		{name: "Data Center token has no fixed shape", env: map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": "https://jira.corp.example", "ATLASSIAN_API_KEY": "NjQ0MzY2NTE4OTk3OjRz2X3Q0xK"}},
		{name: "not an email", env: with(pat, "ATLASSIAN_EMAIL", "me"),
			want: []finding{{"ATLASSIAN_EMAIL", "warn", "does not look like an email address", "use the email address you sign in to Atlassian with"}}},
		{name: "email with a display name", env: with(pat, "ATLASSIAN_EMAIL", "Me <me@example.com>"),
			want: []finding{{"ATLASSIAN_EMAIL", "warn", "does not look like an email address", ""}}},
		{name: "PAT against a non-Cloud http host", env: with(pat, "ATLASSIAN_BASE_URL", "http://jira.intranet:8080"),
			want: []finding{
				{"ATLASSIAN_BASE_URL", "warn", "plain http sends your credentials unencrypted", "use https://"},
				{"ATLASSIAN_BASE_URL", "warn", "PAT mode is for Jira Cloud (*.atlassian.net), but this is another host", "ATLASSIAN_AUTH_MODE=BEARER"},
			}},
		{name: "the sandbox on loopback", env: with(pat, "ATLASSIAN_BASE_URL", "http://127.0.0.1:4567")},
		{name: "OAUTH against a non-Cloud host", env: map[string]string{"ATLASSIAN_AUTH_MODE": "OAUTH", "ATLASSIAN_CLIENT_ID": "id", "ATLASSIAN_CLIENT_SECRET": "s", "ATLASSIAN_BASE_URL": "https://jira.corp.example"},
			lines: []string{"ATLASSIAN_AUTH_MODE", "ATLASSIAN_CLIENT_ID", "ATLASSIAN_CLIENT_SECRET", "ATLASSIAN_REDIRECT_URI", "ATLASSIAN_BASE_URL", "ATLASSIAN_PROJECT_KEY"},
			want:  []finding{{"ATLASSIAN_BASE_URL", "warn", "OAUTH mode is for Jira Cloud", "ATLASSIAN_AUTH_MODE=BEARER"}}},
		{name: "BEARER against Cloud", env: map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": site, "ATLASSIAN_API_KEY": "x"},
			want: []finding{{"ATLASSIAN_BASE_URL", "warn", "BEARER mode is for Jira Data Center, but this is a Jira Cloud site", "ATLASSIAN_AUTH_MODE=PAT"}}},
		{name: "BEARER with the gateway", env: map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": "https://jira.corp.example", "ATLASSIAN_API_KEY": "x", "ATLASSIAN_USE_CLOUD_API": "1"},
			want: []finding{{"ATLASSIAN_USE_CLOUD_API", "warn", "Jira Data Center has no API gateway", "remove ATLASSIAN_USE_CLOUD_API"}}},
		{name: "cloud id that is not a UUID", env: with(pat, "ATLASSIAN_CLOUD_ID", "acme"),
			lines: []string{"ATLASSIAN_AUTH_MODE", "ATLASSIAN_BASE_URL", "ATLASSIAN_EMAIL", "ATLASSIAN_API_KEY", "ATLASSIAN_PROJECT_KEY", "ATLASSIAN_USE_CLOUD_API", "ATLASSIAN_CLOUD_ID"},
			want:  []finding{{"ATLASSIAN_CLOUD_ID", "warn", "is not a cloud id", "open " + site + "/_edge/tenant_info in a browser while signed in"}}},
		{name: "gateway without a cloud id", env: with(pat, "ATLASSIAN_USE_CLOUD_API", "true"),
			want: []finding{{"ATLASSIAN_CLOUD_ID", "warn", "not set: tm will discover it from " + site + "/_edge/tenant_info",
				"open " + site + "/_edge/tenant_info in a browser while signed in and set ATLASSIAN_CLOUD_ID"}}},
		{name: "gateway with a cloud id", env: with(pat, "ATLASSIAN_USE_CLOUD_API", "true", "ATLASSIAN_CLOUD_ID", "f82a209c-ad3a-4c8c-b311-fc3bf6e584b5")},
		{name: "redirect URI with another path", env: map[string]string{"ATLASSIAN_AUTH_MODE": "OAUTH", "ATLASSIAN_CLIENT_ID": "id", "ATLASSIAN_CLIENT_SECRET": "s", "ATLASSIAN_REDIRECT_URI": "https://tm.example.com/callback?x=1"},
			want: []finding{{"ATLASSIAN_REDIRECT_URI", "warn", "receives the OAuth callback at /api/auth/jira/callback", "set ATLASSIAN_REDIRECT_URI=https://tm.example.com/api/auth/jira/callback here and in the app's settings"}}},
		{name: "lower-case project key", env: with(pat, "ATLASSIAN_PROJECT_KEY", "space2"),
			want: []finding{{"ATLASSIAN_PROJECT_KEY", "warn", "upper-case letters and digits", "tm ls-projects"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.env = tt.env
			r := config.Diagnose(w.mustLoad(), config.DiagnoseOptions{})
			var got []finding
			var lines []string
			for _, c := range r.Checks {
				if len(lines) == 0 || lines[len(lines)-1] != c.Name {
					lines = append(lines, c.Name)
				}
				if c.Status != config.StatusOK {
					got = append(got, finding{c.Name, string(c.Status), c.Message, c.Fix})
				}
			}
			if tt.lines != nil && !slices.Equal(lines, tt.lines) {
				t.Errorf("lines %q, want %q", lines, tt.lines)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings:\n%v\nwant:\n%v", got, tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.name != w.name || g.status != w.status || !strings.Contains(g.msg, w.msg) || !strings.Contains(g.fix, w.fix) {
					t.Errorf("finding %d:\n got %v\nwant %v", i, g, w)
				}
			}
			if data, _ := json.Marshal(r); tt.env["ATLASSIAN_API_KEY"] != "" && len(tt.env["ATLASSIAN_API_KEY"]) > 4 && strings.Contains(string(data), tt.env["ATLASSIAN_API_KEY"]) {
				t.Errorf("the report holds the token: %s", data)
			}
		})
	}
}

func TestDiagnoseFilesHoldingSecrets(t *testing.T) {
	w := newWorld(t)
	w.write(".env.local", "ATLASSIAN_API_KEY="+token192+"\n")
	w.write(".env", "ATLASSIAN_EMAIL=me@example.com\n") // no secret: its mode does not matter
	w.write("ticket-mate.json", `{"clientSecret": "s3cr3t-value", "baseUrl": "https://acme.atlassian.net"}`)
	w.write("jira.json", `{"projectKey": "ABC"}`) // no secret: git is not asked
	for _, name := range []string{".env.local", ".env", "ticket-mate.json", "jira.json"} {
		if err := os.Chmod(filepath.Join(w.dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var asked []string
	tracked := func(p string) bool {
		asked = append(asked, p)
		return true
	}
	r := config.Diagnose(w.mustLoad(), config.DiagnoseOptions{Tracked: tracked})
	var got []string
	for _, c := range r.Checks {
		if !strings.HasPrefix(c.Name, "ATLASSIAN_") {
			got = append(got, fmt.Sprintf("%s %s %s | %s | %s", c.Status, c.Name, c.Value, c.Message, c.Fix))
		}
	}
	want := []string{
		"warn .env.local mode 0644 | holds ATLASSIAN_API_KEY and other users on this machine can read it | chmod 600 .env.local",
		"warn ticket-mate.json mode 0644 | holds ATLASSIAN_CLIENT_SECRET and other users on this machine can read it | chmod 600 ticket-mate.json",
		"warn ticket-mate.json tracked by git | holds ATLASSIAN_CLIENT_SECRET and is committed: anyone with the repository has it | move the secret to .env.local, run git rm --cached ticket-mate.json, and revoke the committed secret",
	}
	if !slices.Equal(got, want) {
		t.Errorf("file checks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(asked, []string{filepath.Join(w.dir, "ticket-mate.json")}) {
		t.Errorf("git asked about %q; want only the JSON file that holds a secret", asked)
	}

	for _, name := range []string{".env.local", "ticket-mate.json"} {
		if err := os.Chmod(filepath.Join(w.dir, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r = config.Diagnose(w.mustLoad(), config.DiagnoseOptions{Tracked: func(string) bool { return false }})
	if n := r.Count(config.StatusWarn); n != 0 {
		t.Errorf("with mode 0600 and nothing tracked: %d warnings: %+v", n, r.Checks)
	}
}

func TestMaskedValuesInSettings(t *testing.T) {
	w := newWorld(t)
	w.env["ATLASSIAN_API_KEY"] = token192
	w.env["ATLASSIAN_CLIENT_SECRET"] = "short-secret"
	w.env["TM_ENCRYPTION_KEY"] = strings.Repeat("k", 44)
	c := w.mustLoad()
	for _, name := range []string{"ATLASSIAN_API_KEY", "ATLASSIAN_CLIENT_SECRET", "TM_ENCRYPTION_KEY"} {
		s, _ := c.Setting(name)
		if !s.Secret || s.Value != tm.Mask(w.env[name]) {
			t.Errorf("%s shown as %q (secret %v), want %q", name, s.Value, s.Secret, tm.Mask(w.env[name]))
		}
		if !config.IsSecret(name) {
			t.Errorf("IsSecret(%s) = false", name)
		}
	}
	if config.IsSecret("ATLASSIAN_EMAIL") {
		t.Errorf("IsSecret(ATLASSIAN_EMAIL) = true")
	}
}
