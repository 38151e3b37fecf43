package server_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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
	ctx, step, click := startChromium(t, bin, 1280, 1000)
	step("open the dashboard", chromedp.Navigate(e.URL), chromedp.WaitVisible(chromedp.CSS(`a[href="/api/auth/jira/login"]`)))
	click("Connect Jira", `a[href="/api/auth/jira/login"]`)
	step("consent page", chromedp.WaitVisible(chromedp.CSS("#accept")),
		chromedp.SetValue(chromedp.CSS("#account_id"), e.sb.Creds.Users[0].AccountID))
	click("Accept", "#accept")
	step("signed in", chromedp.WaitVisible(chromedp.CSS("#create-ticket")))
	// Without script, choosing a project and pressing Change reloads the
	// form with that project's types and priorities; what was typed stays.
	step("choose TEAM", chromedp.SetValue(chromedp.CSS("#project"), "TEAM"),
		chromedp.SendKeys(chromedp.CSS("#summary"), "Filed from Chromium"))
	click("Change", `button[formaction="/"]`)
	teamTypes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#type option")].map(o => o.value)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := standardNames(sandboxTypes(t, e, "TEAM")); !slices.Equal(teamTypes, want) {
		t.Errorf("after Change to TEAM the form offers types %v, want %v", teamTypes, want)
	}
	step("back to SPACE2", chromedp.SetValue(chromedp.CSS("#project"), "SPACE2"))
	click("Change", `button[formaction="/"]`)
	step("fill in", chromedp.WaitVisible(chromedp.CSS("#type")),
		chromedp.SetValue(chromedp.CSS("#type"), "Bug"),
		chromedp.SetValue(chromedp.CSS("#priority"), "High"),
		chromedp.SendKeys(chromedp.CSS("#description"), "Steps:\n\n1. open\n2. **click**"))
	summary, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#summary")))
	if err != nil || summary != "Filed from Chromium" {
		t.Errorf("the summary after two changes of project: %q %v", summary, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveShot(t, "dashboard-form.png", shot)
	// Enter in the summary creates the ticket (it does not press Change).
	if _, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.CSS("#summary"), kb.Enter)); err != nil {
		t.Fatalf("Enter in the summary: %v", err)
	}
	step("created", chromedp.WaitVisible(chromedp.CSS(".notice.ok a")))
	notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notice.ok")))
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(".notice.ok a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notice, "Created SPACE2-") || !strings.HasPrefix(href.Value, "/issues/SPACE2-") {
		t.Errorf("notice %q with link %q", notice, href.Value)
	}
	key := href.Value[strings.LastIndex(href.Value, "/")+1:]
	if is := fetchIssue(t, e, 0, 0, key).Fields; is.Summary != "Filed from Chromium" || is.IssueType.Name != "Bug" || is.Priority.Name != "High" {
		t.Errorf("Jira has %q, a %s of priority %s; want a High Bug", is.Summary, is.IssueType.Name, is.Priority.Name)
	}
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveShot(t, "dashboard-created.png", shot)
}

// saveShot writes a screenshot to a temporary directory and, for a person
// to look at, to TM_SCREENSHOT_DIR when set.
func saveShot(t *testing.T, name string, shot []byte) {
	t.Helper()
	dirs := []string{t.TempDir()}
	if d := os.Getenv("TM_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), shot, 0o644); err != nil {
			t.Error(err)
		}
	}
	if len(shot) < 10_000 {
		t.Errorf("screenshot %s is only %d bytes", name, len(shot))
	}
}
