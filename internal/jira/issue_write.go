package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ticket-mate/tm/internal/jql"
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

// BulkResult is what a bulk create made and refused, by element: the
// requests are numbered from 0 in the order sent.
type BulkResult struct {
	Created []BulkCreated
	Failed  []BulkFailed
}

// BulkCreated is one issue a bulk create made.
type BulkCreated struct {
	Element int
	ID      string `json:"id"`
	Key     string `json:"key"`
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
// lists each, so that comes back as a result too, not an error. Like
// CreateIssue it is never repeated blindly: when the answer is lost it
// looks for the issues it may have made (each carries its own marker) and
// returns those it finds; the error it returns then has Uncertain set, and
// LookupErr when the search itself failed.
func (c *Client) BulkCreate(ctx context.Context, rs []CreateRequest) (BulkResult, error) {
	// The body is written directly: encoding/json would walk a map for
	// every issue by reflection.
	markers := make([]string, len(rs))
	payload := append(make([]byte, 0, 256*len(rs)), `{"issueUpdates":[`...)
	for i, r := range rs {
		markers[i] = newMarker()
		if i > 0 {
			payload = append(payload, ',')
		}
		var err error
		if payload, err = r.appendBody(payload, markers[i]); err != nil {
			return BulkResult{}, fmt.Errorf("jira: encoding %s %s: %w", http.MethodPost, "issue/bulk", err)
		}
	}
	payload = append(payload, "]}"...)
	var res struct {
		Issues []BulkCreated `json:"issues"`
		Errors []struct {
			Status              int             `json:"status"`
			FailedElementNumber int             `json:"failedElementNumber"`
			ElementErrors       json.RawMessage `json:"elementErrors"`
		} `json:"errors"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "issue/bulk", body: encoded(payload)}, &res)
	var je *Error
	switch {
	case errors.As(err, &je) && je.StatusCode == http.StatusBadRequest && json.Unmarshal(je.raw, &res) == nil && len(res.Errors) > 0:
		err = nil // every element refused: the answer lists each
	case errors.As(err, &je) && je.Uncertain && ctx.Err() == nil:
		c.emit(Notice{Kind: NoticeLookup, Method: http.MethodPost, URL: je.URL, Status: je.StatusCode})
		found, ferr := c.findBulk(ctx, rs, markers)
		je.LookupErr = ferr
		return BulkResult{Created: found}, err
	}
	if err != nil {
		return BulkResult{}, err
	}
	out := BulkResult{}
	failed := map[int]bool{}
	for _, e := range res.Errors {
		fe := &Error{Method: http.MethodPost, StatusCode: e.Status}
		fe.parseBody("application/json", e.ElementErrors)
		out.Failed = append(out.Failed, BulkFailed{Element: e.FailedElementNumber, Status: e.Status, Error: fe})
		failed[e.FailedElementNumber] = true
	}
	// Jira lists the issues it made in the order of their elements.
	el := 0
	for _, is := range res.Issues {
		for failed[el] {
			el++
		}
		is.Element = el
		out.Created = append(out.Created, is)
		el++
	}
	return out, nil
}

// findBulk searches the caller's newest issues in the requests' projects
// for each request's marker (or, where Jira does not echo properties, its
// exact summary), until all are found or the lookup delays run out.
func (c *Client) findBulk(ctx context.Context, rs []CreateRequest, markers []string) ([]BulkCreated, error) {
	var projects []string
	for _, r := range rs {
		if !slices.Contains(projects, r.ProjectKey) {
			projects = append(projects, r.ProjectKey)
		}
	}
	q := SearchQuery{
		JQL: jql.Query(jql.And(jql.In("project", projects...), "reporter = currentUser()", "created >= "+jql.Quote(lookupWindow)),
			jql.OrderBy("created DESC")),
		Fields: []string{"summary"}, Properties: []string{CreateMarkerProperty}, MaxResults: 2 * BulkCreateMax,
	}
	found := map[int]BulkCreated{}
	for _, d := range lookupDelays {
		if d > 0 {
			if err := c.sleep(ctx, d); err != nil {
				return sortedFound(found), err
			}
		}
		page, err := c.Search(ctx, q)
		if err != nil {
			return sortedFound(found), err
		}
		taken := map[string]bool{}
		for _, f := range found {
			taken[f.Key] = true
		}
		for i, r := range rs {
			if _, ok := found[i]; ok {
				continue
			}
			summary, _ := r.Fields["summary"].(string)
			var left []Issue
			for _, is := range page.Issues {
				if !taken[is.Key] {
					left = append(left, is)
				}
			}
			if is, ok := matchCreated(left, markers[i], summary); ok {
				found[i] = BulkCreated{Element: i, ID: is.ID, Key: is.Key}
				taken[is.Key] = true
			}
		}
		if len(found) == len(rs) {
			break
		}
	}
	return sortedFound(found), nil
}

func sortedFound(m map[int]BulkCreated) []BulkCreated {
	out := make([]BulkCreated, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b BulkCreated) int { return a.Element - b.Element })
	return out
}
