package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/jira"
)

//go:embed web/templates/*.html web/static
var webFS embed.FS

// pageNames are the templates that fill the layout's content block.
var pageNames = []string{"dashboard", "error", "device", "tokens", "issue", "bulk", "confirm"}

func loadTemplates() (map[string]*template.Template, string, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(template.FuncMap{"isolate": isolate}).
			ParseFS(webFS, "web/templates/layout.html", "web/templates/"+name+".html")
		if err != nil {
			return nil, "", fmt.Errorf("server: template %s: %w", name, err)
		}
		pages[name] = t
	}
	css, err := webFS.ReadFile("web/static/app.css")
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(css)
	return pages, hex.EncodeToString(sum[:6]), nil
}

// isolate wraps text from users or Jira in Unicode's first-strong isolate
// (U+2068 … U+2069), for places that cannot hold a <bdi> element (an
// <option>, a message): right-to-left text or a stray direction override
// in a name cannot reorder what follows it.
func isolate(s string) string {
	if s == "" {
		return s
	}
	return "\u2068" + s + "\u2069"
}

// static serves the embedded CSS. Its URL carries a content hash, so it
// may be cached for good.
// static serves the files under web/static and nothing else: no directory
// listing, and no name that could reach outside (an encoded "..", a
// backslash) — those are simply not found.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if name == "" || strings.Contains(name, "\\") || !fs.ValidPath(name) {
		s.notFound(w, r)
		return
	}
	f, err := staticFS.Open(name)
	if err != nil {
		s.notFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, st.Name(), st.ModTime(), f.(io.ReadSeeker))
}

// staticFS is web/static: the only files /static/ can reach.
var staticFS = func() fs.FS {
	sub, err := fs.Sub(webFS, "web/static")
	if err != nil {
		panic(err)
	}
	return sub
}()

// pageData is everything a page template may show. It never holds a token.
type pageData struct {
	Title, Version, AssetVersion string
	// SubmitToken makes the create form's submit count once (see once.go).
	SubmitToken string

	Flash           *flash
	User            *userView
	Reconnect       bool
	Disconnected    bool // no connection, by the person's own choice
	ReconnectReason string
	Error           *errorView

	Sites         []siteView
	Site          *tm.Site
	Health        *health
	Projects      []tm.Project
	ProjectsError string
	Project       string // the project of the permission check
	Permissions   []permissionRow
	PermError     string
	Form          ticketInputForm
	Create        createView
	FormError     string // why the last create failed
	FormField     string // the form field FormError is about ("type", "priority"), if one
	Recent        []tm.TicketRecord
	RecentIssues  []issueRow      // the recent tickets as Jira has them now
	Creatable     map[string]bool // projects the person may create in
	CanCreate     bool
	FormNotice    string        // why the form is on another project than asked
	Restored      bool          // the form holds a draft kept through a sign-in
	Preview       template.HTML // the description, rendered
	Work          *workView
	Issue         *issueView
	Bulk          *bulkView
	Confirm       *confirmView // the question a confirm page asks

	Device *deviceView // the /device page
	Tokens *tokensView // the signed-in devices page
}

type errorView struct{ Title, Message string }

type userView struct{ Name, Email, Initials string }

type siteView struct {
	tm.Site
	Selected bool
}

// ticketInputForm is the create form's values, kept when it is shown again.
type ticketInputForm struct {
	Project, Summary, Description, Type, Priority, Labels, Parent, Assignee string
}

// formValues reads the create form from a POST body or, when the form was
// sent back to change project, from the query.
func formValues(v url.Values) ticketInputForm {
	return ticketInputForm{
		Project: strings.ToUpper(strings.TrimSpace(v.Get("project"))), Summary: v.Get("summary"),
		Description: v.Get("description"), Type: v.Get("type"), Priority: v.Get("priority"),
		Labels: v.Get("labels"), Parent: v.Get("parent"), Assignee: v.Get("assignee"),
	}
}

func (f ticketInputForm) input() ticketInput {
	return ticketInput{Project: f.Project, Summary: f.Summary, Description: f.Description, Type: f.Type,
		Priority: f.Priority, Labels: strings.Split(f.Labels, ","), Parent: f.Parent, Assignee: f.Assignee}
}

// createView is what the create form offers for its project, from the
// project's create metadata.
type createView struct {
	Types    []choice      // none: Error says why
	Priority *priorityView // nil: the create screen has no priority
	Error    string
}

type choice struct {
	Value    string
	Selected bool
}

type priorityView struct {
	Required bool
	Options  []choice
}

// createView reads f's project's issue types and, for the type f names
// (else the default type), the priorities its create screen allows. Both
// come from the cache when the user looked lately, so the create that
// follows needs no metadata request.
func (s *Server) createView(ctx context.Context, userID string, c *conn, f ticketInputForm) createView {
	ch, err := s.tickets(userID, c).Choices(ctx, f.Project, f.Type, strings.TrimSpace(f.Parent) != "")
	var v createView
	for _, t := range ch.Types {
		v.Types = append(v.Types, choice{Value: t, Selected: t == ch.Type})
	}
	if ch.HasPriority {
		v.Priority = &priorityView{Required: ch.PriorityRequired}
		for _, p := range ch.Priorities {
			v.Priority.Options = append(v.Priority.Options, choice{Value: p, Selected: strings.EqualFold(p, strings.TrimSpace(f.Priority))})
		}
	}
	if err != nil {
		v.Error = classify(err).Message
	}
	return v
}

// formProject is the project the create form starts on when none is
// named: that of the user's latest ticket on this site, else the server's
// default project, else the first, as long as the user can see it.
func (s *Server) formProject(projects []tm.Project, recent []tm.TicketRecord, cloudID string) string {
	visible := func(key string) bool {
		return key != "" && slices.ContainsFunc(projects, func(p tm.Project) bool { return p.Key == key })
	}
	for _, t := range recent {
		if k, _, _ := strings.Cut(t.Key, "-"); t.CloudID == cloudID && visible(k) {
			return k
		}
	}
	if visible(s.defProj) {
		return s.defProj
	}
	if len(projects) > 0 {
		return projects[0].Key
	}
	return ""
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, d pageData) {
	d.Version, d.AssetVersion = tm.Version, s.assetVer
	d.SubmitToken = newFormToken()
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.ErrorContext(r.Context(), "rendering a page failed", "page", page, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// dashboard is the work page: signed out it offers Connect Jira; signed in
// it shows the create form and "My work" first, then recent tickets, a
// permission check and, folded away, the connection's details.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	// Links may name the form's choices (project, type, priority, parent),
	// never its text: that travels only in POST bodies.
	f := formValues(r.URL.Query())
	f.Summary, f.Description, f.Labels, f.Assignee = "", "", "", ""
	s.showDashboard(w, r, http.StatusOK, f, nil)
}

// showDashboard renders the dashboard with the create form holding form,
// and formErr (a failed create) shown at the field it is about.
func (s *Server) showDashboard(w http.ResponseWriter, r *http.Request, status int, form ticketInputForm, formErr error) {
	s.showDashboardWith(w, r, status, form, formErr, "")
}

// showDashboardWith is showDashboard with a rendered description preview.
// Each Jira failure is shown in its own card, so one failing call does not
// blank the page.
func (s *Server) showDashboardWith(w http.ResponseWriter, r *http.Request, status int, form ticketInputForm, formErr error, preview template.HTML) {
	ctx := r.Context()
	d := pageData{Title: "Dashboard", Flash: s.popFlash(ctx), Preview: preview}
	uid := s.userID(ctx)
	if uid == "" {
		d.Title = "Connect Jira"
		s.render(w, r, http.StatusOK, "dashboard", d)
		return
	}
	u, err := s.store.UserByID(ctx, uid)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		// The user row is gone (deleted by an operator): start over.
		_ = s.sessions.Destroy(ctx)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.User = newUserView(u)
	c, err := s.jiraFor(ctx, uid)
	if formErr != nil && classify(formErr).Reconnect {
		err = formErr
	}
	switch {
	case atlassian.IsReconnect(err) || err != nil && classify(err).Reconnect:
		d.Reconnect = true
		d.ReconnectReason = "ticket-mate has no working Jira connection for you: it was disconnected, revoked, or Atlassian's one-year consent ran out. Reconnecting takes a few seconds."
		if _, gerr := s.store.GetGrant(ctx, uid); tm.ErrorCode(gerr) == tm.ENOTFOUND {
			d.Disconnected = true // they chose to: nothing went wrong
		}
		s.render(w, r, http.StatusOK, "dashboard", d)
		return
	case err != nil && tm.ErrorCode(err) != tm.EINVALID:
		s.fail(w, r, err)
		return
	}
	if err := s.fillSites(r, uid, &d); err != nil {
		s.fail(w, r, err)
		return
	}
	if c == nil { // no site selected yet
		d.ProjectsError = "Choose a Jira site to see its projects."
		s.render(w, r, http.StatusOK, "dashboard", d)
		return
	}
	if draft, ok := s.popDraft(ctx); ok && formErr == nil && preview == "" {
		form, d.Restored = draft, true
	}
	h := healthOf(c.grant, s.now())
	d.Health, d.Site = &h, &c.site
	if formErr != nil {
		p := classify(formErr)
		d.FormError, d.FormField = sentence(p.Message), formField(p.Field)
	}
	recentAll, err := s.store.RecentTickets(ctx, uid, recentLimit)
	if err != nil {
		s.log.ErrorContext(ctx, "loading recent tickets failed", "error", err.Error())
	}
	for _, t := range recentAll { // this site's only
		if t.CloudID == c.site.CloudID {
			d.Recent = append(d.Recent, t)
		}
	}
	svc := s.tickets(uid, c)
	q := r.URL.Query()

	// Independent Jira calls go out together; the create metadata usually
	// comes from the cache.
	var wg sync.WaitGroup
	var projErr, permErr, createErr error
	var creatable jira.ProjectPage
	wg.Go(func() { d.Projects, projErr = svc.AllProjects(ctx, "") })
	wg.Go(func() {
		creatable, createErr = c.jira.SearchProjects(ctx, jira.ProjectQuery{Action: "create", MaxResults: 100})
	})
	if p := strings.ToUpper(strings.TrimSpace(q.Get("check"))); p != "" {
		d.Project = p
		wg.Go(func() { d.Permissions, permErr = s.permissions(ctx, c, p) })
	}
	wg.Go(func() { d.Work = s.myWork(ctx, svc, q.Get("work"), q.Get("cursor")) })
	var keys []string
	for _, t := range d.Recent {
		keys = append(keys, t.Key)
	}
	var recent []tm.Issue
	if len(keys) > 0 {
		wg.Go(func() {
			var err error
			if recent, err = svc.Issues(ctx, keys); err != nil {
				s.log.InfoContext(ctx, "reading recent tickets from Jira failed", "error", err.Error())
			}
		})
	}
	wg.Wait()
	if projErr != nil {
		if s.reconnectPage(w, r, projErr, &d) {
			return
		}
		d.ProjectsError = sentence(classify(projErr).Message)
	}
	if permErr != nil {
		d.PermError = sentence(classify(permErr).Message)
	}
	d.RecentIssues = s.rows(recent)
	d.Creatable = map[string]bool{}
	for _, p := range creatable.Projects {
		d.Creatable[p.Key] = true
	}
	if createErr != nil { // unknown: offer every project, Jira will say
		for _, p := range d.Projects {
			d.Creatable[p.Key] = true
		}
	}
	d.CanCreate = len(d.Creatable) > 0
	d.Form = s.settleForm(ctx, form, &d, c.site.CloudID)
	if d.Form.Project != "" {
		d.Create = s.createView(ctx, uid, c, d.Form)
	}
	s.render(w, r, status, "dashboard", d)
}

// settleForm picks the create form's project and remembered choices: the
// one asked for when the person may create there, else with one notice the
// last one they used, the server's default or the first they may create in.
func (s *Server) settleForm(ctx context.Context, form ticketInputForm, d *pageData, cloudID string) ticketInputForm {
	visible := func(key string) bool {
		return key != "" && d.Creatable[key] && slices.ContainsFunc(d.Projects, func(p tm.Project) bool { return p.Key == key })
	}
	asked := form.Project
	if !visible(form.Project) {
		form.Project = ""
		if last := s.lastChoices(ctx, cloudID); last != nil && visible(last.Project) {
			form.Project = last.Project
			if form.Type == "" {
				form.Type = last.Type
			}
			if form.Priority == "" {
				form.Priority = last.Priority
			}
		}
		if form.Project == "" {
			var creatable []tm.Project
			for _, p := range d.Projects {
				if d.Creatable[p.Key] {
					creatable = append(creatable, p)
				}
			}
			form.Project = s.formProject(creatable, d.Recent, cloudID)
		}
		if asked != "" && form.Project != "" {
			d.FormNotice = "You cannot create tickets in " + clip(asked, 20) + " here; the form is on " + form.Project + " instead."
		}
	}
	return form
}

// lastChoices returns what the signed-in person chose in their last create
// on the site, or nil.
func (s *Server) lastChoices(ctx context.Context, cloudID string) *tm.FormChoices {
	c, err := s.store.FormChoices(ctx, s.userID(ctx), cloudID)
	if err != nil {
		if tm.ErrorCode(err) != tm.ENOTFOUND {
			s.log.ErrorContext(ctx, "reading the form's last choices failed", "error", err.Error())
		}
		return nil
	}
	return c
}

// formFields are the create form's fields an error can be shown at.
var formFields = []string{"project", "type", "priority", "parent", "summary", "description", "labels", "assignee"}

// formField is the form field a refusal is about, or "" for the form as a
// whole.
func formField(f string) string {
	f = strings.ToLower(f)
	switch f {
	case "issuetype":
		f = "type"
	}
	if slices.Contains(formFields, f) {
		return f
	}
	return ""
}

// reconnectPage shows Reconnect Jira when err says the grant is gone.
func (s *Server) reconnectPage(w http.ResponseWriter, r *http.Request, err error, d *pageData) bool {
	if !classify(err).Reconnect {
		return false
	}
	d.Reconnect, d.Sites, d.Health = true, nil, nil
	d.ReconnectReason = "Atlassian no longer accepts ticket-mate's token for you (it expired, was revoked, or the one-year consent ran out). Reconnecting takes a few seconds."
	s.render(w, r, http.StatusOK, "dashboard", *d)
	return true
}

func (s *Server) fillSites(r *http.Request, uid string, d *pageData) error {
	sites, err := s.store.Sites(r.Context(), uid)
	if err != nil {
		return err
	}
	g, err := s.store.GetGrant(r.Context(), uid)
	if err != nil {
		return err
	}
	for _, st := range sites {
		d.Sites = append(d.Sites, siteView{Site: st, Selected: st.CloudID == g.SelectedCloudID})
	}
	return nil
}

func newUserView(u *tm.User) *userView {
	v := &userView{Name: u.Name, Email: u.Email}
	if v.Name == "" {
		v.Name = u.Email
	}
	for _, w := range strings.Fields(v.Name) {
		if r := []rune(w); len(r) > 0 && len([]rune(v.Initials)) < 2 {
			v.Initials += string(unicode.ToUpper(r[0]))
		}
	}
	return v
}

func accessStatus(expires, now time.Time) string {
	left := expires.Sub(now)
	switch {
	case left <= 0:
		return "expired; renewed on next use"
	case left < time.Minute:
		return "valid for under a minute; renewed automatically"
	case left < time.Hour:
		return fmt.Sprintf("valid for %d min; renewed automatically", int(left.Minutes()))
	}
	return fmt.Sprintf("valid for %dh %02dm; renewed automatically", int(left.Hours()), int(left.Minutes())%60)
}

// formCreateTicket is the create form's POST: on success the dashboard
// shows the new ticket's link; on failure the form comes back with what was
// typed and the reason (for a name Jira does not offer, the valid ones).
func (s *Server) formCreateTicket(w http.ResponseWriter, r *http.Request, userID string) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "the form could not be read (is it larger than 64 KiB?)"})
		return
	}
	form := formValues(r.PostForm)
	c, err := s.jiraFor(ctx, userID)
	var t tm.Ticket
	if err == nil {
		t, err = s.createTicket(ctx, userID, c, form.input())
	}
	if err != nil {
		s.showDashboard(w, r, classify(err).Status, form, err)
		return
	}
	// The next ticket starts where this one was made: same project, type
	// and priority, in any browser; only the text fields are cleared.
	if err := s.store.SaveFormChoices(ctx, tm.FormChoices{UserID: userID, CloudID: c.site.CloudID,
		Project: form.Project, Type: form.Type, Priority: form.Priority}); err != nil {
		s.log.ErrorContext(ctx, "remembering the form's choices failed", "error", err.Error())
	}
	s.setFlash(ctx, flash{Kind: "ok", Message: "Created", Link: issuePath(t.Key), LinkText: t.Key, After: "— " + clip(t.Summary, 80)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) formSelectSite(w http.ResponseWriter, r *http.Request, userID string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "the form could not be read"})
		return
	}
	if err := s.selectSite(r, userID, r.PostForm.Get("cloudId")); err != nil {
		s.setFlash(r.Context(), flash{Kind: "error", Message: classify(err).Message})
	} else if sites, err := s.store.Sites(r.Context(), userID); err == nil {
		for _, st := range sites {
			if st.CloudID == r.PostForm.Get("cloudId") {
				s.setFlash(r.Context(), flash{Kind: "ok", Message: "You are now working in " + st.Name + "."})
			}
		}
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
