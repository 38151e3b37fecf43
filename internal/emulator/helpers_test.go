package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/openapitest"
)

// Seed users by role.
const (
	youEmail = "alex@sandbox.example" // browse+create in SPACE2, USER_PICKER
	miaEmail = "mia@sandbox.example"  // admin, sees SECRET
	samEmail = "sam@sandbox.example"  // browse SPACE2 only, no USER_PICKER
)

// client talks to the emulator as one caller, through the OpenAPI
// checking transport unless raw.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	auth func(*http.Request)
}

func newClient(t testing.TB, base string, auth func(*http.Request)) *client {
	return &client{t: t, base: base, hc: &http.Client{Transport: openapitest.Transport(t, nil)}, auth: auth}
}

// rawClient skips OpenAPI checks: for behaviour outside the document.
func rawClient(t testing.TB, base string, auth func(*http.Request)) *client {
	return &client{t: t, base: base, hc: &http.Client{}, auth: auth}
}

func basic(email, token string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(email, token) }
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// classic is a client for a seed user's classic token on the primary site.
func classic(t testing.TB, s *emulatortest.Server, email string) *client {
	u := s.User(t, email)
	return newClient(t, s.URL, basic(u.Email, u.ClassicToken))
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// obj decodes the body as a JSON object.
func (r response) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

func (r response) errors(t testing.TB) (msgs []string, fields map[string]string) {
	t.Helper()
	var ec struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	r.json(t, &ec)
	return ec.ErrorMessages, ec.Errors
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *client) get(path string) response { c.t.Helper(); return c.do("GET", path, nil) }

// want fails unless r has status.
func want(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
}

// wantError checks status and that one error message or field error
// contains msg.
func wantError(t testing.TB, r response, status int, msg string) {
	t.Helper()
	want(t, r, status)
	msgs, fields := r.errors(t)
	for _, m := range msgs {
		if strings.Contains(m, msg) {
			return
		}
	}
	for _, m := range fields {
		if strings.Contains(m, msg) {
			return
		}
	}
	t.Fatalf("no error message containing %q in %s", msg, r.body)
}

func start(t testing.TB, o emulator.Options) *emulatortest.Server {
	t.Helper()
	openapitest.Doc(t) // skip (or fail in CI) before starting anything
	return emulatortest.Start(t, o)
}

// adf is a one-paragraph ADF document.
func adf(text string) map[string]any {
	return map[string]any{"type": "doc", "version": 1, "content": []any{
		map[string]any{"type": "paragraph", "content": []any{map[string]any{"type": "text", "text": text}}}}}
}
