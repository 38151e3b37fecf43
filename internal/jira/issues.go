package jira

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jql"
)

// CreateMarkerProperty is the issue property every create carries: a random
// request id, so that a create whose answer was lost can be found instead of
// repeated (a repeated POST would make a second ticket).
const CreateMarkerProperty = "ticket-mate.request"

// CreateRequest is an issue to create. Fields holds Jira's field ids and
// wire values (summary, issuetype {id}, description as ADF or wiki markup);
// "project" is set from ProjectKey.
type CreateRequest struct {
	ProjectKey string
	Fields     map[string]any
}

// PreparedRequest is a request as it would go on the wire, without headers
// (so without credentials).
type PreparedRequest struct {
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Body   json.RawMessage `json:"body"`
}

type createBody struct {
	Fields     map[string]any `json:"fields"`
	Properties []property     `json:"properties,omitempty"`
}

type property struct {
	Key   string         `json:"key"`
	Value map[string]any `json:"value"`
}

func (r CreateRequest) body(marker string) createBody {
	fields := make(map[string]any, len(r.Fields)+1)
	for k, v := range r.Fields {
		fields[k] = v
	}
	fields["project"] = map[string]string{"key": r.ProjectKey}
	return createBody{Fields: fields, Properties: []property{{Key: CreateMarkerProperty, Value: map[string]any{"id": marker}}}}
}

// appendBody appends body(marker) as json.Marshal writes it, without
// building the body's maps.
func (r CreateRequest) appendBody(b []byte, marker string) ([]byte, error) {
	keys := make([]string, 0, len(r.Fields)+1)
	for k := range r.Fields {
		if k != "project" { // ProjectKey's wins, as in body
			keys = append(keys, k)
		}
	}
	keys = append(keys, "project")
	slices.Sort(keys)
	b = append(b, `{"fields":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		var err error
		if k == "project" {
			b = append(appendString(append(b, `{"key":`...), r.ProjectKey), '}')
		} else if b, err = AppendJSON(b, r.Fields[k]); err != nil {
			return b, err
		}
	}
	b = append(b, `},"properties":[{"key":`...)
	b = appendString(b, CreateMarkerProperty)
	b = append(b, `,"value":{"id":`...)
	b = appendString(b, marker)
	return append(b, "}}]}"...), nil
}

// PrepareCreate returns the request CreateIssue would send, for --dry-run.
func (c *Client) PrepareCreate(r CreateRequest) PreparedRequest {
	b, _ := json.Marshal(r.body(newMarker()))
	return PreparedRequest{Method: http.MethodPost, URL: c.Endpoint() + "/issue", Body: b}
}

// CreateIssue creates an issue (POST issue). It is never repeated blindly:
// when the answer is lost (timeout, broken connection, 5xx) it looks for
// the issue it may have made and returns it if Jira made it; if none is
// found, the returned *Error has Uncertain set.
func (c *Client) CreateIssue(ctx context.Context, r CreateRequest) (tm.Ticket, error) {
	marker := newMarker()
	var res struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "issue", body: r.body(marker)}, &res)
	var je *Error
	if errors.As(err, &je) && je.Uncertain && ctx.Err() == nil {
		c.emit(Notice{Kind: NoticeLookup, Method: http.MethodPost, URL: je.URL, Status: je.StatusCode})
		summary, _ := r.Fields["summary"].(string)
		t, ferr := c.findCreated(ctx, r.ProjectKey, marker, summary)
		if ferr != nil {
			je.LookupErr = ferr
			return tm.Ticket{}, err
		}
		if t.Key == "" {
			return tm.Ticket{}, err
		}
		return t, nil
	}
	if err != nil {
		return tm.Ticket{}, err
	}
	return tm.Ticket{ID: res.ID, Key: res.Key, URL: c.BrowseURL(res.Key)}, nil
}

// lookupDelays spaces the searches for a create whose answer was lost: the
// create may still be running, and search lags behind writes.
var lookupDelays = []time.Duration{0, 500 * time.Millisecond, time.Second, 2 * time.Second}

// lookupWindow is how far back the search for a lost create looks.
const lookupWindow = "-15m"

// findCreated searches the caller's newest issues in the project for the
// create's marker property. A Jira that does not return issue properties
// in search is matched on the exact summary instead.
func (c *Client) findCreated(ctx context.Context, projectKey, marker, summary string) (tm.Ticket, error) {
	q := SearchQuery{
		JQL: jql.Query(jql.And(jql.Eq("project", projectKey), "reporter = currentUser()", "created >= "+jql.Quote(lookupWindow)),
			jql.OrderBy("created DESC")),
		Fields:     []string{"summary"},
		Properties: []string{CreateMarkerProperty},
		MaxResults: 50,
	}
	for _, d := range lookupDelays {
		if d > 0 {
			if err := c.sleep(ctx, d); err != nil {
				return tm.Ticket{}, err
			}
		}
		page, err := c.Search(ctx, q)
		if err != nil {
			return tm.Ticket{}, err
		}
		if is, ok := matchCreated(page.Issues, marker, summary); ok {
			var s string
			_ = json.Unmarshal(is.Fields["summary"], &s)
			return tm.Ticket{ID: is.ID, Key: is.Key, URL: c.BrowseURL(is.Key), Summary: s}, nil
		}
	}
	return tm.Ticket{}, nil
}

func matchCreated(issues []Issue, marker, summary string) (Issue, bool) {
	echoed := false
	for _, is := range issues {
		raw, ok := is.Properties[CreateMarkerProperty]
		if !ok {
			continue
		}
		echoed = true
		var p struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &p) == nil && p.ID == marker {
			return is, true
		}
	}
	if echoed || summary == "" {
		return Issue{}, false
	}
	for _, is := range issues {
		var s string
		if json.Unmarshal(is.Fields["summary"], &s) == nil && s == summary {
			return is, true
		}
	}
	return Issue{}, false
}

func newMarker() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CanWrite reports whether the credentials carry the write scope
// (write:jira-work), which the gateway checks before anything else. It
// sends a create with no fields: Jira refuses it (400) whenever the scope
// is there, so it can never make an issue; a missing scope is the
// gateway's 401 "scope does not match". Any other answer is an error.
func (c *Client) CanWrite(ctx context.Context) (bool, error) {
	err := c.do(ctx, call{method: http.MethodPost, path: "issue", body: createBody{Fields: map[string]any{}}}, nil)
	var je *Error
	switch {
	case errors.As(err, &je) && je.StatusCode == http.StatusBadRequest:
		return true, nil
	case errors.As(err, &je) && je.ScopeMismatch():
		return false, nil
	case err == nil:
		return false, errors.New("jira: an empty create was accepted")
	}
	return false, err
}
