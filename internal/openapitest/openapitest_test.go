package openapitest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps Errorf messages instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) Helper() {}

func TestDateTimeFormats(t *testing.T) {
	for _, ok := range []string{"2021-01-17T12:34:00.000+0000", "2021-01-17T12:34:00Z", "2021-01-17T12:34:00.5+01:00", "2021-01-17T12:34:00+0530"} {
		if err := jiraDateTime.Validate(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"2021-01-17", "17/01/2021 12:34", "2021-01-17T12:34:00.000+00"} {
		if err := jiraDateTime.Validate(bad); err == nil || !strings.Contains(err.Error(), "neither RFC 3339 nor Jira's") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}

func TestDocumentedPath(t *testing.T) {
	cases := []struct {
		in, out string
		ok      bool
	}{
		{"/rest/api/3/myself", "/rest/api/3/myself", true},
		{"/ex/jira/abc-123/rest/api/3/issue/X-1", "/rest/api/3/issue/X-1", true},
		{"/sites/eu/rest/api/3/field", "/rest/api/3/field", true},
		{"/rest/api/2/myself", "/rest/api/2/myself", false},
		{"/oauth/token", "/oauth/token", false},
	}
	for _, tc := range cases {
		if out, ok := documentedPath(tc.in); out != tc.out || ok != tc.ok {
			t.Errorf("%s: %s %v", tc.in, out, ok)
		}
	}
}

// stub answers with a fixed status and body: these tests are about the
// validator catching a wrong shape, which the emulator never sends.
func stub(status int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctype := "text/plain; charset=UTF-8"
		if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
			ctype = "application/json"
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
}

func TestTransportCatchesMismatches(t *testing.T) {
	Doc(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		resp                     string
		wantErr                  string // "" for none
	}{
		{"valid myself", "GET", "/rest/api/3/myself", "", 200, `{"accountId":"a","displayName":"A","active":true}`, ""},
		{"unknown property", "GET", "/rest/api/3/myself", "", 200, `{"accountId":"a","nickname":"x"}`, "response 200 to GET /rest/api/3/myself does not match getCurrentUser"},
		{"undocumented status", "GET", "/rest/api/3/myself", "", 418, `{}`, "response 418"},
		{"bad request body", "POST", "/rest/api/3/search/jql", `{"jql":"x","expand":["names"]}`, 200, `{"issues":[]}`, "request POST /rest/api/3/search/jql does not match"},
		{"gateway prefix stripped", "GET", "/ex/jira/abc/rest/api/3/serverInfo", "", 200, `{"serverTime":"not a time"}`, "does not match getServerInfo"},
		{"v2 unchecked", "GET", "/rest/api/2/myself", "", 200, `{"whatever":1}`, ""},
		{"429 unchecked", "GET", "/rest/api/3/myself", "", 429, `<html>`, ""},
		{"Jira time accepted", "GET", "/rest/api/3/serverInfo", "", 200, `{"serverTime":"2021-01-17T12:34:00.000+0000"}`, ""},
		{"site's plain-text 401", "GET", "/rest/api/3/myself", "", 401, "Client must be authenticated to access this resource.", ""},
		{"other plain-text 401", "GET", "/rest/api/3/myself", "", 401, "go away", `the site's plain-text 401 reads "go away"`},
		{"plain-text 401 on the gateway", "GET", "/ex/jira/abc/rest/api/3/myself", "", 401, "Client must be authenticated to access this resource.", "comes from the site, not the gateway"},
		{"gateway 401", "GET", "/ex/jira/abc/rest/api/3/myself", "", 401, `{"code":401,"message":"Unauthorized; scope does not match"}`, ""},
		{"gateway 401 of another shape", "GET", "/ex/jira/abc/rest/api/3/myself", "", 401, `{"code":401,"message":"nope","x":1}`, "the gateway's 401 must be"},
		{"createmeta 404", "GET", "/rest/api/3/issue/createmeta/NOPE/issuetypes", "", 404, `{"errorMessages":["No project could be found with key 'NOPE'."],"errors":{}}`, ""},
		{"createmeta 404 without messages", "GET", "/rest/api/3/issue/createmeta/NOPE/issuetypes", "", 404, `{"errors":{}}`, "createmeta's 404 must be an ErrorCollection"},
		{"null in an untyped field", "GET", "/rest/api/3/issue/X-1", "", 200, `{"id":"1","key":"X-1","fields":{"duedate":null}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := stub(tc.status, tc.resp)
			defer srv.Close()
			rec := &recorder{TB: t}
			hc := &http.Client{Transport: Transport(rec, nil)}
			var rd *strings.Reader
			if tc.body != "" {
				rd = strings.NewReader(tc.body)
			}
			var req *http.Request
			if rd != nil {
				req, _ = http.NewRequest(tc.method, srv.URL+tc.path, rd)
				req.Header.Set("Content-Type", "application/json")
			} else {
				req, _ = http.NewRequest(tc.method, srv.URL+tc.path, nil)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			joined := strings.Join(rec.errs, "\n")
			switch {
			case tc.wantErr == "" && joined != "":
				t.Errorf("unexpected validation errors: %s", joined)
			case tc.wantErr != "" && !strings.Contains(joined, tc.wantErr):
				t.Errorf("errors %q, want %q", joined, tc.wantErr)
			}
		})
	}
	if got := Exercised()["GET /rest/api/3/myself"]; len(got) == 0 {
		t.Errorf("coverage did not record myself: %v", Exercised())
	}
	if missing := Missing([]string{"GET /rest/api/3/myself", "GET /rest/api/3/field"}); len(missing) != 1 || missing[0] != "GET /rest/api/3/field" {
		t.Errorf("Missing = %v", missing)
	}
}
