// Package db stores Raadzaam's data with Bun on SQLite (the embedded default)
// or PostgreSQL (production). It is the only importer of Bun: it opens the
// database, applies the embedded migrations and implements the service
// interfaces of package courses. All SQL lives here.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

//go:embed migrations
var migrationFS embed.FS

// Kind names the database family behind a DB.
type Kind string

// The supported databases.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// DB is an open database with its dialect. Services wrap it.
type DB struct {
	*bun.DB
	Kind Kind
	// Now returns the current time; tests replace it.
	Now func() time.Time
	// pool is a small native pgx pool beside database/sql, on PostgreSQL
	// only, for the per-request session check: pgx caches its prepared
	// statement and skips database/sql's conversions.
	pool *pgxpool.Pool
}

// Open connects to the database named by dsn: a postgres:// or postgresql://
// URL, or "sqlite:PATH" or a plain file path for SQLite. For SQLite the parent
// folder is created and WAL mode, a busy timeout, foreign keys and immediate
// write transactions are switched on (STACK-NOTES: deferred transactions fail
// under concurrent writers).
func Open(dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("db: empty DSN")
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(dsn)
	}
	return openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
}

// defaultConnectTimeout bounds a connection attempt to PostgreSQL when the
// URL sets no connect_timeout.
const defaultConnectTimeout = 5 * time.Second

func openPostgres(dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	// A database host that drops packets (rather than refusing) would hold
	// a request for the system's connect timeout, minutes: without a
	// connect_timeout in the URL, give up after a few seconds (503).
	if !strings.Contains(dsn, "connect_timeout") {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
	sqldb.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	poolCfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	if !strings.Contains(dsn, "connect_timeout") {
		poolCfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	poolCfg.MaxConns = int32(2 * runtime.GOMAXPROCS(0))
	poolCfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(context.Background(), poolCfg) // connects lazily
	if err != nil {
		return nil, fmt.Errorf("db: session pool: %w", err)
	}
	return &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Kind: Postgres, Now: time.Now, pool: pool}, nil
}

func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: empty SQLite path")
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("db: create data folder: %w", err)
		}
		if err := checkWritable(filepath.Dir(path)); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: every commit syncs the write-ahead log before it is
	// acknowledged, so a completion answered 200 survives a power cut or a
	// volume that fails, as on PostgreSQL (synchronous_commit=on). NORMAL
	// would lose the commits since the last checkpoint (TestDataFolderTurnsReadOnly).
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	sqldb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open SQLite: %w", err)
	}
	// WAL allows many readers beside the one writer; immediate transactions
	// queue writers on the busy timeout instead of failing.
	sqldb.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	sqldb.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)))
	sqldb.SetConnMaxIdleTime(0)
	return &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Kind: SQLite, Now: time.Now}, nil
}

// Ping checks that the database answers, within the context's deadline.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.DB.PingContext(ctx); err != nil {
		return wrap(err, "ping")
	}
	var one int
	if err := db.NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return wrap(err, "ping")
	}
	return nil
}

// Close checkpoints SQLite's write-ahead log into the main file and closes
// the pool.
func (db *DB) Close() error {
	if db.Kind == SQLite {
		_, _ = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return db.DB.Close()
}

// Migrate applies every pending migration. Concurrent starts of several
// instances are serialised: on PostgreSQL by an advisory lock, on SQLite by
// the immediate transaction each migration runs in.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	return db.migrate(ctx, "")
}

// migrate applies the pending migrations named before stop ("" for all).
func (db *DB) migrate(ctx context.Context, stop string) (applied []string, err error) {
	all := migrate.NewMigrations()
	for _, dir := range []string{"migrations/common", "migrations/" + string(db.Kind)} {
		sub, err := fs.Sub(migrationFS, dir)
		if err != nil {
			return nil, err
		}
		if err := all.Discover(sub); err != nil {
			return nil, fmt.Errorf("db: discover migrations: %w", err)
		}
	}
	migrations := migrate.NewMigrations()
	for _, m := range all.Sorted() {
		if stop == "" || m.Name < stop {
			migrations.Add(m)
		}
	}
	if db.Kind == Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, wrap(err, "migrate")
		}
		defer conn.Close()
		const lockKey = 7234_1128 // any constant shared by all instances
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lockKey); err != nil {
			return nil, wrap(err, "migration lock")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockKey) //nolint:errcheck // released with the session anyway
	}
	migrator := migrate.NewMigrator(db.DB, migrations, migrate.WithMarkAppliedOnSuccess(true))
	if err := migrator.Init(ctx); err != nil {
		return nil, fmt.Errorf("db: init migrations: %w", err)
	}
	group, err := migrator.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	for _, m := range group.Migrations {
		applied = append(applied, m.Name+"_"+m.Comment)
	}
	return applied, nil
}

// inTx runs fn in a transaction that commits when fn returns nil. Errors of
// BEGIN and COMMIT come from the driver unwrapped: they are wrapped here, so
// that a database that went away while a request ran answers 503, not 500.
func (db *DB) inTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
	var known *courses.Error
	if err != nil && !errors.As(err, &known) {
		return wrap(err, "transaction")
	}
	return err
}
