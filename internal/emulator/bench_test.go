package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// BenchmarkProjectSearch is the sandbox's own cost of one page of
// project/search on a site with 20,000 projects: what a large listing pays
// per page on top of the injected latency.
// projectCount is the site size the benchmark lists.
const projectCount = 20000

func BenchmarkProjectSearch(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Seed: emulator.SeedWithProjects(projectCount)})
	u := s.You()
	hc := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/rest/api/3/project/search?startAt=%d&maxResults=100", s.URL, i%(projectCount/100)*100), nil)
		req.SetBasicAuth(u.Email, u.ClassicToken)
		send(b, hc, req)
	}
}

// BenchmarkBulkFetch is the sandbox's own cost of reading 100 issues'
// list fields with bulkfetch, the call a long search makes once per 100:
// "again" reads issues read before (a listing shown again), "after-write"
// reads them after an edit to another issue, which drops every issue the
// sandbox keeps encoded (the edit's cost is included).
func BenchmarkBulkFetch(b *testing.B) {
	const n = 1000
	s := emulatortest.Start(b, emulator.Options{Seed: emulator.SeedWithIssues(n)})
	u := s.You()
	keys := make([]string, 100)
	hc := &http.Client{}
	for _, write := range []bool{false, true} {
		name := "again"
		if write {
			name = "after-write"
		}
		b.Run(name, func(b *testing.B) {
			for i := range b.N {
				if write {
					req, _ := http.NewRequest(http.MethodPut, s.URL+"/rest/api/3/issue/SPACE2-2", strings.NewReader(fmt.Sprintf(`{"fields":{"labels":["l%d"]}}`, i)))
					req.SetBasicAuth(u.Email, u.ClassicToken)
					req.Header.Set("Content-Type", "application/json")
					send(b, hc, req, http.StatusNoContent)
				}
				for j := range keys {
					keys[j] = fmt.Sprintf(`"SPACE2-%d"`, (i*100+j)%n+101)
				}
				body := `{"fields":["summary","status","issuetype","priority","assignee","updated"],"issueIdsOrKeys":[` + strings.Join(keys, ",") + `]}`
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/rest/api/3/issue/bulkfetch", strings.NewReader(body))
				req.SetBasicAuth(u.Email, u.ClassicToken)
				req.Header.Set("Content-Type", "application/json")
				send(b, hc, req)
			}
		})
	}
}

// BenchmarkSearchJQL is the sandbox's own cost of the search/jql pages a
// listing asks for on a site of 1,000 issues: every match's id in one page
// (what a search for everything asks first), and a page of 100 issues with
// the list's fields.
func BenchmarkSearchJQL(b *testing.B) {
	const n = 1000
	s := emulatortest.Start(b, emulator.Options{Seed: emulator.SeedWithIssues(n)})
	u := s.You()
	hc := &http.Client{}
	for _, tc := range []struct{ name, query string }{
		{"ids", "fields=id&maxResults=5000"},
		{"fields", "fields=summary,status,issuetype,priority,assignee,updated&maxResults=100"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			url := s.URL + "/rest/api/3/search/jql?jql=" + neturl.QueryEscape("project = SPACE2 ORDER BY updated DESC") + "&" + tc.query
			for range b.N {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.SetBasicAuth(u.Email, u.ClassicToken)
				send(b, hc, req)
			}
		})
	}
}

// BenchmarkBulkCreate is the sandbox's own cost of one bulk create of 50
// issues, the most one call carries: a thousand rows are twenty of them.
func BenchmarkBulkCreate(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{})
	u := s.You()
	var body strings.Builder
	body.WriteString(`{"issueUpdates":[`)
	for i := range 50 {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"fields":{"project":{"key":"SPACE2"},"issuetype":{"name":"Task"},"summary":"Benchmark ticket %d","labels":["bench-%d"]}}`, i+1, i)
	}
	body.WriteString("]}")
	hc := &http.Client{}
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/rest/api/3/issue/bulk", strings.NewReader(body.String()))
		req.SetBasicAuth(u.Email, u.ClassicToken)
		req.Header.Set("Content-Type", "application/json")
		send(b, hc, req, http.StatusCreated)
	}
}

// send makes req and reads the whole answer, failing on any status but
// want (200 when not given).
func send(b *testing.B, hc *http.Client, req *http.Request, want ...int) {
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if w := append(want, http.StatusOK)[0]; resp.StatusCode != w {
		b.Fatalf("status %d", resp.StatusCode)
	}
}
