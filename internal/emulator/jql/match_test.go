package jql_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/emulator/jql"
)

// issue is the in-memory shape the emulator is expected to present.
type issue map[string][]string

func (i issue) Field(name string) []string { return i[name] }

var now = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

func fixture() map[string]issue {
	return map[string]issue{
		"SPACE2-1": {
			"key": {"SPACE2-1"}, "id": {"10001"}, "project": {"SPACE2", "10000", "Space Two"},
			"status": {"To Do", "1"}, "statusCategory": {"new"}, "issuetype": {"Task", "10002"},
			"priority": {"High", "2"}, "assignee": {"acc-alice"}, "reporter": {"acc-bob"}, "creator": {"acc-bob"},
			"labels": {"backend", "Urgent"}, "summary": {"Login fails after password reset"},
			"description": {"Users report testing the reset flow breaks sessions."},
			"comment":     {"Reproduced on staging.", "Fix is in review"},
			"created":     {"2024-03-14T09:30:00.000+0000"}, "updated": {"2024-03-15T11:50:00Z"},
			"duedate": {"2024-03-20"}, "customfield_10011": {"5"},
		},
		"SPACE2-10": {
			"key": {"SPACE2-10", "OLD-3"}, "id": {"10010"}, "project": {"SPACE2", "10000", "Space Two"},
			"status": {"Done", "3"}, "statusCategory": {"done"}, "issuetype": {"Bug", "10001"},
			"priority": {"Lowest", "5"}, "reporter": {"acc-alice"}, "creator": {"acc-alice"},
			"resolution": {"Done", "10000"}, "summary": {"Typo in footer"},
			"parent":  {"SPACE2-1", "10001"},
			"created": {"2024-01-02T15:04:00Z"}, "updated": {"2024-02-01T00:00:00Z"},
		},
		"OPS-2": {
			"key": {"OPS-2"}, "id": {"20002"}, "project": {"OPS", "10100", "Operations"},
			"status": {"In Progress", "3"}, "statusCategory": {"indeterminate"}, "issuetype": {"Task", "10002"},
			"priority": {"Highest", "1"}, "assignee": {"acc-bob"}, "reporter": {"acc-bob"}, "creator": {"acc-bob"},
			"labels": {"urgent"}, "summary": {"Rotate the database password"},
			"created": {"2024-03-10T08:00:00Z"}, "updated": {"2024-03-15T11:59:30Z"},
			"customfield_10011": {"13"},
		},
	}
}

func TestMatch(t *testing.T) {
	issues := fixture()
	env := jql.Env{
		CurrentAccountID: "acc-alice",
		Now:              now,
		ResolveUser: func(s string) (string, bool) {
			switch strings.ToLower(s) {
			case "alice@example.com", "alice adams", "acc-alice":
				return "acc-alice", true
			case "acc-bob":
				return "acc-bob", true
			}
			return "", false
		},
	}
	tests := []struct {
		jql  string
		want string // matching keys, sorted, comma-separated
	}{
		{"project = space2", "SPACE2-1,SPACE2-10"},
		{"project = 10100", "OPS-2"},
		{`project = "Space Two"`, "SPACE2-1,SPACE2-10"},
		{"project != SPACE2", "OPS-2"},
		{"project in (OPS, nope)", "OPS-2"},
		{"key = space2-1", "SPACE2-1"},
		{"key = OLD-3", "SPACE2-10"},
		{"issuekey = 20002", "OPS-2"},
		{"id = SPACE2-10", "SPACE2-10"},
		{"key > SPACE2-2", "SPACE2-10"},
		{"key <= SPACE2-10", "SPACE2-1,SPACE2-10"},
		{"id >= 10010", "OPS-2,SPACE2-10"},
		{`status = "to do"`, "SPACE2-1"},
		{"status in (Done, 'In Progress')", "OPS-2,SPACE2-10"},
		{"statusCategory = Done", "SPACE2-10"},
		{`statusCategory in ("To Do", 4)`, "OPS-2,SPACE2-1"},
		{"statusCategory != done", "OPS-2,SPACE2-1"},
		{"assignee = currentUser()", "SPACE2-1"},
		{`assignee = "alice@example.com"`, "SPACE2-1"},
		{`reporter = "Alice Adams"`, "SPACE2-10"},
		// != never matches an empty field, as in Jira.
		{"assignee != currentUser()", "OPS-2"},
		{"assignee is EMPTY", "SPACE2-10"},
		{"assignee = EMPTY", "SPACE2-10"},
		{"assignee in (EMPTY, acc-bob)", "OPS-2,SPACE2-10"},
		{"NOT assignee = acc-bob", "SPACE2-1,SPACE2-10"},
		{"labels = urgent", "OPS-2"},
		{"labels = Urgent", "SPACE2-1"},
		{"labels not in (backend)", "OPS-2"},
		{"labels is not empty", "OPS-2,SPACE2-1"},
		{"type = bug", "SPACE2-10"},
		{"issuetype in (10002)", "OPS-2,SPACE2-1"},
		{"priority = highest OR priority = 5", "OPS-2,SPACE2-10"},
		{"resolution = Unresolved", "OPS-2,SPACE2-1"},
		{"resolution is not empty", "SPACE2-10"},
		{"parent = SPACE2-1", "SPACE2-10"},
		{"parent in (10001)", "SPACE2-10"},
		{"summary ~ password", "OPS-2,SPACE2-1"},
		{"summary ~ PASSWORD", "OPS-2,SPACE2-1"},
		{"summary ~ 'pass*'", "OPS-2,SPACE2-1"},
		{"summary ~ pass", ""},
		{`summary ~ "login reset"`, "SPACE2-1"},
		{`summary ~ "\"reset password\""`, ""},
		{`summary ~ "\"password reset\""`, "SPACE2-1"},
		{"summary ~ fail", "SPACE2-1"},
		{"summary !~ password", "SPACE2-10"},
		{"description ~ test", "SPACE2-1"},
		{"description is empty", "OPS-2,SPACE2-10"},
		{"comment ~ staging", "SPACE2-1"},
		{"text ~ review", "SPACE2-1"},
		{`text ~ "sessions review"`, "SPACE2-1"},
		{"text ~ the", ""},
		{"created >= -2d", "SPACE2-1"},
		{"created > -1w", "OPS-2,SPACE2-1"},
		{`created < "2024-01-03"`, "SPACE2-10"},
		{`created = "2024-01-02 15:04"`, "SPACE2-10"},
		{`created > "2024/03/10 08:00"`, "SPACE2-1"},
		{`updated >= -30m`, "OPS-2,SPACE2-1"},
		{`updated >= -1h AND updated < "2024-03-15 11:55"`, "SPACE2-1"},
		{"updated > startOfDay()", "OPS-2,SPACE2-1"},
		{"created >= startOfMonth() AND created < startOfDay(-1)", "OPS-2"},
		{"created <= endOfDay(-1)", "OPS-2,SPACE2-1,SPACE2-10"},
		{"created > startOfWeek()", "OPS-2,SPACE2-1"}, // weeks start on Sunday, 2024-03-10
		{"created < startOfWeek()", "SPACE2-10"},
		{"created > startOfYear() and created < endOfYear()", "OPS-2,SPACE2-1,SPACE2-10"},
		{"duedate <= 2024-03-20", "SPACE2-1"},
		{"duedate is empty", "OPS-2,SPACE2-10"},
		{"created > 1709856000000", "OPS-2,SPACE2-1"},
		{"cf[10011] > 7", "OPS-2"},
		{"customfield_10011 in (5)", "SPACE2-1"},
		{"cf[10011] is empty", "SPACE2-10"},
		{"project = SPACE2 AND (status = Done OR labels = backend) AND NOT type = Task", "SPACE2-10"},
		{"project = OPS OR project = SPACE2 AND status = Done", "OPS-2,SPACE2-10"},
		{"order by key", "OPS-2,SPACE2-1,SPACE2-10"},
	}
	for _, tt := range tests {
		t.Run(tt.jql, func(t *testing.T) {
			q, err := jql.Parse(tt.jql)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for key, is := range issues {
				if q.Match(is, env) {
					got = append(got, key)
				}
			}
			slices.Sort(got)
			if s := strings.Join(got, ","); s != tt.want {
				t.Errorf("matched %q, want %q", s, tt.want)
			}
		})
	}
}

func TestMatchAnonymousCurrentUser(t *testing.T) {
	q, err := jql.Parse("assignee = currentUser() OR reporter = currentUser()")
	if err != nil {
		t.Fatal(err)
	}
	for key, is := range fixture() {
		if q.Match(is, jql.Env{Now: now}) {
			t.Errorf("anonymous currentUser() matched %s", key)
		}
	}
}

func TestCompare(t *testing.T) {
	issues := fixture()
	issues["SPACE2-2"] = issue{"key": {"SPACE2-2"}, "id": {"10002"}, "project": {"SPACE2"}, "priority": {"Medium", "3"},
		"created": {"2024-03-01T00:00:00Z"}, "summary": {"alpha"}}
	tests := []struct {
		order string
		want  string
	}{
		{"key", "OPS-2,SPACE2-1,SPACE2-2,SPACE2-10"},
		{"key DESC", "SPACE2-10,SPACE2-2,SPACE2-1,OPS-2"},
		{"priority DESC", "OPS-2,SPACE2-1,SPACE2-2,SPACE2-10"},
		{"created ASC", "SPACE2-10,SPACE2-2,OPS-2,SPACE2-1"},
		{"summary", "SPACE2-2,SPACE2-1,OPS-2,SPACE2-10"},
		// Empty values sort last ascending, first descending.
		{"assignee, key", "SPACE2-1,OPS-2,SPACE2-2,SPACE2-10"},
		{"assignee DESC, key", "SPACE2-2,SPACE2-10,OPS-2,SPACE2-1"},
		{"cf[10011] DESC, key DESC", "SPACE2-10,SPACE2-2,OPS-2,SPACE2-1"},
		{"project, key DESC", "OPS-2,SPACE2-10,SPACE2-2,SPACE2-1"},
	}
	for _, tt := range tests {
		q, err := jql.Parse("project is not empty ORDER BY " + tt.order)
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"SPACE2-10", "OPS-2", "SPACE2-2", "SPACE2-1"}
		slices.SortStableFunc(keys, func(a, b string) int { return jql.Compare(issues[a], issues[b], q.OrderBy()) })
		if got := strings.Join(keys, ","); got != tt.want {
			t.Errorf("ORDER BY %s: %s, want %s", tt.order, got, tt.want)
		}
	}
}
