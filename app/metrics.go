package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/riverqueue/river"
)

// Metrics for Prometheus (Fly's managed Prometheus scrapes them): served in
// the text exposition format 0.0.4 at /metrics on a listener of its own,
// RAADZAAM_METRICS_ADDR, and nowhere else. Fly publishes only the ports of
// fly.toml's services, so that listener is reachable on the private network
// only, where Fly's scraper connects; the public port answers /metrics with
// 404. Labels hold route patterns, methods, status classes, job kinds and
// pool names: never a path, an id, a query or anything personal.

// latencyBuckets are the upper bounds of the request latency histogram:
// pages take about a millisecond of CPU, PDFs and exports up to seconds.
var latencyBuckets = [...]time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// statusClasses name the status codes' classes, from 1xx.
var statusClasses = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

const (
	// unmatchedRoute labels requests that no route answered: 404s, 405s,
	// and requests refused before routing (a bad bearer token).
	unmatchedRoute = "unmatched"
	// maxRouteSeries bounds the request series. The route table and the
	// methods Fiber accepts bound them already; this is a safety net.
	maxRouteSeries = 2000
	// maxJobSeries likewise bounds the job series (kinds × outcomes).
	maxJobSeries = 200
	// metricsQueryTimeout bounds the database's part of a scrape: a
	// database that hangs costs the scrape its backlog, not its answer.
	metricsQueryTimeout = 2 * time.Second
)

// metrics holds what is counted as it happens: requests and jobs worked.
// Everything else is read when scraped.
type metrics struct {
	start    time.Time
	inFlight atomic.Int64
	// byRoute finds a request's counters by the Fiber route that answered
	// it, without a lock: the map is replaced, never changed, when a route
	// is first seen.
	byRoute  atomic.Pointer[map[*fiber.Route]*routeStats]
	routesMu sync.Mutex               // serialises the replacements and guards byLabel
	byLabel  map[routeKey]*routeStats // the same counters by their labels
	jobsMu   sync.Mutex
	jobs     map[jobKey]*jobStats
}

type routeKey struct{ method, route string }

// routeStats are one route's counters, updated atomically.
type routeStats struct {
	byClass [len(statusClasses)]atomic.Uint64
	// buckets[i] counts requests that took at most latencyBuckets[i] and
	// more than the bound before; the last counts the rest.
	buckets [len(latencyBuckets) + 1]atomic.Uint64
	nanos   atomic.Uint64
}

type jobKey struct{ kind, outcome string }

type jobStats struct {
	count   uint64
	seconds float64
}

func newMetrics() *metrics {
	m := &metrics{start: time.Now(), byLabel: map[routeKey]*routeStats{}, jobs: map[jobKey]*jobStats{}}
	m.byRoute.Store(&map[*fiber.Route]*routeStats{})
	return m
}

// countRequests counts each request by route pattern, method and status
// class, and its latency. It is in the path of every request: one map
// lookup by pointer without a lock, and a few atomic additions.
func (m *metrics) countRequests(c *fiber.Ctx) error {
	start := time.Now()
	m.inFlight.Add(1)
	err := c.Next()
	r := c.Route() // the last route that ran: the one that answered, or a middleware's
	s, ok := (*m.byRoute.Load())[r]
	if !ok {
		s = m.addRoute(c.App(), r)
	}
	s.record(c.Response().StatusCode(), time.Since(start))
	m.inFlight.Add(-1)
	return err
}

// addRoute finds the counters of a route not seen before. Fiber gives the
// copies of a middleware route the request's method and the middleware's
// prefix, so a request that no route answered ends on one that looks like
// the route "/" of its method; it is told apart by its handlers, which are
// not those of any route in the table.
func (m *metrics) addRoute(app *fiber.App, r *fiber.Route) *routeStats {
	m.routesMu.Lock()
	defer m.routesMu.Unlock()
	old := *m.byRoute.Load()
	if s, ok := old[r]; ok {
		return s
	}
	key := routeKey{r.Method, unmatchedRoute}
	if len(r.Handlers) > 0 {
		for _, known := range app.GetRoutes(true) {
			if known.Method == r.Method && known.Path == r.Path && len(known.Handlers) > 0 && &known.Handlers[0] == &r.Handlers[0] {
				key.route = r.Path
				break
			}
		}
	}
	s := m.labelStats(key)
	// Fiber's stand-in route for its own errors has no handlers and is
	// new each time: it is not remembered.
	if len(r.Handlers) > 0 && len(old) < maxRouteSeries {
		next := maps.Clone(old)
		next[r] = s
		m.byRoute.Store(&next)
	}
	return s
}

// labelStats returns the counters of key, made on first use; routesMu is
// held.
func (m *metrics) labelStats(key routeKey) *routeStats {
	if s, ok := m.byLabel[key]; ok {
		return s
	}
	if len(m.byLabel) >= maxRouteSeries {
		key = routeKey{"OTHER", unmatchedRoute}
		if s, ok := m.byLabel[key]; ok {
			return s
		}
	}
	s := &routeStats{}
	m.byLabel[key] = s
	return s
}

// record counts one request with its status and latency.
func (s *routeStats) record(status int, took time.Duration) {
	class := status/100 - 1
	if class < 0 || class >= len(statusClasses) {
		class = len(statusClasses) - 1
	}
	s.byClass[class].Add(1)
	i := 0
	for i < len(latencyBuckets) && took > latencyBuckets[i] {
		i++
	}
	s.buckets[i].Add(1)
	s.nanos.Add(uint64(max(took, 0)))
}

// jobWorked counts a job this instance worked, by kind and outcome
// (completed, failed, cancelled, snoozed, interrupted).
func (m *metrics) jobWorked(ev *river.Event) {
	if ev == nil || ev.Job == nil {
		return
	}
	key := jobKey{kind: ev.Job.Kind, outcome: strings.TrimPrefix(string(ev.Kind), "job_")}
	m.jobsMu.Lock()
	defer m.jobsMu.Unlock()
	s, ok := m.jobs[key]
	if !ok {
		if len(m.jobs) >= maxJobSeries {
			return
		}
		s = &jobStats{}
		m.jobs[key] = s
	}
	s.count++
	if ev.JobStats != nil {
		s.seconds += ev.JobStats.RunDuration.Seconds()
	}
}

// jobKinds are the kinds of background job, reported even while none is
// waiting so that their series do not come and go.
var jobKinds = []string{courses.EnrolmentConfirmationJob{}.Kind(), courses.SessionReminderJob{}.Kind(),
	courses.WaitlistPromotionJob{}.Kind(), courses.DeadlineReminderJob{}.Kind(), courses.RecertificationJob{}.Kind(),
	courses.CertificateJob{}.Kind()}

// startMetrics counts the jobs this instance works and, when
// RAADZAAM_METRICS_ADDR is set, serves /metrics there. stop ends both.
func (a *application) startMetrics() (stop func(), err error) {
	events, unsubscribe := a.jobs.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed, river.EventKindJobInterrupted)
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for ev := range events {
			a.metrics.jobWorked(ev)
		}
	}()
	stopCounting := func() { unsubscribe(); <-counted }
	if a.cfg.MetricsAddr == "" {
		return stopCounting, nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		stopCounting()
		return nil, fmt.Errorf("RAADZAAM_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", a.handleMetrics) // HEAD too; any other path is 404
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener", "error", err.Error())
		}
	}()
	a.log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close() // a scrape still running after a second is cut off
		}
		<-served
		stopCounting()
	}, nil
}

// handleMetrics answers a scrape.
func (a *application) handleMetrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), metricsQueryTimeout)
	defer cancel()
	var b bytes.Buffer
	a.writeMetrics(ctx, &b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// writeMetrics writes every metric family, each with its HELP and TYPE.
func (a *application) writeMetrics(ctx context.Context, b *bytes.Buffer) {
	e := expo{b}
	m := a.metrics
	a.writeRequestMetrics(e)

	e.family("raadzaam_jobs_worked_total", "counter", "Background jobs this instance worked since it started, by kind and outcome; kind=\"certificate\",outcome=\"completed\" counts the certificates it rendered and mailed.")
	m.jobsMu.Lock()
	jobs := make([]jobKey, 0, len(m.jobs))
	seconds := map[jobKey]float64{}
	counts := map[jobKey]uint64{}
	for k, s := range m.jobs {
		jobs = append(jobs, k)
		counts[k], seconds[k] = s.count, s.seconds
	}
	m.jobsMu.Unlock()
	slices.SortFunc(jobs, func(x, y jobKey) int { return cmp.Or(cmp.Compare(x.kind, y.kind), cmp.Compare(x.outcome, y.outcome)) })
	for _, k := range jobs {
		e.sample("raadzaam_jobs_worked_total", float64(counts[k]), "kind", k.kind, "outcome", k.outcome)
	}
	e.family("raadzaam_job_run_seconds_total", "counter", "Time this instance spent working jobs, by kind and outcome.")
	for _, k := range jobs {
		e.sample("raadzaam_job_run_seconds_total", seconds[k], "kind", k.kind, "outcome", k.outcome)
	}

	pools := a.db.PoolStats(a.jobs)
	e.family("raadzaam_db_connections", "gauge", "Open database connections by pool and state.")
	for _, p := range pools {
		e.sample("raadzaam_db_connections", float64(p.InUse), "pool", p.Name, "state", "in_use")
		e.sample("raadzaam_db_connections", float64(p.Idle), "pool", p.Name, "state", "idle")
	}
	e.family("raadzaam_db_connections_max", "gauge", "The most connections a pool opens (0: no limit).")
	for _, p := range pools {
		e.sample("raadzaam_db_connections_max", float64(p.Max), "pool", p.Name)
	}
	e.family("raadzaam_db_connection_waits_total", "counter", "Connections asked for while none was free.")
	for _, p := range pools {
		e.sample("raadzaam_db_connection_waits_total", float64(p.Waits), "pool", p.Name)
	}
	e.family("raadzaam_db_connection_wait_seconds_total", "counter", "Time spent waiting for a free connection.")
	for _, p := range pools {
		e.sample("raadzaam_db_connection_wait_seconds_total", p.WaitTime.Seconds(), "pool", p.Name)
	}

	backlog, err := a.db.Backlog(ctx)
	e.family("raadzaam_database_up", "gauge", "1 when this scrape's database queries answered, 0 otherwise (the queue, outbox and certificate figures are then left out).")
	if err != nil {
		a.log.Warn("metrics: database figures", "error", err.Error())
		e.sample("raadzaam_database_up", 0)
	} else {
		e.sample("raadzaam_database_up", 1)
	}
	e.backlog(backlog)

	e.family("raadzaam_build_info", "gauge", "The Go version the binary was built with, as a label; always 1.")
	e.sample("raadzaam_build_info", 1, "go_version", runtime.Version())
	e.family("process_start_time_seconds", "gauge", "Start of the process, in seconds since the Unix epoch.")
	e.sample("process_start_time_seconds", float64(m.start.UnixMilli())/1000)
	e.family("go_gomaxprocs", "gauge", "GOMAXPROCS: the CPUs Go code runs on at once.")
	e.sample("go_gomaxprocs", float64(runtime.GOMAXPROCS(0)))
	samples := []rtmetrics.Sample{{Name: "/sched/goroutines:goroutines"}, {Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	rtmetrics.Read(samples)
	for i, f := range []struct{ name, typ, help string }{
		{"go_goroutines", "gauge", "Goroutines that exist now."},
		{"go_memory_heap_objects_bytes", "gauge", "Memory held by live heap objects and by dead ones not yet swept."},
		{"go_memory_total_bytes", "gauge", "All memory the Go runtime has mapped."},
		{"go_gc_cycles_total", "counter", "Completed garbage collection cycles."},
	} {
		e.family(f.name, f.typ, f.help)
		if samples[i].Value.Kind() == rtmetrics.KindUint64 {
			e.sample(f.name, float64(samples[i].Value.Uint64()))
		}
	}
}

// writeRequestMetrics writes the request counters and latency histogram.
func (a *application) writeRequestMetrics(e expo) {
	m := a.metrics
	m.routesMu.Lock()
	current := maps.Clone(m.byLabel)
	m.routesMu.Unlock()
	keys := slices.SortedFunc(maps.Keys(current), func(x, y routeKey) int {
		return cmp.Or(cmp.Compare(x.route, y.route), cmp.Compare(x.method, y.method))
	})
	e.family("raadzaam_http_requests_total", "counter", "HTTP requests answered, by route pattern (unmatched: no route answered), method and status class.")
	for _, k := range keys {
		for class := range current[k].byClass {
			if n := current[k].byClass[class].Load(); n > 0 {
				e.sample("raadzaam_http_requests_total", float64(n), "method", k.method, "route", k.route, "code", statusClasses[class])
			}
		}
	}
	e.family("raadzaam_http_requests_in_flight", "gauge", "HTTP requests being answered now.")
	e.sample("raadzaam_http_requests_in_flight", float64(m.inFlight.Load()))
	const h = "raadzaam_http_request_duration_seconds"
	e.family(h, "histogram", "Time from a request's arrival at Raadzaam to its answer, by route pattern and method.")
	for _, k := range keys {
		s := current[k]
		var total uint64
		for i, bound := range latencyBuckets {
			total += s.buckets[i].Load()
			e.sample(h+"_bucket", float64(total), "method", k.method, "route", k.route, "le", formatValue(bound.Seconds()))
		}
		total += s.buckets[len(latencyBuckets)].Load()
		e.sample(h+"_bucket", float64(total), "method", k.method, "route", k.route, "le", "+Inf")
		e.sample(h+"_sum", float64(s.nanos.Load())/1e9, "method", k.method, "route", k.route)
		e.sample(h+"_count", float64(total), "method", k.method, "route", k.route)
	}
}

// backlog writes the queue, outbox and certificate families; their
// samples only when b is known.
func (e expo) backlog(b *db.Backlog) {
	e.family("raadzaam_jobs", "gauge", "Background jobs in the queue (all instances) by kind and state: available, running, retryable or discarded.")
	if b != nil {
		counts := map[[2]string]int64{}
		kinds := slices.Clone(jobKinds)
		for _, j := range b.Jobs {
			counts[[2]string{j.Kind, j.State}] = j.Count
			if !slices.Contains(kinds, j.Kind) {
				kinds = append(kinds, j.Kind)
			}
		}
		slices.Sort(kinds)
		for _, kind := range kinds {
			for _, state := range db.JobStates {
				e.sample("raadzaam_jobs", float64(counts[[2]string{kind, state}]), "kind", kind, "state", state)
			}
		}
	}
	e.family("raadzaam_mail_unsent", "gauge", "E-mails in the outbox that are neither sent nor given up.")
	if b != nil {
		e.sample("raadzaam_mail_unsent", float64(b.MailUnsent))
	}
	e.family("raadzaam_certificates_issued_total", "counter", "Certificates issued by all instances since the beginning, re-issues included.")
	if b != nil {
		e.sample("raadzaam_certificates_issued_total", float64(b.Certificates))
	}
}

// expo writes Prometheus' text exposition format, version 0.0.4.
type expo struct{ b *bytes.Buffer }

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
)

// family starts a metric family. Its samples follow it, and only it.
func (e expo) family(name, typ, help string) {
	fmt.Fprintf(e.b, "# HELP %s %s\n# TYPE %s %s\n", name, helpEscaper.Replace(help), name, typ)
}

// sample writes one sample; labels are name, value pairs.
func (e expo) sample(name string, v float64, labels ...string) {
	e.b.WriteString(name)
	if len(labels) > 0 {
		e.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.b.WriteByte(',')
			}
			e.b.WriteString(labels[i])
			e.b.WriteString(`="`)
			e.b.WriteString(labelEscaper.Replace(labels[i+1]))
			e.b.WriteByte('"')
		}
		e.b.WriteByte('}')
	}
	e.b.WriteByte(' ')
	e.b.WriteString(formatValue(v))
	e.b.WriteByte('\n')
}

// formatValue writes whole numbers without an exponent, others as Go's
// shortest float, and the infinities and NaN as Prometheus spells them.
func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
