package emulator_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/ticket-mate/tm/internal/openapitest"
)

// contractOps are the operations of the wire contract the sandbox serves;
// the suite must send each of them through the validating transport.
var contractOps = []string{
	"GET /rest/api/3/myself",
	"GET /rest/api/3/serverInfo",
	"GET /rest/api/3/project/search",
	"GET /rest/api/3/project",
	"GET /rest/api/3/project/{projectIdOrKey}",
	"GET /rest/api/3/mypermissions",
	"POST /rest/api/3/issue",
	"POST /rest/api/3/issue/bulk",
	"GET /rest/api/3/issue/{issueIdOrKey}",
	"PUT /rest/api/3/issue/{issueIdOrKey}",
	"GET /rest/api/3/issue/{issueIdOrKey}/transitions",
	"POST /rest/api/3/issue/{issueIdOrKey}/transitions",
	"GET /rest/api/3/issue/{issueIdOrKey}/comment",
	"POST /rest/api/3/issue/{issueIdOrKey}/comment",
	"PUT /rest/api/3/issue/{issueIdOrKey}/assignee",
	"GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes",
	"GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}",
	"GET /rest/api/3/field",
	"GET /rest/api/3/issuetype",
	"GET /rest/api/3/priority",
	"GET /rest/api/3/priority/search",
	"GET /rest/api/3/user/search",
	"GET /rest/api/3/user/assignable/search",
	"GET /rest/api/3/search/jql",
	"POST /rest/api/3/search/jql",
	"POST /rest/api/3/search/approximate-count",
	// What hangs off an issue, and the resolutions.
	"DELETE /rest/api/3/issue/{issueIdOrKey}",
	"GET /rest/api/3/issue/{issueIdOrKey}/editmeta",
	"GET /rest/api/3/issue/{issueIdOrKey}/watchers",
	"POST /rest/api/3/issue/{issueIdOrKey}/watchers",
	"DELETE /rest/api/3/issue/{issueIdOrKey}/watchers",
	"GET /rest/api/3/issue/{issueIdOrKey}/worklog",
	"POST /rest/api/3/issue/{issueIdOrKey}/worklog",
	"GET /rest/api/3/issue/{issueIdOrKey}/remotelink",
	"POST /rest/api/3/issue/{issueIdOrKey}/remotelink",
	"POST /rest/api/3/issueLink",
	"GET /rest/api/3/issueLink/{linkId}",
	"DELETE /rest/api/3/issueLink/{linkId}",
	"GET /rest/api/3/issueLinkType",
	"GET /rest/api/3/issueLinkType/{issueLinkTypeId}",
	"GET /rest/api/3/resolution",
	"GET /rest/api/3/project/{projectIdOrKey}/versions",
	"GET /rest/api/3/project/{projectIdOrKey}/components",
	"POST /rest/api/3/issue/bulkfetch",
}

// TestMain checks, after a full run, that every contract operation went
// through the OpenAPI-validating transport at least once.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	full := flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == ""
	if code == 0 && full && len(openapitest.Exercised()) > 0 {
		if missing := openapitest.Missing(contractOps); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: operations never validated against the OpenAPI document: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}
