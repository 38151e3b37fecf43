package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// issueDetails is IssueUpdateDetails, the body of create and edit.
type issueDetails struct {
	Fields     map[string]json.RawMessage              `json:"fields"`
	Update     map[string][]map[string]json.RawMessage `json:"update"`
	Transition *struct {
		ID string `json:"id"`
	} `json:"transition"`
}

// createResult is one outcome of a create: a new issue, or errors.
type createResult struct {
	is     *issue
	status int
	errs   errorCollection
	trans  obj // the "transition" part of the response, if one was asked for
}

// createIssue validates d and stores the issue. The caller holds e.mu.
func (c *call) createIssue(d issueDetails) createResult {
	in := &fieldInput{c: c, errs: map[string]string{}}
	bad := func() createResult {
		return createResult{status: http.StatusBadRequest, errs: newErrors(in.msgs, in.errs)}
	}
	var pref struct{ ID, Key string }
	if raw, ok := d.Fields["project"]; ok {
		json.Unmarshal(raw, &pref)
	}
	p := c.site.projectByIDOrKey(cmpOr(pref.Key, pref.ID))
	if p == nil || !c.site.visible(c.who, p) {
		in.fail("project", msgProjectInvalid)
		return bad()
	}
	in.p = p
	if !c.site.can(c.who, permCreate, p, nil) {
		in.msgs = append(in.msgs, msgCreateForbidden)
		return bad()
	}
	raw, ok := d.Fields["issuetype"]
	if !ok {
		in.fail("issuetype", msgTypeMissing)
		return bad()
	}
	if in.it = in.typeRef(raw); in.it == nil {
		return bad()
	}
	in.itRaw = raw
	// The creator watches what they create, Jira's default.
	is := &issue{ProjectID: p.ID, TypeID: in.it.ID, StatusID: p.workflow.Initial,
		PriorityID: c.site.defaultPriority(), Reporter: c.who.AccountID, Creator: c.who.AccountID,
		Assignee: p.defaultAssignee(), Watchers: []string{c.who.AccountID}}
	sets := in.changes(d.Fields, d.Update, nil)
	if _, ok := d.Fields["summary"]; !ok && d.Update["summary"] == nil {
		in.fail("summary", msgSummaryMissing)
	}
	if in.it.subtask() && d.Fields["parent"] == nil {
		in.fail("parent", msgSubtaskNoParent)
	}
	for _, req := range p.Required {
		if _, ok := d.Fields[req]; !ok {
			in.msgs = append(in.msgs, msgRequired(req))
		}
	}
	if len(in.errs) > 0 || len(in.msgs) > 0 {
		return bad()
	}
	now := c.e.now()
	is.ID = c.site.nextIssueID
	p.nextNum++
	is.Key = p.Key + "-" + strconv.Itoa(p.nextNum)
	is.Created, is.Updated = now, now
	is.Indexed = now.Add(c.e.opts.SearchLag)
	for _, fn := range sets {
		fn(is)
	}
	res := createResult{is: is, status: http.StatusCreated}
	if d.Transition != nil && d.Transition.ID != "" {
		if msg := c.transition(is, d.Transition.ID, "", now); msg != "" {
			res.trans = obj{"status": 400, "errorCollection": newErrors([]string{msg}, nil)}
		} else {
			res.trans = obj{"status": 200, "errorCollection": newErrors(nil, nil)}
		}
	}
	c.site.addIssue(is)
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (c *call) createdIssue(is *issue) obj {
	r := c.createdRef(is)
	return obj{"id": r.ID, "key": r.Key, "self": r.Self}
}

// POST /rest/api/{v}/issue
func (c *call) handleCreateIssue() {
	var d issueDetails
	if !c.decode(&d) {
		return
	}
	c.e.mu.Lock()
	res := c.createIssue(d)
	c.e.mu.Unlock()
	if res.is == nil {
		c.json(res.status, res.errs)
		return
	}
	c.e.changed()
	out := c.createdIssue(res.is)
	if res.trans != nil {
		out["transition"] = res.trans
	}
	c.json(http.StatusCreated, out)
}

// maxBulkCreate is how many issues one bulk create may carry.
const maxBulkCreate = 50

// POST /rest/api/{v}/issue/bulk
func (c *call) handleBulkCreate() {
	var body struct {
		IssueUpdates []issueDetails `json:"issueUpdates"`
	}
	if !c.decode(&body) {
		return
	}
	if len(body.IssueUpdates) == 0 {
		c.fail(http.StatusBadRequest, "Specify at least one issue to create in issueUpdates.")
		return
	}
	if len(body.IssueUpdates) > maxBulkCreate {
		c.fail(http.StatusBadRequest, "The number of issues to create ("+strconv.Itoa(len(body.IssueUpdates))+") exceeds the limit of 50 issues per request.")
		return
	}
	out := bulkCreated{Issues: make([]createdRef, 0, len(body.IssueUpdates)), Errors: []bulkElementError{}}
	c.e.mu.Lock()
	for i, d := range body.IssueUpdates {
		res := c.createIssue(d)
		if res.is == nil {
			out.Errors = append(out.Errors, bulkElementError{Status: res.status, FailedElementNumber: i, ElementErrors: res.errs})
			continue
		}
		out.Issues = append(out.Issues, c.createdRef(res.is))
	}
	c.e.mu.Unlock()
	status := http.StatusCreated
	if len(out.Issues) == 0 {
		status = http.StatusBadRequest
	} else {
		c.e.changed()
	}
	c.json(status, out)
}

// bulkCreated is the answer to a bulk create, typed: it is the sandbox's
// busiest write, and encoding maps of maps cost a third of its time.
type bulkCreated struct {
	Errors []bulkElementError `json:"errors"`
	Issues []createdRef       `json:"issues"`
}

type bulkElementError struct {
	ElementErrors       errorCollection `json:"elementErrors"`
	FailedElementNumber int             `json:"failedElementNumber"`
	Status              int             `json:"status"`
}

// createdRef is a created issue as a create answers it.
type createdRef struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Self string `json:"self"`
}

func (c *call) createdRef(is *issue) createdRef {
	id := strconv.FormatInt(is.ID, 10)
	return createdRef{ID: id, Key: is.Key, Self: c.api() + "/issue/" + id}
}

// visibleIssue finds an issue the caller may browse, or answers 404.
func (c *call) visibleIssue(idOrKey string) *issue {
	is := c.site.issueByIDOrKey(idOrKey)
	if is == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
		c.fail(http.StatusNotFound, msgIssueNotFound)
		return nil
	}
	return is
}

// writeIssue decodes the body into v, takes the write lock and finds the
// issue of the path. It returns nil (lock released) when it has answered;
// otherwise the caller must release e.mu.
func (c *call) writeIssue(v any) *issue {
	if !c.decode(v) {
		return nil
	}
	c.e.mu.Lock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		c.e.mu.Unlock()
	}
	return is
}

// GET /rest/api/{v}/issue/{issueIdOrKey}
func (c *call) handleGetIssue() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	sel := parseFieldSelection(c.listParam("fields"), true)
	c.json(http.StatusOK, c.issueRenderer(sel, splitSet(c.q("expand")))(is))
	c.e.recordView(c, is)
}

// viewHistory is each user's recently viewed issues per site, newest
// first: what issueHistory() and lastViewed search.
type viewHistory struct {
	mu     sync.Mutex
	issues map[string][]viewed // cloudId + " " + accountId → views
}

type viewed struct {
	id int64
	at time.Time
}

const maxViewHistory = 50

func (e *Emulator) recordView(c *call, is *issue) {
	if c.who == nil {
		return
	}
	k := c.site.cloudID + " " + c.who.AccountID
	h := &e.views
	h.mu.Lock()
	if h.issues == nil {
		h.issues = map[string][]viewed{}
	}
	// Move the issue to the front in place: a GET must not allocate here.
	list := h.issues[k]
	i := slices.IndexFunc(list, func(v viewed) bool { return v.id == is.ID })
	switch {
	case i < 0 && len(list) < maxViewHistory:
		list = append(list, viewed{})
		i = len(list) - 1
	case i < 0:
		i = len(list) - 1
	}
	copy(list[1:i+1], list[:i])
	list[0] = viewed{is.ID, e.now()}
	h.issues[k] = list
	h.mu.Unlock()
}

// lastViewed is when the caller last viewed is; zero when never.
func (e *Emulator) lastViewed(c *call, is *issue) time.Time {
	if c.who == nil {
		return time.Time{}
	}
	h := &e.views
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, v := range h.issues[c.site.cloudID+" "+c.who.AccountID] {
		if v.id == is.ID {
			return v.at
		}
	}
	return time.Time{}
}

// POST /rest/api/{v}/issue/bulkfetch: up to 100 issues; ones the caller
// cannot see are left out, as Jira does.
func (c *call) handleBulkFetch() {
	var req struct {
		IssueIdsOrKeys []string `json:"issueIdsOrKeys"`
		Fields         []string `json:"fields"`
		Expand         []string `json:"expand"`
		FieldsByKeys   bool     `json:"fieldsByKeys"`
		Properties     []string `json:"properties"`
	}
	if !c.decode(&req) {
		return
	}
	if len(req.IssueIdsOrKeys) == 0 || len(req.IssueIdsOrKeys) > 100 {
		c.fail(http.StatusBadRequest, "Specify between 1 and 100 issue ids or keys in issueIdsOrKeys.")
		return
	}
	sel := parseFieldSelection(req.Fields, false)
	if sel.none() {
		sel.navigable = true
	}
	expand := map[string]bool{}
	for _, x := range req.Expand {
		expand[x] = true
	}
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	render := c.issueRenderer(sel, expand)
	issues := []any{}
	for _, ref := range req.IssueIdsOrKeys {
		is := c.site.issueByIDOrKey(ref)
		if is != nil && c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
			issues = append(issues, render(is))
		}
	}
	c.json(http.StatusOK, obj{"issues": issues, "issueErrors": []any{}})
}

// PUT /rest/api/{v}/issue/{issueIdOrKey}
func (c *call) handleEditIssue() {
	var d issueDetails
	is := c.writeIssue(&d)
	if is == nil {
		return
	}
	p := c.site.projectOf(is)
	query := c.r.URL.Query()
	if query.Get("overrideScreenSecurity") == "true" || query.Get("overrideEditableFlag") == "true" {
		if !c.site.can(c.who, permAdminProj, p, is) && !c.site.canGlobal(c.who, permAdminister) {
			c.e.mu.Unlock()
			c.fail(http.StatusForbidden, "You must have admin rights to use the overrideScreenSecurity or overrideEditableFlag parameters.")
			return
		}
	}
	if !c.site.can(c.who, permEdit, p, is) {
		c.e.mu.Unlock()
		c.fail(http.StatusForbidden, msgEditForbidden)
		return
	}
	in := &fieldInput{c: c, p: p, current: is, errs: map[string]string{}}
	sets := in.changes(d.Fields, d.Update, func(id string) bool {
		if _, both := d.Update[id]; both {
			in.fail(id, "Field '"+id+"' cannot be set in both the fields and the update sections.")
			return true
		}
		if id == "project" {
			in.fail(id, msgNotOnScreen(id))
			return true
		}
		return false
	})
	if len(in.errs) > 0 || len(in.msgs) > 0 {
		c.e.mu.Unlock()
		c.json(http.StatusBadRequest, newErrors(in.msgs, in.errs))
		return
	}
	for _, fn := range sets {
		fn(is)
	}
	if len(sets) > 0 {
		is.Updated = c.e.now()
	}
	var out obj
	if query.Get("returnIssue") == "true" {
		out = c.issueObj(is, parseFieldSelection(nil, true), splitSet(query.Get("expand")))
	}
	c.e.mu.Unlock()
	c.e.changed()
	if out != nil {
		c.json(http.StatusOK, out)
		return
	}
	c.noContent()
}

// PUT /rest/api/{v}/issue/{issueIdOrKey}/assignee
func (c *call) handleAssign() {
	var body map[string]json.RawMessage
	is := c.writeIssue(&body)
	if is == nil {
		return
	}
	defer c.e.mu.Unlock()
	p := c.site.projectOf(is)
	if !c.site.can(c.who, permAssign, p, is) {
		c.fail(http.StatusForbidden, msgAssignForbidden)
		return
	}
	named := 0
	for _, k := range []string{"accountId", "name", "key"} {
		if _, ok := body[k]; ok {
			named++
		}
	}
	if named != 1 {
		c.fail(http.StatusBadRequest, "Specify exactly one of accountId, name or key.")
		return
	}
	// Cloud names users by accountId; Data Center by name (or key).
	raw, ok := body["accountId"]
	switch {
	case ok && c.e.dc:
		c.fail(http.StatusBadRequest, "Data Center identifies users by name: send {\"name\":\"…\"}.")
		return
	case !ok && !c.e.dc:
		c.fail(http.StatusBadRequest, "The query parameter 'username' is not supported in GDPR strict mode.")
		return
	case !ok:
		raw = cmpRaw(body["name"], body["key"])
	}
	var given string
	if string(raw) != "null" {
		json.Unmarshal(raw, &given)
	}
	target := ""
	switch given {
	case "":
	case "-1":
		target = p.defaultAssignee()
	default:
		u := c.e.lookupUser(given)
		if u == nil || u.Inactive {
			c.fail(http.StatusBadRequest, "User '"+given+"' does not exist.")
			return
		}
		if !c.site.can(u, permAssignable, p, nil) {
			c.failFields(http.StatusBadRequest, map[string]string{"assignee": "User '" + given + "' cannot be assigned issues."})
			return
		}
		target = u.AccountID
	}
	is.Assignee = target
	is.Updated = c.e.now()
	c.e.changed()
	c.noContent()
}

// lookupUser finds a user by accountId on Cloud, by name or key on Data
// Center.
func (e *Emulator) lookupUser(ref string) *user {
	if !e.dc {
		return e.userByID[ref]
	}
	if u := e.userByName[strings.ToLower(ref)]; u != nil {
		return u
	}
	for _, u := range e.users {
		if u.Key == ref {
			return u
		}
	}
	return nil
}

func cmpRaw(a, b json.RawMessage) json.RawMessage {
	if a != nil {
		return a
	}
	return b
}

// fieldSelection is the parsed "fields" parameter.
type fieldSelection struct {
	all, navigable bool
	include        map[string]bool
	exclude        map[string]bool
}

// parseFieldSelection reads fields=a,b,*all,*navigable,-c. With nothing
// asked, issue GET means *all and search means id only.
func parseFieldSelection(list []string, defaultAll bool) fieldSelection {
	sel := fieldSelection{include: map[string]bool{}, exclude: map[string]bool{}}
	for _, f := range list {
		switch {
		case f == "*all":
			sel.all = true
		case f == "*navigable":
			sel.navigable = true
		case strings.HasPrefix(f, "-"):
			sel.exclude[f[1:]] = true
		default:
			sel.include[f] = true
		}
	}
	if len(sel.include) == 0 && !sel.navigable && !sel.all && defaultAll {
		sel.all = true
	}
	return sel
}

// String is the selection in a canonical form, for keying renderings:
// names are quoted, as a name may hold any character.
func (sel fieldSelection) String() string {
	return fmt.Sprint(sel.all, sel.navigable, quotedKeys(sel.include), quotedKeys(sel.exclude))
}

// quotedKeys is a set's members, sorted and quoted.
func quotedKeys(set map[string]bool) string {
	var b []byte
	for _, k := range sortedKeys(set) {
		b = strconv.AppendQuote(b, k)
	}
	return string(b)
}

func (sel fieldSelection) wants(f *fieldDef) bool {
	if sel.exclude[f.ID] {
		return false
	}
	return sel.all || sel.include[f.ID] || (sel.navigable && f.Navigable)
}

// none reports a selection that asks for no field values (search's default).
func (sel fieldSelection) none() bool {
	return !sel.all && !sel.navigable && len(sel.include) == 0
}

func splitSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out[p] = true
		}
	}
	return out
}

// issueObj renders an issue (IssueBean). The caller holds e.mu (read).
func (c *call) issueObj(is *issue, sel fieldSelection, expand map[string]bool) obj {
	id := strconv.FormatInt(is.ID, 10)
	o := obj{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     id, "self": c.api() + "/issue/" + id, "key": is.Key,
	}
	fields := obj{}
	names := obj{}
	schemas := obj{}
	for _, f := range c.site.fields {
		if !sel.wants(f) {
			continue
		}
		fields[f.ID] = c.fieldValue(is, f)
		names[f.ID] = f.Name
		schemas[f.ID] = fieldSchema(f)
	}
	if len(fields) > 0 || !sel.none() {
		o["fields"] = fields
	}
	if expand["names"] {
		o["names"] = names
	}
	if expand["schema"] {
		o["schema"] = schemas
	}
	if expand["renderedFields"] {
		rendered := obj{}
		for k := range fields {
			if f := c.site.fieldByID[k]; f != nil && f.isRichText() {
				if adf := richValue(is, k); len(adf) > 0 {
					rendered[k] = "<p>" + htmlEscape(adfText(adf)) + "</p>"
				} else {
					rendered[k] = nil
				}
			}
		}
		o["renderedFields"] = rendered
	}
	if expand["transitions"] {
		o["transitions"] = c.transitionList(is, false)
	}
	if expand["editmeta"] {
		o["editmeta"] = c.editmeta(is)
	}
	if expand["operations"] {
		o["operations"] = c.operationsField(is)
	}
	if expand["changelog"] {
		o["changelog"] = obj{"startAt": 0, "maxResults": 0, "total": 0, "histories": []any{}}
	}
	return o
}

func richValue(is *issue, id string) json.RawMessage {
	switch id {
	case "description":
		return is.Description
	case "environment":
		return is.Environment
	}
	return is.Custom[id]
}

// fieldValue is one field as REST returns it.
func (c *call) fieldValue(is *issue, f *fieldDef) any {
	s := c.site
	switch f.ID {
	case "summary":
		return is.Summary
	case "description", "environment":
		return c.richOut(richValue(is, f.ID))
	// What never changes is rendered once per origin (see fixed).
	case "issuetype":
		t := s.types[is.TypeID]
		return c.fixed("issuetype", t, func() any { return c.issueTypeObj(t) })
	case "project":
		p := s.projectOf(is)
		return c.fixed("ref", p, func() any { return c.projectRef(p) })
	case "status":
		st := s.statuses[is.StatusID]
		return c.fixed("status", st, func() any { return c.statusObj(st) })
	case "priority":
		if p := s.prioByID[is.PriorityID]; p != nil {
			return c.fixed("priority", p, func() any { return c.priorityObj(p) })
		}
		return nil
	case "assignee", "reporter", "creator":
		id := is.Assignee
		switch f.ID {
		case "reporter":
			id = is.Reporter
		case "creator":
			id = is.Creator
		}
		if id == "" {
			return nil
		}
		u := c.e.userByID[id]
		return c.fixed("user", u, func() any { return c.userDetails(u) })
	case "labels":
		return append([]string{}, is.Labels...)
	case "duedate":
		if is.DueDate == "" {
			return nil
		}
		return is.DueDate
	case "parent":
		parent := s.issueByID[is.ParentID]
		if parent == nil {
			return nil
		}
		return c.linkedIssue(parent)
	case "created":
		return fmtTime(is.Created)
	case "updated":
		return fmtTime(is.Updated)
	case "resolutiondate":
		if is.Resolved.IsZero() {
			return nil
		}
		return fmtTime(is.Resolved)
	case "statuscategorychangedate":
		if is.CategoryChanged.IsZero() {
			return fmtTime(is.Created)
		}
		return fmtTime(is.CategoryChanged)
	case "resolution":
		return c.resolutionObj(is.ResolutionID)
	case "subtasks":
		return c.subtasksField(is)
	case "issuelinks":
		return c.issueLinksField(is)
	case "watches":
		return c.watchesField(is)
	case "votes":
		return obj{"self": c.api() + "/issue/" + is.Key + "/votes", "votes": 0, "hasVoted": false}
	case "components", "fixVersions", "versions", "attachment":
		return []any{}
	case "timetracking":
		return timeTrackingField(is)
	case "worklog":
		list := make([]any, 0, len(is.Worklogs))
		for _, w := range is.Worklogs {
			list = append(list, c.worklogObj(is, w))
		}
		return obj{"startAt": 0, "maxResults": 20, "total": len(list), "worklogs": list}
	case "comment":
		list := make([]any, 0, len(is.Comments))
		for _, cm := range is.Comments {
			list = append(list, c.commentObj(is, cm))
		}
		return obj{"comments": list, "self": c.api() + "/issue/" + strconv.FormatInt(is.ID, 10) + "/comment",
			"maxResults": len(list), "total": len(list), "startAt": 0}
	}
	switch f.Kind {
	case "rank":
		return rank(is)
	case "sprint":
		return c.sprintField(is)
	case "epiclink":
		return c.epicLinkValue(is)
	}
	if f.isRichText() {
		return c.richOut(is.Custom[f.ID])
	}
	raw, ok := is.Custom[f.ID]
	if !ok {
		return nil
	}
	if f.Kind == "select" {
		var ref struct{ ID string }
		json.Unmarshal(raw, &ref)
		return c.optionObj(f, ref.ID)
	}
	return raw
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
