// Package checkperms owns "tm check-permissions": one look at a Jira
// connection — which endpoint and credentials tm uses, who Jira thinks you
// are, and whether you may browse and create in the project — with the fix
// for each thing that is wrong. It imports the CLI factory, the config and
// jira packages and the domain.
package checkperms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/jira"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Now     func() time.Time

	Project string
	JSON    bool
}

// NewCmd builds the command; runF replaces run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "check-permissions",
		Short: "Check the Jira connection, your account and your permissions in a project",
		Long: `Check the Jira connection end to end: the endpoint and credentials tm uses,
the Jira version, the account the credentials belong to, and whether you
may browse and create issues in the project. Each failing check says how
to fix it.

Exit status: 0 when the required checks pass, 1 when one fails, 4 when
Jira refuses the credentials.`,
		Example: "  tm check-permissions\n  tm check-permissions -p SPACE2\n  tm check-permissions --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Project, "project", "p", "", "project key (default: ATLASSIAN_PROJECT_KEY, else SPACE2)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

// The permissions tm checks, in the order shown.
var checks = []tm.PermissionCheck{
	{Key: tm.PermBrowseProjects, Name: "Browse Projects", Required: true, Meaning: "see the project and its issues"},
	{Key: tm.PermCreateIssues, Name: "Create Issues", Required: true, Meaning: "create tickets (tm create-ticket)"},
	{Key: tm.PermAdministerProject, Name: "Administer Projects", Meaning: "project settings; optional, for advanced features"},
	{Key: tm.PermUserPicker, Name: "Browse users and groups", Meaning: "find people by email (--assignee); optional"},
}

// Run checks the connection and prints the report.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, done := progress.Begin(ctx, opts.IO, "Connecting to Jira…")
	defer done()
	j, err := opts.Connect(ctx, config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
	if err != nil {
		return err
	}
	project := j.ProjectKey(opts.IO.ErrOut)
	r := &tm.PermissionReport{AuthMode: string(j.Config.AuthMode), ProjectKey: project}

	// Three independent questions, asked at once: the wall time is one
	// round trip. All permission keys go in one mypermissions call.
	var (
		wg                               sync.WaitGroup
		me                               tm.Account
		si                               tm.ServerInfo
		perms                            map[string]jira.Permission
		canWrite                         bool
		meErr, siErr, permsErr, writeErr error
	)
	keys := make([]string, len(checks))
	for i, c := range checks {
		keys[i] = c.Key
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	wg.Go(func() { me, meErr = j.Myself(ctx) })
	wg.Go(func() { si, siErr = j.ServerInfo(ctx) })
	wg.Go(func() { perms, permsErr = j.MyPermissions(ctx, project, keys...) })
	// Through the gateway a token may lack scopes; the write scope shows
	// only on a write, so one that cannot create anything is sent along.
	gateway := j.ViaGateway()
	if gateway {
		wg.Go(func() { canWrite, writeErr = j.CanWrite(ctx) })
	}
	wg.Wait()
	if !gateway && j.ViaGateway() {
		// The site refused a scoped token and the client moved to the
		// gateway: the write scope is asked there now.
		canWrite, writeErr = j.CanWrite(ctx)
	}
	done()
	r.RoundTrip = now().Sub(start)
	r.RoundTripMS = r.RoundTrip.Milliseconds()
	r.Endpoint = j.Endpoint()
	r.AuthMode = j.AuthLabel()

	if siErr == nil {
		r.Server = &si
	}
	if meErr == nil {
		r.Account = &me
	}
	authErr := firstAuthFailure(meErr, siErr, permsErr)
	r.ConnectionProblem = authErr == nil && (connectionProblem(meErr) || connectionProblem(siErr) || connectionProblem(permsErr))
	if authErr == nil && meErr != nil && !isScopeMismatch(meErr) {
		addProblem(r, problem(j.Explain(meErr, factory.About{})))
	}
	if authErr == nil && siErr != nil {
		addProblem(r, problem(j.Explain(siErr, factory.About{})))
	}

	r.ProjectFound = permsErr == nil
	r.Permissions = make([]tm.PermissionCheck, len(checks))
	for i, c := range checks {
		if p, ok := perms[c.Key]; ok {
			c.Known, c.Granted = true, p.HavePermission
		}
		r.Permissions[i] = c
	}
	if permsErr != nil && authErr == nil && !isScopeMismatch(permsErr) {
		addProblem(r, problem(j.Explain(permsErr, factory.About{Project: project})))
	}
	if j.ViaGateway() {
		r.Scopes = scopeChecks(meErr, permsErr, canWrite, writeErr)
		for _, sc := range r.Scopes {
			if sc.Known && !sc.Granted && authErr == nil {
				r.Problems = append(r.Problems, tm.Problem{
					Message: fmt.Sprintf("The API token lacks the scope %s, which %s needs", sc.Scope, sc.Needed),
					Hint: "Create a scoped API token with " + strings.Join(factory.NeededScopes, ", ") + " at " + config.APITokensURL +
						"\nand put it in ATLASSIAN_API_KEY (a classic token without scopes works too)."})
			}
		}
	}

	if opts.JSON {
		if err := factory.WriteJSON(opts.IO.Out, r); err != nil {
			return err
		}
	} else {
		printReport(opts.IO.Out, output.MarksFor(opts.IO), opts.IO.Width(), r)
	}
	switch {
	case authErr != nil:
		return j.Explain(authErr, factory.About{Project: project})
	case !r.OK():
		return factory.ErrSilent
	}
	return nil
}

// firstAuthFailure returns the first error that says the credentials were
// refused — whichever call noticed: serverInfo and mypermissions answer
// anonymous callers, and only the login-reason header gives them away. A
// web page is not Jira speaking, whatever its status.
func firstAuthFailure(errs ...error) error {
	for _, err := range errs {
		var je *jira.Error
		if errors.As(err, &je) && je.AuthFailed() && !je.ScopeMismatch() && !je.HTML {
			return err
		}
	}
	return nil
}

// connectionProblem reports a failure that says nothing about the
// credentials: no answer, a server error, a redirect not followed, a web
// page or a body that is not Jira's JSON.
func connectionProblem(err error) bool {
	var je *jira.Error
	if !errors.As(err, &je) {
		return err != nil
	}
	return je.StatusCode == 0 || je.StatusCode >= 500 || je.HTML || je.StatusCode/100 == 3 ||
		je.StatusCode/100 == 2 && je.Err != nil
}

// addProblem adds p unless the same message is already there: one
// unreachable Jira fails every call the same way.
func addProblem(r *tm.PermissionReport, p tm.Problem) {
	for _, q := range r.Problems {
		if q.Message == p.Message {
			return
		}
	}
	r.Problems = append(r.Problems, p)
}

func isScopeMismatch(err error) bool {
	var je *jira.Error
	return errors.As(err, &je) && je.ScopeMismatch()
}

// scopeChecks reports the scopes tm needs against what the calls showed:
// a call that worked proves its scope, a "scope does not match" disproves it.
func scopeChecks(meErr, permsErr error, canWrite bool, writeErr error) []tm.ScopeCheck {
	known := func(err error) (bool, bool) {
		switch {
		case err == nil:
			return true, true
		case isScopeMismatch(err):
			return true, false
		}
		return false, false
	}
	var out []tm.ScopeCheck
	k, g := known(meErr)
	out = append(out, tm.ScopeCheck{Scope: "read:jira-user", Needed: "your account and people lookup", Known: k, Granted: g})
	k, g = known(permsErr)
	out = append(out, tm.ScopeCheck{Scope: "read:jira-work", Needed: "reading projects and issues", Known: k, Granted: g})
	out = append(out, tm.ScopeCheck{Scope: "write:jira-work", Needed: "tm create-ticket", Known: writeErr == nil, Granted: canWrite})
	return out
}

func problem(err error) tm.Problem {
	var te *tm.Error
	if errors.As(err, &te) {
		return tm.Problem{Message: te.Message, Hint: te.Hint}
	}
	return tm.Problem{Message: err.Error()}
}

// printReport writes the report for people. A refused credential is one
// ✗ line (the explanation follows on stderr) with every check after it
// marked skipped; an optional permission not granted gets a neutral mark.
func printReport(w io.Writer, ms output.Marks, width int, r *tm.PermissionReport) {
	refused := r.Account == nil && !r.ConnectionProblem
	failMark := ms.Glyph(output.Fail)
	fmt.Fprintln(w, "Connection")
	switch {
	case r.Server != nil:
		kind := "Jira Cloud"
		if !r.Server.Cloud() {
			kind = "Jira Data Center (" + r.Server.DeploymentType + ")"
		}
		fmt.Fprintf(w, "  %s %s %s at %s\n", ms.Glyph(output.OK), kind, r.Server.Version, r.Server.BaseURL)
	case refused:
		fmt.Fprintf(w, "  %s Jira's version: skipped\n", ms.Glyph(output.Skipped))
	default:
		fmt.Fprintf(w, "  %s Jira did not say what it is (serverInfo failed)\n", failMark)
	}
	fmt.Fprintf(w, "     Auth:       %s\n", r.AuthMode)
	fmt.Fprintf(w, "     Endpoint:   %s\n", r.Endpoint)
	fmt.Fprintf(w, "     Round trip: %s (3 requests in parallel)\n", r.RoundTrip.Round(time.Millisecond))

	fmt.Fprintln(w, "\nAccount")
	if a := r.Account; a != nil {
		who := a.DisplayName
		if a.Email != "" {
			who += " <" + a.Email + ">"
		}
		fmt.Fprintf(w, "  %s Signed in as %s\n", ms.Glyph(output.OK), who)
		if a.AccountID != "" {
			fmt.Fprintf(w, "     Account ID: %s\n", a.AccountID)
		}
		if a.Name != "" {
			fmt.Fprintf(w, "     Username:   %s\n", a.Name)
		}
	} else if r.ConnectionProblem {
		fmt.Fprintf(w, "  %s Could not check the account: Jira could not be reached or did not answer as Jira (see below)\n", failMark)
	} else {
		fmt.Fprintf(w, "  %s Jira did not accept the credentials (see below)\n", failMark)
	}

	if r.ProjectKey != "" {
		fmt.Fprintf(w, "\nProject %s\n", r.ProjectKey)
		if !r.ProjectFound && !refused {
			fmt.Fprintf(w, "  %s Jira could not check permissions in %s (see below)\n", failMark, r.ProjectKey)
		}
	} else {
		fmt.Fprintln(w, "\nPermissions (in any project)")
	}
	tb := output.NewTableTo(w, width, false)
	tb.Indent, tb.MarkFirst = "  ", true
	var asks []string
	for _, p := range r.Permissions {
		m, meaning := output.Skipped, p.Meaning
		switch {
		case refused:
			meaning = "skipped"
		case !p.Known:
		case p.Granted:
			m = output.OK
		case p.Required:
			m = output.Fail
			asks = append(asks, fmt.Sprintf("  → Ask a Jira admin of %s for %q (Project settings → Permissions).", r.ProjectKey, p.Name))
		default:
			m = output.Neutral
		}
		tb.Row(ms.Glyph(m), label(p), meaning)
	}
	tb.Flush()
	for _, a := range asks {
		fmt.Fprintln(w, a)
	}

	if len(r.Scopes) > 0 {
		fmt.Fprintln(w, "\nToken scopes (through the API gateway)")
		for _, s := range r.Scopes {
			m, note := output.Skipped, "could not be checked"
			if s.Known {
				m, note = output.OK, "granted"
				if !s.Granted {
					m, note = output.Fail, "missing (the gateway answered \"scope does not match\")"
				}
			}
			fmt.Fprintf(w, "  %s %-16s for %s: %s\n", ms.Glyph(m), s.Scope, s.Needed, note)
		}
	}

	for _, p := range r.Problems {
		fmt.Fprintf(w, "\n%s %s\n", failMark, p.Message)
		if p.Hint != "" {
			fmt.Fprintln(w, indent(p.Hint, "   "))
		}
	}
	if r.OK() {
		fmt.Fprintln(w, "\nAll required checks passed.")
	} else if r.Account != nil {
		fmt.Fprintln(w, "\nSome required checks failed: see the lines marked "+strings.TrimSpace(failMark)+".")
	}
}

func label(p tm.PermissionCheck) string {
	if p.Required {
		return p.Name
	}
	return p.Name + " (optional)"
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
