package emulator

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// credKind is how a caller proved who they are.
type credKind uint8

const (
	credNone    credKind = iota
	credClassic          // classic API token, Basic email:token
	credScoped           // scoped API token, Basic email:token, gateway only
	credOAuth            // OAuth 2.0 access token, Bearer, gateway only
	credPAT              // Data Center personal access token, Bearer
)

// Site-host and gateway 401 bodies (contract §0.2).
const (
	msgClientMustAuth = "Client must be authenticated to access this resource."
	msgNotAuthWrite   = "You are not authenticated. Authentication required to perform this operation."
)

// authenticate decides who the caller is and whether the request may go
// on; when it may not, it has answered.
func (e *Emulator) authenticate(c *call) bool {
	scheme, cred, _ := strings.Cut(c.r.Header.Get("Authorization"), " ")
	switch {
	case cred == "":
	case strings.EqualFold(scheme, "Basic"):
		c.who, c.cred = e.basic(cred)
		c.failed = c.who == nil
	case strings.EqualFold(scheme, "Bearer"):
		c.who, c.cred = e.bearer(c, cred)
		c.failed = c.who == nil
	default:
		c.failed = true
	}
	if c.gateway {
		return e.gatewayAuth(c)
	}
	if c.cred == credScoped {
		// Scoped tokens only work through api.atlassian.com; the site host
		// answers exactly as if the password were wrong (contract §C).
		c.who, c.failed = nil, true
		c.headers()
		writeText(c.w, http.StatusUnauthorized, msgClientMustAuth)
		return false
	}
	if c.who != nil && c.who.Inactive {
		c.who, c.failed = nil, true
	}
	if c.who == nil && c.route.flags&anon == 0 {
		c.headers()
		if c.route.flags&authText != 0 {
			writeText(c.w, http.StatusUnauthorized, msgClientMustAuth)
		} else {
			writeErrors(c.w, http.StatusUnauthorized, []string{msgNotAuthWrite}, nil)
		}
		return false
	}
	return true
}

// gatewayAuth applies api.atlassian.com's rules: no anonymous access, OAuth
// grants must cover the site, scopes must match the operation.
func (e *Emulator) gatewayAuth(c *call) bool {
	if c.who == nil || c.who.Inactive {
		c.headers()
		writeGateway401(c.w, "Unauthorized")
		return false
	}
	if c.cred == credOAuth || c.cred == credScoped {
		var have []string
		if c.cred == credOAuth {
			g, _ := e.auth.Verify(bearerToken(c.r))
			if !slices.Contains(g.CloudIDs, c.site.cloudID) {
				c.headers()
				writeGateway401(c.w, "Unauthorized")
				return false
			}
			have = g.Scopes
		} else {
			have = c.who.ScopedScopes
		}
		if !scopesSatisfy(c.route.scopeKey, have) {
			c.headers()
			writeGateway401(c.w, "Unauthorized; scope does not match")
			return false
		}
	}
	return true
}

func writeGateway401(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 401, "message": msg})
}

func writeText(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain;charset=UTF-8")
	if status == http.StatusUnauthorized {
		h.Set("Www-Authenticate", `OAuth realm="https%3A%2F%2Fsandbox.atlassian.net"`)
	}
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// basic checks Basic email:token (Cloud only: Data Center users here sign
// in with PATs).
func (e *Emulator) basic(cred string) (*user, credKind) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil || e.dc {
		return nil, credNone
	}
	email, token, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, credNone
	}
	u := e.userByEmail[strings.ToLower(email)]
	if u == nil {
		return nil, credNone
	}
	e.credMu.RLock()
	defer e.credMu.RUnlock()
	if v := e.classic[token]; v == u {
		return u, credClassic
	}
	if v := e.scoped[token]; v == u {
		return u, credScoped
	}
	return nil, credNone
}

// bearer checks a Data Center PAT, or (on the gateway) an OAuth access token.
func (e *Emulator) bearer(c *call, token string) (*user, credKind) {
	if e.dc {
		e.credMu.RLock()
		u := e.pats[token]
		e.credMu.RUnlock()
		if u != nil {
			return u, credPAT
		}
		return nil, credNone
	}
	if !c.gateway {
		return nil, credNone
	}
	g, ok := e.auth.Verify(token)
	if !ok {
		return nil, credNone
	}
	return e.userByID[g.AccountID], credOAuth
}

func bearerToken(r *http.Request) string {
	_, t, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return t
}
