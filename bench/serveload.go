package main

// tm serve under load: the sandbox and every tm serve replica run as their
// own processes (the built binary), so the figures include real sockets,
// real logging and each process's own RSS.
//
//	go run ./bench serve-load [-users 50] [-duration 15s] [-latency 50ms] [-db sqlite|postgres] [-path /api/projects]
//	go run ./bench soak [-duration 5m] [-users 50] [-replicas 2] [-access-ttl 60s]
//
// PostgreSQL comes from TM_TEST_POSTGRES_URL (eval "$(bash .ci/postgres.sh)");
// each run works in a database of its own, dropped afterwards.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/store/postgres"
)

// rigOptions shape one serve rig.
type rigOptions struct {
	TM        string // the tm binary
	Dir       string // scratch directory
	Users     int
	Replicas  int
	Latency   time.Duration
	AccessTTL time.Duration // 0: the sandbox's default (one hour)
	Postgres  bool
}

// serveRig is a sandbox, tm serve replicas on one database, and signed-in
// users, each with a cookie jar of their own.
type serveRig struct {
	sandbox  *exec.Cmd
	sbURL    string
	proxy    *httptest.Server // the token endpoint, counting refreshes
	refresh  *refreshLog
	replicas []*replica
	users    []*http.Client
	dropDB   func()
	backends func() []int // the PostgreSQL server processes serving the run's database
}

type replica struct {
	cmd *exec.Cmd
	url string
}

// refreshLog records every successful refresh_token grant: the account and
// the refresh token spent.
type refreshLog struct {
	mu     sync.Mutex
	byUser map[string][]refreshEvent
}

type refreshEvent struct {
	at    time.Time
	spent string
}

func startRig(o rigOptions) (_ *serveRig, err error) {
	// Not the named result: a failed start returns nil, and what was
	// started must still be stopped.
	rig := &serveRig{refresh: &refreshLog{byUser: map[string][]refreshEvent{}}}
	defer func() {
		if err != nil {
			rig.stop()
		}
	}()
	seed := emulator.DefaultSeed()
	accounts := addUsers(seed, o.Users)
	data, err := json.Marshal(seed)
	if err != nil {
		return nil, err
	}
	seedFile := filepath.Join(o.Dir, "serve-seed.json")
	if err := os.WriteFile(seedFile, data, 0o600); err != nil {
		return nil, err
	}
	args := []string{"sandbox", "--addr", "127.0.0.1:0", "--seed", seedFile, "--rate-limit-points", "-1",
		"--rate-limit-user-search", "-1", "--latency", o.Latency.String()}
	if o.AccessTTL > 0 {
		args = append(args, "--access-token-ttl", o.AccessTTL.String())
	}
	rig.sandbox = exec.Command(o.TM, args...)
	env, err := firstLines(rig.sandbox, func(l string) bool { return strings.Contains(l, "ATLASSIAN_CLIENT_SECRET=") })
	if err != nil {
		return nil, fmt.Errorf("tm sandbox: %w", err)
	}
	rig.sbURL = env["ATLASSIAN_BASE_URL"]
	clientID, clientSecret := env["# ATLASSIAN_CLIENT_ID"], env["# ATLASSIAN_CLIENT_SECRET"]
	if rig.sbURL == "" || clientID == "" {
		return nil, errors.New("tm sandbox printed no OAuth app")
	}
	target, _ := url.Parse(rig.sbURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rig.proxy = httptest.NewServer(rig.refresh.wrap(rp))

	dbURL := "sqlite:" + filepath.Join(o.Dir, "serve.db")
	if o.Postgres {
		if dbURL, rig.dropDB, rig.backends, err = freshPostgres(); err != nil {
			return nil, err
		}
	}
	key := make([]byte, 32)
	rand.Read(key)
	for range o.Replicas {
		cmd := exec.Command(o.TM, "serve", "--addr", "127.0.0.1:0")
		cmd.Dir = o.Dir
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(o.Dir, "config"), "HOME="+o.Dir,
			"TM_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key), "DATABASE_URL="+dbURL,
			"ATLASSIAN_CLIENT_ID="+clientID, "ATLASSIAN_CLIENT_SECRET="+clientSecret,
			"ATLASSIAN_AUTH_URL="+rig.proxy.URL, "ATLASSIAN_API_URL="+rig.sbURL)
		r := &replica{cmd: cmd}
		rig.replicas = append(rig.replicas, r)
		lines, err := firstStderr(cmd, "ticket-mate is running: open ")
		if err != nil {
			return nil, fmt.Errorf("tm serve: %w", err)
		}
		r.url = strings.TrimSpace(lines)
	}
	rig.users = make([]*http.Client, o.Users)
	errs := make(chan error, o.Users)
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i := range o.Users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := loopbackClient(i)
			if err := signIn(c, rig.replicas[0].url, accounts[i]); err != nil {
				errs <- fmt.Errorf("user %d: %w", i, err)
				return
			}
			rig.users[i] = c
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return rig, nil
}

func (rig *serveRig) stop() {
	for _, r := range rig.replicas {
		if r.cmd.Process != nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	}
	if rig.sandbox != nil && rig.sandbox.Process != nil {
		_ = rig.sandbox.Process.Kill()
		_ = rig.sandbox.Wait()
	}
	if rig.proxy != nil {
		rig.proxy.Close()
	}
	if rig.dropDB != nil {
		rig.dropDB()
	}
}

// addUsers adds users to the seed, members of every site with a member
// list, and returns every account id, "you" first.
func addUsers(seed *emulator.Seed, n int) []string {
	base := seed.Users[0]
	accounts := []string{base.AccountID}
	for i := 1; i < n; i++ {
		u := base
		u.AccountID = fmt.Sprintf("5b10a2844c20165700e%05d", i)
		u.Email = fmt.Sprintf("bench%d@sandbox.example", i)
		u.DisplayName = fmt.Sprintf("Bench User %d", i)
		u.Username = fmt.Sprintf("bench%d", i)
		seed.Users = append(seed.Users, u)
		accounts = append(accounts, u.AccountID)
		for s := range seed.Sites {
			if len(seed.Sites[s].Members) > 0 {
				seed.Sites[s].Members = append(seed.Sites[s].Members, u.AccountID)
			}
		}
	}
	return accounts
}

// firstLines starts cmd and reads KEY=VALUE lines of its stdout until done
// says so; the rest is drained.
func firstLines(cmd *exec.Cmd, done func(string) bool) (map[string]string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	env := map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
		if done(sc.Text()) {
			break
		}
	}
	go io.Copy(io.Discard, out)
	return env, nil
}

// firstStderr starts cmd and returns what follows prefix on the first
// stderr line that has it; the rest (one log line per request) is drained.
func firstStderr(cmd *exec.Cmd, prefix string) (string, error) {
	errOut, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(errOut)
	var seen []string
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), prefix); ok {
			go io.Copy(io.Discard, errOut)
			return rest, nil
		}
		seen = append(seen, sc.Text())
	}
	return "", fmt.Errorf("exited before listening:\n%s", strings.Join(seen, "\n"))
}

// freshPostgres creates a database of its own on TM_TEST_POSTGRES_URL. It
// returns its URL, how to drop it, and how to list the server processes
// (backends) connected to it, whose CPU is the database's share of a run.
func freshPostgres() (string, func(), func() []int, error) {
	base := os.Getenv("TM_TEST_POSTGRES_URL")
	if base == "" {
		return "", nil, nil, errors.New(`PostgreSQL runs need TM_TEST_POSTGRES_URL: eval "$(bash .ci/postgres.sh)"`)
	}
	admin, err := postgres.Open(base)
	if err != nil {
		return "", nil, nil, err
	}
	name := "tmload_" + strings.ToLower(rand.Text()[:10])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", nil, nil, err
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	backends := func() []int {
		var pids []int
		rows, err := admin.Query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, name)
		if err != nil {
			return nil
		}
		defer rows.Close()
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	return u.String(), func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, backends, nil
}

// loopbackClient is user i's browser: its own cookie jar and its own
// loopback source address, so the per-address sign-in limit sees 50 people
// rather than one script.
func loopbackClient(i int) *http.Client {
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 1+byte(i/250), 1+byte(i%250))}
	d := &net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 8, IdleConnTimeout: time.Minute}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}
}

var nonceField = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// signIn plays a person pressing Connect Jira on server and Accept on the
// sandbox's consent page as account.
func signIn(c *http.Client, server, account string) error {
	resp, err := c.Get(server + "/api/auth/jira/login")
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := nonceField.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("no consent form after sign-in (HTTP %d): %.200s", resp.StatusCode, page)
	}
	resp, err = c.PostForm(resp.Request.URL.String(), url.Values{"nonce": {string(m[1])}, "decision": {"accept"},
		"account_id": {account}})
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		return fmt.Errorf("sign-in ended at %s with HTTP %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return nil
}

// wrap counts the refresh_token grants the token endpoint accepts.
func (l *refreshLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct {
			GrantType    string `json:"grant_type"`
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.Unmarshal(body, &in)
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if in.GrantType == "refresh_token" && rec.Code == http.StatusOK {
			l.mu.Lock()
			sub := subject(in.RefreshToken)
			l.byUser[sub] = append(l.byUser[sub], refreshEvent{time.Now(), in.RefreshToken})
			l.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// subject is the sub claim of the sandbox's JWT-shaped token.
func subject(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "?"
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Sub string `json:"sub"`
	}
	if err != nil || json.Unmarshal(b, &c) != nil {
		return "?"
	}
	return c.Sub
}

// loadResult is what one closed-loop run measured.
type loadResult struct {
	requests, errors int
	elapsed          time.Duration
	latencies        []time.Duration // sorted
	firstError       string
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(q*float64(len(r.latencies)-1))]
}

// load has every user ask for path in a closed loop for d, each request
// going to the next replica in turn.
func (rig *serveRig) load(path string, d time.Duration) loadResult { return rig.loadPaced(path, d, 0) }

// loadPaced is load with each user pausing between requests.
func (rig *serveRig) loadPaced(path string, d, pause time.Duration) loadResult {
	var mu sync.Mutex
	var res loadResult
	var errs atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range rig.users {
		wg.Go(func() {
			var lat []time.Duration
			var first string
			for k := i; time.Now().Before(deadline); k++ {
				if pause > 0 && k > i {
					time.Sleep(pause)
				}
				base := rig.replicas[k%len(rig.replicas)].url
				t0 := time.Now()
				resp, err := c.Get(base + path)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode != http.StatusOK || resp.Request.URL.RequestURI() != path) {
						err = fmt.Errorf("GET %s: HTTP %d at %s", path, resp.StatusCode, resp.Request.URL.Path)
					}
				}
				if err != nil {
					if errs.Add(1) == 1 {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			if first != "" {
				res.firstError = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.errors = int(errs.Load())
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

// rssKiB is a process's resident set now.
func rssKiB(p *os.Process) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime is a process's user and system CPU time so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks (100 Hz).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// cpuShares is the CPU each part used during a run: the replicas, the
// sandbox, the load generator and, on PostgreSQL, the database's backends
// (per process, since backends come and go with the pools' connections).
type cpuShares struct {
	serve, sandbox, load time.Duration
	backends             map[int]time.Duration
}

func (rig *serveRig) cpu() cpuShares {
	var c cpuShares
	for _, r := range rig.replicas {
		c.serve += cpuTime(r.cmd.Process.Pid)
	}
	c.sandbox = cpuTime(rig.sandbox.Process.Pid)
	c.load = cpuTime(os.Getpid())
	if rig.backends != nil {
		c.backends = map[int]time.Duration{}
		for _, pid := range rig.backends() {
			c.backends[pid] = cpuTime(pid)
		}
	}
	return c
}

// cpuUsed is what each part used between before and after. A backend
// started during the run counts from zero; one that ended during it is
// not seen at all, so the database's share is a lower bound.
type cpuUsed struct{ serve, sandbox, load, database time.Duration }

func (c cpuShares) sub(before cpuShares) cpuUsed {
	u := cpuUsed{serve: c.serve - before.serve, sandbox: c.sandbox - before.sandbox, load: c.load - before.load}
	for pid, t := range c.backends {
		u.database += t - before.backends[pid]
	}
	return u
}

// wrk loads path with wrk (when installed) at 50 connections, each request
// carrying the next user's session cookie, and returns its report.
func (rig *serveRig) wrk(path string, d time.Duration) (string, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return "", errors.New("wrk is not installed (apt-get install wrk)")
	}
	u, _ := url.Parse(rig.replicas[0].url)
	var script strings.Builder
	script.WriteString("cookies = {")
	for _, c := range rig.users {
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "tm_session" {
				fmt.Fprintf(&script, "%q,", ck.Name+"="+ck.Value)
			}
		}
	}
	fmt.Fprintf(&script, "}\ni = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", %q, {[\"Cookie\"] = cookies[(i %% #cookies) + 1]})\nend\n", path)
	f, err := os.CreateTemp("", "tm-wrk-*.lua")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	f.WriteString(script.String())
	f.Close()
	out, err := exec.Command(bin, "-t2", "-c50", "-d"+d.String(), "--latency", "-s", f.Name(), u.String()).CombinedOutput()
	return string(out), err
}

// serveLoadCmd is "go run ./bench serve-load".
func serveLoadCmd(args []string) error {
	fs := flag.NewFlagSet("serve-load", flag.ExitOnError)
	users := fs.Int("users", 50, "signed-in users asking at once")
	dur := fs.Duration("duration", 15*time.Second, "how long to load")
	latency := fs.Duration("latency", 50*time.Millisecond, "sandbox latency per request")
	db := fs.String("db", "sqlite", "sqlite or postgres")
	path := fs.String("path", "/api/projects", "what every user asks for")
	replicas := fs.Int("replicas", 1, "tm serve replicas on the one database")
	tmFlag := fs.String("tm", "", "the tm binary (default: build ./cmd/tm)")
	runs := fs.Int("runs", 1, "repeat the run this many times against the same rig")
	useWrk := fs.Bool("wrk", false, "load with wrk instead of Go clients (cheaper on CPU)")
	fs.Parse(args)
	tmp, bin, err := scratch(*tmFlag, "tm-serve-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rig, err := startRig(rigOptions{TM: bin, Dir: tmp, Users: *users, Replicas: *replicas, Latency: *latency, Postgres: *db == "postgres"})
	if err != nil {
		return err
	}
	defer rig.stop()
	rig.load(*path, 2*time.Second) // warm connections and caches
	for range *runs {
		before := rig.cpu()
		if *useWrk {
			out, err := rig.wrk(*path, *dur)
			used := rig.cpu().sub(before)
			fmt.Printf("%s %s latency=%v (wrk, 50 connections): CPU serve %v, sandbox %v\n%s", *db, *path, *latency,
				used.serve, used.sandbox, out)
			if err != nil {
				return err
			}
			continue
		}
		r := rig.load(*path, *dur)
		used := rig.cpu().sub(before)
		pg := ""
		if rig.backends != nil {
			pg = fmt.Sprintf(", postgres %.0f", perReq(used.database, r.requests))
		}
		fmt.Printf("%s %s users=%d latency=%v replicas=%d: %d requests, %d errors, %.0f req/s, p50 %.1f ms, p99 %.1f ms, p99 overhead %.1f ms; CPU µs/request: serve %.0f, sandbox %.0f, load %.0f%s\n",
			*db, *path, *users, *latency, *replicas, r.requests, r.errors, r.rate(), msf(r.quantile(0.5)), msf(r.quantile(0.99)),
			msf(r.quantile(0.99)-*latency), perReq(used.serve, r.requests), perReq(used.sandbox, r.requests), perReq(used.load, r.requests), pg)
		if r.firstError != "" {
			fmt.Println("  first error:", r.firstError)
		}
	}
	return nil
}

func perReq(d time.Duration, n int) float64 { return float64(d.Microseconds()) / float64(max(n, 1)) }

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// scratch makes a scratch directory and returns it with the tm binary to
// measure: the given one, or ./cmd/tm built into it.
func scratch(given, prefix string) (dir, bin string, err error) {
	if dir, err = os.MkdirTemp("", prefix); err != nil {
		return "", "", err
	}
	if bin, err = tmBinary(given, dir); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, bin, nil
}

// tmBinary is the given binary, or ./cmd/tm built into dir.
func tmBinary(given, dir string) (string, error) {
	if given != "" {
		return filepath.Abs(given)
	}
	bin := filepath.Join(dir, "tm")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, b)
	}
	return bin, nil
}

// soakOptions shape a soak.
type soakOptions struct {
	TM        string
	Dir       string
	Users     int
	Replicas  int
	Duration  time.Duration
	AccessTTL time.Duration
	Path      string
	Warmup    time.Duration // before the first RSS reading; 0: 3s
	Latency   time.Duration // the sandbox's
	Pause     time.Duration // between one user's requests
}

// soakResult is what a soak saw.
type soakResult struct {
	load              loadResult
	rssStart, rssEnd  []int64 // KiB per replica
	refreshes         map[string]int
	expected          int // refreshes per user the access-token lifetime calls for, at least
	problems          []string
	minRefreshSpacing time.Duration
}

// soak runs replicas on one PostgreSQL with users asking in a closed loop
// while their access tokens expire, and checks: no failed request, one
// refresh per user per expiry (no refresh token spent twice, none sooner
// than due), every replica's RSS flat.
func soak(o soakOptions) (*soakResult, error) {
	rig, err := startRig(rigOptions{TM: o.TM, Dir: o.Dir, Users: o.Users, Replicas: o.Replicas, AccessTTL: o.AccessTTL,
		Latency: o.Latency, Postgres: true})
	if err != nil {
		return nil, err
	}
	defer rig.stop()
	if o.Warmup == 0 {
		o.Warmup = 3 * time.Second
	}
	rig.load(o.Path, o.Warmup)
	res := &soakResult{}
	for _, r := range rig.replicas {
		res.rssStart = append(res.rssStart, rssKiB(r.cmd.Process))
	}
	rig.refresh.mu.Lock()
	clear(rig.refresh.byUser)
	rig.refresh.mu.Unlock()
	started := time.Now()
	res.load = rig.loadPaced(o.Path, o.Duration, o.Pause)
	ran := time.Since(started)
	for _, r := range rig.replicas {
		res.rssEnd = append(res.rssEnd, rssKiB(r.cmd.Process))
	}
	// A token lives AccessTTL and is refreshed a tenth of that before it
	// expires (atlassian.RefreshMargin).
	due := o.AccessTTL - o.AccessTTL/10
	res.expected = int(ran / due)
	res.refreshes = map[string]int{}
	res.minRefreshSpacing = time.Duration(1<<63 - 1)
	rig.refresh.mu.Lock()
	defer rig.refresh.mu.Unlock()
	for user, evs := range rig.refresh.byUser {
		res.refreshes[user] = len(evs)
		spent := map[string]bool{}
		for i, ev := range evs {
			if spent[ev.spent] {
				res.problems = append(res.problems, fmt.Sprintf("user %s spent one refresh token twice", user))
			}
			spent[ev.spent] = true
			if i > 0 {
				res.minRefreshSpacing = min(res.minRefreshSpacing, ev.at.Sub(evs[i-1].at))
			}
		}
	}
	if res.load.errors > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d of %d requests failed; first: %s", res.load.errors,
			res.load.errors+res.load.requests, res.load.firstError))
	}
	if len(res.refreshes) != o.Users {
		res.problems = append(res.problems, fmt.Sprintf("%d of %d users refreshed", len(res.refreshes), o.Users))
	}
	for user, n := range res.refreshes {
		// The first due time falls anywhere in the first period, so a user
		// refreshes expected or expected+1 times, never more.
		if n < res.expected || n > res.expected+1 {
			res.problems = append(res.problems, fmt.Sprintf("user %s refreshed %d times in %v; %d or %d expected",
				user, n, ran.Round(time.Second), res.expected, res.expected+1))
		}
	}
	if res.minRefreshSpacing < due*8/10 && len(res.refreshes) > 0 && res.expected > 1 {
		res.problems = append(res.problems, fmt.Sprintf("a user refreshed again after %v; tokens last %v", res.minRefreshSpacing, o.AccessTTL))
	}
	for i := range res.rssStart {
		// Flat: within a quarter, and never more than 16 MiB up.
		if up := res.rssEnd[i] - res.rssStart[i]; up > res.rssStart[i]/4 && up > 16<<10 {
			res.problems = append(res.problems, fmt.Sprintf("replica %d grew from %d to %d KiB", i, res.rssStart[i], res.rssEnd[i]))
		}
	}
	return res, nil
}

// soakCmd is "go run ./bench soak".
func soakCmd(args []string) error {
	fs := flag.NewFlagSet("soak", flag.ExitOnError)
	users := fs.Int("users", 50, "signed-in users")
	replicas := fs.Int("replicas", 2, "tm serve replicas on one PostgreSQL")
	dur := fs.Duration("duration", 5*time.Minute, "how long to soak")
	ttl := fs.Duration("access-ttl", time.Minute, "lifetime of the sandbox's access tokens")
	path := fs.String("path", "/api/projects", "what every user asks for")
	latency := fs.Duration("latency", 50*time.Millisecond, "sandbox latency per request")
	pause := fs.Duration("pause", 50*time.Millisecond, "each user's pause between requests")
	tmFlag := fs.String("tm", "", "the tm binary (default: build ./cmd/tm)")
	fs.Parse(args)
	tmp, bin, err := scratch(*tmFlag, "tm-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	res, err := soak(soakOptions{TM: bin, Dir: tmp, Users: *users, Replicas: *replicas, Duration: *dur, AccessTTL: *ttl, Path: *path,
		Latency: *latency, Pause: *pause})
	if err != nil {
		return err
	}
	total := 0
	for _, n := range res.refreshes {
		total += n
	}
	fmt.Printf("soak: %d replicas on PostgreSQL, %d users pausing %v between requests, %v, sandbox latency %v, access tokens live %v\n",
		*replicas, *users, *pause, *dur, *latency, *ttl)
	fmt.Printf("  %d requests, %d errors, %.0f req/s, p50 %.1f ms, p99 %.1f ms\n", res.load.requests, res.load.errors,
		res.load.rate(), msf(res.load.quantile(0.5)), msf(res.load.quantile(0.99)))
	fmt.Printf("  refreshes: %d in all over %d users (%d or %d each expected), closest two of one user %v apart\n",
		total, len(res.refreshes), res.expected, res.expected+1, res.minRefreshSpacing.Round(time.Millisecond))
	for i := range res.rssStart {
		fmt.Printf("  replica %d RSS: %.1f MiB at start, %.1f MiB at end\n", i, float64(res.rssStart[i])/1024, float64(res.rssEnd[i])/1024)
	}
	if len(res.problems) > 0 {
		return errors.New("soak failed:\n  " + strings.Join(res.problems, "\n  "))
	}
	fmt.Println("  ok")
	return nil
}

// subcommands of go run ./bench besides the report.
var subcommands = map[string]func(args []string) error{"serve-load": serveLoadCmd, "soak": soakCmd, "serve-report": serveReportCmd}

// serveReportCmd is "go run ./bench serve-report": only the tm serve
// section of the report, appended to DIR/BENCHMARKS.md.
func serveReportCmd(args []string) error {
	fs := flag.NewFlagSet("serve-report", flag.ExitOnError)
	out := fs.String("out", ".", "directory of the BENCHMARKS.md to append to")
	runs := fs.Int("runs", 7, "as for the report: runs/2 load runs per scenario")
	tmFlag := fs.String("tm", "", "the tm binary (default: build ./cmd/tm)")
	fs.Parse(args)
	tmp, bin, err := scratch(*tmFlag, "tm-serve-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	return appendServeLoad(*out, bin, tmp, *runs)
}

func firstArg() string {
	if len(os.Args) < 2 {
		return ""
	}
	return os.Args[1]
}

// serveScenario is one row of the report's tm serve table.
type serveScenario struct {
	name     string
	postgres bool
	latency  time.Duration
	path     string
}

var serveScenarios = []serveScenario{
	{"GET /api/projects, SQLite", false, 50 * time.Millisecond, "/api/projects"},
	{"GET /api/projects, SQLite", false, 0, "/api/projects"},
	{"GET /api/projects, PostgreSQL", true, 50 * time.Millisecond, "/api/projects"},
	{"GET /api/projects, PostgreSQL", true, 0, "/api/projects"},
	{"GET /api/issues (search), SQLite", false, 50 * time.Millisecond, "/api/issues?jql=project%3DSPACE2"},
	{"GET / (dashboard), SQLite", false, 50 * time.Millisecond, "/"},
}

// appendServeLoad measures tm serve with 50 signed-in users and appends its
// table to dir/BENCHMARKS.md. PostgreSQL rows need TM_TEST_POSTGRES_URL.
func appendServeLoad(dir, tmBin, tmp string, runs int) error {
	const users, each = 50, 8 * time.Second
	var b strings.Builder
	b.WriteString("\n## tm serve under load\n\n" +
		"`go run ./bench serve-load`: 50 signed-in users, each asking again as soon as answered, for " + each.String() +
		" per run; tm serve and the sandbox are separate processes on this machine, the load generator a third. " +
		"p99 − latency is the server's overhead for a page of one round trip to Jira (projects); search and the dashboard make more. " +
		"CPU is tm serve's own per request, which other work on shared cores disturbs less than latency.\n\n" +
		"| scenario | sandbox latency | req/s | p50 ms | p99 ms | p99 − latency ms | tm serve CPU µs/req | errors |\n|---|---|---|---|---|---|---|---|\n")
	var rows []serveRow
	for _, sc := range serveScenarios {
		if sc.postgres && os.Getenv("TM_TEST_POSTGRES_URL") == "" {
			fmt.Fprintf(&b, "| %s | %v | not run: no TM_TEST_POSTGRES_URL | | | | | |\n", sc.name, sc.latency)
			rows = append(rows, serveRow{serveScenario: sc, notRun: true})
			continue
		}
		dir, err := os.MkdirTemp(tmp, "serve-")
		if err != nil {
			return err
		}
		rig, err := startRig(rigOptions{TM: tmBin, Dir: dir, Users: users, Replicas: 1, Latency: sc.latency, Postgres: sc.postgres})
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		rig.load(sc.path, 2*time.Second)
		var rs []loadResult
		var cpus []float64
		for range max(runs/2, 1) {
			before := rig.cpu()
			r := rig.load(sc.path, each)
			rs = append(rs, r)
			cpus = append(cpus, perReq(rig.cpu().sub(before).serve, r.requests))
		}
		rig.stop()
		// The run with the median rate stands for the scenario.
		idx := make([]int, len(rs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return int(rs[a].rate() - rs[b].rate()) })
		m := idx[len(idx)/2]
		r := rs[m]
		rows = append(rows, serveRow{serveScenario: sc, rate: r.rate(), p99: r.quantile(0.99)})
		fmt.Fprintf(&b, "| %s | %v | %.0f | %.1f | %.1f | %.1f | %.0f | %d |\n", sc.name, sc.latency, r.rate(),
			msf(r.quantile(0.5)), msf(r.quantile(0.99)), msf(r.quantile(0.99)-sc.latency), cpus[m], r.errors)
		log.Printf("%-34s latency %-5v %6.0f req/s  p99 %.1f ms", sc.name, sc.latency, r.rate(), msf(r.quantile(0.99)))
	}
	if g := serveGoals(rows); g != "" {
		b.WriteString("\nGoals for GET /api/projects with 50 users, from the rows above:\n\n" + g)
	}
	f, err := os.OpenFile(filepath.Join(dir, "BENCHMARKS.md"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(b.String())
	return err
}
