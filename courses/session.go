package courses

import (
	"context"
	"time"
)

// Session kinds.
const (
	SessionBrowser = "browser" // cookies, refreshed with rotating refresh tokens
	SessionAPI     = "api"     // a bearer token from POST /api/v1/auth/token
)

// Session is one sign-in. Every access token names its session, and every
// request checks that the session is still active, so that signing out, a
// password change or deactivation ends it at once on every instance.
type Session struct {
	ID        string
	UserID    int64
	Kind      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionService stores sessions and their refresh tokens. Tokens are
// stored as hashes only.
type SessionService interface {
	// CreateSession starts a session for an active user, with a first
	// refresh token (its hash) for browser sessions.
	CreateSession(ctx context.Context, s *Session, refreshHash string) error
	// ActiveSession returns the session and its user when the session is
	// neither revoked nor expired and the user is active; EUNAUTHORIZED
	// otherwise.
	ActiveSession(ctx context.Context, id string) (*Session, *User, error)
	// RotateRefresh spends the refresh token oldHash and stores newHash as
	// its successor. A token that was spent before is a sign of theft: the
	// whole session is revoked and EUNAUTHORIZED returned.
	RotateRefresh(ctx context.Context, oldHash, newHash string) (*Session, *User, error)
	// RevokeSession ends one session.
	RevokeSession(ctx context.Context, id, reason string) error
	// RevokeUserSessions ends every session of a user.
	RevokeUserSessions(ctx context.Context, userID int64, reason string) (int, error)
}

// LimitPolicy is a progressive lockout: Free failures within Window are
// allowed; each one after that locks the key for BaseLock, doubled per
// further failure, at most MaxLock.
type LimitPolicy struct {
	Window   time.Duration
	Free     int
	BaseLock time.Duration
	MaxLock  time.Duration
}

// LockFor returns how long the key is locked after its nth failure.
func (p LimitPolicy) LockFor(n int) time.Duration {
	if n <= p.Free {
		return 0
	}
	d := p.BaseLock
	for i := p.Free + 1; i < n && d < p.MaxLock; i++ {
		d *= 2
	}
	return min(d, p.MaxLock)
}

// RateLimiter counts failures per key (an account, a client address) in the
// database, so that limits hold across instances and restarts.
type RateLimiter interface {
	// LockedUntil returns when the key's lock ends, or the zero time.
	LockedUntil(ctx context.Context, key string) (time.Time, error)
	// Fail records a failure and returns the lock it results in, if any.
	Fail(ctx context.Context, key string, p LimitPolicy) (time.Time, error)
	// Reset forgets the key's failures, after a success.
	Reset(ctx context.Context, key string) error
}

// AuditEvent is one entry of the audit log: who did what to what. It never
// holds passwords, tokens or client addresses.
type AuditEvent struct {
	ID        int64
	At        time.Time
	ActorID   int64 // 0: nobody signed in
	Action    string
	Subject   string // e.g. "user:42"
	Detail    string
	RequestID string
}

// AuditLog records and lists audit events.
type AuditLog interface {
	Record(ctx context.Context, e AuditEvent) error
	// AuditEvents returns the newest events first, at most limit, filtered by
	// action prefix and actor when those are set.
	AuditEvents(ctx context.Context, actionPrefix string, actorID int64, limit int) ([]AuditEvent, error)
}
