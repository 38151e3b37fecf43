package factory_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cli/browser"

	"github.com/ticket-mate/tm/internal/cli/factory"
)

// TestOpenBrowserQuiet: a launcher that finds no browser prints pages of
// noise; none of it reaches the terminal, and the failure is one error.
func TestOpenBrowserQuiet(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the launcher stand-in is a Linux xdg-open")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\necho '/usr/bin/xdg-open: 882: www-browser: not found'\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	var noise bytes.Buffer
	browser.Stdout, browser.Stderr = &noise, &noise
	err := factory.OpenBrowser("https://sandbox.example/browse/SPACE2-1")
	if !errors.Is(err, factory.ErrNoBrowser) {
		t.Errorf("err = %v, want ErrNoBrowser", err)
	}
	if noise.Len() != 0 {
		t.Errorf("the launcher's output reached the terminal:\n%s", noise.String())
	}

	// A launcher that works is quiet too, and no error is reported.
	ok := "#!/bin/sh\necho 'Opening in existing browser session.'\nexit 0\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(ok), 0o755); err != nil {
		t.Fatal(err)
	}
	browser.Stdout, browser.Stderr = &noise, &noise
	if err := factory.OpenBrowser("https://sandbox.example/browse/SPACE2-1"); err != nil || noise.Len() != 0 {
		t.Errorf("working launcher: err %v, output %q", err, noise.String())
	}
}
