// Package api owns "tm api": a raw Jira REST call with tm's credentials,
// retries and error explanations, like "gh api". It imports the CLI
// factory and the config.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
)

// Options are the command's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Connect func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	WorkDir string

	Method   string
	Path     string
	Data     string // JSON, "-" or "@file"
	Paginate bool
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, WorkDir: f.WorkDir}
	cmd := &cobra.Command{
		Use:   "api METHOD PATH [--data JSON|@file] [--paginate]",
		Short: "Call the Jira REST API with tm's sign-in",
		Long: `Send one request to Jira's REST API and print the JSON answer. PATH is
under the REST root of your Jira ("myself", "issue/SPACE2-1") or from the
host ("/rest/api/3/myself"). --paginate follows nextPageToken or startAt
and prints every page, one JSON document per line.`,
		Example: `  tm api GET myself
  tm api POST search/jql --data '{"jql":"project = SPACE2","fields":["summary"]}' --paginate
  tm api PUT issue/SPACE2-1 --data @change.json`,
		Args: factory.Args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Method, opts.Path = strings.ToUpper(args[0]), args[1]
			switch opts.Method {
			case "GET", "POST", "PUT", "DELETE", "PATCH":
			default:
				return factory.Usagef(fmt.Errorf("METHOD %q: want GET, POST, PUT, PATCH or DELETE", args[0]))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Data, "data", "", "the request body: `JSON`, - for stdin, or @FILE")
	cmd.Flags().BoolVar(&opts.Paginate, "paginate", false, "follow the pages and print each")
	return cmd
}

// Run sends the request (and, with --paginate, the following pages).
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var body json.RawMessage
	if opts.Data != "" {
		s, err := factory.ReadText(opts.IO.In, opts.WorkDir, opts.Data, "request body", "--data")
		if err != nil {
			return err
		}
		if !json.Valid([]byte(s)) {
			return &tm.Error{Code: tm.EINVALID, Message: "--data is not valid JSON"}
		}
		body = json.RawMessage(s)
	}
	j, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	path := opts.Path
	seen := map[string]bool{}
	for {
		out, err := j.Raw(ctx, opts.Method, path, body)
		if err != nil {
			return j.Fail(err)
		}
		if err := show(opts, out); err != nil {
			return err
		}
		if !opts.Paginate {
			return nil
		}
		var next string
		if path, body, next = nextPage(path, body, out); next == "" || seen[next] {
			return nil
		}
		seen[next] = true
	}
}

func show(opts *Options, out json.RawMessage) error {
	if len(out) == 0 {
		return nil
	}
	if opts.Paginate || !opts.IO.IsStdoutTTY() {
		var b bytes.Buffer
		if json.Compact(&b, out) == nil {
			out = b.Bytes()
		}
	} else {
		var b bytes.Buffer
		if json.Indent(&b, out, "", "  ") == nil {
			out = b.Bytes()
		}
	}
	_, err := fmt.Fprintf(opts.IO.Out, "%s\n", out)
	return err
}

// nextPage is the request for the page after out: Cloud's nextPageToken
// (in the body of a POST, else the query), or startAt past what came.
// next is "" when out was the last page.
func nextPage(path string, body, out json.RawMessage) (string, json.RawMessage, string) {
	var page struct {
		NextPageToken string `json:"nextPageToken"`
		IsLast        *bool  `json:"isLast"`
		StartAt       *int   `json:"startAt"`
		MaxResults    int    `json:"maxResults"`
		Total         *int   `json:"total"`
		Values        []any  `json:"values"`
		Issues        []any  `json:"issues"`
	}
	if json.Unmarshal(out, &page) != nil || page.IsLast != nil && *page.IsLast {
		return path, body, ""
	}
	n := len(page.Values) + len(page.Issues)
	switch {
	case page.NextPageToken != "":
		if len(body) > 0 {
			return path, setField(body, "nextPageToken", page.NextPageToken), page.NextPageToken
		}
		return setQuery(path, "nextPageToken", page.NextPageToken), body, page.NextPageToken
	case page.StartAt != nil && n > 0 && (page.Total == nil || *page.StartAt+n < *page.Total):
		next := strconv.Itoa(*page.StartAt + n)
		if len(body) > 0 {
			return path, setField(body, "startAt", *page.StartAt+n), next
		}
		return setQuery(path, "startAt", next), body, next
	}
	return path, body, ""
}

func setField(body json.RawMessage, k string, v any) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m[k] = v
	b, _ := json.Marshal(m)
	return b
}

func setQuery(path, k, v string) string {
	p, q, _ := strings.Cut(path, "?")
	vals, _ := url.ParseQuery(q)
	vals.Set(k, v)
	return p + "?" + vals.Encode()
}
