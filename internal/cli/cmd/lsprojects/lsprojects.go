// Package lsprojects owns "tm ls-projects": every project the credentials
// can see, streamed in key order — a table on a terminal, tab-separated
// lines in a pipe, a JSON array with --json. It imports the CLI factory,
// the config and jira packages and the domain.
package lsprojects

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/jira"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)

	Query string
	JSON  bool
	Plain bool
	// Concurrency bounds the pages fetched at once after the first (default 8).
	Concurrency int
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "ls-projects",
		Short: "List the Jira projects you can see",
		Long: `List every Jira project your credentials can see, by key: a table on a
terminal, tab-separated lines (key, name, type, style) when piped, or a JSON
array with --json. When the list is empty, tm says what to check.`,
		Example: "  tm ls-projects\n  tm ls-projects --query mobile\n  tm ls-projects --json | jq -r '.[].key'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.JSON && opts.Plain {
				return factory.Usagef(fmt.Errorf("--json and --plain cannot be used together"))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Query, "query", "q", "", "only projects whose key or name contains `TEXT` (case-insensitive)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&opts.Plain, "plain", false, "print tab-separated lines, also on a terminal")
	return cmd
}

// DefaultConcurrency is how many pages are in flight at once: enough to
// hide latency, few enough to stay clear of Jira's burst limits.
const DefaultConcurrency = 8

// Run lists the projects.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, done := progress.Begin(ctx, opts.IO, "Listing projects…")
	defer done()
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	out := newPrinter(opts)
	n, err := stream(ctx, j.Client, opts, func(ps []tm.Project) error { done(); return out.page(ps) })
	done()
	if err != nil {
		return j.Explain(err, factory.About{ListingProject: true})
	}
	if err := out.close(); err != nil {
		return err
	}
	switch {
	case n == 0 && opts.Query != "":
		fmt.Fprintf(opts.IO.ErrOut, "No project's key or name contains %q.\n", opts.Query)
	case n == 0:
		return &tm.Error{Code: tm.ENOTFOUND, Message: "No projects found: Jira lists none for these credentials", Hint: j.NoProjectsHint()}
	case opts.IO.IsStdoutTTY() && !opts.JSON:
		fmt.Fprintf(opts.IO.ErrOut, "%d projects\n", n)
	}
	return nil
}

// stream hands each page to emit in order and returns the number of
// projects. Cloud: the first page of project/search tells the total; the
// other pages are fetched concurrently, at most Concurrency at a time and
// never more than that many ahead of the one printed next, so memory stays
// bounded however many projects there are. Data Center lists all in one call.
func stream(ctx context.Context, c *jira.Client, opts *Options, emit func([]tm.Project) error) (int, error) {
	if c.DataCenter() {
		ps, err := c.AllProjects(ctx, opts.Query)
		if err != nil {
			return 0, err
		}
		return len(ps), emit(ps)
	}
	first, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: opts.Query})
	if err != nil {
		return 0, err
	}
	n := len(first.Projects)
	if err := emit(first.Projects); err != nil {
		return n, err
	}
	size := first.MaxResults
	if size <= 0 {
		size = max(len(first.Projects), 1)
	}
	if first.IsLast || len(first.Projects) == 0 {
		return n, nil
	}
	if first.Total <= len(first.Projects) {
		// No usable total: walk the pages one after another.
		for start := len(first.Projects); ; {
			p, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: opts.Query, StartAt: start, MaxResults: size})
			if err != nil {
				return n, err
			}
			n += len(p.Projects)
			if err := emit(p.Projects); err != nil {
				return n, err
			}
			start += len(p.Projects)
			if p.IsLast || len(p.Projects) == 0 {
				return n, nil
			}
		}
	}

	pages := (first.Total + size - 1) / size
	window := opts.Concurrency
	if window <= 0 {
		window = DefaultConcurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		page jira.ProjectPage
		err  error
	}
	slots := make(map[int]chan result, window)
	next := 1
	launch := func() {
		i := next
		next++
		ch := make(chan result, 1)
		slots[i] = ch
		go func() {
			p, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: opts.Query, StartAt: i * size, MaxResults: size})
			ch <- result{p, err}
		}()
	}
	for next < pages && next <= window {
		launch()
	}
	for i := 1; i < pages; i++ {
		r := <-slots[i]
		delete(slots, i)
		if r.err != nil {
			return n, r.err
		}
		if next < pages {
			launch()
		}
		n += len(r.page.Projects)
		if err := emit(r.page.Projects); err != nil {
			return n, err
		}
	}
	return n, nil
}

// printer writes projects as they come, in the chosen format.
type printer struct {
	w      io.Writer
	format string // "json", "table" or "plain"
	table  *output.Table
	count  int
	err    error
}

func newPrinter(opts *Options) *printer {
	p := &printer{w: opts.IO.Out, format: "plain"}
	switch {
	case opts.JSON:
		p.format = "json"
	case opts.IO.IsStdoutTTY() && !opts.Plain:
		p.format = "table"
		// Sized from the first page, so rows still print as pages arrive.
		p.table = output.NewTable(opts.IO, "KEY", "NAME", "TYPE", "STYLE")
	}
	return p
}

func (p *printer) page(ps []tm.Project) error {
	var b strings.Builder
	for _, pr := range ps {
		switch p.format {
		case "json":
			data, err := factory.MarshalJSON(pr, "", "")
			if err != nil {
				return err
			}
			if p.count == 0 {
				b.WriteString("[\n  ")
			} else {
				b.WriteString(",\n  ")
			}
			b.Write(data)
		case "table":
			if err := p.table.Row(pr.Key, pr.Name, pr.TypeKey, styleLabel(pr.Style)); err != nil {
				return err
			}
		default:
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", pr.Key, tabless(pr.Name), pr.TypeKey, pr.Style)
		}
		p.count++
	}
	if p.table != nil {
		return p.table.Flush()
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

func (p *printer) close() error {
	if p.table != nil {
		return p.table.Flush()
	}
	if p.format != "json" {
		return nil
	}
	s := "\n]\n"
	if p.count == 0 {
		s = "[]\n"
	}
	_, err := io.WriteString(p.w, s)
	return err
}

func styleLabel(s string) string {
	switch s {
	case "classic":
		return "company-managed"
	case "next-gen":
		return "team-managed"
	}
	return s
}

// tabless keeps a name from breaking the tab-separated columns.
func tabless(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
