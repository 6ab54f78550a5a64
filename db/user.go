package db

import (
	"context"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Email        string    `bun:"email"`
	Name         string    `bun:"name"`
	Role         string    `bun:"role"`
	PasswordHash string    `bun:"password_hash"`
	Language     string    `bun:"language"`
	Demo         bool      `bun:"demo"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

// UserService implements courses.UserService.
type UserService struct{ db *DB }

var _ courses.UserService = (*UserService)(nil)

// NewUserService returns the accounts stored in db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

// CreateUser inserts u; the unique index on email turns a taken address into
// ECONFLICT, also when two requests race.
func (s *UserService) CreateUser(ctx context.Context, u *courses.User, passwordHash string) error {
	now := s.db.Now().UTC()
	row := userRow{
		Email: strings.ToLower(strings.TrimSpace(u.Email)), Name: u.Name, Role: string(u.Role),
		PasswordHash: passwordHash, Language: u.Language, Demo: u.Demo, CreatedAt: now, UpdatedAt: now,
	}
	if row.Language == "" {
		row.Language = "nl"
	}
	if _, err := s.db.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return wrap(err, "create user")
	}
	u.ID, u.Email, u.Language, u.CreatedAt = row.ID, row.Email, row.Language, now
	return nil
}

// CountUsers returns the number of accounts.
func (s *UserService) CountUsers(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*userRow)(nil)).Count(ctx)
	return int(n), wrap(err, "count users")
}
