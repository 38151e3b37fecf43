package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// TestBrowserMCPConsent: an MCP client that knows only the URL sends its
// person to ticket-mate in Chromium; signed out, they sign in through the
// sandbox, land on the consent page (axe-clean at laptop and phone width),
// approve, and the client gets a token that works on /mcp. A second
// assistant, denied, gets access_denied and no token.
func TestBrowserMCPConsent(t *testing.T) {
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			e := newEnv(t, envOptions{defaultProject: "SPACE2"})
			w := newWorkBrowser(t, e, width, 900)
			cb := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(rw, `<!doctype html><html lang="en"><title>Back in the assistant</title><main><h1>You can close this tab.</h1></main></html>`)
			}))
			t.Cleanup(cb.Close)

			// decide drives the consent page Chromium is sent to and
			// returns where the decision sent it back.
			var consentText string
			var calls int
			var signedIn bool
			decide := func(button string) func(context.Context, *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
				return func(_ context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
					if err := chromedp.Do(w.ctx, chromedp.Navigate(args.URL)); err != nil {
						return nil, err
					}
					calls++
					// Signed out, the way to consent leads through the
					// sandbox's Atlassian sign-in first.
					if err := chromedp.Do(w.ctx, chromedp.WaitVisible(chromedp.CSS(`#accept, button[value="deny"]`))); err != nil {
						return nil, fmt.Errorf("neither sign-in nor consent: %w", err)
					}
					if eval[bool](w, `!!document.querySelector("#accept")`) {
						signedIn = true
						if err := chromedp.Do(w.ctx, chromedp.SetValue(chromedp.CSS("#account_id"), e.sb.Creds.Users[0].AccountID)); err != nil {
							return nil, err
						}
						if _, err := chromedp.RunResponse(w.ctx, chromedp.Click(chromedp.CSS("#accept"), chromedp.NodeVisible)); err != nil {
							return nil, err
						}
					}
					if err := chromedp.Do(w.ctx, chromedp.WaitVisible(chromedp.CSS(`button[value="deny"]`))); err != nil {
						return nil, fmt.Errorf("the consent page: %w", err)
					}
					consentText = w.text("main")
					w.check("mcp-consent")
					if _, err := chromedp.RunResponse(w.ctx, chromedp.Click(chromedp.CSS(`button[value="`+button+`"]`), chromedp.NodeVisible)); err != nil {
						return nil, err
					}
					back, err := url.Parse(eval[string](w, `location.href`))
					if err != nil {
						return nil, err
					}
					if !strings.HasPrefix(back.String(), cb.URL+"/callback?") {
						return nil, fmt.Errorf("the decision led to %s", back)
					}
					q := back.Query()
					if q.Get("error") != "" {
						return nil, errors.New("authorization refused: " + q.Get("error"))
					}
					return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
				}
			}
			connect := func(name string, fetch func(context.Context, *auth.AuthorizationArgs) (*auth.AuthorizationResult, error)) (*sdk.ClientSession, error) {
				h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
					DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
						ClientName: name, RedirectURIs: []string{cb.URL + "/callback"}, TokenEndpointAuthMethod: "none"}},
					AuthorizationCodeFetcher: fetch,
				})
				if err != nil {
					t.Fatal(err)
				}
				tr := &sdk.StreamableClientTransport{Endpoint: e.URL + "/mcp", OAuthHandler: h}
				return sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(t.Context(), tr, nil)
			}

			cs, err := connect("Approved Assistant", decide("approve"))
			if err != nil {
				t.Fatalf("connecting with only the URL: %v", err)
			}
			if calls != 1 {
				t.Errorf("the assistant sent its person to consent %d times, want once", calls)
			}
			if !signedIn {
				t.Error("Chromium was not sent through the sandbox's sign-in first")
			}
			t.Cleanup(func() { _ = cs.Close() })
			wantIn(t, "consent page", consentText, "Allow Approved Assistant to use Jira as you?", e.sb.Creds.Users[0].DisplayName,
				"read, create and change", "Allow reading and writing", "Allow reading only", "Deny")
			got, msg := callTool(t, cs, "check_permissions", nil)
			if msg != "" || got["account"] != e.sb.Creds.Users[0].DisplayName {
				t.Errorf("check_permissions with the approved token: %v %s", got, msg)
			}
			if _, msg := callTool(t, cs, "create_ticket", map[string]any{"summary": "Filed after consent in Chromium"}); msg != "" {
				t.Errorf("create_ticket with read and write approved: %s", msg)
			}

			// Already signed in, the next assistant goes straight to consent.
			if _, err := connect("Denied Assistant", decide("deny")); err == nil || !strings.Contains(err.Error(), "access_denied") {
				t.Errorf("a denied assistant connected, or failed otherwise: %v", err)
			}
			wantIn(t, "second consent page", consentText, "Allow Denied Assistant to use Jira as you?")
			var n int
			if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE name = 'Denied Assistant'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("the denied assistant has %d tokens (%v)", n, err)
			}
		})
	}
}
