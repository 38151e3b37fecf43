// Package openapitest checks HTTP traffic against Atlassian's OpenAPI
// document for Jira Cloud: a test wraps its client's transport with
// Transport, and every request it sends to a documented REST v3 operation,
// and every response it gets back, is validated. Both the emulator's tests
// and the Jira client's tests use it, so the two sides meet the document,
// not each other.
//
// It imports kin-openapi and the standard library; it is for tests only.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// docRelPath is where the document sits relative to the module root.
const docRelPath = "../shared/jira/platform-openapi.v3.json"

// docHost is the document's server; requests are re-rooted on it for
// routing, whatever host or prefix they were sent to.
const docHost = "your-domain.atlassian.net"

var (
	loadOnce sync.Once
	loaded   *openapi3.T
	router   routers.Router
	loadErr  error
	loadPath string
)

// DocPath locates the document: $TM_OPENAPI_DOC, or ../shared/jira/… from
// the module root. When it is missing the test is skipped, unless CI=true,
// where a missing document is a failure.
func DocPath(tb testing.TB) string {
	tb.Helper()
	path, err := findDoc()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("openapitest: %v (the document is mandatory when CI=true)", err)
		}
		tb.Skipf("openapitest: %v; set TM_OPENAPI_DOC to run this test", err)
	}
	return path
}

func findDoc() (string, error) {
	if p := os.Getenv("TM_OPENAPI_DOC"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("TM_OPENAPI_DOC=%s: %w", p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, filepath.FromSlash(docRelPath))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("OpenAPI document not found at %s", p)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory, so the OpenAPI document cannot be located")
		}
		dir = parent
	}
}

// Doc returns the document, loaded once per test binary. Do not call
// Validate on it: Atlassian's document has invalid examples.
func Doc(tb testing.TB) *openapi3.T {
	tb.Helper()
	path := DocPath(tb)
	loadOnce.Do(func() {
		loadPath = path
		loader := openapi3.NewLoader()
		loaded, loadErr = loader.LoadFromFile(path)
		if loadErr == nil {
			allowNullInUntyped(loaded)
			router, loadErr = gorillamux.NewRouter(loaded)
		}
	})
	if loadErr != nil {
		tb.Fatalf("openapitest: load %s: %v", loadPath, loadErr)
	}
	return loaded
}

// Example is the document's JSON example of the 200 answer to method
// path (as the document writes it, e.g. /rest/api/3/issue/{issueIdOrKey}).
func Example(tb testing.TB, method, path string) []byte {
	tb.Helper()
	item := Doc(tb).Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil || item.GetOperation(method).Responses.Status(http.StatusOK) == nil {
		tb.Fatalf("openapitest: no 200 answer to %s %s in the document", method, path)
	}
	var ex string
	if c := item.GetOperation(method).Responses.Status(http.StatusOK).Value.Content["application/json"]; c != nil {
		ex, _ = c.Example.(string)
	}
	if ex == "" {
		tb.Fatalf("openapitest: no JSON example of the 200 answer to %s %s", method, path)
	}
	return []byte(ex)
}

// allowNullInUntyped marks every schema without a type as nullable. The
// document uses {} for "any JSON value" (issue fields, custom field
// values), and Jira sends null there for empty fields; kin-openapi reads
// OpenAPI 3.0 strictly and would reject null without nullable: true.
func allowNullInUntyped(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Type == nil || len(*s.Type) == 0 {
			if len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) == 0 && len(s.Properties) == 0 {
				s.Nullable = true
			}
		}
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
		visit(s.AdditionalProperties.Schema)
		visit(s.Not)
		for _, list := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range list {
				visit(x)
			}
		}
	}
	for _, ref := range doc.Components.Schemas {
		visit(ref)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					visit(p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(mt.Schema)
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						visit(mt.Schema)
					}
				}
			}
		}
	}
}

// jiraDateTime accepts RFC 3339 and Jira's own form, whose offset has no
// colon (2021-01-17T12:34:00.000+0000): the document says date-time, and
// real Jira sends the latter.
var jiraDateTime = openapi3.NewCallbackValidator(func(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if _, err := time.Parse(layout, s); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%q is neither RFC 3339 nor Jira's 2006-01-02T15:04:05.000-0700", s)
})

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("date-time", jiraDateTime),
		},
	}
}

// documentedPath strips the gateway (/ex/jira/{cloudId}) and sandbox site
// (/sites/{slug}) prefixes and reports whether what is left is REST v3,
// the part the document describes.
func documentedPath(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, "/ex/jira/"); ok {
		_, tail, _ := strings.Cut(rest, "/")
		p = "/" + tail
	} else if rest, ok := strings.CutPrefix(p, "/sites/"); ok {
		_, tail, _ := strings.Cut(rest, "/")
		p = "/" + tail
	}
	return p, strings.HasPrefix(p, "/rest/api/3/")
}

// Transport validates each request to, and response from, a documented
// operation and fails tb on a mismatch. REST v2, OAuth, tenant_info and
// other undocumented paths pass unchecked, and so do 429 and 5xx
// responses: any operation may answer those (rate limits, the edge), and
// the document does not describe them.
func Transport(tb testing.TB, next http.RoundTripper) http.RoundTripper {
	tb.Helper()
	Doc(tb)
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{tb: tb, next: next}
}

type transport struct {
	tb   testing.TB
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	path, ok := documentedPath(req.URL.Path)
	if !ok {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	vreq := req.Clone(context.Background())
	vreq.URL = &url.URL{Scheme: "https", Host: docHost, Path: path, RawQuery: req.URL.RawQuery}
	vreq.Host = docHost
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		return t.next.RoundTrip(req) // a path the document does not have
	}
	opts := options()
	input := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		t.tb.Errorf("openapi: request %s %s does not match %s: %v", req.Method, req.URL.Path, route.Operation.OperationID, err)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	record(route, resp.StatusCode)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return resp, nil
	}
	rbody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rbody))
	if handled, err := checkContractAnswer(req, route, resp, rbody); handled {
		if err != nil {
			t.tb.Errorf("openapi: response %d to %s %s: %v\nbody: %s", resp.StatusCode, req.Method, req.URL.Path, err, truncate(rbody, 2000))
		}
		return resp, nil
	}
	if resp.StatusCode == http.StatusNoContent && len(rbody) == 0 {
		// The document gives some 204s a JSON content type; a 204 has no
		// content by definition (RFC 9110), so there is nothing to check.
		ropts := *opts
		ropts.ExcludeResponseBody = true
		opts = &ropts
	}
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode,
		Header: resp.Header, Options: opts}
	rin.SetBodyBytes(rbody)
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		t.tb.Errorf("openapi: response %d to %s %s does not match %s: %v\nbody: %s", resp.StatusCode, req.Method,
			req.URL.Path, route.Operation.OperationID, err, truncate(rbody, 2000))
	}
	return resp, nil
}

// checkContractAnswer checks the answers Atlassian really gives that its
// document does not describe (jira-contract.md §0.2, §A6) against the
// contract's shape instead: the site's plain-text 401, the gateway's
// {"code","message"} 401, and createmeta's 404 for a project the caller
// cannot see. handled is false for every other answer, which the document
// then judges.
func checkContractAnswer(req *http.Request, route *routers.Route, resp *http.Response, body []byte) (handled bool, err error) {
	ctype := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(ctype, "text/plain"):
		if strings.HasPrefix(req.URL.Path, "/ex/jira/") {
			return true, fmt.Errorf("a plain-text 401 comes from the site, not the gateway")
		}
		if got := strings.TrimSpace(string(body)); got != "Client must be authenticated to access this resource." {
			return true, fmt.Errorf("the site's plain-text 401 reads %q", got)
		}
		return true, nil
	case resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(req.URL.Path, "/ex/jira/"):
		var g struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		}
		if err := strictJSON(body, &g); err != nil || g.Code == nil || *g.Code != 401 || g.Message == nil ||
			(*g.Message != "Unauthorized" && *g.Message != "Unauthorized; scope does not match") {
			return true, fmt.Errorf("the gateway's 401 must be {\"code\":401,\"message\":\"Unauthorized[; scope does not match]\"}")
		}
		return true, nil
	case resp.StatusCode == http.StatusNotFound && strings.HasPrefix(route.Path, "/rest/api/3/issue/createmeta/"):
		var ec struct {
			ErrorMessages   []string          `json:"errorMessages"`
			Errors          map[string]string `json:"errors"`
			WarningMessages []string          `json:"warningMessages"`
			Status          int               `json:"status"`
		}
		if err := strictJSON(body, &ec); err != nil || len(ec.ErrorMessages) == 0 || ec.Errors == nil {
			return true, fmt.Errorf("createmeta's 404 must be an ErrorCollection with errorMessages and errors")
		}
		return true, nil
	}
	return false, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// Coverage: which documented operations the binary's tests exercised.
var (
	covMu sync.Mutex
	cov   = map[string]map[int]bool{}
)

func record(route *routers.Route, status int) {
	key := route.Method + " " + route.Path
	covMu.Lock()
	if cov[key] == nil {
		cov[key] = map[int]bool{}
	}
	cov[key][status] = true
	covMu.Unlock()
}

// Exercised returns, for each documented operation ("GET /rest/api/3/myself")
// that went through a Transport in this test binary, the statuses seen.
func Exercised() map[string][]int {
	covMu.Lock()
	defer covMu.Unlock()
	out := map[string][]int{}
	for k, set := range cov {
		for s := range set {
			out[k] = append(out[k], s)
		}
		sort.Ints(out[k])
	}
	return out
}

// Missing lists the operations of want ("METHOD /rest/api/3/path/{template}")
// that no validated request exercised yet, so a suite can assert its
// coverage at the end.
func Missing(want []string) []string {
	got := Exercised()
	var out []string
	for _, w := range want {
		if _, ok := got[w]; !ok {
			out = append(out, w)
		}
	}
	return out
}
