// Package lsprojects owns "tm ls-projects": every project the credentials
// can see, streamed in key order — a table on a terminal, tab-separated
// lines in a pipe, a JSON array with --json. It imports the CLI factory,
// the config and jira packages and the domain.
package lsprojects

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)

	Query string
	JSON  bool
	Plain bool
	// Concurrency bounds the pages in flight at once (default: as many as
	// there are pages, at most ticket.MaxProjectConcurrency).
	Concurrency int
	// LastTotal and SaveTotal remember how many projects the last listing
	// found, so that the next one fetches every page alongside the first.
	LastTotal func(site, query string) int
	SaveTotal func(site, query string, total int)
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect,
		LastTotal: func(site, query string) int {
			var c cachedTotal
			if f.ReadCache(totalCacheName(site, query), totalTTL, &c) {
				return c.Total
			}
			return 0
		},
		SaveTotal: func(site, query string, total int) {
			_ = f.WriteCache(totalCacheName(site, query), cachedTotal{Total: total}) // a lost hint costs one round trip
		}}
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

// totalTTL is how long a remembered project count is trusted as a hint.
const totalTTL = 24 * time.Hour

type cachedTotal struct {
	Total int `json:"total"`
}

func totalCacheName(site, query string) string {
	return "project-total-" + factory.CacheKey(site, query)
}

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
	n, err := ticket.New(j.Client, nil).Projects(ctx, ticket.ProjectListing{
		Query: opts.Query, Concurrency: opts.Concurrency, LastTotal: opts.LastTotal, SaveTotal: opts.SaveTotal,
	}, func(ps []tm.Project) error { done(); return out.page(ps) })
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

// printer writes projects as they come, in the chosen format. Rows go
// through one buffer, written out after each page: the same memory for
// every page, however many there are.
type printer struct {
	w      *bufio.Writer
	format string // "json", "table" or "plain"
	table  *output.Table
	count  int
}

func newPrinter(opts *Options) *printer {
	p := &printer{w: bufio.NewWriterSize(opts.IO.Out, 32<<10), format: "plain"}
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
	if p.table != nil {
		for _, pr := range ps {
			if err := p.table.Row(pr.Key, pr.Name, pr.TypeKey, styleLabel(pr.Style)); err != nil {
				return err
			}
		}
		p.count += len(ps)
		return p.table.Flush()
	}
	w := p.w
	for _, pr := range ps {
		if p.format == "json" {
			data, err := factory.MarshalJSON(pr, "", "")
			if err != nil {
				return err
			}
			if p.count == 0 {
				w.WriteString("[\n  ")
			} else {
				w.WriteString(",\n  ")
			}
			w.Write(data)
		} else {
			for i, f := range [...]string{pr.Key, tabless(pr.Name), pr.TypeKey, pr.Style} {
				if i > 0 {
					w.WriteByte('\t')
				}
				w.WriteString(f)
			}
			w.WriteByte('\n')
		}
		p.count++
	}
	return w.Flush()
}

func (p *printer) close() error {
	if p.table != nil {
		return p.table.Flush()
	}
	if p.format != "json" {
		return nil
	}
	if p.count == 0 {
		p.w.WriteString("[]\n")
	} else {
		p.w.WriteString("\n]\n")
	}
	return p.w.Flush()
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
	if !strings.ContainsAny(s, "\t\r\n") {
		return s // almost every name: no copy
	}
	return output.OneLine(s)
}
