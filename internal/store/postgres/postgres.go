// Package postgres opens ticket-mate's PostgreSQL database through
// pgx/v5's database/sql driver: pool sizes and the server's error codes.
// The queries themselves live in package store and run unchanged on SQLite.
// It imports nothing of the project.
package postgres

import (
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Pool sizes per server process. Several replicas share the server's
// max_connections (100 by default), and a grant refresh holds one
// connection while it waits on Atlassian. Every open connection may stay
// idle: with fewer idle than open, a busy server closed connections it
// needed again a moment later, and PostgreSQL starts a process for each
// new one.
const (
	maxOpen = 10
	maxIdle = maxOpen
)

// Open returns a pool for the PostgreSQL URL (postgres://user:pass@host:port/db?sslmode=…).
// It does not connect; the first query does.
func Open(url string) (*sql.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// IsForeignKeyViolation reports whether err is PostgreSQL refusing a row
// whose foreign key points nowhere (SQLSTATE 23503).
func IsForeignKeyViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503"
}
