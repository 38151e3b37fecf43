package emulator_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator"
)

func names(list []any, key string) []string {
	var out []string
	for _, x := range list {
		out = append(out, fmt.Sprint(x.(map[string]any)[key]))
	}
	return out
}

// searchKeys runs jql through /search/jql and returns the keys found.
func searchKeys(t *testing.T, c *client, jql string) []string {
	t.Helper()
	r := c.do("POST", "/rest/api/3/search/jql", m{"jql": jql, "fields": []string{"key"}})
	want(t, r, 200)
	return names(r.obj(t)["issues"].([]any), "key")
}

func fieldsOf(t *testing.T, c *client, key string) map[string]any {
	t.Helper()
	r := c.get("/rest/api/3/issue/" + key)
	want(t, r, 200)
	return r.obj(t)["fields"].(map[string]any)
}

func TestResolution(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.get("/rest/api/3/resolution")
	want(t, r, 200)
	var list []any
	r.json(t, &list)
	if got := names(list, "name"); !slices.Equal(got, []string{"Done", "Won't Do", "Duplicate", "Cannot Reproduce"}) {
		t.Errorf("resolutions = %v", got)
	}
	f := fieldsOf(t, c, "SPACE2-2")
	if v, ok := f["resolution"]; !ok || v != nil {
		t.Errorf("unresolved issue: resolution = %v (present %v), want null", v, ok)
	}
	if r := fieldsOf(t, c, "SPACE2-1")["resolution"].(map[string]any); r["name"] != "Done" {
		t.Errorf("seeded done issue: resolution = %v", r)
	}
	// A transition into Done takes the resolution given, and reopening clears it.
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-2/transitions", m{"transition": m{"id": "21"}, "fields": m{"resolution": m{"name": "Won't Do"}}}), 204)
	if r, _ := fieldsOf(t, c, "SPACE2-2")["resolution"].(map[string]any); r["name"] != "Won't Do" {
		t.Errorf("after Done: resolution = %v", r)
	}
	search := func(jql string) []string { return searchKeys(t, c, jql) }
	if got := search(`project = SPACE2 AND resolution = "Won't Do"`); !slices.Equal(got, []string{"SPACE2-2"}) {
		t.Errorf("resolution = Won't Do: %v", got)
	}
	if got := search("project = SPACE2 AND resolution = Unresolved"); slices.Contains(got, "SPACE2-2") || slices.Contains(got, "SPACE2-1") {
		t.Errorf("resolution = Unresolved lists resolved issues: %v", got)
	}
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-2/transitions", m{"transition": m{"id": "41"}}), 204)
	if v := fieldsOf(t, c, "SPACE2-2")["resolution"]; v != nil {
		t.Errorf("after reopen: resolution = %v, want null", v)
	}
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-2/transitions", m{"transition": m{"id": "21"}, "fields": m{"resolution": m{"name": "Fixed-ish"}}}), 400, "resolution")
	r = c.get("/rest/api/3/field")
	want(t, r, 200)
	var fields []any
	r.json(t, &fields)
	ids := names(fields, "id")
	for _, id := range []string{"resolution", "customfield_10019", "subtasks", "issuelinks", "watches"} {
		if !slices.Contains(ids, id) {
			t.Errorf("/field lacks %s", id)
		}
	}
}

// TestSystemFields: every GET issue carries the system fields, empty when
// empty, and the editmeta and operations expansions.
func TestSystemFields(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.get("/rest/api/3/issue/SPACE2-3?expand=editmeta,operations")
	want(t, r, 200)
	o := r.obj(t)
	f := o["fields"].(map[string]any)
	if subs := names(f["subtasks"].([]any), "key"); !slices.Equal(subs, []string{"SPACE2-5"}) {
		t.Errorf("subtasks = %v", subs)
	}
	for _, id := range []string{"issuelinks", "components", "fixVersions", "versions", "attachment"} {
		if l, ok := f[id].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v, want []", id, f[id])
		}
	}
	if w := f["watches"].(map[string]any); w["watchCount"] != 0.0 || w["isWatching"] != false {
		t.Errorf("watches = %v", w)
	}
	if v := f["votes"].(map[string]any); v["votes"] != 0.0 {
		t.Errorf("votes = %v", v)
	}
	for _, id := range []string{"timetracking", "statuscategorychangedate", "customfield_10019"} {
		if _, ok := f[id]; !ok {
			t.Errorf("fields lack %s", id)
		}
	}
	em := o["editmeta"].(map[string]any)["fields"].(map[string]any)
	if _, ok := em["summary"]; !ok {
		t.Errorf("editmeta lacks summary: %v", em)
	}
	if _, ok := o["operations"].(map[string]any)["linkGroups"]; !ok {
		t.Errorf("operations = %v", o["operations"])
	}
	r = c.get("/rest/api/3/issue/SPACE2-3/editmeta")
	want(t, r, 200)
	if _, ok := r.obj(t)["fields"].(map[string]any)["customfield_10016"]; !ok {
		t.Errorf("editmeta lacks Story points: %s", r.body)
	}
	// Sam may only browse: nothing to edit.
	r = classic(t, s, samEmail).get("/rest/api/3/issue/SPACE2-3/editmeta")
	want(t, r, 200)
	if len(r.obj(t)["fields"].(map[string]any)) != 0 {
		t.Errorf("Sam's editmeta = %s, want no fields", r.body)
	}
	want(t, c.get("/rest/api/3/issue/SECRET-1/editmeta"), 404)
}

func TestWorkflowStyles(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	trans := func(key string) []string {
		r := c.get("/rest/api/3/issue/" + key + "/transitions")
		want(t, r, 200)
		return names(r.obj(t)["transitions"].([]any), "name")
	}
	// Team-managed: the simplified workflow, transitions named after statuses.
	if got := trans("TEAM-1"); !slices.Equal(got, []string{"To Do", "In Progress", "Done"}) {
		t.Errorf("TEAM-1 transitions = %v", got)
	}
	// Company-managed: the classic names.
	if got := trans("SPACE2-3"); !slices.Equal(got, []string{"Start Progress", "Done"}) {
		t.Errorf("SPACE2-3 transitions = %v", got)
	}
}

func TestOrderByRank(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	keys := func(jql string) []string { return searchKeys(t, c, jql) }
	asc := keys("project = SPACE2 ORDER BY rank")
	desc := keys("project = SPACE2 ORDER BY Rank DESC")
	if len(asc) != 5 || asc[0] != "SPACE2-1" || asc[4] != "SPACE2-5" {
		t.Errorf("ORDER BY rank = %v", asc)
	}
	slices.Reverse(desc)
	if !slices.Equal(asc, desc) {
		t.Errorf("ORDER BY rank DESC is not the reverse: %v vs %v", asc, desc)
	}
	wantError(t, c.do("POST", "/rest/api/3/search/jql", m{"jql": "project = SPACE2 AND rank = x"}), 400, "rank")
}

func TestIssueLinks(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.get("/rest/api/3/issueLinkType")
	want(t, r, 200)
	types := r.obj(t)["issueLinkTypes"].([]any)
	if got := names(types, "name"); !slices.Contains(got, "Blocks") || !slices.Contains(got, "Relates") {
		t.Errorf("link types = %v", got)
	}
	want(t, c.get("/rest/api/3/issueLinkType/10000"), 200)
	// Jira answers a link with an empty 201, which the document's JSON
	// content for 201 does not allow: the success goes unchecked, the
	// refusals below through the document.
	raw := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken))
	r = raw.do("POST", "/rest/api/3/issueLink", m{"type": m{"name": "Blocks"}, "inwardIssue": m{"key": "SPACE2-2"}, "outwardIssue": m{"key": "SPACE2-3"},
		"comment": m{"body": adf("SPACE2-2 holds this up")}})
	want(t, r, 201)
	if len(r.body) != 0 {
		t.Errorf("201 body = %q, want none", r.body)
	}
	in := fieldsOf(t, c, "SPACE2-2")["issuelinks"].([]any)
	out := fieldsOf(t, c, "SPACE2-3")["issuelinks"].([]any)
	if len(in) != 1 || len(out) != 1 {
		t.Fatalf("issuelinks: %v / %v", in, out)
	}
	if o := in[0].(map[string]any)["outwardIssue"].(map[string]any); o["key"] != "SPACE2-3" {
		t.Errorf("SPACE2-2 link = %v", in[0])
	}
	if o := out[0].(map[string]any)["inwardIssue"].(map[string]any); o["key"] != "SPACE2-2" {
		t.Errorf("SPACE2-3 link = %v", out[0])
	}
	id := in[0].(map[string]any)["id"].(string)
	r = c.get("/rest/api/3/issueLink/" + id)
	want(t, r, 200)
	if r.obj(t)["inwardIssue"].(map[string]any)["key"] != "SPACE2-2" {
		t.Errorf("issueLink = %s", r.body)
	}
	wantError(t, c.do("POST", "/rest/api/3/issueLink", m{"type": m{"name": "Haunts"}, "inwardIssue": m{"key": "SPACE2-2"}, "outwardIssue": m{"key": "SPACE2-3"}}), 404, "Haunts")
	wantError(t, c.do("POST", "/rest/api/3/issueLink", m{"type": m{"name": "Blocks"}, "inwardIssue": m{"key": "SPACE2-2"}, "outwardIssue": m{"key": "SECRET-1"}}), 404, "Issue Does Not Exist")
	// Sam has no Link Issues permission.
	wantError(t, classic(t, s, samEmail).do("POST", "/rest/api/3/issueLink", m{"type": m{"name": "Relates"}, "inwardIssue": m{"key": "SPACE2-1"}, "outwardIssue": m{"key": "SPACE2-3"}}), 404, "permission")
	want(t, c.do("DELETE", "/rest/api/3/issueLink/"+id, nil), 204)
	if l := fieldsOf(t, c, "SPACE2-3")["issuelinks"].([]any); len(l) != 0 {
		t.Errorf("after delete: %v", l)
	}
	want(t, c.get("/rest/api/3/issueLink/"+id), 404)
}

func TestWatchers(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-1/watchers", `"`+s.You().AccountID+`"`), 204)
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-1/watchers", `"`+s.User(t, miaEmail).AccountID+`"`), 204)
	r := c.get("/rest/api/3/issue/SPACE2-1/watchers")
	want(t, r, 200)
	o := r.obj(t)
	if o["watchCount"] != 2.0 || o["isWatching"] != true || len(o["watchers"].([]any)) != 2 {
		t.Errorf("watchers = %s", r.body)
	}
	if got := searchKeys(t, c, "project = SPACE2 AND issue in watchedIssues()"); !slices.Equal(got, []string{"SPACE2-1"}) {
		t.Errorf("watchedIssues() = %v", got)
	}
	want(t, c.do("DELETE", "/rest/api/3/issue/SPACE2-1/watchers?accountId="+s.User(t, miaEmail).AccountID, nil), 204)
	if w := fieldsOf(t, c, "SPACE2-1")["watches"].(map[string]any); w["watchCount"] != 1.0 {
		t.Errorf("watches = %v", w)
	}
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-1/watchers", `"nobody-here"`), 404, "does not exist")
}

func TestIssueHistory(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	history := func(c *client) []string { return searchKeys(t, c, "issue in issueHistory() ORDER BY key") }
	if got := history(c); len(got) != 0 {
		t.Errorf("history before any view = %v", got)
	}
	want(t, c.get("/rest/api/3/issue/SPACE2-3"), 200)
	want(t, c.get("/rest/api/3/issue/SPACE2-1"), 200)
	if got := history(c); !slices.Equal(got, []string{"SPACE2-1", "SPACE2-3"}) {
		t.Errorf("history = %v", got)
	}
	if err := s.E.AdvanceClock(time.Minute); err != nil {
		t.Fatal(err)
	}
	want(t, c.get("/rest/api/3/issue/SPACE2-3"), 200)
	if got := searchKeys(t, c, "issue in issueHistory() ORDER BY lastViewed DESC"); !slices.Equal(got, []string{"SPACE2-3", "SPACE2-1"}) {
		t.Errorf("by lastViewed = %v, want the latest view first", got)
	}
	if got := history(classic(t, s, miaEmail)); len(got) != 0 {
		t.Errorf("Mia sees Alex's history: %v", got)
	}
}

func TestWorklogs(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.do("POST", "/rest/api/3/issue/SPACE2-2/worklog", m{"timeSpent": "1h 30m", "comment": adf("Debugged the refresh"), "started": "2026-03-01T09:00:00.000+0000"})
	want(t, r, 201)
	if w := r.obj(t); w["timeSpentSeconds"] != 5400.0 || w["timeSpent"] != "1h 30m" {
		t.Errorf("worklog = %s", r.body)
	}
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-2/worklog", m{"timeSpentSeconds": 1800}), 201)
	r = c.get("/rest/api/3/issue/SPACE2-2/worklog")
	want(t, r, 200)
	if o := r.obj(t); o["total"] != 2.0 {
		t.Errorf("worklogs = %s", r.body)
	}
	if tt := fieldsOf(t, c, "SPACE2-2")["timetracking"].(map[string]any); tt["timeSpentSeconds"] != 7200.0 {
		t.Errorf("timetracking = %v", tt)
	}
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-2/worklog", m{"timeSpent": "a while"}), 400, "Invalid time duration")
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-2/worklog", m{}), 400, "time spent")
}

func TestRemoteLinks(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	link := m{"globalId": "system=https://ci.example/build/7", "object": m{"url": "https://ci.example/build/7", "title": "Build 7"}}
	r := c.do("POST", "/rest/api/3/issue/SPACE2-2/remotelink", link)
	want(t, r, 201)
	id := r.obj(t)["id"]
	link["object"] = m{"url": "https://ci.example/build/7", "title": "Build 7 (green)"}
	r = c.do("POST", "/rest/api/3/issue/SPACE2-2/remotelink", link)
	want(t, r, 200)
	if r.obj(t)["id"] != id {
		t.Errorf("the same globalId made a second link: %s", r.body)
	}
	r = c.get("/rest/api/3/issue/SPACE2-2/remotelink?globalId=system%3Dhttps%3A%2F%2Fci.example%2Fbuild%2F7")
	want(t, r, 200)
	if r.obj(t)["object"].(map[string]any)["title"] != "Build 7 (green)" {
		t.Errorf("remote link = %s", r.body)
	}
	// Without globalId Jira answers an array (the document says one object).
	raw := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken))
	r = raw.get("/rest/api/3/issue/SPACE2-2/remotelink")
	want(t, r, 200)
	var all []any
	r.json(t, &all)
	if len(all) != 1 {
		t.Errorf("remote links = %s", r.body)
	}
	wantError(t, raw.do("POST", "/rest/api/3/issue/SPACE2-2/remotelink", m{"object": m{"title": "no url"}}), 400, "url")
}

func TestVersionsAndComponents(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	wantError(t, c.do("POST", "/rest/api/3/search/jql", m{"jql": "project = SPACE2 AND component = API"}), 400, "The value 'API' does not exist for the field 'component'.")
	want(t, c.do("POST", "/rest/api/3/search/jql", m{"jql": "project = SPACE2 AND fixVersion is EMPTY"}), 200)
	for _, what := range []string{"versions", "components"} {
		r := c.get("/rest/api/3/project/SPACE2/" + what)
		want(t, r, 200)
		if string(r.body) != "[]" {
			t.Errorf("%s = %s", what, r.body)
		}
		want(t, c.get("/rest/api/3/project/SECRET/"+what), 404)
	}
}

func TestDeleteIssue(t *testing.T) {
	s := start(t, emulator.Options{})
	you, mia := classic(t, s, youEmail), classic(t, s, miaEmail)
	wantError(t, you.do("DELETE", "/rest/api/3/issue/SPACE2-3", nil), 403, "permission")
	wantError(t, mia.do("DELETE", "/rest/api/3/issue/SPACE2-3", nil), 400, "deleteSubtasks")
	want(t, mia.get("/rest/api/3/issue/SPACE2-5"), 200)
	want(t, mia.do("DELETE", "/rest/api/3/issue/SPACE2-3?deleteSubtasks=true", nil), 204)
	want(t, mia.get("/rest/api/3/issue/SPACE2-3"), 404)
	want(t, mia.get("/rest/api/3/issue/SPACE2-5"), 404)
	want(t, mia.do("DELETE", "/rest/api/3/issue/SPACE2-3", nil), 404)
	// A later issue does not reuse the key.
	r := you.do("POST", "/rest/api/3/issue", spaceTask(nil))
	want(t, r, 201)
	if r.obj(t)["key"] != "SPACE2-6" {
		t.Errorf("new key = %s", r.body)
	}
}

// TestNewIssueDefaults: the creator and commenters watch an issue, and
// statuscategorychangedate moves only when the status category does.
func TestNewIssueDefaults(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	want(t, c.do("POST", "/rest/api/3/issue", spaceTask(nil)), 201)
	f := fieldsOf(t, c, "SPACE2-6")
	if w := f["watches"].(map[string]any); w["watchCount"] != 1.0 || w["isWatching"] != true {
		t.Errorf("watches of a new issue = %v", w)
	}
	want(t, classic(t, s, samEmail).do("POST", "/rest/api/3/issue/SPACE2-6/comment", m{"body": adf("me too")}), 201)
	if w := fieldsOf(t, c, "SPACE2-6")["watches"].(map[string]any); w["watchCount"] != 2.0 {
		t.Errorf("a commenter does not watch: %v", w)
	}
	if f["statuscategorychangedate"] != f["created"] {
		t.Errorf("statuscategorychangedate %v, created %v", f["statuscategorychangedate"], f["created"])
	}
	if err := s.E.AdvanceClock(time.Hour); err != nil {
		t.Fatal(err)
	}
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-6/transitions", m{"transition": m{"id": "11"}}), 204) // To Do → In Progress
	moved := fieldsOf(t, c, "SPACE2-6")["statuscategorychangedate"]
	if moved == f["created"] {
		t.Errorf("statuscategorychangedate did not move with the category: %v", moved)
	}
	if err := s.E.AdvanceClock(time.Hour); err != nil {
		t.Fatal(err)
	}
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-6/transitions", m{"transition": m{"id": "51"}}), 204) // In Progress → In Review, same category
	if got := fieldsOf(t, c, "SPACE2-6")["statuscategorychangedate"]; got != moved {
		t.Errorf("statuscategorychangedate moved within a category: %v → %v", moved, got)
	}
}
