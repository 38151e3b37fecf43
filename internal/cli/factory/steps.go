package factory

import (
	"net/http"
	"strings"

	"github.com/ticket-mate/tm/internal/cli/progress"
)

// stepFor names the wait a Jira request stands for, as the spinner shows
// it; "" keeps the step the command started with.
func stepFor(req *http.Request) string {
	p := req.URL.Path
	seg := strings.Split(strings.Trim(p, "/"), "/")
	after := func(name string) string {
		for i, s := range seg {
			if s == name && i+1 < len(seg) {
				return seg[i+1]
			}
		}
		return ""
	}
	switch {
	case strings.Contains(p, "/issue/createmeta/"):
		return "Reading " + after("createmeta") + "'s create screen…"
	case strings.HasSuffix(p, "/myself"):
		return "Checking who you are…"
	case strings.HasSuffix(p, "/mypermissions"):
		return "Checking permissions…"
	case strings.Contains(p, "/project/search") || strings.HasSuffix(p, "/project"):
		return "Listing projects…"
	case strings.Contains(p, "/search"):
		return "Searching…"
	case strings.HasSuffix(p, "/transitions"):
		return "Reading transitions…"
	case req.Method == http.MethodPost && (strings.HasSuffix(p, "/issue") || strings.HasSuffix(p, "/issue/bulk")):
		return "Creating ticket…"
	case strings.HasSuffix(p, "/oauth/token"):
		return "Signing in…"
	case req.Method == http.MethodGet && after("issue") != "":
		return "Reading " + after("issue") + "…"
	}
	return ""
}

// named passes each request's step to the spinner carried by its context.
type named struct{ next http.RoundTripper }

func (t named) RoundTrip(req *http.Request) (*http.Response, error) {
	progress.Step(req.Context(), stepFor(req))
	return t.next.RoundTrip(req)
}
