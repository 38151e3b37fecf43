package tm

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
