package emulator

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticket-mate/tm/internal/emulator/jql"
)

// Search limits and messages (contract §A7).
const (
	pageTokenTTL      = 7 * 24 * time.Hour
	maxReconcile      = 50
	msgBadPageToken   = "The provided nextPageToken is invalid or has expired. Start the search again without it."
	msgSearchRemoved  = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
	msgInvalidPayload = "Invalid request payload. Refer to the REST API documentation and try again."
)

// searchRequest is a search/jql request from either the query string or
// the POST body.
type searchRequest struct {
	JQL             string   `json:"jql"`
	NextPageToken   string   `json:"nextPageToken"`
	MaxResults      *int     `json:"maxResults"`
	Fields          []string `json:"fields"`
	Expand          string   `json:"expand"`
	Properties      []string `json:"properties"`
	FieldsByKeys    bool     `json:"fieldsByKeys"`
	FailFast        bool     `json:"failFast"`
	ReconcileIssues []int64  `json:"reconcileIssues"`
}

// issueDoc shows a stored issue to the JQL matcher.
type issueDoc struct {
	c  *call
	is *issue
}

func (d issueDoc) Field(name string) []string {
	s, is := d.c.site, d.is
	user := func(id string) []string {
		u := d.c.e.userByID[id]
		if u == nil {
			return nil
		}
		if d.c.e.dc {
			return []string{u.Username}
		}
		return []string{u.AccountID}
	}
	switch name {
	case "project":
		p := s.projectOf(is)
		return []string{p.Key, p.ID, p.Name}
	case "key":
		if !d.c.keyMarkers {
			return append([]string{is.Key}, is.PreviousKeys...)
		}
		out := append([]string{is.Key}, is.PreviousKeys...)
		if d.c.who != nil && slices.Contains(is.Watchers, d.c.who.AccountID) {
			out = append(out, jql.Marker("watchedIssues"))
		}
		if !d.c.e.lastViewed(d.c, is).IsZero() {
			out = append(out, jql.Marker("issueHistory"))
		}
		return out
	case "sprint":
		var out []string
		for _, id := range is.SprintIDs {
			if sp := s.sprintBy[id]; sp != nil {
				out = append(out, sp.Name, strconv.Itoa(sp.ID), jql.Marker(sp.State+"Sprints"))
				if sp.State != "closed" {
					out = append(out, jql.Marker("openSprints"))
				}
			}
		}
		return out
	case "id":
		return []string{strconv.FormatInt(is.ID, 10)}
	case "status":
		st := s.statuses[is.StatusID]
		return []string{st.Name, st.ID}
	case "statusCategory":
		return []string{s.statuses[is.StatusID].Category}
	case "assignee":
		return user(is.Assignee)
	case "reporter":
		return user(is.Reporter)
	case "creator":
		return user(is.Creator)
	case "labels":
		return is.Labels
	case "issuetype":
		t := s.types[is.TypeID]
		return []string{t.Name, t.ID}
	case "priority":
		if p := s.prioByID[is.PriorityID]; p != nil {
			return []string{p.Name, p.ID}
		}
	case "resolution":
		if r := resolutionByRef(is.ResolutionID, ""); r != nil {
			return []string{r.Name, r.ID}
		}
	case "summary":
		return []string{is.Summary}
	case "rank":
		return []string{rank(is)}
	case "lastViewed":
		if at := d.c.e.lastViewed(d.c, is); !at.IsZero() {
			return []string{fmtTime(at)}
		}
	case "description":
		if len(is.Description) > 0 {
			return []string{adfText(is.Description)}
		}
	case "environment":
		if len(is.Environment) > 0 {
			return []string{adfText(is.Environment)}
		}
	case "comment":
		out := make([]string, 0, len(is.Comments))
		for _, cm := range is.Comments {
			out = append(out, adfText(cm.Body))
		}
		return out
	case "parent":
		if p := s.issueByID[is.ParentID]; p != nil {
			return []string{p.Key, strconv.FormatInt(p.ID, 10)}
		}
	case "created":
		return []string{fmtTime(is.Created)}
	case "updated":
		return []string{fmtTime(is.Updated)}
	case "resolved", "resolutiondate":
		if !is.Resolved.IsZero() {
			return []string{fmtTime(is.Resolved)}
		}
	case "duedate":
		if is.DueDate != "" {
			return []string{is.DueDate}
		}
	default:
		return d.customValues(name)
	}
	return nil
}

func (d issueDoc) customValues(id string) []string {
	f := d.c.site.fieldByID[id]
	raw, ok := d.is.Custom[id]
	if f == nil || !ok {
		return nil
	}
	switch f.Kind {
	case "textarea":
		return []string{adfText(raw)}
	case "select":
		var ref struct{ ID string }
		json.Unmarshal(raw, &ref)
		for _, op := range f.Options {
			if op.ID == ref.ID {
				return []string{op.Value, op.ID}
			}
		}
		return nil
	case "text":
		var s string
		json.Unmarshal(raw, &s)
		return []string{s}
	}
	return []string{string(raw)}
}

// jqlEnv is the evaluation context for the caller.
func (c *call) jqlEnv(now time.Time) jql.Env {
	env := jql.Env{Now: now}
	if c.who != nil {
		env.CurrentAccountID = c.who.AccountID
		if c.e.dc {
			env.CurrentAccountID = c.who.Username
		}
	}
	env.ResolveUser = func(v string) (string, bool) {
		for _, u := range c.e.users {
			if u.AccountID == v || strings.EqualFold(u.Email, v) || strings.EqualFold(u.DisplayName, v) ||
				(c.e.dc && strings.EqualFold(u.Username, v)) {
				if c.e.dc {
					return u.Username, true
				}
				return u.AccountID, true
			}
		}
		return "", false
	}
	return env
}

// runQuery parses and checks q and returns the matching issues the caller
// may see, in order. requireBounded is Cloud's enhanced-search rule. The
// caller holds e.mu (read). On a bad query it answers 400 and returns false.
func (c *call) runQuery(q string, requireBounded bool, reconcile map[int64]bool) ([]*issue, bool) {
	query, err := jql.Parse(q)
	if err != nil {
		c.fail(http.StatusBadRequest, err.Error())
		return nil, false
	}
	if requireBounded && !query.Bounded() {
		c.fail(http.StatusBadRequest, jql.UnboundedMessage)
		return nil, false
	}
	// The sandbox's projects have no components or versions: any value
	// named is one that does not exist.
	for _, f := range []string{"component", "fixVersion", "affectedVersion"} {
		if vals := query.Literals(f); len(vals) > 0 {
			c.fail(http.StatusBadRequest, "The value '"+vals[0]+"' does not exist for the field '"+f+"'.")
			return nil, false
		}
	}
	for _, ref := range query.Projects() {
		p := c.site.projectByIDOrKey(ref)
		if p == nil {
			for _, cand := range c.site.projects {
				if strings.EqualFold(cand.Name, ref) {
					p = cand
				}
			}
		}
		if p == nil || !c.site.visible(c.who, p) {
			c.fail(http.StatusBadRequest, "The value '"+ref+"' does not exist for the field 'project'.")
			return nil, false
		}
	}
	c.keyMarkers = query.UsesFunction("watchedIssues") || query.UsesFunction("issueHistory")
	now := c.e.now()
	env := c.jqlEnv(now)
	if err := query.CheckUsers(env); err != nil {
		c.fail(http.StatusBadRequest, err.Error())
		return nil, false
	}
	var out []*issue
	for _, is := range c.site.issues {
		if !is.Indexed.IsZero() && is.Indexed.After(now) && !reconcile[is.ID] {
			continue // not indexed yet (search lag)
		}
		if !c.site.can(c.who, permBrowse, c.site.projectOf(is), is) {
			continue
		}
		if query.Where != nil && !query.Match(issueDoc{c, is}, env) {
			continue
		}
		out = append(out, is)
	}
	// Each issue's sort values are read once, beside it: a sort compares
	// each issue about log n times.
	sorts := query.OrderBy()
	type keyed struct {
		is  *issue
		key jql.SortKey
	}
	ks := make([]keyed, len(out))
	for i, is := range out {
		ks[i].is = is
		if len(sorts) > 0 {
			ks[i].key = jql.KeyOf(issueDoc{c, is}, sorts)
		}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if len(sorts) > 0 {
			if r := jql.CompareKeys(a.key, b.key, sorts); r != 0 {
				return r
			}
		}
		return cmp.Compare(b.is.ID, a.is.ID) // Jira's default: newest first
	})
	for i := range ks {
		out[i] = ks[i].is
	}
	return out, true
}

// pageToken is the opaque cursor: offset, issue time and a query digest,
// signed so clients cannot forge one.
type pageToken struct {
	Offset int    `json:"o"`
	Issued int64  `json:"t"`
	Query  string `json:"q"`
}

func (e *Emulator) queryDigest(jqlText string, fields []string) string {
	h := sha256.Sum256([]byte(jqlText + "\x00" + strings.Join(fields, ",")))
	return base64.RawURLEncoding.EncodeToString(h[:6])
}

func (e *Emulator) signToken(t pageToken) string {
	payload, _ := json.Marshal(t)
	mac := hmac.New(sha256.New, e.pageSecret)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:12])
}

func (e *Emulator) readToken(s string, now time.Time) (pageToken, bool) {
	var t pageToken
	payloadB64, sigB64, ok := strings.Cut(s, ".")
	if !ok {
		return t, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(payloadB64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sigB64)
	if err1 != nil || err2 != nil {
		return t, false
	}
	mac := hmac.New(sha256.New, e.pageSecret)
	mac.Write(payload)
	if !hmac.Equal(sig, mac.Sum(nil)[:12]) || json.Unmarshal(payload, &t) != nil {
		return t, false
	}
	if now.Sub(time.Unix(t.Issued, 0)) > pageTokenTTL || t.Offset < 0 {
		return t, false
	}
	return t, true
}

// GET /rest/api/3/search/jql
func (c *call) handleSearchJQLGet() {
	q := c.r.URL.Query()
	req := searchRequest{JQL: q.Get("jql"), NextPageToken: q.Get("nextPageToken"), Expand: q.Get("expand"),
		Fields: c.listParam("fields")}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.fail(http.StatusBadRequest, "The value '"+v+"' is invalid for the parameter 'maxResults'.")
			return
		}
		req.MaxResults = &n
	}
	for _, v := range c.listParam("reconcileIssues") {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			c.fail(http.StatusBadRequest, "The value '"+v+"' is invalid for the parameter 'reconcileIssues'.")
			return
		}
		req.ReconcileIssues = append(req.ReconcileIssues, id)
	}
	c.searchJQL(req)
}

// POST /rest/api/3/search/jql
func (c *call) handleSearchJQLPost() {
	var req searchRequest
	if !c.decodeStrict(&req) {
		return
	}
	c.searchJQL(req)
}

// decodeStrict reads a body that must match the document's schema
// exactly: the enhanced search refuses removed keys (startAt,
// validateQuery) and an array expand.
func (c *call) decodeStrict(v any) bool {
	body, err := readBody(c)
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.fail(http.StatusBadRequest, msgInvalidPayload)
		return false
	}
	return true
}

func readBody(c *call) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(c.w, c.r.Body, 10<<20))
	if err != nil {
		c.fail(http.StatusBadRequest, "The request body could not be read.")
	}
	return buf.Bytes(), err
}

func (c *call) searchJQL(req searchRequest) {
	if len(req.ReconcileIssues) > maxReconcile {
		c.fail(http.StatusBadRequest, "The number of reconcileIssues must not exceed 50.")
		return
	}
	sel := parseFieldSelection(req.Fields, false)
	idOnly := sel.none() || (len(sel.include) == 1 && sel.include["id"] && !sel.all && !sel.navigable)
	limit := 100
	if idOnly || (len(sel.include) <= 2 && !sel.all && !sel.navigable && onlyIDKey(sel.include)) {
		limit = 5000
	}
	maxResults := 50
	if req.MaxResults != nil {
		maxResults = *req.MaxResults
	}
	if maxResults < 0 {
		c.fail(http.StatusBadRequest, "The maxResults parameter must not be negative.")
		return
	}
	maxResults = min(maxResults, limit)
	now := c.e.now()
	digest := c.e.queryDigest(req.JQL, req.Fields)
	offset := 0
	if req.NextPageToken != "" {
		t, ok := c.e.readToken(req.NextPageToken, now)
		if !ok || t.Query != digest {
			c.fail(http.StatusBadRequest, msgBadPageToken)
			return
		}
		offset = t.Offset
	}
	reconcile := map[int64]bool{}
	for _, id := range req.ReconcileIssues {
		reconcile[id] = true
	}
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	matches, ok := c.runQuery(req.JQL, true, reconcile)
	if !ok {
		return
	}
	expand := splitSet(req.Expand)
	perIssue := map[string]bool{}
	for k := range expand {
		if k != "names" && k != "schema" {
			perIssue[k] = true
		}
	}
	var render func(*issue) any
	if idOnly {
		render = c.idRenderer()
	} else {
		render = c.issueRenderer(sel, perIssue)
	}
	issues := []any{}
	end := min(offset+maxResults, len(matches))
	for i := offset; i < end; i++ {
		issues = append(issues, render(matches[i]))
	}
	out := obj{"issues": issues, "isLast": end >= len(matches)}
	if end < len(matches) {
		out["nextPageToken"] = c.e.signToken(pageToken{Offset: end, Issued: now.Unix(), Query: digest})
	}
	if expand["names"] || expand["schema"] {
		names, schemas := obj{}, obj{}
		for _, f := range c.site.fields {
			if sel.wants(f) {
				names[f.ID], schemas[f.ID] = f.Name, fieldSchema(f)
			}
		}
		if expand["names"] {
			out["names"] = names
		}
		if expand["schema"] {
			out["schema"] = schemas
		}
	}
	c.json(http.StatusOK, out)
}

func onlyIDKey(include map[string]bool) bool {
	for k := range include {
		if k != "id" && k != "key" {
			return false
		}
	}
	return true
}

// POST /rest/api/3/search/approximate-count
func (c *call) handleApproximateCount() {
	var req struct {
		JQL string `json:"jql"`
	}
	if !c.decodeStrict(&req) {
		return
	}
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	matches, ok := c.runQuery(req.JQL, true, nil)
	if !ok {
		return
	}
	c.json(http.StatusOK, obj{"count": len(matches)})
}

// GET|POST /rest/api/{2,3}/search on Cloud: removed (CHANGE-2046).
func (c *call) handleSearchGone() {
	c.fail(http.StatusGone, msgSearchRemoved)
}

// GET|POST /rest/api/2/search on Data Center: the offset search with total.
func (c *call) handleSearchDC() {
	var req struct {
		JQL           string   `json:"jql"`
		StartAt       int      `json:"startAt"`
		MaxResults    *int     `json:"maxResults"`
		Fields        []string `json:"fields"`
		Expand        []string `json:"expand"`
		ValidateQuery any      `json:"validateQuery"`
	}
	if c.r.Method == http.MethodPost {
		if !c.decode(&req) {
			return
		}
	} else {
		q := c.r.URL.Query()
		req.JQL = q.Get("jql")
		var ok bool
		if req.StartAt, ok = c.intParam("startAt", 0); !ok {
			return
		}
		n, ok := c.intParam("maxResults", 50)
		if !ok {
			return
		}
		req.MaxResults = &n
		req.Fields = c.listParam("fields")
		req.Expand = c.listParam("expand")
	}
	maxResults := 50
	if req.MaxResults != nil {
		maxResults = min(max(*req.MaxResults, 0), 1000)
	}
	if len(req.Fields) == 0 {
		req.Fields = []string{"*navigable"}
	}
	sel := parseFieldSelection(req.Fields, false)
	c.e.mu.RLock()
	defer c.e.mu.RUnlock()
	matches, ok := c.runQuery(req.JQL, false, nil)
	if !ok {
		return
	}
	expand := map[string]bool{}
	for _, x := range req.Expand {
		expand[x] = true
	}
	render := c.issueRenderer(sel, expand)
	issues := []any{}
	for i := max(req.StartAt, 0); i < len(matches) && len(issues) < maxResults; i++ {
		issues = append(issues, render(matches[i]))
	}
	c.json(http.StatusOK, obj{"expand": "schema,names", "startAt": req.StartAt, "maxResults": maxResults,
		"total": len(matches), "issues": issues})
}
