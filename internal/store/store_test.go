package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	tm "github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/store"
	"github.com/ticket-mate/tm/internal/store/storetest"
)

// The store plugs into scs as it is, with contexts.
var _ scs.CtxStore = (*store.DB)(nil)

func TestOpenRejectsBadURLs(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "tm.db")
	tests := []struct {
		name, url, want string
	}{
		{"empty", "  ", "DATABASE_URL is empty"},
		{"unknown scheme", "mysql://root:hunter2@db/tm", `DATABASE_URL uses the scheme "mysql", which ticket-mate does not support`},
		{"bare path", "ticket-mate.db", `DATABASE_URL "ticket-mate.db" has no scheme; for a SQLite file write sqlite:ticket-mate.db`},
		{"sqlite without path", "sqlite:", "names no SQLite file"},
		{"sqlite query", "sqlite:tm.db?mode=ro", `contains '?' or '#'`},
		{"missing directory", "sqlite:" + missing, "the directory " + filepath.Dir(missing) + " does not exist"},
		{"postgres without host", "postgres:///tm", "DATABASE_URL postgres:///tm names no host"},
		{"postgres bad port", "postgres://u:hunter2@127.0.0.1:notaport/db", `not a valid PostgreSQL URL: invalid port ":notaport" after host`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.Open(context.Background(), tt.url, storetest.NewKeyring(t))
			if tm.ErrorCode(err) != tm.ECONFIG {
				t.Fatalf("Open(%q) = %v (code %s), want a config error", tt.url, err, tm.ErrorCode(err))
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("error %q lacks %q", msg, tt.want)
			}
			if !strings.Contains(msg, "sqlite:PATH") || !strings.Contains(msg, "postgres://") {
				t.Fatalf("error %q does not list the accepted forms", msg)
			}
			if strings.Contains(msg, "hunter2") {
				t.Fatalf("error %q repeats a password", msg)
			}
		})
	}
}

func TestOpenNeedsKeyring(t *testing.T) {
	_, err := store.Open(context.Background(), "sqlite::memory:", nil)
	if tm.ErrorCode(err) != tm.ECONFIG || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Fatalf("Open without keys = %v, want a config error saying how to make a key", err)
	}
}

// TestMemory covers sqlite::memory:, which the contract cannot (it opens a
// database twice): one connection serves reads, writes and the grant lock.
func TestMemory(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:", storetest.NewKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Engine() != "SQLite" {
		t.Fatalf("engine %q", db.Engine())
	}
	u, err := db.UpsertUser(ctx, tm.User{AccountID: "acc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveGrant(ctx, &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{AccessToken: "a", RefreshToken: "r", ExpiresAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	err = db.WithGrantLock(ctx, u.ID, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
		g.AccessToken = "a2"
		return g, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := db.GetGrant(ctx, u.ID); err != nil || g.AccessToken != "a2" {
		t.Fatalf("GetGrant = %v, %v", g, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestURLForms: the file forms people write all open the same file.
func TestURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	abs := filepath.Join(dir, "abs.db")
	for _, u := range []string{"sqlite:rel.db", "sqlite://rel.db", "SQLite:rel.db", "sqlite:" + abs, "sqlite://" + abs} {
		db, err := store.Open(context.Background(), u, storetest.NewKeyring(t))
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		db.Close()
	}
	for _, f := range []string{"rel.db", abs} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s was not created: %v", f, err)
		}
	}
}
