package server_test

import (
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearer adds a ticket-mate token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// mcpSession connects the SDK's client to /mcp with token.
func mcpSession(t *testing.T, e *env, token string) *sdk.ClientSession {
	t.Helper()
	tr := &sdk.StreamableClientTransport{Endpoint: e.URL + "/mcp",
		HTTPClient: &http.Client{Transport: bearer{token: token, next: http.DefaultTransport}}}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(t.Context(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) (map[string]any, string) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	if res.IsError {
		var sb strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				sb.WriteString(tc.Text)
			}
		}
		return nil, sb.String()
	}
	m, _ := res.StructuredContent.(map[string]any)
	return m, ""
}

// Two people's assistants on one server: each acts as its own person, and
// a read-only token is served no write tool and refused one.
func TestMCPTwoUsers(t *testing.T) {
	e := newEnv(t, envOptions{defaultProject: "SPACE2"})
	alex, sam := e.browser(), e.browser()
	alex.connect(0, 0)
	sam.connect(2, 0)
	alexMCP := mcpSession(t, e, signInDevice(t, e, alex, "", "approve"))
	samMCP := mcpSession(t, e, signInDevice(t, e, sam, "", "approve"))
	alexRead := mcpSession(t, e, signInDevice(t, e, alex, "", "approve-read"))

	for _, c := range []struct {
		cs   *sdk.ClientSession
		name string
	}{{alexMCP, e.sb.Creds.Users[0].DisplayName}, {samMCP, e.sb.Creds.Users[2].DisplayName}} {
		got, msg := callTool(t, c.cs, "check_permissions", nil)
		if msg != "" || got["account"] != c.name || got["project"] != "SPACE2" {
			t.Errorf("check_permissions: %v %s, want %s in SPACE2", got, msg, c.name)
		}
	}

	made, msg := callTool(t, alexMCP, "create_ticket", map[string]any{"summary": "Filed by Alex's assistant", "description": "**bold**"})
	if msg != "" {
		t.Fatal(msg)
	}
	key, _ := made["key"].(string)
	is, msg := callTool(t, samMCP, "get_issue", map[string]any{"key": key})
	if msg != "" || !strings.Contains(is["reporter"].(string), e.sb.Creds.Users[0].DisplayName) {
		t.Errorf("sam reads %s: %v %s", key, is, msg)
	}
	// Sam may only browse: Jira refuses him, as him, with the next step.
	if _, msg := callTool(t, samMCP, "create_ticket", map[string]any{"summary": "by Sam"}); !strings.Contains(msg, "Hint:") {
		t.Errorf("sam creating: %q, want Jira's refusal with a hint", msg)
	}

	tools, err := alexRead.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if !tool.Annotations.ReadOnlyHint {
			t.Errorf("a read-only token is offered %s", tool.Name)
		}
	}
	if _, msg := callTool(t, alexRead, "search_issues", map[string]any{"jql": "key = " + key}); msg != "" {
		t.Errorf("read-only search: %s", msg)
	}
	res, err := alexRead.CallTool(t.Context(), &sdk.CallToolParams{Name: "create_ticket", Arguments: map[string]any{"summary": "x"}})
	if err == nil && !res.IsError {
		t.Errorf("a read-only token created a ticket: %v", res.StructuredContent)
	}
}

// Without a live token /mcp answers 401 and points at its protected
// resource metadata, as MCP clients expect before they sign in.
func TestMCPNeedsToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, auth := range []string{"", "Bearer tmu_not-a-token"} {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized ||
			!strings.Contains(resp.Header.Get("WWW-Authenticate"), `resource_metadata="`+e.URL+"/.well-known/oauth-protected-resource/mcp") {
			t.Errorf("%q: HTTP %d, WWW-Authenticate %q", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}
