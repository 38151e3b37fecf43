package jira

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// GetIssue reads one issue with the fields asked for (GET issue/{key});
// nil fields means Jira's default set.
func (c *Client) GetIssue(ctx context.Context, key string, fields []string) (Issue, error) {
	v := url.Values{}
	if len(fields) > 0 {
		v.Set("fields", strings.Join(fields, ","))
	}
	var is Issue
	err := c.do(ctx, call{method: http.MethodGet, path: "issue/" + url.PathEscape(key), query: v}, &is)
	return is, err
}

// BulkFetchMax is the most issues one bulkfetch call returns.
const BulkFetchMax = 100

// BulkFetch reads up to BulkFetchMax issues by id or key with the fields
// asked for (POST issue/bulkfetch, Cloud only). Issues the caller cannot
// see are left out, as Jira does.
func (c *Client) BulkFetch(ctx context.Context, idsOrKeys, fields []string) ([]Issue, error) {
	body := map[string]any{"issueIdsOrKeys": idsOrKeys, "fields": fields}
	var res bulkPage
	err := c.do(ctx, call{method: http.MethodPost, path: "issue/bulkfetch", body: body, read: true}, &res)
	return res.Issues, err
}

// Comment is a comment as Jira sends it; Body is ADF (Cloud) or wiki
// markup (Data Center).
type Comment struct {
	ID      string          `json:"id"`
	Author  User            `json:"author"`
	Body    json.RawMessage `json:"body"`
	Created string          `json:"created"`
}

// User is a person as Jira names them in an issue.
type User struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
}
