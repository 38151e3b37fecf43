package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ticket-mate/tm/internal/emulator/adfschema"
)

// Field-error wording Jira uses (contract §A4 and observed responses).
const (
	msgProjectInvalid   = "Specify a valid project ID or key"
	msgTypeInvalid      = "The issue type selected is invalid."
	msgTypeMissing      = "Specify an issue type"
	msgSummaryMissing   = "You must specify a summary of the issue."
	msgSummaryTooLong   = "Summary must be less than 255 characters."
	msgNotADF           = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
	msgTextTooLong      = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
	msgNotString        = "Operation value must be a string"
	msgNotNumber        = "Operation value must be a number"
	msgSubtaskNoParent  = "Issue type is a sub-task but parent issue key or id not specified."
	msgParentHierarchy  = "Given parent work item does not belong to appropriate hierarchy."
	msgParentNotFound   = "Could not find issue by id or key."
	msgCreateForbidden  = "You do not have permission to create issues in this project."
	msgEditForbidden    = "You do not have permission to edit issues in this project."
	msgAssignForbidden  = "You do not have permission to assign issues."
	msgIssueNotFound    = "Issue does not exist or you do not have permission to see it."
	msgCommentForbidden = "You do not have the permission to comment on this issue."
)

func msgNotOnScreen(id string) string {
	return "Field '" + id + "' cannot be set. It is not on the appropriate screen, or unknown."
}

func msgRequired(id string) string { return "Field '" + id + "' is required" }

// fieldInput is the issue a create or edit is about: for a create the
// project and type are known before the other fields are read.
type fieldInput struct {
	c       *call
	p       *project
	it      *issueType
	itRaw   json.RawMessage // the issuetype field it was read from, on create
	current *issue          // nil on create
	errs    map[string]string
	msgs    []string
}

func (in *fieldInput) fail(id, msg string) {
	if _, dup := in.errs[id]; !dup {
		in.errs[id] = msg
	}
}

// setter parses one field value; it records an error or returns the change.
func (in *fieldInput) setter(id string, raw json.RawMessage) func(*issue) {
	c, p := in.c, in.p
	if !p.onScreen(id) {
		in.fail(id, msgNotOnScreen(id))
		return nil
	}
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	f := c.site.fieldByID[id]
	switch id {
	case "summary":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			in.fail(id, msgNotString)
			return nil
		}
		s = strings.TrimSpace(s)
		if s == "" {
			in.fail(id, msgSummaryMissing)
			return nil
		}
		if len([]rune(s)) > 255 {
			in.fail(id, msgSummaryTooLong)
			return nil
		}
		return func(is *issue) { is.Summary = s }
	case "issuetype":
		t := in.typeRef(raw)
		if t == nil {
			return nil
		}
		return func(is *issue) { is.TypeID = t.ID }
	case "project":
		return func(*issue) {} // read before everything else
	case "priority":
		if isNull {
			return func(is *issue) { is.PriorityID = "" }
		}
		var ref struct{ ID, Name string }
		json.Unmarshal(raw, &ref)
		for _, pr := range c.site.priorities {
			if (ref.ID != "" && pr.ID == ref.ID) || (ref.ID == "" && ref.Name != "" && strings.EqualFold(pr.Name, ref.Name)) {
				return func(is *issue) { is.PriorityID = pr.ID }
			}
		}
		in.fail(id, "Specify a valid 'id' or 'name' for Priority")
		return nil
	case "assignee", "reporter":
		if isNull {
			return func(is *issue) { setUser(is, id, "") }
		}
		u, ok := in.userRef(id, raw)
		if !ok {
			return nil
		}
		if u == nil { // "-1": the project's default assignee
			return func(is *issue) { setUser(is, id, p.defaultAssignee()) }
		}
		if id == "assignee" && !c.site.can(u, permAssignable, p, nil) {
			in.fail(id, "User '"+c.userLabel(u)+"' cannot be assigned issues.")
			return nil
		}
		return func(is *issue) { setUser(is, id, u.AccountID) }
	case "labels":
		var labels []string
		if json.Unmarshal(raw, &labels) != nil {
			in.fail(id, "Operation value must be an array of strings")
			return nil
		}
		if !in.labelsOK(labels) {
			return nil
		}
		return func(is *issue) { is.Labels = dedupe(labels) }
	case "duedate":
		if isNull {
			return func(is *issue) { is.DueDate = "" }
		}
		var s string
		json.Unmarshal(raw, &s)
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			in.fail(id, "Error parsing date string: "+s)
			return nil
		}
		return func(is *issue) { is.DueDate = s }
	case "parent":
		return in.parentSetter(raw, isNull)
	}
	if f == nil {
		in.fail(id, msgNotOnScreen(id))
		return nil
	}
	if f.Kind == "epiclink" {
		return in.epicLinkSetter(raw, isNull)
	}
	if f.isRichText() {
		if isNull {
			return func(is *issue) { setRich(is, id, nil) }
		}
		doc, ok := in.richIn(id, raw)
		if !ok {
			return nil
		}
		return func(is *issue) { setRich(is, id, doc) }
	}
	if isNull {
		return func(is *issue) { delete(is.Custom, id) }
	}
	var stored json.RawMessage
	switch f.Kind {
	case "text":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			in.fail(id, msgNotString)
			return nil
		}
		if len([]rune(s)) > 255 {
			in.fail(id, "The entered text is too long. It exceeds the allowed limit of 255 characters.")
			return nil
		}
		stored, _ = json.Marshal(s)
	case "number":
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			in.fail(id, msgNotNumber)
			return nil
		}
		stored = json.RawMessage(n.String())
	case "select":
		var ref struct{ ID, Value string }
		json.Unmarshal(raw, &ref)
		for _, op := range f.Options {
			if (ref.ID != "" && op.ID == ref.ID) || (ref.ID == "" && ref.Value != "" && op.Value == ref.Value) {
				stored, _ = json.Marshal(obj{"id": op.ID})
			}
		}
		if stored == nil {
			in.fail(id, "Specify a valid 'id' or 'name' for "+f.Name)
			return nil
		}
	}
	return func(is *issue) {
		if is.Custom == nil {
			is.Custom = map[string]json.RawMessage{}
		}
		is.Custom[id] = stored
	}
}

func (in *fieldInput) labelsOK(labels []string) bool {
	for _, l := range labels {
		if strings.ContainsAny(l, " \t\n") {
			in.fail("labels", "The label '"+l+"' contains spaces which is invalid.")
			return false
		}
		if l == "" || len(l) > 255 {
			in.fail("labels", "The label must be between 1 and 255 characters.")
			return false
		}
	}
	return true
}

// typeRef resolves {"id"} or {"name"} among the project's issue types.
func (in *fieldInput) typeRef(raw json.RawMessage) *issueType {
	if in.itRaw != nil && bytes.Equal(raw, in.itRaw) {
		return in.it // a create's type, read before its other fields
	}
	var ref struct{ ID, Name string }
	if json.Unmarshal(raw, &ref) != nil || (ref.ID == "" && ref.Name == "") {
		in.fail("issuetype", msgTypeMissing)
		return nil
	}
	var t *issueType
	if ref.ID != "" {
		t = in.p.typeByID(ref.ID)
	} else {
		t = in.p.typeByName(ref.Name)
	}
	if t == nil {
		in.fail("issuetype", msgTypeInvalid)
	}
	return t
}

// userRef reads {"accountId"} / {"id"} on Cloud, {"name"} on Data Center;
// "-1" means the project default (nil user, ok).
func (in *fieldInput) userRef(id string, raw json.RawMessage) (*user, bool) {
	var ref struct {
		AccountID string `json:"accountId"`
		ID        string `json:"id"`
		Name      string `json:"name"`
	}
	if json.Unmarshal(raw, &ref) != nil {
		in.fail(id, "Specify a valid value for "+id)
		return nil, false
	}
	c := in.c
	var u *user
	var given string
	if c.e.dc {
		given = ref.Name
		u = c.e.userByName[strings.ToLower(ref.Name)]
	} else {
		given = cmpOr(ref.AccountID, ref.ID)
		u = c.e.userByID[given]
		if given == "" && ref.Name != "" {
			in.fail(id, "The query parameter 'username' is not supported in GDPR strict mode.")
			return nil, false
		}
	}
	if given == "-1" {
		return nil, true
	}
	if u == nil || u.Inactive {
		in.fail(id, "User '"+given+"' does not exist.")
		return nil, false
	}
	return u, true
}

func (c *call) userLabel(u *user) string {
	if c.e.dc {
		return u.Username
	}
	return u.AccountID
}

// richIn checks a rich-text value: an ADF document on v3, a wiki-markup
// string on v2 (converted to ADF for storage).
//
// Jira checks ADF against Atlassian's schema and refuses a value longer
// than 32,767 characters: on v3 it counts the document's JSON, which is
// what it stores; on v2 the wiki markup.
func (in *fieldInput) richIn(id string, raw json.RawMessage) (json.RawMessage, bool) {
	if in.c.v3() {
		if adfschema.Check(raw) != nil {
			in.fail(id, msgNotADF)
			return nil, false
		}
		doc := compactJSON(raw)
		if utf8.RuneCount(doc) > maxTextLength {
			in.fail(id, msgTextTooLong)
			return nil, false
		}
		return doc, true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		in.fail(id, msgNotString)
		return nil, false
	}
	if utf8.RuneCountInString(s) > maxTextLength {
		in.fail(id, msgTextTooLong)
		return nil, false
	}
	return wikiToADF(s), true
}

// maxTextLength is Jira's limit on a text field's stored value.
const maxTextLength = 32767

func (in *fieldInput) parentSetter(raw json.RawMessage, isNull bool) func(*issue) {
	if isNull {
		return func(is *issue) { is.ParentID = 0 }
	}
	var ref struct {
		ID, Key string
		None    bool   `json:"none"`
		Set     string `json:"set"`
	}
	json.Unmarshal(raw, &ref)
	if ref.None || (ref.ID == "" && ref.Key == "" && ref.Set == "none") {
		return func(is *issue) { is.ParentID = 0 }
	}
	if ref.ID == "" && ref.Key == "" && in.current != nil {
		return func(*issue) {} // an edit that names no parent leaves it alone, as Jira does
	}
	c := in.c
	parent := c.site.issueByIDOrKey(cmpOr(ref.Key, ref.ID))
	if parent == nil || !c.site.visible(c.who, c.site.projectOf(parent)) {
		in.fail("parent", msgParentNotFound)
		return nil
	}
	pt := c.site.types[parent.TypeID]
	it := in.it
	if it == nil && in.current != nil {
		it = c.site.types[in.current.TypeID]
	}
	if it != nil && pt.HierarchyLevel != it.HierarchyLevel+1 || (it != nil && it.subtask() && parent.ProjectID != in.p.ID) {
		in.fail("parent", msgParentHierarchy)
		return nil
	}
	return func(is *issue) { is.ParentID = parent.ID }
}

func (p *project) defaultAssignee() string {
	if p.DefaultAssignee == "PROJECT_LEAD" {
		return p.Lead
	}
	return ""
}

func setUser(is *issue, id, accountID string) {
	if id == "assignee" {
		is.Assignee = accountID
	} else {
		is.Reporter = accountID
	}
}

func setRich(is *issue, id string, doc json.RawMessage) {
	switch id {
	case "description":
		is.Description = doc
	case "environment":
		is.Environment = doc
	default:
		if doc == nil {
			delete(is.Custom, id)
			return
		}
		if is.Custom == nil {
			is.Custom = map[string]json.RawMessage{}
		}
		is.Custom[id] = doc
	}
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// changes reads the "fields" section (in key order, skipping what skip
// rejects) and then the "update" section.
func (in *fieldInput) changes(fields map[string]json.RawMessage, update map[string][]map[string]json.RawMessage, skip func(id string) bool) []func(*issue) {
	var out []func(*issue)
	for _, id := range sortedKeys(fields) {
		if skip != nil && skip(id) {
			continue
		}
		if fn := in.setter(id, fields[id]); fn != nil {
			out = append(out, fn)
		}
	}
	return append(out, in.applyUpdate(update)...)
}

// applyUpdate handles the "update" section of an edit: per field a list
// of set/add/remove operations.
func (in *fieldInput) applyUpdate(update map[string][]map[string]json.RawMessage) []func(*issue) {
	var out []func(*issue)
	for id, ops := range update {
		if !in.p.onScreen(id) && id != "comment" {
			in.fail(id, msgNotOnScreen(id))
			continue
		}
		for _, op := range ops {
			for verb, val := range op {
				switch {
				case verb == "set":
					if fn := in.setter(id, val); fn != nil {
						out = append(out, fn)
					}
				case id == "labels" && (verb == "add" || verb == "remove"):
					var l string
					if json.Unmarshal(val, &l) != nil || !in.labelsOK([]string{l}) {
						in.fail(id, "Operation value must be a string")
						continue
					}
					add := verb == "add"
					out = append(out, func(is *issue) {
						is.Labels = removeString(is.Labels, l)
						if add {
							is.Labels = append(is.Labels, l)
						}
					})
				case id == "comment" && verb == "add":
					var body struct {
						Body json.RawMessage `json:"body"`
					}
					json.Unmarshal(val, &body)
					doc, ok := in.richIn("comment", body.Body)
					if !ok {
						continue
					}
					c := in.c
					out = append(out, func(is *issue) { c.addComment(is, doc) })
				default:
					in.fail(id, fmt.Sprintf("Field '%s' does not support the operation '%s'.", id, verb))
				}
			}
		}
	}
	return out
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
