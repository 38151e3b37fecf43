package emulator_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator"
)

type searchPage struct {
	Issues []struct {
		ID, Key string
		Fields  map[string]any
	}
	NextPageToken string
	IsLast        bool
	Names         map[string]string
}

func keysOf(p searchPage) []string {
	out := []string{}
	for _, is := range p.Issues {
		out = append(out, is.Key)
	}
	return out
}

func TestSearchJQL(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	get := func(jql, extra string) searchPage {
		t.Helper()
		r := c.get("/rest/api/3/search/jql?jql=" + url.QueryEscape(jql) + extra)
		want(t, r, 200)
		var p searchPage
		r.json(t, &p)
		return p
	}
	cases := []struct{ jql, want string }{
		{"project = SPACE2 ORDER BY key ASC", "SPACE2-1,SPACE2-2,SPACE2-3,SPACE2-4,SPACE2-5"},
		{"project = SPACE2 AND status = 'In Progress'", "SPACE2-2"},
		{"assignee = currentUser() ORDER BY key", "SPACE2-1,SPACE2-2"},
		{"project = SPACE2 AND assignee IS EMPTY ORDER BY key", "SPACE2-3,SPACE2-4,SPACE2-5"},
		{"labels IN (auth, retro) ORDER BY key", "SPACE2-2,TEAM-2"},
		{"text ~ \"sandbox\"", "SPACE2-1"},
		{"issuetype = Task AND project IN (TEAM, OPS) ORDER BY key", "OPS-1,TEAM-1"},
		{"priority = High", "SPACE2-2"},
		{"key = OLD-7", "SPACE2-2"},
		// Jira ranks priorities by their order: ASC puts the lowest first.
		{"project = SPACE2 AND NOT status = Done ORDER BY priority ASC, key DESC", "SPACE2-5,SPACE2-4,SPACE2-3,SPACE2-2"},
		{"cf[10042] = Major", "SPACE2-2"},
	}
	for _, tc := range cases {
		t.Run(tc.jql, func(t *testing.T) {
			if got := strings.Join(keysOf(get(tc.jql, "&fields=key")), ","); got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}

	t.Run("default fields are the id only", func(t *testing.T) {
		p := get("project = SPACE2", "")
		if len(p.Issues) != 5 || p.Issues[0].ID == "" || p.Issues[0].Key != "" || p.Issues[0].Fields != nil {
			t.Errorf("default page = %+v", p)
		}
	})
	t.Run("cursor pages and no total", func(t *testing.T) {
		var all []string
		extra := "&fields=summary&maxResults=2"
		tokens := map[string]bool{}
		for i := 0; ; i++ {
			r := c.get("/rest/api/3/search/jql?jql=" + url.QueryEscape("project = SPACE2 ORDER BY key") + extra)
			want(t, r, 200)
			if strings.Contains(string(r.body), `"total"`) {
				t.Fatalf("search/jql returned a total: %s", r.body)
			}
			var p searchPage
			r.json(t, &p)
			all = append(all, keysOf(p)...)
			if p.NextPageToken == "" {
				if !p.IsLast {
					t.Error("last page without isLast")
				}
				break
			}
			if tokens[p.NextPageToken] || i > 5 {
				t.Fatal("token repeated")
			}
			tokens[p.NextPageToken] = true
			extra = "&fields=summary&maxResults=2&nextPageToken=" + url.QueryEscape(p.NextPageToken)
		}
		if strings.Join(all, ",") != "SPACE2-1,SPACE2-2,SPACE2-3,SPACE2-4,SPACE2-5" {
			t.Errorf("pages = %v", all)
		}
	})
	t.Run("POST with expand string and names", func(t *testing.T) {
		r := c.do("POST", "/rest/api/3/search/jql", m{"jql": "key = SPACE2-1", "fields": []string{"summary", "status"}, "expand": "names,renderedFields"})
		want(t, r, 200)
		var p searchPage
		r.json(t, &p)
		if len(p.Issues) != 1 || p.Issues[0].Fields["summary"] != "Set up the sandbox" || p.Names["status"] != "Status" {
			t.Errorf("POST page = %s", r.body)
		}
	})
	t.Run("*all and *navigable", func(t *testing.T) {
		all := get("key = SPACE2-1", "&fields=*all").Issues[0].Fields
		nav := get("key = SPACE2-1", "&fields=*navigable").Issues[0].Fields
		if _, ok := all["comment"]; !ok {
			t.Error("*all lacks comment")
		}
		if _, ok := nav["comment"]; ok {
			t.Error("*navigable has comment")
		}
		if _, ok := nav["summary"]; !ok {
			t.Error("*navigable lacks summary")
		}
	})

	errs := []struct{ name, jql, msg string }{
		{"empty", "", "Unbounded JQL queries are not allowed here."},
		{"order by only", "order by key", "Unbounded JQL queries are not allowed here."},
		{"invisible project", "project = SECRET", "The value 'SECRET' does not exist for the field 'project'."},
		{"unknown project", "project = NOPE", "The value 'NOPE' does not exist for the field 'project'."},
		{"unknown user", "assignee = nobody", "The value 'nobody' does not exist for the field 'assignee'."},
		{"syntax", "project = ", "Expecting"},
	}
	for _, tc := range errs {
		t.Run("error "+tc.name, func(t *testing.T) {
			r := c.get("/rest/api/3/search/jql?jql=" + url.QueryEscape(tc.jql))
			wantError(t, r, 400, tc.msg)
		})
	}
	raw := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken))
	t.Run("removed POST keys", func(t *testing.T) {
		wantError(t, raw.do("POST", "/rest/api/3/search/jql", m{"jql": "project = SPACE2", "startAt": 10}), 400, "Invalid request payload")
		wantError(t, raw.do("POST", "/rest/api/3/search/jql", m{"jql": "project = SPACE2", "expand": []string{"names"}}), 400, "Invalid request payload")
	})
	t.Run("forged token", func(t *testing.T) {
		wantError(t, c.get("/rest/api/3/search/jql?jql=project%3DSPACE2&nextPageToken=eyJvIjoxfQ.AAAA"), 400, "nextPageToken is invalid or has expired")
	})
	t.Run("approximate count", func(t *testing.T) {
		r := c.do("POST", "/rest/api/3/search/approximate-count", m{"jql": "project = SPACE2"})
		want(t, r, 200)
		if r.obj(t)["count"] != float64(5) {
			t.Errorf("count = %s", r.body)
		}
		wantError(t, c.do("POST", "/rest/api/3/search/approximate-count", m{"jql": ""}), 400, "Unbounded JQL")
	})
	t.Run("old search is gone", func(t *testing.T) {
		for _, method := range []string{"GET", "POST"} {
			r := raw.do(method, "/rest/api/3/search?jql=project%3DSPACE2", `{"jql":"project = SPACE2"}`)
			wantError(t, r, 410, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
		}
	})
}

func TestSearchTokenExpiry(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.get("/rest/api/3/search/jql?jql=project%3DSPACE2&maxResults=1")
	var p searchPage
	r.json(t, &p)
	if p.NextPageToken == "" {
		t.Fatal("no token")
	}
	next := "/rest/api/3/search/jql?jql=project%3DSPACE2&maxResults=1&nextPageToken=" + url.QueryEscape(p.NextPageToken)
	if err := s.E.AdvanceClock(6 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	want(t, c.get(next), 200)
	if err := s.E.AdvanceClock(2 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.get(next), 400, "nextPageToken is invalid or has expired")
	// A token belongs to its query.
	r = c.get("/rest/api/3/search/jql?jql=project%3DSPACE2&maxResults=1")
	r.json(t, &p)
	wantError(t, c.get("/rest/api/3/search/jql?jql=project%3DTEAM&nextPageToken="+url.QueryEscape(p.NextPageToken)), 400, "invalid or has expired")
}

func TestSearchLag(t *testing.T) {
	s := start(t, emulator.Options{SearchLag: time.Minute})
	c := classic(t, s, youEmail)
	r := c.do("POST", "/rest/api/3/issue", spaceTask(m{"summary": "fresh"}))
	want(t, r, 201)
	id := r.obj(t)["id"].(string)
	keys := func(extra string) []string {
		var p searchPage
		c.get("/rest/api/3/search/jql?jql="+url.QueryEscape("summary ~ fresh")+"&fields=key"+extra).json(t, &p)
		return keysOf(p)
	}
	if got := keys(""); len(got) != 0 {
		t.Errorf("new issue visible before the lag: %v", got)
	}
	if got := keys("&reconcileIssues=" + id); !slices.Equal(got, []string{"SPACE2-6"}) {
		t.Errorf("reconcileIssues gave %v", got)
	}
	r = c.do("POST", "/rest/api/3/search/jql", m{"jql": "summary ~ fresh", "fields": []string{"key"}, "reconcileIssues": []int{atoi(t, id)}})
	var p searchPage
	r.json(t, &p)
	if !slices.Equal(keysOf(p), []string{"SPACE2-6"}) {
		t.Errorf("POST reconcile gave %s", r.body)
	}
	s.E.AdvanceClock(2 * time.Minute)
	if got := keys(""); !slices.Equal(got, []string{"SPACE2-6"}) {
		t.Errorf("after the lag: %v", got)
	}
	// The issue itself is readable at once.
	want(t, c.get("/rest/api/3/issue/SPACE2-6"), 200)
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
