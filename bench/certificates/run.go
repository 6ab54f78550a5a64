package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db"
)

// report is everything measured, for the Markdown report.
type report struct {
	o       options
	machine benchkit.Machine
	render  *renderResult
	course  *courses.Course // the one-lesson course's source
	dbs     []*dbReport
}

// dbReport is what was measured on one database.
type dbReport struct {
	kind       string
	database   string
	store      *renderResult
	firstStart time.Duration
	issue      *issueResult
	serve      *serveResult
	zips       []*zipResult
	loadavg    string
	notes      []string
}

func run(ctx context.Context, o options, stdout io.Writer) error {
	sup := benchkit.NewSupervisor()
	defer sup.StopAll()
	root, err := benchkit.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "raadzaam-bench-certificates-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rep := &report{o: o, machine: benchkit.DescribeMachine()}

	shipped, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		return err
	}
	for _, c := range shipped {
		if c.Slug == o.course {
			rep.course = c
		}
	}
	if rep.course == nil {
		return fmt.Errorf("-course %s is not a shipped course", o.course)
	}

	if o.has("render") {
		benchkit.Logf("render: %d certificates with GOMAXPROCS=1, then on every core", o.renders)
		r, err := measureRender(ctx, sampleFacts(o.renders, rep.course), "https://raadzaam.fly.dev", nil, nil, "")
		if err != nil {
			return err
		}
		rep.render = &r
		benchkit.Logf("  %.1f/s on one core (%s CPU each), %.1f/s on %d cores", r.perSecond(), benchkit.FmtDur(r.cpu/time.Duration(r.n)),
			float64(r.n)/r.parWall.Seconds(), r.parProcs)
	}
	server := o.has("issue") || o.has("serve") || o.has("zip")
	bin := filepath.Join(tmp, "raadzaam")
	if server {
		if err := benchkit.Build(ctx, sup, root, bin, false); err != nil {
			return err
		}
	}
	if server || o.has("render") {
		var plan *zipPlan
		for _, kind := range o.dbs {
			dir := filepath.Join(tmp, kind)
			if err := os.Mkdir(dir, 0o700); err != nil {
				return err
			}
			r, err := runDB(ctx, o, sup, bin, dir, kind, rep, &plan, server)
			if r != nil {
				rep.dbs = append(rep.dbs, r)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
		}
	}
	rep.write(stdout)
	return nil
}

// runDB runs the parts on one database of kind kind, with the binary bin
// and the folder dir.
func runDB(ctx context.Context, o options, sup *benchkit.Supervisor, bin, dir, kind string, rep *report, plan **zipPlan, withServer bool) (r *dbReport, err error) {
	benchkit.Logf("=== %s", kind)
	in, err := benchkit.NewInstance(ctx, sup, bin, dir, kind, o.pgAdminURL)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := in.Close(); cerr != nil {
			benchkit.Logf("drop database: %v", cerr)
			if err == nil {
				err = cerr
			}
		}
	}()
	r = &dbReport{kind: kind, database: in.Database}
	// Sign-ins come from addresses of their own (Fly-Client-IP): see the
	// package comment. Every start uses the same port: the base URL, which
	// access tokens name, stays the same.
	in.Env = []string{"RAADZAAM_DEMO=off", benchkit.TrustLoopbackProxy}
	if in.Port, err = benchkit.FreePort(); err != nil {
		return r, err
	}

	// Before the server: schema, courses, accounts, the ZIP's certificates.
	d, err := db.Open(in.DSN())
	if err != nil {
		return r, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return r, err
	}
	shipped, err := importCourses(ctx, d, o.course)
	if err != nil {
		return r, err
	}
	slug := shortSlug(o.course)
	hash := benchkit.HashPassword(password)
	if o.has("render") {
		benchkit.Logf("render and store: %d certificates with GOMAXPROCS=1", o.renders)
		s, err := measureStore(ctx, d, o.renders, rep.course, "https://raadzaam.fly.dev", hash, in.PGName)
		if err != nil {
			return r, fmt.Errorf("render and store: %w", err)
		}
		r.store = &s
		benchkit.Logf("  %.1f/s (render and store; store %s each)", s.perSecond(), benchkit.FmtDur(s.store/time.Duration(s.n)))
	}
	if !withServer {
		return r, nil
	}
	nLearners := 0
	switch {
	case o.has("issue"):
		nLearners = o.learners
	case o.has("serve"):
		nLearners = 1
	}
	var learners []*learner
	if nLearners > 0 {
		benchkit.Logf("creating %d learners in the database", nLearners)
		ids, err := createLearners(ctx, d, nLearners, map[bool]int{true: 8, false: 1}[in.DB == "postgres"], hash)
		if err != nil {
			return r, err
		}
		for i, id := range ids {
			learners = append(learners, &learner{idx: i, userID: id})
		}
	}
	var secret string
	var seed *zipSeed
	if o.has("zip") {
		if secret, err = createAdmin(ctx, d, "vng", hash); err != nil {
			return r, err
		}
		if *plan == nil {
			benchkit.Logf("rendering %d distinct PDFs for the ZIP's %d certificates", o.distinct, o.n)
			if *plan, err = planZIP(ctx, o.n, o.distinct, shipped, "https://raadzaam.fly.dev"); err != nil {
				return r, err
			}
		}
		benchkit.Logf("inserting %d members of vng with a certificate and its PDF", o.n)
		if seed, err = seedZIP(ctx, d, *plan, shipped, "vng", hash); err != nil {
			return r, err
		}
		benchkit.Logf("  took %s (%s of PDF)", benchkit.FmtDur(seed.took), benchkit.FmtMB(seed.pdfBytes))
	}

	// The server.
	benchkit.Logf("starting raadzaam")
	s, start, err := in.Start(ctx, "raadzaam", "/healthz", time.Minute)
	if err != nil {
		return r, err
	}
	r.firstStart = start
	stopped := false
	defer func() {
		if !stopped {
			_ = in.Stop(s, 10*time.Second)
		}
	}()
	a := benchkit.NewAPI(s.Base, o.setupConc)
	defer a.Client.CloseIdleConnections()
	withLog := func(err error) error {
		return fmt.Errorf("%w\n--- end of %s ---\n%s", err, in.LogPath, benchkit.Tail(in.LogPath, 1500))
	}

	if len(learners) > 0 {
		lessonID, err := lessonOf(ctx, a, slug)
		if err != nil {
			return r, err
		}
		benchkit.Logf("signing in %d learners (argon2id) and enrolling them in %s, %d at a time", len(learners), slug, o.setupConc)
		t0 := time.Now()
		life, err := prepare(ctx, a, slug, learners, o.setupConc)
		if err != nil {
			return r, withLog(err)
		}
		setup := time.Since(t0)
		if err := benchkit.Sleep(ctx, time.Second); err != nil {
			return r, err
		}
		r.loadavg = benchkit.LoadAvg()
		clients := o.clients
		if !o.has("issue") {
			clients = 1
		}
		benchkit.Logf("issue: %d learners complete the lesson, %d at a time", len(learners), clients)
		res, err := runIssue(ctx, s.Base, lessonID, learners, clients, d, slug, s.PID(), in.PGName)
		if err != nil {
			return r, withLog(err)
		}
		res.setup, res.tokenLife = setup, life
		res.jobWorkers = db.JobMaxWorkers
		if in.DB == "sqlite" {
			res.jobWorkers = db.JobMaxWorkersSQLite
		}
		benchkit.Logf("  completions %s (%.0f/s, %d errors), every PDF stored after %s (%.1f certificates/s)", benchkit.FmtDur(res.completions),
			float64(res.learners)/res.completions.Seconds(), res.errors, benchkit.FmtDur(res.allPDFs), float64(res.pdfs)/res.allPDFs.Seconds())
		if o.has("issue") {
			r.issue = &res
		}
	}

	if o.has("serve") {
		holder := learners[0]
		number, stored, err := storedPDF(ctx, d, holder.userID, slug)
		if err != nil {
			return r, err
		}
		// A fresh token, so that it outlives the runs.
		token, _, err := signIn(ctx, a, benchkit.LearnerEmail(holder.idx), "", addrHolder)
		if err != nil {
			return r, withLog(err)
		}
		benchkit.Logf("serve: GET /api/v1/certificates/%s.pdf (%d bytes) with wrk", number, len(stored))
		res, err := runServe(ctx, o, sup, s, token, number, stored, in.PGName)
		if err != nil {
			return r, withLog(err)
		}
		r.serve = &res
	}

	if o.has("zip") {
		// The administrator signs in on this server (argon2id costs 19 MiB),
		// and downloads from a fresh one: its peak memory is then the
		// start's and the ZIP's.
		code, err := courses.TOTPCode(secret, courses.TOTPStep(time.Now()))
		if err != nil {
			return r, err
		}
		token, _, err := signIn(ctx, a, adminEmail, code, addrAdmin)
		if err != nil {
			return r, withLog(err)
		}
		a.Client.CloseIdleConnections()
		if err := in.Stop(s, 10*time.Second); err != nil {
			r.notes = append(r.notes, err.Error())
		}
		stopped = true
		for _, enc := range o.zipEncodings {
			res, err := zipOnFreshServer(ctx, in, token, enc, o.zipRate, seed)
			if res != nil {
				r.zips = append(r.zips, res)
			}
			if err != nil {
				return r, withLog(err)
			}
		}
	}
	return r, nil
}

// zipOnFreshServer starts a fresh server, downloads the ZIP from it once
// with Accept-Encoding enc, and stops it.
func zipOnFreshServer(ctx context.Context, in *benchkit.Instance, token, enc string, rate float64, seed *zipSeed) (*zipResult, error) {
	benchkit.Logf("starting a fresh raadzaam for the ZIP")
	s, start, err := in.Start(ctx, "raadzaam (zip)", "/healthz", time.Minute)
	if err != nil {
		return nil, err
	}
	defer func() { _ = in.Stop(s, 10*time.Second) }()
	a := benchkit.NewAPI(s.Base, 1)
	var me struct {
		Role string `json:"role"`
	}
	err = a.Call(ctx, http.MethodGet, "/api/v1/me", token, nil, nil, http.StatusOK, &me)
	a.Client.CloseIdleConnections()
	if err != nil {
		return nil, err
	}
	if err := benchkit.Sleep(ctx, time.Second); err != nil {
		return nil, err
	}
	benchkit.Logf("zip: GET /vereniging/%s/certificaten.zip as %s, Accept-Encoding %q", seed.association, me.Role, enc)
	res, err := runZIP(ctx, s, token, enc, rate, seed, in.Dir, in.LogPath, in.PGName)
	res.start = start
	if err != nil {
		return &res, err
	}
	benchkit.Logf("  %s in %s (first byte after %s), peak RSS %s (before %s)", benchkit.FmtMB(res.size), benchkit.FmtDur(res.took), benchkit.FmtDur(res.firstByte),
		benchkit.FmtMB(res.hwmAfter), benchkit.FmtMB(res.hwmBefore))
	if res.downloadErr != "" {
		benchkit.Logf("  the download failed: %s", res.downloadErr)
	}
	return &res, nil
}
