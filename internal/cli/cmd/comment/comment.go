// Package comment owns "tm comment": a Markdown comment on a ticket (ADF on
// Cloud, wiki markup on Data Center). It imports the CLI factory, the
// config, the ticket service and the domain.
package comment

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
	WorkDir string

	Key  string
	Text string // TEXT, "-" (stdin) or "@file"
	JSON bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "comment KEY [TEXT|-|@file]",
		Short: "Comment on a ticket",
		Long: `Add a comment to a ticket. The text is Markdown: the argument, "-" for
stdin (also when no text is given and stdin is not a terminal), or
"@file".`,
		Example:           "  tm comment SPACE2-42 \"Fixed in **1.4.2**\"\n  git log -1 --format=%B | tm comment SPACE2-42 -",
		Args:              factory.Args(cobra.RangeArgs(1, 2)),
		ValidArgsFunction: factory.CompleteIssueKeys(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			switch {
			case len(args) == 2:
				opts.Text = args[1]
			case !opts.IO.IsStdinTTY():
				opts.Text = "-"
			default:
				return factory.Usagef(fmt.Errorf("give the comment: tm comment %s \"text\" (or - for stdin, @file)", args[0]))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the comment as JSON")
	return cmd
}

// Run adds the comment.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	body, err := factory.ReadText(opts.IO.In, opts.WorkDir, opts.Text, "comment", "")
	if err != nil {
		return err
	}
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	c, err := factory.Tickets(opts.Cache, j).Comment(ctx, opts.Key, body)
	if err != nil {
		return j.Fail(err)
	}
	key := strings.ToUpper(strings.TrimSpace(opts.Key))
	factory.Remember(opts.Cache, key)
	if opts.JSON {
		return factory.WriteJSON(opts.IO.Out, c)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s\n", j.BrowseURL(key)+"?focusedCommentId="+c.ID)
	return err
}
