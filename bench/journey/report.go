package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
)

// stepStats is what the load saw of one step of the journey.
type stepStats struct {
	lat       []time.Duration // answered requests
	bytes     int64
	transport int // requests without an answer
}

// recorder collects every request and every journey's outcome, from all
// office holders at once.
type recorder struct {
	mu       sync.Mutex
	steps    map[string]*stepStats
	all      []time.Duration
	journeys []time.Duration // of the journeys that went all the way
	failed   int
	failures map[string]int    // by "step\x00kind"
	examples map[string]string // the first of each
}

func newRecorder() *recorder {
	return &recorder{steps: map[string]*stepStats{}, failures: map[string]int{}, examples: map[string]string{}}
}

func (r *recorder) request(step string, status, n int, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.steps[step]
	if s == nil {
		s = &stepStats{}
		r.steps[step] = s
	}
	if status == 0 {
		s.transport++
		return
	}
	s.lat = append(s.lat, d)
	s.bytes += int64(n)
	r.all = append(r.all, d)
}

func (r *recorder) journey(p *person, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.journeys = append(r.journeys, p.end.Sub(p.start))
		return
	}
	r.failed++
	f := fail("?", err)
	k := f.step + "\x00" + f.kind
	r.failures[k]++
	if _, ok := r.examples[k]; !ok {
		r.examples[k] = f.err.Error()
	}
}

func (r *recorder) failedJourneys() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// steps in journey order, with what each request is.
var stepOrder = []struct{ name, what string }{
	{"signin-form", "`GET /inloggen` (the form and its CSRF cookie)"},
	{"signin", "`POST /inloggen` (argon2id; 303 to the dashboard)"},
	{"dashboard", "`GET /mijn-leren`"},
	{"catalogue", "`GET /cursussen` (signed in: rendered, not cached)"},
	{"course", "`GET /cursussen/{slug}`"},
	{"enrol", "`POST /cursussen/{slug}/inschrijven`"},
	{"resume", "`GET /leren/{slug}` (303 to the first activity)"},
	{"lesson", "`GET` a lesson page"},
	{"lesson-done", "`POST …/gedaan` (the lesson's done form; 303 to the next)"},
	{"quiz", "`GET` the quiz page"},
	{"quiz-submit", "`POST …/toets` (all answers right; completes the course, issues the certificate)"},
	{"quiz-result", "`GET` the result page (must say passed)"},
	{"dashboard-completed", "`GET /mijn-leren` (must list the certificate)"},
	{"certificate-pdf", "`GET /api/v1/certificates/{nummer}.pdf` (must be a whole PDF)"},
	{"verify", "`GET /verifieer/{nummer}` (must say valid)"},
}

func (r *report) write(w io.Writer) {
	rec := r.rec
	o, m, c := r.o, r.machine, r.course
	window := r.ended.Sub(r.began)
	completed := len(rec.journeys)
	var requests int
	for _, s := range rec.steps {
		requests += len(s.lat) + s.transport
	}

	fmt.Fprintf(w, "### %s — %s\n\n", o.db, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %s; load average just before the load %s, just after it %s\n", m, r.loadBefore, r.loadAfter)
	fmt.Fprintf(w, "- Database: %s; raadzaam built with CGO_ENABLED=0 by %s, %s/%s\n", r.database, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	spread := "all at once"
	if o.duration > 0 {
		spread = fmt.Sprintf("evenly over %s (one every %s)", o.duration, benchkit.FmtDur(o.duration/time.Duration(max(1, o.users-1))))
	}
	fmt.Fprintf(w, "- Load: %s office holders, each a goroutine in this program with a browser of its own (one keep-alive connection, "+
		"its own cookies, `Accept-Encoding: gzip`, `Accept-Language: %s`, its own `Fly-Client-IP`), starting %s, think time %s; "+
		"each goes once through the course `%s` (%d activities: %d lessons, %d quiz)\n",
		benchkit.FmtInt(int64(o.users)), o.lang, spread, o.think, c.slug, c.activities, c.lessons, c.quizzes)
	fmt.Fprintf(w, "- Set-up, not measured: first start on the empty database %s; %s accounts with `raadzaam user add` in %s; "+
		"the measured server's start → `/readyz` %s, VmRSS then %s\n\n",
		benchkit.FmtDur(r.firstStart), benchkit.FmtInt(int64(o.users)), benchkit.FmtDur(r.accounts), benchkit.FmtDur(r.start), benchkit.FmtMB(r.idleRSS))

	all := benchkit.Summarize(rec.all)
	jt := benchkit.Summarize(rec.journeys)
	fmt.Fprintln(w, "| Measure | Result |")
	fmt.Fprintln(w, "|---|---|")
	fmt.Fprintf(w, "| Journeys completed (every check passed) | **%s of %s** (%d failed) |\n", benchkit.FmtInt(int64(completed)), benchkit.FmtInt(int64(o.users)), rec.failed)
	fmt.Fprintf(w, "| Errors (goal: none) | %s |\n", r.errorSummary())
	fmt.Fprintf(w, "| Load time, first start → last journey ended | %s |\n", benchkit.FmtDur(window))
	fmt.Fprintf(w, "| Completed journeys per second | **%.1f** |\n", float64(completed)/window.Seconds())
	fmt.Fprintf(w, "| Requests, requests per second | %s, **%s/s** (%.1f per journey) |\n", benchkit.FmtInt(int64(requests)),
		benchkit.FmtInt(int64(float64(requests)/window.Seconds())), float64(requests)/float64(max(1, o.users)))
	fmt.Fprintf(w, "| Latency of every request: p50 / p95 / p99 / max | **%s / %s / %s** / %s |\n",
		benchkit.FmtDur(all.P50), benchkit.FmtDur(all.P95), benchkit.FmtDur(all.P99), benchkit.FmtDur(all.Max))
	fmt.Fprintf(w, "| A whole journey: p50 / p95 / p99 / max | %s / %s / %s / %s |\n",
		benchkit.FmtDur(jt.P50), benchkit.FmtDur(jt.P95), benchkit.FmtDur(jt.P99), benchkit.FmtDur(jt.Max))
	fmt.Fprintf(w, "| Journeys under way at once, at most | %s |\n", benchkit.FmtInt(r.maxActive))
	fmt.Fprintf(w, "| raadzaam's peak memory (VmHWM) | **%s** (highest VmRSS sampled %s, %s into the load; %s idle before it; VmRSS after it %s) |\n",
		benchkit.FmtMB(r.hwm), benchkit.FmtMB(r.peakRSS), benchkit.FmtDur(r.peakRSSAt), benchkit.FmtMB(r.idleRSS), benchkit.FmtMB(r.rss))
	perJourney := func(d time.Duration) string { return benchkit.FmtDur(d / time.Duration(max(1, o.users))) }
	cpu := fmt.Sprintf("raadzaam %s, this program (the browsers) %s", perJourney(r.cpu.Server), perJourney(r.cpu.Self))
	if o.db == "postgres" {
		cpu += ", PostgreSQL's backends " + perJourney(r.cpu.PG)
	}
	fmt.Fprintf(w, "| CPU per journey | %s (raadzaam %.2f of %d cores on average over the load) |\n", cpu, r.cpu.Server.Seconds()/window.Seconds(), m.CPUs)
	fmt.Fprintf(w, "| Certificates issued; distinct holders; PDFs stored by the background job | %s; %s; %s, the last %s after the last journey ended |\n",
		benchkit.FmtInt(r.certificates), benchkit.FmtInt(r.holders), benchkit.FmtInt(r.pdfs), benchkit.FmtDur(r.pdfsAfter))
	for _, p := range r.pools {
		fmt.Fprintf(w, "| Database pool `%s` (%.0f connections), from raadzaam's `/metrics` | %s waits for a free connection, %.1f s waited in all (%s per request) |\n",
			p.name, p.max, benchkit.FmtInt(int64(p.waits)), p.wait, benchkit.FmtDur(time.Duration(p.wait*float64(time.Second))/time.Duration(max(1, requests))))
	}
	if r.log != nil {
		fmt.Fprintf(w, "| Server log from the measured start to its stop | %s lines; ERROR %d, WARN %d, panics %d; answers: %s |\n",
			benchkit.FmtInt(int64(r.log.Lines)), r.log.Levels["ERROR"], r.log.Levels["WARN"], r.log.Panics, statuses(r.log.Statuses))
	}
	fmt.Fprintln(w)

	if len(r.timeline) > 1 {
		fmt.Fprintln(w, "The load every 5 s (seconds since the first start: sign-ins answered, journeys under way, journeys completed, raadzaam's VmRSS):")
		fmt.Fprintln(w)
		var parts []string
		for _, p := range r.timeline {
			parts = append(parts, fmt.Sprintf("%.0f s: %s / %s / %s / %.0f MB", p.at.Seconds(), benchkit.FmtInt(p.signedIn),
				benchkit.FmtInt(p.active), benchkit.FmtInt(p.done), float64(p.rss)/1e6))
		}
		fmt.Fprintln(w, strings.Join(parts, "; "))
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Per step (as the browsers saw it: from sending the request to reading the whole answer):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Step | Request | Requests | p50 | p95 | p99 | max | Share of the time | Bytes/answer | Errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	var total time.Duration
	for _, d := range rec.all {
		total += d
	}
	for _, st := range stepOrder {
		s := rec.steps[st.name]
		if s == nil {
			continue
		}
		sum := benchkit.Summarize(s.lat)
		errs := s.transport
		for k, n := range rec.failures {
			if strings.HasPrefix(k, st.name+"\x00") && !strings.HasSuffix(k, "\x00transport") && !strings.HasSuffix(k, "\x00timeout") {
				errs += n
			}
		}
		share := 0.0
		if total > 0 {
			share = 100 * float64(sum.Mean*time.Duration(sum.N)) / float64(total)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %.1f %% | %s | %d |\n", st.name, strings.ReplaceAll(st.what, "{slug}", c.slug),
			benchkit.FmtInt(int64(sum.N+s.transport)), benchkit.FmtDur(sum.P50), benchkit.FmtDur(sum.P95), benchkit.FmtDur(sum.P99),
			benchkit.FmtDur(sum.Max), share, benchkit.FmtInt(s.bytes/int64(max(1, sum.N))), errs)
	}
	fmt.Fprintln(w)

	if r.log != nil && len(r.log.Routes) > 0 {
		fmt.Fprintln(w, "The server's own time per route (its access log's `ms`: from the request read to the answer written, without the queueing before):")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Route | Requests | p50 | p95 | p99 | max | Share of the server's time |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		type route struct {
			name string
			sum  benchkit.Summary
			tot  time.Duration
		}
		var routes []route
		var serverTotal time.Duration
		for name, ds := range r.log.Routes {
			s := benchkit.Summarize(ds)
			t := s.Mean * time.Duration(s.N)
			routes = append(routes, route{name, s, t})
			serverTotal += t
		}
		slices.SortFunc(routes, func(a, b route) int { return cmp.Compare(b.tot, a.tot) })
		for _, rt := range routes {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s | %.1f %% |\n", rt.name, benchkit.FmtInt(int64(rt.sum.N)), benchkit.FmtDur(rt.sum.P50),
				benchkit.FmtDur(rt.sum.P95), benchkit.FmtDur(rt.sum.P99), benchkit.FmtDur(rt.sum.Max), 100*float64(rt.tot)/float64(max(1, serverTotal)))
		}
		fmt.Fprintln(w)
	}

	if len(rec.failures) > 0 {
		fmt.Fprintln(w, "Errors: the journeys that stopped, by step and kind, with the first of each:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Step | Kind | Journeys | First seen |")
		fmt.Fprintln(w, "|---|---|---:|---|")
		for _, k := range slices.Sorted(maps.Keys(rec.failures)) {
			step, kind, _ := strings.Cut(k, "\x00")
			ex := strings.ReplaceAll(strings.ReplaceAll(rec.examples[k], "|", "\\|"), "\n", " ")
			fmt.Fprintf(w, "| %s | %s | %d | %.240s |\n", step, kind, rec.failures[k], ex)
		}
		fmt.Fprintln(w)
	}
	if r.log != nil && len(r.log.Problems) > 0 {
		fmt.Fprintln(w, "Server log lines above INFO (the first 20):")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "```")
		for _, l := range r.log.Problems {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "```")
		fmt.Fprintln(w)
	}
}

func (r *report) errorSummary() string {
	rec := r.rec
	if len(rec.failures) == 0 {
		return "**none**"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(rec.failures)) {
		step, kind, _ := strings.Cut(k, "\x00")
		parts = append(parts, fmt.Sprintf("%s at %s: %d", kind, step, rec.failures[k]))
	}
	return "**" + strings.Join(parts, "; ") + "**"
}

func statuses(m map[int]int) string {
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d × %s", s, benchkit.FmtInt(int64(m[s]))))
	}
	return strings.Join(parts, ", ")
}
