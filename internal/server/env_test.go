package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/store"
)

// clock is a movable clock shared by goroutines.
type clock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// sandbox is the emulator on a real listener, with its own movable clock.
type sandbox struct {
	E     *emulator.Emulator
	URL   string
	Creds emulator.Credentials
	Clock *clock
}

func startSandbox(t testing.TB, latency time.Duration) *sandbox {
	t.Helper()
	sb := &sandbox{Clock: &clock{}}
	e, err := emulator.New(emulator.Options{Clock: sb.Clock.Now, Latency: latency, RateLimit: emulator.RateLimit{Points: -1}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(func() { hs.Close(); e.Close() })
	e.SetBaseURL(hs.URL)
	sb.E, sb.URL, sb.Creds = e, hs.URL, e.Credentials()
	return sb
}

// env is one tm server on a real listener over a real database, signed in
// to the sandbox's OAuth app.
type env struct {
	t      testing.TB
	sb     *sandbox
	db     *store.DB
	dbURL  string
	srv    *server.Server
	URL    string
	Clock  *clock // the server's clock (state expiry, token freshness)
	Logs   *syncBuffer
	client *http.Client
}

type envOptions struct {
	sandbox     *sandbox // nil: a new one
	databaseURL string   // "": a new SQLite file
	key         *secret.Keyring
	// defaultProject is the configured ATLASSIAN_PROJECT_KEY.
	defaultProject string
	devices        server.DeviceOptions
	// server, when set, adjusts the server's options.
	server func(*server.Options)
	// apiURL, when set, is the Atlassian API gateway instead of the sandbox.
	apiURL string
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.sandbox == nil {
		o.sandbox = startSandbox(t, 0)
	}
	if o.databaseURL == "" {
		o.databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "tm.db")
	}
	if o.key == nil {
		o.key = testKeyring(t)
	}
	e := &env{t: t, sb: o.sandbox, dbURL: o.databaseURL, Clock: &clock{}, Logs: &syncBuffer{}}
	db, err := store.Open(context.Background(), o.databaseURL, o.key, store.WithClock(e.Clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db

	// The listener comes first: the redirect URI names its port.
	ts := httptest.NewUnstartedServer(nil)
	e.URL = "http://" + ts.Listener.Addr().String()
	app := e.sb.Creds.OAuth[0]
	e.client = &http.Client{Timeout: 20 * time.Second}
	if o.apiURL == "" {
		o.apiURL = e.sb.URL
	}
	oauth, err := atlassian.New(atlassian.Config{AuthURL: e.sb.URL, APIURL: o.apiURL, ClientID: app.ClientID,
		ClientSecret: tm.Secret(app.ClientSecret), RedirectURI: e.URL + "/api/auth/jira/callback", HTTPClient: e.client, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	so := server.Options{Store: db, Keys: o.key, OAuth: oauth, APIURL: o.apiURL, Logger: log, Now: e.Clock.Now,
		DefaultProject: o.defaultProject, Devices: o.devices}
	if o.server != nil {
		o.server(&so)
	}
	e.srv, err = server.New(so)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = e.srv
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(func() { assertNoSecrets(t, e) })
	return e
}

func testKeyring(t testing.TB) *secret.Keyring {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	k, err := secret.ParseKey(base64.StdEncoding.EncodeToString(b))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := secret.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// assertNoSecrets searches the database and the captured logs for every
// code and token the OAuth emulator ever issued.
func assertNoSecrets(t testing.TB, e *env) {
	issued := e.sb.E.Auth().IssuedSecrets()
	if len(issued) == 0 {
		return
	}
	haystacks := map[string]string{"logs": e.Logs.String()}
	if path, ok := strings.CutPrefix(e.dbURL, "sqlite:"); ok {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			if b, err := os.ReadFile(path + suffix); err == nil {
				haystacks["database file "+filepath.Base(path)+suffix] = string(b)
			}
		}
	} else {
		haystacks["database rows"] = dumpPostgres(t, e.dbURL)
	}
	for where, text := range haystacks {
		for _, s := range issued {
			if len(s) >= 8 && strings.Contains(text, s) {
				t.Errorf("an issued OAuth secret (%s) appears in the %s", tm.Mask(s), where)
			}
		}
	}
}

// dumpPostgres renders every row of every table as JSON text.
func dumpPostgres(t testing.TB, dsn string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Error(err)
		return ""
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		r, err := db.Query(`SELECT row_to_json(t)::text FROM "` + tb + `" t`)
		if err != nil {
			t.Error(err)
			continue
		}
		for r.Next() {
			var s string
			r.Scan(&s)
			b.WriteString(s + "\n")
		}
		r.Close()
	}
	return b.String()
}

// newPostgres creates a database for one test on TM_TEST_POSTGRES_URL and
// returns its URL; it skips without the variable unless TM_REQUIRE_POSTGRES=1.
func newPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TM_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("TM_REQUIRE_POSTGRES") == "1" {
			t.Fatal("TM_REQUIRE_POSTGRES=1 but TM_TEST_POSTGRES_URL is not set; run: eval \"$(bash .ci/postgres.sh)\"")
		}
		t.Skip("TM_TEST_POSTGRES_URL is not set; run: eval \"$(bash .ci/postgres.sh)\" to include PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	name := "tm_server_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// browser is a person with a cookie jar. It follows redirects and records
// every URL it was sent to.
type browser struct {
	t    testing.TB
	e    *env
	c    *http.Client
	mu   sync.Mutex
	hops []*url.URL
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: e.t, e: e}
	b.c = &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			b.mu.Lock()
			b.hops = append(b.hops, req.URL)
			b.mu.Unlock()
			if len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	return b
}

// callbackURL is the last callback this browser was redirected to.
func (b *browser) callbackURL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.hops) - 1; i >= 0; i-- {
		if b.hops[i].Path == "/api/auth/jira/callback" {
			return b.hops[i].String()
		}
	}
	b.t.Fatal("the browser was never sent to the callback")
	return ""
}

type page struct {
	Status int
	URL    string
	Body   string
	Header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, URL: resp.Request.URL.String(), Body: string(body), Header: resp.Header}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.URL + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) postForm(u string, v url.Values) page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.URL + u
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// api sends a JSON request and decodes the JSON answer into out (when not nil).
func (b *browser) api(method, path string, body any, out any) int {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, b.e.URL+path, r)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	p := b.do(req)
	if out != nil {
		if err := json.Unmarshal([]byte(p.Body), out); err != nil {
			b.t.Fatalf("%s %s: HTTP %d, body %q is not JSON: %v", method, path, p.Status, p.Body, err)
		}
	}
	return p.Status
}

var (
	formRe   = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	actionRe = regexp.MustCompile(`\baction="([^"]*)"`)
	inputRe  = regexp.MustCompile(`<input\b[^>]*>`)
	attrRe   = regexp.MustCompile(`\b(type|name|value)="([^"]*)"`)
)

// consentForm reads the consent page's form: where it posts and its hidden fields.
func consentForm(t testing.TB, p page) (action string, fields url.Values) {
	t.Helper()
	m := formRe.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no form on the consent page (HTTP %d at %s):\n%s", p.Status, p.URL, p.Body)
	}
	action = p.URL
	if a := actionRe.FindStringSubmatch(m[1]); a != nil && a[1] != "" {
		base, _ := url.Parse(p.URL)
		ref, _ := url.Parse(html.UnescapeString(a[1]))
		action = base.ResolveReference(ref).String()
	}
	fields = url.Values{}
	for _, in := range inputRe.FindAllString(m[2], -1) {
		attrs := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(in, -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		if attrs["type"] == "hidden" {
			fields.Set(attrs["name"], attrs["value"])
		}
	}
	return action, fields
}

// startConnect clicks Connect Jira and returns the consent page.
func (b *browser) startConnect() page {
	b.t.Helper()
	p := b.get("/api/auth/jira/login")
	if p.Status != http.StatusOK || !strings.Contains(p.URL, b.e.sb.URL+"/authorize") {
		b.t.Fatalf("Connect Jira led to HTTP %d at %s", p.Status, p.URL)
	}
	return p
}

// decide submits the consent page as user (account id) for site (cloud id).
func (b *browser) decide(consent page, decision, accountID, cloudID string) page {
	b.t.Helper()
	action, fields := consentForm(b.t, consent)
	fields.Set("decision", decision)
	fields.Set("account_id", accountID)
	fields.Set("cloud_id", cloudID)
	return b.postForm(action, fields)
}

// connect signs in as the sandbox's user i on site j and returns the dashboard.
func (b *browser) connect(i, j int) page {
	b.t.Helper()
	p := b.decide(b.startConnect(), "accept", b.e.sb.Creds.Users[i].AccountID, b.e.sb.Creds.Sites[j].CloudID)
	if p.Status != http.StatusOK || p.URL != b.e.URL+"/" {
		b.t.Fatalf("after consent: HTTP %d at %s:\n%s", p.Status, p.URL, p.Body)
	}
	return p
}

// wantIn fails unless every string is in text.
func wantIn(t testing.TB, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, clip(text, 3000))
		}
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
