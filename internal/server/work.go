package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/adf"
	"github.com/ticket-mate/tm/internal/ticket"
)

// The dashboard's everyday pages: "My work", one issue with its comments
// and transitions, and bulk create from a CSV upload. Each works with
// plain forms (POST, then a redirect to a GET) and calls the ticket
// service as the signed-in person.

// workTab is one list of "My work".
type workTab struct{ ID, Name, JQL string }

var workTabs = []workTab{
	{"assigned", "Assigned to me", "assignee = currentUser() AND resolution = Unresolved ORDER BY updated DESC"},
	{"reported", "Reported by me", "reporter = currentUser() ORDER BY updated DESC"},
	{"updated", "Recently updated", "(assignee = currentUser() OR reporter = currentUser()) AND updated >= -14d ORDER BY updated DESC"},
}

// workPageSize is how many issues one page of "My work" shows.
const workPageSize = 10

type tabView struct {
	ID, Name string
	Current  bool
}

// workView is one page of one "My work" list.
type workView struct {
	Tab    string
	Tabs   []tabView
	Issues []issueRow
	Next   string // the next page's cursor; "" on the last
	Paged  bool   // this is not the first page
	Error  string
}

// issueRow is an issue in a list, with its age in words.
type issueRow struct {
	tm.Issue
	Age string
}

func (s *Server) myWork(ctx context.Context, svc *ticket.Service, tab, cursor string) *workView {
	t := workTabs[0]
	for _, x := range workTabs {
		if x.ID == tab {
			t = x
		}
	}
	v := &workView{Tab: t.ID, Paged: cursor != ""}
	for _, x := range workTabs {
		v.Tabs = append(v.Tabs, tabView{ID: x.ID, Name: x.Name, Current: x.ID == t.ID})
	}
	issues, next, err := svc.Page(ctx, ticket.Query{JQL: t.JQL, PageSize: workPageSize}, cursor)
	if err != nil {
		v.Error = sentence(classify(err).Message)
		return v
	}
	v.Issues, v.Next = s.rows(issues), next
	return v
}

func (s *Server) rows(issues []tm.Issue) []issueRow {
	out := make([]issueRow, len(issues))
	for i, is := range issues {
		out[i] = issueRow{Issue: is, Age: age(is.Updated, s.now())}
	}
	return out
}

// age says how long ago t was, in the fewest words.
func age(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return t.Format("2 Jan 2006")
}

// sentence starts a message with a capital and ends it with a full stop.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// issueView is the issue page.
type issueView struct {
	Issue        tm.Issue
	Transitions  []tm.Transition
	Error        string // why the page could not load the transitions
	CommentError string
	CommentDraft string
	MoveError    string
}

// issuePage shows an issue: its fields, description, comments, a comment
// box and a button per transition.
func (s *Server) issuePage(w http.ResponseWriter, r *http.Request, userID string) {
	s.showIssue(w, r, userID, http.StatusOK, &issueView{})
}

// showIssue renders the issue page with v's errors and draft, reading the
// issue and its transitions at once.
func (s *Server) showIssue(w http.ResponseWriter, r *http.Request, userID string, status int, v *issueView) {
	ctx := r.Context()
	d, c, ok := s.workPage(w, r, userID, "Issue")
	if !ok {
		return
	}
	svc := s.tickets(userID, c)
	key := r.PathValue("key")
	var wg sync.WaitGroup
	var getErr, trErr error
	wg.Go(func() { v.Issue, getErr = svc.Get(ctx, key, 50) })
	wg.Go(func() { v.Transitions, trErr = svc.Transitions(ctx, key) })
	wg.Wait()
	if getErr != nil {
		s.fail(w, r, getErr)
		return
	}
	if trErr != nil {
		v.Error = sentence(classify(trErr).Message)
	}
	d.Title, d.Issue = v.Issue.Key+" "+clip(v.Issue.Summary, 60), v
	s.render(w, r, status, "issue", d)
}

// workPage starts a signed-in page: the person, their site and a working
// Jira connection; without one it shows why (reconnect, choose a site).
func (s *Server) workPage(w http.ResponseWriter, r *http.Request, userID, title string) (pageData, *conn, bool) {
	d := pageData{Title: title, Flash: s.popFlash(r.Context())}
	u, err := s.store.UserByID(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return d, nil, false
	}
	d.User = newUserView(u)
	c, err := s.jiraFor(r.Context(), userID)
	if err != nil {
		if classify(err).Reconnect || tm.ErrorCode(err) == tm.EINVALID {
			// The dashboard says what to do: reconnect, or choose a site.
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return d, nil, false
		}
		s.fail(w, r, err)
		return d, nil, false
	}
	d.Site = &c.site
	return d, c, true
}

func issuePath(key string) string { return "/issues/" + url.PathEscape(strings.ToUpper(key)) }

// formComment adds the comment box's Markdown to the issue; a refused
// comment comes back in the box with the reason.
func (s *Server) formComment(w http.ResponseWriter, r *http.Request, userID string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "The form could not be read (is it larger than 64 KiB?)."})
		return
	}
	c, err := s.jiraFor(r.Context(), userID)
	body := r.PostForm.Get("body")
	if err == nil {
		_, err = s.tickets(userID, c).Comment(r.Context(), r.PathValue("key"), body)
	}
	if err != nil {
		s.showIssue(w, r, userID, classify(err).Status, &issueView{CommentError: sentence(classify(err).Message), CommentDraft: body})
		return
	}
	s.setFlash(r.Context(), flash{Kind: "ok", Message: "Comment added."})
	http.Redirect(w, r, issuePath(r.PathValue("key"))+"#comments", http.StatusSeeOther)
}

// formTransition moves the issue by the button pressed.
func (s *Server) formTransition(w http.ResponseWriter, r *http.Request, userID string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "The form could not be read."})
		return
	}
	c, err := s.jiraFor(r.Context(), userID)
	var t tm.Transition
	if err == nil {
		t, err = s.tickets(userID, c).Transition(r.Context(), r.PathValue("key"), ticket.Move{To: r.PostForm.Get("to")})
	}
	if err != nil {
		s.showIssue(w, r, userID, classify(err).Status, &issueView{MoveError: sentence(classify(err).Message)})
		return
	}
	s.setFlash(r.Context(), flash{Kind: "ok", Message: "Moved to " + t.To + "."})
	http.Redirect(w, r, issuePath(r.PathValue("key")), http.StatusSeeOther)
}

// formAssign assigns the issue to the person ("Assign to me") or to no one.
func (s *Server) formAssign(w http.ResponseWriter, r *http.Request, userID string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "The form could not be read."})
		return
	}
	who := r.PostForm.Get("who")
	if who != "me" && who != "none" {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "Choose Assign to me or Unassign."})
		return
	}
	c, err := s.jiraFor(r.Context(), userID)
	if err == nil {
		err = s.tickets(userID, c).Assign(r.Context(), r.PathValue("key"), who)
	}
	if err != nil {
		s.showIssue(w, r, userID, classify(err).Status, &issueView{MoveError: sentence(classify(err).Message)})
		return
	}
	msg := "Assigned to you."
	if who == "none" {
		msg = "Unassigned."
	}
	s.setFlash(r.Context(), flash{Kind: "ok", Message: msg})
	http.Redirect(w, r, issuePath(r.PathValue("key")), http.StatusSeeOther)
}

// bulkView is the bulk create page: the upload form and, after an
// upload, each row's outcome.
type bulkView struct {
	Projects []tm.Project
	Project  string
	Result   *bulkResult
	Error    string
}

const keyBulkResult = "bulk_result"

func (s *Server) bulkPage(w http.ResponseWriter, r *http.Request, userID string) {
	s.showBulk(w, r, userID, http.StatusOK, &bulkView{})
}

func (s *Server) showBulk(w http.ResponseWriter, r *http.Request, userID string, status int, v *bulkView) {
	d, c, ok := s.workPage(w, r, userID, "Create tickets from a file")
	if !ok {
		return
	}
	if raw, ok := s.sessions.Pop(r.Context(), keyBulkResult).([]byte); ok && v.Result == nil {
		var res bulkResult
		if json.Unmarshal(raw, &res) == nil {
			v.Result = &res
		}
	}
	ps, err := s.tickets(userID, c).AllProjects(r.Context(), "")
	if err != nil {
		v.Error = sentence(classify(err).Message)
	}
	v.Projects = ps
	if last := s.lastChoices(r.Context(), c.site.CloudID); v.Project == "" && last != nil {
		v.Project = last.Project
	}
	d.Bulk = v
	s.render(w, r, status, "bulk", d)
}

// formBulk creates the tickets of an uploaded CSV or JSON Lines file and
// shows each row's outcome on the next GET, so a reload sends nothing.
func (s *Server) formBulk(w http.ResponseWriter, r *http.Request, userID string) {
	v := &bulkView{}
	if err := r.ParseMultipartForm(maxBulkBody); err != nil {
		v.Error = "The upload could not be read: choose a CSV file of at most 4 MiB."
		s.showBulk(w, r, userID, http.StatusBadRequest, v)
		return
	}
	v.Project = strings.ToUpper(strings.TrimSpace(r.FormValue("project")))
	f, fh, err := r.FormFile("file")
	if err != nil {
		v.Error = "Choose a CSV file to upload."
		s.showBulk(w, r, userID, http.StatusBadRequest, v)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		v.Error = "The upload could not be read: choose a CSV file of at most 4 MiB."
		s.showBulk(w, r, userID, http.StatusBadRequest, v)
		return
	}
	name := strings.ToLower(fh.Filename)
	c, err := s.jiraFor(r.Context(), userID)
	var res bulkResult
	if err == nil {
		res, err = s.bulkCreate(r.Context(), userID, c, data, strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".ndjson"), v.Project)
	}
	if err != nil {
		v.Error = sentence(classify(err).Message)
		s.showBulk(w, r, userID, classify(err).Status, v)
		return
	}
	raw, _ := json.Marshal(res)
	s.sessions.Put(r.Context(), keyBulkResult, raw)
	http.Redirect(w, r, "/bulk", http.StatusSeeOther)
}

// preview renders the create form's description as it will look, keeping
// everything typed.
func (s *Server) formPreview(w http.ResponseWriter, r *http.Request, userID string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "The form could not be read (is it larger than 64 KiB?)."})
		return
	}
	form := formValues(r.PostForm)
	html, err := adf.HTML([]byte(form.Description))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(form.Description) == "" {
		html = "<p>Nothing to preview: the description is empty.</p>"
	}
	s.showDashboardWith(w, r, http.StatusOK, form, nil, template.HTML(html))
}

// formChange shows the create form for the project (and type) chosen,
// keeping what was typed: a POST, so no text goes into a URL.
func (s *Server) formChange(w http.ResponseWriter, r *http.Request, userID string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "The form could not be read (is it larger than 64 KiB?)."})
		return
	}
	s.showDashboard(w, r, http.StatusOK, formValues(r.PostForm), nil)
}

// keyDraft is the session key of a draft kept through a new sign-in.
const keyDraft = "draft"

// keepDraft wraps the create form's POST: when the session has expired, it
// keeps what was typed in the browser's new session and asks to sign in;
// the dashboard puts the draft back after the sign-in.
func (s *Server) keepDraft(h func(w http.ResponseWriter, r *http.Request, userID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		uid := s.userID(r.Context())
		if uid != "" {
			h(w, r, uid)
			return
		}
		if err := r.ParseForm(); err == nil {
			if raw, err := json.Marshal(formValues(r.PostForm)); err == nil {
				s.sessions.Put(r.Context(), keyDraft, raw)
				s.setFlash(r.Context(), flash{Kind: "warn", Message: "Your session has ended. Connect Jira to sign in again: your draft is kept and will be back in the form."})
			}
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// popDraft returns the draft kept through a sign-in, if any.
func (s *Server) popDraft(ctx context.Context) (ticketInputForm, bool) {
	raw, ok := s.sessions.Pop(ctx, keyDraft).([]byte)
	if !ok {
		return ticketInputForm{}, false
	}
	var f ticketInputForm
	return f, json.Unmarshal(raw, &f) == nil
}

// disconnectPage asks before Disconnect Jira forgets the person's tokens.
func (s *Server) disconnectPage(w http.ResponseWriter, r *http.Request, userID string) {
	d, c, ok := s.workPage(w, r, userID, "Disconnect Jira")
	if !ok {
		return
	}
	explain := "ticket-mate will forget your Jira tokens for " + isolate(c.site.Name) + ". Tickets you made stay in Jira; devices signed in through this server stop working until you connect again."
	d.Confirm = &confirmView{Question: "Disconnect Jira?", Explain: explain, Action: "/api/auth/jira/disconnect",
		Button: "Disconnect", ButtonID: "confirm-disconnect", Danger: true, Cancel: "Keep it connected"}
	s.render(w, r, http.StatusOK, "confirm", d)
}

// confirmView is a question asked before a change the person may not
// expect: Disconnect Jira, switching site.
type confirmView struct {
	Question, Explain string
	Action            string            // where the confirmed form posts
	Fields            map[string]string // its hidden fields
	Button, ButtonID  string
	Danger            bool
	Cancel            string // the link back to the dashboard
}

// switchSitePage asks before the dashboard moves to another site: the
// form, My work and recent tickets all change with it.
func (s *Server) switchSitePage(w http.ResponseWriter, r *http.Request, userID string) {
	d, c, ok := s.workPage(w, r, userID, "Switch site")
	if !ok {
		return
	}
	to := r.URL.Query().Get("cloudId")
	if to == c.site.CloudID {
		s.setFlash(r.Context(), flash{Kind: "ok", Message: "You are already working in " + c.site.Name + "."})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	sites, err := s.store.Sites(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(sites, func(st tm.Site) bool { return st.CloudID == to })
	if i < 0 {
		s.fail(w, r, &tm.Error{Code: tm.ENOTFOUND, Message: "That site is not in your Jira connection. Choose one from the list, or add it with Add another site."})
		return
	}
	name, from := isolate(sites[i].Name), isolate(c.site.Name)
	d.Confirm = &confirmView{Question: "Switch to " + name + "?", Action: "/sites/select", Fields: map[string]string{"cloudId": to},
		Explain: "The create form, My work and your recent tickets will show " + name + "'s projects and tickets instead of " + from + "'s. Nothing you made is lost; you can switch back at any time.",
		Button:  "Switch to " + name, ButtonID: "confirm-switch", Cancel: "Stay on " + from}
	s.render(w, r, http.StatusOK, "confirm", d)
}
