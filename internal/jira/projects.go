package jira

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ticket-mate/tm"
)

// ProjectPageSize is the largest page project/search returns (it clamps
// larger requests to it).
const ProjectPageSize = 100

// ProjectQuery selects projects for SearchProjects.
type ProjectQuery struct {
	Query      string // case-insensitive match on key or name
	Action     string // "view" (default), "browse", "edit", "create"
	StartAt    int
	MaxResults int // 0: ProjectPageSize
	// Into, when its capacity holds the page, is where the projects are
	// decoded: a caller done with an earlier page hands its array back.
	Into []tm.Project
}

// encode is the query string of q, as url.Values.Encode writes it (keys
// in order), without building the map.
func (q ProjectQuery) encode() string {
	b := make([]byte, 0, 64+len(q.Query)+len(q.Action))
	if q.Action != "" {
		b = append(b, "action="...)
		b = append(b, url.QueryEscape(q.Action)...)
		b = append(b, '&')
	}
	b = append(b, "maxResults="...)
	b = strconv.AppendInt(b, int64(q.MaxResults), 10)
	b = append(b, "&orderBy=key"...)
	if q.Query != "" {
		b = append(b, "&query="...)
		b = append(b, url.QueryEscape(q.Query)...)
	}
	b = append(b, "&startAt="...)
	b = strconv.AppendInt(b, int64(q.StartAt), 10)
	return string(b)
}

// ProjectPage is one page of project/search.
type ProjectPage struct {
	Projects   []tm.Project
	StartAt    int
	MaxResults int
	Total      int
	IsLast     bool
}

type project struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey"`
	Style          string `json:"style"`
	IsPrivate      bool   `json:"isPrivate"`
}

func (p project) project() tm.Project {
	return tm.Project{ID: p.ID, Key: p.Key, Name: p.Name, TypeKey: p.ProjectTypeKey, Style: p.Style, Private: p.IsPrivate}
}

// SearchProjects returns one page of the projects the caller may see
// (Cloud: GET /rest/api/3/project/search).
func (c *Client) SearchProjects(ctx context.Context, q ProjectQuery) (ProjectPage, error) {
	if q.MaxResults <= 0 {
		q.MaxResults = ProjectPageSize
	}
	page := projectPage{into: q.Into}
	if err := c.do(ctx, call{method: http.MethodGet, path: "project/search", rawQuery: q.encode()}, &page); err != nil {
		return ProjectPage{}, err
	}
	return ProjectPage{StartAt: page.StartAt, MaxResults: page.MaxResults, Total: page.Total, IsLast: page.IsLast,
		Projects: page.projects()}, nil
}

// AllProjects returns every visible project in one unpaged call: Data
// Center's GET /rest/api/2/project. On Cloud use SearchProjects: the
// unpaged endpoint is deprecated there. query, when set, keeps projects
// whose key or name contains it (case-insensitive), as project/search does.
func (c *Client) AllProjects(ctx context.Context, query string) ([]tm.Project, error) {
	var ps []project
	if err := c.do(ctx, call{method: http.MethodGet, path: "project"}, &ps); err != nil {
		return nil, err
	}
	q := strings.ToLower(query)
	out := make([]tm.Project, 0, len(ps))
	for _, p := range ps {
		if q == "" || strings.Contains(strings.ToLower(p.Key), q) || strings.Contains(strings.ToLower(p.Name), q) {
			out = append(out, p.project())
		}
	}
	return out, nil
}

// Project returns one project by key or id. Jira answers 404 both when it
// does not exist and when the caller may not see it.
func (c *Client) Project(ctx context.Context, keyOrID string) (tm.Project, error) {
	var p project
	if err := c.do(ctx, call{method: http.MethodGet, path: "project/" + url.PathEscape(keyOrID)}, &p); err != nil {
		return tm.Project{}, err
	}
	return p.project(), nil
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
