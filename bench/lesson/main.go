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
	"bytes"
	"context"
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
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

// ---------------------------------------------------------------------------
// The demo learner

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

// learner is the demo learner's browser (benchkit.Browser): it signs in
// through the forms, as a person does. The refresh cookie is never sent
// (see the package comment).
type learner struct {
	*benchkit.Browser
	email, password string
	signIn          time.Duration // the last POST /inloggen
}

func newLearner(base, email, password, lang string) *learner {
	l := &learner{Browser: benchkit.NewBrowser(base, lang, false), email: email, password: password}
	l.OmitRefresh = true
	l.Observe = func(step string, _, _ int, d time.Duration, _ error) {
		if step == "signin" {
			l.signIn = d
		}
	}
	return l
}

// signInAgain signs in through the form: a new session with a fresh access
// token (valid 15 minutes). The CSRF cookie stays the same, so the pages
// stay byte for byte the same.
func (l *learner) signInAgain(ctx context.Context) error {
	// Signed in, GET /inloggen would redirect: sign in as a new visitor
	// who keeps only the CSRF cookie.
	delete(l.Cookies, "rz_access")
	delete(l.Cookies, "rz_refresh")
	_, err := l.SignIn(ctx, l.email, l.password)
	return err
}

// firstLesson enrols in course and returns the path of the lesson that
// GET /leren/SLUG sends the learner to.
func (l *learner) firstLesson(ctx context.Context, course string) (string, error) {
	token := l.Cookies["rz_csrf"] // double submit: the field carries the cookie's token
	path := "/cursussen/" + course + "/inschrijven"
	resp, body, _, err := l.Do(ctx, "enrol", http.MethodPost, path, url.Values{"_csrf": {token}})
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/leren/"+course {
		return "", fmt.Errorf("POST %s: %s, location %q\n%.500s", path, resp.Status, resp.Header.Get("Location"), body)
	}
	resp, body, _, err = l.Do(ctx, "resume", http.MethodGet, "/leren/"+course, nil)
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
	resp, body, d, err := l.Do(ctx, "lesson", http.MethodGet, path, nil)
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
	return cpuSample{server: m.server(), pg: benchkit.PostgresCPU(m.pgName)}
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

// wrkLoader loads with wrk (benchkit.Wrk).
type wrkLoader struct{ *benchkit.Wrk }

func (w *wrkLoader) name() string { return w.Name() }

func (w *wrkLoader) load(ctx context.Context, target, rawURL string, header map[string]string, d time.Duration) (loadResult, error) {
	r, err := w.Load(ctx, rawURL, d, header)
	if err != nil {
		return loadResult{}, err
	}
	return loadResult{target: target, rps: r.RPS, p50: r.P50, p99: r.P99, requests: r.Requests, errors: r.Errors, bytesReq: r.BytesReq}, nil
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
	r.p50 = benchkit.Percentile(all, 50)
	r.p99 = benchkit.Percentile(all, 99)
	r.bytesReq = float64(bytesTotal) / float64(len(all))
	return r, nil
}

// ---------------------------------------------------------------------------
// The run

type report struct {
	o          options
	machine    benchkit.Machine
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
	sup := benchkit.NewSupervisor()
	defer sup.StopAll()
	rep := &report{o: o, machine: benchkit.DescribeMachine()}

	// Load generator.
	var ld loader
	wrk := benchkit.FindWrk(ctx, sup, o.threads, o.connections)
	switch {
	case o.client == "wrk" && wrk == nil:
		return errors.New("-client wrk: wrk is not on PATH (apt-get install -y wrk)")
	case o.client != "go" && wrk != nil:
		ld = &wrkLoader{wrk}
	default:
		if o.client == "auto" {
			benchkit.Logf("wrk not found on PATH: using the Go client (apt-get install -y wrk for cheaper load)")
		}
		ld = &goLoader{connections: o.connections}
	}

	// Build; the database.
	in, err := benchkit.Prepare(ctx, sup, o.db, o.pgAdminURL, false)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := in.Close(); cerr != nil {
			benchkit.Logf("clean-up: %v", cerr)
			if err == nil {
				err = cerr
			}
		}
	}()
	// Demo mode: the first start creates the demo accounts and prints their
	// passwords on stdout (app/seed.go, createDemoAccounts).
	in.Env = []string{"RAADZAAM_DEMO=on"}
	rep.database = in.Database

	// One start: migrate, seed the catalogue and the demo accounts; the
	// server stays up for the load.
	benchkit.Logf("starting raadzaam on an empty database (migrate, seed, demo accounts)")
	s, d, err := in.Start(ctx, "raadzaam", "/healthz", 30*time.Second)
	if err != nil {
		return err
	}
	rep.firstStart = d
	defer func() { _ = in.Stop(s, 10*time.Second) }()
	password, err := demoPassword(in.LogPath, o.email)
	if err != nil {
		return err
	}

	// Sign in, enrol, find the first lesson, view it.
	ln := newLearner(s.Base, o.email, password, o.lang)
	defer ln.Close()
	if err := ln.signInAgain(ctx); err != nil {
		return err
	}
	rep.signIn, rep.signIns = ln.signIn, 1
	benchkit.Logf("signed in as %s (POST /inloggen %s), access token valid until %s", o.email, benchkit.FmtDur(ln.signIn), ln.AccessExpiry.Format(time.TimeOnly))
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
	benchkit.Logf("lesson %s: %d bytes, first view %s, second %s", lesson, len(page), benchkit.FmtDur(rep.firstView), benchkit.FmtDur(rep.laterView))
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
		bareBase, bareWhere, bareCPU = u, "in the benchmark process", benchkit.SelfCPU
	} else {
		u, c, stopBare, err := startBareChild(ctx, sup, in.Dir, page)
		if err != nil {
			return err
		}
		defer stopBare()
		pid := c.PID()
		bareBase, bareWhere = u, "in a child process of its own"
		bareCPU = func() time.Duration { t, _ := benchkit.ProcCPU(pid); return t }
	}
	rep.bareWhere = bareWhere
	headers := func() map[string]string {
		return map[string]string{"Accept-Language": o.lang, "Cookie": ln.CookieHeader()}
	}
	if got, err := fetch(ctx, bareBase+lesson, headers()); err != nil {
		return err
	} else if !bytes.Equal(got, page) {
		return errors.New("the bare handler does not serve the lesson's bytes")
	}
	if got, err := fetch(ctx, s.Base+lesson, headers()); err != nil {
		return err
	} else if !bytes.Equal(got, page) {
		return errors.New("the lesson with the load's headers differs from the lesson fetched before")
	}
	serverPID := s.PID()
	meters := map[string]cpuMeter{
		"bare":   {server: bareCPU},
		"lesson": {server: func() time.Duration { t, _ := benchkit.ProcCPU(serverPID); return t }, pgName: in.PGName},
	}

	// fresh signs in again when the access token would expire during a run
	// of length d, and checks that the lesson is still the same page.
	fresh := func(d time.Duration) error {
		if time.Until(ln.AccessExpiry) > d+time.Minute {
			return nil
		}
		benchkit.Logf("access token expires at %s: signing in again", ln.AccessExpiry.Format(time.TimeOnly))
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
		got, err := fetch(ctx, s.Base+lesson, headers())
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
	targets := []struct{ name, url string }{{"bare", bareBase + lesson}, {"lesson", s.Base + lesson}}
	if o.warmup > 0 {
		for _, t := range targets {
			if err := fresh(o.warmup); err != nil {
				return err
			}
			benchkit.Logf("warm-up %s (%s)", t.name, o.warmup)
			if _, err := ld.load(ctx, t.name, t.url, headers(), o.warmup); err != nil {
				return err
			}
		}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, t := range targets {
			if err := benchkit.Sleep(ctx, time.Second); err != nil {
				return err
			}
			if err := fresh(o.duration); err != nil {
				return err
			}
			benchkit.Logf("round %d: %s for %s", round, t.name, o.duration)
			m := meters[t.name]
			before := m.sample()
			r, err := ld.load(ctx, t.name, t.url, headers(), o.duration)
			if err != nil {
				return err
			}
			after := m.sample()
			if r.requests > 0 {
				r.cpuReq = (after.server - before.server) / time.Duration(r.requests)
				r.pgReq = benchkit.PostgresDelta(before.pg, after.pg) / time.Duration(r.requests)
			}
			r.round = round
			pgNote := ""
			if in.PGName != "" && t.name == "lesson" {
				pgNote = ", PostgreSQL CPU/request " + benchkit.FmtDur(r.pgReq)
			}
			benchkit.Logf("  %.0f req/s, p50 %s, p99 %s, %d errors, server CPU/request %s%s",
				r.rps, benchkit.FmtDur(r.p50), benchkit.FmtDur(r.p99), r.errors, benchkit.FmtDur(r.cpuReq), pgNote)
			if err := check(&r); err != nil {
				return err
			}
			rep.runs = append(rep.runs, r)
		}
	}
	if done, werr := s.Exited(); done {
		return fmt.Errorf("raadzaam exited during the load: %v\n%s", werr, benchkit.Tail(in.LogPath, 2000))
	}
	rep.rssAfter, _, _ = s.Memory()

	rep.write(stdout)
	return nil
}

// startBareChild runs the bare app in a child process (this executable
// again) and returns its base URL, the child and a function that stops it.
func startBareChild(ctx context.Context, sup *benchkit.Supervisor, tmp string, body []byte) (string, *benchkit.Child, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, nil, err
	}
	bodyPath := filepath.Join(tmp, "lesson.html")
	if err := os.WriteFile(bodyPath, body, 0o600); err != nil {
		return "", nil, nil, err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return "", nil, nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envBareBody+"="+bodyPath, envBareAddr+"="+addr)
	cmd.Stderr = os.Stderr
	c, err := sup.Start("bare fiber", cmd)
	if err != nil {
		return "", nil, nil, err
	}
	stop := func() {
		if err := sup.Stop(c, 5*time.Second); err != nil {
			benchkit.Logf("%v", err)
		}
	}
	if _, err := benchkit.WaitReady(ctx, &benchkit.Server{Child: c, Base: "http://" + addr}, "/healthz", time.Now(), 10*time.Second); err != nil {
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
// benchkit.WaitReady.
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
			benchkit.Logf("bare fiber shutdown: %v", err)
		}
		<-errc
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// ---------------------------------------------------------------------------
// Machine and report

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
		m.CPUs, m.Model, benchkit.FmtGiB(m.Memory), m.Kernel, m.LoadAvg)
	fmt.Fprintf(w, "- Database: %s; %s, %s\n", r.database, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	fmt.Fprintf(w, "- Load: %s; `GET %s` as the signed-in learner (`Cookie: rz_access=…; rz_csrf=…`, `Accept-Language: %s`), "+
		"%s per run, %d round(s) of alternating runs (bare, lesson) after a %s warm-up of each, best run of each shown\n\n",
		r.loader, r.lessonPath, r.o.lang, r.o.duration, r.o.rounds, r.o.warmup)

	fmt.Fprintln(w, "| Measure | Result | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| Bare Fiber handler, same %s bytes (%s) | %s | | |\n", benchkit.FmtInt(int64(r.pageBytes)), r.bareWhere, fmtLoad(bare))
	fmt.Fprintf(w, "| Lesson page, signed in | %s | | |\n", fmtLoad(lesson))
	fmt.Fprintf(w, "| Lesson ÷ bare throughput | %.2f× | ≥ %.2f× | %s |\n", ratio, goalRatio, met)
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Also measured:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- Start on an empty database (migrate, seed, demo accounts with argon2id hashes): %s\n", benchkit.FmtDur(r.firstStart))
	fmt.Fprintf(w, "- Sign-in through the form, `POST /inloggen`: %s (%d sign-in(s) in the run)\n", benchkit.FmtDur(r.signIn), r.signIns)
	fmt.Fprintf(w, "- First view of the lesson (Markdown rendered into its cache, last activity stored): %s; second view: %s\n",
		benchkit.FmtDur(r.firstView), benchkit.FmtDur(r.laterView))
	fmt.Fprintf(w, "- raadzaam after the load: VmRSS %s\n", benchkit.FmtMB(r.rssAfter))
	fmt.Fprintln(w)

	if pg {
		fmt.Fprintln(w, "| Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request | Server CPU/request | PostgreSQL CPU/request |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	} else {
		fmt.Fprintln(w, "| Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request | Server CPU/request |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	}
	for i, x := range r.runs {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %d | %s | %s |", i+1, x.target, benchkit.FmtInt(int64(math.Round(x.rps))),
			benchkit.FmtDur(x.p50), benchkit.FmtDur(x.p99), benchkit.FmtInt(x.requests), x.errors, benchkit.FmtInt(int64(math.Round(x.bytesReq))), benchkit.FmtDur(x.cpuReq))
		if pg {
			if x.target == "lesson" {
				fmt.Fprintf(w, " %s |", benchkit.FmtDur(x.pgReq))
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
	return fmt.Sprintf("%s req/s, p50 %s, p99 %s, %d errors", benchkit.FmtInt(int64(math.Round(r.rps))), benchkit.FmtDur(r.p50), benchkit.FmtDur(r.p99), r.errors)
}
