package main

// Benchmarks of sign-in cost and of the per-request cost of being signed in
// (JWT check plus the revocation check in the database), against the cost
// of a whole page. See bench/auth/README.md and BENCHMARKS.md, section
// "Accounts: sign-in cost and authenticated-request overhead".
//
// Besides ns/op (wall time) most benchmarks report cpu-ns/op: the user+sys
// CPU time of this whole process per operation (getrusage), so that the
// server goroutines, the client and the garbage collector are all counted.
// On PostgreSQL the database server's own CPU is in other processes and not
// in cpu-ns/op: it is reported as pg-cpu-ns/op, and with one client at a
// time it is inside ns/op.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/uptrace/bun"
)

// authBenchFillerSessions is how many other sessions the sessions table holds
// while the revocation check is measured, so that it is not a lookup in a
// table of one row.
const authBenchFillerSessions = 10_000

const authBenchEmail = "bench@example.nl"

// authBenchDB is a database to measure on. postgres-simple is PostgreSQL
// with pgx's simple query protocol (default_query_exec_mode=simple_protocol
// in DATABASE_URL) instead of its default statement cache: an experiment,
// not the production setting.
type authBenchDB struct {
	name      string
	kind      db.Kind
	dsnSuffix string
}

var authBenchDBs = []authBenchDB{
	{"sqlite", db.SQLite, ""},
	{"postgres", db.Postgres, ""},
	{"postgres-simple", db.Postgres, "&default_query_exec_mode=simple_protocol"},
}

// authBenchApp is newTestApp with DATABASE_URL extended by dsnSuffix.
func authBenchApp(b *testing.B, d authBenchDB) *application {
	b.Helper()
	if d.dsnSuffix == "" {
		return newTestApp(b, d.kind)
	}
	env := testEnv(b, d.kind, nil)
	env["DATABASE_URL"] += d.dsnSuffix
	cfg, err := loadConfig(getenvFrom(env))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dbh, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dbh.Close() })
	if err := seed(ctx, dbh, cfg, log, io.Discard); err != nil {
		b.Fatal(err)
	}
	keys, err := loadKeyRing("", cfg.DataDir)
	if err != nil {
		b.Fatal(err)
	}
	a, err := newApplication(cfg, log, dbh, keys)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// processCPU returns the user+system CPU time of this process so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresBackendsCPU returns the CPU time used so far by each PostgreSQL
// server process serving database name on this machine, by pid, from
// /proc (the process title names the database; clock ticks of 10 ms).
func postgresBackendsCPU(name string) map[int]time.Duration {
	out := map[int]time.Duration{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil || !strings.HasPrefix(string(cmd), "postgres: ") || !strings.Contains(string(cmd), " "+name+" ") {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command in parentheses; utime and stime are
		// fields 14 and 15 of the whole line.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+st) * 10 * time.Millisecond
	}
	return out
}

// cpuMeter reports cpu-ns/op for the timed part of a benchmark, and on
// PostgreSQL pg-cpu-ns/op, the CPU of the database's server processes.
type cpuMeter struct {
	b       *testing.B
	start   time.Duration
	pgName  string
	pgStart map[int]time.Duration
}

// startCPU resets the benchmark timer and starts counting CPU time; a, when
// not nil, is the application whose PostgreSQL backends are counted too.
func startCPU(b *testing.B, a *application) *cpuMeter {
	m := &cpuMeter{b: b}
	if a != nil && a.db.Kind == db.Postgres {
		u, err := url.Parse(a.cfg.DatabaseURL)
		if err != nil {
			b.Fatal(err)
		}
		m.pgName = strings.TrimPrefix(u.Path, "/")
	}
	b.ReportAllocs()
	b.ResetTimer()
	if m.pgName != "" {
		m.pgStart = postgresBackendsCPU(m.pgName)
	}
	m.start = processCPU(b)
	return m
}

// stop stops the timer and reports cpu-ns/op; it returns CPU ns per op.
func (m *cpuMeter) stop() float64 {
	m.b.StopTimer()
	perOp := float64(processCPU(m.b)-m.start) / float64(m.b.N)
	m.b.ReportMetric(perOp, "cpu-ns/op")
	if m.pgName != "" {
		var used time.Duration
		for pid, t := range postgresBackendsCPU(m.pgName) {
			used += t - m.pgStart[pid]
		}
		m.b.ReportMetric(float64(used)/float64(m.b.N), "pg-cpu-ns/op")
	}
	return perOp
}

// reportSignIns adds the sign-in figures: milliseconds of wall time and of
// CPU per sign-in, and sign-ins per CPU-second (= per core, fully busy).
func reportSignIns(b *testing.B, cpuPerOp float64) {
	wall := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(wall/1e6, "ms/signin")
	b.ReportMetric(cpuPerOp/1e6, "cpu-ms/signin")
	b.ReportMetric(1e9/cpuPerOp, "signins/core-s")
}

// authBenchSession is a filler row of the sessions table.
type authBenchSession struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        string    `bun:"id,pk"`
	UserID    int64     `bun:"user_id"`
	Kind      string    `bun:"kind"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// authBench is an application on a fresh database of one kind with one
// signed-in learner.
type authBench struct {
	a      *application
	user   *courses.User
	access string // browser access token of an active session
}

func newAuthBench(b *testing.B, d authBenchDB) *authBench {
	b.Helper()
	a := authBenchApp(b, d)
	ctx := context.Background()
	hash, err := hashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	u, err := a.users.CreateUser(ctx, &courses.NewUser{Email: authBenchEmail, Name: "Zoë Łukasiewicz",
		Role: courses.RoleLearner, PasswordHash: hash})
	if err != nil {
		b.Fatal(err)
	}
	// Other sessions in the table, a quarter of them expired.
	now := time.Now().UTC()
	rows := make([]authBenchSession, 0, 1000)
	for i := 0; i < authBenchFillerSessions; i++ {
		exp := now.Add(browserSessionTTL)
		if i%4 == 0 {
			exp = now.Add(-time.Hour)
		}
		rows = append(rows, authBenchSession{ID: randomToken(), UserID: u.ID, Kind: courses.SessionBrowser,
			CreatedAt: now.Add(-time.Duration(i) * time.Second), ExpiresAt: exp})
		if len(rows) == cap(rows) || i == authBenchFillerSessions-1 {
			if _, err := a.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	res, err := a.auth.startSession(ctx, u.ID, courses.SessionBrowser)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := a.auth.authenticate(ctx, res.Access, audienceBrowser); err != nil {
		b.Fatal(err)
	}
	return &authBench{a: a, user: u, access: res.Access}
}

// listen serves the application on a loopback port, as `raadzaam serve`
// does, until the benchmark ends; it returns the address.
func listenFiber(b *testing.B, app *fiber.App) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	b.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			b.Errorf("shutdown: %v", err)
		}
		<-done
	})
	return ln.Addr().String()
}

// rawClient is a keep-alive HTTP/1.1 client on one connection that sends a
// prepared request, so that the client costs as little CPU as possible.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(b *testing.B, addr string) *rawClient {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &rawClient{conn: conn, br: bufio.NewReaderSize(conn, 64<<10)}
}

// rawGet builds a GET request as a browser with the given cookies would
// send it (no Accept-Encoding: uncompressed, as wrk asks).
func rawGet(addr, path string, cookies map[string]string) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: raadzaam-bench\r\nAccept: text/html\r\nAccept-Language: nl\r\n", path, addr)
	if len(cookies) > 0 {
		var parts []string
		for k, v := range cookies {
			parts = append(parts, k+"="+v)
		}
		sb.WriteString("Cookie: " + strings.Join(parts, "; ") + "\r\n")
	}
	sb.WriteString("\r\n")
	return []byte(sb.String())
}

// do sends req and reads the whole response; keep says whether to return
// the body.
func (c *rawClient) do(req []byte, keep bool) (int, string, error) {
	if _, err := c.conn.Write(req); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if keep {
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, "", err
}

// runPage measures GET requests through a real listener and keep-alive
// connection, after checking the response once with check.
func runPage(b *testing.B, a *application, addr string, req []byte, check func(status int, body string) error) {
	c := dialRaw(b, addr)
	for i := 0; i < 20; i++ { // warm-up; the first also fills caches
		status, body, err := c.do(req, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := check(status, body); err != nil {
			b.Fatal(err)
		}
	}
	m := startCPU(b, a)
	for i := 0; i < b.N; i++ {
		status, _, err := c.do(req, false)
		if err != nil || status != http.StatusOK {
			b.Fatalf("request %d: %d %v", i, status, err)
		}
	}
	m.stop()
}

func wantPage(signedIn bool, mustContain string) func(int, string) error {
	return func(status int, body string) error {
		if status != http.StatusOK {
			return fmt.Errorf("status %d, want 200:\n%.300s", status, body)
		}
		if got := strings.Contains(body, "Mijn account"); got != signedIn {
			return fmt.Errorf("signed in: page shows the account link = %v, want %v", got, signedIn)
		}
		if !strings.Contains(body, mustContain) {
			return fmt.Errorf("page lacks %q", mustContain)
		}
		return nil
	}
}

// BenchmarkSignInPassword is the argon2id check alone with the production
// parameters (m=19 MiB, t=2, p=1).
func BenchmarkSignInPassword(b *testing.B) {
	hash, err := hashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	if !checkPassword(hash, testPassword) {
		b.Fatal("password does not check")
	}
	m := startCPU(b, nil)
	for i := 0; i < b.N; i++ {
		if !checkPassword(hash, testPassword) {
			b.Fatal("password does not check")
		}
	}
	reportSignIns(b, m.stop())
}

// BenchmarkSignInPasswordParallel checks passwords on every P (GOMAXPROCS):
// ns/op is then wall time per check with all cores busy, so 1e9/(ns/op) is
// the machine's throughput, reported as signins/s.
func BenchmarkSignInPasswordParallel(b *testing.B) {
	hash, err := hashPassword(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	m := startCPU(b, nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !checkPassword(hash, testPassword) {
				b.Error("password does not check")
				return
			}
		}
	})
	cpu := m.stop()
	b.ReportMetric(1e9/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "signins/s")
	b.ReportMetric(1e9/cpu, "signins/core-s")
}

// BenchmarkSignIn is a whole successful sign-in: the credentials query, the
// two rate-limit checks, argon2id, the limit reset, the session and refresh
// token inserts, the access token and the audit insert.
func BenchmarkSignIn(b *testing.B) {
	for _, d := range authBenchDBs[:2] {
		b.Run(d.name, func(b *testing.B) {
			env := newAuthBench(b, d)
			ctx := context.Background()
			signIn := func(i int) {
				res, err := env.a.auth.signIn(ctx, authBenchEmail, testPassword, "", "203.0.113.7",
					courses.SessionBrowser, "bench-"+strconv.Itoa(i))
				if err != nil || res.Access == "" {
					b.Fatalf("sign-in %d: %v", i, err)
				}
			}
			signIn(-1)
			m := startCPU(b, env.a)
			for i := 0; i < b.N; i++ {
				signIn(i)
			}
			reportSignIns(b, m.stop())
		})
	}
}

// BenchmarkAuthParseAccess is the JWT check alone (HS256, kid, iss, aud,
// exp, iat), as on every authenticated request.
func BenchmarkAuthParseAccess(b *testing.B) {
	env := newAuthBench(b, authBenchDBs[0])
	m := startCPU(b, nil)
	for i := 0; i < b.N; i++ {
		if _, err := env.a.auth.parseAccess(env.access, audienceBrowser); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// BenchmarkAuthActiveSession is the revocation check alone: the one query
// that finds an unrevoked, unexpired session of an active user.
func BenchmarkAuthActiveSession(b *testing.B) {
	for _, d := range authBenchDBs {
		b.Run(d.name, func(b *testing.B) {
			env := newAuthBench(b, d)
			claims, err := env.a.auth.parseAccess(env.access, audienceBrowser)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			m := startCPU(b, env.a)
			for i := 0; i < b.N; i++ {
				if _, _, err := env.a.sessions.ActiveSession(ctx, claims.SessionID); err != nil {
					b.Fatal(err)
				}
			}
			m.stop()
		})
	}
}

// BenchmarkAuthAuthenticate is what authenticateRequest does for a signed-in
// browser: the JWT check plus the revocation check.
func BenchmarkAuthAuthenticate(b *testing.B) {
	for _, d := range authBenchDBs {
		b.Run(d.name, func(b *testing.B) {
			env := newAuthBench(b, d)
			ctx := context.Background()
			m := startCPU(b, env.a)
			for i := 0; i < b.N; i++ {
				if _, _, err := env.a.auth.authenticate(ctx, env.access, audienceBrowser); err != nil {
					b.Fatal(err)
				}
			}
			m.stop()
		})
	}
}

// BenchmarkPage serves whole pages through the real Fiber stack (every
// middleware, a loopback listener, one keep-alive connection):
//
//   - catalogue-signed-in: GET /cursussen as a signed-in learner, rendered
//     for each request (a signed-in header is never cached);
//   - catalogue-anonymous-uncached: the same page anonymous with the page
//     cache switched off (ttl 0), i.e. the same query and template work
//     without authentication: the fair comparison;
//   - catalogue-anonymous-cached: anonymous as in production, from the page
//     cache, for reference;
//   - account-signed-in: GET /account (one more query, form with CSRF);
func BenchmarkPage(b *testing.B) {
	for _, d := range authBenchDBs {
		b.Run(d.name, func(b *testing.B) {
			env := newAuthBench(b, d)
			addr := listenFiber(b, env.a.fiber)
			csrf := randomToken()
			signedIn := map[string]string{env.a.cookieName("rz_access"): env.access, env.a.cookieName("rz_csrf"): csrf}
			anonymous := map[string]string{env.a.cookieName("rz_csrf"): csrf}
			b.Run("catalogue-signed-in", func(b *testing.B) {
				runPage(b, env.a, addr, rawGet(addr, "/cursussen", signedIn), wantPage(true, "</html>"))
			})
			b.Run("catalogue-anonymous-uncached", func(b *testing.B) {
				ttl := env.a.pages.ttl
				env.a.pages.ttl = 0
				defer func() { env.a.pages.ttl = ttl }()
				runPage(b, env.a, addr, rawGet(addr, "/cursussen", anonymous), wantPage(false, "</html>"))
			})
			b.Run("catalogue-anonymous-cached", func(b *testing.B) {
				runPage(b, env.a, addr, rawGet(addr, "/cursussen", anonymous), wantPage(false, "</html>"))
			})
			b.Run("account-signed-in", func(b *testing.B) {
				runPage(b, env.a, addr, rawGet(addr, "/account", signedIn), wantPage(true, "Zoë Łukasiewicz"))
			})
		})
	}
}

// BenchmarkPageBareFiber is the floor under BenchmarkPage: a bare Fiber
// app sending the bytes of the signed-in catalogue page, with the same
// listener and client. What the pages cost above it is our own code.
func BenchmarkPageBareFiber(b *testing.B) {
	env := newAuthBench(b, authBenchDBs[0])
	addr := listenFiber(b, env.a.fiber)
	c := dialRaw(b, addr)
	status, page, err := c.do(rawGet(addr, "/cursussen", map[string]string{env.a.cookieName("rz_access"): env.access,
		env.a.cookieName("rz_csrf"): randomToken()}), true)
	if err != nil || status != http.StatusOK {
		b.Fatalf("catalogue: %d %v", status, err)
	}
	body := []byte(page)
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/cursussen", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body)
	})
	bareAddr := listenFiber(b, bare)
	runPage(b, nil, bareAddr, rawGet(bareAddr, "/cursussen", nil), func(status int, got string) error {
		if status != http.StatusOK || got != page {
			return fmt.Errorf("bare: %d, %d bytes, want %d", status, len(got), len(page))
		}
		return nil
	})
}
