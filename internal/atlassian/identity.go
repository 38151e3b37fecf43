package atlassian

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/ticket-mate/tm"
)

// Resource is one site a grant covers, as accessible-resources lists it,
// de-duplicated by cloud id with the scopes of every entry merged.
type Resource struct {
	ID        string   `json:"id"` // the cloudId
	Name      string   `json:"name"`
	URL       string   `json:"url"`
	Scopes    []string `json:"scopes"`
	AvatarURL string   `json:"avatarUrl"`
}

// Profile is the Atlassian account behind a token (GET /me).
type Profile struct {
	AccountID     string `json:"account_id"`
	AccountType   string `json:"account_type"`
	AccountStatus string `json:"account_status"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	Nickname      string `json:"nickname"`
	Picture       string `json:"picture"`
	ZoneInfo      string `json:"zoneinfo"`
	Locale        string `json:"locale"`
}

// AccessibleResources lists the sites the token's grant covers. Atlassian
// may list one site once per product; the result has one entry per cloud id,
// in the order first seen.
func (c *Client) AccessibleResources(ctx context.Context, accessToken tm.Secret) ([]Resource, error) {
	var raw []Resource
	if err := c.getJSON(ctx, accessToken, "/oauth/token/accessible-resources", &raw); err != nil {
		return nil, err
	}
	return MergeResources(raw), nil
}

// MergeResources de-duplicates by id, merging scopes and keeping the first
// non-empty name, URL and avatar.
func MergeResources(in []Resource) []Resource {
	var out []Resource
	index := map[string]int{}
	for _, r := range in {
		if r.ID == "" {
			continue
		}
		i, seen := index[r.ID]
		if !seen {
			index[r.ID] = len(out)
			r.Scopes = slices.Clone(r.Scopes)
			out = append(out, r)
			continue
		}
		m := &out[i]
		for _, s := range r.Scopes {
			if !slices.Contains(m.Scopes, s) {
				m.Scopes = append(m.Scopes, s)
			}
		}
		m.Name = firstNonEmpty(m.Name, r.Name)
		m.URL = firstNonEmpty(m.URL, r.URL)
		m.AvatarURL = firstNonEmpty(m.AvatarURL, r.AvatarURL)
	}
	for i := range out {
		slices.Sort(out[i].Scopes)
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Me returns the account the token belongs to. It needs the read:me scope.
func (c *Client) Me(ctx context.Context, accessToken tm.Secret) (*Profile, error) {
	var p Profile
	if err := c.getJSON(ctx, accessToken, "/me", &p); err != nil {
		return nil, err
	}
	if p.AccountID == "" {
		return nil, &tm.Error{Code: tm.EUNAVAILABLE, Message: "Atlassian's /me answered without an account id"}
	}
	return &p, nil
}

func (c *Client) getJSON(ctx context.Context, accessToken tm.Secret, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.APIURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := c.api.Do(req)
	if err != nil {
		return unreachable("api.atlassian.com "+path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return unreachable("api.atlassian.com "+path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		hint := ""
		if path == "/me" {
			hint = "The app needs the read:me scope and the User identity API enabled in the developer console."
		}
		return &tm.Error{Code: tm.EUNAUTHORIZED, Message: fmt.Sprintf("Atlassian refused %s (HTTP %d)", path, resp.StatusCode), Hint: hint}
	case resp.StatusCode != http.StatusOK:
		return &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("Atlassian answered HTTP %d for %s", resp.StatusCode, path)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("Atlassian's %s answer is not the expected JSON: %v", path, err)}
	}
	return nil
}
