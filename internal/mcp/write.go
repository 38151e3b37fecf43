package mcp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/ticket"
)

// TicketIn is a ticket to create.
type TicketIn struct {
	Project     string            `json:"project,omitempty" jsonschema:"project key; default: the configured project"`
	Summary     string            `json:"summary" jsonschema:"one-line title"`
	Description string            `json:"description,omitempty" jsonschema:"Markdown"`
	Type        string            `json:"type,omitempty" jsonschema:"issue type name; default Task"`
	Priority    string            `json:"priority,omitempty" jsonschema:"priority name"`
	Labels      []string          `json:"labels,omitempty"`
	Assignee    string            `json:"assignee,omitempty" jsonschema:"me, an email or an account id"`
	Parent      string            `json:"parent,omitempty" jsonschema:"parent issue key (epic or, for a sub-task, its issue)"`
	Components  []string          `json:"components,omitempty"`
	Fields      map[string]string `json:"fields,omitempty" jsonschema:"other fields of the create screen by name, e.g. {\"Story points\": \"3\"}"`
}

// Created is a ticket made.
type Created struct {
	Key string `json:"key"`
	URL string `json:"url"`
}

type createManyIn struct {
	Tickets []TicketIn `json:"tickets" jsonschema:"1-500 tickets; all are checked before any is created"`
}

type createManyOut struct {
	Created []Created `json:"created"`
	// Failed are the tickets Jira refused, by their line: the position in
	// tickets counting from 1, as the errors name them.
	Failed []Failed `json:"failed,omitempty"`
}

// Failed is a ticket of a bulk create that was not made.
type Failed struct {
	Line  int    `json:"line" jsonschema:"the ticket's position in tickets, counting from 1"`
	Error string `json:"error"`
}

type commentIn struct {
	Key  string `json:"key" jsonschema:"issue key, e.g. ABC-123"`
	Body string `json:"body" jsonschema:"Markdown"`
}

type commentOut struct {
	ID string `json:"id"`
}

type transitionIn struct {
	Key        string            `json:"key" jsonschema:"issue key, e.g. ABC-123"`
	To         string            `json:"to" jsonschema:"transition name or target status, any case"`
	Comment    string            `json:"comment,omitempty" jsonschema:"Markdown comment added with the move"`
	Resolution string            `json:"resolution,omitempty" jsonschema:"resolution name, e.g. Done, for moves that set one"`
	Fields     map[string]string `json:"fields,omitempty" jsonschema:"fields the move requires, by name"`
}

type transitionOut struct {
	Key        string `json:"key"`
	Transition string `json:"transition"`
	Status     string `json:"status"`
}

type assignIn struct {
	Key      string `json:"key" jsonschema:"issue key, e.g. ABC-123"`
	Assignee string `json:"assignee" jsonschema:"me, none (unassign), an email or an account id"`
}

type assignOut struct {
	Key      string `json:"key"`
	Assignee string `json:"assignee"`
}

type editIn struct {
	Key          string            `json:"key" jsonschema:"issue key, e.g. ABC-123"`
	Summary      string            `json:"summary,omitempty" jsonschema:"new one-line title"`
	Description  *string           `json:"description,omitempty" jsonschema:"new description, Markdown; replaces the old one"`
	AddLabels    []string          `json:"addLabels,omitempty"`
	RemoveLabels []string          `json:"removeLabels,omitempty"`
	Priority     string            `json:"priority,omitempty" jsonschema:"priority name"`
	Fields       map[string]string `json:"fields,omitempty" jsonschema:"other fields by name"`
}

type editOut struct {
	Key string `json:"key"`
}

func (t *tools) addWrite(s *sdk.Server) {
	sdk.AddTool(s, &sdk.Tool{Name: "create_ticket", Annotations: adding,
		Description: "Create a Jira ticket. Names (type, priority, fields) are matched to the project's create screen; an invalid one is refused with the valid values. Returns key and url."},
		t.createTicket)
	sdk.AddTool(s, &sdk.Tool{Name: "create_tickets", Annotations: adding,
		Description: "Create many tickets at once (same fields as create_ticket). Every ticket is checked first: if any is invalid, none is created. Errors name a ticket by line: its position in tickets, from 1."},
		t.createTickets)
	sdk.AddTool(s, &sdk.Tool{Name: "add_comment", Annotations: adding,
		Description: "Add a Markdown comment to an issue."},
		t.addComment)
	sdk.AddTool(s, &sdk.Tool{Name: "transition_issue", Annotations: changing,
		Description: "Move an issue through its workflow by transition name or target status, optionally with a comment, resolution and required fields."},
		t.transition)
	sdk.AddTool(s, &sdk.Tool{Name: "assign_issue", Annotations: changing,
		Description: "Assign an issue to me, to someone by email or account id, or to none."},
		t.assign)
	sdk.AddTool(s, &sdk.Tool{Name: "edit_issue", Annotations: changing,
		Description: "Change only the given fields of an issue: summary, description (Markdown), labels to add or remove, priority, other fields by name."},
		t.edit)
}

func (t *tools) draft(in TicketIn) tm.TicketDraft {
	return tm.TicketDraft{ProjectKey: t.project(in.Project), Summary: in.Summary, Description: in.Description,
		IssueType: in.Type, Priority: in.Priority, Labels: in.Labels, Assignee: in.Assignee,
		Components: in.Components, Parent: in.Parent, Fields: fieldValues(in.Fields)}
}

// fieldValues are named values in a stable order, so that the same input
// gives the same request.
func fieldValues(m map[string]string) []tm.FieldValue {
	out := make([]tm.FieldValue, 0, len(m))
	for k, v := range m {
		out = append(out, tm.FieldValue{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b tm.FieldValue) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (t *tools) createTicket(ctx context.Context, req *sdk.CallToolRequest, in TicketIn) (*sdk.CallToolResult, Created, error) {
	svc, err := t.service(ctx, req, true)
	if err != nil {
		return nil, Created{}, err
	}
	tk, err := svc.Create(ctx, t.draft(in))
	if err != nil {
		return nil, Created{}, t.fail(err)
	}
	return nil, Created{Key: tk.Key, URL: tk.URL}, nil
}

// maxBulk bounds one call's tickets: a model that wants more sends more calls.
const maxBulk = 500

func (t *tools) createTickets(ctx context.Context, req *sdk.CallToolRequest, in createManyIn) (*sdk.CallToolResult, createManyOut, error) {
	if len(in.Tickets) == 0 || len(in.Tickets) > maxBulk {
		return nil, createManyOut{}, t.fail(&tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("tickets must hold 1 to %d tickets", maxBulk)})
	}
	svc, err := t.service(ctx, req, true)
	if err != nil {
		return nil, createManyOut{}, err
	}
	rows := make([]ticket.Row, len(in.Tickets))
	for i, x := range in.Tickets {
		// Lines count from 1, as people number rows and as the
		// command line's bulk create names the lines of a file.
		rows[i] = ticket.Row{Line: i + 1, Draft: t.draft(x)}
	}
	out := createManyOut{Created: []Created{}}
	err = svc.CreateMany(ctx, rows, ticket.BulkOptions{}, func(r ticket.RowResult) {
		if r.Err != nil {
			out.Failed = append(out.Failed, Failed{Line: r.Line, Error: t.fail(r.Err).Error()})
			return
		}
		out.Created = append(out.Created, Created{Key: r.Ticket.Key, URL: r.Ticket.URL})
	})
	if err != nil {
		return nil, createManyOut{}, t.fail(err)
	}
	slices.SortFunc(out.Failed, func(a, b Failed) int { return a.Line - b.Line })
	return nil, out, nil
}

func (t *tools) addComment(ctx context.Context, req *sdk.CallToolRequest, in commentIn) (*sdk.CallToolResult, commentOut, error) {
	svc, err := t.service(ctx, req, true)
	if err != nil {
		return nil, commentOut{}, err
	}
	c, err := svc.Comment(ctx, in.Key, in.Body)
	if err != nil {
		return nil, commentOut{}, t.fail(err)
	}
	return nil, commentOut{ID: c.ID}, nil
}

func (t *tools) transition(ctx context.Context, req *sdk.CallToolRequest, in transitionIn) (*sdk.CallToolResult, transitionOut, error) {
	svc, err := t.service(ctx, req, true)
	if err != nil {
		return nil, transitionOut{}, err
	}
	tr, err := svc.Transition(ctx, in.Key, ticket.Move{To: in.To, Comment: in.Comment, Resolution: in.Resolution, Fields: fieldValues(in.Fields)})
	if err != nil {
		return nil, transitionOut{}, t.fail(err)
	}
	return nil, transitionOut{Key: strings.ToUpper(in.Key), Transition: tr.Name, Status: tr.To}, nil
}

func (t *tools) assign(ctx context.Context, req *sdk.CallToolRequest, in assignIn) (*sdk.CallToolResult, assignOut, error) {
	svc, err := t.service(ctx, req, true)
	if err != nil {
		return nil, assignOut{}, err
	}
	if err := svc.Assign(ctx, in.Key, in.Assignee); err != nil {
		return nil, assignOut{}, t.fail(err)
	}
	return nil, assignOut{Key: strings.ToUpper(in.Key), Assignee: in.Assignee}, nil
}

func (t *tools) edit(ctx context.Context, req *sdk.CallToolRequest, in editIn) (*sdk.CallToolResult, editOut, error) {
	svc, err := t.service(ctx, req, true)
	if err != nil {
		return nil, editOut{}, err
	}
	c := ticket.Change{Description: in.Description, AddLabels: in.AddLabels, DropLabels: in.RemoveLabels,
		Priority: in.Priority, Fields: fieldValues(in.Fields)}
	if in.Summary != "" {
		c.Summary = &in.Summary
	}
	if err := svc.Edit(ctx, in.Key, c); err != nil {
		return nil, editOut{}, t.fail(err)
	}
	return nil, editOut{Key: strings.ToUpper(in.Key)}, nil
}
