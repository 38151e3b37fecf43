// Package envdebug owns tm env-debug: every setting with its effective value
// (secrets masked) and where it came from, every file tm looked at, what tm
// derives from them (auth scheme, REST URL, cloud id), and the sign-in
// through a ticket-mate server when there is one (never its token).
// Offline. It imports the config package, the CLI factory and iostreams.
package envdebug

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/cli/output"
	"github.com/ticket-mate/tm/internal/config"
)

// Options are env-debug's inputs.
type Options struct {
	IO      *iostreams.IOStreams
	Config  func(flags ...config.Flag) (*config.Config, error)
	WorkDir string

	Project string
	JSON    bool

	// Server returns the stored sign-in through a ticket-mate server (nil:
	// none) and whether tm commands use it with cfg.
	Server func(cfg *config.Config) (ss *factory.StoredServer, inUse bool, err error)
}

// storedServer is Options.Server for the factory's sign-in.
func storedServer(f *factory.Factory) func(*config.Config) (*factory.StoredServer, bool, error) {
	return func(cfg *config.Config) (*factory.StoredServer, bool, error) {
		if ss, ok := f.ServerSignInInUse(cfg); ok {
			return ss, true, nil
		}
		ss, err := f.ServerSignIn()
		if tm.ErrorCode(err) == tm.ENOTFOUND {
			return nil, false, nil
		}
		return ss, false, err
	}
}

// NewCmd builds tm env-debug; runF replaces run in tests of flag parsing.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Config: f.Config, WorkDir: f.WorkDir, Server: storedServer(f)}
	cmd := &cobra.Command{
		Use:   "env-debug",
		Short: "Show every setting, where it came from, and what tm derives from it",
		Long: `Show every setting tm reads with its effective value (secrets masked) and its
source — a flag, an environment variable, a line of .env.local or .env, a JSON
file, or the default — plus what lower-ranked sources it overrides, every file
tm looked for, and what tm derives: the auth scheme, the REST URL it would call
and where the cloud id comes from. After tm login --server it shows the server,
where the sign-in is kept and whether tm commands use it (never the token).
Offline.`,
		Example: `  tm env-debug
  tm env-debug --config ./staging.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Project, "project", "p", "", "project key (overrides ATLASSIAN_PROJECT_KEY)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

// The --json form. Field names are stable.
type (
	jsonSetting struct {
		Name       string   `json:"name"`
		JSONKey    string   `json:"jsonKey"`
		Value      *string  `json:"value"` // null when not set
		Secret     bool     `json:"secret"`
		Source     string   `json:"source"`
		SourceKind string   `json:"sourceKind"`
		Overrides  []string `json:"overrides"`
	}
	jsonFile struct {
		Role   string   `json:"role"`
		Name   string   `json:"name"`
		Path   string   `json:"path"`
		Status string   `json:"status"`
		Detail string   `json:"detail,omitempty"`
		Line   int      `json:"line,omitempty"`
		Col    int      `json:"column,omitempty"`
		Keys   []string `json:"keys"`
	}
	jsonDerived struct {
		AuthMode        string `json:"authMode"`
		AuthScheme      string `json:"authScheme"`
		API             string `json:"api"`
		RESTURL         string `json:"restUrl"`
		CloudIDFrom     string `json:"cloudIdFrom"`
		DiscoverCloudID bool   `json:"discoverCloudId"`
		TenantInfoURL   string `json:"tenantInfoUrl,omitempty"`
	}
	// jsonServer is the sign-in through a ticket-mate server, without
	// its token.
	jsonServer struct {
		URL       string   `json:"url"`
		KeptIn    string   `json:"keptIn"`
		InUse     bool     `json:"inUse"`
		Account   string   `json:"account"`
		Email     *string  `json:"email"`
		Site      string   `json:"site"`
		SiteURL   string   `json:"siteUrl"`
		CloudID   string   `json:"cloudId"`
		Scopes    []string `json:"scopes"`
		ExpiresAt string   `json:"expiresAt"`
		RESTURL   string   `json:"restUrl"`
	}
	jsonOutput struct {
		Settings []jsonSetting `json:"settings,omitempty"`
		Files    []jsonFile    `json:"files"`
		Derived  *jsonDerived  `json:"derived,omitempty"`
		Server   *jsonServer   `json:"server,omitempty"`
		Notes    []string      `json:"notes"`
		Error    string        `json:"error,omitempty"`
	}
)

func run(opts *Options) error {
	cfg, err := opts.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
	var files []config.File
	var loadErr *config.LoadError
	switch {
	case err == nil:
		files = cfg.Files()
	case errors.As(err, &loadErr):
		files = loadErr.Files // still worth showing: which file is broken, and where
	default:
		return err
	}
	var ss *factory.StoredServer
	var inUse bool
	var ssErr error
	if cfg != nil && opts.Server != nil {
		ss, inUse, ssErr = opts.Server(cfg)
	}
	if opts.JSON {
		out := jsonOutput{Files: filesJSON(files), Notes: []string{}}
		if err != nil {
			out.Error = err.Error()
		} else {
			out.Settings, out.Derived, out.Notes = settingsJSON(cfg), derivedJSON(cfg), append(out.Notes, cfg.Notes()...)
			if ss != nil {
				out.Server = serverJSON(cfg, ss, inUse)
			}
			if ssErr != nil {
				out.Notes = append(out.Notes, serverErrNote(ssErr))
			}
		}
		if e := factory.WriteJSON(opts.IO.Out, out); e != nil {
			return e
		}
		return err
	}
	p := &printer{w: opts.IO.Out, tty: opts.IO.IsStdoutTTY(), color: opts.IO.ColorEnabled(), width: opts.IO.Width()}
	if cfg != nil {
		p.section("Settings (highest first: flag > env > .env.local > .env > ticket-mate.json > jira.json > user config > default)")
		for _, s := range cfg.Settings() {
			val := s.Value
			if val == "" {
				val = "(not set)"
			}
			var also []string
			for _, sh := range s.Shadowed {
				also = append(also, sh.String())
			}
			over := ""
			if len(also) > 0 {
				over = "overrides " + strings.Join(also, ", ")
			}
			p.row(s.Name, val, s.Source.String(), over)
		}
		p.flush()
	}
	p.section("Files (in " + opts.WorkDir + ")")
	for _, f := range files {
		p.row(f.Name, string(f.Status), fileDetail(f))
	}
	p.flush()
	if cfg == nil {
		return err
	}
	p.section("Derived")
	if ss != nil && inUse {
		cloudID, from := serverCloudID(cfg, ss)
		p.row("auth mode", "ticket-mate server sign-in (tm login --server): Jira as "+ss.Account.Name+", through "+ss.Server)
		p.row("REST API", serverREST(cfg, ss)+" (the server's Jira gateway)")
		p.row("cloud id", cloudID+" ("+from+")")
	} else {
		api := cfg.API()
		p.row("auth mode", string(cfg.AuthMode)+": "+cfg.AuthMode.Describe())
		p.row("REST API", api.RESTURL+" ("+apiName(api.Kind)+")")
		p.row("cloud id", cloudIDText(cfg, api))
	}
	p.flush()
	if ss != nil {
		p.section("Server sign-in (tm login --server)")
		used := "yes: the settings above name no credentials of their own"
		if !inUse {
			used = "no: the credentials configured above win; unset them to use the server"
		}
		j := serverJSON(cfg, ss, inUse)
		p.row("used", used)
		p.row("server", j.URL)
		p.row("account", j.Account+emailText(j.Email))
		p.row("site", j.Site+" ("+j.SiteURL+")")
		p.row("scopes", strings.Join(j.Scopes, " "))
		p.row("expires", j.ExpiresAt)
		p.flush()
		// A path cut to fit would not say where the file is.
		p.whole("kept in", len("account"), j.KeptIn)
	}
	notes := cfg.Notes()
	if ssErr != nil {
		notes = append(notes, serverErrNote(ssErr))
	}
	if len(notes) > 0 {
		p.section("Notes")
		for _, n := range notes {
			p.line(n)
		}
	}
	return nil
}

// serverCloudID is the site tm reaches through the server: a configured
// ATLASSIAN_CLOUD_ID wins over the one chosen at sign-in, as in tm commands.
func serverCloudID(cfg *config.Config, ss *factory.StoredServer) (id, from string) {
	if cfg.CloudID != "" {
		return cfg.CloudID, cfg.Source(config.KeyCloudID).String()
	}
	return ss.CloudID, "chosen at tm login --server"
}

func serverREST(cfg *config.Config, ss *factory.StoredServer) string {
	id, _ := serverCloudID(cfg, ss)
	return factory.GatewayURL(ss.Server, id) + "/rest/api/3"
}

func serverJSON(cfg *config.Config, ss *factory.StoredServer, inUse bool) *jsonServer {
	id, _ := serverCloudID(cfg, ss)
	scopes := ss.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return &jsonServer{URL: ss.Server, KeptIn: ss.Where, InUse: inUse, Account: ss.Account.Name, Email: orNull(ss.Account.Email),
		Site: ss.SiteName, SiteURL: ss.SiteURL, CloudID: id, Scopes: scopes,
		ExpiresAt: ss.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), RESTURL: serverREST(cfg, ss)}
}

func emailText(email *string) string {
	if email == nil {
		return ""
	}
	return " (" + *email + ")"
}

// serverErrNote says that a stored server sign-in could not be read; the
// message names the file and what to do, never the token.
func serverErrNote(err error) string {
	return "The server sign-in (tm login --server) cannot be read: " + err.Error()
}

func fileDetail(f config.File) string {
	switch {
	case f.Status == config.FileInvalid && f.Line > 0 && f.Col > 0:
		return fmt.Sprintf("line %d, column %d: %s", f.Line, f.Col, f.Detail)
	case f.Status == config.FileInvalid && f.Line > 0:
		return fmt.Sprintf("line %d: %s", f.Line, f.Detail)
	case f.Status == config.FileFound:
		sets := "sets nothing tm reads"
		if len(f.Keys) > 0 {
			sets = "sets " + strings.Join(f.Keys, ", ")
		}
		if f.Detail != "" {
			return f.Detail + "; " + sets
		}
		return sets
	}
	return f.Detail
}

func apiName(kind string) string {
	switch kind {
	case config.APIGateway:
		return "Atlassian API gateway"
	case config.APIDataCenter:
		return "Jira Data Center, REST v2"
	}
	return "the site, REST v3"
}

func cloudIDText(cfg *config.Config, api config.API) string {
	switch api.CloudIDFrom {
	case config.CloudIDConfigured:
		return cfg.CloudID + " (" + cfg.Source(config.KeyCloudID).String() + ")"
	case config.CloudIDTenantInfo:
		return "not set: discovered at run time from " + api.TenantInfoURL
	case config.CloudIDGrant:
		return "from each user's OAuth grant (accessible-resources)"
	}
	return "not needed"
}

func settingsJSON(cfg *config.Config) []jsonSetting {
	var out []jsonSetting
	for _, s := range cfg.Settings() {
		over := []string{}
		for _, sh := range s.Shadowed {
			over = append(over, sh.String())
		}
		out = append(out, jsonSetting{Name: s.Name, JSONKey: s.JSONKey, Value: orNull(s.Value), Secret: s.Secret,
			Source: s.Source.String(), SourceKind: string(s.Source.Kind), Overrides: over})
	}
	return out
}

func filesJSON(files []config.File) []jsonFile {
	out := []jsonFile{}
	for _, f := range files {
		keys := f.Keys
		if keys == nil {
			keys = []string{}
		}
		out = append(out, jsonFile{Role: string(f.Role), Name: f.Name, Path: f.Path, Status: string(f.Status),
			Detail: f.Detail, Line: f.Line, Col: f.Col, Keys: keys})
	}
	return out
}

func derivedJSON(cfg *config.Config) *jsonDerived {
	api := cfg.API()
	return &jsonDerived{AuthMode: string(cfg.AuthMode), AuthScheme: cfg.AuthMode.Describe(), API: api.Kind,
		RESTURL: api.RESTURL, CloudIDFrom: api.CloudIDFrom, DiscoverCloudID: api.CloudIDFrom == config.CloudIDTenantInfo,
		TenantInfoURL: api.TenantInfoURL}
}

// printer writes sections of rows: aligned columns on a terminal,
// tab-separated when piped.
type printer struct {
	w          io.Writer
	tty, color bool
	width      int
	table      *output.Table
	started    bool
}

func (p *printer) section(title string) {
	if p.started {
		fmt.Fprintln(p.w)
	}
	p.started = true
	if p.color {
		title = "\x1b[1m" + title + "\x1b[0m"
	}
	fmt.Fprintln(p.w, title)
}

func (p *printer) row(cols ...string) {
	for len(cols) > 1 && cols[len(cols)-1] == "" {
		cols = cols[:len(cols)-1]
	}
	if !p.tty {
		fmt.Fprintln(p.w, strings.Join(cols, "\t"))
		return
	}
	if p.table == nil {
		p.table = output.NewTableTo(p.w, p.width, false)
		p.table.Indent = "  "
	}
	p.table.Row(cols...)
}

// line writes a note whole: cutting it would lose what it says.
func (p *printer) line(s string) {
	if p.tty {
		s = "  " + s
	}
	fmt.Fprintln(p.w, s)
}

// whole writes a row that is never cut, its key padded to the table's
// key column (width).
func (p *printer) whole(key string, width int, value string) {
	if !p.tty {
		fmt.Fprintln(p.w, key+"\t"+value)
		return
	}
	fmt.Fprintf(p.w, "  %-*s  %s\n", width, key, value)
}

func (p *printer) flush() {
	if p.table != nil {
		p.table.Flush()
		p.table = nil
	}
}

// orNull is v, or nil (JSON null) when v is empty: not set.
func orNull(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
