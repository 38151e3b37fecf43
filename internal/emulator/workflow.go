package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// transitionList renders the transitions available to the caller from the
// issue's status; without Transition Issues it is empty (contract §A5).
func (c *call) transitionList(is *issue, withFields bool) []any {
	out := []any{}
	p := c.site.projectOf(is)
	if !c.site.can(c.who, permTransition, p, is) {
		return out
	}
	for _, t := range p.workflow.transitionsFrom(is.StatusID) {
		tr := obj{
			"id": t.ID, "name": t.Name, "to": c.statusObj(c.site.statuses[t.To]),
			"hasScreen": false, "isGlobal": len(t.From) == 0, "isInitial": false,
			"isAvailable": true, "isConditional": false, "looped": false,
		}
		if withFields {
			tr["fields"] = obj{}
		}
		out = append(out, tr)
	}
	return out
}

// transition moves is along transition id; it returns Jira's message when
// the transition is not available. The caller holds e.mu.
func (c *call) transition(is *issue, id, res string, now time.Time) string {
	p := c.site.projectOf(is)
	for _, t := range p.workflow.transitionsFrom(is.StatusID) {
		if t.ID != id {
			continue
		}
		if c.site.statuses[is.StatusID].Category != c.site.statuses[t.To].Category {
			is.CategoryChanged = now
		}
		is.StatusID = t.To
		is.Updated = now
		if c.site.statuses[t.To].Category == "done" {
			is.Resolved = now
			is.ResolutionID = cmpOr(res, resolutionDone)
		} else {
			is.Resolved, is.ResolutionID = time.Time{}, ""
		}
		return ""
	}
	return "Transition id '" + id + "' is not valid for this issue."
}

// GET /rest/api/{v}/issue/{issueIdOrKey}/transitions
func (c *call) handleGetTransitions() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	list := c.transitionList(is, splitSet(c.q("expand"))["transitions.fields"])
	if want := c.q("transitionId"); want != "" {
		list = slices.DeleteFunc(list, func(t any) bool { return t.(obj)["id"] != want })
	}
	c.json(http.StatusOK, obj{"expand": "transitions", "transitions": list})
}

// POST /rest/api/{v}/issue/{issueIdOrKey}/transitions
func (c *call) handleDoTransition() {
	var body struct {
		Transition *struct {
			ID string `json:"id"`
		} `json:"transition"`
		Fields map[string]json.RawMessage              `json:"fields"`
		Update map[string][]map[string]json.RawMessage `json:"update"`
	}
	is := c.writeIssue(&body)
	if is == nil {
		return
	}
	defer c.e.mu.Unlock()
	p := c.site.projectOf(is)
	if body.Transition == nil || body.Transition.ID == "" {
		c.fail(http.StatusBadRequest, "Missing 'transition' identifier")
		return
	}
	if !c.site.can(c.who, permTransition, p, is) {
		c.fail(http.StatusBadRequest, "It seems that you have tried to perform a workflow operation ("+body.Transition.ID+") that is not valid for the current state of this issue ("+is.Key+"). The likely cause is that somebody has changed the issue recently, please look at the issue history for details.")
		return
	}
	in := &fieldInput{c: c, p: p, current: is, errs: map[string]string{}}
	// Resolution is on every transition screen into a done status; a
	// transition there without one resolves as Done.
	res := ""
	if raw, ok := body.Fields["resolution"]; ok {
		var ref struct{ ID, Name string }
		json.Unmarshal(raw, &ref)
		r := resolutionByRef(ref.ID, ref.Name)
		if r == nil {
			in.fail("resolution", "Could not find valid 'id' or 'name' in resolution object.")
		} else {
			res = r.ID
		}
	}
	sets := in.changes(body.Fields, body.Update, func(id string) bool { return id == "resolution" })
	if len(in.errs) > 0 {
		c.json(http.StatusBadRequest, newErrors(nil, in.errs))
		return
	}
	now := c.e.now()
	if msg := c.transition(is, body.Transition.ID, res, now); msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	for _, fn := range sets {
		fn(is)
	}
	c.e.changed()
	c.noContent()
}

// addComment appends a comment by the caller. The caller holds e.mu.
func (c *call) addComment(is *issue, body json.RawMessage) *comment {
	now := c.e.now()
	cm := &comment{ID: c.site.nextComment, Author: c.who.AccountID, Body: body, Created: now, Updated: now}
	c.site.nextComment++
	is.Comments = append(is.Comments, cm)
	is.Updated = now
	if !slices.Contains(is.Watchers, c.who.AccountID) { // Jira's default: commenters watch
		is.Watchers = append(is.Watchers, c.who.AccountID)
	}
	return cm
}

func (c *call) commentObj(is *issue, cm *comment) obj {
	id := strconv.FormatInt(cm.ID, 10)
	author := c.userRef(cm.Author)
	o := obj{
		"self": c.api() + "/issue/" + strconv.FormatInt(is.ID, 10) + "/comment/" + id, "id": id,
		"author": author, "updateAuthor": author, "body": c.richOut(cm.Body),
		"created": fmtTime(cm.Created), "updated": fmtTime(cm.Updated),
	}
	if !c.e.dc {
		o["jsdPublic"] = true
	}
	return o
}

// GET /rest/api/{v}/issue/{issueIdOrKey}/comment
func (c *call) handleGetComments() {
	startAt, maxResults, ok := c.paging(100)
	if !ok {
		return
	}
	maxResults = min(maxResults, 5000)
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	is := c.visibleIssue(c.r.PathValue("issueIdOrKey"))
	if is == nil {
		return
	}
	list := slices.Clone(is.Comments)
	if c.q("orderBy") == "-created" {
		slices.Reverse(list)
	}
	page := []any{}
	for i := startAt; i < len(list) && len(page) < maxResults; i++ {
		page = append(page, c.commentObj(is, list[i]))
	}
	c.json(http.StatusOK, obj{"startAt": startAt, "maxResults": maxResults, "total": len(list), "comments": page})
}

// POST /rest/api/{v}/issue/{issueIdOrKey}/comment
func (c *call) handleAddComment() {
	var body struct {
		Body json.RawMessage `json:"body"`
	}
	is := c.writeIssue(&body)
	if is == nil {
		return
	}
	defer c.e.mu.Unlock()
	if !c.site.can(c.who, permComment, c.site.projectOf(is), is) {
		c.fail(http.StatusBadRequest, msgCommentForbidden)
		return
	}
	if len(body.Body) == 0 || string(body.Body) == "null" {
		c.failFields(http.StatusBadRequest, map[string]string{"comment": "Comment body can not be empty!"})
		return
	}
	in := &fieldInput{c: c, errs: map[string]string{}}
	doc, ok := in.richIn("comment", body.Body)
	if !ok {
		c.json(http.StatusBadRequest, newErrors(nil, in.errs))
		return
	}
	cm := c.addComment(is, doc)
	c.e.changed()
	c.json(http.StatusCreated, c.commentObj(is, cm))
}
