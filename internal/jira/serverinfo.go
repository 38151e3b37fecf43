package jira

import (
	"context"
	"net/http"

	"github.com/ticket-mate/tm"
)

// ServerInfo returns the instance's deployment type and version. Jira
// answers it to anyone, but the credentials are sent so that a refused
// login shows up (X-Seraph-LoginReason) here too.
func (c *Client) ServerInfo(ctx context.Context) (tm.ServerInfo, error) {
	var si tm.ServerInfo
	err := c.do(ctx, call{method: http.MethodGet, path: "serverInfo"}, &si)
	return si, err
}
