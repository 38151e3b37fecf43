package emulator

import (
	"mime"
	"net/http"
	"strings"
)

// Refusals Jira makes before an operation runs: request bodies that are
// not JSON, and methods a resource does not have.

// acceptsBody checks the Content-Type of a POST or PUT: Jira's XSRF guard
// refuses the types a browser form can send cross-site (403, unless
// X-Atlassian-Token: no-check), and the REST layer every other non-JSON
// type (415). A request without a body passes. It answers and returns
// false on refusal.
func (c *call) acceptsBody() bool {
	r := c.r
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return true
	}
	ctype := r.Header.Get("Content-Type")
	if ctype == "" && r.ContentLength == 0 {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return true
	case mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" || mt == "text/plain":
		if tok := r.Header.Get("X-Atlassian-Token"); !strings.EqualFold(tok, "no-check") && !strings.EqualFold(tok, "nocheck") {
			c.headers()
			writeText(c.w, http.StatusForbidden, "XSRF check failed")
			return false
		}
	}
	c.headers()
	c.w.WriteHeader(http.StatusUnsupportedMediaType)
	return false
}

// allowedMethods lists the methods the mux serves for r's path, other
// than r's own: a non-empty answer makes the request a 405, not a 404.
func (e *Emulator) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := *r
		probe.Method = m
		if _, pattern := e.mux.Handler(&probe); pattern != "" && pattern != restCatchAll {
			out = append(out, m)
		}
	}
	return out
}

// restCatchAll is the pattern that answers REST paths no operation has.
const restCatchAll = "/rest/"
