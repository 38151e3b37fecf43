package ticket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/jql"
)

// Query is a search as a person gives it: JQL, filters, or both (ANDed).
type Query struct {
	JQL      string   // any JQL; its ORDER BY is kept
	Project  string   // a project key
	Assignee string   // "me", "none", an email address, an account id (Data Center: a username)
	Status   []string // status names, any of
	Type     []string // issue type names, any of
	Label    []string // labels, any of
	Text     string   // words to find in summary, description and comments
	Fields   []string // the fields to read; nil: ListFields
	Limit    int      // at most this many issues; 0: DefaultLimit
	All      bool     // every match, whatever Limit says
	PageSize int      // issues per request; 0: as many as Jira allows
}

// Unfiltered reports whether the query names nothing to search by; front
// ends then search their default project rather than the whole site.
func (q Query) Unfiltered() bool {
	return strings.TrimSpace(q.JQL) == "" && q.Project == "" && q.Assignee == "" &&
		len(q.Status)+len(q.Type)+len(q.Label) == 0 && q.Text == ""
}

// DefaultLimit is how many issues a search returns unless asked otherwise.
const DefaultLimit = 50

// JQL builds the query's JQL: every value quoted as JQL needs, the filters
// ANDed with the JQL given, its ORDER BY (else newest updated first) last.
func (s *Service) JQL(ctx context.Context, q Query) (string, error) {
	where, order := splitOrderBy(q.JQL)
	assignee := ""
	switch a := strings.TrimSpace(q.Assignee); {
	case a == "":
	case strings.EqualFold(a, "me"):
		assignee = "assignee = currentUser()"
	case strings.EqualFold(a, "none"):
		assignee = "assignee IS EMPTY"
	case strings.Contains(a, "@") && !s.jira.DataCenter():
		acc, err := findUser(ctx, s.jira, a)
		if err != nil {
			return "", err
		}
		assignee = jql.Eq("assignee", acc.AccountID)
	default:
		assignee = jql.Eq("assignee", a)
	}
	project := ""
	if p := strings.TrimSpace(q.Project); p != "" {
		project = jql.Eq("project", strings.ToUpper(p))
	}
	if strings.TrimSpace(where) != "" {
		where = "(" + where + ")"
	}
	w := jql.And(project, where, assignee, jql.In("status", q.Status...), jql.In("issuetype", q.Type...),
		jql.In("labels", q.Label...), jql.Contains("text", q.Text))
	if w == "" {
		return "", detailed(&tm.Error{Code: tm.EINVALID, Message: "nothing to search for",
			Hint: "Give JQL, a project, or another filter: Jira does not search without a restriction."}, &Detail{Field: "jql"})
	}
	if order == "" {
		order = jql.OrderBy("updated DESC")
	}
	return jql.Query(w, order), nil
}

// splitOrderBy separates a query's ORDER BY (outside quotes) from its
// where clause.
func splitOrderBy(q string) (where, order string) {
	inQuote := byte(0)
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case inQuote != 0:
			if c == '\\' {
				i++
			} else if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '\'':
			inQuote = c
		case len(q)-i >= 8 && strings.EqualFold(q[i:i+8], "ORDER BY") && (i == 0 || q[i-1] == ' ' || q[i-1] == ')'):
			return strings.TrimSpace(q[:i]), strings.TrimSpace(q[i:])
		}
	}
	return strings.TrimSpace(q), ""
}

// fetchConcurrency bounds the bulkfetch calls in flight: a thousand
// issues (ten calls) in one round trip. A 429 halves it (see window).
const fetchConcurrency = 16

// Search runs the query and hands its issues to page, in order, a page at
// a time as Jira's pages arrive (a front end writes each page at once).
// Paging stops on any of Jira's end signals and on a cursor
// that repeats. For every match on Cloud (All), it asks for ids only — up
// to 5,000 a page — and reads the fields with bulkfetch, 100 issues a
// call, several calls in flight; the first 100 come with their fields
// alongside the ids.
func (s *Service) Search(ctx context.Context, q Query, page func([]tm.Issue) error) error {
	j, err := s.JQL(ctx, q)
	if err != nil {
		return err
	}
	fields := q.Fields
	if len(fields) == 0 {
		fields = ListFields
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if q.All {
		limit = -1
	}
	if (q.All || limit > jira.BulkFetchMax) && !s.jira.DataCenter() && q.PageSize == 0 {
		return explainSearch(s.searchByIDs(ctx, j, fields, limit, page))
	}
	size := pageSize(limit, 100)
	if q.PageSize > 0 {
		size = min(size, q.PageSize)
	}
	return explainSearch(s.pages(ctx, jira.SearchQuery{JQL: j, Fields: fields, MaxResults: size}, limit, func(raw []jira.Issue) error {
		return page(s.listedAll(raw, q.Fields))
	}))
}

// listedAll is listed for every issue of a page.
func (s *Service) listedAll(raw []jira.Issue, asked []string) []tm.Issue {
	out := make([]tm.Issue, len(raw))
	seen := newSeenValues()
	for i, r := range raw {
		out[i] = s.listed(r, asked, seen)
	}
	return out
}

func pageSize(limit, max int) int {
	if limit < 0 || limit > max {
		return max
	}
	return limit
}

// pages walks a search's pages, handing each to page, until the matches
// or limit (negative: none) run out.
func (s *Service) pages(ctx context.Context, q jira.SearchQuery, limit int, page func([]jira.Issue) error) error {
	seen := map[string]bool{}
	for n := 0; ; {
		p, err := s.jira.SearchJQL(ctx, q)
		if err != nil {
			return err
		}
		issues := p.Issues
		if limit >= 0 && n+len(issues) > limit {
			issues = issues[:limit-n]
		}
		n += len(issues)
		if err := page(issues); err != nil {
			return err
		}
		if p.NextPageToken == "" || seen[p.NextPageToken] || limit >= 0 && n >= limit {
			return nil
		}
		seen[p.NextPageToken] = true
		q.NextPageToken = p.NextPageToken
	}
}

// searchByIDs pages through the ids and reads the issues in chunks of
// jira.BulkFetchMax, several at once, handing them on in order.
func (s *Service) searchByIDs(ctx context.Context, j string, fields []string, limit int, page func([]tm.Issue) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	win := newWindow(fetchConcurrency)
	ctx = win.watch(ctx)
	// The first issues with their fields are asked for alongside the ids.
	// They are the ids' first chunk unless the matches changed between
	// the two answers: then the first page shows after one round trip,
	// and a search of up to a hundred matches needs no other.
	head := make(chan headPage, 1)
	go func() {
		p, err := s.jira.SearchJQL(ctx, jira.SearchQuery{JQL: j, Fields: fields, MaxResults: pageSize(limit, jira.BulkFetchMax)})
		head <- headPage{p.Issues, err}
	}()
	first := true
	type chunk struct {
		done   chan struct{}
		issues []jira.Issue
		err    error
	}
	order := make(chan *chunk, fetchConcurrency) // bounds the fetches in flight
	var (
		gmu      sync.Mutex // guards inFlight
		gate     = sync.NewCond(&gmu)
		inFlight int
	)
	errc := make(chan error, 1)
	go func() {
		defer close(order)
		errc <- s.pages(ctx, jira.SearchQuery{JQL: j, Fields: []string{"id"}, MaxResults: pageSize(limit, jira.SearchIDsMax)}, limit, func(page []jira.Issue) error {
			for len(page) > 0 {
				n := min(len(page), jira.BulkFetchMax)
				ids := make([]string, n)
				for i, is := range page[:n] {
					ids[i] = is.ID
				}
				page = page[n:]
				c := &chunk{done: make(chan struct{})}
				select {
				case order <- c:
				case <-ctx.Done():
					return ctx.Err()
				}
				gmu.Lock()
				for inFlight >= win.size() && ctx.Err() == nil {
					gate.Wait() // every fetch that ends signals, a cancelled one too
				}
				inFlight++
				gmu.Unlock()
				win.held(ctx)
				isFirst := first
				first = false
				go func() {
					defer func() {
						gmu.Lock()
						inFlight--
						gmu.Unlock()
						gate.Broadcast()
						close(c.done)
					}()
					if isFirst {
						c.issues, c.err = s.headOr(ctx, head, ids, fields)
					} else {
						c.issues, c.err = s.fetchInOrder(ctx, ids, fields)
					}
				}()
			}
			return nil
		})
	}()
	for c := range order {
		<-c.done
		if c.err != nil {
			cancel()
			return c.err
		}
		if err := page(s.listedAll(c.issues, fields)); err != nil {
			cancel()
			return err
		}
	}
	return <-errc
}

// headPage is the first page of a search with its fields.
type headPage struct {
	issues []jira.Issue
	err    error
}

// headOr is the first chunk of a search by ids: the head page when it
// holds exactly those issues in that order, else the chunk read with
// bulkfetch.
func (s *Service) headOr(ctx context.Context, head <-chan headPage, ids, fields []string) ([]jira.Issue, error) {
	select {
	case h := <-head:
		if h.err == nil && sameIDs(h.issues, ids) {
			return h.issues, nil
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.fetchInOrder(ctx, ids, fields)
}

func sameIDs(issues []jira.Issue, ids []string) bool {
	if len(issues) != len(ids) {
		return false
	}
	for i, is := range issues {
		if is.ID != ids[i] {
			return false
		}
	}
	return true
}

// fetchInOrder reads ids (or keys) with bulkfetch and returns them in their order
// (bulkfetch does not promise one); issues hidden meanwhile are left out.
func (s *Service) fetchInOrder(ctx context.Context, ids, fields []string) ([]jira.Issue, error) {
	got, err := s.jira.BulkFetch(ctx, ids, fields)
	if err != nil {
		return nil, err
	}
	return orderAs(got, ids), nil
}

// orderAs returns got in the order of ids (or keys), leaving out those
// not there.
func orderAs(got []jira.Issue, ids []string) []jira.Issue {
	if inOrder(got, ids) {
		return got // the usual answer: no map needed to order it
	}
	return orderByMap(got, ids)
}

func orderByMap(got []jira.Issue, ids []string) []jira.Issue {
	byID := make(map[string]jira.Issue, 2*len(got))
	for _, is := range got {
		byID[is.ID], byID[is.Key] = is, is // asked for by either
	}
	out := make([]jira.Issue, 0, len(got))
	for _, id := range ids {
		if is, ok := byID[id]; ok {
			out = append(out, is)
		}
	}
	return out
}

// inOrder reports whether got holds the issues of ids (or keys), each
// once, in their order.
func inOrder(got []jira.Issue, ids []string) bool {
	if len(got) != len(ids) {
		return false
	}
	for i, is := range got {
		if is.ID != ids[i] && is.Key != ids[i] {
			return false
		}
	}
	return true
}

// Page reads one page of the query's issues: the first with cursor "",
// the next with the cursor it returns; "" means there is no next page.
// It suits a front end that pages on request.
func (s *Service) Page(ctx context.Context, q Query, cursor string) ([]tm.Issue, string, error) {
	j, err := s.JQL(ctx, q)
	if err != nil {
		return nil, "", err
	}
	fields := q.Fields
	if len(fields) == 0 {
		fields = ListFields
	}
	size := q.PageSize
	if size <= 0 {
		size = DefaultLimit
	}
	p, err := s.jira.SearchJQL(ctx, jira.SearchQuery{JQL: j, Fields: fields, MaxResults: size, NextPageToken: cursor})
	if err != nil {
		return nil, "", explainSearch(err)
	}
	return s.listedAll(p.Issues, q.Fields), p.NextPageToken, nil
}

// listed is a search's issue: the fields tm knows decoded, the others
// asked for kept as Jira sent them.
func (s *Service) listed(r jira.Issue, asked []string, seen *seenValues) tm.Issue {
	is := s.issueSeen(r, seen)
	for _, f := range asked {
		if v, ok := r.Fields[f]; ok && !slices.Contains(viewFields, f) && !slices.Contains(ListFields, f) {
			if is.Fields == nil {
				is.Fields = map[string]json.RawMessage{}
			}
			is.Fields[f] = bytes.Clone(v) // v shares its issue's copy of every field: keep only its own bytes
		}
	}
	return is
}

// Count is about how many issues the query matches (Jira's approximate
// count on Cloud).
func (s *Service) Count(ctx context.Context, q Query) (int, error) {
	j, err := s.JQL(ctx, q)
	if err != nil {
		return 0, err
	}
	where, _ := splitOrderBy(j)
	n, err := s.jira.ApproximateCount(ctx, where)
	return n, explainSearch(err)
}

// explainSearch says that Jira could not run the query, in Jira's words.
func explainSearch(err error) error {
	var je *jira.Error
	var te *tm.Error
	if err == nil || errors.As(err, &te) || !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return Explain(err, About{})
	}
	return detailed(&tm.Error{Code: tm.EINVALID, Err: err,
		Message: "Jira could not run the query: " + strings.Join(je.Messages(), "; "),
		Hint:    "Check the JQL: field names, quoting, and that the values exist."}, &Detail{Field: "jql"})
}

// Issues reads the issues named by keys in one call (up to
// jira.BulkFetchMax; more are left out), with the list fields, in the
// keys' order on Cloud; those deleted or hidden from the caller are left
// out.
func (s *Service) Issues(ctx context.Context, keys []string) ([]tm.Issue, error) {
	keys = keys[:min(len(keys), jira.BulkFetchMax)]
	if len(keys) == 0 {
		return nil, nil
	}
	var raw []jira.Issue
	var err error
	if s.jira.DataCenter() {
		// Data Center has no bulkfetch: one search by key instead (a key
		// that no longer exists fails it, as Jira answers).
		var p jira.SearchPage
		p, err = s.jira.SearchJQL(ctx, jira.SearchQuery{JQL: jql.In("key", keys...), Fields: ListFields, MaxResults: len(keys)})
		raw = p.Issues
	} else {
		raw, err = s.fetchInOrder(ctx, keys, ListFields)
	}
	if err != nil {
		return nil, Explain(err, About{})
	}
	out := make([]tm.Issue, len(raw))
	seen := newSeenValues()
	for i, is := range raw {
		out[i] = s.issueSeen(is, seen)
	}
	return out, nil
}
