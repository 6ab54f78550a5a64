package main

// Child processes, the raadzaam server, the throwaway PostgreSQL database,
// and what /proc says about processes: as in bench/catalogue and
// bench/completions.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the throwaway database
)

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

// instance is everything about one database's run: where the server keeps
// its data and how it reaches its database.
type instance struct {
	kind    string // sqlite or postgres
	sup     *supervisor
	tmp     string
	bin     string
	dataDir string
	dsn     string // what db.Open takes: sqlite:PATH or the PostgreSQL URL
	dbURL   string // DATABASE_URL for PostgreSQL, empty for SQLite
	dbName  string // the throwaway PostgreSQL database, empty for SQLite
	logPath string
	// port is the servers' port, the same for every start: the base URL,
	// which access tokens name, stays the same.
	port int
}

// server is one running raadzaam process.
type server struct {
	*child
	base string // http://127.0.0.1:PORT
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (in *instance) serverEnv(port int) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PORT" || k == "DATABASE_URL" || strings.HasPrefix(k, "RAADZAAM_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PORT="+strconv.Itoa(port), "RAADZAAM_DATA="+in.dataDir, "RAADZAAM_DEMO=off",
		fmt.Sprintf("RAADZAAM_BASE_URL=http://127.0.0.1:%d", port),
		// Sign-ins come from addresses of their own (Fly-Client-IP): see
		// the package comment.
		"RAADZAAM_TRUSTED_PROXIES=127.0.0.1/32")
	if in.dbURL != "" {
		env = append(env, "DATABASE_URL="+in.dbURL)
	}
	return env
}

// startServer starts raadzaam (on a free port the first time, then on the
// same one) and returns once /healthz answered 200, with the time from exec
// to that answer.
func (in *instance) startServer(ctx context.Context, name string) (*server, time.Duration, error) {
	if in.port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		in.port = p
	}
	port := in.port
	logFile, err := os.OpenFile(in.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(in.bin)
	cmd.Dir = in.tmp
	cmd.Env = in.serverEnv(port)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	t0 := time.Now()
	c, err := in.sup.start(name, cmd)
	if err != nil {
		return nil, 0, err
	}
	s := &server{child: c, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	d, err := waitHealthy(ctx, s, t0, 60*time.Second)
	if err != nil {
		_ = in.sup.stop(c, 5*time.Second)
		return nil, 0, fmt.Errorf("%s: %w\n--- end of %s ---\n%s", name, err, in.logPath, tail(in.logPath, 2000))
	}
	return s, d, nil
}

// waitHealthy polls /healthz every millisecond until it answers 200.
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

func postgresSettings(ctx context.Context, dsn string) string {
	d, err := sql.Open("pgx", dsn)
	if err != nil {
		return "PostgreSQL"
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var v, sc, fs string
	if err := d.QueryRowContext(ctx, "SELECT current_setting('server_version'), current_setting('synchronous_commit'), current_setting('fsync')").Scan(&v, &sc, &fs); err != nil {
		return "PostgreSQL"
	}
	return fmt.Sprintf("PostgreSQL %s (synchronous_commit=%s, fsync=%s)", strings.Fields(v)[0], sc, fs)
}

// ---------------------------------------------------------------------------
// /proc: memory and CPU

// procMemory reads VmRSS and VmHWM (bytes) of a process.
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

const clockTick = 10 * time.Millisecond

// procCPU returns user+system CPU of process pid from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick, nil
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU returns the CPU used so far by the PostgreSQL backends of
// database name, by pid.
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

// cpuSample is the CPU used so far by this process, the server and the
// PostgreSQL backends of the throwaway database.
type cpuSample struct {
	self, server time.Duration
	pg           map[int]time.Duration
}

func takeCPU(serverPID int, pgName string) cpuSample {
	var s time.Duration
	if serverPID != 0 {
		s, _ = procCPU(serverPID)
	}
	return cpuSample{self: selfCPU(), server: s, pg: postgresCPU(pgName)}
}

// cpuUse is the CPU used between two samples.
type cpuUse struct {
	self, server, pg time.Duration
}

func (b cpuSample) to(a cpuSample) cpuUse {
	u := cpuUse{self: a.self - b.self, server: a.server - b.server}
	for pid, t := range a.pg {
		u.pg += t - b.pg[pid] // a backend that started in between counts whole
	}
	return u
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ---------------------------------------------------------------------------
// Machine

type machine struct {
	cpus    int
	model   string
	memory  int64
	kernel  string
	loadavg string
}

func loadAvg() string {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			return strings.Join(f[:3], " ")
		}
	}
	return "unknown"
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), model: "unknown CPU", loadavg: loadAvg()}
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
	return m
}
