package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type mailRow struct {
	bun.BaseModel `bun:"table:outbox"`

	ID            int64      `bun:"id,pk,autoincrement"`
	Recipient     string     `bun:"recipient"`
	Subject       string     `bun:"subject"`
	BodyText      string     `bun:"body_text"`
	BodyHTML      string     `bun:"body_html"`
	CreatedAt     time.Time  `bun:"created_at"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
	ClaimedUntil  *time.Time `bun:"claimed_until"`
	SentAt        *time.Time `bun:"sent_at"`
	FailedAt      *time.Time `bun:"failed_at"`
	LastError     string     `bun:"last_error"`
}

func (r *mailRow) mail() *courses.Mail {
	return &courses.Mail{ID: r.ID, To: r.Recipient, Subject: r.Subject, Text: r.BodyText, HTML: r.BodyHTML,
		CreatedAt: r.CreatedAt, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, SentAt: r.SentAt,
		FailedAt: r.FailedAt, LastError: r.LastError}
}

// Outbox implements courses.Outbox.
type Outbox struct{ db *DB }

var _ courses.Outbox = (*Outbox)(nil)

// NewOutbox returns the outbox stored in db.
func NewOutbox(db *DB) *Outbox { return &Outbox{db: db} }

// enqueueMail adds m within the caller's transaction, so that a mail exists
// exactly when what it announces was committed.
func enqueueMail(ctx context.Context, idb bun.IDB, now time.Time, m *courses.Mail) error {
	row := mailRow{Recipient: m.To, Subject: m.Subject, BodyText: m.Text, BodyHTML: m.HTML, CreatedAt: now, NextAttemptAt: now}
	if _, err := idb.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return wrap(err, "enqueue mail")
	}
	m.ID, m.CreatedAt, m.NextAttemptAt = row.ID, now, now
	return nil
}

// Enqueue adds a mail on its own.
func (o *Outbox) Enqueue(ctx context.Context, m *courses.Mail) error {
	return enqueueMail(ctx, o.db, o.db.Now().UTC(), m)
}

// Claim leases the oldest due mail with one UPDATE ... RETURNING, so that
// two senders never hold the same mail at once.
func (o *Outbox) Claim(ctx context.Context, lease time.Duration) (*courses.Mail, error) {
	now := o.db.Now().UTC()
	var row mailRow
	due := o.db.NewSelect().Model((*mailRow)(nil)).Column("id").
		Where("sent_at IS NULL").Where("failed_at IS NULL").Where("next_attempt_at <= ?", now).
		Where("(claimed_until IS NULL OR claimed_until < ?)", now).
		OrderExpr("next_attempt_at, id").Limit(1)
	if o.db.Kind == Postgres {
		due = due.For("UPDATE SKIP LOCKED")
	}
	err := o.db.NewUpdate().Model(&row).Set("claimed_until = ?", now.Add(lease)).
		Where("id = (?)", due).Where("(claimed_until IS NULL OR claimed_until < ?)", now).
		Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, courses.Errorf(courses.ENOTFOUND, "no mail due")
	}
	if err != nil {
		return nil, wrap(err, "claim mail")
	}
	return row.mail(), nil
}

// MarkSent records a delivery.
func (o *Outbox) MarkSent(ctx context.Context, id int64) error {
	_, err := o.db.NewUpdate().Model((*mailRow)(nil)).Set("sent_at = ?", o.db.Now().UTC()).
		Set("attempts = attempts + 1").Set("claimed_until = NULL").Set("last_error = ''").Where("id = ?", id).Exec(ctx)
	return wrap(err, "mark mail sent")
}

// MarkFailed counts a failed attempt and schedules the next one.
func (o *Outbox) MarkFailed(ctx context.Context, id int64, reason string) error {
	now := o.db.Now().UTC()
	return o.db.inTx(ctx, func(tx bun.Tx) error {
		var attempts int
		if _, err := tx.NewUpdate().Model((*mailRow)(nil)).Set("attempts = attempts + 1").Set("claimed_until = NULL").
			Set("last_error = ?", truncateError(reason)).Where("id = ?", id).Returning("attempts").Exec(ctx, &attempts); err != nil {
			return wrap(err, "mark mail failed")
		}
		q := tx.NewUpdate().Model((*mailRow)(nil)).Where("id = ?", id)
		if attempts >= courses.MailMaxAttempts {
			q = q.Set("failed_at = ?", now)
		} else {
			q = q.Set("next_attempt_at = ?", now.Add(courses.MailBackoff(attempts)))
		}
		_, err := q.Exec(ctx)
		return wrap(err, "schedule mail")
	})
}

func truncateError(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// Mails lists the newest mails first.
func (o *Outbox) Mails(ctx context.Context, limit int) ([]courses.Mail, error) {
	var rows []mailRow
	if err := o.db.NewSelect().Model(&rows).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, wrap(err, "list mails")
	}
	out := make([]courses.Mail, len(rows))
	for i := range rows {
		out[i] = *rows[i].mail()
	}
	return out, nil
}

// MailByID returns one mail.
func (o *Outbox) MailByID(ctx context.Context, id int64) (*courses.Mail, error) {
	var row mailRow
	if err := o.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, wrap(err, "mail by id")
	}
	return row.mail(), nil
}
