package lsprojects_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/cmd/lsprojects"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/openapitest"
)

type world struct {
	f        *factory.Factory
	out, err *bytes.Buffer
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

// newWorld wires a factory to the emulator as the user you of the seed.
func newWorld(t *testing.T, s *emulatortest.Server, env map[string]string) *world {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	w := &world{out: out, err: errOut}
	hc := &http.Client{Transport: openapitest.Transport(t, gauge{w, http.DefaultTransport})}
	if env == nil {
		you := s.You()
		env = map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken}
	}
	w.f = &factory.Factory{IO: ios, WorkDir: t.TempDir(), CacheDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HTTPClient: func() *http.Client { return hc }}
	return w
}

// gauge records how many requests are in flight at once.
type gauge struct {
	w    *world
	next http.RoundTripper
}

func (g gauge) RoundTrip(r *http.Request) (*http.Response, error) {
	n := g.w.inFlight.Add(1)
	defer g.w.inFlight.Add(-1)
	for {
		m := g.w.maxSeen.Load()
		if n <= m || g.w.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	return g.next.RoundTrip(r)
}

func (w *world) run(t *testing.T, o lsprojects.Options) error {
	t.Helper()
	o.IO, o.Connect = w.f.IO, w.f.Connect
	return lsprojects.Run(context.Background(), &o)
}

// ManyProjects returns the default seed with n more projects on the
// primary site, keys P0000…, all visible to everyone.
func manyProjects(n int) *emulator.Seed {
	seed := emulator.DefaultSeed()
	site := &seed.Sites[0]
	tmpl := site.Projects[0]
	for i := range n {
		p := tmpl
		p.ID = fmt.Sprint(20000 + i)
		p.Key = fmt.Sprintf("P%04d", i)
		p.Name = fmt.Sprintf("Project %d", i)
		site.Projects = append(site.Projects, p)
	}
	return seed
}

// TestFormats: tab-separated when piped, a table on a terminal, JSON with
// --json; in key order, without the project the user cannot see.
func TestFormats(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.run(t, lsprojects.Options{}); err != nil {
		t.Fatal(err)
	}
	want := "OPS\tOperations\tbusiness\tclassic\nSPACE2\tSpace Two\tsoftware\tclassic\nTEAM\tTeam Rocket\tsoftware\tnext-gen\n"
	if w.out.String() != want {
		t.Errorf("piped:\n%s\nwant:\n%s", w.out, want)
	}

	w.out.Reset()
	w.f.IO.SetTTY(false, true, true)
	if err := w.run(t, lsprojects.Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(w.out.String(), "\n"), "\n")
	// Columns as wide as their content: SPACE2 is the longest key.
	if len(lines) != 4 || !strings.Contains(lines[0], "KEY     NAME") || !strings.Contains(lines[3], "team-managed") ||
		!strings.HasPrefix(lines[2], "SPACE2  Space Two") {
		t.Errorf("table:\n%s", w.out)
	}
	if !strings.Contains(w.err.String(), "3 projects") {
		t.Errorf("stderr %q: want the count", w.err)
	}

	w.out.Reset()
	if err := w.run(t, lsprojects.Options{JSON: true, Query: "TION"}); err != nil {
		t.Fatal(err)
	}
	var ps []tm.Project
	if err := json.Unmarshal(w.out.Bytes(), &ps); err != nil {
		t.Fatalf("--json: %v\n%s", err, w.out)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if strings.Join(keys, ",") != "OPS" { // Opera-tion-s, case-insensitive
		t.Errorf("--query TION: %v", keys)
	}

	w.out.Reset()
	w.err.Reset()
	if err := w.run(t, lsprojects.Options{JSON: true, Query: "zzz"}); err != nil {
		t.Fatalf("a query without matches is not an error: %v", err)
	}
	if w.out.String() != "[]\n" || !strings.Contains(w.err.String(), `No project's key or name contains "zzz"`) {
		t.Errorf("no match: stdout %q, stderr %q", w.out, w.err)
	}
}

// TestManyProjects: 5,000 projects come in key order, in pages fetched
// concurrently but never more than the bound at once.
func TestManyProjects(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Seed: manyProjects(5000), Latency: 5 * time.Millisecond})
	w := newWorld(t, s, nil)
	if err := w.run(t, lsprojects.Options{Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(w.out.String(), "\n"), "\n")
	if len(lines) != 5003 {
		t.Fatalf("%d lines, want 5003", len(lines))
	}
	keys := make([]string, len(lines))
	for i, l := range lines {
		keys[i], _, _ = strings.Cut(l, "\t")
	}
	if !slices.IsSorted(keys) || keys[0] != "OPS" || keys[1] != "P0000" || keys[5002] != "TEAM" {
		t.Errorf("keys out of order: %v … %v", keys[:3], keys[len(keys)-3:])
	}
	pages := (5003 + 99) / 100
	if got := s.E.Requests()["GET /rest/api/3/project/search"]; got != pages {
		t.Errorf("%d page requests, want %d", got, pages)
	}
	if m := w.maxSeen.Load(); m < 2 || m > 4 {
		t.Errorf("at most %d requests in flight; want concurrency, bounded by 4", m)
	}
}

// TestNoProjects: an empty list is the guide's "No projects found", with
// its advice, and exit status 1.
func TestNoProjects(t *testing.T) {
	seed := emulator.DefaultSeed()
	for i := range seed.Sites[0].Projects {
		seed.Sites[0].Projects[i].Permissions["BROWSE_PROJECTS"] = []string{"group:jira-admins"}
	}
	s := emulatortest.Start(t, emulator.Options{Seed: seed})
	w := newWorld(t, s, nil)
	if code := cli.Run(w.f, []string{"ls-projects"}); code != cli.ExitError {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"No projects found", "ATLASSIAN_USE_CLOUD_API=true", "ATLASSIAN_CLOUD_ID=",
		s.URL + "/_edge/tenant_info", "tm check-permissions -p SPACE2", `"Browse Projects" permission`} {
		if !strings.Contains(w.err.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, w.err)
		}
	}
}

// TestDataCenter lists through REST v2's unpaged project list.
func TestDataCenter(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{DataCenter: true})
	w := newWorld(t, s, map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_API_KEY": s.You().PAT})
	if err := w.run(t, lsprojects.Options{Query: "space"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.out.String(), "SPACE2\tSpace Two\tsoftware") || strings.Count(w.out.String(), "\n") != 1 {
		t.Errorf("DC --query space:\n%s", w.out)
	}
	if s.E.Requests()["GET /rest/api/2/project"] != 1 {
		t.Errorf("requests %v; want one GET /rest/api/2/project", s.E.Requests())
	}
}

// TestPageFailure: a page that keeps failing stops the listing with an
// error, after the pages before it were printed.
func TestPageFailure(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{Seed: manyProjects(250)})
	f, _ := emulator.ParseFault("GET /rest/api/3/project/search=400@1")
	w := newWorld(t, s, nil)
	hc := &http.Client{Transport: &faultAfterFirst{s: s, f: f, next: openapitest.Transport(t, http.DefaultTransport)}}
	w.f.HTTPClient = func() *http.Client { return hc }
	err := w.run(t, lsprojects.Options{})
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("err %v; want the failed page's 400", err)
	}
	if n := strings.Count(w.out.String(), "\n"); n != 100 {
		t.Errorf("%d lines printed before the failure, want the first page's 100", n)
	}
}

// faultAfterFirst turns the fault on once the first request is answered.
type faultAfterFirst struct {
	s    *emulatortest.Server
	f    emulator.Fault
	next http.RoundTripper
	done atomic.Bool
}

func (x *faultAfterFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := x.next.RoundTrip(r)
	if x.done.CompareAndSwap(false, true) {
		x.s.E.AddFault(x.f)
	}
	return resp, err
}

// TestRememberedTotal: once a listing has seen the total, the next one
// sends every page alongside the first; a stale total (more or fewer
// projects since) still lists exactly what Jira has, in order.
func TestRememberedTotal(t *testing.T) {
	// A latency that outlasts launching every page, even on a busy
	// machine under -race: the gauge counts requests at once.
	s := emulatortest.Start(t, emulator.Options{Seed: manyProjects(1000), Latency: 50 * time.Millisecond})
	saved := map[string]int{}
	o := lsprojects.Options{
		LastTotal: func(site, q string) int { return saved[site+"|"+q] },
		SaveTotal: func(site, q string, n int) { saved[site+"|"+q] = n },
	}
	list := func(o lsprojects.Options) (string, int32) {
		w := newWorld(t, s, nil)
		if err := w.run(t, o); err != nil {
			t.Fatal(err)
		}
		return w.out.String(), w.maxSeen.Load()
	}
	cold, coldFlight := list(o)
	if len(saved) != 1 {
		t.Fatalf("saved totals %v; want the one listing's", saved)
	}
	warm, warmFlight := list(o)
	if warm != cold {
		t.Error("a listing on a remembered total printed something else")
	}
	pages := int32((1003 + 99) / 100)
	if coldFlight != pages-1 || warmFlight != pages {
		t.Errorf("in flight at most %d cold, %d warm; want %d then %d (every page with the first)", coldFlight, warmFlight, pages-1, pages)
	}
	for _, stale := range []int{5000, 150} {
		for k := range saved {
			saved[k] = stale
		}
		if got, _ := list(o); got != cold {
			t.Errorf("remembered total %d: the listing differs from Jira's", stale)
		}
	}
}
