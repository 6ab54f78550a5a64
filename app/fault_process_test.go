package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// Fault tests of the server process (issue 8): the real binary on the
// embedded SQLite database, killed with SIGKILL in the middle of writes,
// and stopped with SIGTERM or SIGINT while 32 learners write.

// loadLearners is how many learners write at once in the fault tests.
const loadLearners = 32

// prepareDataFolder makes a data folder as an operator has it before the
// first start: migrated, the shipped catalogue loaded, and n learners made
// with the user service (as `raadzaam user add` does), each with
// testPassword. It returns their addresses.
func prepareDataFolder(t *testing.T, data string, n int) []string {
	t.Helper()
	ctx := context.Background()
	cfg, err := loadConfig(getenvFrom(map[string]string{"RAADZAAM_DATA": data, "RAADZAAM_DEMO": "off"}))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := seed(ctx, d, cfg, log, io.Discard); err != nil {
		t.Fatal(err)
	}
	hash, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	us := db.NewUserService(d)
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("raadslid%02d@example.nl", i+1)
		if _, err := us.CreateUser(ctx, &courses.NewUser{Email: emails[i], Name: fmt.Sprintf("Raadslid %d", i+1),
			Role: courses.RoleLearner, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	return emails
}

// lockedBuffer collects a running process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serverProcess is the real binary serving on a loopback port.
type serverProcess struct {
	cmd    *exec.Cmd
	addr   string        // host:port
	done   chan struct{} // closed when the process has ended
	err    error         // the exit error, once done is closed
	stderr lockedBuffer
}

func (p *serverProcess) base() string { return "http://" + p.addr }

// serverEnviron is the test's environment without the settings a server
// test chooses itself.
func serverEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "PORT=") && !strings.HasPrefix(kv, "RAADZAAM_") {
			env = append(env, kv)
		}
	}
	return env
}

// runBinary starts `raadzaam serve` on the SQLite database in data, with
// extra settings ("KEY=value") after the defaults, and returns at once.
// The process is killed when the test ends, if it still runs.
func runBinary(t *testing.T, bin, data string, extra ...string) *serverProcess {
	t.Helper()
	port := freePort(t)
	p := &serverProcess{addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(serverEnviron(), "RAADZAAM_DATA="+data, "PORT="+strconv.Itoa(port), "RAADZAAM_DEMO=off",
		"RAADZAAM_BASE_URL="+p.base())
	p.cmd.Env = append(p.cmd.Env, extra...)
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// startBinary runs the server and waits until it answers /healthz.
func startBinary(t *testing.T, bin, data string, extra ...string) *serverProcess {
	t.Helper()
	p := runBinary(t, bin, data, extra...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("server exited before it was ready: %v\n%s", p.err, p.stderr.String())
		default:
		}
		if resp, err := http.Get(p.base() + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server not healthy within 30 s\n%s", p.stderr.String())
	return nil
}

// stop sends sig and waits up to limit for the process to end. It returns
// the exit error.
func (p *serverProcess) stop(t *testing.T, sig os.Signal, limit time.Duration) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		t.Fatalf("still running %v after %v\n%s", limit, sig, p.stderr.String())
		return nil
	}
}

// signInAPI signs a learner in over the API, on a keep-alive connection of
// their own.
func signInAPI(t *testing.T, base, email string) *apiClient {
	t.Helper()
	return newAPIClient(t, base, 30*time.Second, 1).mustSignIn(t, email)
}

// signInAndEnrol reads the published courses' lessons from the API, signs
// every learner in and enrols each in every course that has lessons.
func signInAndEnrol(t *testing.T, base string, emails []string) ([]lessonRef, []*apiClient) {
	t.Helper()
	var lessons []lessonRef
	for _, o := range newAPIClient(t, base, 30*time.Second, 1).outlines(t.Context(), t) {
		lessons = append(lessons, o.lessons...)
	}
	if len(lessons) == 0 {
		t.Fatal("no lessons in the shipped catalogue")
	}
	learners := make([]*apiClient, len(emails))
	for i, email := range emails {
		learners[i] = signInAPI(t, base, email)
		enrolled := map[string]bool{}
		for _, ls := range lessons {
			if enrolled[ls.course] {
				continue
			}
			enrolled[ls.course] = true
			if _, err := learners[i].call(t.Context(), http.MethodPost, "/api/v1/courses/"+ls.course+"/enrolment", nil, http.StatusCreated, nil); err != nil {
				t.Fatalf("enrol %s in %s: %v", email, ls.course, err)
			}
		}
	}
	return lessons, learners
}

// ackedWrite is a lesson completion the server answered 200.
type ackedWrite struct {
	email  string
	lesson lessonRef
}

// writeLoad is learners completing lessons over the API, each on its own
// connection, one request after another.
type writeLoad struct {
	acks    atomic.Int64
	wg      sync.WaitGroup
	mu      sync.Mutex
	acked   []ackedWrite
	refused []string // answers other than 200: status and body
	errs    []error  // requests without an answer
}

// startWriteLoad starts every learner on the lessons, each from another
// place in the list, until stop is closed or a request gets no answer.
// A completion done before is done again (it is idempotent, and still a
// write transaction).
func startWriteLoad(ctx context.Context, learners []*apiClient, lessons []lessonRef, stop <-chan struct{}) *writeLoad {
	w := &writeLoad{}
	for i, l := range learners {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				ls := lessons[(i*7+j)%len(lessons)]
				resp, body, err := l.request(ctx, http.MethodPost, completionPath(ls.id), nil)
				w.mu.Lock()
				switch {
				case err != nil:
					w.errs = append(w.errs, err)
				case resp.StatusCode == http.StatusOK:
					w.acked = append(w.acked, ackedWrite{l.email, ls})
					w.acks.Add(1)
				default:
					w.refused = append(w.refused, fmt.Sprintf("%d %s", resp.StatusCode, body))
				}
				w.mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	return w
}

// waitForAcks waits until n completions were acknowledged.
func (w *writeLoad) waitForAcks(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for w.acks.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d completions acknowledged within %v; refused: %d %.300v", w.acks.Load(), n, within, len(w.refused), w.refused)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits until every learner has stopped.
func (w *writeLoad) wait(t *testing.T, within time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		t.Fatalf("learners still writing %v after the server stopped", within)
	}
}

// checkDatabase opens the SQLite database in data after the server has
// stopped: PRAGMA integrity_check must say ok, no foreign key may dangle,
// and every acknowledged completion must be stored.
func checkDatabase(t *testing.T, data string, acked []ackedWrite) {
	t.Helper()
	d, err := db.Open("sqlite:" + filepath.Join(data, "raadzaam.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	checkIntegrity(t, d)
	checkAcked(t, d, acked)
}

// checkIntegrity runs SQLite's own checks of the file.
func checkIntegrity(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	var rows []string
	if err := d.NewRaw("PRAGMA integrity_check").Scan(ctx, &rows); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		t.Errorf("integrity_check: %q", rows)
	}
	var dangling []map[string]any
	if err := d.NewRaw("PRAGMA foreign_key_check").Scan(ctx, &dangling); err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	if len(dangling) > 0 {
		t.Errorf("foreign_key_check: %d dangling references, first %v", len(dangling), dangling[0])
	}
}

// checkAcked checks that every acknowledged completion is stored.
func checkAcked(t *testing.T, d *db.DB, acked []ackedWrite) {
	t.Helper()
	ctx := context.Background()
	us, ls := db.NewUserService(d), db.NewLearningService(d)
	done := map[string]map[string]bool{} // email+course → keys
	missing := 0
	for _, a := range acked {
		k := a.email + " " + a.lesson.course
		if done[k] == nil {
			u, err := us.UserByEmail(ctx, a.email)
			if err != nil {
				t.Fatal(err)
			}
			e, err := ls.EnrolmentBySlug(ctx, u.ID, a.lesson.course)
			if err != nil {
				t.Fatalf("enrolment of %s in %s: %v", a.email, a.lesson.course, err)
			}
			done[k] = map[string]bool{}
			for _, key := range e.DoneKeys {
				done[k][key] = true
			}
		}
		if !done[k][a.lesson.key] {
			if missing++; missing <= 5 {
				t.Errorf("acknowledged completion lost: %s, %s %s", a.email, a.lesson.course, a.lesson.key)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged completions lost", missing, len(acked))
	}
}

// TestKillDuringWrites kills the server with SIGKILL while 32 learners
// complete lessons: after a restart the server answers and writes,
// SQLite's integrity check is ok and every completion that was answered
// 200 before the kill is stored.
func TestKillDuringWrites(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	emails := prepareDataFolder(t, data, loadLearners)
	p := startBinary(t, bin, data)
	lessons, learners := signInAndEnrol(t, p.base(), emails)

	stop := make(chan struct{})
	defer close(stop)
	load := startWriteLoad(t.Context(), learners, lessons, stop)
	load.waitForAcks(t, 300, 60*time.Second)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after SIGKILL")
	}
	load.wait(t, 30*time.Second)
	if len(load.refused) > 0 {
		t.Errorf("%d completions refused before the kill, first: %s", len(load.refused), load.refused[0])
	}
	t.Logf("%d completions acknowledged before SIGKILL, %d cut off", len(load.acked), len(load.errs))

	// The restart recovers the write-ahead log; the server writes again.
	// (A new sign-in: tokens name the server's address, which changed.)
	again := startBinary(t, bin, data)
	learner := signInAPI(t, again.base(), emails[0])
	if _, err := learner.call(t.Context(), http.MethodPost, completionPath(lessons[len(lessons)-1].id), nil, http.StatusOK, nil); err != nil {
		t.Fatalf("a completion after the restart: %v", err)
	}
	acked := append(load.acked, ackedWrite{emails[0], lessons[len(lessons)-1]})
	if err := again.stop(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Fatalf("exit after the restart: %v\n%s", err, again.stderr.String())
	}
	checkDatabase(t, data, acked)
}

// flyKillTimeout reads kill_timeout and the server's shutdown timeout from
// fly.toml, which production runs with.
func flyKillTimeout(t *testing.T) (kill, shutdown time.Duration) {
	t.Helper()
	b, err := os.ReadFile("../fly.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^kill_timeout\s*=\s*"?(\d+)(s?)"?\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("fly.toml sets no kill_timeout")
	}
	n, _ := strconv.Atoi(string(m[1]))
	kill = time.Duration(n) * time.Second
	s := regexp.MustCompile(`(?m)^\s*RAADZAAM_SHUTDOWN_TIMEOUT\s*=\s*"([^"]+)"`).FindSubmatch(b)
	if s == nil {
		t.Fatal("fly.toml sets no RAADZAAM_SHUTDOWN_TIMEOUT")
	}
	if shutdown, err = time.ParseDuration(string(s[1])); err != nil {
		t.Fatalf("fly.toml: RAADZAAM_SHUTDOWN_TIMEOUT: %v", err)
	}
	if shutdown+jobsStopTimeout >= kill {
		t.Errorf("fly.toml: shutdown timeout %v plus %v for jobs does not fit in kill_timeout %v", shutdown, jobsStopTimeout, kill)
	}
	return kill, shutdown
}

// heldRequest is a lesson completion whose headers the server has read
// (it answered 100 Continue) and whose body is still to come: a request in
// flight that the server must finish.
type heldRequest struct {
	conn   net.Conn
	br     *bufio.Reader
	lesson lessonRef
}

func holdCompletion(t *testing.T, addr, token string, ls lessonRef) heldRequest {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
		completionPath(ls.id), addr, token)
	h := heldRequest{conn: conn, br: bufio.NewReader(conn), lesson: ls}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("holding a request: %v %v", resp, err)
	}
	return h
}

// finish sends the body and reads the answer.
func (h heldRequest) finish() (int, error) {
	if _, err := io.WriteString(h.conn, "{}"); err != nil {
		return 0, err
	}
	_ = h.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// refusedOrClosed reports whether err is a request the server did not
// take: a new connection refused, or a kept-alive one closed by the
// stopping server before it answered.
func refusedOrClosed(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "server closed idle connection")
}

// TestShutdownUnderLoad stops the real binary with SIGTERM and with SIGINT
// while 32 learners complete lessons and four completions are half sent.
// New connections are refused at once; the requests in flight are all
// answered 200 (none 5xx: the database stays open until they are done);
// the process exits 0 within fly.toml's kill_timeout, running with
// fly.toml's shutdown timeout; the write-ahead log is checkpointed; and
// every acknowledged completion is in the database.
func TestShutdownUnderLoad(t *testing.T) {
	bin := buildBinary(t)
	killTimeout, shutdownTimeout := flyKillTimeout(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			data := t.TempDir()
			emails := prepareDataFolder(t, data, loadLearners)
			p := startBinary(t, bin, data, "RAADZAAM_SHUTDOWN_TIMEOUT="+shutdownTimeout.String())
			lessons, learners := signInAndEnrol(t, p.base(), emails)

			stop := make(chan struct{})
			defer close(stop)
			load := startWriteLoad(t.Context(), learners, lessons, stop)
			load.waitForAcks(t, 200, 60*time.Second)
			var held []heldRequest
			for i := range 4 {
				held = append(held, holdCompletion(t, p.addr, learners[i].token, lessons[(i*11+3)%len(lessons)]))
			}

			start := time.Now()
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			// New connections are refused within a second.
			refused := false
			for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
				if err != nil {
					refused = true
					break
				}
				c.Close()
			}
			if !refused {
				t.Errorf("new connections still accepted 1 s after %v", sig)
			}
			var acked []ackedWrite
			for i, h := range held {
				status, err := h.finish()
				if err != nil || status != http.StatusOK {
					t.Errorf("a request in flight at %v: %d %v", sig, status, err)
					continue
				}
				acked = append(acked, ackedWrite{learners[i].email, h.lesson})
			}

			select {
			case <-p.done:
			case <-time.After(killTimeout - time.Since(start)):
				t.Fatalf("still running %v (fly.toml's kill_timeout) after %v\n%s", killTimeout, sig, p.stderr.String())
			}
			took := time.Since(start)
			if p.err != nil {
				t.Fatalf("exit: %v\n%s", p.err, p.stderr.String())
			}
			load.wait(t, 10*time.Second)
			t.Logf("%v: exit 0 after %v; %d completions acknowledged, %d requests refused or cut off", sig, took.Round(time.Millisecond), len(load.acked), len(load.errs))
			if len(load.refused) > 0 {
				t.Errorf("%d completions answered with an error, first: %s", len(load.refused), load.refused[0])
			}
			for _, err := range load.errs {
				if !refusedOrClosed(err) {
					t.Errorf("a request failed otherwise than refused or closed: %v", err)
				}
			}
			if !strings.Contains(p.stderr.String(), `"msg":"shutting down"`) {
				t.Errorf("no shutdown log line:\n%s", p.stderr.String())
			}
			if fi, err := os.Stat(filepath.Join(data, "raadzaam.db-wal")); err == nil && fi.Size() > 0 {
				t.Errorf("WAL not checkpointed: %d bytes left", fi.Size())
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Error(err)
			}
			checkDatabase(t, data, append(acked, load.acked...))
		})
	}
}
