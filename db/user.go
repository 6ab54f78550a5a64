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

	ID                int64      `bun:"id,pk,autoincrement"`
	Email             string     `bun:"email"`
	Name              string     `bun:"name"`
	Role              string     `bun:"role"`
	PasswordHash      string     `bun:"password_hash"`
	Language          string     `bun:"language"`
	Active            bool       `bun:"active"`
	Demo              bool       `bun:"demo"`
	PasswordChangedAt *time.Time `bun:"password_changed_at"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
}

func (r *userRow) user() *courses.User {
	return &courses.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: courses.Role(r.Role),
		Language: r.Language, Active: r.Active, Demo: r.Demo, CreatedAt: r.CreatedAt}
}

type associationRow struct {
	bun.BaseModel `bun:"table:associations"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Slug      string    `bun:"slug"`
	Name      string    `bun:"name"`
	CreatedAt time.Time `bun:"created_at"`
}

type memberRow struct {
	bun.BaseModel `bun:"table:association_members"`

	AssociationID int64     `bun:"association_id,pk"`
	UserID        int64     `bun:"user_id,pk"`
	IsAdmin       bool      `bun:"is_admin"`
	JoinedAt      time.Time `bun:"joined_at"`
}

type userOfficeRow struct {
	bun.BaseModel `bun:"table:user_offices"`

	ID       int64      `bun:"id,pk,autoincrement"`
	UserID   int64      `bun:"user_id"`
	Office   string     `bun:"office"`
	CBSCode  *string    `bun:"cbs_code"`
	StartsOn *time.Time `bun:"starts_on,type:date"`
	EndsOn   *time.Time `bun:"ends_on,type:date"`
}

// UserService implements courses.UserService.
type UserService struct{ db *DB }

var _ courses.UserService = (*UserService)(nil)

// NewUserService returns the accounts stored in db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

// CreateUser validates nu and stores the account, its offices and its
// memberships in one transaction. The unique index on email turns a taken
// address into ECONFLICT, also when two requests race.
func (s *UserService) CreateUser(ctx context.Context, nu *courses.NewUser) (*courses.User, error) {
	if err := nu.Validate(); err != nil {
		return nil, err
	}
	now := s.db.Now().UTC()
	row := userRow{Email: nu.Email, Name: nu.Name, Role: string(nu.Role), PasswordHash: nu.PasswordHash,
		Language: nu.Language, Active: true, Demo: nu.Demo, CreatedAt: now, UpdatedAt: now}
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		var problems []courses.Problem
		slugs := append(append([]string{}, nu.Associations...), nu.AdminOf...)
		ids, err := associationIDs(ctx, tx, slugs)
		if err != nil {
			return err
		}
		for _, slug := range slugs {
			if ids[slug] == 0 {
				problems = append(problems, courses.Problem{Field: "association", Key: courses.ProblemUnknownValue,
					Args: map[string]any{"value": slug, "allowed": strings.Join(knownSlugs(ctx, tx), ", ")}})
			}
		}
		for _, o := range nu.Offices {
			if o.CBSCode == "" {
				continue
			}
			n, err := tx.NewSelect().Model((*municipalityRow)(nil)).Where("cbs_code = ?", o.CBSCode).Where("active").Count(ctx)
			if err != nil {
				return wrap(err, "check municipality")
			}
			if n == 0 {
				problems = append(problems, courses.Problem{Field: "municipality", Key: courses.ProblemUnknownValue,
					Args: map[string]any{"value": o.CBSCode, "allowed": "CBS-code (GM0363)"}})
			}
		}
		if len(problems) > 0 {
			return courses.Invalid("new user", problems...)
		}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			if courses.ErrorCode(wrap(err, "")) == courses.ECONFLICT {
				return courses.Invalid("email taken", courses.Problem{Field: "email", Key: courses.ProblemEmailTaken})
			}
			return wrap(err, "create user")
		}
		for _, o := range nu.Offices {
			r := userOfficeRow{UserID: row.ID, Office: string(o.Office), StartsOn: o.StartsOn, EndsOn: o.EndsOn}
			if o.CBSCode != "" {
				r.CBSCode = &o.CBSCode
			}
			if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
				return wrap(err, "add office")
			}
		}
		admin := map[string]bool{}
		for _, slug := range nu.AdminOf {
			admin[slug] = true
		}
		seen := map[string]bool{}
		for _, slug := range slugs {
			if seen[slug] {
				continue
			}
			seen[slug] = true
			m := memberRow{AssociationID: ids[slug], UserID: row.ID, IsAdmin: admin[slug], JoinedAt: now}
			if _, err := tx.NewInsert().Model(&m).Exec(ctx); err != nil {
				return wrap(err, "add membership")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, row.ID)
}

func associationIDs(ctx context.Context, idb bun.IDB, slugs []string) (map[string]int64, error) {
	ids := map[string]int64{}
	if len(slugs) == 0 {
		return ids, nil
	}
	var rows []associationRow
	if err := idb.NewSelect().Model(&rows).Where("slug IN (?)", bun.List(slugs)).Scan(ctx); err != nil {
		return nil, wrap(err, "find associations")
	}
	for _, r := range rows {
		ids[r.Slug] = r.ID
	}
	return ids, nil
}

func knownSlugs(ctx context.Context, idb bun.IDB) []string {
	var slugs []string
	_ = idb.NewSelect().Model((*associationRow)(nil)).Column("slug").Order("slug").Scan(ctx, &slugs)
	return slugs
}

// UserByID returns the account with its offices and memberships (three
// queries).
func (s *UserService) UserByID(ctx context.Context, id int64) (*courses.User, error) {
	var row userRow
	if err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "user by id")
	}
	u := row.user()
	var offices []struct {
		userOfficeRow `bun:",extend"`
		Municipality  *string `bun:"municipality"`
	}
	if err := s.db.NewSelect().Model(&offices).
		ColumnExpr("user_office_row.*, m.common_name AS municipality").
		Join("LEFT JOIN municipalities AS m ON m.cbs_code = user_office_row.cbs_code").
		Where("user_office_row.user_id = ?", id).OrderExpr("user_office_row.id").Scan(ctx); err != nil {
		return nil, wrap(err, "load offices")
	}
	for _, o := range offices {
		uo := courses.UserOffice{Office: courses.Office(o.Office), StartsOn: o.StartsOn, EndsOn: o.EndsOn}
		if o.CBSCode != nil {
			uo.CBSCode = *o.CBSCode
		}
		if o.Municipality != nil {
			uo.Municipality = *o.Municipality
		}
		u.Offices = append(u.Offices, uo)
	}
	var members []struct {
		ID      int64  `bun:"id"`
		Slug    string `bun:"slug"`
		Name    string `bun:"name"`
		IsAdmin bool   `bun:"is_admin"`
	}
	if err := s.db.NewSelect().TableExpr("association_members AS m").
		Join("JOIN associations AS a ON a.id = m.association_id").
		ColumnExpr("a.id, a.slug, a.name, m.is_admin").
		Where("m.user_id = ?", id).OrderExpr("a.slug").Scan(ctx, &members); err != nil {
		return nil, wrap(err, "load memberships")
	}
	for _, m := range members {
		u.Memberships = append(u.Memberships, courses.Membership{Association: courses.Association{ID: m.ID, Slug: m.Slug, Name: m.Name}, Admin: m.IsAdmin})
	}
	return u, nil
}

// Credentials returns what sign-in needs for the address.
func (s *UserService) Credentials(ctx context.Context, email string) (int64, string, bool, error) {
	var row userRow
	err := s.db.NewSelect().Model(&row).Column("id", "password_hash", "active").
		Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Scan(ctx)
	if err != nil {
		return 0, "", false, wrap(err, "credentials")
	}
	return row.ID, row.PasswordHash, row.Active, nil
}

// CountUsers returns the number of accounts.
func (s *UserService) CountUsers(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*userRow)(nil)).Count(ctx)
	return int(n), wrap(err, "count users")
}
