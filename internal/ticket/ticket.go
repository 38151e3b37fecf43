// Package ticket owns the ticket operations every front end shares:
// Create (names resolved to ids through cached create metadata) and
// CreateMany (bulk, every row checked first), Get, Search, Page and Count,
// Comment, Transitions and Transition, Assign, Edit — and the one
// explanation of Jira's refusals as *tm.Error values with a next step. The
// CLI, the server's API and pages only parse input and present output.
//
// It imports the domain package, internal/jira, internal/adf and
// internal/jql; it never prints, exits or reads the environment, and its
// messages name no front end's flags or routes (a *Detail in the error's
// chain lets each front end add its own).
package ticket

import (
	"github.com/ticket-mate/tm/internal/jira"
)

// Service runs ticket operations as one Jira identity.
type Service struct {
	jira     *jira.Client
	cache    MetaCache
	markdown bool // rich text read as Markdown, not plain text
}

// New returns a service that calls Jira through c and keeps create
// metadata in cache (nil: no cache, every create reads it afresh).
func New(c *jira.Client, cache MetaCache) *Service {
	if cache == nil {
		cache = NoCache{}
	}
	return &Service{jira: c, cache: cache}
}

// Markdown returns the same service reading rich text (descriptions,
// comments) as Markdown rather than plain text, for front ends whose
// readers understand it.
func (s *Service) Markdown() *Service {
	c := *s
	c.markdown = true
	return &c
}
