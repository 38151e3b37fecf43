package tm

import (
	"encoding/json"
	"time"
)

// TicketDraft is what a person asks for when creating a ticket: names as
// they know them (issue type "Bug", priority "High", custom field "Story
// points"), not Jira's ids. Resolving the names is the ticket service's job.
type TicketDraft struct {
	ProjectKey  string
	Summary     string
	Description string // Markdown
	IssueType   string // name; "Task" when empty
	Priority    string // name; the project's default when empty
	Labels      []string
	Assignee    string // "me", an email address, an account id (Cloud) or a username (Data Center)
	Components  []string
	Parent      string // issue key
	Fields      []FieldValue
}

// FieldValue sets a field by its name (or id) as typed by a person.
type FieldValue struct {
	Name  string
	Value string
}

// DefaultIssueType is the issue type of a draft that names none.
const DefaultIssueType = "Task"

// Ticket is a created or fetched Jira issue.
type Ticket struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	URL     string `json:"url"` // the browse link on the site, e.g. https://site/browse/KEY-1
	Summary string `json:"summary,omitempty"`
}

// Issue is a ticket as read — by view, search and the API. The JSON names
// are part of tm's interface (--json, the server's API): they do not change.
type Issue struct {
	Key         string      `json:"key"`
	ID          string      `json:"id"`
	URL         string      `json:"url"`
	Summary     string      `json:"summary"`
	Status      string      `json:"status"`
	Type        string      `json:"type"`
	Priority    string      `json:"priority,omitempty"`
	Assignee    *Person     `json:"assignee"` // null: unassigned
	Reporter    *Person     `json:"reporter,omitempty"`
	Labels      []string    `json:"labels"`
	Created     time.Time   `json:"created,omitzero"`
	Updated     time.Time   `json:"updated,omitzero"`
	Parent      *IssueRef   `json:"parent,omitempty"`
	Subtasks    []IssueRef  `json:"subtasks,omitempty"`
	Links       []IssueLink `json:"links,omitempty"`
	Description string      `json:"description,omitempty"` // as plain text
	// Comments are the newest comments asked for, oldest first;
	// CommentCount is how many the issue has in all.
	Comments     []Comment `json:"comments,omitempty"`
	CommentCount int       `json:"commentCount,omitempty"`
	// Fields holds the other fields a search asked for by id (custom
	// fields, …), as Jira sent them.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
}

// Person is someone named on an issue.
type Person struct {
	Name      string `json:"name"`
	AccountID string `json:"accountId,omitempty"` // Cloud
	Username  string `json:"username,omitempty"`  // Data Center
	Email     string `json:"email,omitempty"`
}

// IssueRef is another issue as an issue mentions it.
type IssueRef struct {
	Key     string `json:"key"`
	Summary string `json:"summary,omitempty"`
	Status  string `json:"status,omitempty"`
}

// IssueLink is a link to another issue, as read from this one ("blocks",
// "is blocked by").
type IssueLink struct {
	Relation string   `json:"relation"`
	Issue    IssueRef `json:"issue"`
}

// Comment is a comment on an issue, its body as plain text.
type Comment struct {
	ID      string    `json:"id"`
	Author  string    `json:"author"`
	Created time.Time `json:"created,omitzero"`
	Body    string    `json:"body"`
}

// Transition is a move an issue's workflow offers from its current status.
type Transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   string `json:"to"` // the status it leads to
	// Required names the fields its screen needs that have no default.
	Required []string `json:"required,omitempty"`
}
