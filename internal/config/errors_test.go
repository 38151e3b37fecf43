package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/config"
)

// tokenLike is shaped like a real API token; it must never appear in an error.
const tokenLike = "ATATT3xFfGF0abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJK=K9wq"

func TestBadInputIsAnErrorNamingThePlace(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world)
		want  []string // each must be in the message
	}{
		{"malformed .env line", func(w *world) {
			w.write(".env.local", "# creds\nATLASSIAN_EMAIL=me@example.com\n  \"ATLASSIAN_API_KEY\"="+tokenLike+"\n")
		}, []string{".env.local:3:3: expected KEY=VALUE: a name starts with a letter or _"}},
		{"missing = in .env", func(w *world) {
			w.write(".env", "ATLASSIAN_API_KEY "+tokenLike+"\n")
		}, []string{".env:1:19: ATLASSIAN_API_KEY: expected = after the name (write ATLASSIAN_API_KEY=VALUE)"}},
		{"yaml style .env", func(w *world) {
			w.write(".env", "\n\nATLASSIAN_API_KEY: "+tokenLike+"\n")
		}, []string{".env:3:18: ATLASSIAN_API_KEY: use KEY=VALUE, not KEY: VALUE"}},
		{"unterminated quote", func(w *world) {
			w.write(".env.local", "A=1\nATLASSIAN_API_KEY=\""+tokenLike+"\nB=2\n")
		}, []string{".env.local:2:19: ATLASSIAN_API_KEY: the quote opened here is never closed"}},
		{"text after a closing quote", func(w *world) {
			w.write(".env.local", "ATLASSIAN_API_KEY='"+tokenLike+"' trailing\n")
		}, []string{".env.local:1:", "ATLASSIAN_API_KEY: unexpected text after the closing quote"}},
		{"invalid JSON", func(w *world) {
			w.write("ticket-mate.json", "{\n  \"projectKey\": \"ABC\",\n  \"email\" \"x@example.com\"\n}")
		}, []string{"ticket-mate.json:3:11: invalid JSON: "}},
		{"truncated JSON", func(w *world) {
			w.write("jira.json", "{\n  \"projectKey\": \"ABC\"")
		}, []string{"jira.json:2:", "invalid JSON: the file ends in the middle of a value"}},
		{"JSON that is not an object", func(w *world) {
			w.write("jira.json", "\n  [\"projectKey\"]")
		}, []string{"jira.json:2:3: the file must hold one JSON object"}},
		{"empty JSON file", func(w *world) {
			w.write("jira.json", "  \n")
		}, []string{"jira.json: the file is empty"}},
		{"unknown key, case", func(w *world) {
			w.write("ticket-mate.json", "{\n  \"projectkey\": \"ABC\"\n}")
		}, []string{`ticket-mate.json:2:3: unknown key "projectkey"; did you mean "projectKey"?`}},
		{"unknown key, typo", func(w *world) {
			w.write("ticket-mate.json", `{"baseUrl": "https://a.atlassian.net", "emial": "x"}`)
		}, []string{`ticket-mate.json:1:40: unknown key "emial"; did you mean "email"?`}},
		{"unknown key, environment name", func(w *world) {
			w.write("user", "{\"ATLASSIAN_API_KEY\": \""+tokenLike+"\"}")
		}, []string{`config.json:1:2: unknown key "ATLASSIAN_API_KEY"; did you mean "apiKey"?`}},
		{"repeated key", func(w *world) {
			w.write("jira.json", "{\"projectKey\": \"A\",\n\"projectKey\": \"B\"}")
		}, []string{`jira.json:2:1: key "projectKey" appears twice (first on line 1); keep one`}},
		{"wrong JSON type", func(w *world) {
			w.write("jira.json", "{\"projectKey\": 12}")
		}, []string{`jira.json:1:16: projectKey: must be a string, not a number`}},
		{"bad boolean in JSON", func(w *world) {
			w.write("ticket-mate.json", "{\n\t\"useCloudApi\": \"maybe\"}")
		}, []string{`ticket-mate.json:2:17: useCloudApi: "maybe" is not a boolean; use true or false`}},
		{"bad boolean in env", func(w *world) {
			w.env["TM_DEBUG"] = "on"
		}, []string{`env TM_DEBUG: TM_DEBUG: "on" is not a boolean`}},
		{"bad boolean in .env", func(w *world) {
			w.write(".env", "\nATLASSIAN_USE_CLOUD_API=ture\n")
		}, []string{`.env:2: ATLASSIAN_USE_CLOUD_API: "ture" is not a boolean; use true or false (1/0 and yes/no also work)`}},
		{"bad auth mode", func(w *world) {
			w.flags = []config.Flag{{Name: "mode", Key: config.KeyAuthMode, Value: "basic"}}
		}, []string{`flag --mode: ATLASSIAN_AUTH_MODE: "basic" is not an auth mode; use PAT`}},
		{"not a URL", func(w *world) {
			w.env["JIRA_BASE_URL"] = "https://"
		}, []string{`env JIRA_BASE_URL (alias): JIRA_BASE_URL: "https://" is not a URL; expected the site, like https://your-site.atlassian.net`}},
		{"http Cloud site", func(w *world) {
			w.write(".env.local", "ATLASSIAN_BASE_URL=http://acme.atlassian.net\n")
		}, []string{`.env.local:1: ATLASSIAN_BASE_URL: "http://acme.atlassian.net": Jira Cloud is served over https only; use https://acme.atlassian.net`}},
		{"credentials in URL", func(w *world) {
			w.env["ATLASSIAN_BASE_URL"] = "https://me:" + tokenLike + "@acme.atlassian.net"
		}, []string{`holds credentials; give only the site URL`, `https://me:***@acme.atlassian.net`}},
		{"http gateway", func(w *world) {
			w.write("ticket-mate.json", `{"apiUrl": "http://api.example.com"}`)
		}, []string{`ticket-mate.json:1:12: apiUrl: "http://api.example.com" must use https (http is accepted only on localhost)`}},
		{"--config file missing", func(w *world) {
			w.file = "nope.json"
		}, []string{"nope.json: not found (named by --config); check the path, relative paths start in "}},
		{"a directory where a file belongs", func(w *world) {
			if err := os.Mkdir(filepath.Join(w.dir, ".env.local"), 0o700); err != nil {
				w.t.Fatal(err)
			}
		}, []string{".env.local: is a directory, not a file"}},
		{"several problems at once", func(w *world) {
			w.env["TM_DEBUG"] = "2"
			w.write("jira.json", "{\"authMode\": \"basic\"}")
		}, []string{"configuration: 2 problems:\n", "\n  env TM_DEBUG: TM_DEBUG: \"2\" is not a boolean", "\n  jira.json:1:14: authMode: \"basic\" is not an auth mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			msg, err := w.mustFail()
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error:\n%s\nwant it to contain:\n%s", msg, want)
				}
			}
			if strings.Contains(msg, tokenLike) || strings.Contains(msg, tokenLike[len(tokenLike)-20:]) {
				t.Errorf("the error quotes the secret:\n%s", msg)
			}
			if tm.ErrorCode(err) != tm.ECONFIG {
				t.Errorf("code = %q, want %q", tm.ErrorCode(err), tm.ECONFIG)
			}
			var te *tm.Error
			if !errors.As(err, &te) || !strings.Contains(te.Hint, "tm env-check") {
				t.Errorf("hint %v: want the next command", te)
			}
		})
	}
}

func TestUnreadableFileIsAnError(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file; the permission check cannot fail")
	}
	w := newWorld(t)
	p := w.write(".env", "A=1\n")
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	msg, _ := w.mustFail()
	if !strings.Contains(msg, ".env: cannot open: permission denied (check its permissions)") {
		t.Errorf("error = %q", msg)
	}
}

func TestLoadErrorKeepsTheFileList(t *testing.T) {
	w := newWorld(t)
	w.write(".env", "OK=1\n")
	w.write("ticket-mate.json", "{\n  \"projectKey\": \"A\",\n  \"nope\": 1\n}")
	_, err := w.mustFail()
	var le *config.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %T is not a *config.LoadError", err)
	}
	var fe *config.FileError
	if !errors.As(err, &fe) || fe.File != "ticket-mate.json" || fe.Line != 3 || fe.Col != 3 {
		t.Errorf("FileError = %+v, want ticket-mate.json line 3 column 3", fe)
	}
	got := map[string]config.File{}
	for _, f := range le.Files {
		got[f.Name] = f
	}
	if f := got["ticket-mate.json"]; f.Status != config.FileInvalid || f.Line != 3 || f.Col != 3 || !strings.HasPrefix(f.Detail, `unknown key "nope"`) {
		t.Errorf("ticket-mate.json recorded as %+v", f)
	}
	if got[".env"].Status != config.FileFound || got["jira.json"].Status != config.FileNotFound {
		t.Errorf("other files recorded as %+v and %+v", got[".env"], got["jira.json"])
	}
}
