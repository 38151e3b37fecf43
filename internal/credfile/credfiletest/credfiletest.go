// Package credfiletest signs a credential file in to the sandbox for tests
// of what uses a stored sign-in, without a browser: the sandbox's
// authorization server plays the person pressing Accept. It imports
// credfile, atlassian, the emulator's test helper and the domain.
package credfiletest

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/atlassian"
	"github.com/ticket-mate/tm/internal/credfile"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
)

// Clock is a movable clock shared by the sandbox and the code under test.
type Clock struct {
	mu sync.Mutex
	d  time.Duration
}

// Now is the wall clock moved by every Advance so far.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.d += d; c.mu.Unlock() }

// RedirectURI is a loopback callback the sandbox's app accepts; nothing
// listens on it, as Approve hands the redirect back instead of following it.
const RedirectURI = "http://127.0.0.1:1/api/auth/jira/callback"

// Client is an OAuth client of the sandbox's app at sb, on clock now.
func Client(tb testing.TB, sb *emulatortest.Server, now func() time.Time) *atlassian.Client {
	tb.Helper()
	app := sb.Creds.OAuth[0]
	c, err := atlassian.New(atlassian.Config{AuthURL: sb.URL, APIURL: sb.URL, ClientID: app.ClientID,
		ClientSecret: tm.Secret(app.ClientSecret), RedirectURI: RedirectURI, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Store is a credential file in a fresh directory for the sandbox's app.
func Store(tb testing.TB, sb *emulatortest.Server, now func() time.Time) *credfile.Store {
	return credfile.New(credfile.Path(tb.TempDir()), sb.URL, sb.Creds.OAuth[0].ClientID, now)
}

// SignIn consents through c as accountID ("" for the sandbox's first user)
// to each of cloudIDs in turn (none: the first site), exchanges the last
// code, and saves the sign-in in store with the first of them selected.
func SignIn(tb testing.TB, sb *emulatortest.Server, c *atlassian.Client, store *credfile.Store, accountID string, cloudIDs ...string) *credfile.SignIn {
	tb.Helper()
	ctx := context.Background()
	if len(cloudIDs) == 0 {
		cloudIDs = []string{sb.Creds.Sites[0].CloudID}
	}
	var code string
	for _, id := range cloudIDs {
		redirect, err := sb.E.Auth().Approve(c.AuthorizeURL("state"), accountID, id)
		if err != nil {
			tb.Fatal(err)
		}
		u, err := url.Parse(redirect)
		if err != nil {
			tb.Fatal(err)
		}
		code = u.Query().Get("code")
	}
	tok, err := c.Exchange(ctx, code)
	if err != nil {
		tb.Fatal(err)
	}
	me, err := c.Me(ctx, tok.AccessToken)
	if err != nil {
		tb.Fatal(err)
	}
	rs, err := c.AccessibleResources(ctx, tok.AccessToken)
	if err != nil {
		tb.Fatal(err)
	}
	si := &credfile.SignIn{
		Account: credfile.Account{AccountID: me.AccountID, Email: me.Email, Name: me.Name},
		Grant:   &tm.Grant{TokenSet: *tok, SelectedCloudID: cloudIDs[0]},
	}
	for _, r := range rs {
		si.Sites = append(si.Sites, tm.Site{CloudID: r.ID, Name: r.Name, URL: r.URL, Scopes: r.Scopes})
	}
	if err := store.SaveSignIn(ctx, si); err != nil {
		tb.Fatal(err)
	}
	return si
}
