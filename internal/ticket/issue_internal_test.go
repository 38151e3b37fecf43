package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/openapitest"
)

// issueFieldCases are issues' fields as Jira sends them, usual and not.
var issueFieldCases = []string{
	`{"summary":"Login page fails","status":{"name":"In Progress","statusCategory":{"name":"In Progress"}},"issuetype":{"name":"Bug","id":"10002"},"priority":{"name":"High"},"assignee":{"accountId":"5b10","displayName":"Alex Morgan","emailAddress":"alex@example.com","avatarUrls":{}},"updated":"2026-01-12T14:05:00.000+0000"}`,
	`{"summary":"Unassigned","assignee":null,"reporter":{"name":"alex","displayName":"Alex","key":"JIRAUSER1"},"labels":["a","b"],"created":"2026-01-12T14:05:00.000+0000","description":"h1. Wiki\n* one  "}`,
	`{"summary":"S","labels":[],"parent":{"key":"A-1","fields":{"summary":"Epic","status":{"name":"Done"}}},"subtasks":[{"key":"A-3","fields":{"summary":"Sub","status":{"name":"To Do"}}}],"issuelinks":[{"type":{"inward":"is blocked by","outward":"blocks"},"outwardIssue":{"key":"A-4"}},{"type":{"inward":"is cloned by"},"inwardIssue":{"key":"A-5","fields":{"summary":"Clone"}}},{"type":{}}]}`,
	`{"description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there","marks":[{"type":"strong"}]}]}]}}`,
	`{"summary":"a \"quoted\" \u00e9 word","status":{"Name":"Folded"},"priority":{"name":null},"assignee":{"displayName":""},"labels":["a",1,"b"],"updated":"2026-01-12T14:05:00Z"}`,
	`{"summary":5,"status":"Done","issuetype":[],"assignee":"alex","labels":"x","created":"yesterday","parent":null,"subtasks":null,"issuelinks":{},"description":null}`,
	`{"status":{"name":"a","name":"b"},"assignee":{"accountId":"x","accountId":"y","emailaddress":"e"},"reporter":{},"subtasks":[null,1,{"key":"K-1"}]}`,
	`{}`,
}

func TestIssueAgreesWithEncodingJSON(t *testing.T) {
	s := New(jira.NewClient(nil, "https://x.example", nil), nil)
	for i, raw := range issueFieldCases {
		var f map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkIssue(t, s, jira.Issue{ID: "1", Key: "A-" + strconv.Itoa(i), Fields: f})
		checkIssue(t, s.Markdown(), jira.Issue{ID: "1", Key: "A-" + strconv.Itoa(i), Fields: f})
	}
	for _, ep := range [][2]string{{http.MethodPost, "/rest/api/3/search/jql"}, {http.MethodPost, "/rest/api/3/issue/bulkfetch"},
		{http.MethodGet, "/rest/api/3/issue/{issueIdOrKey}"}} {
		name, page := ep[0]+" "+ep[1], openapitest.Example(t, ep[0], ep[1])
		var p struct{ Issues []jira.Issue }
		if err := json.Unmarshal(page, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(p.Issues) == 0 { // GET issue/{key}: one issue
			p.Issues = []jira.Issue{{}}
			_ = json.Unmarshal(page, &p.Issues[0])
		}
		for _, is := range p.Issues {
			if len(is.Fields) == 0 {
				t.Fatalf("%s: an issue without fields", name)
			}
			checkIssue(t, s, is)
		}
	}
}

// The sandbox's issues, read the fast way end to end, are what
// encoding/json made of them: a listing's page and a view's issues.
func TestSandboxIssuesReadAsByEncodingJSON(t *testing.T) {
	sb := emulatortest.Start(t, emulator.Options{Seed: emulator.SeedWithIssues(100)})
	auth := jira.BasicAuth{Email: sb.You().Email, Token: tm.Secret(sb.You().ClassicToken)}
	c := jira.NewClient(nil, sb.URL, auth)
	s := New(c, nil)
	ctx := context.Background()
	keys := []string{"SPACE2-1", "SPACE2-2", "SPACE2-3", "SPACE2-5"}
	for i := range 96 {
		keys = append(keys, "SPACE2-"+strconv.Itoa(101+i))
	}
	got, err := s.Issues(ctx, keys)
	if err != nil || len(got) != len(keys) {
		t.Fatalf("%d issues, %v", len(got), err)
	}
	req, _ := json.Marshal(map[string]any{"issueIdsOrKeys": keys, "fields": ListFields})
	page, err := c.Raw(ctx, http.MethodPost, "issue/bulkfetch", req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Issues []jira.Issue }
	if err := json.Unmarshal(page, &p); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]jira.Issue{}
	for _, is := range p.Issues {
		byKey[is.Key] = is
	}
	for i, k := range keys {
		if want := s.issueByEncodingJSON(byKey[k]); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("%s read as\n%+v\nencoding/json:\n%+v", k, got[i], want)
		}
	}
	for _, k := range keys[:4] { // a parent, a subtask, labels, descriptions, comments
		got, err := s.Get(ctx, k, 5)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := c.Raw(ctx, http.MethodGet, "issue/"+k+"?fields="+strings.Join(viewFields, ",")+",comment", nil)
		if err != nil {
			t.Fatal(err)
		}
		var is jira.Issue
		if err := json.Unmarshal(raw, &is); err != nil {
			t.Fatal(err)
		}
		want := s.issueByEncodingJSON(is)
		got.Comments, got.CommentCount = nil, 0
		if !reflect.DeepEqual(got, want) || want.Summary == "" {
			t.Fatalf("%s read as\n%+v\nencoding/json:\n%+v", k, got, want)
		}
	}
}

func FuzzIssueAgreesWithEncodingJSON(f *testing.F) {
	for _, raw := range issueFieldCases {
		f.Add([]byte(raw))
	}
	s := New(jira.NewClient(nil, "https://x.example", nil), nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		var fields map[string]json.RawMessage
		if json.Unmarshal(b, &fields) != nil {
			return
		}
		checkIssue(t, s, jira.Issue{ID: "1", Key: "A-1", Fields: fields})
	})
}

func checkIssue(t *testing.T, s *Service, raw jira.Issue) {
	t.Helper()
	if got, want := s.issue(raw), s.issueByEncodingJSON(raw); !reflect.DeepEqual(got, want) {
		t.Fatalf("read as\n%+v\nencoding/json:\n%+v\nfrom %s", got, want, raw.Fields)
	}
}

// issueByEncodingJSON is how issue read the fields before they were read
// without reflection: each with json.Unmarshal. It is the answer issue
// must keep giving.
func (s *Service) issueByEncodingJSON(raw jira.Issue) tm.Issue {
	f := raw.Fields
	is := tm.Issue{Key: raw.Key, ID: raw.ID, URL: s.jira.BrowseURL(raw.Key), Labels: []string{}}
	_ = json.Unmarshal(f["summary"], &is.Summary)
	named := func(raw json.RawMessage) string {
		var v struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(raw, &v)
		return v.Name
	}
	person := func(raw json.RawMessage) *tm.Person {
		var u jira.User
		if json.Unmarshal(raw, &u) != nil || u.DisplayName == "" && u.AccountID == "" && u.Name == "" {
			return nil
		}
		return &tm.Person{Name: u.DisplayName, AccountID: u.AccountID, Username: u.Name, Email: u.EmailAddress}
	}
	ref := func(raw json.RawMessage) tm.IssueRef {
		var v struct {
			Key    string `json:"key"`
			Fields struct {
				Summary string          `json:"summary"`
				Status  json.RawMessage `json:"status"`
			} `json:"fields"`
		}
		_ = json.Unmarshal(raw, &v)
		return tm.IssueRef{Key: v.Key, Summary: v.Fields.Summary, Status: named(v.Fields.Status)}
	}
	jiraTime := func(raw json.RawMessage) time.Time {
		var s string
		_ = json.Unmarshal(raw, &s)
		return parseTime(s)
	}
	is.Status = named(f["status"])
	is.Type = named(f["issuetype"])
	is.Priority = named(f["priority"])
	is.Assignee = person(f["assignee"])
	is.Reporter = person(f["reporter"])
	_ = json.Unmarshal(f["labels"], &is.Labels)
	if is.Labels == nil {
		is.Labels = []string{}
	}
	is.Created = jiraTime(f["created"])
	is.Updated = jiraTime(f["updated"])
	if p := ref(f["parent"]); p.Key != "" {
		is.Parent = &p
	}
	var subs []json.RawMessage
	_ = json.Unmarshal(f["subtasks"], &subs)
	for _, sub := range subs {
		is.Subtasks = append(is.Subtasks, ref(sub))
	}
	var links []issueLink
	_ = json.Unmarshal(f["issuelinks"], &links)
	for _, l := range links {
		if len(l.Outward) > 0 {
			is.Links = append(is.Links, tm.IssueLink{Relation: l.Type.Outward, Issue: ref(l.Outward)})
		} else if len(l.Inward) > 0 {
			is.Links = append(is.Links, tm.IssueLink{Relation: l.Type.Inward, Issue: ref(l.Inward)})
		}
	}
	if d := f["description"]; len(d) > 0 && string(d) != "null" {
		var w string
		if json.Unmarshal(d, &w) == nil {
			is.Description = strings.TrimSpace(w)
		} else {
			is.Description = s.text(d) // ADF: the renderer's, unchanged
		}
	}
	return is
}

// TestIssueSeen: issues read through a listing's remembered values are
// the issues read alone, whatever repeats, whatever fails to decode, and
// past the number of values remembered; no two share a Person.
func TestIssueSeen(t *testing.T) {
	s := New(jira.NewClient(nil, "https://x.example", nil), nil)
	users := []string{
		`{"accountId":"5b10a","displayName":"Alex Morgan","emailAddress":"alex@example.com","avatarUrls":{"48x48":"https://x.example/a.png"}}`,
		`{"name":"sam","displayName":"Sam"}`, `{"displayName":""}`, `null`, `{"displayName":"Es\u0063aped"}`, `{"displayName":1}`, `[`,
	}
	statuses := []string{`{"name":"To Do","statusCategory":{"name":"New"}}`, `{"name":"Done"}`, `null`, `{"name":null}`, `{"Name":"Case"}`, `"x"`, `{`}
	seen := newSeenValues()
	var people []*tm.Person
	for i := range 3 * maxSeen {
		status := statuses[i%len(statuses)]
		if i >= maxSeen {
			status = fmt.Sprintf(`{"name":"Status %d"}`, i) // more than are remembered
		}
		fields := map[string]json.RawMessage{"summary": json.RawMessage(`"s"`), "status": json.RawMessage(status),
			"issuetype": json.RawMessage(statuses[(i+1)%len(statuses)]), "assignee": json.RawMessage(users[i%len(users)]),
			"reporter": json.RawMessage(users[(i+3)%len(users)])}
		if i%5 == 0 {
			delete(fields, "priority")
		} else {
			fields["priority"] = json.RawMessage(statuses[i%3])
		}
		raw := jira.Issue{ID: strconv.Itoa(10000 + i), Key: "SPACE2-" + strconv.Itoa(i), Fields: fields}
		got, want := s.issueSeen(raw, seen), s.issue(raw)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("issue %d:\n%+v\nwant\n%+v", i, got, want)
		}
		for _, p := range []*tm.Person{got.Assignee, got.Reporter} {
			if p != nil && slices.Contains(people, p) {
				t.Fatalf("issue %d shares a Person with an earlier one", i)
			}
			people = append(people, p)
		}
	}
	if len(seen.names) != maxSeen {
		t.Errorf("%d names remembered, want the most, %d", len(seen.names), maxSeen)
	}
}
