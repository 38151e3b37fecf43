package server_test

import (
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// metaType and metaField are createmeta as the sandbox answers it to the
// user directly; the tests compare tm's form and answers with it.
type metaType struct {
	ID, Name string
	Subtask  bool
}

type metaField struct {
	FieldID       string
	Required      bool
	AllowedValues []struct{ ID, Name string }
}

func sandboxTypes(t *testing.T, e *env, project string) []metaType {
	t.Helper()
	var page struct{ IssueTypes []metaType }
	sandboxGet(t, e, 0, 0, "/rest/api/3/issue/createmeta/"+project+"/issuetypes", &page)
	return page.IssueTypes
}

// standardNames are the non-sub-task type names, the ones a ticket without
// a parent may take.
func standardNames(ts []metaType) []string {
	var out []string
	for _, t := range ts {
		if !t.Subtask {
			out = append(out, t.Name)
		}
	}
	return out
}

func typeID(t *testing.T, ts []metaType, name string) string {
	t.Helper()
	for _, it := range ts {
		if it.Name == name {
			return it.ID
		}
	}
	t.Fatalf("no type %s in %+v", name, ts)
	return ""
}

// sandboxPriority is the priority field of a type's create screen.
func sandboxPriority(t *testing.T, e *env, project, typeID string) (names []string, required bool) {
	t.Helper()
	var page struct{ Fields []metaField }
	sandboxGet(t, e, 0, 0, "/rest/api/3/issue/createmeta/"+project+"/issuetypes/"+typeID, &page)
	for _, f := range page.Fields {
		if f.FieldID == "priority" {
			for _, v := range f.AllowedValues {
				names = append(names, v.Name)
			}
			return names, f.Required
		}
	}
	t.Fatalf("%s type %s has no priority on its create screen", project, typeID)
	return nil, false
}

var (
	selectRe = regexp.MustCompile(`(?s)<select id="(\w+)"([^>]*)>(.*?)</select>`)
	optionRe = regexp.MustCompile(`<option value="([^"]*)"( selected)?>`)
)

// formSelect is one <select> of a page.
type formSelect struct {
	Required bool
	Values   []string // option values, "" (the placeholder) left out
	Selected string
}

func selects(body string) map[string]formSelect {
	out := map[string]formSelect{}
	for _, m := range selectRe.FindAllStringSubmatch(body, -1) {
		s := formSelect{Required: strings.Contains(m[2], " required")}
		for _, o := range optionRe.FindAllStringSubmatch(m[3], -1) {
			v := html.UnescapeString(o[1])
			if o[2] != "" {
				s.Selected = v
			}
			if v != "" {
				s.Values = append(s.Values, v)
			}
		}
		out[m[1]] = s
	}
	return out
}

// TestCreateFormOffersProjectMeta: the form lists the chosen project's own
// types (no sub-tasks without a parent) and its type's priorities.
func TestCreateFormOffersProjectMeta(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)

	space2 := sandboxTypes(t, e, "SPACE2")
	prios, _ := sandboxPriority(t, e, "SPACE2", typeID(t, space2, "Task"))
	p := b.get("/?project=SPACE2")
	sel := selects(p.Body)
	if got, want := sel["type"].Values, standardNames(space2); !slices.Equal(got, want) || sel["type"].Selected != "Task" {
		t.Errorf("SPACE2 types offered %v (selected %q), want %v with Task selected", got, sel["type"].Selected, want)
	}
	if got := sel["priority"]; !slices.Equal(got.Values, prios) || got.Required || got.Selected != "" {
		t.Errorf("SPACE2 priorities offered %+v, want optional %v", got, prios)
	}
	wantIn(t, "SPACE2 form", p.Body, `<option value="">Project default</option>`,
		`formaction="/" formnovalidate>Change<span class="sr-label"> project</span>`,
		`<label for="type">Type</label>`, `<label for="priority">Priority`, "<legend>")
	if slices.Contains(sel["type"].Values, "Subtask") {
		t.Error("a sub-task type is offered without a parent")
	}
	// With a parent, sub-task types join the list.
	if got := selects(b.get("/?project=SPACE2&parent=SPACE2-1").Body)["type"].Values; !slices.Contains(got, "Subtask") {
		t.Errorf("with a parent: types %v lack Subtask", got)
	}

	// Changing project (the Change button's POST) keeps what was typed and
	// shows the team-managed project's own types; its priority is required.
	team := sandboxTypes(t, e, "TEAM")
	teamPrios, required := sandboxPriority(t, e, "TEAM", typeID(t, team, "Bug"))
	q := url.Values{"project": {"team"}, "type": {"bug"}, "priority": {"high"}, "summary": {"Kept <across> the change"}}
	p = b.postForm("/", q)
	sel = selects(p.Body)
	if got, want := sel["type"].Values, standardNames(team); !slices.Equal(got, want) || sel["type"].Selected != "Bug" {
		t.Errorf("TEAM types offered %v (selected %q), want %v with Bug", got, sel["type"].Selected, want)
	}
	if got := sel["priority"]; !slices.Equal(got.Values, teamPrios) || got.Required != required || got.Selected != "High" {
		t.Errorf("TEAM priorities offered %+v, want %v required=%v with High", got, teamPrios, required)
	}
	if sel["project"].Selected != "TEAM" {
		t.Errorf("project selected %q", sel["project"].Selected)
	}
	wantIn(t, "TEAM form", p.Body, `value="Kept &lt;across&gt; the change"`)

	// A type SPACE2 has and TEAM lacks falls back to TEAM's default.
	if got := selects(b.get("/?project=TEAM&type=Story").Body)["type"].Selected; got != "Task" {
		t.Errorf("Story in TEAM: selected %q, want Task", got)
	}
	// A project without create permission is marked in the list; asked
	// for, the form says so once and stays on one where creating works.
	p = b.get("/?project=OPS")
	wantIn(t, "OPS form", p.Body, "You cannot create tickets in OPS here; the form is on SPACE2 instead.",
		"<option value=\"OPS\" disabled>OPS — \u2068Operations\u2069 (you cannot create here)</option>")
	if got := selects(p.Body)["project"].Selected; got != "SPACE2" {
		t.Errorf("asked for OPS, the form is on %q", got)
	}

	// Creating from the form in TEAM uses TEAM's own ids.
	p = b.postForm("/tickets", url.Values{"project": {"TEAM"}, "type": {"bug"}, "priority": {"high"}, "summary": {"Team bug"}})
	m := regexp.MustCompile(`Created <a href="/issues/(TEAM-\d+)"><bdi>TEAM-\d+</bdi></a>`).FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("form create in TEAM: HTTP %d at %s", p.Status, p.URL)
	}
	key := m[1]
	// The next ticket starts on the same project, type and priority.
	sel = selects(p.Body)
	if sel["project"].Selected != "TEAM" || sel["type"].Selected != "Bug" || sel["priority"].Selected != "High" {
		t.Errorf("after a create the form is on %q %q %q, want TEAM Bug High", sel["project"].Selected, sel["type"].Selected, sel["priority"].Selected)
	}
	wantIn(t, "form after a create", p.Body, `id="summary" name="summary" value=""`)
	var is struct {
		Fields struct {
			IssueType struct{ ID string } `json:"issuetype"`
			Priority  struct{ Name string }
		}
	}
	sandboxGet(t, e, 0, 0, "/rest/api/3/issue/"+key, &is)
	if is.Fields.IssueType.ID != typeID(t, team, "Bug") || is.Fields.Priority.Name != "High" {
		t.Errorf("%s has type %s priority %s, want TEAM's Bug %s and High", key, is.Fields.IssueType.ID, is.Fields.Priority.Name, typeID(t, team, "Bug"))
	}
}

// TestCreateFormError: a refused create shows the form again, with what
// was typed and the valid values.
func TestCreateFormError(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	p := b.postForm("/tickets", url.Values{"project": {"SPACE2"}, "type": {"Spaceship"}, "summary": {"Keep me"}, "description": {"and me"}})
	want := `SPACE2 has no issue type &#34;Spaceship&#34;; valid: ` + strings.Join(standardNames(sandboxTypes(t, e, "SPACE2")), ", ")
	if p.Status != http.StatusBadRequest {
		t.Errorf("HTTP %d, want 400", p.Status)
	}
	wantIn(t, "form after an unknown type", p.Body, want, `aria-invalid="true" aria-describedby="type-error"`, `<p class="field-error" id="type-error">`,
		`value="Keep me"`, ">and me</textarea>")

	// TEAM needs a priority: without one, the valid ones are listed.
	p = b.postForm("/tickets", url.Values{"project": {"TEAM"}, "summary": {"No priority"}})
	prios, _ := sandboxPriority(t, e, "TEAM", typeID(t, sandboxTypes(t, e, "TEAM"), "Task"))
	wantIn(t, "form without a required priority", p.Body, "Task issues in TEAM need a priority; valid: "+strings.Join(prios, ", "))
}

// TestAPICreateResolvesNames: names in any case; unknown ones answer 400
// with the valid values, as the CLI does.
func TestAPICreateResolvesNames(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	space2 := sandboxTypes(t, e, "SPACE2")
	prios, _ := sandboxPriority(t, e, "SPACE2", typeID(t, space2, "Bug"))
	team := sandboxTypes(t, e, "TEAM")
	teamPrios, _ := sandboxPriority(t, e, "TEAM", typeID(t, team, "Task"))

	type refusal struct {
		Error, Field string
		Valid        []string
	}
	for _, tc := range []struct {
		body                 map[string]any
		field, msg           string
		valid                []string
		wantStatus, wantType int
	}{
		{body: map[string]any{"project": "SPACE2", "type": "Spaceship"}, field: "type",
			msg: `SPACE2 has no issue type "Spaceship"`, valid: standardNames(space2)},
		{body: map[string]any{"project": "SPACE2", "type": "Subtask"}, field: "type",
			msg: "Subtask is a sub-task type: give the parent issue's key", valid: standardNames(space2)},
		{body: map[string]any{"project": "SPACE2", "type": "bug", "priority": "Urgent"}, field: "priority",
			msg: `"Urgent" is not a valid Priority of Bug issues in SPACE2`, valid: prios},
		{body: map[string]any{"project": "TEAM"}, field: "priority",
			msg: "Task issues in TEAM need a priority", valid: teamPrios},
	} {
		tc.body["summary"] = "refused"
		var out refusal
		st := b.api("POST", "/api/tickets", tc.body, &out)
		if st != http.StatusBadRequest || out.Field != tc.field || !slices.Equal(out.Valid, tc.valid) ||
			!strings.HasPrefix(out.Error, tc.msg) || !strings.HasSuffix(out.Error, "valid: "+strings.Join(tc.valid, ", ")+".") {
			t.Errorf("%v: HTTP %d %+v, want 400 %s %q listing %v", tc.body, st, out, tc.field, tc.msg, tc.valid)
		}
	}

	var created struct{ Key string }
	if st := b.api("POST", "/api/tickets", map[string]any{"project": "space2", "summary": "Any case", "type": "STORY", "priority": "lowest"}, &created); st != http.StatusCreated {
		t.Fatalf("create with names in another case: HTTP %d", st)
	}
	if is := fetchIssue(t, e, 0, 0, created.Key); is.Fields.IssueType.Name != "Story" || is.Fields.Priority.Name != "Lowest" {
		t.Errorf("%s is %s/%s, want Story/Lowest", created.Key, is.Fields.IssueType.Name, is.Fields.Priority.Name)
	}
	// A sub-task under a parent.
	if st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": "Child", "type": "subtask", "parent": strings.ToLower(created.Key)}, &created); st != http.StatusCreated {
		t.Errorf("sub-task with a parent: HTTP %d", st)
	} else if is := fetchIssue(t, e, 0, 0, created.Key); is.Fields.IssueType.Name != "Subtask" {
		t.Errorf("%s is a %s", created.Key, is.Fields.IssueType.Name)
	}
}

// TestCreateMetaCached: with the metadata cached, a create is the one
// request to Jira; the dashboard reuses it too; the TTL and a rejected
// cached id make tm ask again.
func TestCreateMetaCached(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	create := func(summary string) {
		t.Helper()
		var out struct{ Key, Error string }
		if st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": summary, "type": "Bug", "priority": "High"}, &out); st != http.StatusCreated {
			t.Fatalf("create %q: HTTP %d %s", summary, st, out.Error)
		}
	}
	onlyCreate := func(what string, want int) {
		t.Helper()
		if reqs := e.sb.E.Requests(); !maps.Equal(byKind(reqs), map[string]int{"create": want}) {
			t.Errorf("%s: requests at Jira %v, want %d create(s) and nothing else", what, reqs, want)
		}
	}
	createmeta := func() int { return byKind(e.sb.E.Requests())["createmeta"] }

	create("first")
	e.sb.E.ResetRequests()
	create("second")
	onlyCreate("second create in SPACE2", 1)

	// The dashboard for SPACE2 reads no createmeta: the create cached it.
	e.sb.E.ResetRequests()
	b.get("/?project=SPACE2&type=Bug")
	if n := createmeta(); n != 0 {
		t.Errorf("dashboard after a create: %d createmeta requests: %v", n, e.sb.E.Requests())
	}

	// Jira rejects a cached id (the project was reconfigured): tm drops the
	// cache, reads createmeta again and creates once more. Without a
	// priority it is the create that Jira refuses; with one, the create
	// screen of the stale type id.
	other := typeID(t, sandboxTypes(t, e, "TEAM"), "Bug") // an id of the site, not of SPACE2
	for _, tc := range []struct {
		priority string
		want     map[string]int // requests by kind
	}{
		{"", map[string]int{"create": 2, "createmeta": 1}},
		{"High", map[string]int{"create": 1, "createmeta": 3}},
	} {
		if n := e.srv.SetCachedTypeID("SPACE2", "Bug", other); n != 1 {
			t.Fatalf("%d cached SPACE2 Bug types rewritten", n)
		}
		e.sb.E.ResetRequests()
		var out struct{ Key, Error string }
		if st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": "reconfigured", "type": "Bug", "priority": tc.priority}, &out); st != http.StatusCreated {
			t.Fatalf("create with a stale cached id (priority %q): HTTP %d %s", tc.priority, st, out.Error)
		}
		if got := byKind(e.sb.E.Requests()); !maps.Equal(got, tc.want) {
			t.Errorf("stale id, priority %q: requests %v, want %v", tc.priority, got, tc.want)
		}
		if fetchIssue(t, e, 0, 0, out.Key).Fields.IssueType.Name != "Bug" {
			t.Errorf("%s is not a Bug", out.Key)
		}
	}
	e.sb.E.ResetRequests()
	create("with the fresh cache")
	onlyCreate("after the refetch", 1)

	// Past the TTL, createmeta is read again.
	e.Clock.Advance(11 * time.Minute)
	e.sb.E.ResetRequests()
	create("after the TTL")
	if n := createmeta(); n != 2 {
		t.Errorf("after the TTL: %d createmeta requests, want 2 (types, screen): %v", n, e.sb.E.Requests())
	}
	// SPACE2, which is also where the dashboard's form starts.
	if n := e.srv.CachedProjects(); n != 1 {
		t.Errorf("cache holds %d projects, want 1", n)
	}
	// Disconnecting forgets the user's metadata.
	b.api("POST", "/api/auth/jira/disconnect", map[string]string{}, nil)
	if n := e.srv.CachedProjects(); n != 0 {
		t.Errorf("after disconnect the cache holds %d projects", n)
	}
}

// byKind sorts the sandbox's request counts into creates, createmeta reads
// and the rest (by their route).
func byKind(reqs map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range reqs {
		switch {
		case strings.HasPrefix(k, "POST ") && strings.HasSuffix(k, "/issue"):
			out["create"] += n
		case strings.Contains(k, "/issue/createmeta/"):
			out["createmeta"] += n
		default:
			out[k] += n
		}
	}
	return out
}

// TestCreateFormStartsOnTheConfiguredProject: before someone's first ticket
// the form starts on ATLASSIAN_PROJECT_KEY (when they can see it), not on
// whichever project happens to sort first.
func TestCreateFormStartsOnTheConfiguredProject(t *testing.T) {
	plain := newEnv(t, envOptions{})
	b := plain.browser()
	b.connect(0, 0)
	first := selects(b.get("/").Body)["project"]
	if len(first.Values) < 2 || first.Selected != first.Values[0] {
		t.Fatalf("without a configured project the form should start on the first of several: %+v", first)
	}
	want := first.Values[len(first.Values)-1] // any visible project other than the first
	e := newEnv(t, envOptions{defaultProject: strings.ToLower(want)})
	b = e.browser()
	b.connect(0, 0)
	if got := selects(b.get("/").Body)["project"].Selected; got != want {
		t.Errorf("form starts on %q, want the configured %q", got, want)
	}
}

// TestAPICreateEveryField: the API takes what the CLI takes — assignee,
// parent and custom fields by name — through the same ticket service.
func TestAPICreateEveryField(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	var parent struct{ Key string }
	if st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": "Parent"}, &parent); st != http.StatusCreated {
		t.Fatalf("parent: HTTP %d", st)
	}
	var created struct{ Key, Error string }
	st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": "Everything", "type": "Subtask",
		"parent": parent.Key, "assignee": "me", "fields": map[string]string{"story points": "5", "Severity": "major"}}, &created)
	if st != http.StatusCreated {
		t.Fatalf("create: HTTP %d %s", st, created.Error)
	}
	var is struct {
		Fields struct {
			Parent   struct{ Key string }
			Assignee struct {
				AccountID string `json:"accountId"`
			}
			StoryPoints float64                `json:"customfield_10016"`
			Severity    struct{ Value string } `json:"customfield_10042"`
		}
	}
	sandboxGet(t, e, 0, 0, "/rest/api/3/issue/"+created.Key, &is)
	if is.Fields.Parent.Key != parent.Key || is.Fields.Assignee.AccountID != e.sb.Creds.Users[0].AccountID ||
		is.Fields.StoryPoints != 5 || is.Fields.Severity.Value != "Major" {
		t.Errorf("%s as Jira has it: %+v", created.Key, is.Fields)
	}
	var refused struct {
		Error, Field string
		Valid        []string
	}
	if st := b.api("POST", "/api/tickets", map[string]any{"project": "SPACE2", "summary": "x", "type": "Bug",
		"fields": map[string]string{"Severity": "Apocalyptic"}}, &refused); st != http.StatusBadRequest ||
		refused.Field != "Severity" || !slices.Contains(refused.Valid, "Major") || !strings.Contains(refused.Error, `"Apocalyptic" is not a valid Severity`) {
		t.Errorf("unknown option: HTTP %d %+v", st, refused)
	}
}
