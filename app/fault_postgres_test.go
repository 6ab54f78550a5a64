package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"golang.org/x/crypto/argon2"
)

// pgCluster is a throwaway PostgreSQL cluster of one test: its own data
// folder, socket folder and port, never the shared server.
type pgCluster struct {
	bin  string   // the folder of initdb and pg_ctl
	dir  string   // data/, the socket folder and the log, removed at the end
	as   []string // runs a command as the postgres OS user when the test is root
	port int
}

// newPGCluster initialises and starts a cluster on a free loopback port
// with trust authentication for the user postgres, and stops and removes it
// when the test ends, also when it fails. Missing PostgreSQL binaries skip
// the test, or fail it under CI=true.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	slices.SortFunc(bins, func(a, b string) int { // the newest major version
		return versionOf(b) - versionOf(a)
	})
	if len(bins) == 0 {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		dbtest.SkipOrFail(t, "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or PATH")
	}
	c := &pgCluster{bin: filepath.Dir(bins[0]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "raadzaam-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		// Immediate: nothing of this cluster needs to survive. If pg_ctl
		// fails, the postmaster is signalled by its pid (ours to end).
		if out, err := c.ctl(10*time.Second, "-m", "immediate", "-w", "-t", "10", "stop"); err != nil && c.running() {
			t.Logf("pg_ctl stop: %v\n%s", err, out)
			if pid := c.postmasterPID(); pid > 0 {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
		}
		if err := os.RemoveAll(c.dir); err != nil {
			t.Errorf("remove the throwaway cluster: %v", err)
		}
	})
	// PostgreSQL refuses to run as root: as root, the cluster belongs to
	// the postgres OS user and every command runs as that user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			dbtest.SkipOrFail(t, "running as root and there is no postgres OS user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			dbtest.SkipOrFail(t, "running as root without runuser to start PostgreSQL as the postgres user")
		}
		c.as = []string{runuser, "-u", "postgres", "--"}
	}
	if out, err := c.run(60*time.Second, filepath.Join(c.bin, "initdb"), "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--no-locale", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	return c
}

// versionOf reads the major version out of /usr/lib/postgresql/N/bin/pg_ctl.
func versionOf(pgCtl string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgCtl))))
	return n
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// dsn is the cluster's maintenance database over TCP on loopback.
func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// run runs a command (as the postgres user when needed) within timeout.
func (c *pgCluster) run(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append(append(slices.Clone(c.as), name), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second // never wait on a pipe a server inherited
	return cmd.CombinedOutput()
}

// ctl runs pg_ctl on the cluster.
func (c *pgCluster) ctl(timeout time.Duration, args ...string) ([]byte, error) {
	return c.run(timeout, filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data()}, args...)...)
}

// start starts the server and returns once it accepts connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.port, c.dir)
	if out, err := c.ctl(30*time.Second, "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-w", "-t", "25", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop shuts the server down as an operator's restart does: fast mode ends
// every session (SQLSTATE 57P01) and rolls back their transactions.
func (c *pgCluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.ctl(20*time.Second, "-m", "fast", "-w", "-t", "15", "stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (c *pgCluster) running() bool {
	_, err := c.ctl(5*time.Second, "status")
	return err == nil
}

func (c *pgCluster) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

// faultLearner is one of the clients of TestPostgresRestart. The first
// block is set before the load; the second belongs to the client's own
// goroutine until the load ends; the flags tell the test how far it is.
type faultLearner struct {
	email  string
	api    *apiClient     // signed in as email
	course *courseOutline // the one course enrolled in
	phaseA int            // lessons done before the restart

	events        []faultEvent    // every completion request and its answer
	acked         map[string]bool // lesson keys answered 2xx
	sent          map[string]bool // lesson keys sent at all
	completedSeen time.Time       // when an answer first showed the enrolment completed

	readyA    atomic.Bool // every lesson of phase A acknowledged
	saw503    atomic.Bool // a 503 to a request sent while the database was down
	completed atomic.Bool // an answer showed the enrolment completed
	done      atomic.Bool // every lesson acknowledged, and a 2xx to a request sent 1 s after the restart
}

// faultEvent is one completion request of the load.
type faultEvent struct {
	start, end time.Time
	lesson     string
	status     int    // 0: no answer
	retryAfter string // on a 503
	err        string // transport error: a dropped connection or a hang
}

// faultPasswordHash is an argon2id hash in the product's format with tiny
// parameters: checkPassword takes them from the hash, so 64 sign-ins cost
// milliseconds, also under -race. Sign-in cost is not what this test is about.
func faultPasswordHash(t *testing.T, password string) string {
	t.Helper()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, 1, 64, 1, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// TestPostgresRestart restarts PostgreSQL (a throwaway cluster of the
// test's own) while 64 learners complete lessons through the real server,
// and checks what issue 8 asks: during the outage every completion is
// answered 2xx or 503 with Retry-After (never 500, a dropped connection or
// a hang), /readyz answers 503 and then 200, requests succeed again within
// a second of the database being back, and afterwards every acknowledged
// completion is stored and nothing is half-written: progress, enrolments,
// certificates, their jobs and the statistics agree.
//
// The timeline: each learner (16 in each of four shipped courses) has
// passed its course's quiz and completes lessons in course order,
// repeating the first ones (completions are idempotent) until all of them
// have done their "phase A": between half and all but one of their
// lessons. Then all lessons are allowed, and once a quarter of the
// enrolments are completed the database is stopped (pg_ctl stop -m fast)
// while others are being completed (certificate, statistics, job: one
// transaction), kept down for a second, and started again. The learners
// go on until each has every lesson acknowledged and a request sent a
// second after the restart answered. It takes 10-20 s.
func TestPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: starts a PostgreSQL cluster and a server")
	}
	const (
		clients = 64
		// backoff is how long a client waits after a 503 before trying
		// again. It ignores Retry-After (2 s) on purpose: the test measures
		// how soon the server answers again, so it must keep asking.
		backoff = 25 * time.Millisecond
	)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()

	pg := newPGCluster(t)
	env := map[string]string{"DATABASE_URL": pg.dsn(), "RAADZAAM_DATA": t.TempDir(), "RAADZAAM_DEMO": "off"}

	// The learners, made with the product's user service before the
	// server starts (on a database migrated as serve migrates it).
	cfg, err := loadConfig(getenvFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	setup, err := openAndMigrate(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	hash := faultPasswordHash(t, testPassword)
	learners := make([]*faultLearner, clients)
	for i := range learners {
		l := &faultLearner{email: fmt.Sprintf("raadslid%02d@example.nl", i), acked: map[string]bool{}, sent: map[string]bool{}}
		if _, err := db.NewUserService(setup).CreateUser(ctx, &courses.NewUser{Email: l.email, Name: fmt.Sprintf("Raadslid %02d", i),
			Role: courses.RoleLearner, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		learners[i] = l
	}
	setup.Close()

	// One pool for every client; a request without an answer after 10 s
	// is a hang.
	anon := newAPIClient(t, startServerEnv(t, env), 10*time.Second, 2*clients)

	// Four courses, sixteen learners each: a token, an enrolment and the
	// quiz passed, through the API. Each course must consist of lessons
	// and one quiz, whose right answers come from the shipped folder.
	outlines := anon.outlines(ctx, t, "nieuw-in-de-raad", "begroting-lezen-en-beinvloeden", "integriteit-en-weerbaarheid", "omgevingswet-voor-raadsleden")
	for _, o := range outlines {
		if o.quizID == 0 || o.activities != len(o.lessons)+1 || len(o.lessons) < 4 {
			t.Fatalf("course %s: %d activities, %d lessons and quiz %d; the test needs at least 4 lessons and one quiz, and nothing else",
				o.slug, o.activities, len(o.lessons), o.quizID)
		}
	}
	var setupWG sync.WaitGroup
	setupErrs := make(chan error, clients)
	sem := make(chan struct{}, 8)
	for i, l := range learners {
		o := outlines[i%len(outlines)]
		l.course = o
		l.phaseA = len(o.lessons)/2 + i%(len(o.lessons)-len(o.lessons)/2)
		setupWG.Add(1)
		go func() {
			defer setupWG.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			api, err := anon.signIn(ctx, l.email)
			if err != nil {
				setupErrs <- err
				return
			}
			l.api = api
			if _, err := api.call(ctx, http.MethodPost, "/api/v1/courses/"+o.slug+"/enrolment", nil, http.StatusCreated, nil); err != nil {
				setupErrs <- fmt.Errorf("enrol %s: %v", l.email, err)
				return
			}
			if err := api.passQuiz(ctx, o); err != nil {
				setupErrs <- fmt.Errorf("quiz of %s: %v", l.email, err)
			}
		}()
	}
	setupWG.Wait()
	close(setupErrs)
	for err := range setupErrs {
		t.Fatal(err)
	}

	// The load.
	var phaseB, stop atomic.Bool
	var downAt, backAt atomic.Int64 // unix nanoseconds: pg_ctl stop and pg_ctl start returned
	var loadWG sync.WaitGroup
	for _, l := range learners {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			l.load(ctx, &phaseB, &stop, &downAt, &backAt, backoff)
		}()
	}
	t.Cleanup(func() { stop.Store(true); loadWG.Wait() }) // also when a check below fails
	waitAll := func(what string, limit time.Duration, ok func(*faultLearner) bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			n := 0
			for _, l := range learners {
				if ok(l) {
					n++
				}
			}
			if n == len(learners) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d clients after %v", what, n, len(learners), limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	readyz := func() int {
		status, _ := anon.call(ctx, http.MethodGet, "/readyz", nil, http.StatusOK, nil)
		return status
	}
	waitAll("phase A acknowledged", 30*time.Second, func(l *faultLearner) bool { return l.readyA.Load() })

	// The restart, once a quarter of the enrolments are completed, so that
	// others are being completed when the database goes: their last
	// lessons are in flight. The outage lasts until every client has had a
	// 503 and at least a second (a restart's typical length, long enough
	// for every pooled connection to be found dead).
	phaseB.Store(true)
	for n := 0; n < clients/4; time.Sleep(2 * time.Millisecond) {
		n = 0
		for _, l := range learners {
			if l.completed.Load() {
				n++
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of %d enrolments completed before the test's deadline", n, clients)
		}
	}
	stopCalled := time.Now()
	pg.stop(t)
	downAt.Store(time.Now().UnixNano())
	t.Logf("pg_ctl stop -m fast took %v", time.Since(stopCalled).Round(time.Millisecond))
	if s := readyz(); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is down: %d, want 503", s)
	}
	waitAll("a 503 while the database is down", 10*time.Second, func(l *faultLearner) bool { return l.saw503.Load() })
	time.Sleep(time.Until(time.Unix(0, downAt.Load()).Add(time.Second)))
	if s := readyz(); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz at the end of the outage: %d, want 503", s)
	}
	startCalled := time.Now()
	pg.start(t)
	back := time.Now()
	backAt.Store(back.UnixNano())
	t.Logf("database down for %v; pg_ctl start took %v", back.Sub(time.Unix(0, downAt.Load())).Round(time.Millisecond),
		back.Sub(startCalled).Round(time.Millisecond))

	// Readiness comes back (how soon is checked below).
	var ready time.Duration // when the first poll answered 200 was sent
	for {
		sentAt := time.Now()
		if readyz() == http.StatusOK {
			ready = sentAt.Sub(back)
			break
		}
		if time.Since(back) > 10*time.Second {
			t.Fatal("/readyz not 200 within 10 s after the database was back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitAll("every lesson acknowledged after the restart", 40*time.Second, func(l *faultLearner) bool { return l.done.Load() })
	stop.Store(true)
	loadWG.Wait()

	// The answers. "Requests succeed again within a second" is measured
	// by when requests are sent, not answered: a request that reaches a
	// recovered pool still waits behind the 63 others for the two shared
	// cores, and for the certificate PDFs that the completions after the
	// restart render (its answer takes up to the p99 logged below, several
	// times more under -race), which says nothing about the pool. So: the
	// first /readyz poll answered 200 was sent within 1 s (+100 ms: one
	// 10 ms pause and the answer to the poll before it), no request sent
	// later than 1 s after pg_ctl start returned is refused, and every
	// client gets a 2xx after the restart. Hangs are caught by the client's
	// 10 s timeout.
	var healthy []time.Duration
	for _, l := range learners {
		for _, ev := range l.events {
			if ev.status == http.StatusOK && ev.end.Before(stopCalled) {
				healthy = append(healthy, ev.end.Sub(ev.start))
			}
		}
	}
	slices.Sort(healthy)
	t.Logf("/readyz 200 %v after pg_ctl start returned; completions with the database healthy take p50 %v, p99 %v",
		ready.Round(time.Millisecond), healthy[len(healthy)/2].Round(time.Millisecond), healthy[len(healthy)*99/100].Round(time.Millisecond))
	if ready > time.Second+100*time.Millisecond {
		t.Errorf("the first /readyz answered 200 was sent %v after the database was back, want at most 1 s (+100 ms)", ready)
	}
	limit := back.Add(time.Second)
	var total, ok2xx, unavailable, lateUnavailable int
	var sent, answered []time.Duration // per client: its first 2xx after the restart
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 15 {
			t.Errorf(format, args...)
		}
	}
	for _, l := range learners {
		first := -1
		for k, ev := range l.events {
			total++
			switch {
			case ev.err != "":
				report("%s, lesson %s at %s: no answer: %s", l.email, ev.lesson, ev.start.Format("15:04:05.000"), ev.err)
			case ev.status/100 == 2:
				ok2xx++
				if first < 0 && !ev.end.Before(back) {
					first = k
				}
			case ev.status == http.StatusServiceUnavailable:
				unavailable++
				if !ev.start.Before(back) {
					lateUnavailable++
				}
				if ev.retryAfter == "" {
					report("%s, lesson %s: 503 without Retry-After", l.email, ev.lesson)
				}
				if ev.end.Before(stopCalled) {
					report("%s, lesson %s: 503 at %s, before the database was stopped", l.email, ev.lesson, ev.end.Format("15:04:05.000"))
				}
				if ev.start.After(limit) {
					report("%s, lesson %s: 503 to a request sent at %s, %v after the database was back (the pool has not recovered)", l.email, ev.lesson,
						ev.start.Format("15:04:05.000"), ev.start.Sub(back).Round(time.Millisecond))
				}
			default:
				report("%s, lesson %s at %s: status %d, want 2xx or 503", l.email, ev.lesson, ev.start.Format("15:04:05.000"), ev.status)
			}
		}
		if first < 0 {
			report("%s: no 2xx after the database was back", l.email)
			continue
		}
		sent = append(sent, max(0, l.events[first].start.Sub(back)))
		answered = append(answered, l.events[first].end.Sub(back))
	}
	if len(sent) == 0 {
		t.Fatal("no client got a 2xx after the restart")
	}
	slices.Sort(sent)
	slices.Sort(answered)
	before := 0
	for _, l := range learners {
		if l.completedSeen.Before(stopCalled) {
			before++
		}
	}
	t.Logf("%d completion requests: %d 2xx, %d 503 (%d of them sent after the restart), %d other failures", total, ok2xx, unavailable, lateUnavailable, bad)
	t.Logf("each client's first 2xx after pg_ctl start returned: sent after %v (median) to %v (slowest), answered after %v to %v",
		sent[len(sent)/2].Round(time.Millisecond), sent[len(sent)-1].Round(time.Millisecond),
		answered[len(answered)/2].Round(time.Millisecond), answered[len(answered)-1].Round(time.Millisecond))
	t.Logf("enrolments completed before the stop: %d; after the restart: %d", before, len(learners)-before)
	if unavailable == 0 {
		t.Error("no 503 at all: the restart did not reach the requests")
	}

	// What the database holds, read afresh.
	checkAfterRestart(t, ctx, pg.dsn(), learners)
}

// load completes lessons in course order for one learner until stop: the
// first phaseA of them (over and over) until phaseB, then all. After a
// 503 or any failure it waits backoff and tries the same lesson again.
func (l *faultLearner) load(ctx context.Context, phaseB, stop *atomic.Bool, downAt, backAt *atomic.Int64, backoff time.Duration) {
	i, passes := 0, 0
	for ctx.Err() == nil && !stop.Load() {
		n := len(l.course.lessons)
		if !phaseB.Load() {
			n = l.phaseA
		}
		if i >= n {
			i = 0
		}
		lesson := l.course.lessons[i]
		ev := faultEvent{start: time.Now(), lesson: lesson.key}
		l.sent[lesson.key] = true
		resp, answer, err := l.api.request(ctx, http.MethodPost, completionPath(lesson.id), nil)
		if resp != nil {
			var body apiCompletion
			derr := err
			if derr == nil {
				derr = json.Unmarshal(answer, &body)
			}
			ev.status, ev.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
			if ev.status == http.StatusOK && (derr != nil || !body.Completed || body.Lesson != lesson.id) {
				ev.err = fmt.Sprintf("200 that does not confirm lesson %d: %+v %v", lesson.id, body, derr)
			}
			if ev.status == http.StatusOK && body.Enrolment.Status == "completed" && l.completedSeen.IsZero() {
				l.completedSeen = time.Now()
				l.completed.Store(true)
			}
		} else {
			ev.err = err.Error()
		}
		ev.end = time.Now()
		l.events = append(l.events, ev)
		if ev.err == "" && ev.status == http.StatusOK {
			l.acked[lesson.key] = true
			if down := downAt.Load(); down == 0 && i+1 == l.phaseA {
				l.readyA.Store(true)
			}
			if i++; i == len(l.course.lessons) {
				passes++
			}
			// Done once every lesson is acknowledged and a request sent
			// more than a second after the restart succeeded: every
			// client is still asking when the pool must have recovered.
			if back := backAt.Load(); passes > 0 && back != 0 && ev.start.UnixNano() > back+int64(time.Second) {
				l.done.Store(true)
			}
			continue
		}
		if down := downAt.Load(); down != 0 && backAt.Load() == 0 && ev.status == http.StatusServiceUnavailable && ev.start.UnixNano() >= down {
			l.saw503.Store(true)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
	}
}

// checkAfterRestart reads the database directly: every acknowledged
// completion is stored and nothing else is; every enrolment is completed
// exactly once, in the transaction of one of its completions, with one
// certificate in force from that completion and its PDF job; and the
// statistics count what the enrolments say.
func checkAfterRestart(t *testing.T, ctx context.Context, dsn string, learners []*faultLearner) {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	type progress struct {
		Email       string    `bun:"email"`
		Key         string    `bun:"activity_key"`
		CompletedAt time.Time `bun:"completed_at"`
	}
	var rows []progress
	if err := d.NewRaw(`SELECT u.email, p.activity_key, p.completed_at FROM activity_progress p
		JOIN enrolments e ON e.id = p.enrolment_id JOIN users u ON u.id = e.user_id`).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	stored := map[string]map[string]time.Time{}
	for _, r := range rows {
		if stored[r.Email] == nil {
			stored[r.Email] = map[string]time.Time{}
		}
		stored[r.Email][r.Key] = r.CompletedAt.UTC()
	}
	type enrolment struct {
		ID          int64      `bun:"id"`
		Email       string     `bun:"email"`
		Slug        string     `bun:"slug"`
		CompletedAt *time.Time `bun:"completed_at"`
		Kind        string     `bun:"completion_kind"`
		Certs       int        `bun:"certs"`
		CertAt      *time.Time `bun:"cert_completed_at"`
		CertID      *int64     `bun:"cert_id"`
		Jobs        int        `bun:"jobs"`
	}
	var enrolments []enrolment
	if err := d.NewRaw(`SELECT e.id, u.email, c.slug, e.completed_at, e.completion_kind,
		(SELECT COUNT(*) FROM certificates ct WHERE ct.enrolment_id = e.id AND ct.revoked_at IS NULL) AS certs,
		(SELECT MAX(ct.completed_at) FROM certificates ct WHERE ct.enrolment_id = e.id AND ct.revoked_at IS NULL) AS cert_completed_at,
		(SELECT MAX(ct.id) FROM certificates ct WHERE ct.enrolment_id = e.id AND ct.revoked_at IS NULL) AS cert_id,
		(SELECT COUNT(*) FROM river_job j JOIN certificates ct ON ct.enrolment_id = e.id
			WHERE j.kind = 'certificate' AND (j.args->>'certificate_id')::bigint = ct.id) AS jobs
		FROM enrolments e JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id`).Scan(ctx, &enrolments); err != nil {
		t.Fatal(err)
	}
	byEmail := map[string]enrolment{}
	for _, e := range enrolments {
		byEmail[e.Email] = e
	}
	var certificates int
	if err := d.NewRaw(`SELECT COUNT(*) FROM certificates`).Scan(ctx, &certificates); err != nil {
		t.Fatal(err)
	}

	completed, unacked := 0, 0
	for _, l := range learners {
		got := stored[l.email]
		for key := range l.acked {
			if _, ok := got[key]; !ok {
				t.Errorf("%s: the acknowledged completion of %s is not stored", l.email, key)
			}
		}
		for key := range got {
			if !l.sent[key] && key != l.course.quizKey {
				t.Errorf("%s: progress on %s, which was never sent", l.email, key)
			}
			if !l.acked[key] && key != l.course.quizKey {
				unacked++ // committed, but the answer was lost with the connection: allowed
			}
		}
		e, ok := byEmail[l.email]
		if !ok {
			t.Errorf("%s: no enrolment", l.email)
			continue
		}
		all := len(got) == l.course.activities
		switch {
		case e.CompletedAt == nil:
			t.Errorf("%s: enrolment not completed with %d of %d activities done", l.email, len(got), l.course.activities)
		case !all:
			t.Errorf("%s: enrolment completed with %d of %d activities done", l.email, len(got), l.course.activities)
		default:
			completed++
			at := e.CompletedAt.UTC()
			inTx := false
			for _, p := range got {
				inTx = inTx || p.Equal(at)
			}
			if !inTx {
				t.Errorf("%s: completed at %v, the time of none of its completions (not in the last one's transaction)", l.email, at)
			}
			if e.Kind != string(courses.CompletionRule) {
				t.Errorf("%s: completion kind %q, want %q", l.email, e.Kind, courses.CompletionRule)
			}
			if e.Certs != 1 || e.CertAt == nil || !e.CertAt.UTC().Equal(at) {
				t.Errorf("%s: %d certificates in force (completed at %v), want one for the completion at %v", l.email, e.Certs, e.CertAt, at)
			}
			if e.Jobs < 1 {
				t.Errorf("%s: certificate %v has no PDF job", l.email, e.CertID)
			}
		}
	}
	if certificates != completed {
		t.Errorf("%d certificates for %d completed enrolments", certificates, completed)
	}
	t.Logf("stored: %d progress rows (%d never acknowledged, all of them sent), %d completed enrolments, %d certificates",
		len(rows), unacked, completed, certificates)

	// The statistics: the roll-ups plus the deltas against an independent count.
	counts, sum, err := db.NewStatsService(d).Counts(ctx, courses.StatsFilter{From: 200001, To: 299912}, courses.ByCourse)
	if err != nil {
		t.Fatal(err)
	}
	var truth []struct {
		CourseID  int64 `bun:"course_id"`
		Enrolled  int   `bun:"enrolled"`
		Completed int   `bun:"completed"`
	}
	if err := d.NewRaw(`SELECT course_id, COUNT(*) AS enrolled, COUNT(completed_at) AS completed FROM enrolments GROUP BY course_id`).Scan(ctx, &truth); err != nil {
		t.Fatal(err)
	}
	want := courses.StatsCount{}
	for _, tr := range truth {
		want.Enrolled += tr.Enrolled
		want.Completed += tr.Completed
		i := slices.IndexFunc(counts, func(c courses.StatsCount) bool { return c.Key == strconv.FormatInt(tr.CourseID, 10) })
		if i < 0 || counts[i].Enrolled != tr.Enrolled || counts[i].Completed != tr.Completed {
			got := courses.StatsCount{}
			if i >= 0 {
				got = counts[i]
			}
			t.Errorf("statistics of course %d: %d enrolled, %d completed; the enrolments say %d and %d",
				tr.CourseID, got.Enrolled, got.Completed, tr.Enrolled, tr.Completed)
		}
	}
	if sum.Enrolled != want.Enrolled || sum.Completed != want.Completed || want.Enrolled != len(learners) {
		t.Errorf("statistics: %d enrolled, %d completed; the enrolments say %d and %d (learners: %d)",
			sum.Enrolled, sum.Completed, want.Enrolled, want.Completed, len(learners))
	}
}
