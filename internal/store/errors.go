package store

import (
	"database/sql"
	"errors"
	"fmt"

	tm "github.com/ticket-mate/tm"
)

func noUser(userID string) error {
	return tm.Errorf(tm.ENOTFOUND, "no user with id %q", userID)
}

func noGrant(userID string) error {
	return &tm.Error{Code: tm.ENOTFOUND, Message: fmt.Sprintf("user %q has not connected Atlassian", userID),
		Hint: "Sign in with Atlassian to connect."}
}

// dbErr turns a driver error into one that says what was being done,
// classifying the failures a caller can act on. It never includes query
// arguments, which may be sealed tokens.
func (db *DB) dbErr(what, userID string, err error) error {
	switch {
	case err == nil:
		return nil
	case db.eng.isFKViolation(err):
		return noUser(userID)
	case db.eng.isBusy(err):
		return &tm.Error{Code: tm.EUNAVAILABLE, Message: fmt.Sprintf("%s: the %s database stayed locked by another process", what, db.eng.name),
			Hint: "Retry; if it persists, make sure only one ticket-mate server uses this SQLite file, or use PostgreSQL for several.", Err: err}
	case errors.Is(err, sql.ErrNoRows):
		return err
	}
	var te *tm.Error
	if errors.As(err, &te) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
