package emulator

import (
	"net/http"
	"strings"
)

// maxUserSearch is where Jira stops filtering users (contract §A8).
const maxUserSearch = 1000

// matchesUserQuery is Jira's user-picker match: a prefix of the display
// name, of one of its words, of the email address, or (Data Center) of the
// username.
func (e *Emulator) matchesUserQuery(u *user, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	name := strings.ToLower(u.DisplayName)
	if strings.HasPrefix(name, q) || strings.HasPrefix(strings.ToLower(u.Email), q) {
		return true
	}
	for _, w := range strings.Fields(name) {
		if strings.HasPrefix(w, q) {
			return true
		}
	}
	return e.dc && strings.HasPrefix(strings.ToLower(u.Username), q)
}

// userPage pages users into a bare array.
func (c *call) userPage(users []*user) {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	out := []any{}
	for i := startAt; i < len(users) && i < maxUserSearch && len(out) < maxResults; i++ {
		out = append(out, c.fullUser(users[i]))
	}
	c.json(http.StatusOK, out)
}

// GET /rest/api/{v}/user/search
func (c *call) handleUserSearch() {
	q := c.r.URL.Query()
	query, accountID, property, username := q.Get("query"), q.Get("accountId"), q.Get("property"), q.Get("username")
	if c.e.dc {
		query = cmpOr(username, query)
		if query == "" {
			c.fail(http.StatusBadRequest, "The username query parameter was not provided")
			return
		}
	} else {
		if username != "" {
			c.fail(http.StatusBadRequest, "The query parameter 'username' is not supported in GDPR strict mode.")
			return
		}
		given := 0
		for _, v := range []string{query, accountID, property} {
			if v != "" {
				given++
			}
		}
		if given != 1 {
			c.fail(http.StatusBadRequest, "Specify exactly one of the query parameters 'query', 'accountId' or 'property'.")
			return
		}
	}
	var users []*user
	if c.site.canGlobal(c.who, permUserPicker) && property == "" {
		for _, u := range c.e.users {
			if u.Inactive {
				continue
			}
			if (accountID != "" && u.AccountID == accountID) || (accountID == "" && c.e.matchesUserQuery(u, query)) {
				users = append(users, u)
			}
		}
	}
	c.userPage(users)
}

// GET /rest/api/{v}/user/assignable/search
func (c *call) handleAssignableSearch() {
	q := c.r.URL.Query()
	projectRef, issueRef := q.Get("project"), cmpOr(q.Get("issueKey"), q.Get("issueId"))
	if projectRef == "" && issueRef == "" {
		c.fail(http.StatusBadRequest, "Specify the project, issueKey or issueId query parameter.")
		return
	}
	if !c.e.dc && q.Get("username") != "" {
		c.fail(http.StatusBadRequest, "The query parameter 'username' is not supported in GDPR strict mode.")
		return
	}
	c.e.mu.RLock()
	var p *project
	if issueRef != "" {
		is := c.site.issueByIDOrKey(issueRef)
		if is == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
			c.e.mu.RUnlock()
			c.fail(http.StatusNotFound, msgIssueNotFound)
			return
		}
		p = c.site.projectOf(is)
	}
	c.e.mu.RUnlock()
	if p == nil {
		p = c.site.projectByIDOrKey(projectRef)
		if p == nil || !c.site.visible(c.who, p) {
			c.fail(http.StatusNotFound, strings.Replace(msgNoProject, "%s", projectRef, 1))
			return
		}
	}
	query := cmpOr(q.Get("query"), q.Get("username"))
	accountID := q.Get("accountId")
	var users []*user
	for _, u := range c.e.users {
		if u.Inactive || !c.site.can(u, permAssignable, p, nil) {
			continue
		}
		if (accountID != "" && u.AccountID != accountID) || !c.e.matchesUserQuery(u, query) {
			continue
		}
		users = append(users, u)
	}
	c.userPage(users)
}
