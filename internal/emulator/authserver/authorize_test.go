package authserver_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConsentPageShowsAppScopesUsersAndSites(t *testing.T) {
	e := newEnv(t)
	resp, body := e.get("/authorize?"+authorizeQuery("scope", allScopes+" read:issue-details:jira").Encode(), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for h, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"Cache-Control":   "no-store",
		"X-Frame-Options": "DENY",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy = %q, want no scripts allowed", csp)
	}
	// The app name is escaped, not injected.
	if want := `<span id="app-name">` + html.EscapeString(appName) + `</span>`; !strings.Contains(body, want) {
		t.Errorf("page lacks %s", want)
	}
	if strings.Contains(body, appName) {
		t.Error("app name appears unescaped")
	}
	scopeRE := regexp.MustCompile(`<li data-scope="([^"]+)"><strong>([^<]+)</strong>`)
	var got []string
	for _, m := range scopeRE.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1]+"="+m[2])
	}
	want := []string{
		"read:jira-work=View Jira issue data", "write:jira-work=Create and manage issues",
		"read:jira-user=View user profiles", "read:me=View your profile",
		"offline_access=Keep access while you are away", "read:issue-details:jira=View issue details",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("scopes listed:\n%v\nwant\n%v", got, want)
	}
	optRE := regexp.MustCompile(`<option value="([^"]+)">`)
	opts := optRE.FindAllStringSubmatch(body, -1)
	var values []string
	for _, m := range opts {
		values = append(values, html.UnescapeString(m[1]))
	}
	wantValues := []string{users[0].AccountID, users[1].AccountID, sites[0].CloudID, sites[1].CloudID}
	if strings.Join(values, " ") != strings.Join(wantValues, " ") {
		t.Errorf("options = %v, want users then sites %v", values, wantValues)
	}
	if strings.Contains(body, " selected") {
		t.Error("an option is pre-selected; the first user and site must be the defaults")
	}
	for _, w := range []string{`<select id="account_id" name="account_id">`, `<select id="cloud_id" name="cloud_id"`,
		`id="accept" name="decision" value="accept"`, `id="deny" name="decision" value="deny"`, `<form method="post">`,
		`<label for="account_id">Signed in as</label>`, users[0].Name + " (" + users[0].Email + ")", sites[1].Name + " – " + sites[1].URL} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(body, appSecret) || strings.Contains(body, "<script") {
		t.Error("page carries the client secret or a script")
	}
}

func TestAcceptRedirectsWithCodeAndVerbatimState(t *testing.T) {
	for _, state := range []string{"st-123", "", "a b&c=d/é?x#y"} {
		e := newEnv(t)
		q := authorizeQuery()
		q.Set("state", state)
		u := e.decide(q, "accept", "", "")
		if got := u.Scheme + "://" + u.Host + u.Path; got != appCallback {
			t.Errorf("redirected to %s, want %s", got, appCallback)
		}
		q = u.Query()
		if _, ok := q["state"]; !ok || q.Get("state") != state {
			t.Errorf("state = %q (present %v), want %q", q.Get("state"), ok, state)
		}
		if c := q.Get("code"); len(strings.Split(c, ".")) != 3 || !strings.HasPrefix(c, "eyJ") {
			t.Errorf("code %q is not JWT-shaped", c)
		}
		if got := e.auth.Stats().CodesIssued; got < 1 {
			t.Errorf("CodesIssued = %d", got)
		}
	}
}

func TestLoopbackCallbackOnAnyPort(t *testing.T) {
	e := newEnv(t)
	for _, cb := range []string{"http://127.0.0.1:5555/api/auth/jira/callback", "http://[::1]:8080/api/auth/jira/callback", "http://localhost:4001/api/auth/jira/callback"} {
		u := e.decide(authorizeQuery("redirect_uri", cb), "accept", "", "")
		if got := u.Scheme + "://" + u.Host + u.Path; got != cb {
			t.Errorf("redirected to %s, want %s", got, cb)
		}
		// The code is bound to the loopback URI it was issued for.
		body := codeBody(u.Query().Get("code"))
		body["redirect_uri"] = cb
		e.mustToken(body)
	}
}

func TestDenyRedirectsAccessDenied(t *testing.T) {
	e := newEnv(t)
	u := e.decide(authorizeQuery(), "deny", "", "")
	q := u.Query()
	if q.Get("error") != "access_denied" || q.Get("error_description") != "User did not authorize the request" || q.Get("state") != "st-123" || q.Has("code") {
		t.Errorf("deny redirect = %s", u)
	}
	if s := e.auth.Stats(); s.ConsentsDenied != 1 || s.CodesIssued != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestAuthorizeErrorPagesDoNotRedirect(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		q      url.Values
		title  string
		detail string
	}{
		{"missing client", authorizeQuery("client_id", ""), "Missing client_id", "no client_id parameter"},
		{"unknown client", authorizeQuery("client_id", "nope"), "Unknown app", `No app is registered with client_id &#34;nope&#34;`},
		{"unregistered redirect", authorizeQuery("redirect_uri", "https://evil.example/api/auth/jira/callback"), "Invalid redirect_uri", "is not a callback URL registered"},
		{"loopback with another path", authorizeQuery("redirect_uri", "http://127.0.0.1:9/other"), "Invalid redirect_uri", "Registered callback URLs: " + appCallback},
		{"loopback for a strict client", authorizeQuery("client_id", otherID, "scope", "read:jira-work", "redirect_uri", "http://127.0.0.1:9/cb"), "Invalid redirect_uri", otherCB},
		{"prefix of a registered uri", authorizeQuery("client_id", otherID, "redirect_uri", otherCB+"/x"), "Invalid redirect_uri", "not a callback URL"},
		{"missing redirect", authorizeQuery("redirect_uri", ""), "Invalid redirect_uri", "The redirect_uri &#34;&#34; is not"},
		{"implicit flow", authorizeQuery("response_type", "token"), "Unsupported response_type", `only &#34;code&#34; is supported`},
		{"missing audience", authorizeQuery("audience", ""), "Missing or wrong audience", "audience=api.atlassian.com"},
		{"other audience", authorizeQuery("audience", "api.example.com"), "Missing or wrong audience", `audience is &#34;api.example.com&#34;`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.get("/authorize?"+c.q.Encode(), "")
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d Location %q, want 400 without redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.Contains(body, `<h1 id="title">`+c.title+`</h1>`) || !strings.Contains(body, c.detail) {
				t.Errorf("page lacks title %q / detail %q:\n%s", c.title, c.detail, body)
			}
			if strings.Contains(body, appSecret) || strings.Contains(body, otherSecret) || strings.Contains(body, `name="nonce"`) {
				t.Error("error page carries a secret or a consent form")
			}
		})
	}
}

func TestAuthorizeScopeErrorsRedirectToApp(t *testing.T) {
	e := newEnv(t)
	for scope, desc := range map[string]string{
		"read:jira-work manage:jira-configuration write:confluence-content": "Scopes not configured for this app: manage:jira-configuration write:confluence-content.",
		"":    "No scope was requested.",
		"   ": "No scope was requested.",
	} {
		resp, _ := e.get("/authorize?"+authorizeQuery("scope", scope, "state", "s9").Encode(), "")
		u, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || u.Query().Get("error") != "invalid_scope" || !strings.Contains(u.Query().Get("error_description"), desc) || u.Query().Get("state") != "s9" {
			t.Errorf("scope %q: %d Location %s, want invalid_scope %q", scope, resp.StatusCode, u, desc)
		}
	}
}

func TestConsentFormIsSingleUseAndExpires(t *testing.T) {
	e := newEnv(t)
	const gone = "This consent form is no longer valid"
	_, nonce := e.consentPage(authorizeQuery())
	if status, _, _ := e.submit(url.Values{"nonce": {nonce}, "decision": {"accept"}}); status != http.StatusFound {
		t.Fatalf("first submit = %d", status)
	}
	for name, form := range map[string]url.Values{
		"replayed": {"nonce": {nonce}, "decision": {"accept"}},
		"forged":   {"nonce": {"forged-nonce-forged-nonce"}, "decision": {"accept"}},
		"missing":  {"decision": {"accept"}},
	} {
		if status, loc, body := e.submit(form); status != http.StatusBadRequest || loc != "" || !strings.Contains(body, gone) {
			t.Errorf("%s nonce: %d %q, want 400 %q", name, status, loc, gone)
		}
	}
	_, nonce = e.consentPage(authorizeQuery())
	e.clock.Advance(30 * time.Minute)
	if status, _, body := e.submit(url.Values{"nonce": {nonce}, "decision": {"accept"}}); status != http.StatusBadRequest || !strings.Contains(body, gone) {
		t.Errorf("expired nonce: %d, want 400 %q", status, gone)
	}
	_, nonce = e.consentPage(authorizeQuery())
	if status, _, body := e.submit(url.Values{"nonce": {nonce}, "decision": {"accept"}, "account_id": {"ghost"}}); status != http.StatusBadRequest || !strings.Contains(body, `No sandbox user has account id &#34;ghost&#34;`) {
		t.Errorf("unknown user: %d %s", status, body)
	}
	if got := e.auth.Stats().CodesIssued; got != 1 {
		t.Errorf("CodesIssued = %d, want 1", got)
	}
}

func TestApproveDrivesConsentWithoutBrowser(t *testing.T) {
	e := newEnv(t)
	cb, err := e.auth.Approve(e.url+"/authorize?"+authorizeQuery().Encode(), users[1].AccountID, sites[1].CloudID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(cb)
	p := e.mustToken(codeBody(u.Query().Get("code")))
	g, ok := e.auth.Verify(p.access)
	if !ok || g.AccountID != users[1].AccountID || strings.Join(g.CloudIDs, ",") != sites[1].CloudID {
		t.Errorf("Verify = %+v %v", g, ok)
	}
	if _, err := e.auth.Approve(e.url+"/authorize?"+authorizeQuery("audience", "").Encode(), "", ""); err == nil || !strings.Contains(err.Error(), "Missing or wrong audience") {
		t.Errorf("Approve without audience: err = %v", err)
	}
	cb, err = e.auth.Approve(e.url+"/authorize?"+authorizeQuery("scope", "manage:jira-webhook").Encode(), "", "")
	if err != nil || !strings.Contains(cb, "error=invalid_scope") {
		t.Errorf("Approve with a bad scope = %q, %v; want the app's callback with invalid_scope", cb, err)
	}
}
