package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenRequest throws arbitrary bodies at /oauth/token. Whatever comes
// in, the answer is one RFC 6749 JSON body with a status from the contract,
// and never an echo of the client secret. $CODE and $REFRESH in a body are
// replaced with live credentials so the success paths are fuzzed too.
func FuzzTokenRequest(f *testing.F) {
	seeds := []struct{ contentType, body string }{
		{"application/json", `{"grant_type":"authorization_code","client_id":"` + appID + `","client_secret":"` + appSecret + `","code":"$CODE","redirect_uri":"` + appCallback + `"}`},
		{"application/x-www-form-urlencoded", "grant_type=refresh_token&client_id=" + appID + "&client_secret=" + appSecret + "&refresh_token=$REFRESH"},
		{"application/json; charset=utf-8", `{"grant_type":"refresh_token","client_id":"` + appID + `","client_secret":"` + appSecret + `","refresh_token":"$REFRESH","scope":"read:jira-work"}`},
		{"", `{"grant_type":"refresh_token","client_id":"` + appID + `","refresh_token":"$REFRESH"}`},
		{"application/json", `{"grant_type":"refresh_token","client_id":"` + appID + `","client_secret":"nope","refresh_token":"$REFRESH"}`},
		{"application/json", `{"grant_type":null,"client_id":[1],"code":{}}`},
		{"application/json", `{"grant_type":"\u0000"}`},
		{"application/json", `{`},
		{"application/json", `null`},
		{"application/x-www-form-urlencoded", "grant_type=authorization_code&code=%ZZ"},
		{"application/x-www-form-urlencoded", "a=1&a=2&grant_type=password"},
		{"multipart/form-data; boundary=x", "--x--"},
		{"text/html", "<html>"},
		{"", ""},
	}
	for _, s := range seeds {
		f.Add(s.contentType, s.body)
	}
	shared := newEnv(f)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		e := shared.with(t)
		if strings.Contains(body, "$CODE") || strings.Contains(body, "$REFRESH") {
			cb, err := e.auth.Approve(e.url+"/authorize?"+authorizeQuery().Encode(), "", "")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(cb)
			code := u.Query().Get("code")
			body = strings.ReplaceAll(body, "$CODE", code)
			if strings.Contains(body, "$REFRESH") {
				body = strings.ReplaceAll(body, "$REFRESH", e.mustToken(codeBody(code)).refresh)
			}
		}
		if strings.ContainsFunc(contentType, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Skip("net/http refuses to send control characters in a header")
		}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/oauth/token", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, raw := e.do(req)
		var out map[string]any
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatalf("status %d with non-JSON body %q", resp.StatusCode, raw)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", resp.Header)
		}
		if strings.Contains(raw, appSecret) {
			t.Errorf("response echoes the client secret: %s", raw)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if str(out["access_token"]) == "" || out["token_type"] != "Bearer" {
				t.Errorf("200 without a token: %s", raw)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			switch out["error"] {
			case "invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type", "access_denied":
			default:
				t.Errorf("%d with unexpected error %v", resp.StatusCode, out["error"])
			}
			if str(out["error_description"]) == "" {
				t.Errorf("%d without a description: %s", resp.StatusCode, raw)
			}
		default:
			t.Errorf("status %d: %s", resp.StatusCode, raw)
		}
	})
}
