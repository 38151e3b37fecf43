package jira

import (
	"encoding/json"
	"unsafe"

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
		fast.own()
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
				if !s.object(func(key []byte) bool { return s.listedProjectField(key, &pr) }) {
					return false
				}
				p.Projects = append(p.Projects, pr)
				return true
			})
		}
		return s.unknownKey(key, "startAt", "maxResults", "total", "isLast", "values")
	})
}

// listedProjectField is projectField for a page: its id, key and name
// borrow the body's bytes until own copies them out together.
func (s *scanner) listedProjectField(key []byte, p *tm.Project) bool {
	switch string(key) {
	case "id":
		return s.borrow(&p.ID)
	case "key":
		return s.borrow(&p.Key)
	case "name":
		return s.borrow(&p.Name)
	}
	return s.projectField(key, p)
}

// borrow is string without the copy: dst refers to the body's bytes, which
// are reused for a later response once decoded, so a borrowed string must
// be owned (copied out) before the decoder returns.
func (s *scanner) borrow(dst *string) bool {
	raw, plain, ok := s.rawString()
	if !ok || !plain {
		return false
	}
	*dst = ""
	if len(raw) > 0 {
		*dst = unsafe.String(&raw[0], len(raw))
	}
	return true
}

// own copies the borrowed ids, keys and names of a page into one block:
// three small allocations per project become one per page, and a listing
// of 20,000 projects allocates a fifth less for them. The strings keep
// their block alive, however long a caller keeps them.
func (p *projectPage) own() {
	n := 0
	for i := range p.Projects {
		pr := &p.Projects[i]
		n += len(pr.ID) + len(pr.Key) + len(pr.Name)
	}
	block := make([]byte, 0, n) // never grows: the strings point into it
	keep := func(s *string) {
		if *s == "" {
			return
		}
		at := len(block)
		block = append(block, *s...)
		*s = unsafe.String(&block[at], len(*s))
	}
	for i := range p.Projects {
		pr := &p.Projects[i]
		keep(&pr.ID)
		keep(&pr.Key)
		keep(&pr.Name)
	}
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
