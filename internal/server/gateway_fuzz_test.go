package server

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzJiraPath checks the gateway's path filter: whatever the escaped path,
// a path it lets through is under a Jira REST prefix once decoded, has no
// dot segment, no empty segment and no backslash, and is what follows the
// gateway's own prefix.
func FuzzJiraPath(f *testing.F) {
	for _, s := range []string{
		"/gateway/c1/rest/api/3/myself", "/gateway/c1/rest/agile/1.0/board", "/gateway/c1/rest/api/3/../../admin",
		"/gateway/c1/rest/api/3/%2e%2e/%2e%2e/secure", "/gateway/c1/rest/api/3/%2F%2Fevil", "/gateway/c1/rest/api/3/a%5Cb",
		"/gateway/c1/rest/auth/1/session", "/gateway/c2/rest/api/3/myself", "/gateway/c1/rest/api/latest/issue/X-1",
		"/gateway/c1/rest/api/2/search?jql=a", "/gateway/c1/rest/api/3/%zz",
	} {
		f.Add(s, "c1")
	}
	f.Fuzz(func(t *testing.T, escaped, cloudID string) {
		p, ok := jiraPath(escaped, cloudID)
		if !ok {
			return
		}
		if escaped != "/gateway/"+url.PathEscape(cloudID)+p {
			t.Fatalf("%q: forwarded %q is not what follows the gateway prefix", escaped, p)
		}
		dec, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("%q: let through a path that does not decode: %v", escaped, err)
		}
		if !slices.ContainsFunc(jiraRESTPrefixes, func(pre string) bool { return strings.HasPrefix(dec, pre) }) {
			t.Fatalf("%q: decoded %q is not under a Jira REST prefix", escaped, dec)
		}
		if strings.Contains(dec, "\\") || strings.Contains(dec, "//") {
			t.Fatalf("%q: decoded %q has a backslash or an empty segment", escaped, dec)
		}
		for _, seg := range strings.Split(dec, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q: decoded %q has a dot segment", escaped, dec)
			}
		}
	})
}

// FuzzUserCode: however a code is typed, normalising is idempotent and
// leaves no dash, space or lower-case letter.
func FuzzUserCode(f *testing.F) {
	for _, s := range []string{"BCDF-GHJK", "bcdf ghjk", " b-c-d-f ", "ÄBCD-1234", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		n := normalUserCode(typed)
		if normalUserCode(n) != n {
			t.Fatalf("%q: normalising %q again gives %q", typed, n, normalUserCode(n))
		}
		if strings.ContainsAny(n, "- abcdefghijklmnopqrstuvwxyz") {
			t.Fatalf("%q: normalised %q keeps a dash, space or lower-case letter", typed, n)
		}
	})
}
