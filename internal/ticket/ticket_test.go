package ticket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/openapitest"
	"github.com/ticket-mate/tm/internal/ticket"
)

// sandbox is a ticket service against a fresh sandbox as its first user,
// every request and response checked against the OpenAPI document.
type sandbox struct {
	s   *emulatortest.Server
	t   testing.TB
	dc  bool
	c   *jira.Client
	svc *ticket.Service
}

func newSandbox(t *testing.T, o emulator.Options) *sandbox {
	t.Helper()
	sb := &sandbox{s: emulatortest.Start(t, o), t: t, dc: o.DataCenter}
	return sb.with(http.DefaultTransport)
}

// fault adds the sandbox faults specs describe (see emulator.ParseFault).
func (sb *sandbox) fault(specs ...string) {
	sb.t.Helper()
	for _, spec := range specs {
		f, err := emulator.ParseFault(spec)
		if err != nil {
			sb.t.Fatal(err)
		}
		sb.s.E.AddFault(f)
	}
}

// with is the same sandbox reached through base.
func (sb *sandbox) with(base http.RoundTripper, opts ...jira.Option) *sandbox {
	hc := &http.Client{Transport: openapitest.Transport(sb.t, base)}
	out := *sb
	if sb.dc {
		out.c = jira.NewClient(hc, sb.s.URL, jira.BearerAuth{Token: tm.Secret(sb.s.You().PAT)}, append(opts, jira.WithDataCenter())...)
	} else {
		out.c = jira.NewClient(hc, sb.s.URL, jira.BasicAuth{Email: sb.s.You().Email, Token: tm.Secret(sb.s.You().ClassicToken)}, opts...)
	}
	out.svc = ticket.New(out.c, nil)
	return &out
}

// wantErr checks err is a *tm.Error with code whose text has every part.
func wantErr(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	var te *tm.Error
	if !errors.As(err, &te) || te.Code != code {
		t.Errorf("error %v (code %q), want a %s *tm.Error", err, tm.ErrorCode(err), code)
		return
	}
	for _, p := range parts {
		if !strings.Contains(te.Error(), p) {
			t.Errorf("error lacks %q:\n%s", p, te.Error())
		}
	}
}

// TestDraftChecked: what Jira would refuse is refused before any request,
// in characters (not bytes), with the count and the limit.
func TestDraftChecked(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		draft tm.TicketDraft
		want  string
	}{
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "  "}, "a summary is required"},
		{tm.TicketDraft{Summary: "x"}, "a project is required"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: strings.Repeat("ж", 256)}, "the summary is 256 characters; Jira takes at most 255"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "bad \xff byte"}, "the summary is not valid UTF-8"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "nul \x00"}, "the summary contains a NUL byte (at character 5)"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "two\nlines"}, "the summary contains a line break"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Description: strings.Repeat("€", ticket.MaxText+1)}, "the description is 32768 characters; Jira keeps at most 32767"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Description: "a\x00b"}, "the description contains a NUL byte"},
		{tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Labels: []string{"two words"}}, "label \"two words\" contains a space"},
	} {
		_, err := sb.svc.Create(ctx, tc.draft)
		wantErr(t, err, tm.EINVALID, tc.want)
	}
	if n := len(sb.s.E.Requests()); n != 0 {
		t.Errorf("requests sent for refused drafts: %v", sb.s.E.Requests())
	}
	// The limit is on what Jira stores: on Cloud the document's JSON (a
	// paragraph adds 97 characters of markup), counted in characters, not
	// bytes. One past it is refused here; at it, the sandbox takes it.
	const paragraph = 97
	_, err := sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Description: strings.Repeat("€", ticket.MaxText-paragraph+1)})
	wantErr(t, err, tm.EINVALID, "the description is 32768 characters as Jira stores it in its document format (ADF) (32671 as written); Jira keeps at most 32767")
	if n := len(sb.s.E.Requests()); n != 0 {
		t.Errorf("requests sent for refused drafts: %v", sb.s.E.Requests())
	}
	tk, err := sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "space2", Summary: strings.Repeat("ж", 255), Description: strings.Repeat("€", ticket.MaxText-paragraph)})
	if err != nil || !strings.HasPrefix(tk.Key, "SPACE2-") {
		t.Errorf("at the limits: %+v %v", tk, err)
	}
	dc := newSandbox(t, emulator.Options{DataCenter: true})
	tk, err = dc.svc.Create(ctx, tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Description: strings.Repeat("€", ticket.MaxText)})
	if err != nil || tk.Key == "" {
		t.Errorf("Data Center, at the limit of wiki markup: %+v %v", tk, err)
	}
}

// TestCreateExplained: each refusal says what it is about — only a
// missing project is "not found" as a project, an unknown assignee is a
// user no one matches, and the rest name what Jira said.
func TestCreateExplained(t *testing.T) {
	sb := newSandbox(t, emulator.Options{})
	ctx := context.Background()
	_, err := sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "NOPE", Summary: "x"})
	wantErr(t, err, tm.ENOTFOUND, `Project "NOPE" was not found`, "case-sensitive")
	var d *ticket.Detail
	if !errors.As(err, &d) || d.Field != "project" || d.Project != "NOPE" {
		t.Errorf("detail %+v, want the project", d)
	}
	_, err = sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Assignee: "nobody@sandbox.example"})
	wantErr(t, err, tm.EINVALID, `no Jira user matches "nobody@sandbox.example"`)
	_, err = sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Assignee: "no-such-account-id"})
	wantErr(t, err, tm.EINVALID, "no-such-account-id")
	_, err = sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "SPACE2", Summary: "x", Parent: "SPACE2-99999"})
	wantErr(t, err, tm.EINVALID, "Jira refused the ticket:")
	if strings.Contains(err.Error(), "Project") {
		t.Errorf("a missing parent reads as a missing project: %v", err)
	}
	_, err = sb.svc.Create(ctx, tm.TicketDraft{ProjectKey: "TEAM", Summary: "x"})
	wantErr(t, err, tm.EINVALID, "Task issues in TEAM need a priority", "Valid priorities: Highest")
}

// TestExplain404: a 404 that is not a project's names the endpoint.
func TestExplain404(t *testing.T) {
	je := &jira.Error{Method: "GET", URL: "https://x.example/rest/api/3/issue/SPACE2-1/remotelink?x=1", StatusCode: 404}
	err := ticket.Explain(je, ticket.About{Project: "SPACE2"})
	wantErr(t, err, tm.ENOTFOUND, "Jira answered 404 Not Found to GET /rest/api/3/issue/SPACE2-1/remotelink")
	if strings.Contains(err.Error(), "Project") {
		t.Errorf("an endpoint's 404 reads as a missing project: %v", err)
	}
	err = ticket.Explain(&jira.Error{Method: "GET", URL: "https://x.example/rest/api/3/issue/SPACE2-1", StatusCode: 404,
		ErrorMessages: []string{"Issue does not exist or you do not have permission to see it."}}, ticket.About{Issue: "SPACE2-1"})
	wantErr(t, err, tm.ENOTFOUND, "Issue SPACE2-1 does not exist, or you cannot see it")
	err = ticket.Explain(&jira.Error{Method: "GET", URL: "https://x.example/rest/api/3/project/NOPE", StatusCode: 404,
		ErrorMessages: []string{"No project could be found with key 'NOPE'."}}, ticket.About{Project: "NOPE"})
	wantErr(t, err, tm.ENOTFOUND, `Project "NOPE" was not found`)
	err = ticket.Explain(&jira.Error{Method: "GET", URL: "https://x.example/rest/api/3/mypermissions?projectKey=NOPE", StatusCode: 404,
		ErrorMessages: []string{"No project could be found with key 'NOPE'."}}, ticket.About{})
	wantErr(t, err, tm.ENOTFOUND, "Jira found no such project (No project could be found with key 'NOPE'.)")
	// Refused credentials are the front end's to explain.
	auth := &jira.Error{Method: "GET", URL: "https://x.example/rest/api/3/myself", StatusCode: 401}
	if got := ticket.Explain(auth, ticket.About{}); got != error(auth) {
		t.Errorf("401 explained as %v; want it passed through", got)
	}
}

// TestCreateDataCenter: the same draft on Data Center: wiki markup,
// usernames, REST v2.
func TestCreateDataCenter(t *testing.T) {
	sb := newSandbox(t, emulator.Options{DataCenter: true})
	tk, err := sb.svc.Create(context.Background(), tm.TicketDraft{ProjectKey: "SPACE2", Summary: "DC", Description: "**bold**", Assignee: "me", IssueType: "bug"})
	if err != nil || tk.Key == "" {
		t.Fatalf("create: %+v %v", tk, err)
	}
	if sb.s.E.Requests()["POST /rest/api/2/issue"] != 1 {
		t.Errorf("requests %v; want one create on REST v2", sb.s.E.Requests())
	}
}

// screened adds a required field without a default to the screen of the
// "Done" transition, as a workflow with a transition screen has.
type screened struct{ base http.RoundTripper }

func (s screened) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/transitions") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m struct {
		Expand      string           `json:"expand"`
		Transitions []map[string]any `json:"transitions"`
	}
	_ = json.Unmarshal(body, &m)
	for _, t := range m.Transitions {
		if t["name"] == "Done" {
			t["hasScreen"] = true
			t["fields"] = map[string]any{"customfield_10050": map[string]any{"key": "customfield_10050", "name": "Root cause",
				"required": true, "hasDefaultValue": false, "operations": []string{"set"}, "schema": map[string]any{"type": "string"}}}
		}
	}
	body, _ = json.Marshal(m)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestTransitionNeedsField: a transition whose screen needs a field tm
// cannot fill is not attempted; tm names the field and where to do it.
func TestTransitionNeedsField(t *testing.T) {
	sb := newSandbox(t, emulator.Options{}).with(screened{http.DefaultTransport})
	ts, err := sb.svc.Transitions(context.Background(), "SPACE2-4")
	if err != nil || len(ts) != 2 || !slices.Equal(ts[1].Required, []string{"Root cause"}) {
		t.Fatalf("transitions %+v %v", ts, err)
	}
	_, err = sb.svc.Transition(context.Background(), "SPACE2-4", ticket.Move{To: "done"})
	wantErr(t, err, tm.EINVALID, `"Done" on SPACE2-4 needs Root cause`, sb.s.URL+"/browse/SPACE2-4")
	var d *ticket.Detail
	if !errors.As(err, &d) || d.Field != "Root cause" || !d.Required {
		t.Errorf("detail %+v", d)
	}
	_, err = sb.svc.Transition(context.Background(), "SPACE2-4", ticket.Move{To: "done", Fields: []tm.FieldValue{{Name: "Rot cause", Value: "x"}}})
	wantErr(t, err, tm.EINVALID, `the screen of "Done" on SPACE2-4 has no field "Rot cause"`, "Root cause")
	if n := sb.s.E.Requests()["POST /rest/api/3/issue/{issueIdOrKey}/transitions"]; n != 0 {
		t.Errorf("%d transitions sent", n)
	}
}
