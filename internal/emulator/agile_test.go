package emulator_test

import (
	"slices"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

// The agile API is not in the platform OpenAPI document, so these
// requests pass the validating transport unchecked; the shapes follow
// Atlassian's agile REST reference.

func TestBoards(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.get("/rest/agile/1.0/board?projectKeyOrId=SPACE2")
	want(t, r, 200)
	vals := r.obj(t)["values"].([]any)
	if len(vals) != 1 {
		t.Fatalf("SPACE2 boards = %s", r.body)
	}
	b := vals[0].(map[string]any)
	if b["name"] != "SPACE2 board" || b["type"] != "scrum" || b["location"].(map[string]any)["projectKey"] != "SPACE2" {
		t.Errorf("board = %v", b)
	}
	// Every visible software project has a board; SECRET's is hidden from Alex.
	r = c.get("/rest/agile/1.0/board")
	want(t, r, 200)
	all := names(r.obj(t)["values"].([]any), "name")
	if !slices.Equal(all, []string{"SPACE2 board", "TEAM board"}) {
		t.Errorf("boards = %v", all)
	}
	if got := names(classic(t, s, miaEmail).get("/rest/agile/1.0/board").obj(t)["values"].([]any), "name"); !slices.Contains(got, "SECRET board") {
		t.Errorf("Mia's boards = %v", got)
	}
	want(t, c.get("/rest/agile/1.0/board/3"), 404)
	wantError(t, c.get("/rest/agile/1.0/board?projectKeyOrId=SECRET"), 400, "No project")
	r = c.get("/rest/agile/1.0/board/1/configuration")
	want(t, r, 200)
	conf := r.obj(t)
	if conf["location"].(map[string]any)["key"] != "SPACE2" || len(conf["columnConfig"].(map[string]any)["columns"].([]any)) != 3 {
		t.Errorf("configuration = %s", r.body)
	}
	// Through the gateway too.
	g := newClient(t, s.GatewayURL(s.Creds.Sites[0].CloudID), basic(s.You().Email, s.You().ScopedToken))
	want(t, g.get("/rest/agile/1.0/board/1"), 200)
}

func TestSprints(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.get("/rest/agile/1.0/board/1/sprint?state=active,closed")
	want(t, r, 200)
	if got := names(r.obj(t)["values"].([]any), "name"); !slices.Equal(got, []string{"SPACE2 Sprint 1", "SPACE2 Sprint 2"}) {
		t.Errorf("sprints = %v", got)
	}
	r = c.get("/rest/agile/1.0/board/1/sprint")
	if n := len(r.obj(t)["values"].([]any)); n != 3 {
		t.Errorf("all sprints: %d", n)
	}
	wantError(t, c.get("/rest/agile/1.0/board/2/sprint"), 400, "does not support sprints")
	r = c.get("/rest/agile/1.0/board/1/sprint/2/issue")
	want(t, r, 200)
	if got := names(r.obj(t)["issues"].([]any), "key"); !slices.Equal(got, []string{"SPACE2-3", "SPACE2-2"}) {
		t.Errorf("sprint 2 issues = %v", got)
	}
	want(t, c.do("POST", "/rest/agile/1.0/sprint/3/issue", m{"issues": []string{"SPACE2-2"}}), 204)
	r = c.get("/rest/agile/1.0/sprint/3/issue?fields=customfield_10020")
	want(t, r, 200)
	issues := r.obj(t)["issues"].([]any)
	if got := names(issues, "key"); !slices.Equal(got, []string{"SPACE2-2"}) {
		t.Fatalf("sprint 3 issues = %v", got)
	}
	spr := issues[0].(map[string]any)["fields"].(map[string]any)["customfield_10020"].([]any)
	if got := names(spr, "name"); !slices.Equal(got, []string{"SPACE2 Sprint 3"}) {
		t.Errorf("Sprint field = %v", got)
	}
	wantError(t, c.do("POST", "/rest/agile/1.0/sprint/1/issue", m{"issues": []string{"SPACE2-3"}}), 400, "closed sprint")
	wantError(t, classic(t, s, samEmail).do("POST", "/rest/agile/1.0/sprint/3/issue", m{"issues": []string{"SPACE2-3"}}), 403, "permission")
	search := func(jql string) []string { return searchKeys(t, c, jql) }
	if got := search("project = SPACE2 AND sprint in openSprints() ORDER BY key"); !slices.Equal(got, []string{"SPACE2-2", "SPACE2-3"}) {
		t.Errorf("openSprints() = %v", got)
	}
	if got := search("project = SPACE2 AND sprint in closedSprints()"); !slices.Equal(got, []string{"SPACE2-1"}) {
		t.Errorf("closedSprints() = %v", got)
	}
	if got := search(`project = SPACE2 AND sprint = "SPACE2 Sprint 2"`); !slices.Equal(got, []string{"SPACE2-3"}) {
		t.Errorf("sprint = name: %v", got)
	}
	if got := search("project = SPACE2 AND sprint is EMPTY ORDER BY key"); !slices.Equal(got, []string{"SPACE2-4", "SPACE2-5"}) {
		t.Errorf("sprint is EMPTY: %v", got)
	}
	wantError(t, c.do("POST", "/rest/api/3/search/jql", m{"jql": "project = SPACE2 AND assignee in openSprints()"}), 400, "invalid for the field")
	want(t, c.get("/rest/agile/1.0/sprint/2"), 200)
	want(t, c.get("/rest/agile/1.0/sprint/99"), 404)
}

func TestEpics(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	want(t, c.get("/rest/agile/1.0/epic/SPACE2-4"), 200)
	wantError(t, c.get("/rest/agile/1.0/epic/SPACE2-1"), 400, "not an epic")
	want(t, c.do("POST", "/rest/agile/1.0/epic/SPACE2-4/issue", m{"issues": []string{"SPACE2-2", "SPACE2-3"}}), 204)
	r := c.get("/rest/agile/1.0/epic/SPACE2-4/issue")
	want(t, r, 200)
	if got := names(r.obj(t)["issues"].([]any), "key"); !slices.Equal(got, []string{"SPACE2-3", "SPACE2-2"}) {
		t.Errorf("epic issues = %v", got)
	}
	if p := fieldsOf(t, c, "SPACE2-2")["parent"].(map[string]any); p["key"] != "SPACE2-4" {
		t.Errorf("parent = %v", p)
	}
	if l := fieldsOf(t, c, "SPACE2-2")["customfield_10014"]; l != "SPACE2-4" {
		t.Errorf("Epic Link = %v", l)
	}
	wantError(t, c.do("POST", "/rest/agile/1.0/epic/SPACE2-4/issue", m{"issues": []string{"SPACE2-5"}}), 400, "only standard issues")
	want(t, c.do("POST", "/rest/agile/1.0/epic/none/issue", m{"issues": []string{"SPACE2-2"}}), 204)
	if p := fieldsOf(t, c, "SPACE2-2")["parent"]; p != nil {
		t.Errorf("after epic/none: parent = %v", p)
	}
	// Epic Link on create names the epic of a company-managed issue.
	r = c.do("POST", "/rest/api/3/issue", spaceTask(m{"customfield_10014": "SPACE2-4"}))
	want(t, r, 201)
	if p := fieldsOf(t, c, r.obj(t)["key"].(string))["parent"].(map[string]any); p["key"] != "SPACE2-4" {
		t.Errorf("created under epic: parent = %v", p)
	}
	wantError(t, c.do("POST", "/rest/api/3/issue", spaceTask(m{"customfield_10014": "SPACE2-1"})), 400, "not an epic")
	r = c.get("/rest/agile/1.0/board/1/epic")
	want(t, r, 200)
	if got := names(r.obj(t)["values"].([]any), "key"); !slices.Equal(got, []string{"SPACE2-4"}) {
		t.Errorf("board epics = %v", got)
	}
}
