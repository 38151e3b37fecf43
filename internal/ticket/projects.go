package ticket

import (
	"context"
	"sync"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// ProjectConcurrency is how many pages of projects are in flight at once:
// enough to hide latency, few enough to stay clear of Jira's burst limits.
const ProjectConcurrency = 8

// Projects hands each page of the projects the caller can see (whose key
// or name contains query, when set) to emit in order, and returns how many
// there were. Cloud: the first page of project/search tells the total; the
// other pages are fetched concurrently, at most concurrency at a time
// (0: ProjectConcurrency) and never more than that many ahead of the one
// emitted next, so memory stays bounded however many projects there are.
// Data Center lists all in one call. Errors are Jira's, unexplained: a
// refused listing is explained by the front end, in its terms.
func (s *Service) Projects(ctx context.Context, query string, concurrency int, emit func([]tm.Project) error) (int, error) {
	c := s.jira
	if c.DataCenter() {
		ps, err := c.AllProjects(ctx, query)
		if err != nil {
			return 0, err
		}
		return len(ps), emit(ps)
	}
	first, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: query})
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
			p, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: query, StartAt: start, MaxResults: size})
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
	window := concurrency
	if window <= 0 {
		window = ProjectConcurrency
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
			p, err := c.SearchProjects(ctx, jira.ProjectQuery{Query: query, StartAt: i * size, MaxResults: size})
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
