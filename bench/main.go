// Command bench measures tm against the sandbox with injected latency and
// writes BENCHMARKS.md and its plots: go run ./bench [-runs N] [-out DIR].
// Each scenario runs the built tm binary (and jira-cli, where it has the
// same command) as a fresh process, so startup and peak RSS are real.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// A scenario is one command measured against one emulator.
type scenario struct {
	Name     string
	Projects int           // extra projects in the seed (plotted against)
	Bulk     int           // rows created (plotted against)
	Chain    int           // dependent round trips: the floor is Chain × latency
	TM       []string      // tm's arguments
	Alt      []string      // when set, every other run uses these (a transition there and back)
	Setup    [][]string    // tm commands run once, unmeasured, before the scenario
	Jira     []string      // jira-cli's arguments for the same work; nil when it has none
	Warm     bool          // keep tm's cache between runs (after one unmeasured run)
	Latency  time.Duration // 0: the report's latency
	// TLS runs it against the sandbox over HTTPS with HTTP/2, as Jira Cloud
	// serves; its Chain counts the handshake's round trip.
	TLS bool
}

// coldListing is an ls-projects run on a fresh cache over plain HTTP at the
// report's latency: the rows plotted against project count and judged by
// the listing's goals.
func (sc scenario) coldListing() bool {
	return strings.HasPrefix(sc.Name, "ls-projects") && !sc.Warm && !sc.TLS && sc.Latency == 0
}

// scenarios lists what the report measures; a new command is one more line.
func scenarios(tmp string) []scenario {
	create := []string{"create-ticket", "-p", "SPACE2", "-t", "Benchmark"}
	s := []scenario{
		{Name: "startup (--version)", Chain: 0, TM: []string{"--version"}, Jira: []string{"version"}},
		{Name: "env-check", Chain: 0, TM: []string{"env-check"}},
		{Name: "check-permissions", Chain: 1, TM: []string{"check-permissions"}},
		{Name: "create-ticket cold", Chain: 2, TM: create,
			Jira: []string{"issue", "create", "--no-input", "-tTask", "-sBenchmark", "-pSPACE2"}},
		{Name: "create-ticket warm", Chain: 1, Warm: true, TM: create},
		{Name: "view", Chain: 1, TM: []string{"view", "SPACE2-1"}, Jira: []string{"issue", "view", "SPACE2-1", "--plain"}},
		{Name: "comment", Chain: 1, TM: []string{"comment", "SPACE2-1", "Benchmark"}},
		{Name: "transition", Chain: 2, TM: []string{"transition", "SPACE2-2", "To Do"}, Alt: []string{"transition", "SPACE2-2", "In Progress"}},
		{Name: "assign me (warm)", Chain: 1, Warm: true, TM: []string{"assign", "SPACE2-1", "me"}},
		{Name: "edit summary", Chain: 1, TM: []string{"edit", "SPACE2-1", "--summary", "Benchmark"}},
		{Name: "search 100", Chain: 1, Setup: [][]string{bulkArgs(tmp, 1000)}, TM: []string{"search", "-p", "SPACE2", "-n", "100", "--plain"},
			Jira: []string{"issue", "list", "-pSPACE2", "--plain", "--paginate", "0:100"}},
		{Name: "search 1000 (--all)", Chain: 2, Setup: [][]string{bulkArgs(tmp, 1000)}, TM: []string{"search", "-p", "SPACE2", "--all", "--plain"}},
	}
	for _, n := range bulkSizes {
		s = append(s, scenario{Name: fmt.Sprintf("bulk create %d", n), Bulk: n, Chain: 2, TM: bulkArgs(tmp, n)})
	}
	for _, n := range projectCounts {
		chain := listingChain(n)
		s = append(s, scenario{Name: fmt.Sprintf("ls-projects %d", n), Projects: n, Chain: chain,
			TM: []string{"ls-projects", "--plain"}, Jira: []string{"project", "list"}})
	}
	// The steady state: the last listing's total is remembered, so every
	// page goes out alongside the first.
	s = append(s, scenario{Name: "ls-projects 5000 warm", Projects: 5000, Chain: listingChain(5000), Warm: true, TM: []string{"ls-projects", "--plain"}})
	// What Jira Cloud serves: HTTPS with HTTP/2, a handshake's round trip
	// before the first request, and every request of a fan-out on the one
	// connection.
	s = append(s,
		scenario{Name: "view (HTTPS)", Chain: 2, TLS: true, TM: []string{"view", "SPACE2-1"}},
		scenario{Name: "bulk create 1000 (HTTPS)", Chain: 3, TLS: true, TM: bulkArgs(tmp, 1000)},
		scenario{Name: "ls-projects 5000 (HTTPS)", Projects: 5000, Chain: listingChain(5000) + 1, TLS: true, TM: []string{"ls-projects", "--plain"}})
	return s
}

// listingChain is the round trips a listing of n added projects (plus the
// seed's three visible ones) needs: the first page, then the rest in waves
// of at most ticket.MaxProjectConcurrency.
func listingChain(n int) int {
	pages := (n + 3 + jira.ProjectPageSize - 1) / jira.ProjectPageSize
	return 1 + (pages-1+ticket.MaxProjectConcurrency-1)/ticket.MaxProjectConcurrency
}

var (
	projectCounts = []int{50, 1000, 5000, 20000}
	bulkSizes     = []int{10, 100, 1000}
)

// bulkArgs creates n tickets from a CSV file written for it.
func bulkArgs(tmp string, n int) []string {
	file := filepath.Join(tmp, fmt.Sprintf("bulk-%d.csv", n))
	if _, err := os.Stat(file); err != nil {
		var b strings.Builder
		b.WriteString("summary\n")
		for i := range n {
			fmt.Fprintf(&b, "Benchmark ticket %d\n", i+1)
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	return []string{"create-ticket", "--from", file, "-p", "SPACE2"}
}

// forgetResults removes the bulk results files, so that every run creates
// every row again rather than skipping those created before.
func forgetResults(tmp string) {
	files, _ := filepath.Glob(filepath.Join(tmp, "*.results.csv"))
	for _, f := range files {
		os.Remove(f)
	}
}

// sample is one timed process run.
type sample struct {
	wall time.Duration
	rss  int64 // KiB
	// cpu is the process's own CPU time (user + system); sandboxCPU the
	// sandbox's while it ran. On 2 cores the two compete with each other,
	// so they say where a wall time beyond the floor went.
	cpu, sandboxCPU time.Duration
	// first is when the first byte of standard output arrived: a listing
	// that streams shows its first row long before its last.
	first time.Duration
}

type result struct {
	scenario
	tm, jira []sample
	requests int
	floor    time.Duration
}

func main() {
	if sub, ok := subcommands[firstArg()]; ok { // serve-load, soak: see serveload.go
		if err := sub(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	runs := flag.Int("runs", 7, "runs per scenario")
	latency := flag.Duration("latency", 50*time.Millisecond, "sandbox latency per request")
	out := flag.String("out", ".", "directory for BENCHMARKS.md and the plots")
	jiraCLI := flag.String("jira-cli", "../shared/tools/jira-cli/jira", "jira-cli binary (skipped when absent)")
	tmFlag := flag.String("tm", "", "measure this tm binary instead of building ./cmd/tm (to compare builds)")
	seedFile := flag.String("write-seed", "", "write a seed with -projects more projects to this file and exit")
	projects := flag.Int("projects", 0, "projects to add to the seed (with -write-seed)")
	only := flag.String("only", "", "run only the scenarios whose name matches this regular expression (the report is not written)")
	flag.Parse()
	log.SetFlags(0)
	if *seedFile != "" {
		if err := writeSeed(*seedFile, *projects); err != nil {
			log.Fatal(err)
		}
		return
	}

	tmp, err := os.MkdirTemp("", "tm-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	tmBin := filepath.Join(tmp, "tm")
	build := exec.Command("go", "build", "-o", tmBin, "./cmd/tm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); *tmFlag == "" && err != nil {
		log.Fatalf("go build: %v\n%s", err, b)
	}
	if _, err := os.Stat(*jiraCLI); err != nil {
		*jiraCLI = ""
	} else if *jiraCLI, err = filepath.Abs(*jiraCLI); err != nil {
		log.Fatal(err)
	}
	if *tmFlag != "" {
		if tmBin, err = filepath.Abs(*tmFlag); err != nil {
			log.Fatal(err)
		}
	}
	var results []result
	match, err := regexp.Compile(*only)
	if err != nil {
		log.Fatal(err)
	}
	// A hello world's start, before and after the scenarios (report only).
	floor := func() time.Duration {
		f, err := processFloor(tmp, *runs)
		if err != nil {
			log.Fatal(err)
		}
		return f
	}
	var floorBefore time.Duration
	if *only == "" {
		floorBefore = floor()
	}
	for _, sc := range scenarios(tmp) {
		if !match.MatchString(sc.Name) {
			continue
		}
		r, err := measure(sc, tmBin, *jiraCLI, tmp, *runs, *latency)
		if err != nil {
			log.Fatalf("%s: %v", sc.Name, err)
		}
		m := median(r.tm)
		log.Printf("%-24s tm %v (floor %v; first output %v; tm CPU %v, sandbox CPU %v, peak RSS %.1f MiB)", sc.Name, m.wall.Round(time.Millisecond),
			r.floor, m.first.Round(time.Millisecond), m.cpu.Round(time.Millisecond), m.sandboxCPU.Round(time.Millisecond), float64(m.rss)/1024)
		results = append(results, r)
	}
	if *only != "" {
		return
	}
	if err := write(*out, results, *runs, *latency, [2]time.Duration{floorBefore, floor()}); err != nil {
		log.Fatal(err)
	}
	if err := appendServeLoad(*out, tmBin, tmp, *runs); err != nil { // serveload.go
		log.Fatal(err)
	}
}

// measure runs one scenario runs times against a fresh emulator.
func measure(sc scenario, tmBin, jiraBin, tmp string, runs int, latency time.Duration) (result, error) {
	if sc.Latency != 0 {
		latency = sc.Latency
	}
	sb, err := startSandbox(tmBin, tmp, sc.Projects, latency, sc.TLS)
	if err != nil {
		return result{}, err
	}
	defer sb.stop()
	dir, err := os.MkdirTemp(tmp, "run-")
	if err != nil {
		return result{}, err
	}
	env := append(os.Environ(), "ATLASSIAN_BASE_URL="+sb.url, "ATLASSIAN_EMAIL="+sb.email,
		"ATLASSIAN_API_KEY="+sb.token, "ATLASSIAN_API_URL="+sb.url, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"JIRA_API_TOKEN="+sb.token)
	if sb.certFile != "" {
		env = append(env, "SSL_CERT_FILE="+sb.certFile)
	}
	r := result{scenario: sc, floor: time.Duration(sc.Chain) * latency}
	for _, args := range sc.Setup {
		if _, err := run(dir, env, tmBin, args); err != nil {
			return r, err
		}
	}
	if sc.Warm {
		if _, err := run(dir, env, tmBin, sc.TM); err != nil {
			return r, err
		}
	}
	for i := range runs {
		if !sc.Warm {
			os.RemoveAll(filepath.Join(dir, "cache"))
		}
		forgetResults(tmp)
		if err := sb.resetCounts(); err != nil {
			return r, err
		}
		args := sc.TM
		if sc.Alt != nil && i%2 == 1 {
			args = sc.Alt
		}
		before := sb.cpu()
		s, err := run(dir, env, tmBin, args)
		if err != nil {
			return r, err
		}
		s.sandboxCPU = sb.cpu() - before
		if i == 0 {
			if r.requests, err = sb.count(); err != nil {
				return r, err
			}
		}
		r.tm = append(r.tm, s)
	}
	if jiraBin != "" && sc.Jira != nil {
		cfg := filepath.Join(dir, "jira.yml")
		yml := fmt.Sprintf("installation: Cloud\nserver: %s\nlogin: %s\nauth_type: basic\nproject: {key: SPACE2, type: classic}\n"+
			"issue: {types: [{id: \"10001\", name: Task, handle: Task, subtask: false}]}\ntimezone: UTC\n", sb.url, sb.email)
		if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
			return r, err
		}
		args := sc.Jira
		if sc.Jira[0] != "version" {
			args = append(slices.Clone(sc.Jira), "-c", cfg)
		}
		for range runs {
			s, err := run(dir, env, jiraBin, args)
			if err != nil {
				return r, fmt.Errorf("jira-cli: %w", err)
			}
			r.jira = append(r.jira, s)
		}
	}
	return r, nil
}

func run(dir string, env []string, bin string, args []string) (sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var errOut strings.Builder
	cmd.Stderr = &errOut
	start := time.Now()
	out := &firstWrite{start: start}
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, errOut.String())
	}
	s := sample{wall: time.Since(start), first: out.at}
	if os.Getenv("BENCH_TRACE") != "" {
		log.Print(errOut.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.rss = ru.Maxrss
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s, nil
}

// count sums the emulator's request counts (faults are counted twice
// there; only the operation is taken).
func count(m map[string]int) int {
	n := 0
	for k, c := range m {
		if !strings.HasPrefix(k, "fault ") && !strings.HasPrefix(k, "GET /__") {
			n += c
		}
	}
	return n
}

// median and p90 of a set of samples, by wall time and by RSS separately.
func median(s []sample) sample { return quantile(s, 0.5) }
func p90(s []sample) sample    { return quantile(s, 0.9) }

func quantile(s []sample, q float64) sample {
	if len(s) == 0 {
		return sample{}
	}
	w := make([]time.Duration, len(s))
	c := make([]time.Duration, len(s))
	sc := make([]time.Duration, len(s))
	f := make([]time.Duration, len(s))
	m := make([]int64, len(s))
	for i, x := range s {
		w[i], c[i], sc[i], f[i], m[i] = x.wall, x.cpu, x.sandboxCPU, x.first, x.rss
	}
	slices.Sort(w)
	slices.Sort(f)
	slices.Sort(c)
	slices.Sort(sc)
	slices.Sort(m)
	i := int(q * float64(len(s)-1))
	return sample{wall: w[i], rss: m[i], cpu: c[i], sandboxCPU: sc[i], first: f[i]}
}

// firstWrite discards a process's standard output, noting when its first
// byte arrived. exec copies the pipe to it as bytes come.
type firstWrite struct {
	start time.Time
	at    time.Duration
}

func (w *firstWrite) Write(p []byte) (int, error) {
	if w.at == 0 && len(p) > 0 {
		w.at = time.Since(w.start)
	}
	return len(p), nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

// goal is the report's bar: 1.2 × the round-trip floor + 20 ms.
func goal(floor time.Duration) time.Duration { return floor*6/5 + 20*time.Millisecond }

// processFloor is the median time a static hello-world Go program takes
// through the same harness: what starting and reaping any process costs on
// this host at that moment. On a shared virtual machine it moves by
// milliseconds within minutes, and every row of the report carries it.
func processFloor(tmp string, runs int) (time.Duration, error) {
	dir := filepath.Join(tmp, "hello")
	bin := filepath.Join(dir, "hello")
	if _, err := os.Stat(bin); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
		for name, text := range map[string]string{
			"go.mod":  "module hello\n\ngo 1.21\n",
			"main.go": "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n",
		} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				return 0, err
			}
		}
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir, build.Env = dir, append(os.Environ(), "CGO_ENABLED=0")
		if b, err := build.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("building the hello world: %v\n%s", err, b)
		}
	}
	var s []sample
	for range runs {
		x, err := run(dir, os.Environ(), bin, nil)
		if err != nil {
			return 0, err
		}
		s = append(s, x)
	}
	return median(s).wall, nil
}

func write(dir string, rs []result, runs int, latency time.Duration, floors [2]time.Duration) error {
	host, _ := os.Hostname()
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nWritten by `go run ./bench` on %s: %s/%s, %d CPUs, %s, host %s. "+
		"Sandbox latency %v per request; %d runs per scenario, each a fresh process. "+
		"Floor = dependent round trips × latency; goal = 1.2 × floor + 20 ms, met when the median is within it. "+
		"Requests are those of one run. RSS is the process's peak. CPU is user + system time, tm's own and the sandbox's "+
		"while tm ran (medians): both share this machine's cores, so on a small machine they are what a wall time beyond the floor is made of. jira-cli is ankitpokhrel/jira-cli "+
		"(`../shared/tools/jira-cli/jira`) doing the same work against the same sandbox in the same run "+
		"(its `issue list` reads at most 100 tickets, so it stands next to search 100). "+
		"Rows marked (HTTPS) run against `tm sandbox --tls`: HTTPS with HTTP/2, as Jira Cloud serves, with the TLS handshake "+
		"held for one round trip of the latency, which their floor counts; the other rows are plain HTTP/1.1.",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), host, latency, runs)
	fmt.Fprintf(&b, " A static hello-world Go program, timed the same way, took %.1f ms before the scenarios and %.1f ms after them: "+
		"what starting any process costs on this host during this run, and how much that moved.",
		float64(floors[0])/float64(time.Millisecond), float64(floors[1])/float64(time.Millisecond))
	b.WriteString("\n\n")
	b.WriteString("| scenario | tm median ms | tm p90 ms | requests | floor ms | goal | tm CPU ms | sandbox CPU ms | tm peak RSS MiB | jira-cli median ms | jira-cli RSS MiB | tm / jira-cli |\n" +
		"|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		m, p := median(r.tm), p90(r.tm)
		jm, jr, ratio := "—", "—", "—"
		if len(r.jira) > 0 {
			j := median(r.jira)
			jm, jr = ms(j.wall), fmt.Sprintf("%.1f", float64(j.rss)/1024)
			ratio = fmt.Sprintf("%.2f", float64(m.wall)/float64(j.wall))
		}
		met := "met"
		if m.wall > goal(r.floor) {
			met = "missed (" + ms(goal(r.floor)) + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s | %s | %.1f | %s | %s | %s |\n", r.Name, ms(m.wall), ms(p.wall), r.requests,
			ms(r.floor), met, ms(m.cpu), ms(m.sandboxCPU), float64(m.rss)/1024, jm, jr, ratio)
	}
	if g := listingGoals(rs, latency); g != "" {
		b.WriteString("\nThe listing's own goals, from the rows above:\n\n" + g)
	}
	b.WriteString("\n![wall time against project count](bench/ls-projects-wall.svg)\n\n![peak RSS against project count](bench/ls-projects-rss.svg)\n" +
		"\n![wall time against bulk size](bench/bulk-wall.svg)\n\n![peak RSS against bulk size](bench/bulk-rss.svg)\n")
	if err := os.WriteFile(filepath.Join(dir, "BENCHMARKS.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	projects := func(r result) (float64, bool) {
		return float64(r.Projects), r.coldListing()
	}
	bulk := func(r result) (float64, bool) { return float64(r.Bulk), r.Bulk > 0 && !r.TLS }
	for _, pl := range []struct {
		file, title, x string
		pick           func(result) (float64, bool)
	}{{"ls-projects", "ls-projects", "projects", projects}, {"bulk", "create-ticket --from", "rows", bulk}} {
		if err := plots(dir, pl.file, pl.title, pl.x, rs, pl.pick); err != nil {
			return err
		}
	}
	return nil
}

// plots draws the median wall time and peak RSS of the results pick
// takes, against the x it gives them, as bench/NAME-wall.svg and -rss.svg.
func plots(dir, name, title, xLabel string, rs []result, pick func(result) (float64, bool)) error {
	var tmW, jW, tmM, jM []point
	for _, r := range rs {
		x, ok := pick(r)
		if !ok {
			continue
		}
		tmW = append(tmW, point{x, float64(median(r.tm).wall) / 1e6})
		tmM = append(tmM, point{x, float64(median(r.tm).rss) / 1024})
		if len(r.jira) > 0 {
			jW = append(jW, point{x, float64(median(r.jira).wall) / 1e6})
			jM = append(jM, point{x, float64(median(r.jira).rss) / 1024})
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bench", name+"-wall.svg"),
		plot(title+": median wall time", xLabel, "ms", []series{{"tm", "#1f77b4", tmW}, {"jira-cli", "#d62728", jW}}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bench", name+"-rss.svg"),
		plot(title+": peak RSS", xLabel, "MiB", []series{{"tm", "#1f77b4", tmM}, {"jira-cli", "#d62728", jM}}), 0o644)
}
