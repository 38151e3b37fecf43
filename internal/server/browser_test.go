package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the browser binary, skipping (or failing under
// TM_REQUIRE_CHROMIUM=1) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("TM_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("TM_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("TM_REQUIRE_CHROMIUM=1 but %s is missing; run: bash .ci/chromium.sh", bin)
		}
		t.Skipf("no Chromium at %s (set TM_CHROMIUM or run bash .ci/chromium.sh)", bin)
	}
	return bin
}

// TestBrowserCreateTicket drives Chromium through the whole product: open
// the dashboard, Connect Jira, accept on the sandbox's consent page, pick a
// project, create a ticket and see its link.
func TestBrowserCreateTicket(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, envOptions{})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	click := func(name string, sel chromedp.CSS) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("open the dashboard", chromedp.Navigate(e.URL), chromedp.WaitVisible(chromedp.CSS(`a[href="/api/auth/jira/login"]`)))
	click("Connect Jira", `a[href="/api/auth/jira/login"]`)
	step("consent page", chromedp.WaitVisible(chromedp.CSS("#accept")),
		chromedp.SetValue(chromedp.CSS("#account_id"), e.sb.Creds.Users[0].AccountID))
	click("Accept", "#accept")
	step("signed in", chromedp.WaitVisible(chromedp.CSS("#create-ticket")),
		chromedp.SetValue(chromedp.CSS("#project"), "SPACE2"),
		chromedp.SendKeys(chromedp.CSS("#summary"), "Filed from Chromium"),
		chromedp.SendKeys(chromedp.CSS("#description"), "Steps:\n\n1. open\n2. **click**"))
	click("Create ticket", "#create-ticket")
	step("created", chromedp.WaitVisible(chromedp.CSS(".notice.ok a")))
	notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notice.ok")))
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(".notice.ok a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notice, "Created SPACE2-") || !strings.Contains(href.Value, "/browse/SPACE2-") {
		t.Errorf("notice %q with link %q", notice, href.Value)
	}
	key := href.Value[strings.LastIndex(href.Value, "/")+1:]
	if got := fetchIssue(t, e, 0, 0, key).Fields.Summary; got != "Filed from Chromium" {
		t.Errorf("Jira has summary %q", got)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("TM_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "dashboard-created.png"), shot, 0o644); err != nil {
			t.Error(err)
		}
	}
	if len(shot) < 10_000 {
		t.Errorf("screenshot is only %d bytes", len(shot))
	}
}
