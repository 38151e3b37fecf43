package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
)

// Status is the outcome of one check.
type Status string

const (
	StatusOK    Status = "ok"
	StatusWarn  Status = "warn"
	StatusError Status = "error"
)

// Check is one line of tm env-check: a setting (or a file) and what is
// wrong with it, if anything. A setting with two problems gives two Checks
// with the same Name.
type Check struct {
	Name    string `json:"name"`             // the variable, or a file name
	Status  Status `json:"status"`           // ok, warn or error
	Value   string `json:"value"`            // as shown: secrets masked
	Source  string `json:"source,omitempty"` // provenance, as env-debug shows it
	Message string `json:"message,omitempty"`
	Fix     string `json:"fix,omitempty"` // one line: what to do
}

// Report is the outcome of Diagnose.
type Report struct {
	Mode   AuthMode `json:"mode"`
	Checks []Check  `json:"checks"`
}

// Count returns how many checks have the status.
func (r Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// DiagnoseOptions are Diagnose's ways of looking outside the Config.
type DiagnoseOptions struct {
	// Tracked reports whether a file is tracked by git. It is called only for
	// a JSON config file that holds a secret; nil skips that check.
	Tracked func(path string) bool
}

// Diagnose checks the configuration offline: what the auth mode requires,
// and the mistakes people make setting it up (old tokens, pasted URLs,
// mismatched modes, world-readable secrets, secrets committed to git).
func Diagnose(c *Config, o DiagnoseOptions) Report {
	d := &diagnosis{c: c, r: Report{Mode: c.AuthMode}}
	d.setting(KeyAuthMode)
	names := []string{KeyBaseURL, KeyEmail, KeyAPIKey}
	switch c.AuthMode {
	case AuthBearer:
		names = []string{KeyBaseURL, KeyAPIKey}
	case AuthOAuth:
		names = []string{KeyClientID, KeyClientSecret, KeyRedirectURI}
		if c.BaseURL != "" {
			names = append(names, KeyBaseURL)
		}
	}
	names = append(names, KeyProjectKey)
	if c.UseCloudAPI || c.CloudID != "" {
		names = append(names, KeyUseCloudAPI, KeyCloudID)
	}
	for _, n := range names {
		d.setting(n)
	}
	d.files(o)
	return d.r
}

type diagnosis struct {
	c        *Config
	r        Report
	problems []Check // findings for the setting being checked
}

func (d *diagnosis) warn(msg, fix string) {
	d.problems = append(d.problems, Check{Status: StatusWarn, Message: msg, Fix: fix})
}

// setting runs the checks of one setting and records its line(s).
func (d *diagnosis) setting(name string) {
	c := d.c
	s, _ := c.Setting(name)
	d.problems = nil
	if s.Value == "" && slices.Contains(c.AuthMode.Required(), name) {
		d.problems = append(d.problems, Check{Status: StatusError,
			Message: fmt.Sprintf("required in %s mode", c.AuthMode),
			Fix:     fmt.Sprintf("set %s=%s in .env.local", name, exampleFor(c.AuthMode, name))})
	} else if s.Value != "" {
		switch name {
		case KeyBaseURL:
			d.baseURL()
		case KeyEmail:
			if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
				d.warn("does not look like an email address", "use the email address you sign in to Atlassian with")
			}
		case KeyAPIKey:
			d.apiKey()
		case KeyCloudID:
			if !IsUUID(c.CloudID) {
				d.warn("is not a cloud id (a UUID such as f82a209c-ad3a-4c8c-b311-fc3bf6e584b5)", d.cloudIDFix())
			}
		case KeyUseCloudAPI:
			if c.UseCloudAPI && c.AuthMode == AuthBearer {
				d.warn("Jira Data Center has no API gateway; BEARER mode ignores it", "remove ATLASSIAN_USE_CLOUD_API")
			}
		case KeyRedirectURI:
			if u, err := url.Parse(c.RedirectURI); err == nil && u.Path != CallbackPath {
				fixed := *u
				fixed.Path, fixed.RawQuery = CallbackPath, ""
				d.warn("tm serve receives the OAuth callback at "+CallbackPath,
					"set ATLASSIAN_REDIRECT_URI="+fixed.String()+" here and in the app's settings at https://developer.atlassian.com/console/myapps/")
			}
		case KeyProjectKey:
			if !ValidProjectKey(c.ProjectKey) {
				d.warn("Jira project keys are upper-case letters and digits, such as SPACE2 (keys are case-sensitive)",
					"use the prefix of the project's issue keys (SPACE2-123 → SPACE2), or run: tm ls-projects")
			}
		}
	}
	if name == KeyCloudID && s.Value == "" && c.UseCloudAPI && c.AuthMode == AuthPAT {
		site := c.TenantInfoURL()
		d.warn("not set: tm will discover it from "+site+" on each run",
			"to set it by hand, open "+site+" in a browser while signed in and set ATLASSIAN_CLOUD_ID to its cloudId")
	}
	line := Check{Name: name, Status: StatusOK, Value: s.Value, Source: s.Source.String()}
	if line.Value == "" {
		line.Value, line.Source = tm.Mask(""), ""
	}
	if len(d.problems) == 0 {
		d.r.Checks = append(d.r.Checks, line)
	}
	for _, p := range d.problems {
		p.Name, p.Value, p.Source = line.Name, line.Value, line.Source
		d.r.Checks = append(d.r.Checks, p)
	}
}

func (d *diagnosis) baseURL() {
	c := d.c
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return // Load has checked it; nothing more to say
	}
	host := u.Hostname()
	if IsLoopback(host) {
		return // the sandbox: any mode, plain http
	}
	if u.Scheme == "http" {
		d.warn("plain http sends your credentials unencrypted", "use https:// if the server offers it")
	}
	cloud := IsCloudHost(host)
	switch {
	case c.AuthMode == AuthBearer && cloud:
		d.warn("BEARER mode is for Jira Data Center, but this is a Jira Cloud site",
			"for Jira Cloud set ATLASSIAN_AUTH_MODE=PAT with ATLASSIAN_EMAIL and an API token")
	case c.AuthMode != AuthBearer && !cloud:
		d.warn(fmt.Sprintf("%s mode is for Jira Cloud (*.atlassian.net), but this is another host", c.AuthMode),
			"for Jira Data Center set ATLASSIAN_AUTH_MODE=BEARER and ATLASSIAN_API_KEY to a personal access token")
	}
}

func (d *diagnosis) apiKey() {
	key := d.c.APIKey.Reveal()
	if strings.IndexFunc(key, unicode.IsSpace) >= 0 {
		d.warn("contains blanks or a line break; it was probably pasted in pieces", "paste the token again, on one line")
	}
	if d.c.AuthMode == AuthBearer && strings.HasPrefix(key, apiTokenPrefix) {
		d.warn("starts with "+apiTokenPrefix+": it is a Jira Cloud API token, but BEARER mode sends it as a Data Center personal access token",
			"for Jira Cloud set ATLASSIAN_AUTH_MODE=PAT and ATLASSIAN_EMAIL; for Data Center create a personal access token in your Jira profile")
	}
	if d.c.AuthMode != AuthPAT {
		return // Data Center tokens have no fixed shape
	}
	n := utf8.RuneCountInString(key)
	fix := "generate a new one at " + APITokensURL
	switch {
	case n == legacyTokenLength || (n >= legacyTokenLengthLo && n <= legacyTokenLengthHi):
		d.warn(fmt.Sprintf("%d characters: an old token format, or cut short when copied (current tokens start with %s and are about 192 characters)", n, apiTokenPrefix), fix)
	case !strings.HasPrefix(key, apiTokenPrefix):
		d.warn("does not start with "+apiTokenPrefix+", so it is not a current Atlassian API token", fix)
	case n < currentTokenLengthMin:
		d.warn(fmt.Sprintf("only %d characters, though it starts like a current token (about 192): it was probably cut short when copied", n),
			"copy the token again in full, or "+fix)
	}
}

func (d *diagnosis) cloudIDFix() string {
	if d.c.BaseURL == "" {
		return "open https://your-site.atlassian.net/_edge/tenant_info in a browser while signed in and copy cloudId"
	}
	return "open " + d.c.TenantInfoURL() + " in a browser while signed in and copy cloudId"
}

// files checks how the files holding secrets are kept.
func (d *diagnosis) files(o DiagnoseOptions) {
	for _, f := range d.c.files {
		if f.Status != FileFound || len(f.Secrets) == 0 {
			continue
		}
		held := strings.Join(f.Secrets, ", ")
		if runtime.GOOS != "windows" && f.Mode&0o077 != 0 {
			d.r.Checks = append(d.r.Checks, Check{Name: f.Name, Status: StatusWarn, Value: fmt.Sprintf("mode %04o", f.Mode),
				Message: "holds " + held + " and other users on this machine can read it",
				Fix:     "chmod 600 " + shellQuote(f.Name)})
		}
		isJSON := f.Role != RoleDotenv && f.Role != RoleDotenvLocal
		if isJSON && o.Tracked != nil && o.Tracked(f.Path) {
			d.r.Checks = append(d.r.Checks, Check{Name: f.Name, Status: StatusWarn, Value: "tracked by git",
				Message: "holds " + held + " and is committed: anyone with the repository has it",
				Fix:     "move the secret to .env.local, run git rm --cached " + shellQuote(f.Name) + ", and revoke the committed secret"})
		}
	}
}

func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// exampleFor is a placeholder value for a missing setting in a fix line.
func exampleFor(mode AuthMode, key string) string {
	if mode == AuthBearer {
		switch key {
		case KeyBaseURL:
			return "https://jira.your-company.com"
		case KeyAPIKey:
			return "<personal access token from your Jira profile>"
		}
	}
	return example(key)
}
