package atlassian_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
)

// sink records what reached a server standing where a redirect pointed.
type sink struct {
	*httptest.Server
	hits, bearer, secret atomic.Int32
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			s.bearer.Add(1)
		}
		if b, _ := io.ReadAll(r.Body); strings.Contains(string(b), "csecret") {
			s.secret.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"evil","account_id":"evil","expires_in":3600}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestTokenEndpointFollowsNoRedirect: a 307 from the token endpoint would
// replay the client secret wherever it points; it is not followed, even
// within the origin.
func TestTokenEndpointFollowsNoRedirect(t *testing.T) {
	evil := newSink(t)
	for _, to := range []string{evil.URL + "/oauth/token", "/elsewhere"} {
		auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				evil.Config.Handler.ServeHTTP(w, r)
				return
			}
			http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		}))
		t.Cleanup(auth.Close)
		c, err := atlassian.New(atlassian.Config{AuthURL: auth.URL, APIURL: auth.URL, ClientID: "cid", ClientSecret: "csecret",
			RedirectURI: redirect, HTTPClient: auth.Client()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Exchange(context.Background(), "code")
		var re *tm.RedirectError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "follows no redirect") {
			t.Errorf("redirect to %s: err = %v; want a refused redirect", to, err)
		}
		if strings.Contains(err.Error(), "csecret") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	if evil.hits.Load() != 0 || evil.secret.Load() != 0 {
		t.Errorf("the redirect target got %d requests, %d with the secret; want none", evil.hits.Load(), evil.secret.Load())
	}
}

// TestIdentityStaysOnItsOrigin: /me redirected to another origin is not
// followed: the access token does not go there and its answer is not taken.
func TestIdentityStaysOnItsOrigin(t *testing.T) {
	evil := newSink(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(api.Close)
	c, err := atlassian.New(atlassian.Config{AuthURL: api.URL, APIURL: api.URL, ClientID: "cid", ClientSecret: "csecret",
		RedirectURI: redirect, HTTPClient: api.Client()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Me(context.Background(), "user-token")
	if err == nil || !strings.Contains(err.Error(), evil.URL) {
		t.Errorf("Me = %+v, %v; want the refused redirect naming %s", p, err, evil.URL)
	}
	if evil.hits.Load() != 0 {
		t.Errorf("the redirect target got %d requests", evil.hits.Load())
	}
}

// TestTransportAddsNoTokenElsewhere: the OAuth transport puts the user's
// token only on requests to the API gateway's origin. Go drops the header on
// a redirect to another host; the transport must not add it back.
func TestTransportAddsNoTokenElsewhere(t *testing.T) {
	f := newFixture(t)
	st := signedIn(t, f)
	evil := newSink(t)
	// The gateway redirects; a plain http.Client follows by default.
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/rest/api/3/myself", http.StatusFound)
	}))
	t.Cleanup(gw.Close)
	c, err := atlassian.New(atlassian.Config{AuthURL: f.url, APIURL: gw.URL, ClientID: "cid", ClientSecret: "csecret",
		RedirectURI: redirect, HTTPClient: gw.Client()})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &atlassian.Transport{Tokens: atlassian.NewTokens(c, st, atlassian.Hooks{}), UserID: "u1"}}
	resp, err := hc.Get(gw.URL + "/ex/jira/cloud-1/rest/api/3/myself")
	if err == nil {
		resp.Body.Close()
		t.Errorf("the redirected request went through (HTTP %d)", resp.StatusCode)
	}
	if evil.bearer.Load() != 0 || evil.hits.Load() != 0 {
		t.Errorf("the other origin got %d requests, %d with the user's token; want none", evil.hits.Load(), evil.bearer.Load())
	}
}
