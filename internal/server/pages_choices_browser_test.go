package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserChoicesAndSiteSwitch, at laptop and phone width: after a
// create the form keeps project, type and priority and clears the text,
// the notice names the key once with a link; switching to another site
// asks first, and only the confirmation switches. Every state passes
// axe-core.
func TestBrowserChoicesAndSiteSwitch(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			e := newEnv(t, envOptions{defaultProject: "SPACE2"})
			w := newWorkBrowser(t, e, width, 900)
			w.signIn(0)

			w.step("fill in", chromedp.SetValue(chromedp.CSS("#type"), "Bug"), chromedp.SetValue(chromedp.CSS("#priority"), "High"),
				chromedp.SetValue(chromedp.CSS("#summary"), "Remembered choices"), chromedp.SetValue(chromedp.CSS("#description"), "Cleared after"))
			w.click("Create", "#create-ticket")
			w.step("created", chromedp.WaitVisible(chromedp.CSS(".notice.ok a")))
			key := w.text(".notice.ok a")
			if n := strings.Count(w.text(".notice.ok"), key); n != 1 || !strings.HasPrefix(key, "SPACE2-") {
				t.Errorf("notice %q names %q %d times", w.text(".notice.ok"), key, n)
			}
			if href := eval[string](w, `document.querySelector(".notice.ok a").getAttribute("href")`); href != "/issues/"+key {
				t.Errorf("the notice links to %q", href)
			}
			got := eval[[]string](w, `["#project", "#type", "#priority", "#summary", "#description"].map(s => document.querySelector(s).value)`)
			if want := []string{"SPACE2", "Bug", "High", "", ""}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("the form after a create holds %q, want %q", got, want)
			}
			w.check("choices-kept")

			// Add another site, then switch between them.
			w.step("open Connection", chromedp.Click(chromedp.CSS("details.connection summary")))
			w.click("Add another site", `details.connection a[href="/api/auth/jira/login"]`)
			w.step("consent page", chromedp.WaitVisible(chromedp.CSS("#accept")),
				chromedp.SetValue(chromedp.CSS("#account_id"), e.sb.Creds.Users[0].AccountID),
				chromedp.SetValue(chromedp.CSS("#cloud_id"), e.sb.Creds.Sites[1].CloudID))
			w.click("Accept", "#accept")
			w.step("two sites", chromedp.WaitVisible(chromedp.CSS("#work-title")),
				chromedp.Click(chromedp.CSS("details.connection summary")), chromedp.WaitVisible(chromedp.CSS("#site")))
			current := eval[string](w, `document.querySelector("#site").value`)
			other, otherName := e.sb.Creds.Sites[1].CloudID, e.sb.Creds.Sites[1].Name
			if current == other {
				other, otherName = e.sb.Creds.Sites[0].CloudID, e.sb.Creds.Sites[0].Name
			}
			before := w.text("#create-title")
			w.step("choose the other site", chromedp.SetValue(chromedp.CSS("#site"), other))
			w.click("Switch site…", `form[action="/sites/switch"] button`)
			w.step("asked", chromedp.WaitVisible(chromedp.CSS("#confirm-switch")))
			wantIn(t, "switch question", w.text("main"), "Switch to \u2068"+otherName+"\u2069?", "Stay on")
			w.check("switch-confirm")

			// Staying changes nothing.
			w.click("Stay", `a.button.quiet[href="/"]`)
			w.step("stayed", chromedp.WaitVisible(chromedp.CSS("#create-title")))
			if got := w.text("#create-title"); got != before {
				t.Errorf("after Stay the form says %q, want %q", got, before)
			}
			w.step("open Connection again", chromedp.Click(chromedp.CSS("details.connection summary")),
				chromedp.WaitVisible(chromedp.CSS("#site")), chromedp.SetValue(chromedp.CSS("#site"), other))
			w.click("Switch site…", `form[action="/sites/switch"] button`)
			w.step("asked again", chromedp.WaitVisible(chromedp.CSS("#confirm-switch")))
			w.click("Switch", "#confirm-switch")
			w.step("switched", chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
			wantIn(t, "after switching", w.text(".notice.ok"), "You are now working in "+otherName+".")
			wantIn(t, "form after switching", w.text("#create-title"), otherName)
			w.check("switched")
		})
	}
}
