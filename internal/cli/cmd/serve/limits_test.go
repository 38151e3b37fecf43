package serve_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeTokenLifetimeAndBudget runs tm serve with a token lifetime and
// a per-person budget on the command line (beating the environment): a
// device signed in gets a token that lasts that long, and its gateway
// requests past the burst get 429 with Retry-After.
func TestServeTokenLifetimeAndBudget(t *testing.T) {
	p := startProcess(t, []string{"TM_GATEWAY_BURST=50", "TM_DEVICE_TOKEN_LIFETIME=30d"},
		"--sandbox", "--device-token-lifetime", "2h", "--gateway-rate", "0.01", "--gateway-burst", "3")
	if !strings.Contains(p.stderr.String(), `"device_token_lifetime":"2h0m0s","gateway_rate":0.01,"gateway_burst":3`) {
		t.Errorf("the start line does not show the limits in force:\n%s", p.stderr.String())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	signIn(t, c, p.URL, "", "")

	post := func(path string, v url.Values, out any) int {
		t.Helper()
		resp, err := c.PostForm(p.URL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatalf("%s: HTTP %d, not JSON: %v", path, resp.StatusCode, err)
			}
		}
		return resp.StatusCode
	}
	var dc struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	if st := post("/api/device/code", url.Values{"client_name": {"tm"}, "device_host": {"ci"}}, &dc); st != http.StatusOK {
		t.Fatalf("device code: HTTP %d", st)
	}
	if st := post("/device", url.Values{"user_code": {dc.UserCode}, "decision": {"approve"}}, nil); st != http.StatusOK {
		t.Fatalf("approving: HTTP %d", st)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if st := post("/api/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc.DeviceCode}}, &tok); st != http.StatusOK {
		t.Fatalf("device token: HTTP %d", st)
	}
	if tok.ExpiresIn != 2*60*60 {
		t.Errorf("the token lasts %ds, want 7200 (--device-token-lifetime 2h)", tok.ExpiresIn)
	}

	resp, err := c.Get(p.URL + "/api/sites")
	if err != nil {
		t.Fatal(err)
	}
	var sites struct{ Sites []struct{ CloudID string } }
	json.NewDecoder(resp.Body).Decode(&sites)
	resp.Body.Close()
	if len(sites.Sites) == 0 {
		t.Fatal("no site after signing in")
	}
	var statuses []int
	var retryAfter string
	for range 4 {
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/gateway/"+sites.Sites[0].CloudID+"/rest/api/3/myself", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		retryAfter = resp.Header.Get("Retry-After")
	}
	if want := []int{200, 200, 200, 429}; !equalInts(statuses, want) || retryAfter == "" {
		t.Errorf("gateway answers %v (Retry-After %q), want %v with Retry-After (--gateway-burst 3)", statuses, retryAfter, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestServeLimitsHelpAndErrors: tm serve --help documents the flags and
// their variables, and a bad value stops it with the flag's name.
func TestServeLimitsHelpAndErrors(t *testing.T) {
	help, err := exec.Command(tmBinary, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("tm serve --help: %v\n%s", err, help)
	}
	for _, want := range []string{"--device-token-lifetime", "--gateway-rate", "--gateway-burst",
		"TM_DEVICE_TOKEN_LIFETIME", "TM_GATEWAY_RATE", "TM_GATEWAY_BURST", "Retry-After"} {
		if !strings.Contains(string(help), want) {
			t.Errorf("tm serve --help lacks %q", want)
		}
	}
	cmd := exec.Command(tmBinary, "serve", "--addr", "127.0.0.1:0", "--sandbox", "--gateway-rate", "fast")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"HOME=" + cmd.Dir}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "--gateway-rate") ||
		!strings.Contains(string(out), `"fast" is not a request rate`) {
		t.Errorf("a bad --gateway-rate: %v\n%s", err, out)
	}
}
