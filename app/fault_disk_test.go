package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/db"
)

// Fault tests of the data folder (issue 8): a full disk and a read-only
// folder under the real binary on the embedded SQLite database. They mount
// file systems, which needs root (the tests and CI run as root): a small
// tmpfs as the full disk, a read-only bind mount as the read-only folder.
// Where mounting is not allowed they fail under CI=true and are skipped
// elsewhere.

// mount runs mount with args, failing under CI and skipping elsewhere when
// it is not allowed.
func mount(t *testing.T, args ...string) {
	t.Helper()
	needTool(t, "mount")
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("mount %s: %v: %s(the disk fault tests need root, as in CI)", strings.Join(args, " "), err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// mountFS mounts a file system on target with args and returns a function
// that unmounts it (at most once; the test's cleanup does it otherwise).
func mountFS(t *testing.T, target string, args ...string) (unmount func()) {
	t.Helper()
	mount(t, append(args, target)...)
	var once sync.Once
	unmount = func() {
		once.Do(func() {
			if out, err := exec.Command("umount", target).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v: %s", target, err, out)
			}
		})
	}
	t.Cleanup(unmount)
	return unmount
}

// fillDisk writes a file into dir until its file system has no space left
// and returns the file's path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "vulling")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for _, chunk := range []int{1 << 20, 4096, 512} {
		for {
			if _, err := f.Write(buf[:chunk]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Bavail != 0 {
		t.Fatalf("the disk is not full: %d blocks free", st.Bavail)
	}
	return path
}

// apiErrorOf decodes the JSON error format of CONTRACT.md.
func apiErrorOf(t *testing.T, body []byte) errorDetail {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not the JSON error format: %v: %s", err, body)
	}
	return e.Error
}

// checkServerLog checks that a fault was logged as an unavailable
// dependency, never as an internal error or a panic.
func checkServerLog(t *testing.T, p *serverProcess) {
	t.Helper()
	log := p.stderr.String()
	if !strings.Contains(log, `"msg":"dependency unavailable"`) {
		t.Errorf("the fault was not logged as an unavailable dependency:\n%s", log)
	}
	for _, bad := range []string{`"msg":"internal error"`, "panic:"} {
		if strings.Contains(log, bad) {
			t.Errorf("the server log has %q:\n%s", bad, log)
		}
	}
}

// TestFullDisk runs the server with its data folder on a small tmpfs and
// fills it while learners complete lessons. The first completion that no
// longer fits is answered 503 with Retry-After and the translated message
// (not 500, no panic) and is not stored; reads and the readiness check
// still work; SQLite's integrity check is ok and every acknowledged
// completion is stored. Once the filler file is removed, the refused
// completion and new ones succeed without a restart, and the server stops
// cleanly.
func TestFullDisk(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	mountFS(t, data, "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs")
	emails := prepareDataFolder(t, data, 4)
	p := startBinary(t, bin, data)
	lessons, learners := signInAndEnrol(t, p.base(), emails)
	catalog, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	wantMessage := catalog.Locale("nl").T("error.unavailable")

	var acked []ackedWrite
	next := 0           // completions are new writes: learner next%4 does lesson next/4
	var last *apiClient // who sent the last completion
	complete := func() (*http.Response, []byte, ackedWrite) {
		t.Helper()
		l, ls := learners[next%len(learners)], lessons[next/len(learners)]
		next++
		last = l
		resp, body, err := l.request(t.Context(), http.MethodPost, completionPath(ls.id), nil)
		if err != nil {
			t.Fatalf("completion: %v\n%s", err, p.stderr.String())
		}
		return resp, body, ackedWrite{l.email, ls}
	}
	for range 8 {
		resp, body, w := complete()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("completion before the disk was full: %d %s", resp.StatusCode, body)
		}
		acked = append(acked, w)
	}

	filler := fillDisk(t, data)
	var refused *ackedWrite
	var refusedBy *apiClient
	for next < len(learners)*len(lessons) {
		resp, body, w := complete()
		if resp.StatusCode == http.StatusOK {
			acked = append(acked, w)
			continue
		}
		refused, refusedBy = &w, last
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("completion on a full disk: %d (Retry-After %q), want 503 with Retry-After: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if e := apiErrorOf(t, body); e.Code != "unavailable" || e.Message != wantMessage {
			t.Errorf("completion on a full disk: error %+v, want code unavailable and %q", e, wantMessage)
		}
		break
	}
	if refused == nil {
		t.Fatalf("%d completions on a full disk, none refused", len(acked)-8)
	}
	t.Logf("the disk was full after %d more completions", len(acked)-8)

	// Reads go on.
	if _, err := learners[0].call(t.Context(), http.MethodGet, "/api/v1/me/enrolments", nil, http.StatusOK, nil); err != nil {
		t.Errorf("reading on a full disk: %v", err)
	}
	if resp, err := http.Get(p.base() + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("readiness on a full disk: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// Nothing half-written: the file is sound, what was acknowledged is
	// there and the refused completion is not. (The pool is closed without
	// the checkpoint of db.Close: the server still uses the file.)
	d, err := db.Open("sqlite:" + filepath.Join(data, "raadzaam.db"))
	if err != nil {
		t.Fatal(err)
	}
	checkIntegrity(t, d)
	checkAcked(t, d, acked)
	u, err := db.NewUserService(d).UserByEmail(t.Context(), refused.email)
	if err != nil {
		t.Fatal(err)
	}
	e, err := db.NewLearningService(d).EnrolmentBySlug(t.Context(), u.ID, refused.lesson.course)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range e.DoneKeys {
		if key == refused.lesson.key {
			t.Errorf("the refused completion %s was stored", key)
		}
	}
	d.DB.Close()

	// Space returns: the same server writes again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := refusedBy.call(t.Context(), http.MethodPost, completionPath(refused.lesson.id), nil, http.StatusOK, nil); err != nil {
		t.Fatalf("the refused completion again, after space returned: %v", err)
	}
	acked = append(acked, *refused)
	for range 8 {
		if next >= len(learners)*len(lessons) {
			break
		}
		resp, body, w := complete()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("completion after space returned: %d %s", resp.StatusCode, body)
		}
		acked = append(acked, w)
	}
	if err := p.stop(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr.String())
	}
	checkServerLog(t, p)
	checkDatabase(t, data, acked)
}

// fileSum returns the SHA-256 of a file.
func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestReadOnlyDataFolder starts the server on a data folder mounted
// read-only (as a volume that failed and was remounted read-only): it
// stops at once with an error that names the folder, and changes nothing
// in the database file. Once the folder is writable again, the server
// starts, the learner's data is all there and writes work.
func TestReadOnlyDataFolder(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	emails := prepareDataFolder(t, data, 1)
	file := filepath.Join(data, "raadzaam.db")
	before := fileSum(t, file)

	unmount := mountFS(t, data, "--bind", data)
	mount(t, "-o", "remount,ro,bind", data)
	p := runBinary(t, bin, data)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after starting on a read-only data folder\n%s", p.stderr.String())
	}
	if p.err == nil {
		t.Errorf("exit 0 on a read-only data folder, want an error")
	}
	out := p.stderr.String()
	t.Logf("on a read-only folder: %v\n%s", p.err, out)
	for _, want := range []string{data, "alleen-lezen"} {
		if !strings.Contains(out, want) {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "panic:") {
		t.Errorf("panic:\n%s", out)
	}
	if after := fileSum(t, file); !bytes.Equal(before[:], after[:]) {
		t.Error("the database file changed on a read-only folder")
	}

	unmount()
	again := startBinary(t, bin, data)
	lessons, learners := signInAndEnrol(t, again.base(), emails)
	learner := learners[0]
	if _, err := learner.call(t.Context(), http.MethodPost, completionPath(lessons[0].id), nil, http.StatusOK, nil); err != nil {
		t.Fatalf("completion once the folder is writable: %v", err)
	}
	if err := again.stop(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, again.stderr.String())
	}
	checkDatabase(t, data, []ackedWrite{{learner.email, lessons[0]}})
}

// TestDataFolderTurnsReadOnly runs the server with its data folder on a
// small ext4 file system that mounts itself read-only on an error (as a
// volume does with errors=remount-ro), and raises such an error while the
// server runs. Completions are then answered 503 with the translated
// message, never 500; reads go on; the server stops cleanly. After fsck
// and a writable mount, the restarted server finds its key files whole
// and a sound database with every completion acknowledged before the
// error, and writes again.
func TestDataFolderTurnsReadOnly(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "e2fsck", "findmnt"} {
		needTool(t, tool)
	}
	bin := buildBinary(t)
	image := filepath.Join(t.TempDir(), "volume.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", image, "128M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	data := t.TempDir()
	unmount := mountFS(t, data, "-o", "loop,errors=remount-ro", image)
	emails := prepareDataFolder(t, data, 2)
	p := startBinary(t, bin, data)
	lessons, learners := signInAndEnrol(t, p.base(), emails)
	var acked []ackedWrite
	for i := range 6 {
		l, ls := learners[i%2], lessons[i/2]
		if _, err := l.call(t.Context(), http.MethodPost, completionPath(ls.id), nil, http.StatusOK, nil); err != nil {
			t.Fatalf("completion: %v", err)
		}
		acked = append(acked, ackedWrite{l.email, ls})
	}
	// No checkpoint here: with synchronous=FULL every acknowledged commit
	// is in the synced write-ahead log when the file system stops writing.
	source, err := exec.Command("findmnt", "-n", "-o", "SOURCE", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(strings.TrimSpace(string(source))), "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("raadzaam fault test\n"), 0o200); err != nil {
		t.Fatalf("raising a file system error: %v", err)
	}
	if err := os.WriteFile(filepath.Join(data, "probe"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("the data folder is not read-only after the error: %v", err)
	}

	catalog, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	wantMessage := catalog.Locale("nl").T("error.unavailable")
	for i := range 4 {
		l, ls := learners[i%2], lessons[3+i/2]
		resp, body, err := l.request(t.Context(), http.MethodPost, completionPath(ls.id), nil)
		if err != nil {
			t.Fatalf("completion on a read-only folder: %v\n%s", err, p.stderr.String())
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("completion on a read-only folder: %d, want 503 with Retry-After: %s", resp.StatusCode, body)
		}
		if e := apiErrorOf(t, body); e.Code != "unavailable" || e.Message != wantMessage {
			t.Errorf("completion on a read-only folder: error %+v, want code unavailable and %q", e, wantMessage)
		}
	}
	if _, err := learners[0].call(t.Context(), http.MethodGet, "/api/v1/me/enrolments", nil, http.StatusOK, nil); err != nil {
		t.Errorf("reading on a read-only folder: %v", err)
	}
	if err := p.stop(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Errorf("exit on a read-only folder: %v\n%s", err, p.stderr.String())
	}
	checkServerLog(t, p)

	// The operator's repair: unmount, fsck, mount again, restart.
	unmount()
	out, err := exec.Command("e2fsck", "-f", "-y", image).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: errors corrected
		t.Fatalf("e2fsck: %v: %s", err, out)
	}
	mountFS(t, data, "-o", "loop,errors=remount-ro", image)
	again := startBinary(t, bin, data)
	ls := lessons[len(lessons)-1]
	if _, err := signInAPI(t, again.base(), emails[0]).call(t.Context(), http.MethodPost, completionPath(ls.id), nil, http.StatusOK, nil); err != nil {
		t.Fatalf("completion after the repair: %v", err)
	}
	acked = append(acked, ackedWrite{emails[0], ls})
	if err := again.stop(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatalf("exit after the repair: %v\n%s", err, again.stderr.String())
	}
	checkDatabase(t, data, acked)
}
