package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/ticket-mate/tm"

// Every tm command pays for the initialisation of every package linked into
// the binary, before main runs: a package of ours may set up only what costs
// next to nothing there, and build its tables, regexps and templates when
// first used.
const (
	initBytesBudget  = 8 << 10
	initAllocsBudget = 100
)

var built struct {
	once sync.Once
	bin  string
	err  error
	out  []byte
}

// buildTM builds tm as it ships (no cgo), once for the test binary.
func buildTM(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "tm-build-")
		if err != nil {
			built.err = err
			return
		}
		built.bin = filepath.Join(dir, "tm")
		build := exec.Command("go", "build", "-o", built.bin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		built.out, built.err = build.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}

// TestStartupInitBudget runs the built binary with GODEBUG=inittrace=1 and
// holds each of our packages to the allocation budget at initialisation.
func TestStartupInitBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tm")
	}
	cmd := exec.Command(buildTM(t), "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tm --version: %v\n%s", err, stderr.String())
	}

	// init github.com/ticket-mate/tm/internal/x @1.2 ms, 0.05 ms clock, 2016 bytes, 61 allocs
	ours := 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		pkg := f[1]
		if pkg != module && !strings.HasPrefix(pkg, module+"/") {
			continue
		}
		ours++
		bytes, err1 := strconv.Atoi(f[7])
		allocs, err2 := strconv.Atoi(f[9])
		if err1 != nil || err2 != nil {
			t.Fatalf("unreadable inittrace line %q", sc.Text())
		}
		if bytes > initBytesBudget || allocs > initAllocsBudget {
			t.Errorf("%s allocates %d bytes in %d allocations at initialisation (budget %d bytes, %d allocations): build its tables, regexps or templates on first use (sync.OnceValue)",
				pkg, bytes, allocs, initBytesBudget, initAllocsBudget)
		}
	}
	if ours == 0 {
		t.Fatalf("no initialisation of our packages in the trace; did GODEBUG=inittrace change its format?\n%s", stderr.String())
	}
}

// TestStartupLeavesOut keeps out of the binary the libraries whose
// initialisation every command paid for and that tm replaced: Prometheus's
// client (with protobuf, procfs and expvar) for /metrics, and goldmark's
// extension package, whose autolink regexps compiled at start-up cost more
// page faults than any other package (internal/adf has its own GFM
// extensions; the node types of goldmark/extension/ast cost nothing).
func TestStartupLeavesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list found only %d packages", len(deps))
	}
	for _, p := range deps {
		for _, banned := range []string{"github.com/prometheus/", "google.golang.org/protobuf/", "expvar", "runtime/metrics"} {
			if p == banned || strings.HasPrefix(p, banned) {
				t.Errorf("tm links %s again, whose initialisation every command pays for", p)
			}
		}
		if p == module+"/internal/third_party/goldmark/extension" {
			t.Errorf("tm links %s again, whose regexps every command compiles at start-up: use internal/adf's GFM extensions", p)
		}
	}
}
