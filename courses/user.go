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
	ID        int64
	Email     string // stored lower-case
	Name      string
	Role      Role
	Language  string
	Demo      bool // created as a demo account
	CreatedAt time.Time
}

// UserService stores accounts.
type UserService interface {
	// CreateUser stores u with the given password hash and sets u.ID; an
	// e-mail address that is taken gives ECONFLICT.
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	// CountUsers returns the number of accounts.
	CountUsers(ctx context.Context) (int, error)
}
