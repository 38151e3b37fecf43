package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// AuthMode is how tm authenticates to Jira.
type AuthMode string

const (
	// AuthPAT is an Atlassian API token sent as Basic email:token (Jira Cloud).
	AuthPAT AuthMode = "PAT"
	// AuthBearer is a Data Center personal access token sent as Bearer.
	AuthBearer AuthMode = "BEARER"
	// AuthOAuth is OAuth 2.0 (3LO): each person signs in with Atlassian.
	AuthOAuth AuthMode = "OAUTH"
)

// Describe says in a few words what the mode sends.
func (m AuthMode) Describe() string {
	switch m {
	case AuthBearer:
		return "Data Center personal access token, sent as Bearer"
	case AuthOAuth:
		return "OAuth 2.0 (3LO): each user signs in with Atlassian"
	default:
		return "Atlassian API token, sent as Basic email:token"
	}
}

// ParseAuthMode accepts PAT, BEARER or OAUTH in any case.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(strings.ToUpper(strings.TrimSpace(s))); m {
	case AuthPAT, AuthBearer, AuthOAuth:
		return m, nil
	}
	return "", fmt.Errorf("%q is not an auth mode; use PAT (API token, Jira Cloud), BEARER (Data Center personal access token) or OAUTH", s)
}

// ParseBool accepts true/false, 1/0 and yes/no in any case, and nothing else:
// a typo must not silently mean false.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean; use true or false (1/0 and yes/no also work)", s)
}

// IsLoopback reports whether host (no port) names this machine. Plain http is
// fine there: it is where the sandbox listens.
func IsLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsCloudHost reports whether host (no port) is an Atlassian Cloud site.
func IsCloudHost(host string) bool {
	host = strings.ToLower(host)
	return strings.HasSuffix(host, ".atlassian.net") || strings.HasSuffix(host, ".jira.com")
}

// uiSegments are path segments that start a page of the Jira (or
// Confluence) web UI or its API rather than the site's own path: a base URL
// is cut before the first of them. Data Center may live under a context path
// (https://corp.example/jira), which is why the cut is by segment.
var uiSegments = map[string]bool{
	"browse": true, "projects": true, "secure": true, "issues": true, "plugins": true,
	"rest": true, "wiki": true, "display": true, "servicedesk": true, "_edge": true,
	"login.jsp": true, "dashboard.jspa": true, "issue": true, "boards": true,
}

// cloudUISections follow a "jira" segment in Cloud UI paths (/jira/software/…).
var cloudUISections = map[string]bool{
	"software": true, "core": true, "servicedesk": true, "your-work": true, "projects": true,
	"for-you": true, "dashboards": true, "settings": true, "plans": true, "filters": true,
	"people": true, "boards": true,
}

// normalizeBaseURL turns what people paste into the site URL tm needs:
// spaces and trailing slashes go, a missing scheme becomes https, and a page
// of the site (an issue, a board, a wiki page) is reduced to the site.
func normalizeBaseURL(raw string) (u, note string, err error) {
	s := strings.TrimSpace(raw)
	var notes []string
	if !strings.Contains(s, "://") {
		s = "https://" + s
		notes = append(notes, fmt.Sprintf("added https:// to %q", redactURL(strings.TrimSpace(raw))))
	}
	p, err := url.Parse(s)
	if err != nil || p.Host == "" || p.Opaque != "" {
		return "", "", fmt.Errorf("%q is not a URL; expected the site, like https://your-site.atlassian.net", redactURL(raw))
	}
	if p.User != nil {
		return "", "", fmt.Errorf("%q holds credentials; give only the site URL and set the email and token in their own variables", redactURL(raw))
	}
	scheme := strings.ToLower(p.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", fmt.Errorf("%q: scheme %q is not http or https", raw, p.Scheme)
	}
	host := strings.ToLower(p.Host)
	hostname := p.Hostname()
	if scheme == "http" && IsCloudHost(hostname) {
		return "", "", fmt.Errorf("%q: Jira Cloud is served over https only; use https://%s", raw, host)
	}
	segs := strings.Split(strings.Trim(p.EscapedPath(), "/"), "/")
	keep := len(segs)
	if IsCloudHost(hostname) {
		keep = 0 // a Cloud site never has a context path
	} else {
		for i, seg := range segs {
			low := strings.ToLower(seg)
			if uiSegments[low] || (low == "jira" && i+1 < len(segs) && cloudUISections[strings.ToLower(segs[i+1])]) {
				keep = i
				break
			}
		}
	}
	path := strings.Join(segs[:keep], "/")
	if path != "" {
		path = "/" + path
	}
	out := scheme + "://" + host + path
	dropped := strings.Trim(p.EscapedPath(), "/") != strings.Trim(path, "/") || p.RawQuery != "" || p.Fragment != ""
	if dropped {
		notes = append(notes, fmt.Sprintf("reduced %q to the site; tm needs the site, not a page on it", redactURL(strings.TrimSpace(raw))))
	}
	return out, strings.Join(notes, "; "), nil
}

// absoluteURL checks an http(s) URL and drops trailing slashes. With
// httpsOnly, http is accepted only on loopback hosts (the sandbox).
func absoluteURL(raw string, httpsOnly bool) (string, error) {
	s := strings.TrimSpace(raw)
	p, err := url.Parse(s)
	if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", redactURL(raw))
	}
	if httpsOnly && p.Scheme == "http" && !IsLoopback(p.Hostname()) {
		return "", fmt.Errorf("%q must use https (http is accepted only on localhost)", redactURL(raw))
	}
	return strings.TrimRight(s, "/"), nil
}

// splitList splits a scope list written with spaces and/or commas, dropping
// duplicates and keeping the order.
func splitList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// lazyRegexp compiles expr on first use rather than at package
// initialisation, which every tm command pays whether it checks or not.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var dsnPassword = lazyRegexp(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// redactURL hides a password in a URL or key=value DSN, so a database URL
// can be shown and a mistyped URL can be quoted in an error.
func redactURL(s string) string {
	if p, err := url.Parse(s); err == nil && p.User != nil {
		if _, has := p.User.Password(); has {
			p.User = url.UserPassword(p.User.Username(), "xxxxx")
			return strings.Replace(p.String(), "xxxxx", "***", 1)
		}
		return strings.Replace(s, p.User.String()+"@", "***@", 1)
	}
	if !strings.Contains(s, "=") {
		// No key=value pair to hide, and no regexp to compile: every
		// command shows its configuration's database URL, usually unset.
		return s
	}
	return dsnPassword().ReplaceAllString(s, "${1}***")
}

// IsUUID reports whether s has the shape of a cloud id: 8-4-4-4-12
// hexadecimal digits. (Checked by hand: a regexp would be compiled on
// every run that looks.)
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ParseTimeout reads a command deadline: a Go duration ("90s", "2m") or a
// whole number of seconds. It must be positive.
func ParseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return 0, fmt.Errorf("%q is not a duration; use seconds (90) or a Go duration (90s, 2m)", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration; use e.g. 60s", s)
	}
	return d, nil
}

// ParseLifetime reads a token lifetime: days ("90d"), or a Go duration
// ("720h", "30m"); at least a minute and at most 400 days.
func ParseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a lifetime; use days (90d) or a Go duration (720h)", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a lifetime; use days (90d) or a Go duration (720h)", s)
		}
	}
	if d < time.Minute || d > 400*24*time.Hour {
		return 0, fmt.Errorf("%q is out of range; a token lasts from 1m to 400d", s)
	}
	return d, nil
}

// FormatLifetime writes a lifetime the way ParseLifetime reads it, in
// whole days when it is.
func FormatLifetime(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// invisible reports a character that prints as nothing — a zero-width
// space, a byte-order mark, a direction mark, a soft hyphen — inside a
// value. They come along with copy and paste and make a token or URL wrong
// in a way no one can see.
func invisible(v string) error {
	pos := 0
	for _, r := range v {
		pos++
		if unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("contains an invisible character (U+%04X) at character %d; it probably came along when the value was copied: delete it, or type the value again", r, pos)
		}
	}
	return nil
}

// ValidProjectKey reports whether key can be a Jira project key: an
// upper-case letter, then upper-case letters, digits or underscores.
func ValidProjectKey(key string) bool {
	if len(key) < 2 || key[0] < 'A' || key[0] > 'Z' {
		return false
	}
	for i := 1; i < len(key); i++ {
		if c := key[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
