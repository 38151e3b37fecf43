package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// createMetaPageSize is the most createmeta returns per page (more is a 400).
const createMetaPageSize = 200

// IssueTypeMeta is an issue type a project accepts on create.
type IssueTypeMeta struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	Subtask        bool   `json:"subtask"`
	HierarchyLevel int    `json:"hierarchyLevel"`
}

// FieldMeta is a field on the create screen of one issue type.
type FieldMeta struct {
	FieldID         string         `json:"fieldId"`
	Key             string         `json:"key"`
	Name            string         `json:"name"`
	Required        bool           `json:"required"`
	HasDefaultValue bool           `json:"hasDefaultValue"`
	Schema          FieldSchema    `json:"schema"`
	AllowedValues   []AllowedValue `json:"allowedValues,omitempty"`
}

// FieldSchema is a field's data type.
type FieldSchema struct {
	Type   string `json:"type"`             // string, number, option, array, user, priority, date, …
	Items  string `json:"items,omitempty"`  // element type of an array
	System string `json:"system,omitempty"` // system field id
	Custom string `json:"custom,omitempty"` // custom field type key
}

// AllowedValue is one choice of an option-like field (priority, select,
// component, version). Options carry Value, the rest Name.
type AllowedValue struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// Label is how a person names the value.
func (v AllowedValue) Label() string {
	if v.Name != "" {
		return v.Name
	}
	return v.Value
}

// CreateMetaIssueTypes lists the issue types projectKey accepts
// (GET issue/createmeta/{key}/issuetypes, every page).
func (c *Client) CreateMetaIssueTypes(ctx context.Context, projectKey string) ([]IssueTypeMeta, error) {
	return createMetaPages[IssueTypeMeta](ctx, c, "issue/createmeta/"+url.PathEscape(projectKey)+"/issuetypes", "issueTypes")
}

// CreateMetaFields lists the fields of issueTypeID's create screen in
// projectKey (GET issue/createmeta/{key}/issuetypes/{id}, every page).
func (c *Client) CreateMetaFields(ctx context.Context, projectKey, issueTypeID string) ([]FieldMeta, error) {
	path := "issue/createmeta/" + url.PathEscape(projectKey) + "/issuetypes/" + url.PathEscape(issueTypeID)
	return createMetaPages[FieldMeta](ctx, c, path, "fields")
}

// createMetaPages walks createmeta's offset pages. Cloud names the list
// after its contents (issueTypes, fields), Data Center 9 calls it values
// and adds isLast: both are read.
func createMetaPages[T any](ctx context.Context, c *Client, path, key string) ([]T, error) {
	var out []T
	for startAt := 0; ; {
		v := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {strconv.Itoa(createMetaPageSize)}}
		var page map[string]json.RawMessage
		if err := c.do(ctx, call{method: http.MethodGet, path: path, query: v}, &page); err != nil {
			return nil, err
		}
		raw, ok := page[key]
		if !ok {
			raw = page["values"]
		}
		var items []T
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("jira: reading %s: %w", path, err)
			}
		}
		out = append(out, items...)
		var total int
		var isLast bool
		_ = json.Unmarshal(page["total"], &total)
		_ = json.Unmarshal(page["isLast"], &isLast)
		startAt += len(items)
		if len(items) == 0 || isLast || (page["total"] != nil && startAt >= total) {
			return out, nil
		}
	}
}
