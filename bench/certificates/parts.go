package main

// The measurements: rendering (and storing) pinned to one core, issuing
// through the server, serving a stored PDF, and the association's ZIP.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/app/pdf"
	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/uptrace/bun"
)

// ---------------------------------------------------------------------------
// Rendering on one core

type renderResult struct {
	n           int
	wall, cpu   time.Duration // GOMAXPROCS=1
	bytes       int64
	alloc       uint64 // bytes allocated, all renders
	parWall     time.Duration
	parCPU      time.Duration
	parProcs    int
	store       time.Duration // StorePDF calls only (store runs)
	pgCPU       time.Duration // PostgreSQL backends (store runs)
	withStorage bool
}

func (r renderResult) perSecond() float64 { return float64(r.n) / r.wall.Seconds() }

// perCPUSecond is certificates per second of this process's CPU time.
func (r renderResult) perCPUSecond() float64 { return float64(r.n) / r.cpu.Seconds() }

// measureRender renders the pages of list one after the other with
// GOMAXPROCS=1, then again on every core. With store non-nil each PDF is
// also stored (one call per certificate, as the job does) under ids[i].
func measureRender(ctx context.Context, list []facts, baseURL string, store *db.CertificateService, ids []int64, pgName string) (renderResult, error) {
	r := renderResult{n: len(list), withStorage: store != nil}
	assets := pdf.DefaultAssets()
	// Warm up: the font and the images are parsed once per process.
	if _, err := pdf.Render(document(list[0], baseURL), assets); err != nil {
		return r, err
	}
	prev := runtime.GOMAXPROCS(1)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	pg0 := benchkit.PostgresCPU(pgName)
	cpu0, t0 := benchkit.SelfCPU(), time.Now()
	for i, f := range list {
		if ctx.Err() != nil {
			runtime.GOMAXPROCS(prev)
			return r, ctx.Err()
		}
		b, err := pdf.Render(document(f, baseURL), assets)
		if err != nil {
			runtime.GOMAXPROCS(prev)
			return r, err
		}
		r.bytes += int64(len(b))
		if store != nil {
			ts := time.Now()
			stored, err := store.StorePDF(ctx, ids[i], b)
			if err != nil || !stored {
				runtime.GOMAXPROCS(prev)
				return r, fmt.Errorf("store PDF %d: stored %v, %v", ids[i], stored, err)
			}
			r.store += time.Since(ts)
		}
	}
	r.wall, r.cpu = time.Since(t0), benchkit.SelfCPU()-cpu0
	r.pgCPU = benchkit.PostgresDelta(pg0, benchkit.PostgresCPU(pgName))
	runtime.ReadMemStats(&m1)
	r.alloc = m1.TotalAlloc - m0.TotalAlloc
	runtime.GOMAXPROCS(prev)
	if store != nil {
		return r, nil
	}
	// The same renders on every core.
	r.parProcs = runtime.GOMAXPROCS(0)
	cpu0, t0 = benchkit.SelfCPU(), time.Now()
	if _, err := renderAll(ctx, list, baseURL); err != nil {
		return r, err
	}
	r.parWall, r.parCPU = time.Since(t0), benchkit.SelfCPU()-cpu0
	return r, nil
}

// measureStore renders and stores n certificates of a learner of its own
// in database d with GOMAXPROCS=1, then deletes them again.
func measureStore(ctx context.Context, d *db.DB, n int, c *courses.Course, baseURL, hash, pgName string) (renderResult, error) {
	us := db.NewUserService(d)
	u, err := us.CreateUser(ctx, &courses.NewUser{Email: "opslag@bench.raadzaam.test", Name: "Opslag Meting", Role: courses.RoleLearner,
		Language: "nl", PasswordHash: hash})
	if err != nil {
		return renderResult{}, err
	}
	list := sampleFacts(n, c)
	rows := make([]certificateRow, n)
	for i, f := range list {
		rows[i] = certificateRow{Number: f.number, UserID: u.ID, CourseSlug: c.Slug, CourseTitle: c.Title, CourseVersion: 1,
			StudyHours: c.StudyHours, Language: "nl", HolderName: f.holder, HolderSearch: courses.SearchText(f.holder),
			CompletedAt: f.completed, IssuedAt: f.issued, ExpiresAt: f.expires, Issuer: "Raadzaam"}
	}
	for lo := 0; lo < n; lo += 500 {
		part := rows[lo:min(n, lo+500)]
		if _, err := d.NewInsert().Model(&part).Exec(ctx); err != nil {
			return renderResult{}, fmt.Errorf("insert certificates: %w", err)
		}
	}
	var got []certificateRow
	if err := d.NewSelect().Model(&got).Column("id", "number").Where("user_id = ?", u.ID).Scan(ctx); err != nil {
		return renderResult{}, err
	}
	byNumber := map[string]int64{}
	for _, g := range got {
		byNumber[g.Number] = g.ID
	}
	ids := make([]int64, n)
	for i, f := range list {
		if ids[i] = byNumber[f.number]; ids[i] == 0 {
			return renderResult{}, fmt.Errorf("certificate %s not found after insert", f.number)
		}
	}
	r, err := measureRender(ctx, list, baseURL, db.NewCertificateService(d), ids, pgName)
	if err != nil {
		return r, err
	}
	// The PDFs go with the certificates (ON DELETE CASCADE).
	if _, err := d.NewDelete().TableExpr("certificates").Where("user_id = ?", u.ID).Exec(ctx); err != nil {
		return r, err
	}
	return r, us.DeleteUser(ctx, u.ID)
}

// ---------------------------------------------------------------------------
// The JSON API

// lessonOf returns the id of the only lesson of the course.
func lessonOf(ctx context.Context, a *benchkit.API, slug string) (int64, error) {
	var c struct {
		Modules []struct {
			Activities []struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
			} `json:"activities"`
		} `json:"modules"`
	}
	if err := a.Call(ctx, http.MethodGet, "/api/v1/courses/"+slug, "", nil, nil, http.StatusOK, &c); err != nil {
		return 0, err
	}
	var ids []int64
	for _, m := range c.Modules {
		for _, act := range m.Activities {
			if act.Kind != "lesson" {
				return 0, fmt.Errorf("course %s has a %s", slug, act.Kind)
			}
			ids = append(ids, act.ID)
		}
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("course %s has %d lessons, want 1", slug, len(ids))
	}
	return ids[0], nil
}

// learner is one account of the issue part.
type learner struct {
	idx         int
	userID      int64
	token       string
	enrolmentID int64
}

// prepare signs every learner in (argon2id) and enrols it in the course.
func prepare(ctx context.Context, a *benchkit.API, slug string, learners []*learner, conc int) (time.Duration, error) {
	var next atomic.Int64
	var tokenLife atomic.Int64
	tokenLife.Store(math.MaxInt64)
	errc := make(chan error, conc)
	for range conc {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(learners) || ctx.Err() != nil {
					errc <- ctx.Err()
					return
				}
				l := learners[i]
				tok, life, err := signIn(ctx, a, benchkit.LearnerEmail(l.idx), "", l.idx)
				if err != nil {
					errc <- fmt.Errorf("learner %d: %w", l.idx, err)
					return
				}
				for cur := tokenLife.Load(); int64(life) < cur && !tokenLife.CompareAndSwap(cur, int64(life)); cur = tokenLife.Load() {
				}
				l.token = tok
				var e struct {
					ID     int64  `json:"id"`
					Course string `json:"course"`
				}
				if err := a.Call(ctx, http.MethodPost, "/api/v1/courses/"+slug+"/enrolment", tok, nil, nil, http.StatusCreated, &e); err != nil {
					errc <- fmt.Errorf("learner %d: %w", l.idx, err)
					return
				}
				if e.Course != slug || e.ID == 0 {
					errc <- fmt.Errorf("learner %d: enrolment %+v is not in %s", l.idx, e, slug)
					return
				}
				l.enrolmentID = e.ID
				if i > 0 && i%100 == 0 {
					benchkit.Logf("  %d of %d learners signed in and enrolled", i, len(learners))
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
	return time.Duration(tokenLife.Load()), first
}

// ---------------------------------------------------------------------------
// Issuing through the server

type issueResult struct {
	learners, clients int
	setup             time.Duration // sign-in and enrolment of every learner
	tokenLife         time.Duration
	completions       time.Duration // first completion sent → last answered
	allPDFs           time.Duration // first completion sent → every certificate's PDF stored
	pdfsDone          bool
	pdfsAtCompletions int
	p50, p99, max     time.Duration
	errors            int
	errorSamples      []string
	certificates      int // issued for the course's learners
	pdfs              int
	pdfBytes          int64
	badPDFs           int
	cpu               benchkit.CPUUse // first completion sent → every PDF stored
	cpuCompletions    benchkit.CPUUse // first completion sent → last answered
	cpuJobs           benchkit.CPUUse // last completion answered → every PDF stored
	jobWorkers        int
	curve             []curvePoint
	// The certificate jobs as River recorded them: how long each ran
	// (attempted_at → finalized_at) and how many ran at once on average.
	jobs                 int
	jobRunP50, jobRunP90 time.Duration
	busyWorkers          float64
	jobSpan              time.Duration // first attempt → last finalisation
	hwmBefore            int64         // raadzaam's peak RSS before the completions (the sign-ins')
	rssAfter, hwmAfter   int64         // raadzaam's memory afterwards
	jobNote              string        // why the above are missing
}

// curvePoint is how many PDFs were stored at a moment after the first
// completion was sent.
type curvePoint struct {
	at   time.Duration
	pdfs int
}

// completionAnswer is the answer to POST /api/v1/lessons/{id}/completion.
type completionAnswer struct {
	Lesson    int64 `json:"lesson"`
	Completed bool  `json:"completed"`
	Enrolment struct {
		ID          int64   `json:"id"`
		Status      string  `json:"status"`
		CompletedAt *string `json:"completed_at"`
	} `json:"enrolment"`
}

// countPDFs counts the stored PDFs of the certificates ids, by primary
// key: cheap enough to poll beside the ZIP's 10,000 PDFs.
func countPDFs(ctx context.Context, d *db.DB, ids []int64) (int, error) {
	n, err := d.NewSelect().TableExpr("certificate_pdfs AS p").Where("p.certificate_id IN (?)", bun.List(ids)).Count(ctx)
	return int(n), err
}

func countCertificates(ctx context.Context, d *db.DB, slug string) (int, error) {
	n, err := d.NewSelect().TableExpr("certificates AS ct").Where("ct.course_slug = ?", slug).Count(ctx)
	return int(n), err
}

// runIssue has every learner complete the lesson, clients at a time, and
// waits until every certificate has its PDF.
func runIssue(ctx context.Context, base string, lessonID int64, learners []*learner, clients int, d *db.DB, slug string, serverPID int, pgName string) (issueResult, error) {
	r := issueResult{learners: len(learners), clients: clients}
	if n, err := countCertificates(ctx, d, slug); err != nil || n != 0 {
		return r, fmt.Errorf("certificates of %s before the load: %d, %v", slug, n, err)
	}
	url := base + "/api/v1/lessons/" + strconv.FormatInt(lessonID, 10) + "/completion"
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, IdleConnTimeout: 90 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	lat := make([]time.Duration, len(learners))
	var mu sync.Mutex
	fail := func(msg string) {
		mu.Lock()
		r.errors++
		if len(r.errorSamples) < 5 {
			r.errorSamples = append(r.errorSamples, msg)
		}
		mu.Unlock()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	_, r.hwmBefore, _ = benchkit.ProcMemory(serverPID)
	before := benchkit.TakeCPU(serverPID, pgName)
	t0 := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(learners) || ctx.Err() != nil {
					return
				}
				l := learners[i]
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
				if err != nil {
					fail(err.Error())
					return
				}
				req.Header.Set("Authorization", "Bearer "+l.token)
				req.Header.Set("Accept", "application/json")
				ts := time.Now()
				resp, err := client.Do(req)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				lat[i] = time.Since(ts)
				var ans completionAnswer
				switch {
				case err != nil:
					fail("transport: " + err.Error())
				case resp.StatusCode != http.StatusOK:
					fail(fmt.Sprintf("%s: %.200s", resp.Status, body))
				case json.Unmarshal(body, &ans) != nil || !ans.Completed || ans.Enrolment.ID != l.enrolmentID || ans.Enrolment.CompletedAt == nil:
					fail(fmt.Sprintf("learner %d: the answer does not show the enrolment completed: %.200s", l.idx, body))
				}
			}
		}()
	}
	wg.Wait()
	r.completions = time.Since(t0)
	mid := benchkit.TakeCPU(serverPID, pgName)
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	var ids []int64
	if err := d.NewSelect().TableExpr("certificates AS ct").Column("ct.id").Where("ct.course_slug = ?", slug).Scan(ctx, &ids); err != nil {
		return r, err
	}
	if len(ids) == 0 {
		return r, errors.New("no certificate issued")
	}
	var err error
	if r.pdfsAtCompletions, err = countPDFs(ctx, d, ids); err != nil {
		return r, err
	}
	r.curve = append(r.curve, curvePoint{r.completions, r.pdfsAtCompletions})
	want := len(learners) - r.errors
	deadline := time.Now().Add(5*time.Minute + time.Duration(len(learners))*100*time.Millisecond)
	last := r.pdfsAtCompletions
	for {
		n, err := countPDFs(ctx, d, ids)
		if err != nil {
			return r, err
		}
		if n != last {
			r.curve = append(r.curve, curvePoint{time.Since(t0), n})
			last = n
		}
		if n >= want {
			r.allPDFs, r.pdfsDone = time.Since(t0), true
			break
		}
		if time.Now().After(deadline) {
			r.allPDFs = time.Since(t0)
			benchkit.Logf("  only %d of %d PDFs stored after %s: giving up", n, want, benchkit.FmtDur(r.allPDFs))
			break
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return r, err
		}
	}
	end := benchkit.TakeCPU(serverPID, pgName)
	r.cpu, r.cpuCompletions, r.cpuJobs = before.To(end), before.To(mid), mid.To(end)
	if err := benchkit.Sleep(ctx, time.Second); err != nil { // River finalises jobs in batches
		return r, err
	}
	jobStats(ctx, d, &r)
	r.rssAfter, r.hwmAfter, _ = benchkit.ProcMemory(serverPID)
	slices.Sort(lat)
	r.p50, r.p99, r.max = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	if r.certificates, err = countCertificates(ctx, d, slug); err != nil {
		return r, err
	}
	// Every stored PDF is a PDF.
	rows, err := d.NewSelect().TableExpr("certificate_pdfs AS p").ColumnExpr("p.pdf").
		Join("JOIN certificates AS ct ON ct.id = p.certificate_id").Where("ct.course_slug = ?", slug).Rows(ctx)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return r, err
		}
		r.pdfs++
		r.pdfBytes += int64(len(b))
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[max(0, len(b)-64):], []byte("%%EOF")) {
			r.badPDFs++
		}
	}
	return r, rows.Err()
}

// jobStats reads how the certificate jobs ran from River's table.
func jobStats(ctx context.Context, d *db.DB, r *issueResult) {
	var jobs []struct {
		Attempted time.Time `bun:"attempted_at"`
		Finalized time.Time `bun:"finalized_at"`
	}
	err := d.NewSelect().TableExpr("river_job").Column("attempted_at", "finalized_at").
		Where("kind = 'certificate' AND state = 'completed' AND attempted_at IS NOT NULL").Scan(ctx, &jobs)
	if err != nil {
		r.jobNote = "river_job not readable: " + err.Error()
		return
	}
	if len(jobs) == 0 {
		r.jobNote = "no completed certificate job in river_job"
		return
	}
	runs := make([]time.Duration, len(jobs))
	var sum time.Duration
	first, last := jobs[0].Attempted, jobs[0].Finalized
	for i, j := range jobs {
		runs[i] = j.Finalized.Sub(j.Attempted)
		sum += runs[i]
		if j.Attempted.Before(first) {
			first = j.Attempted
		}
		if j.Finalized.After(last) {
			last = j.Finalized
		}
	}
	slices.Sort(runs)
	r.jobs = len(jobs)
	r.jobRunP50, r.jobRunP90 = runs[len(runs)/2], runs[min(len(runs)-1, len(runs)*9/10)]
	if r.jobSpan = last.Sub(first); r.jobSpan > 0 {
		r.busyWorkers = float64(sum) / float64(r.jobSpan)
	}
}

// ---------------------------------------------------------------------------
// Serving a stored PDF

type loadResult struct {
	target   string // "bare" or "raadzaam"
	round    int
	rps      float64
	p50, p99 time.Duration
	requests int64
	errors   int64 // socket errors, timeouts, non-2xx/3xx
	bytesReq float64
	cpu      benchkit.CPUUse
}

type serveResult struct {
	number      string
	size        int
	firstGet    time.Duration
	loader      string
	runs        []loadResult
	rssAfter    int64
	hwmAfter    int64
	stillServes bool
}

// targets lists the loaded targets in order.
func (r *serveResult) targets() []string {
	var out []string
	for _, x := range r.runs {
		if !slices.Contains(out, x.target) {
			out = append(out, x.target)
		}
	}
	return out
}

func (r *serveResult) best(target string) loadResult {
	var b loadResult
	for _, x := range r.runs {
		if x.target == target && x.rps > b.rps {
			b = x
		}
	}
	return b
}

// get fetches url with the bearer token, without compression (as wrk
// asks).
func get(ctx context.Context, rawURL, token string) ([]byte, http.Header, time.Duration, error) {
	tr := &http.Transport{DisableCompression: true, DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
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
		return nil, nil, 0, fmt.Errorf("GET %s: %s: %.200s", rawURL, resp.Status, body)
	}
	return body, resp.Header, d, nil
}

// storedPDF waits until the certificate of user in course slug has its PDF
// and returns the number and the bytes.
func storedPDF(ctx context.Context, d *db.DB, userID int64, slug string) (string, []byte, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var r struct {
			Number string `bun:"number"`
			PDF    []byte `bun:"pdf"`
		}
		err := d.NewSelect().TableExpr("certificates AS ct").ColumnExpr("ct.number, p.pdf").
			Join("LEFT JOIN certificate_pdfs AS p ON p.certificate_id = ct.id").
			Where("ct.user_id = ? AND ct.course_slug = ?", userID, slug).Scan(ctx, &r)
		if err != nil {
			return "", nil, fmt.Errorf("the holder's certificate: %w", err)
		}
		if r.PDF != nil {
			return r.Number, r.PDF, nil
		}
		if time.Now().After(deadline) {
			return "", nil, fmt.Errorf("certificate %s has no stored PDF after 5 minutes", r.Number)
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return "", nil, err
		}
	}
}

// runServe loads GET /api/v1/certificates/{number}.pdf of raadzaam and of
// a bare Fiber handler that sends the same bytes, in alternating runs.
func runServe(ctx context.Context, o options, sup *benchkit.Supervisor, s *benchkit.Server, token, number string, stored []byte, pgName string) (serveResult, error) {
	r := serveResult{number: number, size: len(stored)}
	path := "/api/v1/certificates/" + number + ".pdf"
	body, hdr, d, err := get(ctx, s.Base+path, token)
	if err != nil {
		return r, err
	}
	r.firstGet = d
	if !bytes.Equal(body, stored) {
		return r, fmt.Errorf("GET %s does not answer the stored PDF (%d bytes, stored %d)", path, len(body), len(stored))
	}
	if ct := hdr.Get("Content-Type"); ct != "application/pdf" {
		return r, fmt.Errorf("GET %s: Content-Type %q", path, ct)
	}
	bareURL, stopBare, err := startBare(stored)
	if err != nil {
		return r, err
	}
	defer stopBare()
	if got, _, _, err := get(ctx, bareURL+path, token); err != nil {
		return r, err
	} else if !bytes.Equal(got, stored) {
		return r, errors.New("the bare handler does not serve the stored bytes")
	}
	wrk := benchkit.FindWrk(ctx, sup, o.threads, o.connections)
	if wrk == nil {
		return r, errors.New("wrk is not on PATH (apt-get install -y wrk)")
	}
	w := &wrkLoader{Wrk: wrk, auth: "Bearer " + token}
	r.loader = w.Name()
	// raadzaam twice: as wrk asks (no compression), and with a browser's
	// Accept-Encoding, which the compress middleware honours for
	// application/pdf too.
	targets := []struct{ name, url, encoding string }{{"bare", bareURL + path, ""}, {"raadzaam", s.Base + path, ""},
		{"raadzaam, `Accept-Encoding: " + browserEncoding + "`", s.Base + path, browserEncoding}}
	if o.warmup > 0 {
		for _, t := range targets {
			benchkit.Logf("  warm-up %s (%s)", t.name, o.warmup)
			if _, err := w.load(ctx, t.url, o.warmup, t.encoding); err != nil {
				return r, err
			}
		}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, t := range targets {
			if err := benchkit.Sleep(ctx, time.Second); err != nil {
				return r, err
			}
			pid := 0
			if t.name != "bare" {
				pid = s.PID()
			}
			before := benchkit.TakeCPU(pid, pgName)
			x, err := w.load(ctx, t.url, o.duration, t.encoding)
			if err != nil {
				return r, err
			}
			x.cpu = before.To(benchkit.TakeCPU(pid, pgName))
			x.target, x.round = t.name, round
			benchkit.Logf("  round %d, %s: %.0f req/s, p50 %s, p99 %s, %d errors", round, t.name, x.rps, benchkit.FmtDur(x.p50), benchkit.FmtDur(x.p99), x.errors)
			r.runs = append(r.runs, x)
		}
	}
	// An expired token would have made every answer a 401, which wrk counts
	// as an error; check that the PDF still comes.
	if got, _, _, err := get(ctx, s.Base+path, token); err == nil && bytes.Equal(got, stored) {
		r.stillServes = true
	}
	r.rssAfter, r.hwmAfter, _ = benchkit.ProcMemory(s.PID())
	return r, nil
}

// startBare serves body on the PDF route from a bare Fiber app in this
// process, with the headers raadzaam sends, and returns its base URL and a
// function that stops it.
func startBare(body []byte) (string, func(), error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/v1/certificates/:nummer.pdf", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `inline; filename="`+c.Params("nummer")+`.pdf"`)
		c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
		return c.Send(body) // body is never modified
	})
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

// browserEncoding is the Accept-Encoding a browser sends.
const browserEncoding = "gzip, deflate, br"

// wrkLoader loads with wrk (benchkit.Wrk) and the bearer token.
type wrkLoader struct {
	*benchkit.Wrk
	auth string // the Authorization header
}

// load runs wrk against rawURL for d, with Accept-Encoding encoding unless
// it is empty.
func (w *wrkLoader) load(ctx context.Context, rawURL string, d time.Duration, encoding string) (loadResult, error) {
	header := map[string]string{"Authorization": w.auth}
	if encoding != "" {
		header["Accept-Encoding"] = encoding
	}
	r, err := w.Load(ctx, rawURL, d, header)
	if err != nil {
		return loadResult{}, err
	}
	return loadResult{rps: r.RPS, p50: r.P50, p99: r.P99, requests: r.Requests, errors: r.Errors, bytesReq: r.BytesReq}, nil
}

// signIn exchanges e-mail and password (and a TOTP code) for an access
// token, from client address addr (benchkit.ClientAddr), and returns how
// long the token is valid.
func signIn(ctx context.Context, a *benchkit.API, email, totp string, addr int) (string, time.Duration, error) {
	tok, _, err := a.SignIn(ctx, email, password, totp, benchkit.ClientAddr(addr))
	if err != nil {
		return "", 0, err
	}
	return tok.AccessToken, time.Duration(tok.ExpiresIn) * time.Second, nil
}

// ---------------------------------------------------------------------------
// The association's ZIP

type zipResult struct {
	encoding             string // the Accept-Encoding sent, empty for none
	seed                 *zipSeed
	start                time.Duration // the fresh server's start
	from, to             string        // van and tot
	rssBefore, hwmBefore int64
	rssAfter, hwmAfter   int64
	maxSampled           int64
	samples              int
	ttfb, firstByte      time.Duration // headers; the first byte of the body
	took                 time.Duration
	size                 int64 // the ZIP
	wire                 int64 // the body as sent (compressed or not)
	contentType          string
	contentEncoding      string
	rate                 float64 // MB/s the client read at most; 0: as fast as it could
	downloadErr          string  // the download failed or was cut short
	cpu                  benchkit.CPUUse
	entries, pdfs        int
	badPDFs              int
	csvRows              int
	hasCSV               bool
	missing, extra       int // seeded numbers not in the ZIP; numbers in it not seeded
	logErrors            []string
	verifyErr            string
}

var zipNumber = regexp.MustCompile(`(RZ-\d{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\.pdf$`)

// runZIP downloads the association's ZIP with the administrator's token,
// sampling the server's memory, and checks it.
func runZIP(ctx context.Context, s *benchkit.Server, token, encoding string, rate float64, seed *zipSeed, tmp, logPath, pgName string) (zipResult, error) {
	r := zipResult{seed: seed, encoding: encoding, rate: rate}
	r.from = seed.from.In(courses.Amsterdam).Format(time.DateOnly)
	r.to = time.Now().In(courses.Amsterdam).Format(time.DateOnly)
	var err error
	if r.rssBefore, r.hwmBefore, err = benchkit.ProcMemory(s.PID()); err != nil {
		return r, err
	}
	logSize := fileSize(logPath)

	// VmRSS every 10 ms while the ZIP is made.
	stopSampling := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := benchkit.ProcMemory(s.PID()); err == nil {
				r.samples++
				r.maxSampled = max(r.maxSampled, rss)
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()

	path := filepath.Join(tmp, "certificaten.zip")
	before := benchkit.TakeCPU(s.PID(), pgName)
	dlErr := download(ctx, s.Base+"/vereniging/"+seed.association+"/certificaten.zip?van="+r.from+"&tot="+r.to, token, path, &r)
	r.cpu = before.To(benchkit.TakeCPU(s.PID(), pgName))
	close(stopSampling)
	sampled.Wait()
	if err := benchkit.Sleep(ctx, 200*time.Millisecond); err != nil {
		return r, err
	}
	if r.rssAfter, r.hwmAfter, err = benchkit.ProcMemory(s.PID()); err != nil {
		return r, err
	}
	for _, line := range strings.Split(tailFrom(logPath, logSize), "\n") {
		if strings.Contains(line, "certificates zip") || strings.Contains(line, "level=ERROR") {
			r.logErrors = append(r.logErrors, line)
		}
	}
	if dlErr != nil {
		// A download cut short is a result, not a failure of the benchmark.
		r.downloadErr = dlErr.Error()
		_ = os.Remove(path)
		return r, nil
	}
	if err := verifyZIP(path, seed, &r); err != nil {
		r.verifyErr = err.Error()
	}
	_ = os.Remove(path)
	return r, nil
}

// download GETs rawURL with the token and r.encoding as Accept-Encoding
// into the file at path, decoding what the server compressed.
func download(ctx context.Context, rawURL, token, path string, r *zipResult) error {
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 15 * time.Minute}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if r.encoding != "" {
		req.Header.Set("Accept-Encoding", r.encoding)
	} else {
		req.Header.Set("Accept-Encoding", "identity") // Go's transport would ask for gzip
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET the ZIP: %w", err)
	}
	defer resp.Body.Close()
	r.ttfb = time.Since(t0)
	r.contentType, r.contentEncoding = resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding")
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("GET the ZIP: %s: %s", resp.Status, b)
	}
	wire := &countingReader{r: resp.Body}
	var body io.Reader = wire
	switch r.contentEncoding {
	case "":
	case "gzip":
		gz, err := gzip.NewReader(wire)
		if err != nil {
			return err
		}
		body = gz
	case "deflate":
		body = flate.NewReader(wire)
	case "br":
		body = brotli.NewReader(wire)
	default:
		return fmt.Errorf("GET the ZIP: Content-Encoding %q", r.contentEncoding)
	}
	cr := &countingReader{r: body}
	body = cr
	if r.rate > 0 {
		body = &throttledReader{r: body, rate: r.rate * 1e6, start: time.Now()}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r.size, err = io.Copy(w, body)
	r.took = time.Since(t0)
	r.firstByte = cr.first.Sub(t0)
	r.wire = wire.n
	if err != nil {
		return fmt.Errorf("GET the ZIP, after %d bytes: %w", r.size, err)
	}
	return w.Flush()
}

// throttledReader reads at most rate bytes per second on average, as a
// slow link would.
type throttledReader struct {
	r     io.Reader
	rate  float64
	start time.Time
	n     int64
}

func (t *throttledReader) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	if ahead := time.Duration(float64(t.n)/t.rate*float64(time.Second)) - time.Since(t.start); ahead > 0 {
		time.Sleep(ahead)
	}
	return n, err
}

// countingReader counts what is read through it and notes when the first
// byte came.
type countingReader struct {
	r     io.Reader
	n     int64
	first time.Time
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 && c.n == 0 {
		c.first = time.Now()
	}
	c.n += int64(n)
	return n, err
}

// verifyZIP reads the whole archive: every entry's checksum, every PDF's
// first bytes, the index, and the numbers against the seeded ones.
func verifyZIP(path string, seed *zipSeed, r *zipResult) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("not a ZIP: %w", err)
	}
	defer zr.Close()
	found := map[string]bool{}
	buf := make([]byte, 64<<10)
	for _, f := range zr.File {
		r.entries++
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		var head bytes.Buffer
		_, err = io.CopyBuffer(&limitedHead{buf: &head, n: 5}, rc, buf) // reads to the end: the CRC is checked
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		switch {
		case f.Name == "overzicht.csv":
			r.hasCSV = true
			rc, err := f.Open()
			if err != nil {
				return err
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			lines := strings.Split(strings.TrimRight(string(b), "\r\n"), "\r\n")
			r.csvRows = len(lines) - 1 // the header
		case strings.HasSuffix(f.Name, ".pdf"):
			r.pdfs++
			if head.String() != "%PDF-" {
				r.badPDFs++
			}
			if m := zipNumber.FindStringSubmatch(f.Name); m != nil {
				found[m[1]] = true
			}
		}
	}
	for n := range seed.numbers {
		if !found[n] {
			r.missing++
		}
	}
	for n := range found {
		if !seed.numbers[n] {
			r.extra++
		}
	}
	return nil
}

// limitedHead keeps the first n bytes written to it and discards the rest.
type limitedHead struct {
	buf *bytes.Buffer
	n   int
}

func (h *limitedHead) Write(p []byte) (int, error) {
	if k := h.n - h.buf.Len(); k > 0 {
		h.buf.Write(p[:min(k, len(p))])
	}
	return len(p), nil
}

func fileSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// tailFrom returns what the file at path holds after offset.
func tailFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b)
}
