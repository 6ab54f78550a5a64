// Package dbtest gives tests a fresh, migrated database on SQLite and on
// PostgreSQL. Every database test runs on both through Each.
//
// PostgreSQL is found through RAADZAAM_TEST_POSTGRES (default: the local
// server at 127.0.0.1:5432, user postgres). When it cannot be reached the
// PostgreSQL half of a test is skipped with the reason, except when CI=true or
// RAADZAAM_TEST_REQUIRE=all, where that is a failure: CI never skips.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the admin connection
	"github.com/raadzaam/raadzaam/db"
)

// DefaultPostgres is the server tried when RAADZAAM_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Kinds lists the databases every test runs on.
var Kinds = []db.Kind{db.SQLite, db.Postgres}

// Each runs fn as a subtest named after each database, with a fresh migrated
// database for each.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			fn(t, MustOpen(t, kind))
		})
	}
}

// MustOpen returns a fresh, migrated database of the given kind, removed
// when the test ends.
func MustOpen(tb testing.TB, kind db.Kind) *db.DB {
	tb.Helper()
	dsn := NewDSN(tb, kind)
	d, err := db.Open(dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", kind, err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", kind, err)
	}
	return d
}

// NewDSN creates an empty database of the given kind and returns its DSN;
// the database is dropped when the test ends. It skips (or, in CI, fails)
// when PostgreSQL is wanted but not reachable.
func NewDSN(tb testing.TB, kind db.Kind) string {
	tb.Helper()
	if kind == db.SQLite {
		return "sqlite:" + filepath.Join(tb.TempDir(), "raadzaam.db")
	}
	admin, base := postgresAdmin(tb)
	name := "raadzaam_test_" + randomHex(6)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}

// Required reports whether tests must not skip for a missing service.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("RAADZAAM_TEST_REQUIRE") == "all"
}

// SkipOrFail skips the test with reason on a developer machine and fails it
// in CI, where every service must be present.
func SkipOrFail(tb testing.TB, reason string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s (CI=true: nothing may be skipped)", reason)
	}
	tb.Skipf("skipped: %s", reason)
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminURL  *url.URL
	adminErr  error
)

// postgresAdmin returns one shared connection pool to the maintenance
// database, used to create and drop the test databases.
func postgresAdmin(tb testing.TB) (*sql.DB, *url.URL) {
	tb.Helper()
	adminOnce.Do(func() {
		raw := os.Getenv("RAADZAAM_TEST_POSTGRES")
		if raw == "" {
			raw = DefaultPostgres
		}
		if adminURL, adminErr = url.Parse(raw); adminErr != nil {
			return
		}
		if adminDB, adminErr = sql.Open("pgx", raw); adminErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		adminErr = adminDB.PingContext(ctx)
	})
	if adminErr != nil {
		SkipOrFail(tb, fmt.Sprintf("PostgreSQL is not reachable (%v); set RAADZAAM_TEST_POSTGRES or start it", adminErr))
	}
	return adminDB, adminURL
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
