// Package mcp serves the ticket operations to assistants over the Model
// Context Protocol: one tool per operation of the ticket service, each a
// thin call that parses the model's input and presents a compact result.
// The transports (stdio for tm mcp, Streamable HTTP for tm serve) and who
// the caller is belong to the front end that builds the server.
//
// It imports the domain, the ticket service and the MCP SDK.
package mcp

import (
	"context"
	"errors"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Backend is what the tools need from the front end.
type Backend struct {
	// Tickets is the ticket service acting for the caller of req.
	Tickets func(ctx context.Context, req *sdk.CallToolRequest) (*ticket.Service, error)
	// Explain puts a failure in the front end's terms (a refused
	// credential and how to renew it); nil: the ticket service's words.
	Explain func(err error) error
	// CanWrite reports whether the caller may change Jira; nil: yes.
	CanWrite func(req *sdk.CallToolRequest) bool
	// Project is the project used when a tool is not told one.
	Project string
	// ReadOnly is the tool error a write tool answers when the caller may
	// only read: what is wrong and how to get write access. Empty: a
	// generic refusal.
	ReadOnly *tm.Error
}

// readOnly is the refusal of a write tool to a caller who may only read.
func (b Backend) readOnly() error {
	if b.ReadOnly != nil {
		return b.ReadOnly
	}
	return &tm.Error{Code: tm.EFORBIDDEN, Message: "this connection may only read Jira",
		Hint: "Use a connection with read and write access to create or change tickets."}
}

// Options choose the tools served.
type Options struct {
	Version  string
	ReadOnly bool // serve only the tools that read
	// CallTimeout bounds each tool call, every retry and wait included
	// (0: only the caller's context does).
	CallTimeout time.Duration
}

// NewServer returns an MCP server with the ticket tools.
func NewServer(b Backend, o Options) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "ticket-mate", Title: "ticket-mate (Jira)", Version: o.Version}, &sdk.ServerOptions{
		Instructions: "Jira tickets as the signed-in person. Text fields are Markdown. Use list_projects for project keys; " +
			"search_issues to find tickets before creating duplicates.",
	})
	if o.CallTimeout > 0 {
		s.AddReceivingMiddleware(deadline(o.CallTimeout))
	}
	t := &tools{b: b}
	t.addRead(s)
	if !o.ReadOnly {
		t.addWrite(s)
	} else {
		s.AddReceivingMiddleware(t.refuseWrites)
	}
	return s
}

// refuseWrites answers a call of a write tool the read-only server does
// not list with a tool error saying how to get write access, where the
// SDK would answer "unknown tool": a model that saw the tool elsewhere, or
// a person who asked for it, learns what to do.
func (t *tools) refuseWrites(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		if call, ok := req.(*sdk.CallToolRequest); ok && method == "tools/call" && Writes(call.Params.Name) {
			res := &sdk.CallToolResult{IsError: true}
			res.Content = []sdk.Content{&sdk.TextContent{Text: t.fail(t.b.readOnly()).Error()}}
			return res, nil
		}
		return next(ctx, method, req)
	}
}

type tools struct{ b Backend }

// deadline gives each tool call its own deadline: a server runs for
// hours, a call as long as a command would.
func deadline(d time.Duration) sdk.Middleware {
	return func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method == "tools/call" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, d)
				defer cancel()
			}
			return next(ctx, method, req)
		}
	}
}

// service is the caller's ticket service, or the tool error that says why
// there is none.
func (t *tools) service(ctx context.Context, req *sdk.CallToolRequest, write bool) (*ticket.Service, error) {
	if write && t.b.CanWrite != nil && !t.b.CanWrite(req) {
		return nil, t.fail(t.b.readOnly())
	}
	svc, err := t.b.Tickets(ctx, req)
	if err != nil {
		return nil, t.fail(err)
	}
	return svc.Markdown(), nil
}

// fail turns a failed operation into the tool error the model reads: what
// happened and what to do next, never internal error text. The SDK sends
// a returned error as a result with isError set, not as a protocol error.
func (t *tools) fail(err error) error {
	if t.b.Explain != nil {
		err = t.b.Explain(err)
	}
	err = ticket.Explain(err, ticket.About{})
	var te *tm.Error
	if !errors.As(err, &te) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return errors.New("Jira did not answer in time; try again")
		}
		return errors.New("the operation failed inside ticket-mate; try again, and report it if it persists")
	}
	msg := te.Message
	if hint := strings.TrimSpace(te.Hint + "\n" + advice(err, te)); hint != "" {
		msg += "\nHint: " + hint
	}
	return errors.New(msg)
}

// advice names the tool that finds the way out of a refusal.
func advice(err error, te *tm.Error) string {
	var d *ticket.Detail
	errors.As(err, &d)
	switch {
	case te.Code == tm.EFORBIDDEN && d != nil && d.Project != "":
		return "check_permissions with project " + d.Project + " shows what is missing."
	case te.Code == tm.ENOTFOUND && d != nil && d.Field == "project":
		return "list_projects shows the project keys you can use."
	case d != nil && len(d.Valid) > 0 && !strings.Contains(te.Hint, d.Valid[0]):
		return "Valid " + d.Field + ": " + strings.Join(d.Valid, ", ")
	}
	return ""
}

// Writes reports whether the tool named changes Jira.
func Writes(tool string) bool {
	switch tool {
	case "create_ticket", "create_tickets", "add_comment", "transition_issue", "assign_issue", "edit_issue":
		return true
	}
	return false
}

func ptr[T any](v T) *T { return &v }

// Annotations for the three kinds of tool.
var (
	reading = &sdk.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(true)}
	adding  = &sdk.ToolAnnotations{DestructiveHint: ptr(false), OpenWorldHint: ptr(true)}
	// changing overwrites what was there (a summary, a status, an assignee).
	changing = &sdk.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(true)}
)
