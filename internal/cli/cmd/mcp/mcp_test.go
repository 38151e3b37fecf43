package mcp_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/mcp/mcptest"
)

var tmBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tm-mcp-test-")
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

// session connects the SDK's client to t and fails the test on error.
func session(t *testing.T, tr sdk.Transport) *sdk.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// The built binary serves the tools on stdio with the configuration's
// credentials: the client lists them and creates a ticket in the default
// project.
func TestStdioBinary(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	work := t.TempDir()
	cmd := exec.Command(tmBinary, "mcp", "-p", "space2")
	cmd.Dir = work
	cmd.Env = []string{"HOME=" + work, "XDG_CONFIG_HOME=" + work, "XDG_CACHE_HOME=" + work, "PATH=" + os.Getenv("PATH")}
	for k, v := range w.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cs := session(t, &sdk.CommandTransport{Command: cmd})
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 11 {
		t.Errorf("%d tools, want 11", len(tools.Tools))
	}
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "create_ticket", Arguments: map[string]any{"summary": "From an assistant"}})
	if err != nil || res.IsError {
		t.Fatalf("create_ticket: %v %s", err, mcptest.Text(res))
	}
	key, _ := res.StructuredContent.(map[string]any)["key"].(string)
	if !strings.HasPrefix(key, "SPACE2-") {
		t.Fatalf("created %v", res.StructuredContent)
	}
	if got := w.MustRun(t, "view", key, "--json"); !strings.Contains(got, "From an assistant") {
		t.Errorf("the ticket in Jira: %s", got)
	}
}

// Without credentials the server still starts, says why on stderr, and
// every tool answers with the same explanation as a tool error.
func TestNoCredentials(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	delete(w.Env, "ATLASSIAN_API_KEY")
	cs := run(t, w, "mcp", "--read-only")
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if !tool.Annotations.ReadOnlyHint {
			t.Errorf("--read-only serves %s", tool.Name)
		}
	}
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_projects"})
	if err != nil {
		t.Fatalf("a protocol error: %v", err)
	}
	if !res.IsError || !strings.Contains(mcptest.Text(res), "ATLASSIAN_API_KEY") {
		t.Errorf("list_projects without a token: %s", mcptest.Text(res))
	}
}

// run runs tm args in process with its stdin and stdout as the client's
// transport.
func run(t *testing.T, w *tmtest.World, args ...string) *sdk.ClientSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	w.F.IO.In, w.F.IO.Out = inR, outW
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(w.F, args)
		outW.Close()
	}()
	t.Cleanup(func() {
		inW.Close()
		if code := <-done; code != 0 {
			t.Errorf("tm %s exited %d: %s", strings.Join(args, " "), code, w.Err)
		}
	})
	return session(t, &sdk.IOTransport{Reader: outR, Writer: inW})
}

// Each tool call has the command deadline (--timeout), not the server's
// whole life: a slow Jira gives a tool error in time, and the next call
// is served.
func TestCallDeadline(t *testing.T) {
	w := tmtest.New(t, emulator.Options{Latency: 2 * time.Second})
	cs := run(t, w, "mcp", "--timeout", "300ms")
	start := time.Now()
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_projects"})
	if err != nil {
		t.Fatalf("a protocol error: %v", err)
	}
	if took := time.Since(start); !res.IsError || took > 1500*time.Millisecond {
		t.Errorf("after %v: %+v %s", took, res.IsError, mcptest.Text(res))
	}
	t.Log(mcptest.Text(res))
	if _, err := cs.ListTools(t.Context(), nil); err != nil {
		t.Errorf("the server stopped after a call ran out of time: %v", err)
	}
}
