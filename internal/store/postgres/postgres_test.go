package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tm "github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/store"
	"github.com/ticket-mate/tm/internal/store/postgres"
	"github.com/ticket-mate/tm/internal/store/storetest"
)

// adminURL is the superuser DSN the tests create their databases with.
// Without it the tests skip, unless TM_REQUIRE_POSTGRES=1 (CI) makes that
// a failure.
func adminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TM_TEST_POSTGRES_URL")
	if u == "" {
		const how = `start a throwaway server with: eval "$(bash .ci/postgres.sh)"`
		if os.Getenv("TM_REQUIRE_POSTGRES") == "1" {
			t.Fatal("TM_REQUIRE_POSTGRES=1 but TM_TEST_POSTGRES_URL is not set; " + how)
		}
		t.Skip("TM_TEST_POSTGRES_URL is not set, so the PostgreSQL tests are skipped; " + how)
	}
	return u
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// newDatabase creates an empty database, dropped when the test ends, and
// returns its URL.
func newDatabase(t testing.TB) string {
	t.Helper()
	base := adminURL(t)
	admin.once.Do(func() { admin.db, admin.err = postgres.Open(base) })
	if admin.err != nil {
		t.Fatal(admin.err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "tm_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// Registered before any store is opened, so it runs after they close;
		// FORCE ends connections a failed test left behind.
		if _, err := admin.db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TM_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestContract runs the store contract on real PostgreSQL databases.
func TestContract(t *testing.T) {
	adminURL(t)
	storetest.Run(t, newDatabase)
}

// TestReplicasMigrateTogether opens several stores on one new database at
// once, as replicas starting together do: the migration lock lets exactly
// one apply the schema, and every one of them comes up.
func TestReplicasMigrateTogether(t *testing.T) {
	u := newDatabase(t)
	keys := storetest.NewKeyring(t)
	var wg sync.WaitGroup
	dbs := make([]*store.DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = store.Open(context.Background(), u, keys) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var applied int
	if err := dbs[0].SQL().QueryRow(`SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	if applied != len(files) {
		t.Fatalf("the migration table records %d applied migrations, want %d (one per file, each applied once)", applied, len(files))
	}
	if err := dbs[3].Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestUnreachable: a wrong password is reported without the password.
func TestUnreachable(t *testing.T) {
	u, err := url.Parse(adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("no_such_role", "hunter2-secret")
	_, err = store.Open(context.Background(), u.String(), storetest.NewKeyring(t))
	if tm.ErrorCode(err) != tm.EUNAVAILABLE {
		t.Fatalf("code %s, want %s: %v", tm.ErrorCode(err), tm.EUNAVAILABLE, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot open the PostgreSQL database") || !strings.Contains(msg, "no_such_role") {
		t.Fatalf("message %q does not say which database and role failed", msg)
	}
	if strings.Contains(msg, "hunter2") {
		t.Fatalf("message %q contains the password", msg)
	}
}
