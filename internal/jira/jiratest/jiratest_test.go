package jiratest_test

import (
	"testing"

	"github.com/ticket-mate/tm/internal/jira/jiratest"
)

func TestDocumented(t *testing.T) {
	for _, tc := range []struct {
		finding string
		want    bool
	}{
		{`openapi: response 401 to GET /rest/api/3/mypermissions does not match getMyPermissions: response header Content-Type has unexpected value: "text/plain;charset=UTF-8"`, false},
		{`openapi: response 401 to POST /ex/jira/x/rest/api/3/issue does not match createIssue: response body doesn't match schema #/components/schemas/ErrorCollection: property "code" is unsupported`, false},
		{`openapi: response 404 to GET /rest/api/3/issue/createmeta/NOPE/issuetypes does not match getCreateIssueMetaIssueTypes: status is not supported`, false},
		{`openapi: response 404 to GET /rest/api/3/project/X does not match getProject: status is not supported`, true},
		{`openapi: request POST /rest/api/3/issue does not match createIssue: request body has an error`, true},
		{`openapi: response 400 to POST /rest/api/3/issue does not match createIssue: property "code" is unsupported`, true},
	} {
		if got := jiratest.Documented(tc.finding); got != tc.want {
			t.Errorf("Documented(%.60q…) = %v, want %v", tc.finding, got, tc.want)
		}
	}
}
