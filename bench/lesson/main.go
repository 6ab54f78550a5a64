// Command lesson measures, in one run, what BENCHMARKS.md reports in the
// section "Lesson page and course import (issue 4)":
//
//   - a lesson page as a signed-in learner (GET /leren/SLUG/MODULE/ACTIVITY
//     with the session cookies) of a freshly built raadzaam binary, against
//     a bare Fiber v2 handler, in this process, that sends exactly the same
//     bytes: throughput, p50/p99 latency, errors and the ratio of the two,
//     plus the CPU each server (and, with -db postgres, the PostgreSQL
//     backends) spent per request.
//
// The server starts with RAADZAAM_DEMO=on on a fresh RAADZAAM_DATA, so that
// it seeds the catalogue and the demo accounts and prints their passwords on
// stdout once. The benchmark reads the learner's password from there, signs
// in through the real form (GET /inloggen for the CSRF cookie and field,
// POST /inloggen), enrols (POST /cursussen/SLUG/inschrijven), follows
// GET /leren/SLUG to the first lesson and loads that lesson.
//
// Usage, from anywhere inside the module:
//
//	go run ./bench/lesson [-duration 10s] [-connections 32] [-db sqlite|postgres]
//
// Like bench/catalogue (whose approach and flags this copies), the load
// generator is wrk when it is on PATH, otherwise a Go client; both servers
// get the same requests (path, Accept-Language and Cookie header) in
// alternating runs. The access token is a JWT valid 15 minutes: the
// benchmark signs in again before a run that would outlive it, and checks
// after every run that the lesson still answers 200 with the same bytes
// (an expired token would turn every request into a 303 to /inloggen,
// which wrk does not count as an error). The refresh cookie is never sent
// under load: 32 connections rotating one refresh token at once would trip
// its reuse detection and revoke the session.
//
// Everything listens on and connects to loopback only, every step is bounded
// in time, and every child process is started in its own process group and
// stopped (SIGTERM, then SIGKILL) on every exit path. The Markdown report
// goes to stdout, progress to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the throwaway database
)

// goalRatio is the goal: lesson ÷ bare throughput.
const goalRatio = 0.25

type options struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	rounds      int
	db          string
	pgAdminURL  string
	client      string
	lang        string
	course      string
	email       string
}

// Environment of the bare server when it runs as a child process of the
// benchmark (with the Go client, see startBareChild).
const (
	envBareBody = "RAADZAAM_BENCH_BARE_BODY"
	envBareAddr = "RAADZAAM_BENCH_BARE_ADDR"
)

func main() {
	if path := os.Getenv(envBareBody); path != "" {
		if err := serveBareChild(path, os.Getenv(envBareAddr)); err != nil {
			fmt.Fprintln(os.Stderr, "bench (bare server):", err)
			os.Exit(1)
		}
		return
	}
	o := options{}
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured load run")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unreported warm-up load on each server before the rounds (0 = none)")
	flag.IntVar(&o.connections, "connections", 32, "concurrent keep-alive connections")
	flag.IntVar(&o.threads, "threads", 0, "wrk threads (0 = min(CPUs, connections))")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of alternating runs (bare, lesson); the best run of each is reported")
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres")
	flag.StringVar(&o.pgAdminURL, "pg-admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL URL used to create and drop the throwaway database (loopback only)")
	flag.StringVar(&o.client, "client", "auto", "load generator: auto (wrk if on PATH), wrk or go")
	flag.StringVar(&o.lang, "lang", "nl", "Accept-Language of every request")
	flag.StringVar(&o.course, "course", "nieuw-in-de-raad", "slug of the course to enrol in; its first lesson is loaded")
	flag.StringVar(&o.email, "email", "raadslid@demo.raadzaam.nl", "demo account to sign in as (a learner without a second factor)")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Everything, including building the binary, must end in bounded time.
	budget := 10*time.Minute + time.Duration(2*o.rounds+2)*(o.duration+o.warmup+30*time.Second)
	ctx, cancel := context.WithTimeout(ctx, budget)
	err := run(ctx, o, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (o *options) validate() error {
	switch {
	case o.duration < time.Second || o.duration > 10*time.Minute:
		return errors.New("-duration must be between 1s and 10m (the access token lives 15 minutes)")
	case o.warmup < 0 || o.warmup > time.Minute:
		return errors.New("-warmup must be between 0 and 1m")
	case o.connections < 1 || o.connections > 4096:
		return errors.New("-connections must be between 1 and 4096")
	case o.threads < 0 || o.threads > 256:
		return errors.New("-threads must be between 0 and 256")
	case o.rounds < 1 || o.rounds > 20:
		return errors.New("-rounds must be between 1 and 20")
	case o.db != "sqlite" && o.db != "postgres":
		return errors.New("-db must be sqlite or postgres")
	case o.client != "auto" && o.client != "wrk" && o.client != "go":
		return errors.New("-client must be auto, wrk or go")
	case !slugRE.MatchString(o.course):
		return errors.New("-course must be a course slug")
	case !strings.Contains(o.email, "@") || strings.ContainsAny(o.email, " \t\r\n"):
		return errors.New("-email must be an e-mail address")
	}
	if o.threads == 0 {
		o.threads = min(runtime.NumCPU(), o.connections)
	}
	o.threads = min(o.threads, o.connections) // wrk needs connections >= threads
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// ---------------------------------------------------------------------------
// Child processes (as in bench/catalogue)

// child is a process started by the benchmark in its own process group.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has been reaped
	err  error         // Wait's result, valid after done
}

// supervisor knows every running child, so that all of them can be stopped
// on any exit path.
type supervisor struct {
	mu       sync.Mutex
	children map[*child]struct{}
}

func newSupervisor() *supervisor { return &supervisor{children: map[*child]struct{}{}} }

// start starts cmd in a new process group; the kernel also kills it should
// this process die without running its deferred cleanup.
func (s *supervisor) start(name string, cmd *exec.Cmd) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	s.mu.Lock()
	s.children[c] = struct{}{}
	s.mu.Unlock()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// stop sends SIGTERM to the child's process group, waits up to grace for
// the child to exit, then kills the group. It returns an error when the
// child had to be killed.
func (s *supervisor) stop(c *child, grace time.Duration) error {
	defer func() {
		s.mu.Lock()
		delete(s.children, c)
		s.mu.Unlock()
	}()
	pgid := c.cmd.Process.Pid
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
		return nil
	case <-t.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed", c.name, grace)
	}
}

// stopAll stops every child that still runs.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	list := make([]*child, 0, len(s.children))
	for c := range s.children {
		list = append(list, c)
	}
	s.mu.Unlock()
	for _, c := range list {
		if err := s.stop(c, 5*time.Second); err != nil {
			logf("%v", err)
		}
	}
}

// runToEnd runs cmd to completion, stopping it when ctx ends.
func (s *supervisor) runToEnd(ctx context.Context, name string, cmd *exec.Cmd) error {
	c, err := s.start(name, cmd)
	if err != nil {
		return err
	}
	select {
	case <-c.done:
		s.mu.Lock()
		delete(s.children, c)
		s.mu.Unlock()
		return c.err
	case <-ctx.Done():
		_ = s.stop(c, 2*time.Second)
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

// ---------------------------------------------------------------------------
// The raadzaam server

type bench struct {
	o       options
	sup     *supervisor
	tmp     string
	bin     string
	dataDir string
	dbURL   string // DATABASE_URL for PostgreSQL, empty for SQLite
	dbName  string // the throwaway PostgreSQL database, empty for SQLite
	logPath string
}

// server is one running raadzaam process.
type server struct {
	*child
	base string // http://127.0.0.1:PORT
}

func (b *bench) serverEnv(port int) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PORT" || k == "DATABASE_URL" || strings.HasPrefix(k, "RAADZAAM_") {
			continue
		}
		env = append(env, kv)
	}
	// Demo mode: the first start creates the demo accounts and prints their
	// passwords on stdout (app/seed.go, createDemoAccounts).
	env = append(env, "PORT="+strconv.Itoa(port), "RAADZAAM_DATA="+b.dataDir, "RAADZAAM_DEMO=on",
		fmt.Sprintf("RAADZAAM_BASE_URL=http://127.0.0.1:%d", port))
	if b.dbURL != "" {
		env = append(env, "DATABASE_URL="+b.dbURL)
	}
	return env
}

// startServer starts raadzaam on a free port and returns once /healthz
// answered 200, with the time from exec to that answer. Its stdout and
// stderr go to b.logPath.
func (b *bench) startServer(ctx context.Context, name string) (*server, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	logFile, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(b.bin)
	cmd.Dir = b.tmp
	cmd.Env = b.serverEnv(port)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	t0 := time.Now()
	c, err := b.sup.start(name, cmd)
	if err != nil {
		return nil, 0, err
	}
	s := &server{child: c, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	d, err := waitHealthy(ctx, s, t0, 30*time.Second)
	if err != nil {
		_ = b.sup.stop(c, 5*time.Second)
		return nil, 0, fmt.Errorf("%s: %w\n--- end of %s ---\n%s", name, err, b.logPath, tail(b.logPath, 2000))
	}
	return s, d, nil
}

// waitHealthy polls /healthz every millisecond until it answers 200 and
// returns the time since t0.
func waitHealthy(ctx context.Context, s *server, t0 time.Time, limit time.Duration) (time.Duration, error) {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Second}
	deadline := t0.Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/healthz", nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		select {
		case <-s.done:
			return 0, fmt.Errorf("exited before /healthz answered: %v", s.err)
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("/healthz did not answer 200 within %s", limit)
		}
		time.Sleep(time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n bytes of the file at path.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// demoPassword finds the password printed for email in the server's output:
// the table "Demo accounts (passwords are shown only now):" of
// createDemoAccounts, one "  ROLE  EMAIL  PASSWORD" line per account.
func demoPassword(logPath, email string) (string, error) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return "", err
	}
	re := regexp.MustCompile(`(?m)^\s+\S+\s+` + regexp.QuoteMeta(email) + `\s+(\S+)\s*$`)
	m := re.FindSubmatch(b)
	if m == nil {
		if !bytes.Contains(b, []byte("Demo accounts")) {
			return "", errors.New("the server printed no demo accounts (was the database not empty?)")
		}
		return "", fmt.Errorf("no password for %s in the demo accounts the server printed", email)
	}
	return string(m[1]), nil
}

// ---------------------------------------------------------------------------
// The learner: signing in through the forms, as a browser does

// learner is a browser session of the demo learner.
type learner struct {
	base, email, password, lang string
	client                      *http.Client
	cookies                     map[string]string
	accessExpiry                time.Time
	signIn                      time.Duration // the last POST /inloggen
}

func newLearner(base, email, password, lang string) *learner {
	tr := &http.Transport{DisableCompression: true, Proxy: nil, MaxIdleConnsPerHost: 1}
	return &learner{base: base, email: email, password: password, lang: lang, cookies: map[string]string{},
		client: &http.Client{Transport: tr, Timeout: 15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (l *learner) close() { l.client.CloseIdleConnections() }

// cookieHeader is the Cookie header of every request: every cookie the
// server set except the refresh token (see the package comment).
func (l *learner) cookieHeader() string {
	names := make([]string, 0, len(l.cookies))
	for k := range l.cookies {
		if k != "rz_refresh" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + l.cookies[k]
	}
	return strings.Join(parts, "; ")
}

// do sends one request (a form POST when form is not nil), keeps the cookies
// the answer sets and returns the answer with its whole body.
func (l *learner) do(ctx context.Context, method, path string, form url.Values) (*http.Response, []byte, time.Duration, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, body)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Accept-Language", l.lang)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if h := l.cookieHeader(); h != "" {
		req.Header.Set("Cookie", h)
	}
	t0 := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, c := range resp.Cookies() {
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(l.cookies, c.Name)
			continue
		}
		l.cookies[c.Name] = c.Value
		if c.Name == "rz_access" {
			l.accessExpiry = c.Expires
		}
	}
	return resp, b, d, nil
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the sign-in form, which must be the one
// of the rz_csrf cookie (double submit).
func (l *learner) csrf(ctx context.Context) (string, error) {
	resp, body, _, err := l.do(ctx, http.MethodGet, "/inloggen", nil)
	if err != nil {
		return "", fmt.Errorf("GET /inloggen: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /inloggen: %s", resp.Status)
	}
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return "", errors.New("GET /inloggen: no _csrf field in the form")
	}
	if string(m[1]) != l.cookies["rz_csrf"] {
		return "", errors.New("GET /inloggen: the _csrf field is not the rz_csrf cookie")
	}
	return string(m[1]), nil
}

// signInAgain signs in through the form: a new session with a fresh access
// token (valid 15 minutes). The CSRF cookie stays the same, so the pages
// stay byte for byte the same.
func (l *learner) signInAgain(ctx context.Context) error {
	// Signed in, GET /inloggen would redirect: sign in as a new visitor
	// who keeps only the CSRF cookie.
	delete(l.cookies, "rz_access")
	delete(l.cookies, "rz_refresh")
	token, err := l.csrf(ctx)
	if err != nil {
		return err
	}
	resp, body, d, err := l.do(ctx, http.MethodPost, "/inloggen",
		url.Values{"_csrf": {token}, "email": {l.email}, "password": {l.password}})
	if err != nil {
		return fmt.Errorf("POST /inloggen: %w", err)
	}
	if resp.StatusCode != http.StatusSeeOther || l.cookies["rz_access"] == "" {
		return fmt.Errorf("POST /inloggen: %s, location %q, access cookie set: %v\n%.500s",
			resp.Status, resp.Header.Get("Location"), l.cookies["rz_access"] != "", body)
	}
	if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "/inloggen/code") || strings.HasPrefix(loc, "/account/tweestaps") {
		return fmt.Errorf("POST /inloggen: %s asks for a second factor (%s); pick a learner without one", l.email, loc)
	}
	if l.accessExpiry.IsZero() {
		l.accessExpiry = time.Now().Add(15 * time.Minute)
	}
	l.signIn = d
	return nil
}

// firstLesson enrols in course and returns the path of the lesson that
// GET /leren/SLUG sends the learner to.
func (l *learner) firstLesson(ctx context.Context, course string) (string, error) {
	token := l.cookies["rz_csrf"] // double submit: the field carries the cookie's token
	path := "/cursussen/" + course + "/inschrijven"
	resp, body, _, err := l.do(ctx, http.MethodPost, path, url.Values{"_csrf": {token}})
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/leren/"+course {
		return "", fmt.Errorf("POST %s: %s, location %q\n%.500s", path, resp.Status, resp.Header.Get("Location"), body)
	}
	resp, body, _, err = l.do(ctx, http.MethodGet, "/leren/"+course, nil)
	if err != nil {
		return "", fmt.Errorf("GET /leren/%s: %w", course, err)
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/leren/"+course+"/") {
		return "", fmt.Errorf("GET /leren/%s: %s, location %q\n%.500s", course, resp.Status, loc, body)
	}
	return loc, nil
}

// page GETs path as the signed-in learner and returns the body of a 200
// that set no cookie (a Set-Cookie would mean the load's requests differ
// from this one).
func (l *learner) page(ctx context.Context, path string) ([]byte, http.Header, time.Duration, error) {
	resp, body, d, err := l.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, 0, fmt.Errorf("GET %s: %s, location %q", path, resp.Status, resp.Header.Get("Location"))
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
		return nil, nil, 0, fmt.Errorf("GET %s set cookies %q: the load's requests would not be the same", path, sc)
	}
	return body, resp.Header, d, nil
}

// fetch GETs rawURL with the given headers, uncompressed (as wrk asks), and
// returns the body of a 200.
func fetch(ctx context.Context, rawURL string, header map[string]string) ([]byte, error) {
	tr := &http.Transport{DisableCompression: true, DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return body, nil
}

// ---------------------------------------------------------------------------
// CPU accounting

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux everywhere that matters).
const clockTick = 10 * time.Millisecond

// procCPU returns user+system CPU of process pid from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	// After ')': state is field 3; utime and stime are fields 14 and 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick, nil
}

// selfCPU returns user+system CPU of this process (not of its children).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU returns the CPU used so far by the PostgreSQL server processes
// serving database name on this machine, by pid (the process title names
// the database). Backends come and go, so callers compare by pid.
func postgresCPU(name string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if name == "" {
		return out
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil || !bytes.HasPrefix(cmd, []byte("postgres: ")) || !bytes.Contains(cmd, []byte(" "+name+" ")) {
			continue
		}
		if t, err := procCPU(pid); err == nil {
			out[pid] = t
		}
	}
	return out
}

func postgresDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid] // a new backend counts from 0
	}
	return d
}

// cpuMeter measures the CPU of the server under load (and of PostgreSQL's
// backends for the benchmark's database) over one run.
type cpuMeter struct {
	server func() time.Duration
	pgName string
}

type cpuSample struct {
	server time.Duration
	pg     map[int]time.Duration
}

func (m cpuMeter) sample() cpuSample {
	return cpuSample{server: m.server(), pg: postgresCPU(m.pgName)}
}

// ---------------------------------------------------------------------------
// Load generation

type loadResult struct {
	target   string // "bare" or "lesson"
	round    int
	rps      float64
	p50, p99 time.Duration
	requests int64
	errors   int64 // socket errors, timeouts, non-2xx/3xx, short bodies
	bytesReq float64
	cpuReq   time.Duration // the server process's CPU per request
	pgReq    time.Duration // PostgreSQL's CPU per request (lesson, -db postgres)
}

type loader interface {
	name() string
	load(ctx context.Context, target, rawURL string, header map[string]string, d time.Duration) (loadResult, error)
}

// wrkLoader runs wrk.
type wrkLoader struct {
	sup         *supervisor
	path        string
	version     string
	threads     int
	connections int
}

func (w *wrkLoader) name() string {
	return fmt.Sprintf("%s, %d threads, %d connections", w.version, w.threads, w.connections)
}

func (w *wrkLoader) load(ctx context.Context, target, rawURL string, header map[string]string, d time.Duration) (loadResult, error) {
	secs := max(1, int(math.Round(d.Seconds())))
	var out, errOut bytes.Buffer
	args := []string{"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.connections),
		"-d", strconv.Itoa(secs) + "s", "--timeout", "5s", "--latency"}
	keys := make([]string, 0, len(header))
	for k := range header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		args = append(args, "-H", k+": "+header[k])
	}
	cmd := exec.Command(w.path, append(args, rawURL)...)
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+30*time.Second)
	defer cancel()
	if err := w.sup.runToEnd(ctx, "wrk", cmd); err != nil {
		return loadResult{}, fmt.Errorf("%w %s", err, strings.TrimSpace(out.String()+"\n"+errOut.String()))
	}
	r, err := parseWrk(out.String())
	if err != nil {
		return loadResult{}, fmt.Errorf("%w in wrk output:\n%s", err, out.String())
	}
	r.target = target
	return r, nil
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkTotal    = regexp.MustCompile(`(?m)^\s*(\d+) requests in [0-9.]+\w+, ([0-9.]+)(B|KB|MB|GB|TB) read`)
	wrkPercent  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m|h)\s*$`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx3x = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func parseWrk(s string) (loadResult, error) {
	var r loadResult
	m := wrkRPS.FindStringSubmatch(s)
	if m == nil {
		return r, errors.New("no Requests/sec")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[m[3]]
		if r.requests > 0 {
			r.bytesReq = v * unit / float64(r.requests)
		}
	}
	for _, m := range wrkPercent.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
			"m": time.Minute, "h": time.Hour}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return r, errors.New("no latency distribution")
	}
	if m := wrkSocket.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			r.errors += n
		}
	}
	if m := wrkNon2xx3x.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r.errors += n
	}
	return r, nil
}

// goLoader is the fallback load generator: a fixed pool of keep-alive
// connections, one goroutine per connection, each sending its next request
// when the previous answer has been read completely. Any answer but a 200
// with the page's length is an error.
type goLoader struct {
	connections int
	wantBytes   int64
}

func (g *goLoader) name() string {
	return fmt.Sprintf("Go net/http client in the benchmark process, %d connections (competes with the servers for the CPUs: absolute numbers are lower than with wrk, the ratio is fair)", g.connections)
}

func (g *goLoader) load(ctx context.Context, target, rawURL string, header map[string]string, d time.Duration) (loadResult, error) {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        g.connections,
		MaxIdleConnsPerHost: g.connections,
		MaxConnsPerHost:     g.connections,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx, cancel := context.WithTimeout(ctx, d+10*time.Second)
	defer cancel()

	type worker struct {
		lat    []time.Duration
		errors int64
		bytes  int64
	}
	workers := make([]worker, g.connections)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 1<<14)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
			if err != nil {
				w.errors++
				return
			}
			for k, v := range header {
				req.Header.Set(k, v)
			}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					w.errors++
					time.Sleep(time.Millisecond)
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				w.lat = append(w.lat, time.Since(t))
				w.bytes += n
				if err != nil || resp.StatusCode != http.StatusOK || (g.wantBytes > 0 && n != g.wantBytes) {
					w.errors++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil && time.Now().Before(deadline) {
		return loadResult{}, ctx.Err()
	}
	var all []time.Duration
	r := loadResult{target: target}
	var bytesTotal int64
	for _, w := range workers {
		all = append(all, w.lat...)
		r.errors += w.errors
		bytesTotal += w.bytes
	}
	if len(all) == 0 {
		return r, errors.New("no request completed")
	}
	slices.Sort(all)
	r.requests = int64(len(all))
	r.rps = float64(len(all)) / elapsed.Seconds()
	r.p50 = all[len(all)*50/100]
	r.p99 = all[min(len(all)-1, len(all)*99/100)]
	r.bytesReq = float64(bytesTotal) / float64(len(all))
	return r, nil
}

// ---------------------------------------------------------------------------
// PostgreSQL throwaway database (as in bench/catalogue)

// createDatabase creates an empty database next to the one adminURL names
// and returns its URL, its name and a function that drops it.
func createDatabase(ctx context.Context, adminURL string) (string, string, func() error, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", nil, fmt.Errorf("-pg-admin-url: not a postgres:// URL")
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return "", "", nil, fmt.Errorf("-pg-admin-url: host %q is not loopback", h)
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", "", nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The name is made of digits only, so it needs no quoting.
	name := fmt.Sprintf("raadzaam_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	if _, err := admin.ExecContext(cctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", "", nil, fmt.Errorf("create database: %w", err)
	}
	logf("created database %s", name)
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
			logf("dropped database %s", name)
		}
		return err
	}
	return appURL.String(), name, drop, nil
}

func postgresVersion(ctx context.Context, dsn string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "PostgreSQL"
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "PostgreSQL"
	}
	return "PostgreSQL " + strings.Fields(v)[0]
}

// ---------------------------------------------------------------------------
// The run

type report struct {
	o          options
	machine    machine
	database   string
	loader     string
	bareWhere  string
	lessonPath string
	firstStart time.Duration // empty database: migrate, seed, demo accounts
	signIn     time.Duration // POST /inloggen (argon2id)
	signIns    int           // sign-ins in all, the first included
	pageBytes  int
	firstView  time.Duration // first view of the lesson (Markdown rendered, last activity set)
	laterView  time.Duration // second view
	rssAfter   int64         // raadzaam after the load
	runs       []loadResult
}

func run(ctx context.Context, o options, stdout io.Writer) (err error) {
	sup := newSupervisor()
	defer sup.stopAll()

	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("not inside the raadzaam module (go env GOMOD is empty)")
	}
	root := filepath.Dir(gomod)

	tmp, err := os.MkdirTemp("", "raadzaam-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &bench{o: o, sup: sup, tmp: tmp, bin: filepath.Join(tmp, "raadzaam"),
		dataDir: filepath.Join(tmp, "data"), logPath: filepath.Join(tmp, "server.log")}
	if err := os.Mkdir(b.dataDir, 0o700); err != nil {
		return err
	}
	rep := &report{o: o, machine: describeMachine()}

	// Load generator.
	var ld loader
	wrkPath, _ := exec.LookPath("wrk")
	switch {
	case o.client == "wrk" && wrkPath == "":
		return errors.New("-client wrk: wrk is not on PATH (apt-get install -y wrk)")
	case o.client != "go" && wrkPath != "":
		ld = &wrkLoader{sup: sup, path: wrkPath, version: wrkVersion(ctx, wrkPath), threads: o.threads,
			connections: o.connections}
	default:
		if o.client == "auto" {
			logf("wrk not found on PATH: using the Go client (apt-get install -y wrk for cheaper load)")
		}
		ld = &goLoader{connections: o.connections}
	}

	// Build.
	logf("building %s/app", root)
	var buildOut bytes.Buffer
	build := exec.Command("go", "build", "-o", b.bin, "./app")
	build.Dir = root
	build.Stdout = &buildOut
	build.Stderr = &buildOut
	bctx, bcancel := context.WithTimeout(ctx, 5*time.Minute)
	err = sup.runToEnd(bctx, "go build", build)
	bcancel()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, buildOut.String())
	}

	// Database.
	rep.database = "SQLite (modernc, file in a fresh RAADZAAM_DATA)"
	if o.db == "postgres" {
		dsn, name, drop, cerr := createDatabase(ctx, o.pgAdminURL)
		if cerr != nil {
			return cerr
		}
		defer func() {
			sup.stopAll() // the server must have closed its connections first
			if derr := drop(); derr != nil {
				logf("drop database: %v", derr)
				if err == nil {
					err = derr
				}
			}
		}()
		b.dbURL, b.dbName = dsn, name
		rep.database = postgresVersion(ctx, dsn) + " on 127.0.0.1 (throwaway database)"
	}

	// One start: migrate, seed the catalogue and the demo accounts; the
	// server stays up for the load.
	logf("starting raadzaam on an empty database (migrate, seed, demo accounts)")
	s, d, err := b.startServer(ctx, "raadzaam")
	if err != nil {
		return err
	}
	rep.firstStart = d
	defer func() { _ = sup.stop(s.child, 10*time.Second) }()
	password, err := demoPassword(b.logPath, o.email)
	if err != nil {
		return err
	}

	// Sign in, enrol, find the first lesson, view it.
	ln := newLearner(s.base, o.email, password, o.lang)
	defer ln.close()
	if err := ln.signInAgain(ctx); err != nil {
		return err
	}
	rep.signIn, rep.signIns = ln.signIn, 1
	logf("signed in as %s (POST /inloggen %s), access token valid until %s", o.email, fmtDur(ln.signIn), ln.accessExpiry.Format(time.TimeOnly))
	lesson, err := ln.firstLesson(ctx, o.course)
	if err != nil {
		return err
	}
	rep.lessonPath = lesson
	page, hdr, d, err := ln.page(ctx, lesson)
	if err != nil {
		return err
	}
	rep.firstView = d
	again, _, d, err := ln.page(ctx, lesson)
	if err != nil {
		return err
	}
	rep.laterView = d
	if !bytes.Equal(page, again) {
		return fmt.Errorf("GET %s: two views of the lesson differ; the bare handler could not serve the same bytes", lesson)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return fmt.Errorf("GET %s: Content-Type %q, want text/html", lesson, ct)
	}
	if !bytes.Contains(page, []byte(`action="/uitloggen"`)) {
		return fmt.Errorf("GET %s: the page has no sign-out form: not signed in?", lesson)
	}
	rep.pageBytes = len(page)
	logf("lesson %s: %d bytes, first view %s, second %s", lesson, len(page), fmtDur(rep.firstView), fmtDur(rep.laterView))
	if g, ok := ld.(*goLoader); ok {
		g.wantBytes = int64(len(page))
	}

	// The bare app: in this process with wrk, in a child process of its own
	// with the Go client (which runs in this process), as in bench/catalogue.
	var bareBase, bareWhere string
	var bareCPU func() time.Duration
	if _, inProcess := ld.(*wrkLoader); inProcess {
		u, stopBare, err := startBare(page)
		if err != nil {
			return err
		}
		defer stopBare()
		bareBase, bareWhere, bareCPU = u, "in the benchmark process", selfCPU
	} else {
		u, c, stopBare, err := b.startBareChild(ctx, page)
		if err != nil {
			return err
		}
		defer stopBare()
		pid := c.cmd.Process.Pid
		bareBase, bareWhere = u, "in a child process of its own"
		bareCPU = func() time.Duration { t, _ := procCPU(pid); return t }
	}
	rep.bareWhere = bareWhere
	headers := func() map[string]string {
		return map[string]string{"Accept-Language": o.lang, "Cookie": ln.cookieHeader()}
	}
	if got, err := fetch(ctx, bareBase+lesson, headers()); err != nil {
		return err
	} else if !bytes.Equal(got, page) {
		return errors.New("the bare handler does not serve the lesson's bytes")
	}
	if got, err := fetch(ctx, s.base+lesson, headers()); err != nil {
		return err
	} else if !bytes.Equal(got, page) {
		return errors.New("the lesson with the load's headers differs from the lesson fetched before")
	}
	serverPID := s.cmd.Process.Pid
	meters := map[string]cpuMeter{
		"bare":   {server: bareCPU},
		"lesson": {server: func() time.Duration { t, _ := procCPU(serverPID); return t }, pgName: b.dbName},
	}

	// fresh signs in again when the access token would expire during a run
	// of length d, and checks that the lesson is still the same page.
	fresh := func(d time.Duration) error {
		if time.Until(ln.accessExpiry) > d+time.Minute {
			return nil
		}
		logf("access token expires at %s: signing in again", ln.accessExpiry.Format(time.TimeOnly))
		if err := ln.signInAgain(ctx); err != nil {
			return err
		}
		rep.signIns++
		got, _, _, err := ln.page(ctx, lesson)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, page) {
			return errors.New("after signing in again the lesson's bytes differ")
		}
		return nil
	}
	// check confirms after a run that the lesson still answers 200 with the
	// same bytes (so no part of the run was redirects to /inloggen).
	check := func(r *loadResult) error {
		got, err := fetch(ctx, s.base+lesson, headers())
		if err != nil {
			return fmt.Errorf("after the %s run: %w", r.target, err)
		}
		if !bytes.Equal(got, page) {
			return fmt.Errorf("after the %s run the lesson's bytes differ", r.target)
		}
		if r.bytesReq > 0 && r.bytesReq < float64(len(page)) {
			return fmt.Errorf("%s run: %.0f bytes per response, less than the page's %d: not every answer was the page", r.target, r.bytesReq, len(page))
		}
		return nil
	}

	// Load: warm-up, then alternating runs.
	rep.loader = ld.name()
	targets := []struct{ name, url string }{{"bare", bareBase + lesson}, {"lesson", s.base + lesson}}
	if o.warmup > 0 {
		for _, t := range targets {
			if err := fresh(o.warmup); err != nil {
				return err
			}
			logf("warm-up %s (%s)", t.name, o.warmup)
			if _, err := ld.load(ctx, t.name, t.url, headers(), o.warmup); err != nil {
				return err
			}
		}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, t := range targets {
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
			if err := fresh(o.duration); err != nil {
				return err
			}
			logf("round %d: %s for %s", round, t.name, o.duration)
			m := meters[t.name]
			before := m.sample()
			r, err := ld.load(ctx, t.name, t.url, headers(), o.duration)
			if err != nil {
				return err
			}
			after := m.sample()
			if r.requests > 0 {
				r.cpuReq = (after.server - before.server) / time.Duration(r.requests)
				r.pgReq = postgresDelta(before.pg, after.pg) / time.Duration(r.requests)
			}
			r.round = round
			pgNote := ""
			if b.dbName != "" && t.name == "lesson" {
				pgNote = ", PostgreSQL CPU/request " + fmtDur(r.pgReq)
			}
			logf("  %.0f req/s, p50 %s, p99 %s, %d errors, server CPU/request %s%s",
				r.rps, fmtDur(r.p50), fmtDur(r.p99), r.errors, fmtDur(r.cpuReq), pgNote)
			if err := check(&r); err != nil {
				return err
			}
			rep.runs = append(rep.runs, r)
		}
	}
	select {
	case <-s.done:
		return fmt.Errorf("raadzaam exited during the load: %v\n%s", s.err, tail(b.logPath, 2000))
	default:
	}
	rep.rssAfter, _ = procRSS(serverPID)

	rep.write(stdout)
	return nil
}

// procRSS reads VmRSS (bytes) of a process from /proc.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[0] == "VmRSS:" && f[2] == "kB" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// startBareChild runs the bare app in a child process (this executable
// again) and returns its base URL, the child and a function that stops it.
func (b *bench) startBareChild(ctx context.Context, body []byte) (string, *child, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, nil, err
	}
	bodyPath := filepath.Join(b.tmp, "lesson.html")
	if err := os.WriteFile(bodyPath, body, 0o600); err != nil {
		return "", nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envBareBody+"="+bodyPath, envBareAddr+"="+addr)
	cmd.Stderr = os.Stderr
	c, err := b.sup.start("bare fiber", cmd)
	if err != nil {
		return "", nil, nil, err
	}
	stop := func() {
		if err := b.sup.stop(c, 5*time.Second); err != nil {
			logf("%v", err)
		}
	}
	if _, err := waitHealthy(ctx, &server{child: c, base: "http://" + addr}, time.Now(), 10*time.Second); err != nil {
		stop()
		return "", nil, nil, fmt.Errorf("bare fiber: %w", err)
	}
	return "http://" + addr, c, stop, nil
}

// serveBareChild is the child process of startBareChild: the bare app on
// addr until SIGINT or SIGTERM.
func serveBareChild(bodyPath, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return fmt.Errorf("%s must be a 127.0.0.1 address", envBareAddr)
	}
	body, err := os.ReadFile(bodyPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newBareApp(body)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return app.ShutdownWithTimeout(2 * time.Second)
}

// newBareApp is a bare Fiber app that answers every GET (so that it gets
// the lesson's very path and headers) with body as HTML, and /healthz for
// waitHealthy.
func newBareApp(body []byte) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body) // body is never modified
	})
	return app
}

// startBare serves body from a bare Fiber app on a loopback port in this
// process and returns its base URL and a function that stops it.
func startBare(body []byte) (string, func(), error) {
	app := newBareApp(body)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	stop := func() {
		if err := app.ShutdownWithTimeout(2 * time.Second); err != nil {
			logf("bare fiber shutdown: %v", err)
		}
		<-errc
	}
	return "http://" + ln.Addr().String(), stop, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func wrkVersion(ctx context.Context, path string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, path, "-v").CombinedOutput() // exits 1 after printing
	if f := strings.Fields(string(out)); len(f) >= 2 && f[0] == "wrk" {
		return "wrk " + f[1]
	}
	return "wrk"
}

// ---------------------------------------------------------------------------
// Machine and report

type machine struct {
	cpus    int
	model   string
	memory  int64
	kernel  string
	loadavg string
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), model: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.memory = kb * 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.loadavg = strings.Join(f[:3], " ")
		}
	}
	return m
}

func (r *report) best(target string) loadResult {
	var b loadResult
	for _, x := range r.runs {
		if x.target == target && x.rps > b.rps {
			b = x
		}
	}
	return b
}

func (r *report) write(w io.Writer) {
	bare, lesson := r.best("bare"), r.best("lesson")
	ratio := 0.0
	if bare.rps > 0 {
		ratio = lesson.rps / bare.rps
	}
	m := r.machine
	met := "yes"
	if ratio < goalRatio {
		met = "**no**"
	}
	pg := r.o.db == "postgres"

	fmt.Fprintf(w, "### %s — %s\n\n", r.o.db, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %d × %s, %s RAM, Linux %s, load average before the run %s\n",
		m.cpus, m.model, fmtGiB(m.memory), m.kernel, m.loadavg)
	fmt.Fprintf(w, "- Database: %s; %s, %s\n", r.database, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	fmt.Fprintf(w, "- Load: %s; `GET %s` as the signed-in learner (`Cookie: rz_access=…; rz_csrf=…`, `Accept-Language: %s`), "+
		"%s per run, %d round(s) of alternating runs (bare, lesson) after a %s warm-up of each, best run of each shown\n\n",
		r.loader, r.lessonPath, r.o.lang, r.o.duration, r.o.rounds, r.o.warmup)

	fmt.Fprintln(w, "| Measure | Result | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| Bare Fiber handler, same %s bytes (%s) | %s | | |\n", fmtInt(int64(r.pageBytes)), r.bareWhere, fmtLoad(bare))
	fmt.Fprintf(w, "| Lesson page, signed in | %s | | |\n", fmtLoad(lesson))
	fmt.Fprintf(w, "| Lesson ÷ bare throughput | %.2f× | ≥ %.2f× | %s |\n", ratio, goalRatio, met)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Also measured:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- Start on an empty database (migrate, seed, demo accounts with argon2id hashes): %s\n", fmtDur(r.firstStart))
	fmt.Fprintf(w, "- Sign-in through the form, `POST /inloggen`: %s (%d sign-in(s) in the run)\n", fmtDur(r.signIn), r.signIns)
	fmt.Fprintf(w, "- First view of the lesson (Markdown rendered into its cache, last activity stored): %s; second view: %s\n",
		fmtDur(r.firstView), fmtDur(r.laterView))
	fmt.Fprintf(w, "- raadzaam after the load: VmRSS %s\n", fmtMB(r.rssAfter))
	fmt.Fprintln(w)

	if pg {
		fmt.Fprintln(w, "| Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request | Server CPU/request | PostgreSQL CPU/request |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	} else {
		fmt.Fprintln(w, "| Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request | Server CPU/request |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	}
	for i, x := range r.runs {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %d | %s | %s |", i+1, x.target, fmtInt(int64(math.Round(x.rps))),
			fmtDur(x.p50), fmtDur(x.p99), fmtInt(x.requests), x.errors, fmtInt(int64(math.Round(x.bytesReq))), fmtDur(x.cpuReq))
		if pg {
			if x.target == "lesson" {
				fmt.Fprintf(w, " %s |", fmtDur(x.pgReq))
			} else {
				fmt.Fprint(w, " |")
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU per request: the server process's user+system CPU over the run (from `/proc`, 10 ms ticks) ÷ requests; "+
		"for the bare handler in the benchmark process that is this process's CPU (wrk runs in a child process of its own).")
}

func fmtLoad(r loadResult) string {
	return fmt.Sprintf("%s req/s, p50 %s, p99 %s, %d errors", fmtInt(int64(math.Round(r.rps))), fmtDur(r.p50), fmtDur(r.p99), r.errors)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}

func fmtMB(b int64) string  { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
func fmtGiB(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// fmtInt writes n with thousands separators: 12,345.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
