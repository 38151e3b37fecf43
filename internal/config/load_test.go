package config_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/config"
)

// layer sets one setting in one source and returns the provenance that
// env-debug must show for it.
type layer struct {
	name string
	set  func(w *world, envName, jsonKey, value string) string
}

var layers = []layer{
	{"flag", func(w *world, envName, _, v string) string {
		w.flags = append(w.flags, config.Flag{Name: "some-flag", Key: envName, Value: v})
		return "flag --some-flag"
	}},
	{"env", func(w *world, envName, _, v string) string {
		w.env[envName] = v
		return "env " + envName
	}},
	{".env.local", func(w *world, envName, _, v string) string {
		w.write(".env.local", "# local overrides\n\n"+envName+"="+v+"\n")
		return ".env.local:3"
	}},
	{".env", func(w *world, envName, _, v string) string {
		w.write(".env", "export "+envName+"='"+v+"'\n")
		return ".env:1"
	}},
	{"ticket-mate.json", func(w *world, _, jsonKey, v string) string {
		w.write("ticket-mate.json", fmt.Sprintf("{\n  %q: %q\n}\n", jsonKey, v))
		return "ticket-mate.json:2"
	}},
	{"jira.json", func(w *world, _, jsonKey, v string) string {
		w.write("jira.json", fmt.Sprintf("{\"debug\": false,\n\n  %q: %q}", jsonKey, v))
		return "jira.json:3"
	}},
	{"user config", func(w *world, _, jsonKey, v string) string {
		p := w.write("user", fmt.Sprintf("{%q: %q}", jsonKey, v))
		return p + ":1"
	}},
}

func TestPrecedenceOfEachAdjacentPairOfSources(t *testing.T) {
	type key struct {
		env, json string
		hi, lo    string // raw values
		value     func(c *config.Config) string
		shown     func(raw string) string
	}
	same := func(s string) string { return s }
	keys := []key{
		{config.KeyProjectKey, "projectKey", "HIGH", "LOW", func(c *config.Config) string { return c.ProjectKey }, same},
		{config.KeyAPIKey, "apiKey", "ATATT3xHIGHHIGHHIGHHIGH1", "ATATT3xLOWLOWLOWLOWLOW22",
			func(c *config.Config) string { return c.APIKey.Reveal() }, tm.Mask},
		{config.KeyUseCloudAPI, "useCloudApi", "yes", "no",
			func(c *config.Config) string { return fmt.Sprint(c.UseCloudAPI) },
			func(raw string) string { b, _ := config.ParseBool(raw); return fmt.Sprint(b) }},
	}
	for i := range layers {
		hi := layers[i]
		for _, k := range keys {
			if i+1 < len(layers) {
				lo := layers[i+1]
				t.Run(hi.name+">"+lo.name+"/"+k.env, func(t *testing.T) {
					w := newWorld(t)
					wantSrc := hi.set(w, k.env, k.json, k.hi)
					shadow := lo.set(w, k.env, k.json, k.lo)
					c := w.mustLoad()
					s, _ := c.Setting(k.env)
					if got := k.value(c); got != k.shown(k.hi) && got != k.hi {
						t.Errorf("value = %q, want %q from %s", got, k.hi, hi.name)
					}
					if s.Value != k.shown(k.hi) {
						t.Errorf("shown value = %q, want %q", s.Value, k.shown(k.hi))
					}
					if s.Source.String() != wantSrc {
						t.Errorf("source = %q, want %q", s.Source, wantSrc)
					}
					if len(s.Shadowed) != 1 || s.Shadowed[0].String() != shadow {
						t.Errorf("shadowed = %v, want [%s]", s.Shadowed, shadow)
					}
				})
				continue
			}
			t.Run(hi.name+">default/"+k.env, func(t *testing.T) {
				w := newWorld(t)
				want := hi.set(w, k.env, k.json, k.hi)
				c := w.mustLoad()
				if got := c.Source(k.env).String(); got != want {
					t.Errorf("source = %q, want %q", got, want)
				}
				w2 := newWorld(t)
				c2 := w2.mustLoad()
				s, _ := c2.Setting(k.env)
				wantDefault := map[string]string{config.KeyProjectKey: "SPACE2", config.KeyAPIKey: "", config.KeyUseCloudAPI: "false"}[k.env]
				wantSrc := "default"
				if wantDefault == "" {
					wantSrc = "not set"
				}
				if s.Value != wantDefault || s.Source.String() != wantSrc {
					t.Errorf("with nothing set: %q from %q, want %q from %q", s.Value, s.Source, wantDefault, wantSrc)
				}
			})
		}
	}
}

func TestDefaults(t *testing.T) {
	c := newWorld(t).mustLoad()
	want := config.Config{
		AuthMode:    config.AuthPAT,
		RedirectURI: "http://localhost:4000/api/auth/jira/callback",
		ProjectKey:  "SPACE2",
		AuthURL:     "https://auth.atlassian.com",
		APIURL:      "https://api.atlassian.com",
		DatabaseURL: "sqlite:ticket-mate.db",
		OAuthScopes: []string{"read:jira-work", "write:jira-work", "read:jira-user", "read:me", "offline_access"},
		Timeout:     time.Minute,
		// tm serve's device tokens and per-person budget.
		TokenLifetime: 90 * 24 * time.Hour,
		GatewayRate:   10,
		GatewayBurst:  40,
	}
	got := *c
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(config.Config{}), cmp.FilterPath(func(p cmp.Path) bool {
		return strings.Contains(p.String(), "settings") || strings.Contains(p.String(), "files") || strings.Contains(p.String(), "notes")
	}, cmp.Ignore())); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	for _, s := range c.Settings() {
		wantSrc := "default"
		if s.Value == "" {
			wantSrc = "not set"
		}
		if s.Source.String() != wantSrc {
			t.Errorf("%s: source %q, want %q", s.Name, s.Source, wantSrc)
		}
	}
}

func TestAliasesRankBelowTheirNameWithinASourceButSourcesComeFirst(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		envLocal  string
		dotEnv    string
		key       string
		wantValue string
		wantSrc   string
		shadowed  []string
	}{
		{name: "alias alone in env", env: map[string]string{"JIRA_API_TOKEN": "tok-from-alias"},
			key: config.KeyAPIKey, wantValue: "tok-from-alias", wantSrc: "env JIRA_API_TOKEN (alias)"},
		{name: "name beats alias in env", env: map[string]string{"JIRA_API_TOKEN": "alias", config.KeyAPIKey: "canonical"},
			key: config.KeyAPIKey, wantValue: "canonical", wantSrc: "env ATLASSIAN_API_KEY", shadowed: []string{"env JIRA_API_TOKEN (alias)"}},
		{name: "JIRA_USER_EMAIL beats JIRA_EMAIL", env: map[string]string{"JIRA_EMAIL": "b@example.com", "JIRA_USER_EMAIL": "a@example.com"},
			key: config.KeyEmail, wantValue: "a@example.com", wantSrc: "env JIRA_USER_EMAIL (alias)", shadowed: []string{"env JIRA_EMAIL (alias)"}},
		{name: "alias in env beats name in .env.local", env: map[string]string{"JIRA_BASE_URL": "https://env.atlassian.net"},
			envLocal: "ATLASSIAN_BASE_URL=https://local.atlassian.net\n",
			key:      config.KeyBaseURL, wantValue: "https://env.atlassian.net", wantSrc: "env JIRA_BASE_URL (alias)", shadowed: []string{".env.local:1"}},
		{name: "alias in .env.local", envLocal: "\nJIRA_API_TOKEN=file-alias\n",
			key: config.KeyAPIKey, wantValue: "file-alias", wantSrc: ".env.local:2 JIRA_API_TOKEN (alias)"},
		{name: "name beats alias in one file, whatever the order", envLocal: "ATLASSIAN_EMAIL=n@example.com\nJIRA_EMAIL=a@example.com\n",
			key: config.KeyEmail, wantValue: "n@example.com", wantSrc: ".env.local:1", shadowed: []string{".env.local:2 JIRA_EMAIL (alias)"}},
		{name: "alias in .env.local beats name in .env", envLocal: "JIRA_EMAIL=local@example.com\n", dotEnv: "ATLASSIAN_EMAIL=env@example.com\n",
			key: config.KeyEmail, wantValue: "local@example.com", wantSrc: ".env.local:1 JIRA_EMAIL (alias)", shadowed: []string{".env:1"}},
		{name: "later line wins in one file", envLocal: "ATLASSIAN_PROJECT_KEY=FIRST\nATLASSIAN_PROJECT_KEY=SECOND\n",
			key: config.KeyProjectKey, wantValue: "SECOND", wantSrc: ".env.local:2", shadowed: []string{".env.local:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			for k, v := range tt.env {
				w.env[k] = v
			}
			if tt.envLocal != "" {
				w.write(".env.local", tt.envLocal)
			}
			if tt.dotEnv != "" {
				w.write(".env", tt.dotEnv)
			}
			c := w.mustLoad()
			got := map[string]string{config.KeyAPIKey: c.APIKey.Reveal(), config.KeyEmail: c.Email, config.KeyBaseURL: c.BaseURL, config.KeyProjectKey: c.ProjectKey}[tt.key]
			if got != tt.wantValue {
				t.Errorf("value = %q, want %q", got, tt.wantValue)
			}
			s, _ := c.Setting(tt.key)
			if s.Source.String() != tt.wantSrc {
				t.Errorf("source = %q, want %q", s.Source, tt.wantSrc)
			}
			var shadowed []string
			for _, sh := range s.Shadowed {
				shadowed = append(shadowed, sh.String())
			}
			if !slices.Equal(shadowed, tt.shadowed) {
				t.Errorf("shadowed = %q, want %q", shadowed, tt.shadowed)
			}
		})
	}
}

func TestConfigFileReplacesTheProjectFiles(t *testing.T) {
	for _, viaEnv := range []bool{false, true} {
		t.Run(fmt.Sprintf("viaEnv=%v", viaEnv), func(t *testing.T) {
			w := newWorld(t)
			w.write("ticket-mate.json", `{"projectKey": "TM"}`)
			w.write("jira.json", `{"email": "jira@example.com"}`)
			w.write("custom.json", `{"cloudId": "f82a209c-ad3a-4c8c-b311-fc3bf6e584b5"}`)
			w.write("user", `{"projectKey": "USER"}`)
			from := "--config"
			if viaEnv {
				w.env["TM_CONFIG"] = "custom.json"
				from = "$TM_CONFIG"
			} else {
				w.file = "custom.json"
				w.env["TM_CONFIG"] = "ignored-when-the-flag-is-given.json"
			}
			c := w.mustLoad()
			if c.ProjectKey != "USER" || c.Email != "" || c.CloudID != "f82a209c-ad3a-4c8c-b311-fc3bf6e584b5" {
				t.Errorf("project %q email %q cloud id %q: want the user file's project, no email, custom.json's cloud id", c.ProjectKey, c.Email, c.CloudID)
			}
			if got := c.Source(config.KeyCloudID).String(); got != "custom.json:1" {
				t.Errorf("cloud id source = %q", got)
			}
			var roles []string
			for _, f := range c.Files() {
				roles = append(roles, fmt.Sprintf("%s|%s|%s|%s", f.Role, f.Name, f.Status, f.Detail))
			}
			want := []string{
				".env.local|.env.local|not found|",
				".env|.env|not found|",
				"--config|custom.json|found|named by " + from,
				"ticket-mate.json|ticket-mate.json|skipped|" + from + " names custom.json instead",
				"jira.json|jira.json|skipped|" + from + " names custom.json instead",
				"user config|" + filepath.Join(w.userDir, "config.json") + "|found|",
			}
			if diff := cmp.Diff(want, roles); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBaseURLIsNormalised(t *testing.T) {
	tests := []struct {
		in, want string
		note     bool
	}{
		{"https://acme.atlassian.net", "https://acme.atlassian.net", false},
		{"  https://acme.atlassian.net///  ", "https://acme.atlassian.net", false},
		{"https://ACME.atlassian.net/", "https://acme.atlassian.net", false},
		{"acme.atlassian.net", "https://acme.atlassian.net", true},
		{"https://acme.atlassian.net/browse/ABC-1", "https://acme.atlassian.net", true},
		{"https://acme.atlassian.net/jira/software/projects/ABC/boards/1?selectedIssue=ABC-2", "https://acme.atlassian.net", true},
		{"https://acme.atlassian.net/wiki/spaces/ENG/pages/1", "https://acme.atlassian.net", true},
		{"https://acme.atlassian.net/rest/api/3/myself", "https://acme.atlassian.net", true},
		{"https://jira.corp.example/jira/browse/ABC-1", "https://jira.corp.example/jira", true},
		{"https://jira.corp.example/jira/", "https://jira.corp.example/jira", false},
		{"https://jira.corp.example:8443/secure/Dashboard.jspa", "https://jira.corp.example:8443", true},
		{"http://127.0.0.1:4567", "http://127.0.0.1:4567", false},
		{"http://localhost:4567/sites/acme/browse/SPACE2-1", "http://localhost:4567/sites/acme", true},
		{"http://[::1]:80/", "http://[::1]:80", false},
		{"http://jira.intranet:8080", "http://jira.intranet:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			w := newWorld(t)
			w.env["ATLASSIAN_BASE_URL"] = tt.in
			c := w.mustLoad()
			if c.BaseURL != tt.want {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL, tt.want)
			}
			noted := false
			for _, n := range c.Notes() {
				if strings.HasPrefix(n, "ATLASSIAN_BASE_URL from env ATLASSIAN_BASE_URL: ") {
					noted = true
				}
			}
			if noted != tt.note {
				t.Errorf("note present = %v, want %v (notes %q)", noted, tt.note, c.Notes())
			}
		})
	}
}

func TestValuesAreParsed(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"true", "true"}, {"TRUE", "true"}, {"1", "true"}, {"Yes", "true"},
		{"false", "false"}, {"0", "false"}, {"NO", "false"}, {" no ", "false"},
	} {
		w := newWorld(t)
		w.env["ATLASSIAN_USE_CLOUD_API"] = tt.in
		if got := fmt.Sprint(w.mustLoad().UseCloudAPI); got != tt.want {
			t.Errorf("ATLASSIAN_USE_CLOUD_API=%q gives %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"pat", "Bearer", "OAUTH", " oauth "} {
		w := newWorld(t)
		w.env["ATLASSIAN_AUTH_MODE"] = in
		if got, want := string(w.mustLoad().AuthMode), strings.ToUpper(strings.TrimSpace(in)); got != want {
			t.Errorf("ATLASSIAN_AUTH_MODE=%q gives %s, want %s", in, got, want)
		}
	}
	w := newWorld(t)
	w.write("ticket-mate.json", `{"oauthScopes": ["read:jira-work", "offline_access", "read:jira-work"], "useCloudApi": true, "debug": 1}`)
	w.write(".env", "ATLASSIAN_AUTH_URL=http://127.0.0.1:9/\nDATABASE_URL=postgres://tm:hunter2@db.example/tm\n")
	c := w.mustLoad()
	if !slices.Equal(c.OAuthScopes, []string{"read:jira-work", "offline_access"}) || !c.UseCloudAPI || !c.Debug {
		t.Errorf("scopes %q, useCloudApi %v, debug %v", c.OAuthScopes, c.UseCloudAPI, c.Debug)
	}
	if c.AuthURL != "http://127.0.0.1:9" {
		t.Errorf("AuthURL = %q", c.AuthURL)
	}
	if s, _ := c.Setting(config.KeyDatabaseURL); strings.Contains(s.Value, "hunter2") || s.Value != "postgres://tm:***@db.example/tm" {
		t.Errorf("database URL shown as %q; the password must be hidden", s.Value)
	}
	// A key=value DSN hides its password too, however the key is spelled.
	for _, dsn := range []string{"host=db user=tm password=hunter2 dbname=tm", "host=db PASSWORD = 'hunter2' sslmode=require"} {
		w := newWorld(t)
		w.env["DATABASE_URL"] = dsn
		if s, _ := w.mustLoad().Setting(config.KeyDatabaseURL); strings.Contains(s.Value, "hunter2") || !strings.Contains(s.Value, "***") {
			t.Errorf("DSN %q shown as %q; the password must be hidden", dsn, s.Value)
		}
	}
	if c.DatabaseURL != "postgres://tm:hunter2@db.example/tm" {
		t.Errorf("DatabaseURL = %q: the value itself must be intact", c.DatabaseURL)
	}
}

func TestEmptyValuesCountAsNotSet(t *testing.T) {
	w := newWorld(t)
	w.env["ATLASSIAN_PROJECT_KEY"] = ""
	w.write(".env.local", "ATLASSIAN_PROJECT_KEY=\nATLASSIAN_EMAIL=  # nothing yet\n")
	w.write(".env", "ATLASSIAN_PROJECT_KEY=FROMDOTENV\n")
	c := w.mustLoad()
	if c.ProjectKey != "FROMDOTENV" || c.Source(config.KeyProjectKey).String() != ".env:1" {
		t.Errorf("project %q from %s, want FROMDOTENV from .env:1", c.ProjectKey, c.Source(config.KeyProjectKey))
	}
	want := "ATLASSIAN_EMAIL is empty in .env.local:2, which counts as not set"
	if !slices.Contains(c.Notes(), want) {
		t.Errorf("notes %q lack %q", c.Notes(), want)
	}
}

func TestFilesAreRecorded(t *testing.T) {
	w := newWorld(t)
	w.write(".env.local", "ATLASSIAN_API_KEY=secret-value-1234567890\nOTHER_TOOL=x\n")
	w.write("jira.json", `{"projectKey": "ABC"}`)
	c := w.mustLoad()
	var got []string
	for _, f := range c.Files() {
		got = append(got, fmt.Sprintf("%s %s keys=%v secrets=%v", f.Name, f.Status, f.Keys, f.Secrets))
	}
	want := []string{
		".env.local found keys=[ATLASSIAN_API_KEY] secrets=[ATLASSIAN_API_KEY]",
		".env not found keys=[] secrets=[]",
		"ticket-mate.json not found keys=[] secrets=[]",
		"jira.json found keys=[ATLASSIAN_PROJECT_KEY] secrets=[]",
		filepath.Join(w.userDir, "config.json") + " not found keys=[] secrets=[]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestMisspeltVariablesInDotenvAreNoted(t *testing.T) {
	w := newWorld(t)
	w.write(".env.local", "ATLASSIAN_API_TOKEN=x\nATLASIAN_EMAIL=a@b.c\nTM_CONFIG=x.json\nNODE_ENV=dev\n")
	got := w.mustLoad().Notes()
	want := []string{
		".env.local:1: tm does not read ATLASSIAN_API_TOKEN; did you mean ATLASSIAN_API_KEY?",
		".env.local:2: tm does not read ATLASIAN_EMAIL; did you mean ATLASSIAN_EMAIL?",
		".env.local:3: TM_CONFIG is read only from the environment; use --config or export it",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestDerivedAPI(t *testing.T) {
	const cloudID = "f82a209c-ad3a-4c8c-b311-fc3bf6e584b5"
	tests := []struct {
		env  map[string]string
		want config.API
	}{
		{map[string]string{"ATLASSIAN_BASE_URL": "https://a.atlassian.net"},
			config.API{Kind: config.APISite, RESTURL: "https://a.atlassian.net/rest/api/3"}},
		{map[string]string{"ATLASSIAN_BASE_URL": "https://a.atlassian.net", "ATLASSIAN_USE_CLOUD_API": "true", "ATLASSIAN_CLOUD_ID": cloudID},
			config.API{Kind: config.APIGateway, RESTURL: "https://api.atlassian.com/ex/jira/" + cloudID + "/rest/api/3", CloudIDFrom: config.CloudIDConfigured}},
		{map[string]string{"ATLASSIAN_BASE_URL": "https://a.atlassian.net", "ATLASSIAN_USE_CLOUD_API": "true", "ATLASSIAN_API_URL": "http://127.0.0.1:1/"},
			config.API{Kind: config.APIGateway, RESTURL: "http://127.0.0.1:1/ex/jira/{cloudId}/rest/api/3", CloudIDFrom: config.CloudIDTenantInfo, TenantInfoURL: "https://a.atlassian.net/_edge/tenant_info"}},
		{map[string]string{"ATLASSIAN_BASE_URL": "https://jira.corp/", "ATLASSIAN_AUTH_MODE": "bearer"},
			config.API{Kind: config.APIDataCenter, RESTURL: "https://jira.corp/rest/api/2"}},
		{map[string]string{"ATLASSIAN_AUTH_MODE": "oauth"},
			config.API{Kind: config.APIGateway, RESTURL: "https://api.atlassian.com/ex/jira/{cloudId}/rest/api/3", CloudIDFrom: config.CloudIDGrant}},
	}
	for _, tt := range tests {
		w := newWorld(t)
		w.env = tt.env
		if diff := cmp.Diff(tt.want, w.mustLoad().API()); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.env, diff)
		}
	}
}

func TestCheckRequired(t *testing.T) {
	w := newWorld(t)
	w.env["ATLASSIAN_AUTH_MODE"] = "oauth"
	w.env["ATLASSIAN_CLIENT_ID"] = "id"
	err := w.mustLoad().CheckRequired()
	if err == nil || tm.ErrorCode(err) != tm.ECONFIG {
		t.Fatalf("CheckRequired = %v, want an ECONFIG error", err)
	}
	for _, want := range []string{"OAUTH mode needs ATLASSIAN_CLIENT_SECRET", "ATLASSIAN_CLIENT_SECRET=<Client secret", "tm env-check"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	w.env["ATLASSIAN_CLIENT_SECRET"] = "s"
	if err := w.mustLoad().CheckRequired(); err != nil {
		t.Errorf("with everything set: %v", err)
	}
}
