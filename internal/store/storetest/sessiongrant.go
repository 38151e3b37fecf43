package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
)

// testSessionGrant checks the read a signed-in request starts with: the
// session, and in the same statement its user's grant and selected site,
// each as fresh as GetGrant and Sites would read them and never another
// user's.
func testSessionGrant(t *testing.T, e *env) {
	ctx := context.Background()
	u, v := e.user("sg-u"), e.user("sg-v")
	e.grant(u)
	e.grant(v)
	check(t, e.db.ReplaceSites(ctx, u.ID, []tm.Site{
		{CloudID: "c1", Name: "Alpha", URL: "https://alpha.atlassian.net", Scopes: []string{"read:jira-work"}},
		{CloudID: "c2", Name: "Zeta", URL: "https://zeta.atlassian.net", AvatarURL: "https://a/z.png"},
	}))
	check(t, e.db.SelectSite(ctx, u.ID, "c2"))
	exp := e.clock.Now().Add(time.Hour)
	check(t, e.db.CommitUserCtx(ctx, "tok-u", u.ID, []byte("data u"), exp))
	check(t, e.db.CommitUserCtx(ctx, "tok-v", v.ID, []byte("data v"), exp))
	check(t, e.db.CommitCtx(ctx, "tok-anon", []byte("data anon"), exp))

	find := func(token string) ([]byte, *tm.SessionGrant) {
		t.Helper()
		data, found, sg, err := e.db.FindWithGrantCtx(ctx, token)
		if err != nil || !found {
			t.Fatalf("FindWithGrantCtx(%s) = found %v, %v", token, found, err)
		}
		return data, sg
	}
	// The grant and site are those GrantAndSite reads, the data FindCtx's.
	same := func(token, userID string) {
		t.Helper()
		data, sg := find(token)
		if want := must[[]byte](t)(sessionData(e, token)); string(data) != string(want) {
			t.Fatalf("FindWithGrantCtx(%s) data %q, FindCtx %q", token, data, want)
		}
		g, site, err := e.db.GrantAndSite(ctx, userID)
		if sg == nil || sg.UserID != userID {
			t.Fatalf("FindWithGrantCtx(%s) = %+v, want user %s", token, sg, userID)
		}
		if tm.ErrorCode(sg.Err) != tm.ErrorCode(err) {
			t.Fatalf("FindWithGrantCtx(%s) error %v, GrantAndSite's %v", token, sg.Err, err)
		}
		if diff := cmp.Diff(g, sg.Grant); diff != "" {
			t.Fatalf("FindWithGrantCtx(%s) grant (-GrantAndSite +got):\n%s", token, diff)
		}
		if diff := cmp.Diff(site, sg.Site); diff != "" {
			t.Fatalf("FindWithGrantCtx(%s) site (-GrantAndSite +got):\n%s", token, diff)
		}
	}
	same("tok-u", u.ID)
	if _, sg := find("tok-u"); sg.Site == nil || sg.Site.CloudID != "c2" || sg.Grant.AccessToken.Reveal() != "access-sg-u-0" {
		t.Fatalf("u's session read %+v; want u's own grant with site c2", sg)
	}
	same("tok-v", v.ID) // a grant without a selected site
	if _, sg := find("tok-v"); sg.Site != nil || sg.Grant.AccessToken.Reveal() != "access-sg-v-0" {
		t.Fatalf("v's session read %+v; want v's own grant and no site", sg)
	}
	if _, sg := find("tok-anon"); sg != nil {
		t.Fatalf("a session stored without a user read a grant: %+v", sg)
	}

	// Every read sees what was written since: another selection, rotated
	// tokens, a lost grant, a disconnect.
	check(t, e.db.SelectSite(ctx, u.ID, "c1"))
	same("tok-u", u.ID)
	g := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	_, err := e.db.UpdateGrantTokens(ctx, u.ID, g.Version, tm.TokenSet{AccessToken: "access-sg-u-1", RefreshToken: "refresh-sg-u-1",
		TokenType: "Bearer", ExpiresAt: e.clock.Now().Add(time.Hour)})
	check(t, err)
	same("tok-u", u.ID)
	if _, sg := find("tok-u"); sg.Grant.AccessToken.Reveal() != "access-sg-u-1" || sg.Site.CloudID != "c1" {
		t.Fatalf("after rotation and a new selection u's session read %+v", sg)
	}
	g = must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID))
	_, err = e.db.MarkGrantLost(ctx, u.ID, g.Version, "invalid_grant")
	check(t, err)
	if _, sg := find("tok-u"); !sg.Grant.Lost {
		t.Fatal("a lost grant read with the session is not lost")
	}
	check(t, e.db.DeleteGrant(ctx, u.ID))
	_, sg := find("tok-u")
	if sg.Grant != nil || sg.Site != nil {
		t.Fatalf("after a disconnect the session read %+v", sg)
	}
	wantErr(t, sg.Err, tm.ENOTFOUND, "has not connected Atlassian")

	// A grant that cannot be opened (another key) leaves the session found.
	other := e.open(NewKeyring(t))
	data, found, sg, err := other.FindWithGrantCtx(ctx, "tok-v")
	if err != nil || !found || string(data) != "data v" || sg == nil || sg.Grant != nil {
		t.Fatalf("with another key FindWithGrantCtx = %q, %v, %+v, %v; want the session and no grant", data, found, sg, err)
	}
	wantErr(t, sg.Err, tm.EINTERNAL, "cannot be decrypted")

	// Committing without a user forgets it; a deleted or expired session
	// is not found.
	check(t, e.db.CommitCtx(ctx, "tok-v", []byte("data v2"), exp))
	if _, sg := find("tok-v"); sg != nil {
		t.Fatalf("a session stored again without a user read a grant: %+v", sg)
	}
	check(t, e.db.CommitUserCtx(ctx, "tok-v", v.ID, []byte("data v3"), exp))
	check(t, e.db.DeleteCtx(ctx, "tok-v"))
	if _, found, sg, err := e.db.FindWithGrantCtx(ctx, "tok-v"); found || sg != nil || err != nil {
		t.Fatalf("a deleted session: found %v, %+v, %v", found, sg, err)
	}
	e.clock.Advance(2 * time.Hour)
	if _, found, sg, err := e.db.FindWithGrantCtx(ctx, "tok-u"); found || sg != nil || err != nil {
		t.Fatalf("an expired session: found %v, %+v, %v", found, sg, err)
	}
}

// sessionData is FindCtx's data for token.
func sessionData(e *env, token string) ([]byte, error) {
	data, _, err := e.db.FindCtx(context.Background(), token)
	return data, err
}
