package mcp

import (
	"time"

	"github.com/ticket-mate/tm"
)

// Issue is an issue as the model sees it: only what is set, people by
// name, times to the minute, text as Markdown.
type Issue struct {
	Key          string    `json:"key"`
	URL          string    `json:"url,omitempty"`
	Summary      string    `json:"summary"`
	Status       string    `json:"status,omitempty"`
	Type         string    `json:"type,omitempty"`
	Priority     string    `json:"priority,omitempty"`
	Assignee     string    `json:"assignee,omitempty"`
	Reporter     string    `json:"reporter,omitempty"`
	Labels       []string  `json:"labels,omitempty"`
	Created      string    `json:"created,omitempty"`
	Updated      string    `json:"updated,omitempty"`
	Parent       string    `json:"parent,omitempty"`
	Subtasks     []string  `json:"subtasks,omitempty"`
	Links        []string  `json:"links,omitempty"`
	Description  string    `json:"description,omitempty"`
	Comments     []Comment `json:"comments,omitempty"`
	CommentCount int       `json:"commentCount,omitempty"`
}

// Comment is a comment as the model sees it.
type Comment struct {
	Author  string `json:"author"`
	Created string `json:"created,omitempty"`
	Body    string `json:"body"`
}

// compact is is for the model; full adds the browse link, dates and
// relations that a search row leaves out.
func compact(is tm.Issue, full bool) Issue {
	out := Issue{Key: is.Key, Summary: is.Summary, Status: is.Status, Type: is.Type, Priority: is.Priority,
		Assignee: personName(is.Assignee), Labels: is.Labels, Updated: minute(is.Updated)}
	if !full {
		return out
	}
	out.URL, out.Reporter, out.Created = is.URL, personName(is.Reporter), minute(is.Created)
	out.Description, out.CommentCount = is.Description, is.CommentCount
	if is.Parent != nil {
		out.Parent = ref(*is.Parent)
	}
	for _, s := range is.Subtasks {
		out.Subtasks = append(out.Subtasks, ref(s))
	}
	for _, l := range is.Links {
		out.Links = append(out.Links, l.Relation+" "+ref(l.Issue))
	}
	for _, c := range is.Comments {
		out.Comments = append(out.Comments, Comment{Author: c.Author, Created: minute(c.Created), Body: c.Body})
	}
	return out
}

// ref is a related issue in one line: "ABC-1 (Done): Summary".
func ref(r tm.IssueRef) string {
	s := r.Key
	if r.Status != "" {
		s += " (" + r.Status + ")"
	}
	if r.Summary != "" {
		s += ": " + r.Summary
	}
	return s
}

// personName is a person as "Name <email>", the email being what
// assign_issue takes; "" when nobody.
func personName(p *tm.Person) string {
	switch {
	case p == nil:
		return ""
	case p.Email != "":
		return p.Name + " <" + p.Email + ">"
	}
	return p.Name
}

func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02T15:04Z07:00")
}
