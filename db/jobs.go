package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// Job queue defaults: a few jobs at once per instance (they write mail),
// fewer on SQLite, which has one writer and a small connection pool that
// requests share; and River's exponential backoff (attempt⁴ seconds) for up
// to JobMaxAttempts attempts, about 1.8 hours in all.
const (
	JobMaxWorkers       = 4
	JobMaxWorkersSQLite = 2
	JobMaxAttempts      = 10
)

// JobsOptions configures the job queue; the zero value is production's.
type JobsOptions struct {
	MaxWorkers  int // jobs worked at once by this instance; default JobMaxWorkers(SQLite)
	MaxAttempts int // attempts before a job is discarded; default JobMaxAttempts
	// ID names this instance's client (River makes one from host and time).
	ID     string
	Logger *slog.Logger // nil: River's own log lines are dropped
	// Clock replaces River's clock, for tests that move time (pass the
	// database's Now, so that the queue and the workers agree on "now").
	Clock func() time.Time
	// RetryPolicy replaces River's exponential backoff, for tests.
	RetryPolicy river.ClientRetryPolicy
	// Test starts the client's maintenance at once instead of staggered and
	// polls for jobs often (a retried job is found by polling).
	Test bool
}

// Jobs is the background job queue: River on the application's own
// database, so that a job is inserted in the same transaction as the change
// it follows up (a rollback leaves no job behind), survives restarts, and is
// worked by exactly one instance with retries.
type Jobs struct {
	db     *DB
	client *river.Client[*sql.Tx]
	// On PostgreSQL River gets a small pgx pool of its own for its queries
	// and its LISTEN connection, so that it never waits for, or holds up,
	// the pool that checks sessions on every request.
	pool  *pgxpool.Pool
	sqlDB *sql.DB
	now   func() time.Time // River's clock
}

// NewJobs returns the job queue of d whose workers are workers (nil for a
// client that only inserts jobs). It does not start working: see Start.
func NewJobs(d *DB, workers *river.Workers, opts JobsOptions) (*Jobs, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg := &river.Config{
		ID:          opts.ID,
		Logger:      logger,
		MaxAttempts: cmp.Or(opts.MaxAttempts, JobMaxAttempts),
		RetryPolicy: opts.RetryPolicy,
		TestOnly:    opts.Test,
		Workers:     workers,
	}
	// River waits at least FetchCooldown between fetches (100 ms by
	// default): with two workers on SQLite that capped the certificates'
	// jobs at 20 a second with the workers idle (BENCHMARKS.md,
	// certificates). Fetches still only happen when jobs are inserted or
	// every FetchPollInterval.
	cfg.FetchCooldown = 20 * time.Millisecond
	if opts.Test {
		cfg.FetchCooldown, cfg.FetchPollInterval = 10*time.Millisecond, 50*time.Millisecond
	}
	if workers != nil {
		n := JobMaxWorkers
		if d.Kind == SQLite {
			n = JobMaxWorkersSQLite
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cmp.Or(opts.MaxWorkers, n)}}
	}
	j := &Jobs{db: d, now: time.Now}
	if opts.Clock != nil {
		cfg.Test.Time, j.now = clock(opts.Clock), opts.Clock
	}
	var err error
	switch d.Kind {
	case SQLite:
		// The app's pool: WAL, busy timeout and immediate transactions are
		// what River needs on SQLite too (STACK-NOTES).
		j.client, err = river.NewClient(riversqlite.New(d.DB.DB), cfg)
	case Postgres:
		poolCfg := d.pool.Config()
		poolCfg.MaxConns, poolCfg.MinConns = 4, 0
		if j.pool, err = pgxpool.NewWithConfig(context.Background(), poolCfg); err != nil {
			return nil, fmt.Errorf("db: job queue pool: %w", err)
		}
		// database/sql over the pgx pool keeps Bun's transactions usable in
		// InsertTx, and the pgx listener gets LISTEN/NOTIFY: jobs start
		// milliseconds after commit instead of on the next poll.
		j.sqlDB = stdlib.OpenDBFromPool(j.pool)
		j.client, err = river.NewClient(riverdatabasesql.NewWithPgxListener(j.sqlDB, j.pool), cfg)
	default:
		return nil, fmt.Errorf("db: no job queue for %q", d.Kind)
	}
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("db: job queue: %w", err)
	}
	return j, nil
}

// clock adapts an injected clock to River's time generator.
type clock func() time.Time

func (c clock) Now() time.Time { return c() }

func (c clock) NowOrNil() *time.Time { t := c().UTC(); return &t }

// Client returns the River client, for listing jobs (tests, an admin page).
func (j *Jobs) Client() *river.Client[*sql.Tx] { return j.client }

// Start begins working jobs until Stop. Pass a context that outlives the
// HTTP shutdown: cancelling it cancels running jobs.
func (j *Jobs) Start(ctx context.Context) error {
	if err := j.client.Start(ctx); err != nil {
		return fmt.Errorf("db: start job queue: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones until ctx ends; jobs
// still running then are cancelled (their transactions roll back and they
// run again later, on this or another instance). It then closes the
// queue's connections.
func (j *Jobs) Stop(ctx context.Context) error {
	err := j.client.Stop(ctx)
	if ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		err = j.client.StopAndCancel(hard)
	}
	j.Close()
	if err != nil {
		return fmt.Errorf("db: stop job queue: %w", err)
	}
	return nil
}

// Close releases the queue's own connections (PostgreSQL); Stop calls it.
// A queue that was never started only needs Close.
func (j *Jobs) Close() {
	if j.sqlDB != nil {
		_ = j.sqlDB.Close()
		j.sqlDB = nil
	}
	if j.pool != nil {
		j.pool.Close()
		j.pool = nil
	}
}

// pendingStates are the states in which a job is still to run: a unique job
// is unique among these only, so that a later reminder (a new deadline, the
// next certificate's expiry) can follow a completed one.
var pendingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// insertOpts returns the options of a job kind. Reminders are unique per
// registration or enrolment; confirmations and promotions are not, since
// each one announces an event of its own (a learner can be promoted twice).
func insertOpts(kind string) *river.InsertOpts {
	switch kind {
	case courses.SessionReminderJob{}.Kind(), courses.DeadlineReminderJob{}.Kind(), courses.RecertificationJob{}.Kind():
		return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
	}
	return &river.InsertOpts{}
}

// InsertTx adds job within tx, to run at runAt (the zero time, or a time
// past, runs it as soon as tx commits). A unique job already waiting is
// kept; when it waits for a later time than runAt (a session moved
// earlier), it is replaced by one at runAt. A job that waits for an earlier
// time finds out when it runs and waits on (the workers snooze).
func (j *Jobs) InsertTx(ctx context.Context, tx bun.Tx, job courses.Job, runAt time.Time) error {
	opts := insertOpts(job.Kind())
	// River leaves any job given a time to its scheduler (up to seconds
	// later, on the leader); one due now is made available at once.
	due := j.now()
	if runAt.After(due) {
		opts.ScheduledAt, due = runAt.UTC(), runAt
	}
	res, err := j.client.InsertTx(ctx, tx.Tx, job, opts)
	if err != nil {
		return wrap(err, "insert job "+job.Kind())
	}
	old := res.Job
	if !res.UniqueSkippedAsDuplicate || !old.ScheduledAt.After(due) ||
		!slices.Contains([]rivertype.JobState{rivertype.JobStateScheduled, rivertype.JobStateRetryable}, old.State) {
		return nil
	}
	if _, err := j.client.JobCancelTx(ctx, tx.Tx, old.ID); err != nil {
		return wrap(err, "reschedule job "+job.Kind())
	}
	if _, err := j.client.InsertTx(ctx, tx.Tx, job, opts); err != nil {
		return wrap(err, "reschedule job "+job.Kind())
	}
	return nil
}

// Insert adds a job on its own, for what follows no change of the caller's
// (a test, a mail sent again); otherwise use InsertTx.
func (j *Jobs) Insert(ctx context.Context, job courses.Job, runAt time.Time) error {
	return j.db.inTx(ctx, func(tx bun.Tx) error { return j.InsertTx(ctx, tx, job, runAt) })
}

// riverMigrationLock serialises River's migrations between instances on
// PostgreSQL, like the application's own (rivermigrate takes no lock).
const riverMigrationLock = 7234_1129

// MigrateJobs applies River's own schema (its tables river_job, river_queue,
// river_leader, ...) for the dialect. It is idempotent and safe when several
// instances start at once: on PostgreSQL under an advisory lock, on SQLite
// in one immediate transaction, which other instances wait for.
func (d *DB) MigrateJobs(ctx context.Context) error {
	quiet := &rivermigrate.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	switch d.Kind {
	case SQLite:
		migrator, err := rivermigrate.New(riversqlite.New(d.DB.DB), quiet)
		if err != nil {
			return fmt.Errorf("db: job queue migrations: %w", err)
		}
		// River deprecates MigrateTx because some PostgreSQL migrations cannot
		// share a transaction; SQLite's DDL can, and one transaction is what
		// makes a concurrent start wait instead of failing halfway.
		err = d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			//lint:ignore SA1019 see above: on SQLite one transaction is the point
			_, err := migrator.MigrateTx(ctx, tx.Tx, rivermigrate.DirectionUp, nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("db: job queue migrations: %w", err)
		}
		return nil
	case Postgres:
		migrator, err := rivermigrate.New(riverdatabasesql.New(d.DB.DB), quiet)
		if err != nil {
			return fmt.Errorf("db: job queue migrations: %w", err)
		}
		conn, err := d.Conn(ctx)
		if err != nil {
			return wrap(err, "job queue migrations")
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", riverMigrationLock); err != nil {
			return wrap(err, "job queue migration lock")
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", riverMigrationLock) //nolint:errcheck // released with the session anyway
		if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("db: job queue migrations: %w", err)
		}
		return nil
	}
	return errors.New("db: no job queue for " + string(d.Kind))
}
