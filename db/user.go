package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
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
	TOTPEnabledAt     *time.Time `bun:"totp_enabled_at"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
}

func (r *userRow) user() *courses.User {
	return &courses.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: courses.Role(r.Role),
		Language: r.Language, Active: r.Active, TwoFactor: r.TOTPEnabledAt != nil, Demo: r.Demo, CreatedAt: r.CreatedAt}
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
// address into a problem on the email field, also when two requests race.
func (s *UserService) CreateUser(ctx context.Context, nu *courses.NewUser) (*courses.User, error) {
	var id int64
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		var err error
		id, err = s.createUser(ctx, tx, nu)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, id)
}

func (s *UserService) createUser(ctx context.Context, tx bun.Tx, nu *courses.NewUser) (int64, error) {
	if err := nu.Validate(); err != nil {
		return 0, err
	}
	now := s.db.Now().UTC()
	row := userRow{Email: nu.Email, Name: nu.Name, Role: string(nu.Role), PasswordHash: nu.PasswordHash,
		Language: nu.Language, Active: true, Demo: nu.Demo, CreatedAt: now, UpdatedAt: now}
	var problems []courses.Problem
	slugs := append(append([]string{}, nu.Associations...), nu.AdminOf...)
	ids, err := associationIDs(ctx, tx, slugs)
	if err != nil {
		return 0, err
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
			return 0, wrap(err, "check municipality")
		}
		if n == 0 {
			problems = append(problems, courses.Problem{Field: "municipality", Key: courses.ProblemUnknownValue,
				Args: map[string]any{"value": o.CBSCode, "allowed": "CBS-code (GM0363)"}})
		}
	}
	if len(problems) > 0 {
		return 0, courses.Invalid("new user", problems...)
	}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		if courses.ErrorCode(wrap(err, "")) == courses.ECONFLICT {
			return 0, courses.Invalid("email taken", courses.Problem{Field: "email", Key: courses.ProblemEmailTaken})
		}
		return 0, wrap(err, "create user")
	}
	for _, o := range nu.Offices {
		r := userOfficeRow{UserID: row.ID, Office: string(o.Office), StartsOn: o.StartsOn, EndsOn: o.EndsOn}
		if o.CBSCode != "" {
			r.CBSCode = &o.CBSCode
		}
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return 0, wrap(err, "add office")
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
			return 0, wrap(err, "add membership")
		}
	}
	return row.ID, nil
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

// UserByEmail returns the account with the address, or ENOTFOUND.
func (s *UserService) UserByEmail(ctx context.Context, email string) (*courses.User, error) {
	var id int64
	if err := s.db.NewSelect().Model((*userRow)(nil)).Column("id").
		Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Scan(ctx, &id); err != nil {
		return nil, wrap(err, "user by email")
	}
	return s.UserByID(ctx, id)
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
		uo := courses.UserOffice{ID: o.ID, Office: courses.Office(o.Office), StartsOn: o.StartsOn, EndsOn: o.EndsOn}
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

type accountTokenRow struct {
	bun.BaseModel `bun:"table:account_tokens"`

	Hash      string     `bun:"hash,pk"`
	UserID    int64      `bun:"user_id"`
	Purpose   string     `bun:"purpose"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// ListUsers finds accounts by name or address. The Dutch sort happens in
// Go over the page's candidates: the query is bounded by limit.
func (s *UserService) ListUsers(ctx context.Context, query string, offset, limit int) ([]*courses.User, int, error) {
	var rows []userRow
	q := s.db.NewSelect().Model(&rows)
	if query = strings.ToLower(strings.TrimSpace(query)); query != "" {
		like := "%" + escapeLike(query) + "%"
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')", like, like)
	}
	total, err := q.Count(ctx)
	if err != nil {
		return nil, 0, wrap(err, "count users")
	}
	if err := q.OrderExpr("LOWER(name), id").Offset(int64(offset)).Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, 0, wrap(err, "list users")
	}
	out := make([]*courses.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, int(total), nil
}

// SetActive (de)activates an account; deactivation revokes its sessions.
func (s *UserService) SetActive(ctx context.Context, id int64, active bool) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*userRow)(nil)).Set("active = ?", active).Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return wrap(err, "set active")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return courses.Errorf(courses.ENOTFOUND, "no user %d", id)
		}
		if active {
			return nil
		}
		return revoke(ctx, tx, tx.NewUpdate().Model((*sessionRow)(nil)).Where("user_id = ?", id), now, "deactivated")
	})
}

// InviteUser creates the account, its invitation token and mail together.
func (s *UserService) InviteUser(ctx context.Context, nu *courses.NewUser, t courses.AccountToken, m *courses.Mail) (*courses.User, error) {
	nu.PasswordHash = "" // no password until the invitation is accepted
	var id int64
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		var err error
		if id, err = s.createUser(ctx, tx, nu); err != nil {
			return err
		}
		t.UserID = id
		return issueToken(ctx, tx, s.db.Now().UTC(), t, m)
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, id)
}

// IssueAccountToken stores a token and its mail together.
func (s *UserService) IssueAccountToken(ctx context.Context, t courses.AccountToken, m *courses.Mail) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error { return issueToken(ctx, tx, s.db.Now().UTC(), t, m) })
}

func issueToken(ctx context.Context, tx bun.Tx, now time.Time, t courses.AccountToken, m *courses.Mail) error {
	row := accountTokenRow{Hash: t.Hash, UserID: t.UserID, Purpose: t.Purpose, CreatedAt: now, ExpiresAt: t.ExpiresAt.UTC()}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return wrap(err, "store account token")
	}
	return enqueueMail(ctx, tx, now, m)
}

// PeekAccountToken returns the user of a usable token.
func (s *UserService) PeekAccountToken(ctx context.Context, hash, purpose string) (*courses.User, error) {
	var row accountTokenRow
	err := s.db.NewSelect().Model(&row).Where("hash = ?", hash).Where("purpose = ?", purpose).
		Where("used_at IS NULL").Where("expires_at > ?", s.db.Now().UTC()).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "peek account token")
	}
	return s.UserByID(ctx, row.UserID)
}

// UseAccountToken spends the token with one conditional UPDATE (two
// concurrent uses cannot both succeed), sets the password and ends every
// session of the user.
func (s *UserService) UseAccountToken(ctx context.Context, hash, purpose, passwordHash string) (*courses.User, error) {
	now := s.db.Now().UTC()
	var userID int64
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*accountTokenRow)(nil)).Set("used_at = ?", now).
			Where("hash = ?", hash).Where("purpose = ?", purpose).Where("used_at IS NULL").Where("expires_at > ?", now).
			Returning("user_id").Exec(ctx, &userID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && userID == 0) {
			return courses.Errorf(courses.ENOTFOUND, "account token used, expired or unknown")
		}
		if err != nil {
			return wrap(err, "use account token")
		}
		return setPassword(ctx, tx, now, userID, passwordHash, "")
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, userID)
}

// ChangePassword sets a new password and revokes every session but one.
func (s *UserService) ChangePassword(ctx context.Context, userID int64, passwordHash, keepSession string) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		return setPassword(ctx, tx, s.db.Now().UTC(), userID, passwordHash, keepSession)
	})
}

func setPassword(ctx context.Context, tx bun.Tx, now time.Time, userID int64, hash, keepSession string) error {
	if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("password_hash = ?", hash).
		Set("password_changed_at = ?", now).Set("updated_at = ?", now).Where("id = ?", userID).Exec(ctx); err != nil {
		return wrap(err, "set password")
	}
	q := tx.NewUpdate().Model((*sessionRow)(nil)).Where("user_id = ?", userID)
	if keepSession != "" {
		q = q.Where("id <> ?", keepSession)
	}
	return revoke(ctx, tx, q, now, "password changed")
}

type recoveryCodeRow struct {
	bun.BaseModel `bun:"table:recovery_codes"`

	UserID int64      `bun:"user_id,pk"`
	Hash   string     `bun:"hash,pk"`
	UsedAt *time.Time `bun:"used_at"`
}

// BeginTwoFactor stores a pending secret.
func (s *UserService) BeginTwoFactor(ctx context.Context, userID int64, secret string) error {
	_, err := s.db.NewUpdate().Model((*userRow)(nil)).Set("totp_pending_secret = ?", secret).Where("id = ?", userID).Exec(ctx)
	return wrap(err, "begin two-factor")
}

// TwoFactorSecrets returns the secrets of a user.
func (s *UserService) TwoFactorSecrets(ctx context.Context, userID int64) (string, string, error) {
	var r struct {
		Current *string `bun:"totp_secret"`
		Pending *string `bun:"totp_pending_secret"`
	}
	if err := s.db.NewSelect().Model((*userRow)(nil)).Column("totp_secret", "totp_pending_secret").Where("id = ?", userID).Scan(ctx, &r); err != nil {
		return "", "", wrap(err, "two-factor secrets")
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return deref(r.Current), deref(r.Pending), nil
}

// EnableTwoFactor puts the pending secret in force with new recovery codes.
func (s *UserService) EnableTwoFactor(ctx context.Context, userID int64, step int64, recoveryHashes []string) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*userRow)(nil)).
			Set("totp_secret = totp_pending_secret").Set("totp_pending_secret = NULL").
			Set("totp_enabled_at = ?", now).Set("totp_last_step = ?", step).Set("updated_at = ?", now).
			Where("id = ?", userID).Where("totp_pending_secret IS NOT NULL").Exec(ctx)
		if err != nil {
			return wrap(err, "enable two-factor")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return courses.Errorf(courses.ECONFLICT, "no pending two-factor secret")
		}
		return replaceRecoveryCodes(ctx, tx, userID, recoveryHashes)
	})
}

func replaceRecoveryCodes(ctx context.Context, tx bun.Tx, userID int64, hashes []string) error {
	if _, err := tx.NewDelete().Model((*recoveryCodeRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return wrap(err, "clear recovery codes")
	}
	if len(hashes) == 0 {
		return nil
	}
	rows := make([]recoveryCodeRow, len(hashes))
	for i, h := range hashes {
		rows[i] = recoveryCodeRow{UserID: userID, Hash: h}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return wrap(err, "store recovery codes")
}

// UseTOTPStep moves the last used step forward atomically, so that a code
// works once even when two requests bring it at the same moment.
func (s *UserService) UseTOTPStep(ctx context.Context, userID int64, step int64) error {
	res, err := s.db.NewUpdate().Model((*userRow)(nil)).Set("totp_last_step = ?", step).
		Where("id = ?", userID).Where("(totp_last_step IS NULL OR totp_last_step < ?)", step).Exec(ctx)
	if err != nil {
		return wrap(err, "use totp step")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return courses.Errorf(courses.ECONFLICT, "totp code used before")
	}
	return nil
}

// UseRecoveryCode spends one recovery code.
func (s *UserService) UseRecoveryCode(ctx context.Context, userID int64, hash string) error {
	res, err := s.db.NewUpdate().Model((*recoveryCodeRow)(nil)).Set("used_at = ?", s.db.Now().UTC()).
		Where("user_id = ?", userID).Where("hash = ?", hash).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return wrap(err, "use recovery code")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "recovery code unknown or spent")
	}
	return nil
}

// DisableTwoFactor removes the second factor.
func (s *UserService) DisableTwoFactor(ctx context.Context, userID int64) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*userRow)(nil)).Set("totp_secret = NULL").Set("totp_pending_secret = NULL").
			Set("totp_enabled_at = NULL").Where("id = ?", userID).Exec(ctx); err != nil {
			return wrap(err, "disable two-factor")
		}
		return replaceRecoveryCodes(ctx, tx, userID, nil)
	})
}

// UpdateProfile changes name and language.
func (s *UserService) UpdateProfile(ctx context.Context, id int64, name, language string) error {
	nu := courses.NewUser{Email: "x@example.nl", Name: name, Role: courses.RoleLearner, Language: language}
	if err := nu.Validate(); err != nil {
		return err
	}
	_, err := s.db.NewUpdate().Model((*userRow)(nil)).Set("name = ?", nu.Name).Set("language = ?", nu.Language).
		Set("updated_at = ?", s.db.Now().UTC()).Where("id = ?", id).Exec(ctx)
	return wrap(err, "update profile")
}

// ChangeEmail changes the address, relying on the unique index for races.
func (s *UserService) ChangeEmail(ctx context.Context, id int64, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if !courses.ValidEmail(email) {
		return courses.Invalid("bad email", courses.Problem{Field: "email", Key: courses.ProblemBadEmail, Args: map[string]any{"value": email}})
	}
	_, err := s.db.NewUpdate().Model((*userRow)(nil)).Set("email = ?", email).Set("updated_at = ?", s.db.Now().UTC()).Where("id = ?", id).Exec(ctx)
	if courses.ErrorCode(wrap(err, "")) == courses.ECONFLICT {
		return courses.Invalid("email taken", courses.Problem{Field: "email", Key: courses.ProblemEmailTaken})
	}
	return wrap(err, "change email")
}

// DeleteUser removes the account; the foreign keys cascade to what hangs
// off it, and the audit log's actor becomes NULL (its subject keeps the
// number, which no longer leads to a person).
func (s *UserService) DeleteUser(ctx context.Context, id int64) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		// The statistics stop counting the enrolments that go with it.
		if err := statsDelta(ctx, tx, "e.user_id = ?", id, -1, -2); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*userRow)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return wrap(err, "delete user")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return courses.Errorf(courses.ENOTFOUND, "no user %d", id)
		}
		return nil
	})
}

// AssociationBySlug returns an association.
func (s *UserService) AssociationBySlug(ctx context.Context, slug string) (*courses.Association, error) {
	var row associationRow
	if err := s.db.NewSelect().Model(&row).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, wrap(err, "association by slug")
	}
	return &courses.Association{ID: row.ID, Slug: row.Slug, Name: row.Name}, nil
}

// AssociationMembers lists the members of an association, sorted the Dutch
// way by name.
func (s *UserService) AssociationMembers(ctx context.Context, associationID int64) ([]*courses.User, error) {
	var rows []userRow
	if err := s.db.NewSelect().Model(&rows).
		Where("id IN (SELECT user_id FROM association_members WHERE association_id = ?)", associationID).
		Scan(ctx); err != nil {
		return nil, wrap(err, "association members")
	}
	out := make([]*courses.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	slices.SortFunc(out, func(a, b *courses.User) int { return courses.CompareDutch(a.Name, b.Name) })
	return out, nil
}

// InviteMembers creates every account with its token and mail in one
// transaction, after checking all addresses at once, so that a list with
// one bad line saves nothing and names that line.
func (s *UserService) InviteMembers(ctx context.Context, associationSlug string, list []courses.Invitation) error {
	emails := make([]string, len(list))
	for i := range list {
		list[i].User.Email = strings.ToLower(strings.TrimSpace(list[i].User.Email))
		emails[i] = list[i].User.Email
	}
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		var taken []string
		if len(emails) > 0 {
			if err := tx.NewSelect().Model((*userRow)(nil)).Column("email").Where("email IN (?)", bun.List(emails)).Scan(ctx, &taken); err != nil {
				return wrap(err, "check addresses")
			}
		}
		var problems []courses.Problem
		for _, inv := range list {
			if slices.Contains(taken, inv.User.Email) {
				problems = append(problems, courses.Problem{File: inv.File, Line: inv.Line, Field: "email", Key: courses.ProblemEmailTaken})
			}
		}
		if len(problems) > 0 {
			return courses.Invalid("addresses taken", problems...)
		}
		now := s.db.Now().UTC()
		for _, inv := range list {
			nu := inv.User
			nu.PasswordHash = ""
			nu.Associations = []string{associationSlug}
			id, err := s.createUser(ctx, tx, &nu)
			if err != nil {
				for i := range courses.ErrorProblems(err) {
					p := &courses.ErrorProblems(err)[i]
					p.File, p.Line = inv.File, inv.Line
				}
				return err
			}
			inv.Token.UserID = id
			if err := issueToken(ctx, tx, now, inv.Token, inv.Mail); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetRole changes a role. Sessions read the role on every request, so the
// change holds at once.
func (s *UserService) SetRole(ctx context.Context, id int64, role courses.Role) error {
	if !role.Valid() {
		return courses.Invalid("bad role", courses.Problem{Field: "role", Key: courses.ProblemUnknownValue,
			Args: map[string]any{"value": string(role), "allowed": "learner, trainer, association-admin, admin"}})
	}
	res, err := s.db.NewUpdate().Model((*userRow)(nil)).Set("role = ?", string(role)).Set("updated_at = ?", s.db.Now().UTC()).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return wrap(err, "set role")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "no user %d", id)
	}
	return nil
}

// Associations lists the associations by name.
func (s *UserService) Associations(ctx context.Context) ([]courses.Association, error) {
	var rows []associationRow
	if err := s.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, wrap(err, "list associations")
	}
	out := make([]courses.Association, len(rows))
	for i, r := range rows {
		out[i] = courses.Association{ID: r.ID, Slug: r.Slug, Name: r.Name}
	}
	slices.SortFunc(out, func(a, b courses.Association) int { return courses.CompareDutch(a.Name, b.Name) })
	return out, nil
}

// CreateAssociation adds an association.
func (s *UserService) CreateAssociation(ctx context.Context, as *courses.Association) error {
	var problems []courses.Problem
	as.Name = strings.Join(strings.Fields(as.Name), " ")
	if !courses.ValidSlug(as.Slug) {
		problems = append(problems, courses.Problem{Field: "slug", Key: courses.ProblemBadSlug, Args: map[string]any{"name": as.Slug}})
	}
	if n := len([]rune(as.Name)); n < 2 || n > 120 {
		problems = append(problems, courses.Problem{Field: "name", Key: courses.ProblemOutOfRange, Args: map[string]any{"min": 2, "max": 120}})
	}
	if len(problems) > 0 {
		return courses.Invalid("bad association", problems...)
	}
	row := associationRow{Slug: as.Slug, Name: as.Name, CreatedAt: s.db.Now().UTC()}
	if _, err := s.db.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		if courses.ErrorCode(wrap(err, "")) == courses.ECONFLICT {
			return courses.Invalid("slug taken", courses.Problem{Field: "slug", Key: courses.ProblemDuplicateValue, Args: map[string]any{"value": as.Slug}})
		}
		return wrap(err, "create association")
	}
	as.ID = row.ID
	return nil
}

// AddOffice adds an office after checking it and its municipality.
func (s *UserService) AddOffice(ctx context.Context, userID int64, o courses.UserOffice) error {
	if problems := o.Validate(); len(problems) > 0 {
		return courses.Invalid("bad office", problems...)
	}
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		r := userOfficeRow{UserID: userID, Office: string(o.Office), StartsOn: o.StartsOn, EndsOn: o.EndsOn}
		if o.CBSCode != "" {
			n, err := tx.NewSelect().Model((*municipalityRow)(nil)).Where("cbs_code = ?", o.CBSCode).Where("active").Count(ctx)
			if err != nil {
				return wrap(err, "check municipality")
			}
			if n == 0 {
				return courses.Invalid("unknown municipality", courses.Problem{Field: "municipality", Key: courses.ProblemUnknownValue,
					Args: map[string]any{"value": o.CBSCode, "allowed": "CBS-code (GM0363)"}})
			}
			r.CBSCode = &o.CBSCode
		}
		_, err := tx.NewInsert().Model(&r).Exec(ctx)
		return wrap(err, "add office")
	})
}

// RemoveOffice removes an office of the user; the user id in the condition
// keeps one account from removing another's offices.
func (s *UserService) RemoveOffice(ctx context.Context, userID, officeID int64) error {
	res, err := s.db.NewDelete().Model((*userOfficeRow)(nil)).Where("id = ?", officeID).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return wrap(err, "remove office")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "user %d has no office %d", userID, officeID)
	}
	return nil
}

// SetName changes the name.
func (s *UserService) SetName(ctx context.Context, userID int64, name string) error {
	nu := courses.NewUser{Email: "x@example.nl", Name: name, Role: courses.RoleLearner}
	if err := nu.Validate(); err != nil {
		return err
	}
	res, err := s.db.NewUpdate().Model((*userRow)(nil)).Set("name = ?", nu.Name).Set("updated_at = ?", s.db.Now().UTC()).Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return wrap(err, "set name")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "no user %d", userID)
	}
	return nil
}
