package factory_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/clitest"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
)

func testFactory(t *testing.T, env map[string]string) *factory.Factory {
	ios, _, _, _ := iostreams.Test()
	return &factory.Factory{IO: ios, WorkDir: t.TempDir(), CacheDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		HTTPClient: func() *http.Client { return &http.Client{} }}
}

// TestExplain: failures that the command tests do not reach get their
// advice too.
func TestExplain(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	env := map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken,
		"ATLASSIAN_REDIRECT_URI": "http://localhost:4000/api/auth/jira/callback"}
	f := testFactory(t, env)
	ctx := context.Background()
	j, err := f.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}

	clitest.WantError(t, j.Explain(&jira.Error{Method: "POST", URL: s.URL + "/oauth/token", StatusCode: 400, OAuthError: "invalid_client",
		OAuthDescription: "Unauthorized"}, factory.About{}), tm.EUNAUTHORIZED,
		"invalid_client", "ATLASSIAN_CLIENT_ID and ATLASSIAN_CLIENT_SECRET", "http://localhost:4000/api/auth/jira/callback", "approve the app")

	clitest.WantError(t, j.Explain(&jira.Error{Method: "GET", URL: s.URL + "/rest/api/3/project/search", StatusCode: 403}, factory.About{ListingProject: true}),
		tm.EFORBIDDEN, "refused to list projects (403 Forbidden)", "ATLASSIAN_USE_CLOUD_API=true", "tm check-permissions -p SPACE2")

	clitest.WantError(t, j.Explain(&jira.Error{Method: "GET", URL: s.URL + "/rest/api/3/myself", StatusCode: 403, LoginReason: "AUTHENTICATION_DENIED"}, factory.About{}),
		tm.EUNAUTHORIZED, "AUTHENTICATION_DENIED", "CAPTCHA", "Sign in once in a browser at "+s.URL)

	// Rate limited beyond what tm waits for: the message says what Jira
	// asked and that tm did not wait, not that it waited.
	fault, _ := emulator.ParseFault("GET /rest/api/3/myself=429:10mx1")
	s.E.AddFault(fault)
	_, err = j.Myself(ctx)
	clitest.WantError(t, j.Explain(err, factory.About{}), tm.ERATELIMIT, "asks to wait 10m0s (until ", "tm did not wait", "RateLimit-Reason: jira-burst-based")
	if msg := j.Explain(err, factory.About{}).Error(); strings.Contains(msg, "waited") {
		t.Errorf("the message claims a wait that did not happen: %s", msg)
	}

	// Nothing listening.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()
	env["ATLASSIAN_BASE_URL"] = dead
	j2, err := testFactory(t, env).Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = j2.ServerInfo(ctx)
	clitest.WantError(t, j2.Explain(err, factory.About{}), tm.EUNAVAILABLE, "Could not reach Jira at "+dead+"/rest/api/3", "connection refused", "HTTPS_PROXY")
}

// TestCloudIDCache: the discovered cloud id is kept per site, readable by
// the user only, and a missing site is a configuration error with advice.
func TestCloudIDCache(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	you := s.You()
	env := map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ScopedToken,
		"ATLASSIAN_USE_CLOUD_API": "true", "ATLASSIAN_API_URL": s.URL}
	f := testFactory(t, env)
	j, err := f.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if j.CloudID != s.Creds.Sites[0].CloudID || !j.ViaGateway() {
		t.Errorf("cloud id %q, gateway %v", j.CloudID, j.ViaGateway())
	}
	files, _ := filepath.Glob(filepath.Join(f.CacheDir, "cloud-id-*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	if st, _ := os.Stat(files[0]); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}

	// A Data Center URL has no tenant_info: the error says what to set.
	dc := emulatortest.Start(t, emulator.Options{DataCenter: true})
	env["ATLASSIAN_BASE_URL"] = dc.URL
	_, err = testFactory(t, env).Connect(context.Background())
	clitest.WantError(t, err, tm.ECONFIG, "ATLASSIAN_USE_CLOUD_API=true, but the cloud id of "+dc.URL+" could not be found", "Set ATLASSIAN_CLOUD_ID")
}

// TestCacheTTL: an entry older than its TTL is a miss.
func TestCacheTTL(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := testFactory(t, nil)
	f.Now = func() time.Time { return now }
	if err := f.WriteCache("x", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	var v map[string]int
	if !f.ReadCache("x", time.Hour, &v) || v["n"] != 1 {
		t.Fatalf("fresh entry not read: %v", v)
	}
	now = now.Add(2 * time.Hour)
	if f.ReadCache("x", time.Hour, &v) {
		t.Error("an entry two hours old was read with a one-hour TTL")
	}
	f.DropCache("x")
	if f.ReadCache("x", 24*time.Hour, &v) {
		t.Error("a dropped entry was read")
	}
}
