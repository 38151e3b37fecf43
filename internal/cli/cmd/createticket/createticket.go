// Package createticket owns "tm create-ticket": a ticket from a title and a
// Markdown description, with issue type, priority and custom fields named
// the way people know them. Names are resolved to ids through the project's
// create metadata, cached on disk, so a repeated create is one request.
// It imports the CLI factory, the config, jira and adf packages and the domain.
package createticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Cache   factory.Cache
	WorkDir string                 // @file paths are relative to it
	Browser func(url string) error // --open
	// Prompter asks for what is missing on a terminal (nil: never asks).
	Prompter *factory.Prompter
	edited   *string // the description written in the editor

	Project     string
	Title       string
	Description string // TEXT, "-" (stdin) or "@file"
	Type        string
	Priority    string
	Labels      []string
	Assignee    string
	Components  []string
	Parent      string
	Fields      []string // "Name=value"
	DryRun      bool
	JSON        bool
	Open        bool
	BodyFile    string // --body-file: the description from a file ("-" for stdin)
	From        string // a CSV or JSON Lines file of tickets
	Results     string // where --from records each line's outcome
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f, WorkDir: f.WorkDir, Browser: f.Browser,
		Prompter: factory.NewPrompter(f.IO, func(k string) string { v, _ := f.LookupEnv(k); return v })}
	cmd := &cobra.Command{
		Use:   "create-ticket -t TITLE [flags]",
		Short: "Create a Jira ticket",
		Long: `Create a ticket in a Jira project and print its key and link.

The description is Markdown (from the flag, from stdin with "-d -", or from a
file with "-d @notes.md"); tm converts it to what the Jira instance takes.
Issue type, priority and custom fields are given by name and checked against
the project's create screen; a name Jira does not know gets the list of valid
ones. --dry-run shows the request without sending it.

--from FILE creates one ticket per row of a CSV file with a header
(summary required; project, description, type, priority, labels and
components separated by ";", assignee, parent, and any field by name) or of
a JSON Lines file with the same keys. Every row is checked before anything
is sent; FILE.results.csv records each line's key or error, and running the
same file again skips the lines already created.`,
		Example: `  tm create-ticket -p SPACE2 -t "Fix login" -d "Steps: **open** the page"
  tm create-ticket -t "Crash on save" --type Bug --priority High --label mobile
  git log -1 --format=%B | tm create-ticket -t "Release notes" -d -
  tm create-ticket -t "Estimate me" --field "Story Points=3" --dry-run
  tm create-ticket --from backlog.csv -p SPACE2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.BodyFile != "" {
				if opts.Description != "" {
					return factory.Usagef(errors.New("give the description once: -d/--body TEXT or --body-file FILE"))
				}
				opts.Description = "@" + opts.BodyFile
				if opts.BodyFile == "-" {
					opts.Description = "-"
				}
			}
			if opts.From != "" {
				if opts.Title != "" || opts.DryRun || opts.Open {
					return factory.Usagef(errors.New("--from takes the tickets from the file: leave out -t, --dry-run and --open"))
				}
			} else if strings.TrimSpace(opts.Title) == "" && opts.IO.IsStdinTTY() && opts.IO.IsStderrTTY() && opts.Prompter != nil {
				if err := ask(opts); err != nil {
					return err
				}
			}
			if opts.From == "" && strings.TrimSpace(opts.Title) == "" {
				return factory.Usagef(errors.New("a title is required: -t \"What needs doing\" (or --from FILE for many)"))
			}
			for _, fv := range opts.Fields {
				if k, _, ok := strings.Cut(fv, "="); !ok || strings.TrimSpace(k) == "" {
					return factory.Usagef(fmt.Errorf("--field %q: want \"Field name=value\"", fv))
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Project, "project", "p", "", "project `KEY` (default: ATLASSIAN_PROJECT_KEY, else SPACE2)")
	fl.StringVarP(&opts.Title, "title", "t", "", "the ticket's summary (required)")
	fl.StringVarP(&opts.Description, "description", "d", "", "Markdown `TEXT`, - for stdin, or @FILE")
	fl.StringVar(&opts.Type, "type", "", "issue type `NAME` (default Task)")
	fl.StringVar(&opts.Priority, "priority", "", "priority `NAME` (default: the project's)")
	fl.StringArrayVarP(&opts.Labels, "label", "l", nil, "add a label (repeatable)")
	fl.StringVarP(&opts.Assignee, "assignee", "a", "", "me, an email address or an account id (Data Center: a username)")
	fl.StringArrayVar(&opts.Components, "component", nil, "add a component by `NAME` (repeatable)")
	fl.StringVar(&opts.Parent, "parent", "", "parent issue `KEY` (epic or parent of a sub-task)")
	fl.StringArrayVar(&opts.Fields, "field", nil, "set a field: \"Name=value\" (repeatable; custom fields by name or id)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the request instead of sending it")
	fl.BoolVar(&opts.JSON, "json", false, "print the created ticket as JSON")
	fl.BoolVar(&opts.Open, "open", false, "open the ticket in the browser")
	// The names other Jira and GitHub clients use, for the same inputs.
	fl.StringVar(&opts.Title, "summary", "", "same as --title")
	fl.StringVarP(&opts.Description, "body", "b", "", "same as --description")
	fl.StringVar(&opts.BodyFile, "body-file", "", "read the description from `FILE` (- for stdin)")
	fl.BoolVarP(&opts.Open, "web", "w", false, "same as --open")
	fl.StringVar(&opts.From, "from", "", "create one ticket per row of a CSV (with a header) or JSON Lines `FILE`")
	fl.StringVar(&opts.Results, "results", "", "with --from: the results `FILE` (default: FILE.results.csv)")
	_ = cmd.RegisterFlagCompletionFunc("project", factory.CompleteProjects(f))
	_ = cmd.RegisterFlagCompletionFunc("type", factory.CompleteCreateValue(f, "type"))
	_ = cmd.RegisterFlagCompletionFunc("priority", factory.CompleteCreateValue(f, "priority"))
	_ = cmd.RegisterFlagCompletionFunc("component", factory.CompleteCreateValue(f, "components"))
	_ = cmd.RegisterFlagCompletionFunc("assignee", factory.CompleteAssignee)
	for _, name := range []string{"title", "label", "parent", "field"} {
		_ = cmd.RegisterFlagCompletionFunc(name, factory.NoValueCompletion)
	}
	return cmd
}

// Run creates the ticket.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.From != "" {
		j, err := opts.Connect(ctx, config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
		if err != nil {
			return err
		}
		return runBulk(ctx, opts, j)
	}
	desc, err := readDescription(opts)
	if err != nil {
		return err
	}
	ctx, done := progress.Begin(ctx, opts.IO, "Connecting to Jira…")
	defer done()
	j, err := opts.Connect(ctx, config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
	if err != nil {
		return err
	}
	project := j.ProjectKey(opts.IO.ErrOut)
	warnTitleIsType(opts, j, project)
	draft := tm.TicketDraft{
		ProjectKey: project, Summary: opts.Title, Description: desc,
		IssueType: opts.Type, Priority: opts.Priority, Labels: opts.Labels, Assignee: opts.Assignee,
		Components: opts.Components, Parent: opts.Parent,
	}
	for _, fv := range opts.Fields {
		k, v, _ := strings.Cut(fv, "=")
		draft.Fields = append(draft.Fields, tm.FieldValue{Name: k, Value: v})
	}
	svc := ticket.New(j.Client, factory.MetaCache(opts.Cache, j))
	if opts.DryRun {
		p, err := svc.PrepareCreate(ctx, draft)
		done()
		if err != nil {
			return advise(j, err)
		}
		return printDryRun(opts, p.Request, p.Unresolved)
	}
	t, err := svc.Create(ctx, draft)
	done()
	if err != nil {
		return advise(j, err)
	}
	factory.Remember(opts.Cache, t.Key)
	return printCreated(opts, t)
}

// ask prompts for the title, the type and (in the editor) the description,
// as a person at a terminal who gave no -t expects.
func ask(opts *Options) error {
	p := opts.Prompter
	var err error
	if opts.Title, err = p.Ask("Title", ""); err != nil {
		return err
	}
	def := opts.Type
	if def == "" {
		def = "Task"
	}
	if opts.Type, err = p.Ask("Type", def); err != nil {
		return err
	}
	if opts.Description == "" {
		answer, err := p.Ask("Write a description in your editor? (y/N)", "")
		if err != nil {
			return err
		}
		if strings.HasPrefix(strings.ToLower(answer), "y") {
			text, err := p.Edit("")
			if err != nil {
				return err
			}
			opts.edited = &text
		}
	}
	return nil
}

// warnTitleIsType says so when the title is one of the project's issue
// types: in some other clients -t is the type (-t Bug).
func warnTitleIsType(opts *Options, j *factory.Jira, project string) {
	for _, name := range factory.CachedIssueTypes(opts.Cache, j, project) {
		if strings.EqualFold(strings.TrimSpace(opts.Title), name) {
			fmt.Fprintf(opts.IO.ErrOut, "Warning: -t is the title, and %q is one of %s's issue types; for the type, use --type %q.\n", opts.Title, project, name)
			return
		}
	}
}

// advise explains what the service could not (refused credentials) and adds
// the flag that fixes a refused value.
func advise(j *factory.Jira, err error) error {
	err = j.Advise(j.Explain(err, factory.About{}))
	var te *tm.Error
	var d *ticket.Detail
	if !errors.As(err, &te) || !errors.As(err, &d) {
		return err
	}
	ex := d.Example
	if ex == "" {
		ex = "…"
	}
	var flag string
	switch d.Field {
	case "", "project", "issue", "summary", "description", "fields":
		return err
	case "type":
		flag = fmt.Sprintf("--type %q", ex)
	case "priority":
		flag = fmt.Sprintf("--priority %q", ex)
	case "labels":
		flag = "--label " + ex
	case "assignee":
		flag = "--assignee EMAIL (or an account id, or me)"
	case "parent":
		flag = "--parent KEY"
	case "components":
		flag = fmt.Sprintf("--component %q", ex)
	default:
		flag = fmt.Sprintf("--field %q", d.Field+"="+ex)
	}
	out := *te
	out.Hint = strings.TrimLeft(te.Hint+"\nWith tm: "+flag, "\n")
	return &out
}

// readDescription reads -d: the text itself, "-" for stdin, "@path" for a file.
func readDescription(opts *Options) (string, error) {
	if opts.edited != nil {
		return *opts.edited, nil
	}
	if opts.Description == "-" && opts.IO.IsStdinTTY() {
		// Typed, not piped: say how it ends, or tm seems to hang.
		fmt.Fprintln(opts.IO.ErrOut, "Reading the description from stdin (Ctrl-D to finish)")
	}
	return factory.ReadText(opts.IO.In, opts.WorkDir, opts.Description, "description", "-d")
}

func printDryRun(opts *Options, p jira.PreparedRequest, unresolved []string) error {
	var body any
	_ = json.Unmarshal(p.Body, &body)
	if opts.JSON {
		return factory.WriteJSON(opts.IO.Out, struct {
			Method string `json:"method"`
			URL    string `json:"url"`
			Body   any    `json:"body"`
		}{p.Method, p.URL, body})
	}
	pretty, _ := json.MarshalIndent(body, "", "  ")
	fmt.Fprintf(opts.IO.Out, "%s %s\n%s\n", p.Method, p.URL, pretty)
	fmt.Fprintln(opts.IO.ErrOut, "Dry run: nothing was sent.")
	if len(unresolved) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "Not cached yet, so shown by name and resolved when creating: %s.\n", strings.Join(unresolved, ", "))
	}
	return nil
}

func printCreated(opts *Options, t tm.Ticket) error {
	switch {
	case opts.JSON:
		if err := factory.WriteJSON(opts.IO.Out, t); err != nil {
			return err
		}
	case opts.IO.IsStdoutTTY():
		fmt.Fprintf(opts.IO.Out, "%sCreated %s\n%s\n", output.MarksFor(opts.IO).Lead(output.OK), t.Key, t.URL)
	default:
		fmt.Fprintf(opts.IO.Out, "%s\n%s\n", t.Key, t.URL)
	}
	if opts.Open && opts.Browser != nil {
		if opts.Browser(t.URL) != nil {
			fmt.Fprintln(opts.IO.ErrOut, "Could not open a browser; the link is above.")
		}
	}
	return nil
}
