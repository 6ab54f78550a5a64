// Command certificates measures what BENCHMARKS.md reports in the section
// "Certificates": the three goals of the certificates issue, on SQLite and
// on PostgreSQL.
//
//  1. Issuing ≥ 75 certificates per second per core. Issuing costs
//     rendering the PDF (app/pdf.Render) and storing it. The benchmark
//     measures (a) app/pdf.Render in this process with GOMAXPROCS=1, over
//     -renders realistic Dutch certificates with varied holders; (b) per
//     database, render plus CertificateService.StorePDF, also with
//     GOMAXPROCS=1, before the server starts; and (c) end to end through the
//     server: -learners learners, signed in and enrolled in a one-lesson
//     course beforehand, complete its lesson with -clients concurrent
//     clients (POST /api/v1/lessons/{id}/completion; each completion issues
//     a certificate in its transaction and schedules the background job
//     that renders and stores the PDF). It times the completions and the
//     moment every certificate has its stored PDF (polling
//     SELECT count(*) FROM certificate_pdfs by primary key), reads the CPU
//     raadzaam and the PostgreSQL backends used in between, and reads from
//     River's river_job how long each certificate job ran and how many of
//     the workers were busy on average.
//  2. A stored PDF served ≥ 2,000 times per second: wrk against
//     GET /api/v1/certificates/{nummer}.pdf with the holder's bearer token
//     (as wrk asks, uncompressed, and with a browser's Accept-Encoding),
//     and against a bare Fiber handler in this process that sends the same
//     bytes, in alternating runs.
//  3. A ZIP of 10,000 certificates with peak memory under 100 MB: -n
//     certificates with stored PDFs are inserted directly into the database
//     (in batches, before the server starts) for -n members of the
//     association vng; a fresh server is started and an association
//     administrator (two-factor on, as the role requires) downloads
//     GET /vereniging/vng/certificaten.zip?van=…&tot=… with a bearer token.
//     The ZIP is checked (archive/zip: -n PDFs that each start with %PDF,
//     and overzicht.csv, numbers equal to the seeded ones) and the server's
//     VmHWM (peak RSS, /proc/PID/status) is read before and after, VmRSS
//     sampled every 10 ms during the download. Each -zip-encoding is one
//     download from a fresh server (by default a browser's Accept-Encoding,
//     then none); -zip-rate reads the ZIP at most that many MB/s, as over
//     a slow link.
//
// Usage, from anywhere inside the module:
//
//	go run ./bench/certificates [-db sqlite,postgres] [-parts render,issue,serve,zip] [-n 10000] [-learners 300]
//
// The one-lesson course is the first lesson of -course (a shipped course),
// imported under the slug COURSE-kort together with the shipped catalogue
// before the first start (the server then seeds nothing). Accounts are
// created directly in the database with one real argon2id hash, as in
// bench/completions; sign-ins (POST /api/v1/auth/token) send Fly-Client-IP
// from 198.18.0.0/15 with RAADZAAM_TRUSTED_PROXIES=127.0.0.1/32, because the
// sign-in limit counts every attempt per address.
//
// Everything listens on and connects to loopback only, every step is bounded
// in time, every child process (the server, wrk, go build) runs in its own
// process group and is stopped (SIGTERM, then SIGKILL) on every exit path,
// and with PostgreSQL a throwaway database (raadzaam_bench_…) is created and
// dropped. The Markdown report goes to stdout, progress to stderr. The
// machine's cores are shared by raadzaam, PostgreSQL, wrk and this process:
// rates per core divide by all of them, and the report also gives the
// certificates per CPU-second of raadzaam alone.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The goals of the issue.
const (
	goalIssuePerCore = 75.0        // certificates issued per second per core
	goalServe        = 2000.0      // stored PDFs served per second
	goalZIPPeak      = 100_000_000 // bytes of peak memory while a 10,000-certificate ZIP is made
)

type options struct {
	dbs         []string
	parts       map[string]bool
	renders     int
	learners    int
	clients     int
	n           int
	distinct    int
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	rounds      int
	pgAdminURL  string
	course      string
	setupConc   int
	// zipEncodings are the Accept-Encoding headers of the ZIP downloads,
	// one fresh server each; empty is none.
	zipEncodings []string
	zipRate      float64
}

func (o *options) has(part string) bool { return o.parts[part] }

var allParts = []string{"render", "issue", "serve", "zip"}

func main() {
	o := options{}
	var dbs, parts string
	flag.StringVar(&dbs, "db", "sqlite,postgres", "databases, comma separated: sqlite, postgres")
	flag.StringVar(&parts, "parts", strings.Join(allParts, ","), "parts to run, comma separated: render, issue, serve, zip")
	flag.IntVar(&o.renders, "renders", 300, "certificates rendered (and stored) one after the other with GOMAXPROCS=1")
	flag.IntVar(&o.learners, "learners", 300, "learners who complete the one-lesson course at once (issue)")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients posting the completions (issue)")
	flag.IntVar(&o.n, "n", 10_000, "certificates of the association in the ZIP")
	flag.IntVar(&o.distinct, "distinct", 100, "distinct PDFs rendered for the ZIP's certificates (the others reuse their bytes); -n renders them all")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured wrk run (serve)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unreported wrk warm-up of each server (serve)")
	flag.IntVar(&o.connections, "connections", 32, "wrk connections (serve)")
	flag.IntVar(&o.threads, "threads", 0, "wrk threads (0 = min(CPUs, connections))")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of alternating wrk runs (bare, raadzaam); the best of each is reported")
	flag.StringVar(&o.pgAdminURL, "pg-admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL URL used to create and drop the throwaway database (loopback only)")
	flag.StringVar(&o.course, "course", "nieuw-in-de-raad", "shipped course whose first lesson becomes the one-lesson course")
	flag.Func("zip-encoding", `Accept-Encoding of a ZIP download, one fresh server each; repeat the flag for more ("" sends none: identity). Default: "gzip, deflate, br" (a browser's) and ""`,
		func(v string) error { o.zipEncodings = append(o.zipEncodings, v); return nil })
	flag.Float64Var(&o.zipRate, "zip-rate", 0, "MB/s at which the ZIP is read, as over a slow link (0 = as fast as possible)")
	flag.IntVar(&o.setupConc, "setup-concurrency", 0, "concurrent sign-ins and enrolments before the load (0 = 2 × CPUs)")
	flag.Parse()
	if err := o.validate(dbs, parts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Everything, building and seeding included, ends in bounded time.
	budget := 15*time.Minute + time.Duration(len(o.dbs))*(10*time.Minute+time.Duration(o.n)*20*time.Millisecond+
		time.Duration(o.learners)*200*time.Millisecond+time.Duration(2*o.rounds+2)*(o.duration+o.warmup+30*time.Second))
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

func (o *options) validate(dbs, parts string) error {
	for _, d := range strings.Split(dbs, ",") {
		d = strings.TrimSpace(d)
		if d != "sqlite" && d != "postgres" {
			return fmt.Errorf("-db: unknown database %q (sqlite, postgres)", d)
		}
		if !slices.Contains(o.dbs, d) {
			o.dbs = append(o.dbs, d)
		}
	}
	o.parts = map[string]bool{}
	for _, p := range strings.Split(parts, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allParts, p) {
			return fmt.Errorf("-parts: unknown part %q (%s)", p, strings.Join(allParts, ", "))
		}
		o.parts[p] = true
	}
	if o.zipEncodings == nil {
		o.zipEncodings = []string{browserEncoding, ""}
	}
	if o.setupConc == 0 {
		o.setupConc = 2 * runtime.NumCPU()
	}
	if o.threads == 0 {
		o.threads = min(runtime.NumCPU(), o.connections)
	}
	o.threads = min(o.threads, o.connections) // wrk needs connections >= threads
	if o.distinct > o.n {
		o.distinct = o.n
	}
	switch {
	case len(o.dbs) == 0:
		return errors.New("-db names no database")
	case o.renders < 1 || o.renders > 100_000:
		return errors.New("-renders must be between 1 and 100,000")
	case o.learners < 1 || o.learners > 50_000:
		return errors.New("-learners must be between 1 and 50,000")
	case o.clients < 1 || o.clients > 1024:
		return errors.New("-clients must be between 1 and 1024")
	case o.n < 1 || o.n > 200_000:
		return errors.New("-n must be between 1 and 200,000")
	case o.zipRate < 0:
		return errors.New("-zip-rate must not be negative")
	case o.distinct < 1:
		return errors.New("-distinct must be at least 1")
	case o.duration < time.Second || o.duration > 10*time.Minute:
		return errors.New("-duration must be between 1s and 10m")
	case o.warmup < 0 || o.warmup > time.Minute:
		return errors.New("-warmup must be between 0 and 1m")
	case o.connections < 1 || o.connections > 4096:
		return errors.New("-connections must be between 1 and 4096")
	case o.threads < 1 || o.threads > 256:
		return errors.New("-threads must be between 1 and 256")
	case o.rounds < 1 || o.rounds > 20:
		return errors.New("-rounds must be between 1 and 20")
	case !slugRE.MatchString(o.course):
		return errors.New("-course must be a course slug")
	case o.setupConc < 1 || o.setupConc > 256:
		return errors.New("-setup-concurrency must be between 1 and 256")
	}
	return nil
}
