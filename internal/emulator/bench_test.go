package emulator_test

import (
	"fmt"
	"io"
	"net/http"
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
	seed := emulator.DefaultSeed()
	site := &seed.Sites[0]
	tmpl := site.Projects[0]
	for i := range projectCount {
		p := tmpl
		p.ID, p.Key, p.Name = fmt.Sprint(100000+i), fmt.Sprintf("P%05d", i), fmt.Sprintf("Project %d", i)
		site.Projects = append(site.Projects, p)
	}
	s := emulatortest.Start(b, emulator.Options{Seed: seed})
	u := s.You()
	hc := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/rest/api/3/project/search?startAt=%d&maxResults=100", s.URL, i%(projectCount/100)*100), nil)
		req.SetBasicAuth(u.Email, u.ClassicToken)
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
}
