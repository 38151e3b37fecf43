package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/mcp/mcptest"
)

const (
	authorizePath = "/oauth/authorize"
	registerPath  = "/oauth/register"
	tokenPath     = "/oauth/token"
)

// mcpSession connects the SDK's client to /mcp with token.
func mcpSession(t *testing.T, e *env, token string) *sdk.ClientSession {
	t.Helper()
	tr := &sdk.StreamableClientTransport{Endpoint: e.URL + "/mcp",
		HTTPClient: mcptest.Bearer(token)}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(t.Context(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) (map[string]any, string) {
	t.Helper()
	var out map[string]any
	msg := mcptest.Call(t, cs, name, args, &out)
	return out, msg
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

	for _, want := range []string{`"msg":"mcp write"`, `"tool":"create_ticket","outcome":"ok"`, `"tool":"create_ticket","outcome":"refused"`} {
		if !strings.Contains(e.Logs.String(), want) {
			t.Errorf("no %s in the log", want)
		}
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
	// A write tool is not offered, yet called anyway it is a tool error
	// that says how to get write access, not the SDK's "unknown tool".
	before := e.sb.E.Requests()["POST /rest/api/3/issue"]
	res, err := alexRead.CallTool(t.Context(), &sdk.CallToolParams{Name: "create_ticket", Arguments: map[string]any{"summary": "x"}})
	if err != nil || !res.IsError || len(res.Content) != 1 {
		t.Fatalf("a read-only token calling create_ticket: %v %+v; want a tool error", err, res)
	}
	wantIn(t, "read-only refusal", res.Content[0].(*sdk.TextContent).Text,
		"this token is read-only\nHint: Sign in again with write access:", `"Allow reading and writing"`)
	if n := e.sb.E.Requests()["POST /rest/api/3/issue"]; n != before {
		t.Errorf("the refused call reached Jira (%d creates, %d before)", n, before)
	}
	if n := strings.Count(e.Logs.String(), `"tool":"create_ticket","outcome":"refused"`); n != 2 {
		t.Errorf("%d refused create_ticket audit lines, want Sam's and the read-only token's", n)
	}

	// Sam disconnects Jira on the dashboard: his assistant is told to
	// reconnect there; Alex's goes on.
	sam.postForm("/api/auth/jira/disconnect", nil)
	if _, msg := callTool(t, samMCP, "search_issues", nil); !strings.Contains(msg, "Connect Jira") {
		t.Errorf("after disconnecting: %q", msg)
	}
	if _, msg := callTool(t, alexMCP, "search_issues", nil); msg != "" {
		t.Errorf("alex after sam disconnected: %s", msg)
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

// An MCP client that knows only the URL signs its person in: the SDK's
// OAuth handler finds the server from the 401, registers, sends the
// person (a signed-in browser) to consent, and exchanges the code with
// PKCE; the token it gets works on /mcp as that person.
func TestMCPAuthorization(t *testing.T) {
	e := newEnv(t, envOptions{defaultProject: "SPACE2"})
	alex := e.browser()
	alex.connect(0, 0)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(cb.Close)
	var consent page
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			ClientName: "Test Assistant", RedirectURIs: []string{cb.URL + "/callback"}, TokenEndpointAuthMethod: "none"}},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			consent = alex.get(args.URL)
			form := url.Values{"decision": {"approve"}}
			for _, m := range regexp.MustCompile(`type="hidden" name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(consent.Body, -1) {
				form.Set(m[1], html.UnescapeString(m[2]))
			}
			p := alex.postForm(authorizePath, form)
			back, err := url.Parse(p.URL)
			if err != nil {
				return nil, err
			}
			q := back.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := &sdk.StreamableClientTransport{Endpoint: e.URL + "/mcp", OAuthHandler: h}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(t.Context(), tr, nil)
	if err != nil {
		t.Fatalf("connecting with only the URL: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	if !strings.Contains(consent.Body, "Test Assistant") || !strings.Contains(consent.Body, e.sb.Creds.Users[0].DisplayName) {
		t.Errorf("the consent page does not name the assistant and the person:\n%s", consent.Body)
	}
	// A browser follows the decision's redirect only where form-action
	// allows: this server, and this assistant's redirect, nowhere else.
	if csp := consent.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+cb.URL+";") {
		t.Errorf("the consent page's CSP does not let its form lead back to the assistant: %s", csp)
	}
	if csp := alex.get("/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
		t.Errorf("the dashboard's form-action: %s", csp)
	}
	got, msg := callTool(t, cs, "check_permissions", nil)
	if msg != "" || got["account"] != e.sb.Creds.Users[0].DisplayName {
		t.Errorf("check_permissions after signing in: %v %s", got, msg)
	}
	if _, msg := callTool(t, cs, "create_ticket", map[string]any{"summary": "via an assistant's own sign-in"}); msg != "" {
		t.Error(msg)
	}
	if toks := alex.tokens(); !slices.ContainsFunc(toks, func(tk tm.APIToken) bool { return tk.Name == "Test Assistant" }) {
		t.Errorf("the assistant's token is not among the person's devices: %+v", toks)
	}
}

// The authorization endpoints refuse what OAuth 2.1 and MCP refuse.
func TestMCPAuthorizationRefusals(t *testing.T) {
	e := newEnv(t, envOptions{})
	alex := e.browser()
	alex.connect(0, 0)
	register := func(body string) (int, map[string]any) {
		resp, err := http.Post(e.URL+registerPath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for _, bad := range []string{`{}`, `{"redirect_uris":["http://evil.example/cb"]}`, `{"redirect_uris":["javascript:alert(1)"]}`,
		`{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}`, `not json`} {
		if st, out := register(bad); st != http.StatusBadRequest || out["error"] == nil {
			t.Errorf("register %s: HTTP %d %v", bad, st, out)
		}
	}
	cb := "http://127.0.0.1:9/cb"
	st, reg := register(`{"client_name":"A","redirect_uris":["` + cb + `"]}`)
	if st != http.StatusCreated {
		t.Fatalf("register: HTTP %d %v", st, reg)
	}
	clientID := reg["client_id"].(string)
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	noFollow := &http.Client{Jar: alex.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(v url.Values) *url.URL {
		req, _ := http.NewRequest(http.MethodPost, e.URL+authorizePath, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc
	}
	params := url.Values{"client_id": {clientID}, "redirect_uri": {cb}, "response_type": {"code"}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}, "state": {"s1"}, "decision": {"approve"}}
	plain := url.Values{}
	for k, v := range params {
		plain[k] = v
	}
	plain.Set("code_challenge_method", "plain")
	if loc := authorize(plain); loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "s1" {
		t.Errorf("PKCE plain: sent back to %v", loc)
	}
	other := url.Values{}
	for k, v := range params {
		other[k] = v
	}
	other.Set("resource", "https://other.example/mcp")
	if loc := authorize(other); loc.Query().Get("error") != "invalid_target" {
		t.Errorf("a token for another resource: sent back to %v", loc)
	}
	elsewhere := url.Values{}
	for k, v := range params {
		elsewhere[k] = v
	}
	elsewhere.Set("redirect_uri", "https://evil.example/cb")
	if loc := authorize(elsewhere); loc.String() != "" {
		t.Errorf("an unregistered redirect was followed: %v", loc)
	}
	loc := authorize(params)
	code := loc.Query().Get("code")
	t.Logf("approved: %v", loc)
	exchange := func(code, verifier string) (int, map[string]any) {
		resp, err := http.PostForm(e.URL+tokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"client_id": {clientID}, "redirect_uri": {cb}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if st, out := exchange(code, strings.Repeat("w", 50)); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("a wrong verifier: HTTP %d %v", st, out)
	}
	if st, out := exchange(code, verifier); st != http.StatusOK || !strings.HasPrefix(out["access_token"].(string), "tmu_") {
		t.Fatalf("exchange: HTTP %d %v\n%s", st, out, e.Logs)
	}
	if st, out := exchange(code, verifier); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("a code used twice: HTTP %d %v", st, out)
	}
}

// tokens lists the browser's person's live tokens.
func (b *browser) tokens() []tm.APIToken {
	b.t.Helper()
	var out struct{ Tokens []tm.APIToken }
	if st := b.api(http.MethodGet, "/api/tokens", nil, &out); st != http.StatusOK {
		b.t.Fatalf("GET /api/tokens: HTTP %d", st)
	}
	return out.Tokens
}

// Someone not signed in is sent through Atlassian's sign-in and back to
// the assistant's consent page.
func TestMCPAuthorizationSignsInFirst(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp, err := http.Post(e.URL+registerPath, "application/json", strings.NewReader(`{"client_name":"Late Assistant","redirect_uris":["http://localhost:7/cb"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ClientID string `json:"client_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	b := e.browser()
	q := url.Values{"client_id": {reg.ClientID}, "response_type": {"code"}, "code_challenge_method": {"S256"},
		"code_challenge": {strings.Repeat("A", 43)}, "state": {"st"}}
	atlassian := b.get(authorizePath + "?" + q.Encode())
	if !strings.HasPrefix(atlassian.URL, e.sb.URL+"/authorize") {
		t.Fatalf("a signed-out person was sent to %s (HTTP %d), not to Atlassian's sign-in", atlassian.URL, atlassian.Status)
	}
	p := b.decide(atlassian, "accept", e.sb.Creds.Users[0].AccountID, e.sb.Creds.Sites[0].CloudID)
	if !strings.HasPrefix(p.URL, e.URL+authorizePath+"?") || !strings.Contains(p.Body, "Late Assistant") || !strings.Contains(p.Body, "localhost:7") {
		t.Errorf("after signing in: HTTP %d at %s:\n%s", p.Status, p.URL, p.Body)
	}
}
