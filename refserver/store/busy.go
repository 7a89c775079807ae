package store

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsBusy reports whether err is SQLite's "database is locked" (SQLITE_BUSY or SQLITE_LOCKED,
// with any extended code): another process held the database for the whole busy timeout.
// Nothing was changed, and the same request can succeed a moment later, so the endpoints
// answer it 503 with Retry-After rather than 500.
func IsBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}
