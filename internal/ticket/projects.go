package ticket

import (
	"context"
	"sync"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// MaxProjectConcurrency caps the pages of projects in flight at once. The
// only concurrency Atlassian has put a number on is 50 requests at once
// (JRACLOUD-69262: the 51st is answered 429), so a site of up to 5,000
// projects is listed in two round trips — the first page, then every other
// page together — and a 429 halves the window (window.go).
const MaxProjectConcurrency = 50

// MaxRequestsInFlight is the most requests an operation of this package
// has in flight at once: what a client should keep connections open for.
const MaxRequestsInFlight = max(MaxProjectConcurrency, BulkConcurrency, fetchConcurrency)

// ProjectListing says which projects to list and how.
type ProjectListing struct {
	Query string // only projects whose key or name contains it
	// Concurrency bounds the pages in flight at once (0: as many as there
	// are pages, at most MaxProjectConcurrency).
	Concurrency int
	// LastTotal and SaveTotal remember how many projects the last listing
	// found, so that the next one fetches every page alongside the first.
	// Either may be nil.
	LastTotal func(site, query string) int
	SaveTotal func(site, query string, total int)
}

// Projects hands each page of the projects the caller can see to emit in
// order, and returns how many there were. emit must not keep the slice
// it is given: its array is reused for a later page. Cloud: the first page of
// project/search tells the total. When the last listing left a total
// behind, pages 2..n go out alongside the first; otherwise right after it.
// At most Concurrency pages are in flight and never more than that many
// ahead of the one emitted next, so memory stays bounded however many
// projects there are. Data Center lists all in one call. Errors are Jira's,
// unexplained: a refused listing is explained by the front end, in its
// terms.
func (s *Service) Projects(ctx context.Context, l ProjectListing, emit func([]tm.Project) error) (int, error) {
	c := s.jira
	if c.DataCenter() {
		ps, err := c.AllProjects(ctx, l.Query)
		if err != nil {
			return 0, err
		}
		return len(ps), emit(ps)
	}
	size := jira.ProjectPageSize
	hint := 0
	if l.LastTotal != nil {
		hint = l.LastTotal(c.SiteURL(), l.Query)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := newFetcher(ctx, c, l, size)
	f.want(pagesOf(hint, size))
	first := f.wait(0)
	if first.err != nil {
		return 0, first.err
	}
	if first.page.MaxResults > 0 && first.page.MaxResults != size {
		// The server pages differently than asked: pages fetched on the
		// hint are misaligned; start over from what it said.
		f.abandon()
		size = first.page.MaxResults
		f = newFetcher(ctx, c, l, size)
		f.next = 1
	}
	total := first.page.Total
	if l.SaveTotal != nil && total != hint {
		defer l.SaveTotal(c.SiteURL(), l.Query, total)
	}
	more := !first.page.IsLast && len(first.page.Projects) > 0
	pages := 0
	if more && total > len(first.page.Projects) {
		// The rest go out before the first page is shown: printing it
		// to a terminal is no reason for them to wait.
		pages = pagesOf(total, size)
		f.want(pages)
	}
	n := len(first.page.Projects)
	if err := emit(first.page.Projects); err != nil {
		return n, err
	}
	if !more {
		return n, nil
	}
	if pages == 0 {
		// No usable total: walk the pages one after another.
		f.abandon()
		for start := len(first.page.Projects); ; {
			p, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: l.Query, StartAt: start, MaxResults: size})
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
	for i := 1; i < pages; i++ {
		r := f.wait(i)
		if r.err != nil {
			return n, r.err
		}
		n += len(r.page.Projects)
		if err := emit(r.page.Projects); err != nil {
			return n, err
		}
		f.spare = append(f.spare, r.page.Projects)
		f.want(pages)
	}
	// Pages fetched on a hint larger than the total are empty; drop them.
	f.abandon()
	return n, nil
}

// AllProjects is every project the caller can see, in key order, for a
// front end that shows the whole list at once. Errors are Projects'.
func (s *Service) AllProjects(ctx context.Context, query string) ([]tm.Project, error) {
	all := []tm.Project{}
	if _, err := s.Projects(ctx, ProjectListing{Query: query}, func(ps []tm.Project) error {
		all = append(all, ps...)
		return nil
	}); err != nil {
		return nil, err
	}
	return all, nil
}

func pagesOf(total, size int) int { return (total + size - 1) / size }

// fetcher keeps up to a window of pages in flight, in page order.
type fetcher struct {
	ctx   context.Context
	c     *jira.Client
	query string
	size  int
	next  int // the next page to launch
	done  int // pages handed out by wait
	slots map[int]chan pageResult
	win   *window
	// spare holds emitted pages' arrays for pages yet to launch, so a
	// listing of any length holds about a window of pages' memory.
	spare [][]tm.Project
}

type pageResult struct {
	page jira.ProjectPage
	err  error
}

func newFetcher(ctx context.Context, c *jira.Client, l ProjectListing, size int) *fetcher {
	w := l.Concurrency
	if w <= 0 {
		w = MaxProjectConcurrency
	}
	f := &fetcher{c: c, query: l.Query, size: size, slots: map[int]chan pageResult{}, win: newWindow(w)}
	f.ctx = f.win.watch(ctx)
	return f
}

// want launches pages up to (not including) pages while the window allows;
// page 0 is always launched.
func (f *fetcher) want(pages int) {
	pages = max(pages, 1)
	window := f.win.size()
	for f.next < pages && f.next-f.done < window {
		i := f.next
		f.next++
		ch := make(chan pageResult, 1)
		f.slots[i] = ch
		var into []tm.Project
		if k := len(f.spare); k > 0 {
			into, f.spare = f.spare[k-1], f.spare[:k-1]
		}
		go func() {
			f.win.held(f.ctx)
			p, err := f.c.SearchProjects(f.ctx, jira.ProjectQuery{Query: f.query, StartAt: i * f.size, MaxResults: f.size, Into: into})
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

// Access is what the caller may do in a project, from one round trip.
type Access struct {
	Account     tm.Account
	Permissions map[string]bool // by Jira's permission key
}

// Permissions asks who the caller is and which of keys they hold in
// project, both at once. A project the caller cannot see is explained as
// a missing project.
func (s *Service) Permissions(ctx context.Context, project string, keys ...string) (Access, error) {
	var (
		wg          sync.WaitGroup
		a           Access
		perms       map[string]jira.Permission
		meErr, pErr error
	)
	wg.Go(func() { a.Account, meErr = s.jira.Myself(ctx) })
	wg.Go(func() { perms, pErr = s.jira.MyPermissions(ctx, project, keys...) })
	wg.Wait()
	if meErr != nil {
		return Access{}, Explain(meErr, About{})
	}
	if pErr != nil {
		return Access{}, Explain(pErr, About{Project: project})
	}
	a.Permissions = make(map[string]bool, len(keys))
	for _, k := range keys {
		a.Permissions[k] = perms[k].HavePermission
	}
	return a, nil
}
