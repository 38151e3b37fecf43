package emulator_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

func dcClient(t *testing.T, s *emulatortest.Server, email string) *client {
	return rawClient(t, s.URL, bearer(s.User(t, email).PAT))
}

func TestDataCenter(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{DataCenter: true})
	c := dcClient(t, s, youEmail)

	r := c.get("/rest/api/2/myself")
	want(t, r, 200)
	me := r.obj(t)
	if me["name"] != "alex" || me["key"] != "JIRAUSER10000" || me["accountId"] != nil {
		t.Errorf("DC myself = %s", r.body)
	}
	if r.header.Get("X-AUSERNAME") != "alex" || r.header.Get("X-Seraph-LoginReason") != "OK" || r.header.Get("X-AACCOUNTID") != "" {
		t.Errorf("DC headers = %v", r.header)
	}
	info := c.get("/rest/api/2/serverInfo").obj(t)
	if info["deploymentType"] != "Server" || info["version"] != "9.12.7" {
		t.Errorf("DC serverInfo = %v", info)
	}
	for _, p := range []string{"/rest/api/3/myself", "/rest/api/2/search/jql?jql=project=SPACE2", "/rest/api/2/project/search", "/_edge/tenant_info", "/oauth/token"} {
		if r := c.get(p); r.status != 404 {
			t.Errorf("%s on DC: %d, want 404", p, r.status)
		}
	}
	t.Run("Basic and bad PATs fall back to anonymous", func(t *testing.T) {
		you := s.You()
		r := rawClient(t, s.URL, basic(you.Email, you.ClassicToken)).get("/rest/api/2/myself")
		want(t, r, 401)
		r = rawClient(t, s.URL, bearer("nope")).get("/rest/api/2/project")
		want(t, r, 200)
		if string(r.body) != "[]" || r.header.Get("X-Seraph-LoginReason") != "AUTHENTICATED_FAILED" || r.header.Get("X-AUSERNAME") != "anonymous" {
			t.Errorf("bad PAT: %s %v", r.body, r.header)
		}
	})
	t.Run("offset search with total", func(t *testing.T) {
		r := c.get("/rest/api/2/search?jql=project%3DSPACE2%20order%20by%20key&startAt=1&maxResults=2")
		want(t, r, 200)
		var p struct {
			StartAt, MaxResults, Total int
			Issues                     []struct {
				Key    string
				Fields map[string]any
			}
		}
		r.json(t, &p)
		if p.Total != 5 || p.StartAt != 1 || len(p.Issues) != 2 || p.Issues[0].Key != "SPACE2-2" || p.Issues[0].Fields["summary"] == nil {
			t.Errorf("DC search = %s", r.body)
		}
		// Unbounded queries are fine on Data Center.
		r = c.do("POST", "/rest/api/2/search", m{"jql": "", "maxResults": 1, "fields": []string{"key"}})
		want(t, r, 200)
		if r.obj(t)["total"] != float64(8) { // all but SECRET-1
			t.Errorf("unbounded DC search = %s", r.body)
		}
	})
	t.Run("create with wiki markup and assign by name", func(t *testing.T) {
		r := c.do("POST", "/rest/api/2/issue", spaceTask(m{"description": "h1. Title", "assignee": m{"name": "mia"}}))
		want(t, r, 201)
		key := r.obj(t)["key"].(string)
		wantError(t, c.do("POST", "/rest/api/2/issue", spaceTask(m{"description": adf("x")})), 400, "Operation value must be a string")
		want(t, c.do("PUT", "/rest/api/2/issue/"+key+"/assignee", m{"name": "alex"}), 204)
		var is struct {
			Fields struct {
				Description string
				Assignee    struct{ Name string }
			}
		}
		c.get("/rest/api/2/issue/"+key+"?fields=description,assignee").json(t, &is)
		if is.Fields.Assignee.Name != "alex" || !strings.HasPrefix(is.Fields.Description, "h1. Title") {
			t.Errorf("DC issue = %+v", is.Fields)
		}
		wantError(t, c.do("PUT", "/rest/api/2/issue/"+key+"/assignee", m{"name": "ghost"}), 400, "User 'ghost' does not exist.")
	})
	t.Run("createmeta values and isLast", func(t *testing.T) {
		r := c.get("/rest/api/2/issue/createmeta/SPACE2/issuetypes?maxResults=3")
		want(t, r, 200)
		body := r.obj(t)
		if len(body["values"].([]any)) != 3 || body["isLast"] != false || body["issueTypes"] != nil {
			t.Errorf("DC createmeta = %s", r.body)
		}
	})
	t.Run("user search by username and project picker", func(t *testing.T) {
		r := c.get("/rest/api/2/user/search?username=mi")
		want(t, r, 200)
		if !strings.Contains(string(r.body), `"name":"mia"`) {
			t.Errorf("DC user search = %s", r.body)
		}
		wantError(t, c.get("/rest/api/2/user/search"), 400, "The username query parameter was not provided")
		r = c.get("/rest/api/2/projects/picker?query=spa")
		if !strings.Contains(string(r.body), `"key":"SPACE2"`) {
			t.Errorf("picker = %s", r.body)
		}
	})
	t.Run("mypermissions without a list answers everything", func(t *testing.T) {
		r := c.get("/rest/api/2/mypermissions?projectKey=SPACE2")
		want(t, r, 200)
		if !strings.Contains(string(r.body), `"CREATE_ISSUES"`) {
			t.Errorf("DC mypermissions = %.300s", r.body)
		}
	})
}
