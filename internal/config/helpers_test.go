package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ticket-mate/tm/internal/config"
)

// world is a working directory, a user config directory and an
// environment, all private to one test.
type world struct {
	t       *testing.T
	dir     string
	userDir string
	env     map[string]string
	file    string // --config
	flags   []config.Flag
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return &world{t: t, dir: t.TempDir(), userDir: t.TempDir(), env: map[string]string{}}
}

// write puts a file in the working directory (or, for "user", the user's config.json).
func (w *world) write(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	if name == "user" {
		p = filepath.Join(w.userDir, "config.json")
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) sources() config.Sources {
	return config.Sources{
		WorkDir:   w.dir,
		ConfigDir: w.userDir,
		LookupEnv: func(k string) (string, bool) {
			v, ok := w.env[k]
			return v, ok
		},
		ConfigFile: w.file,
		Flags:      w.flags,
	}
}

func (w *world) load() (*config.Config, error) {
	w.t.Helper()
	return config.Load(w.sources())
}

func (w *world) mustLoad() *config.Config {
	w.t.Helper()
	c, err := w.load()
	if err != nil {
		w.t.Fatalf("Load: %v", err)
	}
	return c
}

// mustFail loads and returns the error message, failing when Load succeeds
// or returns a Config along with the error.
func (w *world) mustFail() (string, error) {
	w.t.Helper()
	c, err := w.load()
	if err == nil {
		w.t.Fatalf("Load succeeded; want an error")
	}
	if c != nil {
		w.t.Fatalf("Load returned a Config along with the error %v", err)
	}
	return err.Error(), err
}
