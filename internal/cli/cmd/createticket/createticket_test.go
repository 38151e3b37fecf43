package createticket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/clitest"
	"github.com/ticket-mate/tm/internal/cli/cmd/createticket"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/openapitest"
)

type world struct {
	s        *emulatortest.Server
	f        *factory.Factory
	hc       *http.Client
	env      map[string]string
	in       *bytes.Buffer
	out, err *bytes.Buffer
	opened   []string
}

// newWorld wires a factory to the emulator as the seed's first user with
// a classic API token; env changes adjust it.
func newWorld(t *testing.T, s *emulatortest.Server, env map[string]string) *world {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	w := &world{s: s, in: in, out: out, err: errOut,
		hc: &http.Client{Transport: openapitest.Transport(t, http.DefaultTransport)}}
	you := s.You()
	w.env = map[string]string{"ATLASSIAN_BASE_URL": s.URL, "ATLASSIAN_EMAIL": you.Email, "ATLASSIAN_API_KEY": you.ClassicToken,
		"ATLASSIAN_API_URL": s.URL}
	for k, v := range env {
		w.env[k] = v
	}
	w.f = &factory.Factory{IO: ios, WorkDir: t.TempDir(), CacheDir: t.TempDir(), Now: time.Now,
		LookupEnv:  func(k string) (string, bool) { v, ok := w.env[k]; return v, ok },
		HTTPClient: func() *http.Client { return w.hc }}
	return w
}

func (w *world) create(o createticket.Options) error {
	w.out.Reset()
	w.err.Reset()
	o.IO, o.Connect, o.Cache, o.WorkDir = w.f.IO, w.f.Connect, w.f, w.f.WorkDir
	o.Browser = func(u string) error { w.opened = append(w.opened, u); return nil }
	return createticket.Run(context.Background(), &o)
}

// requests is the number of requests the emulator got since the last
// reset (a faulted request counts under its operation and again as a fault).
func (w *world) requests() int {
	n := 0
	for k, c := range w.s.E.Requests() {
		if !strings.HasPrefix(k, "fault ") {
			n += c
		}
	}
	return n
}

// issue reads an issue back through the REST API of the emulator's kind.
func (w *world) issue(t *testing.T, key string, v string) map[string]json.RawMessage {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.s.URL+"/rest/api/"+v+"/issue/"+key, nil)
	if v == "2" {
		req.Header.Set("Authorization", "Bearer "+w.s.You().PAT)
	} else {
		req.SetBasicAuth(w.s.You().Email, w.s.You().ClassicToken)
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var is struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&is); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET issue %s: %d %v", key, resp.StatusCode, err)
	}
	return is.Fields
}

func (w *world) createdKey(t *testing.T) string {
	t.Helper()
	key, rest, _ := strings.Cut(w.out.String(), "\n")
	if !strings.HasPrefix(rest, w.s.URL+"/browse/"+key) || key == "" {
		t.Fatalf("output %q: want the key, then the browse link on the site", w.out)
	}
	return key
}

// TestCreateCloud: Markdown becomes ADF; the create is two requests cold
// and one once the project's issue types are cached.
func TestCreateCloud(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.create(createticket.Options{Title: "Fix login", Description: "Steps: **open** the page"}); err != nil {
		t.Fatal(err)
	}
	if n := w.requests(); n != 2 {
		t.Errorf("cold create: %d requests (%v), want 2", n, s.E.Requests())
	}
	key := w.createdKey(t)
	fields := w.issue(t, key, "3")
	var desc struct {
		Type    string `json:"type"`
		Content []struct {
			Content []struct {
				Text  string `json:"text"`
				Marks []struct {
					Type string `json:"type"`
				} `json:"marks"`
			} `json:"content"`
		} `json:"content"`
	}
	if err := json.Unmarshal(fields["description"], &desc); err != nil || desc.Type != "doc" ||
		len(desc.Content) != 1 || len(desc.Content[0].Content) < 2 || desc.Content[0].Content[1].Text != "open" ||
		len(desc.Content[0].Content[1].Marks) != 1 || desc.Content[0].Content[1].Marks[0].Type != "strong" {
		t.Errorf("description %s: want ADF with a strong \"open\"", fields["description"])
	}
	var it struct{ Name string }
	_ = json.Unmarshal(fields["issuetype"], &it)
	if it.Name != "Task" {
		t.Errorf("issue type %q, want the default Task", it.Name)
	}

	s.E.ResetRequests()
	if err := w.create(createticket.Options{Title: "Second"}); err != nil {
		t.Fatal(err)
	}
	if got := s.E.Requests(); len(got) != 1 || got["POST /rest/api/3/issue"] != 1 {
		t.Errorf("warm create: %v; want only the POST", got)
	}
}

// TestCreateDataCenter: Data Center gets wiki markup over REST v2.
func TestCreateDataCenter(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{DataCenter: true})
	w := newWorld(t, s, map[string]string{"ATLASSIAN_AUTH_MODE": "BEARER", "ATLASSIAN_API_KEY": s.You().PAT})
	if err := w.create(createticket.Options{Title: "DC", Description: "Steps: **open** the page", Assignee: "me"}); err != nil {
		t.Fatal(err)
	}
	fields := w.issue(t, w.createdKey(t), "2")
	var desc string
	if err := json.Unmarshal(fields["description"], &desc); err != nil || desc != "Steps: *open* the page" {
		t.Errorf("description %s: want the wiki string \"Steps: *open* the page\"", fields["description"])
	}
	var as struct{ Name string }
	_ = json.Unmarshal(fields["assignee"], &as)
	if as.Name != s.You().Username {
		t.Errorf("assignee %s; want %s by username", fields["assignee"], s.You().Username)
	}
}

// TestCreateThroughGateway: the link is on the site, not the gateway.
func TestCreateThroughGateway(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, map[string]string{"ATLASSIAN_API_KEY": s.You().ScopedToken, "ATLASSIAN_USE_CLOUD_API": "true",
		"ATLASSIAN_CLOUD_ID": s.Creds.Sites[0].CloudID})
	if err := w.create(createticket.Options{Title: "Via gateway", JSON: true, Open: true}); err != nil {
		t.Fatal(err)
	}
	var tk tm.Ticket
	if err := json.Unmarshal(w.out.Bytes(), &tk); err != nil || tk.URL != s.URL+"/browse/"+tk.Key || !strings.HasPrefix(tk.Key, "SPACE2-") {
		t.Fatalf("--json %s: %v", w.out, err)
	}
	if len(w.opened) != 1 || w.opened[0] != tk.URL {
		t.Errorf("--open opened %v", w.opened)
	}
	if got := s.E.Requests(); got["POST /rest/api/3/issue"] != 1 || got["GET /_edge/tenant_info"] != 0 {
		t.Errorf("requests %v; want one create and no cloud-id lookup (it is configured)", got)
	}
}

// TestNamesResolved: type, priority and custom fields by name; three
// requests cold, one warm.
func TestNamesResolved(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	o := createticket.Options{Title: "Named", Type: "bug", Priority: "High", Labels: []string{"mobile", "ios"},
		Fields: []string{"Story points=3", "severity=Major", "Customer reference=ACME-1", "Acceptance criteria=- works"}}
	if err := w.create(o); err != nil {
		t.Fatal(err)
	}
	if n := w.requests(); n != 3 {
		t.Errorf("cold: %d requests %v; want issue types, the Bug screen, the create", n, s.E.Requests())
	}
	fields := w.issue(t, w.createdKey(t), "3")
	for id, want := range map[string]string{
		"issuetype": `"name":"Bug"`, "priority": `"name":"High"`, "labels": `["ios","mobile"]`,
		"customfield_10016": `3`, "customfield_10042": `"value":"Major"`, "customfield_10040": `"ACME-1"`,
		"customfield_10041": `"type":"bulletList"`,
	} {
		got := string(fields[id])
		if id == "labels" {
			var ls []string
			_ = json.Unmarshal(fields[id], &ls)
			if strings.Join(ls, ",") != "ios,mobile" && strings.Join(ls, ",") != "mobile,ios" {
				t.Errorf("labels %s", got)
			}
			continue
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s = %s; want it to contain %s", id, got, want)
		}
	}
	s.E.ResetRequests()
	if err := w.create(o); err != nil {
		t.Fatal(err)
	}
	if n := w.requests(); n != 1 {
		t.Errorf("warm: %d requests %v; want 1", n, s.E.Requests())
	}
}

// TestUnknownNames: a name Jira does not know lists the valid ones, and
// nothing is created.
func TestUnknownNames(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	err := w.create(createticket.Options{Title: "x", Type: "Bgu"})
	clitest.WantError(t, err, tm.EINVALID, `SPACE2 has no issue type "Bgu"`, "Valid types in SPACE2: Task, Bug, Story, Epic.")
	err = w.create(createticket.Options{Title: "x", Priority: "Urgent"})
	clitest.WantError(t, err, tm.EINVALID, `"Urgent" is not a valid Priority`, "Valid values: Highest, High, Medium, Low, Lowest", `--priority "Highest"`)
	err = w.create(createticket.Options{Title: "x", Fields: []string{"Sevrity=Major"}})
	clitest.WantError(t, err, tm.EINVALID, `has no field "Sevrity"`, "Severity", "Story points")
	err = w.create(createticket.Options{Title: "x", Fields: []string{"Severity=Blocker"}})
	clitest.WantError(t, err, tm.EINVALID, `"Blocker" is not a valid Severity`, "Critical, Major, Minor")
	err = w.create(createticket.Options{Title: "x", Fields: []string{"Story points=lots"}})
	clitest.WantError(t, err, tm.EINVALID, `field "Story points" (customfield_10016) wants a number, not "lots"`)
	err = w.create(createticket.Options{Title: "x", Labels: []string{"two words"}})
	clitest.WantError(t, err, tm.EINVALID, `label "two words" contains a space`, "--label two-words")
	if n := s.E.Requests()["POST /rest/api/3/issue"]; n != 0 {
		t.Errorf("%d creates sent for invalid input", n)
	}
}

// TestJiraRefuses: Jira's 400s come back per field, with what to do.
func TestJiraRefuses(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	err := w.create(createticket.Options{Project: "TEAM", Title: "no priority"})
	clitest.WantError(t, err, tm.EINVALID, "Task issues in TEAM need a priority", "Valid priorities: Highest, High, Medium, Low, Lowest", `--priority "Highest"`)
	err = w.create(createticket.Options{Project: "OPS", Title: "not allowed"})
	clitest.WantError(t, err, tm.EFORBIDDEN, "Jira offers you no issue types in OPS", "tm check-permissions -p OPS")
	err = w.create(createticket.Options{Project: "NOPE", Title: "nowhere"})
	clitest.WantError(t, err, tm.ENOTFOUND, `Project "NOPE" was not found`, "case-sensitive", "tm ls-projects")
	err = w.create(createticket.Options{Project: "space2", Title: "lower case key"})
	if err != nil || !strings.Contains(w.err.String(), "using SPACE2") || !strings.HasPrefix(w.out.String(), "SPACE2-") {
		t.Errorf("lower-case key: %v, stdout %q, stderr %q", err, w.out, w.err)
	}
}

// TestStaleCache: an id from the cache that Jira rejects is dropped, the
// metadata fetched again and the create sent once more.
func TestStaleCache(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.create(createticket.Options{Title: "warm the cache"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(w.f.CacheDir, "createmeta-*.json"))
	if len(entries) != 1 {
		t.Fatalf("cache entries %v, want one", entries)
	}
	st, _ := os.Stat(entries[0])
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(entries[0])
	stale := strings.Replace(string(data), `"id":"10001","name":"Task"`, `"id":"99999","name":"Task"`, 1)
	if stale == string(data) {
		t.Fatalf("cache content not as expected: %s", data)
	}
	os.WriteFile(entries[0], []byte(stale), 0o600)
	s.E.ResetRequests()
	if err := w.create(createticket.Options{Title: "after a config change"}); err != nil {
		t.Fatalf("%v", err)
	}
	got := s.E.Requests()
	if got["POST /rest/api/3/issue"] != 2 || w.requests() != 3 {
		t.Errorf("requests %v; want the rejected create, a fresh issue-type list, the create", got)
	}
}

// TestDryRun sends nothing and shows the request.
func TestDryRun(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.create(createticket.Options{Title: "Dry", Description: "*hi*", Priority: "High", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if n := w.requests(); n != 0 {
		t.Errorf("dry run sent %d requests", n)
	}
	out := w.out.String()
	for _, want := range []string{"POST " + s.URL + "/rest/api/3/issue\n", `"summary": "Dry"`, `"type": "doc"`, `"name": "Task"`, `"name": "High"`, `"key": "SPACE2"`} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(w.err.String(), "nothing was sent") || !strings.Contains(w.err.String(), `issue type "Task"`) {
		t.Errorf("stderr %q", w.err)
	}
	if strings.Contains(out+w.err.String(), s.You().ClassicToken) {
		t.Error("the dry run shows the token")
	}
}

// TestAssignee: me (remembered), an email (user search), an account id.
func TestAssignee(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	mia := s.User(t, "mia@sandbox.example")
	for _, tc := range []struct{ assignee, want string }{
		{"me", s.You().AccountID}, {"mia@sandbox.example", mia.AccountID}, {mia.AccountID, mia.AccountID},
	} {
		if err := w.create(createticket.Options{Title: "assign " + tc.assignee, Assignee: tc.assignee}); err != nil {
			t.Fatalf("%s: %v", tc.assignee, err)
		}
		var as struct{ AccountID string }
		_ = json.Unmarshal(w.issue(t, w.createdKey(t), "3")["assignee"], &as)
		if as.AccountID != tc.want {
			t.Errorf("--assignee %s: assigned %q, want %q", tc.assignee, as.AccountID, tc.want)
		}
	}
	s.E.ResetRequests()
	if err := w.create(createticket.Options{Title: "me again", Assignee: "me"}); err != nil {
		t.Fatal(err)
	}
	if n := w.requests(); n != 1 {
		t.Errorf("--assignee me with a warm cache: %d requests %v, want 1", n, s.E.Requests())
	}
	err := w.create(createticket.Options{Title: "nobody", Assignee: "nobody@sandbox.example"})
	clitest.WantError(t, err, tm.EINVALID, `no Jira user matches "nobody@sandbox.example"`, "Browse users and groups", "--assignee")
}

// TestDescriptionSources: -d - reads stdin, -d @file a file.
func TestDescriptionSources(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	os.WriteFile(filepath.Join(w.f.WorkDir, "notes.md"), []byte("from the file"), 0o600)
	for _, tc := range []struct{ flag, stdin, want string }{{"-", "from stdin", "from stdin"}, {"@notes.md", "", "from the file"}} {
		w.in.Reset()
		w.in.WriteString(tc.stdin)
		if err := w.create(createticket.Options{Title: "desc " + tc.flag, Description: tc.flag}); err != nil {
			t.Fatal(err)
		}
		if d := string(w.issue(t, w.createdKey(t), "3")["description"]); !strings.Contains(d, tc.want) {
			t.Errorf("-d %s: description %s", tc.flag, d)
		}
	}
	err := w.create(createticket.Options{Title: "x", Description: "@missing.md"})
	clitest.WantError(t, err, tm.EINVALID, "cannot read the description file missing.md", "-d -")
}

// TestCreateNotRepeated: a create that got no clear answer is not sent
// again; tm looks, and says what to check. Exit status 1.
func TestCreateNotRepeated(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.create(createticket.Options{Title: "warm"}); err != nil {
		t.Fatal(err)
	}
	f, _ := emulator.ParseFault("POST /rest/api/3/issue=503x1")
	s.E.AddFault(f)
	s.E.ResetRequests()
	w.out.Reset()
	start := time.Now()
	code := cli.Run(w.f, []string{"create-ticket", "-t", "Lost answer"})
	if code != cli.ExitError {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"Jira did not confirm the create (503 Service Unavailable)", "no ticket carrying this request's marker",
		"before trying again", s.URL + "/issues/?jql=project+%3D+%22SPACE2%22+ORDER+BY+created+DESC", "checking whether the ticket was made"} {
		if !strings.Contains(w.err.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, w.err)
		}
	}
	got := s.E.Requests()
	if got["POST /rest/api/3/issue"] != 1 || got["fault 503"] != 1 || got["GET /rest/api/3/search/jql"] < 1 {
		t.Errorf("requests %v; want one create and the lookup", got)
	}
	t.Logf("lookup took %v", time.Since(start))
}

// TestCreateUncheckable: when the search that would confirm a lost create
// fails too, tm says it could not check, and why — not that no ticket
// appeared.
func TestCreateUncheckable(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.create(createticket.Options{Title: "warm"}); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"POST /rest/api/3/issue=503x1", "GET /rest/api/3/search/jql=400"} {
		f, _ := emulator.ParseFault(spec)
		s.E.AddFault(f)
	}
	err := w.create(createticket.Options{Title: "Lost answer, search down"})
	clitest.WantError(t, err, tm.EUNAVAILABLE, "Jira did not confirm the create (503 Service Unavailable)",
		"could not be checked: the search for it failed (400 Bad Request", "before trying again")
	if strings.Contains(err.Error(), "no ticket carrying this request's marker") {
		t.Errorf("claims nothing appeared though it could not look: %v", err)
	}
}

// TestScopeMissing: a scoped token without write:jira-work is told so.
func TestScopeMissing(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	mia := s.User(t, "mia@sandbox.example")
	w := newWorld(t, s, map[string]string{"ATLASSIAN_EMAIL": mia.Email, "ATLASSIAN_API_KEY": mia.ScopedToken, "ATLASSIAN_USE_CLOUD_API": "true"})
	code := cli.Run(w.f, []string{"create-ticket", "-t", "no write scope"})
	if code != cli.ExitAuthError || !strings.Contains(w.err.String(), "lacks the scope write:jira-work") {
		t.Errorf("exit %d, stderr:\n%s", code, w.err)
	}
}

// TestFlags: NewCmd only parses; the options reach Run as typed.
func TestFlags(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	var got *createticket.Options
	cmd := createticket.NewCmd(w.f, func(_ context.Context, o *createticket.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"-p", "TEAM", "-t", "Title", "-d", "@x.md", "--type", "Bug", "--priority", "High", "-l", "a", "--label", "b",
		"-a", "me", "--component", "API", "--parent", "TEAM-1", "--field", "Story points=3", "--dry-run", "--json", "--open"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Project != "TEAM" || got.Title != "Title" || got.Description != "@x.md" || got.Type != "Bug" || got.Priority != "High" ||
		strings.Join(got.Labels, ",") != "a,b" || got.Assignee != "me" || strings.Join(got.Components, ",") != "API" ||
		got.Parent != "TEAM-1" || strings.Join(got.Fields, ",") != "Story points=3" || !got.DryRun || !got.JSON || !got.Open {
		t.Errorf("options %+v", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "X"}, "a title is required"},
		{[]string{"-t", "x", "--field", "novalue"}, `--field "novalue": want "Field name=value"`},
	} {
		cmd := createticket.NewCmd(w.f, func(context.Context, *createticket.Options) error { return nil })
		cmd.SetArgs(tc.args)
		cmd.SetErr(&bytes.Buffer{})
		var ue *factory.UsageError
		if err := cmd.Execute(); !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want a usage error with %q", tc.args, err, tc.want)
		}
	}
}

// TestSubtask: a sub-task under its parent.
func TestSubtask(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	if err := w.create(createticket.Options{Title: "parent"}); err != nil {
		t.Fatal(err)
	}
	parent := w.createdKey(t)
	if err := w.create(createticket.Options{Title: "child", Type: "Subtask", Parent: strings.ToLower(parent)}); err != nil {
		t.Fatal(err)
	}
	var p struct{ Key string }
	_ = json.Unmarshal(w.issue(t, w.createdKey(t), "3")["parent"], &p)
	if p.Key != parent {
		t.Errorf("parent %q, want %s", p.Key, parent)
	}
	s.E.ResetRequests()
	err := w.create(createticket.Options{Title: "orphan", Type: "Subtask"})
	clitest.WantError(t, err, tm.EINVALID, "Subtask is a sub-task type: give the parent issue's key", "Other types in SPACE2: Task, Bug", `--type "Task"`)
	if n := s.E.Requests()["POST /rest/api/3/issue"]; n != 0 {
		t.Errorf("%d creates sent for a sub-task without a parent", n)
	}
}

// TestPromptsOnATerminal: with no -t at a terminal, tm asks for the title
// and type and opens $VISUAL for the description; piped, it asks nothing
// and says -t is required.
func TestPromptsOnATerminal(t *testing.T) {
	s := emulatortest.Start(t, emulator.Options{})
	w := newWorld(t, s, nil)
	editor := filepath.Join(t.TempDir(), "editor")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\necho 'From the **editor**' > \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	w.env["VISUAL"] = editor
	w.f.IO.SetTTY(true, false, true)
	w.in.WriteString("Asked for\nBug\ny\n")
	var got *createticket.Options
	cmd := createticket.NewCmd(w.f, func(_ context.Context, o *createticket.Options) error { got = o; return nil })
	cmd.SetArgs([]string{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, w.err)
	}
	if got.Title != "Asked for" || got.Type != "Bug" {
		t.Errorf("asked: title %q, type %q", got.Title, got.Type)
	}
	if !strings.Contains(w.err.String(), "Title: ") || !strings.Contains(w.err.String(), "Type [Task]: ") {
		t.Errorf("prompts: %q", w.err)
	}

	w.f.IO.SetTTY(false, false, false)
	cmd = createticket.NewCmd(w.f, func(context.Context, *createticket.Options) error { t.Error("ran without a title"); return nil })
	cmd.SetArgs([]string{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "a title is required") {
		t.Errorf("piped without -t: %v", err)
	}
}
