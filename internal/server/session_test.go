package server_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/servertest"
)

// A signed-in person's requests do not write their session back each time
// (it was a database write per request); within the hour nothing is
// written, after it the last-seen time is, and a week without a request
// still ends the session.
func TestSessionIdleWrites(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	p := s.SignIn(t, 0, 0)
	stored := func() []byte {
		var data []byte
		if err := s.DB.SQL().QueryRow(`SELECT data FROM sessions`).Scan(&data); err != nil {
			t.Fatal(err)
		}
		return data
	}
	get := func() *http.Response {
		t.Helper()
		resp, err := p.Client().Get(s.URL + "/api/me")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	before := stored()
	for range 5 {
		resp := get()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/me: HTTP %d", resp.StatusCode)
		}
		if c := resp.Header.Get("Set-Cookie"); c != "" {
			t.Fatalf("a plain request set a cookie (the session was written): %s", c)
		}
	}
	if !bytes.Equal(stored(), before) {
		t.Fatal("plain requests within the hour rewrote the session")
	}

	s.Clock.Advance(2 * time.Hour)
	if resp := get(); resp.StatusCode != http.StatusOK || resp.Header.Get("Set-Cookie") == "" {
		t.Fatalf("after two hours: HTTP %d, Set-Cookie %q; want 200 and the session touched", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if bytes.Equal(stored(), before) {
		t.Fatal("the session's last-seen time was not stored after two hours")
	}

	s.Clock.Advance(7*24*time.Hour + time.Minute)
	if resp := get(); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after a week idle: HTTP %d, want 401", resp.StatusCode)
	}
}
