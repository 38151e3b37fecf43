// Package view owns "tm view": one ticket — its fields, links, description
// as terminal text and newest comments — read in one round trip. It
// imports the CLI factory, the config, the ticket service and the domain.
package view

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Cache   factory.Cache
	Browser func(url string) error // --open

	Key      string
	Comments int
	JSON     bool
	Plain    bool
	Open     bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f, Browser: f.Browser}
	cmd := &cobra.Command{
		Use:   "view KEY",
		Short: "Show a ticket",
		Long: `Show a ticket: summary, status, type, priority, people, labels, dates,
parent, sub-tasks and links, the description as text, and the newest
comments (--comments N). --json prints the fields documented in the README.`,
		Example:           "  tm view SPACE2-42\n  tm view SPACE2-42 --comments 10\n  tm view SPACE2-42 --json | jq -r .status",
		Args:              factory.Args(cobra.ExactArgs(1)),
		ValidArgsFunction: factory.CompleteIssueKeys(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if opts.JSON && opts.Plain {
				return factory.Usagef(fmt.Errorf("--json and --plain cannot be used together"))
			}
			if opts.Comments < 0 {
				return factory.Usagef(fmt.Errorf("--comments wants a number of comments, 0 or more"))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVarP(&opts.Comments, "comments", "c", 3, "show the newest `N` comments")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the ticket as JSON")
	cmd.Flags().BoolVar(&opts.Plain, "plain", false, "print tab-separated field/value lines")
	cmd.Flags().BoolVar(&opts.Open, "open", false, "open the ticket in the browser too")
	return cmd
}

// Run shows the ticket.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, done := progress.Begin(ctx, opts.IO, "Reading "+opts.Key+"…")
	defer done()
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	is, err := factory.Tickets(opts.Cache, j).Get(ctx, opts.Key, opts.Comments)
	done()
	if err != nil {
		return j.Fail(err)
	}
	factory.Remember(opts.Cache, is.Key)
	switch {
	case opts.JSON:
		err = factory.WriteJSON(opts.IO.Out, is)
	case opts.Plain:
		err = plain(opts.IO.Out, is)
	default:
		err = text(opts.IO.Out, is)
	}
	if err != nil {
		return err
	}
	if opts.Open && opts.Browser != nil {
		if opts.Browser(is.URL) != nil {
			fmt.Fprintf(opts.IO.ErrOut, "Could not open a browser; the link is %s\n", is.URL)
		}
	}
	return nil
}

func name(p *tm.Person) string {
	if p == nil {
		return "Unassigned"
	}
	return p.Name
}

func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func ref(r tm.IssueRef) string {
	s := r.Key
	if r.Status != "" {
		s += " [" + r.Status + "]"
	}
	if r.Summary != "" {
		s += " " + r.Summary
	}
	return s
}

// text is the view for people.
func text(w io.Writer, is tm.Issue) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", is.Key, is.Summary)
	fmt.Fprintf(&b, "Status: %s · Type: %s", is.Status, is.Type)
	if is.Priority != "" {
		fmt.Fprintf(&b, " · Priority: %s", is.Priority)
	}
	fmt.Fprintf(&b, "\nAssignee: %s · Reporter: %s\n", name(is.Assignee), name(is.Reporter))
	if len(is.Labels) > 0 {
		fmt.Fprintf(&b, "Labels: %s\n", strings.Join(is.Labels, ", "))
	}
	fmt.Fprintf(&b, "Created: %s · Updated: %s\n", day(is.Created), day(is.Updated))
	if is.Parent != nil {
		fmt.Fprintf(&b, "Parent: %s\n", ref(*is.Parent))
	}
	if len(is.Subtasks) > 0 {
		b.WriteString("Sub-tasks:\n")
		for _, s := range is.Subtasks {
			fmt.Fprintf(&b, "  %s\n", ref(s))
		}
	}
	if len(is.Links) > 0 {
		b.WriteString("Links:\n")
		for _, l := range is.Links {
			fmt.Fprintf(&b, "  %s %s\n", l.Relation, ref(l.Issue))
		}
	}
	fmt.Fprintf(&b, "%s\n", is.URL)
	if is.Description != "" {
		fmt.Fprintf(&b, "\n%s\n", indent(is.Description, "  "))
	}
	if len(is.Comments) > 0 {
		fmt.Fprintf(&b, "\nComments (newest %d of %d):\n", len(is.Comments), is.CommentCount)
		for _, c := range is.Comments {
			fmt.Fprintf(&b, "\n  %s · %s\n%s\n", c.Author, day(c.Created), indent(c.Body, "    "))
		}
	} else if is.CommentCount > 0 {
		fmt.Fprintf(&b, "\n%d comments\n", is.CommentCount)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// plain is one "field<TAB>value" line per field, for scripts; line breaks
// in values become spaces.
func plain(w io.Writer, is tm.Issue) error {
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	rows := [][2]string{{"key", is.Key}, {"summary", is.Summary}, {"status", is.Status}, {"type", is.Type},
		{"priority", is.Priority}, {"assignee", name(is.Assignee)}, {"reporter", name(is.Reporter)},
		{"labels", strings.Join(is.Labels, ",")}, {"created", day(is.Created)}, {"updated", day(is.Updated)},
		{"url", is.URL}, {"description", flat(is.Description)}}
	if is.Parent != nil {
		rows = append(rows, [2]string{"parent", is.Parent.Key})
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\n", r[0], flat(r[1]))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "\n")
}
