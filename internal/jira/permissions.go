package jira

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Permission is one entry of mypermissions.
type Permission struct {
	Key            string `json:"key"`
	Name           string `json:"name"`
	Type           string `json:"type"` // PROJECT or GLOBAL
	Description    string `json:"description"`
	HavePermission bool   `json:"havePermission"`
}

// MyPermissions asks, in one call, which of keys the caller has — in
// projectKey when set, else in any project. The endpoint answers anonymous
// callers too; the client turns a refused login into an error, so an
// all-false answer here means the permissions are really missing.
func (c *Client) MyPermissions(ctx context.Context, projectKey string, keys ...string) (map[string]Permission, error) {
	v := url.Values{}
	if projectKey != "" {
		v.Set("projectKey", projectKey)
	}
	v.Set("permissions", strings.Join(keys, ","))
	var out struct {
		Permissions map[string]Permission `json:"permissions"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "mypermissions", query: v}, &out); err != nil {
		return nil, err
	}
	if out.Permissions == nil {
		out.Permissions = map[string]Permission{}
	}
	return out.Permissions, nil
}
