// Package mcptest holds what the tests of the MCP front ends share: an
// HTTP client that presents a ticket-mate token, and a tool call that
// tells a tool error from a protocol error. Only tests import it.
package mcptest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Bearer is an HTTP client that sends token with every request.
func Bearer(token string) *http.Client {
	return &http.Client{Transport: bearer{token: token, next: http.DefaultTransport}}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// Text is the text of a tool result.
func Text(res *sdk.CallToolResult) string {
	var sb strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			sb.WriteString(tc.Text)
		}
	}
	return sb.String()
}

// Call calls a tool and decodes its structured result into out (when not
// nil); it fails the test on a protocol error and returns the tool
// error's text, "" when the call succeeded.
func Call(tb testing.TB, cs *sdk.ClientSession, name string, args map[string]any, out any) string {
	tb.Helper()
	res, err := cs.CallTool(tb.Context(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		tb.Fatalf("%s: protocol error %v", name, err)
	}
	if res.IsError {
		return Text(res)
	}
	if out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s: structured content %s: %v", name, b, err)
		}
	}
	return ""
}
