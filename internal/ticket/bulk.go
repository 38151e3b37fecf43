package ticket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// Row is one ticket of a bulk create and the line of the input it came
// from, so that every answer can point back at it.
type Row struct {
	Line  int
	Draft tm.TicketDraft
}

// RowResult is what became of one row: a ticket, or why not.
type RowResult struct {
	Line   int
	Ticket tm.Ticket // Key is "" when the row was not created
	Err    error
}

// BulkOptions tune CreateMany.
type BulkOptions struct {
	// Concurrency bounds the bulk requests in flight (default
	// BulkConcurrency). A 429 halves it for the rest of the run, and no
	// new request goes out before the wait Jira asked for.
	Concurrency int
	// Progress hears how many rows have an answer, of how many.
	Progress func(done, total int)
	// Lookups, when not nil, is what StartLookups began before the rows
	// were read.
	Lookups *Lookups
}

// Lookups is what a bulk create asks Jira for and its rows share: each
// project's issue types, each person named by email.
type Lookups struct {
	cache *memo
	users *userMemo
}

func (s *Service) newLookups() *Lookups {
	return &Lookups{cache: newMemo(s.cache), users: &userMemo{}}
}

// StartLookups starts reading the issue types of projects before the
// rows are read, so that the round trip overlaps the reading: a front end
// passes the project that rows naming none go to, when it knows no row
// names another. Give the result to CreateMany in BulkOptions.Lookups.
func (s *Service) StartLookups(ctx context.Context, projects ...string) *Lookups {
	l := s.newLookups()
	for _, p := range projects {
		if p = projectKey(p); p != "" {
			go l.cache.IssueTypes(ctx, p, (&resolver{c: s.jira, project: p}).fetchTypes)
		}
	}
	return l
}

// BulkConcurrency is how many bulk requests are in flight by default: a
// thousand rows in one round trip. Jira refuses a burst it finds too large
// with a 429 before creating anything, and the window then shrinks.
const BulkConcurrency = 20

// maxListed bounds the bad rows an invalid file's error lists.
const maxListed = 20

// CreateMany creates the rows' tickets, jira.BulkCreateMax to a request,
// several requests at once. Every row is checked and resolved first; if
// any is bad, nothing is sent and the error lists each bad row by line.
// result hears about every row once, in no particular order.
func (s *Service) CreateMany(ctx context.Context, rows []Row, o BulkOptions, result func(RowResult)) error {
	l := o.Lookups
	if l == nil {
		l = s.newLookups()
	}
	reqs, err := s.resolveRows(ctx, rows, l)
	if err != nil {
		return err
	}
	n := o.Concurrency
	if n <= 0 {
		n = BulkConcurrency
	}
	win := newWindow(n)
	ctx = win.watch(ctx)
	var (
		mu       sync.Mutex
		done     int
		wg       sync.WaitGroup
		gmu      sync.Mutex // guards inFlight
		gate     = sync.NewCond(&gmu)
		inFlight int
	)
	report := func(rs []RowResult) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rs {
			result(r)
		}
		done += len(rs)
		if o.Progress != nil {
			o.Progress(done, len(rows))
		}
	}
	for start := 0; start < len(rows); start += jira.BulkCreateMax {
		end := min(start+jira.BulkCreateMax, len(rows))
		gmu.Lock()
		for inFlight >= win.size() && ctx.Err() == nil {
			gate.Wait() // every request that ends signals, a cancelled one too
		}
		inFlight++
		gmu.Unlock()
		if win.held(ctx); ctx.Err() != nil {
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() {
				gmu.Lock()
				inFlight--
				gmu.Unlock()
				gate.Broadcast()
			}()
			report(s.sendChunk(ctx, rows[start:end], reqs[start:end]))
		})
	}
	wg.Wait()
	return ctx.Err()
}

// sendChunk sends one bulk request and maps its answer back to the rows.
func (s *Service) sendChunk(ctx context.Context, rows []Row, reqs []jira.CreateRequest) []RowResult {
	out := make([]RowResult, len(rows))
	for i, r := range rows {
		out[i].Line = r.Line
	}
	res, err := s.jira.BulkCreate(ctx, reqs)
	for _, c := range res.Created {
		if c.Element >= 0 && c.Element < len(rows) {
			out[c.Element].Ticket = tm.Ticket{ID: c.ID, Key: c.Key, URL: s.jira.BrowseURL(c.Key), Summary: rows[c.Element].Draft.Summary}
		}
	}
	for _, f := range res.Failed {
		if f.Element >= 0 && f.Element < len(rows) {
			out[f.Element].Err = explainCreate(f.Error, rows[f.Element].Draft.ProjectKey, nil)
		}
	}
	for i := range out {
		if out[i].Ticket.Key != "" || out[i].Err != nil {
			continue
		}
		if err != nil {
			out[i].Err = explainBulk(err, rows[i])
		} else {
			out[i].Err = &tm.Error{Code: tm.EUNAVAILABLE, Message: "Jira's answer did not account for this row; check whether it was created before sending it again"}
		}
	}
	return out
}

// explainBulk says what became of a row whose request failed as a whole.
func explainBulk(err error, row Row) error {
	var je *jira.Error
	if errors.As(err, &je) && je.Uncertain {
		why := "and it was not found among your newest tickets"
		if je.LookupErr != nil {
			why = "and whether Jira made it could not be checked: " + je.LookupErr.Error()
		}
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira did not confirm the bulk create (%s), %s", je.Status(), why),
			Hint:    "Look at the newest tickets of " + row.Draft.ProjectKey + " before sending this line again, so it is not made twice."}
	}
	return Explain(err, About{Project: row.Draft.ProjectKey})
}

// resolveRows checks and resolves every row before anything is created.
// Metadata and user lookups are shared between rows, and all of them go
// out at once, first: the rows are checked while they travel.
func (s *Service) resolveRows(ctx context.Context, rows []Row, l *Lookups) ([]jira.CreateRequest, error) {
	if len(rows) == 0 {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "no tickets to create: the input has no rows"}
	}
	cache, users := l.cache, l.users
	stop := s.lookAhead(ctx, rows, cache, users)
	defer stop()

	reqs := make([]jira.CreateRequest, len(rows))
	errs := make([]error, len(rows))
	for i, r := range rows {
		d, err := normalize(r.Draft)
		if err == nil {
			rows[i].Draft = d
			reqs[i] = jira.CreateRequest{ProjectKey: d.ProjectKey}
			reqs[i].Fields, err = baseFields(s.jira, d)
		}
		errs[i] = err
	}
	// One resolver a project: complete starts each row afresh, and the
	// types it picks are shared.
	picks := typePicks{}
	resolvers := map[string]*resolver{}
	for i, r := range rows {
		if errs[i] != nil {
			continue
		}
		p := r.Draft.ProjectKey
		rs := resolvers[p]
		if rs == nil {
			rs = &resolver{c: s.jira, cache: cache, project: p, users: users, picks: picks}
			resolvers[p] = rs
		}
		errs[i] = rs.complete(ctx, r.Draft, reqs[i].Fields)
	}

	var bad []string
	nbad := 0
	for i, err := range errs {
		if err == nil {
			continue
		}
		var te *tm.Error
		if !errors.As(err, &te) {
			return nil, err // not the row's fault: Jira or the network
		}
		if te.Code != tm.EINVALID && te.Code != tm.ENOTFOUND && te.Code != tm.EFORBIDDEN {
			return nil, err
		}
		nbad++
		if len(bad) < maxListed {
			bad = append(bad, fmt.Sprintf("line %d: %s", rows[i].Line, strings.ReplaceAll(te.Message, "\n", " ")))
		}
	}
	if nbad > 0 {
		more := ""
		if nbad > len(bad) {
			more = fmt.Sprintf("\n  … and %d more", nbad-len(bad))
		}
		return nil, &tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("%d of %d rows cannot be created; nothing was sent:\n  %s%s", nbad, len(rows), strings.Join(bad, "\n  "), more),
			Hint:    "Fix those lines and run again."}
	}
	return reqs, nil
}

// lookAheadMax bounds the lookups lookAhead has in flight.
const lookAheadMax = 8

// lookAhead starts every lookup the rows will need — each project's issue
// types, each person named by email, the caller's own account for "me" —
// into the memos the rows then read, at most lookAheadMax at once. stop
// gives up on those still going and waits for them.
func (s *Service) lookAhead(ctx context.Context, rows []Row, cache *memo, users *userMemo) (stop func()) {
	var jobs []func(context.Context)
	seen := map[string]bool{}
	once := func(k string, job func(context.Context)) {
		if !seen[k] {
			seen[k] = true
			jobs = append(jobs, job)
		}
	}
	for _, r := range rows {
		if p := projectKey(r.Draft.ProjectKey); p != "" {
			once("p "+p, func(ctx context.Context) { cache.IssueTypes(ctx, p, (&resolver{c: s.jira, project: p}).fetchTypes) })
		}
		switch a := strings.TrimSpace(r.Draft.Assignee); {
		case strings.EqualFold(a, "me"):
			once("me", func(ctx context.Context) { cache.Myself(ctx, s.jira.Myself) })
		case strings.Contains(a, "@"):
			once("u "+strings.ToLower(a), func(ctx context.Context) { users.find(ctx, s.jira, a) })
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range min(len(jobs), lookAheadMax) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(jobs) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				jobs[i](ctx)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// userMemo remembers the users found by email during one bulk create, so
// that a file that names the same person on every row asks once.
type userMemo struct {
	f flights[string, tm.Account]
}

func (u *userMemo) find(ctx context.Context, c *jira.Client, email string) (tm.Account, error) {
	acc, _, err := u.f.do(ctx, strings.ToLower(email), func(error) bool { return true }, func() (tm.Account, bool, error) {
		acc, err := findUser(ctx, c, email)
		return acc, false, err
	})
	return acc, err
}
