package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestSoak runs two tm serve replicas on one PostgreSQL with users whose
// access tokens expire every few seconds, and fails on any failed request,
// any refresh token spent twice, a user refreshed more or less often than
// the tokens' lifetime calls for, or a replica whose RSS grows. It runs
// only when asked: TM_SOAK=short (5 users, 5 s, tokens living 2 s; about
// 15-25 s with the build on two cores) or TM_SOAK=5m (50 users, tokens
// living a minute).
func TestSoak(t *testing.T) {
	soakFor := os.Getenv("TM_SOAK")
	if soakFor == "" {
		t.Skip("the soak starts processes and runs for seconds: TM_SOAK=short or TM_SOAK=5m runs it")
	}
	if os.Getenv("TM_TEST_POSTGRES_URL") == "" {
		if os.Getenv("TM_REQUIRE_POSTGRES") != "" {
			t.Fatal("TM_REQUIRE_POSTGRES is set but TM_TEST_POSTGRES_URL is not")
		}
		t.Skip(`the soak needs PostgreSQL: eval "$(bash .ci/postgres.sh)"`)
	}
	o := soakOptions{Users: 5, Replicas: 2, Duration: 5 * time.Second, AccessTTL: 2 * time.Second,
		Path: "/api/projects", Warmup: time.Second}
	if soakFor != "short" {
		var err error
		if o.Duration, err = time.ParseDuration(soakFor); err != nil {
			t.Fatalf("TM_SOAK=%q: want short or a duration, e.g. 5m", soakFor)
		}
		o.Users, o.AccessTTL, o.Warmup = 50, time.Minute, 3*time.Second
		o.Latency, o.Pause = 50*time.Millisecond, 50*time.Millisecond
	}
	o.Dir = t.TempDir()
	o.TM = o.Dir + "/tm"
	build := exec.Command("go", "build", "-o", o.TM, "../cmd/tm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	res, err := soak(o)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range res.refreshes {
		total += n
	}
	t.Logf("%d requests, %d errors, p99 %.1f ms; %d refreshes over %d users (%d or %d each expected); RSS %v → %v KiB",
		res.load.requests, res.load.errors, msf(res.load.quantile(0.99)), total, len(res.refreshes), res.expected, res.expected+1,
		res.rssStart, res.rssEnd)
	for _, p := range res.problems {
		t.Error(p)
	}
}
