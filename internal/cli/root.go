// Package cli owns the tm command tree: the root command, the grouping of
// subcommands, and the single place where an error becomes an exit code and
// a message on stderr. It is the only package that chooses concrete
// implementations for the commands.
package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

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
	"github.com/ticket-mate/tm/internal/cli/cmd/login"
	"github.com/ticket-mate/tm/internal/cli/cmd/lsprojects"
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
// the exit code.
func Main(args []string) int {
	return Run(factory.New(), args)
}

// Run runs tm in the given world; tests call it with a test factory.
func Run(f *factory.Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		printError(f, err)
	}
	return ExitCode(err)
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *factory.Factory) *cobra.Command {
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
	root.AddGroup(
		&cobra.Group{ID: groupSetup, Title: "Setup and diagnostics:"},
		&cobra.Group{ID: groupTickets, Title: "Tickets:"},
		&cobra.Group{ID: groupServer, Title: "Server:"},
	)
	root.PersistentFlags().StringVar(&f.ConfigFile, "config", f.ConfigFile, "read this JSON config `file` instead of ticket-mate.json and jira.json (also: TM_CONFIG)")
	root.PersistentFlags().BoolVar(&f.Debug, "debug", f.Debug, "log each request to stderr, secrets masked (also: TM_DEBUG=true)")
	root.SetHelpCommandGroupID(groupSetup)
	root.SetCompletionCommandGroupID(groupSetup)

	for _, c := range commands(f) {
		root.AddCommand(c.cmd)
		c.cmd.GroupID = c.group
	}
	return root
}

type groupedCmd struct {
	group string
	cmd   *cobra.Command
}

// commands lists every subcommand with its help group.
func commands(f *factory.Factory) []groupedCmd {
	return []groupedCmd{
		{groupSetup, envcheck.NewCmd(f, nil)},
		{groupSetup, newVersionCmd()},
		{groupSetup, envdebug.NewCmd(f, nil)},
		{groupSetup, checkperms.NewCmd(f, nil)},
		{groupSetup, login.NewCmd(f, nil)},
		{groupSetup, login.NewLogoutCmd(f, nil)},
		{groupSetup, auth.NewCmd(f, nil)},
		{groupTickets, lsprojects.NewCmd(f, nil)},
		{groupTickets, createticket.NewCmd(f, nil)},
		{groupTickets, view.NewCmd(f, nil)},
		{groupTickets, search.NewCmd(f, nil)},
		{groupTickets, comment.NewCmd(f, nil)},
		{groupTickets, transition.NewCmd(f, nil)},
		{groupTickets, assign.NewCmd(f, nil)},
		{groupTickets, edit.NewCmd(f, nil)},
		{groupTickets, open.NewCmd(f, nil)},
		{groupTickets, api.NewCmd(f, nil)},
		{groupServer, serve.NewCmd(f, nil)},
		{groupServer, sandbox.NewCmd(f, nil)},
	}
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
