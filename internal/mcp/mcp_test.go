package mcp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/mcp"
	"github.com/ticket-mate/tm/internal/mcp/mcptest"
	"github.com/ticket-mate/tm/internal/openapitest"
	"github.com/ticket-mate/tm/internal/ticket"
)

// connect serves the tools as the sandbox's first user (read only when
// readOnly) and returns an SDK client session talking to them in process.
func connect(t *testing.T, o emulator.Options, readOnly bool) *sdk.ClientSession {
	t.Helper()
	sb := emulatortest.Start(t, o)
	hc := &http.Client{Transport: openapitest.Transport(t, http.DefaultTransport)}
	var c *jira.Client
	if o.DataCenter {
		c = jira.NewClient(hc, sb.URL, jira.BearerAuth{Token: tm.Secret(sb.You().PAT)}, jira.WithDataCenter())
	} else {
		c = jira.NewClient(hc, sb.URL, jira.BasicAuth{Email: sb.You().Email, Token: tm.Secret(sb.You().ClassicToken)})
	}
	svc := ticket.New(c, nil)
	srv := mcp.NewServer(mcp.Backend{
		Tickets: func(context.Context, *sdk.CallToolRequest) (*ticket.Service, error) { return svc, nil },
		Project: "SPACE2",
	}, mcp.Options{Version: "test", ReadOnly: readOnly})
	st, ct := sdk.NewInMemoryTransports()
	ctx := t.Context()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any, out any) string {
	t.Helper()
	return mcptest.Call(t, cs, name, args, out)
}

func TestToolsList(t *testing.T) {
	cs := connect(t, emulator.Options{}, false)
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"list_projects": true, "check_permissions": true, "search_issues": true, "get_issue": true,
		"list_transitions": true, "create_ticket": false, "create_tickets": false, "add_comment": false,
		"transition_issue": false, "assign_issue": false, "edit_issue": false}
	for _, tool := range res.Tools {
		ro, ok := want[tool.Name]
		if !ok {
			t.Errorf("unexpected tool %s", tool.Name)
			continue
		}
		delete(want, tool.Name)
		if tool.Annotations == nil || tool.Annotations.ReadOnlyHint != ro || mcp.Writes(tool.Name) == ro {
			t.Errorf("%s: annotations %+v, want readOnlyHint %v", tool.Name, tool.Annotations, ro)
		}
		if len(tool.Description) > 240 {
			t.Errorf("%s: description of %d characters; keep it short", tool.Name, len(tool.Description))
		}
	}
	for name := range want {
		t.Errorf("tool %s missing", name)
	}

	ro := connect(t, emulator.Options{}, true)
	res, err = ro.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		if !tool.Annotations.ReadOnlyHint {
			t.Errorf("read-only server offers %s", tool.Name)
		}
	}
	// A write tool it does not offer is still a tool error with a way out
	// (Call fails the test on a protocol error such as "unknown tool"),
	// while an unknown name stays a protocol error.
	for _, name := range []string{"create_ticket", "create_tickets", "add_comment", "transition_issue", "assign_issue", "edit_issue"} {
		if msg := call(t, ro, name, map[string]any{"key": "SPACE2-1"}, nil); msg != "this connection may only read Jira\nHint: Use a connection with read and write access to create or change tickets." {
			t.Errorf("%s on a read-only server: %q", name, msg)
		}
	}
	if _, err := ro.CallTool(t.Context(), &sdk.CallToolParams{Name: "no_such_tool"}); err == nil {
		t.Error("an unknown tool is not a protocol error")
	}
}

func TestTicketRoundTrip(t *testing.T) {
	for _, dc := range []bool{false, true} {
		t.Run(map[bool]string{false: "cloud", true: "dc"}[dc], func(t *testing.T) {
			cs := connect(t, emulator.Options{DataCenter: dc}, false)
			var projects struct{ Projects []mcp.Project }
			if e := call(t, cs, "list_projects", nil, &projects); e != "" || len(projects.Projects) == 0 {
				t.Fatalf("list_projects: %q %+v", e, projects)
			}
			var made mcp.Created
			if e := call(t, cs, "create_ticket", map[string]any{"project": "SPACE2", "summary": "Login page fails",
				"description": "Steps:\n\n1. open **login**\n2. see `500`", "labels": []string{"web"}}, &made); e != "" {
				t.Fatal(e)
			}
			if !strings.HasPrefix(made.Key, "SPACE2-") || !strings.HasSuffix(made.URL, "/browse/"+made.Key) {
				t.Fatalf("created %+v", made)
			}
			if e := call(t, cs, "add_comment", map[string]any{"key": made.Key, "body": "Seen on *staging* too"}, nil); e != "" {
				t.Fatal(e)
			}
			var is mcp.Issue
			if e := call(t, cs, "get_issue", map[string]any{"key": made.Key}, &is); e != "" {
				t.Fatal(e)
			}
			if is.Summary != "Login page fails" || !strings.Contains(is.Description, "**login**") && !dc || len(is.Comments) != 1 ||
				!strings.Contains(is.Comments[0].Body, map[bool]string{false: "*staging*", true: "staging"}[dc]) || len(is.Labels) != 1 {
				t.Errorf("get_issue %+v", is)
			}
			var ts struct{ Transitions []mcp.Transition }
			if e := call(t, cs, "list_transitions", map[string]any{"key": made.Key}, &ts); e != "" || len(ts.Transitions) == 0 {
				t.Fatalf("list_transitions: %q %+v", e, ts)
			}
			if e := call(t, cs, "transition_issue", map[string]any{"key": made.Key, "to": ts.Transitions[0].To}, nil); e != "" {
				t.Fatal(e)
			}
			if e := call(t, cs, "assign_issue", map[string]any{"key": made.Key, "assignee": "me"}, nil); e != "" {
				t.Fatal(e)
			}
			if e := call(t, cs, "edit_issue", map[string]any{"key": made.Key, "summary": "Login page fails on Safari", "addLabels": []string{"safari"}}, nil); e != "" {
				t.Fatal(e)
			}
			var found struct {
				Issues     []mcp.Issue
				NextCursor string
			}
			if e := call(t, cs, "search_issues", map[string]any{"project": "SPACE2", "label": []string{"safari"}}, &found); e != "" {
				t.Fatal(e)
			}
			if len(found.Issues) != 1 || found.Issues[0].Key != made.Key || found.Issues[0].Status != ts.Transitions[0].To ||
				found.Issues[0].Summary != "Login page fails on Safari" || found.Issues[0].Assignee == "" {
				t.Errorf("search_issues %+v", found)
			}
		})
	}
}

func TestSearchCursor(t *testing.T) {
	cs := connect(t, emulator.Options{}, false)
	var bulk struct {
		Created []mcp.Created
		Failed  []mcp.Failed
	}
	tickets := []map[string]any{}
	for range 5 {
		tickets = append(tickets, map[string]any{"summary": "paged", "labels": []string{"paged"}})
	}
	if e := call(t, cs, "create_tickets", map[string]any{"tickets": tickets}, &bulk); e != "" || len(bulk.Created) != 5 || len(bulk.Failed) != 0 {
		t.Fatalf("create_tickets: %q %+v", e, bulk)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		var page struct {
			Issues     []mcp.Issue
			NextCursor string
		}
		args := map[string]any{"jql": "labels = paged ORDER BY key", "limit": 2}
		if cursor != "" {
			args["cursor"] = cursor
		}
		if e := call(t, cs, "search_issues", args, &page); e != "" {
			t.Fatal(e)
		}
		for _, is := range page.Issues {
			seen[is.Key] = true
		}
		if cursor = page.NextCursor; cursor == "" || pages > 5 {
			break
		}
	}
	for _, c := range bulk.Created {
		if !seen[c.Key] {
			t.Errorf("%s never came in a page", c.Key)
		}
	}
}

// Jira's refusals come back as tool errors with the next step, never as
// protocol errors.
func TestToolErrors(t *testing.T) {
	cs := connect(t, emulator.Options{}, false)
	cases := []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"create_ticket", map[string]any{"project": "NOPE", "summary": "x"}, []string{"NOPE", "list_projects"}},
		{"create_ticket", map[string]any{"project": "OPS", "summary": "x"}, []string{"OPS", "Hint:"}},
		{"create_ticket", map[string]any{"summary": "x", "type": "Gadget"}, []string{"Gadget", "Task"}},
		{"create_tickets", map[string]any{"tickets": []map[string]any{{"summary": "ok"}, {"summary": "x", "project": "NOPE"}}}, []string{"1 of 2 rows cannot be created", "line 2: ", "NOPE"}},
		{"search_issues", map[string]any{"jql": "project = = SPACE2"}, []string{"JQL", "Hint:"}},
		{"search_issues", map[string]any{"project": "NOPE"}, []string{"NOPE"}},
		{"get_issue", map[string]any{"key": "SECRET-1"}, []string{"SECRET-1"}},
		{"get_issue", map[string]any{"key": "not a key"}, []string{"key"}},
		{"check_permissions", map[string]any{"project": "NOPE"}, []string{"NOPE", "list_projects"}},
		{"add_comment", map[string]any{"key": "NOPE-1", "body": "hi"}, []string{"NOPE-1"}},
		{"transition_issue", map[string]any{"key": "SPACE2-1", "to": "Nowhere"}, []string{"Nowhere"}},
		{"assign_issue", map[string]any{"key": "SPACE2-1", "assignee": "nobody@example.invalid"}, []string{"nobody@example.invalid"}},
		{"edit_issue", map[string]any{"key": "SPACE2-1", "priority": "Urgentest"}, []string{"priority"}},
		{"list_transitions", map[string]any{"key": "NOPE-1"}, []string{"NOPE-1"}},
	}
	for _, c := range cases {
		e := call(t, cs, c.tool, c.args, nil)
		t.Logf("%s: %s", c.tool, e)
		if e == "" {
			t.Errorf("%s %v: no tool error", c.tool, c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(e, w) {
				t.Errorf("%s %v: error %q does not mention %q", c.tool, c.args, e, w)
			}
		}
	}
}

func TestPermissions(t *testing.T) {
	cs := connect(t, emulator.Options{}, false)
	var p struct {
		Account     string
		Can, Cannot []string
	}
	if e := call(t, cs, "check_permissions", map[string]any{"project": "OPS"}, &p); e != "" {
		t.Fatal(e)
	}
	if p.Account == "" || !contains(p.Can, "browse") || !contains(p.Cannot, "create") {
		t.Errorf("check_permissions OPS: %+v", p)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
