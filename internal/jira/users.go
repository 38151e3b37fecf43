package jira

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ticket-mate/tm"
)

// FindUsers returns active users matching query (a prefix of the display
// name or email; on Data Center a username too). Without the "Browse users
// and groups" permission Jira returns an empty list, not an error.
func (c *Client) FindUsers(ctx context.Context, query string) ([]tm.Account, error) {
	v := url.Values{"maxResults": {"50"}}
	if c.dataCenter {
		v.Set("username", query)
	} else {
		v.Set("query", query)
	}
	var us []user
	if err := c.do(ctx, call{method: http.MethodGet, path: "user/search", query: v}, &us); err != nil {
		return nil, err
	}
	out := make([]tm.Account, len(us))
	for i, u := range us {
		out[i] = u.account()
	}
	return out, nil
}
