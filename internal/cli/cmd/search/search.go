// Package search owns "tm search": issues by JQL or by filters that tm
// turns into JQL, streamed as Jira's pages arrive — a table on a terminal,
// tab-separated lines in a pipe, CSV, or JSON. It imports the CLI factory,
// the config, the ticket service and the domain.
package search

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

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
	Cache   factory.Cache

	Query ticket.Query
	JSON  bool
	CSV   bool
	Plain bool
	Count bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f}
	q := &opts.Query
	cmd := &cobra.Command{
		Use:   "search [JQL] [flags]",
		Short: "Find tickets by JQL or filters",
		Long: `Find tickets. Give JQL, filters, or both: the filters are quoted as JQL
needs and ANDed with the JQL. Without either, the configured project is
searched. Rows appear as Jira's pages arrive; --all reads every match,
--count asks Jira only for how many (approximately, on Cloud).

Columns: key, status, type, priority, assignee, updated, summary. --json
prints an array of the fields documented in the README.`,
		Example: `  tm search --assignee me --status "In Progress"
  tm search 'project = SPACE2 AND created >= -7d' --all --csv > week.csv
  tm search --text "login page" --type Bug --count`,
		Args: factory.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				q.JQL = args[0]
			}
			n := 0
			for _, on := range []bool{opts.JSON, opts.CSV, opts.Plain} {
				if on {
					n++
				}
			}
			if n > 1 {
				return factory.Usagef(fmt.Errorf("choose one of --json, --csv and --plain"))
			}
			if q.Limit < 0 {
				return factory.Usagef(fmt.Errorf("--limit wants a number of tickets, 1 or more"))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&q.Project, "project", "p", "", "only this project `KEY`")
	fl.StringVarP(&q.Assignee, "assignee", "a", "", "me, none, an email address or an account id")
	fl.StringSliceVarP(&q.Status, "status", "s", nil, "status `NAME`s, any of (comma-separated or repeated)")
	fl.StringSliceVarP(&q.Type, "type", "t", nil, "issue type `NAME`s, any of")
	fl.StringSliceVarP(&q.Label, "label", "l", nil, "labels, any of")
	fl.StringVar(&q.Text, "text", "", "words to find in summary, description and comments")
	fl.IntVarP(&q.Limit, "limit", "n", ticket.DefaultLimit, "show at most `N` tickets")
	fl.BoolVar(&q.All, "all", false, "show every match (overrides --limit)")
	fl.StringSliceVar(&q.Fields, "fields", nil, "Jira fields to read (with --json)")
	fl.BoolVar(&opts.JSON, "json", false, "print a JSON array")
	fl.BoolVar(&opts.CSV, "csv", false, "print CSV with a header")
	fl.BoolVar(&opts.Plain, "plain", false, "print tab-separated lines, also on a terminal")
	fl.BoolVar(&opts.Count, "count", false, "print only how many tickets match")
	_ = cmd.RegisterFlagCompletionFunc("project", factory.CompleteProjects(f))
	return cmd
}

// Run searches.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, done := progress.Begin(ctx, opts.IO, "Searching…")
	defer done()
	j, err := opts.Connect(ctx, config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Query.Project})
	if err != nil {
		return err
	}
	q := opts.Query
	if q.Unfiltered() {
		q.Project = j.ProjectKey(opts.IO.ErrOut)
	}
	svc := factory.Tickets(opts.Cache, j)
	if opts.Count {
		n, err := svc.Count(ctx, q)
		done()
		if err != nil {
			return j.Fail(err)
		}
		if opts.JSON {
			return factory.WriteJSON(opts.IO.Out, map[string]int{"count": n})
		}
		_, err = fmt.Fprintln(opts.IO.Out, n)
		return err
	}
	out := newPrinter(opts)
	var keys []string
	err = svc.Search(ctx, q, func(page []tm.Issue) error {
		done()
		for _, is := range page[:min(len(page), 20-len(keys))] {
			keys = append(keys, is.Key)
		}
		return out.page(page)
	})
	done()
	if cerr := out.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return j.Fail(err)
	}
	factory.Remember(opts.Cache, keys...)
	if out.n == 0 && !opts.JSON {
		fmt.Fprintln(opts.IO.ErrOut, "No tickets match.")
	} else if out.n == q.Limit && !q.All && opts.IO.IsStdoutTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "Showing the first %d; --all shows every match, --count how many there are.\n", out.n)
	}
	return nil
}

// printer writes rows as they come, in the chosen format: each page of
// rows in one write, not one a row.
type printer struct {
	format string // "json", "csv", "table" or "plain"
	w      io.Writer
	buf    []byte // a page's rows, reused for the next page
	table  *output.Table
	csv    *csv.Writer
	n      int
}

// sink lets the CSV writer append a page's rows to the printer's buffer.
type sink struct{ p *printer }

func (s sink) Write(b []byte) (int, error) { s.p.buf = append(s.p.buf, b...); return len(b), nil }

func newPrinter(opts *Options) *printer {
	p := &printer{w: opts.IO.Out, format: "plain"}
	switch {
	case opts.JSON:
		p.format = "json"
	case opts.CSV:
		p.format = "csv"
		p.csv = csv.NewWriter(sink{p})
		_ = p.csv.Write(columns)
	case opts.IO.IsStdoutTTY() && !opts.Plain:
		p.format = "table"
		p.table = output.NewTable(opts.IO, strings.Fields(strings.ToUpper(strings.Join(columns, " ")))...)
	}
	return p
}

var columns = []string{"key", "status", "type", "priority", "assignee", "updated", "summary"}

// page writes a page of rows.
func (p *printer) page(page []tm.Issue) error {
	for _, is := range page {
		if err := p.row(is); err != nil {
			return err
		}
	}
	return p.flush()
}

// flush writes what the rows so far left in the buffer.
func (p *printer) flush() error {
	if p.csv != nil {
		p.csv.Flush() // into buf
	}
	if len(p.buf) == 0 {
		return nil
	}
	_, err := p.w.Write(p.buf)
	p.buf = p.buf[:0]
	return err
}

func (p *printer) row(is tm.Issue) error {
	p.n++
	if p.format == "json" {
		sep := ",\n  "
		if p.n == 1 {
			sep = "[\n  "
		}
		b, err := factory.MarshalJSON(is, "  ", "  ")
		if err != nil {
			return err
		}
		p.buf = append(append(p.buf, sep...), b...)
		return nil
	}
	assignee := ""
	if is.Assignee != nil {
		assignee = is.Assignee.Name
	}
	var date [len(time.DateOnly)]byte
	updated := ""
	if !is.Updated.IsZero() {
		updated = string(is.Updated.AppendFormat(date[:0], time.DateOnly))
	}
	switch p.format {
	case "csv":
		return p.csv.Write([]string{is.Key, is.Status, is.Type, is.Priority, assignee, updated, is.Summary})
	case "table":
		err := p.table.Row(is.Key, is.Status, is.Type, is.Priority, assignee, updated, is.Summary)
		if p.n%50 == 0 {
			return p.table.Flush() // rows appear as pages arrive, sized by the first
		}
		return err
	}
	for i, c := range [...]string{is.Key, is.Status, is.Type, is.Priority, assignee, updated, is.Summary} {
		if i > 0 {
			p.buf = append(p.buf, '\t')
		}
		p.buf = appendOneLine(p.buf, c)
	}
	p.buf = append(p.buf, '\n')
	return nil
}

// appendOneLine appends c with its runs of white space (as strings.Fields
// finds them) made one space and its ends trimmed, so that a cell never
// breaks a tab-separated line. A cell that needs no change, the usual
// one, is appended as it is.
func appendOneLine(b []byte, c string) []byte {
	for i := 0; i < len(c); i++ {
		switch ch := c[i]; {
		case ch >= utf8.RuneSelf, ch == ' ' && (i == 0 || i == len(c)-1 || c[i+1] == ' '), ch != ' ' && asciiSpace(ch):
			for j, f := range strings.Fields(c) {
				if j > 0 {
					b = append(b, ' ')
				}
				b = append(b, f...)
			}
			return b
		}
	}
	return append(b, c...)
}

// asciiSpace is unicode.IsSpace for a byte below utf8.RuneSelf.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func (p *printer) close() error {
	switch p.format {
	case "json":
		end := "\n]\n"
		if p.n == 0 {
			end = "[]\n"
		}
		p.buf = append(p.buf, end...)
	case "table":
		return p.table.Flush()
	}
	return p.flush()
}
