package jira

import (
	"encoding/json"

	"github.com/ticket-mate/tm"
)

// projectPage is one project/search response. Listing every project of a
// large site decodes megabytes of these, most of it fields we don't keep
// (avatar URLs, categories, insight), and encoding/json spends most of a
// listing's CPU validating and then skipping them. decode reads the shape
// Jira sends in one pass; anything unusual goes to encoding/json, so the
// result — and any error — is always encoding/json's.
type projectPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	IsLast     bool      `json:"isLast"`
	Values     []project `json:"values"`
	// Projects is what the fast reader decodes values to: the domain's
	// type at once, so a page is held in memory once, not twice.
	Projects []tm.Project `json:"-"`
	into     []tm.Project // the array to decode into, when large enough
}

// projects is the page's projects whichever reader decoded it.
func (p *projectPage) projects() []tm.Project {
	if p.Projects != nil {
		return p.Projects
	}
	out := make([]tm.Project, len(p.Values))
	for i, v := range p.Values {
		out[i] = v.project()
	}
	return out
}

func (p *projectPage) decodeBody(b []byte) error {
	fast := projectPage{into: p.into}
	if scanProjectPage(b, &fast) {
		*p = fast
		return nil
	}
	return json.Unmarshal(b, p)
}

// scanProjectPage decodes b into p when b is well-formed JSON of the usual
// shape, and reports whether it did. It gives up (false) on anything
// encoding/json might read differently: escapes or invalid UTF-8 in a
// string we keep, keys that only match a field ignoring case, numbers that
// are not plain integers, values of the wrong type, nulls.
func scanProjectPage(b []byte, p *projectPage) bool {
	s := scanner{b: b}
	return s.whole(func() bool { return s.projectPage(p) })
}

func (s *scanner) projectPage(p *projectPage) bool {
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "startAt":
			return s.int(&p.StartAt)
		case "maxResults":
			return s.int(&p.MaxResults)
		case "total":
			return s.int(&p.Total)
		case "isLast":
			return s.bool(&p.IsLast)
		case "values":
			if p.Projects != nil {
				return false // twice: encoding/json decodes the second over the first
			}
			// A page holds maxResults projects, or what is left of the
			// total: Jira sends both first.
			n := min(max(p.MaxResults, 0), ProjectPageSize)
			if p.Total > 0 {
				n = min(n, max(p.Total-p.StartAt, 0))
			}
			if cap(p.into) >= n && n > 0 {
				p.Projects = p.into[:0]
			} else {
				p.Projects = make([]tm.Project, 0, n)
			}
			return s.array(func() bool {
				var pr tm.Project
				if !s.object(func(key []byte) bool { return s.projectField(key, &pr) }) {
					return false
				}
				p.Projects = append(p.Projects, pr)
				return true
			})
		}
		return s.unknownKey(key, "startAt", "maxResults", "total", "isLast", "values")
	})
}

// projectField reads the fields of project (Jira's names) into the
// domain's Project.
func (s *scanner) projectField(key []byte, p *tm.Project) bool {
	switch string(key) {
	case "id":
		return s.string(&p.ID)
	case "key":
		return s.string(&p.Key)
	case "name":
		return s.string(&p.Name)
	case "projectTypeKey":
		return s.stringOf(&p.TypeKey, "software", "business", "service_desk", "product_discovery")
	case "style":
		return s.stringOf(&p.Style, "classic", "next-gen")
	case "isPrivate":
		return s.bool(&p.Private)
	}
	return s.unknownKey(key, "id", "key", "name", "projectTypeKey", "style", "isPrivate")
}
