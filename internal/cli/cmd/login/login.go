// Package login owns "tm login" and "tm logout": signing this terminal in
// to Atlassian with the user's own OAuth 2.0 (3LO) app — consent in the
// browser, the answer received on the loopback callback of
// ATLASSIAN_REDIRECT_URI, the site chosen — and forgetting that sign-in;
// and, with --server, signing in through a ticket-mate server with the
// device flow (RFC 8628, server.go) and revoking that sign-in.
// Whether the stored sign-in works is tm check-permissions' job.
//
// It imports the CLI factory and streams, the config, atlassian and
// credfile packages, the domain, and cli/browser.
package login

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/credfile"
)

// DefaultTimeout is how long tm login waits for the browser.
const DefaultTimeout = 5 * time.Minute

// Options are tm login's inputs.
type Options struct {
	IO       *iostreams.IOStreams
	Config   func(flags ...config.Flag) (*config.Config, error)
	OAuthApp func(cfg *config.Config) (*atlassian.Client, *credfile.Store, error)
	// OpenBrowser shows url to the person (browser.OpenURL in production).
	OpenBrowser func(url string) error

	Site      string // --site: name, URL or cloud id
	NoBrowser bool
	Timeout   time.Duration

	// Server (--server) signs in through a ticket-mate server instead,
	// with Device wired for it; ReadOnly asks for read access only.
	Server   string
	ReadOnly bool
	Device   *ServerOptions
}

// NewCmd builds tm login; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Config: f.Config, OAuthApp: f.OAuthApp, OpenBrowser: f.Browser}
	opts.Device = newServerOptions(f, opts.OpenBrowser)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in: through your team's tm server (--server URL), or with your own OAuth app",
		Long: `Sign this terminal in to Atlassian with your own OAuth 2.0 (3LO) app, for
ATLASSIAN_AUTH_MODE=OAUTH. tm opens Atlassian's consent page in the browser
and receives the answer on ATLASSIAN_REDIRECT_URI, which must be a loopback
URL registered as a callback on the app (default
http://localhost:4000/api/auth/jira/callback). The sign-in is kept, readable
only by you, in the ticket-mate config directory; tm refreshes it as needed.

When the sign-in reaches several Jira sites, --site picks one; on a
terminal tm asks. API-token modes (PAT, BEARER) need no login.

With --server, sign in through your team's ticket-mate server instead: no
API token and no OAuth app of your own. tm shows a one-time code and opens
the server's /device page, where you (signed in to the dashboard) check
the code and approve. The server's token for this terminal is kept in the
OS keyring (or, where none answers, in the ticket-mate config directory,
readable only by you); every tm command then reaches Jira through the
server, as you. --read-only asks for read access only.

Exit status: 0 when signed in, 1 when sign-in failed or access was
declined, 2 when cancelled, when the auth mode is not OAUTH or when a site
must be chosen with --site, 4 when Atlassian refuses the app's credentials
or, with --server, when the code was denied or expired.`,
		Example: "  tm login\n  tm login --site your-site\n  tm login --no-browser\n  tm login --server https://tm.example.com",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Timeout <= 0 {
				return factory.Usagef(fmt.Errorf("--timeout must be positive"))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return Run(ctx, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Server, "server", "", "sign in through the ticket-mate server at `URL` (device sign-in)")
	cmd.Flags().BoolVar(&opts.ReadOnly, "read-only", false, "with --server: ask for read access only")
	cmd.Flags().StringVar(&opts.Site, "site", "", "the Jira site to use when the sign-in reaches several: `name`, URL or cloud id")
	cmd.Flags().BoolVar(&opts.NoBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", DefaultTimeout, "how long to wait for the browser")
	return cmd
}

// Run signs in.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Server != "" {
		d := *opts.Device
		d.Server, d.Site, d.ReadOnly, d.NoBrowser = opts.Server, opts.Site, opts.ReadOnly, opts.NoBrowser
		// The wait is as long as the server's code lives (expires_in), not --timeout.
		return RunServer(ctx, &d)
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if cfg.AuthMode != config.AuthOAuth {
		return factory.Usagef(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("tm login is for ATLASSIAN_AUTH_MODE=OAUTH; this configuration uses %s (%s), which needs no login", cfg.AuthMode, cfg.AuthMode.Describe()),
			Hint: "tm sends the token in ATLASSIAN_API_KEY with every request. Check it with: tm check-permissions\n" +
				"To sign in with your OAuth app instead, set ATLASSIAN_AUTH_MODE=OAUTH with ATLASSIAN_CLIENT_ID, ATLASSIAN_CLIENT_SECRET and ATLASSIAN_REDIRECT_URI."})
	}
	if err := cfg.CheckRequired(); err != nil {
		return err
	}
	client, store, err := opts.OAuthApp(cfg)
	if err != nil {
		return err
	}
	// Read what is stored before sending anyone to the browser: a file tm
	// cannot use is better reported now than after the consent.
	prev, err := store.SignIn(ctx)
	if err != nil && tm.ErrorCode(err) != tm.ENOTFOUND {
		return err
	}

	cb, err := listen(cfg.RedirectURI)
	if err != nil {
		return err
	}
	defer cb.close()
	state, err := newState()
	if err != nil {
		return err
	}
	cb.state = state
	go cb.serve()

	authURL := client.AuthorizeURL(state)
	opts.show(authURL)
	code, err := cb.wait(ctx, opts.Timeout, opts.IO.ErrOut)
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "Atlassian answered; finishing the sign-in…")
	sctx, done := progress.Begin(ctx, opts.IO, "Signing in…")
	defer done()
	tok, err := client.Exchange(sctx, code)
	if err != nil {
		return explainToken(err, cfg)
	}
	profile, err := client.Me(sctx, tok.AccessToken)
	if err != nil {
		return err
	}
	resources, err := client.AccessibleResources(sctx, tok.AccessToken)
	done()
	if tok.RefreshToken.IsZero() {
		fmt.Fprintln(opts.IO.ErrOut, "Warning: Atlassian issued no refresh token (the offline_access scope was not granted), so this sign-in ends when the access token expires, within the hour.\n"+
			"Add offline_access to ATLASSIAN_OAUTH_SCOPES (it is in the default list) and run tm login again.")
	}
	if err != nil {
		return err
	}
	sites := toSites(resources)
	if len(sites) == 0 {
		return &tm.Error{Code: tm.EINVALID,
			Message: "the sign-in reaches no Jira site, so there is nothing for tm to work with; nothing was stored",
			Hint:    "Run tm login again and choose your Jira site under \"Use app on\" on Atlassian's consent page."}
	}
	site, err := opts.chooseSite(ctx, cfg, prev, sites)
	if err != nil {
		return err
	}

	si := &credfile.SignIn{
		Account: credfile.Account{AccountID: profile.AccountID, Email: profile.Email, Name: profile.Name},
		Grant:   &tm.Grant{TokenSet: *tok, SelectedCloudID: site.CloudID},
		Sites:   sites,
	}
	if err := store.SaveSignIn(ctx, si); err != nil {
		return err
	}
	opts.report(si, site, store.Path())
	return nil
}

// show sends the person to authURL: the browser, or the URL to open.
func (opts *Options) show(authURL string) {
	w := opts.IO.ErrOut
	if opts.NoBrowser {
		fmt.Fprintf(w, "Open this URL in a browser on this machine to sign in with Atlassian:\n\n  %s\n\n", authURL)
	} else if opts.OpenBrowser(authURL) != nil {
		fmt.Fprintf(w, "Could not open a browser. Open this URL in a browser on this machine:\n\n  %s\n\n", authURL)
	} else {
		fmt.Fprintf(w, "Opened Atlassian's consent page in your browser. If it did not appear, open:\n\n  %s\n\n", authURL)
	}
	fmt.Fprintf(w, "Waiting for Atlassian's answer (up to %s; Ctrl-C to cancel)…\n", opts.Timeout)
}

func (opts *Options) report(si *credfile.SignIn, site tm.Site, file string) {
	w := opts.IO.ErrOut
	who := si.Account.Name
	if si.Account.Email != "" {
		who += " (" + si.Account.Email + ")"
	}
	ok := output.MarksForStderr(opts.IO).Lead(output.OK)
	fmt.Fprintf(w, "%sSigned in to Atlassian as %s\n", ok, strings.TrimSpace(who))
	fmt.Fprintf(w, "%sJira site: %s  %s  (cloud id %s)\n", ok, site.Name, site.URL, site.CloudID)
	for _, s := range si.Sites {
		if s.CloudID != site.CloudID {
			fmt.Fprintf(w, "   Also reachable: %s — switch with: tm login --site %s\n", s.Name, s.Name)
		}
	}
	fmt.Fprintf(w, "   Sign-in stored in %s (readable only by you)\nNext: tm check-permissions\n", file)
}

// chooseSite picks the site Jira calls go to: --site, else the only one,
// else ATLASSIAN_CLOUD_ID, else the one chosen last time, else the
// person's answer on a terminal.
func (opts *Options) chooseSite(ctx context.Context, cfg *config.Config, prev *credfile.SignIn, sites []tm.Site) (tm.Site, error) {
	if opts.Site != "" {
		if s, ok := matchSite(sites, opts.Site); ok {
			return s, nil
		}
		return tm.Site{}, &tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("--site %s is not one of the sites this sign-in reaches; nothing was stored", opts.Site),
			Hint: "The sign-in reaches:\n" + factory.SiteList(sites) + "\n" +
				"Use one of these names, or run tm login again and choose that site under \"Use app on\" on Atlassian's consent page."}
	}
	if len(sites) == 1 {
		return sites[0], nil
	}
	for _, id := range []string{cfg.CloudID, selected(prev)} {
		if i := slices.IndexFunc(sites, func(s tm.Site) bool { return s.CloudID == id }); id != "" && i >= 0 {
			return sites[i], nil
		}
	}
	if opts.IO.IsStdinTTY() && opts.IO.IsStderrTTY() {
		return opts.promptSite(ctx, sites)
	}
	return tm.Site{}, factory.Usagef(&tm.Error{Code: tm.EINVALID,
		Message: "the sign-in reaches several Jira sites; choose one with --site (nothing was stored)",
		Hint:    "The sites:\n" + factory.SiteList(sites) + "\nRun: tm login --site <name>"})
}

func selected(si *credfile.SignIn) string {
	if si == nil {
		return ""
	}
	return si.Grant.SelectedCloudID
}

// promptSite asks on the terminal until the answer names a site.
func (opts *Options) promptSite(ctx context.Context, sites []tm.Site) (tm.Site, error) {
	w := opts.IO.ErrOut
	fmt.Fprintln(w, "This sign-in reaches several Jira sites:")
	for i, s := range sites {
		fmt.Fprintf(w, "  %d) %s  %s\n", i+1, s.Name, s.URL)
	}
	lines := make(chan string)
	go func() { // a read cannot be cancelled; ctx ends the wait instead
		sc := bufio.NewScanner(opts.IO.In)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		close(lines)
	}()
	for range 3 {
		fmt.Fprintf(w, "Use which site? [1-%d] ", len(sites))
		select {
		case <-ctx.Done():
			return tm.Site{}, cancelled()
		case line, ok := <-lines:
			if !ok {
				return tm.Site{}, cancelled()
			}
			line = strings.TrimSpace(line)
			if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(sites) {
				return sites[n-1], nil
			}
			if s, ok := matchSite(sites, line); ok && line != "" {
				return s, nil
			}
			fmt.Fprintf(w, "%q is not one of them; answer with a number, a name or a URL.\n", line)
		}
	}
	return tm.Site{}, factory.Usagef(errors.New("no site chosen; run tm login --site <name>"))
}

// matchSite finds the site want names: its cloud id, its name (any case)
// or its URL (with or without scheme and trailing slash).
func matchSite(sites []tm.Site, want string) (tm.Site, bool) {
	norm := func(u string) string {
		u = strings.ToLower(strings.TrimRight(strings.TrimSpace(u), "/"))
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
		}
		return u
	}
	for _, s := range sites {
		if s.CloudID == want || strings.EqualFold(s.Name, strings.TrimSpace(want)) || norm(s.URL) == norm(want) {
			return s, true
		}
	}
	return tm.Site{}, false
}

// toSites turns accessible-resources into sites, ordered by name.
func toSites(rs []atlassian.Resource) []tm.Site {
	out := make([]tm.Site, 0, len(rs))
	for _, r := range rs {
		out = append(out, tm.Site{CloudID: r.ID, Name: r.Name, URL: strings.TrimRight(r.URL, "/"), Scopes: r.Scopes, AvatarURL: r.AvatarURL})
	}
	slices.SortFunc(out, func(a, b tm.Site) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// newState is the OAuth state: 32 random bytes, unguessable.
func newState() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func cancelled() error {
	return &tm.Error{Code: tm.EINVALID, Message: "sign-in cancelled; nothing was stored", Err: factory.ErrCancel}
}

// explainToken says what to do about a refused code exchange.
func explainToken(err error, cfg *config.Config) error {
	var te *atlassian.TokenError
	if !errors.As(err, &te) {
		return err
	}
	hint := "Run tm login again; an authorization code is valid for a few minutes and only once."
	switch te.Code {
	case "invalid_client", "access_denied", "unauthorized_client":
		hint = "Check ATLASSIAN_CLIENT_ID (" + cfg.ClientID + ") and ATLASSIAN_CLIENT_SECRET against the app's Settings page at https://developer.atlassian.com/console/myapps/."
	case "invalid_grant":
		hint += "\nCheck that ATLASSIAN_REDIRECT_URI (" + cfg.RedirectURI + ") is exactly a callback URL registered on the app."
	}
	return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err, Message: err.Error() + "; nothing was stored", Hint: hint}
}
