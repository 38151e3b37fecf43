// Package lsprojects owns "tm ls-projects": every project the credentials
// can see, streamed in key order — a table on a terminal, tab-separated
// lines in a pipe, a JSON array with --json. It imports the CLI factory,
// the config and jira packages and the domain.
package lsprojects

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
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
	// Concurrency bounds the pages in flight at once (default: as many as
	// there are pages, at most MaxConcurrency).
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

// MaxConcurrency caps the pages in flight at once: enough that 5,000
// projects take two waves, few enough to stay inside the request bursts
// Atlassian's rate limiter allows one user.
const MaxConcurrency = 32

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
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	out := newPrinter(opts)
	n, err := stream(ctx, j.Client, opts, out.page)
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
// projects. Cloud: the first page of project/search tells the total. When
// the last listing left a total behind, pages 2..n go out alongside the
// first; otherwise right after it. At most Concurrency pages are in flight
// and never more than that many ahead of the one printed next, so memory
// stays bounded however many projects there are. Data Center lists all in
// one call.
func stream(ctx context.Context, c *jira.Client, opts *Options, emit func([]tm.Project) error) (int, error) {
	if c.DataCenter() {
		ps, err := c.AllProjects(ctx, opts.Query)
		if err != nil {
			return 0, err
		}
		return len(ps), emit(ps)
	}
	size := jira.ProjectPageSize
	hint := 0
	if opts.LastTotal != nil {
		hint = opts.LastTotal(c.SiteURL(), opts.Query)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := newFetcher(ctx, c, opts, size)
	f.want(pagesOf(hint, size))
	first := f.wait(0)
	if first.err != nil {
		return 0, first.err
	}
	n := len(first.page.Projects)
	if err := emit(first.page.Projects); err != nil {
		return n, err
	}
	if first.page.MaxResults > 0 && first.page.MaxResults != size {
		// The server pages differently than asked: pages fetched on the
		// hint are misaligned; start over from what it said.
		f.abandon()
		size = first.page.MaxResults
		f = newFetcher(ctx, c, opts, size)
		f.next = 1
	}
	total := first.page.Total
	if opts.SaveTotal != nil && total != hint {
		defer opts.SaveTotal(c.SiteURL(), opts.Query, total)
	}
	if first.page.IsLast || len(first.page.Projects) == 0 {
		return n, nil
	}
	if total <= len(first.page.Projects) {
		// No usable total: walk the pages one after another.
		f.abandon()
		for start := len(first.page.Projects); ; {
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
	pages := pagesOf(total, size)
	f.want(pages)
	for i := 1; i < pages; i++ {
		r := f.wait(i)
		if r.err != nil {
			return n, r.err
		}
		f.want(pages)
		n += len(r.page.Projects)
		if err := emit(r.page.Projects); err != nil {
			return n, err
		}
	}
	// Pages fetched on a hint larger than the total are empty; drop them.
	f.abandon()
	return n, nil
}

func pagesOf(total, size int) int { return (total + size - 1) / size }

// fetcher keeps up to window pages in flight, in page order.
type fetcher struct {
	ctx    context.Context
	c      *jira.Client
	query  string
	size   int
	window int
	next   int // the next page to launch
	done   int // pages handed out by wait
	slots  map[int]chan pageResult
}

type pageResult struct {
	page jira.ProjectPage
	err  error
}

func newFetcher(ctx context.Context, c *jira.Client, opts *Options, size int) *fetcher {
	w := opts.Concurrency
	if w <= 0 {
		w = MaxConcurrency
	}
	return &fetcher{ctx: ctx, c: c, query: opts.Query, size: size, window: w, slots: map[int]chan pageResult{}}
}

// want launches pages up to (not including) pages while the window allows;
// page 0 is always launched.
func (f *fetcher) want(pages int) {
	pages = max(pages, 1)
	for f.next < pages && f.next-f.done < f.window {
		i := f.next
		f.next++
		ch := make(chan pageResult, 1)
		f.slots[i] = ch
		go func() {
			p, err := f.c.SearchProjects(f.ctx, jira.ProjectQuery{Query: f.query, StartAt: i * f.size, MaxResults: f.size})
			ch <- pageResult{p, err}
		}()
	}
}

// wait returns page i, launching it first if it is not in flight.
func (f *fetcher) wait(i int) pageResult {
	if _, ok := f.slots[i]; !ok {
		f.next = max(f.next, i)
		f.done = i
		f.want(i + 1)
	}
	r := <-f.slots[i]
	delete(f.slots, i)
	f.done = i + 1
	return r
}

// abandon forgets the pages in flight (their results land in buffered
// channels; the caller's cancel stops the requests).
func (f *fetcher) abandon() { clear(f.slots) }

// printer writes projects as they come, in the chosen format.
type printer struct {
	w      io.Writer
	format string // "json", "table" or "plain"
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
	}
	return p
}

// Column widths of the terminal table. Fixed, so rows print as they
// arrive; a longer key or name widens its own row only.
const (
	keyWidth  = 10
	nameWidth = 40
	typeWidth = 13
)

func (p *printer) page(ps []tm.Project) error {
	var b strings.Builder
	for _, pr := range ps {
		switch p.format {
		case "json":
			data, err := json.Marshal(pr)
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
			if p.count == 0 {
				fmt.Fprintf(&b, "%-*s  %-*s  %-*s  %s\n", keyWidth, "KEY", nameWidth, "NAME", typeWidth, "TYPE", "STYLE")
			}
			fmt.Fprintf(&b, "%-*s  %s  %-*s  %s\n", keyWidth, pr.Key, pad(pr.Name, nameWidth), typeWidth, pr.TypeKey, styleLabel(pr.Style))
		default:
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", pr.Key, tabless(pr.Name), pr.TypeKey, pr.Style)
		}
		p.count++
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

func (p *printer) close() error {
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

// pad cuts or pads s to n characters.
func pad(s string, n int) string {
	if l := utf8.RuneCountInString(s); l > n {
		r := []rune(s)
		return string(r[:n-1]) + "…"
	} else {
		return s + strings.Repeat(" ", n-l)
	}
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
