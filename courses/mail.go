package courses

import (
	"context"
	"time"
)

// Mail is one e-mail in the outbox.
type Mail struct {
	ID            int64
	To            string
	Subject       string
	Text          string // the plain-text part
	HTML          string // the HTML part
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	FailedAt      *time.Time // given up after too many attempts
	LastError     string
}

// MailBackoff returns how long to wait after the nth failed attempt: one
// minute, doubling, at most six hours.
func MailBackoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// MailMaxAttempts is when the sender gives up (about four days of retries).
const MailMaxAttempts = 25

// Outbox holds e-mail until a sender has delivered it.
type Outbox interface {
	// Enqueue adds a mail to be sent as soon as possible.
	Enqueue(ctx context.Context, m *Mail) error
	// Claim leases the oldest due mail to the caller for lease, or returns
	// ENOTFOUND when none is due. A sender that dies loses its lease and
	// another sends the mail: delivery is at least once.
	Claim(ctx context.Context, lease time.Duration) (*Mail, error)
	// MarkSent records a delivery.
	MarkSent(ctx context.Context, id int64) error
	// MarkFailed records a failed attempt and when to try again; after
	// MailMaxAttempts the mail is given up and shown as failed.
	MarkFailed(ctx context.Context, id int64, reason string) error
	// Mails lists the newest mails first.
	Mails(ctx context.Context, limit int) ([]Mail, error)
	// MailByID returns one mail.
	MailByID(ctx context.Context, id int64) (*Mail, error)
}
