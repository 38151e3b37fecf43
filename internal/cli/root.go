// Package cli owns the tm command tree: the root command, the grouping of
// subcommands, and the single place where an error becomes an exit code and
// a message on stderr. It is the only package that chooses concrete
// implementations for the commands.
package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/cmd/api"
	"github.com/ticket-mate/tm/internal/cli/cmd/assign"
	"github.com/ticket-mate/tm/internal/cli/cmd/auth"
	"github.com/ticket-mate/tm/internal/cli/cmd/checkperms"
	"github.com/ticket-mate/tm/internal/cli/cmd/comment"
	"github.com/ticket-mate/tm/internal/cli/cmd/createticket"
	"github.com/ticket-mate/tm/internal/cli/cmd/edit"
	"github.com/ticket-mate/tm/internal/cli/cmd/envcheck"
	"github.com/ticket-mate/tm/internal/cli/cmd/envdebug"
	"github.com/ticket-mate/tm/internal/cli/cmd/initconfig"
	"github.com/ticket-mate/tm/internal/cli/cmd/login"
	"github.com/ticket-mate/tm/internal/cli/cmd/lsprojects"
	"github.com/ticket-mate/tm/internal/cli/cmd/mcp"
	"github.com/ticket-mate/tm/internal/cli/cmd/open"
	"github.com/ticket-mate/tm/internal/cli/cmd/sandbox"
	"github.com/ticket-mate/tm/internal/cli/cmd/search"
	"github.com/ticket-mate/tm/internal/cli/cmd/serve"
	"github.com/ticket-mate/tm/internal/cli/cmd/transition"
	"github.com/ticket-mate/tm/internal/cli/cmd/view"
	"github.com/ticket-mate/tm/internal/cli/factory"
)

// Command groups shown by tm --help.
const (
	groupSetup   = "setup"
	groupTickets = "tickets"
	groupServer  = "server"
)

// Main runs tm with the given arguments in the production world and returns
// the exit code. Ctrl-C and SIGTERM stop a command that talks to Jira.
func Main(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := factory.New()
	f.ArmInterrupt = sync.OnceFunc(func() { stopOnSignal(cancel) })
	return RunContext(ctx, f, args)
}

// stopOnSignal cancels the run at the first Ctrl-C or SIGTERM; a second
// one ends tm at once. It is armed beside a command's first request to
// Jira, not at start-up: os/signal starts threads (about a millisecond
// here), which --version, help and env-check would pay for nothing, and
// which a read need not wait for, since a signal's default, ending the
// process, loses nothing of theirs. Writes wait for it (factory.arm).
func stopOnSignal(cancel context.CancelFunc) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-c
		signal.Stop(c)
		cancel()
	}()
}

// Run runs tm in the given world; tests call it with a test factory.
func Run(f *factory.Factory, args []string) int {
	return RunContext(context.Background(), f, args)
}

// interruptGrace is how long a stopped command may take to unwind (abort
// its requests) before tm exits regardless.
const interruptGrace = 2 * time.Second

// RunContext runs tm until it finishes or ctx ends (a signal): then it
// stops at once, says so, and when a create was on its way to Jira says
// that the ticket may exist and how to look for it.
func RunContext(ctx context.Context, f *factory.Factory, args []string) int {
	root := newRootCmd(f, args)
	root.SetArgs(args)
	// A server or tm login handles the signal itself (a graceful shutdown,
	// the sandbox saving its state): then RunContext waits for it.
	cmd, _, ferr := root.Find(args)
	selfStopping := ferr == nil && cmd.Annotations[annotationLongRunning] != ""
	if !selfStopping && f.Collector != nil {
		f.Collector()
	}
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	finish := func(err error) int {
		if err != nil {
			printError(f, err)
		}
		return ExitCode(err)
	}
	if selfStopping {
		return finish(<-done)
	}
	select {
	case err := <-done:
		if ctx.Err() == nil {
			return finish(err)
		}
	case <-ctx.Done():
	}
	writes := f.WritesInFlight()
	select {
	case <-done:
	case <-time.After(interruptGrace):
	}
	printInterrupted(f, writes)
	return ExitUsage
}

// printInterrupted tells a person that tm stopped, and what a write that
// was in flight means for them.
func printInterrupted(f *factory.Factory, writes []string) {
	msg := "Interrupted: tm stopped."
	if len(writes) > 0 {
		look := "Jira's issue search"
		if cfg, err := f.Config(); err == nil && cfg.BaseURL != "" {
			look = cfg.BaseURL + "/issues/?jql=" + url.QueryEscape("reporter = currentUser() AND created >= -15m ORDER BY created DESC")
		}
		msg += fmt.Sprintf("\n\n%s was on its way to Jira when you stopped it: the ticket may exist.\n"+
			"Look for it before running the command again, so it is not made twice:\n  %s", strings.Join(writes, ", "), look)
	}
	fmt.Fprintln(f.IO.ErrOut, msg)
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *factory.Factory) *cobra.Command { return newRootCmd(f, nil) }

// newRootCmd builds the tree for one run with raw, the arguments as typed,
// so that a stray argument can be explained against what was typed.
func newRootCmd(f *factory.Factory, raw []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "tm",
		Short: "ticket-mate: connect to Jira, diagnose the connection, create and work on tickets",
		Long: `ticket-mate connects to Jira Cloud or Data Center, tells you exactly why a
connection fails, and creates and works on tickets — from this terminal, or
from a shared server ("tm serve") where each person signs in with Atlassian.

Start with "tm env-check", then "tm check-permissions". No Jira at hand?
"tm sandbox" runs a local one.`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetVersionTemplate("tm version {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return factory.Usagef(fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath()))
	})
	// "tm frobnicate" is a usage error (exit 2), as are extra arguments.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return factory.Usagef(fmt.Errorf("%s\nRun '%s --help' for usage.", msg, c.CommandPath()))
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	root.SuggestionsMinimumDistance = 2
	var cancelDeadline context.CancelFunc
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if fl := c.Flags().Lookup("project"); fl != nil && fl.Changed && strings.TrimSpace(fl.Value.String()) == "" {
			return factory.Usagef(fmt.Errorf("-p/--project is empty: name a project key, e.g. -p SPACE2 (tm ls-projects lists them), or leave the flag out to use ATLASSIAN_PROJECT_KEY"))
		}
		if c.Annotations[annotationLongRunning] != "" {
			return nil
		}
		d, err := f.CommandTimeout()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Context(), d)
		c.SetContext(ctx)
		cancelDeadline = cancel
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if cancelDeadline != nil {
			cancelDeadline()
		}
	}
	root.AddGroup(
		&cobra.Group{ID: groupSetup, Title: "Setup and diagnostics:"},
		&cobra.Group{ID: groupTickets, Title: "Tickets:"},
		&cobra.Group{ID: groupServer, Title: "Server:"},
	)
	root.PersistentFlags().StringVar(&f.ConfigFile, "config", f.ConfigFile, "read this JSON config `file` instead of ticket-mate.json and jira.json (also: TM_CONFIG)")
	root.PersistentFlags().BoolVar(&f.Debug, "debug", f.Debug, "log each request to stderr, secrets masked (also: TM_DEBUG=true)")
	root.PersistentFlags().StringVar(&f.Timeout, "timeout", f.Timeout, "give up on a command that talks to Jira after this `duration`, every retry and wait included (also: TM_TIMEOUT; default 60s)")
	root.SetHelpCommandGroupID(groupSetup)
	root.SetCompletionCommandGroupID(groupSetup)

	for _, c := range commands {
		if !needed(raw, c.name) {
			continue
		}
		cmd := c.build(f)
		root.AddCommand(cmd)
		cmd.GroupID = c.group
		if c.longRunning {
			if cmd.Annotations == nil {
				cmd.Annotations = map[string]string{}
			}
			cmd.Annotations[annotationLongRunning] = "true"
		}
		if args := cmd.Args; args != nil {
			cmd.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					if hint := strayValue(cmd, raw, a); hint != "" {
						err = errors.New(hint)
					}
					return factory.Usagef(fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath()))
				}
				return nil
			}
		}
	}
	if len(raw) > 0 && (raw[0] == cobra.ShellCompRequestCmd || raw[0] == cobra.ShellCompNoDescRequestCmd) {
		plainFlagUsage(root)
	}
	return root
}

// plainFlagUsage drops the backticks that name a flag's value in --help
// ("project `KEY`"), which shells would show as they are in completion
// descriptions.
func plainFlagUsage(c *cobra.Command) {
	strip := func(fl *pflag.Flag) { fl.Usage = strings.ReplaceAll(fl.Usage, "`", "") }
	c.Flags().VisitAll(strip)
	c.PersistentFlags().VisitAll(strip)
	for _, sub := range c.Commands() {
		plainFlagUsage(sub)
	}
}

// annotationLongRunning marks a command that runs until stopped (a server)
// or has its own time limit (tm login waits for a browser): it gets no
// command deadline and handles Ctrl-C and SIGTERM itself.
const annotationLongRunning = "tm.long-running"

// command is a subcommand with its help group, built only when a run
// needs it.
type command struct {
	group       string
	name        string // the command's Name(), for choosing it before it is built
	build       func(*factory.Factory) *cobra.Command
	longRunning bool
}

// plain builds a command as it runs for real: without a test's run hook.
func plain[R any](newCmd func(*factory.Factory, R) *cobra.Command) func(*factory.Factory) *cobra.Command {
	return func(f *factory.Factory) *cobra.Command {
		var real R
		return newCmd(f, real)
	}
}

// commands lists every subcommand with its help group.
var commands = []command{
	{groupSetup, "init", plain(initconfig.NewCmd), false},
	{groupSetup, "env-check", plain(envcheck.NewCmd), false},
	{groupSetup, "version", func(*factory.Factory) *cobra.Command { return newVersionCmd() }, false},
	{groupSetup, "env-debug", plain(envdebug.NewCmd), false},
	{groupSetup, "check-permissions", plain(checkperms.NewCmd), false},
	{groupSetup, "login", plain(login.NewCmd), true},
	{groupSetup, "logout", plain(login.NewLogoutCmd), false},
	{groupSetup, "auth", plain(auth.NewCmd), false},
	{groupTickets, "ls-projects", plain(lsprojects.NewCmd), false},
	{groupTickets, "create-ticket", plain(createticket.NewCmd), false},
	{groupTickets, "view", plain(view.NewCmd), false},
	{groupTickets, "search", plain(search.NewCmd), false},
	{groupTickets, "comment", plain(comment.NewCmd), false},
	{groupTickets, "transition", plain(transition.NewCmd), false},
	{groupTickets, "assign", plain(assign.NewCmd), false},
	{groupTickets, "edit", plain(edit.NewCmd), false},
	{groupTickets, "open", plain(open.NewCmd), false},
	{groupTickets, "api", plain(api.NewCmd), false},
	{groupServer, "serve", plain(serve.NewCmd), true},
	{groupServer, "mcp", plain(mcp.NewCmd), true},
	{groupServer, "sandbox", plain(sandbox.NewCmd), true},
}

// needed says whether a run with the arguments raw needs the subcommand
// name. Every command pays for building the tree before it runs: a run
// that names a subcommand first builds only that one, and one that only
// asks for the version builds none. Help, completion, suggestions for a
// near miss and flags before the subcommand get the whole tree.
func needed(raw []string, name string) bool {
	if raw == nil {
		return true
	}
	first, version := "", false
	for _, a := range raw {
		if a == "-" || !strings.HasPrefix(a, "-") {
			first = a
			break
		}
		if a != "--version" && a != "-v" {
			return true // help, or a flag before the subcommand: let cobra sort it out
		}
		version = true
	}
	switch {
	case first == "":
		return !version
	case first == "help" || first == cobra.ShellCompRequestCmd || first == cobra.ShellCompNoDescRequestCmd:
		return true
	}
	for _, c := range commands {
		if c.name == first {
			return name == first
		}
	}
	return true // unknown: the whole tree, for the suggestion
}

// printError writes err for a person: the message, then the hint.
func printError(f *factory.Factory, err error) {
	if errors.Is(err, factory.ErrSilent) {
		return
	}
	msg := err.Error()
	var e *tm.Error
	if errors.As(err, &e) && e.Hint != "" {
		msg = e.Message + "\n\n" + strings.TrimRight(e.Hint, "\n")
	}
	fmt.Fprintf(f.IO.ErrOut, "Error: %s\n", strings.TrimRight(msg, "\n"))
}
