package emulator

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Seed is the sandbox's starting world: people, sites with their projects,
// workflows, fields and permissions, OAuth apps, and issues. `tm sandbox
// --seed file.json` reads one in this JSON shape; DefaultSeed is the
// built-in one.
type Seed struct {
	Users     []SeedUser     `json:"users"`
	Sites     []SeedSite     `json:"sites"`
	OAuthApps []SeedOAuthApp `json:"oauthApps"`
}

// SeedUser is one Atlassian account. The first user is the "you" of the
// sandbox: the printed credentials are theirs.
type SeedUser struct {
	AccountID   string   `json:"accountId"`
	Email       string   `json:"email"`
	DisplayName string   `json:"displayName"`
	Username    string   `json:"username,omitempty"`    // Data Center name; default: email local part
	Key         string   `json:"key,omitempty"`         // Data Center key; default JIRAUSER1000n
	AccountType string   `json:"accountType,omitempty"` // atlassian (default), app, customer
	Inactive    bool     `json:"inactive,omitempty"`
	TimeZone    string   `json:"timeZone,omitempty"`
	Locale      string   `json:"locale,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	// ScopedScopes are the scopes of the scoped API token minted for this
	// user; default read:jira-work write:jira-work read:jira-user.
	ScopedScopes []string `json:"scopedScopes,omitempty"`
}

// SeedOAuthApp is an OAuth 2.0 (3LO) app registered with the auth server.
type SeedOAuthApp struct {
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirectURIs"`
	Scopes       []string `json:"scopes,omitempty"`
	// LoopbackAnyPort accepts any loopback host and port for a redirect URI
	// whose path matches one of RedirectURIs.
	LoopbackAnyPort bool `json:"loopbackAnyPort,omitempty"`
}

// SeedSite is one Jira Cloud site (one cloud id). The first site is served
// at the listener's root; the others under /sites/{slug}/.
type SeedSite struct {
	CloudID string `json:"cloudId"`
	Name    string `json:"name"`
	Slug    string `json:"slug,omitempty"`
	// Members are the account ids licensed on the site; empty means everyone.
	Members []string `json:"members,omitempty"`
	// GlobalPermissions maps USER_PICKER / ADMINISTER to grantees.
	GlobalPermissions map[string][]string `json:"globalPermissions,omitempty"`
	Statuses          []SeedStatus        `json:"statuses"`
	IssueTypes        []SeedIssueType     `json:"issueTypes"`
	Priorities        []SeedPriority      `json:"priorities"`
	Fields            []SeedField         `json:"fields,omitempty"`
	Workflows         []SeedWorkflow      `json:"workflows"`
	Projects          []SeedProject       `json:"projects"`
	Sprints           []SeedSprint        `json:"sprints,omitempty"`
	Issues            []SeedIssue         `json:"issues,omitempty"`
}

// SeedStatus is a workflow status; Category is new, indeterminate or done.
type SeedStatus struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
}

// SeedIssueType is an issue type; HierarchyLevel is -1 for subtasks, 0 for
// standard types, 1 for epics.
type SeedIssueType struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	HierarchyLevel int    `json:"hierarchyLevel"`
}

// SeedPriority is a priority; one of them should be Default.
type SeedPriority struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Color       string `json:"color,omitempty"`
	Default     bool   `json:"default,omitempty"`
}

// SeedField is a custom field. Type is text (single line, plain string),
// textarea (rich text: ADF on v3), number, or select (Options).
type SeedField struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Description string       `json:"description,omitempty"`
	Options     []SeedOption `json:"options,omitempty"`
}

// SeedOption is one value of a select field.
type SeedOption struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// SeedWorkflow is a set of statuses joined by transitions.
type SeedWorkflow struct {
	Name        string           `json:"name"`
	Initial     string           `json:"initial"` // status id of new issues
	Transitions []SeedTransition `json:"transitions"`
}

// SeedTransition moves an issue to status To; From lists the status ids it
// starts from, empty meaning any (a global transition).
type SeedTransition struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	To   string   `json:"to"`
	From []string `json:"from,omitempty"`
}

// SeedProject is a project. Permissions map a project permission key
// (BROWSE_PROJECTS, CREATE_ISSUES, …) to grantees: an account id,
// "group:<name>", "users" (any licensed user), "anyone" (also anonymous),
// "lead", "reporter" or "assignee".
type SeedProject struct {
	ID          string `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	TypeKey     string `json:"typeKey,omitempty"` // software (default), business, service_desk
	Description string `json:"description,omitempty"`
	Lead        string `json:"lead"`
	TeamManaged bool   `json:"teamManaged,omitempty"`
	Private     bool   `json:"private,omitempty"`
	// IssueTypes are ids of the site's issue types (company-managed projects).
	IssueTypes []string `json:"issueTypes,omitempty"`
	// OwnIssueTypes are project-scoped types (team-managed projects).
	OwnIssueTypes []SeedIssueType `json:"ownIssueTypes,omitempty"`
	Workflow      string          `json:"workflow"`
	// Fields are the custom field ids on the create and edit screens.
	Fields []string `json:"fields,omitempty"`
	// Required lists fields required on create besides project, issuetype
	// and summary.
	Required []string `json:"required,omitempty"`
	// DefaultAssignee is PROJECT_LEAD or UNASSIGNED (default).
	DefaultAssignee string              `json:"defaultAssignee,omitempty"`
	Permissions     map[string][]string `json:"permissions"`
}

// SeedSprint is a sprint of a project's board (every software project has
// one board; a board with sprints is a scrum board). State is closed,
// active or future: a closed sprint ran from three weeks to one week
// before the sandbox started, an active one runs from a week before to a
// week after.
type SeedSprint struct {
	ID      int    `json:"id"`
	Project string `json:"project"` // key
	Name    string `json:"name"`
	State   string `json:"state"`
	Goal    string `json:"goal,omitempty"`
}

// SeedIssue is an issue present at start. Description is a plain string
// (turned into ADF paragraphs) or an ADF document.
type SeedIssue struct {
	Key          string                     `json:"key"`
	Type         string                     `json:"type"` // issue type id
	Status       string                     `json:"status,omitempty"`
	Priority     string                     `json:"priority,omitempty"`
	Summary      string                     `json:"summary"`
	Description  json.RawMessage            `json:"description,omitempty"`
	Assignee     string                     `json:"assignee,omitempty"`
	Reporter     string                     `json:"reporter,omitempty"`
	Labels       []string                   `json:"labels,omitempty"`
	Parent       string                     `json:"parent,omitempty"` // key
	DueDate      string                     `json:"duedate,omitempty"`
	Created      string                     `json:"created,omitempty"` // RFC 3339; default: start time minus a few days
	PreviousKeys []string                   `json:"previousKeys,omitempty"`
	Fields       map[string]json.RawMessage `json:"fields,omitempty"`
	Comments     []SeedComment              `json:"comments,omitempty"`
	Sprint       int                        `json:"sprint,omitempty"` // sprint id
}

// SeedComment is a comment present at start.
type SeedComment struct {
	Author string `json:"author"`
	Body   string `json:"body"`
}

//go:embed seed_default.json
var defaultSeedJSON []byte

// DefaultSeed returns a fresh copy of the built-in seed.
func DefaultSeed() *Seed {
	s, err := ParseSeed(defaultSeedJSON)
	if err != nil {
		panic("emulator: built-in seed: " + err.Error()) // a test keeps this from happening
	}
	return s
}

// SeedWithProjects returns the built-in seed with n more projects on the
// primary site, copies of its first project keyed P00000…: a large site
// for benchmarks and paging tests.
func SeedWithProjects(n int) *Seed {
	s := DefaultSeed()
	site := &s.Sites[0]
	tmpl := site.Projects[0]
	for i := range n {
		p := tmpl
		p.ID, p.Key, p.Name = strconv.Itoa(100000+i), fmt.Sprintf("P%05d", i), fmt.Sprintf("Project %d", i)
		site.Projects = append(site.Projects, p)
	}
	return s
}

// SeedWithIssues returns the built-in seed with n more issues in SPACE2,
// keyed from SPACE2-101: types, statuses, priorities, assignees, labels
// and summaries vary from one to the next, as on a working site — a large
// project for benchmarks and paging tests.
func SeedWithIssues(n int) *Seed {
	s := DefaultSeed()
	site := &s.Sites[0]
	types := []string{"10001", "10002", "10003", "10001"}
	statuses := []string{"10000", "3", "10002", "10001", "10000"}
	people := []string{"", s.Users[0].AccountID, s.Users[1].AccountID, "", s.Users[2].AccountID}
	labels := [][]string{nil, {"backend"}, {"ui", "accessibility"}, nil, {"customer", "billing", "urgent"}}
	subjects := []string{"Login page", "Export to CSV", "Rate limit", "Nightly build", "Dashboard",
		"Search results", "Invoice PDF", "Password reset", "Käyttäjäprofiili", "通知設定"}
	faults := []string{"fails after a timeout", "shows the wrong total when the list is long",
		"should remember the last choice", "is slow", `shows "undefined" instead of a name`}
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		site.Issues = append(site.Issues, SeedIssue{
			Key: fmt.Sprintf("SPACE2-%d", 101+i), Type: types[i%len(types)], Status: statuses[i%len(statuses)],
			Priority: strconv.Itoa(1 + i%5), Assignee: people[i%len(people)], Reporter: s.Users[i%2].AccountID,
			Summary: fmt.Sprintf("%s %s (case %d)", subjects[i%len(subjects)], faults[i%len(faults)], i),
			Labels:  labels[i%len(labels)],
			Created: start.Add(time.Duration(i) * 37 * time.Minute).Format(time.RFC3339),
		})
	}
	return s
}

// DefaultSeedJSON returns the built-in seed as JSON, a starting point for
// a custom --seed file.
func DefaultSeedJSON() []byte { return append([]byte(nil), defaultSeedJSON...) }

// LoadSeed reads and checks a seed file.
func LoadSeed(path string) (*Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	s, err := ParseSeed(b)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", path, err)
	}
	return s, nil
}

// ParseSeed decodes a seed strictly (unknown keys are mistakes) and checks
// that its references hold together.
func ParseSeed(b []byte) (*Seed, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// lazyRegexp compiles expr on first use: compiled at package initialisation
// it would cost every tm command, most of which never start the sandbox.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var (
	projectKeyRE = lazyRegexp(`^[A-Z][A-Z0-9_]{1,9}$`)
	slugRE       = lazyRegexp(`^[a-z0-9][a-z0-9-]{0,40}$`)
	numericRE    = lazyRegexp(`^[0-9]+$`)
)

// check reports the first broken reference, naming where it is.
func (s *Seed) check() error {
	if len(s.Users) == 0 {
		return fmt.Errorf("users: at least one user is needed (the first is the sandbox's own account)")
	}
	if len(s.Sites) == 0 {
		return fmt.Errorf("sites: at least one site is needed")
	}
	users := map[string]bool{}
	emails := map[string]bool{}
	for i, u := range s.Users {
		switch {
		case u.AccountID == "" || u.Email == "" || u.DisplayName == "":
			return fmt.Errorf("users[%d]: accountId, email and displayName are required", i)
		case users[u.AccountID]:
			return fmt.Errorf("users[%d]: duplicate accountId %q", i, u.AccountID)
		case emails[strings.ToLower(u.Email)]:
			return fmt.Errorf("users[%d]: duplicate email %q", i, u.Email)
		}
		users[u.AccountID] = true
		emails[strings.ToLower(u.Email)] = true
	}
	cloudIDs, slugs := map[string]bool{}, map[string]bool{}
	for i, site := range s.Sites {
		where := fmt.Sprintf("sites[%d] (%s)", i, site.Name)
		if site.CloudID == "" || site.Name == "" {
			return fmt.Errorf("%s: cloudId and name are required", where)
		}
		if cloudIDs[site.CloudID] {
			return fmt.Errorf("%s: duplicate cloudId %q", where, site.CloudID)
		}
		cloudIDs[site.CloudID] = true
		if i > 0 {
			if !slugRE().MatchString(site.Slug) {
				return fmt.Errorf("%s: slug %q must be lower-case letters, digits and dashes (it is the /sites/{slug}/ path)", where, site.Slug)
			}
			if slugs[site.Slug] {
				return fmt.Errorf("%s: duplicate slug %q", where, site.Slug)
			}
			slugs[site.Slug] = true
		}
		for _, m := range site.Members {
			if !users[m] {
				return fmt.Errorf("%s: member %q is not a user", where, m)
			}
		}
		if err := site.check(where, users); err != nil {
			return err
		}
	}
	return nil
}

func (site *SeedSite) check(where string, users map[string]bool) error {
	statuses := map[string]bool{}
	for _, st := range site.Statuses {
		switch st.Category {
		case "new", "indeterminate", "done":
		default:
			return fmt.Errorf("%s: status %q: category must be new, indeterminate or done", where, st.Name)
		}
		statuses[st.ID] = true
	}
	types := map[string]bool{}
	addType := func(t SeedIssueType) error {
		if !numericRE().MatchString(t.ID) || t.Name == "" {
			return fmt.Errorf("%s: issue type %q: a numeric id and a name are required", where, t.Name)
		}
		if types[t.ID] {
			return fmt.Errorf("%s: duplicate issue type id %q", where, t.ID)
		}
		types[t.ID] = true
		return nil
	}
	for _, t := range site.IssueTypes {
		if err := addType(t); err != nil {
			return err
		}
	}
	prios := map[string]bool{}
	for _, p := range site.Priorities {
		prios[p.ID] = true
	}
	fields := map[string]bool{}
	for _, f := range site.Fields {
		if !strings.HasPrefix(f.ID, "customfield_") {
			return fmt.Errorf("%s: field %q: custom field ids look like customfield_10042", where, f.ID)
		}
		switch f.Type {
		case "text", "textarea", "number", "select":
		default:
			return fmt.Errorf("%s: field %s: type must be text, textarea, number or select", where, f.ID)
		}
		fields[f.ID] = true
	}
	workflows := map[string]bool{}
	for _, w := range site.Workflows {
		if !statuses[w.Initial] {
			return fmt.Errorf("%s: workflow %q: initial status %q is not a status", where, w.Name, w.Initial)
		}
		for _, t := range w.Transitions {
			if !statuses[t.To] {
				return fmt.Errorf("%s: workflow %q: transition %q goes to unknown status %q", where, w.Name, t.Name, t.To)
			}
		}
		workflows[w.Name] = true
	}
	keys, ids := map[string]bool{}, map[string]bool{}
	for _, p := range site.Projects {
		pw := fmt.Sprintf("%s: project %s", where, p.Key)
		switch {
		case !projectKeyRE().MatchString(p.Key):
			return fmt.Errorf("%s: key must be 2-10 upper-case letters or digits, starting with a letter", pw)
		case !numericRE().MatchString(p.ID):
			return fmt.Errorf("%s: id must be numeric", pw)
		case keys[p.Key] || ids[p.ID]:
			return fmt.Errorf("%s: duplicate key or id", pw)
		case !users[p.Lead]:
			return fmt.Errorf("%s: lead %q is not a user", pw, p.Lead)
		case !workflows[p.Workflow]:
			return fmt.Errorf("%s: workflow %q does not exist", pw, p.Workflow)
		}
		keys[p.Key], ids[p.ID] = true, true
		for _, t := range p.IssueTypes {
			if !types[t] {
				return fmt.Errorf("%s: issue type %q does not exist", pw, t)
			}
		}
		for _, t := range p.OwnIssueTypes {
			if err := addType(t); err != nil {
				return err
			}
		}
		if len(p.IssueTypes)+len(p.OwnIssueTypes) == 0 {
			return fmt.Errorf("%s: a project needs at least one issue type", pw)
		}
		for _, f := range p.Fields {
			if !fields[f] {
				return fmt.Errorf("%s: field %q is not a custom field of the site", pw, f)
			}
		}
		for perm, grantees := range p.Permissions {
			if def, ok := permissionByKey[perm]; !ok || def.Type != "PROJECT" {
				return fmt.Errorf("%s: %q is not a project permission key", pw, perm)
			}
			if err := checkGrantees(grantees, users); err != nil {
				return fmt.Errorf("%s: %s: %w", pw, perm, err)
			}
		}
	}
	for perm, grantees := range site.GlobalPermissions {
		if def, ok := permissionByKey[perm]; !ok || def.Type != "GLOBAL" {
			return fmt.Errorf("%s: %q is not a global permission key", where, perm)
		}
		if err := checkGrantees(grantees, users); err != nil {
			return fmt.Errorf("%s: %s: %w", where, perm, err)
		}
	}
	sprints := map[int]bool{}
	for _, sp := range site.Sprints {
		switch {
		case sp.ID <= 0 || sp.Name == "" || (sp.State != "closed" && sp.State != "active" && sp.State != "future"):
			return fmt.Errorf("%s: sprint %q: a positive id, a name and a state of closed, active or future are required", where, sp.Name)
		case sprints[sp.ID]:
			return fmt.Errorf("%s: duplicate sprint id %d", where, sp.ID)
		case !keys[sp.Project]:
			return fmt.Errorf("%s: sprint %q: project %q is not a project of this site", where, sp.Name, sp.Project)
		}
		sprints[sp.ID] = true
	}
	for _, is := range site.Issues {
		k, _, ok := splitIssueKey(is.Key)
		if !ok || !keys[k] {
			return fmt.Errorf("%s: issue %q: the key must be PROJECT-N of a project of this site", where, is.Key)
		}
		if !types[is.Type] {
			return fmt.Errorf("%s: issue %s: issue type %q does not exist", where, is.Key, is.Type)
		}
		if is.Status != "" && !statuses[is.Status] {
			return fmt.Errorf("%s: issue %s: status %q does not exist", where, is.Key, is.Status)
		}
		if is.Sprint != 0 && !sprints[is.Sprint] {
			return fmt.Errorf("%s: issue %s: sprint %d does not exist", where, is.Key, is.Sprint)
		}
		if is.Priority != "" && !prios[is.Priority] {
			return fmt.Errorf("%s: issue %s: priority %q does not exist", where, is.Key, is.Priority)
		}
		for _, u := range []string{is.Assignee, is.Reporter} {
			if u != "" && !users[u] {
				return fmt.Errorf("%s: issue %s: user %q does not exist", where, is.Key, u)
			}
		}
	}
	return nil
}

func checkGrantees(grantees []string, users map[string]bool) error {
	for _, g := range grantees {
		switch {
		case g == "anyone", g == "users", g == "lead", g == "reporter", g == "assignee":
		case strings.HasPrefix(g, "group:"):
		case users[g]:
		default:
			return fmt.Errorf("grantee %q is not a user, group:<name>, users, anyone, lead, reporter or assignee", g)
		}
	}
	return nil
}

// splitIssueKey splits "ABC-12" into "ABC" and 12.
func splitIssueKey(key string) (string, int, bool) {
	i := strings.LastIndexByte(key, '-')
	if i <= 0 || i == len(key)-1 || !numericRE().MatchString(key[i+1:]) {
		return "", 0, false
	}
	n := 0
	for _, c := range key[i+1:] {
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			return "", 0, false
		}
	}
	return key[:i], n, true
}
