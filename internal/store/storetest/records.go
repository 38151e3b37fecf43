package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tm "github.com/ticket-mate/tm"
)

func testUsers(t *testing.T, e *env) {
	ctx := context.Background()
	_, err := e.db.UpsertUser(ctx, tm.User{AccountID: "  "})
	wantErr(t, err, tm.EINVALID, "a user needs an Atlassian account id")
	_, err = e.db.UserByID(ctx, "nobody")
	wantErr(t, err, tm.ENOTFOUND, `no user with id "nobody"`)

	created := e.clock.Now()
	u := must[*tm.User](t)(e.db.UpsertUser(ctx, tm.User{AccountID: "557058:aaa", Email: "mia@example.com", Name: "Mia", Picture: "https://p/1"}))
	if len(u.ID) != 26 || !u.CreatedAt.Equal(created) || !u.UpdatedAt.Equal(created) {
		t.Fatalf("created user: %+v", u)
	}
	if got := must[*tm.User](t)(e.db.UserByID(ctx, u.ID)); !cmp.Equal(got, u) {
		t.Fatalf("UserByID (-upserted +read):\n%s", cmp.Diff(u, got))
	}

	// Signing in again finds the same user and refreshes the profile.
	e.clock.Advance(time.Hour)
	again := must[*tm.User](t)(e.db.UpsertUser(ctx, tm.User{AccountID: "557058:aaa", Email: "mia@new.example", Name: "Mia K"}))
	want := &tm.User{ID: u.ID, AccountID: "557058:aaa", Email: "mia@new.example", Name: "Mia K", CreatedAt: created, UpdatedAt: e.clock.Now()}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Fatalf("second upsert (-want +got):\n%s", diff)
	}
	if got := must[*tm.User](t)(e.db.UserByID(ctx, u.ID)); !cmp.Equal(got, want) {
		t.Fatalf("stored after second upsert:\n%s", cmp.Diff(want, got))
	}
	other := must[*tm.User](t)(e.db.UpsertUser(ctx, tm.User{AccountID: "557058:bbb"}))
	if other.ID == u.ID {
		t.Fatal("two accounts share a user id")
	}
}

func testSites(t *testing.T, e *env) {
	ctx := context.Background()
	err := e.db.ReplaceSites(ctx, "nobody", []tm.Site{{CloudID: "c"}})
	wantErr(t, err, tm.ENOTFOUND, `no user with id "nobody"`)
	u, v := e.user("sites"), e.user("sites-other")
	err = e.db.ReplaceSites(ctx, u.ID, []tm.Site{{Name: "Nameless"}})
	wantErr(t, err, tm.EINVALID, `site "Nameless" has no cloud id`)
	err = e.db.SelectSite(ctx, u.ID, "c1")
	wantErr(t, err, tm.ENOTFOUND, fmt.Sprintf("user %q has not connected Atlassian", u.ID))

	e.grant(u)
	// accessible-resources lists a site once per product: merge the scopes.
	check(t, e.db.ReplaceSites(ctx, u.ID, []tm.Site{
		{CloudID: "c2", Name: "Zeta", URL: "https://zeta.atlassian.net", Scopes: []string{"read:jira-work"}, AvatarURL: "https://a/z.png"},
		{CloudID: "c1", Name: "Alpha", URL: "https://alpha.atlassian.net", Scopes: []string{"read:jira-work"}},
		{CloudID: "c2", Name: "Zeta", URL: "https://zeta.atlassian.net", Scopes: []string{"read:jira-work", "write:confluence-content"}},
	}))
	want := []tm.Site{
		{CloudID: "c1", Name: "Alpha", URL: "https://alpha.atlassian.net", Scopes: []string{"read:jira-work"}},
		{CloudID: "c2", Name: "Zeta", URL: "https://zeta.atlassian.net", Scopes: []string{"read:jira-work", "write:confluence-content"}, AvatarURL: "https://a/z.png"},
	}
	if diff := cmp.Diff(want, must[[]tm.Site](t)(e.db.Sites(ctx, u.ID))); diff != "" {
		t.Fatalf("Sites (-want +got):\n%s", diff)
	}
	if got := must[[]tm.Site](t)(e.db.Sites(ctx, v.ID)); got == nil || len(got) != 0 {
		t.Fatalf("another user's sites = %#v, want an empty list", got)
	}
	selected := func() string { return must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)).SelectedCloudID }
	if s := selected(); s != "" {
		t.Fatalf("two sites and a selection was made: %q", s)
	}

	err = e.db.SelectSite(ctx, u.ID, "c9")
	wantErr(t, err, tm.ENOTFOUND, fmt.Sprintf(`site "c9" is not among the sites user %q connected`, u.ID))
	e.grant(v)
	err = e.db.SelectSite(ctx, v.ID, "c1") // u's site, not v's
	wantErr(t, err, tm.ENOTFOUND, `site "c1" is not among the sites`)
	version := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)).Version
	check(t, e.db.SelectSite(ctx, u.ID, "c2"))
	if s := selected(); s != "c2" {
		t.Fatalf("selected = %q, want c2", s)
	}
	// GrantAndSite is GetGrant and the selected one of Sites in one read.
	g, site, err := e.db.GrantAndSite(ctx, u.ID)
	check(t, err)
	if diff := cmp.Diff(must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)), g); diff != "" {
		t.Fatalf("GrantAndSite's grant (-GetGrant +got):\n%s", diff)
	}
	if diff := cmp.Diff(&want[1], site); diff != "" {
		t.Fatalf("GrantAndSite's site (-want +got):\n%s", diff)
	}
	if _, site, err := e.db.GrantAndSite(ctx, v.ID); err != nil || site != nil {
		t.Fatalf("GrantAndSite of a user without a selection: %#v, %v; want no site", site, err)
	}
	_, _, err = e.db.GrantAndSite(ctx, "nobody")
	wantErr(t, err, tm.ENOTFOUND, "")
	// Selecting a site is not a token change: a refresher's CAS still holds.
	if got := must[*tm.Grant](t)(e.db.GetGrant(ctx, u.ID)).Version; got != version {
		t.Fatalf("selecting a site moved the version from %d to %d", version, got)
	}

	// The selected site stays while it is still granted…
	check(t, e.db.ReplaceSites(ctx, u.ID, []tm.Site{{CloudID: "c2", Name: "Zeta"}, {CloudID: "c3", Name: "Eta"}}))
	if s := selected(); s != "c2" {
		t.Fatalf("selected = %q after a refresh of the list, want c2", s)
	}
	// …is dropped when it is gone, and a single remaining site is chosen.
	check(t, e.db.ReplaceSites(ctx, u.ID, []tm.Site{{CloudID: "c3", Name: "Eta"}}))
	if s := selected(); s != "c3" {
		t.Fatalf("selected = %q with one site left, want c3", s)
	}
	check(t, e.db.ReplaceSites(ctx, u.ID, nil))
	if s := selected(); s != "" {
		t.Fatalf("selected = %q with no sites, want none", s)
	}
}

func testTickets(t *testing.T, e *env) {
	ctx := context.Background()
	err := e.db.AddTicket(ctx, tm.TicketRecord{UserID: "nobody", CloudID: "c", Key: "K-1"})
	wantErr(t, err, tm.ENOTFOUND, `no user with id "nobody"`)
	err = e.db.AddTicket(ctx, tm.TicketRecord{UserID: "x", CloudID: "c"})
	wantErr(t, err, tm.EINVALID, "needs a user id, a cloud id and an issue key")
	u, v := e.user("tickets"), e.user("tickets-other")
	_, err = e.db.RecentTickets(ctx, u.ID, 0)
	wantErr(t, err, tm.EINVALID, "must be positive, not 0")

	base := e.clock.Now()
	var all []tm.TicketRecord
	for i := range 5 {
		r := tm.TicketRecord{UserID: u.ID, CloudID: "c1", Key: fmt.Sprintf("SPACE2-%d", i+1),
			URL: fmt.Sprintf("https://s/browse/SPACE2-%d", i+1), Summary: fmt.Sprint("ticket ", i+1), CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		check(t, e.db.AddTicket(ctx, r))
		all = append([]tm.TicketRecord{r}, all...) // newest first
	}
	check(t, e.db.AddTicket(ctx, tm.TicketRecord{UserID: v.ID, CloudID: "c1", Key: "OTHER-1"}))

	if diff := cmp.Diff(all[:3], must[[]tm.TicketRecord](t)(e.db.RecentTickets(ctx, u.ID, 3))); diff != "" {
		t.Fatalf("RecentTickets(3) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all, must[[]tm.TicketRecord](t)(e.db.RecentTickets(ctx, u.ID, 100))); diff != "" {
		t.Fatalf("RecentTickets(100) (-want +got):\n%s", diff)
	}
	// Recording a ticket again updates it without moving it.
	again := all[4]
	again.Summary, again.CreatedAt = "renamed", base.Add(time.Hour)
	check(t, e.db.AddTicket(ctx, again))
	got := must[[]tm.TicketRecord](t)(e.db.RecentTickets(ctx, u.ID, 100))
	if len(got) != 5 || got[4].Summary != "renamed" || !got[4].CreatedAt.Equal(base) {
		t.Fatalf("after recording SPACE2-1 again: %+v", got)
	}
	// A ticket without a time is recorded now.
	e.clock.Advance(time.Hour)
	check(t, e.db.AddTicket(ctx, tm.TicketRecord{UserID: u.ID, CloudID: "c1", Key: "SPACE2-9"}))
	if got := must[[]tm.TicketRecord](t)(e.db.RecentTickets(ctx, u.ID, 1)); got[0].Key != "SPACE2-9" || !got[0].CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("newest ticket: %+v", got[0])
	}
}

func testSessions(t *testing.T, e *env) {
	ctx := context.Background()
	if _, found, err := e.db.Find("unknown"); found || err != nil {
		t.Fatalf("Find(unknown) = %v, %v", found, err)
	}
	now := e.clock.Now()
	check(t, e.db.Commit("tok-a", []byte("data a"), now.Add(time.Hour)))
	check(t, e.db.CommitCtx(ctx, "tok-b", []byte{0, 1, 2, 0xff}, now.Add(2*time.Hour)))
	check(t, e.db.Commit("tok-c", []byte("data c"), now.Add(3*time.Hour)))
	data, found, err := e.db.FindCtx(ctx, "tok-b")
	if err != nil || !found || string(data) != "\x00\x01\x02\xff" {
		t.Fatalf("FindCtx(tok-b) = %q, %v, %v", data, found, err)
	}
	// Commit replaces data and expiry.
	check(t, e.db.Commit("tok-a", []byte("data a2"), now.Add(90*time.Minute)))
	if data, found, _ := e.db.Find("tok-a"); !found || string(data) != "data a2" {
		t.Fatalf("Find(tok-a) after a second commit = %q, %v", data, found)
	}
	// The cookie value itself is not stored.
	var raw string
	check(t, e.db.SQL().QueryRowContext(ctx, `SELECT token_hash FROM sessions WHERE token_hash = $1`, sha256Hex("tok-a")).Scan(&raw))

	check(t, e.db.Delete("tok-c"))
	check(t, e.db.DeleteCtx(ctx, "tok-c")) // deleting twice is fine
	if _, found, _ := e.db.Find("tok-c"); found {
		t.Fatal("a deleted session was found")
	}

	// Expired sessions are not found, then cleaned up.
	e.clock.Advance(100 * time.Minute)
	if _, found, _ := e.db.Find("tok-a"); found {
		t.Fatal("an expired session was found")
	}
	if _, found, _ := e.db.Find("tok-b"); !found {
		t.Fatal("a live session was not found")
	}
	if n := must[int64](t)(e.db.DeleteExpiredSessions(ctx)); n != 1 {
		t.Fatalf("DeleteExpiredSessions removed %d, want 1", n)
	}
	var left int
	check(t, e.db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&left))
	if left != 1 {
		t.Fatalf("%d sessions left, want 1", left)
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
