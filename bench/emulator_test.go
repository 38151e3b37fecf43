package main

import (
	"io"
	"net/http"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// BenchmarkEmulatorGET measures simple authenticated GETs against the
// sandbox over real loopback HTTP with parallel keep-alive clients, at
// latency 0. The target is at least 5,000 requests/s on two cores.
func BenchmarkEmulatorGET(b *testing.B) {
	for _, tc := range []struct{ name, path string }{
		{"myself", "/rest/api/3/myself"},
		{"serverInfo", "/rest/api/3/serverInfo"},
		{"issue", "/rest/api/3/issue/SPACE2-1?fields=summary,status"},
	} {
		path := tc.path
		b.Run(tc.name, func(b *testing.B) {
			s := emulatortest.Start(b, emulator.Options{})
			you := s.You()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			b.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr}
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", s.URL+path, nil)
					req.SetBasicAuth(you.Email, you.ClassicToken)
					req.Header.Set("Accept", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: status %d", path, resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
