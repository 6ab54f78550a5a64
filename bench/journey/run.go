package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db" // also registers the "sqlite" driver
	"github.com/raadzaam/raadzaam/db/refdata"
)

// Names for the office holders: common Dutch names and some that need more
// of the certificate font than ASCII.
var (
	firstNames = []string{"Anouk", "Jeroen", "Fatima", "Sem", "Özlem", "Chloë", "Łukasz", "Mohamed", "Inge", "Daan",
		"Noëlle", "Pieter", "Sanne", "Youssef", "Marieke", "Bram", "Aïsha", "Tjeerd", "Esra", "Hélène"}
	lastNames = []string{"de Vries", "Jansen", "Bakker", "Yılmaz", "van den Berg", "Smit", "El Amrani", "Brouwer",
		"Visser", "de Boer", "Mulder", "Šimić", "van Dijk", "Bouzid", "Hoekstra", "Çelik", "Dekker", "Kuipers", "Meijer"}
)

func officeHolderName(i int) string {
	return firstNames[i%len(firstNames)] + " " + lastNames[(i/len(firstNames))%len(lastNames)]
}

func officeHolderEmail(i int) string { return fmt.Sprintf("raadslid%05d@bench.raadzaam.test", i) }

// createOfficeHolders adds the office holders with `raadzaam user add`,
// conc at a time: learners, each a raadslid of a municipality of its own
// (round robin over the current ones), with a random password each.
func createOfficeHolders(ctx context.Context, in *benchkit.Instance, people []*person, conc int) error {
	list, err := courses.ParseMunicipalities(bytes.NewReader(refdata.Municipalities), refdata.MunicipalitiesFile)
	if err != nil {
		return err
	}
	var current []string
	for _, m := range list {
		if m.Active {
			current = append(current, m.CBSCode)
		}
	}
	if len(current) == 0 {
		return errors.New("no current municipality in the shipped list")
	}
	var next atomic.Int64
	var done atomic.Int64
	errc := make(chan error, conc)
	for range conc {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(people) || ctx.Err() != nil {
					errc <- ctx.Err()
					return
				}
				p := people[i]
				_, err := in.AddUser(ctx, benchkit.NewAccount{Email: p.email, Name: officeHolderName(i), Password: p.password,
					Role: courses.RoleLearner, Office: courses.Raadslid, Municipality: current[i%len(current)]})
				if err != nil {
					errc <- err
					return
				}
				if n := done.Add(1); n%200 == 0 {
					benchkit.Logf("  %d of %d office holders added", n, len(people))
				}
			}
		}()
	}
	var first error
	for range conc {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// report is everything the Markdown report shows.
type report struct {
	o          options
	machine    benchkit.Machine
	database   string
	course     *course
	loadBefore string // load average just before the load
	loadAfter  string // and just after it
	firstStart time.Duration
	accounts   time.Duration // creating the office holders
	start      time.Duration // the measured server: exec → /readyz
	idleRSS    int64         // the measured server before the load

	// The load.
	began, ended time.Time // first start, last end
	people       []*person
	rec          *recorder
	maxActive    int64 // journeys under way at once, at most
	peakRSS      int64 // highest VmRSS sampled (every 100 ms)
	peakRSSAt    time.Duration
	timeline     []point // every 5 s
	hwm, rss     int64   // VmHWM and VmRSS after the load
	cpu          benchkit.CPUUse

	// The server's own /metrics: database connection pools over the load.
	pools []poolUse

	// Afterwards.
	log          *benchkit.ServerLog
	certificates int64         // issued, in the database
	holders      int64         // distinct holders among them
	pdfs         int64         // stored by the background job
	pdfsAfter    time.Duration // after the last journey ended, until every PDF was stored (or the wait gave up)
	jobRSS       int64         // VmHWM once every PDF was stored
}

func run(ctx context.Context, o options, stdout io.Writer) (err error) {
	rep := &report{o: o, machine: benchkit.DescribeMachine(), rec: newRecorder()}
	rep.course, err = readCourse(o.course)
	if err != nil {
		return err
	}
	sup := benchkit.NewSupervisor()
	defer sup.StopAll()
	in, err := benchkit.Prepare(ctx, sup, o.db, o.pgAdminURL, true)
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
	rep.database = in.Database
	metricsPort, err := benchkit.FreePort()
	if err != nil {
		return err
	}
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	in.Env = []string{"RAADZAAM_DEMO=off", benchkit.TrustLoopbackProxy, fmt.Sprintf("RAADZAAM_METRICS_ADDR=127.0.0.1:%d", metricsPort)}

	// The empty database: migrate, load the catalogue and municipalities.
	benchkit.Logf("first start on the empty database (migrate, load the catalogue)")
	s, d, err := in.Start(ctx, "raadzaam", "/readyz", time.Minute)
	if err != nil {
		return err
	}
	rep.firstStart = d
	if err := in.Stop(s, 10*time.Second); err != nil {
		return err
	}

	// The office holders, through the product's own command.
	rep.people = make([]*person, o.users)
	for i := range rep.people {
		rep.people[i] = &person{i: i, email: officeHolderEmail(i), password: rand.Text()}
	}
	benchkit.Logf("adding %d office holders with `raadzaam user add`, %d at a time", o.users, o.setupConc)
	t0 := time.Now()
	if err := createOfficeHolders(ctx, in, rep.people, o.setupConc); err != nil {
		return err
	}
	rep.accounts = time.Since(t0)
	benchkit.Logf("added %d office holders in %s", o.users, benchkit.FmtDur(rep.accounts))

	// The measured server.
	logFrom := benchkit.FileSize(in.LogPath)
	s, rep.start, err = in.Start(ctx, "raadzaam", "/readyz", time.Minute)
	if err != nil {
		return err
	}
	if rep.idleRSS, _, err = s.Memory(); err != nil {
		return err
	}
	poolsBefore, err := scrapePools(ctx, metricsURL)
	if err != nil {
		return err
	}
	if err := runLoad(ctx, o, s, in.PGName, rep); err != nil {
		return err
	}
	poolsAfter, err := scrapePools(ctx, metricsURL)
	if err != nil {
		return err
	}
	rep.pools = diffPools(poolsBefore, poolsAfter)
	if done, werr := s.Exited(); done {
		return fmt.Errorf("raadzaam exited during the load: %v\n%s", werr, benchkit.Tail(in.LogPath, 3000))
	}

	// The background job stores each certificate's PDF; wait for the last.
	if err := countCertificates(ctx, in.DSN(), rep); err != nil {
		return err
	}
	_, rep.jobRSS, _ = s.Memory()
	if err := in.Stop(s, 15*time.Second); err != nil {
		return err
	}
	if rep.log, err = benchkit.ReadServerLog(in.LogPath, logFrom); err != nil {
		return err
	}
	rep.write(stdout)
	return nil
}

// point is the state of the load at one moment.
type point struct {
	at             time.Duration
	rss            int64
	active         int64 // journeys under way
	signedIn, done int64 // sign-ins answered, journeys completed
}

// runLoad lets every office holder go through the journey once, starting
// evenly spread over o.duration, and measures.
func runLoad(ctx context.Context, o options, s *benchkit.Server, pgName string, rep *report) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var active, finished, signedIn, completed atomic.Int64

	// Memory every 100 ms, and the state of the load every 5 s, until the
	// load ends.
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	t0 := time.Now()
	go func() {
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for n := 0; ; n++ {
			rss, _, err := s.Memory()
			if err == nil && rss > rep.peakRSS {
				rep.peakRSS, rep.peakRSSAt = rss, time.Since(t0)
			}
			if n%50 == 0 {
				rep.timeline = append(rep.timeline, point{at: time.Since(t0), rss: rss, active: active.Load(),
					signedIn: signedIn.Load(), done: completed.Load()})
			}
			select {
			case <-t.C:
			case <-stopSampling:
				return
			}
		}
	}()

	rep.loadBefore = benchkit.LoadAvg()
	benchkit.Logf("load: %d office holders starting over %s, load average %s", o.users, o.duration, rep.loadBefore)
	before := benchkit.TakeCPU(s.PID(), pgName)
	spacing := time.Duration(0)
	if o.users > 1 {
		spacing = o.duration / time.Duration(o.users-1)
	}
	var wg sync.WaitGroup
	rep.began = time.Now()
	for _, p := range rep.people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if benchkit.Sleep(ctx, time.Until(rep.began.Add(time.Duration(p.i)*spacing))) != nil {
				rep.rec.journey(p, fail("start", ctx.Err()))
				return
			}
			b := benchkit.NewBrowser(s.Base, o.lang, true)
			defer b.Close()
			b.ClientIP = benchkit.ClientAddr(p.i)
			b.Observe = func(step string, status, n int, d time.Duration, err error) {
				rep.rec.request(step, status, n, d, err)
				if step == "signin" && status != 0 {
					signedIn.Add(1)
				}
				if o.think > 0 {
					_ = benchkit.Sleep(ctx, o.think)
				}
			}
			n := active.Add(1)
			for {
				m := atomic.LoadInt64(&rep.maxActive)
				if n <= m || atomic.CompareAndSwapInt64(&rep.maxActive, m, n) {
					break
				}
			}
			p.start = time.Now()
			err := rep.course.journey(ctx, b, p)
			p.end = time.Now()
			active.Add(-1)
			if err == nil {
				completed.Add(1)
			}
			rep.rec.journey(p, err)
			if f := finished.Add(1); f%100 == 0 || int(f) == o.users {
				benchkit.Logf("  %d of %d journeys ended (%d failed so far), %d under way", f, o.users, rep.rec.failedJourneys(), active.Load())
			}
		}()
	}
	wg.Wait()
	rep.ended = time.Now()
	after := benchkit.TakeCPU(s.PID(), pgName)
	rep.loadAfter = benchkit.LoadAvg()
	close(stopSampling)
	<-sampled
	rep.cpu = before.To(after)
	var err error
	rep.rss, rep.hwm, err = s.Memory()
	if err != nil {
		return err
	}
	benchkit.Logf("load done in %s; VmHWM %s; load average %s", benchkit.FmtDur(rep.ended.Sub(rep.began)), benchkit.FmtMB(rep.hwm), rep.loadAfter)
	return ctx.Err()
}

// countCertificates reads the certificates issued during the load, and
// waits up to 2 minutes for the background job to store every PDF.
func countCertificates(ctx context.Context, dsn string, rep *report) error {
	d, err := db.Open(dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.NewSelect().TableExpr("certificates").Count(ctx)
	if err != nil {
		return err
	}
	rep.certificates = n
	if err := d.NewSelect().TableExpr("certificates").ColumnExpr("COUNT(DISTINCT user_id)").Scan(ctx, &rep.holders); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if rep.pdfs, err = d.NewSelect().TableExpr("certificate_pdfs").Count(ctx); err != nil {
			return err
		}
		if rep.pdfs >= rep.certificates || time.Now().After(deadline) {
			rep.pdfsAfter = time.Since(rep.ended)
			return nil
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// poolUse is what one of the server's database connection pools did over
// the load, from its /metrics (app/metrics.go).
type poolUse struct {
	name  string
	max   float64
	waits float64 // connections asked for while none was free
	wait  float64 // seconds spent waiting for one, summed over requests
}

var poolMetric = regexp.MustCompile(`(?m)^raadzaam_db_connection(?:s_max|_waits_total|_wait_seconds_total)\{pool="([a-z0-9_-]+)"\} ([0-9.e+-]+)$`)

// scrapePools reads the connection pools' counters from /metrics.
func scrapePools(ctx context.Context, url string) (map[string]poolUse, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s %v", resp.Status, err)
	}
	out := map[string]poolUse{}
	for _, line := range strings.Split(string(b), "\n") {
		m := poolMetric.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		p := out[m[1]]
		p.name = m[1]
		switch {
		case strings.HasPrefix(line, "raadzaam_db_connections_max"):
			p.max = v
		case strings.HasPrefix(line, "raadzaam_db_connection_waits_total"):
			p.waits = v
		default:
			p.wait = v
		}
		out[m[1]] = p
	}
	if len(out) == 0 {
		return nil, errors.New("GET /metrics: no raadzaam_db_connection figures")
	}
	return out, nil
}

// diffPools is what each pool did between two scrapes, by name.
func diffPools(before, after map[string]poolUse) []poolUse {
	var out []poolUse
	for _, name := range slices.Sorted(maps.Keys(after)) {
		a, b := after[name], before[name]
		out = append(out, poolUse{name: name, max: a.max, waits: a.waits - b.waits, wait: a.wait - b.wait})
	}
	return out
}
