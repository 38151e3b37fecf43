package authserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCodeExchangeJSONAndForm(t *testing.T) {
	for _, form := range []bool{false, true} {
		e := newEnv(t)
		code := e.code(allScopes, "", sites[1].CloudID)
		status, out := e.token(codeBody(code), form)
		if status != http.StatusOK {
			t.Fatalf("form=%v: %d %v", form, status, out)
		}
		if out["expires_in"] != float64(3600) || out["token_type"] != "Bearer" || out["scope"] != allScopes {
			t.Errorf("form=%v: response %v", form, out)
		}
		at, rt := str(out["access_token"]), str(out["refresh_token"])
		if at == "" || rt == "" || at == rt {
			t.Fatalf("form=%v: tokens %q %q", form, at, rt)
		}
		parts := strings.Split(at, ".")
		if len(parts) != 3 {
			t.Fatalf("access token is not JWT-shaped: %q", at)
		}
		var header map[string]string
		if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil || header["alg"] != "HS256" {
			t.Errorf("JWT header %q: %v", parts[0], header)
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sites {
			if strings.Contains(string(payload), s.CloudID) {
				t.Errorf("access token carries cloud id %s: %s", s.CloudID, payload)
			}
		}
		g, ok := e.auth.Verify(at)
		if !ok || g.AccountID != users[0].AccountID || g.ClientID != appID || strings.Join(g.Scopes, " ") != allScopes ||
			!slices.Equal(g.CloudIDs, []string{sites[1].CloudID}) || !g.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
			t.Errorf("Verify = %+v, %v", g, ok)
		}
		secrets := e.auth.IssuedSecrets()
		for _, s := range []string{code, at, rt} {
			if !slices.Contains(secrets, s) {
				t.Errorf("IssuedSecrets lacks %.12s…", s)
			}
		}
		if s := e.auth.Stats(); s.CodesIssued != 1 || s.CodeExchanges != 1 {
			t.Errorf("stats = %+v", s)
		}
	}
}

func TestTokenResponseIsNotCacheable(t *testing.T) {
	e := newEnv(t)
	b, _ := json.Marshal(codeBody(e.code(allScopes, "", "")))
	req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	resp, _ := e.do(req)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" ||
		resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("status %d headers %v", resp.StatusCode, resp.Header)
	}
}

func TestNoRefreshTokenWithoutOfflineAccess(t *testing.T) {
	e := newEnv(t)
	status, out := e.token(codeBody(e.code("read:jira-work read:me", "", "")), false)
	if _, has := out["refresh_token"]; status != 200 || has || out["scope"] != "read:jira-work read:me" {
		t.Errorf("got %d %v, want 200 without refresh_token", status, out)
	}
}

func TestCodeReuseFailsAndRevokesItsTokens(t *testing.T) {
	e := newEnv(t)
	code := e.code(allScopes, "", "")
	p := e.mustToken(codeBody(code))
	status, out := e.token(codeBody(code), false)
	wantOAuthError(t, status, out, 403, "invalid_grant", "Invalid authorization code")
	if _, ok := e.auth.Verify(p.access); ok {
		t.Error("the access token from a reused code still verifies")
	}
	status, out = e.token(refreshBody(p.refresh), false)
	wantOAuthError(t, status, out, 403, "invalid_grant", "Unknown or invalid refresh token.")
	if s := e.auth.Stats(); s.FamiliesRevoked != 1 || s.CodeExchanges != 1 || s.CodeFailures != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestCodeExpiresAfterTenMinutes(t *testing.T) {
	e := newEnv(t)
	early, late := e.code(allScopes, "", ""), e.code(allScopes, "", "")
	e.clock.Advance(10*time.Minute - time.Second)
	e.mustToken(codeBody(early))
	e.clock.Advance(time.Second)
	status, out := e.token(codeBody(late), false)
	wantOAuthError(t, status, out, 403, "invalid_grant", "Invalid authorization code")
}

func TestCodeIsBoundToClientAndRedirectURI(t *testing.T) {
	e := newEnv(t)
	code := e.code(allScopes, "", "")
	wrongURI := codeBody(code)
	wrongURI["redirect_uri"] = "http://127.0.0.1:4000/api/auth/jira/callback"
	status, out := e.token(wrongURI, false)
	wantOAuthError(t, status, out, 403, "invalid_grant", "The redirect_uri does not match the one used in the authorization request.")
	noURI := codeBody(code)
	delete(noURI, "redirect_uri")
	status, out = e.token(noURI, true)
	wantOAuthError(t, status, out, 403, "invalid_grant", "redirect_uri does not match")
	other := map[string]string{"grant_type": "authorization_code", "client_id": otherID, "client_secret": otherSecret, "code": code, "redirect_uri": appCallback}
	status, out = e.token(other, false)
	wantOAuthError(t, status, out, 403, "invalid_grant", "Invalid authorization code")
	// Failed attempts do not burn the code for its rightful client.
	e.mustToken(codeBody(code))
}

func TestClientAuthentication(t *testing.T) {
	e := newEnv(t)
	const absent = "\x00absent"
	with := func(k, v string) map[string]string {
		b := refreshBody("some-refresh-token")
		if v == absent {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name       string
		body       map[string]string
		status     int
		code, desc string
	}{
		{"missing secret (public client)", with("client_secret", absent), 401, "access_denied", "Unauthorized"},
		{"empty secret", with("client_secret", ""), 401, "access_denied", "Unauthorized"},
		{"wrong secret", with("client_secret", "wrong-secret-xyz"), 400, "invalid_client", "unknown client_id or wrong client_secret"},
		{"other app's secret", with("client_secret", otherSecret), 400, "invalid_client", "unknown client_id or wrong client_secret"},
		{"unknown client", with("client_id", "ghost"), 400, "invalid_client", "unknown client_id or wrong client_secret"},
		{"missing client_id", with("client_id", absent), 400, "invalid_request", "Missing required parameter: client_id"},
	}
	for _, c := range cases {
		for _, form := range []bool{false, true} {
			status, out := e.token(c.body, form)
			wantOAuthError(t, status, out, c.status, c.code, c.desc)
			raw, _ := json.Marshal(out)
			if strings.Contains(string(raw), "wrong-secret-xyz") || strings.Contains(string(raw), otherSecret) {
				t.Errorf("%s: the error echoes the secret: %s", c.name, raw)
			}
		}
	}
}

func TestClientAuthenticationWithBasicHeader(t *testing.T) {
	e := newEnv(t)
	post := func(id, secret string, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, raw := e.do(req)
		var out map[string]any
		json.Unmarshal([]byte(raw), &out)
		return resp, out
	}
	code := e.code(allScopes, "", "")
	resp, out := post(appID, appSecret, "grant_type=authorization_code&redirect_uri="+appCallback+"&code="+code)
	if resp.StatusCode != 200 || str(out["access_token"]) == "" {
		t.Errorf("Basic auth exchange = %d %v", resp.StatusCode, out)
	}
	resp, out = post(appID, "wrong", "grant_type=refresh_token&refresh_token=x")
	wantOAuthError(t, resp.StatusCode, out, 401, "invalid_client", "Client authentication failed")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("WWW-Authenticate = %q, want a Basic challenge", got)
	}
	resp, out = post(appID, appSecret, "grant_type=refresh_token&refresh_token=x&client_secret="+appSecret)
	wantOAuthError(t, resp.StatusCode, out, 400, "invalid_request", "either in the Authorization header or in the body")
}

func TestTokenRequestErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, method, contentType, body string
		status                          int
		code, desc                      string
	}{
		{"unsupported grant", "POST", "application/json", `{"grant_type":"password","client_id":"` + appID + `","client_secret":"x"}`, 400, "unsupported_grant_type", "Unsupported grant type. Use authorization_code or refresh_token."},
		{"client credentials grant", "POST", "application/x-www-form-urlencoded", "grant_type=client_credentials", 400, "unsupported_grant_type", "Use authorization_code or refresh_token"},
		{"missing grant_type", "POST", "application/json", `{"client_id":"` + appID + `"}`, 400, "invalid_request", "Missing required parameter: grant_type"},
		{"malformed JSON", "POST", "application/json", `{"grant_type":`, 400, "invalid_request", "Malformed request body: expected a JSON object"},
		{"JSON array", "POST", "application/json", `["grant_type"]`, 400, "invalid_request", "expected a JSON object"},
		{"two JSON objects", "POST", "application/json", `{} {}`, 400, "invalid_request", "expected exactly one JSON object"},
		{"non-string field", "POST", "application/json", `{"grant_type":"refresh_token","refresh_token":42}`, 400, "invalid_request", "refresh_token must be a string"},
		{"repeated form field", "POST", "application/x-www-form-urlencoded", "grant_type=refresh_token&grant_type=authorization_code", 400, "invalid_request", "grant_type appears more than once"},
		{"bad form encoding", "POST", "application/x-www-form-urlencoded", "grant_type=%zz", 400, "invalid_request", "invalid form encoding"},
		{"unsupported content type", "POST", "text/plain", "grant_type=refresh_token", 400, "invalid_request", `Unsupported Content-Type "text/plain"`},
		{"malformed content type", "POST", "application/json; =", "{}", 400, "invalid_request", "Malformed Content-Type header"},
		{"too large", "POST", "application/json", `{"code":"` + strings.Repeat("a", 70<<10) + `"}`, 400, "invalid_request", "larger than 65536 bytes"},
		{"GET", "GET", "", "", 405, "invalid_request", "Use POST"},
		{"missing code", "POST", "application/json", `{"grant_type":"authorization_code","client_id":"` + appID + `","client_secret":"` + appSecret + `"}`, 400, "invalid_request", "Missing required parameter: code"},
		{"missing refresh token", "POST", "", `{"grant_type":"refresh_token","client_id":"` + appID + `","client_secret":"` + appSecret + `"}`, 400, "invalid_request", "Missing required parameter: refresh_token"},
		{"form without content type", "POST", "", "grant_type=refresh_token&client_id=" + appID + "&client_secret=" + appSecret + "&refresh_token=nope", 403, "invalid_grant", "Unknown or invalid refresh token."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, e.url+"/oauth/token", strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, raw := e.do(req)
			var out map[string]any
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				t.Fatalf("non-JSON body %q", raw)
			}
			wantOAuthError(t, resp.StatusCode, out, c.status, c.code, c.desc)
		})
	}
}
