package server

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/ticket-mate/tm"
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
	g, site, err := s.grantAndSite(ctx, userID)
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
		return nil, &tm.Error{Code: tm.EINVALID, Message: "Choose a Jira site first."}
	}
	if site == nil {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "The selected Jira site is no longer in your connection; choose another."}
	}
	tr := &atlassian.Transport{Tokens: s.tokens, UserID: userID, Base: s.transport, Grant: g}
	hc := &http.Client{Transport: tr, Timeout: s.timeout}
	c := jira.NewClient(hc, jira.GatewayURL(s.apiURL, g.SelectedCloudID), jira.OAuthAuth{Source: tr},
		jira.WithGateway(), jira.WithSiteURL(site.URL), jira.WithRequestTimeout(s.timeout))
	return &conn{grant: g, site: *site, jira: c}, nil
}

// grantSiteReader is a store that reads a grant and its selected site in
// one round trip (package store does).
type grantSiteReader interface {
	GrantAndSite(ctx context.Context, userID string) (*tm.Grant, *tm.Site, error)
}

// grantAndSite is the user's grant and selected site (nil when the
// selection is not among the user's sites).
func (s *Server) grantAndSite(ctx context.Context, userID string) (*tm.Grant, *tm.Site, error) {
	if sg := takeGrant(ctx, userID); sg != nil {
		return sg.Grant, sg.Site, sg.Err
	}
	if gs, ok := s.store.(grantSiteReader); ok {
		return gs.GrantAndSite(ctx, userID)
	}
	g, err := s.store.GetGrant(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	sites, err := s.store.Sites(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	if i := slices.IndexFunc(sites, func(st tm.Site) bool { return st.CloudID == g.SelectedCloudID }); i >= 0 {
		return g, &sites[i], nil
	}
	return g, nil, nil
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
	// Parent is the parent issue's key: needed by sub-task types, allowed
	// for others (an epic's child).
	Parent string `json:"parent"`
	// Assignee is "me", an email address or an account id.
	Assignee   string   `json:"assignee"`
	Components []string `json:"components"`
	// Fields sets fields of the create screen by name (any case) or id.
	Fields map[string]string `json:"fields"`
}

func (in ticketInput) draft() tm.TicketDraft {
	d := tm.TicketDraft{ProjectKey: in.Project, Summary: in.Summary, Description: in.Description,
		IssueType: in.Type, Priority: in.Priority, Labels: in.Labels, Parent: in.Parent,
		Assignee: in.Assignee, Components: in.Components, Fields: fieldValues(in.Fields)}
	return d
}

// createTicket creates the ticket through the ticket service as the user
// and records it for "recent".
func (s *Server) createTicket(ctx context.Context, userID string, c *conn, in ticketInput) (tm.Ticket, error) {
	t, err := s.tickets(userID, c).Create(ctx, in.draft())
	if err != nil {
		return tm.Ticket{}, err
	}
	s.recordTicket(ctx, userID, c, t)
	return t, nil
}

// recordTicket remembers a ticket userID created, for "recent".
func (s *Server) recordTicket(ctx context.Context, userID string, c *conn, t tm.Ticket) {
	rec := tm.TicketRecord{UserID: userID, CloudID: c.site.CloudID, Key: t.Key, URL: t.URL, Summary: t.Summary, CreatedAt: s.now()}
	if err := s.store.AddTicket(ctx, rec); err != nil {
		// The ticket exists; failing the request would invite a duplicate.
		s.log.ErrorContext(ctx, "recording a created ticket failed", "key", t.Key, "error", err.Error())
	}
	s.log.InfoContext(ctx, "ticket created", "user", userID, "key", t.Key)
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
