package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/raadzaam/raadzaam/app/openbadges"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// backupDatabase makes a checked copy of the SQLite database while it
// serves: `backup [--overwrite] PATH` (PATH a file, or a folder for a
// file named after the time). On PostgreSQL it explains what to use instead.
func backupDatabase(ctx context.Context, cfg *Config, args []string, stdout io.Writer, l *Locale) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	overwrite := fs.Bool("overwrite", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return usageError{args: append([]string{"backup"}, args...)}
	}
	path := fs.Arg(0)
	info, err := db.Backup(ctx, cfg.DatabaseURL, path, db.BackupOptions{Overwrite: *overwrite})
	if err != nil {
		return backupRefusal(err, path, cfg, true)
	}
	fmt.Fprintln(stdout, l.T("cli.backup.done", "path", info.Path, "size", l.Number(float64(info.Bytes)/1e6, 1)+" MB", "migrations", info.Migrations))
	// Generated keys live beside the database, not in it.
	var files []string
	if cfg.CredentialKeys == "" {
		files = appendIfExists(files, cfg.DataDir, openbadges.KeyFile)
	}
	if cfg.SessionKeys == "" {
		files = appendIfExists(files, cfg.DataDir, "session-keys.json")
	}
	if len(files) > 0 {
		fmt.Fprintln(stdout, l.T("cli.backup.keep_files", "files", strings.Join(files, ", "), "dir", cfg.DataDir))
	}
	return nil
}

func appendIfExists(list []string, dir, name string) []string {
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
		return append(list, name)
	}
	return list
}

// restoreDatabase puts a backup in place of the SQLite database, keeping
// the one it replaces: `restore PATH`. The server must be stopped.
func restoreDatabase(ctx context.Context, cfg *Config, args []string, stdout io.Writer, l *Locale) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return usageError{args: append([]string{"restore"}, args...)}
	}
	path := fs.Arg(0)
	info, err := db.Restore(ctx, path, cfg.DatabaseURL)
	if err != nil {
		return backupRefusal(err, path, cfg, false)
	}
	fmt.Fprintln(stdout, l.T("cli.restore.done", "backup", path, "path", info.Path))
	if info.Kept != "" {
		fmt.Fprintln(stdout, l.T("cli.restore.kept", "kept", info.Kept))
	}
	if len(info.Migrated) > 0 {
		fmt.Fprintln(stdout, l.T("cli.restore.migrated", "n", len(info.Migrated)))
	}
	return nil
}

// backupRefusal turns the reasons db gives for refusing a backup or a
// restore into a problem with a translated explanation, naming the file it
// is about; other errors pass unchanged.
func backupRefusal(err error, path string, cfg *Config, backup bool) error {
	target := strings.TrimPrefix(cfg.DatabaseURL, "sqlite:")
	for _, r := range []struct {
		reason error
		file   string
		key    string
	}{
		{db.ErrPostgresBackup, "", "cli.backup.postgres"},
		{db.ErrBackupExists, path, "cli.backup.exists"},
		{db.ErrSameFile, path, "cli.backup.same_file"},
		{db.ErrNotRaadzaam, path, "cli.restore.not_raadzaam"},
		{db.ErrPgDump, path, "cli.restore.pg_dump"},
		{db.ErrDamaged, path, "cli.restore.damaged"},
		{db.ErrNewerBackup, path, "cli.restore.newer"},
		{db.ErrDatabaseInUse, target, "cli.restore.in_use"},
		{db.ErrNoDatabase, path, "cli.backup.not_found"},
	} {
		if errors.Is(err, r.reason) {
			if r.reason == db.ErrNoDatabase && backup && !fileExists(target) {
				r.file = target // the database to back up is missing
			}
			return &courses.Error{Code: courses.ErrorCode(err), Message: err.Error(), Err: err,
				Problems: []courses.Problem{{File: r.file, Key: r.key}}}
		}
	}
	return err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
