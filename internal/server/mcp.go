package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/mcp"
	"github.com/ticket-mate/tm/internal/ticket"
)

// mcpPath is where assistants reach the ticket tools (Streamable HTTP).
const mcpPath = "/mcp"

// mcpHandler serves the ticket tools to assistants, each request
// authenticated by a ticket-mate token and acting as its person with the
// same Jira client the dashboard and API use. Sessions are stateless, so
// any replica answers any request. A read-only token is served a server
// without the write tools, and the write tools check the scope again.
func (s *Server) mcpHandler() http.Handler {
	b := mcp.Backend{
		Tickets: func(ctx context.Context, req *sdk.CallToolRequest) (*ticket.Service, error) {
			uid := req.Extra.TokenInfo.UserID
			c, err := s.jiraFor(ctx, uid)
			if err != nil {
				return nil, err
			}
			return s.tickets(uid, c), nil
		},
		Explain: s.explainMCP,
		CanWrite: func(req *sdk.CallToolRequest) bool {
			return req.Extra != nil && req.Extra.TokenInfo != nil && slices.Contains(req.Extra.TokenInfo.Scopes, tm.TokenScopeWrite)
		},
		Project:  s.defProj,
		ReadOnly: readOnlyToken,
	}
	full := mcp.NewServer(b, mcp.Options{Version: tm.Version})
	full.AddReceivingMiddleware(s.auditMCP)
	read := mcp.NewServer(b, mcp.Options{Version: tm.Version, ReadOnly: true})
	read.AddReceivingMiddleware(s.auditMCP)
	tools := sdk.NewStreamableHTTPHandler(func(r *http.Request) *sdk.Server {
		if ti := auth.TokenInfoFromContext(r.Context()); ti != nil && slices.Contains(ti.Scopes, tm.TokenScopeWrite) {
			return full
		}
		return read
	}, &sdk.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: s.log})

	limited := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The same per-person budget as the gateway: an assistant in a loop
		// spends that person's share, nobody else's.
		uid := auth.TokenInfoFromContext(r.Context()).UserID
		if ok, wait := s.dev.limits.allow(uid); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, "Too many requests for your account; retry after the time in Retry-After.", http.StatusTooManyRequests)
			return
		}
		tools.ServeHTTP(w, r)
	})
	verify := func(ctx context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		t, err := s.bearerToken(r)
		switch {
		case errors.Is(err, errNoToken) || errors.Is(err, errDeadToken):
			return nil, auth.ErrInvalidToken
		case err != nil:
			s.log.ErrorContext(ctx, "checking an MCP token failed", "error", err.Error())
			return nil, errors.New("the token could not be checked; try again")
		}
		return &auth.TokenInfo{UserID: t.UserID, Scopes: t.Scopes, Expiration: t.ExpiresAt, Extra: map[string]any{"token": t.ID}}, nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(routeKey).(*routeInfo); ok {
			ri.pattern = r.Pattern
		}
		// A bulk create may carry many descriptions: the gateway's bound.
		r.Body = http.MaxBytesReader(w, r.Body, maxGatewayBody)
		opts := &auth.RequireBearerTokenOptions{ResourceMetadataURL: s.dev.base(r) + protectedResourcePath + mcpPath}
		auth.RequireBearerToken(verify, opts)(limited).ServeHTTP(w, r)
	})
}

// readOnlyToken is what a write tool tells the assistant of a token that
// may only read.
var readOnlyToken = &tm.Error{Code: tm.EFORBIDDEN, Message: "this token is read-only",
	Hint: "Sign in again with write access: remove ticket-mate from the assistant and add it again, then choose \"Allow reading and writing\" on ticket-mate's consent page (from a terminal: tm login --server without --read-only)."}

// protectedResourcePath is where RFC 9728 metadata is served, followed by
// the resource's path.
const protectedResourcePath = "/.well-known/oauth-protected-resource"

// auditMCP logs every call of a write tool, refused ones too, one line
// each, as the gateway logs writes.
func (s *Server) auditMCP(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		res, err := next(ctx, method, req)
		call, ok := req.(*sdk.CallToolRequest)
		if !ok || method != "tools/call" || !mcp.Writes(call.Params.Name) {
			return res, err
		}
		outcome := "ok"
		if r, _ := res.(*sdk.CallToolResult); err != nil || r == nil || r.IsError {
			outcome = "refused"
		}
		var uid, tok any
		if call.Extra != nil && call.Extra.TokenInfo != nil {
			ti := call.Extra.TokenInfo
			uid, tok = ti.UserID, ti.Extra["token"]
		}
		s.log.InfoContext(ctx, "mcp write", "user", uid, "token", tok, "tool", call.Params.Name, "outcome", outcome)
		return res, err
	}
}

// explainMCP says a failure as the API would: a lost Jira connection is
// the person's to renew on the dashboard; an internal failure goes to the
// log only, and the tool says no more than that it failed.
func (s *Server) explainMCP(err error) error {
	switch p := classify(err); {
	case p.Reconnect:
		return &tm.Error{Code: tm.EUNAUTHORIZED, Message: p.Message, Hint: "Open ticket-mate's dashboard and Connect Jira; the assistant's sign-in stays.", Err: err}
	case p.Message == genericMessage:
		s.log.Error("an MCP tool failed", "error", err.Error())
	}
	return err
}
