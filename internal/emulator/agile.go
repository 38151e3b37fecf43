package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The agile API (/rest/agile/1.0): boards, sprints and epics, as far as a
// client needs them to find a project's board, list its sprints and put
// issues under an epic. It speaks REST v2's field shapes (wiki markup,
// totals), as Jira's agile API does on Cloud and Data Center alike.

// board is a project's board: every software project has one, a scrum
// board when the project has sprints, else a kanban (company-managed) or
// simple (team-managed) board.
type board struct {
	ID      int
	Name    string
	Type    string
	project *project
}

type sprint struct {
	SeedSprint
	board *board
}

// Agile custom fields every site with a board has.
const (
	fieldSprint   = "customfield_10020"
	fieldRank     = "customfield_10019"
	fieldEpicLink = "customfield_10014"
)

var agileFields = []fieldDef{
	{ID: fieldRank, Name: "Rank", Custom: true, CustomID: 10019, SchemaType: "any",
		CustomType: "com.pyxis.greenhopper.jira:gh-lexo-rank", Navigable: true, Searchable: true,
		Clauses: []string{"cf[10019]", "Rank"}, Kind: "rank"},
	{ID: fieldSprint, Name: "Sprint", Custom: true, CustomID: 10020, SchemaType: "array", Items: "json",
		CustomType: "com.pyxis.greenhopper.jira:gh-sprint", Orderable: true, Navigable: true, Searchable: true,
		Clauses: []string{"cf[10020]", "Sprint"}, Kind: "sprint"},
	// Epic Link is how company-managed projects (and Data Center) name an
	// issue's epic on create and edit; it reads and writes the parent.
	{ID: fieldEpicLink, Name: "Epic Link", Custom: true, CustomID: 10014, SchemaType: "any",
		CustomType: "com.pyxis.greenhopper.jira:gh-epic-link", Orderable: true, Navigable: true, Searchable: true,
		Clauses: []string{"cf[10014]", "Epic Link"}, Kind: "epiclink"},
}

// epicLinkSetter sets the parent from an Epic Link value (the epic's key).
func (in *fieldInput) epicLinkSetter(raw json.RawMessage, isNull bool) func(*issue) {
	var key string
	if !isNull && (json.Unmarshal(raw, &key) != nil || key == "") {
		in.fail(fieldEpicLink, "Epic Link must be the key of an epic, e.g. \"SPACE2-4\".")
		return nil
	}
	c := in.c
	if isNull {
		return func(is *issue) {
			if parent := c.site.issueByID[is.ParentID]; parent != nil && c.site.types[parent.TypeID].HierarchyLevel == 1 {
				is.ParentID = 0
			}
		}
	}
	ep := c.site.issueByIDOrKey(key)
	if ep == nil || !c.site.visible(c.who, c.site.projectOf(ep)) || c.site.types[ep.TypeID].HierarchyLevel != 1 {
		in.fail(fieldEpicLink, "The issue "+key+" is not an epic, or you cannot see it.")
		return nil
	}
	return func(is *issue) { is.ParentID = ep.ID }
}

// epicLinkValue is the Epic Link field: the parent's key when it is an epic.
func (c *call) epicLinkValue(is *issue) any {
	if parent := c.site.issueByID[is.ParentID]; parent != nil && c.site.types[parent.TypeID].HierarchyLevel == 1 {
		return parent.Key
	}
	return nil
}

// addBoards gives every software project of ss its board and sprints.
func (s *site) addBoards(ss SeedSite) {
	s.sprintBy = map[int]*sprint{}
	byProject := map[string]*board{}
	for _, sp := range ss.Projects {
		p := s.projByKey[sp.Key]
		if p == nil || p.TypeKey != "software" {
			continue
		}
		b := &board{ID: len(s.boards) + 1, Name: p.Key + " board", project: p, Type: "kanban"}
		if p.TeamManaged {
			b.Type = "simple"
		}
		s.boards = append(s.boards, b)
		byProject[p.Key] = b
	}
	for _, x := range ss.Sprints {
		b := byProject[x.Project]
		if b == nil {
			continue // not a software project: no board
		}
		b.Type = "scrum"
		spr := &sprint{SeedSprint: x, board: b}
		s.sprints = append(s.sprints, spr)
		s.sprintBy[x.ID] = spr
	}
	if len(s.boards) == 0 {
		return
	}
	for i := range agileFields {
		if s.fieldByID[agileFields[i].ID] == nil {
			f := agileFields[i]
			s.fields = append(s.fields, &f)
			s.fieldByID[f.ID] = &f
		}
	}
}

// rank is the issue's lexorank: issues rank in the order they were made.
func rank(is *issue) string {
	r := strconv.FormatInt(is.ID, 36)
	return "0|i" + strings.Repeat("0", max(0, 5-len(r))) + r + ":"
}

// agileOp registers an agile API operation (one version, 1.0).
func (e *Emulator) agileOp(method, path string, flags routeFlag, h func(*call)) {
	pattern := method + " /rest/agile/1.0" + path
	e.mux.Handle(pattern, &route{pattern: pattern, scopeKey: pattern, ver: "2", flags: flags, h: h, count: e.counts.cell(pattern)})
}

func (e *Emulator) agileRoutes() {
	e.agileOp("GET", "/board", anon, (*call).handleBoards)
	e.agileOp("GET", "/board/{boardId}", anon, (*call).handleBoard)
	e.agileOp("GET", "/board/{boardId}/configuration", anon, (*call).handleBoardConfiguration)
	e.agileOp("GET", "/board/{boardId}/sprint", anon, (*call).handleBoardSprints)
	e.agileOp("GET", "/board/{boardId}/sprint/{sprintId}/issue", anon, (*call).handleSprintIssues)
	e.agileOp("GET", "/board/{boardId}/issue", anon, (*call).handleBoardIssues)
	e.agileOp("GET", "/board/{boardId}/epic", anon, (*call).handleBoardEpics)
	e.agileOp("GET", "/sprint/{sprintId}", anon, (*call).handleSprint)
	e.agileOp("GET", "/sprint/{sprintId}/issue", anon, (*call).handleSprintIssues)
	e.agileOp("POST", "/sprint/{sprintId}/issue", 0, (*call).handleMoveToSprint)
	e.agileOp("GET", "/epic/{epicIdOrKey}", anon, (*call).handleEpic)
	e.agileOp("GET", "/epic/{epicIdOrKey}/issue", anon, (*call).handleEpicIssues)
	e.agileOp("POST", "/epic/{epicIdOrKey}/issue", 0, (*call).handleMoveToEpic)
	e.agileOp("POST", "/epic/none/issue", 0, (*call).handleMoveToEpic)
}

func (c *call) agileSelf() string { return c.self() + "/rest/agile/1.0" }

// visibleBoard finds the board of the path, or answers 404 as Jira does.
func (c *call) visibleBoard() *board {
	id, _ := strconv.Atoi(c.r.PathValue("boardId"))
	for _, b := range c.site.boards {
		if b.ID == id && c.site.visible(c.who, b.project) {
			return b
		}
	}
	c.fail(http.StatusNotFound, "The requested board cannot be viewed because it either does not exist or you do not have permission to view it.")
	return nil
}

// visibleSprint finds the sprint of the path (on the path's board, when
// there is one), or answers 404.
func (c *call) visibleSprint(b *board) *sprint {
	id, _ := strconv.Atoi(c.r.PathValue("sprintId"))
	sp := c.site.sprintBy[id]
	if sp == nil || !c.site.visible(c.who, sp.board.project) || (b != nil && sp.board != b) {
		c.fail(http.StatusNotFound, "The requested sprint cannot be viewed because it either does not exist or you do not have permission to view it.")
		return nil
	}
	return sp
}

func (c *call) boardObj(b *board) obj {
	p := b.project
	return obj{"id": b.ID, "self": c.agileSelf() + "/board/" + strconv.Itoa(b.ID), "name": b.Name, "type": b.Type,
		"location": obj{"projectId": p.ID, "displayName": p.Name + " (" + p.Key + ")", "projectName": p.Name,
			"projectKey": p.Key, "projectTypeKey": p.TypeKey, "name": p.Name + " (" + p.Key + ")",
			"avatarURI": c.projectAvatars(p)["48x48"]}}
}

// sprintDates places seed sprints around the sandbox's start.
func (c *call) sprintDates(sp *sprint) (start, end time.Time) {
	t0 := c.e.start.Truncate(24 * time.Hour)
	switch sp.State {
	case "closed":
		return t0.Add(-21 * 24 * time.Hour), t0.Add(-7 * 24 * time.Hour)
	case "active":
		return t0.Add(-7 * 24 * time.Hour), t0.Add(7 * 24 * time.Hour)
	}
	return time.Time{}, time.Time{}
}

func (c *call) sprintObj(sp *sprint) obj {
	o := obj{"id": sp.ID, "self": c.agileSelf() + "/sprint/" + strconv.Itoa(sp.ID), "state": sp.State,
		"name": sp.Name, "originBoardId": sp.board.ID, "goal": sp.Goal}
	if start, end := c.sprintDates(sp); !start.IsZero() {
		o["startDate"], o["endDate"] = start.UTC().Format("2006-01-02T15:04:05.000Z"), end.UTC().Format("2006-01-02T15:04:05.000Z")
		if sp.State == "closed" {
			o["completeDate"] = o["endDate"]
		}
	}
	return o
}

// sprintField is the Sprint field's value: the issue's sprints, or nil.
func (c *call) sprintField(is *issue) any {
	if len(is.SprintIDs) == 0 {
		return nil
	}
	out := []any{}
	for _, id := range is.SprintIDs {
		if sp := c.site.sprintBy[id]; sp != nil {
			o := c.sprintObj(sp)
			delete(o, "self")
			delete(o, "originBoardId")
			o["boardId"] = sp.board.ID
			out = append(out, o)
		}
	}
	return out
}

// page answers one page of values in the agile API's paging shape.
func (c *call) agilePage(values []any, startAt, maxResults int) {
	page := []any{}
	for i := startAt; i < len(values) && len(page) < maxResults; i++ {
		page = append(page, values[i])
	}
	c.json(http.StatusOK, obj{"maxResults": maxResults, "startAt": startAt, "total": len(values),
		"isLast": startAt+len(page) >= len(values), "values": page})
}

// GET /rest/agile/1.0/board
func (c *call) handleBoards() {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	ref, typ, name := c.q("projectKeyOrId"), c.q("type"), strings.ToLower(c.q("name"))
	var want *project
	if ref != "" {
		if want = c.site.projectByIDOrKey(ref); want == nil || !c.site.visible(c.who, want) {
			c.fail(http.StatusBadRequest, "No project could be found with key or id '"+ref+"'.")
			return
		}
	}
	values := []any{}
	for _, b := range c.site.boards {
		if !c.site.visible(c.who, b.project) || (want != nil && b.project != want) ||
			(typ != "" && !slices.Contains(strings.Split(typ, ","), b.Type)) ||
			(name != "" && !strings.Contains(strings.ToLower(b.Name), name)) {
			continue
		}
		values = append(values, c.boardObj(b))
	}
	c.agilePage(values, startAt, maxResults)
}

// GET /rest/agile/1.0/board/{boardId}
func (c *call) handleBoard() {
	if b := c.visibleBoard(); b != nil {
		c.json(http.StatusOK, c.boardObj(b))
	}
}

// GET /rest/agile/1.0/board/{boardId}/configuration
func (c *call) handleBoardConfiguration() {
	b := c.visibleBoard()
	if b == nil {
		return
	}
	p := b.project
	byCat := map[string][]any{}
	for _, st := range c.site.statusList {
		if p.workflow.usesStatus(st.ID) {
			byCat[st.Category] = append(byCat[st.Category], obj{"id": st.ID, "self": c.api() + "/status/" + st.ID})
		}
	}
	columns := []any{}
	for _, col := range []struct{ name, cat string }{{"To Do", "new"}, {"In Progress", "indeterminate"}, {"Done", "done"}} {
		sts := byCat[col.cat]
		if sts == nil {
			sts = []any{}
		}
		columns = append(columns, obj{"name": col.name, "statuses": sts})
	}
	id := strconv.Itoa(b.ID)
	o := obj{"id": b.ID, "name": b.Name, "type": b.Type, "self": c.agileSelf() + "/board/" + id + "/configuration",
		"location":     obj{"type": "project", "key": p.Key, "id": p.ID, "self": c.api() + "/project/" + p.ID, "name": p.Name},
		"filter":       obj{"id": strconv.Itoa(10000 + b.ID), "self": c.api() + "/filter/" + strconv.Itoa(10000+b.ID)},
		"columnConfig": obj{"columns": columns, "constraintType": "none"},
		"ranking":      obj{"rankCustomFieldId": 10019},
	}
	if b.Type == "scrum" {
		o["estimation"] = obj{"type": "field", "field": obj{"fieldId": "customfield_10016", "displayName": "Story point estimate"}}
		o["subQuery"] = obj{"query": "resolution = EMPTY OR resolution changed after -2w"}
	}
	c.json(http.StatusOK, o)
}

// GET /rest/agile/1.0/board/{boardId}/sprint
func (c *call) handleBoardSprints() {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	b := c.visibleBoard()
	if b == nil {
		return
	}
	if b.Type != "scrum" {
		c.fail(http.StatusBadRequest, "The board does not support sprints")
		return
	}
	states := c.listParam("state")
	values := []any{}
	for _, sp := range c.site.sprints {
		if sp.board == b && (len(states) == 0 || slices.Contains(states, sp.State)) {
			values = append(values, c.sprintObj(sp))
		}
	}
	c.agilePage(values, startAt, maxResults)
}

// GET /rest/agile/1.0/sprint/{sprintId}
func (c *call) handleSprint() {
	if sp := c.visibleSprint(nil); sp != nil {
		c.json(http.StatusOK, c.sprintObj(sp))
	}
}

// agileIssues answers the issues keep accepts among those matching the
// request's jql, in the agile API's search shape (with total). The caller
// holds e.mu (read).
func (c *call) agileIssues(keep func(*issue) bool) {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	maxResults = min(maxResults, 1000)
	matches, ok := c.runQuery(c.q("jql"), false, nil)
	if !ok {
		return
	}
	matches = slices.DeleteFunc(matches, func(is *issue) bool { return !keep(is) })
	fields := c.listParam("fields")
	if len(fields) == 0 {
		fields = []string{"*navigable"}
	}
	sel := parseFieldSelection(fields, false)
	expand := splitSet(c.q("expand"))
	render := c.issueRenderer(sel, expand)
	issues := []any{}
	for i := startAt; i < len(matches) && len(issues) < maxResults; i++ {
		issues = append(issues, render(matches[i]))
	}
	c.json(http.StatusOK, obj{"expand": "schema,names", "startAt": startAt, "maxResults": maxResults,
		"total": len(matches), "issues": issues})
}

// GET /rest/agile/1.0/board/{boardId}/sprint/{sprintId}/issue and
// /rest/agile/1.0/sprint/{sprintId}/issue
func (c *call) handleSprintIssues() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	var b *board
	if c.r.PathValue("boardId") != "" {
		if b = c.visibleBoard(); b == nil {
			return
		}
	}
	sp := c.visibleSprint(b)
	if sp == nil {
		return
	}
	c.agileIssues(func(is *issue) bool { return slices.Contains(is.SprintIDs, sp.ID) })
}

// GET /rest/agile/1.0/board/{boardId}/issue
func (c *call) handleBoardIssues() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	b := c.visibleBoard()
	if b == nil {
		return
	}
	c.agileIssues(func(is *issue) bool { return is.ProjectID == b.project.ID })
}

// GET /rest/agile/1.0/board/{boardId}/epic
func (c *call) handleBoardEpics() {
	startAt, maxResults, ok := c.paging(50)
	if !ok {
		return
	}
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	b := c.visibleBoard()
	if b == nil {
		return
	}
	values := []any{}
	for _, is := range c.site.issues {
		if is.ProjectID == b.project.ID && c.site.types[is.TypeID].HierarchyLevel == 1 {
			values = append(values, c.epicObj(is))
		}
	}
	c.agilePage(values, startAt, maxResults)
}

func (c *call) epicObj(is *issue) obj {
	id := strconv.FormatInt(is.ID, 10)
	return obj{"id": is.ID, "key": is.Key, "self": c.agileSelf() + "/epic/" + id, "name": is.Summary,
		"summary": is.Summary, "done": c.site.statuses[is.StatusID].Category == "done",
		"color": obj{"key": "color_1"}}
}

// visibleEpic finds the epic of the path, or answers 404 (not an epic:
// 400, as Jira does).
func (c *call) visibleEpic() *issue {
	ref := c.r.PathValue("epicIdOrKey")
	is := c.site.issueByIDOrKey(ref)
	if is == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
		c.fail(http.StatusNotFound, "Issue '"+ref+"' does not exist or you do not have permission to see it.")
		return nil
	}
	if c.site.types[is.TypeID].HierarchyLevel != 1 {
		c.fail(http.StatusBadRequest, "Issue '"+is.Key+"' is not an epic.")
		return nil
	}
	return is
}

// GET /rest/agile/1.0/epic/{epicIdOrKey}
func (c *call) handleEpic() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	if ep := c.visibleEpic(); ep != nil {
		c.json(http.StatusOK, c.epicObj(ep))
	}
}

// GET /rest/agile/1.0/epic/{epicIdOrKey}/issue
func (c *call) handleEpicIssues() {
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	ep := c.visibleEpic()
	if ep == nil {
		return
	}
	c.agileIssues(func(is *issue) bool { return is.ParentID == ep.ID })
}

// moveBody is the body of the agile API's "move issues to" operations.
type moveBody struct {
	Issues []string `json:"issues"`
}

// movable resolves the issues of a move (at most 50), answering 400 for
// one that does not exist, or that the caller may not edit. The caller
// holds e.mu.
func (c *call) movable(refs []string) ([]*issue, bool) {
	if len(refs) == 0 || len(refs) > 50 {
		c.fail(http.StatusBadRequest, "Specify between 1 and 50 issues to move.")
		return nil, false
	}
	out := make([]*issue, 0, len(refs))
	for _, ref := range refs {
		is := c.site.issueByIDOrKey(ref)
		if is == nil || !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
			c.fail(http.StatusBadRequest, "Issue '"+ref+"' does not exist or you do not have permission to see it.")
			return nil, false
		}
		if !c.site.can(c.who, permEdit, c.site.projectOf(is), is) {
			c.fail(http.StatusForbidden, msgEditForbidden)
			return nil, false
		}
		out = append(out, is)
	}
	return out, true
}

// POST /rest/agile/1.0/sprint/{sprintId}/issue
func (c *call) handleMoveToSprint() {
	var body moveBody
	if !c.decode(&body) {
		return
	}
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	sp := c.visibleSprint(nil)
	if sp == nil {
		return
	}
	if sp.State == "closed" {
		c.fail(http.StatusBadRequest, "Issues can't be moved to a closed sprint.")
		return
	}
	list, ok := c.movable(body.Issues)
	if !ok {
		return
	}
	now := c.e.now()
	for _, is := range list {
		// An issue is in one open sprint at a time; closed ones stay in its history.
		is.SprintIDs = slices.DeleteFunc(is.SprintIDs, func(id int) bool {
			x := c.site.sprintBy[id]
			return x == nil || x.State != "closed"
		})
		is.SprintIDs = append(is.SprintIDs, sp.ID)
		is.Updated = now
	}
	c.e.changed()
	c.noContent()
}

// POST /rest/agile/1.0/epic/{epicIdOrKey}/issue and /epic/none/issue
func (c *call) handleMoveToEpic() {
	var body moveBody
	if !c.decode(&body) {
		return
	}
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	var ep *issue
	if strings.HasSuffix(c.route.pattern, "/epic/{epicIdOrKey}/issue") {
		if ep = c.visibleEpic(); ep == nil {
			return
		}
	}
	list, ok := c.movable(body.Issues)
	if !ok {
		return
	}
	for _, is := range list {
		if c.site.types[is.TypeID].HierarchyLevel != 0 {
			c.fail(http.StatusBadRequest, "Issue '"+is.Key+"' cannot be moved to an epic: only standard issues belong to epics.")
			return
		}
	}
	now := c.e.now()
	for _, is := range list {
		if ep != nil {
			is.ParentID = ep.ID
		} else if parent := c.site.issueByID[is.ParentID]; parent != nil && c.site.types[parent.TypeID].HierarchyLevel == 1 {
			is.ParentID = 0
		}
		is.Updated = now
	}
	c.e.changed()
	c.noContent()
}

// usesStatus reports whether the workflow can reach status id.
func (w *workflow) usesStatus(id string) bool {
	if w.Initial == id {
		return true
	}
	for _, t := range w.Transitions {
		if t.To == id {
			return true
		}
	}
	return false
}
