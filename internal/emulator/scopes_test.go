package emulator

import (
	"bytes"
	"os"
	"testing"

	"github.com/ticket-mate/tm/internal/emulator/internal/scopegen"
	"github.com/ticket-mate/tm/internal/openapitest"
)

// TestScopeTableInSync regenerates the scope table from the OpenAPI
// document and compares it with the committed file.
func TestScopeTableInSync(t *testing.T) {
	doc, err := os.ReadFile(openapitest.DocPath(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := scopegen.Generate(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("scopes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("scopes_gen.go is out of date with the OpenAPI document; run: go generate ./internal/emulator")
	}
}

func TestScopesSatisfy(t *testing.T) {
	cases := []struct {
		op   string
		have []string
		ok   bool
	}{
		{"GET /rest/api/3/myself", []string{"read:jira-user"}, true},
		{"GET /rest/api/3/myself", []string{"read:jira-work"}, false},
		{"GET /rest/api/3/myself", []string{"read:user:jira", "read:group:jira", "read:application-role:jira", "read:avatar:jira"}, true},
		{"GET /rest/api/3/myself", []string{"read:user:jira"}, false},
		{"GET /rest/api/3/serverInfo", nil, true},
		{"POST /rest/api/3/issue", []string{"read:jira-work"}, false},
		{"POST /rest/api/3/issue", []string{"write:jira-work"}, true},
		{"GET /rest/api/3/priority/search", []string{"read:jira-work"}, false}, // only the security requirement names it
		{"GET /rest/api/3/priority/search", []string{"manage:jira-configuration"}, true},
		{"GET /rest/api/2/projects/picker", nil, true}, // not in the document
	}
	for _, tc := range cases {
		if got := scopesSatisfy(tc.op, tc.have); got != tc.ok {
			t.Errorf("%s with %v: %v, want %v", tc.op, tc.have, got, tc.ok)
		}
	}
}

func TestDefaultSeedIsValid(t *testing.T) {
	if _, err := ParseSeed(defaultSeedJSON); err != nil {
		t.Fatal(err)
	}
}
