package ticket

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/adf"
	"github.com/ticket-mate/tm/internal/jira"
)

// viewFields are the fields Get reads: what a person reading a ticket
// needs, and nothing else.
var viewFields = []string{"summary", "status", "issuetype", "priority", "assignee", "reporter", "labels",
	"created", "updated", "parent", "subtasks", "issuelinks", "description"}

// ListFields are the fields a search row shows unless others are asked for.
var ListFields = []string{"summary", "status", "issuetype", "priority", "assignee", "updated"}

// Get reads one issue with its newest comments (up to comments; 0 for
// none) in one round trip: the comments come as a field of the issue.
func (s *Service) Get(ctx context.Context, key string, comments int) (tm.Issue, error) {
	key, err := CheckKey(key)
	if err != nil {
		return tm.Issue{}, err
	}
	fields := viewFields
	if comments > 0 {
		fields = append(slices.Clip(viewFields), "comment")
	}
	raw, err := s.jira.GetIssue(ctx, key, fields)
	if err != nil {
		return tm.Issue{}, Explain(err, About{Issue: key})
	}
	is := s.issue(raw)
	if comments > 0 {
		page, _ := jira.DecodeField[commentPage](raw.Fields["comment"])
		is.CommentCount = max(page.Total, len(page.Comments))
		for _, c := range page.Comments[max(len(page.Comments)-comments, 0):] {
			is.Comments = append(is.Comments, s.comment(c))
		}
	}
	return is, nil
}

// CheckKey puts an issue key in the form Jira gives it (upper case) and
// refuses what cannot be one.
func CheckKey(key string) (string, error) {
	k := strings.ToUpper(strings.TrimSpace(key))
	p, n, ok := strings.Cut(k, "-")
	valid := ok && p != "" && n != "" && strings.Trim(n, "0123456789") == "" && strings.IndexFunc(p, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	}) < 0
	if !valid {
		if strings.Trim(k, "0123456789") == "" && k != "" {
			return k, nil // an issue id
		}
		return "", detailed(&tm.Error{Code: tm.EINVALID, Message: "not an issue key: " + clip(key, 40),
			Hint: "An issue key is the project key, a dash and a number, e.g. SPACE2-42."}, &Detail{Field: "issue"})
	}
	return k, nil
}

// issue decodes what Jira sent into the domain's Issue.
func (s *Service) issue(raw jira.Issue) tm.Issue { return s.issueSeen(raw, nil) }

// issueSeen is issue, reading the values a listing repeats — statuses,
// types, priorities, people — through seen (nil: none kept).
func (s *Service) issueSeen(raw jira.Issue, seen *seenValues) tm.Issue {
	f := raw.Fields
	is := tm.Issue{Key: raw.Key, ID: raw.ID, URL: s.jira.BrowseURL(raw.Key), Labels: []string{}}
	is.Summary, _ = jira.DecodeField[string](f["summary"])
	is.Status = seen.named(f["status"])
	is.Type = seen.named(f["issuetype"])
	is.Priority = seen.named(f["priority"])
	is.Assignee = seen.person(f["assignee"])
	is.Reporter = seen.person(f["reporter"])
	if labels, _ := jira.DecodeField[[]string](f["labels"]); labels != nil {
		is.Labels = labels
	}
	is.Created = jiraTime(f["created"])
	is.Updated = jiraTime(f["updated"])
	if p := ref(f["parent"]); p.Key != "" {
		is.Parent = &p
	}
	subs, _ := jira.DecodeField[[]json.RawMessage](f["subtasks"])
	for _, sub := range subs {
		is.Subtasks = append(is.Subtasks, ref(sub))
	}
	links, _ := jira.DecodeField[[]issueLink](f["issuelinks"])
	for _, l := range links {
		if len(l.Outward) > 0 {
			is.Links = append(is.Links, tm.IssueLink{Relation: l.Type.Outward, Issue: ref(l.Outward)})
		} else if len(l.Inward) > 0 {
			is.Links = append(is.Links, tm.IssueLink{Relation: l.Type.Inward, Issue: ref(l.Inward)})
		}
	}
	is.Description = s.text(f["description"])
	return is
}

// commentPage is the comment field: the newest comments and how many
// there are.
type commentPage struct {
	Comments []jira.Comment `json:"comments"`
	Total    int            `json:"total"`
}

// issueLink is one of the issuelinks field: the other issue on one side.
type issueLink struct {
	Type struct {
		Inward  string `json:"inward"`
		Outward string `json:"outward"`
	} `json:"type"`
	Inward  json.RawMessage `json:"inwardIssue"`
	Outward json.RawMessage `json:"outwardIssue"`
}

// issueRef is an issue another one names (parent, subtask, link).
type issueRef struct {
	Key    string `json:"key"`
	Fields struct {
		Summary string          `json:"summary"`
		Status  json.RawMessage `json:"status"`
	} `json:"fields"`
}

func (s *Service) comment(c jira.Comment) tm.Comment {
	return tm.Comment{ID: c.ID, Author: c.Author.DisplayName, Created: parseTime(c.Created), Body: s.text(c.Body)}
}

// text renders a rich-text field as plain text, or as Markdown for a
// service made by Markdown: ADF (Cloud) or wiki markup (Data Center, shown
// as written).
func (s *Service) text(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if w, ok := jira.DecodeField[string](raw); ok {
		return strings.TrimSpace(w)
	}
	render := adf.ToText
	if s.markdown {
		render = adf.ToMarkdown
	}
	t, err := render(raw)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(t)
}

// seenValues remembers what the values of a listing's issues read as: a
// page of a hundred issues names a few statuses, types, priorities and
// people hundreds of times, each as the same bytes. It keeps at most
// maxSeen of each.
type seenValues struct {
	names map[string]string
	users map[string]jira.User
}

const maxSeen = 64

func newSeenValues() *seenValues {
	return &seenValues{names: map[string]string{}, users: map[string]jira.User{}}
}

func (v *seenValues) named(raw json.RawMessage) string {
	if v == nil {
		return named(raw)
	}
	if n, ok := v.names[string(raw)]; ok {
		return n
	}
	n := named(raw)
	if len(v.names) < maxSeen {
		v.names[string(raw)] = n
	}
	return n
}

func (v *seenValues) person(raw json.RawMessage) *tm.Person {
	if v == nil {
		return person(raw)
	}
	u, ok := v.users[string(raw)]
	if !ok {
		u, ok = jira.DecodeField[jira.User](raw)
		if !ok {
			return nil
		}
		if len(v.users) < maxSeen {
			v.users[string(raw)] = u
		}
	}
	return personOf(u)
}

// named is the name of a status, type or priority object.
func named(raw json.RawMessage) string {
	v, _ := jira.DecodeField[jira.Named](raw)
	return v.Name
}

func person(raw json.RawMessage) *tm.Person {
	u, ok := jira.DecodeField[jira.User](raw)
	if !ok {
		return nil
	}
	return personOf(u)
}

// personOf is a user as the domain names people; nil for nobody. Each
// call makes a Person of its own.
func personOf(u jira.User) *tm.Person {
	if u.DisplayName == "" && u.AccountID == "" && u.Name == "" {
		return nil
	}
	return &tm.Person{Name: u.DisplayName, AccountID: u.AccountID, Username: u.Name, Email: u.EmailAddress}
}

func ref(raw json.RawMessage) tm.IssueRef {
	v, _ := jira.DecodeField[issueRef](raw)
	return tm.IssueRef{Key: v.Key, Summary: v.Fields.Summary, Status: named(v.Fields.Status)}
}

func jiraTime(raw json.RawMessage) time.Time {
	s, _ := jira.DecodeField[string](raw)
	return parseTime(s)
}

// parseTime reads Jira's timestamps ("2024-05-01T10:00:00.000+0000").
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{} // a field not asked for: no layout reads it
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
