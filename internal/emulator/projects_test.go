package emulator_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

func projectKeys(t *testing.T, r response) []string {
	t.Helper()
	var page struct {
		Values []struct{ Key string }
	}
	r.json(t, &page)
	keys := []string{}
	for _, v := range page.Values {
		keys = append(keys, v.Key)
	}
	return keys
}

func TestProjectSearch(t *testing.T) {
	s := start(t, emulator.Options{})
	cases := []struct {
		who, query string
		want       []string
	}{
		{youEmail, "", []string{"OPS", "SPACE2", "TEAM"}},
		{youEmail, "?action=create", []string{"SPACE2", "TEAM"}},
		{youEmail, "?action=edit", []string{"SPACE2"}},
		{miaEmail, "", []string{"OPS", "SECRET", "SPACE2", "TEAM"}},
		{samEmail, "?action=create", []string{"TEAM"}},
		{youEmail, "?keys=SECRET&keys=SPACE2", []string{"SPACE2"}},
		{youEmail, "?keys=SECRET", []string{}},
		{youEmail, "?query=space", []string{"SPACE2"}},
		{youEmail, "?query=ROCKET", []string{"TEAM"}},
		{youEmail, "?typeKey=business", []string{"OPS"}},
		{youEmail, "?orderBy=-key", []string{"TEAM", "SPACE2", "OPS"}},
		{youEmail, "?orderBy=name", []string{"OPS", "SPACE2", "TEAM"}},
		{youEmail, "?id=10001", []string{"TEAM"}},
		// Each caller's list is worked out once and shared: the
		// filtered and re-sorted listings above must not have changed it.
		{youEmail, "", []string{"OPS", "SPACE2", "TEAM"}},
		{youEmail, "?action=create", []string{"SPACE2", "TEAM"}},
	}
	for _, tc := range cases {
		t.Run(tc.who+tc.query, func(t *testing.T) {
			r := classic(t, s, tc.who).get("/rest/api/3/project/search" + tc.query)
			want(t, r, 200)
			if got := projectKeys(t, r); !slices.Equal(got, tc.want) {
				t.Errorf("keys = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		c := classic(t, s, youEmail)
		var keys []string
		path := "/rest/api/3/project/search?maxResults=2"
		for i := 0; i < 5; i++ {
			r := c.get(path)
			want(t, r, 200)
			page := r.obj(t)
			keys = append(keys, projectKeys(t, r)...)
			if page["total"].(float64) != 3 {
				t.Errorf("total = %v", page["total"])
			}
			if page["isLast"] == true {
				break
			}
			next := page["nextPage"].(string)
			path = strings.TrimPrefix(next, s.URL)
		}
		if !slices.Equal(keys, []string{"OPS", "SPACE2", "TEAM"}) {
			t.Errorf("pages gave %v", keys)
		}
	})
	t.Run("maxResults above 100 is clamped", func(t *testing.T) {
		r := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).get("/rest/api/3/project/search?maxResults=500")
		want(t, r, 200)
		if got := r.obj(t)["maxResults"]; got != float64(100) {
			t.Errorf("maxResults = %v", got)
		}
	})
	t.Run("expand", func(t *testing.T) {
		r := classic(t, s, youEmail).get("/rest/api/3/project/search?keys=TEAM&expand=description,lead,issueTypes,url,insight")
		want(t, r, 200)
		var page struct {
			Values []struct {
				Style      string
				Simplified bool
				Lead       struct{ DisplayName string }
				IssueTypes []struct {
					Name  string
					Scope struct{ Type string }
				}
				URL     string
				Insight struct{ TotalIssueCount int }
			}
		}
		r.json(t, &page)
		p := page.Values[0]
		if p.Style != "next-gen" || !p.Simplified || p.Lead.DisplayName != "Mia Krystof" || len(p.IssueTypes) != 4 ||
			p.IssueTypes[0].Scope.Type != "PROJECT" || p.URL != s.URL+"/browse/TEAM" || p.Insight.TotalIssueCount != 2 {
			t.Errorf("TEAM = %+v", p)
		}
	})
	t.Run("bad action", func(t *testing.T) {
		r := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).get("/rest/api/3/project/search?action=delete")
		wantError(t, r, 400, "The action 'delete' is not valid.")
	})
}

func TestGetProject(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	for _, ref := range []string{"SPACE2", "space2", "10000"} {
		r := c.get("/rest/api/3/project/" + ref)
		want(t, r, 200)
		if p := r.obj(t); p["key"] != "SPACE2" || p["assigneeType"] != "UNASSIGNED" {
			t.Errorf("%s: %v", ref, p)
		}
	}
	for _, ref := range []string{"SECRET", "NOPE"} {
		r := c.get("/rest/api/3/project/" + ref)
		wantError(t, r, 404, fmt.Sprintf("No project could be found with key '%s'.", ref))
	}
	r := c.get("/rest/api/3/project?expand=lead")
	want(t, r, 200)
	var list []struct{ Key string }
	r.json(t, &list)
	if len(list) != 3 {
		t.Errorf("legacy project list = %+v", list)
	}
}

func TestMyPermissions(t *testing.T) {
	s := start(t, emulator.Options{})
	all := "BROWSE_PROJECTS,CREATE_ISSUES,EDIT_ISSUES,TRANSITION_ISSUES,ASSIGN_ISSUES,ASSIGNABLE_USER,ADD_COMMENTS,ADMINISTER_PROJECTS,USER_PICKER,ADMINISTER"
	cases := []struct {
		who, context string
		want         string // the permissions held, in the order of all
	}{
		{youEmail, "projectKey=SPACE2", "BROWSE_PROJECTS,CREATE_ISSUES,EDIT_ISSUES,TRANSITION_ISSUES,ASSIGN_ISSUES,ASSIGNABLE_USER,ADD_COMMENTS,ADMINISTER_PROJECTS,USER_PICKER"},
		{youEmail, "projectKey=OPS", "BROWSE_PROJECTS,EDIT_ISSUES,ADD_COMMENTS,USER_PICKER"},
		{youEmail, "issueKey=OPS-1", "BROWSE_PROJECTS,ADD_COMMENTS,USER_PICKER"},
		{youEmail, "", "BROWSE_PROJECTS,CREATE_ISSUES,EDIT_ISSUES,TRANSITION_ISSUES,ASSIGN_ISSUES,ASSIGNABLE_USER,ADD_COMMENTS,ADMINISTER_PROJECTS,USER_PICKER"},
		{samEmail, "projectKey=SPACE2", "BROWSE_PROJECTS,ADD_COMMENTS"},
		{miaEmail, "projectKey=SECRET", all},
		{miaEmail, "projectId=10003", all},
	}
	for _, tc := range cases {
		t.Run(tc.who+" "+tc.context, func(t *testing.T) {
			r := classic(t, s, tc.who).get("/rest/api/3/mypermissions?permissions=" + all + "&" + tc.context)
			want(t, r, 200)
			var body struct {
				Permissions map[string]struct {
					Key, Type      string
					HavePermission bool
				}
			}
			r.json(t, &body)
			var held []string
			for _, k := range strings.Split(all, ",") {
				p, ok := body.Permissions[k]
				if !ok || p.Key != k {
					t.Fatalf("%s missing from %s", k, r.body)
				}
				if p.HavePermission {
					held = append(held, k)
				}
			}
			if got := strings.Join(held, ","); got != tc.want {
				t.Errorf("held %s\nwant %s", got, tc.want)
			}
		})
	}
	errs := []struct {
		query, msg string
		status     int
	}{
		{"", "The 'permissions' query parameter is required.", 400},
		{"permissions=BROWSE_PROJECTS,FLY", "Invalid permission key: FLY.", 400},
		{"permissions=BROWSE_PROJECTS&projectKey=SECRET", "No project could be found with key 'SECRET'.", 404},
		{"permissions=BROWSE_PROJECTS&issueKey=SECRET-1", "Issue does not exist or you do not have permission to see it.", 404},
	}
	for _, tc := range errs {
		t.Run("error "+tc.query, func(t *testing.T) {
			wantError(t, classic(t, s, youEmail).get("/rest/api/3/mypermissions?"+tc.query), tc.status, tc.msg)
		})
	}
}

func TestCreateMeta(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	var types struct {
		StartAt, MaxResults, Total int
		IssueTypes                 []struct{ ID, Name string }
	}
	r := c.get("/rest/api/3/issue/createmeta/SPACE2/issuetypes?maxResults=2")
	want(t, r, 200)
	r.json(t, &types)
	if types.Total != 5 || len(types.IssueTypes) != 2 || types.MaxResults != 2 {
		t.Errorf("issue types page = %+v", types)
	}
	r = c.get("/rest/api/3/issue/createmeta/TEAM/issuetypes")
	r.json(t, &types)
	if types.Total != 4 || types.IssueTypes[0].ID != "10010" || types.IssueTypes[0].Name != "Task" {
		t.Errorf("TEAM types = %+v", types)
	}

	var fields struct {
		Total  int
		Fields []struct {
			FieldID       string
			Required      bool
			AllowedValues []map[string]any
			Schema        struct{ Type, Custom string }
		}
	}
	r = c.get("/rest/api/3/issue/createmeta/TEAM/issuetypes/10010")
	want(t, r, 200)
	r.json(t, &fields)
	byID := map[string]int{}
	for i, f := range fields.Fields {
		byID[f.FieldID] = i
	}
	prio := fields.Fields[byID["priority"]]
	if !prio.Required || len(prio.AllowedValues) != 5 {
		t.Errorf("TEAM priority = %+v", prio)
	}
	r = c.get("/rest/api/3/issue/createmeta/SPACE2/issuetypes/10004")
	r.json(t, &fields)
	byID = map[string]int{}
	for i, f := range fields.Fields {
		byID[f.FieldID] = i
	}
	if !fields.Fields[byID["parent"]].Required {
		t.Error("subtask createmeta: parent not required")
	}
	sev := fields.Fields[byID["customfield_10042"]]
	if sev.Schema.Type != "option" || len(sev.AllowedValues) != 3 {
		t.Errorf("Severity = %+v", sev)
	}
	if _, ok := byID["customfield_10016"]; !ok {
		t.Error("Story points not on the SPACE2 screen")
	}

	t.Run("maxResults above 200", func(t *testing.T) {
		r := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).get("/rest/api/3/issue/createmeta/SPACE2/issuetypes?maxResults=201")
		wantError(t, r, 400, "Parameter 'maxResults' must not exceed the limit '200'")
	})
	t.Run("invisible project", func(t *testing.T) {
		r := rawClient(t, s.URL, basic(s.You().Email, s.You().ClassicToken)).get("/rest/api/3/issue/createmeta/SECRET/issuetypes")
		wantError(t, r, 404, "No project could be found with key 'SECRET'.")
	})
	t.Run("no create permission", func(t *testing.T) {
		r := c.get("/rest/api/3/issue/createmeta/OPS/issuetypes")
		want(t, r, 200)
		r.json(t, &types)
		if types.Total != 0 {
			t.Errorf("OPS types for a user who cannot create: %+v", types)
		}
	})
}

func TestMetadataLists(t *testing.T) {
	s := start(t, emulator.Options{})
	c := classic(t, s, youEmail)
	var types []struct {
		ID, Name string
		Scope    *struct{ Project struct{ ID string } }
	}
	r := c.get("/rest/api/3/issuetype")
	want(t, r, 200)
	r.json(t, &types)
	tasks := 0
	for _, ty := range types {
		if ty.Name == "Task" {
			tasks++
		}
	}
	if tasks != 2 {
		t.Errorf("want the site Task and TEAM's project-scoped Task, got %+v", types)
	}
	var fields []struct {
		ID, Name string
		Custom   bool
		Schema   struct{ Type, Custom string }
	}
	r = c.get("/rest/api/3/field")
	want(t, r, 200)
	r.json(t, &fields)
	found := map[string]string{}
	for _, f := range fields {
		if f.Custom {
			found[f.Name] = f.Schema.Custom
		}
	}
	for name, typ := range map[string]string{"Story points": "float", "Customer reference": "textfield", "Acceptance criteria": "textarea", "Severity": "select"} {
		if !strings.HasSuffix(found[name], ":"+typ) {
			t.Errorf("custom field %s: type %q", name, found[name])
		}
	}
	var prios []struct{ ID, Name, StatusColor string }
	r = c.get("/rest/api/3/priority")
	want(t, r, 200)
	r.json(t, &prios)
	if len(prios) != 5 || prios[2].Name != "Medium" {
		t.Errorf("priorities = %+v", prios)
	}
	var page struct {
		Total  int
		IsLast bool
		Values []struct {
			Name      string
			IsDefault bool
		}
	}
	r = c.get("/rest/api/3/priority/search?onlyDefault=true")
	want(t, r, 200)
	r.json(t, &page)
	if page.Total != 1 || !page.Values[0].IsDefault || page.Values[0].Name != "Medium" {
		t.Errorf("default priority = %+v", page)
	}
	r = c.get("/rest/api/3/priority/search?maxResults=2")
	r.json(t, &page)
	if page.Total != 5 || page.IsLast || len(page.Values) != 2 {
		t.Errorf("priority page = %+v", page)
	}
}

func TestUserSearch(t *testing.T) {
	s := start(t, emulator.Options{})
	names := func(r response) []string {
		var users []struct{ DisplayName string }
		r.json(t, &users)
		out := []string{}
		for _, u := range users {
			out = append(out, u.DisplayName)
		}
		return out
	}
	cases := []struct {
		who, query string
		want       []string
	}{
		{youEmail, "query=mi", []string{"Mia Krystof"}},
		{youEmail, "query=lee", []string{"Sam Lee"}},
		{youEmail, "query=sam@", []string{"Sam Lee"}},
		{youEmail, "query=riley", []string{}}, // inactive
		{youEmail, "accountId=5d2e8f7a9b1c3d004e5f6a7b", []string{"Sam Lee"}},
		{youEmail, "query=m&maxResults=1", []string{"Alex Morgan"}},
		{youEmail, "query=m", []string{"Alex Morgan", "Mia Krystof"}},
		{youEmail, "query=m&startAt=1", []string{"Mia Krystof"}},
		{samEmail, "query=mi", []string{}}, // no Browse users and groups
		{"", "query=mi", []string{}},       // anonymous
	}
	for _, tc := range cases {
		t.Run(tc.who+" "+tc.query, func(t *testing.T) {
			c := newClient(t, s.URL, nil)
			if tc.who != "" {
				c = classic(t, s, tc.who)
			}
			r := c.get("/rest/api/3/user/search?" + tc.query)
			want(t, r, 200)
			if got := names(r); !slices.Equal(got, tc.want) {
				t.Errorf("users = %v, want %v", got, tc.want)
			}
		})
	}
	for _, q := range []string{"", "query=a&accountId=5d2e8f7a9b1c3d004e5f6a7b"} {
		wantError(t, classic(t, s, youEmail).get("/rest/api/3/user/search?"+q), 400, "Specify exactly one of the query parameters 'query', 'accountId' or 'property'.")
	}
	wantError(t, classic(t, s, youEmail).get("/rest/api/3/user/search?username=sam"), 400, "The query parameter 'username' is not supported in GDPR strict mode.")

	t.Run("assignable", func(t *testing.T) {
		c := classic(t, s, youEmail)
		r := c.get("/rest/api/3/user/assignable/search?project=SPACE2")
		want(t, r, 200)
		if got := names(r); !slices.Equal(got, []string{"Alex Morgan", "Mia Krystof"}) {
			t.Errorf("assignable in SPACE2 = %v", got)
		}
		r = c.get("/rest/api/3/user/assignable/search?issueKey=TEAM-1&query=sa")
		if got := names(r); !slices.Equal(got, []string{"Sam Lee"}) {
			t.Errorf("assignable on TEAM-1 = %v", got)
		}
		wantError(t, c.get("/rest/api/3/user/assignable/search?project=SECRET"), 404, "No project could be found with key 'SECRET'.")
		wantError(t, c.get("/rest/api/3/user/assignable/search"), 400, "Specify the project, issueKey or issueId query parameter.")
	})
}
