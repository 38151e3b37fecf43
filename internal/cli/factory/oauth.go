package factory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/jira"
)

// OAuthApp returns the client of cfg's OAuth app (ATLASSIAN_CLIENT_ID and
// _SECRET, the redirect URI, the scopes, Atlassian's endpoints) and the
// credential file that keeps this machine user's sign-in with it.
func (f *Factory) OAuthApp(cfg *config.Config) (*atlassian.Client, *credfile.Store, error) {
	if f.ConfigDir == "" {
		return nil, nil, &tm.Error{Code: tm.ECONFIG,
			Message: "there is no user config directory to keep the Atlassian sign-in in",
			Hint:    "Set HOME (or XDG_CONFIG_HOME) so tm can store it in $XDG_CONFIG_HOME/ticket-mate/" + credfile.FileName + "."}
	}
	hc := f.HTTPClient()
	if cfg.Debug {
		// The sign-in's own calls (token refresh, identity) show in --debug
		// too, one line per hop; Jira's calls are traced by the Jira client.
		c := *hc
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = debugTransport{next: next, trace: debugTrace(f)}
		hc = &c
	}
	c, err := atlassian.New(atlassian.Config{
		AuthURL: cfg.AuthURL, APIURL: cfg.APIURL,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURI: cfg.RedirectURI,
		Scopes: cfg.OAuthScopes, HTTPClient: hc, Now: f.now,
	})
	if err != nil {
		return nil, nil, err
	}
	return c, credfile.New(credfile.Path(f.ConfigDir), cfg.AuthURL, cfg.ClientID, f.now), nil
}

// oauthRoute is how the Jira client reaches Jira in OAUTH mode: the
// signed-in person's access token as Bearer, through the API gateway to the
// chosen site.
type oauthRoute struct {
	Auth jira.Auth
	// HTTPClient carries the token transport: after a 401 on a token that
	// should still be valid it refreshes once and retries once.
	HTTPClient  *http.Client
	BaseURL     string // {APIURL}/ex/jira/{cloudId}: the REST root for jira.NewClient
	Site        tm.Site
	CloudIDFrom string // config.CloudIDConfigured or config.CloudIDGrant
	Account     credfile.Account
	File        string // where the sign-in is stored

	store *credfile.Store
}

// Label says how tm authenticates, for people (AuthLabel).
func (r *oauthRoute) Label() string {
	who := r.Account.Name
	if r.Account.Email != "" {
		who += " (" + r.Account.Email + ")"
	}
	from := "chosen at tm login"
	if r.CloudIDFrom == config.CloudIDConfigured {
		from = "ATLASSIAN_CLOUD_ID"
	}
	return fmt.Sprintf("OAuth 2.0 (3LO, Bearer) signed in as %s, through the Atlassian API gateway to %s (%s, cloud id %s, %s); sign-in stored in %s",
		strings.TrimSpace(who), r.Site.Name, r.Site.URL, r.Site.CloudID, from, r.File)
}

// oauthAuth builds the OAUTH-mode route from the stored sign-in: tokens
// come from atlassian.Tokens over the credential file, so they are
// refreshed shortly before expiry and after an early 401, once across every
// tm process, with the rotated pair stored before it is used. Nothing is
// sent before the first Jira call.
func (f *Factory) oauthAuth(ctx context.Context, cfg *config.Config) (*oauthRoute, error) {
	client, store, err := f.OAuthApp(cfg)
	if err != nil {
		return nil, err
	}
	si, err := store.SignIn(ctx)
	if tm.ErrorCode(err) == tm.ENOTFOUND {
		return nil, &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
			Message: "not signed in: run tm login",
			Hint: "ATLASSIAN_AUTH_MODE=OAUTH uses your own sign-in with the OAuth app " + cfg.ClientID + ".\n" +
				"tm login opens Atlassian's consent page in the browser and stores the sign-in in " + store.Path() + "."}
	}
	if err != nil {
		return nil, err
	}
	if si.Grant.Lost {
		return nil, signInAgain(store.Path(), nil)
	}
	site, from, err := chooseStoredSite(cfg, si)
	if err != nil {
		return nil, err
	}
	base := f.jiraHTTPClient()
	tr := &atlassian.Transport{
		Tokens: atlassian.NewTokens(client, store, atlassian.Hooks{}),
		UserID: si.Account.AccountID,
		Base:   base.Transport,
		Grant:  si.Grant,
	}
	return &oauthRoute{
		Auth:        jira.OAuthAuth{Source: cliTokens{tr: tr, file: store.Path()}},
		HTTPClient:  &http.Client{Transport: tr, Timeout: base.Timeout, CheckRedirect: base.CheckRedirect, Jar: base.Jar},
		BaseURL:     jira.GatewayURL(cfg.APIURL, site.CloudID),
		Site:        site,
		CloudIDFrom: from,
		Account:     si.Account,
		File:        store.Path(),
		store:       store,
	}, nil
}

// Explain turns a refused Jira call (401, or the gateway's "scope does not
// match") into advice for a signed-in person; nil for any other error. The
// token transport has already refreshed and retried once, so a 401 here
// means the sign-in itself is no longer honoured.
func (r *oauthRoute) Explain(err error) error {
	var je *jira.Error
	if !errors.As(err, &je) {
		return nil
	}
	switch {
	case je.ScopeMismatch():
		scope := scopeFor(je.Method, je.URL)
		return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
			Message: fmt.Sprintf("your Atlassian sign-in lacks the scope %s, which %s needs (gateway: %q)", scope, pathOf(je.URL), je.Message),
			Hint: "Add " + scope + " to the app's permissions in the developer console (https://developer.atlassian.com/console/myapps/)\n" +
				"and to ATLASSIAN_OAUTH_SCOPES if you set it, then sign in again: tm login"}
	case !je.AuthFailed():
		return nil
	}
	if si, serr := r.store.SignIn(context.Background()); serr != nil || si.Grant.Lost {
		return signInAgain(r.File, err)
	}
	return &tm.Error{Code: tm.EUNAUTHORIZED, Err: err,
		Message: fmt.Sprintf("the Atlassian API gateway refused your sign-in for %s even with a fresh token (%d %s): sign in again: tm login",
			r.Site.Name, je.StatusCode, http.StatusText(je.StatusCode)),
		Hint: "If it keeps happening, check that your account can still use " + r.Site.URL + " and that the app is still allowed there\n" +
			"(an Atlassian admin may have to approve it)."}
}

// chooseStoredSite picks the site Jira calls go to: ATLASSIAN_CLOUD_ID when
// set (it must be one the sign-in reaches), else the one chosen at login,
// else the only one.
func chooseStoredSite(cfg *config.Config, si *credfile.SignIn) (tm.Site, string, error) {
	if id := cfg.CloudID; id != "" {
		if s, ok := si.Site(id); ok {
			return s, config.CloudIDConfigured, nil
		}
		return tm.Site{}, "", &tm.Error{Code: tm.ECONFIG,
			Message: fmt.Sprintf("ATLASSIAN_CLOUD_ID=%s is not a site your Atlassian sign-in reaches", id),
			Hint: "Your sign-in reaches:\n" + SiteList(si.Sites) + "\n" +
				"Remove ATLASSIAN_CLOUD_ID (tm then uses the site chosen at tm login), set it to one of these, " +
				"or run tm login --site " + id + " and pick that site on Atlassian's consent page."}
	}
	if s, ok := si.Site(si.Grant.SelectedCloudID); ok {
		return s, config.CloudIDGrant, nil
	}
	if len(si.Sites) == 1 {
		return si.Sites[0], config.CloudIDGrant, nil
	}
	if len(si.Sites) == 0 {
		return tm.Site{}, "", &tm.Error{Code: tm.EUNAUTHORIZED,
			Message: "your Atlassian sign-in reaches no Jira site: run tm login",
			Hint:    "On Atlassian's consent page, choose your Jira site under \"Use app on\"."}
	}
	return tm.Site{}, "", &tm.Error{Code: tm.EINVALID,
		Message: "your Atlassian sign-in reaches several Jira sites and none is chosen",
		Hint:    "Choose one: tm login --site <name>, or set ATLASSIAN_CLOUD_ID. The sites:\n" + SiteList(si.Sites)}
}

// SiteList formats sites one per line for hints and prompts.
func SiteList(sites []tm.Site) string {
	var b strings.Builder
	for i, s := range sites {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %s  %s  (cloud id %s)", s.Name, s.URL, s.CloudID)
	}
	return b.String()
}

// cliTokens is the Jira client's token source: the transport's tokens,
// with "reconnect" said the way the terminal fixes it.
type cliTokens struct {
	tr   *atlassian.Transport
	file string
}

func (c cliTokens) Token(ctx context.Context) (tm.Secret, error) {
	tok, err := c.tr.Token(ctx)
	if atlassian.IsReconnect(err) {
		return "", signInAgain(c.file, err)
	}
	return tok, err
}

// signInAgain is the error for a sign-in Atlassian no longer honours.
func signInAgain(file string, cause error) error {
	return &tm.Error{Code: tm.EUNAUTHORIZED, Err: cause,
		Message: "your Atlassian sign-in has expired or was revoked: sign in again: tm login",
		Hint: "A sign-in lasts at most 365 days from the consent and ends after 90 days unused; revoking the app's access\n" +
			"or changing your Atlassian password ends it too. tm login replaces the sign-in stored in " + file + "."}
}

// OAuthSignIn is the stored sign-in of the configured OAuth app and the
// file it is kept in.
type OAuthSignIn struct {
	*credfile.SignIn
	File string
}

// StoredOAuthSignIn returns cfg's OAuth app's stored sign-in (ENOTFOUND
// when there is none), without sending anything.
func (f *Factory) StoredOAuthSignIn(cfg *config.Config) (*OAuthSignIn, error) {
	_, store, err := f.OAuthApp(cfg)
	if err != nil {
		return nil, err
	}
	si, err := store.SignIn(context.Background())
	if err != nil {
		return nil, err
	}
	return &OAuthSignIn{si, store.Path()}, nil
}

// debugTransport writes one --debug line per request it carries: every hop,
// a redirect answer included. It sees no header, so no credential.
type debugTransport struct {
	next  http.RoundTripper
	trace func(jira.Trace)
}

func (d debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := d.next.RoundTrip(req)
	t := jira.Trace{Method: req.Method, URL: tm.Redacted(req.URL), Duration: time.Since(start), Attempt: 1, Err: err}
	if resp != nil {
		t.Status = resp.StatusCode
	}
	d.trace(t)
	return resp, err
}

// StoredSignIn describes this machine user's OAuth sign-in for cfg's app,
// read from the credential file without a network call; an ENOTFOUND
// *tm.Error when there is none.
func (f *Factory) StoredSignIn(ctx context.Context, cfg *config.Config) (string, error) {
	if f.ConfigDir == "" {
		return "", &tm.Error{Code: tm.ENOTFOUND, Message: "no user config directory, so no stored sign-in"}
	}
	si, err := credfile.New(credfile.Path(f.ConfigDir), cfg.AuthURL, cfg.ClientID, f.now).SignIn(ctx)
	if err != nil {
		return "", err
	}
	who := si.Account.Email
	if who == "" {
		who = si.Account.Name
	}
	return who, nil
}
