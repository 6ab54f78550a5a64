package benchkit

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// DefaultPGAdminURL is the PostgreSQL server the benchmarks create their
// throwaway databases on, unless told otherwise (-pg-admin-url).
const DefaultPGAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PGDatabase is a throwaway PostgreSQL database.
type PGDatabase struct {
	URL  string // the database's own URL
	Name string // raadzaam_bench_PID_N: digits only, needs no quoting
	// Drop drops the database, closing its connections first.
	Drop func() error
}

// CreateDatabase creates an empty database next to the one adminURL names,
// which must be on loopback.
func CreateDatabase(ctx context.Context, adminURL string) (*PGDatabase, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-pg-admin-url: not a postgres:// URL")
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return nil, fmt.Errorf("-pg-admin-url: host %q is not loopback", h)
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("raadzaam_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	if _, err := admin.ExecContext(cctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create database: %w", err)
	}
	Logf("created database %s", name)
	appURL := *u
	appURL.Path = "/" + name
	drop := func() error {
		defer admin.Close()
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		if err != nil { // before PostgreSQL 13
			_, err = admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name)
		}
		if err == nil {
			Logf("dropped database %s", name)
		}
		return err
	}
	return &PGDatabase{URL: appURL.String(), Name: name, Drop: drop}, nil
}

// PostgresVersion returns "PostgreSQL 15.20", or "PostgreSQL" when the
// server cannot be asked.
func PostgresVersion(ctx context.Context, dsn string) string {
	var v string
	if err := queryRow(ctx, dsn, "SHOW server_version", &v); err != nil {
		return "PostgreSQL"
	}
	return "PostgreSQL " + strings.Fields(v)[0]
}

// PostgresSettings returns the version and the settings that change write
// latency: "PostgreSQL 15.20 (synchronous_commit=on, fsync=on,
// max_connections=100)".
func PostgresSettings(ctx context.Context, dsn string) string {
	var v, sc, fs, mc string
	if err := queryRow(ctx, dsn, "SELECT current_setting('server_version'), current_setting('synchronous_commit'), "+
		"current_setting('fsync'), current_setting('max_connections')", &v, &sc, &fs, &mc); err != nil {
		return "PostgreSQL"
	}
	return fmt.Sprintf("PostgreSQL %s (synchronous_commit=%s, fsync=%s, max_connections=%s)", strings.Fields(v)[0], sc, fs, mc)
}

func queryRow(ctx context.Context, dsn, query string, dest ...any) error {
	d, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return d.QueryRowContext(ctx, query).Scan(dest...)
}
