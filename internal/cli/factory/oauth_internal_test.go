package factory

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/iostreams"
	"github.com/ticket-mate/tm/internal/config"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/credfile/credfiletest"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
)

// oauthWorld is the sandbox, a factory on the same movable clock, and the
// OAUTH-mode configuration of the sandbox's app.
type oauthWorld struct {
	sb    *emulatortest.Server
	clock *credfiletest.Clock
	f     *Factory
	cfg   *config.Config
	store *credfile.Store
}

func newOAuthWorld(t *testing.T) *oauthWorld {
	clock := &credfiletest.Clock{}
	sb := emulatortest.Start(t, emulator.Options{Clock: clock.Now})
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IO: ios, ConfigDir: t.TempDir(), Now: clock.Now,
		HTTPClient: func() *http.Client { return &http.Client{Timeout: 10 * time.Second} }}
	app := sb.Creds.OAuth[0]
	cfg := &config.Config{AuthMode: config.AuthOAuth, ClientID: app.ClientID, ClientSecret: tm.Secret(app.ClientSecret),
		RedirectURI: credfiletest.RedirectURI, AuthURL: sb.URL, APIURL: sb.URL}
	return &oauthWorld{sb: sb, clock: clock, f: f, cfg: cfg,
		store: credfile.New(credfile.Path(f.ConfigDir), sb.URL, app.ClientID, clock.Now)}
}

// signIn consents with w.cfg's app and scopes.
func (w *oauthWorld) signIn(t *testing.T, cloudIDs ...string) *credfile.SignIn {
	c, _, err := w.f.OAuthApp(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return credfiletest.SignIn(t, w.sb, c, w.store, "", cloudIDs...)
}

// client is the Jira client factory/jira.go builds from the route.
func (w *oauthWorld) client(t *testing.T) (*jira.Client, *oauthRoute) {
	t.Helper()
	r, err := w.f.oauthAuth(context.Background(), w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return jira.NewClient(r.HTTPClient, r.BaseURL, r.Auth, jira.WithGateway(), jira.WithSiteURL(r.Site.URL)), r
}

func wantTMError(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	if got := tm.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%s", p, err)
		}
	}
}

func TestOAuthNotSignedIn(t *testing.T) {
	w := newOAuthWorld(t)
	_, err := w.f.oauthAuth(context.Background(), w.cfg)
	wantTMError(t, err, tm.EUNAUTHORIZED, "not signed in: run tm login", w.store.Path())
	if n := len(w.sb.E.Requests()); n != 0 {
		t.Errorf("sent %d requests before anyone signed in", n)
	}
}

func TestOAuthBearerThroughGateway(t *testing.T) {
	w := newOAuthWorld(t)
	si := w.signIn(t)
	c, r := w.client(t)
	site := w.sb.Creds.Sites[0]
	if r.BaseURL != w.sb.GatewayURL(site.CloudID) || r.Site.CloudID != site.CloudID || r.CloudIDFrom != config.CloudIDGrant {
		t.Errorf("route: base %s, site %+v, from %s", r.BaseURL, r.Site, r.CloudIDFrom)
	}
	me, err := c.Myself(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.AccountID != si.Account.AccountID {
		t.Errorf("myself = %s, want %s", me.AccountID, si.Account.AccountID)
	}
	if n := w.sb.E.Requests()["GET /rest/api/3/myself"]; n != 1 {
		t.Errorf("gateway myself requests = %d, want 1 (all: %v)", n, w.sb.E.Requests())
	}
	if st := w.sb.E.Auth().Stats(); st.Refreshes != 0 {
		t.Errorf("refreshed %d times with a fresh token", st.Refreshes)
	}
	label := r.Label()
	for _, want := range []string{"OAuth 2.0 (3LO, Bearer)", si.Account.Email, site.CloudID, w.store.Path()} {
		if !strings.Contains(label, want) {
			t.Errorf("label %q lacks %q", label, want)
		}
	}
}

func TestOAuthRefreshesAnExpiredToken(t *testing.T) {
	w := newOAuthWorld(t)
	si := w.signIn(t)
	w.clock.Advance(time.Hour + time.Minute)
	c, _ := w.client(t)
	ctx := context.Background()
	for range 2 {
		if _, err := c.Myself(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st := w.sb.E.Auth().Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", st.Refreshes)
	}
	g, err := w.store.GetGrant(ctx, si.Account.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Version != si.Grant.Version+1 || g.RefreshToken == si.Grant.RefreshToken || !g.ExpiresAt.After(w.clock.Now()) {
		t.Errorf("stored after refresh: version %d (was %d), refresh token rotated %v, expires %v",
			g.Version, si.Grant.Version, g.RefreshToken != si.Grant.RefreshToken, g.ExpiresAt)
	}
	// A new tm process finds the rotated pair and needs no refresh.
	c2, _ := w.client(t)
	if _, err := c2.Myself(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.sb.E.Auth().Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes after a second process = %d, want 1", st.Refreshes)
	}
}

func TestOAuthRefreshesAfterEarly401(t *testing.T) {
	w := newOAuthWorld(t)
	si := w.signIn(t)
	c, _ := w.client(t)
	w.sb.E.Auth().RevokeAccessTokens(si.Account.AccountID)
	if _, err := c.Myself(context.Background()); err != nil {
		t.Fatalf("after an early 401: %v", err)
	}
	if st := w.sb.E.Auth().Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", st.Refreshes)
	}
	if n := w.sb.E.Requests()["GET /rest/api/3/myself"]; n != 2 {
		t.Errorf("myself requests = %d, want the refused one and its retry", n)
	}
}

func TestOAuthFamilyExpired(t *testing.T) {
	w := newOAuthWorld(t)
	si := w.signIn(t)
	w.clock.Advance(366 * 24 * time.Hour)
	c, _ := w.client(t)
	ctx := context.Background()
	_, err := c.Myself(ctx)
	wantTMError(t, err, tm.EUNAUTHORIZED, "sign in again: tm login", "365 days", w.store.Path())
	if st := w.sb.E.Auth().Stats(); st.RefreshFailures != 1 {
		t.Errorf("refresh failures = %d, want 1", st.RefreshFailures)
	}
	g, gerr := w.store.GetGrant(ctx, si.Account.AccountID)
	if gerr != nil || !g.Lost {
		t.Fatalf("the grant is not marked lost: %+v, %v", g, gerr)
	}
	// Known lost: the next run says so without asking Atlassian again.
	before := w.sb.E.Auth().Stats()
	_, err = w.f.oauthAuth(ctx, w.cfg)
	wantTMError(t, err, tm.EUNAUTHORIZED, "sign in again: tm login")
	if after := w.sb.E.Auth().Stats(); after != before {
		t.Errorf("a lost sign-in still went to Atlassian: %+v → %+v", before, after)
	}
}

func TestOAuthSiteChoice(t *testing.T) {
	w := newOAuthWorld(t)
	main, eu := w.sb.Creds.Sites[0], w.sb.Creds.Sites[1]
	w.signIn(t, eu.CloudID, main.CloudID) // both sites, eu selected
	ctx := context.Background()

	_, r := w.client(t)
	if r.Site.CloudID != eu.CloudID || r.CloudIDFrom != config.CloudIDGrant {
		t.Errorf("without ATLASSIAN_CLOUD_ID: site %s from %s, want the selected %s", r.Site.CloudID, r.CloudIDFrom, eu.CloudID)
	}

	w.cfg.CloudID = main.CloudID
	c, r := w.client(t)
	if r.Site.CloudID != main.CloudID || r.CloudIDFrom != config.CloudIDConfigured {
		t.Errorf("with ATLASSIAN_CLOUD_ID: site %s from %s, want %s", r.Site.CloudID, r.CloudIDFrom, main.CloudID)
	}
	if _, err := c.Myself(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.sb.E.Requests()["GET /rest/api/3/myself"]; n != 1 {
		t.Errorf("gateway requests = %v", w.sb.E.Requests())
	}

	w.cfg.CloudID = "00000000-0000-4000-8000-000000000000"
	_, err := w.f.oauthAuth(ctx, w.cfg)
	wantTMError(t, err, tm.ECONFIG, "ATLASSIAN_CLOUD_ID=00000000-0000-4000-8000-000000000000 is not a site your Atlassian sign-in reaches",
		main.Name, eu.Name, "tm login --site")
}

func TestOAuthSeveralSitesNoneChosen(t *testing.T) {
	w := newOAuthWorld(t)
	si := w.signIn(t, w.sb.Creds.Sites[1].CloudID, w.sb.Creds.Sites[0].CloudID)
	// A sign-in stored without a choice.
	if _, err := w.store.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	si.Grant.SelectedCloudID = ""
	if err := w.store.SaveSignIn(context.Background(), si); err != nil {
		t.Fatal(err)
	}
	_, err := w.f.oauthAuth(context.Background(), w.cfg)
	wantTMError(t, err, tm.EINVALID, "several Jira sites and none is chosen", "tm login --site", w.sb.Creds.Sites[1].Name)
}

func TestOAuthAppNeedsConfigDir(t *testing.T) {
	w := newOAuthWorld(t)
	w.f.ConfigDir = ""
	_, err := w.f.oauthAuth(context.Background(), w.cfg)
	wantTMError(t, err, tm.ECONFIG, "no user config directory")
}

// TestOAuthExplain: a refusal that survives the refresh and retry is
// explained as the sign-in's problem, not an API token's.
func TestOAuthExplain(t *testing.T) {
	t.Run("access revoked", func(t *testing.T) {
		w := newOAuthWorld(t)
		si := w.signIn(t)
		c, r := w.client(t)
		w.sb.E.Auth().RevokeGrant(si.Account.AccountID, w.cfg.ClientID)
		_, err := c.Myself(context.Background())
		if err == nil {
			t.Fatal("myself worked after the grant was revoked")
		}
		wantTMError(t, r.Explain(err), tm.EUNAUTHORIZED, "sign in again: tm login", w.store.Path())
		if g, _ := w.store.GetGrant(context.Background(), si.Account.AccountID); g == nil || !g.Lost {
			t.Error("the revoked grant is not marked lost")
		}
	})
	t.Run("scope not granted", func(t *testing.T) {
		w := newOAuthWorld(t)
		w.cfg.OAuthScopes = []string{"read:jira-work", "read:me", "offline_access"}
		w.signIn(t)
		c, r := w.client(t)
		_, err := c.Myself(context.Background())
		if err == nil {
			t.Fatal("myself worked without read:jira-user")
		}
		wantTMError(t, r.Explain(err), tm.EUNAUTHORIZED, "lacks the scope read:jira-user", "/rest/api/3/myself", "ATLASSIAN_OAUTH_SCOPES", "tm login")
	})
	t.Run("other errors", func(t *testing.T) {
		w := newOAuthWorld(t)
		w.signIn(t)
		c, r := w.client(t)
		_, err := c.Project(context.Background(), "NOSUCH")
		if err == nil || r.Explain(err) != nil {
			t.Errorf("a 404 (%v) was explained as a sign-in problem: %v", err, r.Explain(err))
		}
	})
}
