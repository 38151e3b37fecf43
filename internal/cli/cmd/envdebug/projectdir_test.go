package envdebug

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
)

// tree writes files (path → content) under a new directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func debugIn(t *testing.T, dir string) string {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	f := &factory.Factory{IO: ios, WorkDir: dir,
		LookupEnv:  func(string) (string, bool) { return "", false },
		HTTPClient: func() *http.Client { t.Error("env-debug asked for an HTTP client"); return nil }}
	if err := runCmd(f, nil); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestConfigurationFromASubdirectory(t *testing.T) {
	root := tree(t, map[string]string{
		".git/HEAD":  "ref: refs/heads/main\n",
		".env.local": "ATLASSIAN_BASE_URL=https://acme.atlassian.net\n",
		"web/src/x":  "",
	})
	got := debugIn(t, filepath.Join(root, "web", "src"))
	if !strings.Contains(got, "https://acme.atlassian.net") || !strings.Contains(got, filepath.Join("..", "..", ".env.local")) {
		t.Errorf("run from web/src, env-debug does not use or name ../../.env.local:\n%s", got)
	}
}

func TestNearestDirectoryWins(t *testing.T) {
	root := tree(t, map[string]string{
		".git/HEAD":       "",
		".env.local":      "ATLASSIAN_BASE_URL=https://root.atlassian.net\n",
		"svc/jira.json":   `{"projectKey": "SVC"}`,
		"svc/cmd/main.go": "",
	})
	got := debugIn(t, filepath.Join(root, "svc", "cmd"))
	if !strings.Contains(got, "SVC") || strings.Contains(got, "root.atlassian.net") {
		t.Errorf("the nearest directory holding a file is not the one used:\n%s", got)
	}
}

func TestNothingFoundNamesTheNearestCandidate(t *testing.T) {
	above := tree(t, map[string]string{
		".env.local":     "ATLASSIAN_BASE_URL=https://above.atlassian.net\n",
		"repo/.git/HEAD": "",
		"repo/pkg/x":     "",
	})
	got := debugIn(t, filepath.Join(above, "repo", "pkg"))
	if strings.Contains(got, "https://above.atlassian.net") {
		t.Errorf("a file above the repository root was read:\n%s", got)
	}
	if !strings.Contains(got, above+" has one, but it is above the repository") {
		t.Errorf("the candidate above the repository is not named:\n%s", got)
	}
}
