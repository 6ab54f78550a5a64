package db_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// openMigrated opens the SQLite database at dsn and migrates it; it is
// closed when the test ends unless the test closes it first.
func openMigrated(t *testing.T, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func addUsers(t *testing.T, d *db.DB, emails ...string) {
	t.Helper()
	for _, e := range emails {
		if _, err := db.NewUserService(d).CreateUser(context.Background(), &courses.NewUser{
			Email: e, Name: "Gijs van der Griffie", Role: courses.RoleLearner, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
}

// emailsIn returns the sorted e-mail addresses of the users in the SQLite
// file at path (opened, and closed again, for the question).
func emailsIn(t *testing.T, path string) []string {
	t.Helper()
	d, err := db.Open("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var emails []string
	if err := d.NewSelect().TableExpr("users").Column("email").Order("email").Scan(context.Background(), &emails); err != nil {
		t.Fatalf("users in %s: %v", path, err)
	}
	return emails
}

func migrationsIn(t *testing.T, d *db.DB) []string {
	t.Helper()
	var names []string
	if err := d.NewSelect().TableExpr("bun_migrations").Column("name").Order("name").Scan(context.Background(), &names); err != nil {
		t.Fatal(err)
	}
	return names
}

// folder returns every file in dir with a hash of its content.
func folder(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:8])
	}
	return out
}

func names(m map[string]string) []string {
	list := make([]string, 0, len(m))
	for k := range m {
		list = append(list, k)
	}
	slices.Sort(list)
	return list
}

func wantRefusal(t *testing.T, err, reason error, code string) {
	t.Helper()
	if !errors.Is(err, reason) || courses.ErrorCode(err) != code {
		t.Fatalf("got %v (code %q), want %v with code %q", err, courses.ErrorCode(err), reason, code)
	}
}

// TestBackupAndRestore: a backup is one checked, private file under its
// name and nothing else beside it; an existing name is refused unless
// overwriting is asked for; a folder gets a file named after the time; the
// database itself is never a target. Restore puts it in a new folder, and
// in place of a database whose newest rows are only in its write-ahead log
// (a crash): that database is kept whole under a dated name, and no stale
// log is left beside the restored one.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t, db.SQLite)
	src := strings.TrimPrefix(dsn, "sqlite:")
	d := openMigrated(t, dsn)
	addUsers(t, d, "a1@example.nl", "a2@example.nl")

	dir := t.TempDir()
	path := filepath.Join(dir, "raadzaam-backup.db")
	info, err := db.Backup(ctx, dsn, path, db.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	applied := migrationsIn(t, d)
	if info.Path != path || info.Bytes < 4096 || info.Migrations != len(applied) || info.Latest != applied[len(applied)-1] {
		t.Errorf("info %+v; the database has %d migrations, the newest %s", info, len(applied), applied[len(applied)-1])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != info.Bytes {
		t.Errorf("backup file: %v, %v; want mode 0600 and %d bytes", fi, err, info.Bytes)
	}
	if got := names(folder(t, dir)); !slices.Equal(got, []string{"raadzaam-backup.db"}) {
		t.Errorf("files beside the backup: %v; want only the backup (no temporary file, no -wal)", got)
	}
	first := folder(t, dir)["raadzaam-backup.db"]

	addUsers(t, d, "a3@example.nl")
	_, err = db.Backup(ctx, dsn, path, db.BackupOptions{})
	wantRefusal(t, err, db.ErrBackupExists, courses.ECONFLICT)
	if got := folder(t, dir); len(got) != 1 || got["raadzaam-backup.db"] != first {
		t.Errorf("a refused backup changed the folder: %v", got)
	}
	if _, err := db.Backup(ctx, dsn, path, db.BackupOptions{Overwrite: true}); err != nil {
		t.Fatalf("--overwrite: %v", err)
	}
	if got := folder(t, dir); len(got) != 1 || got["raadzaam-backup.db"] == first {
		t.Errorf("after overwriting: %v, want one new file", got)
	}

	// A folder: the file is named after the time, in UTC; a path ending in
	// a separator is a folder, made if need be.
	at := time.Date(2026, 11, 28, 20, 15, 7, 0, time.FixedZone("CET", 3600))
	now := func() time.Time { return at }
	info, err = db.Backup(ctx, dsn, dir, db.BackupOptions{Now: now})
	if err != nil || info.Path != filepath.Join(dir, "raadzaam-20261128-191507.db") {
		t.Errorf("backup into a folder: %+v, %v", info, err)
	}
	info, err = db.Backup(ctx, dsn, filepath.Join(dir, "nacht")+string(filepath.Separator), db.BackupOptions{Now: now})
	if err != nil || info.Path != filepath.Join(dir, "nacht", "raadzaam-20261128-191507.db") {
		t.Errorf("backup into a new folder: %+v, %v", info, err)
	}
	_, err = db.Backup(ctx, dsn, filepath.Join(dir, "bestaat-niet", "b.db"), db.BackupOptions{})
	wantRefusal(t, err, db.ErrNoDatabase, courses.ENOTFOUND)
	for _, target := range []string{src, src + "-wal", src + "-shm"} {
		_, err := db.Backup(ctx, dsn, target, db.BackupOptions{Overwrite: true})
		wantRefusal(t, err, db.ErrSameFile, courses.EINVALID)
	}
	_, err = db.Backup(ctx, "sqlite:"+filepath.Join(t.TempDir(), "geen.db"), filepath.Join(dir, "x.db"), db.BackupOptions{})
	wantRefusal(t, err, db.ErrNoDatabase, courses.ENOTFOUND)

	// Into a folder that does not exist yet.
	fresh := filepath.Join(t.TempDir(), "nieuw", "raadzaam.db")
	restored, err := db.Restore(ctx, path, "sqlite:"+fresh)
	if err != nil {
		t.Fatal(err)
	}
	if restored.Path != fresh || restored.Kept != "" || len(restored.Migrated) != 0 {
		t.Errorf("restore into a new folder: %+v", restored)
	}
	want := []string{"a1@example.nl", "a2@example.nl", "a3@example.nl"}
	if got := emailsIn(t, fresh); !slices.Equal(got, want) {
		t.Errorf("restored users %v, want %v", got, want)
	}

	// A crashed server's folder: the newest user is only in the -wal.
	crashed := t.TempDir()
	live := openMigrated(t, "sqlite:"+fresh)
	addUsers(t, live, "alleen-in-wal@example.nl")
	for _, name := range []string{"raadzaam.db", "raadzaam.db-wal"} {
		copyTestFile(t, filepath.Join(filepath.Dir(fresh), name), filepath.Join(crashed, name))
	}
	live.Close()
	target := filepath.Join(crashed, "raadzaam.db")
	restored, err = db.Restore(ctx, path, "sqlite:"+target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(restored.Kept), "raadzaam.db.before-restore-2") {
		t.Fatalf("kept as %q", restored.Kept)
	}
	if got := names(folder(t, crashed)); !slices.Equal(got, []string{"raadzaam.db", filepath.Base(restored.Kept)}) {
		t.Errorf("files after the restore: %v; want the restored and the kept database, no -wal or -shm", got)
	}
	if got := emailsIn(t, target); !slices.Equal(got, want) {
		t.Errorf("restored users %v, want %v", got, want)
	}
	if got := emailsIn(t, restored.Kept); !slices.Contains(got, "alleen-in-wal@example.nl") {
		t.Errorf("the kept database lost what was in its write-ahead log: %v", got)
	}
}

func copyTestFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusesBadFiles: a file that is not a Raadzaam database, a
// damaged one, one from a newer version, a pg_dump archive or a missing
// file is refused with its reason, and neither the target folder nor the
// file changes.
func TestRestoreRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t, db.SQLite)
	d := openMigrated(t, dsn)
	addUsers(t, d, "blijft@example.nl")
	good := filepath.Join(t.TempDir(), "goed.db")
	if _, err := db.Backup(ctx, dsn, good, db.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	targetDir := filepath.Dir(strings.TrimPrefix(dsn, "sqlite:"))

	files := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// Damage: overwrite the third page (a table's b-tree) with noise.
	damaged := slices.Clone(goodBytes)
	for i := 2 * 4096; i < 3*4096 && i < len(damaged); i++ {
		damaged[i] = byte(i * 7)
	}
	newer := write("nieuwer.db", goodBytes)
	other := filepath.Join(files, "ander.db")
	for path, stmt := range map[string]string{
		newer: "INSERT INTO bun_migrations (name, group_id, migrated_at) VALUES ('29991231000000', 99, CURRENT_TIMESTAMP)",
		other: "CREATE TABLE notities (id INTEGER PRIMARY KEY, tekst TEXT)",
	} {
		conn, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(stmt); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}

	for _, tc := range []struct {
		name   string
		path   string
		reason error
		code   string
	}{
		{"a text file", write("notities.txt", []byte("Dit is geen database.\n")), db.ErrNotRaadzaam, courses.EINVALID},
		{"an empty file", write("leeg.db", nil), db.ErrNotRaadzaam, courses.EINVALID},
		{"another SQLite database", other, db.ErrNotRaadzaam, courses.EINVALID},
		{"a pg_dump archive", write("raadzaam.dump", []byte("PGDMP\x01\x0f\x00\x04\x08\x01\x01\x01")), db.ErrPgDump, courses.EINVALID},
		{"a damaged backup", write("beschadigd.db", damaged), db.ErrDamaged, courses.EINVALID},
		{"a backup from a newer version", newer, db.ErrNewerBackup, courses.EINVALID},
		{"a missing file", filepath.Join(files, "bestaat-niet.db"), db.ErrNoDatabase, courses.ENOTFOUND},
		{"the database itself", strings.TrimPrefix(dsn, "sqlite:"), db.ErrSameFile, courses.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			beforeTarget, beforeFiles := folder(t, targetDir), folder(t, files)
			_, err := db.Restore(ctx, tc.path, dsn)
			wantRefusal(t, err, tc.reason, tc.code)
			if after := folder(t, targetDir); fmt.Sprint(after) != fmt.Sprint(beforeTarget) {
				t.Errorf("the target folder changed:\n got %v\nwant %v", after, beforeTarget)
			}
			if after := folder(t, files); fmt.Sprint(after) != fmt.Sprint(beforeFiles) {
				t.Errorf("the restored file changed:\n got %v\nwant %v", after, beforeFiles)
			}
		})
	}
	if got := emailsIn(t, strings.TrimPrefix(dsn, "sqlite:")); !slices.Equal(got, []string{"blijft@example.nl"}) {
		t.Errorf("the target's users after the refusals: %v", got)
	}
}

// TestRestoreRefusesDatabaseInUse: while another connection has the target
// open (as a running server has), restore refuses and changes nothing; once
// it is closed, the restore goes ahead.
func TestRestoreRefusesDatabaseInUse(t *testing.T) {
	ctx := context.Background()
	backupDSN := dbtest.NewDSN(t, db.SQLite)
	addUsers(t, openMigrated(t, backupDSN), "uit-backup@example.nl")
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := db.Backup(ctx, backupDSN, backup, db.BackupOptions{}); err != nil {
		t.Fatal(err)
	}

	dsn := dbtest.NewDSN(t, db.SQLite)
	server := openMigrated(t, dsn)
	addUsers(t, server, "in-gebruik@example.nl")
	if err := server.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(strings.TrimPrefix(dsn, "sqlite:"))
	before := names(folder(t, dir))
	_, err := db.Restore(ctx, backup, dsn)
	wantRefusal(t, err, db.ErrDatabaseInUse, courses.ECONFLICT)
	if after := names(folder(t, dir)); !slices.Equal(after, before) {
		t.Errorf("files after the refusal: %v, before %v", after, before)
	}
	var n int
	if err := server.NewSelect().TableExpr("users").ColumnExpr("COUNT(*)").Where("email = ?", "in-gebruik@example.nl").Scan(ctx, &n); err != nil || n != 1 {
		t.Errorf("the database in use after the refusal: %d users, %v", n, err)
	}

	server.Close()
	info, err := db.Restore(ctx, backup, dsn)
	if err != nil {
		t.Fatalf("restore once closed: %v", err)
	}
	if got := emailsIn(t, info.Path); !slices.Equal(got, []string{"uit-backup@example.nl"}) {
		t.Errorf("restored users: %v", got)
	}
	if got := emailsIn(t, info.Kept); !slices.Equal(got, []string{"in-gebruik@example.nl"}) {
		t.Errorf("kept users: %v", got)
	}
}

// TestRestoreMigratesOlderBackup: a backup made before the certificates
// existed is restored with every migration since (the application's and
// the job queue's), as the same schema a new database gets.
func TestRestoreMigratesOlderBackup(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t, db.SQLite)
	old, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.MigrateBefore(ctx, "20261128190000"); err != nil {
		t.Fatal(err)
	}
	old.Close()
	backup := filepath.Join(t.TempDir(), "oud.db")
	if _, err := db.Backup(ctx, dsn, backup, db.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "raadzaam.db")
	info, err := db.Restore(ctx, backup, "sqlite:"+target)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.Migrated, "20261128190000_certificates") {
		t.Errorf("migrations applied: %v, want the certificates' among them", info.Migrated)
	}
	d, err := db.Open("sqlite:" + target)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fresh := dbtest.MustOpen(t, db.SQLite)
	if got, want := migrationsIn(t, d), migrationsIn(t, fresh); !slices.Equal(got, want) {
		t.Errorf("restored migrations %v, want %v", got, want)
	}
	for _, table := range []string{"certificates", "river_job"} {
		var n int
		if err := d.NewSelect().TableExpr(table).ColumnExpr("COUNT(*)").Scan(ctx, &n); err != nil {
			t.Errorf("table %s after the restore: %v", table, err)
		}
	}
}

// TestBackupRestorePostgresRefused: on PostgreSQL both refuse at once,
// without connecting, and write nothing.
func TestBackupRestorePostgresRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const dsn = "postgres://postgres@127.0.0.1:1/raadzaam?sslmode=disable" // nothing listens on port 1
	_, err := db.Backup(ctx, dsn, filepath.Join(dir, "b.db"), db.BackupOptions{})
	wantRefusal(t, err, db.ErrPostgresBackup, courses.EINVALID)
	backup := filepath.Join(dir, "raadzaam.dump")
	if err := os.WriteFile(backup, []byte("PGDMP"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = db.Restore(ctx, backup, dsn)
	wantRefusal(t, err, db.ErrPostgresBackup, courses.EINVALID)
	if got := names(folder(t, dir)); !slices.Equal(got, []string{"raadzaam.dump"}) {
		t.Errorf("files: %v", got)
	}
}

// TestBackupUnderWrites: writers keep adding users on their own
// connections while the backup runs; every user acknowledged before the
// backup started is in it, none sent after it returned is, and the copy is
// intact.
func TestBackupUnderWrites(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t, db.SQLite)
	d := openMigrated(t, dsn)
	type write struct {
		email      string
		sent, done time.Time
	}
	var (
		mu     sync.Mutex
		writes []write
		failed []error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				e := fmt.Sprintf("schrijver%d-%d@example.nl", w, i)
				sent := time.Now()
				_, err := db.NewUserService(d).CreateUser(ctx, &courses.NewUser{Email: e, Name: "Schrijver", Role: courses.RoleLearner, PasswordHash: "x"})
				mu.Lock()
				if err != nil {
					failed = append(failed, err)
				} else {
					writes = append(writes, write{e, sent, time.Now()})
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(writes) }
	for deadline := time.Now().Add(20 * time.Second); count() < 50; {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d writes in 20 s; errors %v", count(), failed)
		}
		time.Sleep(5 * time.Millisecond)
	}
	started := time.Now()
	path := filepath.Join(t.TempDir(), "b.db")
	_, err := db.Backup(ctx, dsn, path, db.BackupOptions{})
	finished := time.Now()
	// Some more writes after the backup: none of them may be in it.
	for n, deadline := count(), time.Now().Add(20*time.Second); count() < n+50 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Fatalf("writes failed during the backup: %v", failed)
	}
	target := filepath.Join(t.TempDir(), "raadzaam.db")
	if _, err := db.Restore(ctx, path, "sqlite:"+target); err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, e := range emailsIn(t, target) {
		in[e] = true
	}
	var before, during, after int
	for _, w := range writes {
		switch {
		case w.done.Before(started):
			before++
			if !in[w.email] {
				t.Errorf("%s, acknowledged before the backup started, is not in it", w.email)
			}
		case w.sent.After(finished):
			after++
			if in[w.email] {
				t.Errorf("%s, sent after the backup was made, is in it", w.email)
			}
		default:
			during++
		}
	}
	t.Logf("writes acknowledged before the backup: %d, overlapping it: %d, after: %d; in the backup: %d users", before, during, after, len(in))
	if during == 0 || after == 0 {
		t.Error("the writes did not both overlap and follow the backup: it did not run under load")
	}
}
