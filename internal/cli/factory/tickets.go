package factory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/ticket"
)

// Tickets is the ticket service as j's identity, its create metadata kept
// in c.
func Tickets(c Cache, j *Jira) *ticket.Service { return ticket.New(j.Client, MetaCache(c, j)) }

// Fail explains a failed ticket operation in the CLI's terms: refused
// credentials by the configuration, the rest with the command to run next.
func (j *Jira) Fail(err error) error { return j.Advise(j.Explain(err, About{})) }

// WriteJSON writes v as indented JSON, the one shape of --json output.
// Text keeps < > & as they are: the output is read by programs and
// people, not pasted into HTML.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// MarshalJSON is json.MarshalIndent without HTML escaping, for --json
// output written one item at a time.
func MarshalJSON(v any, prefix, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent(prefix, indent)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// MaxText bounds text read from stdin or a file: well above what Jira
// keeps (32,767 characters), so that a mistaken binary is not read whole.
const MaxText = 1 << 20

// ReadText reads a text argument: the text itself, "-" for stdin, "@path"
// for a file (relative to dir). what names it in errors ("description"),
// flag is how to pass it ("-d", or "" for an argument).
func ReadText(in io.Reader, dir, arg, what, flag string) (string, error) {
	tooLong := &tm.Error{Code: tm.EINVALID, Message: "the " + what + " is larger than 1 MiB",
		Hint: "Jira keeps at most 32,767 characters in a " + what + ": attach long logs to the ticket instead."}
	switch {
	case arg == "-":
		b, err := io.ReadAll(io.LimitReader(in, MaxText+1))
		if err != nil {
			return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
		}
		if len(b) > MaxText {
			return "", tooLong
		}
		return string(b), nil
	case strings.HasPrefix(arg, "@"):
		p := arg[1:]
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
		if err != nil {
			return "", &tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("cannot read the %s file %s: %v", what, arg[1:], errors.Unwrap(err)),
				Hint: "Check the path (relative paths start in the current directory). For text that starts with @, pass it through stdin: " + strings.TrimSpace(flag+" -")}
		}
		if st.Size() > MaxText {
			return "", tooLong
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", &tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("cannot read the %s file %s: %v", what, arg[1:], errors.Unwrap(err))}
		}
		return string(b), nil
	}
	return arg, nil
}

// recentName is the cache entry of the issue keys tm showed or made last,
// for shell completion.
const recentName = "recent-issues"

// recentMax is how many recent issue keys are kept.
const recentMax = 100

type recent struct {
	Keys []string `json:"keys"`
}

// Remember keeps keys as the most recent issues (for completion). A cache
// that cannot be written costs completions, nothing more.
func Remember(c Cache, keys ...string) {
	if c == nil || len(keys) == 0 {
		return
	}
	var r recent
	c.ReadCache(recentName, 365*24*time.Hour, &r)
	fresh := slices.Clone(keys)
	for _, k := range r.Keys {
		if !slices.Contains(fresh, k) {
			fresh = append(fresh, k)
		}
	}
	fresh = fresh[:min(len(fresh), recentMax)]
	if slices.Equal(fresh, r.Keys) {
		return // the same tickets again: nothing to write on the way out
	}
	r.Keys = fresh
	_ = c.WriteCache(recentName, r)
}

// CompleteIssueKeys completes an issue key from the recent ones, and a
// project key from theirs; it sends no request.
func CompleteIssueKeys(c Cache) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var r recent
		c.ReadCache(recentName, 365*24*time.Hour, &r)
		var out []cobra.Completion
		for _, k := range r.Keys {
			if strings.HasPrefix(k, strings.ToUpper(prefix)) {
				out = append(out, k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteProjects completes a project key from the recent issues' and
// the cached create metadata's projects; it sends no request.
func CompleteProjects(c Cache) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var r recent
		c.ReadCache(recentName, 365*24*time.Hour, &r)
		var out []cobra.Completion
		for _, k := range r.Keys {
			p, _, _ := strings.Cut(k, "-")
			if strings.HasPrefix(p, strings.ToUpper(prefix)) && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// Args checks a command's arguments with check, and makes its complaint a
// usage error (exit 2), as a flag's is.
func Args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return Usagef(fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath()))
		}
		return nil
	}
}
