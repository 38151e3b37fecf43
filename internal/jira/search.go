package jira

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// SearchQuery is one page of a JQL search.
type SearchQuery struct {
	JQL           string // must be bounded on Cloud (e.g. start with a project clause)
	Fields        []string
	Properties    []string // issue property keys to return (at most 5)
	MaxResults    int      // a hint; 0 means 50
	NextPageToken string   // "" for the first page
}

// SearchPage is one page of results. NextPageToken is "" on the last page.
type SearchPage struct {
	Issues        []Issue
	NextPageToken string
	Total         int // Data Center's total; -1 when Jira does not say (Cloud)
}

// Issue is an issue as search returns it: the fields and properties asked
// for, undecoded.
type Issue struct {
	ID         string                     `json:"id"`
	Key        string                     `json:"key"`
	Fields     map[string]json.RawMessage `json:"fields"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// Search runs one page of a JQL search: Cloud's cursor-paged GET
// search/jql, Data Center's offset-paged GET search (whose offset is
// carried in NextPageToken).
func (c *Client) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	if q.MaxResults <= 0 {
		q.MaxResults = 50
	}
	v := url.Values{"jql": {q.JQL}, "maxResults": {strconv.Itoa(q.MaxResults)}}
	if len(q.Fields) > 0 {
		v.Set("fields", strings.Join(q.Fields, ","))
	}
	if len(q.Properties) > 0 {
		v.Set("properties", strings.Join(q.Properties, ","))
	}
	if c.dataCenter {
		start := 0
		if q.NextPageToken != "" {
			start, _ = strconv.Atoi(q.NextPageToken)
		}
		v.Set("startAt", strconv.Itoa(start))
		var page offsetPage
		if err := c.do(ctx, call{method: http.MethodGet, path: "search", query: v}, &page); err != nil {
			return SearchPage{}, err
		}
		out := SearchPage{Issues: page.Issues}
		if next := page.StartAt + len(page.Issues); len(page.Issues) > 0 && next < page.Total {
			out.NextPageToken = strconv.Itoa(next)
		}
		return out, nil
	}
	if q.NextPageToken != "" {
		v.Set("nextPageToken", q.NextPageToken)
	}
	var page searchPage
	if err := c.do(ctx, call{method: http.MethodGet, path: "search/jql", query: v}, &page); err != nil {
		return SearchPage{}, err
	}
	out := SearchPage{Issues: page.Issues, NextPageToken: page.NextPageToken}
	// Stop on any of the three end signals, and on a token that repeats:
	// servers have advertised more pages forever.
	if page.IsLast || len(page.Issues) == 0 || page.NextPageToken == q.NextPageToken {
		out.NextPageToken = ""
	}
	return out, nil
}
