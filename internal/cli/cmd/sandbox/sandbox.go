// Package sandbox owns "tm sandbox": it runs the Jira emulator on a local
// port and prints, ready to paste into .env.local, the sandbox's own
// throwaway credentials for every authentication mode. It imports the CLI
// factory and the emulator.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
)

// Options are the command's inputs.
type Options struct {
	IO *iostreams.IOStreams

	Addr       string
	Latency    string
	SeedPath   string
	StatePath  string
	DataCenter bool
	Faults     []string
	Points     int
	UserSearch int
	SearchLag  time.Duration
	AccessTTL  time.Duration
	PrintSeed  bool
	TLSCert    string // serve HTTPS and write the certificate here

	// Ready, when set, is called with the listener URL once serving (tests).
	Ready func(url string)
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local Jira (Cloud or Data Center) to try tm against",
		Long: `Run a local imitation of Jira Cloud — several sites, the api.atlassian.com
gateway and Atlassian's OAuth server, all on one port — or of Jira Data
Center with --dc. It prints the settings for .env.local on stdout: the
active block uses a classic API token; commented blocks show a scoped token
through the gateway and OAuth 2.0 (3LO) for tm serve and tm login.

The tokens and OAuth secrets it prints are the sandbox's own, minted at
start: they open nothing but this sandbox. With --state FILE they survive a
restart, together with the issues you create.

Faults (--fault, repeatable) make chosen requests fail:
  ` + strings.ReplaceAll(emulator.FaultSyntax, "\n", "\n  ") + `

With --tls FILE it serves HTTPS (HTTP/2 and HTTP/1.1), as Jira Cloud does,
with a certificate made at start and written to FILE: tm and other Go
programs trust it with SSL_CERT_FILE=FILE in their environment, curl with
--cacert FILE. With --latency the TLS handshake takes one round trip of it
too, as a real site's does.

While it runs, /__emulator/ on the same port is a control API: GET
requests, GET|POST|DELETE faults, POST reset, POST clock/advance.`,
		Example: `  tm sandbox
  tm sandbox --addr 127.0.0.1:9000 --latency 50ms±10ms --state sandbox.json
  tm sandbox --dc
  tm sandbox --tls sandbox.pem --latency 50ms   # then: SSL_CERT_FILE=sandbox.pem tm view SPACE2-1
  tm sandbox --fault 'GET /rest/api/3/myself=503x2' --fault '*/search/jql=429:5s@0.2'
  tm sandbox --print-seed > seed.json && tm sandbox --seed seed.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to listen on (port 0 picks a free one)")
	fl.StringVar(&opts.Latency, "latency", "", "add `D[±J]` to every request, e.g. 50ms or 50ms±10ms")
	fl.StringVar(&opts.SeedPath, "seed", "", "read users, sites, projects and issues from this JSON `FILE` (see --print-seed)")
	fl.StringVar(&opts.StatePath, "state", "", "keep issues and credentials in this `FILE` across restarts")
	fl.BoolVar(&opts.DataCenter, "dc", false, "play Jira Data Center: REST v2 only, personal access tokens, usernames")
	fl.StringArrayVar(&opts.Faults, "fault", nil, "fail matching requests: `[METHOD ]PATH=ACTION[xN][@P]` (repeatable; see above)")
	fl.IntVar(&opts.Points, "rate-limit-points", 0, "points per hour and site for OAuth traffic before 429 (0: 65000, -1: off)")
	fl.IntVar(&opts.UserSearch, "rate-limit-user-search", 0, "user searches per hour and site before 429 (0: 10000, -1: off)")
	fl.DurationVar(&opts.AccessTTL, "access-token-ttl", 0, "OAuth access tokens live this `DURATION` (0: one hour, as Atlassian's)")
	fl.DurationVar(&opts.SearchLag, "search-lag", 0, "keep new issues out of search for this `DURATION` (reconcileIssues brings them in)")
	fl.BoolVar(&opts.PrintSeed, "print-seed", false, "print the built-in seed as JSON and exit")
	fl.StringVar(&opts.TLSCert, "tls", "", "serve HTTPS; write the certificate to trust to `FILE` (see above)")
	return cmd
}

// Run starts the sandbox and serves until ctx ends or SIGINT/SIGTERM.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.PrintSeed {
		_, err := opts.IO.Out.Write(emulator.DefaultSeedJSON())
		return err
	}
	eo, err := emulatorOptions(opts)
	if err != nil {
		return err
	}
	e, err := emulator.New(eo)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		e.Close()
		return fmt.Errorf("sandbox: listen on %s: %w\nPick another address with --addr, e.g. --addr 127.0.0.1:0", opts.Addr, err)
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	if opts.TLSCert != "" {
		host, _, _ := net.SplitHostPort(opts.Addr)
		if srv.TLSConfig, err = serverTLS(host, opts.TLSCert, eo); err != nil {
			ln.Close()
			e.Close()
			return fmt.Errorf("sandbox: %w", err)
		}
		url = "https://" + ln.Addr().String()
	}
	e.SetBaseURL(url)
	served := make(chan error, 1)
	if srv.TLSConfig != nil {
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}

	writeEnv(opts.IO.Out, e.Credentials(), opts.DataCenter)
	if opts.TLSCert != "" {
		writeTLSNote(opts.IO.Out, opts.TLSCert)
	}
	writeNotes(opts.IO.ErrOut, e.Credentials(), opts)
	if opts.Ready != nil {
		opts.Ready(url)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-served:
		e.Close()
		return fmt.Errorf("sandbox: %w", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx) // stalled requests (faults) are cut after 5s
	if err := e.Close(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if opts.StatePath != "" {
		fmt.Fprintf(opts.IO.ErrOut, "Saved the sandbox state to %s.\n", opts.StatePath)
	}
	return nil
}

// emulatorOptions turns flags into emulator options; bad values are usage
// errors that say what a good one looks like.
func emulatorOptions(opts *Options) (emulator.Options, error) {
	eo := emulator.Options{DataCenter: opts.DataCenter, StatePath: opts.StatePath, SearchLag: opts.SearchLag, AccessTokenTTL: opts.AccessTTL,
		RateLimit: emulator.RateLimit{Points: opts.Points, UserSearch: opts.UserSearch}}
	var err error
	if eo.Latency, eo.Jitter, err = ParseLatency(opts.Latency); err != nil {
		return eo, factory.Usagef(err)
	}
	for _, spec := range opts.Faults {
		f, err := emulator.ParseFault(spec)
		if err != nil {
			return eo, factory.Usagef(err)
		}
		eo.Faults = append(eo.Faults, f)
	}
	if opts.SeedPath != "" {
		if eo.Seed, err = emulator.LoadSeed(opts.SeedPath); err != nil {
			return eo, fmt.Errorf("sandbox: %w\nStart from the built-in seed: tm sandbox --print-seed > seed.json", err)
		}
	}
	return eo, nil
}

// ParseLatency reads "50ms", "50ms±10ms" or "50ms+-10ms".
func ParseLatency(s string) (time.Duration, time.Duration, error) {
	if s == "" {
		return 0, 0, nil
	}
	base, jitter, found := strings.Cut(s, "±")
	if !found {
		base, jitter, found = strings.Cut(s, "+-")
	}
	bad := errors.New("--latency " + s + ": want a duration with an optional jitter, e.g. 50ms or 50ms±10ms")
	d, err := time.ParseDuration(strings.TrimSpace(base))
	if err != nil || d < 0 {
		return 0, 0, bad
	}
	var j time.Duration
	if found {
		if j, err = time.ParseDuration(strings.TrimSpace(jitter)); err != nil || j < 0 || j > d {
			return 0, 0, errors.New("--latency " + s + ": the jitter must be a duration no larger than the latency, e.g. 50ms±10ms")
		}
	}
	return d, j, nil
}

// writeEnv prints the .env.local block: active settings for a classic
// token (or a PAT on Data Center), commented blocks for the other modes.
func writeEnv(w io.Writer, c emulator.Credentials, dc bool) {
	you := c.Users[0]
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	if dc {
		p("# tm sandbox (Jira Data Center) — throwaway credentials minted by this sandbox; paste into .env.local")
		p("ATLASSIAN_BASE_URL=%s", c.BaseURL)
		p("ATLASSIAN_AUTH_MODE=BEARER")
		p("ATLASSIAN_API_KEY=%s", you.PAT)
		p("# signed in as %s (username %s)", you.DisplayName, you.Username)
		return
	}
	p("# tm sandbox (Jira Cloud) — throwaway credentials minted by this sandbox; paste into .env.local")
	p("ATLASSIAN_BASE_URL=%s", c.BaseURL)
	p("ATLASSIAN_EMAIL=%s", you.Email)
	p("ATLASSIAN_API_KEY=%s", you.ClassicToken)
	p("")
	p("# Scoped API token, accepted only through the gateway (%s):", strings.Join(you.ScopedScopes, " "))
	p("# ATLASSIAN_EMAIL=%s", you.Email)
	p("# ATLASSIAN_API_KEY=%s", you.ScopedToken)
	p("# ATLASSIAN_USE_CLOUD_API=true")
	p("# ATLASSIAN_CLOUD_ID=%s", c.Sites[0].CloudID)
	p("# ATLASSIAN_API_URL=%s", c.BaseURL)
	if len(c.OAuth) > 0 {
		app := c.OAuth[0]
		p("")
		p("# OAuth 2.0 (3LO) for tm serve, or for this terminal after tm login; the consent page lets you pick a user and a site:")
		p("# ATLASSIAN_AUTH_MODE=OAUTH")
		p("# ATLASSIAN_CLIENT_ID=%s", app.ClientID)
		p("# ATLASSIAN_CLIENT_SECRET=%s", app.ClientSecret)
		if len(app.RedirectURIs) > 0 {
			p("# ATLASSIAN_REDIRECT_URI=%s", app.RedirectURIs[0])
		}
		p("# ATLASSIAN_AUTH_URL=%s", c.BaseURL)
		p("# ATLASSIAN_API_URL=%s", c.BaseURL)
	}
}

// writeTLSNote says how a client trusts the sandbox's certificate. Go reads
// SSL_CERT_FILE from the environment, not from .env files, so it is a line
// for the shell.
func writeTLSNote(w io.Writer, certFile string) {
	if abs, err := filepath.Abs(certFile); err == nil {
		certFile = abs
	}
	fmt.Fprintf(w, "\n# Over TLS: run tm with SSL_CERT_FILE=%s in its environment (a shell export; .env files do not set it).\n", certFile)
}

// writeNotes tells the person on stderr what else is there.
func writeNotes(w io.Writer, c emulator.Credentials, opts *Options) {
	fmt.Fprintf(w, "Jira sandbox listening on %s (Ctrl-C to stop).\n", c.BaseURL)
	if !opts.DataCenter {
		for _, s := range c.Sites {
			fmt.Fprintf(w, "  site %-12s %s  cloud id %s  gateway %s/ex/jira/%s\n", s.Name, s.URL, s.CloudID, c.BaseURL, s.CloudID)
		}
	}
	fmt.Fprintf(w, "  users: ")
	for i, u := range c.Users {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprint(w, u.Email)
	}
	fmt.Fprintf(w, "\n  control API: %s/__emulator/requests, /faults, /reset, /clock/advance\n", c.BaseURL)
	if opts.StatePath == "" {
		fmt.Fprintln(w, "  Credentials and issues last until you stop it; --state FILE keeps them.")
	}
}
