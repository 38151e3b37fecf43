package mcp_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/servertest"
)

// inspector is the MCP Inspector's command (@modelcontextprotocol/inspector,
// from npm): TM_MCP_INSPECTOR, else mcp-inspector on PATH. Without it the
// test skips, unless CI=true, where .ci/inspector.sh installs it.
func inspector(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TM_MCP_INSPECTOR"); p != "" {
		return p
	}
	if p, err := exec.LookPath("mcp-inspector"); err == nil {
		return p
	}
	msg := "the MCP Inspector is not installed: run eval \"$(bash .ci/inspector.sh)\" (needs npm), or set TM_MCP_INSPECTOR to its mcp-inspector"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// inspect runs the Inspector's CLI mode with args and decodes its JSON
// answer into out.
func inspect(t *testing.T, dir string, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, inspector(t), append([]string{"--cli"}, args...)...)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("mcp-inspector --cli %s: %v\n%s%s", strings.Join(args, " "), err, b, stderr)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("mcp-inspector answered %s: %v", b, err)
	}
}

type toolList struct {
	Tools []struct {
		Name        string
		Description string
	}
}

type toolResult struct {
	IsError           bool
	StructuredContent struct{ Key string }
}

// checkInspector lists the tools and creates a ticket through target.
func checkInspector(t *testing.T, dir string, target ...string) string {
	t.Helper()
	var tools toolList
	inspect(t, dir, &tools, append(target, "--method", "tools/list")...)
	names := map[string]bool{}
	for _, tool := range tools.Tools {
		names[tool.Name] = tool.Description != ""
	}
	for _, want := range []string{"list_projects", "search_issues", "create_ticket", "edit_issue"} {
		if !names[want] {
			t.Errorf("the Inspector does not list %s (with a description): %+v", want, tools)
		}
	}
	var made toolResult
	inspect(t, dir, &made, append(target, "--method", "tools/call", "--tool-name", "create_ticket",
		"--tool-arg", "project=SPACE2", "--tool-arg", "summary=Filed from the MCP Inspector")...)
	if made.IsError || !strings.HasPrefix(made.StructuredContent.Key, "SPACE2-") {
		t.Fatalf("create_ticket through the Inspector: %+v", made)
	}
	return made.StructuredContent.Key
}

// The MCP Inspector, a client nobody here wrote, starts tm mcp on stdio.
func TestInspectorStdio(t *testing.T) {
	inspector(t)
	w := tmtest.New(t, emulator.Options{})
	work := t.TempDir()
	target := []string{"-e", "HOME=" + work, "-e", "XDG_CONFIG_HOME=" + work, "-e", "XDG_CACHE_HOME=" + work}
	for k, v := range w.Env {
		target = append(target, "-e", k+"="+v)
	}
	target = append(target, tmBinary, "mcp")
	key := checkInspector(t, work, target...)
	if got := w.MustRun(t, "view", key, "--json"); !strings.Contains(got, "Filed from the MCP Inspector") {
		t.Errorf("the ticket in Jira: %s", got)
	}
}

// The MCP Inspector reaches tm serve's /mcp with a person's token.
func TestInspectorHTTP(t *testing.T) {
	inspector(t)
	s := servertest.Start(t, servertest.Options{})
	tok := s.SignIn(t, 0, 0).Token(t, false)
	checkInspector(t, t.TempDir(), s.URL+"/mcp", "--transport", "http", "--header", "Authorization: Bearer "+tok)
}
