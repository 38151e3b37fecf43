package login

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/credfile"
)

// RevokeURL is where a person removes an app's access to their Atlassian
// account; Atlassian has no revocation endpoint for 3LO apps.
const RevokeURL = "https://id.atlassian.com/manage-profile/apps"

// LogoutOptions are tm logout's inputs.
type LogoutOptions struct {
	IO        *iostreams.IOStreams
	Config    func(flags ...config.Flag) (*config.Config, error)
	ConfigDir string
	// Device forgets the server sign-in (--server, and --all).
	Device *ServerLogoutOptions

	All    bool
	Server bool
}

// NewLogoutCmd builds tm logout; runF replaces RunLogout in tests of flag parsing.
func NewLogoutCmd(f *factory.Factory, runF func(context.Context, *LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IO, Config: f.Config, ConfigDir: f.ConfigDir,
		Device: &ServerLogoutOptions{IO: f.IO, HTTPClient: f.HTTPClient, Load: f.ServerSignIn, Remove: f.RemoveServerSignIn}}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Sign out: forget what tm login stored (--server also revokes it on the server)",
		Long: `Delete the Atlassian sign-in that tm login stored for the configured OAuth
app (ATLASSIAN_CLIENT_ID). With --all, or when no OAuth app is configured,
delete the sign-ins of every app. Running it again is harmless.

This forgets the tokens on this machine. To also remove the app's access to
your Atlassian account, visit ` + RevokeURL + `.

With --server, sign out of the ticket-mate server instead: its token for
this terminal is revoked on the server and removed from the OS keyring or
the credential file. --all, and a plain tm logout without an OAuth app
configured, do that too.`,
		Example: "  tm logout\n  tm logout --all\n  tm logout --server",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunLogout(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "forget the sign-ins of every OAuth app, and the server sign-in")
	cmd.Flags().BoolVar(&opts.Server, "server", false, "sign out of the ticket-mate server: revoke its token there and forget it here")
	return cmd
}

// RunLogout forgets the sign-in.
func RunLogout(ctx context.Context, opts *LogoutOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.ConfigDir == "" {
		return &tm.Error{Code: tm.ECONFIG, Message: "there is no user config directory, so no sign-in is stored"}
	}
	path := credfile.Path(opts.ConfigDir)
	w := opts.IO.ErrOut
	// A configuration that does not load must not keep anyone signed in:
	// without an app to name, every sign-in goes.
	var cfg *config.Config
	if !opts.All && !opts.Server {
		cfg, _ = opts.Config()
	}
	everything := cfg == nil || cfg.ClientID == ""
	// The server sign-in is revoked on the server before the file that may
	// hold it goes, so no token outlives its sign-in.
	if (opts.Server || everything) && opts.Device != nil {
		if err := RunServerLogout(ctx, opts.Device); err != nil || opts.Server {
			return err
		}
	}
	if everything {
		removed, err := credfile.RemoveAll(ctx, path)
		if err != nil {
			return err
		}
		if removed {
			fmt.Fprintf(w, "Signed out: deleted %s (the Atlassian sign-ins of every OAuth app).\n", path)
		} else {
			fmt.Fprintf(w, "Not signed in: %s does not exist.\n", path)
		}
		return nil
	}
	store := credfile.New(path, cfg.AuthURL, cfg.ClientID, nil)
	removed, err := store.Remove(ctx)
	if err != nil {
		return err
	}
	if !removed {
		fmt.Fprintf(w, "Not signed in with OAuth app %s: %s holds no sign-in for it.\n", cfg.ClientID, path)
	} else {
		fmt.Fprintf(w, "Signed out: removed the Atlassian sign-in of OAuth app %s from %s.\n", cfg.ClientID, path)
		fmt.Fprintf(w, "To also remove the app's access to your Atlassian account, visit %s\n", RevokeURL)
	}
	if n, err := store.Others(); err == nil && n > 0 {
		fmt.Fprintf(w, "%d sign-in(s) of other OAuth apps remain there; tm logout --all removes them.\n", n)
	}
	return nil
}
