package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/store"
	"github.com/ticket-mate/tm/internal/store/storetest"
)

// openStoreBench opens a store on a fresh SQLite file with one user and a
// grant whose tokens are the size of Atlassian's (a ~1 KB JWT access token).
func openStoreBench(b *testing.B) (*store.DB, string) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), storetest.NewKeyring(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	u, err := db.UpsertUser(ctx, tm.User{AccountID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	access := make([]byte, 1024)
	rand.Read(access)
	g := &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{
		AccessToken:  tm.Secret(base64.RawURLEncoding.EncodeToString(access)),
		RefreshToken: tm.Secret("refresh-0"),
		ExpiresAt:    time.Now().Add(time.Hour),
		Scopes:       []string{"read:jira-work", "write:jira-work", "offline_access"},
	}}
	if err := db.SaveGrant(ctx, g); err != nil {
		b.Fatal(err)
	}
	return db, u.ID
}

// BenchmarkStoreGetGrant: one read of a grant and the opening of both
// sealed tokens, the cost of every authenticated Jira call on the server.
func BenchmarkStoreGetGrant(b *testing.B) {
	db, uid := openStoreBench(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.GetGrant(ctx, uid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.GetGrant(ctx, uid); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkStoreWithGrantLock: the lock round trip. "observe" is a caller
// that finds the tokens fresh and stores nothing; "rotate" stores a new
// pair (sealing, an UPDATE and a durable commit).
func BenchmarkStoreWithGrantLock(b *testing.B) {
	db, uid := openStoreBench(b)
	ctx := context.Background()
	b.Run("observe", func(b *testing.B) {
		for b.Loop() {
			if err := db.WithGrantLock(ctx, uid, func(context.Context, *tm.Grant) (*tm.Grant, error) { return nil, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rotate", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n++
			err := db.WithGrantLock(ctx, uid, func(_ context.Context, g *tm.Grant) (*tm.Grant, error) {
				g.RefreshToken = tm.Secret(fmt.Sprint("refresh-", n))
				return g, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
