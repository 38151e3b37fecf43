package createticket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/adf"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/jira"
)

// metaTTL is how long create metadata is trusted. Issue types and create
// screens change rarely, and a change that bites is caught anyway: Jira
// rejects the stale id and tm refetches once.
const metaTTL = 24 * time.Hour

// resolver turns a draft's names into the fields of a create request.
type resolver struct {
	j       *factory.Jira
	cache   Cache
	project string
	offline bool // --dry-run: nothing is sent, only the cache is used

	fresh      bool     // ignore the cache (it held something Jira rejected)
	fromCache  bool     // some id came from the cache
	unresolved []string // names a dry run could not resolve
	types      []jira.IssueTypeMeta
	screen     []jira.FieldMeta // the chosen type's create screen, when needed
}

type cachedTypes struct {
	Site, Project string
	IssueTypes    []jira.IssueTypeMeta
}

type cachedFields struct {
	Site, Project, IssueTypeID string
	Fields                     []jira.FieldMeta
}

type cachedAccount struct {
	Site    string
	Account tm.Account
}

func (r *resolver) typesKey() string {
	return "createmeta-" + factory.CacheKey(r.j.SiteURL(), r.project)
}
func (r *resolver) fieldsKey(typeID string) string {
	return "createmeta-" + factory.CacheKey(r.j.SiteURL(), r.project, typeID)
}

// accountKey names the cached "me" of these credentials; the token enters
// only hashed, and the name is hashed again.
func (r *resolver) accountKey() string {
	h := sha256.Sum256([]byte(r.j.Config.APIKey.Reveal()))
	return "account-" + factory.CacheKey(r.j.SiteURL(), r.j.Config.Email, hex.EncodeToString(h[:]))
}

func (r *resolver) dropCache() {
	r.cache.DropCache(r.typesKey())
	for _, t := range r.types {
		r.cache.DropCache(r.fieldsKey(t.ID))
	}
	r.fresh, r.fromCache = true, false
}

// build resolves the draft. Requests that do not depend on each other go
// out together: the issue types and the assignee first, then the chosen
// type's create screen when a priority or a custom field needs it. With a
// warm cache nothing is fetched and the create is the only request.
func (r *resolver) build(ctx context.Context, d tm.TicketDraft) (map[string]any, error) {
	fields := map[string]any{"summary": d.Summary}
	if strings.TrimSpace(d.Description) != "" {
		desc, err := description(r.j, d.Description)
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
		fields["parent"] = map[string]string{"key": strings.ToUpper(d.Parent)}
	}

	var (
		wg                sync.WaitGroup
		typesErr, userErr error
		assignee          map[string]string
	)
	wg.Go(func() { typesErr = r.loadTypes(ctx) })
	if d.Assignee != "" {
		wg.Go(func() { assignee, userErr = r.assignee(ctx, d.Assignee) })
	}
	wg.Wait()
	if typesErr != nil {
		return nil, typesErr
	}
	if userErr != nil {
		return nil, userErr
	}
	if assignee != nil {
		fields["assignee"] = assignee
	}

	it, err := r.issueType(d.IssueType)
	if err != nil {
		return nil, err
	}
	if it.ID == "" {
		fields["issuetype"] = map[string]string{"name": d.IssueType}
	} else {
		fields["issuetype"] = map[string]string{"id": it.ID}
	}

	if d.Priority == "" && len(d.Fields) == 0 {
		return fields, nil
	}
	if err := r.loadScreen(ctx, it.ID); err != nil {
		return nil, err
	}
	if r.screen == nil { // dry run without cached metadata
		if d.Priority != "" {
			fields["priority"] = map[string]string{"name": d.Priority}
			r.unresolved = append(r.unresolved, "priority "+strconv.Quote(d.Priority))
		}
		for _, fv := range d.Fields {
			fields[fv.Name] = fv.Value
			r.unresolved = append(r.unresolved, "field "+strconv.Quote(fv.Name))
		}
		return fields, nil
	}
	if d.Priority != "" {
		f, ok := r.field("priority")
		if !ok {
			return nil, &tm.Error{Code: tm.EINVALID,
				Message: fmt.Sprintf("%s issues in %s have no Priority field on their create screen", it.Name, r.project),
				Hint:    "Leave out --priority, or ask a Jira admin of " + r.project + " to add Priority to the create screen."}
		}
		v, err := pickAllowed(f, d.Priority)
		if err != nil {
			return nil, err
		}
		fields["priority"] = map[string]string{"id": v.ID}
	}
	for _, fv := range d.Fields {
		f, err := r.customField(fv.Name, it.Name)
		if err != nil {
			return nil, err
		}
		v, err := r.fieldValue(f, fv.Value)
		if err != nil {
			return nil, err
		}
		fields[f.FieldID] = v
	}
	return fields, nil
}

// loadTypes fills r.types from the cache, or from Jira (and caches them).
func (r *resolver) loadTypes(ctx context.Context) error {
	var c cachedTypes
	if !r.fresh && r.cache.ReadCache(r.typesKey(), metaTTL, &c) && c.Site == r.j.SiteURL() && c.Project == r.project && len(c.IssueTypes) > 0 {
		r.types, r.fromCache = c.IssueTypes, true
		return nil
	}
	if r.offline {
		return nil
	}
	types, err := r.j.CreateMetaIssueTypes(ctx, r.project)
	if err != nil {
		return r.j.Explain(err, factory.About{Project: r.project})
	}
	r.types = types
	_ = r.cache.WriteCache(r.typesKey(), cachedTypes{Site: r.j.SiteURL(), Project: r.project, IssueTypes: types})
	return nil
}

// loadScreen fills r.screen with the create screen of the issue type.
func (r *resolver) loadScreen(ctx context.Context, typeID string) error {
	if typeID == "" {
		return nil
	}
	var c cachedFields
	if !r.fresh && r.cache.ReadCache(r.fieldsKey(typeID), metaTTL, &c) && c.Site == r.j.SiteURL() && c.Project == r.project && c.IssueTypeID == typeID {
		r.screen, r.fromCache = c.Fields, true
		return nil
	}
	if r.offline {
		return nil
	}
	fs, err := r.j.CreateMetaFields(ctx, r.project, typeID)
	if err != nil {
		return r.j.Explain(err, factory.About{Project: r.project})
	}
	if fs == nil {
		fs = []jira.FieldMeta{}
	}
	r.screen = fs
	_ = r.cache.WriteCache(r.fieldsKey(typeID), cachedFields{Site: r.j.SiteURL(), Project: r.project, IssueTypeID: typeID, Fields: fs})
	return nil
}

// issueType finds the named type among the project's. In a dry run without
// cached types it returns a zero type: the name goes in the request.
func (r *resolver) issueType(name string) (jira.IssueTypeMeta, error) {
	if r.types == nil {
		r.unresolved = append(r.unresolved, "issue type "+strconv.Quote(name))
		return jira.IssueTypeMeta{}, nil
	}
	for _, t := range r.types {
		if t.Name == name {
			return t, nil
		}
	}
	for _, t := range r.types {
		if strings.EqualFold(t.Name, name) || t.ID == name {
			return t, nil
		}
	}
	names := make([]string, len(r.types))
	for i, t := range r.types {
		names[i] = t.Name
	}
	return jira.IssueTypeMeta{}, &tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%s has no issue type %q", r.project, name),
		Hint:    fmt.Sprintf("Valid types in %s: %s.\nUse one with --type, e.g. --type %q", r.project, strings.Join(names, ", "), names[0])}
}

func (r *resolver) field(id string) (jira.FieldMeta, bool) {
	for _, f := range r.screen {
		if f.FieldID == id || f.Key == id {
			return f, true
		}
	}
	return jira.FieldMeta{}, false
}

// customField finds a field of the create screen by name (case-insensitive)
// or id. Names are not unique in Jira: two matches need the id.
func (r *resolver) customField(name, typeName string) (jira.FieldMeta, error) {
	if f, ok := r.field(name); ok {
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
		names := make([]string, 0, len(r.screen))
		for _, f := range r.screen {
			if f.FieldID != "project" && f.FieldID != "issuetype" {
				names = append(names, f.Name)
			}
		}
		sort.Strings(names)
		return jira.FieldMeta{}, &tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("the create screen of %s issues in %s has no field %q", typeName, r.project, name),
			Hint:    "Fields you can set there: " + strings.Join(names, ", ") + "."}
	}
	ids := make([]string, len(hits))
	for i, f := range hits {
		ids[i] = f.FieldID
	}
	return jira.FieldMeta{}, &tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%d fields are called %q on the create screen: %s", len(hits), name, strings.Join(ids, ", ")),
		Hint:    fmt.Sprintf("Name the one you mean by id, e.g. --field \"%s=…\"", ids[0])}
}

// fieldValue converts a value typed by a person into the field's wire form.
func (r *resolver) fieldValue(f jira.FieldMeta, raw string) (any, error) {
	bad := func(want string) error {
		return &tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("field %q (%s) wants %s, not %q", f.Name, f.FieldID, want, raw)}
	}
	dc := r.j.DataCenter()
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
			if dc {
				return adf.ToWiki([]byte(raw))
			}
			return adf.FromMarkdown([]byte(raw))
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
			v, err := r.item(f, f.Schema.Items, part)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "option", "priority", "resolution", "version", "component", "securitylevel", "option-with-child":
		return r.item(f, f.Schema.Type, raw)
	}
	return raw, nil
}

// item converts one value of an option-like field or of an array's items.
func (r *resolver) item(f jira.FieldMeta, typ, raw string) (any, error) {
	switch typ {
	case "string":
		return raw, nil
	case "user":
		return userRef(raw, r.j.DataCenter()), nil
	}
	if len(f.AllowedValues) == 0 {
		if typ == "option" || typ == "option-with-child" {
			return map[string]string{"value": raw}, nil
		}
		return map[string]string{"name": raw}, nil
	}
	v, err := pickAllowed(f, raw)
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": v.ID}, nil
}

// pickAllowed matches a name against a field's allowed values.
func pickAllowed(f jira.FieldMeta, raw string) (jira.AllowedValue, error) {
	for _, v := range f.AllowedValues {
		if v.Label() == raw || v.ID == raw {
			return v, nil
		}
	}
	for _, v := range f.AllowedValues {
		if strings.EqualFold(v.Label(), raw) {
			return v, nil
		}
	}
	labels := make([]string, len(f.AllowedValues))
	for i, v := range f.AllowedValues {
		labels[i] = v.Label()
	}
	flag := fmt.Sprintf("--field %q", f.Name+"="+firstOr(labels, "…"))
	if f.FieldID == "priority" {
		flag = fmt.Sprintf("--priority %q", firstOr(labels, "…"))
	}
	return jira.AllowedValue{}, &tm.Error{Code: tm.EINVALID,
		Message: fmt.Sprintf("%q is not a valid %s here", raw, f.Name),
		Hint:    fmt.Sprintf("Valid values: %s.\nFor example: %s", strings.Join(labels, ", "), flag)}
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func userRef(id string, dc bool) map[string]string {
	if dc {
		return map[string]string{"name": id}
	}
	return map[string]string{"accountId": id}
}

// assignee resolves --assignee: "me" (cached per credentials), an email
// (user search), or an account id / Data Center username as given.
func (r *resolver) assignee(ctx context.Context, a string) (map[string]string, error) {
	dc := r.j.DataCenter()
	switch {
	case strings.EqualFold(a, "me"):
		var c cachedAccount
		if r.cache.ReadCache(r.accountKey(), metaTTL, &c) && c.Site == r.j.SiteURL() {
			return accountRef(c.Account, dc), nil
		}
		if r.offline {
			r.unresolved = append(r.unresolved, "assignee me")
			return map[string]string{"accountId": "(me)"}, nil
		}
		me, err := r.j.Myself(ctx)
		if err != nil {
			return nil, r.j.Explain(err, factory.About{Project: r.project})
		}
		_ = r.cache.WriteCache(r.accountKey(), cachedAccount{Site: r.j.SiteURL(), Account: me})
		return accountRef(me, dc), nil
	case strings.Contains(a, "@"):
		if r.offline {
			r.unresolved = append(r.unresolved, "assignee "+a)
			return map[string]string{"accountId": "(" + a + ")"}, nil
		}
		users, err := r.j.FindUsers(ctx, a)
		if err != nil {
			return nil, r.j.Explain(err, factory.About{Project: r.project})
		}
		var hit *tm.Account
		for i, u := range users {
			if strings.EqualFold(u.Email, a) || len(users) == 1 {
				hit = &users[i]
				break
			}
		}
		if hit == nil {
			return nil, &tm.Error{Code: tm.EINVALID,
				Message: fmt.Sprintf("no Jira user with the email %s is visible to you", a),
				Hint: "Jira shows people only with the \"Browse users and groups\" permission, and hides emails by privacy settings.\n" +
					"Check with: tm check-permissions — or assign by account id: --assignee <accountId> (or --assignee me)."}
		}
		return accountRef(*hit, dc), nil
	}
	return userRef(a, dc), nil
}

func accountRef(a tm.Account, dc bool) map[string]string {
	if dc {
		return map[string]string{"name": a.Name}
	}
	return map[string]string{"accountId": a.AccountID}
}

// rejectedCached reports whether Jira's 400 is about something tm took
// from its cache (issue type, priority, a field of the create screen).
func (r *resolver) rejectedCached(je *jira.Error) bool {
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
	return false
}

// explainCreate turns a refused create into advice per field.
func (r *resolver) explainCreate(err error) error {
	var je *jira.Error
	if !errors.As(err, &je) || je.StatusCode != 400 {
		return r.j.Explain(err, factory.About{Project: r.project})
	}
	if _, ok := je.Errors["project"]; ok || projectMissing(je.ErrorMessages) {
		return &tm.Error{Code: tm.ENOTFOUND, Err: err,
			Message: fmt.Sprintf("Jira refused the ticket: project %q: %s", r.project, strings.Join(je.Messages(), "; ")),
			Hint:    factory.ProjectNotFoundHint(r.project)}
	}
	var msg, hint strings.Builder
	code := tm.EINVALID
	msg.WriteString("Jira refused the ticket:")
	for _, m := range je.ErrorMessages {
		msg.WriteString("\n  - " + m)
		switch lower := strings.ToLower(m); {
		case strings.Contains(lower, "permission to create"):
			code = tm.EFORBIDDEN
			fmt.Fprintf(&hint, "You lack \"Create Issues\" in %s: see tm check-permissions -p %s, and ask a Jira admin of the project for it.\n", r.project, r.project)
		case requiredRE.MatchString(m):
			r.requiredHint(&hint, requiredRE.FindStringSubmatch(m)[1])
		}
	}
	for _, id := range je.FieldNames() {
		name := id
		if f, ok := r.field(id); ok && f.Name != id {
			name = fmt.Sprintf("%s (%s)", f.Name, id)
		}
		fmt.Fprintf(&msg, "\n  - %s: %s", name, je.Errors[id])
		switch {
		case id == "issuetype":
			hint.WriteString("Pick another issue type with --type (tm lists the valid ones when the name is wrong).\n")
		case strings.Contains(strings.ToLower(je.Errors[id]), "required"):
			r.requiredHint(&hint, id)
		case id == "description":
			hint.WriteString("Jira Cloud takes descriptions as ADF and Data Center as wiki markup: check ATLASSIAN_AUTH_MODE matches your Jira (PAT for Cloud, BEARER for Data Center).\n")
		}
	}
	if hint.Len() == 0 {
		hint.WriteString("Run with --dry-run to see the request, and tm check-permissions -p " + r.project + " to rule out a missing permission.")
	}
	return &tm.Error{Code: code, Err: err, Message: msg.String(), Hint: strings.TrimRight(hint.String(), "\n")}
}

// requiredRE reads the field id out of Jira's "Field 'priority' is required".
var requiredRE = regexp.MustCompile(`^Field '([^']+)' is required`)

// requiredHint says which flag sets a required field.
func (r *resolver) requiredHint(hint *strings.Builder, id string) {
	label := id
	if f, ok := r.field(id); ok {
		label = f.Name
	}
	if id == "priority" {
		hint.WriteString("This project requires a priority: add --priority (tm lists the valid ones if the name is wrong).\n")
		return
	}
	fmt.Fprintf(hint, "Set %s with --field \"%s=…\".\n", label, label)
}

func projectMissing(msgs []string) bool {
	for _, m := range msgs {
		if strings.Contains(m, "for the field 'project'") || strings.Contains(strings.ToLower(m), "valid project") {
			return true
		}
	}
	return false
}
