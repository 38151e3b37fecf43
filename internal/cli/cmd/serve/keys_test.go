package serve_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func status(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEncryptionKeyRotation: a key that opens none of the stored sign-ins
// stops tm serve at start with a clear message; the new key with the old
// one in TM_ENCRYPTION_OLD_KEYS starts, seals every sign-in again, and
// from then on the new key alone is enough. /readyz goes red while sign-ins
// sealed with a key the server lacks are stored.
func TestEncryptionKeyRotation(t *testing.T) {
	_, creds, base := oauthSandbox(t)
	base = append(base, "DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "keys.db"))
	oldKey, newKey := newKeyB64(), newKeyB64()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}

	// A server with the old key, and one started beside it with another key
	// on an empty database: the second is not ready once sign-ins sealed
	// with the first key appear.
	p := startProcess(t, append(base, "TM_ENCRYPTION_KEY="+oldKey))
	stray := startProcess(t, append(base, "TM_ENCRYPTION_KEY="+newKeyB64()))
	signIn(t, c, p.URL, creds.Users[0].AccountID, creds.Sites[0].CloudID)
	if st, body := status(t, c, p.URL+"/readyz"); st != http.StatusOK {
		t.Errorf("/readyz of the server with the key: %d %s", st, body)
	}
	if st, body := status(t, c, stray.URL+"/readyz"); st != http.StatusServiceUnavailable || !strings.Contains(body, "does not have") {
		t.Errorf("/readyz of the server without the key: %d %s", st, body)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	stray.cmd.Process.Signal(os.Interrupt)
	stray.cmd.Wait()

	// The new key alone opens nothing stored: refuse to start.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tmBinary, "serve", "--addr", "127.0.0.1:0")
	work := t.TempDir()
	cmd.Dir = work
	cmd.Env = append([]string{"HOME=" + work, "XDG_CONFIG_HOME=" + work, "XDG_CACHE_HOME=" + work}, append(base, "TM_ENCRYPTION_KEY="+newKey)...)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("tm serve with a key that opens nothing: %v\n%s", err, out)
	}
	for _, want := range []string{"opens none of the 1 stored", "TM_ENCRYPTION_OLD_KEYS"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("refusal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), oldKey) || strings.Contains(string(out), newKey) {
		t.Error("a key reached the output")
	}

	// Rotation: the new key, the old one to read with; sealed again at start.
	p = startProcess(t, append(base, "TM_ENCRYPTION_KEY="+newKey, "TM_ENCRYPTION_OLD_KEYS="+newKeyB64()+","+oldKey))
	if st, body := status(t, c, p.URL+"/api/projects"); st != http.StatusOK {
		t.Errorf("/api/projects during the rotation: %d %s", st, body)
	}
	if !strings.Contains(p.stderr.String(), `"resealed":1`) {
		t.Errorf("no re-seal logged:\n%s", p.stderr)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()

	// The rotation is finished: the new key alone is enough.
	p = startProcess(t, append(base, "TM_ENCRYPTION_KEY="+newKey))
	if st, body := status(t, c, p.URL+"/api/projects"); st != http.StatusOK {
		t.Errorf("/api/projects with the new key alone: %d %s", st, body)
	}
	if st, _ := status(t, c, p.URL+"/readyz"); st != http.StatusOK {
		t.Errorf("/readyz after the rotation: %d", st)
	}
}

// TestSignalShutsDownGracefully: SIGTERM ends tm serve through its own
// graceful shutdown (exit 0), not the command line's interrupt path.
func TestSignalShutsDownGracefully(t *testing.T) {
	_, _, env := oauthSandbox(t)
	p := startProcess(t, append(env, "DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "sig.db"), "TM_ENCRYPTION_KEY="+newKeyB64()))
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	if err != nil || !strings.Contains(p.stderr.String(), "shutting down") || strings.Contains(p.stderr.String(), "Interrupted") {
		t.Errorf("tm serve after SIGTERM: %v\n%s", err, p.stderr)
	}
}

var metricsAddrRe = regexp.MustCompile(`"msg":"metrics listening","addr":"([^"]+)"`)

// TestMetricsOnTheirOwnAddress: with TM_METRICS_ADDR, /metrics is served
// there and nowhere else, and that address serves nothing but /metrics.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	_, _, env := oauthSandbox(t)
	p := startProcess(t, append(env, "DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "m.db"), "TM_ENCRYPTION_KEY="+newKeyB64(),
		"TM_METRICS_ADDR=127.0.0.1:0"))
	m := metricsAddrRe.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", p.stderr)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if st, body := status(t, c, "http://"+m[1]+"/metrics"); st != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics on its own address: %d", st)
	}
	if st, _ := status(t, c, "http://"+m[1]+"/healthz"); st != http.StatusNotFound {
		t.Errorf("/healthz on the metrics address: %d, want 404", st)
	}
	if st, _ := status(t, c, p.URL+"/metrics"); st != http.StatusNotFound {
		t.Errorf("/metrics on the main address: %d, want 404", st)
	}
}
