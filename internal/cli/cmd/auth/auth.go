// Package auth owns "tm auth status": every credential tm can use — the
// sign-in through a ticket-mate server, the OAuth sign-in of tm login, the
// API token from the environment or .env.local — with where it comes from,
// the account, the site, scopes and expiry, whether it works now, and the
// command that fixes each problem. Modelled on gh auth status.
//
// It imports the CLI factory and streams, config, credfile, the domain.
package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
)

// NewCmd builds tm auth with its status subcommand.
func NewCmd(f *factory.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Show the credentials tm can use and whether they work",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(NewStatusCmd(f, runF))
	return cmd
}

// StatusOptions are tm auth status's inputs.
type StatusOptions struct {
	IO           *iostreams.IOStreams
	Config       func(flags ...config.Flag) (*config.Config, error)
	ServerSignIn func() (*factory.StoredServer, error)
	HTTPClient   func() *http.Client
	// Jira builds the client of the configuration's own credentials.
	Jira     func(ctx context.Context, cfg *config.Config) (*factory.Jira, error)
	OAuthApp func(cfg *config.Config) (*factory.OAuthSignIn, error)
	Now      func() time.Time

	JSON bool
}

// NewStatusCmd builds tm auth status.
func NewStatusCmd(f *factory.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Config: f.Config, ServerSignIn: f.ServerSignIn, HTTPClient: f.HTTPClient,
		Jira: f.Jira, OAuthApp: f.StoredOAuthSignIn, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every credential tm can use, whether it works, and how to fix it",
		Long: `Show every credential tm can use: the sign-in through a ticket-mate server
(tm login --server), the Atlassian OAuth sign-in (tm login), and the API
token from the environment or .env.local. For each: where it comes from,
the account, the site, scopes and expiry, whether it works now (one request
each, sent together), and the command that fixes a problem. The one tm
commands use is marked.

Exit status: 0 when the credential tm commands use works, 4 when it does
not or there is none.`,
		Example: "  tm auth status\n  tm auth status --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunStatus(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

// Credential is one credential tm can use, as reported.
type Credential struct {
	Kind      string    `json:"kind"` // server, oauth, api-token
	Title     string    `json:"title"`
	Present   bool      `json:"present"`
	Active    bool      `json:"active"` // the one tm commands use
	OK        bool      `json:"ok"`     // present and working
	Source    string    `json:"source,omitempty"`
	Account   string    `json:"account,omitempty"`
	Site      string    `json:"site,omitempty"`
	Scopes    []string  `json:"scopes,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Token     string    `json:"token,omitempty"` // masked
	Problem   string    `json:"problem,omitempty"`
	Fix       string    `json:"fix,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
}

// RunStatus checks every credential and prints the report.
func RunStatus(ctx context.Context, opts *StatusOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, cfgErr := opts.Config()
	creds := []*Credential{
		{Kind: "server", Title: "ticket-mate server (tm login --server)"},
		{Kind: "oauth", Title: "Atlassian OAuth sign-in (tm login)"},
		{Kind: "api-token", Title: "API token (ATLASSIAN_API_KEY)"},
	}
	var wg sync.WaitGroup
	wg.Go(func() { opts.server(ctx, creds[0]) })
	if cfgErr != nil {
		for _, c := range creds[1:] {
			c.Problem, c.Fix = "the configuration cannot be read: "+cfgErr.Error(), "tm env-check shows what to change"
		}
	} else {
		wg.Go(func() { opts.oauth(ctx, cfg, creds[1]) })
		wg.Go(func() { opts.apiToken(ctx, cfg, creds[2]) })
	}
	wg.Wait()

	// The one commands use: the configuration's own credentials win; else the server sign-in.
	active := creds[0]
	if cfg != nil && cfg.AuthMode == config.AuthOAuth {
		active = creds[1]
	} else if cfg != nil && (!cfg.APIKey.IsZero() || cfg.AuthMode == config.AuthBearer) {
		active = creds[2]
	}
	if active.Present || active.Problem != "" {
		active.Active = true
	}
	if opts.JSON {
		if err := factory.WriteJSON(opts.IO.Out, map[string]any{"credentials": creds}); err != nil {
			return err
		}
	} else {
		printReport(opts.IO.Out, creds, opts.Now())
	}
	if !active.Active || !active.OK {
		if !opts.JSON && !active.Active {
			fmt.Fprintln(opts.IO.ErrOut, "No credential to use. Sign in through your team's server: tm login --server URL\n"+
				"(or put an API token in .env.local: see tm env-check).")
		}
		return &tm.Error{Code: tm.EUNAUTHORIZED, Message: "no working credential", Err: factory.ErrSilent}
	}
	return nil
}

func printReport(w io.Writer, creds []*Credential, now time.Time) {
	for i, c := range creds {
		if i > 0 {
			fmt.Fprintln(w)
		}
		title := c.Title
		if c.Active {
			title += "  (used by tm commands)"
		}
		fmt.Fprintln(w, title)
		switch {
		case !c.Present && c.Problem == "":
			fmt.Fprintln(w, "  - not set up")
			if c.Fix != "" {
				fmt.Fprintln(w, "  - to set up: "+c.Fix)
			}
			continue
		case c.OK:
			fmt.Fprintf(w, "  ✓ Works: %s\n", firstNonEmpty(c.Account, "signed in"))
		default:
			fmt.Fprintf(w, "  X %s\n", c.Problem)
		}
		line := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "  - %s: %s\n", k, v)
			}
		}
		if !c.OK {
			line("Account", c.Account)
		}
		line("From", c.Source)
		line("Site", c.Site)
		line("Scopes", strings.Join(c.Scopes, " "))
		if !c.ExpiresAt.IsZero() {
			line("Expires", expiry(c.ExpiresAt, now))
		}
		line("Token", c.Token)
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "  - To fix: %s\n", c.Fix)
		}
	}
}

func expiry(t, now time.Time) string {
	d := t.Sub(now)
	when := t.Local().Format("2 Jan 2006 15:04")
	switch {
	case d <= 0:
		return when + " (expired)"
	case d < 48*time.Hour:
		return fmt.Sprintf("%s (in %s)", when, d.Round(time.Minute))
	}
	return fmt.Sprintf("%s (in %d days)", when, int(d.Hours()/24))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func who(name, email string) string {
	if email != "" {
		return strings.TrimSpace(name + " (" + email + ")")
	}
	return name
}
