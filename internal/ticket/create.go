package ticket

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// projectKey is a project key as a draft gives it, in the form Jira and
// the memos of a bulk create know it by.
func projectKey(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// normalize checks a draft as every front end must before anything is sent
// and puts it in the form Jira takes (keys in upper case, labels trimmed).
func normalize(d tm.TicketDraft) (tm.TicketDraft, error) {
	d.ProjectKey = projectKey(d.ProjectKey)
	if d.ProjectKey == "" {
		return d, detailed(&tm.Error{Code: tm.EINVALID, Message: "a project is required: a project key such as SPACE2"}, &Detail{Field: "project"})
	}
	var err error
	if d.Summary, err = CheckSummary(d.Summary); err != nil {
		return d, err
	}
	if err := CheckText("description", d.Description); err != nil {
		return d, err
	}
	if d.Labels, err = CheckLabels(d.Labels); err != nil {
		return d, err
	}
	d.IssueType = strings.TrimSpace(d.IssueType)
	d.Priority = strings.TrimSpace(d.Priority)
	d.Assignee = strings.TrimSpace(d.Assignee)
	d.Parent = strings.ToUpper(strings.TrimSpace(d.Parent))
	var cs []string
	for _, c := range d.Components {
		if c = strings.TrimSpace(c); c != "" {
			cs = append(cs, c)
		}
	}
	d.Components = cs
	for i, fv := range d.Fields {
		fv.Name, fv.Value = strings.TrimSpace(fv.Name), strings.TrimSpace(fv.Value)
		if fv.Name == "" {
			return d, detailed(&tm.Error{Code: tm.EINVALID, Message: "a field value names no field: want \"Field name=value\""}, &Detail{Field: "fields"})
		}
		if err := CheckText(fv.Name, fv.Value); err != nil {
			return d, err
		}
		d.Fields[i] = fv
	}
	return d, nil
}

// Create makes a ticket from d, resolving its names through the project's
// create metadata. With that metadata cached, the create is the only
// request. When Jira refuses an id that came from the cache, the project's
// metadata is read afresh and the create sent once more.
func (s *Service) Create(ctx context.Context, d tm.TicketDraft) (tm.Ticket, error) {
	d, err := normalize(d)
	if err != nil {
		return tm.Ticket{}, err
	}
	r := &resolver{c: s.jira, cache: s.cache, project: d.ProjectKey}
	create := func() (tm.Ticket, error) {
		fields, err := r.build(ctx, d)
		if err != nil {
			return tm.Ticket{}, err
		}
		return s.jira.CreateIssue(ctx, jira.CreateRequest{ProjectKey: d.ProjectKey, Fields: fields})
	}
	t, err := create()
	if err != nil && r.fromCache && stale(err) {
		r.cache.Forget(d.ProjectKey)
		r.fromCache = false
		t, err = create()
	}
	if err != nil && d.Priority == "" && priorityRequired(err) {
		if e := r.priorityNeeded(ctx); e != nil {
			return tm.Ticket{}, e
		}
	}
	if err != nil {
		var te *tm.Error
		if errors.As(err, &te) {
			return tm.Ticket{}, err
		}
		var je *jira.Error
		if errors.As(err, &je) && je.Uncertain {
			return tm.Ticket{}, Explain(err, About{Project: d.ProjectKey, Site: s.jira.SiteURL()})
		}
		return tm.Ticket{}, explainCreate(err, d.ProjectKey, r.screen)
	}
	if t.Summary == "" {
		t.Summary = d.Summary
	}
	return t, nil
}

// priorityNeeded turns Jira's "priority is required" into the list of
// priorities to choose from; nil when the list cannot be had.
func (r *resolver) priorityNeeded(ctx context.Context) error {
	if r.it.ID == "" || r.loadScreen(ctx) != nil {
		return nil
	}
	f, ok := fieldByID(r.screen, "priority")
	if !ok || len(f.AllowedValues) == 0 {
		return nil
	}
	labels := names(f.AllowedValues, jira.AllowedValue.Label)
	return detailed(&tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%s issues in %s need a priority", r.it.Name, r.project),
		Hint:    "Valid priorities: " + strings.Join(labels, ", ") + "."},
		&Detail{Field: "priority", Required: true, Valid: labels, Example: labels[0], Project: r.project})
}

// Prepared is a create as it would be sent, for a dry run.
type Prepared struct {
	Request jira.PreparedRequest
	// Unresolved names what was not in the cache: it is shown by name and
	// would be resolved when creating.
	Unresolved []string
}

// PrepareCreate returns the request Create would send, sending nothing:
// names are resolved from the cache only.
func (s *Service) PrepareCreate(ctx context.Context, d tm.TicketDraft) (Prepared, error) {
	d, err := normalize(d)
	if err != nil {
		return Prepared{}, err
	}
	r := &resolver{c: s.jira, cache: s.cache, project: d.ProjectKey, offline: true}
	fields, err := r.build(ctx, d)
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{Request: s.jira.PrepareCreate(jira.CreateRequest{ProjectKey: d.ProjectKey, Fields: fields}), Unresolved: r.unresolved}, nil
}

// CreateChoices is what a create form may offer in a project.
type CreateChoices struct {
	Types []string // the issue types a ticket may take there
	Type  string   // the one chosen: the one asked for, else the default
	// Priorities are the chosen type's priorities; none when its create
	// screen has no priority field (HasPriority false).
	Priorities       []string
	HasPriority      bool
	PriorityRequired bool
}

// Choices reads what a create in project may choose: its issue types (sub-
// task types only under a parent) and, for typeName (else the default
// type; a name the project lacks falls back to it too), the priorities.
// Both come from the cache when fresh, so the create that follows needs no
// metadata request.
func (s *Service) Choices(ctx context.Context, project, typeName string, withParent bool) (CreateChoices, error) {
	project = projectKey(project)
	r := &resolver{c: s.jira, cache: s.cache, project: project}
	choices := func() (CreateChoices, error) {
		r.screen = nil
		if err := r.loadTypes(ctx); err != nil {
			return CreateChoices{}, err
		}
		it, err := pickType(r.types, project, strings.TrimSpace(typeName), withParent)
		var d *Detail
		if errors.As(err, &d) && d.Field == "type" {
			it, err = pickType(r.types, project, "", withParent)
		}
		if err != nil {
			return CreateChoices{}, err
		}
		r.it = it
		var c CreateChoices
		c.Types = names(selectableTypes(r.types, withParent), func(t jira.IssueTypeMeta) string { return t.Name })
		c.Type = it.Name
		if err := r.loadScreen(ctx); err != nil {
			return c, err
		}
		if f, ok := fieldByID(r.screen, "priority"); ok {
			c.HasPriority, c.PriorityRequired = true, f.Required
			c.Priorities = names(f.AllowedValues, jira.AllowedValue.Label)
		}
		return c, nil
	}
	c, err := choices()
	if err != nil && r.fromCache && stale(err) {
		r.cache.Forget(project)
		r.fromCache = false
		c, err = choices()
	}
	return c, err
}
