// Package sqlite opens ticket-mate's SQLite database through the pure-Go
// modernc.org/sqlite driver: connection settings, pool sizes, and the
// driver's error codes. The queries themselves live in package store and
// run unchanged on PostgreSQL. It imports nothing of the project.
package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// params apply to every connection. WAL lets readers run beside the one
// writer; busy_timeout makes a writer wait for another process's write lock
// instead of failing at once; _txlock=immediate makes every transaction
// BEGIN IMMEDIATE, so a transaction that reads and then writes holds the
// write lock from its first statement and cannot deadlock on the upgrade.
// synchronous stays FULL: a rotated refresh token lost to a power cut would
// cost the user their Atlassian connection.
const params = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"

// Pools are the connections to one SQLite database. Writes go through
// Write, which has one connection: SQLite admits one writer at a time, and
// queueing writers in database/sql honours their contexts where SQLite's
// busy wait would not. Reads go through Read, which has several read-only
// connections (WAL readers do not block on the writer). For an in-memory
// database both are the same single connection, since each connection
// would otherwise see a database of its own.
type Pools struct {
	Write, Read *sql.DB
}

// Close closes both pools.
func (p Pools) Close() error {
	err := p.Write.Close()
	if p.Read != p.Write {
		err = errors.Join(err, p.Read.Close())
	}
	return err
}

// OpenFile opens the database file at path, creating it when missing. The
// directory must exist.
func OpenFile(path string) (Pools, error) {
	if path == "" {
		return Pools{}, errors.New("the SQLite path is empty")
	}
	if strings.ContainsAny(path, "?#") {
		return Pools{}, fmt.Errorf("the SQLite path %q contains '?' or '#', which the driver would read as parameters; rename the file", path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return Pools{}, fmt.Errorf("cannot create the SQLite database %s: the directory %s does not exist; create it or choose another path", path, dir)
	}
	w, err := sql.Open("sqlite", path+"?"+params)
	if err != nil {
		return Pools{}, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", path+"?"+params+"&_query_only=1")
	if err != nil {
		w.Close()
		return Pools{}, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return Pools{Write: w, Read: r}, nil
}

// OpenMemory opens a private in-memory database, gone when it is closed.
func OpenMemory() (Pools, error) {
	db, err := sql.Open("sqlite", ":memory:?"+params)
	if err != nil {
		return Pools{}, err
	}
	// One connection that is never closed for idleness: closing it would
	// drop the database.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return Pools{Write: db, Read: db}, nil
}

// IsForeignKeyViolation reports whether err is SQLite refusing a row whose
// foreign key points nowhere.
func IsForeignKeyViolation(err error) bool {
	return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// IsBusy reports whether err is SQLite giving up on a lock another
// connection held for longer than busy_timeout.
func IsBusy(err error) bool {
	return code(err)&0xff == sqlite3.SQLITE_BUSY
}

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}
