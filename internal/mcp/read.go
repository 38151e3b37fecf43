package mcp

import (
	"context"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Project is a project as the model sees it.
type Project struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	TeamManaged bool   `json:"teamManaged,omitempty"`
}

type listProjectsIn struct {
	Query string `json:"query,omitempty" jsonschema:"only projects whose key or name contains this text"`
}

type listProjectsOut struct {
	Projects []Project `json:"projects"`
}

type checkPermissionsIn struct {
	Project string `json:"project,omitempty" jsonschema:"project key; default: the configured project"`
}

type checkPermissionsOut struct {
	Account string `json:"account"`
	Email   string `json:"email,omitempty"`
	Project string `json:"project"`
	// Can and Cannot list what the caller may and may not do there.
	Can    []string `json:"can"`
	Cannot []string `json:"cannot,omitempty"`
}

// permissions are the project permissions the tools need, by what they allow.
var permissions = []struct{ Key, Does string }{
	{tm.PermBrowseProjects, "browse"},
	{tm.PermCreateIssues, "create"},
	{"EDIT_ISSUES", "edit"},
	{"ADD_COMMENTS", "comment"},
	{"TRANSITION_ISSUES", "transition"},
	{"ASSIGN_ISSUES", "assign"},
}

type searchIn struct {
	JQL      string   `json:"jql,omitempty" jsonschema:"Jira Query Language, e.g. project = ABC AND status != Done ORDER BY updated DESC"`
	Project  string   `json:"project,omitempty" jsonschema:"project key"`
	Assignee string   `json:"assignee,omitempty" jsonschema:"me, none, an email or an account id"`
	Status   []string `json:"status,omitempty" jsonschema:"status names, any of"`
	Type     []string `json:"type,omitempty" jsonschema:"issue type names, any of"`
	Label    []string `json:"label,omitempty" jsonschema:"labels, any of"`
	Text     string   `json:"text,omitempty" jsonschema:"words in summary, description or comments"`
	Limit    int      `json:"limit,omitempty" jsonschema:"issues per page, 1-100; default 20"`
	Cursor   string   `json:"cursor,omitempty" jsonschema:"nextCursor of the previous page"`
}

type searchOut struct {
	Issues     []Issue `json:"issues"`
	NextCursor string  `json:"nextCursor,omitempty"`
}

type getIssueIn struct {
	Key      string `json:"key" jsonschema:"issue key, e.g. ABC-123"`
	Comments int    `json:"comments,omitempty" jsonschema:"newest comments to include, 0-50; default 5"`
}

type keyIn struct {
	Key string `json:"key" jsonschema:"issue key, e.g. ABC-123"`
}

type transitionsOut struct {
	Transitions []Transition `json:"transitions"`
}

// Transition is a move the workflow offers.
type Transition struct {
	Name     string   `json:"name"`
	To       string   `json:"to"`
	Required []string `json:"required,omitempty"`
}

func (t *tools) addRead(s *sdk.Server) {
	sdk.AddTool(s, &sdk.Tool{Name: "list_projects", Annotations: reading,
		Description: "List the Jira projects the user can see (key, name). Use it to find a project key."},
		t.listProjects)
	sdk.AddTool(s, &sdk.Tool{Name: "check_permissions", Annotations: reading,
		Description: "Who the user is in Jira and what they may do in a project (browse, create, edit, comment, transition, assign). Use it when Jira refuses an action."},
		t.checkPermissions)
	sdk.AddTool(s, &sdk.Tool{Name: "search_issues", Annotations: reading,
		Description: "Find issues by JQL and/or simple filters (ANDed). Returns key, summary, status, type, priority, assignee, updated; pass nextCursor back as cursor for more."},
		t.search)
	sdk.AddTool(s, &sdk.Tool{Name: "get_issue", Annotations: reading,
		Description: "Read one issue: fields, parent, subtasks, links, description and newest comments as Markdown."},
		t.getIssue)
	sdk.AddTool(s, &sdk.Tool{Name: "list_transitions", Annotations: reading,
		Description: "The workflow moves an issue offers now: name, target status, fields they require. Use before transition_issue."},
		t.listTransitions)
}

func (t *tools) listProjects(ctx context.Context, req *sdk.CallToolRequest, in listProjectsIn) (*sdk.CallToolResult, listProjectsOut, error) {
	svc, err := t.service(ctx, req, false)
	if err != nil {
		return nil, listProjectsOut{}, err
	}
	ps, err := svc.AllProjects(ctx, in.Query)
	if err != nil {
		return nil, listProjectsOut{Projects: []Project{}}, t.fail(err)
	}
	out := listProjectsOut{Projects: make([]Project, len(ps))}
	for i, p := range ps {
		out.Projects[i] = Project{Key: p.Key, Name: p.Name, TeamManaged: p.TeamManaged()}
	}
	return nil, out, nil
}

func (t *tools) checkPermissions(ctx context.Context, req *sdk.CallToolRequest, in checkPermissionsIn) (*sdk.CallToolResult, checkPermissionsOut, error) {
	svc, err := t.service(ctx, req, false)
	if err != nil {
		return nil, checkPermissionsOut{}, err
	}
	project := t.project(in.Project)
	keys := make([]string, len(permissions))
	for i, p := range permissions {
		keys[i] = p.Key
	}
	a, err := svc.Permissions(ctx, project, keys...)
	if err != nil {
		return nil, checkPermissionsOut{}, t.fail(err)
	}
	out := checkPermissionsOut{Account: a.Account.DisplayName, Email: a.Account.Email, Project: project, Can: []string{}}
	for _, p := range permissions {
		if a.Permissions[p.Key] {
			out.Can = append(out.Can, p.Does)
		} else {
			out.Cannot = append(out.Cannot, p.Does)
		}
	}
	return nil, out, nil
}

// project is the project asked for, else the configured one, as Jira
// spells keys.
func (t *tools) project(p string) string {
	if p = strings.TrimSpace(p); p == "" {
		p = t.b.Project
	}
	return strings.ToUpper(p)
}

// searchPage is how many issues a page holds unless asked: enough to
// choose from, few enough to keep the model's context small.
const searchPage = 20

func (t *tools) search(ctx context.Context, req *sdk.CallToolRequest, in searchIn) (*sdk.CallToolResult, searchOut, error) {
	if in.Limit < 0 || in.Limit > 100 {
		return nil, searchOut{}, t.fail(&tm.Error{Code: tm.EINVALID, Message: "limit must be between 1 and 100"})
	}
	svc, err := t.service(ctx, req, false)
	if err != nil {
		return nil, searchOut{}, err
	}
	q := ticket.Query{JQL: in.JQL, Project: in.Project, Assignee: in.Assignee, Status: in.Status, Type: in.Type,
		Label: in.Label, Text: in.Text, PageSize: cmpOr(in.Limit, searchPage)}
	if q.Unfiltered() {
		q.Project = t.project("")
	}
	is, next, err := svc.Page(ctx, q, in.Cursor)
	if err != nil {
		return nil, searchOut{}, t.fail(err)
	}
	out := searchOut{Issues: make([]Issue, len(is)), NextCursor: next}
	for i, x := range is {
		out.Issues[i] = compact(x, false)
	}
	return nil, out, nil
}

func (t *tools) getIssue(ctx context.Context, req *sdk.CallToolRequest, in getIssueIn) (*sdk.CallToolResult, Issue, error) {
	if in.Comments < 0 || in.Comments > 50 {
		return nil, Issue{}, t.fail(&tm.Error{Code: tm.EINVALID, Message: "comments must be between 0 and 50"})
	}
	svc, err := t.service(ctx, req, false)
	if err != nil {
		return nil, Issue{}, err
	}
	n := in.Comments
	if n == 0 {
		n = 5
	}
	is, err := svc.Get(ctx, in.Key, n)
	if err != nil {
		return nil, Issue{}, t.fail(err)
	}
	return nil, compact(is, true), nil
}

func (t *tools) listTransitions(ctx context.Context, req *sdk.CallToolRequest, in keyIn) (*sdk.CallToolResult, transitionsOut, error) {
	svc, err := t.service(ctx, req, false)
	if err != nil {
		return nil, transitionsOut{}, err
	}
	ts, err := svc.Transitions(ctx, in.Key)
	if err != nil {
		return nil, transitionsOut{}, t.fail(err)
	}
	out := transitionsOut{Transitions: make([]Transition, len(ts))}
	for i, x := range ts {
		out.Transitions[i] = Transition{Name: x.Name, To: x.To, Required: x.Required}
	}
	return nil, out, nil
}

func cmpOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}
