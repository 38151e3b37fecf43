// Package transition owns "tm transition": the moves a ticket's workflow
// offers, and making one by its name or its target status. It imports the
// CLI factory, the config, the ticket service and the domain.
package transition

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Cache   factory.Cache

	Key        string
	To         string // "": list the transitions
	Comment    string
	Resolution string
	Fields     []string // "Name=value"
	JSON       bool
	Plain      bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f}
	cmd := &cobra.Command{
		Use:   "transition KEY [STATUS]",
		Short: "Move a ticket through its workflow",
		Long: `Move a ticket to another status. STATUS is a transition's name or the
status it leads to, in any case. Without STATUS, list the transitions
available now, with the status each leads to and the fields each needs
(give them with --field "Name=value").`,
		Example:           "  tm transition SPACE2-42\n  tm transition SPACE2-42 \"in progress\"\n  tm transition SPACE2-42 Done --resolution Fixed --comment \"Shipped in 1.4\"",
		Args:              factory.Args(cobra.RangeArgs(1, 2)),
		ValidArgsFunction: factory.CompleteIssueKeys(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if len(args) == 2 {
				opts.To = args[1]
			} else if opts.Comment != "" || opts.Resolution != "" || len(opts.Fields) > 0 {
				return factory.Usagef(fmt.Errorf("--comment, --resolution and --field go with a STATUS to move to"))
			}
			for _, fv := range opts.Fields {
				if k, _, ok := strings.Cut(fv, "="); !ok || strings.TrimSpace(k) == "" {
					return factory.Usagef(fmt.Errorf("--field %q: want \"Field name=value\"", fv))
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Comment, "comment", "", "add a Markdown comment on the way")
	cmd.Flags().StringVar(&opts.Resolution, "resolution", "", "set the resolution (e.g. Fixed, Won't Do)")
	cmd.Flags().StringArrayVar(&opts.Fields, "field", nil, "fill a field of the transition's screen: \"Name=value\" (repeatable)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&opts.Plain, "plain", false, "print tab-separated lines, also on a terminal")
	return cmd
}

// Run lists or makes the transition.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	svc := factory.Tickets(opts.Cache, j)
	key := strings.ToUpper(strings.TrimSpace(opts.Key))
	if opts.To == "" {
		ts, err := svc.Transitions(ctx, opts.Key)
		if err != nil {
			return j.Fail(err)
		}
		factory.Remember(opts.Cache, key)
		if opts.JSON {
			return factory.WriteJSON(opts.IO.Out, ts)
		}
		if len(ts) == 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%s offers no transitions to you.\n", key)
			return nil
		}
		tb := output.NewTable(opts.IO, "TRANSITION", "TO", "NEEDS")
		if opts.Plain {
			tb.Plain()
		}
		for _, t := range ts {
			tb.Row(t.Name, t.To, strings.Join(t.Required, ", "))
		}
		return tb.Flush()
	}
	m := ticket.Move{To: opts.To, Comment: opts.Comment, Resolution: opts.Resolution}
	for _, fv := range opts.Fields {
		k, v, _ := strings.Cut(fv, "=")
		m.Fields = append(m.Fields, tm.FieldValue{Name: k, Value: v})
	}
	t, err := svc.Transition(ctx, opts.Key, m)
	if err != nil {
		return j.Fail(err)
	}
	factory.Remember(opts.Cache, key)
	if opts.JSON {
		return factory.WriteJSON(opts.IO.Out, map[string]any{"key": key, "transition": t})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s → %s\n", key, t.To)
	return err
}
