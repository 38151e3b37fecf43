package jira

import (
	"context"
	"net/http"
	"strconv"
)

// SearchIDsMax is the most issues a search/jql page holds when only ids
// are asked for; with other fields it is 100.
const SearchIDsMax = 5000

// SearchJQL runs one page of a JQL search with the query in the body:
// Cloud's POST search/jql, cursor-paged; Data Center's POST search,
// offset-paged (the offset carried in NextPageToken). Paging stops — an
// empty NextPageToken — on any end signal Jira gives, and on a token that
// repeats.
func (c *Client) SearchJQL(ctx context.Context, q SearchQuery) (SearchPage, error) {
	if q.MaxResults <= 0 {
		q.MaxResults = 50
	}
	body := map[string]any{"jql": q.JQL, "maxResults": q.MaxResults}
	if len(q.Fields) > 0 {
		body["fields"] = q.Fields
	}
	if c.dataCenter {
		start := 0
		if q.NextPageToken != "" {
			start, _ = strconv.Atoi(q.NextPageToken)
		}
		body["startAt"] = start
		var page offsetPage
		if err := c.do(ctx, call{method: http.MethodPost, path: "search", body: body, read: true}, &page); err != nil {
			return SearchPage{}, err
		}
		out := SearchPage{Issues: page.Issues, Total: page.Total}
		if next := page.StartAt + len(page.Issues); len(page.Issues) > 0 && next < page.Total {
			out.NextPageToken = strconv.Itoa(next)
		}
		return out, nil
	}
	if q.NextPageToken != "" {
		body["nextPageToken"] = q.NextPageToken
	}
	var page searchPage
	if err := c.do(ctx, call{method: http.MethodPost, path: "search/jql", body: body, read: true}, &page); err != nil {
		return SearchPage{}, err
	}
	out := SearchPage{Issues: page.Issues, NextPageToken: page.NextPageToken, Total: -1}
	if page.IsLast || len(page.Issues) == 0 || page.NextPageToken == q.NextPageToken {
		out.NextPageToken = ""
	}
	return out, nil
}

// ApproximateCount is about how many issues jql matches (POST
// search/approximate-count, Cloud); Data Center answers the exact total of
// a search for no issues.
func (c *Client) ApproximateCount(ctx context.Context, jql string) (int, error) {
	if c.dataCenter {
		var page struct {
			Total int `json:"total"`
		}
		err := c.do(ctx, call{method: http.MethodPost, path: "search", body: map[string]any{"jql": jql, "maxResults": 0}, read: true}, &page)
		return page.Total, err
	}
	var res struct {
		Count int `json:"count"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "search/approximate-count", body: map[string]any{"jql": jql}, read: true}, &res)
	return res.Count, err
}
