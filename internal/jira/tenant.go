package jira

import (
	"context"
	"errors"
	"net/http"
)

// CloudID asks the site for its cloud id ({site}/_edge/tenant_info). The
// endpoint needs no credentials and none are sent.
func (c *Client) CloudID(ctx context.Context) (string, error) {
	var ti struct {
		CloudID string `json:"cloudId"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/_edge/tenant_info", site: true, noAuth: true}, &ti); err != nil {
		return "", err
	}
	if ti.CloudID == "" {
		return "", &Error{Method: http.MethodGet, URL: c.site + "/_edge/tenant_info", StatusCode: http.StatusOK,
			Err: errors.New("the site did not say its cloud id (is this Jira Cloud?)")}
	}
	return ti.CloudID, nil
}

// GatewayURL is the REST root of a Cloud site through the API gateway.
func GatewayURL(apiURL, cloudID string) string {
	return trimSlash(apiURL) + "/ex/jira/" + cloudID
}
