package courses

import (
	"context"
	"slices"
	"time"
)

// Role says what a user may do. The codes are part of the public contract.
type Role string

// The roles, from least to most privileged.
const (
	RoleLearner          Role = "learner"
	RoleTrainer          Role = "trainer"
	RoleAssociationAdmin Role = "association-admin"
	RoleAdmin            Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleLearner, RoleTrainer, RoleAssociationAdmin, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is an account. Its name is the name as printed on certificates.
type User struct {
	ID          int64
	Email       string // stored lower-case
	Name        string
	Role        Role
	Language    string
	Active      bool
	TwoFactor   bool // signs in with a TOTP code
	Demo        bool // created as a demo account
	CreatedAt   time.Time
	Offices     []UserOffice // filled by UserByID
	Memberships []Membership // filled by UserByID
}

// UserService stores accounts.
type UserService interface {
	// CreateUser validates and stores a new account with its offices and
	// memberships in one transaction; a taken e-mail address is ECONFLICT,
	// an unknown association or municipality EINVALID naming the field.
	CreateUser(ctx context.Context, nu *NewUser) (*User, error)
	// UserByID returns an account with its offices and memberships.
	UserByID(ctx context.Context, id int64) (*User, error)
	// Credentials returns the id, password hash and state of the account
	// with the e-mail address, or ENOTFOUND.
	Credentials(ctx context.Context, email string) (id int64, hash string, active bool, err error)
	// CountUsers returns the number of accounts.
	CountUsers(ctx context.Context) (int, error)
	// ListUsers returns accounts whose name or e-mail address contains
	// query, sorted by name the Dutch way, and the total that matched.
	ListUsers(ctx context.Context, query string, offset, limit int) ([]*User, int, error)
	// SetActive activates or deactivates an account; deactivation ends all
	// its sessions in the same transaction.
	SetActive(ctx context.Context, id int64, active bool) error

	// InviteUser creates an account without a password, with a single-use
	// invitation token (its hash) and the invitation mail, in one
	// transaction.
	InviteUser(ctx context.Context, nu *NewUser, t AccountToken, m *Mail) (*User, error)
	// IssueAccountToken stores a single-use token for the user together with
	// the mail that carries it, in one transaction.
	IssueAccountToken(ctx context.Context, t AccountToken, m *Mail) error
	// PeekAccountToken returns the user of an unused, unexpired token.
	PeekAccountToken(ctx context.Context, hash, purpose string) (*User, error)
	// UseAccountToken spends the token and sets the user's password, ending
	// every session of the user, in one transaction; a used, expired or
	// unknown token is ENOTFOUND.
	UseAccountToken(ctx context.Context, hash, purpose, passwordHash string) (*User, error)
	// AddOffice adds an office (with municipality and term) to an account;
	// an unknown municipality is EINVALID on "municipality".
	AddOffice(ctx context.Context, userID int64, o UserOffice) error
	// RemoveOffice removes one of the account's offices; ENOTFOUND when the
	// account has no such office.
	RemoveOffice(ctx context.Context, userID, officeID int64) error
	// SetName changes the name as printed on certificates.
	SetName(ctx context.Context, userID int64, name string) error
	// SetRole changes the role of an account.
	SetRole(ctx context.Context, id int64, role Role) error
	// Associations lists every association by name.
	Associations(ctx context.Context) ([]Association, error)
	// CreateAssociation adds an association; a taken slug is EINVALID on
	// "slug".
	CreateAssociation(ctx context.Context, as *Association) error
	// AssociationBySlug returns an association, or ENOTFOUND.
	AssociationBySlug(ctx context.Context, slug string) (*Association, error)
	// AssociationMembers lists the members of an association by name.
	AssociationMembers(ctx context.Context, associationID int64) ([]*User, error)
	// InviteMembers invites every one of list to an association in one
	// transaction: all or none. Addresses that already have an account are
	// problems on their line.
	InviteMembers(ctx context.Context, associationSlug string, list []Invitation) error

	// UpdateProfile changes the name (as printed on certificates) and the
	// language of an account.
	UpdateProfile(ctx context.Context, id int64, name, language string) error
	// ChangeEmail changes the address; a taken one is EINVALID on "email".
	ChangeEmail(ctx context.Context, id int64, email string) error
	// DeleteUser removes an account with its offices, memberships, sessions
	// and tokens; audit entries keep only its number.
	DeleteUser(ctx context.Context, id int64) error
	// ChangePassword sets a new password and ends every other session.
	ChangePassword(ctx context.Context, userID int64, passwordHash, keepSession string) error

	// BeginTwoFactor stores a new secret that is not in force until
	// EnableTwoFactor confirms a code from it.
	BeginTwoFactor(ctx context.Context, userID int64, secret string) error
	// TwoFactorSecrets returns the secret in force and the pending one.
	TwoFactorSecrets(ctx context.Context, userID int64) (current, pending string, err error)
	// EnableTwoFactor puts the pending secret in force, records step as
	// used and replaces the recovery codes (their hashes), in one transaction.
	EnableTwoFactor(ctx context.Context, userID int64, step int64, recoveryHashes []string) error
	// UseTOTPStep records step as used; ECONFLICT when it, or a later one,
	// was used before (a replayed code).
	UseTOTPStep(ctx context.Context, userID int64, step int64) error
	// UseRecoveryCode spends a recovery code; ENOTFOUND when it is unknown
	// or spent.
	UseRecoveryCode(ctx context.Context, userID int64, hash string) error
	// DisableTwoFactor removes the secret and the recovery codes.
	DisableTwoFactor(ctx context.Context, userID int64) error
}

// Invitation is one person to invite: the account to create, the hash of
// its single-use link and the mail that carries the link. Line is the line
// of an uploaded list it came from, for problems.
type Invitation struct {
	User  NewUser
	Token AccountToken
	Mail  *Mail
	Line  int
	File  string
}

// Account token purposes.
const (
	TokenInvitation    = "invitation"
	TokenPasswordReset = "password-reset"
)

// AccountToken is a single-use link sent by e-mail: an invitation or a
// password reset. Only its hash is stored.
type AccountToken struct {
	Hash      string
	UserID    int64 // set by InviteUser for invitations
	Purpose   string
	ExpiresAt time.Time
}
