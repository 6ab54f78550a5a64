package courses

import (
	"context"
	"slices"
	"time"
)

// Scopes a personal API token can hold. A browser session or a token from
// POST /api/v1/auth/token holds all that its role allows.
const (
	ScopeMe      = "me:read"      // the token holder's own account
	ScopeCourses = "courses:read" // the catalogue
	ScopeStats   = "stats:read"   // an association's statistics
)

// Scopes lists every scope.
var Scopes = []string{ScopeMe, ScopeCourses, ScopeStats}

// ValidScope reports whether s is a known scope.
func ValidScope(s string) bool { return slices.Contains(Scopes, s) }

// CanHoldAPITokens reports whether a role may create personal API tokens:
// those who run scripts for an association, and admins.
func (r Role) CanHoldAPITokens() bool { return r == RoleAdmin || r == RoleAssociationAdmin }

// APIToken is a personal API token; its secret is shown once and stored
// only as a hash.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // the first characters, to recognise it
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// APITokenService stores personal API tokens.
type APITokenService interface {
	// CreateAPIToken stores t with the hash of its secret and sets t.ID.
	CreateAPIToken(ctx context.Context, t *APIToken, hash string) error
	// APITokens lists a user's tokens, newest first.
	APITokens(ctx context.Context, userID int64) ([]APIToken, error)
	// RevokeAPIToken ends a token of the user; ENOTFOUND when the user has
	// no such token.
	RevokeAPIToken(ctx context.Context, userID, id int64) error
	// APITokenUser returns the token with that hash and its active user,
	// recording its use; EUNAUTHORIZED when it is unknown, revoked or
	// expired, or its user inactive.
	APITokenUser(ctx context.Context, hash string) (*APIToken, *User, error)
}
