package db

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
)

// PoolStats is the state of one connection pool, for the metrics endpoint.
type PoolStats struct {
	// Name is "sql" (database/sql under Bun, which River shares on
	// SQLite), "sessions" (the pgx pool of the per-request session check)
	// or "jobs" (the job queue's pgx pool); the last two on PostgreSQL only.
	Name        string
	InUse, Idle int
	Max         int // 0: no limit
	// Waits counts the connections that were asked for while none was
	// free, and WaitTime is how long those requests waited in all.
	Waits    int64
	WaitTime time.Duration
}

// PoolStats returns the state of d's pools and, unless jobs is nil, of the
// job queue's own pool. It reads the pools' counters and runs no query.
func (d *DB) PoolStats(jobs *Jobs) []PoolStats {
	s := d.DB.DB.Stats()
	out := []PoolStats{{Name: "sql", InUse: s.InUse, Idle: s.Idle, Max: s.MaxOpenConnections, Waits: s.WaitCount, WaitTime: s.WaitDuration}}
	if d.pool != nil {
		out = append(out, pgxPoolStats("sessions", d.pool))
	}
	if jobs != nil && jobs.pool != nil {
		out = append(out, pgxPoolStats("jobs", jobs.pool))
	}
	return out
}

func pgxPoolStats(name string, p *pgxpool.Pool) PoolStats {
	s := p.Stat()
	return PoolStats{Name: name, InUse: int(s.AcquiredConns()), Idle: int(s.IdleConns()), Max: int(s.MaxConns()),
		Waits: s.EmptyAcquireCount(), WaitTime: s.EmptyAcquireWaitTime()}
}

// JobStates are the job states Backlog counts: waiting to run, running,
// waiting to be retried after a failure, and given up (kept by River for a
// week). Scheduled jobs are left out: every enrolment has reminders
// scheduled months ahead, and counting them would cost a scan of the queue.
var JobStates = []string{"available", "running", "retryable", "discarded"}

// JobCount is the number of jobs of one kind in one state.
type JobCount struct {
	Kind  string `bun:"kind"`
	State string `bun:"state"`
	Count int64  `bun:"n"`
}

// Backlog is what the database holds for the metrics endpoint: the jobs
// by kind and state, the mail not sent yet, and the certificates issued.
type Backlog struct {
	Jobs       []JobCount
	MailUnsent int64
	// Certificates counts every certificate ever issued, re-issues
	// included: rows are revoked or replaced, never deleted, so the count
	// only grows.
	Certificates int64
}

// Backlog counts the backlog with three queries that each read an index:
// River's (state, ...) index, the outbox's partial index of unsent mail
// and the certificates' primary key.
func (d *DB) Backlog(ctx context.Context) (*Backlog, error) {
	var b Backlog
	if err := d.NewSelect().TableExpr("river_job").ColumnExpr("kind, state, count(*) AS n").
		Where("state IN (?)", bun.List(JobStates)).GroupExpr("kind, state").OrderExpr("kind, state").
		Scan(ctx, &b.Jobs); err != nil {
		return nil, wrap(err, "count jobs")
	}
	n, err := d.NewSelect().TableExpr("outbox").Where("sent_at IS NULL AND failed_at IS NULL").Count(ctx)
	if err != nil {
		return nil, wrap(err, "count unsent mail")
	}
	b.MailUnsent = int64(n)
	if n, err = d.NewSelect().TableExpr("certificates").Count(ctx); err != nil {
		return nil, wrap(err, "count certificates")
	}
	b.Certificates = int64(n)
	return &b, nil
}
