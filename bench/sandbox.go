package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ticket-mate/tm/internal/emulator"
)

// sandbox is "tm sandbox" in its own process, so that the measured
// processes' peak RSS does not inherit the seed's memory from this one
// (Linux carries the forking process's high-water mark across exec).
type sandbox struct {
	cmd               *exec.Cmd
	url, email, token string
	certFile          string       // over TLS: the certificate tm must trust
	client            *http.Client // for the control API
}

// cpu is the CPU time the sandbox has used so far: the scheduler's count,
// in nanoseconds, summed over its threads (0 where /proc has none).
func (sb *sandbox) cpu() time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", sb.cmd.Process.Pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(n)
		}
	}
	return total
}

func startSandbox(tmBin, tmp string, projects int, latency time.Duration, overTLS bool) (*sandbox, error) {
	seedFile := filepath.Join(tmp, fmt.Sprintf("seed-%d.json", projects))
	// A child writes the seed: building it here would raise this
	// process's high-water mark, which the measured processes inherit.
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if b, err := exec.Command(self, "-write-seed", seedFile, "-projects", fmt.Sprint(projects)).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("writing the seed: %v\n%s", err, b)
	}
	args := []string{"sandbox", "--addr", "127.0.0.1:0", "--seed", seedFile, "--latency", latency.String()}
	certFile := ""
	if overTLS {
		certFile = filepath.Join(tmp, fmt.Sprintf("sandbox-%d.pem", projects))
		args = append(args, "--tls", certFile)
	}
	cmd := exec.Command(tmBin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sb := &sandbox{cmd: cmd, certFile: certFile, client: http.DefaultClient}
	sc := bufio.NewScanner(out)
	for sc.Scan() && (sb.url == "" || sb.email == "" || sb.token == "") {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "ATLASSIAN_BASE_URL":
			sb.url = v
		case "ATLASSIAN_EMAIL":
			sb.email = v
		case "ATLASSIAN_API_KEY":
			sb.token = v
		}
	}
	go func() { // keep reading so the sandbox never blocks on a full pipe
		for sc.Scan() {
		}
	}()
	if sb.token == "" {
		sb.stop()
		return nil, fmt.Errorf("tm sandbox printed no credentials")
	}
	if overTLS {
		pem, err := os.ReadFile(certFile) // written before the credentials
		if err != nil {
			sb.stop()
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		sb.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	return sb, nil
}

func (sb *sandbox) stop() {
	_ = sb.cmd.Process.Kill()
	_ = sb.cmd.Wait()
}

func (sb *sandbox) resetCounts() error {
	req, _ := http.NewRequest(http.MethodDelete, sb.url+"/__emulator/requests", nil)
	resp, err := sb.client.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func (sb *sandbox) count() (int, error) {
	resp, err := sb.client.Get(sb.url + "/__emulator/requests")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var m map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return 0, err
	}
	return count(m), nil
}

// writeSeed writes the default seed with projects more projects to file.
func writeSeed(file string, projects int) error {
	data, err := json.Marshal(emulator.SeedWithProjects(projects))
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o600)
}
