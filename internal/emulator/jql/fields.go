package jql

import (
	"strconv"
	"strings"
	"sync"
)

type fieldKind int

const (
	kindUnknown fieldKind = iota
	kindName              // case-insensitive names with aliases: project, status, issuetype, …
	kindKey               // issue keys and ids
	kindUser              // accountIds
	kindLabel             // case-sensitive values
	kindText              // free text: only ~ and !~ (and IS for some)
	kindDate              // timestamps and dates
	kindCustom            // custom fields: anything goes, typed at match time
)

type opSet uint16

const (
	opsEq    opSet = 1 << iota // = != IN NOT IN
	opsEmpty                   // IS, IS NOT, = EMPTY
	opsRange                   // < <= > >=
	opsText                    // ~ !~
)

type fieldDef struct {
	name     string
	kind     fieldKind
	ops      opSet
	sortable bool
}

// fields lists the supported fields by canonical name; the operator sets are
// those Jira documents for each field, limited to what the sandbox evaluates.
var fields = sync.OnceValue(func() map[string]fieldDef {
	return map[string]fieldDef{
		"project":         {kind: kindName, ops: opsEq | opsEmpty, sortable: true},
		"key":             {kind: kindKey, ops: opsEq | opsRange, sortable: true},
		"id":              {kind: kindKey, ops: opsEq | opsRange, sortable: true},
		"status":          {kind: kindName, ops: opsEq, sortable: true},
		"statusCategory":  {kind: kindName, ops: opsEq, sortable: true},
		"assignee":        {kind: kindUser, ops: opsEq | opsEmpty, sortable: true},
		"reporter":        {kind: kindUser, ops: opsEq | opsEmpty, sortable: true},
		"creator":         {kind: kindUser, ops: opsEq | opsEmpty, sortable: true},
		"labels":          {kind: kindLabel, ops: opsEq | opsEmpty, sortable: true},
		"issuetype":       {kind: kindName, ops: opsEq, sortable: true},
		"priority":        {kind: kindName, ops: opsEq | opsEmpty, sortable: true},
		"resolution":      {kind: kindName, ops: opsEq | opsEmpty, sortable: true},
		"summary":         {kind: kindText, ops: opsText, sortable: true},
		"description":     {kind: kindText, ops: opsText | opsEmpty},
		"comment":         {kind: kindText, ops: opsText},
		"text":            {kind: kindText, ops: opsText},
		"parent":          {kind: kindName, ops: opsEq, sortable: true},
		"rank":            {kind: kindLabel, sortable: true},
		"sprint":          {kind: kindName, ops: opsEq | opsEmpty, sortable: true},
		"component":       {kind: kindName, ops: opsEq | opsEmpty, sortable: true},
		"fixVersion":      {kind: kindName, ops: opsEq | opsEmpty | opsRange, sortable: true},
		"affectedVersion": {kind: kindName, ops: opsEq | opsEmpty | opsRange, sortable: true},
		"created":         {kind: kindDate, ops: opsEq | opsEmpty | opsRange, sortable: true},
		"lastViewed":      {kind: kindDate, ops: opsEq | opsEmpty | opsRange, sortable: true},
		"updated":         {kind: kindDate, ops: opsEq | opsEmpty | opsRange, sortable: true},
		"duedate":         {kind: kindDate, ops: opsEq | opsEmpty | opsRange, sortable: true},
	}
})

var aliases = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"issuekey":    "key",
		"issue":       "key",
		"type":        "issuetype",
		"createddate": "created",
		"updateddate": "updated",
		"due":         "duedate",
	}
})

// lookupField resolves a field name as typed (case-insensitive) to its
// canonical definition.
func lookupField(typed string) (fieldDef, bool) {
	low := strings.ToLower(typed)
	if a, ok := aliases()[low]; ok {
		low = a
	}
	if n, ok := strings.CutPrefix(low, "customfield_"); ok && isCustomID(n) {
		return customField(n), true
	}
	if name, ok := lowerFields()[low]; ok {
		return fieldOf(name), true
	}
	return fieldDef{}, false
}

var lowerFields = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(fields()))
	for name := range fields() {
		m[strings.ToLower(name)] = name
	}
	return m
})

func customField(id string) fieldDef {
	return fieldDef{name: "customfield_" + id, kind: kindCustom, ops: opsEq | opsEmpty | opsRange | opsText, sortable: true}
}

func isCustomID(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0 && s[0] != '+'
}

// fieldOf returns the definition of a canonical name (always known once parsed).
func fieldOf(name string) fieldDef {
	if d, ok := fields()[name]; ok {
		d.name = name
		return d
	}
	if n, ok := strings.CutPrefix(name, "customfield_"); ok {
		return customField(n)
	}
	return fieldDef{name: name}
}

// queryName is how String spells a canonical field name.
func queryName(name string) string {
	if n, ok := strings.CutPrefix(name, "customfield_"); ok {
		return "cf[" + n + "]"
	}
	return name
}

func (d fieldDef) allows(op Op) bool {
	switch op {
	case OpEq, OpNe, OpIn, OpNotIn:
		return d.ops&opsEq != 0
	case OpIs, OpIsNot:
		return d.ops&opsEmpty != 0
	case OpLt, OpLe, OpGt, OpGe:
		return d.ops&opsRange != 0
	case OpLike, OpNotLike:
		return d.ops&opsText != 0
	}
	return false
}

// Status categories by every spelling Jira accepts, to their keys.
var statusCategories = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"new": "new", "to do": "new", "2": "new",
		"indeterminate": "indeterminate", "in progress": "indeterminate", "4": "indeterminate",
		"done": "done", "3": "done",
		"undefined": "undefined", "no category": "undefined", "1": "undefined",
	}
})

// Jira's reserved words (JqlStringSupportImpl) that JQL itself does not use:
// unquoted, they are an error anywhere.
var reservedWords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`abort access add alias all alter any as audit avg begin between boolean
		break byte catch char character check checkpoint collate collation column commit connect continue
		count create current date decimal declare decrement default defaults define delete delimiter
		difference distinct divide do double drop else encoding end equals escape exclusive exec execute
		exists explain false fetch file field first float for function go goto grant greater group having
		identified if immediate increment index initial inner inout input insert int integer intersect
		intersection into isempty isnull join last left less like limit lock long max min minus mode modify
		modulo more multiply next noaudit notin nowait number object of option outer output power previous
		prior privileges public raise raw remainder rename resource return returns revoke right row rowid
		rownum rows select session set share size sqrt start strict string subtract sum synonym table then
		trans transaction trigger true uid union unique update user validate values view when whenever where
		while with`) {
		m[w] = true
	}
	return m
})

// keywords are JQL's own words; unquoted they cannot be a field name or a value.
var keywords = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"and": true, "or": true, "not": true, "empty": true, "null": true, "order": true, "by": true,
		"asc": true, "desc": true, "in": true, "is": true, "was": true, "changed": true,
	}
})
