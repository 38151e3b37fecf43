// Package assign owns "tm assign": give a ticket to someone, to yourself,
// or to no one. It imports the CLI factory, the config and the ticket
// service.
package assign

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Cache   factory.Cache

	Key  string
	User string
	JSON bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f}
	cmd := &cobra.Command{
		Use:   "assign KEY USER|me|none",
		Short: "Assign a ticket",
		Long: `Assign a ticket: USER is an email address or an account id (Data Center:
a username); "me" is you, "none" leaves it unassigned.`,
		Example:           "  tm assign SPACE2-42 me\n  tm assign SPACE2-42 mia@example.com\n  tm assign SPACE2-42 none",
		Args:              factory.Args(cobra.ExactArgs(2)),
		ValidArgsFunction: factory.CompleteIssueKeys(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key, opts.User = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Run assigns the ticket.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	if err := factory.Tickets(opts.Cache, j).Assign(ctx, opts.Key, opts.User); err != nil {
		return j.Fail(err)
	}
	key := strings.ToUpper(strings.TrimSpace(opts.Key))
	factory.Remember(opts.Cache, key)
	if opts.JSON {
		return factory.WriteJSON(opts.IO.Out, map[string]string{"key": key, "assignee": opts.User})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s assigned to %s\n", key, opts.User)
	return err
}
