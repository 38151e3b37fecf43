package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/adf"
	"github.com/ticket-mate/tm/internal/jira"
)

// resolver turns a draft's names into the fields of a create request,
// through the project's create metadata.
type resolver struct {
	c       *jira.Client
	cache   MetaCache
	project string
	offline bool      // a dry run: only the cache is used, nothing is sent
	users   *userMemo // users found by email, shared by the rows of a bulk create
	picks   typePicks // issue types chosen, shared by the rows of a bulk create; nil: none kept

	where      string   // the screen the fields are on, for messages; "": the chosen type's create screen
	fromCache  bool     // some id came from the cache
	unresolved []string // names a dry run could not resolve
	types      []jira.IssueTypeMeta
	it         jira.IssueTypeMeta
	screen     []jira.FieldMeta // the chosen type's create screen, when read
}

func (r *resolver) fetchTypes(ctx context.Context) ([]jira.IssueTypeMeta, error) {
	if r.offline {
		return nil, errOffline
	}
	return r.c.CreateMetaIssueTypes(ctx, r.project)
}

// loadTypes fills r.types from the cache, or from Jira.
func (r *resolver) loadTypes(ctx context.Context) error {
	ts, cached, err := r.cache.IssueTypes(ctx, r.project, r.fetchTypes)
	r.types, err = settle(r, ts, cached, err)
	return err
}

// loadScreen fills r.screen with the create screen of the chosen type.
func (r *resolver) loadScreen(ctx context.Context) error {
	if r.it.ID == "" || r.screen != nil {
		return nil
	}
	fs, cached, err := r.cache.Screen(ctx, r.project, r.it.ID, func(ctx context.Context) ([]jira.FieldMeta, error) {
		if r.offline {
			return nil, errOffline
		}
		return r.c.CreateMetaFields(ctx, r.project, r.it.ID)
	})
	r.screen, err = settle(r, fs, cached, err)
	return err
}

// settle takes what the cache answered: nothing in a dry run that missed,
// an explained error, or the list (never nil), noting whether it was cached.
func settle[T any](r *resolver, v []T, cached bool, err error) ([]T, error) {
	if errors.Is(err, errOffline) {
		return nil, nil
	}
	if err != nil {
		return nil, Explain(err, About{Project: r.project})
	}
	if v == nil {
		v = []T{}
	}
	r.fromCache = r.fromCache || cached
	return v, nil
}

// build resolves the draft. Requests that do not depend on each other go
// out together: the issue types and the assignee first, then the chosen
// type's create screen when a priority or a custom field needs it. With a
// warm cache nothing is fetched and the create is the only request.
func (r *resolver) build(ctx context.Context, d tm.TicketDraft) (map[string]any, error) {
	fields, err := baseFields(r.c, d)
	if err != nil {
		return nil, err
	}
	if err := r.complete(ctx, d, fields); err != nil {
		return nil, err
	}
	return fields, nil
}

// baseFields returns the fields of the draft that need nothing from Jira.
func baseFields(c *jira.Client, d tm.TicketDraft) (map[string]any, error) {
	fields := map[string]any{"summary": d.Summary}
	if strings.TrimSpace(d.Description) != "" {
		desc, err := richText(c, "description", d.Description)
		if err != nil {
			return nil, err
		}
		fields["description"] = desc
	}
	if len(d.Labels) > 0 {
		fields["labels"] = d.Labels
	}
	if len(d.Components) > 0 {
		cs := make([]map[string]string, len(d.Components))
		for i, c := range d.Components {
			cs[i] = map[string]string{"name": c}
		}
		fields["components"] = cs
	}
	if d.Parent != "" {
		fields["parent"] = map[string]string{"key": d.Parent}
	}
	return fields, nil
}

// complete adds to fields what goes through the project's metadata and
// its users: the issue type, the assignee, the priority, custom fields.
func (r *resolver) complete(ctx context.Context, d tm.TicketDraft, fields map[string]any) error {
	r.screen = nil
	var (
		wg                sync.WaitGroup
		typesErr, userErr error
		assignee          map[string]string
	)
	if d.Assignee != "" {
		wg.Go(func() { typesErr = r.loadTypes(ctx) })
		assignee, userErr = r.assignee(ctx, d.Assignee)
		wg.Wait()
	} else {
		typesErr = r.loadTypes(ctx)
	}
	if typesErr != nil {
		return typesErr
	}
	if userErr != nil {
		return userErr
	}
	if assignee != nil {
		fields["assignee"] = assignee
	}

	if r.types == nil { // dry run without cached metadata
		name := cmpOr(d.IssueType, tm.DefaultIssueType)
		r.unresolved = append(r.unresolved, "issue type "+strconv.Quote(name))
		fields["issuetype"] = map[string]string{"name": name}
		if d.Priority != "" {
			fields["priority"] = map[string]string{"name": d.Priority}
			r.unresolved = append(r.unresolved, "priority "+strconv.Quote(d.Priority))
		}
		for _, fv := range d.Fields {
			fields[fv.Name] = fv.Value
			r.unresolved = append(r.unresolved, "field "+strconv.Quote(fv.Name))
		}
		return nil
	}
	it, ref, err := r.pickType(d.IssueType, d.Parent != "")
	if err != nil {
		return err
	}
	r.it = it
	fields["issuetype"] = ref

	if d.Priority == "" && len(d.Fields) == 0 {
		return nil
	}
	if err := r.loadScreen(ctx); err != nil {
		return err
	}
	if r.screen == nil { // dry run: the types were cached, the screen not
		if d.Priority != "" {
			fields["priority"] = map[string]string{"name": d.Priority}
			r.unresolved = append(r.unresolved, "priority "+strconv.Quote(d.Priority))
		}
		for _, fv := range d.Fields {
			fields[fv.Name] = fv.Value
			r.unresolved = append(r.unresolved, "field "+strconv.Quote(fv.Name))
		}
		return nil
	}
	if d.Priority != "" {
		f, ok := fieldByID(r.screen, "priority")
		if !ok {
			return detailed(&tm.Error{Code: tm.EINVALID,
				Message: fmt.Sprintf("%s issues in %s have no priority on their create screen", it.Name, r.project),
				Hint:    "Leave the priority out, or ask a Jira admin of " + r.project + " to add Priority to the create screen."},
				&Detail{Field: "priority", Project: r.project})
		}
		v, err := pickAllowed(f, "priority", d.Priority, it.Name, r.project)
		if err != nil {
			return err
		}
		fields["priority"] = map[string]string{"id": v.ID}
	}
	for _, fv := range d.Fields {
		f, err := r.customField(fv.Name)
		if err != nil {
			return err
		}
		v, err := r.fieldValue(f, fv)
		if err != nil {
			return err
		}
		fields[f.FieldID] = v
	}
	return nil
}

// selectableTypes are the types a ticket may take: sub-task types only
// under a parent. Team-managed projects may repeat a name; the first one
// stands for it, as names are what people send.
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

// typePicks remembers pickType's answers: the rows of a bulk create
// mostly name the same type in the same project, and share its reference.
type typePicks map[typeChoice]typePick

type typeChoice struct {
	project, name string
	withParent    bool
}

type typePick struct {
	it  jira.IssueTypeMeta
	ref map[string]string // {"id": it.ID}, read only
	err error
}

// pickType is pickType among r's types, with the reference a request
// carries, remembered in r.picks. A project's types do not change during
// one bulk create (the metadata is read once for all its rows).
func (r *resolver) pickType(name string, withParent bool) (jira.IssueTypeMeta, map[string]string, error) {
	k := typeChoice{r.project, name, withParent}
	if p, ok := r.picks[k]; ok {
		return p.it, p.ref, p.err
	}
	it, err := pickType(r.types, r.project, name, withParent)
	p := typePick{it: it, err: err}
	if err == nil {
		p.ref = map[string]string{"id": it.ID}
	}
	if r.picks != nil {
		r.picks[k] = p
	}
	return p.it, p.ref, p.err
}

// pickType resolves name (any case, or an id) among the project's types;
// "" means Task when the project has it, else its first type.
func pickType(types []jira.IssueTypeMeta, project, name string, withParent bool) (jira.IssueTypeMeta, error) {
	ok := selectableTypes(types, withParent)
	if len(ok) == 0 {
		return jira.IssueTypeMeta{}, detailed(&tm.Error{Code: tm.EFORBIDDEN,
			Message: "Jira offers you no issue types in " + project + ": you may lack the Create Issues permission there",
			Hint:    "Check your permissions in " + project + ", or choose another project."}, &Detail{Field: "project", Project: project})
	}
	key := func(t jira.IssueTypeMeta) (string, string) { return t.Name, t.ID }
	typeNames := names(ok, func(t jira.IssueTypeMeta) string { return t.Name })
	if name == "" {
		if t, found := matchName(ok, tm.DefaultIssueType, key); found {
			return t, nil
		}
		return ok[0], nil
	}
	if t, found := matchName(ok, name, key); found {
		return t, nil
	}
	d := &Detail{Field: "type", Valid: typeNames, Example: typeNames[0], Project: project}
	if t, found := matchName(types, name, key); found && t.Subtask {
		return jira.IssueTypeMeta{}, detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("%s is a sub-task type: give the parent issue's key, or choose another type", t.Name),
			Hint:    fmt.Sprintf("Other types in %s: %s.", project, strings.Join(typeNames, ", "))}, d)
	}
	return jira.IssueTypeMeta{}, detailed(&tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%s has no issue type %q", project, clip(name, 40)),
		Hint:    fmt.Sprintf("Valid types in %s: %s.", project, strings.Join(typeNames, ", "))}, d)
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

func fieldByID(screen []jira.FieldMeta, id string) (jira.FieldMeta, bool) {
	for _, f := range screen {
		if f.FieldID == id || f.Key == id {
			return f, true
		}
	}
	return jira.FieldMeta{}, false
}

func (r *resolver) screenName() string {
	if r.where != "" {
		return r.where
	}
	return fmt.Sprintf("the create screen of %s issues in %s", r.it.Name, r.project)
}

// customField finds a field of the create screen by name (any case) or id.
// Names are not unique in Jira: two matches need the id.
func (r *resolver) customField(name string) (jira.FieldMeta, error) {
	if f, ok := fieldByID(r.screen, name); ok {
		return f, nil
	}
	var hits []jira.FieldMeta
	for _, f := range r.screen {
		if strings.EqualFold(f.Name, name) {
			hits = append(hits, f)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		fieldNames := make([]string, 0, len(r.screen))
		for _, f := range r.screen {
			if f.FieldID != "project" && f.FieldID != "issuetype" {
				fieldNames = append(fieldNames, f.Name)
			}
		}
		sort.Strings(fieldNames)
		return jira.FieldMeta{}, detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("%s has no field %q", r.screenName(), clip(name, 60)),
			Hint:    "Fields you can set there: " + strings.Join(fieldNames, ", ") + "."}, &Detail{Field: name, Valid: fieldNames, Project: r.project})
	}
	ids := names(hits, func(f jira.FieldMeta) string { return f.FieldID })
	return jira.FieldMeta{}, detailed(&tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%d fields are called %q on %s: %s", len(hits), name, r.screenName(), strings.Join(ids, ", ")),
		Hint:    "Name the one you mean by its id, e.g. " + ids[0] + "."}, &Detail{Field: name, Valid: ids, Example: ids[0], Project: r.project})
}

// fieldValue converts a value typed by a person into the field's wire form.
func (r *resolver) fieldValue(f jira.FieldMeta, fv tm.FieldValue) (any, error) {
	raw := fv.Value
	bad := func(want string) error {
		return detailed(&tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("field %q (%s) wants %s, not %q", f.Name, f.FieldID, want, clip(raw, 60))},
			&Detail{Field: fv.Name, Project: r.project})
	}
	dc := r.c.DataCenter()
	switch f.Schema.Type {
	case "number":
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, bad("a number")
		}
		return n, nil
	case "date":
		if _, err := time.Parse(time.DateOnly, raw); err != nil {
			return nil, bad("a date as YYYY-MM-DD")
		}
		return raw, nil
	case "string":
		if strings.HasSuffix(f.Schema.Custom, ":textarea") || f.Schema.System == "environment" {
			return richText(r.c, f.Name, raw)
		}
		return raw, nil
	case "user":
		return userRef(raw, dc), nil
	case "array":
		var out []any
		for _, part := range strings.Split(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			v, err := r.item(f, fv.Name, f.Schema.Items, part)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "option", "priority", "resolution", "version", "component", "securitylevel", "option-with-child":
		return r.item(f, fv.Name, f.Schema.Type, raw)
	}
	return raw, nil
}

// item converts one value of an option-like field or of an array's items.
func (r *resolver) item(f jira.FieldMeta, given, typ, raw string) (any, error) {
	switch typ {
	case "string":
		return raw, nil
	case "user":
		return userRef(raw, r.c.DataCenter()), nil
	}
	if len(f.AllowedValues) == 0 {
		if typ == "option" || typ == "option-with-child" {
			return map[string]string{"value": raw}, nil
		}
		return map[string]string{"name": raw}, nil
	}
	v, err := pickAllowed(f, given, raw, r.it.Name, r.project)
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": v.ID}, nil
}

// pickAllowed matches a name against a field's allowed values; given is the
// field as the draft named it.
func pickAllowed(f jira.FieldMeta, given, raw, typeName, project string) (jira.AllowedValue, error) {
	if v, ok := matchName(f.AllowedValues, raw, func(v jira.AllowedValue) (string, string) { return v.Label(), v.ID }); ok {
		return v, nil
	}
	labels := names(f.AllowedValues, jira.AllowedValue.Label)
	return jira.AllowedValue{}, detailed(&tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%q is not a valid %s of %s issues in %s", clip(raw, 40), f.Name, typeName, project),
		Hint:    "Valid values: " + strings.Join(labels, ", ") + "."},
		&Detail{Field: given, Valid: labels, Example: cmpOr(firstOf(labels), "…"), Project: project})
}

func firstOf(s []string) string {
	if len(s) > 0 {
		return s[0]
	}
	return ""
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func userRef(id string, dc bool) map[string]string {
	if dc {
		return map[string]string{"name": id}
	}
	return map[string]string{"accountId": id}
}

func accountRef(a tm.Account, dc bool) map[string]string {
	if dc {
		return map[string]string{"name": a.Name}
	}
	return map[string]string{"accountId": a.AccountID}
}

// assignee resolves an assignee: "me" (cached), an email (user search), or
// an account id / Data Center username as given.
func (r *resolver) assignee(ctx context.Context, a string) (map[string]string, error) {
	dc := r.c.DataCenter()
	switch {
	case strings.EqualFold(a, "me"):
		me, _, err := r.cache.Myself(ctx, func(ctx context.Context) (tm.Account, error) {
			if r.offline {
				return tm.Account{}, errOffline
			}
			return r.c.Myself(ctx)
		})
		if errors.Is(err, errOffline) {
			r.unresolved = append(r.unresolved, "assignee me")
			return map[string]string{"accountId": "(me)"}, nil
		}
		if err != nil {
			return nil, Explain(err, About{Project: r.project})
		}
		return accountRef(me, dc), nil
	case strings.Contains(a, "@"):
		if r.offline {
			r.unresolved = append(r.unresolved, "assignee "+a)
			return map[string]string{"accountId": "(" + a + ")"}, nil
		}
		find := findUser
		if r.users != nil {
			find = r.users.find
		}
		acc, err := find(ctx, r.c, a)
		if err != nil {
			return nil, err
		}
		return accountRef(acc, dc), nil
	}
	return userRef(a, dc), nil
}

// findUser finds the one user with the email a.
func findUser(ctx context.Context, c *jira.Client, a string) (tm.Account, error) {
	users, err := c.FindUsers(ctx, a)
	if err != nil {
		return tm.Account{}, Explain(err, About{User: a})
	}
	for i, u := range users {
		if strings.EqualFold(u.Email, a) || len(users) == 1 {
			return users[i], nil
		}
	}
	return tm.Account{}, noSuchUser(nil, About{User: a})
}

// richText renders Markdown for the instance: ADF for Cloud's v3, wiki
// markup for Data Center's v2. Jira's 32,767-character limit applies to
// what it stores — the document's JSON on Cloud, the markup on Data
// Center — so that is what is measured, before anything is sent.
func richText(c *jira.Client, what, md string) (any, error) {
	var (
		v      any
		stored int
		err    error
	)
	if c.DataCenter() {
		var w string
		if w, err = adf.ToWiki([]byte(md)); err == nil {
			v, stored = w, utf8.RuneCountInString(w)
		}
	} else {
		var doc *adf.Doc
		if doc, err = adf.FromMarkdown([]byte(md)); err == nil {
			// The document's JSON is what Jira measures, and what is
			// sent: the bytes, not the document, so that it is encoded
			// once (a bulk create encodes thousands).
			b, _ := json.Marshal(doc)
			v, stored = json.RawMessage(b), utf8.RuneCount(b)
		}
	}
	if err != nil {
		return nil, detailed(&tm.Error{Code: tm.EINVALID, Err: err, Message: "the " + what + " could not be read as Markdown: " + err.Error()}, &Detail{Field: what})
	}
	if stored > MaxText {
		form := "wiki markup"
		if !c.DataCenter() {
			form = "its document format (ADF)"
		}
		return nil, detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("the %s is %d characters as Jira stores it in %s (%d as written); Jira keeps at most %d",
				what, stored, form, utf8.RuneCountInString(md), MaxText),
			Hint: "Shorten it (formatting counts too), or attach long logs to the ticket as a file."}, &Detail{Field: what})
	}
	return v, nil
}

// stale reports whether err may come from outdated create metadata: Jira
// refused an id tm took from the cache (issue type, priority, a custom
// field), a type id on createmeta, or a name was not among cached values.
func stale(err error) bool {
	var d *Detail
	if errors.As(err, &d) && d.Valid != nil {
		return true
	}
	var je *jira.Error
	if !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return false
	}
	for k := range je.Errors {
		if k == "issuetype" || k == "priority" || strings.HasPrefix(k, "customfield_") {
			return true
		}
	}
	for _, m := range je.ErrorMessages {
		if strings.Contains(strings.ToLower(m), "issue type") {
			return true
		}
	}
	return strings.Contains(je.URL, "/issue/createmeta/")
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
