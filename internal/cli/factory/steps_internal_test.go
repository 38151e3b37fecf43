package factory

import (
	"net/http/httptest"
	"testing"
)

func TestStepNames(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/rest/api/3/issue/createmeta/SPACE2/issuetypes", "Reading SPACE2's create screen…"},
		{"GET", "/rest/api/3/issue/createmeta/OPS/issuetypes/10001", "Reading OPS's create screen…"},
		{"POST", "/rest/api/3/issue", "Creating ticket…"},
		{"GET", "/rest/api/3/myself", "Checking who you are…"},
		{"GET", "/rest/api/3/mypermissions", "Checking permissions…"},
		{"GET", "/rest/api/3/project/search", "Listing projects…"},
		{"POST", "/rest/api/3/search/jql", "Searching…"},
		{"GET", "/rest/api/3/issue/SPACE2-7", "Reading SPACE2-7…"},
		{"GET", "/rest/api/3/serverInfo", ""},
	} {
		if got := stepFor(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
}
