package config

import (
	"strings"

	"github.com/ticket-mate/tm"
)

// API kinds: which host tm calls Jira on.
const (
	APISite       = "site"       // {base}/rest/api/3, Basic email:token
	APIGateway    = "gateway"    // {apiUrl}/ex/jira/{cloudId}/rest/api/3
	APIDataCenter = "datacenter" // {base}/rest/api/2, Bearer PAT
)

// Where a gateway call gets its cloud id.
const (
	CloudIDConfigured = "configured"  // ATLASSIAN_CLOUD_ID
	CloudIDTenantInfo = "tenant_info" // discovered from {site}/_edge/tenant_info without auth
	CloudIDGrant      = "oauth_grant" // each user's OAuth grant (accessible-resources)
)

// CloudIDPlaceholder stands in the REST URL for a cloud id known only at run time.
const CloudIDPlaceholder = "{cloudId}"

// API is what tm derives from the configuration about the REST calls it makes.
type API struct {
	Kind    string // APISite, APIGateway or APIDataCenter
	RESTURL string // the REST base; holds CloudIDPlaceholder when the cloud id comes later
	// CloudIDFrom says where a gateway call's cloud id comes from; "" for site and Data Center calls.
	CloudIDFrom   string
	TenantInfoURL string // set when CloudIDFrom is CloudIDTenantInfo
}

// API derives the REST endpoint tm would call.
func (c *Config) API() API {
	switch {
	case c.AuthMode == AuthBearer:
		return API{Kind: APIDataCenter, RESTURL: c.BaseURL + "/rest/api/2"}
	case c.AuthMode == AuthOAuth:
		a := API{Kind: APIGateway, RESTURL: c.GatewayURL(c.CloudID), CloudIDFrom: CloudIDGrant}
		if c.CloudID != "" {
			a.CloudIDFrom = CloudIDConfigured
		}
		return a
	case c.UseCloudAPI:
		a := API{Kind: APIGateway, RESTURL: c.GatewayURL(c.CloudID), CloudIDFrom: CloudIDConfigured}
		if c.CloudID == "" {
			a.CloudIDFrom, a.TenantInfoURL = CloudIDTenantInfo, c.TenantInfoURL()
		}
		return a
	}
	return API{Kind: APISite, RESTURL: c.BaseURL + "/rest/api/3"}
}

// GatewayURL is the REST v3 base on Atlassian's API gateway for one site;
// an empty cloudID leaves CloudIDPlaceholder in its place.
func (c *Config) GatewayURL(cloudID string) string {
	if cloudID == "" {
		cloudID = CloudIDPlaceholder
	}
	return c.APIURL + "/ex/jira/" + cloudID + "/rest/api/3"
}

// TenantInfoURL is where a Cloud site tells its cloud id, without auth.
func (c *Config) TenantInfoURL() string { return c.BaseURL + "/_edge/tenant_info" }

// Required lists the settings the auth mode cannot work without.
func (m AuthMode) Required() []string {
	switch m {
	case AuthBearer:
		return []string{KeyBaseURL, KeyAPIKey}
	case AuthOAuth:
		return []string{KeyClientID, KeyClientSecret, KeyRedirectURI}
	}
	return []string{KeyBaseURL, KeyEmail, KeyAPIKey}
}

// Missing lists the required settings that are not set.
func (c *Config) Missing() []string {
	var out []string
	for _, k := range c.AuthMode.Required() {
		if c.shown(k) == "" {
			out = append(out, k)
		}
	}
	return out
}

// CheckRequired returns an ECONFIG *tm.Error naming every missing setting
// and where to set it, or nil when the mode has what it needs. Commands that
// talk to Jira call it before building a client.
func (c *Config) CheckRequired() error {
	missing := c.Missing()
	if len(missing) == 0 {
		return nil
	}
	var hint strings.Builder
	hint.WriteString("Add to .env.local:\n")
	for _, k := range missing {
		hint.WriteString("  " + k + "=" + exampleFor(c.AuthMode, k) + "\n")
	}
	for _, n := range c.notes {
		if strings.HasPrefix(n, "No .env.local") {
			hint.WriteString(n + "\n")
		}
	}
	hint.WriteString("Then run: tm env-check")
	return &tm.Error{
		Code:    tm.ECONFIG,
		Message: string(c.AuthMode) + " mode needs " + strings.Join(missing, ", "),
		Hint:    hint.String(),
	}
}

// example is a placeholder value for a setting, for fixes.
func example(key string) string {
	switch key {
	case KeyBaseURL:
		return "https://your-site.atlassian.net"
	case KeyEmail:
		return "your-email@example.com"
	case KeyAPIKey:
		return "<API token from " + APITokensURL + ">"
	case KeyClientID:
		return "<Client ID from https://developer.atlassian.com/console/myapps/>"
	case KeyClientSecret:
		return "<Client secret from https://developer.atlassian.com/console/myapps/>"
	case KeyRedirectURI:
		return DefaultRedirectURI
	case KeyCloudID:
		return "f82a209c-ad3a-4c8c-b311-fc3bf6e584b5"
	}
	return "…"
}
