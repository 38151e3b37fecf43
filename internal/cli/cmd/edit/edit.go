// Package edit owns "tm edit": change a ticket's summary, description,
// labels, priority and fields by name. It imports the CLI factory, the
// config, the ticket service and the domain.
package edit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
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
	WorkDir string

	Key         string
	Summary     *string
	Description *string  // TEXT, "-" (stdin) or "@file"
	Labels      []string // "+x", "-y", or "x" (added)
	Priority    string
	Fields      []string // "Name=value"
	JSON        bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f, WorkDir: f.WorkDir}
	var summary, desc string
	cmd := &cobra.Command{
		Use:   "edit KEY [flags]",
		Short: "Change a ticket's fields",
		Long: `Change a ticket. Only what you name changes. --label takes +name to add
and -name to remove (comma-separated or repeated); --field sets a field by
its name or id, as on the create screen.`,
		Example:           "  tm edit SPACE2-42 --summary \"Crash on save (iOS only)\"\n  tm edit SPACE2-42 --label +mobile,-triage --priority High\n  tm edit SPACE2-42 --field \"Story points=5\" -d @notes.md",
		Args:              factory.Args(cobra.ExactArgs(1)),
		ValidArgsFunction: factory.CompleteIssueKeys(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if cmd.Flags().Changed("summary") {
				opts.Summary = &summary
			}
			if cmd.Flags().Changed("description") {
				opts.Description = &desc
			}
			for _, fv := range opts.Fields {
				if k, _, ok := strings.Cut(fv, "="); !ok || strings.TrimSpace(k) == "" {
					return factory.Usagef(fmt.Errorf("--field %q: want \"Field name=value\"", fv))
				}
			}
			if opts.Summary == nil && opts.Description == nil && len(opts.Labels) == 0 && opts.Priority == "" && len(opts.Fields) == 0 {
				return factory.Usagef(errors.New("name something to change: --summary, --description, --label, --priority or --field"))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&summary, "summary", "", "the new summary")
	fl.StringVarP(&desc, "description", "d", "", "the new description: Markdown `TEXT`, - for stdin, or @FILE")
	fl.StringSliceVarP(&opts.Labels, "label", "l", nil, "+name adds a label, -name removes one")
	fl.StringVar(&opts.Priority, "priority", "", "priority `NAME`")
	fl.StringArrayVar(&opts.Fields, "field", nil, "set a field: \"Name=value\" (repeatable)")
	fl.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Run edits the ticket.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := ticket.Change{Summary: opts.Summary, Priority: opts.Priority}
	if opts.Description != nil {
		d, err := factory.ReadText(opts.IO.In, opts.WorkDir, *opts.Description, "description", "-d")
		if err != nil {
			return err
		}
		c.Description = &d
	}
	for _, l := range opts.Labels {
		switch l = strings.TrimSpace(l); {
		case strings.HasPrefix(l, "-"):
			c.DropLabels = append(c.DropLabels, l[1:])
		default:
			c.AddLabels = append(c.AddLabels, strings.TrimPrefix(l, "+"))
		}
	}
	for _, fv := range opts.Fields {
		k, v, _ := strings.Cut(fv, "=")
		c.Fields = append(c.Fields, tm.FieldValue{Name: k, Value: v})
	}
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	if err := factory.Tickets(opts.Cache, j).Edit(ctx, opts.Key, c); err != nil {
		return j.Fail(err)
	}
	key := strings.ToUpper(strings.TrimSpace(opts.Key))
	factory.Remember(opts.Cache, key)
	if opts.JSON {
		return factory.WriteJSON(opts.IO.Out, map[string]string{"key": key, "url": j.BrowseURL(key)})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "Updated %s\n%s\n", key, j.BrowseURL(key))
	return err
}
