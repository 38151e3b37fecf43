package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/cmd/serve"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/emulator"
)

// tmBinary is tm built once for the tests that run real processes.
var tmBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tm-serve-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmBinary = filepath.Join(dir, "tm")
	build := exec.Command("go", "build", "-o", tmBinary, "github.com/ticket-mate/tm/cmd/tm")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tm:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testIO() (*iostreams.IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &iostreams.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, &out, &errOut
}

func TestGenerateKey(t *testing.T) {
	io, out, errOut := testIO()
	if err := serve.Run(context.Background(), &serve.Options{IO: io, GenerateKey: true}); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out.String())
	b, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(b) != 32 {
		t.Fatalf("--generate-key printed %q: %d bytes, %v", key, len(b), err)
	}
	if !strings.Contains(errOut.String(), "TM_ENCRYPTION_KEY") {
		t.Errorf("no guidance on stderr: %q", errOut.String())
	}
}

func TestRefusesWithoutKey(t *testing.T) {
	io, _, _ := testIO()
	err := serve.Run(context.Background(), &serve.Options{IO: io, Addr: "127.0.0.1:0",
		Config: func(...config.Flag) (*config.Config, error) {
			return &config.Config{ClientID: "c", ClientSecret: "s", DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, nil
		}})
	if tm.ErrorCode(err) != tm.ECONFIG || !strings.Contains(err.Error(), "TM_ENCRYPTION_KEY is not set") ||
		!strings.Contains(err.Error(), "openssl rand -base64 32") || !strings.Contains(err.Error(), "tm serve --generate-key") {
		t.Fatalf("err = %v", err)
	}
	err = serve.Run(context.Background(), &serve.Options{IO: io, Addr: "127.0.0.1:0",
		Config: func(...config.Flag) (*config.Config, error) {
			return &config.Config{EncryptionKey: "k"}, nil
		}})
	if !strings.Contains(err.Error(), "ATLASSIAN_CLIENT_ID and ATLASSIAN_CLIENT_SECRET are not set") {
		t.Fatalf("err = %v", err)
	}
}

// process is one running "tm serve".
type process struct {
	URL    string
	stderr *syncBuffer
	cmd    *exec.Cmd
}

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

// startProcess runs tm serve with env on a free port and waits until it listens.
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	work := t.TempDir()
	cmd := exec.Command(tmBinary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = work
	cmd.Env = append([]string{"HOME=" + work, "XDG_CONFIG_HOME=" + work, "XDG_CACHE_HOME=" + work, "PATH=" + os.Getenv("PATH")}, env...)
	p := &process{stderr: &syncBuffer{}, cmd: cmd}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(p.stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		pw.Close()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				found <- line.URL
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case p.URL = <-found:
	case <-time.After(20 * time.Second):
		t.Fatalf("tm serve did not start:\n%s", p.stderr.String())
	}
	return p
}

// oauthSandbox starts the emulator on a listener and returns it with the
// environment that points tm serve at it (no database, no key).
func oauthSandbox(t *testing.T) (*emulator.Emulator, emulator.Credentials, []string) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{RateLimit: emulator.RateLimit{Points: -1}})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(emu)
	t.Cleanup(es.Close)
	emu.SetBaseURL(es.URL)
	creds := emu.Credentials()
	return emu, creds, []string{
		"ATLASSIAN_AUTH_URL=" + es.URL, "ATLASSIAN_API_URL=" + es.URL,
		"ATLASSIAN_CLIENT_ID=" + creds.OAuth[0].ClientID, "ATLASSIAN_CLIENT_SECRET=" + creds.OAuth[0].ClientSecret,
	}
}

// newKeyB64 is a fresh TM_ENCRYPTION_KEY.
func newKeyB64() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// TestTwoProcessesOneRefresh runs two tm serve processes on one database:
// with every access token expired at Atlassian, 50 concurrent requests over
// both end in exactly one refresh and no invalid_grant.
func TestTwoProcessesOneRefresh(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var dbURL string
			if engine == "sqlite" {
				dbURL = "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
			} else {
				dbURL = newPostgres(t)
			}
			emu, creds, env := oauthSandbox(t)
			env = append(env, "DATABASE_URL="+dbURL, "TM_ENCRYPTION_KEY="+newKeyB64())
			p1 := startProcess(t, env)
			p2 := startProcess(t, env)

			jar, _ := cookiejar.New(nil) // cookies ignore ports: one session for both
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			signIn(t, c, p1.URL, creds.Users[0].AccountID, creds.Sites[0].CloudID)

			emu.Auth().ExpireAccessTokens()
			var wg sync.WaitGroup
			errs := make(chan string, 50)
			for i := range 50 {
				base := []string{p1.URL, p2.URL}[i%2]
				wg.Go(func() {
					req, _ := http.NewRequest("GET", base+"/api/projects", nil)
					req.Header.Set("Accept", "application/json")
					resp, err := c.Do(req)
					if err != nil {
						errs <- err.Error()
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs <- fmt.Sprintf("%s: HTTP %d %s", base, resp.StatusCode, body)
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
			st := emu.Auth().Stats()
			if st.Refreshes != 1 || st.RefreshFailures != 0 || st.ReuseInLeeway != 0 {
				t.Errorf("emulator stats %+v: want exactly one refresh, no failure, no reuse", st)
			}
			for _, s := range emu.Auth().IssuedSecrets() {
				for i, p := range []*process{p1, p2} {
					if strings.Contains(p.stderr.String(), s) {
						t.Errorf("process %d logged an issued OAuth secret (%s)", i+1, tm.Mask(s))
					}
				}
			}
		})
	}
}

var hiddenRe = regexp.MustCompile(`<input type="hidden"[^>]*name="([^"]+)" value="([^"]*)"`)

var firstOptionRe = regexp.MustCompile(`(?s)<select id="(account_id|cloud_id)"[^>]*>\s*<option value="([^"]+)"`)

// signIn clicks Connect Jira on base and accepts the consent page as
// accountID for site cloudID; "" keeps the page's preselected choice, as a
// person who only presses Accept does.
func signIn(t *testing.T, c *http.Client, base, accountID, cloudID string) {
	t.Helper()
	resp, err := c.Get(base + "/api/auth/jira/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"decision": {"accept"}, "account_id": {accountID}, "cloud_id": {cloudID}}
	for _, m := range firstOptionRe.FindAllStringSubmatch(string(page), -1) {
		if form.Get(m[1]) == "" {
			form.Set(m[1], m[2])
		}
	}
	for _, m := range hiddenRe.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("nonce") == "" {
		t.Fatalf("no consent form at %s:\n%s", resp.Request.URL, page)
	}
	resp, err = c.PostForm(resp.Request.URL.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Jira connected") {
		t.Fatalf("sign-in ended at %s with HTTP %d:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
}

// newPostgres creates a database for one test on TM_TEST_POSTGRES_URL.
func newPostgres(t *testing.T) string {
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
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	name := "tm_serve_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			a.Close()
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// TestSandboxMainJob runs the README's first command, tm serve --sandbox, as
// a newcomer would: no configuration at all. Connect Jira, accept on the
// sandbox's consent page, create a ticket through the API, and find it.
func TestSandboxMainJob(t *testing.T) {
	p := startProcess(t, nil, "--sandbox")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	signIn(t, c, p.URL, "", "")

	body, _ := json.Marshal(map[string]any{"project": "SPACE2", "summary": "From the main job", "description": "It **works**"})
	req, _ := http.NewRequest("POST", p.URL+"/api/tickets", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Key, URL string }
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &created) != nil || !strings.HasPrefix(created.Key, "SPACE2-") {
		t.Fatalf("POST /api/tickets: HTTP %d %s", resp.StatusCode, raw)
	}
	// The link leads to the sandbox's own browse page for the new ticket.
	page, err := c.Get(created.URL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(html), "From the main job") {
		t.Errorf("GET %s: HTTP %d, page lacks the summary:\n%.500s", created.URL, page.StatusCode, html)
	}
	if strings.Contains(p.stderr.String(), "level\":\"ERROR") {
		t.Errorf("the server logged an error:\n%s", p.stderr.String())
	}
}
