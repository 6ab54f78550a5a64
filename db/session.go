package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID           string     `bun:"id,pk"`
	UserID       int64      `bun:"user_id"`
	Kind         string     `bun:"kind"`
	CreatedAt    time.Time  `bun:"created_at"`
	ExpiresAt    time.Time  `bun:"expires_at"`
	RevokedAt    *time.Time `bun:"revoked_at"`
	RevokeReason *string    `bun:"revoke_reason"`
}

type refreshRow struct {
	bun.BaseModel `bun:"table:refresh_tokens"`

	Hash      string     `bun:"hash,pk"`
	SessionID string     `bun:"session_id"`
	CreatedAt time.Time  `bun:"created_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// SessionService implements courses.SessionService.
type SessionService struct {
	db      *DB
	prepare sync.Once
	stmt    *sql.Stmt
	stmtErr error
}

var _ courses.SessionService = (*SessionService)(nil)

// NewSessionService returns the sessions stored in db.
func NewSessionService(db *DB) *SessionService { return &SessionService{db: db} }

// CreateSession stores s and, when given, its first refresh token.
func (s *SessionService) CreateSession(ctx context.Context, sess *courses.Session, refreshHash string) error {
	sess.CreatedAt = s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		row := sessionRow{ID: sess.ID, UserID: sess.UserID, Kind: sess.Kind, CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt.UTC()}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return wrap(err, "create session")
		}
		if refreshHash == "" {
			return nil
		}
		_, err := tx.NewInsert().Model(&refreshRow{Hash: refreshHash, SessionID: sess.ID, CreatedAt: sess.CreatedAt}).Exec(ctx)
		return wrap(err, "store refresh token")
	})
}

var errNoSession = courses.Errorf(courses.EUNAUTHORIZED, "no active session")

// activeSessionSQL is the query behind every authenticated request. It is
// prepared once, with placeholders: Bun interpolates arguments into the SQL
// text, which would make each call a new statement to parse and plan.
const activeSessionSQL = `SELECT s.id, s.user_id, s.kind, s.created_at, s.expires_at,
	u.email, u.name, u.role, u.language, u.demo, u.totp_enabled_at, u.created_at
FROM sessions AS s JOIN users AS u ON u.id = s.user_id
WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active`

// activeSessionStmt prepares activeSessionSQL on first use.
func (s *SessionService) activeSessionStmt(ctx context.Context) (*sql.Stmt, error) {
	s.prepare.Do(func() {
		query := activeSessionSQL
		if s.db.Kind == SQLite {
			query = strings.NewReplacer("$1", "?1", "$2", "?2").Replace(query)
		}
		s.stmt, s.stmtErr = s.db.DB.DB.PrepareContext(ctx, query)
	})
	return s.stmt, s.stmtErr
}

// ActiveSession checks the session and its user in one indexed query: this
// runs on every authenticated request.
func (s *SessionService) ActiveSession(ctx context.Context, id string) (*courses.Session, *courses.User, error) {
	var sess courses.Session
	var u courses.User
	var role string
	var totp sql.NullTime
	dest := []any{&sess.ID, &sess.UserID, &sess.Kind, &sess.CreatedAt, &sess.ExpiresAt,
		&u.Email, &u.Name, &role, &u.Language, &u.Demo, &totp, &u.CreatedAt}
	var err error
	if s.db.pool != nil {
		err = s.db.pool.QueryRow(ctx, activeSessionSQL, id, s.db.Now().UTC()).Scan(dest...)
	} else {
		stmt, perr := s.activeSessionStmt(ctx)
		if perr != nil {
			return nil, nil, wrap(perr, "prepare active session")
		}
		err = stmt.QueryRowContext(ctx, id, s.db.Now().UTC()).Scan(dest...)
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, errNoSession
	}
	if err != nil {
		return nil, nil, wrap(err, "active session")
	}
	u.ID, u.Role, u.Active, u.TwoFactor = sess.UserID, courses.Role(role), true, totp.Valid
	return &sess, &u, nil
}

// RotateRefresh spends oldHash atomically: of two concurrent uses only one
// wins; the other, like any later use, revokes the session as a reuse.
func (s *SessionService) RotateRefresh(ctx context.Context, oldHash, newHash string) (*courses.Session, *courses.User, error) {
	now := s.db.Now().UTC()
	var sessionID string
	reused := false
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*refreshRow)(nil)).Set("used_at = ?", now).
			Where("hash = ?", oldHash).Where("used_at IS NULL").Returning("session_id").Exec(ctx, &sessionID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "spend refresh token")
		}
		if sessionID == "" {
			// Unknown, or spent before: a reuse revokes the whole session.
			var spent refreshRow
			if err := tx.NewSelect().Model(&spent).Where("hash = ?", oldHash).Scan(ctx); err == nil {
				reused = true
				return revoke(ctx, tx, tx.NewUpdate().Model((*sessionRow)(nil)).Where("id = ?", spent.SessionID), now, "refresh token reused")
			}
			return errNoSession
		}
		_, err = tx.NewInsert().Model(&refreshRow{Hash: newHash, SessionID: sessionID, CreatedAt: now}).Exec(ctx)
		return wrap(err, "store refresh token")
	})
	if err != nil {
		return nil, nil, err
	}
	if reused {
		return nil, nil, courses.Errorf(courses.EUNAUTHORIZED, "refresh token reused: session revoked")
	}
	return s.ActiveSession(ctx, sessionID)
}

func revoke(ctx context.Context, idb bun.IDB, q *bun.UpdateQuery, now time.Time, reason string) error {
	_, err := q.Set("revoked_at = ?", now).Set("revoke_reason = ?", reason).Where("revoked_at IS NULL").Exec(ctx)
	return wrap(err, "revoke session")
}

// RevokeSession ends one session.
func (s *SessionService) RevokeSession(ctx context.Context, id, reason string) error {
	return revoke(ctx, s.db, s.db.NewUpdate().Model((*sessionRow)(nil)).Where("id = ?", id), s.db.Now().UTC(), reason)
}

// RevokeUserSessions ends every session of a user and returns how many.
func (s *SessionService) RevokeUserSessions(ctx context.Context, userID int64, reason string) (int, error) {
	res, err := s.db.NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", s.db.Now().UTC()).Set("revoke_reason = ?", reason).
		Where("user_id = ?", userID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, wrap(err, "revoke sessions")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

type rateLimitRow struct {
	bun.BaseModel `bun:"table:rate_limits"`

	Key         string     `bun:"key,pk"`
	Failures    int        `bun:"failures"`
	WindowStart time.Time  `bun:"window_start"`
	LockedUntil *time.Time `bun:"locked_until"`
}

// RateLimiter implements courses.RateLimiter on the rate_limits table.
type RateLimiter struct{ db *DB }

var _ courses.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter whose counts all instances share.
func NewRateLimiter(db *DB) *RateLimiter { return &RateLimiter{db: db} }

// LockedUntil returns when key's lock ends, or the zero time.
func (l *RateLimiter) LockedUntil(ctx context.Context, key string) (time.Time, error) {
	var row rateLimitRow
	err := l.db.NewSelect().Model(&row).Where("key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrap(err, "rate limit")
	}
	if row.LockedUntil != nil && row.LockedUntil.After(l.db.Now()) {
		return *row.LockedUntil, nil
	}
	return time.Time{}, nil
}

// Fail counts a failure with one atomic upsert (no lost updates between
// instances) and sets the resulting lock.
func (l *RateLimiter) Fail(ctx context.Context, key string, p courses.LimitPolicy) (time.Time, error) {
	now := l.db.Now().UTC()
	windowStart := now.Add(-p.Window)
	var failures int
	err := l.db.inTx(ctx, func(tx bun.Tx) error {
		row := rateLimitRow{Key: key, Failures: 1, WindowStart: now}
		if _, err := tx.NewInsert().Model(&row).
			On("CONFLICT (key) DO UPDATE").
			Set("failures = CASE WHEN rate_limit_row.window_start < ? THEN 1 ELSE rate_limit_row.failures + 1 END", windowStart).
			Set("window_start = CASE WHEN rate_limit_row.window_start < ? THEN EXCLUDED.window_start ELSE rate_limit_row.window_start END", windowStart).
			Returning("failures").Exec(ctx, &failures); err != nil {
			return wrap(err, "count failure")
		}
		lock := p.LockFor(failures)
		if lock == 0 {
			return nil
		}
		_, err := tx.NewUpdate().Model((*rateLimitRow)(nil)).Set("locked_until = ?", now.Add(lock)).Where("key = ?", key).Exec(ctx)
		return wrap(err, "lock")
	})
	if err != nil {
		return time.Time{}, err
	}
	if lock := p.LockFor(failures); lock > 0 {
		return now.Add(lock), nil
	}
	return time.Time{}, nil
}

// Reset forgets key's failures.
func (l *RateLimiter) Reset(ctx context.Context, key string) error {
	_, err := l.db.NewDelete().Model((*rateLimitRow)(nil)).Where("key = ?", key).Exec(ctx)
	return wrap(err, "reset rate limit")
}

type auditRow struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID        int64     `bun:"id,pk,autoincrement"`
	At        time.Time `bun:"at"`
	ActorID   *int64    `bun:"actor_id"`
	Action    string    `bun:"action"`
	Subject   string    `bun:"subject"`
	Detail    string    `bun:"detail"`
	RequestID string    `bun:"request_id"`
}

// AuditLog implements courses.AuditLog.
type AuditLog struct{ db *DB }

var _ courses.AuditLog = (*AuditLog)(nil)

// NewAuditLog returns the audit log stored in db.
func NewAuditLog(db *DB) *AuditLog { return &AuditLog{db: db} }

// Record appends an event.
func (l *AuditLog) Record(ctx context.Context, e courses.AuditEvent) error {
	row := auditRow{At: l.db.Now().UTC(), Action: e.Action, Subject: e.Subject, Detail: e.Detail, RequestID: e.RequestID}
	if e.ActorID != 0 {
		row.ActorID = &e.ActorID
	}
	_, err := l.db.NewInsert().Model(&row).Exec(ctx)
	return wrap(err, "record audit event")
}

// AuditEvents lists events, newest first.
func (l *AuditLog) AuditEvents(ctx context.Context, actionPrefix string, actorID int64, limit int) ([]courses.AuditEvent, error) {
	var rows []auditRow
	q := l.db.NewSelect().Model(&rows).OrderExpr("id DESC").Limit(int64(limit))
	if actionPrefix != "" {
		q = q.Where("action LIKE ? ESCAPE '\\'", escapeLike(actionPrefix)+"%")
	}
	if actorID != 0 {
		q = q.Where("actor_id = ?", actorID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "audit events")
	}
	out := make([]courses.AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = courses.AuditEvent{ID: r.ID, At: r.At, Action: r.Action, Subject: r.Subject, Detail: r.Detail, RequestID: r.RequestID}
		if r.ActorID != nil {
			out[i].ActorID = *r.ActorID
		}
	}
	return out, nil
}

// escapeLike makes s match literally in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
