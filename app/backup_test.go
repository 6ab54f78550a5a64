package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// runRaadzaam runs the built binary with RAADZAAM_DATA=data (the embedded
// database) and Dutch output, bounded in time.
func runRaadzaam(t *testing.T, bin, data string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "RAADZAAM_DATA="+data, "DATABASE_URL=", "RAADZAAM_DEMO=off", "RAADZAAM_LANG=nl")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// fileNames lists the names in dir, sorted, without opening any file.
func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// lessonTask is one lesson completion a writer will send.
type lessonTask struct {
	learner *apiClient
	lesson  lessonRef
}

// lessonAck is a completion the server acknowledged.
type lessonAck struct {
	enrolment  int64
	key        string
	sent, done time.Time
}

// TestBackupUnderWriteLoadAndRestore runs the real server on SQLite, has
// four learners complete a course (certificates are issued), then keeps
// completing lessons from four goroutines while `raadzaam backup` runs as a
// separate process against the same RAADZAAM_DATA. It checks that the
// backup overlapped writes; that `raadzaam restore` refuses the folder of
// the running server and changes nothing there; that restoring into a new
// data folder gives an intact database (integrity_check, foreign keys)
// holding every completion acknowledged before the backup started and none
// sent after it ended; and that a server on the new folder verifies every
// certificate (API and /verifieer page) and lets a holder sign in to find
// theirs.
func TestBackupUnderWriteLoadAndRestore(t *testing.T) {
	bin := buildBinary(t)
	ctx := context.Background()
	data := t.TempDir()
	h := newAPIClient(t, startServerEnv(t, map[string]string{"RAADZAAM_DATA": data, "RAADZAAM_DEMO": "off"}), 30*time.Second, 4)

	// Accounts go straight into the database, as in TestTwoInstances.
	d, err := db.Open("sqlite:" + filepath.Join(data, "raadzaam.db"))
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]string{"houder1@example.nl": "Ayşe Çelik", "houder2@example.nl": "Jan de Vries",
		"houder3@example.nl": "Łukasz Nowak", "houder4@example.nl": "Marie-Claire van 't Hoff"}
	var writerEmails [4][]string
	for w := range writerEmails {
		for i := range 4 {
			writerEmails[w] = append(writerEmails[w], fmt.Sprintf("schrijver%d-%d@example.nl", w, i))
		}
	}
	all := maps.Clone(holders)
	for _, list := range writerEmails {
		for _, e := range list {
			all[e] = "Schrijver"
		}
	}
	for email, name := range all {
		if _, err := db.NewUserService(d).CreateUser(ctx, &courses.NewUser{Email: email, Name: name, Role: courses.RoleLearner, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	d.Close() // the test keeps no connection of its own to the live database

	// Every course's lessons, as the API lists them; the quiz's right
	// answers come from the shipped folder.
	outlines := h.outlines(ctx, t)
	i := slices.IndexFunc(outlines, func(o *courseOutline) bool { return o.slug == learnSlug })
	if len(outlines) < 2 || i < 0 {
		t.Fatalf("catalogue: %d courses, %s at %d", len(outlines), learnSlug, i)
	}
	course := outlines[i]
	if len(course.lessons) == 0 || course.quizID == 0 {
		t.Fatalf("catalogue: %d lessons in %s, quiz %d", len(course.lessons), learnSlug, course.quizID)
	}

	// The holders complete the course: every lesson, then the quiz.
	numbers := map[string]string{} // certificate number → holder's name
	for email, name := range holders {
		holder := h.mustSignIn(t, email)
		if _, err := holder.call(ctx, http.MethodPost, "/api/v1/courses/"+learnSlug+"/enrolment", nil, http.StatusCreated, nil); err != nil {
			t.Fatal(err)
		}
		for _, l := range course.lessons {
			if _, err := holder.call(ctx, http.MethodPost, completionPath(l.id), nil, http.StatusOK, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := holder.passQuiz(ctx, course); err != nil {
			t.Fatalf("quiz: %v", err)
		}
		var mine apiEnrolmentList
		if _, err := holder.call(ctx, http.MethodGet, "/api/v1/me/enrolments", nil, http.StatusOK, &mine); err != nil {
			t.Fatal(err)
		}
		if len(mine.Enrolments) != 1 || mine.Enrolments[0].Certificate == nil {
			t.Fatalf("%s after completing the course: %+v", email, mine.Enrolments)
		}
		numbers[*mine.Enrolments[0].Certificate] = name
	}

	// The writers' learners enrol in every course; their lessons are the
	// load, learner after learner, each writer with its own learners.
	var tasks [4][]lessonTask
	for w, emails := range writerEmails {
		for _, email := range emails {
			learner := h.mustSignIn(t, email)
			for _, o := range outlines {
				if _, err := learner.call(ctx, http.MethodPost, "/api/v1/courses/"+o.slug+"/enrolment", nil, http.StatusCreated, nil); err != nil {
					t.Fatal(err)
				}
				for _, l := range o.lessons {
					tasks[w] = append(tasks[w], lessonTask{learner: learner, lesson: l})
				}
			}
		}
	}

	var (
		mu     sync.Mutex
		acks   []lessonAck
		failed []error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range tasks {
		wg.Go(func() {
			for _, task := range tasks[w] {
				select {
				case <-stop:
					return
				default:
				}
				var done apiCompletion
				sent := time.Now()
				_, err := task.learner.call(ctx, http.MethodPost, completionPath(task.lesson.id), nil, http.StatusOK, &done)
				mu.Lock()
				if err != nil {
					failed = append(failed, err)
				} else {
					acks = append(acks, lessonAck{enrolment: done.Enrolment.ID, key: task.lesson.key, sent: sent, done: time.Now()})
				}
				mu.Unlock()
			}
		})
	}
	acked := func() int { mu.Lock(); defer mu.Unlock(); return len(acks) }
	for deadline := time.Now().Add(60 * time.Second); acked() < 40; {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d completions in 60 s; errors: %v", acked(), failed)
		}
		time.Sleep(10 * time.Millisecond)
	}

	started := time.Now()
	backup := filepath.Join(t.TempDir(), "raadzaam-backup.db")
	stdout, stderr, err := runRaadzaam(t, bin, data, "backup", backup)
	finished := time.Now()
	// Some more writes after the backup: none of them may be in it.
	sentAfter := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range acks {
			if a.sent.After(finished) {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); err == nil && sentAfter() < 20 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "Back-up gemaakt en gecontroleerd: "+backup) || !strings.Contains(stdout, "session-keys.json") {
		t.Errorf("backup output: %q", stdout)
	}
	if len(failed) > 0 {
		t.Fatalf("%d completions failed during the backup, the first: %v", len(failed), failed[0])
	}
	var before, during, after int
	for _, a := range acks {
		switch {
		case a.done.Before(started):
			before++
		case a.sent.After(finished):
			after++
		default:
			during++
		}
	}
	t.Logf("completions acknowledged before the backup: %d; overlapping it: %d; sent after it: %d (backup took %v)",
		before, during, after, finished.Sub(started).Round(time.Millisecond))
	if during == 0 || after == 0 {
		t.Fatal("the writes did not both overlap and follow the backup: it did not run under write load")
	}

	// The server still runs on data: restoring there is refused, and no
	// file in the folder is moved. (Only names are compared: reading the
	// database file in this process, where the server runs, would close a
	// descriptor of it and so drop the server's SQLite locks, which are
	// POSIX locks and belong to the process.)
	beforeFiles := fileNames(t, data)
	_, stderr, err = runRaadzaam(t, bin, data, "restore", backup)
	if err == nil || !strings.Contains(stderr, "deze database is in gebruik") || !strings.Contains(stderr, "er is niets opgeslagen") {
		t.Errorf("restore over the running server: %v, %q", err, stderr)
	}
	if afterFiles := fileNames(t, data); !slices.Equal(afterFiles, beforeFiles) {
		t.Errorf("files after the refused restore: %v, before: %v", afterFiles, beforeFiles)
	}

	// Restore into a new data folder.
	fresh := t.TempDir()
	stdout, stderr, err = runRaadzaam(t, bin, fresh, "restore", backup)
	if err != nil || !strings.Contains(stdout, "staat nu op "+filepath.Join(fresh, "raadzaam.db")) {
		t.Fatalf("restore: %v\n%s%s", err, stdout, stderr)
	}
	rd, err := db.Open("sqlite:" + filepath.Join(fresh, "raadzaam.db"))
	if err != nil {
		t.Fatal(err)
	}
	var integrity string
	if err := rd.NewRaw("PRAGMA integrity_check").Scan(ctx, &integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check of the restored database: %q, %v", integrity, err)
	}
	rows, err := rd.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("the restored database breaks a foreign key")
	}
	rows.Close()
	type progressRow struct {
		Enrolment int64  `bun:"enrolment_id"`
		Key       string `bun:"activity_key"`
	}
	var stored []progressRow
	if err := rd.NewSelect().TableExpr("activity_progress").Column("enrolment_id", "activity_key").Scan(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	in := map[progressRow]bool{}
	for _, s := range stored {
		in[s] = true
	}
	for _, a := range acks {
		switch {
		case a.done.Before(started) && !in[progressRow{a.enrolment, a.key}]:
			t.Errorf("completion %d %s, acknowledged before the backup started, is not in it", a.enrolment, a.key)
		case a.sent.After(finished) && in[progressRow{a.enrolment, a.key}]:
			t.Errorf("completion %d %s, sent after the backup ended, is in it", a.enrolment, a.key)
		}
	}

	// A server on the restored folder verifies every certificate.
	h2 := newAPIClient(t, startServerEnv(t, map[string]string{"RAADZAAM_DATA": fresh, "RAADZAAM_DEMO": "off"}), 30*time.Second, 1)
	for number, holder := range numbers {
		var v apiVerification
		if _, err := h2.call(ctx, http.MethodGet, "/api/v1/verify/"+number, nil, http.StatusOK, &v); err != nil {
			t.Error(err)
			continue
		}
		if v.Status != "valid" || v.Number != number || v.Holder != holder || v.Course != course.title {
			t.Errorf("verification of %s after the restore: %+v", number, v)
		}
		resp, err := h2.http.Get(h2.base + "/verifieer/" + number)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Geldig") || !strings.Contains(string(page), number) {
			t.Errorf("/verifieer/%s after the restore: %d", number, resp.StatusCode)
		}
	}
	var mine apiEnrolmentList
	if _, err := h2.mustSignIn(t, "houder1@example.nl").call(ctx, http.MethodGet, "/api/v1/me/enrolments", nil, http.StatusOK, &mine); err != nil {
		t.Fatal(err)
	}
	if len(mine.Enrolments) != 1 || mine.Enrolments[0].Certificate == nil || numbers[*mine.Enrolments[0].Certificate] != holders["houder1@example.nl"] {
		t.Errorf("a holder's enrolments on the restored server: %+v", mine.Enrolments)
	}
}

// TestBackupRestoreRefusals: backup refuses to overwrite a file (unless
// --overwrite) and says so in Dutch or English; restore refuses a file that
// is not a Raadzaam database with a clear message and leaves the data
// folder as it was; a good backup is restored with the replaced database
// kept.
func TestBackupRestoreRefusals(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"RAADZAAM_DATA": data, "RAADZAAM_DEMO": "off"}
	if _, stderr, err := runCLI(t, env, "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, stderr)
	}
	dir := t.TempDir()
	backup := filepath.Join(dir, "b.db")
	if out, stderr, err := runCLI(t, env, "backup", backup); err != nil || !strings.Contains(out, "Back-up gemaakt en gecontroleerd: "+backup) {
		t.Fatalf("backup: %v %q %q", err, out, stderr)
	}
	written, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}

	_, stderr, err := runCLI(t, env, "backup", backup)
	if err == nil || !strings.Contains(stderr, backup+": dit bestand bestaat al; kies een andere naam, geef een map op of vervang het met --overwrite") ||
		!strings.Contains(stderr, "er is niets opgeslagen") {
		t.Errorf("backup over an existing file: %v, %q", err, stderr)
	}
	english := maps.Clone(env)
	english["RAADZAAM_LANG"] = "en"
	if _, stderr, err := runCLI(t, english, "backup", backup); err == nil || !strings.Contains(stderr, "this file exists") {
		t.Errorf("in English: %v, %q", err, stderr)
	}
	if now, _ := os.ReadFile(backup); !bytes.Equal(now, written) {
		t.Error("a refused backup changed the existing file")
	}
	if out, stderr, err := runCLI(t, env, "backup", "--overwrite", backup); err != nil || !strings.Contains(out, "Back-up gemaakt") {
		t.Errorf("backup --overwrite: %v %q %q", err, out, stderr)
	}
	if _, stderr, err := runCLI(t, env, "backup"); err == nil || !strings.Contains(stderr, "backup [--overwrite] PAD") {
		t.Errorf("backup without a path: %v, %q", err, stderr)
	}

	notes := filepath.Join(dir, "notities.txt")
	if err := os.WriteFile(notes, []byte("Dit is geen database.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := listFilesIn(t, data)
	_, stderr, err = runCLI(t, env, "restore", notes)
	if err == nil || !strings.Contains(stderr, notes+": dit is geen Raadzaam-database; zet een bestand terug dat raadzaam backup heeft gemaakt") {
		t.Errorf("restore of a text file: %v, %q", err, stderr)
	}
	if after := listFilesIn(t, data); !maps.Equal(after, before) {
		t.Errorf("a refused restore changed the data folder: %v, before %v", slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
	}

	out, stderr, err := runCLI(t, env, "restore", backup)
	if err != nil || !strings.Contains(out, "De database die er stond, is bewaard als "+filepath.Join(data, "raadzaam.db.before-restore-")) {
		t.Errorf("restore: %v %q %q", err, out, stderr)
	}
}

// TestBackupRestorePostgresExplains: with DATABASE_URL on PostgreSQL both
// commands exit non-zero and explain pg_dump, pg_restore and Fly's
// snapshots, in Dutch and English, without connecting or writing a file.
func TestBackupRestorePostgresExplains(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/raadzaam?sslmode=disable", "RAADZAAM_DATA": dir}
	for _, lang := range []string{"nl", "en"} {
		env["RAADZAAM_LANG"] = lang
		for _, args := range [][]string{{"backup", filepath.Join(dir, "b.db")}, {"restore", filepath.Join(dir, "b.db")}} {
			_, stderr, err := runCLI(t, env, args...)
			if err == nil {
				t.Errorf("%s %v on PostgreSQL succeeded", lang, args)
			}
			for _, want := range []string{"PostgreSQL", "pg_dump -Fc", "pg_restore", "fly volumes snapshots", "fly mpg"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("%s %v: the explanation lacks %q:\n%s", lang, args, want, stderr)
				}
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}
