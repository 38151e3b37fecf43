package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// Comment adds a Markdown comment to an issue (ADF on Cloud, wiki markup
// on Data Center).
func (s *Service) Comment(ctx context.Context, key, markdown string) (tm.Comment, error) {
	key, err := CheckKey(key)
	if err != nil {
		return tm.Comment{}, err
	}
	body, err := s.commentBody(markdown)
	if err != nil {
		return tm.Comment{}, err
	}
	c, err := s.jira.AddComment(ctx, key, body)
	if err != nil {
		return tm.Comment{}, explainIssue(err, key, "comment")
	}
	return s.comment(c), nil
}

func (s *Service) commentBody(markdown string) (any, error) {
	if strings.TrimSpace(markdown) == "" {
		return nil, detailed(&tm.Error{Code: tm.EINVALID, Message: "the comment is empty"}, &Detail{Field: "comment"})
	}
	if err := CheckText("comment", markdown); err != nil {
		return nil, err
	}
	return richText(s.jira, "comment", markdown)
}

// Transitions lists the moves the issue's workflow offers now.
func (s *Service) Transitions(ctx context.Context, key string) ([]tm.Transition, error) {
	ts, _, err := s.transitions(ctx, key)
	return ts, err
}

// transitions reads the moves, with each one's screen by transition id.
func (s *Service) transitions(ctx context.Context, key string) ([]tm.Transition, map[string]map[string]jira.FieldMeta, error) {
	key, err := CheckKey(key)
	if err != nil {
		return nil, nil, err
	}
	ts, err := s.jira.Transitions(ctx, key)
	if err != nil {
		return nil, nil, explainIssue(err, key, "transition")
	}
	out := make([]tm.Transition, len(ts))
	screens := make(map[string]map[string]jira.FieldMeta, len(ts))
	for i, t := range ts {
		out[i] = tm.Transition{ID: t.ID, Name: t.Name, To: t.To.Name}
		for id, f := range t.Fields {
			if f.Required && !f.HasDefaultValue && id != "resolution" {
				out[i].Required = append(out[i].Required, cmpOr(f.Name, id))
			}
		}
		sort.Strings(out[i].Required)
		screens[t.ID] = t.Fields
	}
	return out, screens, nil
}

// Move is a transition asked for by name.
type Move struct {
	To         string // a transition's name or its target status, any case
	Comment    string // Markdown, added on the way
	Resolution string // a resolution name, for transitions that set one
	// Fields fill the transition's screen, by field name (any case) or id.
	Fields []tm.FieldValue
}

// Transition moves an issue: m.To matches a transition's name first, then
// a target status's (any case). A field the transition's screen requires
// must be among m.Fields: it is checked before anything is sent. It
// returns the transition made.
func (s *Service) Transition(ctx context.Context, key string, m Move) (tm.Transition, error) {
	ts, screens, err := s.transitions(ctx, key)
	if err != nil {
		return tm.Transition{}, err
	}
	key, _ = CheckKey(key)
	t, err := pickTransition(ts, key, m.To)
	if err != nil {
		return tm.Transition{}, err
	}
	fields := map[string]any{}
	if r := strings.TrimSpace(m.Resolution); r != "" {
		fields["resolution"] = map[string]string{"name": r}
	}
	r := &resolver{c: s.jira, project: projectOf(key), where: fmt.Sprintf("the screen of %q on %s", t.Name, key)}
	for id, f := range screens[t.ID] {
		if f.FieldID == "" {
			f.FieldID = id
		}
		r.screen = append(r.screen, f)
	}
	for _, fv := range m.Fields {
		fv.Name, fv.Value = strings.TrimSpace(fv.Name), strings.TrimSpace(fv.Value)
		f, err := r.customField(fv.Name)
		if err != nil {
			return tm.Transition{}, err
		}
		if err := CheckText(fv.Name, fv.Value); err != nil {
			return tm.Transition{}, err
		}
		if fields[f.FieldID], err = r.fieldValue(f, fv); err != nil {
			return tm.Transition{}, err
		}
	}
	var missing []string
	for _, f := range r.screen {
		if _, set := fields[f.FieldID]; f.Required && !f.HasDefaultValue && f.FieldID != "resolution" && !set {
			missing = append(missing, cmpOr(f.Name, f.FieldID))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return tm.Transition{}, detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("%q on %s needs %s", t.Name, key, strings.Join(missing, ", ")),
			Hint:    "Give a value for each, or make the transition in Jira itself: " + s.jira.BrowseURL(key)},
			&Detail{Field: missing[0], Required: true, Issue: key})
	}
	var update map[string]any
	if strings.TrimSpace(m.Comment) != "" {
		body, err := s.commentBody(m.Comment)
		if err != nil {
			return tm.Transition{}, err
		}
		update = map[string]any{"comment": []any{map[string]any{"add": map[string]any{"body": body}}}}
	}
	if err := s.jira.DoTransition(ctx, key, t.ID, fields, update); err != nil {
		return tm.Transition{}, explainIssue(err, key, "transition")
	}
	return t, nil
}

func pickTransition(ts []tm.Transition, key, to string) (tm.Transition, error) {
	to = strings.TrimSpace(to)
	for _, match := range []func(t tm.Transition) bool{
		func(t tm.Transition) bool { return strings.EqualFold(t.Name, to) },
		func(t tm.Transition) bool { return strings.EqualFold(t.To, to) },
		func(t tm.Transition) bool { return t.ID == to },
	} {
		for _, t := range ts {
			if match(t) {
				return t, nil
			}
		}
	}
	valid := make([]string, len(ts))
	for i, t := range ts {
		valid[i] = t.To
	}
	if len(ts) == 0 {
		return tm.Transition{}, detailed(&tm.Error{Code: tm.EFORBIDDEN,
			Message: key + " offers no transitions to you: its workflow has none from its status, or you lack Transition Issues"}, &Detail{Field: "status", Issue: key})
	}
	moves := make([]string, len(ts))
	for i, t := range ts {
		moves[i] = fmt.Sprintf("%s (→ %s)", t.Name, t.To)
	}
	return tm.Transition{}, detailed(&tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%s cannot move to %q from where it is", key, clip(to, 40)),
		Hint:    "Available: " + strings.Join(moves, ", ") + "."}, &Detail{Field: "status", Issue: key, Valid: valid, Example: valid[0]})
}

// Assign gives an issue to who: "me", "none", an email address, an
// account id (Data Center: a username).
func (s *Service) Assign(ctx context.Context, key, who string) error {
	key, err := CheckKey(key)
	if err != nil {
		return err
	}
	user, err := s.userField(ctx, who)
	if err != nil {
		return err
	}
	if strings.EqualFold(strings.TrimSpace(who), "none") {
		// Unassigning is an edit: the assignee endpoint names a user.
		err = s.jira.EditIssue(ctx, key, map[string]any{"assignee": nil}, nil)
	} else {
		err = s.jira.Assign(ctx, key, user)
	}
	var je *jira.Error
	if errors.As(err, &je) && je.StatusCode == http.StatusBadRequest && userMissing(je) {
		return noSuchUser(err, About{User: who})
	}
	return explainIssue(err, key, "assign")
}

// userField is who as the assignee endpoint takes a user.
func (s *Service) userField(ctx context.Context, who string) (map[string]any, error) {
	who = strings.TrimSpace(who)
	dc := s.jira.DataCenter()
	idKey := "accountId"
	if dc {
		idKey = "name"
	}
	switch {
	case who == "":
		return nil, detailed(&tm.Error{Code: tm.EINVALID, Message: "name the assignee: me, none, an email address or an account id"}, &Detail{Field: "assignee"})
	case strings.EqualFold(who, "none"):
		return nil, nil
	case strings.EqualFold(who, "me"):
		me, _, err := s.cache.Myself(ctx, s.jira.Myself)
		if err != nil {
			return nil, Explain(err, About{})
		}
		return toAny(accountRef(me, dc)), nil
	case strings.Contains(who, "@"):
		acc, err := findUser(ctx, s.jira, who)
		if err != nil {
			return nil, err
		}
		return toAny(accountRef(acc, dc)), nil
	}
	return map[string]any{idKey: who}, nil
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Change is an edit of an issue's fields; empty parts stay as they are.
type Change struct {
	Summary     *string
	Description *string // Markdown
	AddLabels   []string
	DropLabels  []string
	Priority    string // a name
	Fields      []tm.FieldValue
}

// Edit changes an issue. Custom fields are named as on the create screen
// of the issue's type in its project.
func (s *Service) Edit(ctx context.Context, key string, c Change) error {
	key, err := CheckKey(key)
	if err != nil {
		return err
	}
	fields, update := map[string]any{}, map[string]any{}
	if c.Summary != nil {
		sum, err := CheckSummary(*c.Summary)
		if err != nil {
			return err
		}
		fields["summary"] = sum
	}
	if c.Description != nil {
		if err := CheckText("description", *c.Description); err != nil {
			return err
		}
		if strings.TrimSpace(*c.Description) == "" {
			fields["description"] = nil
		} else if fields["description"], err = richText(s.jira, "description", *c.Description); err != nil {
			return err
		}
	}
	add, err := CheckLabels(c.AddLabels)
	if err != nil {
		return err
	}
	drop, err := CheckLabels(c.DropLabels)
	if err != nil {
		return err
	}
	var ops []any
	for _, l := range add {
		ops = append(ops, map[string]string{"add": l})
	}
	for _, l := range drop {
		ops = append(ops, map[string]string{"remove": l})
	}
	if len(ops) > 0 {
		update["labels"] = ops
	}
	if p := strings.TrimSpace(c.Priority); p != "" {
		fields["priority"] = map[string]string{"name": p}
	}
	if len(c.Fields) > 0 {
		if err := s.editFields(ctx, key, c.Fields, fields); err != nil {
			return err
		}
	}
	if len(fields) == 0 && len(update) == 0 {
		return detailed(&tm.Error{Code: tm.EINVALID, Message: "nothing to change"}, &Detail{Issue: key})
	}
	if err := s.jira.EditIssue(ctx, key, fields, update); err != nil {
		return explainIssue(err, key, "edit")
	}
	return nil
}

// editFields resolves fields by name through the create screen of the
// issue's type (the edit screen is not in create metadata; the two agree
// on names and types).
func (s *Service) editFields(ctx context.Context, key string, fvs []tm.FieldValue, out map[string]any) error {
	raw, err := s.jira.GetIssue(ctx, key, []string{"project", "issuetype"})
	if err != nil {
		return Explain(err, About{Issue: key})
	}
	var proj struct {
		Key string `json:"key"`
	}
	_ = json.Unmarshal(raw.Fields["project"], &proj)
	var it jira.IssueTypeMeta
	_ = json.Unmarshal(raw.Fields["issuetype"], &it)
	r := &resolver{c: s.jira, cache: s.cache, project: proj.Key, it: it}
	if err := r.loadScreen(ctx); err != nil {
		return err
	}
	for _, fv := range fvs {
		f, err := r.customField(strings.TrimSpace(fv.Name))
		if err != nil {
			return err
		}
		if err := CheckText(fv.Name, fv.Value); err != nil {
			return err
		}
		v, err := r.fieldValue(f, fv)
		if err != nil {
			return err
		}
		out[f.FieldID] = v
	}
	return nil
}

// explainIssue explains a refusal of an operation (what: "comment",
// "transition", "assign", "edit") on an issue.
func explainIssue(err error, key, what string) error {
	if err == nil {
		return nil
	}
	var je *jira.Error
	var te *tm.Error
	if errors.As(err, &te) || !errors.As(err, &je) {
		return err
	}
	if je.StatusCode == http.StatusForbidden || je.StatusCode == http.StatusBadRequest && noPermission(je) {
		perm := map[string]string{"comment": "Add Comments", "transition": "Transition Issues", "assign": "Assign Issues", "edit": "Edit Issues"}[what]
		return detailed(&tm.Error{Code: tm.EFORBIDDEN, Err: err,
			Message: fmt.Sprintf("Jira refused to %s %s: %s", what, key, strings.Join(je.Messages(), "; ")),
			Hint:    fmt.Sprintf("This needs the %q permission in %s's project: ask a Jira admin of the project for it.", perm, key)},
			&Detail{Issue: key, Project: projectOf(key)})
	}
	if je.StatusCode == http.StatusBadRequest {
		return detailed(&tm.Error{Code: tm.EINVALID, Err: err,
			Message: fmt.Sprintf("Jira refused to %s %s: %s", what, key, strings.Join(je.Messages(), "; "))}, &Detail{Issue: key})
	}
	return Explain(err, About{Issue: key})
}

func noPermission(je *jira.Error) bool {
	for _, m := range je.Messages() {
		if l := strings.ToLower(m); strings.Contains(l, "permission") || strings.Contains(l, "not valid for the current state") {
			return true
		}
	}
	return false
}

func projectOf(key string) string {
	p, _, _ := strings.Cut(key, "-")
	return p
}
