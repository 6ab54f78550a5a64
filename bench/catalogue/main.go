// Command catalogue measures, in one run, what BENCHMARKS.md reports:
//
//   - the catalogue page (GET / with Accept-Language: nl) of a freshly built
//     raadzaam binary against a bare Fiber v2 handler, in this process, that
//     sends exactly the same bytes: throughput, p50/p99 latency, errors and
//     the ratio of the two;
//   - the cold start: the time from exec to the first 200 from /healthz on
//     an existing (already migrated and seeded) database, over several starts;
//   - the idle memory: VmRSS and VmHWM of the last start after 2 s idle.
//
// Usage, from anywhere inside the module:
//
//	go run ./bench/catalogue [-duration 10s] [-connections 32] [-db sqlite|postgres]
//
// The load generator is wrk when it is on PATH (apt-get install -y wrk),
// otherwise a Go client with keep-alive and a fixed pool of connections. That
// client runs in this process and competes with the servers for the same
// cores, so its absolute numbers are lower than wrk's; both servers are loaded
// by the same client in alternating runs, so the ratio stays fair.
//
// Everything listens on and connects to loopback only (raadzaam itself binds
// PORT on every interface; the benchmark only ever connects to 127.0.0.1),
// every step is bounded in time, and every child process is started in its
// own process group and stopped (SIGTERM, then SIGKILL) on every exit path.
// The Markdown report goes to stdout, progress to stderr.
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

// Goals of the issue, checked in the report.
const (
	goalRatio     = 0.5
	goalColdStart = 300 * time.Millisecond
	goalIdleRSS   = 40_000_000 // bytes: 40 MB
)

type options struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	rounds      int
	starts      int
	idle        time.Duration
	db          string
	pgAdminURL  string
	client      string
	lang        string
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
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of alternating runs (bare, catalogue); the best run of each is reported")
	flag.IntVar(&o.starts, "starts", 5, "cold starts on the existing database")
	flag.DurationVar(&o.idle, "idle", 2*time.Second, "idle time after the last start before memory is read")
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres")
	flag.StringVar(&o.pgAdminURL, "pg-admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL URL used to create and drop the throwaway database (loopback only)")
	flag.StringVar(&o.client, "client", "auto", "load generator: auto (wrk if on PATH), wrk or go")
	flag.StringVar(&o.lang, "lang", "nl", "Accept-Language of every catalogue request")
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

func (o *options) validate() error {
	switch {
	case o.duration < time.Second || o.duration > 10*time.Minute:
		return errors.New("-duration must be between 1s and 10m")
	case o.warmup < 0 || o.warmup > time.Minute:
		return errors.New("-warmup must be between 0 and 1m")
	case o.connections < 1 || o.connections > 4096:
		return errors.New("-connections must be between 1 and 4096")
	case o.threads < 0 || o.threads > 256:
		return errors.New("-threads must be between 0 and 256")
	case o.rounds < 1 || o.rounds > 20:
		return errors.New("-rounds must be between 1 and 20")
	case o.starts < 1 || o.starts > 100:
		return errors.New("-starts must be between 1 and 100")
	case o.idle < 0 || o.idle > time.Minute:
		return errors.New("-idle must be between 0 and 1m")
	case o.db != "sqlite" && o.db != "postgres":
		return errors.New("-db must be sqlite or postgres")
	case o.client != "auto" && o.client != "wrk" && o.client != "go":
		return errors.New("-client must be auto, wrk or go")
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
// Child processes

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
	env = append(env, "PORT="+strconv.Itoa(port), "RAADZAAM_DATA="+b.dataDir, "RAADZAAM_DEMO=off",
		fmt.Sprintf("RAADZAAM_BASE_URL=http://127.0.0.1:%d", port))
	if b.dbURL != "" {
		env = append(env, "DATABASE_URL="+b.dbURL)
	}
	return env
}

// startServer starts raadzaam on a free port and returns once /healthz
// answered 200, with the time from exec to that answer.
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

// procMemory reads VmRSS and VmHWM (bytes) of a process from /proc.
func procMemory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[2] != "kB" {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v * 1024
		case "VmHWM:":
			hwm = v * 1024
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, hwm, nil
}

// fetch GETs url as a browser in language lang would, but without
// compression (as wrk asks), and returns the body and headers.
func fetch(ctx context.Context, rawURL, lang string) ([]byte, http.Header, time.Duration, error) {
	tr := &http.Transport{DisableCompression: true, DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Accept-Language", lang)
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	if err != nil {
		return nil, nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, 0, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return body, resp.Header, d, nil
}

// ---------------------------------------------------------------------------
// Load generation

type loadResult struct {
	target   string // "bare" or "catalogue"
	round    int
	rps      float64
	p50, p99 time.Duration
	requests int64
	errors   int64 // socket errors, timeouts, non-2xx/3xx, short bodies
	bytesReq float64
}

type loader interface {
	name() string
	load(ctx context.Context, target, rawURL string, d time.Duration) (loadResult, error)
}

// wrkLoader runs wrk.
type wrkLoader struct {
	sup         *supervisor
	path        string
	version     string
	threads     int
	connections int
	lang        string
}

func (w *wrkLoader) name() string {
	return fmt.Sprintf("%s, %d threads, %d connections", w.version, w.threads, w.connections)
}

func (w *wrkLoader) load(ctx context.Context, target, rawURL string, d time.Duration) (loadResult, error) {
	secs := max(1, int(math.Round(d.Seconds())))
	var out, errOut bytes.Buffer
	cmd := exec.Command(w.path, "-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.connections),
		"-d", strconv.Itoa(secs)+"s", "--timeout", "5s", "--latency", "-H", "Accept-Language: "+w.lang, rawURL)
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
// when the previous answer has been read completely.
type goLoader struct {
	connections int
	lang        string
	wantBytes   int64
}

func (g *goLoader) name() string {
	return fmt.Sprintf("Go net/http client in the benchmark process, %d connections (competes with the servers for the CPUs: absolute numbers are lower than with wrk, the ratio is fair)", g.connections)
}

func (g *goLoader) load(ctx context.Context, target, rawURL string, d time.Duration) (loadResult, error) {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        g.connections,
		MaxIdleConnsPerHost: g.connections,
		MaxConnsPerHost:     g.connections,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
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
			req.Header.Set("Accept-Language", g.lang)
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
				if err != nil || resp.StatusCode >= 400 || (g.wantBytes > 0 && n != g.wantBytes) {
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
// PostgreSQL throwaway database

// createDatabase creates an empty database next to the one adminURL names
// and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, adminURL string) (string, func() error, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-pg-admin-url: not a postgres:// URL")
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return "", nil, fmt.Errorf("-pg-admin-url: host %q is not loopback", h)
	}
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The name is made of digits only, so it needs no quoting.
	name := fmt.Sprintf("raadzaam_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	if _, err := admin.ExecContext(cctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
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
	return appURL.String(), drop, nil
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
	firstStart time.Duration // empty database: migrate and seed
	coldStarts []time.Duration
	stops      []time.Duration // SIGTERM → exit of an idle server
	rss, hwm   int64           // idle
	rssAfter   int64           // after the load
	hwmAfter   int64
	pageBytes  int
	firstPage  time.Duration // first GET / (renders into the page cache)
	cachedPage time.Duration // second GET / (from the cache)
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
			connections: o.connections, lang: o.lang}
	default:
		if o.client == "auto" {
			logf("wrk not found on PATH: using the Go client (apt-get install -y wrk for cheaper load)")
		}
		ld = &goLoader{connections: o.connections, lang: o.lang}
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
		dsn, drop, cerr := createDatabase(ctx, o.pgAdminURL)
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
		b.dbURL = dsn
		rep.database = postgresVersion(ctx, dsn) + " on 127.0.0.1 (throwaway database)"
	}

	// First start: migrate and seed an empty database.
	logf("first start on an empty database (migrate, seed)")
	s, d, err := b.startServer(ctx, "raadzaam (seed)")
	if err != nil {
		return err
	}
	rep.firstStart = d
	if err := sup.stop(s.child, 10*time.Second); err != nil {
		return err
	}

	// Cold starts on the existing database; the last one stays up.
	for i := 1; i <= o.starts; i++ {
		s, d, err = b.startServer(ctx, fmt.Sprintf("raadzaam (start %d)", i))
		if err != nil {
			return err
		}
		rep.coldStarts = append(rep.coldStarts, d)
		logf("cold start %d: %s", i, fmtDur(d))
		if i < o.starts {
			t := time.Now()
			if err := sup.stop(s.child, 10*time.Second); err != nil {
				return err
			}
			rep.stops = append(rep.stops, time.Since(t))
		}
	}
	defer func() { _ = sup.stop(s.child, 10*time.Second) }()

	// Idle memory.
	if err := sleep(ctx, o.idle); err != nil {
		return err
	}
	if rep.rss, rep.hwm, err = procMemory(s.cmd.Process.Pid); err != nil {
		return err
	}
	logf("idle memory: VmRSS %s, VmHWM %s", fmtMiB(rep.rss), fmtMiB(rep.hwm))

	// The catalogue page, and the same bytes from a bare Fiber handler.
	page, hdr, d, err := fetch(ctx, s.base+"/", o.lang)
	if err != nil {
		return err
	}
	rep.firstPage = d
	if _, _, rep.cachedPage, err = fetch(ctx, s.base+"/", o.lang); err != nil {
		return err
	}
	rep.pageBytes = len(page)
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return fmt.Errorf("GET /: Content-Type %q, want text/html", ct)
	}
	logf("catalogue: %d bytes, first render %s, cached %s", len(page), fmtDur(rep.firstPage), fmtDur(rep.cachedPage))
	if g, ok := ld.(*goLoader); ok {
		g.wantBytes = int64(len(page))
	}

	// With wrk, the bare app runs in this process, which is otherwise idle
	// during the load. The Go client runs in this process too, so then the
	// bare app gets a process of its own, as raadzaam has: sharing the
	// client's runtime (scheduler, GC) would handicap it.
	var bareURL, bareWhere string
	if _, inProcess := ld.(*wrkLoader); inProcess {
		u, stopBare, err := startBare(page)
		if err != nil {
			return err
		}
		defer stopBare()
		bareURL, bareWhere = u, "in the benchmark process"
	} else {
		u, stopBare, err := b.startBareChild(ctx, page)
		if err != nil {
			return err
		}
		defer stopBare()
		bareURL, bareWhere = u, "in a child process of its own"
	}
	rep.bareWhere = bareWhere
	if got, _, _, err := fetch(ctx, bareURL, o.lang); err != nil {
		return err
	} else if !bytes.Equal(got, page) {
		return errors.New("the bare handler does not serve the catalogue's bytes")
	}

	// Load: warm-up, then alternating runs.
	rep.loader = ld.name()
	targets := []struct{ name, url string }{{"bare", bareURL}, {"catalogue", s.base + "/"}}
	if o.warmup > 0 {
		for _, t := range targets {
			logf("warm-up %s (%s)", t.name, o.warmup)
			if _, err := ld.load(ctx, t.name, t.url, o.warmup); err != nil {
				return err
			}
		}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, t := range targets {
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
			logf("round %d: %s for %s", round, t.name, o.duration)
			r, err := ld.load(ctx, t.name, t.url, o.duration)
			if err != nil {
				return err
			}
			r.round = round
			logf("  %.0f req/s, p50 %s, p99 %s, %d errors", r.rps, fmtDur(r.p50), fmtDur(r.p99), r.errors)
			rep.runs = append(rep.runs, r)
		}
	}
	select {
	case <-s.done:
		return fmt.Errorf("raadzaam exited during the load: %v\n%s", s.err, tail(b.logPath, 2000))
	default:
	}
	if rep.rssAfter, rep.hwmAfter, err = procMemory(s.cmd.Process.Pid); err != nil {
		return err
	}

	rep.write(stdout)
	return nil
}

// startBareChild runs the bare app in a child process (this executable
// again) and returns its URL and a function that stops it.
func (b *bench) startBareChild(ctx context.Context, body []byte) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	bodyPath := filepath.Join(b.tmp, "catalogue.html")
	if err := os.WriteFile(bodyPath, body, 0o600); err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envBareBody+"="+bodyPath, envBareAddr+"="+addr)
	cmd.Stderr = os.Stderr
	c, err := b.sup.start("bare fiber", cmd)
	if err != nil {
		return "", nil, err
	}
	stop := func() {
		if err := b.sup.stop(c, 5*time.Second); err != nil {
			logf("%v", err)
		}
	}
	if _, err := waitHealthy(ctx, &server{child: c, base: "http://" + addr}, time.Now(), 10*time.Second); err != nil {
		stop()
		return "", nil, fmt.Errorf("bare fiber: %w", err)
	}
	return "http://" + addr + "/", stop, nil
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

// newBareApp is a bare Fiber app whose only route, GET / (and, for
// waitHealthy, /healthz), sends body as HTML.
func newBareApp(body []byte) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body) // body is never modified
	})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	return app
}

// startBare serves body on GET / from a bare Fiber app on a loopback port
// in this process and returns its URL and a function that stops it.
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
	return "http://" + ln.Addr().String() + "/", stop, nil
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

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (r *report) write(w io.Writer) {
	bare, cat := r.best("bare"), r.best("catalogue")
	ratio := 0.0
	if bare.rps > 0 {
		ratio = cat.rps / bare.rps
	}
	med, mx := median(r.coldStarts), slices.Max(r.coldStarts)
	m := r.machine
	met := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}

	fmt.Fprintf(w, "### %s — %s\n\n", r.o.db, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %d × %s, %s RAM, Linux %s, load average before the run %s\n",
		m.cpus, m.model, fmtGiB(m.memory), m.kernel, m.loadavg)
	fmt.Fprintf(w, "- Database: %s; %s, %s\n", r.database, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	fmt.Fprintf(w, "- Load: %s; `GET /` with `Accept-Language: %s`, %s per run, %d round(s) of alternating runs "+
		"(bare, catalogue) after a %s warm-up of each, best run of each shown\n\n", r.loader, r.o.lang, r.o.duration, r.o.rounds, r.o.warmup)

	fmt.Fprintln(w, "| Measure | Result | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| Bare Fiber handler, same %s bytes (%s) | %s | | |\n", fmtInt(int64(r.pageBytes)), r.bareWhere, fmtLoad(bare))
	fmt.Fprintf(w, "| Catalogue page `GET /` | %s | | |\n", fmtLoad(cat))
	fmt.Fprintf(w, "| Catalogue ÷ bare throughput | %.2f× | ≥ %.1f× | %s |\n", ratio, goalRatio, met(ratio >= goalRatio))
	fmt.Fprintf(w, "| Cold start, exec → first `/healthz` 200, existing DB (%d starts) | median %s, max %s | < %s | %s |\n",
		len(r.coldStarts), fmtDur(med), fmtDur(mx), fmtDur(goalColdStart), met(med < goalColdStart && mx < goalColdStart))
	fmt.Fprintf(w, "| Idle RSS, %s after the last start (VmRSS; VmHWM) | %s (%s); peak %s | < 40 MB | %s |\n",
		r.o.idle, fmtMB(r.rss), fmtMiB(r.rss), fmtMB(r.hwm), met(r.rss < goalIdleRSS))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Also measured:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- First start on an empty database (migrate + seed): %s\n", fmtDur(r.firstStart))
	fmt.Fprintf(w, "- Cold starts: %s\n", joinDurs(r.coldStarts))
	if len(r.stops) > 0 {
		fmt.Fprintf(w, "- Graceful stop of an idle server, SIGTERM → exit: median %s, max %s\n", fmtDur(median(r.stops)), fmtDur(slices.Max(r.stops)))
	}
	fmt.Fprintf(w, "- First `GET /` after start (render into the page cache): %s; second (cached): %s\n",
		fmtDur(r.firstPage), fmtDur(r.cachedPage))
	fmt.Fprintf(w, "- raadzaam after the load: VmRSS %s, VmHWM %s\n", fmtMB(r.rssAfter), fmtMB(r.hwmAfter))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for i, x := range r.runs {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %d | %s |\n", i+1, x.target, fmtInt(int64(math.Round(x.rps))),
			fmtDur(x.p50), fmtDur(x.p99), fmtInt(x.requests), x.errors, fmtInt(int64(math.Round(x.bytesReq))))
	}
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

func joinDurs(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmtDur(d)
	}
	return strings.Join(s, ", ")
}

func fmtMB(b int64) string  { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func fmtGiB(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// fmtInt writes n with thin thousands separators: 12,345.
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
