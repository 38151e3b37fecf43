package jira

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
)

// Raw sends one request as given — path under the REST root ("myself") or
// from the host ("/rest/api/3/myself"), query in the path allowed — with
// the client's authentication and retries, and returns the JSON answer.
func (c *Client) Raw(ctx context.Context, method, path string, body json.RawMessage) (json.RawMessage, error) {
	cl := call{method: strings.ToUpper(method), path: path}
	if p, q, ok := strings.Cut(path, "?"); ok {
		v, err := url.ParseQuery(q)
		if err != nil {
			return nil, &Error{Method: cl.method, URL: path, Err: err, permanent: true}
		}
		cl.path, cl.query = p, v
	}
	if len(body) > 0 {
		cl.body = body
	}
	var out json.RawMessage
	err := c.do(ctx, cl, &out)
	return out, err
}
