package store

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The store's error values. Every error a store method returns that comes from the database
// driver has been mapped by mapErr (this file, the one place that knows the drivers' error
// types): it matches one of these with errors.Is, or none, and it never carries a SQLite or
// PostgreSQL driver type, so the handlers depend on the store's vocabulary alone, whichever
// database runs underneath. ErrNotFound, ErrConflict (store.go), ErrInvalid and ErrInUse
// (model.go) are the others.

// ErrBusy: the database could not serve the request now (SQLite: another process held the
// lock for the whole busy timeout; PostgreSQL: a serialization failure or a deadlock, SQLSTATE
// 40001 or 40P01). Nothing was changed, and the same request can succeed a moment later.
var ErrBusy = errors.New("database busy")

// dbError is a driver error after mapping: the driver's message (it names the constraint or
// the problem, useful in logs) and the store's error value, without the driver's type.
type dbError struct {
	kind error // ErrConflict, ErrBusy, ...; a context error; nil when none fits
	msg  string
}

func (e *dbError) Error() string { return e.msg }
func (e *dbError) Unwrap() error { return e.kind }

// driverPackages are the packages whose error types must not leave the store.
var driverPackages = []string{"modernc.org/sqlite", "github.com/jackc/pgx", "github.com/jackc/pgconn"}

// mapErr turns a driver error into a *dbError carrying the store's error value; other
// errors (database/sql's sql.ErrNoRows and sql.ErrTxDone, the store's own) pass unchanged.
func mapErr(err error) error {
	if err == nil || !hasDriverType(err) {
		return err
	}
	e := &dbError{msg: err.Error()}
	var se *sqlite.Error
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.Canceled):
		e.kind = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.kind = context.DeadlineExceeded
	case errors.As(err, &se):
		e.kind = sqliteKind(se.Code())
	case errors.As(err, &pe):
		e.kind = pgKind(pe.Code)
	}
	return e
}

// sqliteKind classifies a SQLite result code (extended codes keep the primary in the low byte).
func sqliteKind(code int) error {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return ErrConflict
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_TOOBIG:
		return ErrInvalid
	}
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return ErrBusy
	}
	return nil
}

// pgKind classifies a PostgreSQL SQLSTATE (Appendix A of the PostgreSQL manual).
func pgKind(code string) error {
	switch code {
	case "23505", "23503": // unique_violation; foreign_key_violation
		return ErrConflict
	case "40001", "40P01", "55P03": // serialization_failure; deadlock_detected; lock_not_available
		return ErrBusy
	case "23514", "23502", "22001", "22021", "22P05": // check; not null; too long; bad bytes (NUL, invalid UTF-8)
		return ErrInvalid
	}
	return nil
}

// hasDriverType reports whether err or anything it wraps has a type of a driver package.
func hasDriverType(err error) bool {
	for _, e := range errTree(err) {
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for _, p := range driverPackages {
			if strings.HasPrefix(t.PkgPath(), p) {
				return true
			}
		}
	}
	return false
}

// errTree lists err and everything it wraps (errors.Unwrap and Unwrap() []error).
func errTree(err error) []error {
	var out []error
	stack := []error{err}
	for len(stack) > 0 && len(out) < 100 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			stack = append(stack, u.Unwrap())
		case interface{ Unwrap() []error }:
			stack = append(stack, u.Unwrap()...)
		}
	}
	return out
}

// isConstraint reports whether err is a UNIQUE, PRIMARY KEY or FOREIGN KEY violation.
func isConstraint(err error) bool { return errors.Is(mapErr(err), ErrConflict) }

// IsBusy reports whether err is ErrBusy: nothing was changed, and the same request can
// succeed a moment later, so the endpoints answer it 503 with Retry-After rather than 500.
func IsBusy(err error) bool { return errors.Is(err, ErrBusy) }
