package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// bulkFile writes n rows labelled label to dir/name.
func bulkFile(tb testing.TB, dir, name, label string, n int) string {
	var b strings.Builder
	b.WriteString("summary,type,priority,labels\n")
	for i := range n {
		fmt.Fprintf(&b, "%s %d,Bug,High,%s\n", label, i, label)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkCLIBulkCreate1000: 1,000 tickets are 20 bulk requests of 50,
// all in flight at once: one round trip (metadata cached).
func BenchmarkCLIBulkCreate1000(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Latency: cliLatency})
	w := newCLIWorld(b, s, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, siteEnv(s))
	file := bulkFile(b, w.f.WorkDir, "in.csv", "bulk", 1000)
	results := file + ".results.csv"
	benchCommand(b, w, 5, func() { os.Remove(results) }, "create-ticket", "--from", file)
}

// BenchmarkCreateOneByOne100: the same tickets one tm create-ticket each
// (metadata cached: one request per ticket), one after another, as a
// client without bulk create makes them; 100 of them, as 1,000 take the
// better part of a minute (ns/op × 10 for 1,000).
func BenchmarkCreateOneByOne100(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Latency: cliLatency})
	w := newCLIWorld(b, s, &http.Client{}, siteEnv(s))
	args := []string{"create-ticket", "-t", "one by one", "--type", "Bug", "--priority", "High", "--label", "single"}
	w.run(b, args...) // the metadata cache is warm from here on
	s.E.ResetRequests()
	b.ResetTimer()
	for range b.N {
		for range 100 {
			w.run(b, args...)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(w.requests())/float64(b.N), "requests/op")
}

// BenchmarkCLISearchAll1000: 1,000 issues are one page of ids and 10
// bulkfetches of 100, all in flight at once: 2 round trips.
func BenchmarkCLISearchAll1000(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Latency: cliLatency})
	w := newCLIWorld(b, s, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, siteEnv(s))
	w.run(b, "create-ticket", "--from", bulkFile(b, w.f.WorkDir, "in.csv", "found", 1000))
	benchCommand(b, w, 3, nil, "search", "--label", "found", "--all", "--plain")
	if n := strings.Count(w.out.String(), "\n"); n != 1000 {
		b.Fatalf("%d rows, want 1000", n)
	}
}

// BenchmarkCLIView: the issue with its comments is one request.
func BenchmarkCLIView(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Latency: cliLatency})
	w := newCLIWorld(b, s, &http.Client{}, siteEnv(s))
	benchCommand(b, w, 1, nil, "view", "SPACE2-2", "--comments", "5")
}
