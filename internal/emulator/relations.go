package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resolutions, issue links, watchers, worklogs, remote links and deleting
// issues: what hangs off an issue besides its fields.

// resolution is one of Jira Cloud's default resolutions.
type resolution struct{ ID, Name, Description string }

const resolutionDone = "10000"

var resolutions = []resolution{
	{"10000", "Done", "Work has been completed on this issue."},
	{"10001", "Won't Do", "This issue won't be actioned."},
	{"10002", "Duplicate", "The problem is a duplicate of an existing issue."},
	{"10003", "Cannot Reproduce", "All attempts at reproducing this issue failed, or not enough information was available to reproduce the issue. Reading the code produces no clues as to why this behavior would occur. If more information appears later, please reopen the issue."},
}

func resolutionByRef(id, name string) *resolution {
	for i, r := range resolutions {
		if (id != "" && r.ID == id) || (id == "" && name != "" && strings.EqualFold(r.Name, name)) {
			return &resolutions[i]
		}
	}
	return nil
}

func (c *call) resolutionObj(id string) any {
	r := resolutionByRef(id, "")
	if r == nil {
		return nil
	}
	return obj{"self": c.api() + "/resolution/" + r.ID, "id": r.ID, "description": r.Description, "name": r.Name}
}

// GET /rest/api/{v}/resolution
func (c *call) handleResolutions() {
	out := make([]any, 0, len(resolutions))
	for _, r := range resolutions {
		out = append(out, c.resolutionObj(r.ID))
	}
	c.json(http.StatusOK, out)
}

// linkType is one of Jira Cloud's default issue link types.
type linkType struct{ ID, Name, Inward, Outward string }

var linkTypes = []linkType{
	{"10000", "Blocks", "is blocked by", "blocks"},
	{"10001", "Cloners", "is cloned by", "clones"},
	{"10002", "Duplicate", "is duplicated by", "duplicates"},
	{"10003", "Relates", "relates to", "relates to"},
}

func linkTypeByRef(id, name string) *linkType {
	for i, t := range linkTypes {
		if (id != "" && t.ID == id) || (id == "" && strings.EqualFold(t.Name, name)) {
			return &linkTypes[i]
		}
	}
	return nil
}

func (c *call) linkTypeObj(t *linkType) obj {
	return obj{"id": t.ID, "name": t.Name, "inward": t.Inward, "outward": t.Outward, "self": c.api() + "/issueLinkType/" + t.ID}
}

// issueLink is one end of a link, stored on both issues.
type issueLink struct {
	ID      int64  `json:"id"`
	Type    string `json:"type"`
	Other   int64  `json:"other"`   // the issue at the other end
	Outward bool   `json:"outward"` // the other issue is the outward one (this one "blocks" it)
}

// GET /rest/api/{v}/issueLinkType
func (c *call) handleLinkTypes() {
	out := make([]any, 0, len(linkTypes))
	for i := range linkTypes {
		out = append(out, c.linkTypeObj(&linkTypes[i]))
	}
	c.json(http.StatusOK, obj{"issueLinkTypes": out})
}

// GET /rest/api/{v}/issueLinkType/{issueLinkTypeId}
func (c *call) handleLinkType() {
	t := linkTypeByRef(c.r.PathValue("issueLinkTypeId"), "")
	if t == nil {
		c.fail(http.StatusNotFound, "No issue link type with id '"+c.r.PathValue("issueLinkTypeId")+"' exists.")
		return
	}
	c.json(http.StatusOK, c.linkTypeObj(t))
}

// linkedIssue is the short issue shape at the other end of a link.
func (c *call) linkedIssue(is *issue) obj {
	id := strconv.FormatInt(is.ID, 10)
	return obj{"id": id, "key": is.Key, "self": c.api() + "/issue/" + id, "fields": obj{
		"summary": is.Summary, "status": c.statusObj(c.site.statuses[is.StatusID]),
		"priority": c.priorityObj(c.site.prioByID[is.PriorityID]), "issuetype": c.issueTypeObj(c.site.types[is.TypeID]),
	}}
}

// issueLinksField is the issuelinks field: each link from this issue's side.
func (c *call) issueLinksField(is *issue) []any {
	out := make([]any, 0, len(is.Links))
	for _, l := range is.Links {
		other := c.site.issueByID[l.Other]
		t := linkTypeByRef(l.Type, "")
		if other == nil || t == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(other), other) {
			continue
		}
		id := strconv.FormatInt(l.ID, 10)
		o := obj{"id": id, "self": c.api() + "/issueLink/" + id, "type": c.linkTypeObj(t)}
		if l.Outward {
			o["outwardIssue"] = c.linkedIssue(other)
		} else {
			o["inwardIssue"] = c.linkedIssue(other)
		}
		out = append(out, o)
	}
	return out
}

// POST /rest/api/{v}/issueLink
func (c *call) handleCreateLink() {
	var body struct {
		Type         struct{ ID, Name string } `json:"type"`
		InwardIssue  struct{ ID, Key string }  `json:"inwardIssue"`
		OutwardIssue struct{ ID, Key string }  `json:"outwardIssue"`
		Comment      *struct {
			Body json.RawMessage `json:"body"`
		} `json:"comment"`
	}
	if !c.decode(&body) {
		return
	}
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	t := linkTypeByRef(body.Type.ID, body.Type.Name)
	if t == nil {
		c.fail(http.StatusNotFound, "No issue link type with name '"+cmpOr(body.Type.Name, body.Type.ID)+"' found.")
		return
	}
	find := func(ref struct{ ID, Key string }) *issue {
		is := c.site.issueByIDOrKey(cmpOr(ref.Key, ref.ID))
		if is == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
			c.fail(http.StatusNotFound, "Issue Does Not Exist")
			return nil
		}
		return is
	}
	in := find(body.InwardIssue)
	if in == nil {
		return
	}
	out := find(body.OutwardIssue)
	if out == nil {
		return
	}
	if !c.site.can(c.who, permLink, c.site.projectOf(in), in) {
		// Jira answers 404 here, as for an issue the caller cannot see.
		c.fail(http.StatusNotFound, "You do not have the permission to link issues in project '"+c.site.projectOf(in).Key+"'.")
		return
	}
	if in == out {
		c.fail(http.StatusBadRequest, "You cannot link an issue to itself.")
		return
	}
	var doc json.RawMessage
	if body.Comment != nil {
		fi := &fieldInput{c: c, errs: map[string]string{}}
		var ok bool
		if doc, ok = fi.richIn("comment", body.Comment.Body); !ok {
			c.json(http.StatusBadRequest, newErrors(nil, fi.errs))
			return
		}
	}
	for _, l := range in.Links {
		if l.Type == t.ID && l.Other == out.ID && !l.Outward {
			c.created() // Jira accepts a duplicate and keeps one link
			return
		}
	}
	id := c.site.nextComment
	c.site.nextComment++
	// "in blocks out": the inward issue's side shows the outward issue.
	in.Links = append(in.Links, &issueLink{ID: id, Type: t.ID, Other: out.ID, Outward: true})
	out.Links = append(out.Links, &issueLink{ID: id, Type: t.ID, Other: in.ID, Outward: false})
	now := c.e.now()
	in.Updated, out.Updated = now, now
	if doc != nil {
		c.addComment(out, doc)
	}
	c.e.changed()
	c.created()
}

// created answers 201 with no body, as linking issues does.
func (c *call) created() {
	c.headers()
	c.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	c.w.WriteHeader(http.StatusCreated)
}

// findLink finds link id among the issues the caller can see.
func (c *call) findLink(id int64) (*issueLink, *issue) {
	for _, is := range c.site.issues {
		for _, l := range is.Links {
			if l.ID == id && l.Outward && c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
				return l, is
			}
		}
	}
	return nil, nil
}

// GET /rest/api/{v}/issueLink/{linkId}
func (c *call) handleGetLink() {
	id, _ := strconv.ParseInt(c.r.PathValue("linkId"), 10, 64)
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	l, in := c.findLink(id)
	if l == nil {
		c.fail(http.StatusNotFound, "No issue link with id '"+c.r.PathValue("linkId")+"' exists.")
		return
	}
	out := c.site.issueByID[l.Other]
	c.json(http.StatusOK, obj{"id": strconv.FormatInt(l.ID, 10), "self": c.api() + "/issueLink/" + strconv.FormatInt(l.ID, 10),
		"type": c.linkTypeObj(linkTypeByRef(l.Type, "")), "inwardIssue": c.linkedIssue(in), "outwardIssue": c.linkedIssue(out)})
}

// DELETE /rest/api/{v}/issueLink/{linkId}
func (c *call) handleDeleteLink() {
	id, _ := strconv.ParseInt(c.r.PathValue("linkId"), 10, 64)
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	l, in := c.findLink(id)
	if l == nil {
		c.fail(http.StatusNotFound, "No issue link with id '"+c.r.PathValue("linkId")+"' exists.")
		return
	}
	if !c.site.can(c.who, permLink, c.site.projectOf(in), in) {
		c.fail(http.StatusForbidden, "You do not have the permission to delete links in project '"+c.site.projectOf(in).Key+"'.")
		return
	}
	for _, is := range []*issue{in, c.site.issueByID[l.Other]} {
		if is != nil {
			is.Links = slices.DeleteFunc(is.Links, func(x *issueLink) bool { return x.ID == id })
		}
	}
	c.e.changed()
	c.noContent()
}

// watchesField is the watches field.
func (c *call) watchesField(is *issue) obj {
	watching := c.who != nil && slices.Contains(is.Watchers, c.who.AccountID)
	return obj{"self": c.api() + "/issue/" + is.Key + "/watchers", "watchCount": len(is.Watchers), "isWatching": watching}
}

// mayManageWatchers answers 403 unless the caller may add or remove u:
// anyone may watch themselves, editors and admins may manage the list.
func (c *call) mayManageWatchers(is *issue, u *user) bool {
	p := c.site.projectOf(is)
	if u == c.who || c.site.can(c.who, permEdit, p, is) || c.site.can(c.who, permAdminProj, p, is) {
		return true
	}
	c.fail(http.StatusForbidden, "You do not have the permission to manage the watcher list.")
	return false
}

// GET /rest/api/{v}/issue/{issueIdOrKey}/watchers
func (c *call) handleGetWatchers() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	o := c.watchesField(is)
	list := make([]any, 0, len(is.Watchers))
	for _, id := range is.Watchers {
		if u := c.e.userByID[id]; u != nil {
			list = append(list, c.userDetails(u))
		}
	}
	o["watchers"] = list
	c.json(http.StatusOK, o)
}

// POST /rest/api/{v}/issue/{issueIdOrKey}/watchers: the body is the
// account id as a JSON string (the username on Data Center); an empty
// body adds the caller.
func (c *call) handleAddWatcher() {
	b, err := readBody(c)
	if err != nil {
		c.fail(http.StatusBadRequest, "The request body could not be read.")
		return
	}
	ref := ""
	if len(strings.TrimSpace(string(b))) > 0 {
		if json.Unmarshal(b, &ref) != nil {
			c.fail(http.StatusBadRequest, "Send the account id as a JSON string, e.g. \"5b10a2844c20165700ede21a\".")
			return
		}
	}
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	u := c.who
	if ref != "" {
		u = c.e.lookupUser(ref)
	}
	if u == nil || u.Inactive {
		c.fail(http.StatusNotFound, "The user \""+ref+"\" does not exist.")
		return
	}
	if !c.mayManageWatchers(is, u) {
		return
	}
	if !slices.Contains(is.Watchers, u.AccountID) {
		is.Watchers = append(is.Watchers, u.AccountID)
		c.e.changed()
	}
	c.noContent()
}

// DELETE /rest/api/{v}/issue/{issueIdOrKey}/watchers?accountId=
func (c *call) handleRemoveWatcher() {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	ref := cmpOr(c.q("accountId"), c.q("username"))
	if ref == "" {
		c.fail(http.StatusBadRequest, "Specify the accountId of the watcher to remove.")
		return
	}
	u := c.e.lookupUser(ref)
	if u == nil {
		c.fail(http.StatusNotFound, "The user \""+ref+"\" does not exist.")
		return
	}
	if !c.mayManageWatchers(is, u) {
		return
	}
	is.Watchers = slices.DeleteFunc(is.Watchers, func(id string) bool { return id == u.AccountID })
	c.e.changed()
	c.noContent()
}

// worklog is time logged on an issue.
type worklog struct {
	ID      int64           `json:"id"`
	Author  string          `json:"author"`
	Comment json.RawMessage `json:"comment,omitempty"`
	Started time.Time       `json:"started"`
	Seconds int64           `json:"seconds"`
	Created time.Time       `json:"created"`
}

// durationRE reads Jira's duration notation: 1w 2d 3h 30m (a working day
// is 8 hours, a week 5 days).
var durationRE = lazyRegexp(`^\s*(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*$`)

func parseJiraDuration(s string) (int64, bool) {
	m := durationRE().FindStringSubmatch(s)
	if m == nil || strings.TrimSpace(s) == "" {
		return 0, false
	}
	var secs int64
	for i, unit := range []int64{5 * 8 * 3600, 8 * 3600, 3600, 60} {
		if m[i+1] != "" {
			n, _ := strconv.ParseInt(m[i+1], 10, 64)
			secs += n * unit
		}
	}
	return secs, secs > 0
}

func fmtJiraDuration(secs int64) string {
	var parts []string
	for _, u := range []struct {
		n   int64
		sfx string
	}{{5 * 8 * 3600, "w"}, {8 * 3600, "d"}, {3600, "h"}, {60, "m"}} {
		if secs >= u.n {
			parts = append(parts, strconv.FormatInt(secs/u.n, 10)+u.sfx)
			secs %= u.n
		}
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}

func (c *call) worklogObj(is *issue, w *worklog) obj {
	id := strconv.FormatInt(w.ID, 10)
	author := c.userRef(w.Author)
	o := obj{"self": c.api() + "/issue/" + strconv.FormatInt(is.ID, 10) + "/worklog/" + id, "id": id,
		"issueId": strconv.FormatInt(is.ID, 10), "author": author, "updateAuthor": author,
		"created": fmtTime(w.Created), "updated": fmtTime(w.Created), "started": fmtTime(w.Started),
		"timeSpent": fmtJiraDuration(w.Seconds), "timeSpentSeconds": w.Seconds}
	if len(w.Comment) > 0 {
		o["comment"] = c.richOut(w.Comment)
	}
	return o
}

// timeTrackingField is the timetracking field: time spent from worklogs.
func timeTrackingField(is *issue) obj {
	var spent int64
	for _, w := range is.Worklogs {
		spent += w.Seconds
	}
	if spent == 0 {
		return obj{}
	}
	return obj{"timeSpent": fmtJiraDuration(spent), "timeSpentSeconds": spent}
}

// GET /rest/api/{v}/issue/{issueIdOrKey}/worklog
func (c *call) handleGetWorklogs() {
	startAt, maxResults, ok := c.paging(5000)
	if !ok {
		return
	}
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	page := []any{}
	for i := startAt; i < len(is.Worklogs) && len(page) < maxResults; i++ {
		page = append(page, c.worklogObj(is, is.Worklogs[i]))
	}
	c.json(http.StatusOK, obj{"startAt": startAt, "maxResults": maxResults, "total": len(is.Worklogs), "worklogs": page})
}

// POST /rest/api/{v}/issue/{issueIdOrKey}/worklog
func (c *call) handleAddWorklog() {
	var body struct {
		Comment          json.RawMessage `json:"comment"`
		Started          string          `json:"started"`
		TimeSpent        string          `json:"timeSpent"`
		TimeSpentSeconds *int64          `json:"timeSpentSeconds"`
	}
	is := c.writeIssue(&body)
	if is == nil {
		return
	}
	defer c.e.mu.Unlock()
	if !c.site.can(c.who, permEdit, c.site.projectOf(is), is) && !c.site.can(c.who, permComment, c.site.projectOf(is), is) {
		c.fail(http.StatusForbidden, "You do not have the permission to log work on this issue.")
		return
	}
	secs := int64(0)
	switch {
	case body.TimeSpentSeconds != nil:
		secs = *body.TimeSpentSeconds
	case body.TimeSpent != "":
		var ok bool
		if secs, ok = parseJiraDuration(body.TimeSpent); !ok {
			c.failFields(http.StatusBadRequest, map[string]string{"timeLogged": "Invalid time duration entered."})
			return
		}
	}
	if secs <= 0 {
		c.failFields(http.StatusBadRequest, map[string]string{"timeLogged": "You must indicate the time spent working."})
		return
	}
	now := c.e.now()
	started := now
	if body.Started != "" {
		t, err := time.Parse(jiraTime, body.Started)
		if err != nil {
			c.failFields(http.StatusBadRequest, map[string]string{"started": "Invalid start date: use the format 2021-01-17T12:34:00.000+0000."})
			return
		}
		started = t
	}
	var doc json.RawMessage
	if len(body.Comment) > 0 && string(body.Comment) != "null" {
		fi := &fieldInput{c: c, errs: map[string]string{}}
		var ok bool
		if doc, ok = fi.richIn("comment", body.Comment); !ok {
			c.json(http.StatusBadRequest, newErrors(nil, fi.errs))
			return
		}
	}
	w := &worklog{ID: c.site.nextComment, Author: c.who.AccountID, Comment: doc, Started: started, Seconds: secs, Created: now}
	c.site.nextComment++
	is.Worklogs = append(is.Worklogs, w)
	is.Updated = now
	c.e.changed()
	c.json(http.StatusCreated, c.worklogObj(is, w))
}

// remoteLink is a link from an issue to a web page.
type remoteLink struct {
	ID       int64           `json:"id"`
	GlobalID string          `json:"globalId,omitempty"`
	Object   json.RawMessage `json:"object"`
	Relation string          `json:"relationship,omitempty"`
}

func (c *call) remoteLinkObj(is *issue, l *remoteLink) obj {
	id := strconv.FormatInt(l.ID, 10)
	o := obj{"id": l.ID, "self": c.api() + "/issue/" + is.Key + "/remotelink/" + id, "object": l.Object}
	if l.GlobalID != "" {
		o["globalId"] = l.GlobalID
	}
	if l.Relation != "" {
		o["relationship"] = l.Relation
	}
	return o
}

// GET /rest/api/{v}/issue/{issueIdOrKey}/remotelink: all links as an
// array, or the one with globalId as an object.
func (c *call) handleGetRemoteLinks() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	if g := c.q("globalId"); g != "" {
		for _, l := range is.RemoteLinks {
			if l.GlobalID == g {
				c.json(http.StatusOK, c.remoteLinkObj(is, l))
				return
			}
		}
		c.fail(http.StatusNotFound, "No remote link with globalId '"+g+"' exists on this issue.")
		return
	}
	out := make([]any, 0, len(is.RemoteLinks))
	for _, l := range is.RemoteLinks {
		out = append(out, c.remoteLinkObj(is, l))
	}
	c.json(http.StatusOK, out)
}

// POST /rest/api/{v}/issue/{issueIdOrKey}/remotelink: creates, or updates
// the link with the same globalId (200).
func (c *call) handleAddRemoteLink() {
	var body struct {
		GlobalID     string          `json:"globalId"`
		Object       json.RawMessage `json:"object"`
		Relationship string          `json:"relationship"`
	}
	is := c.writeIssue(&body)
	if is == nil {
		return
	}
	defer c.e.mu.Unlock()
	if !c.site.can(c.who, permLink, c.site.projectOf(is), is) {
		c.fail(http.StatusForbidden, "You do not have the permission to link issues.")
		return
	}
	var object struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	}
	if json.Unmarshal(body.Object, &object) != nil || object.URL == "" || object.Title == "" {
		c.failFields(http.StatusBadRequest, map[string]string{"title": "'title' is required.", "url": "'url' is required."})
		return
	}
	status := http.StatusCreated
	var l *remoteLink
	for _, x := range is.RemoteLinks {
		if body.GlobalID != "" && x.GlobalID == body.GlobalID {
			l, status = x, http.StatusOK
		}
	}
	if l == nil {
		l = &remoteLink{ID: c.site.nextComment, GlobalID: body.GlobalID}
		c.site.nextComment++
		is.RemoteLinks = append(is.RemoteLinks, l)
	}
	l.Object, l.Relation = compactJSON(body.Object), body.Relationship
	is.Updated = c.e.now()
	c.e.changed()
	id := strconv.FormatInt(l.ID, 10)
	c.json(status, obj{"id": l.ID, "self": c.api() + "/issue/" + is.Key + "/remotelink/" + id})
}

// DELETE /rest/api/{v}/issue/{issueIdOrKey}?deleteSubtasks=true
func (c *call) handleDeleteIssue() {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	p := c.site.projectOf(is)
	if !c.site.can(c.who, permDelete, p, is) {
		c.fail(http.StatusForbidden, "You do not have permission to delete issues in this project.")
		return
	}
	var subtasks []*issue
	for _, x := range c.site.issues {
		if x.ParentID == is.ID && c.site.types[x.TypeID].subtask() {
			subtasks = append(subtasks, x)
		}
	}
	if len(subtasks) > 0 && c.q("deleteSubtasks") != "true" {
		c.fail(http.StatusBadRequest, "The issue has subtasks. To delete it, set deleteSubtasks=true.")
		return
	}
	for _, x := range append(subtasks, is) {
		c.site.removeIssue(x)
	}
	c.e.changed()
	c.noContent()
}

// removeIssue drops is from the site with its links; children it parents
// (other than sub-tasks, which the caller removes) lose their parent.
func (s *site) removeIssue(is *issue) {
	s.issues = slices.DeleteFunc(s.issues, func(x *issue) bool { return x == is })
	delete(s.issueByID, is.ID)
	for k, x := range s.issueByKey {
		if x == is {
			delete(s.issueByKey, k)
		}
	}
	for _, l := range is.Links {
		if other := s.issueByID[l.Other]; other != nil {
			other.Links = slices.DeleteFunc(other.Links, func(x *issueLink) bool { return x.ID == l.ID })
		}
	}
	for _, x := range s.issues {
		if x.ParentID == is.ID {
			x.ParentID = 0
		}
	}
}

// subtasksField lists the issue's sub-tasks in creation order.
func (c *call) subtasksField(is *issue) []any {
	out := []any{}
	for _, x := range c.site.issues {
		if x.ParentID == is.ID && c.site.types[x.TypeID].subtask() {
			out = append(out, c.linkedIssue(x))
		}
	}
	return out
}

// GET /rest/api/{v}/issue/{issueIdOrKey}/editmeta
func (c *call) handleEditmeta() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	c.json(http.StatusOK, c.editmeta(is))
}

// editmeta lists the fields the caller may edit on is: none without Edit
// Issues.
func (c *call) editmeta(is *issue) obj {
	fields := obj{}
	p := c.site.projectOf(is)
	if c.site.can(c.who, permEdit, p, is) {
		t := c.site.types[is.TypeID]
		for _, f := range c.site.fields {
			if !p.onScreen(f.ID) || f.ID == "project" {
				continue
			}
			m := c.createField(p, t, f)
			delete(m, "fieldId")
			if f.ID == "issuetype" {
				vals := []any{}
				for _, x := range p.types {
					if x.subtask() == t.subtask() {
						vals = append(vals, c.issueTypeObj(x))
					}
				}
				m["allowedValues"] = vals
				m["operations"] = []string{"set"}
			}
			fields[f.ID] = m
		}
		fields["comment"] = obj{"key": "comment", "name": "Comment", "required": false,
			"schema": obj{"type": "comments-page", "system": "comment"}, "operations": []string{"add", "edit", "remove"}}
	}
	return obj{"fields": fields}
}

// operationsField is the operations expansion: the link groups a UI shows.
func (c *call) operationsField(is *issue) obj {
	links := []any{}
	if c.site.can(c.who, permEdit, c.site.projectOf(is), is) {
		links = append(links, obj{"id": "edit-issue", "label": "Edit", "href": c.siteURL() + "/secure/EditIssue!default.jspa?id=" + strconv.FormatInt(is.ID, 10)})
	}
	return obj{"linkGroups": []any{obj{"id": "view.issue.opsbar", "links": links, "groups": []any{}}}}
}
