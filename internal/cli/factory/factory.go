// Package factory owns what every command needs from the process: its
// streams, environment, working directory and user directories, and the
// lazily built pieces (HTTP client) on top of them. Commands take a *Factory
// so tests can hand them a controlled world. Nothing here prints or exits.
package factory

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/oskeyring"
)

// Factory is the world a command runs in.
type Factory struct {
	IO *iostreams.IOStreams

	// LookupEnv reads the process environment (os.LookupEnv in production).
	LookupEnv func(string) (string, bool)
	// WorkDir is where .env, .env.local, ticket-mate.json and jira.json are read from.
	WorkDir string
	// ConfigDir is the user config directory ($XDG_CONFIG_HOME/ticket-mate).
	ConfigDir string
	// CacheDir is the user cache directory ($XDG_CACHE_HOME/ticket-mate).
	CacheDir string
	// HTTPClient returns the client every outbound call uses.
	HTTPClient func() *http.Client
	// Now is the clock.
	Now func() time.Time
	// Keyring is the OS keyring for the server sign-in; nil: none (the
	// credential file is used).
	Keyring oskeyring.Keyring
	// Browser opens a URL for a person (nil: print it only).
	Browser func(url string) error

	// ConfigFile is --config: one JSON config file instead of
	// ticket-mate.json and jira.json ("" falls back to $TM_CONFIG).
	ConfigFile string
	// Debug is --debug; true overrides TM_DEBUG.
	Debug bool

	cfg configCache // see Config in config.go
}

// New returns the production factory.
func New() *Factory {
	wd, _ := os.Getwd()
	cfgDir, _ := os.UserConfigDir()
	cacheDir, _ := os.UserCacheDir()
	if cfgDir != "" {
		cfgDir = filepath.Join(cfgDir, "ticket-mate")
	}
	if cacheDir != "" {
		cacheDir = filepath.Join(cacheDir, "ticket-mate")
	}
	client := &http.Client{Timeout: 60 * time.Second}
	return &Factory{
		IO:         iostreams.System(),
		LookupEnv:  os.LookupEnv,
		WorkDir:    wd,
		ConfigDir:  cfgDir,
		CacheDir:   cacheDir,
		HTTPClient: func() *http.Client { return client },
		Now:        time.Now,
		Keyring:    systemKeyring(os.Getenv),
		Browser:    OpenBrowser,
	}
}

// systemKeyring is the OS keyring, or nil where none can answer. On Linux
// and the BSDs the keyring is the Secret Service on the session bus: with
// no session bus (servers, containers, CI, ssh) asking would only make
// D-Bus try to launch one, leaving a daemon behind; the credential file is
// used instead.
func systemKeyring(getenv func(string) string) oskeyring.Keyring {
	switch runtime.GOOS {
	case "darwin", "windows":
	default:
		if getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			return nil
		}
	}
	return oskeyring.System{}
}
