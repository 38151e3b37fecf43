package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/config"
)

// server checks the sign-in through a ticket-mate server: stored, and
// accepted by the server now (GET /api/token).
func (opts *StatusOptions) server(ctx context.Context, c *Credential) {
	ss, err := opts.ServerSignIn()
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		c.Fix = "tm login --server URL (the URL of your team's tm serve)"
		return
	}
	if err != nil {
		c.Problem, c.Fix = problemOf(err)
		return
	}
	c.Present, c.Source, c.Token = true, ss.Server+", kept in "+ss.Where, ss.Token.String()
	c.Account, c.Scopes, c.ExpiresAt = who(ss.Account.Name, ss.Account.Email), ss.Scopes, ss.ExpiresAt
	c.Site = fmt.Sprintf("%s (%s, cloud id %s)", ss.SiteName, ss.SiteURL, ss.CloudID)
	fix := "tm login --server " + ss.Server
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ss.Server+"/api/token", nil)
	req.Header.Set("Authorization", "Bearer "+ss.Token.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := opts.HTTPClient().Do(req)
	if err != nil {
		c.Problem, c.Fix = "the server "+ss.Server+" could not be reached, so the sign-in was not checked", "check the network, then run tm auth status again"
		return
	}
	defer resp.Body.Close()
	var info struct {
		Scope         string    `json:"scope"`
		ExpiresAt     time.Time `json:"expires_at"`
		JiraConnected bool      `json:"jira_connected"`
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		c.Problem, c.Fix = factory.ServerSignInGone(ss.Server, ss.ExpiresAt, nil).(*tm.Error).Message, fix
		return
	case resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil:
		c.Problem, c.Fix = fmt.Sprintf("the server answered %d %s to the check", resp.StatusCode, http.StatusText(resp.StatusCode)), "try again; if it persists, ask whoever runs "+ss.Server
		return
	}
	c.Scopes, c.ExpiresAt = strings.Fields(info.Scope), info.ExpiresAt
	if !info.JiraConnected {
		c.Problem, c.Fix = "the server accepts this terminal, but your Jira connection there has expired or was revoked", "open "+ss.Server+"/ and Connect Jira"
		return
	}
	c.OK = true
	if !containsScope(c.Scopes, tm.TokenScopeWrite) {
		c.Notes = append(c.Notes, "read only: commands that change Jira are refused; for write access run "+fix)
	}
}

func containsScope(s []string, want string) bool {
	for _, v := range s {
		if v == want {
			return true
		}
	}
	return false
}

// oauth reports the OAuth sign-in of the configured app, from the file
// alone: its refresh happens on first use, so no request is spent here.
func (opts *StatusOptions) oauth(_ context.Context, cfg *config.Config, c *Credential) {
	if cfg.ClientID == "" {
		c.Fix = "ATLASSIAN_AUTH_MODE=OAUTH with your own OAuth app (ATLASSIAN_CLIENT_ID, _SECRET), then tm login"
		return
	}
	si, err := opts.OAuthApp(cfg)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		c.Problem, c.Fix = "not signed in with the OAuth app "+cfg.ClientID, "tm login"
		if cfg.AuthMode != config.AuthOAuth {
			c.Problem, c.Fix = "", "tm login (with ATLASSIAN_AUTH_MODE=OAUTH)"
		}
		return
	}
	if err != nil {
		c.Problem, c.Fix = problemOf(err)
		return
	}
	g := si.Grant
	c.Present, c.Source = true, "OAuth app "+cfg.ClientID+", kept in "+si.File
	c.Account, c.Scopes, c.ExpiresAt = who(si.Account.Name, si.Account.Email), g.Scopes, g.FamilyExpiresAt()
	if s, ok := si.Site(g.SelectedCloudID); ok {
		c.Site = fmt.Sprintf("%s (%s, cloud id %s)", s.Name, s.URL, s.CloudID)
	}
	c.Notes = append(c.Notes, "the expiry is the end of the one-year consent; access tokens are refreshed as needed")
	switch {
	case g.Lost:
		c.Problem, c.Fix = "Atlassian no longer honours this sign-in ("+g.LostReason+")", "tm login"
	case opts.Now().After(g.FamilyExpiresAt()):
		c.Problem, c.Fix = "the one-year consent has ended", "tm login"
	default:
		c.OK = true
	}
}

// apiToken checks the API token of the configuration with one request.
func (opts *StatusOptions) apiToken(ctx context.Context, cfg *config.Config, c *Credential) {
	if cfg.APIKey.IsZero() {
		c.Fix = "put ATLASSIAN_BASE_URL, ATLASSIAN_EMAIL and ATLASSIAN_API_KEY in .env.local (see tm env-check)"
		return
	}
	c.Present, c.Token = true, cfg.APIKey.String()
	c.Source = "ATLASSIAN_API_KEY from " + cfg.Source("ATLASSIAN_API_KEY").String()
	c.Site = cfg.BaseURL
	if cfg.AuthMode == config.AuthBearer {
		c.Title = "Personal access token (ATLASSIAN_API_KEY, Data Center)"
	} else {
		c.Account = cfg.Email
	}
	if cfg.AuthMode == config.AuthOAuth {
		c.Notes = append(c.Notes, "not used: ATLASSIAN_AUTH_MODE=OAUTH")
		c.OK = true
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	j, err := opts.Jira(ctx, cfg)
	if err != nil {
		c.Problem, c.Fix = problemOf(err)
		return
	}
	me, err := j.Myself(ctx)
	if err != nil {
		c.Problem, c.Fix = problemOf(j.Explain(err, factory.About{}))
		return
	}
	c.OK, c.Account = true, who(me.DisplayName, firstNonEmpty(me.Email, cfg.Email))
	c.Notes = append(c.Notes, j.AuthLabel())
}

// problemOf splits an error into what is wrong and how to fix it.
func problemOf(err error) (problem, fix string) {
	var te *tm.Error
	if errors.As(err, &te) {
		return te.Message, strings.ReplaceAll(te.Hint, "\n", "\n    ")
	}
	return err.Error(), ""
}
