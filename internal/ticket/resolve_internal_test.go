package ticket

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

var teamTypes = []jira.IssueTypeMeta{
	{ID: "10010", Name: "Task"}, {ID: "10011", Name: "Epic"},
	{ID: "10012", Name: "Subtask", Subtask: true}, {ID: "10013", Name: "Bug"}, {ID: "10099", Name: "bug"},
}

func TestPickType(t *testing.T) {
	for _, tc := range []struct {
		name       string
		withParent bool
		wantID     string
		wantErr    string
		wantValid  []string
	}{
		{"", false, "10010", "", nil},
		{"bug", false, "10013", "", nil}, // a name Jira repeats: the first stands for it
		{"BUG", false, "10013", "", nil},
		{"10011", false, "10011", "", nil},
		{"Subtask", true, "10012", "", nil},
		{"subtask", false, "", "Subtask is a sub-task type: give the parent issue's key, or choose another type", []string{"Task", "Epic", "Bug"}},
		{"Spaceship", false, "", `TEAM has no issue type "Spaceship"`, []string{"Task", "Epic", "Bug"}},
		{"Spaceship", true, "", `TEAM has no issue type "Spaceship"`, []string{"Task", "Epic", "Subtask", "Bug"}},
	} {
		got, err := pickType(teamTypes, "TEAM", tc.name, tc.withParent)
		if tc.wantErr != "" {
			var te *tm.Error
			var d *Detail
			if !errors.As(err, &te) || te.Message != tc.wantErr || !errors.As(err, &d) || d.Field != "type" || !slices.Equal(d.Valid, tc.wantValid) {
				t.Errorf("pickType(%q, parent %v): %v, want %q listing %v", tc.name, tc.withParent, err, tc.wantErr, tc.wantValid)
			}
			continue
		}
		if err != nil || got.ID != tc.wantID {
			t.Errorf("pickType(%q, parent %v) = %s, %v; want %s", tc.name, tc.withParent, got.ID, err, tc.wantID)
		}
	}
	// Default: the first type when there is no Task; none at all is a
	// permission problem, not a choice.
	if got, _ := pickType(teamTypes[1:], "TEAM", "", false); got.ID != "10011" {
		t.Errorf("default without Task: %s", got.ID)
	}
	if _, err := pickType(nil, "OPS", "Task", false); tm.ErrorCode(err) != tm.EFORBIDDEN || !strings.Contains(err.Error(), "Jira offers you no issue types in OPS") {
		t.Errorf("no types: %v", err)
	}
}

func TestPickAllowed(t *testing.T) {
	f := jira.FieldMeta{FieldID: "priority", Name: "Priority",
		AllowedValues: []jira.AllowedValue{{ID: "1", Name: "Highest"}, {ID: "2", Name: "High"}}}
	if v, err := pickAllowed(f, "priority", "high", "Bug", "TEAM"); err != nil || v.ID != "2" {
		t.Errorf("high: %v %v", v, err)
	}
	_, err := pickAllowed(f, "priority", "Urgent", "Bug", "TEAM")
	var d *Detail
	if want := `"Urgent" is not a valid Priority of Bug issues in TEAM`; err == nil || !strings.HasPrefix(err.Error(), want) ||
		!errors.As(err, &d) || d.Field != "priority" || !slices.Equal(d.Valid, []string{"Highest", "High"}) || d.Example != "Highest" {
		t.Errorf("Urgent: %v, want %q", err, want)
	}
}

// FuzzPickType: whatever the name, the answer is a selectable type that
// matches it, or an error that lists every selectable type.
func FuzzPickType(f *testing.F) {
	for _, s := range []string{"", "Task", "tASK", "Subtask", "10012", "ß", "bug\x00", strings.Repeat("x", 300)} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, name string, withParent bool) {
		ok := selectableTypes(teamTypes, withParent)
		got, err := pickType(teamTypes, "TEAM", name, withParent)
		if err != nil {
			var d *Detail
			var te *tm.Error
			if !errors.As(err, &d) || len(d.Valid) != len(ok) || !errors.As(err, &te) {
				t.Fatalf("%q: %v does not list the %d valid types", name, err, len(ok))
			}
			if utf8.ValidString(name) && len(te.Message) > 200 {
				t.Fatalf("%q: message of %d bytes", name, len(te.Message))
			}
			return
		}
		if !slices.Contains(ok, got) {
			t.Fatalf("%q: picked %+v, not selectable", name, got)
		}
		if name != "" && !strings.EqualFold(got.Name, name) && got.ID != name {
			t.Fatalf("%q: picked %+v", name, got)
		}
	})
}

// TestPickTypeRemembered: the rows of a bulk create share their choices of
// type, kept apart by project, name and parent: each row gets what
// pickType gives it, whichever rows came first.
func TestPickTypeRemembered(t *testing.T) {
	picks := typePicks{}
	projects := map[string][]jira.IssueTypeMeta{"TEAM": teamTypes, "OPS": teamTypes[1:]}
	for range 2 { // the second time, every answer comes from picks
		for _, project := range []string{"TEAM", "OPS"} {
			r := &resolver{project: project, types: projects[project], picks: picks}
			for _, name := range []string{"", "Task", "bug", "10011", "Subtask", "Spaceship"} {
				for _, withParent := range []bool{false, true} {
					want, werr := pickType(projects[project], project, name, withParent)
					got, ref, err := r.pickType(name, withParent)
					if got != want || fmt.Sprint(err) != fmt.Sprint(werr) {
						t.Errorf("%s %q parent %v: %+v, %v; want %+v, %v", project, name, withParent, got, err, want, werr)
					}
					if (err == nil) != (ref != nil) || ref != nil && (len(ref) != 1 || ref["id"] != want.ID) {
						t.Errorf("%s %q parent %v: reference %v for %+v", project, name, withParent, ref, want)
					}
				}
			}
		}
	}
	if len(picks) != 2*6*2 {
		t.Errorf("%d choices kept, want %d", len(picks), 2*6*2)
	}
}
