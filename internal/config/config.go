// Package config owns ticket-mate's configuration: where each setting may
// come from (flags, the environment, .env.local, .env, ticket-mate.json,
// jira.json, the user config file, defaults), which source wins, where each
// effective value came from (for tm env-debug), and the offline diagnostics
// behind tm env-check. It reads files but never prints, exits or reads the
// process environment itself: the command layer hands it a LookupEnv.
// It imports only the standard library and the domain package tm.
//
// Commands obtain a loaded *Config from the CLI factory:
//
//	cfg, err := f.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
)

// Config is the effective configuration.
type Config struct {
	BaseURL       string    // the site, normalised: https://your-site.atlassian.net, no trailing slash
	Email         string    // the Atlassian account's email (PAT mode)
	APIKey        tm.Secret // API token (PAT) or Data Center personal access token (BEARER)
	AuthMode      AuthMode
	ClientID      string    // OAuth app
	ClientSecret  tm.Secret // OAuth app
	RedirectURI   string    // OAuth callback
	CloudID       string    // the site's cloud id, for the api.atlassian.com gateway
	UseCloudAPI   bool      // call Jira through the gateway instead of the site
	ProjectKey    string
	AuthURL       string // Atlassian's authorization server (the sandbox in tests)
	APIURL        string // Atlassian's API gateway (the sandbox in tests)
	DatabaseURL   string // tm serve's store
	EncryptionKey tm.Secret
	PublicURL     string // where tm serve is reached, for OAuth redirects
	OAuthScopes   []string
	Debug         bool
	// Timeout bounds each command that talks to Jira, every attempt and
	// wait included (TM_TIMEOUT, --timeout).
	Timeout time.Duration
	// OldEncryptionKeys still open tokens sealed before a key rotation;
	// the current EncryptionKey seals everything new.
	OldEncryptionKeys []tm.Secret
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken tm.Secret
	// MetricsAddr, when set, serves /metrics on this address only.
	MetricsAddr string
	// TokenLifetime is how long a ticket-mate token that tm serve hands
	// to a device or assistant lasts.
	TokenLifetime time.Duration
	// GatewayRate (requests per second) and GatewayBurst bound each
	// person's requests through tm serve's Jira gateway and /mcp.
	GatewayRate  float64
	GatewayBurst int

	settings []Setting
	files    []File
	notes    []string
}

// Settings returns every setting with its shown value and provenance, in a
// stable order (the auth mode first).
func (c *Config) Settings() []Setting { return slices.Clone(c.settings) }

// Setting returns one setting's value and provenance by variable name.
func (c *Config) Setting(name string) (Setting, bool) {
	for _, s := range c.settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// Source returns where the named setting's effective value came from.
func (c *Config) Source(name string) Source {
	s, _ := c.Setting(name)
	return s.Source
}

// Files returns every file tm looked at, highest precedence first.
func (c *Config) Files() []File { return slices.Clone(c.files) }

// Notes returns what loading changed or noticed on the way (a page URL
// reduced to its site, a misspelt variable in a .env file).
func (c *Config) Notes() []string { return slices.Clone(c.notes) }

// Flag is a command-line override: the highest-ranked source.
type Flag struct {
	Name  string // as typed, without dashes: "project"
	Key   string // the variable it sets: config.KeyProjectKey
	Value string
}

// Sources says where Load looks.
type Sources struct {
	WorkDir string // where tm runs; holds the project's files unless ProjectDir is set
	// ProjectDir holds .env.local, .env, ticket-mate.json and jira.json
	// when they were found above WorkDir (see FindProjectDir); "" is WorkDir.
	ProjectDir string
	// Nearest is a directory above the repository root holding one of those
	// files, which tm does not read but names when nothing else is found.
	Nearest   string
	ConfigDir string                      // holds the user's config.json; "" skips it
	LookupEnv func(string) (string, bool) // the process environment; nil means empty
	// ConfigFile is --config: one JSON file read instead of ticket-mate.json
	// and jira.json. Relative to WorkDir. "" falls back to $TM_CONFIG.
	ConfigFile string
	Flags      []Flag // overrides; a Flag with an empty Value is ignored
}

// maxFileSize bounds what tm reads as a config file: anything larger is not one.
const maxFileSize = 1 << 20

// assignment is one value for a setting from one place.
type assignment struct {
	src Source
	raw string
}

type loader struct {
	src      Sources
	files    []File
	problems []error
	notes    []string
	// ranked holds each setting's assignments, highest-ranked first.
	ranked map[string][]assignment
}

// Load reads every source, resolves each setting by precedence (flags >
// environment > .env.local > .env > ticket-mate.json > jira.json > user
// config > defaults; within one source a setting's own name outranks its
// aliases) and checks each effective value. An empty value counts as not set.
// On any problem it returns a *LoadError listing all of them and no Config:
// nothing is half-applied.
func Load(src Sources) (*Config, error) {
	l := &loader{src: src, ranked: map[string][]assignment{}}
	l.flags()
	l.env()
	l.dotenv(RoleDotenvLocal)
	l.dotenv(RoleDotenv)
	l.jsonFiles()
	if l.src.Nearest != "" && !l.anyFound() {
		l.notes = append(l.notes, fmt.Sprintf("No .env.local, .env, ticket-mate.json or jira.json here or up to the repository root; %s has one, but it is above the repository, so tm does not read it: run tm there, or copy the file into this project", l.src.Nearest))
	}
	if len(l.problems) > 0 {
		return nil, newLoadError(l.problems, l.files)
	}
	c := l.resolve()
	if len(l.problems) > 0 {
		return nil, newLoadError(l.problems, l.files)
	}
	return c, nil
}

// anyFound reports whether any file was read.
func (l *loader) anyFound() bool {
	for _, f := range l.files {
		if f.Status == FileFound {
			return true
		}
	}
	return false
}

func (l *loader) add(name string, a assignment) {
	l.ranked[name] = append(l.ranked[name], a)
}

func (l *loader) flags() {
	for _, f := range l.src.Flags {
		if f.Value == "" {
			continue
		}
		s, _ := settingByName(f.Key)
		if s == nil {
			l.problems = append(l.problems, fmt.Errorf("flag --%s sets %s, which is not a setting", f.Name, f.Key))
			continue
		}
		l.add(s.Name, assignment{src: Source{Kind: SourceFlag, Name: f.Name}, raw: f.Value})
	}
}

func (l *loader) env() {
	if l.src.LookupEnv == nil {
		return
	}
	for _, s := range settings {
		for i, name := range append([]string{s.Name}, s.Aliases...) {
			if v, ok := l.src.LookupEnv(name); ok {
				l.add(s.Name, assignment{src: Source{Kind: SourceEnv, Name: name, Var: name, Alias: i > 0}, raw: v})
			}
		}
	}
}

// read opens a config file, recording what happened in l.files. It returns
// the content only when the file exists and could be read.
func (l *loader) read(role Role, name, path string) (*File, []byte) {
	l.files = append(l.files, File{Role: role, Name: name, Path: path})
	f := &l.files[len(l.files)-1]
	fail := func(err error) (*File, []byte) {
		f.Status, f.Detail = FileInvalid, err.Error()
		l.problems = append(l.problems, &FileError{File: name, Msg: err.Error()})
		return f, nil
	}
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		f.Status = FileNotFound
		return f, nil
	}
	if err != nil {
		return fail(fmt.Errorf("cannot open: %w (check its permissions)", errors.Unwrap(err)))
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fail(fmt.Errorf("cannot read: %w", err))
	}
	if st.IsDir() {
		return fail(errors.New("is a directory, not a file"))
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return fail(fmt.Errorf("cannot read: %w", errors.Unwrap(err)))
	}
	if len(data) > maxFileSize {
		return fail(fmt.Errorf("is larger than %d bytes; this is not a config file", maxFileSize))
	}
	f.Status, f.Mode = FileFound, st.Mode().Perm()
	return f, data
}

// invalid marks a file found but unusable.
func (l *loader) invalid(f *File, err error) {
	f.Status, f.Detail = FileInvalid, err.Error()
	var fe *FileError
	if errors.As(err, &fe) {
		f.Line, f.Col, f.Detail = fe.Line, fe.Col, fe.Msg
	}
	l.problems = append(l.problems, err)
}

func (l *loader) inWorkDir(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(l.src.WorkDir, name)
}

// shortName shows a path relative to WorkDir when it lies inside it.
func (l *loader) shortName(path string) string {
	if rel, err := filepath.Rel(l.src.WorkDir, path); err == nil && l.src.WorkDir != "" && filepath.IsLocal(rel) {
		return rel
	}
	return path
}

// projectFile is where one of the project's files is, and its name as
// shown: "../.env.local" when it was found in a parent directory.
func (l *loader) projectFile(role Role) (name, path string) {
	name = string(role)
	if l.src.ProjectDir == "" || l.src.ProjectDir == l.src.WorkDir {
		return name, l.inWorkDir(name)
	}
	path = filepath.Join(l.src.ProjectDir, name)
	if rel, err := filepath.Rel(l.src.WorkDir, path); err == nil && l.src.WorkDir != "" {
		return rel, path
	}
	return path, path
}

func (l *loader) dotenv(role Role) {
	name, path := l.projectFile(role)
	f, data := l.read(role, name, path)
	if data == nil {
		return
	}
	entries, err := ParseDotenv(name, data)
	if err != nil {
		l.invalid(f, err)
		return
	}
	// A later line wins over an earlier one, and a setting's own name over
	// its aliases: rank entries by (alias position, line descending).
	byName := map[string][]DotenvEntry{}
	for _, e := range entries {
		byName[e.Key] = append(byName[e.Key], e)
	}
	for _, s := range settings {
		for i, n := range append([]string{s.Name}, s.Aliases...) {
			es := byName[n]
			for j := len(es) - 1; j >= 0; j-- {
				l.add(s.Name, assignment{src: Source{Kind: SourceDotenv, Name: name, Var: n, Alias: i > 0, Line: es[j].Line}, raw: es[j].Value})
				noteKey(f, &s)
			}
		}
	}
	for _, e := range entries {
		if s, _ := settingByName(e.Key); s != nil {
			continue
		}
		if e.Key == EnvConfigFile {
			l.notes = append(l.notes, fmt.Sprintf("%s:%d: %s is read only from the environment; use --config or export it", name, e.Line, e.Key))
		} else if guess := closestName(e.Key); guess != "" && looksLikeOurs(e.Key) {
			l.notes = append(l.notes, fmt.Sprintf("%s:%d: tm does not read %s; did you mean %s?", name, e.Line, e.Key, guess))
		}
	}
}

func looksLikeOurs(key string) bool {
	for _, p := range []string{"ATLAS", "JIRA", "TM_"} {
		if strings.HasPrefix(strings.ToUpper(key), p) {
			return true
		}
	}
	return false
}

func noteKey(f *File, s *setting) {
	if slices.Contains(f.Keys, s.Name) {
		return
	}
	f.Keys = append(f.Keys, s.Name)
	if s.kind == kindSecret {
		f.Secrets = append(f.Secrets, s.Name)
	}
}

func (l *loader) jsonFiles() {
	explicit, from := l.src.ConfigFile, "--config"
	if explicit == "" && l.src.LookupEnv != nil {
		if v, ok := l.src.LookupEnv(EnvConfigFile); ok && strings.TrimSpace(v) != "" {
			explicit, from = strings.TrimSpace(v), "$"+EnvConfigFile
		}
	}
	if explicit != "" {
		f, _ := l.jsonFile(RoleExplicit, explicit, l.inWorkDir(explicit))
		if f.Status == FileFound {
			f.Detail = "named by " + from
		}
		if f.Status == FileNotFound {
			f.Status, f.Detail = FileInvalid, "not found"
			l.problems = append(l.problems, &FileError{File: explicit, Msg: fmt.Sprintf("not found (named by %s); check the path, relative paths start in %s", from, l.src.WorkDir)})
		}
		for _, role := range []Role{RoleTicketMate, RoleJira} {
			name, path := l.projectFile(role)
			l.files = append(l.files, File{Role: role, Name: name, Path: path,
				Status: FileSkipped, Detail: fmt.Sprintf("%s names %s instead", from, explicit)})
		}
	} else {
		for _, role := range []Role{RoleTicketMate, RoleJira} {
			name, path := l.projectFile(role)
			l.jsonFile(role, name, path)
		}
	}
	if l.src.ConfigDir != "" {
		p := filepath.Join(l.src.ConfigDir, "config.json")
		l.jsonFile(RoleUser, l.shortName(p), p)
	}
}

func (l *loader) jsonFile(role Role, name, path string) (*File, bool) {
	f, data := l.read(role, name, path)
	if data == nil {
		return f, false
	}
	values, err := ParseJSONConfig(name, data)
	if err != nil {
		l.invalid(f, err)
		return f, false
	}
	for _, v := range values {
		s := settingByJSON(v.Key)
		l.add(s.Name, assignment{src: Source{Kind: SourceJSON, Name: name, Var: v.Key, Line: v.Line, Col: v.Col}, raw: v.Raw})
		noteKey(f, s)
	}
	return f, true
}

// resolve picks each setting's effective value, checks it and records its provenance.
func (l *loader) resolve() *Config {
	c := &Config{files: l.files}
	for _, s := range settings {
		st := Setting{Name: s.Name, JSONKey: s.JSON, Secret: s.kind == kindSecret}
		var emptyAt []Source
		for _, a := range l.ranked[s.Name] {
			raw := strings.TrimSpace(a.raw)
			switch {
			case raw == "":
				emptyAt = append(emptyAt, a.src)
			case st.Source.Kind == SourceNone:
				st.Source = a.src
				l.apply(c, &s, raw, a.src)
			default:
				st.Shadowed = append(st.Shadowed, a.src)
			}
		}
		if st.Source.Kind == SourceNone {
			for _, at := range emptyAt {
				l.notes = append(l.notes, fmt.Sprintf("%s is empty in %s, which counts as not set", s.Name, at))
			}
			if s.Default != "" {
				st.Source = Source{Kind: SourceDefault}
				l.apply(c, &s, s.Default, st.Source)
			}
		}
		st.Value = c.shown(s.Name)
		c.settings = append(c.settings, st)
	}
	c.notes = l.notes
	return c
}

func (l *loader) apply(c *Config, s *setting, raw string, src Source) {
	note, err := s.apply(c, raw)
	if ierr := invisible(raw); ierr != nil {
		note, err = "", ierr
	}
	key := s.Name
	if src.Kind == SourceJSON {
		key = s.JSON
	} else if src.Var != "" {
		key = src.Var
	}
	if err != nil {
		l.problems = append(l.problems, &ValueError{Source: src, Key: key, Err: err})
	}
	if note != "" {
		l.notes = append(l.notes, fmt.Sprintf("%s from %s: %s", s.Name, src, note))
	}
}

// shown is a setting's value as people may see it.
func (c *Config) shown(name string) string {
	switch name {
	case KeyAuthMode:
		return string(c.AuthMode)
	case KeyBaseURL:
		return c.BaseURL
	case KeyEmail:
		return c.Email
	case KeyAPIKey:
		return maskSet(c.APIKey)
	case KeyClientID:
		return c.ClientID
	case KeyClientSecret:
		return maskSet(c.ClientSecret)
	case KeyRedirectURI:
		return c.RedirectURI
	case KeyCloudID:
		return c.CloudID
	case KeyUseCloudAPI:
		return fmt.Sprint(c.UseCloudAPI)
	case KeyProjectKey:
		return c.ProjectKey
	case KeyAuthURL:
		return c.AuthURL
	case KeyAPIURL:
		return c.APIURL
	case KeyOAuthScopes:
		return strings.Join(c.OAuthScopes, " ")
	case KeyDatabaseURL:
		return redactURL(c.DatabaseURL)
	case KeyEncryptionKey:
		return maskSet(c.EncryptionKey)
	case KeyPublicURL:
		return c.PublicURL
	case KeyDebug:
		return fmt.Sprint(c.Debug)
	case KeyTimeout:
		return c.Timeout.String()
	case KeyOldKeys:
		masked := make([]string, len(c.OldEncryptionKeys))
		for i, k := range c.OldEncryptionKeys {
			masked[i] = maskSet(k)
		}
		return strings.Join(masked, ",")
	case KeyMetricsToken:
		return maskSet(c.MetricsToken)
	case KeyMetricsAddr:
		return c.MetricsAddr
	case KeyTokenLifetime:
		return FormatLifetime(c.TokenLifetime)
	case KeyGatewayRate:
		return strconv.FormatFloat(c.GatewayRate, 'f', -1, 64)
	case KeyGatewayBurst:
		return strconv.Itoa(c.GatewayBurst)
	}
	return ""
}

func maskSet(s tm.Secret) string {
	if s.IsZero() {
		return ""
	}
	return tm.Mask(s.Reveal())
}
