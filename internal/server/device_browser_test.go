package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ticket-mate/tm/internal/server"
)

// TestBrowserDeviceSignIn drives Chromium through device sign-in as a
// person sees it: the link from the terminal while signed out, sign-in,
// back on /device with the code, Approve; a second code typed by hand and
// denied; then the tokens page, and Revoke.
func TestBrowserDeviceSignIn(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, envOptions{devices: server.DeviceOptions{Interval: time.Second}})
	ctx, step, click := startChromium(t, bin, 1100, 800)
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		saveShot(t, name, b)
	}

	dc := startDevice(t, e, "")
	step("open the terminal's link", chromedp.Navigate(dc.VerificationURIComplete), chromedp.WaitVisible(chromedp.CSS(`a[href="/api/auth/jira/login"]`)))
	wantIn(t, "signed-out device page", text("main"), dc.UserCode, "Sign in to ticket-mate first")
	shot("device-signed-out.png")
	click("Sign in with Atlassian", `a[href="/api/auth/jira/login"]`)
	step("consent page", chromedp.WaitVisible(chromedp.CSS("#accept")),
		chromedp.SetValue(chromedp.CSS("#account_id"), e.sb.Creds.Users[0].AccountID))
	click("Accept", "#accept")
	step("back on /device", chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	wantIn(t, "device page", text("main"), dc.UserCode, "build-box", "tm", "read and write", "Asked at")
	shot("device-approve.png")
	click("Approve", `button[value="approve"]`)
	step("approved", chromedp.WaitVisible(chromedp.CSS("p.yes")))
	wantIn(t, "approved page", text("main"), "Approved.", "Go back to your terminal")
	shot("device-approved.png")
	e.Clock.Advance(2 * time.Second)
	st, ta := pollDevice(t, e, dc)
	if st != http.StatusOK || ta.AccessToken == "" {
		t.Fatalf("token after approving in Chromium: HTTP %d %+v", st, ta)
	}

	// A second device: the person types its code by hand and denies it.
	other := startDevice(t, e, "read")
	step("device page without a code", chromedp.Navigate(e.URL+"/device"), chromedp.WaitVisible(chromedp.CSS("#user_code")),
		chromedp.SendKeys(chromedp.CSS("#user_code"), strings.ToLower(strings.ReplaceAll(other.UserCode, "-", " "))))
	shot("device-enter-code.png")
	click("Continue", `form[method="get"][action="/device"] button`)
	step("the typed code's request", chromedp.WaitVisible(chromedp.CSS(`button[value="deny"]`)))
	wantIn(t, "read-only request", text("main"), other.UserCode, "read only")
	click("Deny", `button[value="deny"]`)
	step("denied", chromedp.WaitVisible(chromedp.CSS("p.no")))
	if _, ta := pollDevice(t, e, other); ta.Error != "access_denied" {
		t.Fatalf("poll after Deny in Chromium: %+v", ta)
	}

	step("tokens page", chromedp.Navigate(e.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/tokens"]`)))
	click("Devices", `a[href="/tokens"]`)
	step("the list", chromedp.WaitVisible(chromedp.CSS("table")))
	wantIn(t, "tokens page", text("table"), "build-box", "read and write", "never")
	shot("device-tokens.png")
	click("Revoke", `form[action^="/tokens/"] button`)
	step("revoked", chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	wantIn(t, "after Revoke", text("main"), "Revoked.", "No device is signed in")
	shot("device-tokens-revoked.png")
	if st, _ := gatewayGet(t, e.URL+"/gateway/"+e.sb.Creds.Sites[0].CloudID+"/rest/api/3/myself", ta.AccessToken); st != http.StatusUnauthorized {
		t.Fatalf("the revoked token on the gateway: HTTP %d", st)
	}
}

// startChromium starts a headless Chromium of the given window size for the
// test and returns its context with the step and click helpers, which fail
// the test naming what went wrong.
func startChromium(t *testing.T, bin string, width, height int) (ctx context.Context,
	step func(string, ...chromedp.Action[chromedp.Void]), click func(string, chromedp.CSS)) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	step = func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	click = func(name string, sel chromedp.CSS) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return ctx, step, click
}
