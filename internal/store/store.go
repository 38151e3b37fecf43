// Package store keeps the server's state — users, their Atlassian grants
// and sites, created tickets, browser sessions — in SQLite (one server) or
// PostgreSQL (several replicas), with OAuth tokens sealed by package secret.
// One set of plain database/sql queries with $N placeholders serves both
// engines; the engine packages (store/sqlite, store/postgres) only open
// connections and classify driver errors. *DB implements tm.Store.
//
// It imports the domain package, package secret and its engine packages.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"

	tm "github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/secret"
	"github.com/ticket-mate/tm/internal/store/postgres"
	"github.com/ticket-mate/tm/internal/store/sqlite"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	w, r  *sql.DB // writes and locking reads; plain reads (the same pool on PostgreSQL)
	eng   engine
	keys  *secret.Keyring
	now   func() time.Time
	locks keyedMutex
	stmts sync.Map // stmtKey → *sql.Stmt: see queryRow
}

var _ tm.Store = (*DB)(nil)

// engine is what differs between SQLite and PostgreSQL.
type engine struct {
	name          string
	dialect       goose.Dialect
	forUpdate     string // appended to the SELECT that locks a grant
	isFKViolation func(error) bool
	isBusy        func(error) bool
}

var (
	engineSQLite = engine{
		name:    "SQLite",
		dialect: goose.DialectSQLite3,
		// SQLite has no row locks: the write transaction (BEGIN IMMEDIATE)
		// already holds the database's single write lock.
		forUpdate:     "",
		isFKViolation: sqlite.IsForeignKeyViolation,
		isBusy:        sqlite.IsBusy,
	}
	enginePostgres = engine{
		name:          "PostgreSQL",
		dialect:       goose.DialectPostgres,
		forUpdate:     " FOR UPDATE",
		isFKViolation: postgres.IsForeignKeyViolation,
		isBusy:        func(error) bool { return false },
	}
)

// Option adjusts Open.
type Option func(*DB)

// WithClock sets the clock used for created/updated times, session expiry
// checks and rotation times. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// urlForms is what Open accepts, for error hints.
const urlForms = "DATABASE_URL accepts:\n" +
	"  sqlite:PATH                           e.g. sqlite:ticket-mate.db or sqlite:/var/lib/tm/tm.db (the default is sqlite:ticket-mate.db)\n" +
	"  sqlite::memory:                       a private in-memory database, gone on exit (tests)\n" +
	"  postgres://USER:PASSWORD@HOST:5432/DB  or postgresql://…, e.g. postgres://tm:secret@127.0.0.1:5432/tm?sslmode=disable"

// Open opens the database named by databaseURL, brings its schema up to
// date, and returns the store. Tokens are sealed and opened with keys.
func Open(ctx context.Context, databaseURL string, keys *secret.Keyring, opts ...Option) (*DB, error) {
	if keys == nil {
		return nil, &tm.Error{Code: tm.ECONFIG, Message: "the store needs an encryption keyring to seal tokens",
			Hint: "Set TM_ENCRYPTION_KEY to 32 random bytes in base64; " + secret.GenerateHint}
	}
	db := &DB{keys: keys, now: time.Now}
	for _, o := range opts {
		o(db)
	}
	where, err := db.connect(databaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		return nil, &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("cannot open the %s database %s: %v", db.eng.name, where, err),
			Hint: "Check that the database server runs and DATABASE_URL names it, with the right user, password and database.", Err: err}
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("cannot bring the %s database %s up to date: %v", db.eng.name, where, err), Err: err}
	}
	return db, nil
}

// connect parses databaseURL and opens the pools, returning a description
// of the database without its password, for messages.
func (db *DB) connect(databaseURL string) (where string, err error) {
	bad := func(format string, args ...any) error {
		return &tm.Error{Code: tm.ECONFIG, Message: fmt.Sprintf(format, args...), Hint: urlForms}
	}
	s := strings.TrimSpace(databaseURL)
	scheme, rest, found := strings.Cut(s, ":")
	switch {
	case s == "":
		return "", bad("DATABASE_URL is empty")
	case !found:
		// No colon, so no password to hide.
		return "", bad("DATABASE_URL %q has no scheme; for a SQLite file write sqlite:%s", s, s)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		var p sqlite.Pools
		if rest == ":memory:" {
			p, err = sqlite.OpenMemory()
			where = "in memory"
		} else {
			// sqlite:///abs/path and sqlite://rel/path, as URL-minded people write them.
			path := strings.TrimPrefix(rest, "//")
			if path == "" {
				return "", bad("DATABASE_URL %q names no SQLite file", s)
			}
			p, err = sqlite.OpenFile(path)
			where = path
		}
		if err != nil {
			return "", bad("DATABASE_URL: %v", err)
		}
		db.w, db.r, db.eng = p.Write, p.Read, engineSQLite
		return where, nil
	case "postgres", "postgresql":
		u, perr := url.Parse(s)
		if perr != nil {
			// url.Error repeats the URL, password and all: keep only its cause.
			var ue *url.Error
			if errors.As(perr, &ue) {
				perr = ue.Err
			}
			return "", bad("DATABASE_URL is not a valid PostgreSQL URL: %v", perr)
		}
		if u.Host == "" {
			return "", bad("DATABASE_URL %s names no host", u.Redacted())
		}
		pg, err := postgres.Open(s)
		if err != nil {
			return "", bad("DATABASE_URL %s: %v", u.Redacted(), err)
		}
		db.w, db.r, db.eng = pg, pg, enginePostgres
		return u.Redacted(), nil
	default:
		// Only the scheme is shown: the rest may hold a password.
		return "", bad("DATABASE_URL uses the scheme %q, which ticket-mate does not support", scheme)
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("%s database: %w", db.eng.name, err)
	}
	if db.r != db.w {
		if err := db.r.PingContext(ctx); err != nil {
			return fmt.Errorf("%s database (readers): %w", db.eng.name, err)
		}
	}
	return nil
}

// stmtKey names a prepared statement: its pool and its text.
type stmtKey struct {
	pool  *sql.DB
	query string
}

// prepared returns q prepared on pool, once per store. The queries every
// request makes (session, grant, sites) were parsed again on every call:
// SQLite's parser was a tenth of a request's CPU under load.
func (db *DB) prepared(pool *sql.DB, q string) *sql.Stmt {
	k := stmtKey{pool, q}
	if st, ok := db.stmts.Load(k); ok {
		return st.(*sql.Stmt)
	}
	st, err := pool.PrepareContext(context.Background(), q)
	if err != nil {
		return nil // the caller runs the query unprepared and reports its error
	}
	if prev, loaded := db.stmts.LoadOrStore(k, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	return st
}

// queryRow is pool.QueryRowContext through a prepared statement.
func (db *DB) queryRow(ctx context.Context, pool *sql.DB, q string, args ...any) *sql.Row {
	if st := db.prepared(pool, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return pool.QueryRowContext(ctx, q, args...)
}

// query is pool.QueryContext through a prepared statement.
func (db *DB) query(ctx context.Context, pool *sql.DB, q string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(pool, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return pool.QueryContext(ctx, q, args...)
}

// Close closes the database.
func (db *DB) Close() error {
	db.stmts.Range(func(k, st any) bool {
		st.(*sql.Stmt).Close()
		db.stmts.Delete(k)
		return true
	})
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// SQL returns the pool that writes, for maintenance and for tests that
// inspect rows as stored. The schema is not an API.
func (db *DB) SQL() *sql.DB { return db.w }

// Engine names the database engine: "SQLite" or "PostgreSQL".
func (db *DB) Engine() string { return db.eng.name }
