package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type apiTokenRow struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID         int64      `bun:"id,pk,autoincrement"`
	UserID     int64      `bun:"user_id"`
	Name       string     `bun:"name"`
	Prefix     string     `bun:"prefix"`
	Hash       string     `bun:"hash"`
	Scopes     string     `bun:"scopes"`
	CreatedAt  time.Time  `bun:"created_at"`
	ExpiresAt  *time.Time `bun:"expires_at"`
	LastUsedAt *time.Time `bun:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
}

func (r *apiTokenRow) token() courses.APIToken {
	return courses.APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, Scopes: strings.Split(r.Scopes, ","),
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// APITokenService implements courses.APITokenService.
type APITokenService struct{ db *DB }

var _ courses.APITokenService = (*APITokenService)(nil)

// NewAPITokenService returns the API tokens stored in db.
func NewAPITokenService(db *DB) *APITokenService { return &APITokenService{db: db} }

// CreateAPIToken stores a token.
func (s *APITokenService) CreateAPIToken(ctx context.Context, t *courses.APIToken, hash string) error {
	t.CreatedAt = s.db.Now().UTC()
	row := apiTokenRow{UserID: t.UserID, Name: t.Name, Prefix: t.Prefix, Hash: hash, Scopes: strings.Join(t.Scopes, ","),
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
	if _, err := s.db.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return wrap(err, "create api token")
	}
	t.ID = row.ID
	return nil
}

// APITokens lists a user's tokens.
func (s *APITokenService) APITokens(ctx context.Context, userID int64) ([]courses.APIToken, error) {
	var rows []apiTokenRow
	if err := s.db.NewSelect().Model(&rows).Where("user_id = ?", userID).OrderExpr("id DESC").Scan(ctx); err != nil {
		return nil, wrap(err, "list api tokens")
	}
	out := make([]courses.APIToken, len(rows))
	for i := range rows {
		out[i] = rows[i].token()
	}
	return out, nil
}

// RevokeAPIToken revokes one of the user's tokens; the user id in the
// condition keeps one user from revoking another's.
func (s *APITokenService) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.NewUpdate().Model((*apiTokenRow)(nil)).Set("revoked_at = ?", s.db.Now().UTC()).
		Where("id = ?", id).Where("user_id = ?", userID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return wrap(err, "revoke api token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "no api token %d of user %d", id, userID)
	}
	return nil
}

// APITokenUser finds an active token and its user in one query and marks
// its use at most once a minute (no write per request).
func (s *APITokenService) APITokenUser(ctx context.Context, hash string) (*courses.APIToken, *courses.User, error) {
	now := s.db.Now().UTC()
	var r struct {
		apiTokenRow
		UEmail     string     `bun:"u_email"`
		UName      string     `bun:"u_name"`
		URole      string     `bun:"u_role"`
		ULanguage  string     `bun:"u_language"`
		UTOTP      *time.Time `bun:"u_totp_enabled_at"`
		UCreatedAt time.Time  `bun:"u_created_at"`
	}
	err := s.db.NewSelect().TableExpr("api_tokens AS t").Join("JOIN users AS u ON u.id = t.user_id").
		ColumnExpr("t.*").
		ColumnExpr("u.email AS u_email, u.name AS u_name, u.role AS u_role, u.language AS u_language, u.totp_enabled_at AS u_totp_enabled_at, u.created_at AS u_created_at").
		Where("t.hash = ?", hash).Where("t.revoked_at IS NULL").Where("(t.expires_at IS NULL OR t.expires_at > ?)", now).
		Where("u.active").Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, courses.Errorf(courses.EUNAUTHORIZED, "unknown, revoked or expired api token")
	}
	if err != nil {
		return nil, nil, wrap(err, "api token")
	}
	if r.LastUsedAt == nil || r.LastUsedAt.Before(now.Add(-time.Minute)) {
		if _, err := s.db.NewUpdate().Model((*apiTokenRow)(nil)).Set("last_used_at = ?", now).Where("id = ?", r.ID).Exec(ctx); err != nil {
			return nil, nil, wrap(err, "mark api token used")
		}
	}
	t := r.apiTokenRow.token()
	u := &courses.User{ID: r.UserID, Email: r.UEmail, Name: r.UName, Role: courses.Role(r.URole), Language: r.ULanguage,
		Active: true, TwoFactor: r.UTOTP != nil, CreatedAt: r.UCreatedAt}
	return &t, u, nil
}
