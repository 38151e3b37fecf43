package emulator

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// TestProjectSummaryShape: the struct that project/search encodes on Cloud
// writes exactly the JSON of the general project shape, for every project
// of the seed (company- and team-managed, private or not).
func TestProjectSummaryShape(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := httptest.NewRequest("GET", "http://sandbox.test/rest/api/3/project/search", nil)
	c := &call{e: e, r: r, site: e.sites[0], ver: "3"}
	if len(c.site.projects) < 2 {
		t.Fatal("the seed has fewer than two projects")
	}
	for _, p := range c.site.projects {
		want, err := json.Marshal(c.projectObj(p, nil, false))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(c.projectSummary(p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", p.Key, got, want)
		}
	}
}
