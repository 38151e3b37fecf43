// Package serve owns "tm serve": it loads the configuration, opens the
// store, wires the OAuth client and the server, and runs the HTTP listener
// until it is told to stop. With --sandbox it also starts the Jira and
// Atlassian emulator in-process and points everything at it. It is the one
// place that chooses tm serve's concrete implementations.
package serve

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/store"
)

// CallbackPath is where Atlassian sends the browser back after consent.
const CallbackPath = "/api/auth/jira/callback"

// Options are the command's inputs.
type Options struct {
	IO     *iostreams.IOStreams
	Config func(flags ...config.Flag) (*config.Config, error)

	Addr        string
	Sandbox     bool
	GenerateKey bool
	// Device tokens and the per-person budget, as typed ("": from the
	// configuration, TM_DEVICE_TOKEN_LIFETIME, TM_GATEWAY_RATE, TM_GATEWAY_BURST).
	TokenLifetime, GatewayRate, GatewayBurst string

	// Ready, when set, is called with the server's URL once it listens
	// (tests).
	Ready func(url string)
	// ShutdownTimeout bounds the graceful shutdown (default 15s).
	ShutdownTimeout time.Duration
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the team dashboard: each person connects their own Jira with Atlassian sign-in",
		Long: `Run the ticket-mate server: a dashboard and JSON API where each person
clicks "Connect Jira", consents on Atlassian's page, and from then on works
with their own Jira identity and permissions. Tokens are encrypted in the
database and renewed automatically.

Try it without any Atlassian setup:

  tm serve --sandbox

That starts a local Jira and Atlassian sign-in emulator in the same process
and prints the URL to open.

For a real deployment it reads, besides the usual configuration:
  ATLASSIAN_CLIENT_ID, ATLASSIAN_CLIENT_SECRET  the OAuth 2.0 (3LO) app
  ATLASSIAN_REDIRECT_URI   its callback, e.g. https://tm.example.com` + CallbackPath + `
  DATABASE_URL             sqlite:PATH (default sqlite:ticket-mate.db) or postgres://…
  TM_ENCRYPTION_KEY        32 random bytes, base64 (tm serve --generate-key)
  TM_PUBLIC_URL            the URL people open; https makes cookies Secure

Terminals (tm login --server) and assistants (/mcp) get ticket-mate tokens:
  TM_DEVICE_TOKEN_LIFETIME how long a token lasts: 90d (default), 12h, …
  TM_GATEWAY_RATE          each person's sustained requests per second through
                           the Jira gateway and /mcp (default 10)
  TM_GATEWAY_BURST         how many they may send at once (default 40); past
                           the budget a request gets 429 with Retry-After

Stop it with Ctrl-C (or SIGTERM): requests in flight are finished first.`,
		Example: "  tm serve --sandbox\n  export TM_ENCRYPTION_KEY=$(tm serve --generate-key)\n  tm serve --addr :8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", ":4000", "address to listen on, host:port")
	cmd.Flags().BoolVar(&opts.Sandbox, "sandbox", false, "start the local Jira + Atlassian emulator and use it")
	cmd.Flags().BoolVar(&opts.GenerateKey, "generate-key", false, "print a new TM_ENCRYPTION_KEY and exit")
	cmd.Flags().StringVar(&opts.TokenLifetime, "device-token-lifetime", "", "how long a device's or assistant's token lasts, e.g. 30d or 12h (default 90d; TM_DEVICE_TOKEN_LIFETIME)")
	cmd.Flags().StringVar(&opts.GatewayRate, "gateway-rate", "", "each person's requests per second through the Jira gateway and /mcp (default 10; TM_GATEWAY_RATE)")
	cmd.Flags().StringVar(&opts.GatewayBurst, "gateway-burst", "", "how many requests a person may send at once (default 40; TM_GATEWAY_BURST)")
	return cmd
}

// Run serves until ctx ends or the process gets SIGINT/SIGTERM.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.GenerateKey {
		key, err := newKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.Out, key)
		fmt.Fprintln(opts.IO.ErrOut, "Keep this key secret and stable: tokens stored under it cannot be read without it.\n"+
			"Set it as TM_ENCRYPTION_KEY, e.g. export TM_ENCRYPTION_KEY=$(tm serve --generate-key)")
		return nil
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	server.TuneCollector()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return &tm.Error{Code: tm.ECONFIG, Message: fmt.Sprintf("cannot listen on %s: %v", opts.Addr, err),
			Hint: "Pick another port with --addr, e.g. tm serve --addr :4001", Err: err}
	}
	defer ln.Close()
	localURL := "http://" + displayHost(ln.Addr().(*net.TCPAddr), opts.Addr)

	cfg, err := opts.Config(
		config.Flag{Name: "device-token-lifetime", Key: config.KeyTokenLifetime, Value: opts.TokenLifetime},
		config.Flag{Name: "gateway-rate", Key: config.KeyGatewayRate, Value: opts.GatewayRate},
		config.Flag{Name: "gateway-burst", Key: config.KeyGatewayBurst, Value: opts.GatewayBurst})
	if err != nil {
		return err
	}
	var sandbox *sandboxEnv
	if opts.Sandbox {
		if sandbox, err = startSandbox(cfg, localURL); err != nil {
			return err
		}
		defer sandbox.close()
	}
	if err := checkConfig(cfg, localURL); err != nil {
		return err
	}
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: level}))

	keys, err := keyring(cfg)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, keys)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkKeys(ctx, db, keys, log); err != nil {
		return err
	}
	go db.CleanSessions(ctx, time.Hour, func(err error) { log.Warn("cleaning expired sessions failed", "error", err.Error()) })

	outbound := &http.Client{Timeout: 30 * time.Second}
	oauth, err := atlassian.New(atlassian.Config{
		AuthURL: cfg.AuthURL, APIURL: cfg.APIURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURI: cfg.RedirectURI, Scopes: cfg.OAuthScopes, HTTPClient: outbound,
	})
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{Store: db, Keys: keys, OAuth: oauth, APIURL: cfg.APIURL, PublicURL: cfg.PublicURL, Logger: log,
		DefaultProject: cfg.ProjectKey, MetricsToken: cfg.MetricsToken, MetricsElsewhere: cfg.MetricsAddr != "",
		Devices: server.DeviceOptions{TokenLifetime: cfg.TokenLifetime, GatewayRate: cfg.GatewayRate, GatewayBurst: cfg.GatewayBurst},
		Ready:   keysReady(db)})
	if err != nil {
		return err
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return &tm.Error{Code: tm.ECONFIG, Message: fmt.Sprintf("cannot listen on TM_METRICS_ADDR %s: %v", cfg.MetricsAddr, err), Err: err}
		}
		ms := &http.Server{Handler: metricsMux(srv.MetricsHandler()), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second, // a create may wait out Jira's Retry-After
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	public := cfg.PublicURL
	if public == "" {
		public = localURL
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", public, "database", dbKind(cfg.DatabaseURL), "sandbox", opts.Sandbox,
		"device_token_lifetime", config.FormatLifetime(cfg.TokenLifetime), "gateway_rate", cfg.GatewayRate, "gateway_burst", cfg.GatewayBurst)
	if sandbox != nil {
		sandbox.greet(opts.IO.ErrOut, public)
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "ticket-mate is running: open %s\n", public)
	}
	if opts.Ready != nil {
		opts.Ready(public)
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	timeout := opts.ShutdownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// keyring is TM_ENCRYPTION_KEY, which seals, and TM_ENCRYPTION_OLD_KEYS,
// which only open what was sealed before a rotation.
func keyring(cfg *config.Config) (*secret.Keyring, error) {
	parse := func(name string, v tm.Secret) (secret.Key, error) {
		k, err := secret.ParseKey(v.Reveal())
		if err != nil {
			return k, &tm.Error{Code: tm.ECONFIG, Message: name + " is not usable: " + err.Error(),
				Hint: "A key is 32 random bytes in base64: openssl rand -base64 32, or tm serve --generate-key.", Err: err}
		}
		return k, nil
	}
	primary, err := parse(config.KeyEncryptionKey, cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	var old []secret.Key
	for i, v := range cfg.OldEncryptionKeys {
		k, err := parse(fmt.Sprintf("%s (key %d)", config.KeyOldKeys, i+1), v)
		if err != nil {
			return nil, err
		}
		old = append(old, k)
	}
	return secret.NewKeyring(primary, old...)
}

// checkKeys refuses to start when the keys open none of the stored
// sign-ins (every user would fail at their next request), and finishes a
// rotation: whatever is still sealed with an old key is sealed again with
// the current one.
func checkKeys(ctx context.Context, db *store.DB, keys *secret.Keyring, log *slog.Logger) error {
	kc, err := db.CheckKeys(ctx)
	if err != nil {
		return err
	}
	if kc.Grants > 0 && kc.Opened == 0 {
		return &tm.Error{Code: tm.ECONFIG,
			Message: fmt.Sprintf("TM_ENCRYPTION_KEY (key id %s) opens none of the %d stored Atlassian sign-ins: they were sealed with key id %s",
				keys.PrimaryID(), kc.Grants, strings.Join(kc.UnknownID, ", ")),
			Hint: "Set TM_ENCRYPTION_KEY back to the key they were sealed with. To change keys, set the new key as TM_ENCRYPTION_KEY\n" +
				"and the previous one in TM_ENCRYPTION_OLD_KEYS (comma separated): tm serve then seals every sign-in again\n" +
				"with the new key at start, after which the old key can be removed."}
	}
	if kc.Unopened() > 0 {
		log.Warn("some stored sign-ins cannot be opened with the configured keys; those users must connect Jira again",
			"unopened", kc.Unopened(), "key_ids", strings.Join(kc.UnknownID, ","))
	}
	if kc.OldKey > 0 {
		n, err := db.ResealGrants(ctx)
		if err != nil {
			return err
		}
		log.Info("sealed stored sign-ins again with the current key; once every replica runs with it, TM_ENCRYPTION_OLD_KEYS can go",
			"resealed", n, "key_id", keys.PrimaryID())
	}
	return nil
}

// keysReady is /readyz's key check: not ready while sign-ins are stored
// under a key this server does not have (a replica started with another
// key writes them). It looks again at most every keysRecheck.
func keysReady(db *store.DB) func(context.Context) error {
	var mu sync.Mutex
	var checked time.Time
	var last error
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(checked) < keysRecheck {
			return last
		}
		kc, err := db.CheckKeys(ctx)
		if err != nil {
			return err
		}
		checked, last = time.Now(), nil
		if len(kc.UnknownID) > 0 {
			last = fmt.Errorf("%d stored sign-ins are sealed with key id %s, which this server does not have (TM_ENCRYPTION_KEY, TM_ENCRYPTION_OLD_KEYS)",
				kc.Unopened(), strings.Join(kc.UnknownID, ", "))
		}
		return last
	}
}

const keysRecheck = 30 * time.Second

// metricsMux serves only /metrics: the separate metrics address exposes
// nothing else.
func metricsMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// checkConfig refuses to start without what every sign-in needs, saying how
// to get it, and fills the redirect URI from the public or local URL.
func checkConfig(cfg *config.Config, localURL string) error {
	if cfg.EncryptionKey.IsZero() {
		return &tm.Error{Code: tm.ECONFIG,
			Message: "TM_ENCRYPTION_KEY is not set: tm serve encrypts every stored token and needs a key to do it",
			Hint: "Generate one and keep it (tokens stored under it cannot be read without it):\n" +
				"  export TM_ENCRYPTION_KEY=$(openssl rand -base64 32)\n" +
				"or\n  export TM_ENCRYPTION_KEY=$(tm serve --generate-key)\n" +
				"Just trying it out? tm serve --sandbox needs no setup."}
	}
	if cfg.ClientID == "" || cfg.ClientSecret.IsZero() {
		return &tm.Error{Code: tm.ECONFIG,
			Message: "ATLASSIAN_CLIENT_ID and ATLASSIAN_CLIENT_SECRET are not set: tm serve signs people in with an Atlassian OAuth 2.0 (3LO) app",
			Hint: "Create the app in the Atlassian developer console (Settings shows both values) with the callback URL\n  " +
				strings.TrimRight(firstNonEmpty(cfg.PublicURL, localURL), "/") + CallbackPath + "\n" +
				"Just trying it out? tm serve --sandbox needs no setup."}
	}
	// The built-in default names port 4000; a server on another address (or
	// behind TM_PUBLIC_URL) must name its own callback unless told otherwise.
	if k := cfg.Source(config.KeyRedirectURI).Kind; cfg.RedirectURI == "" || k == config.SourceDefault || k == config.SourceNone {
		cfg.RedirectURI = strings.TrimRight(firstNonEmpty(cfg.PublicURL, localURL), "/") + CallbackPath
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = "sqlite:ticket-mate.db"
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newKey returns 32 random bytes in standard base64, as TM_ENCRYPTION_KEY
// holds them.
func newKey() (string, error) {
	b := make([]byte, secret.KeySize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// displayHost is the host:port people should open: localhost for a
// wildcard listen address, the real port for :0.
func displayHost(a *net.TCPAddr, requested string) string {
	host, _, _ := net.SplitHostPort(requested)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// dbKind names the engine for the log without the URL, which may hold a
// password.
func dbKind(u string) string {
	scheme, _, _ := strings.Cut(u, ":")
	return scheme
}

// sandboxEnv is the in-process emulator of --sandbox.
type sandboxEnv struct {
	emu   *emulator.Emulator
	hs    *http.Server
	url   string
	dir   string
	creds emulator.Credentials
}

// startSandbox starts the emulator on its own loopback listener and points
// the configuration at it: its OAuth app, a fresh key and a throwaway
// SQLite file.
func startSandbox(cfg *config.Config, localURL string) (*sandboxEnv, error) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	sb := &sandboxEnv{emu: emu, url: "http://" + ln.Addr().String()}
	emu.SetBaseURL(sb.url)
	sb.hs = &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go sb.hs.Serve(ln)
	sb.creds = emu.Credentials()
	if len(sb.creds.OAuth) == 0 {
		sb.close()
		return nil, errors.New("sandbox: the emulator's seed has no OAuth app")
	}
	if sb.dir, err = os.MkdirTemp("", "tm-sandbox-"); err != nil {
		sb.close()
		return nil, err
	}
	key, err := newKey()
	if err != nil {
		sb.close()
		return nil, err
	}
	app := sb.creds.OAuth[0]
	cfg.AuthURL, cfg.APIURL = sb.url, sb.url
	cfg.ClientID, cfg.ClientSecret = app.ClientID, tm.Secret(app.ClientSecret)
	cfg.RedirectURI = localURL + CallbackPath
	cfg.PublicURL = localURL
	cfg.EncryptionKey = tm.Secret(key)
	cfg.DatabaseURL = "sqlite:" + filepath.Join(sb.dir, "ticket-mate.db")
	return sb, nil
}

func (sb *sandboxEnv) greet(w io.Writer, public string) {
	fmt.Fprintf(w, "\nticket-mate sandbox is running.\n\n  Open %s and click \"Connect Jira\".\n\n", public)
	fmt.Fprintf(w, "Jira and Atlassian sign-in are emulated at %s; nothing leaves this machine.\n", sb.url)
	if len(sb.creds.Users) > 0 {
		u := sb.creds.Users[0]
		fmt.Fprintf(w, "On the consent page, sign in as %s (%s), who may create tickets in SPACE2.\n", u.DisplayName, u.Email)
	}
	fmt.Fprintf(w, "Data is kept in %s and removed on exit. Stop with Ctrl-C.\n\n", sb.dir)
}

func (sb *sandboxEnv) close() {
	if sb.hs != nil {
		sb.hs.Close()
	}
	sb.emu.Close()
	if sb.dir != "" {
		os.RemoveAll(sb.dir)
	}
}
