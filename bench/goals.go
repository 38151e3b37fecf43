package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The goals that are not a row's 1.2 × floor + 20 ms, checked
// against the figures of the same run.
const (
	listingWallGoal = 220 * time.Millisecond // ls-projects at 5,000 projects
	rssSpreadGoal   = 0.20                   // peak RSS from 1,000 to 20,000 projects, ± of the 1,000 figure
	serveP99Goal    = 10 * time.Millisecond  // tm serve's p99 over the sandbox's latency, 50 users
	serveRateGoal   = 3000.0                 // req/s for GET /api/projects at latency 0
)

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// listingGoals is the report's lines on the ls-projects goals: wall time
// at 5,000 projects, the first row after one round trip, and memory flat
// across project counts. Scenarios absent from rs are left out.
func listingGoals(rs []result, latency time.Duration) string {
	byProjects := map[int]sample{}
	for _, r := range rs {
		if r.coldListing() && len(r.tm) > 0 {
			byProjects[r.Projects] = median(r.tm)
		}
	}
	var b strings.Builder
	if m, ok := byProjects[5000]; ok {
		fmt.Fprintf(&b, "- ls-projects at 5,000 projects: %s ms (goal ≤ %s ms): %s.\n", ms(m.wall), ms(listingWallGoal), verdict(m.wall <= listingWallGoal))
		// One round trip is the first page; a row shown before a second
		// could have come back was printed off the first.
		fmt.Fprintf(&b, "- First row of that listing on standard output after %s ms: one round trip (%s ms) and start-up, "+
			"before a second round trip could have ended (goal < %s ms): %s.\n",
			ms(m.first), ms(latency), ms(2*latency), verdict(m.first > 0 && m.first < 2*latency))
	}
	if base, ok := byProjects[1000]; ok && base.rss > 0 {
		var worst float64
		var counts []string
		for _, n := range projectCounts {
			m, ok := byProjects[n]
			if !ok || n < 1000 {
				continue
			}
			counts = append(counts, fmt.Sprintf("%.1f", float64(m.rss)/1024))
			if d := float64(m.rss-base.rss) / float64(base.rss); math.Abs(d) > math.Abs(worst) {
				worst = d
			}
		}
		fmt.Fprintf(&b, "- Peak RSS of ls-projects from 1,000 to 20,000 projects: %s MiB, at most %+.1f%% from the 1,000 figure (goal ±%.0f%%): %s.\n",
			strings.Join(counts, " → "), 100*worst, 100*rssSpreadGoal, verdict(math.Abs(worst) <= rssSpreadGoal))
	}
	return b.String()
}

// serveRow is one measured row of the serve table, as the goals read it.
type serveRow struct {
	serveScenario
	rate   float64
	p99    time.Duration
	notRun bool // PostgreSQL without a server to run on
}

// serveGoals is the report's lines on tm serve's goals for GET
// /api/projects: overhead at p99 with latency and throughput without, on
// each store that was measured.
func serveGoals(rows []serveRow) string {
	var b strings.Builder
	for _, r := range rows {
		if r.path != "/api/projects" {
			continue
		}
		store := "SQLite"
		if r.postgres {
			store = "PostgreSQL"
		}
		switch {
		case r.notRun:
			fmt.Fprintf(&b, "- %s, sandbox latency %v: not run, so not checked.\n", store, r.latency)
		case r.latency > 0:
			over := r.p99 - r.latency
			fmt.Fprintf(&b, "- %s, sandbox latency %v: p99 − latency %.1f ms (goal ≤ %s ms): %s.\n",
				store, r.latency, msf(over), ms(serveP99Goal), verdict(over <= serveP99Goal))
		default:
			fmt.Fprintf(&b, "- %s, sandbox latency 0: %.0f req/s (goal ≥ %.0f): %s.\n", store, r.rate, serveRateGoal, verdict(r.rate >= serveRateGoal))
		}
	}
	return b.String()
}
