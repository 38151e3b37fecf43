package jira

import (
	"bytes"
	"encoding/json"
)

// Pages of issues — Cloud's search/jql, Data Center's search,
// issue/bulkfetch — and single issues are read in one pass when they have
// the shape Jira sends: each issue's fields and properties are kept as
// Jira sent them, sub-slices of one copy per issue, rather than validated,
// decoded and copied value by value by encoding/json. Anything unusual
// goes to encoding/json, so the result — and any error — is always
// encoding/json's, read into the endpoint's own struct.

// searchPage is a page of Cloud's search/jql.
type searchPage struct {
	Issues        []Issue `json:"issues"`
	NextPageToken string  `json:"nextPageToken"`
	IsLast        bool    `json:"isLast"`
}

// offsetPage is a page of Data Center's search.
type offsetPage struct {
	StartAt int     `json:"startAt"`
	Total   int     `json:"total"`
	Issues  []Issue `json:"issues"`
}

// bulkPage is issue/bulkfetch's answer.
type bulkPage struct {
	Issues []Issue `json:"issues"`
}

func (p *searchPage) decodeBody(b []byte) error {
	return decodePage(b, p, func(f issuePage) searchPage {
		return searchPage{Issues: f.Issues, NextPageToken: f.NextPageToken, IsLast: f.IsLast}
	})
}

func (p *offsetPage) decodeBody(b []byte) error {
	return decodePage(b, p, func(f issuePage) offsetPage {
		return offsetPage{StartAt: f.StartAt, Total: f.Total, Issues: f.Issues}
	})
}

func (p *bulkPage) decodeBody(b []byte) error {
	return decodePage(b, p, func(f issuePage) bulkPage { return bulkPage{Issues: f.Issues} })
}

// decodePage reads b into p: what the fast reader read, kept as the
// endpoint keeps it, or else encoding/json's reading of p.
func decodePage[P any](b []byte, p *P, kept func(issuePage) P) error {
	var f issuePage
	if !f.scan(b) {
		return json.Unmarshal(b, p)
	}
	*p = kept(f)
	return nil
}

func (is *Issue) decodeBody(b []byte) error {
	var f Issue
	if !scanIssue(b, &f) {
		return json.Unmarshal(b, is)
	}
	*is = f
	return nil
}

// issuePage is every key the pages above keep. Reading a key an endpoint
// does not keep only makes the reader give up more often (a value of the
// wrong type, say), never read differently: what encoding/json ignores,
// the copy into the endpoint's struct drops.
type issuePage struct {
	StartAt, Total int
	Issues         []Issue
	NextPageToken  string
	IsLast         bool
}

// scan reads b into p when b is well-formed JSON of the usual shape, and
// reports whether it did. It gives up on what encoding/json might read
// differently: escapes or invalid UTF-8 in a string kept decoded (ids,
// keys, the page token), keys that only match ignoring case, numbers that
// are not plain integers, values of the wrong type, nulls, and a key read
// twice into the same issues or map (encoding/json merges the two).
func (p *issuePage) scan(b []byte) bool {
	s := scanner{b: b}
	return s.whole(func() bool {
		return s.object(func(key []byte) bool {
			switch string(key) {
			case "issues":
				return p.Issues == nil && s.issues(&p.Issues)
			case "nextPageToken":
				return s.string(&p.NextPageToken)
			case "isLast":
				return s.bool(&p.IsLast)
			case "startAt":
				return s.int(&p.StartAt)
			case "total":
				return s.int(&p.Total)
			}
			return s.unknownKey(key, "issues", "nextPageToken", "isLast", "startAt", "total")
		})
	})
}

func scanIssue(b []byte, is *Issue) bool {
	s := scanner{b: b}
	return s.whole(func() bool { return s.issue(is) })
}

// issues reads an array of issues; [] is an empty array, not nil, as
// encoding/json makes it. A page does not say how many it holds, so the
// array grows as it is read rather than holding room for a full page.
func (s *scanner) issues(dst *[]Issue) bool {
	out := []Issue{}
	ok := s.array(func() bool {
		out = append(out, Issue{})
		return s.issue(&out[len(out)-1])
	})
	*dst = out
	return ok
}

func (s *scanner) issue(is *Issue) bool {
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return s.string(&is.ID)
		case "key":
			return s.string(&is.Key)
		case "fields":
			return is.Fields == nil && s.rawMap(&is.Fields)
		case "properties":
			return is.Properties == nil && s.rawMap(&is.Properties)
		}
		return s.unknownKey(key, "id", "key", "fields", "properties")
	})
}

// rawMap reads an object whose values are kept as Jira sent them. The
// object is copied once, after it has been read, and each value is a
// sub-slice of the copy (capped, so that appending to one cannot spill
// into the next): the values outlive the response buffer, which is reused.
func (s *scanner) rawMap(dst *map[string]json.RawMessage) bool {
	type span struct {
		key      []byte
		from, to int
	}
	var spans [16]span // the fields of a listing fit; more grow on the heap
	kept := spans[:0]
	s.space()
	start := s.i
	ok := s.object(func(key []byte) bool {
		from := s.i
		if !s.skip() {
			return false
		}
		kept = append(kept, span{key, from, s.i})
		return true
	})
	if !ok {
		return false
	}
	own := bytes.Clone(s.b[start:s.i])
	m := make(map[string]json.RawMessage, len(kept))
	for _, sp := range kept {
		from, to := sp.from-start, sp.to-start
		m[fieldName(sp.key)] = own[from:to:to]
	}
	*dst = m
	return true
}

// fieldName is a field id as a string; the ids tm reads most are shared
// rather than allocated for every issue.
func fieldName(key []byte) string {
	switch string(key) {
	case "summary":
		return "summary"
	case "status":
		return "status"
	case "issuetype":
		return "issuetype"
	case "priority":
		return "priority"
	case "assignee":
		return "assignee"
	case "reporter":
		return "reporter"
	case "updated":
		return "updated"
	case "created":
		return "created"
	case "labels":
		return "labels"
	case "parent":
		return "parent"
	case "subtasks":
		return "subtasks"
	case "issuelinks":
		return "issuelinks"
	case "description":
		return "description"
	case "comment":
		return "comment"
	case "project":
		return "project"
	}
	return string(key)
}
