package benchkit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"golang.org/x/crypto/argon2"
)

// HashPassword is app/password.go's hashPassword: argon2id, m = 19 MiB,
// t = 2, p = 1, in the PHC format that app/password.go's checkPassword
// reads (it takes the parameters from the hash). Benchmarks that create
// thousands of accounts directly in the database give them one hash made
// here, so that set-up does not cost thousands of hashes.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, 2, 19*1024, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 19*1024, 2, 1,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// LearnerEmail is the address of the benchmarks' learner i.
func LearnerEmail(i int) string { return fmt.Sprintf("cursist%05d@bench.raadzaam.test", i) }

// ClientAddr is the client address of person i, in 198.18.0.0/15 (the
// range RFC 2544 sets aside for benchmarks), for 131,072 people. Servers
// started with RAADZAAM_TRUSTED_PROXIES=127.0.0.1/32 take it from the
// Fly-Client-IP header, as behind Fly's proxy: the sign-in limit counts
// every attempt per address (100 per 15 minutes), so thousands of sign-ins
// from one address would be refused.
func ClientAddr(i int) string {
	return fmt.Sprintf("198.%d.%d.%d", 18+(i>>16)&1, (i>>8)&255, i&255)
}

// TrustLoopbackProxy is the server variable that makes raadzaam believe the
// Fly-Client-IP header of requests from loopback (see ClientAddr).
const TrustLoopbackProxy = "RAADZAAM_TRUSTED_PROXIES=127.0.0.1/32"

// CreateUsers creates n accounts directly in the (migrated) database, conc
// at a time, account i as newUser(i) makes it, and returns their ids by i.
// Benchmarks that need thousands of accounts give them one hash from
// HashPassword.
func CreateUsers(ctx context.Context, d *db.DB, n, conc int, newUser func(i int) *courses.NewUser) ([]int64, error) {
	us := db.NewUserService(d)
	ids := make([]int64, n)
	var next atomic.Int64
	errc := make(chan error, conc)
	for range conc {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					errc <- ctx.Err()
					return
				}
				u, err := us.CreateUser(ctx, newUser(i))
				if err != nil {
					errc <- fmt.Errorf("create account %d: %w", i, err)
					return
				}
				ids[i] = u.ID
			}
		}()
	}
	var first error
	for range conc {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return ids, first
}

// NewAccount is an account to create with `raadzaam user add`.
type NewAccount struct {
	Email, Name, Password string
	Role                  courses.Role
	Office                courses.Office // optional, with Municipality
	Municipality          string         // CBS code, GMxxxx
}

// AddUser creates an account the way an operator does, with
// `raadzaam user add … --password-stdin` (argon2id and all), and returns
// its id.
func (in *Instance) AddUser(ctx context.Context, a NewAccount) (int64, error) {
	args := []string{"user", "add", "--email", a.Email, "--name", a.Name, "--role", string(a.Role), "--password-stdin"}
	if a.Office != "" {
		args = append(args, "--office", string(a.Office), "--municipality", a.Municipality)
	}
	out, err := in.Command(ctx, time.Minute, a.Password+"\n", args...)
	if err != nil {
		return 0, err
	}
	// The first line is the new account's id (app/user_add.go).
	first, _, _ := strings.Cut(out, "\n")
	id, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("raadzaam user add %s: no id in its output %q", a.Email, out)
	}
	return id, nil
}
