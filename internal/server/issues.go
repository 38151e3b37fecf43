package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/ticket"
)

// The issue routes of the JSON API: each parses its input, calls the
// ticket service as the signed-in user, and writes what it returns.

// maxBulkBody bounds an uploaded bulk file: thousands of rows, far below
// what would hold a request's memory for long.
const maxBulkBody = 4 << 20

// pageSizeMax bounds ?limit= on /api/issues.
const pageSizeMax = 100

// withService runs f with the ticket service as userID, or answers why
// there is none.
func (s *Server) withService(w http.ResponseWriter, r *http.Request, userID string, f func(svc *ticket.Service, c *conn)) {
	c, err := s.jiraFor(r.Context(), userID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f(s.tickets(userID, c), c)
}

// decodeJSON reads a JSON body into v, refusing other content types and
// unknown fields; expected names the fields for the error message.
func decodeJSON(r *http.Request, v any, expected string) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return &tm.Error{Code: tm.EINVALID, Message: "Send the body as JSON (Content-Type: application/json)."}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &tm.Error{Code: tm.EINVALID, Message: "The request body is larger than 64 KiB."}
		}
		return &tm.Error{Code: tm.EINVALID, Message: "The body is not what this route takes: " + clip(err.Error(), 120) + ". Expected " + expected + "."}
	}
	return nil
}

type issuesPage struct {
	Issues []tm.Issue `json:"issues"`
	// Next is the cursor of the next page; empty on the last.
	Next string `json:"next,omitempty"`
}

func (s *Server) apiIssues(w http.ResponseWriter, r *http.Request, userID string) {
	q := r.URL.Query()
	size := ticket.DefaultLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > pageSizeMax {
			s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "limit is a number from 1 to 100."})
			return
		}
		size = n
	}
	s.withService(w, r, userID, func(svc *ticket.Service, _ *conn) {
		issues, next, err := svc.Page(r.Context(), ticket.Query{JQL: q.Get("jql"), PageSize: size}, q.Get("cursor"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if issues == nil {
			issues = []tm.Issue{}
		}
		writeJSON(w, http.StatusOK, issuesPage{Issues: issues, Next: next})
	})
}

// commentsShown is how many of an issue's newest comments a read returns
// unless asked otherwise.
const commentsShown = 20

func (s *Server) apiIssue(w http.ResponseWriter, r *http.Request, userID string) {
	n := commentsShown
	if v := r.URL.Query().Get("comments"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 100 {
			s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "comments is a number from 0 to 100."})
			return
		}
	}
	s.withService(w, r, userID, func(svc *ticket.Service, _ *conn) {
		is, err := svc.Get(r.Context(), r.PathValue("key"), n)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, is)
	})
}

func (s *Server) apiComment(w http.ResponseWriter, r *http.Request, userID string) {
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(r, &in, `{"body"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	s.withService(w, r, userID, func(svc *ticket.Service, _ *conn) {
		c, err := svc.Comment(r.Context(), r.PathValue("key"), in.Body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, c)
	})
}

func (s *Server) apiTransitions(w http.ResponseWriter, r *http.Request, userID string) {
	s.withService(w, r, userID, func(svc *ticket.Service, _ *conn) {
		ts, err := svc.Transitions(r.Context(), r.PathValue("key"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ts == nil {
			ts = []tm.Transition{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"transitions": ts})
	})
}

// moveInput is a transition asked for on the API.
type moveInput struct {
	To         string            `json:"to"`
	Comment    string            `json:"comment"`
	Resolution string            `json:"resolution"`
	Fields     map[string]string `json:"fields"`
}

func (s *Server) apiTransition(w http.ResponseWriter, r *http.Request, userID string) {
	var in moveInput
	if err := decodeJSON(r, &in, `{"to","comment","resolution","fields"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	s.withService(w, r, userID, func(svc *ticket.Service, _ *conn) {
		t, err := svc.Transition(r.Context(), r.PathValue("key"), ticket.Move{To: in.To, Comment: in.Comment,
			Resolution: in.Resolution, Fields: fieldValues(in.Fields)})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"key": strings.ToUpper(r.PathValue("key")), "transition": t})
	})
}

// fieldValues orders fields by name, so one request is always sent the
// same way whatever the map's order.
func fieldValues(m map[string]string) []tm.FieldValue {
	if len(m) == 0 {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]tm.FieldValue, len(names))
	for i, k := range names {
		out[i] = tm.FieldValue{Name: k, Value: m[k]}
	}
	return out
}

// editInput is a PATCH of an issue: absent members stay as they are.
type editInput struct {
	Summary     *string           `json:"summary"`
	Description *string           `json:"description"`
	AddLabels   []string          `json:"addLabels"`
	DropLabels  []string          `json:"removeLabels"`
	Priority    string            `json:"priority"`
	Assignee    *string           `json:"assignee"` // "me", "none", an email address, an account id
	Fields      map[string]string `json:"fields"`
}

func (s *Server) apiEdit(w http.ResponseWriter, r *http.Request, userID string) {
	var in editInput
	if err := decodeJSON(r, &in, `{"summary","description","addLabels","removeLabels","priority","assignee","fields"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	s.withService(w, r, userID, func(svc *ticket.Service, c *conn) {
		key := r.PathValue("key")
		if err := s.edit(r.Context(), svc, key, in); err != nil {
			s.fail(w, r, err)
			return
		}
		key, _ = ticket.CheckKey(key)
		writeJSON(w, http.StatusOK, map[string]string{"key": key, "url": c.jira.BrowseURL(key)})
	})
}

// edit applies in: the fields in one edit, then the assignee (Jira takes
// it on its own route).
func (s *Server) edit(ctx context.Context, svc *ticket.Service, key string, in editInput) error {
	ch := ticket.Change{Summary: in.Summary, Description: in.Description, AddLabels: in.AddLabels,
		DropLabels: in.DropLabels, Priority: in.Priority, Fields: fieldValues(in.Fields)}
	if ch.Summary != nil || ch.Description != nil || len(ch.AddLabels)+len(ch.DropLabels)+len(ch.Fields) > 0 || ch.Priority != "" {
		if err := svc.Edit(ctx, key, ch); err != nil {
			return err
		}
	} else if in.Assignee == nil {
		return &tm.Error{Code: tm.EINVALID, Message: "Nothing to change: name at least one of summary, description, addLabels, removeLabels, priority, assignee, fields."}
	}
	if in.Assignee != nil {
		return svc.Assign(ctx, key, *in.Assignee)
	}
	return nil
}

// bulkRow is one row's outcome, as the API and the upload page show it.
type bulkRow struct {
	Line  int    `json:"line"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
}

type bulkResult struct {
	Rows    []bulkRow `json:"rows"`
	Created int       `json:"created"`
	Failed  int       `json:"failed"`
}

// bulkCreate parses a CSV or JSON Lines file and creates its rows through
// the ticket service as userID; rows without a project go to project. An
// invalid file is an error and nothing is sent.
func (s *Server) bulkCreate(ctx context.Context, userID string, c *conn, data []byte, jsonl bool, project string) (bulkResult, error) {
	in, err := ticket.ParseRows(data, jsonl)
	if err != nil {
		return bulkResult{}, err
	}
	if len(in) == 0 {
		return bulkResult{}, &tm.Error{Code: tm.EINVALID, Message: "The file has no rows."}
	}
	rows := make([]ticket.Row, len(in))
	for i, x := range in {
		rows[i] = x.Row
		if rows[i].Draft.ProjectKey == "" {
			rows[i].Draft.ProjectKey = project
		}
	}
	out := bulkResult{Rows: []bulkRow{}}
	byLine := map[int]bulkRow{}
	err = s.tickets(userID, c).CreateMany(ctx, rows, ticket.BulkOptions{}, func(res ticket.RowResult) {
		// CreateMany calls back from several goroutines, one at a time.
		row := bulkRow{Line: res.Line, Key: res.Ticket.Key, URL: res.Ticket.URL}
		if res.Err != nil {
			row.Error = classify(res.Err).Message
		} else {
			s.recordTicket(ctx, userID, c, res.Ticket)
		}
		byLine[res.Line] = row
	})
	if err != nil && len(byLine) == 0 {
		return bulkResult{}, err
	}
	for _, r := range rows {
		row, ok := byLine[r.Line]
		if !ok {
			row = bulkRow{Line: r.Line, Error: "Not sent: the bulk create stopped before this row."}
		}
		if row.Key != "" {
			out.Created++
		} else {
			out.Failed++
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

func (s *Server) apiBulk(w http.ResponseWriter, r *http.Request, userID string) {
	ct := r.Header.Get("Content-Type")
	var jsonl bool
	switch {
	case strings.HasPrefix(ct, "text/csv"):
	case strings.HasPrefix(ct, "application/x-ndjson"), strings.HasPrefix(ct, "application/jsonl"), strings.HasPrefix(ct, "application/x-jsonlines"):
		jsonl = true
	default:
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "Send the rows as CSV (Content-Type: text/csv) or JSON Lines (Content-Type: application/x-ndjson)."})
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, &tm.Error{Code: tm.EINVALID, Message: "The file is larger than 4 MiB; split it."})
		return
	}
	s.withService(w, r, userID, func(_ *ticket.Service, c *conn) {
		res, err := s.bulkCreate(r.Context(), userID, c, data, jsonl, strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("project"))))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusCreated
		if res.Failed > 0 {
			status = http.StatusMultiStatus
		}
		writeJSON(w, status, res)
	})
}
