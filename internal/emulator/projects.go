package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const msgNoProject = "No project could be found with key '%s'."

// projectsFor lists the projects the caller may see for action (view,
// browse, edit, create), in key order. The answer is shared and must not be
// modified: projects, their permissions and the site's members are fixed
// once the site is built, so it is worked out once per caller and action
// rather than on every page of a listing (a site of 20,000 projects is walked
// 200 times to list them all).
func (c *call) projectsFor(action string) []*project {
	k := visibleKey{who: c.who, action: action}
	if v, ok := c.site.visibleMemo.Load(k); ok {
		return v.([]*project)
	}
	out := make([]*project, 0, len(c.site.projects))
	// visible(who, p), with what does not depend on p decided once.
	who := c.who
	if who != nil && !c.site.isMember(who) {
		who = nil
	}
	for _, p := range c.site.projects {
		ok := grants(p.Permissions[permBrowse], who, p, nil)
		switch action {
		case "create":
			ok = ok && c.site.can(c.who, permCreate, p, nil)
		case "edit":
			ok = ok && c.site.can(c.who, permAdminProj, p, nil)
		}
		if ok {
			out = append(out, p)
		}
	}
	out = slices.Clip(out) // an append by a caller copies instead of writing into the memo
	v, _ := c.site.visibleMemo.LoadOrStore(k, out)
	return v.([]*project)
}

// visibleKey names one memoised answer of projectsFor.
type visibleKey struct {
	who    *user
	action string
}

// GET /rest/api/3/project/search
func (c *call) handleProjectSearch() {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	maxResults = min(maxResults, 100) // Jira clamps silently
	action := cmpOr(c.q("action"), "view")
	switch action {
	case "view", "browse", "edit", "create":
	default:
		c.fail(http.StatusBadRequest, "The action '"+action+"' is not valid. Valid actions are view, browse, edit and create.")
		return
	}
	list := c.projectsFor(action)
	keys := c.listParam("keys")
	ids := c.listParam("id")
	query := strings.ToLower(c.q("query"))
	types := splitSet(c.q("typeKey"))
	orderBy := cmpOr(c.q("orderBy"), "key")
	desc := strings.HasPrefix(orderBy, "-")
	field := strings.TrimLeft(orderBy, "+-")
	inKeyOrder := field == "key" && !desc
	filtered := len(keys) > 0 || len(ids) > 0 || query != "" || len(types) > 0
	if filtered || !inKeyOrder {
		list = slices.Clone(list) // filtered and sorted in place below; the memo stays as it is
	}
	if filtered {
		list = slices.DeleteFunc(list, func(p *project) bool {
			if len(keys) > 0 && !slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, p.Key) }) {
				return true
			}
			if len(ids) > 0 && !slices.Contains(ids, p.ID) {
				return true
			}
			if query != "" && !strings.Contains(strings.ToLower(p.Key), query) && !strings.Contains(strings.ToLower(p.Name), query) {
				return true
			}
			return len(types) > 0 && !types[p.TypeKey]
		})
	}
	// The site keeps its projects in key order already: sorting thousands
	// of them again on every page is most of a page's cost.
	if !inKeyOrder {
		sortProjects(c, list, field, desc)
	}
	expand := splitSet(c.q("expand"))
	// A project never changes: its summary is encoded once per origin.
	values := make([]any, 0, min(maxResults, max(len(list)-startAt, 0)))
	for i := startAt; i < len(list) && len(values) < maxResults; i++ {
		p := list[i]
		if len(expand) == 0 && !c.e.dc {
			values = append(values, c.fixed("summary", p, func() any { return c.projectSummary(p) }))
		} else {
			values = append(values, c.projectObj(p, expand, false))
		}
	}
	isLast := startAt+len(values) >= len(list)
	self := c.api() + "/project/search?" + c.r.URL.RawQuery
	page := obj{"self": self, "maxResults": maxResults, "startAt": startAt, "total": len(list), "isLast": isLast, "values": values}
	if !isLast {
		q := c.r.URL.Query()
		q.Set("startAt", strconv.Itoa(startAt+len(values)))
		q.Set("maxResults", strconv.Itoa(maxResults))
		page["nextPage"] = c.api() + "/project/search?" + q.Encode()
	}
	c.json(http.StatusOK, page)
}

// sortProjects orders list by field (key, name or owner), stably.
func sortProjects(c *call, list []*project, field string, desc bool) {
	slices.SortStableFunc(list, func(a, b *project) int {
		var r int
		switch field {
		case "name":
			r = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		case "owner":
			r = strings.Compare(c.e.userByID[a.Lead].DisplayName, c.e.userByID[b.Lead].DisplayName)
		default:
			r = strings.Compare(a.Key, b.Key)
		}
		if desc {
			r = -r
		}
		return r
	})
}

// GET /rest/api/{v}/project (legacy: a bare array, no paging)
func (c *call) handleProjectList() {
	expand := splitSet(c.q("expand"))
	out := []any{}
	list := c.projectsFor("view")
	if n, err := strconv.Atoi(c.q("recent")); err == nil && n >= 0 && n < len(list) {
		list = list[:min(n, 20)]
	}
	for _, p := range list {
		out = append(out, c.projectObj(p, expand, false))
	}
	c.json(http.StatusOK, out)
}

// GET /rest/api/{v}/project/{projectIdOrKey}
func (c *call) handleGetProject() {
	key := c.r.PathValue("projectIdOrKey")
	p := c.site.projectByIDOrKey(key)
	if p == nil || !c.site.visible(c.who, p) {
		c.fail(http.StatusNotFound, strings.Replace(msgNoProject, "%s", key, 1))
		return
	}
	c.json(http.StatusOK, c.projectObj(p, splitSet(c.q("expand")), true))
}

// GET /rest/api/{v}/project/{projectIdOrKey}/versions and /components:
// the sandbox's projects have neither, so both lists are empty.
func (c *call) handleProjectEmptyList() {
	key := c.r.PathValue("projectIdOrKey")
	if p := c.site.projectByIDOrKey(key); p == nil || !c.site.visible(c.who, p) {
		c.fail(http.StatusNotFound, strings.Replace(msgNoProject, "%s", key, 1))
		return
	}
	c.json(http.StatusOK, []any{})
}

// GET /rest/api/2/projects/picker (Data Center)
func (c *call) handleProjectPicker() {
	query := strings.ToLower(c.q("query"))
	out := []any{}
	for _, p := range c.projectsFor("view") {
		if query == "" || strings.Contains(strings.ToLower(p.Key), query) || strings.Contains(strings.ToLower(p.Name), query) {
			o := c.projectRef(p)
			o["html"] = p.Name + " (" + p.Key + ")"
			out = append(out, o)
		}
	}
	c.json(http.StatusOK, obj{"header": "Showing " + strconv.Itoa(len(out)) + " of " + strconv.Itoa(len(out)) + " matching projects", "total": len(out), "projects": out})
}

// GET /rest/api/{v}/mypermissions
func (c *call) handleMyPermissions() {
	q := c.r.URL.Query()
	keys := c.listParam("permissions")
	if len(keys) == 0 {
		if !c.e.dc {
			c.fail(http.StatusBadRequest, "The 'permissions' query parameter is required.")
			return
		}
		for _, p := range permissionCatalog { // Data Center still answers everything
			keys = append(keys, p.Key)
		}
	}
	for _, k := range keys {
		if _, ok := permissionByKey[k]; !ok {
			c.fail(http.StatusBadRequest, "Invalid permission key: "+k+". Check the keys at GET /rest/api/3/permissions.")
			return
		}
	}
	var p *project
	var is *issue
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	switch {
	case q.Get("issueKey") != "" || q.Get("issueId") != "":
		ref := cmpOr(q.Get("issueKey"), q.Get("issueId"))
		is = c.site.issueByIDOrKey(ref)
		if is == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
			c.fail(http.StatusNotFound, msgIssueNotFound)
			return
		}
		p = c.site.projectOf(is)
	case q.Get("projectKey") != "" || q.Get("projectId") != "":
		ref := cmpOr(q.Get("projectKey"), q.Get("projectId"))
		p = c.site.projectByIDOrKey(ref)
		if p == nil || !c.site.visible(c.who, p) {
			c.fail(http.StatusNotFound, strings.Replace(msgNoProject, "%s", ref, 1))
			return
		}
	}
	perms := obj{}
	for _, k := range keys {
		def := permissionByKey[k]
		var have bool
		switch {
		case def.Type == "GLOBAL":
			have = c.site.canGlobal(c.who, k)
		case p == nil:
			have = c.site.canAnywhere(c.who, k)
		default:
			have = c.site.can(c.who, k, p, is)
		}
		perms[k] = obj{"id": def.ID, "key": def.Key, "name": def.Name, "type": def.Type,
			"description": def.Description, "havePermission": have}
	}
	c.json(http.StatusOK, obj{"permissions": perms})
}

// urlPath escapes one path segment.
func urlPath(s string) string { return url.PathEscape(s) }
