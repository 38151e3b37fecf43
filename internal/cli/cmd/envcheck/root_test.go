package envcheck_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
)

// These run env-check and env-debug through the root command, as the binary
// does: exit codes, error printing and the root's --config and --debug.

func rootWorld(t *testing.T, env map[string]string, files map[string]string) *factory.Factory {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &factory.Factory{WorkDir: dir, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
}

func TestExitCodesThroughTheRoot(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		files  map[string]string
		args   []string
		code   int
		stdout []string
		stderr string // prefix; "" means stderr must be empty
	}{
		{name: "missing settings: report, then exit 1 without an error line",
			args: []string{"env-check"}, code: 1,
			stdout: []string{"FAIL ATLASSIAN_BASE_URL", "Fix the lines marked FAIL, then run: tm env-check"}},
		{name: "complete settings: exit 0",
			env:  map[string]string{"ATLASSIAN_BASE_URL": "https://acme.atlassian.net", "ATLASSIAN_EMAIL": "me@example.com", "ATLASSIAN_API_KEY": "ATATT3x" + strings.Repeat("a", 185)},
			args: []string{"env-check", "-p", "SPACE2"}, code: 0,
			stdout: []string{"All set for PAT mode. Next: tm check-permissions -p SPACE2"}},
		{name: "broken .env.local: exit 1 with the place and the next step",
			files: map[string]string{".env.local": "ATLASSIAN_EMAIL me@example.com\n"},
			args:  []string{"env-check"}, code: 1,
			stderr: "Error: configuration: .env.local:1:17: ATLASSIAN_EMAIL: expected = after the name (write ATLASSIAN_EMAIL=VALUE)\n\nFix the place named above, then run: tm env-check\n"},
		{name: "--config and --debug are root flags",
			files: map[string]string{"other.json": `{"projectKey": "OTHER"}`, "ticket-mate.json": `{"projectKey": "NOPE"}`},
			args:  []string{"--config", "other.json", "env-debug", "--debug"}, code: 0,
			stdout: []string{"ATLASSIAN_PROJECT_KEY\tOTHER\tother.json:1", "TM_DEBUG\ttrue\tflag --debug", "ticket-mate.json\tskipped\t--config names other.json instead"}},
		{name: "an unknown flag is a usage error",
			args: []string{"env-check", "--nope"}, code: 2, stderr: "Error: unknown flag: --nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := rootWorld(t, tt.env, tt.files)
			io, _, out, errOut := iostreams.Test()
			f.IO = io
			code := cli.Run(f, tt.args)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if tt.stderr == "" && errOut.Len() > 0 || !strings.HasPrefix(errOut.String(), tt.stderr) {
				t.Errorf("stderr:\n%s\nwant it to start with:\n%s", errOut, tt.stderr)
			}
		})
	}
}

func TestFactoryLoadsConfigOncePerFlagSet(t *testing.T) {
	f := rootWorld(t, map[string]string{"ATLASSIAN_PROJECT_KEY": "ENV"}, nil)
	a, err := f.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: ""})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.Config()
	if a != b || a.ProjectKey != "ENV" {
		t.Errorf("an empty flag value counts as not given: want one cached load with ENV, got %p %p %q", a, b, a.ProjectKey)
	}
	c, _ := f.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: "CLI"})
	if c == a || c.ProjectKey != "CLI" || c.Source(config.KeyProjectKey).String() != "flag --project" {
		t.Errorf("other flags must load again: %q from %s", c.ProjectKey, c.Source(config.KeyProjectKey))
	}
	f.Debug = true
	if d, _ := f.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: "CLI"}); !d.Debug || d.Source(config.KeyDebug).String() != "flag --debug" {
		t.Errorf("--debug after a load: Debug %v from %s", d.Debug, d.Source(config.KeyDebug))
	}
}
