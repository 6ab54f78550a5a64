package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/raadzaam/raadzaam/courses"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// wrap turns a driver error into a *courses.Error so that callers see one
// error vocabulary: no rows is ENOTFOUND, a unique violation ECONFLICT, a
// database that cannot be reached or cannot write (a full disk, a
// read-only or failing data folder) EUNAVAILABLE (answered with 503, not
// 500), anything else EINTERNAL. The original error stays in the chain.
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
	var liteErr *sqlite.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EROFS):
		return true
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 53: insufficient resources (disk
		// full); 57P: operator intervention (shutdown).
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "53") || strings.HasPrefix(pgErr.Code, "57P")
	case errors.As(err, &liteErr):
		// The SQLite file's disk is full, read-only or failing: the
		// transaction was rolled back whole, and writes work again once
		// the operator has made room, without a restart.
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR:
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF")
}

// ProblemFolderNotWritable is the message key for a SQLite database whose
// folder Raadzaam cannot write in; its argument is the folder's path.
const ProblemFolderNotWritable = "problem.folder_not_writable"

// checkWritable fails with a clear error when no file can be made in dir:
// a read-only mount (a volume remounted read-only after an error), no
// permission, or a full disk. SQLite needs the folder for its write-ahead
// log, and otherwise fails later with "attempt to write a readonly
// database" or "unable to open database file", which name no folder.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".raadzaam-schrijftest-*")
	if err == nil {
		f.Close()
		err = os.Remove(f.Name())
	}
	if err != nil {
		return &courses.Error{Code: courses.EUNAVAILABLE, Message: fmt.Sprintf("db: cannot write in the folder %s: %v", dir, err), Err: err,
			Problems: []courses.Problem{{Key: ProblemFolderNotWritable, Args: map[string]any{"path": dir}}}}
	}
	return nil
}

func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
