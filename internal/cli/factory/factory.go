// Package factory owns what every command needs from the process: its
// streams, environment, working directory and user directories, and the
// lazily built pieces (HTTP client) on top of them. Commands take a *Factory
// so tests can hand them a controlled world. Nothing here prints or exits.
package factory

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/oskeyring"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Factory is the world a command runs in.
type Factory struct {
	IO *iostreams.IOStreams
	// tellMu serialises the lines the client's callbacks write to stderr:
	// debug traces, retries and notices come from concurrent requests.
	tellMu sync.Mutex

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
	// Collector tunes the garbage collector for a command with a
	// deadline; nil: left alone (tests share one process).
	Collector func()
	// ArmInterrupt makes Ctrl-C and SIGTERM stop the command, so that tm
	// can say what was on its way; started when a command first reaches
	// for Jira, and done before any write goes out. nil: nothing to arm
	// (tests cancel the context themselves).
	ArmInterrupt func()

	// ConfigFile is --config: one JSON config file instead of
	// ticket-mate.json and jira.json ("" falls back to $TM_CONFIG).
	ConfigFile string
	// Debug is --debug; true overrides TM_DEBUG.
	Debug bool
	// Timeout is --timeout ("" falls back to TM_TIMEOUT, then 60s).
	Timeout string

	cfg       configCache // see Config in config.go
	writes    writesInFlight
	armOnce   sync.Once
	armed     chan struct{} // closed once ArmInterrupt has returned
	rootsOnce sync.Once     // see preloadRoots
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
	// The timeout bounds calls outside a command's deadline (tm login's
	// token exchange); Jira calls get a copy bounded by the deadline alone.
	client := &http.Client{Timeout: 60 * time.Second, Transport: jiraTransport()}
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
		Collector:  shortCollector,
	}
}

// ShortCollectorPercent is the collector's target (GOGC) for a command
// with a deadline when GOGC is not set. Go collects first when the heap
// reaches 4 MB, which a listing of 20,000 projects or a bulk create of
// 1,000 rows just passes: one cycle that freed nothing the command still
// needed, paid for in CPU and in fresh memory for its bookkeeping. At 200
// the first cycle waits for 8 MB. Memory stays flat however large the
// result: what is live is a window of pages, not the result.
const ShortCollectorPercent = 200

func shortCollector() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(ShortCollectorPercent)
	}
}

// jiraTransport keeps as many idle connections per host as a command has
// requests in flight at once. net/http's default keeps two: a listing of
// 200 pages, 50 at a time, closed most connections as their pages arrived
// and dialled new ones for the next (each a TLS handshake on a real site).
func jiraTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = ticket.MaxRequestsInFlight
	return t
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

// CommandTimeout is the deadline of a command that talks to Jira: --timeout,
// else TM_TIMEOUT (any configuration source), else 60s. A configuration
// that does not load yields the default: the command reports the problem.
func (f *Factory) CommandTimeout() (time.Duration, error) {
	if f.Timeout != "" {
		d, err := config.ParseTimeout(f.Timeout)
		if err != nil {
			return 0, Usagef(fmt.Errorf("--timeout: %w", err))
		}
		return d, nil
	}
	if cfg, err := f.Config(); err == nil && cfg.Timeout > 0 {
		return cfg.Timeout, nil
	}
	d, _ := config.ParseTimeout(config.DefaultTimeout)
	return d, nil
}

// WritesInFlight lists the requests that change something (a POST, PUT,
// DELETE) that were sent and not yet answered, as "METHOD path".
func (f *Factory) WritesInFlight() []string { return f.writes.list() }

// jiraHTTPClient is the client Jira calls use: the factory's, bounded by
// the command's deadline rather than a per-client timeout, and watching
// which writes are in flight so an interrupt can say what may have happened.
func (f *Factory) jiraHTTPClient() *http.Client {
	armed := f.arm()
	hc := *f.HTTPClient()
	hc.Timeout = 0
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &watchWrites{w: &f.writes, armed: armed, next: preloadRoots{once: &f.rootsOnce, next: named{next}}}
	return &hc
}

// preloadRoots starts loading the system's certificate roots as the first
// HTTPS request leaves. Go loads them when the first certificate is to be
// verified, a round trip or two later (TCP, then the server's hello), and
// the command waits while it happens: on Linux that reads and parses every
// certificate of the system bundle and of /etc/ssl/certs, about 20 ms on
// the machine of BENCHMARKS.md. Started here it overlaps those round trips.
type preloadRoots struct {
	once *sync.Once
	next http.RoundTripper
}

func (t preloadRoots) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" {
		t.once.Do(func() { go loadSystemRoots() })
	}
	return t.next.RoundTrip(req)
}

// loadSystemRoots loads the roots that verifying a certificate uses (Go
// keeps them for the process); a variable for tests.
var loadSystemRoots = func() { _, _ = x509.SystemCertPool() }

// arm starts ArmInterrupt beside the command rather than before it:
// os/signal starts two threads, about a millisecond here, which a read
// need not wait for (interrupted before it is armed, tm simply ends, as a
// read loses nothing). A write waits for the returned channel, so that an
// interrupt during any write is caught and explained.
func (f *Factory) arm() <-chan struct{} {
	f.armOnce.Do(func() {
		f.armed = make(chan struct{})
		if f.ArmInterrupt == nil {
			close(f.armed)
			return
		}
		go func() {
			defer close(f.armed)
			f.ArmInterrupt()
		}()
	})
	return f.armed
}

type writesInFlight struct {
	mu sync.Mutex
	n  map[string]int
}

func (w *writesInFlight) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k, n := range w.n {
		if n > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

type watchWrites struct {
	w     *writesInFlight
	armed <-chan struct{}
	next  http.RoundTripper
}

func (t *watchWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return t.next.RoundTrip(req)
	}
	<-t.armed
	key := req.Method + " " + req.URL.Path
	t.w.mu.Lock()
	if t.w.n == nil {
		t.w.n = map[string]int{}
	}
	t.w.n[key]++
	t.w.mu.Unlock()
	defer func() {
		t.w.mu.Lock()
		t.w.n[key]--
		t.w.mu.Unlock()
	}()
	// Answered means Jira decided; the body may still be arriving.
	return t.next.RoundTrip(req)
}

// tell writes one whole line to stderr; safe from any goroutine.
func (f *Factory) tell(line string) {
	f.tellMu.Lock()
	defer f.tellMu.Unlock()
	fmt.Fprintln(f.IO.ErrOut, line)
}
