// Package storetest is the contract every store engine must pass: one
// suite, run against real SQLite files and real PostgreSQL databases, that
// checks what the server relies on — isolation between users, single-use
// refresh tokens under concurrency, and tokens sealed at rest.
//
// It imports the domain package, package secret and package store.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tm "github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/store"
)

// NewDatabase returns the DATABASE_URL of a fresh, empty database that
// lasts until the test ends. The suite opens it as often as it needs: two
// handles on one database stand for two server processes.
type NewDatabase func(t testing.TB) string

// Run runs the contract suite.
func Run(t *testing.T, newDB NewDatabase) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Users", testUsers},
		{"GrantCRUD", testGrantCRUD},
		{"GrantValidation", testGrantValidation},
		{"CompareAndSwap", testCompareAndSwap},
		{"ConcurrentCompareAndSwap", testConcurrentCAS},
		{"MarkGrantLost", testMarkGrantLost},
		{"Isolation", testIsolation},
		{"GrantLock", testGrantLock},
		{"GrantLockTwoProcesses", testGrantLockTwoProcesses},
		{"Sites", testSites},
		{"Tickets", testTickets},
		{"Sessions", testSessions},
		{"SessionGrant", testSessionGrant},
		{"DeviceFlow", testDeviceFlow},
		{"DeviceDenyExpire", testDeviceDenyExpire},
		{"APITokens", testAPITokens},
		{"Once", testOnce},
		{"FormChoices", testFormChoices},
		{"SealedAtRest", testSealedAtRest},
		{"AADBinding", testAADBinding},
		{"KeyRotation", testKeyRotation},
		{"CheckKeys", testCheckKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &env{t: t, url: newDB(t), clock: &Clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
			e.key = NewKey(t)
			e.keys = NewKeyring(t, e.key)
			e.db = e.open(e.keys)
			tt.fn(t, e)
		})
	}
}

// env is one test's database and the handle it works through.
type env struct {
	t     *testing.T
	url   string
	clock *Clock
	key   secret.Key // the keyring's only key
	keys  *secret.Keyring
	db    *store.DB
}

// open opens another handle on the test's database.
func (e *env) open(keys *secret.Keyring) *store.DB {
	e.t.Helper()
	db, err := store.Open(context.Background(), e.url, keys, store.WithClock(e.clock.Now))
	if err != nil {
		e.t.Fatalf("open %s: %v", e.url, err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

// user creates a user with the given account id.
func (e *env) user(accountID string) *tm.User {
	e.t.Helper()
	u, err := e.db.UpsertUser(context.Background(), tm.User{AccountID: accountID, Email: accountID + "@example.com", Name: accountID})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// grant saves a grant for u whose tokens name u, so a token that turns up
// in another user's grant is easy to spot.
func (e *env) grant(u *tm.User) *tm.Grant {
	e.t.Helper()
	g := &tm.Grant{UserID: u.ID, TokenSet: tm.TokenSet{
		AccessToken:  tm.Secret("access-" + u.AccountID + "-0"),
		RefreshToken: tm.Secret("refresh-" + u.AccountID + "-0"),
		TokenType:    "Bearer",
		Scopes:       []string{"read:jira-work", "write:jira-work", "offline_access"},
		ExpiresAt:    e.clock.Now().Add(time.Hour),
	}}
	if err := e.db.SaveGrant(context.Background(), g); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// Clock is a settable clock for store.WithClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// NewKey returns a random key.
func NewKey(t testing.TB) secret.Key {
	t.Helper()
	var b [secret.KeySize]byte
	rand.Read(b[:])
	k, err := secret.ParseKey(base64.StdEncoding.EncodeToString(b[:]))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// NewKeyring returns a keyring of one random key.
func NewKeyring(t testing.TB, keys ...secret.Key) *secret.Keyring {
	t.Helper()
	if len(keys) == 0 {
		keys = []secret.Key{NewKey(t)}
	}
	kr, err := secret.NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// wantErr fails unless err has the code and its message contains want.
func wantErr(t testing.TB, err error, code, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s %q", code, want)
	}
	if got := tm.ErrorCode(err); got != code {
		t.Fatalf("error %q has code %s, want %s", err, got, code)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q lacks %q", err, want)
	}
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// errIs fails unless errors.Is(err, target).
func errIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v is not %v", err, target)
	}
}
