package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// AddComment adds a comment (POST issue/{key}/comment); body is ADF on
// Cloud, a wiki markup string on Data Center.
func (c *Client) AddComment(ctx context.Context, key string, body any) (Comment, error) {
	var cm Comment
	err := c.do(ctx, call{method: http.MethodPost, path: "issue/" + url.PathEscape(key) + "/comment", body: map[string]any{"body": body}}, &cm)
	return cm, err
}

// Transition is a move an issue's workflow offers from its status.
type Transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"to"`
	// Fields are the transition screen's fields (with expand
	// transitions.fields), by id.
	Fields map[string]FieldMeta `json:"fields"`
}

// Transitions lists the transitions available on an issue, with their
// screens' fields (GET issue/{key}/transitions).
func (c *Client) Transitions(ctx context.Context, key string) ([]Transition, error) {
	var res struct {
		Transitions []Transition `json:"transitions"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: "issue/" + url.PathEscape(key) + "/transitions",
		query: url.Values{"expand": {"transitions.fields"}}}, &res)
	return res.Transitions, err
}

// DoTransition moves an issue along transition id, setting fields and
// applying update operations on the way (POST issue/{key}/transitions).
func (c *Client) DoTransition(ctx context.Context, key, id string, fields, update map[string]any) error {
	body := map[string]any{"transition": map[string]string{"id": id}}
	if len(fields) > 0 {
		body["fields"] = fields
	}
	if len(update) > 0 {
		body["update"] = update
	}
	return c.do(ctx, call{method: http.MethodPost, path: "issue/" + url.PathEscape(key) + "/transitions", body: body}, nil)
}

// Assign sets an issue's assignee (PUT issue/{key}/assignee): user is
// {"accountId": …} on Cloud, {"name": …} on Data Center; a null id
// unassigns.
func (c *Client) Assign(ctx context.Context, key string, user map[string]any) error {
	return c.do(ctx, call{method: http.MethodPut, path: "issue/" + url.PathEscape(key) + "/assignee", body: user}, nil)
}

// EditIssue changes an issue's fields (PUT issue/{key}): fields replace
// values, update holds operations such as {"labels": [{"add": "x"}]}.
func (c *Client) EditIssue(ctx context.Context, key string, fields, update map[string]any) error {
	body := map[string]any{}
	if len(fields) > 0 {
		body["fields"] = fields
	}
	if len(update) > 0 {
		body["update"] = update
	}
	return c.do(ctx, call{method: http.MethodPut, path: "issue/" + url.PathEscape(key), body: body}, nil)
}

// BulkCreateMax is the most issues one bulk create may carry.
const BulkCreateMax = 50

// BulkResult is what a bulk create made and refused. Failed elements are
// numbered from 0 in the order sent.
type BulkResult struct {
	Created []BulkCreated
	Failed  []BulkFailed
}

// BulkCreated is one issue a bulk create made.
type BulkCreated struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// BulkFailed is one element a bulk create refused.
type BulkFailed struct {
	Element int
	Status  int
	Error   *Error // Jira's messages for the element
}

// BulkCreate creates up to BulkCreateMax issues in one request (POST
// issue/bulk). Jira creates the valid ones and refuses the rest per
// element; when it refuses all of them the answer is a 400 that still
// lists each, so that comes back as a result too, not an error.
func (c *Client) BulkCreate(ctx context.Context, rs []CreateRequest) (BulkResult, error) {
	ups := make([]createBody, len(rs))
	for i, r := range rs {
		b := r.body(newMarker())
		ups[i] = createBody{Fields: b.Fields}
	}
	var res struct {
		Issues []BulkCreated `json:"issues"`
		Errors []struct {
			Status              int             `json:"status"`
			FailedElementNumber int             `json:"failedElementNumber"`
			ElementErrors       json.RawMessage `json:"elementErrors"`
		} `json:"errors"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "issue/bulk", body: map[string]any{"issueUpdates": ups}}, &res)
	if je := (*Error)(nil); errors.As(err, &je) && je.StatusCode == http.StatusBadRequest && json.Unmarshal(je.raw, &res) == nil && len(res.Errors) > 0 {
		err = nil // every element refused: the answer lists each
	}
	if err != nil {
		return BulkResult{}, err
	}
	out := BulkResult{Created: res.Issues}
	for _, e := range res.Errors {
		fe := &Error{Method: http.MethodPost, StatusCode: e.Status}
		fe.parseBody("application/json", e.ElementErrors)
		out.Failed = append(out.Failed, BulkFailed{Element: e.FailedElementNumber, Status: e.Status, Error: fe})
	}
	return out, nil
}
