package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

// TestWrapCodes checks the one mapping of driver errors to error codes: what
// a PostgreSQL restart produces (a refused connection, a session ended by
// the administrator, a server still starting, a connection lost mid-query)
// is EUNAVAILABLE, which the HTTP layer answers with 503.
func TestWrapCodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// A real connection error: nothing listens on port 1.
	_, refused := pgconn.Connect(ctx, "postgres://postgres@127.0.0.1:1/gone?sslmode=disable&connect_timeout=1")
	if refused == nil {
		t.Fatal("connected to port 1")
	}
	known := courses.Errorf(courses.EFORBIDDEN, "known")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"no rows", sql.ErrNoRows, courses.ENOTFOUND},
		{"unique violation", &pgconn.PgError{Code: "23505"}, courses.ECONFLICT},
		{"SQLite unique violation", errors.New("constraint failed: UNIQUE constraint failed: users.email (2067)"), courses.ECONFLICT},
		{"connection refused", refused, courses.EUNAVAILABLE},
		{"admin shutdown 57P01", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, courses.EUNAVAILABLE},
		{"crash shutdown 57P02", &pgconn.PgError{Severity: "FATAL", Code: "57P02"}, courses.EUNAVAILABLE},
		{"cannot connect now 57P03", &pgconn.PgError{Severity: "FATAL", Code: "57P03"}, courses.EUNAVAILABLE},
		{"connection failure 08006", &pgconn.PgError{Code: "08006"}, courses.EUNAVAILABLE},
		{"bad connection", fmt.Errorf("begin: %w", driver.ErrBadConn), courses.EUNAVAILABLE},
		{"connection done", sql.ErrConnDone, courses.EUNAVAILABLE},
		{"lost mid-query", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), courses.EUNAVAILABLE},
		{"pgx conn closed", errors.New("conn closed"), courses.EUNAVAILABLE},
		{"SQLite busy", errors.New("database is locked (5) (SQLITE_BUSY)"), courses.EUNAVAILABLE},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, courses.EINTERNAL},
		{"anything else", errors.New("boom"), courses.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap(tt.err, "op")
			if got := courses.ErrorCode(err); got != tt.want {
				t.Errorf("wrap(%v): code %q, want %q", tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("wrap(%v) lost the original error", tt.err)
			}
		})
	}
	if got := wrap(known, "op"); got != known {
		t.Errorf("wrap of a *courses.Error: %v, want it unchanged", got)
	}
	if wrap(nil, "op") != nil {
		t.Error("wrap(nil) is not nil")
	}
}

// TestInTxUnavailable checks that a transaction that cannot begin because
// the database is gone is EUNAVAILABLE (BEGIN's error comes from the
// driver unwrapped), and that errors of the transaction's own work keep
// their code.
func TestInTxUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gone, err := Open("postgres://postgres@127.0.0.1:1/gone?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	closed, err := Open("sqlite:" + filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	closed.DB.Close()
	for name, d := range map[string]*DB{"postgres refused": gone, "sqlite closed": closed} {
		ran := false
		err := d.inTx(ctx, func(bun.Tx) error { ran = true; return nil })
		if got := courses.ErrorCode(err); got != courses.EUNAVAILABLE || ran {
			t.Errorf("%s: inTx: %v (code %q, ran %v), want %q without running", name, err, got, ran, courses.EUNAVAILABLE)
		}
	}

	open, err := Open("sqlite:" + filepath.Join(t.TempDir(), "open.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	known := courses.Errorf(courses.ENOTFOUND, "no such thing")
	if err := open.inTx(ctx, func(bun.Tx) error { return known }); err != known {
		t.Errorf("inTx returned %v, want fn's error unchanged", err)
	}
	if err := open.inTx(ctx, func(bun.Tx) error { return nil }); err != nil {
		t.Errorf("inTx: %v", err)
	}
}
