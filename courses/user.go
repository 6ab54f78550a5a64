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
}
