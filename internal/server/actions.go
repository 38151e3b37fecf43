package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/adf"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/jira"
)

// recentLimit is how many recent tickets the dashboard and API show.
const recentLimit = 20

// checkedPermissions are the project permissions the dashboard reports.
var checkedPermissions = []struct{ Key, Name string }{
	{tm.PermBrowseProjects, "Browse projects"},
	{tm.PermCreateIssues, "Create issues"},
	{"EDIT_ISSUES", "Edit issues"},
	{"ASSIGN_ISSUES", "Assign issues"},
	{"ADD_COMMENTS", "Add comments"},
	{"TRANSITION_ISSUES", "Transition issues"},
	{tm.PermAdministerProject, "Administer the project"},
}

// priorities offered on the create form; the project default when empty.
var priorities = []string{"Highest", "High", "Medium", "Low", "Lowest"}

// conn is a signed-in user's working connection: their grant, the site they
// picked, and a Jira client that authenticates as them.
type conn struct {
	grant *tm.Grant
	site  tm.Site
	jira  *jira.Client
}

// connect loads userID's grant and site and builds a Jira client that
// spends only that user's tokens. Everything is keyed by the session's user
// id; a cloud id from the request is never trusted without the user's own
// site list.
func (s *Server) jiraFor(ctx context.Context, userID string) (*conn, error) {
	g, err := s.store.GetGrant(ctx, userID)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		return nil, atlassian.ErrReconnect
	}
	if err != nil {
		return nil, err
	}
	if g.Lost {
		return nil, atlassian.ErrReconnect
	}
	if g.SelectedCloudID == "" {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "Choose a Jira site first.",
			Hint: "POST /api/sites/{cloudId}/select with one of GET /api/sites."}
	}
	sites, err := s.store.Sites(ctx, userID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(sites, func(st tm.Site) bool { return st.CloudID == g.SelectedCloudID })
	if i < 0 {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "The selected Jira site is no longer in your connection; choose another."}
	}
	tr := &atlassian.Transport{Tokens: s.tokens, UserID: userID, Base: s.transport, Grant: g}
	hc := &http.Client{Transport: tr, Timeout: s.timeout}
	c := jira.NewClient(hc, jira.GatewayURL(s.apiURL, g.SelectedCloudID), jira.OAuthAuth{Source: tr},
		jira.WithGateway(), jira.WithSiteURL(sites[i].URL), jira.WithRequestTimeout(s.timeout))
	return &conn{grant: g, site: sites[i], jira: c}, nil
}

// permissionRow is one permission and whether the user has it.
type permissionRow struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Have bool   `json:"have"`
}

func (s *Server) permissions(ctx context.Context, c *conn, project string) ([]permissionRow, error) {
	if project == "" {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "Name a project: ?project=KEY."}
	}
	keys := make([]string, len(checkedPermissions))
	for i, p := range checkedPermissions {
		keys[i] = p.Key
	}
	got, err := c.jira.MyPermissions(ctx, project, keys...)
	if err != nil {
		return nil, err
	}
	rows := make([]permissionRow, len(checkedPermissions))
	for i, p := range checkedPermissions {
		rows[i] = permissionRow{Key: p.Key, Name: p.Name, Have: got[p.Key].HavePermission}
	}
	return rows, nil
}

// ticketInput is a create request from the API or the form.
type ticketInput struct {
	Project     string   `json:"project"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	Priority    string   `json:"priority"`
	Labels      []string `json:"labels"`
}

func (in *ticketInput) validate() error {
	in.Project = strings.ToUpper(strings.TrimSpace(in.Project))
	in.Summary = strings.TrimSpace(in.Summary)
	in.Type = strings.TrimSpace(in.Type)
	in.Priority = strings.TrimSpace(in.Priority)
	switch {
	case in.Project == "":
		return &tm.Error{Code: tm.EINVALID, Message: "project is required: a project key such as SPACE2."}
	case in.Summary == "":
		return &tm.Error{Code: tm.EINVALID, Message: "summary is required."}
	case len(in.Summary) > 255:
		return &tm.Error{Code: tm.EINVALID, Message: "summary is longer than Jira's 255 characters."}
	}
	if in.Type == "" {
		in.Type = tm.DefaultIssueType
	}
	labels := in.Labels[:0]
	for _, l := range in.Labels {
		if l = strings.TrimSpace(l); l != "" {
			if strings.ContainsAny(l, " \t") {
				return &tm.Error{Code: tm.EINVALID, Message: "label " + clip(l, 40) + " contains a space; Jira labels cannot."}
			}
			labels = append(labels, l)
		}
	}
	in.Labels = labels
	return nil
}

// createTicket resolves the names in in against the project's create
// metadata, creates the issue as the user and records it for "recent".
func (s *Server) createTicket(ctx context.Context, userID string, c *conn, in ticketInput) (tm.Ticket, error) {
	if err := in.validate(); err != nil {
		return tm.Ticket{}, err
	}
	types, err := c.jira.CreateMetaIssueTypes(ctx, in.Project)
	if err != nil {
		return tm.Ticket{}, err
	}
	it, err := pickIssueType(types, in.Type)
	if err != nil {
		return tm.Ticket{}, err
	}
	fields := map[string]any{
		"summary":   in.Summary,
		"issuetype": map[string]string{"id": it.ID},
	}
	if d := strings.TrimSpace(in.Description); d != "" {
		doc, err := adf.FromMarkdown([]byte(d))
		if err != nil {
			return tm.Ticket{}, &tm.Error{Code: tm.EINVALID, Message: "the description could not be read as Markdown: " + err.Error()}
		}
		fields["description"] = doc
	}
	if in.Priority != "" {
		fields["priority"] = map[string]string{"name": in.Priority}
	}
	if len(in.Labels) > 0 {
		fields["labels"] = in.Labels
	}
	t, err := c.jira.CreateIssue(ctx, jira.CreateRequest{ProjectKey: in.Project, Fields: fields})
	if err != nil {
		return tm.Ticket{}, err
	}
	t.Summary = in.Summary
	rec := tm.TicketRecord{UserID: userID, CloudID: c.site.CloudID, Key: t.Key, URL: t.URL, Summary: in.Summary, CreatedAt: s.now()}
	if err := s.store.AddTicket(ctx, rec); err != nil {
		// The ticket exists; failing the request would invite a duplicate.
		s.log.ErrorContext(ctx, "recording a created ticket failed", "key", t.Key, "error", err.Error())
	}
	s.log.InfoContext(ctx, "ticket created", "user", userID, "key", t.Key)
	return t, nil
}

// pickIssueType finds the named standard issue type. Team-managed projects
// may repeat a name; the first top-level one wins, as Jira's own create
// screen lists it first.
func pickIssueType(types []jira.IssueTypeMeta, name string) (jira.IssueTypeMeta, error) {
	var names []string
	for _, t := range types {
		if strings.EqualFold(t.Name, name) && !t.Subtask {
			return t, nil
		}
		if !t.Subtask {
			names = append(names, t.Name)
		}
	}
	return jira.IssueTypeMeta{}, &tm.Error{Code: tm.EINVALID,
		Message: "issue type " + clip(name, 40) + " is not available in this project; choose one of: " + strings.Join(names, ", ") + "."}
}

// health is the connection's state as the dashboard and /api/me show it.
type health struct {
	AccessExpiresAt time.Time `json:"accessTokenExpiresAt"`
	AccessStatus    string    `json:"-"`
	Scopes          []string  `json:"scopes"`
	FamilyExpiresAt time.Time `json:"consentExpiresAt"`
	FamilyDaysLeft  int       `json:"consentDaysLeft"`
	FamilyEnds      string    `json:"-"`
	FamilyWarn      bool      `json:"consentExpiresSoon"`
	RefreshedAt     time.Time `json:"refreshedAt,omitzero"`
}

// familyWarnDays is how early the dashboard warns that the 365-day consent
// is running out.
const familyWarnDays = 30

func healthOf(g *tm.Grant, now time.Time) health {
	fam := g.FamilyExpiresAt()
	days := int(fam.Sub(now).Hours() / 24)
	h := health{
		AccessExpiresAt: g.ExpiresAt, Scopes: g.Scopes, FamilyExpiresAt: fam,
		FamilyDaysLeft: max(days, 0), FamilyEnds: fam.UTC().Format("2 Jan 2006"),
		FamilyWarn: days < familyWarnDays, RefreshedAt: g.RefreshedAt,
	}
	h.AccessStatus = accessStatus(g.ExpiresAt, now)
	return h
}
