package server

import (
	"net/http"
	"strings"

	"github.com/ticket-mate/tm"
)

// api wraps a JSON handler that needs a signed-in user: without a session
// it answers 401 {"error": …}.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request, userID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		uid := s.userID(r.Context())
		if uid == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "not signed in: open the dashboard and Connect Jira"})
			return
		}
		h(w, r, uid)
	}
}

// signedInPage wraps a form or page handler that needs a signed-in user:
// without a session it goes back to the dashboard, which offers Connect Jira.
func (s *Server) signedInPage(h func(w http.ResponseWriter, r *http.Request, userID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		uid := s.userID(r.Context())
		if uid == "" {
			if isAPI(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "not signed in: open the dashboard and Connect Jira"})
				return
			}
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		h(w, r, uid)
	}
}

type meResponse struct {
	User      *tm.User `json:"user"`
	Connected bool     `json:"connected"`
	Reconnect bool     `json:"reconnect"`
	Site      *tm.Site `json:"site,omitempty"`
	Token     *health  `json:"token,omitempty"`
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, userID string) {
	ctx := r.Context()
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := meResponse{User: u}
	g, err := s.store.GetGrant(ctx, userID)
	switch {
	case tm.ErrorCode(err) == tm.ENOTFOUND:
		out.Reconnect = true
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		h := healthOf(g, s.now())
		out.Token, out.Connected, out.Reconnect = &h, !g.Lost, g.Lost
		if site, err := s.selectedSite(r, userID, g); err == nil {
			out.Site = site
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) selectedSite(r *http.Request, userID string, g *tm.Grant) (*tm.Site, error) {
	sites, err := s.store.Sites(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	for i := range sites {
		if sites[i].CloudID == g.SelectedCloudID {
			return &sites[i], nil
		}
	}
	return nil, nil
}

func (s *Server) apiSites(w http.ResponseWriter, r *http.Request, userID string) {
	sites, err := s.store.Sites(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	selected := ""
	if g, err := s.store.GetGrant(r.Context(), userID); err == nil {
		selected = g.SelectedCloudID
	}
	if sites == nil {
		sites = []tm.Site{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": sites, "selected": selected})
}

func (s *Server) apiSelectSite(w http.ResponseWriter, r *http.Request, userID string) {
	id := r.PathValue("cloudId")
	if err := s.selectSite(r, userID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"selected": id})
}

// selectSite selects one of the user's own sites; a cloud id outside the
// user's list is "not found", whoever else's it may be.
func (s *Server) selectSite(r *http.Request, userID, cloudID string) error {
	err := s.store.SelectSite(r.Context(), userID, cloudID)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		return &tm.Error{Code: tm.ENOTFOUND, Message: "No site with that cloud id is in your Jira connection.", Err: err}
	}
	return err
}

func (s *Server) apiProjects(w http.ResponseWriter, r *http.Request, userID string) {
	c, err := s.jiraFor(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := s.tickets(userID, c).AllProjects(r.Context(), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A struct, not a map: encoding/json sorts a map's keys on every call.
	writeJSON(w, http.StatusOK, struct {
		Site     string       `json:"site"`
		Projects []tm.Project `json:"projects"`
	}{c.site.CloudID, ps})
}

func (s *Server) apiPermissions(w http.ResponseWriter, r *http.Request, userID string) {
	project := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("project")))
	if project == "" {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "Name a project: /api/permissions?project=KEY."})
		return
	}
	c, err := s.jiraFor(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, err := s.permissions(r.Context(), c, project)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"project": project, "permissions": rows})
}

func (s *Server) apiCreateTicket(w http.ResponseWriter, r *http.Request, userID string) {
	var in ticketInput
	if err := decodeJSON(r, &in, `{"project","summary","description","type","priority","labels","parent","assignee","components","fields"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.jiraFor(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.createTicket(r.Context(), userID, c, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"key": t.Key, "url": t.URL})
}

func (s *Server) apiRecentTickets(w http.ResponseWriter, r *http.Request, userID string) {
	ts, err := s.store.RecentTickets(r.Context(), userID, recentLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []tm.TicketRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": ts})
}
