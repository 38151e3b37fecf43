// Package mcp owns "tm mcp": the ticket tools served to a local assistant
// over the Model Context Protocol on stdin and stdout, acting with the
// credentials the other commands use. It imports the CLI factory, the
// config, the MCP tools and the domain.
package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	mcptools "github.com/ticket-mate/tm/internal/mcp"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	Cache   factory.Cache
	// Timeout is the deadline of each tool call (the command deadline).
	Timeout func() (time.Duration, error)

	Project  string
	ReadOnly bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, Cache: f, Timeout: f.CommandTimeout}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the ticket tools to an AI assistant (MCP on stdio)",
		Long: `Serve Jira to an assistant that speaks the Model Context Protocol, on
stdin and stdout, with the credentials the other commands use (API token,
tm login, or tm login --server). The assistant starts it; add to its
configuration:

  {"mcpServers": {"jira": {"command": "tm", "args": ["mcp"]}}}

Tools: list_projects, check_permissions, search_issues, get_issue,
list_transitions, and unless --read-only: create_ticket, create_tickets,
add_comment, transition_issue, assign_issue, edit_issue.`,
		Example: "  tm mcp\n  tm mcp --read-only -p SPACE2",
		Args:    factory.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Project, "project", "p", "", "the project tools use when not told one `KEY`")
	cmd.Flags().BoolVar(&opts.ReadOnly, "read-only", false, "serve only the tools that read")
	return cmd
}

// Run serves until stdin closes.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// It runs until stdin closes or it is stopped; each tool call gets the
	// deadline a command would.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var timeout time.Duration
	if opts.Timeout != nil {
		d, err := opts.Timeout()
		if err != nil {
			return err
		}
		timeout = d
	}
	c := &connection{opts: opts}
	// Connecting now finds a broken configuration before the assistant
	// calls a tool, and the project the tools default to; a failure is
	// said on stderr and each tool call tries again.
	project := opts.Project
	cctx, cancel := context.WithTimeout(ctx, cmpOr(timeout, time.Minute))
	j, err := c.jira(cctx)
	cancel()
	if err == nil {
		project = j.ProjectKey(io.Discard)
	} else {
		fmt.Fprintln(opts.IO.ErrOut, "tm mcp: "+err.Error())
	}
	srv := mcptools.NewServer(mcptools.Backend{
		Tickets: func(ctx context.Context, _ *sdk.CallToolRequest) (*ticket.Service, error) {
			j, err := c.jira(ctx)
			if err != nil {
				return nil, err
			}
			return factory.Tickets(opts.Cache, j), nil
		},
		Explain: c.explain,
		Project: project,
	}, mcptools.Options{Version: tm.Version, ReadOnly: opts.ReadOnly, CallTimeout: timeout})
	t := &sdk.IOTransport{Reader: io.NopCloser(opts.IO.In), Writer: nopCloser{opts.IO.Out}}
	err = srv.Run(ctx, t)
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// connection is the Jira client, built once it can be.
type connection struct {
	opts *Options
	mu   sync.Mutex
	j    *factory.Jira
}

func (c *connection) jira(ctx context.Context) (*factory.Jira, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.j != nil {
		return c.j, nil
	}
	j, err := c.opts.Connect(ctx, config.Flag{Name: "project", Key: config.KeyProjectKey, Value: c.opts.Project})
	if err != nil {
		return nil, err
	}
	c.j = j
	return j, nil
}

// explain puts a refused credential in the configuration's terms.
func (c *connection) explain(err error) error {
	c.mu.Lock()
	j := c.j
	c.mu.Unlock()
	if j == nil {
		return err
	}
	return j.Describe(err, factory.About{})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
