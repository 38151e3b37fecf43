package ticket_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// TestExplainWire: answers that are not Jira's — a redirect not followed,
// a web page, a stall, a wait longer than the time left — are explained
// as what they are, never as a refusal of the request.
func TestExplainWire(t *testing.T) {
	u := "https://acme.example/rest/api/3/project/search"
	stall := func(connected bool) error {
		return &jira.Error{Method: "GET", URL: u, Err: &jira.StallError{Connected: connected, After: 700 * time.Millisecond}}
	}
	for _, tc := range []struct {
		name string
		err  error
		code string
		want []string
	}{
		{"redirect", &jira.Error{Method: "GET", URL: u, StatusCode: 302,
			Err: &tm.RedirectError{Method: "GET", From: u, To: "https://sso.example/login", Status: 302, Reason: "another origin"}},
			tm.EUNAVAILABLE, []string{"redirect elsewhere, which was not followed", "single sign-on"}},
		{"web page", &jira.Error{Method: "GET", URL: u, StatusCode: 200, HTML: true, HTMLTitle: "Corp SSO"},
			tm.EUNAVAILABLE, []string{`web page titled "Corp SSO"`, "proxy"}},
		{"stalled after connecting", stall(true), tm.EUNAVAILABLE, []string{"Connected to Jira at https://acme.example, then it stopped answering", "700ms"}},
		{"never connected", stall(false), tm.EUNAVAILABLE, []string{"Could not connect to Jira at https://acme.example within 700ms"}},
		{"rate limit not waited", &jira.Error{Method: "GET", URL: u, StatusCode: 429, RetryAfter: 10 * time.Minute,
			RetryAt: time.Now().Add(10 * time.Minute), NotWaited: true}, tm.ERATELIMIT, []string{"asks to wait 10m0s (until ", "tm did not wait"}},
		{"rate limit after waiting", &jira.Error{Method: "GET", URL: u, StatusCode: 429, Waited: 12 * time.Second},
			tm.ERATELIMIT, []string{"still rate-limiting after tm waited 12s"}},
	} {
		err := ticket.Explain(tc.err, ticket.About{})
		var te *tm.Error
		if !errors.As(err, &te) || te.Code != tc.code {
			t.Errorf("%s: %v (code %q), want %s", tc.name, err, tm.ErrorCode(err), tc.code)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(te.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, te.Error(), w)
			}
		}
		if tc.name == "rate limit not waited" && strings.Contains(te.Message, "waited") {
			t.Errorf("%s: claims a wait that did not happen: %q", tc.name, te.Message)
		}
	}
}
