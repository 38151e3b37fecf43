package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// createmetaStart reads the paging (maxResults at most 200) and the
// project of a createmeta request; invisible projects answer 404 like GET
// project/{key} (the document leaves this case open). On failure it has
// answered and returns nil.
func (c *call) createmetaStart() (p *project, startAt, maxResults int) {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return nil, 0, 0
	}
	if maxResults > 200 {
		c.fail(http.StatusBadRequest, "Parameter 'maxResults' must not exceed the limit '200'")
		return nil, 0, 0
	}
	key := c.r.PathValue("projectIdOrKey")
	p = c.site.projectByIDOrKey(key)
	if p == nil || !c.site.visible(c.who, p) {
		c.fail(http.StatusNotFound, strings.Replace(msgNoProject, "%s", key, 1))
		return nil, 0, 0
	}
	return p, startAt, maxResults
}

// metaPage answers a createmeta page: issueTypes/fields on Cloud, values
// plus isLast on Data Center 9+.
func (c *call) metaPage(cloudKey string, startAt, maxResults int, all []any) {
	page := []any{}
	for i := startAt; i < len(all) && len(page) < maxResults; i++ {
		page = append(page, all[i])
	}
	o := obj{"startAt": startAt, "maxResults": maxResults, "total": len(all)}
	if c.e.dc {
		o["values"] = page
		o["isLast"] = startAt+len(page) >= len(all)
	} else {
		o[cloudKey] = page
	}
	c.json(http.StatusOK, o)
}

// GET /rest/api/{v}/issue/createmeta/{projectIdOrKey}/issuetypes
func (c *call) handleCreatemetaTypes() {
	p, startAt, maxResults := c.createmetaStart()
	if p == nil {
		return
	}
	all := []any{}
	if c.site.can(c.who, permCreate, p, nil) {
		for _, t := range p.types {
			all = append(all, c.issueTypeObj(t))
		}
	}
	c.metaPage("issueTypes", startAt, maxResults, all)
}

// GET /rest/api/{v}/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}
func (c *call) handleCreatemetaFields() {
	p, startAt, maxResults := c.createmetaStart()
	if p == nil {
		return
	}
	t := p.typeByID(c.r.PathValue("issueTypeId"))
	if t == nil || !c.site.can(c.who, permCreate, p, nil) {
		c.fail(http.StatusBadRequest, "The issue type with id '"+c.r.PathValue("issueTypeId")+"' does not exist or is not valid for project '"+p.Key+"'.")
		return
	}
	all := []any{}
	for _, f := range c.site.fields {
		if !p.onScreen(f.ID) {
			continue
		}
		all = append(all, c.createField(p, t, f))
	}
	c.metaPage("fields", startAt, maxResults, all)
}

// createField is one FieldCreateMetadata entry.
func (c *call) createField(p *project, t *issueType, f *fieldDef) obj {
	required := p.required(f.ID) || (f.ID == "parent" && t.subtask())
	o := obj{"fieldId": f.ID, "key": f.ID, "name": f.Name, "required": required,
		"schema": fieldSchema(f), "operations": []string{"set"}, "hasDefaultValue": false}
	switch f.ID {
	case "issuetype":
		o["allowedValues"] = []any{c.issueTypeObj(t)}
		o["operations"] = []string{}
	case "project":
		o["allowedValues"] = []any{c.projectRef(p)}
	case "priority":
		vals := []any{}
		for _, pr := range c.site.priorities {
			vals = append(vals, c.priorityObj(pr))
		}
		o["allowedValues"] = vals
		o["hasDefaultValue"] = true
		o["defaultValue"] = c.priorityObj(c.site.prioByID[c.site.defaultPriority()])
	case "assignee":
		o["autoCompleteUrl"] = c.api() + "/user/assignable/search?project=" + p.Key + "&query="
	case "reporter":
		o["autoCompleteUrl"] = c.api() + "/user/recommend?context=Reporter&query="
		o["hasDefaultValue"] = true
	case "labels":
		o["autoCompleteUrl"] = c.self() + "/rest/api/1.0/labels/suggest?query="
		o["operations"] = []string{"add", "set", "remove"}
	}
	if f.Kind == "select" {
		vals := []any{}
		for _, op := range f.Options {
			vals = append(vals, c.optionObj(f, op.ID))
		}
		o["allowedValues"] = vals
	}
	return o
}

// GET /rest/api/{v}/field
func (c *call) handleFields() {
	out := make([]any, 0, len(c.site.fields))
	for _, f := range c.site.fields {
		clauses := append([]string{}, f.Clauses...)
		out = append(out, obj{"id": f.ID, "key": f.ID, "name": f.Name, "custom": f.Custom,
			"orderable": f.Orderable, "navigable": f.Navigable, "searchable": f.Searchable,
			"clauseNames": clauses, "schema": fieldSchema(f)})
	}
	c.json(http.StatusOK, out)
}

// GET /rest/api/{v}/issuetype: the types of projects the caller can see,
// project-scoped duplicates included.
func (c *call) handleIssueTypes() {
	visible := c.projectsFor("view")
	out := []any{}
	for _, t := range c.site.typeList {
		used := slices.ContainsFunc(visible, func(p *project) bool { return p.typeByID(t.ID) == t })
		if used {
			out = append(out, c.issueTypeObj(t))
		}
	}
	c.json(http.StatusOK, out)
}

// GET /rest/api/{v}/priority
func (c *call) handlePriorities() {
	out := make([]any, 0, len(c.site.priorities))
	for _, p := range c.site.priorities {
		out = append(out, c.priorityFull(p))
	}
	c.json(http.StatusOK, out)
}

// GET /rest/api/{v}/priority/search
func (c *call) handlePrioritySearch() {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	ids := c.listParam("id")
	name := strings.ToLower(c.q("priorityName"))
	onlyDefault := c.q("onlyDefault") == "true"
	var list []*priority
	for _, p := range c.site.priorities {
		if (len(ids) > 0 && !slices.Contains(ids, p.ID)) || (name != "" && !strings.Contains(strings.ToLower(p.Name), name)) || (onlyDefault && !p.Default) {
			continue
		}
		list = append(list, p)
	}
	values := []any{}
	for i := startAt; i < len(list) && len(values) < maxResults; i++ {
		o := c.priorityFull(list[i])
		o["isDefault"] = list[i].Default
		values = append(values, o)
	}
	isLast := startAt+len(values) >= len(list)
	page := obj{"self": c.api() + "/priority/search?" + c.r.URL.RawQuery, "maxResults": maxResults, "startAt": startAt,
		"total": len(list), "isLast": isLast, "values": values}
	if !isLast {
		page["nextPage"] = c.api() + "/priority/search?startAt=" + strconv.Itoa(startAt+len(values)) + "&maxResults=" + strconv.Itoa(maxResults)
	}
	c.json(http.StatusOK, page)
}
