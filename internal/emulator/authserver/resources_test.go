package authserver_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator/authserver"
)

type resource struct {
	ID, Name, URL, AvatarURL string
	Scopes                   []string
}

func (e *env) resources(token string) []resource {
	e.t.Helper()
	resp, body := e.get("/oauth/token/accessible-resources", token)
	if resp.StatusCode != 200 {
		e.t.Fatalf("accessible-resources = %d %s", resp.StatusCode, body)
	}
	var out []resource
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		e.t.Fatalf("%v: %s", err, body)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// wantGatewayUnauthorized checks the gateway's exact 401 body.
func (e *env) wantGatewayUnauthorized(path, token, message string) {
	e.t.Helper()
	resp, body := e.get(path, token)
	var out map[string]any
	json.Unmarshal([]byte(body), &out)
	if resp.StatusCode != 401 || out["code"] != float64(401) || out["message"] != message || len(out) != 2 {
		e.t.Errorf("GET %s = %d %s, want 401 {code:401, message:%q}", path, resp.StatusCode, body, message)
	}
}

func TestAccessibleResourcesListsEverySiteOfTheGrant(t *testing.T) {
	e := newEnv(t)
	first := e.mustToken(codeBody(e.code(allScopes, "", sites[0].CloudID)))
	got := e.resources(first.access)
	if len(got) != 1 || got[0].ID != sites[0].CloudID || got[0].Name != sites[0].Name || got[0].URL != sites[0].URL || got[0].AvatarURL != sites[0].AvatarURL {
		t.Fatalf("resources = %+v", got)
	}
	// Identity and Auth0 scopes are not a site's product scopes.
	if want := []string{"read:jira-work", "write:jira-work", "read:jira-user"}; !slices.Equal(got[0].Scopes, want) {
		t.Errorf("scopes = %v, want %v", got[0].Scopes, want)
	}
	// Consenting to a second site joins the same grant: the first token covers it at once.
	e.code(allScopes, "", sites[1].CloudID)
	got = e.resources(first.access)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	want := []string{sites[0].CloudID, sites[1].CloudID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("after a second consent: ids = %v, want %v", ids, want)
	}
	if g, _ := e.auth.Verify(first.access); !slices.Equal(g.CloudIDs, want) {
		t.Errorf("Verify CloudIDs = %v, want %v", g.CloudIDs, want)
	}
	// Another user's grant is separate.
	bo := e.mustToken(codeBody(e.code(allScopes, users[1].AccountID, sites[1].CloudID)))
	if got := e.resources(bo.access); len(got) != 1 || got[0].ID != sites[1].CloudID {
		t.Errorf("second user's resources = %+v", got)
	}
}

func TestAccessibleResourcesRejectsBadTokens(t *testing.T) {
	e := newEnv(t)
	p := e.signIn(allScopes)
	const path = "/oauth/token/accessible-resources"
	e.wantGatewayUnauthorized(path, "", "Unauthorized")
	e.wantGatewayUnauthorized(path, "not-a-token", "Unauthorized")
	e.wantGatewayUnauthorized(path, p.refresh, "Unauthorized")
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.Header.Set("Authorization", "bearer "+p.access) // the scheme is case-insensitive
	if resp, body := e.do(req); resp.StatusCode != 200 || !strings.Contains(body, sites[0].CloudID) {
		t.Errorf("lower-case bearer: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(time.Hour)
	e.wantGatewayUnauthorized(path, p.access, "Unauthorized")
}

func TestMeReturnsProfileAndNeedsReadMe(t *testing.T) {
	e := newEnv(t)
	p := e.signIn(allScopes)
	resp, body := e.get("/me", p.access)
	if resp.StatusCode != 200 {
		t.Fatalf("/me = %d %s", resp.StatusCode, body)
	}
	var me map[string]any
	if err := json.Unmarshal([]byte(body), &me); err != nil {
		t.Fatal(err)
	}
	u := users[0]
	want := map[string]any{
		"account_type": "atlassian", "account_id": u.AccountID, "email": u.Email, "name": u.Name,
		"picture": u.Picture, "account_status": "active", "nickname": u.Nickname, "zoneinfo": u.ZoneInfo,
		"locale": u.Locale, "email_verified": true, "extended_profile": map[string]any{"job_title": u.JobTitle},
	}
	for k, v := range want {
		if gotJSON, wantJSON := mustJSON(me[k]), mustJSON(v); gotJSON != wantJSON {
			t.Errorf("/me %s = %s, want %s", k, gotJSON, wantJSON)
		}
	}
	if len(me) != len(want) {
		t.Errorf("/me has %d keys, want %d: %s", len(me), len(want), body)
	}
	// Defaults for a sparse profile.
	bo := e.mustToken(codeBody(e.code(allScopes, users[1].AccountID, "")))
	_, body = e.get("/me", bo.access)
	for _, w := range []string{`"nickname":"bo"`, `"zoneinfo":"UTC"`, `"locale":"en-US"`, `"extended_profile":{}`} {
		if !strings.Contains(body, w) {
			t.Errorf("sparse /me lacks %s: %s", w, body)
		}
	}
	noMe := e.mustToken(codeBody(e.code("read:jira-work offline_access", "", "")))
	e.wantGatewayUnauthorized("/me", noMe.access, "Unauthorized; scope does not match")
	e.wantGatewayUnauthorized("/me", "garbage", "Unauthorized")
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestVerifyAfterExpiryAndRevocation(t *testing.T) {
	e := newEnv(t, func(o *authserver.Options) { o.AccessTokenTTL = 5 * time.Minute })
	mia := e.signIn(allScopes)
	g, ok := e.auth.Verify(mia.access)
	if !ok || !g.ExpiresAt.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("Verify = %+v %v, want expiry in the configured 5 minutes", g, ok)
	}
	e.clock.Advance(5*time.Minute - time.Second)
	if _, ok := e.auth.Verify(mia.access); !ok {
		t.Error("token died before its TTL")
	}
	e.clock.Advance(time.Second)
	if _, ok := e.auth.Verify(mia.access); ok {
		t.Error("token verified at its expiry")
	}
	if _, ok := e.auth.Verify("unknown"); ok {
		t.Error("unknown token verified")
	}

	mia = e.mustToken(refreshBody(mia.refresh))
	bo := e.mustToken(codeBody(e.code(allScopes, users[1].AccountID, "")))
	e.auth.RevokeAccessTokens(users[0].AccountID)
	if _, ok := e.auth.Verify(mia.access); ok {
		t.Error("revoked access token verifies")
	}
	if _, ok := e.auth.Verify(bo.access); !ok {
		t.Error("another account's token was revoked")
	}
	// Revoking access tokens leaves the refresh token alive.
	mia = e.mustToken(refreshBody(mia.refresh))

	e.auth.ExpireAccessTokens()
	for _, at := range []string{mia.access, bo.access} {
		if _, ok := e.auth.Verify(at); ok {
			t.Error("ExpireAccessTokens left a token alive")
		}
	}
	mia = e.mustToken(refreshBody(mia.refresh))
	if _, ok := e.auth.Verify(mia.access); !ok {
		t.Error("a token issued after ExpireAccessTokens is dead")
	}
}

func TestRevokeGrantKillsEveryFamilyAndForgetsSites(t *testing.T) {
	e := newEnv(t)
	a := e.mustToken(codeBody(e.code(allScopes, "", sites[0].CloudID)))
	b := e.mustToken(codeBody(e.code(allScopes, "", sites[1].CloudID)))
	bo := e.mustToken(codeBody(e.code(allScopes, users[1].AccountID, "")))
	e.auth.RevokeGrant(users[0].AccountID, appID)
	for _, p := range []pair{a, b} {
		if _, ok := e.auth.Verify(p.access); ok {
			t.Error("access token survived RevokeGrant")
		}
		e.refreshFails(p.refresh)
	}
	if _, ok := e.auth.Verify(bo.access); !ok {
		t.Error("RevokeGrant hit another user's grant")
	}
	if s := e.auth.Stats(); s.FamiliesRevoked != 2 {
		t.Errorf("FamiliesRevoked = %d, want 2", s.FamiliesRevoked)
	}
	again := e.mustToken(codeBody(e.code(allScopes, "", sites[1].CloudID)))
	if g, ok := e.auth.Verify(again.access); !ok || !slices.Equal(g.CloudIDs, []string{sites[1].CloudID}) {
		t.Errorf("after re-consent Verify = %+v %v, want only the newly consented site", g, ok)
	}
}
