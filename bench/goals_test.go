package main

import (
	"strings"
	"testing"
	"time"
)

func listing(projects int, wall, first time.Duration, rssKiB int64) result {
	var s []sample
	for range 3 {
		s = append(s, sample{wall: wall, first: first, rss: rssKiB})
	}
	return result{scenario: scenario{Name: "ls-projects", Projects: projects}, tm: s}
}

// TestListingGoals: each listing goal is judged from the figures given,
// and a figure past its bar is reported missed.
func TestListingGoals(t *testing.T) {
	ms := time.Millisecond
	met := listingGoals([]result{
		listing(50, 60*ms, 55*ms, 17000),
		listing(1000, 110*ms, 56*ms, 18000),
		listing(5000, 120*ms, 57*ms, 20000),
		listing(20000, 290*ms, 57*ms, 21500),
	}, 50*ms)
	for _, want := range []string{
		"5,000 projects: 120 ms (goal ≤ 220 ms): met",
		"after 57 ms", "(goal < 100 ms): met",
		"17.6 → 19.5 → 21.0 MiB", // not the 50: the goal starts at 1,000
		"+19.4% from the 1,000 figure (goal ±20%): met",
	} {
		if !strings.Contains(met, want) {
			t.Errorf("report lacks %q:\n%s", want, met)
		}
	}
	missed := listingGoals([]result{
		listing(1000, 110*ms, 56*ms, 18000),
		listing(5000, 230*ms, 130*ms, 22000),
		listing(20000, 290*ms, 57*ms, 21000),
	}, 50*ms)
	for _, want := range []string{"(goal ≤ 220 ms): missed", "(goal < 100 ms): missed", "+22.2% from the 1,000 figure (goal ±20%): missed"} {
		if !strings.Contains(missed, want) {
			t.Errorf("report lacks %q:\n%s", want, missed)
		}
	}
	// The warm, HTTPS and other-latency rows are other listings.
	warm := listing(5000, 500*ms, 400*ms, 40000)
	warm.Warm = true
	if g := listingGoals([]result{warm}, 50*ms); g != "" {
		t.Errorf("a warm listing judged:\n%s", g)
	}
}

// TestServeGoals: overhead at p99 and throughput are judged per store, and
// a store that was not run says so rather than passing.
func TestServeGoals(t *testing.T) {
	ms := time.Millisecond
	g := serveGoals([]serveRow{
		{serveScenario: serveScenario{latency: 50 * ms, path: "/api/projects"}, rate: 950, p99: 58 * ms},
		{serveScenario: serveScenario{path: "/api/projects"}, rate: 2900, p99: 20 * ms},
		{serveScenario: serveScenario{postgres: true, latency: 50 * ms, path: "/api/projects"}, p99: 61 * ms},
		{serveScenario: serveScenario{postgres: true, path: "/api/projects"}, notRun: true},
		{serveScenario: serveScenario{latency: 50 * ms, path: "/"}, p99: 90 * ms},
	})
	for _, want := range []string{
		"SQLite, sandbox latency 50ms: p99 − latency 8.0 ms (goal ≤ 10 ms): met",
		"SQLite, sandbox latency 0: 2900 req/s (goal ≥ 3000): missed",
		"PostgreSQL, sandbox latency 50ms: p99 − latency 11.0 ms (goal ≤ 10 ms): missed",
		"PostgreSQL, sandbox latency 0s: not run, so not checked",
	} {
		if !strings.Contains(g, want) {
			t.Errorf("report lacks %q:\n%s", want, g)
		}
	}
	if strings.Count(g, "\n") != 4 {
		t.Errorf("want one line per projects row (the dashboard has no such goal):\n%s", g)
	}
}
