package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db"
)

// report is everything measured, for the Markdown report.
type report struct {
	o       options
	machine machine
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
	sup := newSupervisor()
	defer sup.stopAll()

	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("not inside the raadzaam module (go env GOMOD is empty)")
	}
	root := filepath.Dir(gomod)
	tmp, err := os.MkdirTemp("", "raadzaam-bench-certificates-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rep := &report{o: o, machine: describeMachine()}

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
		logf("render: %d certificates with GOMAXPROCS=1, then on every core", o.renders)
		r, err := measureRender(ctx, sampleFacts(o.renders, rep.course), "https://raadzaam.fly.dev", nil, nil, "")
		if err != nil {
			return err
		}
		rep.render = &r
		logf("  %.1f/s on one core (%s CPU each), %.1f/s on %d cores", r.perSecond(), fmtDur(r.cpu/time.Duration(r.n)),
			float64(r.n)/r.parWall.Seconds(), r.parProcs)
	}
	server := o.has("issue") || o.has("serve") || o.has("zip")
	bin := filepath.Join(tmp, "raadzaam")
	if server {
		logf("building %s/app", root)
		var buildOut bytes.Buffer
		build := exec.Command("go", "build", "-o", bin, "./app")
		build.Dir = root
		build.Stdout = &buildOut
		build.Stderr = &buildOut
		bctx, bcancel := context.WithTimeout(ctx, 5*time.Minute)
		err := sup.runToEnd(bctx, "go build", build)
		bcancel()
		if err != nil {
			return fmt.Errorf("go build: %w\n%s", err, buildOut.String())
		}
	}
	if server || o.has("render") {
		var plan *zipPlan
		for _, kind := range o.dbs {
			dir := filepath.Join(tmp, kind)
			if err := os.Mkdir(dir, 0o700); err != nil {
				return err
			}
			in := &instance{kind: kind, sup: sup, tmp: dir, bin: bin, dataDir: filepath.Join(dir, "data"),
				logPath: filepath.Join(dir, "server.log")}
			in.dsn = "sqlite:" + filepath.Join(in.dataDir, "raadzaam.db")
			r, err := runDB(ctx, o, in, rep, &plan, server)
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

// runDB runs the parts on one database.
func runDB(ctx context.Context, o options, in *instance, rep *report, plan **zipPlan, withServer bool) (r *dbReport, err error) {
	r = &dbReport{kind: in.kind, database: "SQLite (modernc, file in a fresh RAADZAAM_DATA)"}
	logf("=== %s", in.kind)
	if in.kind == "postgres" {
		dsn, name, drop, cerr := createDatabase(ctx, o.pgAdminURL)
		if cerr != nil {
			return nil, cerr
		}
		defer func() {
			in.sup.stopAll() // the server must have closed its connections first
			if derr := drop(); derr != nil {
				logf("drop database: %v", derr)
				if err == nil {
					err = derr
				}
			}
		}()
		in.dsn, in.dbURL, in.dbName = dsn, dsn, name
		r.database = postgresSettings(ctx, dsn) + " on 127.0.0.1 (throwaway database)"
	}

	// Before the server: schema, courses, accounts, the ZIP's certificates.
	d, err := db.Open(in.dsn)
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
	hash := hashPassword(password)
	if o.has("render") {
		logf("render and store: %d certificates with GOMAXPROCS=1", o.renders)
		s, err := measureStore(ctx, d, o.renders, rep.course, "https://raadzaam.fly.dev", hash, in.dbName)
		if err != nil {
			return r, fmt.Errorf("render and store: %w", err)
		}
		r.store = &s
		logf("  %.1f/s (render and store; store %s each)", s.perSecond(), fmtDur(s.store/time.Duration(s.n)))
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
		logf("creating %d learners in the database", nLearners)
		ids, err := createLearners(ctx, d, nLearners, map[bool]int{true: 8, false: 1}[in.kind == "postgres"], hash)
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
			logf("rendering %d distinct PDFs for the ZIP's %d certificates", o.distinct, o.n)
			if *plan, err = planZIP(ctx, o.n, o.distinct, shipped, "https://raadzaam.fly.dev"); err != nil {
				return r, err
			}
		}
		logf("inserting %d members of vng with a certificate and its PDF", o.n)
		if seed, err = seedZIP(ctx, d, *plan, shipped, "vng", hash); err != nil {
			return r, err
		}
		logf("  took %s (%s of PDF)", fmtDur(seed.took), fmtMB(seed.pdfBytes))
	}

	// The server.
	logf("starting raadzaam")
	s, start, err := in.startServer(ctx, "raadzaam")
	if err != nil {
		return r, err
	}
	r.firstStart = start
	stopped := false
	defer func() {
		if !stopped {
			_ = in.sup.stop(s.child, 10*time.Second)
		}
	}()
	a := newAPI(s.base, o.setupConc)
	defer a.client.CloseIdleConnections()
	withLog := func(err error) error {
		return fmt.Errorf("%w\n--- end of %s ---\n%s", err, in.logPath, tail(in.logPath, 1500))
	}

	if len(learners) > 0 {
		lessonID, err := lessonOf(ctx, a, slug)
		if err != nil {
			return r, err
		}
		logf("signing in %d learners (argon2id) and enrolling them in %s, %d at a time", len(learners), slug, o.setupConc)
		t0 := time.Now()
		life, err := prepare(ctx, a, slug, learners, o.setupConc)
		if err != nil {
			return r, withLog(err)
		}
		setup := time.Since(t0)
		if err := sleep(ctx, time.Second); err != nil {
			return r, err
		}
		r.loadavg = loadAvg()
		clients := o.clients
		if !o.has("issue") {
			clients = 1
		}
		logf("issue: %d learners complete the lesson, %d at a time", len(learners), clients)
		res, err := runIssue(ctx, s.base, lessonID, learners, clients, d, slug, s.pid(), in.dbName)
		if err != nil {
			return r, withLog(err)
		}
		res.setup, res.tokenLife = setup, life
		res.jobWorkers = db.JobMaxWorkers
		if in.kind == "sqlite" {
			res.jobWorkers = db.JobMaxWorkersSQLite
		}
		logf("  completions %s (%.0f/s, %d errors), every PDF stored after %s (%.1f certificates/s)", fmtDur(res.completions),
			float64(res.learners)/res.completions.Seconds(), res.errors, fmtDur(res.allPDFs), float64(res.pdfs)/res.allPDFs.Seconds())
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
		token, _, err := a.signIn(ctx, learnerEmail(holder.idx), "", addrHolder)
		if err != nil {
			return r, withLog(err)
		}
		logf("serve: GET /api/v1/certificates/%s.pdf (%d bytes) with wrk", number, len(stored))
		res, err := runServe(ctx, o, in.sup, s, token, number, stored, in.dbName)
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
		token, _, err := a.signIn(ctx, adminEmail, code, addrAdmin)
		if err != nil {
			return r, withLog(err)
		}
		a.client.CloseIdleConnections()
		if err := in.sup.stop(s.child, 10*time.Second); err != nil {
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
func zipOnFreshServer(ctx context.Context, in *instance, token, enc string, rate float64, seed *zipSeed) (*zipResult, error) {
	logf("starting a fresh raadzaam for the ZIP")
	s, start, err := in.startServer(ctx, "raadzaam (zip)")
	if err != nil {
		return nil, err
	}
	defer func() { _ = in.sup.stop(s.child, 10*time.Second) }()
	a := newAPI(s.base, 1)
	var me struct {
		Role string `json:"role"`
	}
	err = a.call(ctx, http.MethodGet, "/api/v1/me", token, nil, nil, http.StatusOK, &me)
	a.client.CloseIdleConnections()
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, time.Second); err != nil {
		return nil, err
	}
	logf("zip: GET /vereniging/%s/certificaten.zip as %s, Accept-Encoding %q", seed.association, me.Role, enc)
	res, err := runZIP(ctx, s, token, enc, rate, seed, in.tmp, in.logPath, in.dbName)
	res.start = start
	if err != nil {
		return &res, err
	}
	logf("  %s in %s (first byte after %s), peak RSS %s (before %s)", fmtMB(res.size), fmtDur(res.took), fmtDur(res.firstByte),
		fmtMB(res.hwmAfter), fmtMB(res.hwmBefore))
	if res.downloadErr != "" {
		logf("  the download failed: %s", res.downloadErr)
	}
	return &res, nil
}
