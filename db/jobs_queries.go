package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// jobSlack is how early a job may run and still count as on time (clocks of
// instances differ a little); a job earlier than that waits on.
const jobSlack = time.Minute

// JobRecipient is the learner a job mails, in their own language.
type JobRecipient struct {
	UserID   int64  `bun:"user_id"`
	Email    string `bun:"email"`
	Name     string `bun:"name"`
	Language string `bun:"language"`
	Active   bool   `bun:"active"`
}

// EnrolmentFacts is an enrolment as the jobs about it see it now.
type EnrolmentFacts struct {
	JobRecipient
	EnrolmentID int64      `bun:"id"`
	CourseID    int64      `bun:"course_id"`
	Slug        string     `bun:"slug"`
	Title       string     `bun:"title"` // of the version enrolled in
	Deadline    *time.Time `bun:"deadline"`
	WithdrawnAt *time.Time `bun:"withdrawn_at"`
	CompletedAt *time.Time `bun:"completed_at"`
	ExpiresAt   *time.Time `bun:"expires_at"`
	RemindedAt  *time.Time `bun:"reminded_at"` // when the last deadline reminder went out
	Done        int        `bun:"done"`        // activities of the version done
	Total       int        `bun:"total"`       // activities in the version
	// The course's published version; PublishedVersionID is 0 when the
	// course is not published (any more).
	PublishedVersionID int64  `bun:"published_version_id"`
	PublishedNumber    int    `bun:"published_number"`
	PublishedTitle     string `bun:"published_title"`
}

// Confirmation reports whether an enrolment confirmation still applies: the
// learner's account is active and they have not withdrawn.
func (f *EnrolmentFacts) Confirmation() bool { return f.Active && f.WithdrawnAt == nil }

// DeadlineReminder reports whether the deadline reminder is to be sent now,
// or else how long to wait for it (0: it no longer applies). It applies to
// an active, unfinished enrolment whose deadline is ahead and whose learner
// was not reminded of this deadline yet (a reminder before an earlier
// deadline does not count).
func (f *EnrolmentFacts) DeadlineReminder(now time.Time) (send bool, wait time.Duration) {
	if !f.Confirmation() || f.CompletedAt != nil || f.Deadline == nil || !f.Deadline.After(now) {
		return false, 0
	}
	due := f.Deadline.Add(-courses.DeadlineReminderBefore)
	if now.Before(due.Add(-jobSlack)) {
		return false, due.Sub(now) // the deadline moved later
	}
	if f.RemindedAt != nil && !f.RemindedAt.Before(due.Add(-time.Hour)) {
		return false, 0
	}
	return true, 0
}

// Recertification reports whether the learner is to be re-enrolled (and
// told) now, or else how long to wait (0: it no longer applies): a
// certificate that expires, of an active enrolment in a course that is
// still published.
func (f *EnrolmentFacts) Recertification(now time.Time) (send bool, wait time.Duration) {
	if !f.Confirmation() || f.ExpiresAt == nil || f.PublishedVersionID == 0 {
		return false, 0
	}
	if due := f.ExpiresAt.Add(-courses.RecertificationBefore); now.Before(due.Add(-jobSlack)) {
		return false, due.Sub(now)
	}
	return true, 0
}

// EnrolmentFacts returns the current state of an enrolment, with its
// learner and course, or ENOTFOUND.
func (d *DB) EnrolmentFacts(ctx context.Context, enrolmentID int64) (*EnrolmentFacts, error) {
	return enrolmentFacts(ctx, d, enrolmentID)
}

func enrolmentFacts(ctx context.Context, idb bun.IDB, enrolmentID int64) (*EnrolmentFacts, error) {
	var f EnrolmentFacts
	err := idb.NewSelect().TableExpr("enrolments AS e").
		ColumnExpr("e.id, e.course_id, e.deadline, e.withdrawn_at, e.completed_at, e.expires_at, e.reminded_at").
		ColumnExpr("u.id AS user_id, u.email, u.name, u.language, u.active").
		ColumnExpr("c.slug, v.title").
		ColumnExpr("COALESCE(pv.id, 0) AS published_version_id, COALESCE(pv.number, 0) AS published_number, COALESCE(pv.title, '') AS published_title").
		ColumnExpr(`(SELECT COUNT(*) FROM activities a JOIN version_modules m ON m.id = a.module_id
			WHERE m.version_id = e.version_id) AS total`).
		ColumnExpr(`(SELECT COUNT(*) FROM activity_progress p JOIN version_modules m ON m.version_id = e.version_id
			JOIN activities a ON a.module_id = m.id AND p.activity_key = m.slug || '/' || a.slug
			WHERE p.enrolment_id = e.id) AS done`).
		Join("JOIN users u ON u.id = e.user_id").
		Join("JOIN courses c ON c.id = e.course_id").
		Join("JOIN course_versions v ON v.id = e.version_id").
		Join("LEFT JOIN course_versions pv ON pv.course_id = e.course_id AND pv.state = ?", courses.StatePublished).
		Where("e.id = ?", enrolmentID).Scan(ctx, &f)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, courses.Errorf(courses.ENOTFOUND, "no enrolment %d", enrolmentID)
	}
	if err != nil {
		return nil, wrap(err, "enrolment facts")
	}
	for _, t := range []*time.Time{f.Deadline, f.WithdrawnAt, f.CompletedAt, f.ExpiresAt, f.RemindedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return &f, nil
}

// RegistrationFacts is a session registration as the jobs about it see it
// now. The session is taken from the course's published version, which
// holds the current plan (a registration names the session by its
// version-independent key).
type RegistrationFacts struct {
	JobRecipient
	RegistrationID int64  `bun:"id"`
	CourseID       int64  `bun:"course_id"`
	ActivityKey    string `bun:"activity_key"`
	Status         string `bun:"status"`
	Slug           string `bun:"slug"`
	CourseTitle    string `bun:"course_title"` // of the published version
	// Found is false when the published version has no such session (it was
	// removed) or the course is not published.
	Found     bool
	Session   string
	StartsAt  time.Time
	EndsAt    time.Time
	Location  string
	OnlineURL string
}

// SessionReminder reports whether the reminder is to be sent now, or else
// how long to wait (0: it no longer applies): the learner is registered
// (not waiting, not cancelled) for a session that has not started.
func (f *RegistrationFacts) SessionReminder(now time.Time) (send bool, wait time.Duration) {
	if !f.Promotion(now) {
		return false, 0
	}
	if due := f.StartsAt.Add(-courses.SessionReminderBefore); now.Before(due.Add(-jobSlack)) {
		return false, due.Sub(now) // the session moved later
	}
	return true, 0
}

// Promotion reports whether a mail about a place in the session still
// applies: the learner is registered for a session that has not started.
func (f *RegistrationFacts) Promotion(now time.Time) bool {
	return f.Active && f.Status == courses.Registered && f.Found && f.StartsAt.After(now)
}

// RegistrationFacts returns the current state of a session registration,
// with its learner, course and session, or ENOTFOUND.
func (d *DB) RegistrationFacts(ctx context.Context, registrationID int64) (*RegistrationFacts, error) {
	return registrationFacts(ctx, d, registrationID)
}

func registrationFacts(ctx context.Context, idb bun.IDB, registrationID int64) (*RegistrationFacts, error) {
	var f RegistrationFacts
	err := idb.NewSelect().TableExpr("session_registrations AS r").
		ColumnExpr("r.id, r.course_id, r.activity_key, r.status").
		ColumnExpr("u.id AS user_id, u.email, u.name, u.language, u.active").
		ColumnExpr("c.slug, COALESCE(pv.title, c.title) AS course_title").
		Join("JOIN users u ON u.id = r.user_id").
		Join("JOIN courses c ON c.id = r.course_id").
		Join("LEFT JOIN course_versions pv ON pv.course_id = r.course_id AND pv.state = ?", courses.StatePublished).
		Where("r.id = ?", registrationID).Scan(ctx, &f)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, courses.Errorf(courses.ENOTFOUND, "no registration %d", registrationID)
	}
	if err != nil {
		return nil, wrap(err, "registration facts")
	}
	module, slug, _ := strings.Cut(f.ActivityKey, "/")
	var a activityRow
	err = idb.NewSelect().TableExpr("activities AS a").ColumnExpr("a.title, a.starts_at, a.ends_at, a.location, a.online_url").
		Join("JOIN version_modules AS m ON m.id = a.module_id").
		Join("JOIN course_versions AS v ON v.id = m.version_id").
		Where("v.course_id = ? AND v.state = ?", f.CourseID, courses.StatePublished).
		Where("m.slug = ? AND a.slug = ? AND a.kind = ?", module, slug, courses.KindSession).
		Limit(1).Scan(ctx, &a)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, wrap(err, "registration session")
	case a.StartsAt != nil && a.EndsAt != nil:
		f.Found, f.Session, f.StartsAt, f.EndsAt = true, a.Title, a.StartsAt.UTC(), a.EndsAt.UTC()
		f.Location, f.OnlineURL = a.Location, a.OnlineURL
	}
	return &f, nil
}

// JobCheck is a job's last look at the data, inside the transaction that
// commits its mail: it reports whether the mail still applies, and may make
// the change the mail announces. The data is locked while it looks.
type JobCheck struct {
	fn func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error)
}

// CheckConfirmation checks that an enrolment confirmation still applies.
func CheckConfirmation(enrolmentID int64) JobCheck {
	return JobCheck{func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
		f, err := lockedEnrolment(ctx, tx, enrolmentID)
		if err != nil || f == nil {
			return false, err
		}
		return f.Confirmation(), nil
	}}
}

// CheckDeadlineReminder checks that the deadline reminder is due and not
// sent yet, and records it as sent (enrolments.reminded_at).
func CheckDeadlineReminder(enrolmentID int64) JobCheck {
	return JobCheck{func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
		f, err := lockedEnrolment(ctx, tx, enrolmentID)
		if err != nil || f == nil {
			return false, err
		}
		if send, _ := f.DeadlineReminder(now); !send {
			return false, nil
		}
		_, err = tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("reminded_at = ?", now).Where("id = ?", enrolmentID).Exec(ctx)
		return err == nil, wrap(err, "mark reminded")
	}}
}

// CheckRecertification checks that the recertification is due and
// re-enrols the learner (see ReEnrolForRecertification).
func CheckRecertification(enrolmentID int64) JobCheck {
	return JobCheck{func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
		f, err := lockedEnrolment(ctx, tx, enrolmentID)
		if err != nil || f == nil {
			return false, err
		}
		if send, _ := f.Recertification(now); !send {
			return false, nil
		}
		return reEnrol(ctx, tx, enrolmentID, now)
	}}
}

// CheckSessionReminder checks that the session reminder is due.
func CheckSessionReminder(registrationID int64) JobCheck {
	return JobCheck{func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
		f, err := lockedRegistration(ctx, tx, registrationID)
		if err != nil || f == nil {
			return false, err
		}
		send, _ := f.SessionReminder(now)
		return send, nil
	}}
}

// CheckPromotion checks that a promoted learner still has their place.
func CheckPromotion(registrationID int64) JobCheck {
	return JobCheck{func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
		f, err := lockedRegistration(ctx, tx, registrationID)
		if err != nil || f == nil {
			return false, err
		}
		return f.Promotion(now), nil
	}}
}

// lockedEnrolment locks the enrolment (PostgreSQL; SQLite's immediate
// transaction holds the write lock already) and returns its facts, or nil
// when it is gone.
func lockedEnrolment(ctx context.Context, tx bun.Tx, id int64) (*EnrolmentFacts, error) {
	var ids []int64
	if err := forUpdate(tx.NewSelect().Model((*enrolmentRow)(nil)).Column("id").Where("id = ?", id), tx).Scan(ctx, &ids); err != nil {
		return nil, wrap(err, "lock enrolment")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return enrolmentFacts(ctx, tx, id)
}

func lockedRegistration(ctx context.Context, tx bun.Tx, id int64) (*RegistrationFacts, error) {
	var ids []int64
	if err := forUpdate(tx.NewSelect().TableExpr("session_registrations").Column("id").Where("id = ?", id), tx).Scan(ctx, &ids); err != nil {
		return nil, wrap(err, "lock registration")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return registrationFacts(ctx, tx, id)
}

// CommitJobMail commits, in one transaction, check (with the change it
// makes), the mail into the outbox and the job's completion. So a mail is
// sent at most once per job, even when the process dies between the commit
// and River's own bookkeeping; and when anything fails, nothing is kept and
// the job is retried. It reports whether the mail was enqueued: false when
// check found that it no longer applies.
func CommitJobMail[T river.JobArgs](ctx context.Context, d *DB, job *river.Job[T], check JobCheck, m *courses.Mail) (sent bool, err error) {
	now := d.Now().UTC()
	err = d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if check.fn != nil {
			ok, err := check.fn(ctx, tx, now)
			if err != nil || !ok {
				return err
			}
		}
		if err := enqueueMail(ctx, tx, now, m); err != nil {
			return err
		}
		sent = true
		return completeJobTx(ctx, d.Kind, tx, job)
	})
	return sent, err
}

// completeJobTx marks a running job completed within tx. A job worked
// outside a River client (a direct call in a test) is left alone.
func completeJobTx[T river.JobArgs](ctx context.Context, kind Kind, tx bun.Tx, job *river.Job[T]) error {
	if job.JobRow == nil || job.State != rivertype.JobStateRunning {
		return nil
	}
	if _, err := river.ClientFromContextSafely[*sql.Tx](ctx); err != nil {
		return nil
	}
	var err error
	if kind == SQLite {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx.Tx, job)
	} else {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx.Tx, job)
	}
	return wrap(err, "complete job")
}

// ReEnrolForRecertification enrols the learner of a completed enrolment
// whose certificate expires again, in the course's currently published
// version: completion (completed_at, completion_kind, completed_by,
// completion_reason), expires_at and the deadline reminder mark are
// cleared, and the source becomes "recertification". It does so only when expires_at is set, the learner has not
// withdrawn and the course is still published, and reports whether it did.
//
// Progress rows are kept as history. Since progress is recorded by the
// version-independent activity key, activities whose key is still in the
// new version count as done again, and the learner redoes what is new or
// changed (renamed) in it; quiz attempts are kept too.
func (d *DB) ReEnrolForRecertification(ctx context.Context, enrolmentID int64) (ok bool, err error) {
	err = d.inTx(ctx, func(tx bun.Tx) error {
		ok, err = reEnrol(ctx, tx, enrolmentID, d.Now().UTC())
		return err
	})
	return ok, err
}

// reEnrol is ReEnrolForRecertification in the caller's transaction: one
// conditional UPDATE, so a concurrent change cannot slip in between.
func reEnrol(ctx context.Context, idb bun.IDB, enrolmentID int64, now time.Time) (bool, error) {
	published := idb.NewSelect().TableExpr("course_versions AS pv").ColumnExpr("pv.id").
		Where("pv.course_id = e.course_id AND pv.state = ?", courses.StatePublished)
	res, err := idb.NewUpdate().TableExpr("enrolments AS e").
		Set("version_id = (?)", published).
		Set("completed_at = NULL, completion_kind = '', completed_by = NULL, completion_reason = ''").
		Set("expires_at = NULL, reminded_at = NULL, source = ?, updated_at = ?", courses.SourceRecertification, now).
		Where("id = ?", enrolmentID).
		Where("expires_at IS NOT NULL AND withdrawn_at IS NULL").
		Where("EXISTS (?)", published).Exec(ctx)
	if err != nil {
		return false, wrap(err, "re-enrol")
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, wrap(err, "re-enrol")
	}
	// The completion it had no longer counts: the statistics follow.
	return true, statsDelta(ctx, idb, "e.id = ?", enrolmentID, 0, -1)
}
