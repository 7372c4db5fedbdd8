package store

import (
	"context"
	"database/sql"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"fixgate/internal/fault"
)

// dbErrKind is what a driver error means for the caller, read from the
// driver's own error codes (never from message text, which changes between
// versions and locales).
type dbErrKind int

const (
	dbOther      dbErrKind = iota
	dbDuplicate            // a unique or primary key constraint refused the row
	dbMissingRef           // a foreign key constraint refused the row
	dbRetry                // busy, locked, deadlock, serialization failure, connection lost: try again
)

// PostgreSQL SQLSTATE codes (Appendix A of its manual).
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgLockNotAvailable     = "55P03"
	pgAdminShutdown        = "57P01"
	pgCannotConnectNow     = "57P03"
)

func classifyDB(err error) dbErrKind {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case pgUniqueViolation:
			return dbDuplicate
		case pgForeignKeyViolation:
			return dbMissingRef
		case pgSerializationFailure, pgDeadlockDetected, pgLockNotAvailable, pgAdminShutdown, pgCannotConnectNow:
			return dbRetry
		}
		return dbOther
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch code := lite.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return dbDuplicate
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return dbMissingRef
		case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
			return dbRetry
		}
		return dbOther
	}
	var netErr *net.OpError
	var connErr *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &connErr) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) {
		return dbRetry
	}
	return dbOther
}

// duplicateOf names the record that exists when err is a unique violation
// (Conflict on field "name": "CI checkout-api already exists"); other
// errors go through classify.
func duplicateOf(err error, what string) error {
	if classifyDB(err) == dbDuplicate {
		return &fault.Error{Code: fault.Conflict, Field: "name", Message: what + " already exists", Err: err}
	}
	return classify(err)
}
