package ticket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// fill creates n tickets labelled label in SPACE2 through CreateMany.
func fill(t testing.TB, sb *sandbox, n int, label string) []string {
	t.Helper()
	rows := make([]ticket.Row, n)
	for i := range rows {
		rows[i] = ticket.Row{Line: i + 2, Draft: tm.TicketDraft{ProjectKey: "SPACE2", Summary: fmt.Sprintf("%s %d", label, i), Labels: []string{label}}}
	}
	var mu sync.Mutex
	var keys []string
	err := sb.svc.CreateMany(context.Background(), rows, ticket.BulkOptions{}, func(r ticket.RowResult) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil {
			t.Errorf("line %d: %v", r.Line, r.Err)
		}
		keys = append(keys, r.Ticket.Key)
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func collect(t *testing.T, sb *sandbox, q ticket.Query) []tm.Issue {
	t.Helper()
	var out []tm.Issue
	if err := sb.svc.Search(context.Background(), q, func(page []tm.Issue) error { out = append(out, page...); return nil }); err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return out
}

func distinct(is []tm.Issue) int {
	seen := map[string]bool{}
	for _, i := range is {
		seen[i.Key] = true
	}
	return len(seen)
}

// TestSearchPages: the cursor is followed over several pages to the end,
// each issue once; the ids path reads fields with bulkfetch.
func TestSearchPages(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	fill(t, sb, 230, "paged")
	sb.s.E.ResetRequests()
	got := collect(t, sb, ticket.Query{Label: []string{"paged"}, All: true, PageSize: 60})
	if len(got) != 230 || distinct(got) != 230 {
		t.Errorf("%d issues (%d distinct), want 230", len(got), distinct(got))
	}
	if n := sb.s.E.Requests()["POST /rest/api/3/search/jql"]; n != 4 {
		t.Errorf("%d pages read, want 4 of at most 60", n)
	}
	sb.s.E.ResetRequests()
	byIDs := collect(t, sb, ticket.Query{Label: []string{"paged"}, All: true})
	reqs := sb.s.E.Requests()
	if len(byIDs) != 230 || reqs["POST /rest/api/3/search/jql"] != 2 || reqs["POST /rest/api/3/issue/bulkfetch"] != 2 {
		t.Errorf("--all: %d issues with %v; want one id page, the first 100 with their fields, and 2 bulkfetches", len(byIDs), reqs)
	}
	for i := range byIDs {
		if byIDs[i].Key != got[i].Key || byIDs[i].Summary == "" || byIDs[i].Status == "" {
			t.Fatalf("row %d: %+v, want %s in the search's order with its fields", i, byIDs[i], got[i].Key)
		}
	}
	got = collect(t, sb, ticket.Query{Label: []string{"paged"}, Limit: 7, Fields: []string{"summary", "labels", "customfield_10016"}})
	if len(got) != 7 || got[0].Summary == "" || got[0].Labels[0] != "paged" || got[0].Fields["customfield_10016"] == nil {
		t.Errorf("limit 7 with fields: %d issues, first %+v", len(got), got[0])
	}
	n, err := sb.svc.Count(context.Background(), ticket.Query{Label: []string{"paged"}})
	if err != nil || n != 230 {
		t.Errorf("count: %d %v", n, err)
	}
}

// TestSearchHead: the first hundred issues come with their fields
// alongside the ids: a search of up to a hundred needs nothing else, and
// a first page that does not match the ids' first chunk (the matches
// changed between the answers) is read again with bulkfetch, so that the
// ids' order stands.
func TestSearchHead(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	fill(t, sb, 40, "few")
	sb.s.E.ResetRequests()
	few := collect(t, sb, ticket.Query{Label: []string{"few"}, All: true})
	reqs := sb.s.E.Requests()
	if len(few) != 40 || distinct(few) != 40 || few[0].Summary == "" || reqs["POST /rest/api/3/search/jql"] != 2 || reqs["POST /rest/api/3/issue/bulkfetch"] != 0 {
		t.Errorf("40 matches: %d issues (%d distinct) with %v; want them all from the two searches", len(few), distinct(few), reqs)
	}

	fill(t, sb, 150, "many")
	want := collect(t, sb, ticket.Query{Label: []string{"many"}, All: true, PageSize: 50})
	shuffled := sb.with(headReverser{http.DefaultTransport})
	sb.s.E.ResetRequests()
	got := collect(t, shuffled, ticket.Query{Label: []string{"many"}, All: true})
	if n := sb.s.E.Requests()["POST /rest/api/3/issue/bulkfetch"]; n != 2 {
		t.Errorf("%d bulkfetches, want both chunks read so (the first page did not match)", n)
	}
	if len(got) != len(want) {
		t.Fatalf("%d issues, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Key != want[i].Key || got[i].Summary == "" {
			t.Fatalf("row %d: %s, want %s in the ids' order", i, got[i].Key, want[i].Key)
		}
	}
}

// headReverser reverses the issues of every search that asks for more
// than their ids.
type headReverser struct{ base http.RoundTripper }

func (h headReverser) RoundTrip(req *http.Request) (*http.Response, error) {
	var asked struct{ Fields []string }
	if req.Body != nil && strings.HasSuffix(req.URL.Path, "/search/jql") {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		_ = json.Unmarshal(b, &asked)
	}
	resp, err := h.base.RoundTrip(req)
	if err != nil || len(asked.Fields) < 2 {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	if is, ok := m["issues"].([]any); ok {
		slices.Reverse(is)
	}
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// repeater makes the search's third answer advertise the cursor of the
// first: a server that would page in a circle forever.
type repeater struct {
	base  http.RoundTripper
	mu    sync.Mutex
	pages int
	first any
}

func (r *repeater) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/search/jql") {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	r.mu.Lock()
	r.pages++
	switch r.pages {
	case 1:
		r.first = m["nextPageToken"]
	case 3:
		m["nextPageToken"], m["isLast"] = r.first, false
	}
	r.mu.Unlock()
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestSearchRepeatedToken: a cursor that comes back ends the search.
func TestSearchRepeatedToken(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	fill(t, sb, 100, "loop")
	rep := &repeater{base: http.DefaultTransport}
	sb = sb.with(rep)
	got := collect(t, sb, ticket.Query{Label: []string{"loop"}, All: true, PageSize: 20})
	if rep.pages != 3 || len(got) != 60 {
		t.Errorf("%d pages, %d issues; want the search to stop after the third page (60 issues)", rep.pages, len(got))
	}
}

// TestSearchErrors: Jira's own words for bad JQL; nothing to search for.
func TestSearchErrors(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	err := sb.svc.Search(context.Background(), ticket.Query{JQL: "project = SPACE2 AND colour = red"}, func([]tm.Issue) error { return nil })
	wantErr(t, err, tm.EINVALID, "Jira could not run the query: ", "colour")
	err = sb.svc.Search(context.Background(), ticket.Query{}, func([]tm.Issue) error { return nil })
	wantErr(t, err, tm.EINVALID, "nothing to search for")
}

// TestSearchDataCenter: offset pages on REST v2.
func TestSearchDataCenter(t *testing.T) {
	sb := newSandbox(t, emulator.Options{DataCenter: true})
	fill(t, sb, 120, "dc")
	sb.s.E.ResetRequests()
	got := collect(t, sb, ticket.Query{Label: []string{"dc"}, All: true, PageSize: 50})
	if len(got) != 120 || distinct(got) != 120 || sb.s.E.Requests()["POST /rest/api/2/search"] != 3 {
		t.Errorf("%d issues with %v; want 120 over 3 pages", len(got), sb.s.E.Requests())
	}
	n, err := sb.svc.Count(context.Background(), ticket.Query{Label: []string{"dc"}})
	if err != nil || n != 120 {
		t.Errorf("count: %d %v", n, err)
	}
}

// TestJQL: filters are quoted as JQL needs and ANDed with the JQL given,
// whose ORDER BY is kept.
func TestJQL(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	got, err := sb.svc.JQL(context.Background(), ticket.Query{JQL: "priority = High OR labels = x ORDER BY created ASC", Project: "space2",
		Assignee: "me", Status: []string{"In Progress", "To Do"}, Text: `say "hi" AND go`})
	want := `project = SPACE2 AND (priority = High OR labels = x) AND assignee = currentUser() AND status in ("In Progress", "To Do") AND text ~ "say \\\"hi\\\" and go" ORDER BY created ASC`
	if err != nil || got != want {
		t.Errorf("JQL:\n got %s\nwant %s (%v)", got, want, err)
	}
}

// TestSearchRetried: a search is a read, so a 503 on its POST is retried
// like a GET's, not reported as an unconfirmed write.
func TestSearchRetried(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	sb = sb.with(http.DefaultTransport, jira.WithSleep(func(context.Context, time.Duration) error { return nil }))
	sb.fault("POST /rest/api/3/search/jql=503x1")
	got := collect(t, sb, ticket.Query{Project: "SPACE2"})
	if len(got) != 5 || sb.s.E.Requests()["POST /rest/api/3/search/jql"] != 2 {
		t.Errorf("%d issues with %v; want the search retried once", len(got), sb.s.E.Requests())
	}
}

// TestPage: one page at a time, as a front end that pages on request
// reads them, the cursor carrying on until there is no next page.
func TestPage(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	fill(t, sb, 5, "cursor")
	q := ticket.Query{Label: []string{"cursor"}, PageSize: 2}
	var keys []string
	cursor := ""
	for pages := 1; ; pages++ {
		is, next, err := sb.svc.Page(context.Background(), q, cursor)
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v (or too many pages)", pages, err)
		}
		for _, i := range is {
			keys = append(keys, i.Key)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(keys) != 5 || len(slices.Compact(slices.Sorted(slices.Values(keys)))) != 5 {
		t.Errorf("keys %v", keys)
	}
}

// TestIssues reads several issues by key in one call, in the keys' order,
// leaving out those that do not exist or are hidden.
func TestIssues(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	got, err := sb.svc.Issues(context.Background(), []string{"SPACE2-4", "SPACE2-999", "SECRET-1", "SPACE2-1"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, is := range got {
		keys = append(keys, is.Key)
		if is.Status == "" || is.Type == "" {
			t.Errorf("%s without status or type: %+v", is.Key, is)
		}
	}
	if strings.Join(keys, ",") != "SPACE2-4,SPACE2-1" {
		t.Errorf("keys %v", keys)
	}
	if n := sb.s.E.Requests()["POST /rest/api/3/issue/bulkfetch"]; n != 1 {
		t.Errorf("%d bulkfetch calls, want 1", n)
	}
}
