package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/raadzaam/raadzaam/courses"
)

// wrap turns a driver error into a *courses.Error so that callers see one
// error vocabulary: no rows is ENOTFOUND, a unique violation ECONFLICT, a
// database that cannot be reached EUNAVAILABLE (answered with 503, not 500),
// anything else EINTERNAL. The original error stays in the chain.
func wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*courses.Error); ok {
		return err
	}
	code := courses.EINTERNAL
	switch {
	case errors.Is(err, sql.ErrNoRows):
		code = courses.ENOTFOUND
	case unavailable(err):
		code = courses.EUNAVAILABLE
	case uniqueViolation(err):
		code = courses.ECONFLICT
	}
	return &courses.Error{Code: code, Message: fmt.Sprintf("%s: %v", op, err), Err: err}
}
func unavailable(err error) bool {
	var netErr net.Error
	var pgErr *pgconn.PgError
	var connectErr *pgconn.ConnectError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P: operator intervention (shutdown).
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF")
}

func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
