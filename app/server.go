package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// application holds every dependency of the HTTP handlers; the handlers are
// its methods and routes.go is the one route table.
type application struct {
	cfg     *Config
	log     *slog.Logger
	db      *db.DB
	courses courses.CourseService
	// editor and learning are the course editor's and the learners' records.
	editor   courses.CourseEditor
	learning courses.LearningService
	versions *versionCache // frozen course versions, for lesson pages
	frames   *frameCache   // rendered lesson page skeletons; nil renders every page whole
	jobs     *db.Jobs      // background jobs: inserted from the start, worked while serve runs
	certs    *certificates // rendering, storing and signing certificates
	catalog  *Catalog
	views    *views
	assets   *assets
	pages    *pageCache
	openapi  []byte
	fiber    *fiber.App

	auth     *authenticator
	users    courses.UserService
	sessions courses.SessionService
	audit    courses.AuditLog
	policies map[string]access // "METHOD /path" → who may call it
	outbox   courses.Outbox
	// municipalityList is the reference list of municipalities.
	municipalityList courses.MunicipalityService
	apiTokens        courses.APITokenService
	mails            *mailTemplates
	mailer           *mailer
	metrics          *metrics // what /metrics reports (metrics.go)
}

// newApplication composes the HTTP application over an open database.
func newApplication(cfg *Config, log *slog.Logger, d *db.DB, keys *keyRing) (*application, error) {
	catalog, err := loadCatalog()
	if err != nil {
		return nil, fmt.Errorf("message catalogue: %w", err)
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	views, err := loadViews(assets)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	doc, err := loadOpenAPI()
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	learning := db.NewLearningService(d)
	a := &application{
		cfg: cfg, log: log, db: d,
		courses: db.NewCourseService(d), editor: db.NewCourseService(d), learning: learning,
		versions: newVersionCache(db.NewCourseService(d).CourseVersion), frames: newFrameCache(),
		catalog: catalog, views: views, assets: assets,
		pages:            newPageCache(30 * time.Second),
		openapi:          doc,
		users:            db.NewUserService(d),
		sessions:         db.NewSessionService(d),
		audit:            db.NewAuditLog(d),
		policies:         map[string]access{},
		outbox:           db.NewOutbox(d),
		municipalityList: db.NewMunicipalityService(d),
		apiTokens:        db.NewAPITokenService(d),
		metrics:          newMetrics(),
	}
	if a.certs, err = newCertificates(cfg, d, catalog); err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	learning.SetIssuer(cfg.Issuer)
	if a.mails, err = loadMailTemplates(); err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	a.mailer = &mailer{outbox: a.outbox, smtp: cfg.SMTP, from: cfg.MailFrom, log: log, interval: 10 * time.Second,
		wake: make(chan struct{}, 1), now: time.Now}
	if a.jobs, err = newJobs(a, db.JobsOptions{}); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	learning.SetJobs(a.jobs)
	a.auth = &authenticator{users: a.users, sessions: a.sessions, limiter: db.NewRateLimiter(d), audit: a.audit,
		keys: keys, issuer: cfg.BaseURL.String(), now: time.Now,
		dummyHash: sync.OnceValue(func() string { h, _ := hashPassword(randomToken()); return h }), hashes: newHashSlots()}
	a.fiber = fiber.New(fiber.Config{
		AppName:               "raadzaam",
		ErrorHandler:          a.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           15 * time.Second,
		// Long enough for a streamed download of thousands of certificates
		// to a slow connection; reading a request stays bounded by
		// ReadTimeout and idle connections by IdleTimeout.
		WriteTimeout:            10 * time.Minute,
		IdleTimeout:             75 * time.Second,
		BodyLimit:               courses.MaxFileBytes + 1<<20, // course file uploads of up to 10 MiB
		ProxyHeader:             proxyHeader(cfg),
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
		StrictRouting:           false,
		CaseSensitive:           true,
	})
	a.routes()
	return a, nil
}

// statsFoldInterval is how often the statistics' deltas are added into
// their roll-ups. Reading adds the deltas not folded yet, so this bounds
// the work of a read, not how fresh the numbers are.
const statsFoldInterval = 5 * time.Second

// foldStats folds the statistics every interval until ctx ends.
func (a *application) foldStats(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.db.FoldStats(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("fold statistics", "error", err.Error())
			}
		}
	}
}

// proxyHeader names the header that carries the client address behind Fly's
// proxy; it is only read when the proxy is configured as trusted.
func proxyHeader(cfg *Config) string {
	if len(cfg.TrustedProxies) > 0 {
		return "Fly-Client-IP"
	}
	return ""
}

// serve listens on ln until ctx ends, then stops accepting connections,
// lets in-flight requests finish within the shutdown timeout and returns.
// jobsStopTimeout bounds how long a stopping server waits for running jobs.
const jobsStopTimeout = 3 * time.Second

func (a *application) serve(ctx context.Context, ln net.Listener) error {
	// The metrics listener starts first and stops last, so that it sees
	// the shutdown through.
	stopMetrics, err := a.startMetrics()
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	if err := a.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return err
	}
	defer func() {
		// Jobs still running after 3 s are cancelled and retried later by
		// River, so that HTTP's shutdown timeout plus this stays within
		// fly.toml's kill_timeout.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobsStopTimeout)
		defer cancel()
		if err := a.jobs.Stop(stopCtx); err != nil {
			a.log.Error("stop jobs", "error", err.Error())
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- a.fiber.Listener(ln) }()
	mailCtx, stopMail := context.WithCancel(context.WithoutCancel(ctx))
	mailDone := make(chan struct{})
	go func() { a.mailer.run(mailCtx); close(mailDone) }()
	defer func() { stopMail(); <-mailDone }()
	foldCtx, stopFold := context.WithCancel(context.WithoutCancel(ctx))
	foldDone := make(chan struct{})
	go func() { a.foldStats(foldCtx, statsFoldInterval); close(foldDone) }()
	defer func() { stopFold(); <-foldDone }()
	if a.cfg.SMTP == nil {
		a.log.Warn("no RAADZAAM_SMTP_URL: e-mail stays in the outbox (admins read it at /beheer/post in demo mode)")
	}
	a.log.Info("listening", "addr", ln.Addr().String(), "database", string(a.db.Kind), "base_url", a.cfg.BaseURL.String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	if err := a.fiber.ShutdownWithTimeout(a.cfg.ShutdownTimeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
