package sandbox_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/cmd/sandbox"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
)

func TestParseLatency(t *testing.T) {
	cases := []struct {
		in        string
		d, j      time.Duration
		errSubstr string
	}{
		{"", 0, 0, ""},
		{"50ms", 50 * time.Millisecond, 0, ""},
		{"50ms±10ms", 50 * time.Millisecond, 10 * time.Millisecond, ""},
		{"1s+-200ms", time.Second, 200 * time.Millisecond, ""},
		{"fast", 0, 0, "want a duration with an optional jitter"},
		{"10ms±20ms", 0, 0, "the jitter must be a duration no larger than the latency"},
	}
	for _, tc := range cases {
		d, j, err := sandbox.ParseLatency(tc.in)
		if tc.errSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.errSubstr)
			}
			continue
		}
		if err != nil || d != tc.d || j != tc.j {
			t.Errorf("%q: %v %v %v", tc.in, d, j, err)
		}
	}
}

func TestFlags(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	var got *sandbox.Options
	cmd := sandbox.NewCmd(&factory.Factory{IO: io}, func(_ context.Context, o *sandbox.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0", "--dc", "--fault", "GET /x=503x2", "--fault", "*/y=reset", "--latency", "5ms", "--search-lag", "2s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:0" || !got.DataCenter || len(got.Faults) != 2 || got.Latency != "5ms" || got.SearchLag != 2*time.Second {
		t.Errorf("options = %+v", got)
	}
}

// run starts the sandbox with args' options until the returned stop is called.
func run(t *testing.T, opts *sandbox.Options) (url string, out, errOut *strings.Builder, stop func() error) {
	t.Helper()
	io, _, o, e := iostreams.Test()
	opts.IO = io
	ready := make(chan string, 1)
	opts.Ready = func(u string) { ready <- u }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sandbox.Run(ctx, opts) }()
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("sandbox stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not start")
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	out, errOut = &strings.Builder{}, &strings.Builder{}
	out.WriteString(o.String())
	errOut.WriteString(e.String())
	return url, out, errOut, stop
}

var envLine = regexp.MustCompile(`(?m)^ATLASSIAN_([A-Z_]+)=(.*)$`)

func env(out string) map[string]string {
	m := map[string]string{}
	for _, g := range envLine.FindAllStringSubmatch(out, -1) {
		m[g[1]] = g[2]
	}
	return m
}

func TestRunPrintsWorkingCredentials(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	url, out, _, stop := run(t, &sandbox.Options{Addr: "127.0.0.1:0", StatePath: state})
	vars := env(out.String())
	if vars["BASE_URL"] != url || vars["EMAIL"] == "" || !strings.HasPrefix(vars["API_KEY"], "ATATT3x") || len(vars["API_KEY"]) != 192 {
		t.Fatalf("env block:\n%s", out)
	}
	for _, commented := range []string{"# ATLASSIAN_USE_CLOUD_API=true", "# ATLASSIAN_CLOUD_ID=", "# ATLASSIAN_AUTH_MODE=OAUTH", "# ATLASSIAN_CLIENT_SECRET=", "# ATLASSIAN_AUTH_URL=" + url} {
		if !strings.Contains(out.String(), commented) {
			t.Errorf("output lacks %q", commented)
		}
	}
	myself := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/rest/api/3/myself", nil)
		req.SetBasicAuth(vars["EMAIL"], vars["API_KEY"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := myself(url); got != 200 {
		t.Fatalf("myself with the printed token: %d", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Restarted on the same state file, the printed token still works.
	url2, out2, _, _ := run(t, &sandbox.Options{Addr: "127.0.0.1:0", StatePath: state})
	if env(out2.String())["API_KEY"] != vars["API_KEY"] {
		t.Error("the token changed across a restart with --state")
	}
	if got := myself(url2); got != 200 {
		t.Errorf("myself after restart: %d", got)
	}
}

func TestRunDataCenter(t *testing.T) {
	_, out, _, _ := run(t, &sandbox.Options{Addr: "127.0.0.1:0", DataCenter: true})
	vars := env(out.String())
	if vars["AUTH_MODE"] != "BEARER" || len(vars["API_KEY"]) != 44 || vars["EMAIL"] != "" {
		t.Errorf("DC env block:\n%s", out)
	}
}

func TestRunErrors(t *testing.T) {
	cases := []struct {
		opts sandbox.Options
		msg  string
	}{
		{sandbox.Options{Addr: "127.0.0.1:0", Latency: "soon"}, "--latency soon: want a duration"},
		{sandbox.Options{Addr: "127.0.0.1:0", Faults: []string{"nonsense"}}, "want [METHOD ]PATH=ACTION"},
		{sandbox.Options{Addr: "127.0.0.1:0", SeedPath: "/nonexistent/seed.json"}, "tm sandbox --print-seed > seed.json"},
		{sandbox.Options{Addr: "256.0.0.1:99999"}, "Pick another address with --addr"},
	}
	for _, tc := range cases {
		io, _, _, _ := iostreams.Test()
		tc.opts.IO = io
		err := sandbox.Run(context.Background(), &tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: err %v, want %q", tc.opts, err, tc.msg)
		}
	}
}

func TestPrintSeed(t *testing.T) {
	io, _, out, _ := iostreams.Test()
	if err := sandbox.Run(context.Background(), &sandbox.Options{IO: io, PrintSeed: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"key": "SPACE2"`) {
		t.Errorf("seed output: %.200s", out)
	}
}

// TestHelpDocumentsFaults: --help spells out the --fault syntax, units
// included, and a bare number is refused with the fix.
func TestHelpDocumentsFaults(t *testing.T) {
	io, _, out, _ := iostreams.Test()
	cmd := sandbox.NewCmd(&factory.Factory{IO: io}, nil)
	cmd.SetOut(out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[METHOD ]PATH=ACTION[xCOUNT][@PROBABILITY]", "429[:RETRY_AFTER]", "a bare 7 is refused", "stall[:DURATION]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	io2, _, _, _ := iostreams.Test()
	cmd = sandbox.NewCmd(&factory.Factory{IO: io2}, nil)
	cmd.SetArgs([]string{"--fault", "*/myself=429:7", "--addr", "127.0.0.1:0"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "write 7s") {
		t.Errorf("--fault '*/myself=429:7': err %v, want the unit explained", err)
	}
}

// TestRunOverTLS: with --tls the sandbox speaks HTTPS with HTTP/2, as Jira
// Cloud does, with a certificate that a client trusts from the file it
// wrote and no other way; with a latency, the handshake takes a round trip
// of it.
func TestRunOverTLS(t *testing.T) {
	certFile := filepath.Join(t.TempDir(), "sandbox.pem")
	const latency = 100 * time.Millisecond
	url, out, _, _ := run(t, &sandbox.Options{Addr: "127.0.0.1:0", TLSCert: certFile, Latency: latency.String()})
	vars := env(out.String())
	if !strings.HasPrefix(url, "https://") || vars["BASE_URL"] != url {
		t.Fatalf("url %q, env block:\n%s", url, out)
	}
	if !strings.Contains(out.String(), "SSL_CERT_FILE="+certFile+" ") {
		t.Errorf("the output does not say how to trust %s:\n%s", certFile, out)
	}
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certFile)
	}
	myself := func(tr *http.Transport) (*http.Response, time.Duration, error) {
		var start time.Time
		var handshake time.Duration
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			TLSHandshakeStart: func() { start = time.Now() },
			TLSHandshakeDone:  func(tls.ConnectionState, error) { handshake = time.Since(start) },
		})
		req, _ := http.NewRequestWithContext(ctx, "GET", url+"/rest/api/3/myself", nil)
		req.SetBasicAuth(vars["EMAIL"], vars["API_KEY"])
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, handshake, err
	}
	resp, handshake, err := myself(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("myself over TLS: %d over HTTP/%d; want 200 over HTTP/2", resp.StatusCode, resp.ProtoMajor)
	}
	if handshake < latency {
		t.Errorf("the TLS handshake took %v; want at least the latency, %v", handshake, latency)
	}
	var unknown x509.UnknownAuthorityError
	if _, _, err := myself(&http.Transport{}); !errors.As(err, &unknown) {
		t.Errorf("without the certificate file: err %v; want an unknown authority", err)
	}
}
