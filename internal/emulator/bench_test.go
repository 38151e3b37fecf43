package emulator_test

import (
	"fmt"
	"io"
	"net/http"
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
// list fields with bulkfetch, the call a long search makes once per 100.
func BenchmarkBulkFetch(b *testing.B) {
	const n = 1000
	s := emulatortest.Start(b, emulator.Options{Seed: emulator.SeedWithIssues(n)})
	u := s.You()
	keys := make([]string, 100)
	hc := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		for j := range keys {
			keys[j] = fmt.Sprintf(`"SPACE2-%d"`, (i*100+j)%n+1)
		}
		body := `{"fields":["summary","status","issuetype","priority","assignee","updated"],"issueIdsOrKeys":[` + strings.Join(keys, ",") + `]}`
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/rest/api/3/issue/bulkfetch", strings.NewReader(body))
		req.SetBasicAuth(u.Email, u.ClassicToken)
		req.Header.Set("Content-Type", "application/json")
		send(b, hc, req)
	}
}

// send makes req and reads the whole answer, failing on anything but 200.
func send(b *testing.B, hc *http.Client, req *http.Request) {
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}
