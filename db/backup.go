package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Why a backup or a restore was refused. They arrive wrapped in a
// *courses.Error (with its code) and are told apart with errors.Is, so that
// the command line can explain each one in the operator's language.
var (
	// ErrPostgresBackup: the database is PostgreSQL, whose backups are
	// pg_dump's and pg_restore's job (or the host's snapshots).
	ErrPostgresBackup = errors.New("db: backup and restore are for SQLite; use pg_dump and pg_restore for PostgreSQL")
	// ErrBackupExists: the backup's path is taken and overwriting was not asked for.
	ErrBackupExists = errors.New("db: the backup file exists")
	// ErrNoDatabase: the database to back up, or the backup to restore, is not there.
	ErrNoDatabase = errors.New("db: no such database file")
	// ErrNotRaadzaam: the file is not a SQLite database of Raadzaam.
	ErrNotRaadzaam = errors.New("db: not a Raadzaam SQLite database")
	// ErrPgDump: the file is a pg_dump archive, for pg_restore.
	ErrPgDump = errors.New("db: a pg_dump archive")
	// ErrDamaged: the file fails SQLite's integrity check.
	ErrDamaged = errors.New("db: the database file is damaged")
	// ErrNewerBackup: the backup holds migrations this version does not know.
	ErrNewerBackup = errors.New("db: the backup comes from a newer version")
	// ErrDatabaseInUse: a process (a running server) has the target open.
	ErrDatabaseInUse = errors.New("db: the database is in use")
	// ErrSameFile: the backup and the database are the same file.
	ErrSameFile = errors.New("db: the backup is the database itself")
)

// refused wraps a refusal in the error vocabulary; detail goes to Message
// (for logs and developers), the sentinel stays in the chain.
func refused(code string, reason error, format string, args ...any) error {
	return &courses.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: reason}
}

// BackupOptions tune Backup.
type BackupOptions struct {
	// Overwrite replaces an existing file at the backup's path.
	Overwrite bool
	// Now names a backup written into a folder; nil means time.Now.
	Now func() time.Time
}

// BackupInfo describes a backup that was written and verified.
type BackupInfo struct {
	Path       string // the backup file
	Bytes      int64  // its size
	Migrations int    // the migrations it holds
	Latest     string // the newest of them
}

// Backup copies the SQLite database named by dsn to path while the
// database is in use, and verifies the copy. The copy is SQLite's VACUUM
// INTO, run in one read transaction: a consistent snapshot that writers on
// other connections do not wait for. It is written to a temporary file
// beside path, checked (PRAGMA integrity_check, and the same applied
// migrations as the database), made self-contained (no write-ahead log),
// synced, and only then given its name, so a file under path is always a
// whole, checked backup. An existing path is refused unless opt.Overwrite;
// a folder gets a file named raadzaam-YYYYMMDD-HHMMSS.db (UTC) in it (a
// path ending in a separator is a folder, created if need be).
//
// Backup never writes to the database itself: it neither migrates nor
// checkpoints it.
func Backup(ctx context.Context, dsn, path string, opt BackupOptions) (*BackupInfo, error) {
	src, err := sqliteFile(dsn)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(src); err != nil {
		return nil, refused(courses.ENOTFOUND, ErrNoDatabase, "backup: no database at %s: %v", src, err)
	}
	target, err := backupTarget(path, opt.Now)
	if err != nil {
		return nil, err
	}
	if sameDatabaseFile(src, target) {
		return nil, refused(courses.EINVALID, ErrSameFile, "backup: %s is the database itself", target)
	}
	if _, err := os.Lstat(target); err == nil && !opt.Overwrite {
		return nil, refused(courses.ECONFLICT, ErrBackupExists, "backup: %s exists", target)
	}

	conn, err := openFile(src, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	names, err := appliedMigrations(ctx, conn)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, refused(courses.EINVALID, ErrNotRaadzaam, "backup: %s has no migrations applied", src)
	}

	tmp, err := tempBeside(target, ".backup-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			removeDatabaseFiles(tmp)
		}
	}()
	// VACUUM INTO takes an empty file; the name is a plain absolute path,
	// never read as a URI.
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return nil, fmt.Errorf("db: backup: VACUUM INTO: %w", err)
	}
	if err := conn.Close(); err != nil {
		return nil, fmt.Errorf("db: backup: %w", err)
	}
	copied, err := checkCopy(ctx, tmp)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(copied, names) {
		return nil, fmt.Errorf("db: backup: the copy holds migrations %v, the database %v", copied, names)
	}
	if err := syncFile(tmp); err != nil {
		return nil, err
	}
	if err := place(tmp, target, opt.Overwrite); err != nil {
		return nil, err
	}
	done = true
	if err := syncDir(filepath.Dir(target)); err != nil {
		return nil, err
	}
	info := &BackupInfo{Path: target, Migrations: len(names), Latest: names[len(names)-1]}
	if fi, err := os.Stat(target); err == nil {
		info.Bytes = fi.Size()
	}
	return info, nil
}

// RestoreInfo describes a restore.
type RestoreInfo struct {
	Path     string   // the database now in place
	Kept     string   // where the database it replaced went; "" when there was none
	Migrated []string // migrations applied to the restored copy (an older backup)
}

// Restore puts the backup at backupPath in place of the SQLite database
// named by dsn. The backup is copied beside the database and checked first
// (a SQLite file, intact, with Raadzaam's migrations and none newer than
// this version's), then brought up to date with the migrations; until then
// nothing at the target changes. A database that a process holds open (a
// running server) is refused: SQLite's own locks tell. The database that is
// replaced is kept as raadzaam.db.before-restore-YYYYMMDDTHHMMSSZ with its
// write-ahead log folded in, and no stale -wal or -shm file is left beside
// the restored one.
func Restore(ctx context.Context, backupPath, dsn string) (*RestoreInfo, error) {
	dst, err := sqliteFile(dsn)
	if err != nil {
		return nil, err
	}
	if dst, err = filepath.Abs(dst); err != nil {
		return nil, err
	}
	fi, err := os.Stat(backupPath)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, refused(courses.ENOTFOUND, ErrNoDatabase, "restore: no backup file at %s", backupPath)
	}
	if sameDatabaseFile(dst, backupPath) {
		return nil, refused(courses.EINVALID, ErrSameFile, "restore: %s is the database itself", backupPath)
	}
	if err := checkHeader(backupPath); err != nil {
		return nil, err
	}

	dir := filepath.Dir(dst)
	createdDir := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: restore: %w", err)
		}
		createdDir = true
	}
	tmp, err := tempBeside(dst, ".restore-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			removeDatabaseFiles(tmp)
			if createdDir {
				_ = os.Remove(dir) // only when still empty
			}
		}
	}()
	if err := copyFile(backupPath, tmp); err != nil {
		return nil, err
	}
	if _, err := checkCopy(ctx, tmp); err != nil {
		return nil, err
	}
	migrated, err := migrateFile(ctx, tmp)
	if err != nil {
		return nil, err
	}
	if err := syncFile(tmp); err != nil {
		return nil, err
	}

	kept, err := setAside(ctx, dst)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, fmt.Errorf("db: restore: %w", err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &RestoreInfo{Path: dst, Kept: kept, Migrated: migrated}, nil
}

// sqliteFile returns the file behind a SQLite DSN as Open reads it, and
// ErrPostgresBackup for PostgreSQL (without connecting).
func sqliteFile(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "", refused(courses.EINVALID, ErrPostgresBackup, "backup and restore: the database is PostgreSQL")
	case dsn == "", strings.TrimPrefix(dsn, "sqlite:") == "", strings.TrimPrefix(dsn, "sqlite:") == ":memory:":
		return "", courses.Errorf(courses.EINVALID, "backup and restore: no SQLite file in %q", dsn)
	}
	return strings.TrimPrefix(dsn, "sqlite:"), nil
}

// backupTarget is path as an absolute file name; a folder (an existing one,
// or a path ending in a separator, created if need be) gets a name with the
// time in it.
func backupTarget(path string, now func() time.Time) (string, error) {
	if path == "" {
		return "", courses.Errorf(courses.EINVALID, "backup: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	folder := os.IsPathSeparator(path[len(path)-1])
	if folder {
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return "", fmt.Errorf("db: backup: %w", err)
		}
	}
	if fi, err := os.Stat(abs); folder || (err == nil && fi.IsDir()) {
		if now == nil {
			now = time.Now
		}
		abs = filepath.Join(abs, "raadzaam-"+now().UTC().Format("20060102-150405")+".db")
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return "", refused(courses.ENOTFOUND, ErrNoDatabase, "backup: no folder %s", filepath.Dir(abs))
	}
	return abs, nil
}

// sameDatabaseFile reports whether other is db or one of its companion
// files (-wal, -shm, -journal): writing there would destroy the database.
func sameDatabaseFile(db, other string) bool {
	a, errA := filepath.Abs(db)
	b, errB := filepath.Abs(other)
	if errA != nil || errB != nil {
		return false
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if a+suffix == b {
			return true
		}
		fa, errA := os.Stat(a + suffix)
		fb, errB := os.Stat(b)
		if errA == nil && errB == nil && os.SameFile(fa, fb) {
			return true
		}
	}
	return false
}

// openFile opens one plain connection to a SQLite file: no journal mode or
// other pragmas set (it must not change the file), a busy timeout, and
// closing it does not checkpoint a database others have open.
func openFile(path string, busy time.Duration) (*sql.DB, error) {
	q := fmt.Sprintf("?_pragma=busy_timeout(%d)&_time_format=sqlite", busy.Milliseconds())
	conn, err := sql.Open("sqlite", "file:"+path+q)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	conn.SetMaxOpenConns(1)
	return conn, nil
}

// migrationName is the name Bun stores for a migration file.
var migrationName = regexp.MustCompile(`^(\d{1,14})_`)

// knownMigrations lists the names of this version's SQLite migrations.
func knownMigrations() (map[string]bool, error) {
	known := map[string]bool{}
	for _, dir := range []string{"migrations/common", "migrations/" + string(SQLite)} {
		entries, err := fs.ReadDir(migrationFS, dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if m := migrationName.FindStringSubmatch(e.Name()); m != nil {
				known[m[1]] = true
			}
		}
	}
	return known, nil
}

// appliedMigrations returns the names in bun_migrations, sorted; none when
// the table does not exist.
func appliedMigrations(ctx context.Context, conn *sql.DB) ([]string, error) {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'bun_migrations'").Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT name FROM bun_migrations ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// checkHeader refuses, before anything is copied, a file that is not a
// SQLite database at all.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return refused(courses.ENOTFOUND, ErrNoDatabase, "restore: %v", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	switch {
	case bytes.Equal(head[:n], []byte("SQLite format 3\x00")):
		return nil
	case bytes.HasPrefix(head[:n], []byte("PGDMP")):
		return refused(courses.EINVALID, ErrPgDump, "restore: %s is a pg_dump archive", path)
	}
	return refused(courses.EINVALID, ErrNotRaadzaam, "restore: %s is not a SQLite database", path)
}

// checkCopy checks a copy that nobody else has open: it leaves it without
// a write-ahead log (one self-contained file), runs SQLite's integrity
// check and returns its migrations, which must be Raadzaam's and none that
// this version does not know.
func checkCopy(ctx context.Context, path string) ([]string, error) {
	conn, err := openFile(path, 0)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		return nil, damaged(path, err)
	}
	rows, err := conn.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return nil, damaged(path, err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return nil, damaged(path, err)
		}
		problems = append(problems, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, damaged(path, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return nil, refused(courses.EINVALID, ErrDamaged, "integrity_check of %s: %s", path, strings.Join(first(problems, 3), "; "))
	}
	names, err := appliedMigrations(ctx, conn)
	if err != nil {
		return nil, damaged(path, err)
	}
	known, err := knownMigrations()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, refused(courses.EINVALID, ErrNotRaadzaam, "%s has no Raadzaam migrations", path)
	}
	for _, name := range names {
		if !known[name] {
			return nil, refused(courses.EINVALID, ErrNewerBackup, "%s holds migration %s, which this version does not know", path, name)
		}
	}
	return names, conn.Close()
}

// damaged classifies an error met while reading a copy: SQLite's "not a
// database" and "malformed" mean the file is damaged.
func damaged(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return refused(courses.EINVALID, ErrDamaged, "%s: %v", path, err)
		}
	}
	return fmt.Errorf("db: check %s: %w", path, err)
}

func first(list []string, n int) []string { return list[:min(n, len(list))] }

// migrateFile applies this version's migrations (the application's and the
// job queue's) to a restored copy before it is put in place, and leaves it
// as one file again.
func migrateFile(ctx context.Context, path string) ([]string, error) {
	d, err := Open("sqlite:" + path)
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx)
	if err == nil {
		err = d.MigrateJobs(ctx)
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("db: restore: migrate the backup: %w", err)
	}
	// Closing the last connection checkpointed and removed the log; a
	// leftover would belong to nobody.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("db: restore: %s-wal was left with %d bytes", path, fi.Size())
	}
	_ = os.Remove(path + "-wal")
	_ = os.Remove(path + "-shm")
	return applied, nil
}

// setAside moves the database at dst out of the way, unless a process has
// it open. It first switches the database out of WAL mode: that folds the
// write-ahead log into the file (the kept copy is whole) and needs an
// exclusive lock, which SQLite refuses at once while any connection, of
// any process, has the database open, as every connection of a running
// server does. Its name carries the time; a companion file that still
// exists goes with it.
func setAside(ctx context.Context, dst string) (string, error) {
	if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
		// No database, but a log or journal without one is stale: it must
		// not be applied to the restored file. It is kept all the same.
		kept := ""
		for _, suffix := range []string{"-wal", "-journal"} {
			if _, err := os.Stat(dst + suffix); err == nil {
				name := keptName(dst) + suffix
				if err := os.Rename(dst+suffix, name); err != nil {
					return "", fmt.Errorf("db: restore: %w", err)
				}
				kept = name
			}
		}
		_ = os.Remove(dst + "-shm")
		return kept, nil
	} else if err != nil {
		return "", fmt.Errorf("db: restore: %w", err)
	}
	if err := leaveWAL(ctx, dst); err != nil {
		return "", err
	}
	kept := keptName(dst)
	if err := os.Rename(dst, kept); err != nil {
		return "", fmt.Errorf("db: restore: %w", err)
	}
	for _, suffix := range []string{"-wal", "-journal"} {
		if _, err := os.Stat(dst + suffix); err == nil {
			if err := os.Rename(dst+suffix, kept+suffix); err != nil {
				return "", fmt.Errorf("db: restore: %w", err)
			}
		}
	}
	_ = os.Remove(dst + "-shm")
	return kept, nil
}

// leaveWAL switches the database to a rollback journal, refusing with
// ErrDatabaseInUse when another connection has it open. A file SQLite
// cannot read is no server's database: it is set aside as it is.
func leaveWAL(ctx context.Context, path string) error {
	conn, err := openFile(path, 0)
	if err != nil {
		return err
	}
	defer conn.Close()
	var mode string
	err = conn.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode)
	var se *sqlite.Error
	switch {
	case errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED):
		return refused(courses.ECONFLICT, ErrDatabaseInUse, "restore: %s is open in another process: %v", path, err)
	case errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_NOTADB || se.Code()&0xff == sqlite3.SQLITE_CORRUPT):
		return nil
	case err != nil:
		return fmt.Errorf("db: restore: %s: %w", path, err)
	case mode != "delete":
		return refused(courses.ECONFLICT, ErrDatabaseInUse, "restore: %s stays in journal mode %q: it is open elsewhere", path, mode)
	}
	return conn.Close()
}

// keptName is where the replaced database goes: a name with the time,
// unique in its folder.
func keptName(dst string) string {
	base := dst + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// tempBeside creates an empty temporary file in target's folder (so that
// renaming it is atomic), readable by its owner only: it holds personal data.
func tempBeside(target, infix string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+infix+"*")
	if err != nil {
		return "", fmt.Errorf("db: %w", err)
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("db: %w", err)
	}
	return name, nil
}

// removeDatabaseFiles removes a temporary database and its companions.
func removeDatabaseFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}

// place gives the checked temporary file its name. Without overwrite a
// hard link claims the name atomically, so a file that appeared meanwhile
// is never replaced; where links are not supported, the check before the
// rename has to do.
func place(tmp, target string, overwrite bool) error {
	if !overwrite {
		err := os.Link(tmp, target)
		switch {
		case errors.Is(err, fs.ErrExist):
			return refused(courses.ECONFLICT, ErrBackupExists, "backup: %s exists", target)
		case err == nil:
			return os.Remove(tmp)
		}
		if _, err := os.Lstat(target); err == nil {
			return refused(courses.ECONFLICT, ErrBackupExists, "backup: %s exists", target)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("db: backup: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("db: restore: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("db: restore: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("db: restore: copy %s: %w", from, err)
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("db: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("db: sync %s: %w", path, err)
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("db: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("db: sync %s: %w", dir, err)
	}
	return nil
}
