// Command journey measures what BENCHMARKS.md reports in the section
// "Whole learner journey under load (issue 8)": many office holders at once
// going through the whole learner journey in their browsers, against one
// raadzaam instance on SQLite or PostgreSQL: latency per step and overall
// (p50/p95/p99), requests and completed journeys per second, errors by kind
// (the goal is none), and the server's peak memory (VmHWM).
//
// Usage, from anywhere inside the module:
//
//	go run ./bench/journey [-db sqlite|postgres] [-users 1000] [-duration 60s] [-think 0]
//
// How it works:
//
//  1. It builds ./app with CGO_ENABLED=0, as the production image is built,
//     into a temporary folder, with a fresh data folder (SQLite) or a
//     throwaway PostgreSQL database (raadzaam_bench_…, dropped at the end).
//  2. It starts raadzaam once on the empty database (RAADZAAM_DEMO=off: it
//     migrates and loads the shipped catalogue and the municipalities) and
//     stops it. Then it creates the office holders the way an operator
//     does, with `raadzaam user add --role learner --office raadslid
//     --municipality GMxxxx --password-stdin`, each with a password of its
//     own that only this program knows, a few at a time. None of that is
//     measured.
//  3. It starts raadzaam again (the measured server, with
//     RAADZAAM_TRUSTED_PROXIES=127.0.0.1/32) and waits for /readyz.
//  4. The load: each office holder is a goroutine with a browser of its own
//     (one keep-alive connection, its own cookies, Accept-Encoding: gzip,
//     Accept-Language: nl, and a client address of its own in the
//     Fly-Client-IP header, as Fly's proxy sends it: the sign-in and
//     verification limits count per address). Office holder i starts at
//     i × duration ÷ users (with -duration 0 all start at once) and goes
//     through the journey once, with -think between requests:
//     sign in through the form (GET /inloggen for the CSRF cookie and field,
//     POST /inloggen), the dashboard it is sent to, the catalogue
//     (/cursussen), the course page, enrol (POST …/inschrijven, with the
//     page's CSRF field), /leren/SLUG to the first activity, then every
//     activity in turn: a lesson page and its "done" form (POST …/gedaan,
//     which redirects to the next activity), the quiz page and its answers
//     (POST …/toets, the right options found by their text in the shipped
//     course folder, as the page shuffles them), the result page, which must
//     say passed; then the dashboard, which must list the course as
//     completed with a certificate number, the certificate PDF
//     (/api/v1/certificates/NUMBER.pdf, with the session cookie, as the
//     dashboard links it), which must be a whole PDF, and its public
//     verification page (/verifieer/NUMBER), which must say valid.
//     Redirects are requests of their own, as in a browser. Static assets
//     are not fetched (a browser has them cached: they are served with long
//     cache lifetimes).
//  5. Every request is timed until its whole body was read. A journey
//     stops at its first error: a transport error, an unexpected status, or
//     a page that fails a check (the kinds are counted by step).
//  6. Meanwhile it samples raadzaam's VmRSS every 100 ms (and every 5 s the
//     sign-ins answered and the journeys under way and completed);
//     afterwards it reads its VmHWM (peak RSS since the start), the CPU that
//     raadzaam, this program and (with PostgreSQL) the database's backends
//     used, the connection pools' waits from raadzaam's own /metrics
//     (RAADZAAM_METRICS_ADDR on loopback), the server's log since the start
//     (errors, warnings, panics, and its own time per route), and from the
//     database the certificates issued and their PDFs stored by the
//     background job (it waits up to 2 minutes for the last ones).
//
// Everything listens on and connects to loopback only; every step is
// bounded in time; every child process is started in its own process group
// and stopped (SIGTERM, then SIGKILL) on every exit path. The Markdown
// report goes to stdout, progress to stderr.
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
	"syscall"
	"time"

	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
)

type options struct {
	db         string
	users      int
	duration   time.Duration // starts spread evenly over it
	think      time.Duration
	timeout    time.Duration // the whole load
	course     string
	lang       string
	pgAdminURL string
	setupConc  int
}

func main() {
	o := options{}
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres")
	flag.IntVar(&o.users, "users", 1000, "office holders, each going through the journey once")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "the office holders start evenly spread over this time (0 = all at once)")
	flag.DurationVar(&o.think, "think", 0, "pause of each office holder after each answer (think time)")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "limit of the whole load; journeys not finished by then count as errors")
	flag.StringVar(&o.course, "course", "nieuw-in-de-raad", "slug of the shipped course every office holder takes (lessons and quizzes only)")
	flag.StringVar(&o.lang, "lang", "nl", "Accept-Language of every request")
	flag.StringVar(&o.pgAdminURL, "pg-admin-url", benchkit.DefaultPGAdminURL,
		"PostgreSQL URL used to create and drop the throwaway database (loopback only)")
	flag.IntVar(&o.setupConc, "setup-concurrency", 0, "`raadzaam user add` commands at once before the load (0 = CPUs)")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Everything, the build and the accounts included, ends in bounded time.
	budget := 10*time.Minute + time.Duration(o.users)*time.Second/2 + o.duration + o.timeout + 3*time.Minute
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
	if o.setupConc == 0 {
		o.setupConc = runtime.NumCPU()
	}
	switch {
	case o.db != "sqlite" && o.db != "postgres":
		return errors.New("-db must be sqlite or postgres")
	case o.users < 1 || o.users > 100_000:
		return errors.New("-users must be between 1 and 100,000")
	case o.duration < 0 || o.duration > time.Hour:
		return errors.New("-duration must be between 0 and 1h")
	case o.think < 0 || o.think > time.Minute:
		return errors.New("-think must be between 0 and 1m")
	case o.timeout < time.Minute || o.timeout > 2*time.Hour:
		return errors.New("-timeout must be between 1m and 2h")
	case o.duration >= o.timeout:
		return errors.New("-timeout must be longer than -duration")
	case !slugRE.MatchString(o.course):
		return errors.New("-course must be a course slug")
	case o.lang != "nl" && o.lang != "en":
		return errors.New("-lang must be nl or en")
	case o.setupConc < 1 || o.setupConc > 64:
		return errors.New("-setup-concurrency must be between 1 and 64")
	}
	return nil
}
