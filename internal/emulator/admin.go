package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// adminPrefix is where the emulator's own control API lives. It needs no
// credentials: it only exists on the sandbox, never on Jira.
const adminPrefix = "/__emulator/"

// serveAdmin serves the control API:
//
//	GET    /__emulator/requests        request counts by operation
//	DELETE /__emulator/requests        zero the counts
//	GET    /__emulator/faults          active faults
//	POST   /__emulator/faults          add one: {"spec":"GET /x=503x2"} or a Fault object
//	DELETE /__emulator/faults[/{id}]   remove all faults, or one
//	POST   /__emulator/reset           issues back to the seed, counts, faults and buckets cleared
//	POST   /__emulator/clock/advance   {"by":"25h"}: move the emulator's own clock
//	GET    /__emulator/clock           {"now": …}
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, adminPrefix)
	switch {
	case path == "requests" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, e.Requests())
	case path == "requests" && r.Method == http.MethodDelete:
		e.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	case path == "faults" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, e.faults.snapshot())
	case path == "faults" && r.Method == http.MethodPost:
		var in struct {
			Spec string `json:"spec"`
			Fault
			Duration string `json:"duration"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			adminError(w, http.StatusBadRequest, "the body must be JSON: {\"spec\":\"GET /rest/api/3/myself=503x2\"} or {\"method\",\"path\",\"action\",\"count\",\"probability\",\"duration\"}")
			return
		}
		f := in.Fault
		var err error
		if in.Spec != "" {
			f, err = ParseFault(in.Spec)
		} else {
			if in.Duration != "" {
				f.Duration, err = time.ParseDuration(in.Duration)
			}
			if err == nil {
				f.Action = strings.ToLower(f.Action)
				err = f.check()
			}
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, e.AddFault(f))
	case path == "faults" && r.Method == http.MethodDelete:
		e.faults.clear()
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(path, "faults/") && r.Method == http.MethodDelete:
		id, err := strconv.Atoi(strings.TrimPrefix(path, "faults/"))
		if err != nil || !e.faults.remove(id) {
			adminError(w, http.StatusNotFound, "no fault with that id; GET /__emulator/faults lists them")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case path == "reset" && r.Method == http.MethodPost:
		e.Reset()
		w.WriteHeader(http.StatusNoContent)
	case path == "clock" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"now": e.now().UTC().Format(time.RFC3339Nano), "own": e.opts.Clock == nil})
	case path == "clock/advance" && r.Method == http.MethodPost:
		var in struct {
			By string `json:"by"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.By == "" {
			adminError(w, http.StatusBadRequest, `the body must be {"by":"1h30m"}`)
			return
		}
		d, err := time.ParseDuration(in.By)
		if err != nil {
			adminError(w, http.StatusBadRequest, "by: "+err.Error())
			return
		}
		if err := e.AdvanceClock(d); err != nil {
			adminError(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"now": e.now().UTC().Format(time.RFC3339Nano)})
	default:
		adminError(w, http.StatusNotFound, "unknown admin endpoint; see the package documentation of serveAdmin")
	}
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// AddFault activates a fault and returns it with its id.
func (e *Emulator) AddFault(f Fault) Fault { return e.faults.add(f) }

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() { e.faults.clear() }

// Faults lists the active faults.
func (e *Emulator) Faults() []Fault { return e.faults.snapshot() }

// errExternalClock is returned when the clock belongs to the caller.
type clockError string

func (c clockError) Error() string { return string(c) }

// AdvanceClock moves the emulator's own clock forward (tokens, search
// pages and rate-limit windows follow). It fails when Options.Clock was
// given: that clock belongs to the caller.
func (e *Emulator) AdvanceClock(d time.Duration) error {
	if e.opts.Clock != nil {
		return clockError("the clock was given by the embedding program (Options.Clock); advance that one")
	}
	if d < 0 {
		return clockError("the clock only moves forward")
	}
	e.clockOffset.Add(int64(d))
	return nil
}

// Reset puts every site's issues back to the seed and clears request
// counts, faults and rate-limit buckets. Credentials stay.
func (e *Emulator) Reset() {
	e.mu.Lock()
	for i, s := range e.sites {
		fresh := newSite(e.seed.Sites[i], i)
		s.issues, s.issueByID, s.issueByKey = nil, fresh.issueByID, fresh.issueByKey
		s.nextIssueID, s.nextComment = fresh.nextIssueID, fresh.nextComment
		for _, p := range s.projects {
			p.nextNum = 0
		}
		s.seedIssues(e.seed.Sites[i], e.start)
	}
	e.mu.Unlock()
	e.views.mu.Lock()
	e.views.issues = nil
	e.views.mu.Unlock()
	e.ResetRequests()
	e.faults.clear()
	e.limits.resetBuckets()
	e.changed()
}
