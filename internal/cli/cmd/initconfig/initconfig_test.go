package initconfig_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/cmd/initconfig"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

type world struct {
	opts     *initconfig.Options
	in       interface{ WriteString(string) (int, error) }
	errOut   interface{ String() string }
	dir, cfg string
}

func newWorld(t *testing.T, s *emulatortest.Server, tty bool, secret string) *world {
	t.Helper()
	ios, in, _, errOut := iostreams.Test()
	ios.SetTTY(tty, tty, tty)
	dir, cfg := t.TempDir(), t.TempDir()
	env := map[string]string{"ATLASSIAN_API_URL": s.URL}
	f := &factory.Factory{IO: ios, WorkDir: dir, ConfigDir: cfg, CacheDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HTTPClient: func() *http.Client { return http.DefaultClient }}
	o := &initconfig.Options{IO: ios, Connect: f.Connect, WorkDir: dir, ConfigDir: cfg,
		ReadSecret: func() (string, error) { return secret, nil }}
	return &world{opts: o, in: in, errOut: errOut, dir: dir, cfg: cfg}
}

func TestInitAsksChecksAndWritesPrivately(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	w := newWorld(t, s, true, you.ClassicToken)
	w.in.WriteString(s.URL + "\n" + you.Email + "\n")
	if err := initconfig.Run(context.Background(), w.opts); err != nil {
		t.Fatalf("%v\n%s", err, w.errOut)
	}
	p := filepath.Join(w.dir, ".env.local")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf(".env.local mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(p)
	for _, want := range []string{"ATLASSIAN_BASE_URL=" + s.URL, "ATLASSIAN_EMAIL=" + you.Email, "ATLASSIAN_API_KEY=" + you.ClassicToken} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf(".env.local lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(w.errOut.String(), you.ClassicToken) {
		t.Error("the token was echoed")
	}
	if !strings.Contains(w.errOut.String(), "input hidden") || !strings.Contains(w.errOut.String(), "Next: tm check-permissions") {
		t.Errorf("stderr:\n%s", w.errOut)
	}
}

func TestInitRefusesAWrongTokenAndWritesNothing(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, true, "not-the-token")
	w.in.WriteString(s.URL + "\n" + s.You().Email + "\n")
	if err := initconfig.Run(context.Background(), w.opts); err == nil {
		t.Fatal("a refused token was accepted")
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".env.local")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".env.local written after a refused token: %v", err)
	}
}

func TestInitWithoutATerminal(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	w := newWorld(t, s, false, "")
	err := initconfig.Run(context.Background(), w.opts)
	var ue *factory.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not one") {
		t.Fatalf("without a terminal or flags: %v, want a polite usage error", err)
	}

	w = newWorld(t, s, false, "")
	w.opts.Site, w.opts.Email, w.opts.WithToken, w.opts.User = s.URL, you.Email, true, true
	w.in.WriteString(you.ClassicToken + "\n")
	if err := initconfig.Run(context.Background(), w.opts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(w.cfg, "config.json"))
	if err != nil || !strings.Contains(string(b), `"apiKey": "`+you.ClassicToken+`"`) {
		t.Errorf("user config: %v\n%s", err, b)
	}
}
