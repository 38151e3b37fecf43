package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// TestInterruptSignal sends a real SIGINT to tm while its create is on
// its way to Jira: tm stops at once with exit 2 and says the ticket may
// exist. tm arms its signal handling only when a command reaches for
// Jira, so this is the check that it is armed by then.
func TestInterruptSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tm")
	}
	s := emulatortest.Start(t, emulator.Options{})
	f, err := emulator.ParseFault("POST */issue=stall:10s")
	if err != nil {
		t.Fatal(err)
	}
	s.E.AddFault(f)
	you := s.You()
	cmd := exec.Command(buildTM(t), "create-ticket", "-p", "SPACE2", "-t", "Stopped on its way")
	cmd.Dir = t.TempDir()
	// Only this test's settings: none of the caller's Jira or tm ones.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ATLASSIAN_") && !strings.HasPrefix(kv, "TM_") && !strings.HasPrefix(kv, "JIRA_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ATLASSIAN_BASE_URL="+s.URL, "ATLASSIAN_EMAIL="+you.Email,
		"ATLASSIAN_API_KEY="+you.ClassicToken, "HOME="+cmd.Dir, "XDG_CONFIG_HOME="+cmd.Dir, "XDG_CACHE_HOME="+cmd.Dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.E.Requests()["POST /rest/api/3/issue"] == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the create never reached the sandbox; stderr:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("tm took %v to stop after SIGINT", el)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("tm ended with %v; want exit status 2 (a signal's default would end it with no status)\n%s", err, stderr.String())
	}
	for _, want := range []string{"Interrupted", "POST /rest/api/3/issue", "the ticket may exist"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}
