package ticket

import "testing"

func TestQueryUnfiltered(t *testing.T) {
	if !(Query{JQL: "  ", Limit: 5, All: true, Fields: []string{"summary"}}).Unfiltered() {
		t.Error("a query with only paging and fields counts as filtered")
	}
	for name, q := range map[string]Query{
		"jql": {JQL: "status = Done"}, "project": {Project: "OPS"}, "assignee": {Assignee: "me"},
		"status": {Status: []string{"Done"}}, "type": {Type: []string{"Bug"}}, "label": {Label: []string{"x"}}, "text": {Text: "login"},
	} {
		if q.Unfiltered() {
			t.Errorf("%s: counted as unfiltered", name)
		}
	}
}
