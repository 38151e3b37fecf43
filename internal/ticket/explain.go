package ticket

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// Detail says what a refusal was about, so that each front end can add its
// own way out (a flag, a form field, a route). It sits in the chain of the
// *tm.Error the service returns: errors.As(err, &detail).
type Detail struct {
	// Field is the input concerned: "project", "type", "priority",
	// "assignee", "parent", "summary", "description", "labels",
	// "components", "comment", or a custom field's name as given.
	Field string
	// Valid lists the values Jira offers, when the value given was not one.
	Valid []string
	// Example is a value that would do.
	Example string
	// Required reports that the field was left out and Jira needs it.
	Required bool
	Project  string // the project concerned, if any
	Issue    string // the issue concerned, if any
	Err      error  // Jira's answer, if any
}

func (d *Detail) Error() string {
	if d.Err != nil {
		return d.Err.Error()
	}
	return "ticket: " + d.Field
}

func (d *Detail) Unwrap() error { return d.Err }

// detailed puts d into e's chain, between e and its cause.
func detailed(e *tm.Error, d *Detail) *tm.Error {
	d.Err, e.Err = e.Err, d
	return e
}

// About is what a failed call was for, so its explanation can be specific.
type About struct {
	Project string // the project the call was about
	Issue   string // the issue key the call was about
	User    string // the user asked for (an assignee)
	Site    string // the site's URL, for links to it; from the request when ""
}

// Explain turns a Jira refusal into a *tm.Error that says what happened,
// why it probably happened and what to do next. A refusal of the
// credentials (401, a missing scope, an OAuth error) is returned as it is:
// its remedy is the front end's configuration or sign-in. Errors that are
// not Jira's pass through, as do errors already explained.
func Explain(err error, about About) error {
	var je *jira.Error
	if err == nil || !errors.As(err, &je) {
		return err
	}
	var te *tm.Error
	if errors.As(err, &te) || je.AuthFailed() || je.OAuthError != "" {
		return err
	}
	detail := strings.Join(je.Messages(), "; ")
	var redirect *tm.RedirectError
	var stall *jira.StallError
	switch {
	case je.Uncertain && strings.HasSuffix(je.Path(), "/issue"):
		return uncertain(err, je, about)
	case je.Uncertain:
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira did not confirm %s %s (%s): it may or may not have been done", je.Method, je.Path(), je.Status()),
			Hint:    "Look before trying again, so that nothing is done twice."}
	case errors.As(je, &redirect):
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira's address answered %s %s with a redirect elsewhere, which was not followed: credentials go only to the address they were set up for", je.Method, je.Path()),
			Hint:    "This usually means a proxy or single sign-on page in front of Jira, or a wrong site address."}
	case je.HTML:
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira answered %s %s with a web page%s where it sends data", je.Method, je.Path(), quotedTitle(je)),
			Hint:    "This is usually a single sign-on page or a proxy in front of Jira, or a site address that is not Jira's."}
	case errors.As(je, &stall) && stall.Connected:
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Connected to Jira at %s, then it stopped answering: no answer to %s %s after %s", origin(je.URL), je.Method, je.Path(), stall.After.Round(100*time.Millisecond)),
			Hint:    "Jira, or a proxy in front of it, took the request and went quiet. Try again in a minute."}
	case errors.As(je, &stall):
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Could not connect to Jira at %s within %s", origin(je.URL), stall.After.Round(100*time.Millisecond)),
			Hint:    "Check the site address, the network and any proxy, then try again."}
	case je.StatusCode == 0:
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Could not reach Jira at %s: %s", origin(je.URL), je.Status()),
			Hint:    "Check the site address, the network and any proxy, then try again."}
	case je.RateLimited():
		return &tm.Error{Code: tm.ERATELIMIT, Err: err, Message: rateLimited(je),
			Hint: "Wait that long and try again. Short bursts clear within minutes; spread bulk work out."}
	case je.StatusCode < 300 && je.Err != nil:
		// A success whose body could not be read: what it said stays in the log.
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira's answer to %s %s could not be read", je.Method, je.Path()),
			Hint:    "Try again in a minute; if it keeps happening, something between tm and Jira changes its answers."}
	case je.StatusCode >= 500:
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira failed (%d %s) on %s %s", je.StatusCode, http.StatusText(je.StatusCode), je.Method, je.Path()),
			Hint:    "This is on Jira's side: try again in a minute."}
	case je.StatusCode == http.StatusNotFound:
		return notFound(err, je, about)
	case je.StatusCode == http.StatusForbidden:
		where := ""
		if about.Project != "" {
			where = " in " + about.Project
		}
		return detailed(&tm.Error{Code: tm.EFORBIDDEN, Err: err,
			Message: "Jira refused: you do not have permission" + where + " (" + orStatus(detail, je) + ")",
			Hint:    "Ask a Jira admin of the project for the permission this needs."}, &Detail{Project: about.Project, Issue: about.Issue})
	case je.StatusCode == http.StatusBadRequest && about.User != "" && userMissing(je):
		return noSuchUser(err, about)
	}
	return &tm.Error{Code: je.Code(), Err: err, Message: "Jira: " + orStatus(detail, je)}
}

// rateLimited says what Jira asked for and what was done about it: waited
// and refused again, or a wait longer than the time left, not started.
func rateLimited(je *jira.Error) string {
	reason := je.RateLimitReason
	if reason == "" {
		reason = "none given"
	}
	switch {
	case je.NotWaited && je.RetryAfter > 0:
		msg := fmt.Sprintf("Jira is rate-limiting requests and asks to wait %s (until %s; RateLimit-Reason: %s)",
			je.RetryAfter.Round(time.Second), je.RetryAt.Local().Format("15:04:05"), reason)
		if je.Waited > 0 {
			return msg + fmt.Sprintf("; tm had already waited %s and did not wait again: that is beyond the time this has left", je.Waited.Round(time.Second))
		}
		return msg + "; tm did not wait: that is beyond the time this has left"
	case je.Waited > 0:
		return fmt.Sprintf("Jira is still rate-limiting after tm waited %s (RateLimit-Reason: %s)", je.Waited.Round(time.Second), reason)
	}
	return fmt.Sprintf("Jira is rate-limiting requests (RateLimit-Reason: %s)", reason)
}

func quotedTitle(je *jira.Error) string {
	if je.HTMLTitle == "" {
		return ""
	}
	return fmt.Sprintf(" titled %q", je.HTMLTitle)
}

// uncertain explains a create Jira did not confirm: either the search for
// its ticket ran and found nothing, or it could not be run.
func uncertain(err error, je *jira.Error, about About) error {
	jqlURL := ""
	site := about.Site
	if site == "" {
		site = siteOf(je.URL)
	}
	if site != "" && about.Project != "" {
		jqlURL = "\n  " + site + "/issues/?jql=" + url.QueryEscape(fmt.Sprintf("project = %q ORDER BY created DESC", about.Project))
	}
	if je.LookupErr != nil {
		why := je.LookupErr.Error()
		var le *jira.Error
		if errors.As(je.LookupErr, &le) {
			why = le.Status()
			if msgs := le.Messages(); len(msgs) > 0 {
				why += ": " + strings.Join(msgs, "; ")
			}
		}
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("Jira did not confirm the create (%s), and whether it made the ticket could not be checked: the search for it failed (%s)", je.Status(), why),
			Hint:    "Look at the newest issues of " + about.Project + " before trying again, so the ticket is not made twice:" + jqlURL}
	}
	return &tm.Error{Code: tm.EUNAVAILABLE, Err: err,
		Message: fmt.Sprintf("Jira did not confirm the create (%s), and no ticket carrying this request's marker has appeared in %s", je.Status(), about.Project),
		Hint:    "Search can lag behind a create. Look at the newest issues before trying again, so the ticket is not made twice:" + jqlURL}
}

// notFound tells a missing project from a missing issue from an endpoint
// this Jira does not have: only Jira's project answer is "project not found".
func notFound(err error, je *jira.Error, about About) error {
	p := je.Path()
	msg := strings.Join(je.Messages(), "; ")
	switch {
	case projectAnswer(je, p, about.Project != ""):
		what := fmt.Sprintf("Project %q was not found, or you cannot see it", about.Project)
		if about.Project == "" {
			what = "Jira found no such project (" + msg + ")"
		}
		key := cmpOr(about.Project, "the key")
		return detailed(&tm.Error{Code: tm.ENOTFOUND, Err: err, Message: what,
			Hint: "Project keys are case-sensitive: check " + key + " letter by letter (the key, not the project's name).\n" +
				"Check you have access to the project."}, &Detail{Field: "project", Project: about.Project})
	case about.Issue != "" && strings.Contains(p, "/issue/"), strings.Contains(msg, "Issue does not exist"):
		what := "Issue " + about.Issue + " does not exist, or you cannot see it"
		if about.Issue == "" {
			what = "Jira found no such issue (" + msg + ")"
		}
		return detailed(&tm.Error{Code: tm.ENOTFOUND, Err: err, Message: what,
			Hint: "Check the key (project key, a dash, the number), and that you may browse its project."}, &Detail{Field: "issue", Issue: about.Issue})
	case about.User != "" && strings.Contains(p, "/user"):
		return noSuchUser(err, about)
	}
	if msg != "" {
		msg = ": " + msg
	}
	return &tm.Error{Code: tm.ENOTFOUND, Err: err,
		Message: fmt.Sprintf("Jira answered 404 Not Found to %s %s%s", je.Method, p, msg),
		Hint:    "This Jira may not offer this operation (an older Data Center, or an app that is not installed)."}
}

func noSuchUser(err error, about About) error {
	return detailed(&tm.Error{Code: tm.EINVALID, Err: err,
		Message: fmt.Sprintf("no Jira user matches %q", about.User),
		Hint: "Jira shows people only with the \"Browse users and groups\" permission, and hides emails by privacy settings.\n" +
			"Give an email address, an account id (Data Center: a username), or me."}, &Detail{Field: "assignee"})
}

// projectAnswer reports whether a 404 is Jira saying a project is not
// there (and not, say, an issue or an endpoint): by its words, or, for a
// call about a project, by the path.
func projectAnswer(je *jira.Error, path string, aboutProject bool) bool {
	for _, m := range je.Messages() {
		if l := strings.ToLower(m); strings.Contains(l, "no project") || strings.Contains(l, "project") && strings.Contains(l, "not found") {
			return true
		}
	}
	return aboutProject && (strings.Contains(path, "/project/") || strings.Contains(path, "/createmeta/"))
}

func userMissing(je *jira.Error) bool {
	for _, m := range je.Messages() {
		if strings.HasPrefix(m, "User '") && strings.HasSuffix(m, "' does not exist.") ||
			strings.Contains(m, "assignee: User '") {
			return true
		}
	}
	return false
}

// explainCreate turns a refused create into advice per field; scr is the
// create screen when it was read (names for field ids).
func explainCreate(err error, project string, scr []jira.FieldMeta) error {
	var je *jira.Error
	if !errors.As(err, &je) || je.StatusCode != http.StatusBadRequest {
		return Explain(err, About{Project: project})
	}
	if _, ok := je.Errors["project"]; ok || projectMissing(je.ErrorMessages) {
		return detailed(&tm.Error{Code: tm.ENOTFOUND, Err: err,
			Message: fmt.Sprintf("Project %q was not found, or you cannot see it (Jira: %s)", project, strings.Join(je.Messages(), "; ")),
			Hint: "Project keys are case-sensitive: check " + project + " letter by letter (the key, not the project's name).\n" +
				"Check you have access to the project."}, &Detail{Field: "project", Project: project})
	}
	var msg, hint strings.Builder
	code := tm.EINVALID
	d := &Detail{Project: project}
	msg.WriteString("Jira refused the ticket:")
	for _, m := range je.ErrorMessages {
		msg.WriteString("\n  - " + m)
		switch lower := strings.ToLower(m); {
		case strings.Contains(lower, "permission to create"):
			code = tm.EFORBIDDEN
			fmt.Fprintf(&hint, "You lack \"Create Issues\" in %s: ask a Jira admin of the project for it.\n", project)
		case requiredRE().MatchString(m):
			requiredHint(&hint, d, scr, requiredRE().FindStringSubmatch(m)[1])
		}
	}
	for _, id := range je.FieldNames() {
		name := id
		if f, ok := fieldByID(scr, id); ok && f.Name != id {
			name = fmt.Sprintf("%s (%s)", f.Name, id)
		}
		fmt.Fprintf(&msg, "\n  - %s: %s", name, je.Errors[id])
		switch {
		case id == "issuetype":
			d.Field = "type"
			hint.WriteString("Pick another issue type.\n")
		case id == "assignee":
			d.Field = "assignee"
			hint.WriteString("Assign it to someone who may be assigned issues in " + project + ", or leave the assignee out.\n")
		case strings.Contains(strings.ToLower(je.Errors[id]), "required"):
			requiredHint(&hint, d, scr, id)
		case id == "description":
			d.Field = "description"
			hint.WriteString("Jira Cloud takes descriptions as ADF and Data Center as wiki markup: check the connection is set up for the kind of Jira it is.\n")
		}
	}
	if hint.Len() == 0 {
		hint.WriteString("Check the values against the project's create screen, and that you may create issues in " + project + ".")
	}
	return detailed(&tm.Error{Code: code, Err: err, Message: msg.String(), Hint: strings.TrimRight(hint.String(), "\n")}, d)
}

// requiredRE reads the field id out of Jira's "Field 'priority' is required".
// It is compiled when first needed, not at start-up.
var requiredRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^Field '([^']+)' is required`) })

func requiredHint(hint *strings.Builder, d *Detail, scr []jira.FieldMeta, id string) {
	label := id
	if f, ok := fieldByID(scr, id); ok {
		label = f.Name
	}
	d.Required = true
	if id == "priority" {
		d.Field = "priority"
		hint.WriteString("This project requires a priority: give one.\n")
		return
	}
	d.Field = label
	fmt.Fprintf(hint, "This project requires %s: set it.\n", label)
}

func projectMissing(msgs []string) bool {
	for _, m := range msgs {
		if strings.Contains(m, "for the field 'project'") || strings.Contains(strings.ToLower(m), "valid project") {
			return true
		}
	}
	return false
}

func orStatus(detail string, je *jira.Error) string {
	if detail != "" {
		return detail
	}
	return fmt.Sprintf("%d %s", je.StatusCode, http.StatusText(je.StatusCode))
}

// origin is the scheme and host of a URL.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Scheme + "://" + p.Host
}

// siteOf is the part of a request URL before its REST path.
func siteOf(u string) string {
	if i := strings.Index(u, "/rest/api/"); i >= 0 {
		return u[:i]
	}
	return ""
}
