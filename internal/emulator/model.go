package emulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// user is an Atlassian account; it is the same on every site.
type user struct {
	SeedUser
	groups map[string]bool
	avatar string // initials, for the avatar URLs
}

func (u *user) inGroup(g string) bool { return u.groups[g] }

// site is one Jira site: its configuration (fixed after New) and its issues
// (guarded by Emulator.mu).
type site struct {
	cloudID, name, slug string
	index               int
	members             map[string]bool // nil: everyone
	global              map[string][]string

	statuses   map[string]*status
	statusList []*status
	types      map[string]*issueType
	typeList   []*issueType // site types, then project-scoped ones
	priorities []*priority
	prioByID   map[string]*priority
	fields     []*fieldDef // system then custom
	fieldByID  map[string]*fieldDef
	workflows  map[string]*workflow
	projects   []*project // by key
	projByKey  map[string]*project
	projByID   map[string]*project
	// visibleMemo holds projectsFor's answers by visibleKey: they
	// depend only on the fixed configuration above.
	visibleMemo sync.Map
	// renders keeps encoded projects and issues (see rendercache.go).
	renders renders

	// Mutable state.
	issues      []*issue
	issueByID   map[int64]*issue
	issueByKey  map[string]*issue // upper-case current and previous keys
	nextIssueID int64
	nextComment int64 // the next id of a comment, link, worklog or remote link

	boards   []*board
	sprints  []*sprint
	sprintBy map[int]*sprint
}

type status struct {
	ID, Name, Category string
}

// categoryID, colour and name of Jira's status categories.
func (st *status) categoryInfo() (int, string, string) {
	switch st.Category {
	case "new":
		return 2, "blue-gray", "To Do"
	case "indeterminate":
		return 4, "yellow", "In Progress"
	default:
		return 3, "green", "Done"
	}
}

type issueType struct {
	SeedIssueType
	project *project // set for project-scoped (team-managed) types
}

func (t *issueType) subtask() bool { return t.HierarchyLevel < 0 }

type priority struct {
	SeedPriority
}

type workflow struct {
	SeedWorkflow
}

// transitionsFrom lists the transitions available from statusID.
func (w *workflow) transitionsFrom(statusID string) []SeedTransition {
	var out []SeedTransition
	for _, t := range w.Transitions {
		if len(t.From) == 0 || slices.Contains(t.From, statusID) {
			out = append(out, t)
		}
	}
	return out
}

type project struct {
	SeedProject
	site     *site
	types    []*issueType
	workflow *workflow
	nextNum  int
	category string // classic or next-gen
}

func (p *project) typeByID(id string) *issueType {
	for _, t := range p.types {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (p *project) typeByName(name string) *issueType {
	for _, t := range p.types {
		if strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// onScreen reports whether field id can be set on create/edit in p.
func (p *project) onScreen(id string) bool {
	switch id {
	case "summary", "description", "issuetype", "project", "priority", "assignee", "reporter",
		"labels", "duedate", "parent", "environment":
		return true
	}
	if id == fieldEpicLink {
		return !p.TeamManaged && p.TypeKey == "software"
	}
	return slices.Contains(p.Fields, id)
}

func (p *project) required(id string) bool {
	switch id {
	case "summary", "issuetype", "project":
		return true
	}
	return slices.Contains(p.Required, id)
}

// issue is the stored form of an issue. Rich text is ADF JSON; custom
// field values are stored as they are returned on REST v3.
type issue struct {
	ID          int64                      `json:"id"`
	Key         string                     `json:"key"`
	ProjectID   string                     `json:"projectId"`
	TypeID      string                     `json:"typeId"`
	StatusID    string                     `json:"statusId"`
	PriorityID  string                     `json:"priorityId,omitempty"`
	Summary     string                     `json:"summary"`
	Description json.RawMessage            `json:"description,omitempty"`
	Environment json.RawMessage            `json:"environment,omitempty"`
	Labels      []string                   `json:"labels,omitempty"`
	Assignee    string                     `json:"assignee,omitempty"`
	Reporter    string                     `json:"reporter,omitempty"`
	Creator     string                     `json:"creator,omitempty"`
	DueDate     string                     `json:"duedate,omitempty"`
	ParentID    int64                      `json:"parentId,omitempty"`
	Custom      map[string]json.RawMessage `json:"custom,omitempty"`
	Created     time.Time                  `json:"created"`
	Updated     time.Time                  `json:"updated"`
	Resolved    time.Time                  `json:"resolved,omitzero"`
	// CategoryChanged is when the status last moved to another category;
	// zero means since creation.
	CategoryChanged time.Time  `json:"categoryChanged,omitzero"`
	PreviousKeys    []string   `json:"previousKeys,omitempty"`
	Comments        []*comment `json:"comments,omitempty"`
	// ResolutionID is set by a transition into a done status, cleared on reopen.
	ResolutionID string        `json:"resolution,omitempty"`
	Links        []*issueLink  `json:"links,omitempty"`
	Watchers     []string      `json:"watchers,omitempty"` // account ids
	Worklogs     []*worklog    `json:"worklogs,omitempty"`
	RemoteLinks  []*remoteLink `json:"remoteLinks,omitempty"`
	SprintIDs    []int         `json:"sprints,omitempty"`
	// Indexed is when the issue shows up in search (search lag).
	Indexed time.Time `json:"indexed,omitzero"`
}

type comment struct {
	ID      int64           `json:"id"`
	Author  string          `json:"author"`
	Body    json.RawMessage `json:"body"`
	Created time.Time       `json:"created"`
	Updated time.Time       `json:"updated"`
}

// fieldDef describes a field for /field, createmeta and issue rendering.
type fieldDef struct {
	ID, Name   string
	Custom     bool
	SchemaType string // string, number, option, array, user, priority, …
	System     string // system field name, or "" for custom
	CustomType string // com.atlassian.jira.plugin.system.customfieldtypes:…
	CustomID   int64
	Items      string
	Orderable  bool
	Navigable  bool
	Searchable bool
	Clauses    []string
	Kind       string // custom fields: text, textarea, number, select
	Options    []SeedOption
}

// systemFields are the system fields the sandbox knows, in /field order.
var systemFields = []fieldDef{
	{ID: "summary", Name: "Summary", SchemaType: "string", System: "summary", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"summary"}},
	{ID: "description", Name: "Description", SchemaType: "string", System: "description", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"description"}},
	{ID: "issuetype", Name: "Issue Type", SchemaType: "issuetype", System: "issuetype", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"issuetype", "type"}},
	{ID: "project", Name: "Project", SchemaType: "project", System: "project", Orderable: false, Navigable: true, Searchable: true, Clauses: []string{"project"}},
	{ID: "status", Name: "Status", SchemaType: "status", System: "status", Navigable: true, Searchable: true, Clauses: []string{"status"}},
	{ID: "priority", Name: "Priority", SchemaType: "priority", System: "priority", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"priority"}},
	{ID: "assignee", Name: "Assignee", SchemaType: "user", System: "assignee", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"assignee"}},
	{ID: "reporter", Name: "Reporter", SchemaType: "user", System: "reporter", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"reporter"}},
	{ID: "creator", Name: "Creator", SchemaType: "user", System: "creator", Navigable: true, Searchable: true, Clauses: []string{"creator"}},
	{ID: "labels", Name: "Labels", SchemaType: "array", Items: "string", System: "labels", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"labels"}},
	{ID: "duedate", Name: "Due date", SchemaType: "date", System: "duedate", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"due", "duedate"}},
	{ID: "parent", Name: "Parent", SchemaType: "issuelink", System: "parent", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"parent"}},
	{ID: "environment", Name: "Environment", SchemaType: "string", System: "environment", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"environment"}},
	{ID: "created", Name: "Created", SchemaType: "datetime", System: "created", Navigable: true, Searchable: true, Clauses: []string{"created", "createdDate"}},
	{ID: "updated", Name: "Updated", SchemaType: "datetime", System: "updated", Navigable: true, Searchable: true, Clauses: []string{"updated", "updatedDate"}},
	{ID: "resolutiondate", Name: "Resolved", SchemaType: "datetime", System: "resolutiondate", Navigable: true, Searchable: true, Clauses: []string{"resolved", "resolutiondate"}},
	{ID: "statuscategorychangedate", Name: "Status Category Changed", SchemaType: "datetime", System: "statuscategorychangedate", Navigable: true, Searchable: true, Clauses: []string{"statusCategoryChangedDate"}},
	{ID: "resolution", Name: "Resolution", SchemaType: "resolution", System: "resolution", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"resolution"}},
	{ID: "subtasks", Name: "Sub-tasks", SchemaType: "array", Items: "issuelinks", System: "subtasks", Navigable: true, Clauses: []string{"subtasks"}},
	{ID: "issuelinks", Name: "Linked Issues", SchemaType: "array", Items: "issuelinks", System: "issuelinks", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"issueLink"}},
	{ID: "watches", Name: "Watchers", SchemaType: "watches", System: "watches", Navigable: true, Searchable: true, Clauses: []string{"watchers"}},
	{ID: "votes", Name: "Votes", SchemaType: "votes", System: "votes", Navigable: true, Searchable: true, Clauses: []string{"votes"}},
	{ID: "components", Name: "Components", SchemaType: "array", Items: "component", System: "components", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"component"}},
	{ID: "fixVersions", Name: "Fix versions", SchemaType: "array", Items: "version", System: "fixVersions", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"fixVersion"}},
	{ID: "versions", Name: "Affects versions", SchemaType: "array", Items: "version", System: "versions", Orderable: true, Navigable: true, Searchable: true, Clauses: []string{"affectedVersion"}},
	{ID: "attachment", Name: "Attachment", SchemaType: "array", Items: "attachment", System: "attachment", Orderable: true, Searchable: true, Clauses: []string{"attachments"}},
	{ID: "timetracking", Name: "Time tracking", SchemaType: "timetracking", System: "timetracking", Orderable: true, Searchable: true},
	{ID: "worklog", Name: "Log Work", SchemaType: "array", Items: "worklog", System: "worklog", Orderable: true, Searchable: true, Clauses: []string{"worklogComment", "worklogDate"}},
	{ID: "comment", Name: "Comment", SchemaType: "comments-page", System: "comment", Orderable: true, Searchable: true, Clauses: []string{"comment"}},
}

// navigableFields are returned for *navigable (everything but comment).
func isNavigable(id string, s *site) bool {
	f := s.fieldByID[id]
	return f != nil && f.Navigable
}

const customTypePrefix = "com.atlassian.jira.plugin.system.customfieldtypes:"

func customFieldDef(f SeedField) *fieldDef {
	id, _ := strconv.ParseInt(strings.TrimPrefix(f.ID, "customfield_"), 10, 64)
	d := &fieldDef{ID: f.ID, Name: f.Name, Custom: true, CustomID: id, Kind: f.Type, Options: f.Options,
		Orderable: true, Navigable: true, Searchable: true,
		Clauses: []string{fmt.Sprintf("cf[%d]", id), f.Name}}
	switch f.Type {
	case "text":
		d.SchemaType, d.CustomType = "string", customTypePrefix+"textfield"
	case "textarea":
		d.SchemaType, d.CustomType = "string", customTypePrefix+"textarea"
	case "number":
		d.SchemaType, d.CustomType = "number", customTypePrefix+"float"
	case "select":
		d.SchemaType, d.CustomType = "option", customTypePrefix+"select"
	}
	return d
}

// isRichText reports fields whose values are ADF on v3 and wiki markup on v2.
func (f *fieldDef) isRichText() bool {
	return f.ID == "description" || f.ID == "environment" || f.Kind == "textarea"
}

// newSite builds a site from its seed; issues are added by the caller.
func newSite(ss SeedSite, index int) *site {
	s := &site{
		cloudID: ss.CloudID, name: ss.Name, slug: ss.Slug, index: index,
		global:    ss.GlobalPermissions,
		statuses:  map[string]*status{},
		types:     map[string]*issueType{},
		prioByID:  map[string]*priority{},
		fieldByID: map[string]*fieldDef{},
		workflows: map[string]*workflow{},
		projByKey: map[string]*project{},
		projByID:  map[string]*project{},
		issueByID: map[int64]*issue{}, issueByKey: map[string]*issue{},
		nextIssueID: 10000, nextComment: 10000,
	}
	if len(ss.Members) > 0 {
		s.members = map[string]bool{}
		for _, m := range ss.Members {
			s.members[m] = true
		}
	}
	for _, st := range ss.Statuses {
		x := &status{ID: st.ID, Name: st.Name, Category: st.Category}
		s.statuses[st.ID] = x
		s.statusList = append(s.statusList, x)
	}
	for _, t := range ss.IssueTypes {
		x := &issueType{SeedIssueType: t}
		s.types[t.ID] = x
		s.typeList = append(s.typeList, x)
	}
	for _, p := range ss.Priorities {
		x := &priority{SeedPriority: p}
		s.priorities = append(s.priorities, x)
		s.prioByID[p.ID] = x
	}
	for i := range systemFields {
		f := systemFields[i]
		s.fields = append(s.fields, &f)
	}
	for _, f := range ss.Fields {
		s.fields = append(s.fields, customFieldDef(f))
	}
	for _, f := range s.fields {
		s.fieldByID[f.ID] = f
	}
	for _, w := range ss.Workflows {
		s.workflows[w.Name] = &workflow{SeedWorkflow: w}
	}
	for _, sp := range ss.Projects {
		p := &project{SeedProject: sp, site: s, workflow: s.workflows[sp.Workflow], category: "classic"}
		if p.TypeKey == "" {
			p.TypeKey = "software"
		}
		if p.TeamManaged {
			p.category = "next-gen"
		}
		for _, id := range sp.IssueTypes {
			p.types = append(p.types, s.types[id])
		}
		for _, t := range sp.OwnIssueTypes {
			x := &issueType{SeedIssueType: t, project: p}
			s.types[t.ID] = x
			s.typeList = append(s.typeList, x)
			p.types = append(p.types, x)
		}
		s.projects = append(s.projects, p)
		s.projByKey[p.Key] = p
		s.projByID[p.ID] = p
	}
	slices.SortFunc(s.projects, func(a, b *project) int { return strings.Compare(a.Key, b.Key) })
	s.addBoards(ss)
	return s
}

// projectByIDOrKey finds a project by id or (case-insensitive) key.
func (s *site) projectByIDOrKey(v string) *project {
	if p := s.projByID[v]; p != nil {
		return p
	}
	return s.projByKey[strings.ToUpper(v)]
}

// issueByIDOrKey finds an issue by id, current key or previous key, in any
// letter case.
func (s *site) issueByIDOrKey(v string) *issue {
	if numericRE().MatchString(v) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return s.issueByID[id]
		}
		return nil
	}
	return s.issueByKey[strings.ToUpper(v)]
}

func (s *site) projectOf(is *issue) *project { return s.projByID[is.ProjectID] }

func (s *site) addIssue(is *issue) {
	s.issues = append(s.issues, is)
	s.issueByID[is.ID] = is
	s.issueByKey[strings.ToUpper(is.Key)] = is
	for _, k := range is.PreviousKeys {
		s.issueByKey[strings.ToUpper(k)] = is
	}
	if is.ID >= s.nextIssueID {
		s.nextIssueID = is.ID + 1
	}
	if p := s.projectOf(is); p != nil {
		if _, n, ok := splitIssueKey(is.Key); ok && n > p.nextNum {
			p.nextNum = n
		}
	}
	for _, c := range is.Comments {
		s.nextComment = max(s.nextComment, c.ID+1)
	}
	for _, l := range is.Links {
		s.nextComment = max(s.nextComment, l.ID+1)
	}
	for _, w := range is.Worklogs {
		s.nextComment = max(s.nextComment, w.ID+1)
	}
	for _, l := range is.RemoteLinks {
		s.nextComment = max(s.nextComment, l.ID+1)
	}
}

// seedIssues turns the seed's issues into stored ones.
func (s *site) seedIssues(ss SeedSite, now time.Time) {
	byKey := map[string]*issue{}
	for i, si := range ss.Issues {
		pk, _, _ := splitIssueKey(si.Key)
		p := s.projByKey[pk]
		created := now.Add(-time.Duration(len(ss.Issues)-i) * 24 * time.Hour)
		if t, err := time.Parse(time.RFC3339, si.Created); err == nil {
			created = t
		}
		is := &issue{
			ID: s.nextIssueID, Key: si.Key, ProjectID: p.ID, TypeID: si.Type,
			StatusID: si.Status, PriorityID: si.Priority, Summary: si.Summary,
			Labels: si.Labels, Assignee: si.Assignee, Reporter: si.Reporter, Creator: si.Reporter,
			DueDate: si.DueDate, Custom: si.Fields, Created: created, Updated: created,
			PreviousKeys: si.PreviousKeys,
		}
		if si.Sprint != 0 {
			is.SprintIDs = []int{si.Sprint}
		}
		if is.StatusID == "" {
			is.StatusID = p.workflow.Initial
		}
		if is.PriorityID == "" {
			is.PriorityID = s.defaultPriority()
		}
		if s.statuses[is.StatusID].Category == "done" {
			is.Resolved, is.ResolutionID = created, resolutionDone
		}
		if len(si.Description) > 0 {
			is.Description = seedRichText(si.Description)
		}
		if parent := byKey[si.Parent]; parent != nil {
			is.ParentID = parent.ID
		}
		for j, c := range si.Comments {
			at := created.Add(time.Duration(j+1) * time.Hour)
			is.Comments = append(is.Comments, &comment{ID: s.nextComment, Author: c.Author, Body: textADF(c.Body), Created: at, Updated: at})
			s.nextComment++
		}
		byKey[si.Key] = is
		s.addIssue(is)
	}
}

func (s *site) defaultPriority() string {
	for _, p := range s.priorities {
		if p.Default {
			return p.ID
		}
	}
	if len(s.priorities) > 0 {
		return s.priorities[0].ID
	}
	return ""
}

// seedRichText accepts a plain string or an ADF document.
func seedRichText(raw json.RawMessage) json.RawMessage {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return textADF(str)
	}
	return raw
}

// textADF wraps plain text as an ADF document, one paragraph per line block.
func textADF(text string) json.RawMessage {
	type node = map[string]any
	content := []any{}
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		content = append(content, node{"type": "paragraph", "content": []any{node{"type": "text", "text": para}}})
	}
	b, _ := json.Marshal(node{"type": "doc", "version": 1, "content": content})
	return b
}
