package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ticket-mate/tm"
)

// kind says how a raw string from any source becomes a typed value.
type kind int

const (
	kindString kind = iota
	kindSecret
	kindBool
	kindList
)

// setting describes one configuration variable: its names in every source,
// its default, and how its raw value is checked and stored.
type setting struct {
	Name    string   // the environment / .env name, e.g. ATLASSIAN_BASE_URL
	JSON    string   // the camelCase key in JSON files, e.g. baseUrl
	Aliases []string // older names, ranked below Name within the same source
	Default string
	kind    kind
	// apply checks raw (already trimmed, never empty) and stores it in c. It
	// returns a note for env-debug when it had to change what was written.
	apply func(c *Config, raw string) (note string, err error)
}

// Variable names, exported so that commands and tests need not spell them.
const (
	KeyBaseURL       = "ATLASSIAN_BASE_URL"
	KeyEmail         = "ATLASSIAN_EMAIL"
	KeyAPIKey        = "ATLASSIAN_API_KEY"
	KeyAuthMode      = "ATLASSIAN_AUTH_MODE"
	KeyClientID      = "ATLASSIAN_CLIENT_ID"
	KeyClientSecret  = "ATLASSIAN_CLIENT_SECRET"
	KeyRedirectURI   = "ATLASSIAN_REDIRECT_URI"
	KeyCloudID       = "ATLASSIAN_CLOUD_ID"
	KeyUseCloudAPI   = "ATLASSIAN_USE_CLOUD_API"
	KeyProjectKey    = "ATLASSIAN_PROJECT_KEY"
	KeyAuthURL       = "ATLASSIAN_AUTH_URL"
	KeyAPIURL        = "ATLASSIAN_API_URL"
	KeyOAuthScopes   = "ATLASSIAN_OAUTH_SCOPES"
	KeyDatabaseURL   = "DATABASE_URL"
	KeyEncryptionKey = "TM_ENCRYPTION_KEY"
	KeyPublicURL     = "TM_PUBLIC_URL"
	KeyDebug         = "TM_DEBUG"
	KeyTimeout       = "TM_TIMEOUT"
	KeyOldKeys       = "TM_ENCRYPTION_OLD_KEYS"
	KeyMetricsToken  = "TM_METRICS_TOKEN"
	KeyMetricsAddr   = "TM_METRICS_ADDR"
	// tm serve's device sign-in and per-person request budget (the Jira
	// gateway and /mcp).
	KeyTokenLifetime = "TM_DEVICE_TOKEN_LIFETIME"
	KeyGatewayRate   = "TM_GATEWAY_RATE"
	KeyGatewayBurst  = "TM_GATEWAY_BURST"

	// EnvConfigFile names one JSON config file, like --config.
	EnvConfigFile = "TM_CONFIG"
)

// Defaults that other packages may want to compare against.
const (
	DefaultRedirectURI    = "http://localhost:4000/api/auth/jira/callback"
	DefaultProjectKey     = "SPACE2"
	DefaultAuthURL        = "https://auth.atlassian.com"
	DefaultAPIURL         = "https://api.atlassian.com"
	DefaultDatabaseURL    = "sqlite:ticket-mate.db"
	DefaultOAuthScopes    = "read:jira-work write:jira-work read:jira-user read:me offline_access"
	DefaultTimeout        = "60s"
	DefaultTokenLifetime  = "90d"
	DefaultGatewayRate    = "10"
	DefaultGatewayBurst   = "40"
	CallbackPath          = "/api/auth/jira/callback"
	APITokensURL          = "https://id.atlassian.com/manage-profile/security/api-tokens"
	apiTokenPrefix        = "ATATT3x"
	legacyTokenLength     = 24
	legacyTokenLengthLo   = 70 // the "about 75 characters" tokens of older guides
	legacyTokenLengthHi   = 80
	currentTokenLengthMin = 150 // current tokens are about 192 characters
)

// settings is every variable tm reads, in the order env-debug lists them.
var settings = []setting{
	{Name: KeyAuthMode, JSON: "authMode", Default: string(AuthPAT), apply: func(c *Config, v string) (string, error) {
		m, err := ParseAuthMode(v)
		c.AuthMode = m
		return "", err
	}},
	{Name: KeyBaseURL, JSON: "baseUrl", Aliases: []string{"JIRA_BASE_URL"}, apply: func(c *Config, v string) (string, error) {
		u, note, err := normalizeBaseURL(v)
		c.BaseURL = u
		return note, err
	}},
	{Name: KeyEmail, JSON: "email", Aliases: []string{"JIRA_USER_EMAIL", "JIRA_EMAIL"}, apply: func(c *Config, v string) (string, error) {
		c.Email = v
		return "", nil
	}},
	{Name: KeyAPIKey, JSON: "apiKey", Aliases: []string{"JIRA_API_TOKEN"}, kind: kindSecret, apply: func(c *Config, v string) (string, error) {
		c.APIKey = tm.Secret(v)
		return "", nil
	}},
	{Name: KeyClientID, JSON: "clientId", apply: func(c *Config, v string) (string, error) {
		c.ClientID = v
		return "", nil
	}},
	{Name: KeyClientSecret, JSON: "clientSecret", kind: kindSecret, apply: func(c *Config, v string) (string, error) {
		c.ClientSecret = tm.Secret(v)
		return "", nil
	}},
	{Name: KeyRedirectURI, JSON: "redirectUri", Default: DefaultRedirectURI, apply: func(c *Config, v string) (string, error) {
		u, err := absoluteURL(v, false)
		c.RedirectURI = u
		return "", err
	}},
	{Name: KeyCloudID, JSON: "cloudId", apply: func(c *Config, v string) (string, error) {
		c.CloudID = v
		return "", nil
	}},
	{Name: KeyUseCloudAPI, JSON: "useCloudApi", Default: "false", kind: kindBool, apply: func(c *Config, v string) (string, error) {
		b, err := ParseBool(v)
		c.UseCloudAPI = b
		return "", err
	}},
	{Name: KeyProjectKey, JSON: "projectKey", Default: DefaultProjectKey, apply: func(c *Config, v string) (string, error) {
		c.ProjectKey = v
		return "", nil
	}},
	{Name: KeyAuthURL, JSON: "authUrl", Default: DefaultAuthURL, apply: func(c *Config, v string) (string, error) {
		u, err := absoluteURL(v, true)
		c.AuthURL = u
		return "", err
	}},
	{Name: KeyAPIURL, JSON: "apiUrl", Default: DefaultAPIURL, apply: func(c *Config, v string) (string, error) {
		u, err := absoluteURL(v, true)
		c.APIURL = u
		return "", err
	}},
	{Name: KeyOAuthScopes, JSON: "oauthScopes", Default: DefaultOAuthScopes, kind: kindList, apply: func(c *Config, v string) (string, error) {
		c.OAuthScopes = splitList(v)
		return "", nil
	}},
	{Name: KeyDatabaseURL, JSON: "databaseUrl", Default: DefaultDatabaseURL, apply: func(c *Config, v string) (string, error) {
		c.DatabaseURL = v
		return "", nil
	}},
	{Name: KeyEncryptionKey, JSON: "encryptionKey", kind: kindSecret, apply: func(c *Config, v string) (string, error) {
		c.EncryptionKey = tm.Secret(v)
		return "", nil
	}},
	{Name: KeyPublicURL, JSON: "publicUrl", apply: func(c *Config, v string) (string, error) {
		u, err := absoluteURL(v, false)
		c.PublicURL = u
		return "", err
	}},
	{Name: KeyDebug, JSON: "debug", Default: "false", kind: kindBool, apply: func(c *Config, v string) (string, error) {
		b, err := ParseBool(v)
		c.Debug = b
		return "", err
	}},
	{Name: KeyTimeout, JSON: "timeout", Default: DefaultTimeout, apply: func(c *Config, v string) (string, error) {
		d, err := ParseTimeout(v)
		c.Timeout = d
		return "", err
	}},
	{Name: KeyOldKeys, JSON: "encryptionOldKeys", kind: kindSecret, apply: func(c *Config, v string) (string, error) {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				c.OldEncryptionKeys = append(c.OldEncryptionKeys, tm.Secret(k))
			}
		}
		return "", nil
	}},
	{Name: KeyMetricsToken, JSON: "metricsToken", kind: kindSecret, apply: func(c *Config, v string) (string, error) {
		c.MetricsToken = tm.Secret(v)
		return "", nil
	}},
	{Name: KeyMetricsAddr, JSON: "metricsAddr", apply: func(c *Config, v string) (string, error) {
		c.MetricsAddr = v
		return "", nil
	}},
	{Name: KeyTokenLifetime, JSON: "deviceTokenLifetime", Default: DefaultTokenLifetime, apply: func(c *Config, v string) (string, error) {
		d, err := ParseLifetime(v)
		c.TokenLifetime = d
		return "", err
	}},
	{Name: KeyGatewayRate, JSON: "gatewayRate", Default: DefaultGatewayRate, apply: func(c *Config, v string) (string, error) {
		r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || r <= 0 || r > 10000 || r != r {
			return "", fmt.Errorf("%q is not a request rate; give requests per second per person, e.g. 10 or 0.5", v)
		}
		c.GatewayRate = r
		return "", nil
	}},
	{Name: KeyGatewayBurst, JSON: "gatewayBurst", Default: DefaultGatewayBurst, apply: func(c *Config, v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 100000 {
			return "", fmt.Errorf("%q is not a burst size; give how many requests a person may send at once, e.g. 40", v)
		}
		c.GatewayBurst = n
		return "", nil
	}},
}

// settingByName finds a setting by its variable name or one of its aliases.
func settingByName(name string) (*setting, bool) {
	for i := range settings {
		s := &settings[i]
		if s.Name == name {
			return s, false
		}
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return nil, false
}

// settingByJSON finds a setting by its JSON key (exact spelling).
func settingByJSON(key string) *setting {
	for i := range settings {
		if settings[i].JSON == key {
			return &settings[i]
		}
	}
	return nil
}

// IsSecret reports whether the named variable holds a credential.
func IsSecret(name string) bool {
	s, _ := settingByName(name)
	return s != nil && s.kind == kindSecret
}

// closestJSONKey suggests the valid JSON key a mistyped one was meant to
// be: an environment-style name maps to its JSON key, otherwise the key at
// the smallest edit distance (ignoring case) wins.
func closestJSONKey(key string) string {
	if s, _ := settingByName(strings.ToUpper(key)); s != nil {
		return s.JSON
	}
	best, bestD := "", -1
	for _, s := range settings {
		d := editDistance(strings.ToLower(key), strings.ToLower(s.JSON))
		if bestD < 0 || d < bestD {
			best, bestD = s.JSON, d
		}
	}
	return best
}

// closestName suggests the variable name a mistyped one was meant to be, or
// "" when nothing is close enough to be a plausible typo.
func closestName(name string) string {
	best, bestD := "", -1
	for _, s := range settings {
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			d := editDistance(name, n)
			if bestD < 0 || d < bestD {
				best, bestD = s.Name, d
			}
		}
	}
	if bestD > len(name)/3 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// JSONKey is the key a variable has in JSON config files ("baseUrl" for
// ATLASSIAN_BASE_URL); "" for a name tm does not know.
func JSONKey(name string) string {
	if s, _ := settingByName(name); s != nil {
		return s.JSON
	}
	return ""
}
