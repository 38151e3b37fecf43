package login

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/credfile"
)

// deviceGrantType is RFC 8628's grant type.
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// ServerOptions are tm login --server's inputs.
type ServerOptions struct {
	IO          *iostreams.IOStreams
	HTTPClient  func() *http.Client
	OpenBrowser func(url string) error
	// Store keeps the sign-in (the OS keyring, else the credential file)
	// and CheckStore says beforehand whether it can.
	Store      func(ctx context.Context, si *credfile.ServerSignIn) (string, error)
	CheckStore func() error
	// Previous is the sign-in this one replaces (nil: none looked for);
	// its token is revoked once the new one is kept.
	Previous func() (*factory.StoredServer, error)
	Hostname func() (string, error)
	// Sleep waits between polls (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error

	Server    string
	Site      string // --site: name, URL or cloud id among the person's sites
	ReadOnly  bool   // --read-only: ask for read access only
	NoBrowser bool
}

func newServerOptions(f *factory.Factory, open func(string) error) *ServerOptions {
	return &ServerOptions{IO: f.IO, HTTPClient: f.HTTPClient, OpenBrowser: open, Store: f.SaveServerSignIn,
		CheckStore: f.CheckServerStore, Previous: f.ServerSignIn, Hostname: os.Hostname, Sleep: sleep}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ServerURL checks and normalises a --server value.
func ServerURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", factory.Usagef(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("--server %q is not the URL of a ticket-mate server", s),
			Hint:    "Give the URL people open the dashboard at, e.g. tm login --server https://tm.example.com"})
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// insecure reports an http:// server that is not on this machine.
func insecure(server string) bool {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return false
	}
	ip := net.ParseIP(h)
	return ip == nil || !ip.IsLoopback()
}

// deviceAnswer is RFC 8628's device authorization response.
type deviceAnswer struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// tokenAnswer is the token response, or an RFC 6749 error.
type tokenAnswer struct {
	Error            string    `json:"error"`
	ErrorDescription string    `json:"error_description"`
	AccessToken      string    `json:"access_token"`
	Scope            string    `json:"scope"`
	TokenID          string    `json:"token_id"`
	ExpiresAt        time.Time `json:"expires_at"`
	Account          struct {
		AccountID string `json:"account_id"`
		Name      string `json:"name"`
		Email     string `json:"email"`
	} `json:"account"`
	Sites []struct {
		CloudID string `json:"cloud_id"`
		Name    string `json:"name"`
		URL     string `json:"url"`
	} `json:"sites"`
	SelectedCloudID string `json:"selected_cloud_id"`
	JiraConnected   bool   `json:"jira_connected"`
}

// RunServer signs this terminal in through a ticket-mate server with the
// device flow: the person approves the code in a browser where they are
// signed in to the server; the terminal polls for its token.
func RunServer(ctx context.Context, opts *ServerOptions) error {
	server, err := ServerURL(opts.Server)
	if err != nil {
		return err
	}
	if insecure(server) {
		fmt.Fprintf(opts.IO.ErrOut, "Warning: %s is plain http: the token for this terminal and your Jira data travel unencrypted. Use the server's https URL if it has one.\n", server)
	}
	// A sign-in that could not be kept is better refused before the person approves it.
	if err := opts.CheckStore(); err != nil {
		return err
	}
	host, _ := opts.Hostname()
	scope := "read write"
	if opts.ReadOnly {
		scope = "read"
	}
	var dev deviceAnswer
	if err := opts.post(ctx, server, "/api/device/code", url.Values{"client_name": {"tm CLI"}, "device_host": {host}, "scope": {scope}}, &dev, true); err != nil {
		return err
	}
	if dev.DeviceCode == "" || dev.UserCode == "" || dev.VerificationURI == "" {
		return notServer(server, "its answer to /api/device/code lacks the device flow's fields")
	}
	opts.showCode(dev)

	interval := max(time.Duration(dev.Interval)*time.Second, time.Second)
	deadline := time.Now().Add(time.Duration(dev.ExpiresIn) * time.Second)
	for {
		if err := opts.Sleep(ctx, interval); err != nil {
			return err
		}
		var tok tokenAnswer
		if err := opts.post(ctx, server, "/api/device/token", url.Values{"grant_type": {deviceGrantType}, "device_code": {dev.DeviceCode}}, &tok, false); err != nil {
			return err
		}
		switch tok.Error {
		case "":
			if tok.AccessToken == "" {
				return notServer(server, "its token answer holds no token")
			}
			return opts.finish(ctx, server, &tok)
		case "authorization_pending":
		case "slow_down":
			interval += 5 * time.Second // RFC 8628 §3.5
		case "access_denied":
			return &tm.Error{Code: tm.EUNAUTHORIZED, Message: "the sign-in was denied in the browser; nothing was stored",
				Hint: "Run tm login --server " + server + " again and choose Approve if it was you."}
		case "expired_token":
			return &tm.Error{Code: tm.EUNAUTHORIZED, Message: "the code expired before it was approved; nothing was stored",
				Hint: "Run tm login --server " + server + " again and approve the new code within " + time.Duration(dev.ExpiresIn*int(time.Second)).String() + "."}
		default:
			return &tm.Error{Code: tm.EUNAUTHORIZED, Message: fmt.Sprintf("the server refused the sign-in (%s: %s)", tok.Error, tok.ErrorDescription),
				Hint: "Run tm login --server " + server + " again."}
		}
		if dev.ExpiresIn > 0 && time.Now().After(deadline.Add(interval)) {
			return &tm.Error{Code: tm.EUNAUTHORIZED, Message: "the code expired before it was approved; nothing was stored",
				Hint: "Run tm login --server " + server + " again."}
		}
	}
}

func (opts *ServerOptions) showCode(dev deviceAnswer) {
	w := opts.IO.ErrOut
	link := dev.VerificationURIComplete
	if link == "" {
		link = dev.VerificationURI
	}
	fmt.Fprintf(w, "Your one-time code: %s\n\n", dev.UserCode)
	switch {
	case opts.NoBrowser:
		fmt.Fprintf(w, "Open this page in a browser where you are signed in to ticket-mate, check the code and approve:\n\n  %s\n\n", link)
	case opts.OpenBrowser(link) != nil:
		fmt.Fprintf(w, "Could not open a browser. Open this page, check the code and approve:\n\n  %s\n\n", link)
	default:
		fmt.Fprintf(w, "Opened %s in your browser: check the code there and approve. If it did not appear, open:\n\n  %s\n\n", dev.VerificationURI, link)
	}
	fmt.Fprintln(w, "Waiting for approval (Ctrl-C to cancel)…")
}

// finish chooses the site and keeps the sign-in.
func (opts *ServerOptions) finish(ctx context.Context, server string, tok *tokenAnswer) error {
	si := &credfile.ServerSignIn{Server: server, Token: tm.Secret(tok.AccessToken), TokenID: tok.TokenID,
		Account:   credfile.Account{AccountID: tok.Account.AccountID, Name: tok.Account.Name, Email: tok.Account.Email},
		Scopes:    strings.Fields(tok.Scope),
		ExpiresAt: tok.ExpiresAt}
	pick := -1
	for i, s := range tok.Sites {
		if opts.Site != "" && (strings.EqualFold(s.Name, opts.Site) || s.CloudID == opts.Site || strings.TrimRight(s.URL, "/") == strings.TrimRight(opts.Site, "/")) ||
			opts.Site == "" && s.CloudID == tok.SelectedCloudID {
			pick = i
		}
	}
	if pick < 0 && opts.Site == "" && len(tok.Sites) > 0 {
		pick = 0
	}
	if pick >= 0 {
		s := tok.Sites[pick]
		si.CloudID, si.SiteName, si.SiteURL = s.CloudID, s.Name, s.URL
	}
	var prev *factory.StoredServer
	if opts.Previous != nil {
		prev, _ = opts.Previous()
	}
	where, err := opts.Store(ctx, si)
	if err != nil {
		return err
	}
	w := opts.IO.ErrOut
	if prev != nil && prev.Token != si.Token {
		// A replaced sign-in's token must not stay valid unseen.
		if err := revoke(ctx, opts.HTTPClient(), prev); err != nil {
			fmt.Fprintf(w, "Note: the token of the sign-in this replaces could not be revoked on %s (%v); revoke it at %s/tokens.\n", prev.Server, err, prev.Server)
		}
	}
	who := si.Account.Name
	if si.Account.Email != "" {
		who += " (" + si.Account.Email + ")"
	}
	fmt.Fprintf(w, "✓ Signed in to %s as %s; access: %s, until %s.\n", server, who, tok.Scope, si.ExpiresAt.Local().Format("2 Jan 2006"))
	fmt.Fprintf(w, "  The token is kept in %s.\n", where)
	switch {
	case si.CloudID == "":
		fmt.Fprintf(w, "Your Jira connection on the server reaches no site%s: open %s/ and Connect Jira, then run tm login --server %s again.\n",
			map[bool]string{true: " called " + opts.Site, false: ""}[opts.Site != ""], server, server)
	case !tok.JiraConnected:
		fmt.Fprintf(w, "  Jira site: %s (%s). Your Jira connection on the server needs renewing first: open %s/ and Connect Jira.\n", si.SiteName, si.SiteURL, server)
	default:
		fmt.Fprintf(w, "  Jira site: %s (%s). Every tm command now works through the server; try: tm check-permissions\n", si.SiteName, si.SiteURL)
	}
	return nil
}

// post sends a form to the server and decodes its JSON answer into out.
// An RFC 6749 error body is an answer, not a failure, unless failOnError.
func (opts *ServerOptions) post(ctx context.Context, server, path string, form url.Values, out any, failOnError bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := opts.HTTPClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: err, Message: "could not reach the ticket-mate server " + server + ": " + unwrapURLError(err),
			Hint: "Check the URL (the one you open the dashboard at), your network and any proxy (HTTPS_PROXY)."}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return notServer(server, fmt.Sprintf("%s answered %d %s", path, resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return notServer(server, "its answer to "+path+" is not the JSON expected")
	}
	if resp.StatusCode/100 != 2 && (failOnError || resp.StatusCode != http.StatusBadRequest) {
		var e struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &e)
		return &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("the ticket-mate server %s refused %s (%d): %s %s", server, path, resp.StatusCode, e.Error, e.ErrorDescription),
			Hint: "Try again in a minute; if it persists, ask whoever runs the server."}
	}
	return nil
}

func unwrapURLError(err error) string {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return ue.Err.Error()
	}
	return err.Error()
}

func notServer(server, why string) error {
	return &tm.Error{Code: tm.EINVALID, Message: server + " does not look like a ticket-mate server with device sign-in: " + why,
		Hint: "Check the URL: it is the one you open the dashboard at (tm serve), e.g. https://tm.example.com"}
}

// ServerLogoutOptions are tm logout --server's inputs.
type ServerLogoutOptions struct {
	IO         *iostreams.IOStreams
	HTTPClient func() *http.Client
	Load       func() (*factory.StoredServer, error)
	Remove     func(ctx context.Context) ([]string, error)
}

// RunServerLogout revokes the server token on the server and forgets it
// here. The local copy goes even when the server cannot be reached; the
// error then says where to revoke it by hand.
func RunServerLogout(ctx context.Context, opts *ServerLogoutOptions) error {
	w := opts.IO.ErrOut
	ss, err := opts.Load()
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		fmt.Fprintln(w, "Not signed in through a ticket-mate server.")
		return nil
	}
	if err != nil {
		return err
	}
	revokeErr := revoke(ctx, opts.HTTPClient(), ss)
	from, err := opts.Remove(ctx)
	if err != nil {
		return err
	}
	if revokeErr != nil {
		return &tm.Error{Code: tm.EUNAVAILABLE, Err: revokeErr,
			Message: fmt.Sprintf("forgot the sign-in (%s), but could not revoke its token on %s: %v", strings.Join(from, ", "), ss.Server, revokeErr),
			Hint:    "Revoke it by hand: open " + ss.Server + "/tokens and choose Revoke next to this machine."}
	}
	fmt.Fprintf(w, "Signed out of %s: the token is revoked on the server and removed from %s.\n", ss.Server, strings.Join(from, " and "))
	return nil
}

func revoke(ctx context.Context, hc *http.Client, ss *factory.StoredServer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ss.Server+"/api/device/revoke",
		strings.NewReader(url.Values{"token": {ss.Token.Reveal()}, "token_type_hint": {"access_token"}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s", unwrapURLError(err))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}
