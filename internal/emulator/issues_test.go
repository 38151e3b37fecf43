package emulator_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

type m = map[string]any

func createBody(fields m) m { return m{"fields": fields} }

func spaceTask(extra m) m {
	f := m{"project": m{"key": "SPACE2"}, "issuetype": m{"id": "10001"}, "summary": "Fix login"}
	for k, v := range extra {
		if v == nil {
			delete(f, k)
			continue
		}
		f[k] = v
	}
	return createBody(f)
}

func TestCreateIssue(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.do("POST", "/rest/api/3/issue", spaceTask(m{
		"description": adf("Steps to reproduce"), "labels": []string{"auth", "cli"}, "priority": m{"id": "2"},
		"assignee": m{"accountId": s.You().AccountID}, "duedate": "2026-12-24",
		"customfield_10016": 5, "customfield_10040": "CASE-1", "customfield_10041": adf("It logs in"),
		"customfield_10042": m{"value": "Minor"},
	}))
	want(t, r, 201)
	created := r.obj(t)
	if created["key"] != "SPACE2-6" || !strings.HasPrefix(created["self"].(string), s.URL+"/rest/api/3/issue/") {
		t.Fatalf("created = %v", created)
	}
	r = c.get("/rest/api/3/issue/SPACE2-6")
	want(t, r, 200)
	var got struct {
		Key    string
		Fields struct {
			Summary     string
			Description map[string]any
			Labels      []string
			Priority    struct{ Name string }
			Assignee    struct{ AccountID string }
			Reporter    struct{ AccountID string }
			Status      struct {
				Name           string
				StatusCategory struct{ Key string }
			}
			Duedate     string
			Created     string
			StoryPoints float64                `json:"customfield_10016"`
			CustomerRef string                 `json:"customfield_10040"`
			Acceptance  map[string]any         `json:"customfield_10041"`
			Severity    struct{ Value string } `json:"customfield_10042"`
			Comment     struct{ Total int }
		}
	}
	r.json(t, &got)
	f := got.Fields
	if f.Summary != "Fix login" || f.Description["type"] != "doc" || !slices.Equal(f.Labels, []string{"auth", "cli"}) ||
		f.Priority.Name != "High" || f.Assignee.AccountID != s.You().AccountID || f.Reporter.AccountID != s.You().AccountID ||
		f.Status.Name != "To Do" || f.Status.StatusCategory.Key != "new" || f.Duedate != "2026-12-24" ||
		!strings.HasSuffix(f.Created, "+0000") || f.StoryPoints != 5 || f.CustomerRef != "CASE-1" ||
		f.Acceptance["type"] != "doc" || f.Severity.Value != "Minor" {
		t.Errorf("issue = %s", r.body)
	}

	t.Run("team-managed default assignee and required priority", func(t *testing.T) {
		body := createBody(m{"project": m{"key": "TEAM"}, "issuetype": m{"name": "Task"}, "summary": "x"})
		wantError(t, c.do("POST", "/rest/api/3/issue", body), 400, "Field 'priority' is required")
		body["fields"].(m)["priority"] = m{"name": "Low"}
		r := c.do("POST", "/rest/api/3/issue", body)
		want(t, r, 201)
		is := c.get("/rest/api/3/issue/" + r.obj(t)["key"].(string) + "?fields=assignee,issuetype").obj(t)
		fields := is["fields"].(map[string]any)
		if fields["assignee"].(map[string]any)["displayName"] != "Mia Krystof" || fields["issuetype"].(map[string]any)["id"] != "10010" {
			t.Errorf("TEAM issue = %v", fields)
		}
	})
	t.Run("subtask with parent", func(t *testing.T) {
		r := c.do("POST", "/rest/api/3/issue", spaceTask(m{"issuetype": m{"id": "10004"}, "parent": m{"key": "SPACE2-3"}}))
		want(t, r, 201)
		p := c.get("/rest/api/3/issue/" + r.obj(t)["key"].(string) + "?fields=parent").obj(t)
		if p["fields"].(map[string]any)["parent"].(map[string]any)["key"] != "SPACE2-3" {
			t.Errorf("parent = %v", p)
		}
	})
	t.Run("create with a transition", func(t *testing.T) {
		r := c.do("POST", "/rest/api/3/issue", m{"fields": spaceTask(nil)["fields"], "transition": m{"id": "11"}})
		want(t, r, 201)
		body := r.obj(t)
		if body["transition"].(map[string]any)["status"] != float64(200) {
			t.Errorf("transition = %v", body["transition"])
		}
	})
}

func TestCreateIssueErrors(t *testing.T) {
	s := start(t, emulator.Options{})
	cases := []struct {
		name, who string
		body      m
		field     string // "" for errorMessages
		msg       string
	}{
		{"invisible project", youEmail, spaceTask(m{"project": m{"key": "SECRET"}}), "project", "Specify a valid project ID or key"},
		{"unknown project", youEmail, spaceTask(m{"project": m{"id": "99999"}}), "project", "Specify a valid project ID or key"},
		{"no create permission", youEmail, spaceTask(m{"project": m{"key": "OPS"}}), "", "You do not have permission to create issues in this project."},
		{"unknown issue type", youEmail, spaceTask(m{"issuetype": m{"id": "10010"}}), "issuetype", "The issue type selected is invalid."},
		{"no issue type", youEmail, spaceTask(m{"issuetype": nil}), "issuetype", "Specify an issue type"},
		{"no summary", youEmail, spaceTask(m{"summary": nil}), "summary", "You must specify a summary of the issue."},
		{"long summary", youEmail, spaceTask(m{"summary": strings.Repeat("x", 256)}), "summary", "Summary must be less than 255 characters."},
		{"string description on v3", youEmail, spaceTask(m{"description": "plain"}), "description", "Operation value must be an Atlassian Document (see the Atlassian Document Format)"},
		{"string textarea on v3", youEmail, spaceTask(m{"customfield_10041": "plain"}), "customfield_10041", "Operation value must be an Atlassian Document"},
		{"field not on screen", youEmail, spaceTask(m{"customfield_99999": "x"}), "customfield_99999", "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, or unknown."},
		{"bad priority", youEmail, spaceTask(m{"priority": m{"id": "42"}}), "priority", "Specify a valid 'id' or 'name' for Priority"},
		{"bad select option", youEmail, spaceTask(m{"customfield_10042": m{"id": "1"}}), "customfield_10042", "Specify a valid 'id' or 'name' for Severity"},
		{"text for a number", youEmail, spaceTask(m{"customfield_10016": "five"}), "customfield_10016", "Operation value must be a number"},
		{"unassignable user", youEmail, spaceTask(m{"assignee": m{"accountId": "5d2e8f7a9b1c3d004e5f6a7b"}}), "assignee", "User '5d2e8f7a9b1c3d004e5f6a7b' cannot be assigned issues."},
		{"unknown user", youEmail, spaceTask(m{"assignee": m{"id": "nobody"}}), "assignee", "User 'nobody' does not exist."},
		{"label with a space", youEmail, spaceTask(m{"labels": []string{"two words"}}), "labels", "The label 'two words' contains spaces which is invalid."},
		{"bad due date", youEmail, spaceTask(m{"duedate": "24/12/2026"}), "duedate", "Error parsing date string: 24/12/2026"},
		{"subtask without parent", youEmail, spaceTask(m{"issuetype": m{"id": "10004"}}), "parent", "Issue type is a sub-task but parent issue key or id not specified."},
		{"task under a story", youEmail, spaceTask(m{"parent": m{"key": "SPACE2-3"}}), "parent", "Given parent work item does not belong to appropriate hierarchy."},
		{"parent not found", youEmail, spaceTask(m{"issuetype": m{"id": "10004"}, "parent": m{"key": "SECRET-1"}}), "parent", "Could not find issue by id or key."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := classic(t, s, tc.who).do("POST", "/rest/api/3/issue", tc.body)
			want(t, r, 400)
			msgs, fields := r.errors(t)
			if tc.field == "" {
				if !slices.Contains(msgs, tc.msg) {
					t.Errorf("errorMessages = %v, want %q", msgs, tc.msg)
				}
				return
			}
			if !strings.Contains(fields[tc.field], tc.msg) {
				t.Errorf("errors.%s = %q, want %q (all: %v)", tc.field, fields[tc.field], tc.msg, fields)
			}
		})
	}
	t.Run("no issue was stored", func(t *testing.T) {
		r := classic(t, s, youEmail).get("/rest/api/3/issue/SPACE2-6")
		wantError(t, r, 404, "Issue does not exist")
	})
}

func TestBulkCreate(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	type result struct {
		Issues []struct{ Key string }
		Errors []struct {
			Status              int
			FailedElementNumber int
			ElementErrors       struct{ Errors map[string]string }
		}
	}
	var res result
	r := c.do("POST", "/rest/api/3/issue/bulk", m{"issueUpdates": []m{
		spaceTask(nil), spaceTask(m{"issuetype": m{"id": "777"}}), spaceTask(m{"summary": "second"}),
	}})
	want(t, r, 201)
	r.json(t, &res)
	if len(res.Issues) != 2 || res.Issues[0].Key != "SPACE2-6" || res.Issues[1].Key != "SPACE2-7" ||
		len(res.Errors) != 1 || res.Errors[0].FailedElementNumber != 1 || res.Errors[0].Status != 400 ||
		res.Errors[0].ElementErrors.Errors["issuetype"] != "The issue type selected is invalid." {
		t.Errorf("partial bulk = %s", r.body)
	}
	r = c.do("POST", "/rest/api/3/issue/bulk", m{"issueUpdates": []m{spaceTask(m{"summary": nil}), spaceTask(m{"project": m{"key": "SECRET"}})}})
	want(t, r, 400)
	res = result{}
	r.json(t, &res)
	if len(res.Issues) != 0 || len(res.Errors) != 2 || res.Errors[1].FailedElementNumber != 1 ||
		res.Errors[1].ElementErrors.Errors["project"] != "Specify a valid project ID or key" {
		t.Errorf("failed bulk = %s", r.body)
	}
	many := make([]m, 51)
	for i := range many {
		many[i] = spaceTask(nil)
	}
	wantError(t, rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).do("POST", "/rest/api/3/issue/bulk", m{"issueUpdates": many}),
		400, "exceeds the limit of 50 issues per request")
}

func TestGetIssue(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	for _, ref := range []string{"SPACE2-2", "space2-2", "10001", "OLD-7", "old-7"} {
		r := c.get("/rest/api/3/issue/" + ref + "?fields=summary")
		want(t, r, 200)
		if got := r.obj(t); got["key"] != "SPACE2-2" {
			t.Errorf("%s: key %v", ref, got["key"])
		}
	}
	wantError(t, c.get("/rest/api/3/issue/SECRET-1"), 404, "Issue does not exist or you do not have permission to see it.")
	wantError(t, c.get("/rest/api/3/issue/SPACE2-999"), 404, "Issue does not exist or you do not have permission to see it.")

	fieldsOf := func(q string) []string {
		r := c.get("/rest/api/3/issue/SPACE2-2" + q)
		want(t, r, 200)
		fields, _ := r.obj(t)["fields"].(map[string]any)
		keys := []string{}
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	if got := fieldsOf("?fields=summary,labels"); !slices.Equal(got, []string{"labels", "summary"}) {
		t.Errorf("fields=summary,labels gave %v", got)
	}
	all := fieldsOf("")
	if !slices.Contains(all, "comment") || !slices.Contains(all, "customfield_10042") {
		t.Errorf("default fields = %v", all)
	}
	nav := fieldsOf("?fields=*navigable,-labels")
	if slices.Contains(nav, "comment") || slices.Contains(nav, "labels") || !slices.Contains(nav, "summary") {
		t.Errorf("*navigable,-labels = %v", nav)
	}
	r := c.get("/rest/api/3/issue/SPACE2-2?fields=summary&expand=names,schema,transitions")
	want(t, r, 200)
	body := r.obj(t)
	if body["names"].(map[string]any)["summary"] != "Summary" || len(body["transitions"].([]any)) != 3 {
		t.Errorf("expanded = %s", r.body)
	}
}

func TestEditIssue(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	want(t, c.do("PUT", "/rest/api/3/issue/SPACE2-2", m{"fields": m{"summary": "Renamed"},
		"update": m{"labels": []m{{"add": "triaged"}, {"remove": "bug"}}}}), 204)
	r := c.get("/rest/api/3/issue/SPACE2-2?fields=summary,labels")
	var is struct {
		Fields struct {
			Summary string
			Labels  []string
		}
	}
	r.json(t, &is)
	if is.Fields.Summary != "Renamed" || !slices.Equal(is.Fields.Labels, []string{"auth", "triaged"}) {
		t.Errorf("after edit: %+v", is.Fields)
	}
	r = c.do("PUT", "/rest/api/3/issue/SPACE2-2?returnIssue=true", m{"update": m{"summary": []m{{"set": "Again"}}}})
	want(t, r, 200)
	if r.obj(t)["fields"].(map[string]any)["summary"] != "Again" {
		t.Errorf("returnIssue body = %s", r.body)
	}
	cases := []struct {
		name, who, key string
		body           m
		status         int
		msg            string
	}{
		{"not on the screen", youEmail, "SPACE2-2", m{"fields": m{"status": m{"id": "3"}}}, 400, "Field 'status' cannot be set."},
		{"both fields and update", youEmail, "SPACE2-2", m{"fields": m{"summary": "a"}, "update": m{"summary": []m{{"set": "b"}}}}, 400, "cannot be set in both"},
		{"string description", youEmail, "SPACE2-2", m{"fields": m{"description": "x"}}, 400, "Operation value must be an Atlassian Document"},
		{"no edit permission", samEmail, "SPACE2-2", m{"fields": m{"summary": "x"}}, 403, "You do not have permission to edit issues in this project."},
		{"invisible", youEmail, "SECRET-1", m{"fields": m{"summary": "x"}}, 404, "Issue does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, classic(t, s, tc.who).do("PUT", "/rest/api/3/issue/"+tc.key, tc.body), tc.status, tc.msg)
		})
	}
	t.Run("override flags need admin", func(t *testing.T) {
		r := classic(t, s, samEmail).do("PUT", "/rest/api/3/issue/SPACE2-2?overrideScreenSecurity=true", m{"fields": m{"summary": "x"}})
		wantError(t, r, 403, "You must have admin rights")
	})
	t.Run("reporter may edit in OPS", func(t *testing.T) {
		// OPS grants Edit Issues to the reporter: true at project level,
		// false for an issue someone else reported.
		wantError(t, c.do("PUT", "/rest/api/3/issue/OPS-1", m{"fields": m{"summary": "x"}}), 403, "You do not have permission to edit issues")
	})
}

func TestTransitions(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	names := func(key string, c *client) []string {
		r := c.get("/rest/api/3/issue/" + key + "/transitions")
		want(t, r, 200)
		var body struct {
			Transitions []struct {
				ID, Name string
				To       struct{ Name string }
			}
		}
		r.json(t, &body)
		out := []string{}
		for _, tr := range body.Transitions {
			out = append(out, tr.ID+":"+tr.Name+"->"+tr.To.Name)
		}
		return out
	}
	if got := names("SPACE2-3", c); !slices.Equal(got, []string{"11:Start Progress->In Progress", "21:Done->Done"}) {
		t.Errorf("transitions from To Do = %v", got)
	}
	if got := names("SPACE2-3", classic(t, s, samEmail)); len(got) != 0 {
		t.Errorf("Sam cannot transition, got %v", got)
	}
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-3/transitions", m{"transition": m{"id": "11"},
		"update": m{"comment": []m{{"add": m{"body": adf("Starting")}}}}}), 204)
	var is struct {
		Fields struct {
			Status  struct{ Name string }
			Comment struct{ Total int }
		}
	}
	c.get("/rest/api/3/issue/SPACE2-3?fields=status,comment").json(t, &is)
	if is.Fields.Status.Name != "In Progress" || is.Fields.Comment.Total != 1 {
		t.Errorf("after transition: %+v", is.Fields)
	}
	want(t, c.do("POST", "/rest/api/3/issue/SPACE2-3/transitions", m{"transition": m{"id": "21"}}), 204)
	var done struct {
		Fields struct{ Resolutiondate *string }
	}
	c.get("/rest/api/3/issue/SPACE2-3?fields=resolutiondate").json(t, &done)
	if done.Fields.Resolutiondate == nil {
		t.Error("Done did not set resolutiondate")
	}
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-3/transitions", m{"transition": m{"id": "11"}}), 400, "Transition id '11' is not valid for this issue.")
	wantError(t, c.do("POST", "/rest/api/3/issue/SPACE2-3/transitions", m{}), 400, "Missing 'transition' identifier")
	wantError(t, c.get("/rest/api/3/issue/SECRET-1/transitions"), 404, "Issue does not exist")
}

func TestComments(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	for i := 0; i < 3; i++ {
		r := c.do("POST", "/rest/api/3/issue/SPACE2-1/comment", m{"body": adf(fmt.Sprintf("note %d", i))})
		want(t, r, 201)
		body := r.obj(t)
		if body["author"].(map[string]any)["accountId"] != s.You().AccountID || body["body"].(map[string]any)["type"] != "doc" {
			t.Errorf("comment = %s", r.body)
		}
	}
	var page struct {
		StartAt, MaxResults, Total int
		Comments                   []struct{ ID string }
	}
	c.get("/rest/api/3/issue/SPACE2-1/comment?startAt=1&maxResults=2").json(t, &page)
	if page.Total != 4 || len(page.Comments) != 2 || page.StartAt != 1 {
		t.Errorf("page = %+v", page)
	}
	var rev struct{ Comments []struct{ ID string } }
	c.get("/rest/api/3/issue/SPACE2-1/comment?orderBy=-created").json(t, &rev)
	if len(rev.Comments) != 4 || rev.Comments[0].ID <= rev.Comments[3].ID {
		t.Errorf("-created order = %+v", rev)
	}
	wantError(t, rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).do("POST", "/rest/api/3/issue/SPACE2-1/comment", m{"body": "plain"}),
		400, "Operation value must be an Atlassian Document")
	wantError(t, c.do("POST", "/rest/api/3/issue/SECRET-1/comment", m{"body": adf("x")}), 404, "Issue does not exist")
}

func TestAssign(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	raw := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken))
	mia := s.User(t, miaEmail).AccountID
	assignee := func(key string) any {
		return c.get("/rest/api/3/issue/" + key + "?fields=assignee").obj(t)["fields"].(map[string]any)["assignee"]
	}
	want(t, c.do("PUT", "/rest/api/3/issue/SPACE2-3/assignee", m{"accountId": mia}), 204)
	if a := assignee("SPACE2-3"); a.(map[string]any)["accountId"] != mia {
		t.Errorf("assignee = %v", a)
	}
	// null unassigns; the document types accountId as a plain string.
	want(t, raw.do("PUT", "/rest/api/3/issue/SPACE2-3/assignee", `{"accountId":null}`), 204)
	if a := assignee("SPACE2-3"); a != nil {
		t.Errorf("after null: %v", a)
	}
	// "-1" is the project default: TEAM's lead.
	want(t, c.do("PUT", "/rest/api/3/issue/TEAM-2/assignee", m{"accountId": "-1"}), 204)
	if a := assignee("TEAM-2"); a.(map[string]any)["accountId"] != mia {
		t.Errorf("after -1: %v", a)
	}
	cases := []struct {
		name, who, key string
		body           any
		status         int
		msg            string
	}{
		{"no assign permission", samEmail, "SPACE2-3", m{"accountId": mia}, 403, "You do not have permission to assign issues."},
		{"unknown user", youEmail, "SPACE2-3", m{"accountId": "nobody"}, 400, "User 'nobody' does not exist."},
		{"not assignable", youEmail, "SPACE2-3", m{"accountId": "5d2e8f7a9b1c3d004e5f6a7b"}, 400, "cannot be assigned issues"},
		{"name on Cloud", youEmail, "SPACE2-3", m{"name": "sam"}, 400, "not supported in GDPR strict mode"},
		{"invisible", youEmail, "SECRET-1", m{"accountId": mia}, 404, "Issue does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, classic(t, s, tc.who).do("PUT", "/rest/api/3/issue/"+tc.key+"/assignee", tc.body), tc.status, tc.msg)
		})
	}
	wantError(t, raw.do("PUT", "/rest/api/3/issue/SPACE2-3/assignee", m{}), 400, "Specify exactly one of accountId, name or key.")
}

func TestBulkFetch(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	r := c.do("POST", "/rest/api/3/issue/bulkfetch", m{"issueIdsOrKeys": []string{"SPACE2-1", "10001", "SECRET-1", "NOPE-9"}, "fields": []string{"summary"}})
	want(t, r, 200)
	var res struct {
		Issues []struct {
			Key    string
			Fields map[string]any
		}
		IssueErrors []any
	}
	r.json(t, &res)
	if len(res.Issues) != 2 || res.Issues[0].Key != "SPACE2-1" || res.Issues[1].Key != "SPACE2-2" || res.Issues[0].Fields["summary"] == nil {
		t.Errorf("bulkfetch = %s", r.body)
	}
	wantError(t, rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).do("POST", "/rest/api/3/issue/bulkfetch", m{"issueIdsOrKeys": []string{}}),
		400, "Specify between 1 and 100 issue ids or keys")
}

// TestBulkCreateConcurrent: bulk creates checked side by side still store
// every issue once, under keys of their own in each request's order, and
// an element naming a parent is checked as it is stored, after the
// elements before it.
func TestBulkCreateConcurrent(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	type result struct {
		Issues []struct{ ID, Key string }
		Errors []struct{ FailedElementNumber int }
	}
	const requests, each = 8, 25
	keys := make([][]string, requests)
	var wg sync.WaitGroup
	for r := range requests {
		wg.Go(func() {
			els := make([]m, each)
			for i := range els {
				els[i] = spaceTask(m{"summary": fmt.Sprintf("request %d element %d", r, i)})
			}
			resp := c.do("POST", "/rest/api/3/issue/bulk", m{"issueUpdates": els})
			var res result
			resp.json(t, &res)
			if resp.status != 201 || len(res.Issues) != each || len(res.Errors) != 0 {
				t.Errorf("request %d: %d %s", r, resp.status, resp.body)
				return
			}
			for _, is := range res.Issues {
				keys[r] = append(keys[r], is.Key)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for r, ks := range keys {
		for i, k := range ks {
			if seen[k] {
				t.Errorf("%s stored twice", k)
			}
			seen[k] = true
			var is struct{ Fields struct{ Summary string } }
			c.get("/rest/api/3/issue/"+k+"?fields=summary").json(t, &is)
			if want := fmt.Sprintf("request %d element %d", r, i); is.Fields.Summary != want {
				t.Errorf("%s: %q, want %q", k, is.Fields.Summary, want)
			}
			if i > 0 && issueNum(t, k) <= issueNum(t, ks[i-1]) {
				t.Errorf("request %d: %s after %s", r, k, ks[i-1])
			}
		}
	}

	// A parent made by the request's first element (its key guessed, as a
	// client would), and one that does not exist.
	var last struct{ Key string }
	c.do("POST", "/rest/api/3/issue", spaceTask(m{"summary": "last before"})).json(t, &last)
	next := fmt.Sprintf("SPACE2-%d", issueNum(t, last.Key)+1)
	resp := c.do("POST", "/rest/api/3/issue/bulk", m{"issueUpdates": []m{
		spaceTask(m{"issuetype": m{"name": "Epic"}, "summary": "parent"}),
		spaceTask(m{"summary": "child", "parent": m{"key": next}}),
		spaceTask(m{"summary": "orphan", "parent": m{"key": "SPACE2-99999"}}),
	}})
	var res result
	resp.json(t, &res)
	if len(res.Issues) != 2 || res.Issues[0].Key != next || len(res.Errors) != 1 || res.Errors[0].FailedElementNumber != 2 {
		t.Errorf("parents: %s", resp.body)
	}
}

func issueNum(t *testing.T, key string) int {
	t.Helper()
	_, n, ok := strings.Cut(key, "-")
	v, err := strconv.Atoi(n)
	if !ok || err != nil {
		t.Fatalf("key %q", key)
	}
	return v
}
