package createticket_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

func writeFile(t *testing.T, w *tmtest.World, name, content string) string {
	t.Helper()
	p := filepath.Join(w.F.WorkDir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func results(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestBulkInvalidRows: bad rows in the middle are all reported by line,
// and nothing is sent.
func TestBulkInvalidRows(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	file := writeFile(t, w, "in.csv", "summary,type,labels,Story points\n"+
		"Good one,Task,a;b,3\n"+
		"Bad type,Spaceship,,\n"+
		",Task,,\n"+
		"Bad label,Task,two words,\n"+
		"Bad number,Bug,,lots\n"+
		"Good two,Bug,,5\n")
	w.Fails(t, cli.ExitError, []string{"create-ticket", "--from", file},
		"4 of 6 rows cannot be created; nothing was sent", `line 3: SPACE2 has no issue type "Spaceship"`,
		"line 4: a summary is required", `line 5: label "two words" contains a space`, `line 6: field "Story points" (customfield_10016) wants a number`)
	if n := w.S.E.Requests()["POST /rest/api/3/issue/bulk"]; n != 0 {
		t.Errorf("%d bulk creates sent for an invalid file", n)
	}
	if strings.Contains(w.Err.String(), "line 2") || strings.Contains(w.Err.String(), "line 7") {
		t.Errorf("good lines reported:\n%s", w.Err)
	}

	// A project that does not exist is asked about once, whatever the rows.
	var b strings.Builder
	b.WriteString("project,summary\n")
	for i := range 200 {
		fmt.Fprintf(&b, "NOPE,Row %d\n", i)
	}
	file = writeFile(t, w, "nope.csv", b.String())
	w.S.E.ResetRequests()
	w.Fails(t, cli.ExitError, []string{"create-ticket", "--from", file}, "200 of 200 rows cannot be created", `line 2: Project "NOPE" was not found`, "… and 180 more")
	if n := w.Requests(); n != 1 {
		t.Errorf("%d requests for 200 rows of a missing project, want 1: %v", n, w.S.E.Requests())
	}
}

// TestBulkCreate: 120 rows in three requests, a 429 burst waited out, a
// results file per line, and a second run that creates nothing.
func TestBulkCreate(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	var b strings.Builder
	b.WriteString("summary,type,priority,labels,assignee,Severity\n")
	for i := range 120 {
		fmt.Fprintf(&b, "Row %d,Bug,High,bulk;r%d,me,Major\n", i, i)
	}
	file := writeFile(t, w, "in.csv", b.String())
	f, _ := emulator.ParseFault("POST /rest/api/3/issue/bulk=429:200msx2")
	w.S.E.AddFault(f)
	w.S.E.ResetRequests()
	out := w.MustRun(t, "create-ticket", "--from", file)
	reqs := w.S.E.Requests()
	if reqs["POST /rest/api/3/issue/bulk"] != 5 || reqs["fault 429"] != 2 {
		t.Errorf("requests %v; want 3 bulk creates and the 2 refused by the 429s", reqs)
	}
	// The types, asked for while the file was read, and again by the rows
	// (which wait for that answer): one request.
	for _, lookup := range []string{"GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes",
		"GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}", "GET /rest/api/3/myself"} {
		if reqs[lookup] != 1 {
			t.Errorf("%d × %s, want 1: %v", reqs[lookup], lookup, reqs)
		}
	}
	if !strings.Contains(w.Err.String(), "rate-limiting") || !strings.Contains(w.Err.String(), "Created 120, failed 0, skipped 0") {
		t.Errorf("stderr:\n%s", w.Err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 120 || !strings.HasPrefix(lines[0], "2\tSPACE2-") || !strings.HasPrefix(lines[119], "121\tSPACE2-") {
		t.Errorf("stdout: %d lines, first %q", len(lines), lines[0])
	}
	recs := results(t, filepath.Join(w.F.WorkDir, "in.csv.results.csv"))
	if len(recs) != 121 || recs[1][0] != "2" || !strings.HasPrefix(recs[1][2], "SPACE2-") || recs[1][4] != "" {
		t.Errorf("results file: %d lines, %v", len(recs), recs[1])
	}
	key := recs[50][2]
	var raw struct {
		Fields struct {
			Labels   []string
			Priority struct{ Name string }
			Assignee struct{ DisplayName string }
			Severity struct{ Value string } `json:"customfield_10042"`
		}
	}
	w.MustRun(t, "api", "GET", "issue/"+key)
	_ = json.Unmarshal(w.Out.Bytes(), &raw)
	if raw.Fields.Priority.Name != "High" || raw.Fields.Assignee.DisplayName != "Alex Morgan" || raw.Fields.Severity.Value != "Major" || len(raw.Fields.Labels) != 2 {
		t.Errorf("%s as Jira has it: %+v", key, raw.Fields)
	}

	w.S.E.ResetRequests()
	w.MustRun(t, "create-ticket", "--from", file)
	if n := w.S.E.Requests()["POST /rest/api/3/issue/bulk"]; n != 0 || !strings.Contains(w.Err.String(), "All 120 rows were created before") {
		t.Errorf("second run: %d bulk creates; stderr %s", n, w.Err)
	}
}

// TestBulkPartial: rows Jira refuses are mapped back to their lines; the
// rest are created, and a second run sends only the refused ones.
func TestBulkPartial(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	file := writeFile(t, w, "in.jsonl", `{"summary":"ok 1"}
{"summary":"refused","assignee":"no-such-account"}

{"summary":"ok 2","labels":["x","y"]}
`)
	w.Fails(t, cli.ExitError, []string{"create-ticket", "--from", file, "--json"}, "1 of 3 rows were refused", "Created 2, failed 1")
	var rows []struct {
		Line       int
		Key, Error string
	}
	if err := json.Unmarshal(w.Out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Key == "" || rows[1].Line != 2 || rows[1].Key != "" || !strings.Contains(rows[1].Error, "no-such-account") || rows[2].Line != 4 || rows[2].Key == "" {
		t.Errorf("results %+v", rows)
	}
	w.S.E.ResetRequests()
	w.Fails(t, cli.ExitError, []string{"create-ticket", "--from", file}, "Created 0, failed 1, skipped 2")
}

// TestBulkDataCenter: the same file on Data Center.
func TestBulkDataCenter(t *testing.T) {
	w := tmtest.New(t, emulator.Options{DataCenter: true})
	w.F.IO.SetTTY(false, false, true)
	file := writeFile(t, w, "in.csv", "summary,description,assignee\nOne,**bold**,me\nTwo,,\n")
	w.MustRun(t, "create-ticket", "--from", file)
	if !strings.Contains(w.Err.String(), "\r["+strings.Repeat("#", 30)+"] 2/2") {
		t.Errorf("no progress bar on a terminal:\n%q", w.Err)
	}
	if w.S.E.Requests()["POST /rest/api/2/issue/bulk"] != 1 || !strings.Contains(w.Err.String(), "Created 2") {
		t.Errorf("requests %v, stderr %s", w.S.E.Requests(), w.Err)
	}
}

// TestBulkLostAnswer: a bulk create whose answer is cut off is not sent
// again: tm looks for its tickets first, reports each line it cannot find,
// and the next run sends those lines once. A 503 is reported the same way.
func TestBulkLostAnswer(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	for _, fault := range []string{"truncate", "503"} {
		name := fault + ".csv"
		file := writeFile(t, w, name, "summary\nLost "+fault+" one\nLost "+fault+" two\n")
		f, _ := emulator.ParseFault("POST /rest/api/3/issue/bulk=" + fault + "x1")
		w.S.E.AddFault(f)
		w.S.E.ResetRequests()
		w.Fails(t, cli.ExitError, []string{"create-ticket", "--from", file}, "checking whether the ticket was made", "Created 0, failed 2", "2 of 2 rows were refused")
		if reqs := w.S.E.Requests(); reqs["POST /rest/api/3/issue/bulk"] != 1 || reqs["GET /rest/api/3/search/jql"] < 1 {
			t.Errorf("%s: requests %v; want one bulk create, not repeated, and the lookup", fault, reqs)
		}
		recs := results(t, filepath.Join(w.F.WorkDir, name+".results.csv"))
		if len(recs) != 3 || !strings.Contains(recs[1][4], "Jira did not confirm the bulk create") || !strings.Contains(recs[1][4], "not found among your newest tickets") {
			t.Errorf("%s: results %v", fault, recs)
		}
		w.MustRun(t, "create-ticket", "--from", file)
		if !strings.Contains(w.Err.String(), "Created 2, failed 0, skipped 0") {
			t.Errorf("%s: second run: %s", fault, w.Err)
		}
		w.MustRun(t, "search", "--text", "Lost "+fault, "--count")
		if strings.TrimSpace(w.Out.String()) != "2" {
			t.Errorf("%s: %s tickets exist, want 2", fault, w.Out)
		}
	}
}

// TestBulkResultsThroughLink: a results path that is a link (or a pipe,
// or a device such as /dev/stdout) is written through, never replaced by
// a plain file.
func TestBulkResultsThroughLink(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	file := writeFile(t, w, "in.csv", "summary\nOne\nTwo\n")
	target := filepath.Join(t.TempDir(), "kept.csv")
	link := filepath.Join(w.F.WorkDir, "results.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code := w.Run("create-ticket", "--from", file, "--results", link); code != 0 {
		t.Fatalf("exit %d:\n%s", code, w.Err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the results link was replaced: %v %v", fi.Mode(), err)
	}
	if recs := results(t, target); len(recs) != 3 || recs[1][2] == "" || recs[2][2] == "" {
		t.Errorf("results through the link: %q, want a header and two keys", recs)
	}
}
