package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// oauthToken runs the 3LO flow for a seed user and site and returns the
// access token.
func oauthToken(t *testing.T, s *emulatortest.Server, accountID, cloudID, scopes string) string {
	t.Helper()
	app := s.Creds.OAuth[0]
	redirect := "http://localhost:4000/api/auth/jira/callback"
	q := url.Values{"audience": {"api.atlassian.com"}, "client_id": {app.ClientID}, "scope": {scopes},
		"redirect_uri": {redirect}, "state": {"st"}, "response_type": {"code"}, "prompt": {"consent"}}
	back, err := s.E.Auth().Approve(s.URL+"/authorize?"+q.Encode(), accountID, cloudID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	code := u.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", back)
	}
	r := rawClient(t, s.URL, nil).do("POST", "/oauth/token", map[string]string{"grant_type": "authorization_code",
		"client_id": app.ClientID, "client_secret": app.ClientSecret, "code": code, "redirect_uri": redirect})
	want(t, r, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &tok)
	return tok.AccessToken
}

func TestMinted(t *testing.T) {
	s := start(t, emulator.Options{})
	seen := map[string]bool{}
	for _, u := range s.Creds.Users {
		for _, tok := range []string{u.ClassicToken, u.ScopedToken} {
			if !strings.HasPrefix(tok, "ATATT3x") || len(tok) != 192 {
				t.Errorf("%s: token %q… has length %d, want ATATT3x… of 192", u.Email, tok[:10], len(tok))
			}
			if seen[tok] {
				t.Errorf("%s: token minted twice", u.Email)
			}
			seen[tok] = true
		}
		if len(u.PAT) != 44 {
			t.Errorf("%s: PAT length %d, want 44", u.Email, len(u.PAT))
		}
	}
	if len(s.Creds.Sites) < 2 || s.Creds.Sites[0].URL != s.URL || s.Creds.Sites[1].URL != s.URL+"/sites/eu" {
		t.Errorf("sites = %+v", s.Creds.Sites)
	}
	if app := s.Creds.OAuth[0]; len(app.ClientID) != 32 || len(app.ClientSecret) != 64 {
		t.Errorf("OAuth client = %d/%d chars", len(app.ClientID), len(app.ClientSecret))
	}
}

func TestAnonymousFallback(t *testing.T) {
	s := start(t, emulator.Options{})
	you := s.You()
	bad := basic(you.Email, corrupt(you.ClassicToken))
	cases := []struct {
		name   string
		path   string
		status int
		check  func(t *testing.T, r response)
	}{
		{"project search is empty", "/rest/api/3/project/search", 200, func(t *testing.T, r response) {
			if v := r.obj(t)["values"].([]any); len(v) != 0 {
				t.Errorf("values = %v, want none", v)
			}
		}},
		{"issue is not found", "/rest/api/3/issue/SPACE2-1", 404, func(t *testing.T, r response) {
			wantError(t, r, 404, "Issue does not exist or you do not have permission to see it.")
		}},
		{"mypermissions all false", "/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS,CREATE_ISSUES,USER_PICKER", 200, func(t *testing.T, r response) {
			var body struct {
				Permissions map[string]struct{ HavePermission bool }
			}
			r.json(t, &body)
			if len(body.Permissions) != 3 {
				t.Fatalf("permissions = %v", body.Permissions)
			}
			for k, p := range body.Permissions {
				if p.HavePermission {
					t.Errorf("%s = true for a failed login", k)
				}
			}
		}},
		{"search finds nothing", "/rest/api/3/search/jql?jql=summary~sandbox", 200, func(t *testing.T, r response) {
			if got := r.obj(t)["issues"].([]any); len(got) != 0 {
				t.Errorf("issues = %v", got)
			}
		}},
		{"search cannot name the project", "/rest/api/3/search/jql?jql=project=SPACE2", 400, func(t *testing.T, r response) {
			wantError(t, r, 400, "The value 'SPACE2' does not exist for the field 'project'.")
		}},
		{"user search is empty", "/rest/api/3/user/search?query=a", 200, func(t *testing.T, r response) {
			if string(r.body) != "[]" {
				t.Errorf("body %s, want []", r.body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newClient(t, s.URL, bad).get(tc.path)
			want(t, r, tc.status)
			tc.check(t, r)
			if got := r.header.Get("X-Seraph-LoginReason"); got != "AUTHENTICATED_FAILED" {
				t.Errorf("X-Seraph-LoginReason = %q", got)
			}
			if r.header.Get("X-AACCOUNTID") != "" {
				t.Errorf("X-AACCOUNTID set for a failed login")
			}
		})
	}
	t.Run("myself answers 401 in plain text", func(t *testing.T) {
		r := rawClient(t, s.URL, bad).get("/rest/api/3/myself")
		want(t, r, 401)
		if string(r.body) != "Client must be authenticated to access this resource." || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("body %q (%s)", r.body, r.header.Get("Content-Type"))
		}
	})
	t.Run("create needs authentication", func(t *testing.T) {
		r := newClient(t, s.URL, nil).do("POST", "/rest/api/3/issue", map[string]any{"fields": map[string]any{"summary": "x"}})
		wantError(t, r, 401, "You are not authenticated. Authentication required to perform this operation.")
	})
}

func TestIdentityHeaders(t *testing.T) {
	s := start(t, emulator.Options{})
	r := classic(t, s, youEmail).get("/rest/api/3/myself")
	want(t, r, 200)
	if got := r.header.Get("X-AACCOUNTID"); got != url.QueryEscape(s.You().AccountID) {
		t.Errorf("X-AACCOUNTID = %q", got)
	}
	for _, h := range []string{"X-AREQUESTID", "Atl-Traceid"} {
		if r.header.Get(h) == "" {
			t.Errorf("%s missing", h)
		}
	}
	if r.header.Get("X-Seraph-LoginReason") != "" || r.header.Get("X-AUSERNAME") != "" {
		t.Errorf("Cloud success carries Server headers: %v", r.header)
	}
}

func TestScopedTokens(t *testing.T) {
	s := start(t, emulator.Options{})
	you, mia := s.You(), s.User(t, miaEmail)
	cloudID := s.Creds.Sites[0].CloudID
	gw := s.GatewayURL(cloudID)

	t.Run("site host refuses a scoped token as if the password were wrong", func(t *testing.T) {
		for _, p := range []string{"/rest/api/3/myself", "/rest/api/3/project/search"} {
			r := rawClient(t, s.URL, basic(you.Email, you.ScopedToken)).get(p)
			want(t, r, 401)
			if string(r.body) != "Client must be authenticated to access this resource." {
				t.Errorf("%s: body %q", p, r.body)
			}
		}
	})
	t.Run("gateway accepts scoped and classic tokens", func(t *testing.T) {
		for _, tok := range []string{you.ScopedToken, you.ClassicToken} {
			r := newClient(t, gw, basic(you.Email, tok)).get("/rest/api/3/myself")
			want(t, r, 200)
			if r.obj(t)["accountId"] != you.AccountID {
				t.Errorf("myself = %s", r.body)
			}
		}
	})
	t.Run("self links follow the gateway", func(t *testing.T) {
		r := newClient(t, gw, basic(you.Email, you.ScopedToken)).get("/rest/api/3/project/SPACE2")
		want(t, r, 200)
		if self := r.obj(t)["self"].(string); !strings.HasPrefix(self, gw+"/rest/api/3/") {
			t.Errorf("self = %s, want under %s", self, gw)
		}
	})
	t.Run("missing scope", func(t *testing.T) {
		// Mia's scoped token has read:jira-work and read:jira-user only.
		r := rawClient(t, gw, basic(mia.Email, mia.ScopedToken)).do("POST", "/rest/api/3/issue",
			map[string]any{"fields": map[string]any{"project": map[string]string{"key": "SPACE2"}}})
		want(t, r, 401)
		if got := strings.TrimSpace(string(r.body)); got != `{"code":401,"message":"Unauthorized; scope does not match"}` {
			t.Errorf("body %s", got)
		}
		ok := newClient(t, gw, basic(mia.Email, mia.ScopedToken)).get("/rest/api/3/project/search")
		want(t, ok, 200)
	})
	t.Run("gateway without credentials", func(t *testing.T) {
		r := rawClient(t, gw, nil).get("/rest/api/3/serverInfo")
		want(t, r, 401)
		if got := strings.TrimSpace(string(r.body)); got != `{"code":401,"message":"Unauthorized"}` {
			t.Errorf("body %s", got)
		}
	})
	t.Run("unknown cloud id", func(t *testing.T) {
		r := rawClient(t, s.GatewayURL("00000000-0000-0000-0000-000000000000"), basic(you.Email, you.ClassicToken)).get("/rest/api/3/myself")
		wantError(t, r, 404, "No Jira site is available for cloud id '00000000-0000-0000-0000-000000000000'.")
	})
}

func TestOAuthOnGateway(t *testing.T) {
	s := start(t, emulator.Options{})
	you := s.You()
	site0, site1 := s.Creds.Sites[0].CloudID, s.Creds.Sites[1].CloudID
	tok := oauthToken(t, s, you.AccountID, site0, "read:jira-work read:jira-user offline_access")

	r := newClient(t, s.GatewayURL(site0), bearer(tok)).get("/rest/api/3/myself")
	want(t, r, 200)
	if r.header.Get("X-RateLimit-Limit") == "" || r.header.Get("X-RateLimit-Remaining") == "" {
		t.Errorf("3LO response without X-RateLimit headers: %v", r.header)
	}

	t.Run("scope does not match", func(t *testing.T) {
		r := rawClient(t, s.GatewayURL(site0), bearer(tok)).do("POST", "/rest/api/3/issue/SPACE2-1/comment", map[string]any{"body": adf("x")})
		want(t, r, 401)
		if !strings.Contains(string(r.body), "Unauthorized; scope does not match") {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("site not in the grant", func(t *testing.T) {
		r := rawClient(t, s.GatewayURL(site1), bearer(tok)).get("/rest/api/3/myself")
		want(t, r, 401)
	})
	t.Run("bearer on the site host falls back to anonymous", func(t *testing.T) {
		r := rawClient(t, s.URL, bearer(tok)).get("/rest/api/3/myself")
		want(t, r, 401)
		if r.header.Get("X-Seraph-LoginReason") != "AUTHENTICATED_FAILED" {
			t.Errorf("headers %v", r.header)
		}
	})
	t.Run("accessible resources list the granted site", func(t *testing.T) {
		r := rawClient(t, s.URL, bearer(tok)).get("/oauth/token/accessible-resources")
		want(t, r, 200)
		var res []struct{ ID, URL string }
		r.json(t, &res)
		if len(res) != 1 || res[0].ID != site0 || res[0].URL != s.URL {
			t.Errorf("resources = %+v", res)
		}
	})
	t.Run("granular scopes pass too", func(t *testing.T) {
		g := oauthToken(t, s, you.AccountID, site0, "read:user:jira read:group:jira read:application-role:jira read:avatar:jira")
		want(t, newClient(t, s.GatewayURL(site0), bearer(g)).get("/rest/api/3/myself"), 200)
		want(t, rawClient(t, s.GatewayURL(site0), bearer(g)).get("/rest/api/3/project/search"), 401)
	})
}

func TestTenantInfoAndSites(t *testing.T) {
	s := start(t, emulator.Options{})
	for i, site := range s.Creds.Sites {
		r := rawClient(t, site.URL, nil).get("/_edge/tenant_info")
		want(t, r, 200)
		var body map[string]string
		r.json(t, &body)
		if body["cloudId"] != site.CloudID {
			t.Errorf("site %d: tenant_info = %v, want %s", i, body, site.CloudID)
		}
	}
	you := s.You()
	eu := newClient(t, s.Creds.Sites[1].URL, basic(you.Email, you.ClassicToken))
	r := eu.get("/rest/api/3/project/search")
	want(t, r, 200)
	values := r.obj(t)["values"].([]any)
	if len(values) != 1 || values[0].(map[string]any)["key"] != "WEB" {
		t.Errorf("eu projects = %v", values)
	}
	info := eu.get("/rest/api/3/serverInfo").obj(t)
	if info["baseUrl"] != s.Creds.Sites[1].URL {
		t.Errorf("baseUrl = %v", info["baseUrl"])
	}
	// Sam has no licence on the eu site: signed in, but he sees nothing.
	sam := s.User(t, samEmail)
	r = newClient(t, s.Creds.Sites[1].URL, basic(sam.Email, sam.ClassicToken)).get("/rest/api/3/project/search")
	want(t, r, 200)
	if v := r.obj(t)["values"].([]any); len(v) != 0 {
		t.Errorf("unlicensed user sees %v", v)
	}
	if r := rawClient(t, s.URL, nil).get("/sites/nowhere/rest/api/3/serverInfo"); r.status != 404 {
		t.Errorf("unknown site slug: %d", r.status)
	}
}

func TestBrowsePage(t *testing.T) {
	s := start(t, emulator.Options{})
	r := rawClient(t, s.URL, nil).get("/browse/SPACE2-1")
	want(t, r, 200)
	if !strings.Contains(string(r.body), "SPACE2-1: Set up the sandbox") {
		t.Errorf("page: %s", r.body)
	}
	r = rawClient(t, s.URL, nil).get("/browse/SPACE2-999")
	want(t, r, 404)
	if !strings.Contains(string(r.body), "SPACE2-999 does not exist") {
		t.Errorf("page: %s", r.body)
	}
}

func TestMyself(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	var me struct {
		AccountID, EmailAddress, DisplayName, TimeZone, Locale string
		Active                                                 bool
		Groups                                                 struct {
			Size  int
			Items []struct{ Name string }
		}
	}
	r := c.get("/rest/api/3/myself?expand=groups,applicationRoles")
	want(t, r, 200)
	r.json(t, &me)
	you := s.You()
	if me.AccountID != you.AccountID || me.EmailAddress != you.Email || !me.Active || me.Groups.Size != 1 ||
		len(me.Groups.Items) != 1 || me.Groups.Items[0].Name != "jira-software-users" {
		t.Errorf("myself = %+v", me)
	}
	r = c.get("/rest/api/3/serverInfo")
	var info struct {
		DeploymentType, Version, ServerTime string
		VersionNumbers                      []int
	}
	r.json(t, &info)
	if info.DeploymentType != "Cloud" || info.VersionNumbers[0] != 1001 || !strings.HasSuffix(info.ServerTime, "+0000") {
		t.Errorf("serverInfo = %+v", info)
	}
	var raw map[string]json.RawMessage
	r.json(t, &raw)
	if _, ok := raw["healthChecks"]; ok {
		t.Error("serverInfo returns the retired healthChecks")
	}
}

// corrupt changes the last character of a token, whatever it was, so the
// result is never the token itself.
func corrupt(token string) string {
	last := "x"
	if strings.HasSuffix(token, last) {
		last = "y"
	}
	return token[:len(token)-1] + last
}
