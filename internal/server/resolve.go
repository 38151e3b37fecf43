package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// projectMeta reads one project's create metadata as one user sees it,
// through the server's cache, and remembers whether anything it handed out
// came from the cache (so a rejected id is worth a second try).
type projectMeta struct {
	cache     *metaCache
	jira      *jira.Client
	key       metaKey
	fromCache bool
}

func (s *Server) projectMeta(userID string, c *conn, project string) *projectMeta {
	return &projectMeta{cache: s.meta, jira: c.jira, key: metaKey{user: userID, cloud: c.site.CloudID, project: project}}
}

func (m *projectMeta) issueTypes(ctx context.Context) ([]jira.IssueTypeMeta, error) {
	ts, cached, err := m.cache.issueTypes(ctx, m.key, func(ctx context.Context) ([]jira.IssueTypeMeta, error) {
		return m.jira.CreateMetaIssueTypes(ctx, m.key.project)
	})
	m.fromCache = m.fromCache || cached
	return ts, err
}

func (m *projectMeta) screen(ctx context.Context, typeID string) ([]jira.FieldMeta, error) {
	fs, cached, err := m.cache.screen(ctx, m.key, typeID, func(ctx context.Context) ([]jira.FieldMeta, error) {
		return m.jira.CreateMetaFields(ctx, m.key.project, typeID)
	})
	m.fromCache = m.fromCache || cached
	return fs, err
}

// forget drops the project's cached metadata; what follows comes from Jira.
func (m *projectMeta) forget() {
	m.cache.drop(m.key)
	m.fromCache = false
}

// choiceError is a name that matches none of the values Jira offers; it
// lists the valid ones, in the API's answer too.
type choiceError struct {
	Field   string // the request's field: "type" or "priority"
	Message string
	Valid   []string
}

func (e *choiceError) Error() string {
	if len(e.Valid) == 0 {
		return e.Message
	}
	return e.Message + "; valid: " + strings.Join(e.Valid, ", ") + "."
}

// selectableTypes are the types a ticket may take: sub-task types only
// under a parent. Team-managed projects may repeat a name; the first one
// stands for it, as names are what people (and the form) send.
func selectableTypes(types []jira.IssueTypeMeta, withParent bool) []jira.IssueTypeMeta {
	var out []jira.IssueTypeMeta
	for _, t := range types {
		if t.Subtask && !withParent {
			continue
		}
		if !slices.ContainsFunc(out, func(o jira.IssueTypeMeta) bool { return strings.EqualFold(o.Name, t.Name) }) {
			out = append(out, t)
		}
	}
	return out
}

// defaultType is Task when the project has it, else its first type.
func defaultType(types []jira.IssueTypeMeta) (jira.IssueTypeMeta, bool) {
	for _, t := range types {
		if strings.EqualFold(t.Name, tm.DefaultIssueType) {
			return t, true
		}
	}
	if len(types) > 0 {
		return types[0], true
	}
	return jira.IssueTypeMeta{}, false
}

// pickType resolves name (any case, or an id) among the project's types;
// "" means the default type.
func pickType(types []jira.IssueTypeMeta, project, name, parent string) (jira.IssueTypeMeta, error) {
	ok := selectableTypes(types, parent != "")
	if len(ok) == 0 {
		return jira.IssueTypeMeta{}, &tm.Error{Code: tm.EFORBIDDEN,
			Message: "Jira offers you no issue types in " + project + ": you may lack the Create issues permission there.",
			Hint:    "Check it with GET /api/permissions?project=" + project + ", or choose another project."}
	}
	if name == "" {
		t, _ := defaultType(ok)
		return t, nil
	}
	if t, found := matchName(ok, name, func(t jira.IssueTypeMeta) (string, string) { return t.Name, t.ID }); found {
		return t, nil
	}
	if t, found := matchName(types, name, func(t jira.IssueTypeMeta) (string, string) { return t.Name, t.ID }); found && t.Subtask {
		return jira.IssueTypeMeta{}, &choiceError{Field: "type", Valid: names(ok, func(t jira.IssueTypeMeta) string { return t.Name }),
			Message: fmt.Sprintf("%s is a sub-task type: give the parent issue's key (parent), or choose another type", t.Name)}
	}
	return jira.IssueTypeMeta{}, &choiceError{Field: "type", Valid: names(ok, func(t jira.IssueTypeMeta) string { return t.Name }),
		Message: fmt.Sprintf("%s has no issue type %q", project, clip(name, 40))}
}

// priorityField is the create screen's priority field, if it has one.
func priorityField(fields []jira.FieldMeta) (jira.FieldMeta, bool) {
	for _, f := range fields {
		if f.FieldID == "priority" {
			return f, true
		}
	}
	return jira.FieldMeta{}, false
}

// pickPriority resolves name (any case, or an id) among the allowed values
// of typ's priority field in project.
func pickPriority(fields []jira.FieldMeta, project string, typ jira.IssueTypeMeta, name string) (jira.AllowedValue, error) {
	f, ok := priorityField(fields)
	if !ok {
		return jira.AllowedValue{}, &choiceError{Field: "priority",
			Message: fmt.Sprintf("%s issues in %s have no priority on their create screen: leave the priority out", typ.Name, project)}
	}
	if v, found := matchName(f.AllowedValues, name, func(v jira.AllowedValue) (string, string) { return v.Label(), v.ID }); found {
		return v, nil
	}
	return jira.AllowedValue{}, &choiceError{Field: "priority", Valid: priorityNames(f),
		Message: fmt.Sprintf("%q is not a priority of %s issues in %s", clip(name, 40), typ.Name, project)}
}

func priorityNames(f jira.FieldMeta) []string {
	return names(f.AllowedValues, jira.AllowedValue.Label)
}

// matchName finds name among items: the exact name first, then any case,
// then an id.
func matchName[T any](items []T, name string, key func(T) (name, id string)) (T, bool) {
	for _, pass := range []func(n, id string) bool{
		func(n, _ string) bool { return n == name },
		func(n, _ string) bool { return strings.EqualFold(n, name) },
		func(_, id string) bool { return id == name },
	} {
		for _, it := range items {
			if pass(key(it)) {
				return it, true
			}
		}
	}
	var zero T
	return zero, false
}

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

// ticketFields resolves in's names against the project's create metadata
// and adds them to base. The create screen is read only when a priority is
// named; the dashboard has usually cached it already.
func ticketFields(ctx context.Context, m *projectMeta, in ticketInput, base map[string]any) (map[string]any, jira.IssueTypeMeta, error) {
	types, err := m.issueTypes(ctx)
	if err != nil {
		return nil, jira.IssueTypeMeta{}, err
	}
	it, err := pickType(types, in.Project, in.Type, in.Parent)
	if err != nil {
		return nil, it, err
	}
	fields := make(map[string]any, len(base)+2)
	for k, v := range base {
		fields[k] = v
	}
	fields["issuetype"] = map[string]string{"id": it.ID}
	if in.Priority != "" {
		screen, err := m.screen(ctx, it.ID)
		if err != nil {
			return nil, it, err
		}
		p, err := pickPriority(screen, in.Project, it, in.Priority)
		if err != nil {
			return nil, it, err
		}
		fields["priority"] = map[string]string{"id": p.ID}
	}
	return fields, it, nil
}

// retryStale runs f, which resolves names through m; when f fails in a
// way cached metadata can explain and some of it came from the cache, the
// project's configuration may have changed since: the cache is dropped and
// f runs once more on what Jira says now.
func retryStale(ctx context.Context, s *Server, m *projectMeta, f func() error) error {
	err := f()
	if err == nil || !m.fromCache || !stale(err) {
		return err
	}
	s.log.InfoContext(ctx, "cached create metadata looks stale; reading it again", "project", m.key.project)
	m.forget()
	return f()
}

// stale reports whether err may come from outdated create metadata: Jira
// refused an issue type or priority id on create, or a type id on
// createmeta, or a name was not among the cached values.
func stale(err error) bool {
	var ce *choiceError
	if errors.As(err, &ce) {
		return true
	}
	var je *jira.Error
	if !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return false
	}
	_, t := je.Errors["issuetype"]
	_, p := je.Errors["priority"]
	return t || p || strings.Contains(je.URL, "/issue/createmeta/")
}

// priorityRequired reports whether Jira refused the create for want of a
// priority.
func priorityRequired(err error) bool {
	var je *jira.Error
	if !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return false
	}
	if msg, ok := je.Errors["priority"]; ok && strings.Contains(strings.ToLower(msg), "required") {
		return true
	}
	return slices.ContainsFunc(je.ErrorMessages, func(m string) bool {
		return strings.Contains(m, "'priority'") && strings.Contains(strings.ToLower(m), "required")
	})
}
