package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/server"
)

// deviceCode is the answer to POST /api/device/code.
type deviceCode struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// tokenAnswer is the answer to POST /api/device/token.
type tokenAnswer struct {
	Error       string `json:"error"`
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	ExpiresIn   int    `json:"expires_in"`
	Sites       []struct {
		CloudID string `json:"cloud_id"`
	} `json:"sites"`
	Account struct {
		AccountID string `json:"account_id"`
	} `json:"account"`
}

func postDevice(t testing.TB, e *env, path string, v url.Values, out any) int {
	t.Helper()
	resp, err := http.PostForm(e.URL+path, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: HTTP %d, body %q: %v", path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func startDevice(t testing.TB, e *env, scope string) deviceCode {
	t.Helper()
	var dc deviceCode
	v := url.Values{"client_name": {"tm"}, "device_host": {"build-box"}}
	if scope != "" {
		v.Set("scope", scope)
	}
	if st := postDevice(t, e, "/api/device/code", v, &dc); st != http.StatusOK {
		t.Fatalf("device code: HTTP %d", st)
	}
	return dc
}

func pollDevice(t testing.TB, e *env, dc deviceCode) (int, tokenAnswer) {
	t.Helper()
	var ta tokenAnswer
	st := postDevice(t, e, "/api/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc.DeviceCode}}, &ta)
	return st, ta
}

// approve opens the verification link as b and presses the button.
func (b *browser) approve(dc deviceCode, decision string) page {
	b.t.Helper()
	p := b.get(dc.VerificationURIComplete)
	wantIn(b.t, "device page", p.Body, dc.UserCode, "build-box", "tm")
	return b.postForm("/device", url.Values{"user_code": {dc.UserCode}, "decision": {decision}})
}

func TestDeviceSignIn(t *testing.T) { testDeviceSignIn(t, envOptions{}) }

func testDeviceSignIn(t *testing.T, o envOptions) {
	o.devices = server.DeviceOptions{Interval: time.Second}
	e := newEnv(t, o)
	dc := startDevice(t, e, "")
	if dc.Interval != 1 || dc.ExpiresIn != 600 || dc.VerificationURI != e.URL+"/device" ||
		dc.VerificationURIComplete != e.URL+"/device?user_code="+dc.UserCode || len(dc.UserCode) != 9 || len(dc.DeviceCode) < 40 {
		t.Fatalf("device code answer: %+v", dc)
	}
	if st, ta := pollDevice(t, e, dc); st != http.StatusBadRequest || ta.Error != "authorization_pending" {
		t.Fatalf("first poll: HTTP %d %+v", st, ta)
	}
	if _, ta := pollDevice(t, e, dc); ta.Error != "slow_down" {
		t.Fatalf("a poll at once after the first: %q, want slow_down", ta.Error)
	}

	// A person who is not signed in signs in first and comes back to the code.
	b := e.browser()
	p := b.get(dc.VerificationURIComplete)
	wantIn(t, "device page signed out", p.Body, "Sign in with Atlassian", dc.UserCode)
	p = b.decide(b.startConnect(), "accept", e.sb.Creds.Users[0].AccountID, e.sb.Creds.Sites[0].CloudID)
	if p.URL != dc.VerificationURIComplete {
		t.Fatalf("after signing in the person is at %s, want back at %s", p.URL, dc.VerificationURIComplete)
	}
	wantIn(t, "device page after sign-in", p.Body, "build-box", "read and write", "Approve read only", "Deny")

	p = b.postForm("/device", url.Values{"user_code": {strings.ToLower(strings.ReplaceAll(dc.UserCode, "-", ""))}, "decision": {"approve"}})
	wantIn(t, "approved page", p.Body, "Approved.", "Go back to your terminal")

	e.Clock.Advance(7 * time.Second) // the interval grew from 1 s to 6 s with slow_down
	st, ta := pollDevice(t, e, dc)
	if st != http.StatusOK || !strings.HasPrefix(ta.AccessToken, "tmu_") || ta.TokenType != "Bearer" || ta.Scope != "read write" ||
		ta.Account.AccountID != e.sb.Creds.Users[0].AccountID || len(ta.Sites) != 1 || ta.Sites[0].CloudID != e.sb.Creds.Sites[0].CloudID {
		t.Fatalf("token answer: HTTP %d %+v", st, ta)
	}
	e.Clock.Advance(10 * time.Second)
	if _, again := pollDevice(t, e, dc); again.Error != "invalid_grant" {
		t.Fatalf("a second exchange of the code: %+v, want invalid_grant", again)
	}

	// The token works on the gateway and is listed; revoking it ends it.
	myself := e.URL + "/gateway/" + e.sb.Creds.Sites[0].CloudID + "/rest/api/3/myself"
	if st, _ := gatewayGet(t, myself, ta.AccessToken); st != http.StatusOK {
		t.Fatalf("gateway myself with the new token: HTTP %d", st)
	}
	list := b.get("/tokens")
	wantIn(t, "tokens page", list.Body, "build-box", "read and write", "Revoke")
	id := regexpFind(t, list.Body, `action="/tokens/([a-z0-9]+)/revoke"`)
	p = b.postForm("/tokens/"+id+"/revoke", nil)
	wantIn(t, "tokens page after revoke", p.Body, "Revoked.", "No device is signed in")
	st, body := gatewayGet(t, myself, ta.AccessToken)
	if st != http.StatusUnauthorized || !strings.Contains(body, "invalid_token") || !strings.Contains(body, "tm login --server "+e.URL) {
		t.Fatalf("gateway after revoke: HTTP %d %s", st, body)
	}
	if strings.Contains(e.Logs.String(), ta.AccessToken) || strings.Contains(e.Logs.String(), dc.DeviceCode) {
		t.Error("the logs hold a ticket-mate token or a device code")
	}
}

func TestDeviceDenyAndExpire(t *testing.T) {
	e := newEnv(t, envOptions{devices: server.DeviceOptions{Interval: time.Second}})
	b := e.browser()
	b.connect(0, 0)

	dc := startDevice(t, e, "read")
	p := b.approve(dc, "deny")
	wantIn(t, "denied page", p.Body, "Denied.")
	if _, ta := pollDevice(t, e, dc); ta.Error != "access_denied" {
		t.Fatalf("poll after deny: %+v", ta)
	}
	// A decided code cannot be decided again.
	p = b.postForm("/device", url.Values{"user_code": {dc.UserCode}, "decision": {"approve"}})
	wantIn(t, "second decision", p.Body, "already denied")

	late := startDevice(t, e, "")
	e.Clock.Advance(11 * time.Minute)
	if _, ta := pollDevice(t, e, late); ta.Error != "expired_token" {
		t.Fatalf("poll after expiry: %+v", ta)
	}
	wantIn(t, "expired code page", b.get(late.VerificationURIComplete).Body, "is waiting")

	if st, ta := postDeviceToken(t, e, "authorization_code", "x"); st != http.StatusBadRequest || ta.Error != "unsupported_grant_type" {
		t.Fatalf("wrong grant type: HTTP %d %+v", st, ta)
	}
	if st, ta := postDeviceToken(t, e, "urn:ietf:params:oauth:grant-type:device_code", "nonsense"); st != http.StatusBadRequest || ta.Error != "invalid_grant" {
		t.Fatalf("unknown device code: HTTP %d %+v", st, ta)
	}
	var bad map[string]string
	if st := postDevice(t, e, "/api/device/code", url.Values{"scope": {"admin"}}, &bad); st != http.StatusBadRequest || bad["error"] != "invalid_scope" {
		t.Fatalf("unknown scope: HTTP %d %v", st, bad)
	}
}

func postDeviceToken(t testing.TB, e *env, grantType, code string) (int, tokenAnswer) {
	var ta tokenAnswer
	st := postDevice(t, e, "/api/device/token", url.Values{"grant_type": {grantType}, "device_code": {code}}, &ta)
	return st, ta
}

// TestDeviceCodeFlood: one address gets a burst of codes, then 429 with
// Retry-After; a person trying codes on /device is slowed down the same way.
func TestDeviceCodeFlood(t *testing.T) {
	e := newEnv(t, envOptions{})
	var last int
	var body map[string]any
	for range 21 {
		body = nil
		last = postDevice(t, e, "/api/device/code", url.Values{"client_name": {"tm"}}, &body)
	}
	if last != http.StatusTooManyRequests || body["error"] != "slow_down" {
		t.Fatalf("21st code from one address: HTTP %d %v", last, body)
	}
	b := e.browser()
	b.connect(0, 0)
	var p page
	for range 21 {
		p = b.get("/device?user_code=BBBB-BBBB")
	}
	wantIn(t, "the 21st guess", p.Body, "Too many codes tried")
}
