package emulator_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator"
)

// REST v2 on Cloud: same operations, wiki markup instead of ADF, name and
// key present but empty. The document covers only v3, so these go unchecked.
func TestCloudV2(t *testing.T) {
	s := start(t, emulator.Options{})
	you := s.You()
	c := rawClient(t, s.URL, basic(you.Email, you.ClassicToken))
	r := c.do("POST", "/rest/api/2/issue", spaceTask(m{"description": "Steps:\n# open *tm*\n# run it"}))
	want(t, r, 201)
	key := r.obj(t)["key"].(string)

	var v2 struct {
		Fields struct {
			Description string
			Reporter    struct{ AccountID, Name, Key string }
		}
	}
	r = c.get("/rest/api/2/issue/" + key + "?fields=description,reporter")
	want(t, r, 200)
	r.json(t, &v2)
	if !strings.Contains(v2.Fields.Description, "*tm*") || !strings.Contains(v2.Fields.Description, "# open") {
		t.Errorf("v2 description = %q", v2.Fields.Description)
	}
	if v2.Fields.Reporter.AccountID != you.AccountID || v2.Fields.Reporter.Name != "" || !strings.Contains(string(r.body), `"name":""`) {
		t.Errorf("v2 reporter = %s", r.body)
	}
	// The same issue on v3 is ADF with a strong mark and an ordered list.
	v3 := c.get("/rest/api/3/issue/" + key + "?fields=description")
	if body := string(v3.body); !strings.Contains(body, `"orderedList"`) || !strings.Contains(body, `"strong"`) {
		t.Errorf("v3 description = %s", body)
	}
	wantError(t, c.do("POST", "/rest/api/2/issue", spaceTask(m{"description": adf("x")})), 400, "Operation value must be a string")
	r = c.do("POST", "/rest/api/2/issue/"+key+"/comment", m{"body": "a _wiki_ comment"})
	want(t, r, 201)
	if r.obj(t)["body"] != "a _wiki_ comment" {
		t.Errorf("v2 comment = %s", r.body)
	}
	// v2 search is gone on Cloud too.
	wantError(t, c.get("/rest/api/2/search?jql=project=SPACE2"), 410, "CHANGE-2046")
}
