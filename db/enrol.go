package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

// JobInserter adds background jobs in a transaction (Jobs does). Services
// without one (commands, most tests) schedule nothing.
type JobInserter interface {
	InsertTx(ctx context.Context, tx bun.Tx, job courses.Job, runAt time.Time) error
}

// SetJobs makes the service schedule its follow-up jobs (confirmations,
// reminders) with j.
func (s *LearningService) SetJobs(j JobInserter) { s.jobs = j }

// schedule inserts job in tx when the service has a queue.
func (s *LearningService) schedule(ctx context.Context, tx bun.Tx, job courses.Job, runAt time.Time) error {
	if s.jobs == nil {
		return nil
	}
	return s.jobs.InsertTx(ctx, tx, job, runAt)
}

// EnrolAs enrols a learner in the published version of a course. A learner
// who left the course is enrolled again with their progress. Enrolling
// someone enrolled already changes nothing but a newly given deadline;
// created tells whether this call (re)enrolled. The unique (user, course)
// constraint decides races.
func (s *LearningService) EnrolAs(ctx context.Context, r courses.EnrolRequest) (*courses.Enrolment, bool, error) {
	var created bool
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		var err error
		created, err = s.enrol(ctx, tx, r, s.db.Now().UTC())
		return err
	})
	if err != nil {
		return nil, false, err
	}
	e, err := s.Enrolment(ctx, r.UserID, r.CourseID)
	return e, created, err
}

func (s *LearningService) enrol(ctx context.Context, tx bun.Tx, r courses.EnrolRequest, now time.Time) (bool, error) {
	var versionID int64
	if err := tx.NewSelect().Model((*versionRow)(nil)).Column("id").
		Where("course_id = ? AND state = ?", r.CourseID, courses.StatePublished).Scan(ctx, &versionID); err != nil {
		return false, wrap(err, "published version")
	}
	row := enrolmentRow{UserID: r.UserID, CourseID: r.CourseID, VersionID: versionID, EnrolledAt: now, UpdatedAt: now,
		Source: r.Source, Deadline: r.Deadline}
	if r.By != 0 {
		row.EnrolledBy = &r.By
	}
	if row.Source == "" {
		row.Source = courses.SourceSelf
	}
	res, err := tx.NewInsert().Model(&row).Returning("id").On("CONFLICT (user_id, course_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, wrap(err, "enrol")
	}
	created := false
	if n, _ := res.RowsAffected(); n == 1 {
		created = true
		if row.ID == 0 {
			if err := tx.NewSelect().Model((*enrolmentRow)(nil)).Column("id").
				Where("user_id = ? AND course_id = ?", r.UserID, r.CourseID).Scan(ctx, &row.ID); err != nil {
				return false, wrap(err, "enrolment")
			}
		}
		if err := countEnrolment(ctx, tx, row.ID, r.UserID, now); err != nil {
			return false, err
		}
	} else {
		// Enrolled before: back from a withdrawal (with the progress made),
		// and a new deadline when one is given.
		res, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("withdrawn_at = NULL, updated_at = ?", now).
			Where("user_id = ? AND course_id = ? AND withdrawn_at IS NOT NULL", r.UserID, r.CourseID).Exec(ctx)
		if err != nil {
			return false, wrap(err, "enrol again")
		}
		n, _ := res.RowsAffected()
		created = n == 1
		if r.Deadline != nil {
			if _, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("deadline = ?", r.Deadline.UTC()).
				Where("user_id = ? AND course_id = ?", r.UserID, r.CourseID).Exec(ctx); err != nil {
				return false, wrap(err, "deadline")
			}
		}
		if err := tx.NewSelect().Model((*enrolmentRow)(nil)).Column("id").
			Where("user_id = ? AND course_id = ?", r.UserID, r.CourseID).Scan(ctx, &row.ID); err != nil {
			return false, wrap(err, "enrolment")
		}
	}
	if created && r.Source != courses.SourceSelf && r.Source != courses.SourceKey {
		if err := s.schedule(ctx, tx, courses.EnrolmentConfirmationJob{EnrolmentID: row.ID}, time.Time{}); err != nil {
			return false, err
		}
	}
	if r.Deadline != nil && r.Deadline.Add(-courses.DeadlineReminderBefore).After(now) {
		if err := s.schedule(ctx, tx, courses.DeadlineReminderJob{EnrolmentID: row.ID}, r.Deadline.Add(-courses.DeadlineReminderBefore)); err != nil {
			return false, err
		}
	}
	return created, nil
}

// completeByRule records the enrolment complete when every activity of its
// version is done, exactly once: the update only matches while
// completed_at is empty, so of simultaneous last activities only one
// completes it. It reports whether this call did.
func (s *LearningService) completeByRule(ctx context.Context, tx bun.Tx, enrolmentID int64, now time.Time) (bool, error) {
	var validity int
	if err := tx.NewSelect().TableExpr("enrolments AS e").ColumnExpr("v.validity_months").
		Join("JOIN course_versions v ON v.id = e.version_id").Where("e.id = ?", enrolmentID).Scan(ctx, &validity); err != nil {
		return false, wrap(err, "completion rule")
	}
	expires := courses.ExpiryOf(validity, now)
	res, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).
		Set("completed_at = ?, completion_kind = ?, expires_at = ?, updated_at = ?", now, courses.CompletionRule, expires, now).
		Where("id = ? AND completed_at IS NULL", enrolmentID).
		Where("EXISTS (SELECT 1 FROM version_modules m JOIN activities a ON a.module_id = m.id WHERE m.version_id = enrolment_row.version_id)").
		Where(`NOT EXISTS (SELECT 1 FROM version_modules m JOIN activities a ON a.module_id = m.id
			WHERE m.version_id = enrolment_row.version_id AND NOT EXISTS (SELECT 1 FROM activity_progress p
			WHERE p.enrolment_id = enrolment_row.id AND p.activity_key = m.slug || '/' || a.slug))`).Exec(ctx)
	if err != nil {
		return false, wrap(err, "complete enrolment")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, s.afterCompletion(ctx, tx, enrolmentID, expires, now)
}

// afterCompletion follows up a completion: its certificate, the learning
// paths it may complete, and the recertification before the certificate
// expires.
func (s *LearningService) afterCompletion(ctx context.Context, tx bun.Tx, enrolmentID int64, expires *time.Time, now time.Time) error {
	if err := s.issueCertificate(ctx, tx, enrolmentID, now); err != nil {
		return err
	}
	if err := statsDelta(ctx, tx, "e.id = ?", enrolmentID, 0, 1); err != nil {
		return err
	}
	if err := completePaths(ctx, tx, enrolmentID, now); err != nil {
		return err
	}
	if expires == nil {
		return nil
	}
	return s.schedule(ctx, tx, courses.RecertificationJob{EnrolmentID: enrolmentID}, expires.Add(-courses.RecertificationBefore))
}

// completePaths records the learning paths of the enrolment's learner that
// this completion finishes, once each.
func completePaths(ctx context.Context, tx bun.Tx, enrolmentID int64, now time.Time) error {
	_, err := tx.NewUpdate().TableExpr("path_enrolments AS pe").Set("completed_at = ?", now).
		Where("pe.completed_at IS NULL").
		Where("pe.user_id = (SELECT e.user_id FROM enrolments e WHERE e.id = ?)", enrolmentID).
		Where("pe.path_id IN (SELECT pc.path_id FROM learning_path_courses pc JOIN enrolments e ON e.course_id = pc.course_id WHERE e.id = ?)", enrolmentID).
		Where(`NOT EXISTS (SELECT 1 FROM learning_path_courses pc WHERE pc.path_id = pe.path_id AND NOT EXISTS (
			SELECT 1 FROM enrolments e2 WHERE e2.course_id = pc.course_id AND e2.user_id = pe.user_id AND e2.completed_at IS NOT NULL))`).
		Exec(ctx)
	return wrap(err, "complete paths")
}

// EnrolmentByID returns an enrolment with its progress counts.
func (s *LearningService) EnrolmentByID(ctx context.Context, id int64) (*courses.Enrolment, error) {
	var r enrolmentScan
	if err := s.enrolments(ctx).Where("e.id = ?", id).Scan(ctx, &r); err != nil {
		return nil, wrap(err, "enrolment")
	}
	return r.enrolment(), nil
}

// CompleteManually marks an enrolment complete on a trainer's or admin's
// word, with the reason. An enrolment completed already stays as it was;
// done reports whether this call completed it.
func (s *LearningService) CompleteManually(ctx context.Context, enrolmentID, by int64, reason string) (e *courses.Enrolment, done bool, err error) {
	reason, err = checkReason(reason)
	if err != nil {
		return nil, false, err
	}
	now := s.db.Now().UTC()
	err = s.db.inTx(ctx, func(tx bun.Tx) error {
		var validity int
		if err := tx.NewSelect().TableExpr("enrolments AS e").ColumnExpr("v.validity_months").
			Join("JOIN course_versions v ON v.id = e.version_id").Where("e.id = ?", enrolmentID).Scan(ctx, &validity); err != nil {
			return wrap(err, "enrolment")
		}
		expires := courses.ExpiryOf(validity, now)
		res, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).
			Set("completed_at = ?, completion_kind = ?, completed_by = ?, completion_reason = ?, expires_at = ?, updated_at = ?",
				now, courses.CompletionManual, by, reason, expires, now).
			Where("id = ? AND completed_at IS NULL", enrolmentID).Exec(ctx)
		if err != nil {
			return wrap(err, "complete manually")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		return s.afterCompletion(ctx, tx, enrolmentID, expires, now)
	})
	if err != nil {
		return nil, false, err
	}
	e, err = s.EnrolmentByID(ctx, enrolmentID)
	return e, done, err
}

// UndoCompletion takes a completion back (an admin's correction, by), and
// revokes its certificate. The progress stays; a completion by the rule
// comes back with the next activity done, with a new certificate.
func (s *LearningService) UndoCompletion(ctx context.Context, enrolmentID, by int64) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).
			Set("completed_at = NULL, completion_kind = '', completed_by = NULL, completion_reason = '', expires_at = NULL, updated_at = ?", now).
			Where("id = ? AND completed_at IS NOT NULL", enrolmentID).Exec(ctx)
		if err := affected(res, err, "undo completion"); err != nil {
			return err
		}
		if err := statsDelta(ctx, tx, "e.id = ?", enrolmentID, 0, -1); err != nil {
			return err
		}
		return revokeCertificates(ctx, tx, enrolmentID, userRef(by), courses.RevokedCompletionUndone, now)
	})
}

// Withdraw takes a learner out of a course: the enrolment is kept, with
// its progress, for when they come back; their session places go to the
// waiting list.
func (s *LearningService) Withdraw(ctx context.Context, userID, courseID int64) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("withdrawn_at = ?, updated_at = ?", now, now).
			Where("user_id = ? AND course_id = ? AND withdrawn_at IS NULL", userID, courseID).Exec(ctx)
		if err := affected(res, err, "withdraw"); err != nil {
			return err
		}
		var keys []string
		if err := tx.NewSelect().TableExpr("session_registrations").Column("activity_key").
			Where("user_id = ? AND course_id = ? AND status <> ?", userID, courseID, courses.Cancelled).Scan(ctx, &keys); err != nil {
			return wrap(err, "registrations")
		}
		for _, k := range keys {
			if err := s.cancel(ctx, tx, userID, courseID, k, now); err != nil {
				return err
			}
		}
		return nil
	})
}

type keyRow struct {
	bun.BaseModel `bun:"table:enrolment_keys"`

	ID        int64      `bun:"id,pk,autoincrement"`
	CourseID  int64      `bun:"course_id"`
	Code      string     `bun:"code"`
	Label     string     `bun:"label"`
	Deadline  *time.Time `bun:"deadline"`
	ExpiresAt time.Time  `bun:"expires_at"`
	MaxUses   int        `bun:"max_uses"`
	Uses      int        `bun:"uses"`
	CreatedBy *int64     `bun:"created_by"`
	CreatedAt time.Time  `bun:"created_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

func (r *keyRow) key() courses.EnrolmentKey {
	return courses.EnrolmentKey{ID: r.ID, CourseID: r.CourseID, Code: r.Code, Label: r.Label, Deadline: utcPtr(r.Deadline),
		ExpiresAt: r.ExpiresAt.UTC(), MaxUses: r.MaxUses, Uses: r.Uses, CreatedAt: r.CreatedAt.UTC(), RevokedAt: utcPtr(r.RevokedAt)}
}

// CreateKey makes a new enrolment key for a course, with a fresh code.
func (s *LearningService) CreateKey(ctx context.Context, k *courses.EnrolmentKey, by int64) error {
	now := s.db.Now().UTC()
	var p []courses.Problem
	if n := len([]rune(k.Label)); n > 100 {
		p = append(p, courses.Problem{Field: "label", Key: courses.ProblemTooLong, Args: map[string]any{"max": 100, "length": n}})
	}
	if !k.ExpiresAt.After(now) {
		p = append(p, courses.Problem{Field: "expires", Key: courses.ProblemInPast})
	}
	if k.MaxUses < 0 || k.MaxUses > 10000 {
		p = append(p, courses.Problem{Field: "max_uses", Key: courses.ProblemOutOfRange, Args: map[string]any{"min": 0, "max": 10000}})
	}
	if len(p) > 0 {
		return courses.Invalid("invalid key", p...)
	}
	for range 5 { // a clash of 60-bit codes is all but impossible; retry anyway
		row := keyRow{CourseID: k.CourseID, Code: courses.NewKeyCode(), Label: k.Label, Deadline: k.Deadline,
			ExpiresAt: k.ExpiresAt.UTC(), MaxUses: k.MaxUses, CreatedAt: now}
		if by != 0 {
			row.CreatedBy = &by
		}
		_, err := s.db.NewInsert().Model(&row).Returning("id").Exec(ctx)
		if courses.ErrorCode(wrap(err, "")) == courses.ECONFLICT {
			continue
		}
		if err != nil {
			return wrap(err, "create key")
		}
		*k = row.key()
		return nil
	}
	return courses.Errorf(courses.ECONFLICT, "no free key code")
}

// Keys returns a course's enrolment keys, the newest first.
func (s *LearningService) Keys(ctx context.Context, courseID int64) ([]courses.EnrolmentKey, error) {
	var rows []keyRow
	if err := s.db.NewSelect().Model(&rows).Where("course_id = ?", courseID).Order("created_at DESC", "id DESC").Scan(ctx); err != nil {
		return nil, wrap(err, "keys")
	}
	out := make([]courses.EnrolmentKey, len(rows))
	for i := range rows {
		out[i] = rows[i].key()
	}
	return out, nil
}

// RevokeKey stops a key from enrolling anyone else.
func (s *LearningService) RevokeKey(ctx context.Context, courseID, keyID int64) error {
	res, err := s.db.NewUpdate().Model((*keyRow)(nil)).Set("revoked_at = ?", s.db.Now().UTC()).
		Where("id = ? AND course_id = ? AND revoked_at IS NULL", keyID, courseID).Exec(ctx)
	return affected(res, err, "revoke key")
}

// RedeemKey enrols userID with an enrolment key. A wrong, revoked, expired
// or used-up key is EINVALID naming which; a learner enrolled already
// keeps their enrolment and uses up nothing. Uses are counted by an
// atomic conditional update, so a key for 30 enrols 30.
func (s *LearningService) RedeemKey(ctx context.Context, userID int64, code string) (*courses.Enrolment, bool, error) {
	now := s.db.Now().UTC()
	refuse := func(key string, args map[string]any) error {
		return courses.Invalid("key refused", courses.Problem{Field: "code", Key: key, Args: args})
	}
	var k keyRow
	var created bool
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		// Locked: one redemption of a key at a time (PostgreSQL), so that a
		// learner's double submit uses one place.
		err := forUpdate(tx.NewSelect().Model(&k).Where("code = ?", courses.NormalizeKeyCode(code)), tx).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return refuse(courses.ProblemKeyUnknown, nil)
		}
		if err != nil {
			return wrap(err, "key")
		}
		switch {
		case k.RevokedAt != nil:
			return refuse(courses.ProblemKeyRevoked, nil)
		case !now.Before(k.ExpiresAt):
			return refuse(courses.ProblemKeyExpired, map[string]any{"date": k.ExpiresAt})
		}
		n, err := tx.NewSelect().Model((*enrolmentRow)(nil)).
			Where("user_id = ? AND course_id = ? AND withdrawn_at IS NULL", userID, k.CourseID).Count(ctx)
		if err != nil {
			return wrap(err, "enrolment")
		}
		if n > 0 {
			return nil // enrolled already: the key's places are for others
		}
		res, err := tx.NewUpdate().Model((*keyRow)(nil)).Set("uses = uses + 1").
			Where("id = ? AND (max_uses = 0 OR uses < max_uses)", k.ID).Exec(ctx)
		if err != nil {
			return wrap(err, "use key")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return refuse(courses.ProblemKeyUsedUp, map[string]any{"n": k.MaxUses})
		}
		created, err = s.enrol(ctx, tx, courses.EnrolRequest{UserID: userID, CourseID: k.CourseID, Source: courses.SourceKey, Deadline: k.Deadline}, now)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	e, err := s.Enrolment(ctx, userID, k.CourseID)
	return e, created, err
}

// EnrolMany enrols the people on a list (by e-mail address) in a course,
// all or none: an address without an account, or (with association set)
// of someone who is not a member, is a problem of its line, and nothing is
// saved while there is any. It returns how many were enrolled anew.
func (s *LearningService) EnrolMany(ctx context.Context, courseID int64, rows []courses.EnrolRow, file string, by int64, source, association string) (int, error) {
	emails := make([]string, len(rows))
	for i, r := range rows {
		emails[i] = r.Email
	}
	var users []struct {
		ID     int64  `bun:"id"`
		Email  string `bun:"email"`
		Active bool   `bun:"active"`
		Member bool   `bun:"member"`
	}
	if len(emails) > 0 {
		q := s.db.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.email, u.active").Where("u.email IN (?)", bun.List(emails))
		if association != "" {
			q = q.ColumnExpr(`EXISTS (SELECT 1 FROM association_members ms JOIN associations a ON a.id = ms.association_id
				WHERE ms.user_id = u.id AND a.slug = ?) AS member`, association)
		} else {
			q = q.ColumnExpr("TRUE AS member")
		}
		if err := q.Scan(ctx, &users); err != nil {
			return 0, wrap(err, "find learners")
		}
	}
	byEmail := map[string]int{}
	for i, u := range users {
		byEmail[u.Email] = i
	}
	var problems []courses.Problem
	for _, r := range rows {
		i, ok := byEmail[r.Email]
		switch {
		case !ok || !users[i].Active:
			problems = append(problems, courses.Problem{File: file, Line: r.Line, Field: "email", Key: courses.ProblemNoAccount, Args: map[string]any{"value": r.Email}})
		case !users[i].Member:
			problems = append(problems, courses.Problem{File: file, Line: r.Line, Field: "email", Key: courses.ProblemNotMember, Args: map[string]any{"value": r.Email}})
		}
	}
	if len(problems) > 0 {
		return 0, courses.Invalid("enrolment list has problems", problems...)
	}
	now := s.db.Now().UTC()
	n := 0
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		for _, r := range rows {
			created, err := s.enrol(ctx, tx, courses.EnrolRequest{UserID: users[byEmail[r.Email]].ID, CourseID: courseID, Source: source, By: by, Deadline: r.Deadline}, now)
			if err != nil {
				return err
			}
			if created {
				n++
			}
		}
		return nil
	})
	return n, err
}

// CourseEnrolments lists a course's learners (not withdrawn) with their
// progress, by name, for its trainers.
func (s *LearningService) CourseEnrolments(ctx context.Context, courseID int64) ([]courses.Learner, error) {
	var rows []struct {
		enrolmentScan
		Name  string `bun:"name"`
		Email string `bun:"email"`
	}
	if err := s.enrolments(ctx).ColumnExpr("u.name, u.email").Join("JOIN users u ON u.id = e.user_id").
		Where("e.course_id = ? AND e.withdrawn_at IS NULL", courseID).Scan(ctx, &rows); err != nil {
		return nil, wrap(err, "course enrolments")
	}
	out := make([]courses.Learner, len(rows))
	for i := range rows {
		out[i] = courses.Learner{Enrolment: *rows[i].enrolment(), Name: rows[i].Name, Email: rows[i].Email}
	}
	sortBy(out, func(l courses.Learner) string { return l.Name })
	return out, nil
}
