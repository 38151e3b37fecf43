// Package envcheck owns tm env-check: an offline check of the configuration
// for the selected auth mode, one line per setting, with the fix for each
// problem. It never touches the network. It imports the config package, the
// CLI factory and iostreams.
package envcheck

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/config"
)

// Options are env-check's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Config  func(flags ...config.Flag) (*config.Config, error)
	WorkDir string
	// Tracked reports whether git tracks a file; nil asks git in WorkDir.
	Tracked func(path string) bool
	// ServerSignIn is the server sign-in tm commands use with cfg, if any
	// (nil: not looked for).
	ServerSignIn func(cfg *config.Config) (*factory.StoredServer, bool)
	// OAuthSignIn names the stored OAuth sign-in for cfg's app, offline
	// (nil: not looked for); an ENOTFOUND error when there is none.
	OAuthSignIn func(ctx context.Context, cfg *config.Config) (string, error)

	Project string
	JSON    bool
}

// NewCmd builds tm env-check; runF replaces run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Config: f.Config, WorkDir: f.WorkDir, ServerSignIn: f.ServerSignInInUse, OAuthSignIn: f.StoredSignIn}
	cmd := &cobra.Command{
		Use:   "env-check",
		Short: "Check the configuration for your auth mode, offline",
		Long: `Check, without any network call, that the settings your auth mode needs are
present and plausible: one line per setting, secrets masked, and for each
problem the exact fix. Exits 1 when something required is missing or invalid.

Settings come from, highest first: flags, the environment, .env.local, .env,
ticket-mate.json (or the file named by --config / TM_CONFIG), jira.json, the
user config file, defaults. "tm env-debug" shows where each value came from.`,
		Example: `  tm env-check
  tm env-check -p SPACE2 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Project, "project", "p", "", "project key to check (overrides ATLASSIAN_PROJECT_KEY)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

// jsonReport is the --json form. Field names are stable.
type jsonReport struct {
	Mode    config.AuthMode `json:"mode"`
	OK      bool            `json:"ok"`
	Summary map[string]int  `json:"summary"`
	Checks  []jsonCheck     `json:"checks"`
	Notes   []string        `json:"notes"`
	Next    string          `json:"next"`
	Error   string          `json:"error,omitempty"` // the configuration did not load
}

func run(opts *Options) error {
	cfg, err := opts.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
	if err != nil {
		if opts.JSON {
			// Scripts read stdout: tell them too, not only the person on stderr.
			_ = writeJSON(opts.IO.Out, jsonReport{Summary: map[string]int{}, Checks: []jsonCheck{}, Notes: []string{},
				Next: "Fix the configuration, then run: tm env-check", Error: err.Error()})
		}
		return err
	}
	tracked := opts.Tracked
	if tracked == nil {
		tracked = gitTracked(opts.WorkDir)
	}
	r := config.Diagnose(cfg, config.DiagnoseOptions{Tracked: tracked})
	ms := output.MarksFor(opts.IO)
	next := nextCommand(r, opts.Project, ms)
	notes := cfg.Notes()
	if cfg.AuthMode == config.AuthOAuth && r.Count(config.StatusError) == 0 && opts.OAuthSignIn != nil {
		switch who, err := opts.OAuthSignIn(context.Background(), cfg); {
		case err == nil:
			notes = append(notes, "Signed in with this app as "+who+" (the stored sign-in, read offline)")
		case tm.ErrorCode(err) == tm.ENOTFOUND:
			notes = append(notes, "No sign-in is stored for this app on this machine yet")
			next = "Next: tm login"
		default:
			notes = append(notes, "The stored sign-in could not be read: "+err.Error())
		}
	}
	if opts.JSON {
		if notes == nil {
			notes = []string{}
		}
		if err := writeJSON(opts.IO.Out, jsonReport{
			Mode: r.Mode, OK: r.Count(config.StatusError) == 0,
			Summary: map[string]int{"ok": r.Count(config.StatusOK), "warn": r.Count(config.StatusWarn), "error": r.Count(config.StatusError)},
			Checks:  checksJSON(r.Checks), Notes: notes, Next: next,
		}); err != nil {
			return err
		}
	} else {
		printReport(opts.IO.Out, ms, r, notes, next)
	}
	if r.Count(config.StatusError) > 0 {
		// Signed in through a team server, the settings are not needed:
		// commands reach Jira through it.
		if opts.ServerSignIn != nil {
			if ss, ok := opts.ServerSignIn(cfg); ok {
				fmt.Fprintf(opts.IO.ErrOut, "\nThese settings are not needed now: tm is signed in through the ticket-mate server %s,\n"+
					"and every command reaches Jira through it. tm auth status checks that sign-in.\n", ss.Server)
				return nil
			}
		}
		return factory.ErrSilent
	}
	return nil
}

// jsonCheck is a check with null for a value that is not set, rather than
// the "(not set)" people read.
type jsonCheck struct {
	config.Check
	Value *string `json:"value"`
}

func checksJSON(cs []config.Check) []jsonCheck {
	out := make([]jsonCheck, len(cs))
	for i, c := range cs {
		out[i].Check = c
		if c.Value != tm.Mask("") {
			v := c.Value
			out[i].Value = &v
		}
	}
	return out
}

func writeJSON(w io.Writer, r jsonReport) error {
	return factory.WriteJSON(w, r)
}

var marks = map[config.Status]output.Mark{config.StatusOK: output.OK, config.StatusWarn: output.Warn, config.StatusError: output.Fail}

var rank = map[config.Status]int{config.StatusOK: 0, config.StatusWarn: 1, config.StatusError: 2}

var colors = map[config.Status]string{config.StatusOK: "\x1b[32m", config.StatusWarn: "\x1b[33m", config.StatusError: "\x1b[31m"}

func printReport(w io.Writer, ms output.Marks, r config.Report, notes []string, next string) {
	color := !ms.Plain()
	paint := func(s config.Status, text string) string {
		if !color {
			return text
		}
		return colors[s] + text + "\x1b[0m"
	}
	dim := func(text string) string {
		if !color {
			return text
		}
		return "\x1b[2m" + text + "\x1b[0m"
	}
	for i := 0; i < len(r.Checks); {
		// A setting with several problems is one line with its worst status,
		// then each problem under it.
		j, worst := i, config.StatusOK
		for ; j < len(r.Checks) && r.Checks[j].Name == r.Checks[i].Name; j++ {
			if rank[r.Checks[j].Status] > rank[worst] {
				worst = r.Checks[j].Status
			}
		}
		c := r.Checks[i]
		line := fmt.Sprintf("%s %s = %s", ms.Glyph(marks[worst]), paint(worst, fmt.Sprintf("%-25s", c.Name)), c.Value)
		switch {
		case c.Source == "default":
			line += dim("  (default)") // not configured: what tm uses when nothing is
		case worst != config.StatusOK && c.Source != "":
			line += dim("  ← " + c.Source)
		}
		fmt.Fprintln(w, line)
		for _, p := range r.Checks[i:j] {
			if p.Message != "" {
				fmt.Fprintln(w, "   "+paint(p.Status, p.Message))
			}
			if p.Fix != "" {
				fmt.Fprintln(w, "   fix: "+p.Fix)
			}
		}
		i = j
	}
	for _, n := range notes {
		fmt.Fprintln(w, ms.Glyph(output.Info)+" "+n)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, summary(r)+" "+next)
}

func summary(r config.Report) string {
	errs, warns := r.Count(config.StatusError), r.Count(config.StatusWarn)
	switch {
	case errs > 0:
		return fmt.Sprintf("%s to fix for %s mode%s.", plural(errs, "problem"), r.Mode, andWarnings(warns))
	case warns > 0:
		return fmt.Sprintf("Ready for %s mode, with %s.", r.Mode, plural(warns, "warning"))
	}
	return fmt.Sprintf("All set for %s mode.", r.Mode)
}

func andWarnings(n int) string {
	if n == 0 {
		return ""
	}
	return " and " + plural(n, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// nextCommand is what to run after this report.
func nextCommand(r config.Report, project string, ms output.Marks) string {
	if r.Count(config.StatusError) > 0 {
		return "Fix the lines marked " + strings.TrimSpace(ms.Glyph(output.Fail)) + ", then run: tm env-check"
	}
	cmd := "tm check-permissions"
	if project != "" {
		cmd += " -p " + project
	}
	return "Next: " + cmd
}

// gitTracked asks git whether it tracks a file. Without git, or outside a
// repository, the answer is no: the check is advice, not a requirement.
func gitTracked(dir string) func(string) bool {
	return func(path string) bool {
		git, err := exec.LookPath("git")
		if err != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, git, "ls-files", "--error-unmatch", "--", path)
		cmd.Dir = dir
		return cmd.Run() == nil // exit 1: not tracked; 128: not a repository
	}
}
