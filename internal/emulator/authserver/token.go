package authserver

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxTokenBody bounds what the token endpoint reads; real requests are < 4 KiB.
const maxTokenBody = 64 << 10

// oauthError is an RFC 6749 §5.2 error body with its HTTP status.
type oauthError struct {
	status      int
	basic       bool   // the client authenticated with HTTP Basic: answer with a challenge
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func invalidRequest(format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: "invalid_request", Description: fmt.Sprintf(format, args...)}
}

// tokenRequest is the token endpoint's input, whatever encoding it came in.
type tokenRequest struct {
	GrantType, ClientID, ClientSecret, Code, RedirectURI, RefreshToken string
	basic                                                              bool
}

// field maps wire names to the request's fields; unknown names are
// ignored, as Auth0 does (clients send audience, scope, code_verifier…).
func (t *tokenRequest) field(name string) *string {
	switch name {
	case "grant_type":
		return &t.GrantType
	case "client_id":
		return &t.ClientID
	case "client_secret":
		return &t.ClientSecret
	case "code":
		return &t.Code
	case "redirect_uri":
		return &t.RedirectURI
	case "refresh_token":
		return &t.RefreshToken
	}
	return nil
}

// parseTokenRequest reads a JSON (documented) or form-encoded (used in the
// wild) body, and client credentials from HTTP Basic (RFC 6749 §2.3.1, which
// x/oauth2's auto-detection tries first).
func parseTokenRequest(r *http.Request) (tokenRequest, *oauthError) {
	var t tokenRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTokenBody+1))
	if err != nil {
		return t, invalidRequest("Could not read the request body.")
	}
	if len(body) > maxTokenBody {
		return t, invalidRequest("The request body is larger than %d bytes.", maxTokenBody)
	}
	mediaType := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mediaType, _, err = mime.ParseMediaType(ct); err != nil {
			return t, invalidRequest("Malformed Content-Type header; send application/json or application/x-www-form-urlencoded.")
		}
	} else if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		mediaType = "application/json"
	} else {
		mediaType = "application/x-www-form-urlencoded"
	}
	switch mediaType {
	case "application/json":
		err = t.decodeJSON(body)
	case "application/x-www-form-urlencoded":
		err = t.decodeForm(body)
	default:
		return t, invalidRequest("Unsupported Content-Type %q; send application/json or application/x-www-form-urlencoded.", mediaType)
	}
	if err != nil {
		return t, invalidRequest("Malformed request body: %s", err)
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if t.ClientSecret != "" {
			return t, invalidRequest("Send the client credentials either in the Authorization header or in the body, not both.")
		}
		if t.ClientID != "" && t.ClientID != id {
			return t, invalidRequest("The client_id in the body differs from the one in the Authorization header.")
		}
		t.ClientID, t.ClientSecret, t.basic = id, secret, true
	}
	return t, nil
}

func (t *tokenRequest) decodeJSON(body []byte) error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		return errors.New("expected a JSON object")
	}
	if m == nil || dec.More() {
		return errors.New("expected exactly one JSON object")
	}
	for name, raw := range m {
		p := t.field(name)
		if p == nil || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, p); err != nil {
			return fmt.Errorf("%s must be a string", name)
		}
	}
	return nil
}

func (t *tokenRequest) decodeForm(body []byte) error {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return errors.New("invalid form encoding")
	}
	for name, vs := range vals {
		p := t.field(name)
		if p == nil {
			continue
		}
		if len(vs) > 1 { // RFC 6749 §3.2
			return fmt.Errorf("%s appears more than once", name)
		}
		*p = vs[0]
	}
	return nil
}

// token serves POST /oauth/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, &oauthError{status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "Use POST for the token endpoint."})
		return
	}
	pair, oerr := s.grantTokens(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, pair)
}

func (s *Server) grantTokens(r *http.Request) (tokenPair, *oauthError) {
	t, oerr := parseTokenRequest(r)
	if oerr != nil {
		return tokenPair{}, oerr
	}
	switch t.GrantType {
	case "":
		return tokenPair{}, invalidRequest("Missing required parameter: grant_type")
	case "authorization_code", "refresh_token":
	default:
		// The value is not echoed: a client that mixed up its fields may have put a secret there.
		return tokenPair{}, &oauthError{status: http.StatusBadRequest, Code: "unsupported_grant_type",
			Description: "Unsupported grant type. Use authorization_code or refresh_token."}
	}
	if oerr := s.authenticate(t); oerr != nil {
		return tokenPair{}, oerr
	}
	if t.GrantType == "authorization_code" {
		if t.Code == "" {
			return tokenPair{}, invalidRequest("Missing required parameter: code")
		}
		return s.exchange(t.ClientID, t.Code, t.RedirectURI)
	}
	if t.RefreshToken == "" {
		return tokenPair{}, invalidRequest("Missing required parameter: refresh_token")
	}
	return s.rotate(t.ClientID, t.RefreshToken)
}

// authenticate checks the client credentials. Atlassian has no public
// clients: a missing secret is 401 access_denied even with PKCE (§B4, §B7).
// Bad credentials are invalid_client with 400, the status seen from
// Atlassian (§B4), or 401 with a challenge when they came in the
// Authorization header, as RFC 6749 §5.2 requires.
func (s *Server) authenticate(t tokenRequest) *oauthError {
	if t.ClientID == "" {
		return invalidRequest("Missing required parameter: client_id")
	}
	if t.ClientSecret == "" {
		return &oauthError{status: http.StatusUnauthorized, Code: "access_denied", Description: "Unauthorized"}
	}
	want := ""
	c, known := s.clients[t.ClientID]
	if known {
		want = c.Secret
	}
	// Compare even for unknown clients so timing does not reveal which ids exist.
	match := subtle.ConstantTimeCompare([]byte(t.ClientSecret), []byte(want)) == 1
	if known && match && want != "" {
		return nil
	}
	e := &oauthError{status: http.StatusBadRequest, Code: "invalid_client",
		Description: "Client authentication failed: unknown client_id or wrong client_secret. Check the app's credentials in the developer console."}
	if t.basic {
		e.status, e.basic = http.StatusUnauthorized, true
	}
	return e
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="auth.atlassian.com"`)
	}
	noStore(w)
	writeJSON(w, e.status, e)
}

// noStore marks a response as holding credentials (RFC 6749 §5.1).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
