// Package emulatortest starts the Jira emulator on a loopback port for a
// test: the one way tests across ticket-mate get a Jira. It imports the
// emulator and the standard library.
package emulatortest

import (
	"net/http/httptest"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

// Server is a running emulator.
type Server struct {
	URL   string // the listener (and primary site) URL, no trailing slash
	E     *emulator.Emulator
	Creds emulator.Credentials
}

// Start runs an emulator with o until the test ends.
func Start(tb testing.TB, o emulator.Options) *Server {
	tb.Helper()
	e, err := emulator.New(o)
	if err != nil {
		tb.Fatalf("emulator: %v", err)
	}
	srv := httptest.NewServer(e)
	e.SetBaseURL(srv.URL)
	tb.Cleanup(func() {
		srv.Close()
		if err := e.Close(); err != nil {
			tb.Errorf("emulator: close: %v", err)
		}
	})
	return &Server{URL: srv.URL, E: e, Creds: e.Credentials()}
}

// You is the sandbox's own user (the first of the seed).
func (s *Server) You() emulator.UserInfo { return s.Creds.Users[0] }

// User returns the user with email, failing the test when there is none.
func (s *Server) User(tb testing.TB, email string) emulator.UserInfo {
	tb.Helper()
	for _, u := range s.Creds.Users {
		if u.Email == email {
			return u
		}
	}
	tb.Fatalf("emulatortest: no user %s in the seed", email)
	return emulator.UserInfo{}
}

// GatewayURL is the api.atlassian.com-style base for a site.
func (s *Server) GatewayURL(cloudID string) string { return s.URL + "/ex/jira/" + cloudID }
