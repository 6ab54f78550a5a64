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
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
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

// ---------------------------------------------------------------------------
// Requests

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

// wrkLoader loads with wrk (benchkit.Wrk).
type wrkLoader struct {
	*benchkit.Wrk
	lang string
}

func (w *wrkLoader) name() string { return w.Name() }

func (w *wrkLoader) load(ctx context.Context, target, rawURL string, d time.Duration) (loadResult, error) {
	r, err := w.Load(ctx, rawURL, d, map[string]string{"Accept-Language": w.lang})
	if err != nil {
		return loadResult{}, err
	}
	return loadResult{target: target, rps: r.RPS, p50: r.P50, p99: r.P99, requests: r.Requests, errors: r.Errors, bytesReq: r.BytesReq}, nil
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
		ld = &wrkLoader{Wrk: wrk, lang: o.lang}
	default:
		if o.client == "auto" {
			benchkit.Logf("wrk not found on PATH: using the Go client (apt-get install -y wrk for cheaper load)")
		}
		ld = &goLoader{connections: o.connections, lang: o.lang}
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
	in.Env = []string{"RAADZAAM_DEMO=off"}
	rep.database = in.Database

	// First start: migrate and seed an empty database.
	benchkit.Logf("first start on an empty database (migrate, seed)")
	s, d, err := in.Start(ctx, "raadzaam (seed)", "/healthz", 30*time.Second)
	if err != nil {
		return err
	}
	rep.firstStart = d
	if err := in.Stop(s, 10*time.Second); err != nil {
		return err
	}

	// Cold starts on the existing database; the last one stays up.
	for i := 1; i <= o.starts; i++ {
		s, d, err = in.Start(ctx, fmt.Sprintf("raadzaam (start %d)", i), "/healthz", 30*time.Second)
		if err != nil {
			return err
		}
		rep.coldStarts = append(rep.coldStarts, d)
		benchkit.Logf("cold start %d: %s", i, benchkit.FmtDur(d))
		if i < o.starts {
			t := time.Now()
			if err := in.Stop(s, 10*time.Second); err != nil {
				return err
			}
			rep.stops = append(rep.stops, time.Since(t))
		}
	}
	defer func() { _ = in.Stop(s, 10*time.Second) }()

	// Idle memory.
	if err := benchkit.Sleep(ctx, o.idle); err != nil {
		return err
	}
	if rep.rss, rep.hwm, err = s.Memory(); err != nil {
		return err
	}
	benchkit.Logf("idle memory: VmRSS %s, VmHWM %s", benchkit.FmtMiB(rep.rss), benchkit.FmtMiB(rep.hwm))

	// The catalogue page, and the same bytes from a bare Fiber handler.
	page, hdr, d, err := fetch(ctx, s.Base+"/", o.lang)
	if err != nil {
		return err
	}
	rep.firstPage = d
	if _, _, rep.cachedPage, err = fetch(ctx, s.Base+"/", o.lang); err != nil {
		return err
	}
	rep.pageBytes = len(page)
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		return fmt.Errorf("GET /: Content-Type %q, want text/html", ct)
	}
	benchkit.Logf("catalogue: %d bytes, first render %s, cached %s", len(page), benchkit.FmtDur(rep.firstPage), benchkit.FmtDur(rep.cachedPage))
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
		u, stopBare, err := startBareChild(ctx, sup, in.Dir, page)
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
	targets := []struct{ name, url string }{{"bare", bareURL}, {"catalogue", s.Base + "/"}}
	if o.warmup > 0 {
		for _, t := range targets {
			benchkit.Logf("warm-up %s (%s)", t.name, o.warmup)
			if _, err := ld.load(ctx, t.name, t.url, o.warmup); err != nil {
				return err
			}
		}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, t := range targets {
			if err := benchkit.Sleep(ctx, time.Second); err != nil {
				return err
			}
			benchkit.Logf("round %d: %s for %s", round, t.name, o.duration)
			r, err := ld.load(ctx, t.name, t.url, o.duration)
			if err != nil {
				return err
			}
			r.round = round
			benchkit.Logf("  %.0f req/s, p50 %s, p99 %s, %d errors", r.rps, benchkit.FmtDur(r.p50), benchkit.FmtDur(r.p99), r.errors)
			rep.runs = append(rep.runs, r)
		}
	}
	if done, werr := s.Exited(); done {
		return fmt.Errorf("raadzaam exited during the load: %v\n%s", werr, benchkit.Tail(in.LogPath, 2000))
	}
	if rep.rssAfter, rep.hwmAfter, err = s.Memory(); err != nil {
		return err
	}

	rep.write(stdout)
	return nil
}

// startBareChild runs the bare app in a child process (this executable
// again) and returns its URL and a function that stops it.
func startBareChild(ctx context.Context, sup *benchkit.Supervisor, tmp string, body []byte) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	bodyPath := filepath.Join(tmp, "catalogue.html")
	if err := os.WriteFile(bodyPath, body, 0o600); err != nil {
		return "", nil, err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envBareBody+"="+bodyPath, envBareAddr+"="+addr)
	cmd.Stderr = os.Stderr
	c, err := sup.Start("bare fiber", cmd)
	if err != nil {
		return "", nil, err
	}
	stop := func() {
		if err := sup.Stop(c, 5*time.Second); err != nil {
			benchkit.Logf("%v", err)
		}
	}
	if _, err := benchkit.WaitReady(ctx, &benchkit.Server{Child: c, Base: "http://" + addr}, "/healthz", time.Now(), 10*time.Second); err != nil {
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
// benchkit.WaitReady, /healthz), sends body as HTML.
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
			benchkit.Logf("bare fiber shutdown: %v", err)
		}
		<-errc
	}
	return "http://" + ln.Addr().String() + "/", stop, nil
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
	bare, cat := r.best("bare"), r.best("catalogue")
	ratio := 0.0
	if bare.rps > 0 {
		ratio = cat.rps / bare.rps
	}
	med, mx := benchkit.Median(r.coldStarts), slices.Max(r.coldStarts)
	m := r.machine
	met := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}

	fmt.Fprintf(w, "### %s — %s\n\n", r.o.db, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %d × %s, %s RAM, Linux %s, load average before the run %s\n",
		m.CPUs, m.Model, benchkit.FmtGiB(m.Memory), m.Kernel, m.LoadAvg)
	fmt.Fprintf(w, "- Database: %s; %s, %s\n", r.database, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	fmt.Fprintf(w, "- Load: %s; `GET /` with `Accept-Language: %s`, %s per run, %d round(s) of alternating runs "+
		"(bare, catalogue) after a %s warm-up of each, best run of each shown\n\n", r.loader, r.o.lang, r.o.duration, r.o.rounds, r.o.warmup)

	fmt.Fprintln(w, "| Measure | Result | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| Bare Fiber handler, same %s bytes (%s) | %s | | |\n", benchkit.FmtInt(int64(r.pageBytes)), r.bareWhere, fmtLoad(bare))
	fmt.Fprintf(w, "| Catalogue page `GET /` | %s | | |\n", fmtLoad(cat))
	fmt.Fprintf(w, "| Catalogue ÷ bare throughput | %.2f× | ≥ %.1f× | %s |\n", ratio, goalRatio, met(ratio >= goalRatio))
	fmt.Fprintf(w, "| Cold start, exec → first `/healthz` 200, existing DB (%d starts) | median %s, max %s | < %s | %s |\n",
		len(r.coldStarts), benchkit.FmtDur(med), benchkit.FmtDur(mx), benchkit.FmtDur(goalColdStart), met(med < goalColdStart && mx < goalColdStart))
	fmt.Fprintf(w, "| Idle RSS, %s after the last start (VmRSS; VmHWM) | %s (%s); peak %s | < 40 MB | %s |\n",
		r.o.idle, benchkit.FmtMB(r.rss), benchkit.FmtMiB(r.rss), benchkit.FmtMB(r.hwm), met(r.rss < goalIdleRSS))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Also measured:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- First start on an empty database (migrate + seed): %s\n", benchkit.FmtDur(r.firstStart))
	fmt.Fprintf(w, "- Cold starts: %s\n", joinDurs(r.coldStarts))
	if len(r.stops) > 0 {
		fmt.Fprintf(w, "- Graceful stop of an idle server, SIGTERM → exit: median %s, max %s\n", benchkit.FmtDur(benchkit.Median(r.stops)), benchkit.FmtDur(slices.Max(r.stops)))
	}
	fmt.Fprintf(w, "- First `GET /` after start (render into the page cache): %s; second (cached): %s\n",
		benchkit.FmtDur(r.firstPage), benchkit.FmtDur(r.cachedPage))
	fmt.Fprintf(w, "- raadzaam after the load: VmRSS %s, VmHWM %s\n", benchkit.FmtMB(r.rssAfter), benchkit.FmtMB(r.hwmAfter))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| Run | Server | Requests/s | p50 | p99 | Requests | Errors | Bytes/request |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for i, x := range r.runs {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %d | %s |\n", i+1, x.target, benchkit.FmtInt(int64(math.Round(x.rps))),
			benchkit.FmtDur(x.p50), benchkit.FmtDur(x.p99), benchkit.FmtInt(x.requests), x.errors, benchkit.FmtInt(int64(math.Round(x.bytesReq))))
	}
}

func fmtLoad(r loadResult) string {
	return fmt.Sprintf("%s req/s, p50 %s, p99 %s, %d errors", benchkit.FmtInt(int64(math.Round(r.rps))), benchkit.FmtDur(r.p50), benchkit.FmtDur(r.p99), r.errors)
}

func joinDurs(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = benchkit.FmtDur(d)
	}
	return strings.Join(s, ", ")
}
