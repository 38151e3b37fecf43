// Package open owns "tm open": a ticket's page in the browser, with no
// request to Jira. It imports the CLI factory, the config and the ticket
// service.
package open

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Cache   factory.Cache
	Browser func(url string) error

	Key string
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f, Browser: f.Browser}
	return &cobra.Command{
		Use:               "open KEY",
		Short:             "Open a ticket in the browser",
		Example:           "  tm open SPACE2-42",
		Args:              factory.Args(cobra.ExactArgs(1)),
		ValidArgsFunction: factory.CompleteIssueKeys(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run opens the page, or prints its link when no browser can be opened.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	key, err := ticket.CheckKey(opts.Key)
	if err != nil {
		return err
	}
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	u := j.BrowseURL(key)
	factory.Remember(opts.Cache, key)
	fmt.Fprintln(opts.IO.Out, u)
	if opts.Browser != nil {
		if opts.Browser(u) != nil {
			fmt.Fprintln(opts.IO.ErrOut, "Could not open a browser; the link is above.")
		}
	}
	return nil
}
