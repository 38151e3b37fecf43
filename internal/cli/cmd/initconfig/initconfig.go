// Package initconfig owns "tm init": it asks for the Jira site, email and
// API token on a terminal (the token unechoed), checks them with one call,
// and writes them to .env.local (mode 0600) or to the user's config file.
// Without a terminal it takes the values from flags and stdin only.
// It imports the CLI factory, iostreams, progress, the config package and
// the domain.
package initconfig

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/progress"
	"github.com/ticket-mate/tm/internal/config"
)

// Options are the command's inputs.
type Options struct {
	IO        *iostreams.IOStreams
	Connect   func(ctx context.Context, flags ...config.Flag) (*factory.Jira, error)
	WorkDir   string
	ConfigDir string
	// ReadSecret reads a line from the terminal without echo.
	ReadSecret func() (string, error)

	Site, Email string
	WithToken   bool // read the token from stdin
	User        bool // write the user config instead of .env.local
}

// NewCmd builds the command; runF replaces Run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Connect: f.Connect, WorkDir: f.WorkDir, ConfigDir: f.ConfigDir, ReadSecret: f.IO.ReadSecret}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Set up tm for your Jira site with an API token",
		Long: `Ask for your Jira site, email and API token, check them with one call to
Jira, and write them to .env.local (readable only by you) in this directory,
or with --user to your user config file.

Without a terminal, give the values: --site and --email, and the token on
stdin with --with-token.`,
		Example: `  tm init
  tm init --user
  echo "$TOKEN" | tm init --site https://acme.atlassian.net --email me@acme.com --with-token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Site, "site", "", "your Jira site `URL` (https://your-site.atlassian.net)")
	fl.StringVar(&opts.Email, "email", "", "the email `ADDRESS` of your Atlassian account")
	fl.BoolVar(&opts.WithToken, "with-token", false, "read the API token from stdin")
	fl.BoolVar(&opts.User, "user", false, "write your user config file instead of .env.local")
	return cmd
}

// Run asks, checks and writes.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	interactive := opts.IO.IsStdinTTY() && opts.IO.IsStderrTTY()
	var token string
	if opts.WithToken {
		b, err := io.ReadAll(io.LimitReader(opts.IO.In, 64<<10))
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	if !interactive && (opts.Site == "" || opts.Email == "" || token == "") {
		return factory.Usagef(&tm.Error{Code: tm.EINVALID,
			Message: "tm init asks its questions on a terminal, and this is not one",
			Hint:    "Give the values instead: tm init --site https://your-site.atlassian.net --email you@example.com --with-token < token.txt"})
	}
	in := bufio.NewReader(opts.IO.In)
	ask := func(label, example string, v *string) error {
		for *v == "" {
			fmt.Fprintf(opts.IO.ErrOut, "%s (%s): ", label, example)
			line, err := in.ReadString('\n')
			*v = strings.TrimSpace(line)
			if err != nil && *v == "" {
				return cancelled()
			}
		}
		return nil
	}
	if interactive {
		fmt.Fprintln(opts.IO.ErrOut, "Connect tm to Jira Cloud with an API token.")
	}
	if err := ask("Jira site", "https://your-site.atlassian.net", &opts.Site); err != nil {
		return err
	}
	if err := ask("Email", "the address you sign in to Atlassian with", &opts.Email); err != nil {
		return err
	}
	for token == "" {
		fmt.Fprintf(opts.IO.ErrOut, "API token (create one at %s; input hidden): ", config.APITokensURL)
		t, err := opts.ReadSecret()
		fmt.Fprintln(opts.IO.ErrOut)
		if err != nil {
			return cancelled()
		}
		token = strings.TrimSpace(t)
	}

	flags := []config.Flag{
		{Name: "auth-mode", Key: config.KeyAuthMode, Value: string(config.AuthPAT)},
		{Name: "site", Key: config.KeyBaseURL, Value: opts.Site},
		{Name: "email", Key: config.KeyEmail, Value: opts.Email},
		{Name: "token", Key: config.KeyAPIKey, Value: token},
	}
	ctx, done := progress.Begin(ctx, opts.IO, "Checking the token with Jira…")
	j, err := opts.Connect(ctx, flags...)
	if err != nil {
		done()
		return err
	}
	me, err := j.Myself(ctx)
	done()
	if err != nil {
		return j.Advise(j.Explain(err, factory.About{}))
	}
	site := j.Config.BaseURL
	values := [][2]string{{config.KeyBaseURL, site}, {config.KeyEmail, opts.Email}, {config.KeyAPIKey, token}}
	var path string
	if opts.User {
		path, err = writeUser(opts.ConfigDir, values)
	} else {
		path, err = writeDotenv(filepath.Join(opts.WorkDir, ".env.local"), values)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Signed in to %s as %s.\nWrote %s (readable only by you).\nNext: tm check-permissions\n", site, firstNonEmpty(me.DisplayName, me.Email, opts.Email), path)
	return nil
}

func cancelled() error {
	return factory.Usagef(&tm.Error{Code: tm.EINVALID, Message: "cancelled: nothing was written"})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// writeDotenv sets the values in a .env file, keeping its other lines, and
// leaves it readable only by its owner.
func writeDotenv(path string, values [][2]string) (string, error) {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var lines []string
	set := map[string]bool{}
	for _, l := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		k, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(l), "export "), "=")
		replaced := false
		for _, v := range values {
			if strings.TrimSpace(k) == v[0] {
				if !set[v[0]] {
					lines = append(lines, v[0]+"="+v[1])
					set[v[0]] = true
				}
				replaced = true
			}
		}
		if !replaced && l != "" {
			lines = append(lines, l)
		}
	}
	for _, v := range values {
		if !set[v[0]] {
			lines = append(lines, v[0]+"="+v[1])
		}
	}
	return path, writePrivate(path, []byte(strings.Join(lines, "\n")+"\n"))
}

// writeUser sets the values in the user's config.json, keeping its other keys.
func writeUser(dir string, values [][2]string) (string, error) {
	if dir == "" {
		return "", errors.New("no user config directory on this system; run tm init without --user")
	}
	path := filepath.Join(dir, "config.json")
	doc := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &doc); err != nil {
			return "", fmt.Errorf("%s is not valid JSON (%v); fix or remove it, then run tm init again", path, err)
		}
	}
	for _, v := range values {
		doc[config.JSONKey(v[0])] = v[1]
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return path, writePrivate(path, append(b, '\n'))
}

// writePrivate replaces path atomically with a file only its owner can read.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tm-init-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
