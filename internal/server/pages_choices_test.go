package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFormChoicesFollowThePerson: the project, type and priority of the
// last create are the person's, not the browser's: another browser and a
// new sign-in start there, and another person does not.
func TestFormChoicesFollowThePerson(t *testing.T) {
	e := newEnv(t, envOptions{defaultProject: "SPACE2"})
	laptop := e.browser()
	laptop.connect(0, 0)
	p := laptop.postForm("/tickets", url.Values{"project": {"TEAM"}, "type": {"Bug"}, "priority": {"High"}, "summary": {"Remember me"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Created <a href=\"/issues/TEAM-") {
		t.Fatalf("create in TEAM: HTTP %d at %s", p.Status, p.URL)
	}

	wantChoices := func(who string, body string, project, typ, prio string) {
		t.Helper()
		sel := selects(body)
		if got := [3]string{sel["project"].Selected, sel["type"].Selected, sel["priority"].Selected}; got != [3]string{project, typ, prio} {
			t.Errorf("%s: the form starts on %q, want %q", who, got, [3]string{project, typ, prio})
		}
		wantIn(t, who, body, `id="summary" name="summary" value=""`)
	}
	phone := e.browser()
	wantChoices("another browser", phone.connect(0, 0).Body, "TEAM", "Bug", "High")

	if st := laptop.api("POST", "/api/auth/logout", map[string]string{}, nil); st != http.StatusOK {
		t.Fatalf("sign out: HTTP %d", st)
	}
	wantChoices("after signing out and in", laptop.connect(0, 0).Body, "TEAM", "Bug", "High")

	// Choosing a project by hand still wins over what was remembered.
	if got := selects(phone.get("/?project=SPACE2").Body)["project"].Selected; got != "SPACE2" {
		t.Errorf("asked for SPACE2, the form is on %q", got)
	}
	// Someone else on the same site starts on the server's default.
	other := e.browser()
	if got := selects(other.connect(1, 0).Body)["project"].Selected; got == "TEAM" {
		t.Errorf("another person's form starts on TEAM, the first person's choice")
	}
}

// TestSwitchSiteAsksFirst: choosing another site asks before anything
// changes; only the confirmed POST switches.
func TestSwitchSiteAsksFirst(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.browser()
	b.connect(0, 0)
	p := b.connect(0, 1) // Add another site
	first, second := e.sb.Creds.Sites[0], e.sb.Creds.Sites[1]
	current, other := first, second
	if strings.Contains(p.Body, `in <bdi>`+second.Name+`</bdi>`) {
		current, other = second, first
	}
	wantIn(t, "dashboard with two sites", p.Body, `<form method="get" action="/sites/switch" class="row">`, "Switch site…")

	p = b.get("/sites/switch?cloudId=" + url.QueryEscape(other.CloudID))
	if p.Status != http.StatusOK {
		t.Fatalf("switch question: HTTP %d", p.Status)
	}
	wantIn(t, "switch question", p.Body, "Switch to \u2068"+other.Name+"\u2069?",
		`<input type="hidden" name="cloudId" value="`+other.CloudID+`">`, `id="confirm-switch"`,
		`<form method="post" action="/sites/select"`, "Stay on \u2068"+current.Name+"\u2069")
	if body := b.get("/").Body; !strings.Contains(body, `in <bdi>`+current.Name+`</bdi>`) {
		t.Errorf("asking switched the site already:\n%s", clip(body, 2000))
	}

	p = b.postForm("/sites/select", url.Values{"cloudId": {other.CloudID}})
	wantIn(t, "after confirming", p.Body, "You are now working in "+other.Name+".", `in <bdi>`+other.Name+`</bdi>`)

	p = b.get("/sites/switch?cloudId=" + url.QueryEscape(other.CloudID))
	if p.URL != e.URL+"/" || !strings.Contains(p.Body, "You are already working in "+other.Name+".") {
		t.Errorf("switching to the current site: %s\n%s", p.URL, clip(p.Body, 2000))
	}
	p = b.get("/sites/switch?cloudId=not-mine")
	if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "That site is not in your Jira connection.") {
		t.Errorf("switching to an unknown site: HTTP %d\n%s", p.Status, clip(p.Body, 2000))
	}
}
