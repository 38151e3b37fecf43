package jql_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/jql"
)

const ops = " The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."

func TestParseErrors(t *testing.T) {
	const p = "Error in the JQL Query: "
	tests := []struct {
		jql, msg string
		pos      int // byte offset the error points at
	}{
		// Syntax errors, in the wording and positions of Jira's own parser tests.
		{"project foo", p + "Expecting operator but got 'foo'." + ops + " (line 1, character 9)", 8},
		{"a", p + "Expecting operator before the end of the query." + ops, 1},
		{"a blah >", p + "Expecting operator but got 'blah'." + ops + " (line 1, character 3)", 2},
		{"a =a and j not is empty", p + "Expecting 'IN' but got 'is'. (line 1, character 16)", 15},
		{"a =a and j is ! empty", p + "Expecting 'NOT' but got '!'. (line 1, character 15)", 14},
		{"comment ~ 'test", p + "The quoted string 'test' has not been completed. (line 1, character 11)", 10},
		{"comment ~ 'test\n", p + "The quoted string 'test ' has not been completed. (line 1, character 11)", 10},
		{"priority=\"test\nword", p + "The quoted string 'test word' has not been completed. (line 1, character 10)", 9},
		{"comment ~ '", p + "The quoted string has not been completed. (line 1, character 11)", 10},
		{`comme\unt ~ 'test`, p + `'\un' is an illegal JQL escape sequence. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 1, character 6)`, 5},
		{`status = \c`, p + `'\c' is an illegal JQL escape sequence. The valid escape sequences are \', \", \t, \n, \r, \\, '\ ' and \uXXXX. (line 1, character 10)`, 9},
		{"mine{www = qwwr", p + `The character '{' is a reserved JQL character. You must enclose it in a string or use the escape '\u007b' instead. (line 1, character 5)`, 4},
		{"minewww# = qwwr", p + `The character '#' is a reserved JQL character. You must enclose it in a string or use the escape '\u0023' instead. (line 1, character 8)`, 7},
		{"assignee = bob@example.com", p + `The character '@' is a reserved JQL character. You must enclose it in a string or use the escape '\u0040' instead. (line 1, character 15)`, 14},
		{"minewww =\u007fqwwr", p + `The character 'U+007F' on line 1 at position 10 must be escaped. Use the escape '\u007f' instead. (line 1, character 10)`, 9},
		{"aaaaa=-3482094382084092840932809482", p + "'-3482094382084092840932809482' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807. (line 1, character 7)", 6},
		{"cf[1002020202002020202020202020020202822]=a", p + "'1002020202002020202020202020020202822' is not a valid number. Numbers must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807. (line 1, character 4)", 3},
		{"a =b order", p + "Expecting 'by' before the end of the query.", 10},
		{"a =b order summary", p + "Expecting 'by' but got 'summary'. (line 1, character 12)", 11},
		{"a =b order by", p + "Expecting a field name at the end of the query.", 13},
		{"a =b order by asc", p + "Expecting a field name but got 'asc'. You must surround 'asc' in quotation marks to use it as a field name. (line 1, character 15)", 14},
		{"a =b order by ajsks blah", p + "Expecting either 'ASC' or 'DESC' but got 'blah'. (line 1, character 21)", 20},
		{`a =b order by "" desc`, p + "A field name cannot be empty. (line 1, character 15)", 14},
		{"'' = c", p + "A field name cannot be empty. (line 1, character 1)", 0},
		{"a = ''()", p + "A function name cannot be empty. (line 1, character 5)", 4},
		{"cf", p + "Expecting '[' before the end of the query.", 2},
		{"a = b and not (cf = 6)", p + "Expecting '[' but got '='. (line 1, character 19)", 18},
		{"cf[", p + "Expecting a custom field id (a positive number) before the end of the query.", 3},
		{"cf[ = 9", p + "Expecting a custom field id (a positive number) but got '='. (line 1, character 5)", 4},
		{"cf[] = 1", p + "Expecting a custom field id (a positive number) but got ']'. (line 1, character 4)", 3},
		{"cf[29829k] = ", p + "Expecting a custom field id (a positive number) but got '29829k'. (line 1, character 4)", 3},
		{"cf[-29829] = ", p + "Expecting a custom field id (a positive number) but got '-29829'. (line 1, character 4)", 3},
		{"cf[29829 = world", p + "Expecting ']' but got '='. (line 1, character 10)", 9},
		{"cf[29829", p + "Expecting ']' before the end of the query.", 8},
		{"a = func(", p + "Expecting ')' before the end of the query.", 9},
		{"a = func(, and not (a = x)", p + "Expecting ')' but got ','. (line 1, character 10)", 9},
		{"b=func(bad", p + "Expecting ')' before the end of the query.", 10},
		{"bas=func(bad,)", p + "Function argument must be specified. (line 1, character 14)", 13},
		{"bas=func(bad,", p + "Expecting a function argument at the end of the query.", 13},
		{"k = func(!", p + "Expecting a function argument but got '!'. You must surround '!' in quotation marks to use it as an argument. (line 1, character 10)", 9},
		{"k = func(abc, jk!)", p + "Expecting ')' or ',' but got '!'. (line 1, character 17)", 16},
		{"(a=b and c = d", p + "Expecting ')' before the end of the query.", 14},
		{"a=b or (c=d and not l ~ kate", p + "Expecting ')' before the end of the query.", 28},
		{"b in ((12, (288)", p + "Expecting ')' before the end of the query.", 16},
		{"abc IN ((foo) abc = a", p + "Expecting ')' but got 'abc'. (line 1, character 15)", 14},
		{"a=", p + "Expecting either a value, list or function before the end of the query.", 2},
		{"a=!", p + "Expecting either a value, list or function but got '!'. You must surround '!' in quotation marks to use it as a value. (line 1, character 3)", 2},
		{"a=b c=d", p + "Expecting either 'OR' or 'AND' but got 'c'. (line 1, character 5)", 4},
		{"a=b !c=d", p + "Expecting either 'OR' or 'AND' but got '!'. (line 1, character 5)", 4},
		{"a=(a,", p + "Expecting either a value, list or function before the end of the query.", 5},
		{"a=(a,(,bad))", p + "Expecting either a value, list or function but got ','. You must surround ',' in quotation marks to use it as a value. (line 1, character 7)", 6},
		{"a = ((c,d), d, e, f, yyy) and", p + "Expecting a field name at the end of the query.", 29},
		{`comment !~ "brenden" jack = jill`, p + "Expecting either 'OR' or 'AND' but got 'jack'. (line 1, character 22)", 21},
		{`comment !~ "brenden" and cf[1000] = jill order by a desc b`, p + "Expecting ',' but got 'b'. (line 1, character 58)", 57},
		{", a = b", p + "Expecting a field name but got ','. You must surround ',' in quotation marks to use it as a field name. (line 1, character 1)", 0},
		{"order by a desc d", p + "Expecting ',' but got 'd'. (line 1, character 17)", 16},
		{"[brenden] = a", p + "Expecting a field name but got '['. Did you mean 'cf['? (line 1, character 1)", 0},
		{"a = brenden and [78] = q", p + "Expecting a field name but got '['. Did you mean 'cf['? (line 1, character 17)", 16},
		{"summary ~ set", p + "'set' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 11)", 10},
		{"project = IN", p + "Expecting either a value, list or function but got 'IN'. You must surround 'IN' in quotation marks to use it as a value. (line 1, character 11)", 10},
		{"project = A\nAND status = Done foo", p + "Expecting either 'OR' or 'AND' but got 'foo'. (line 2, character 19)", 30},
		{"status was Open", p + "History searches ('was') are not supported by the tm sandbox; search the current values instead. (line 1, character 8)", 7},

		// Checks after a successful parse: Jira's wording, no position suffix.
		{"xyz = 1", "Field 'xyz' does not exist or you do not have permission to view it.", 0},
		{`project = A AND "Story Points" = 3`, "Field 'Story Points' does not exist or you do not have permission to view it.", 16},
		{"project ~ ENG", "The operator '~' is not supported by the 'project' field.", 0},
		{"summary = x", "The operator '=' is not supported by the 'summary' field.", 0},
		{"Status is EMPTY", "The operator 'is' is not supported by the 'Status' field.", 0},
		{"assignee is bob", "The operator 'is' only supports the EMPTY and NULL operands; use '=' or 'IN' to compare with values.", 0},
		{"labels = (a, b)", "The operator '=' does not support multi-value operands; use 'IN' or 'NOT IN' with a list.", 0},
		{"status in (Open, EMPTY)", "The field 'status' does not support searching for EMPTY values.", 0},
		{`created > "yesterday"`, "Date value 'yesterday' for field 'created' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", 0},
		{"key = foo", "The issue key 'foo' for field 'key' is invalid.", 0},
		{"statusCategory = Finished", "The value 'Finished' does not exist for the field 'statusCategory'.", 0},
		{`summary ~ ""`, "The field 'summary' does not support searching for an empty string.", 0},
		{"assignee in membersOf(devs)", "The function 'membersOf' is not supported by the tm sandbox; list the users instead, e.g. assignee in (accountId1, accountId2).", 0},
		{"assignee = bogus()", "Unable to find JQL function 'bogus()'.", 0},
		{"created > currentUser()", "A value provided by the function 'currentUser' is invalid for the field 'created'.", 0},
		{"assignee = currentUser(x)", "Function 'currentUser' expected '0' arguments but received '1'.", 0},
		{`created > startOfDay("invalid")`, "Duration for function 'startOfDay' should have the format (+/-)n(yMwdm), e.g -1M for 1 month earlier.", 0},
		{"project = A ORDER BY nosuch", "Field 'nosuch' does not exist or you do not have permission to view it.", 21},
		{"project = A ORDER BY description", "Not able to sort using field 'description'.", 21},
		{"project = A ORDER BY key, issuekey", "The sort field 'issuekey' is referenced multiple times in the JQL sort.", 26},
		{"project = A ORDER BY key, id, status, priority, created, updated, duedate, summary", "The ORDER BY clause may list at most 7 fields; remove 'summary' and those after it.", 75},
	}
	for _, tt := range tests {
		t.Run(tt.jql, func(t *testing.T) {
			q, err := jql.Parse(tt.jql)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error %q", tt.jql, q, tt.msg)
			}
			var je *jql.Error
			if !errors.As(err, &je) {
				t.Fatalf("error %T is not *jql.Error", err)
			}
			if je.Message != tt.msg {
				t.Errorf("message\n got: %s\nwant: %s", je.Message, tt.msg)
			}
			if je.Pos != tt.pos {
				t.Errorf("pos = %d, want %d", je.Pos, tt.pos)
			}
		})
	}
}

func TestParseShapes(t *testing.T) {
	unbounded := []struct{ jql, want string }{
		{"", ""},
		{"   ", ""},
		{"order by key", "ORDER BY key ASC"},
		{"ORDER BY created DESC, key", "ORDER BY created DESC, key ASC"},
	}
	// NOT binds tighter than AND, AND tighter than OR; String keeps only the
	// parentheses that precedence needs.
	precedence := []struct{ jql, want string }{
		{"project = A OR status = B AND labels = C", `project = "A" OR status = "B" AND labels = "C"`},
		{"(project = A OR status = B) AND labels = C", `(project = "A" OR status = "B") AND labels = "C"`},
		{"NOT project = A AND status = B", `NOT project = "A" AND status = "B"`},
		{"NOT (project = A AND status = B)", `NOT (project = "A" AND status = "B")`},
		{"! project = A || status = B && labels = C", `NOT project = "A" OR status = "B" AND labels = "C"`},
		{"project = A AND (status = B AND (labels = C))", `project = "A" AND status = "B" AND labels = "C"`},
		{"((project = A))", `project = "A"`},
		{"not not project = A", `NOT NOT project = "A"`},
		{"PROJECT in (A, 'B c') AND Type = Bug and IssueKey > abc-1", `project IN ("A", "B c") AND issuetype = "Bug" AND key > "abc-1"`},
		{"cf[10011] >= 5 and customfield_10012 is not empty", `cf[10011] >= "5" AND cf[10012] IS NOT EMPTY`},
		{`summary ~ "say \"hi\"\n" and labels not in (x, (y, z))`, `summary ~ "say \"hi\"\n" AND labels NOT IN ("x", "y", "z")`},
		{"assignee = currentuser() and created >= startOfDay(-1d) and updated < now()", `assignee = currentUser() AND created >= startOfDay("-1d") AND updated < now()`},
		{"assignee is null OR priority = empty", `assignee IS EMPTY OR priority = EMPTY`},
		{"labels in (a) order by key desc", `labels IN ("a") ORDER BY key DESC`},
		{`labels = 'a\u0040b'`, `labels = "a@b"`},
	}
	for _, tt := range precedence {
		q, err := jql.Parse(tt.jql)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.jql, err)
			continue
		}
		if got := q.String(); got != tt.want {
			t.Errorf("Parse(%q).String()\n got: %s\nwant: %s", tt.jql, got, tt.want)
		}
	}
	for _, tt := range unbounded {
		q, err := jql.Parse(tt.jql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.jql, err)
		}
		if got := q.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.jql, got, tt.want)
		}
		if q.Bounded() {
			t.Errorf("Parse(%q).Bounded() = true; Jira rejects it as unbounded", tt.jql)
		}
	}
}

func TestPrecedenceTree(t *testing.T) {
	const src = "project = x OR NOT status = y AND labels = z"
	q, err := jql.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	or, ok := q.Where.(*jql.Or)
	if !ok || len(or.Terms) != 2 {
		t.Fatalf("root = %#v, want OR of two terms", q.Where)
	}
	and, ok := or.Terms[1].(*jql.And)
	if !ok || len(and.Terms) != 2 {
		t.Fatalf("right of OR = %#v, want AND", or.Terms[1])
	}
	if _, ok := and.Terms[0].(*jql.Not); !ok {
		t.Fatalf("left of AND = %#v, want NOT", and.Terms[0])
	}
	if c := or.Terms[0].(*jql.Clause); c.Pos != 0 || c.Field != "project" {
		t.Errorf("first clause = %+v", c)
	}
	if c := and.Terms[1].(*jql.Clause); c.Pos != strings.Index(src, "labels") {
		t.Errorf("labels clause at %d, want %d", c.Pos, strings.Index(src, "labels"))
	}
}

func TestQueryAccessors(t *testing.T) {
	q, err := jql.Parse(`project in (SPACE2, "Other") AND NOT project = GONE AND status = Done ORDER BY priority DESC, key`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(q.Projects(), ","), "SPACE2,Other,GONE"; got != want {
		t.Errorf("Projects() = %s, want %s", got, want)
	}
	if got, want := strings.Join(q.Fields(), ","), "project,status"; got != want {
		t.Errorf("Fields() = %s, want %s", got, want)
	}
	want := []jql.Sort{{Field: "priority", Desc: true}, {Field: "key"}}
	got := q.OrderBy()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("OrderBy() = %v, want %v", got, want)
	}
	if !q.Bounded() {
		t.Error("Bounded() = false for a restricted query")
	}
}

func TestCheckUsers(t *testing.T) {
	known := map[string]string{"alice@example.com": "acc-alice", "Alice Adams": "acc-alice", "acc-bob": "acc-bob"}
	env := jql.Env{ResolveUser: func(s string) (string, bool) { id, ok := known[s]; return id, ok }}
	q, err := jql.Parse(`assignee in ("alice@example.com", "Alice Adams") OR reporter = acc-bob`)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.CheckUsers(env); err != nil {
		t.Errorf("CheckUsers: %v", err)
	}
	q, err = jql.Parse(`project = A AND reporter = "carol@example.com"`)
	if err != nil {
		t.Fatal(err)
	}
	err = q.CheckUsers(env)
	var je *jql.Error
	if !errors.As(err, &je) || je.Message != "The value 'carol@example.com' does not exist for the field 'reporter'." || je.Pos != 16 {
		t.Errorf("CheckUsers = %#v", err)
	}
}
