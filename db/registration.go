package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type seatRow struct {
	bun.BaseModel `bun:"table:session_seats"`

	CourseID    int64  `bun:"course_id,pk"`
	ActivityKey string `bun:"activity_key,pk"`
	Capacity    int    `bun:"capacity"`
	Taken       int    `bun:"taken"`
}

type registrationRow struct {
	bun.BaseModel `bun:"table:session_registrations"`

	ID           int64      `bun:"id,pk,autoincrement"`
	CourseID     int64      `bun:"course_id"`
	ActivityKey  string     `bun:"activity_key"`
	UserID       int64      `bun:"user_id"`
	Status       string     `bun:"status"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	AttendedAt   *time.Time `bun:"attended_at"`
	AttendanceBy *int64     `bun:"attendance_by"`
}

// Register gives an enrolled learner a place at a session (the activity
// with key of the course, with the capacity and start of the published
// version), or a place on the waiting list when it is full. Places are
// taken by an atomic conditional update of the seat count, so two learners
// racing for the last place get one place and one waiting-list entry.
// Registering again changes nothing.
func (s *LearningService) Register(ctx context.Context, userID, courseID int64, key string, m *courses.Meeting) (*courses.Registration, error) {
	now := s.db.Now().UTC()
	if !m.StartsAt.After(now) {
		return nil, courses.Invalid("session over", courses.Problem{Key: courses.ProblemSessionOver})
	}
	var id int64
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*enrolmentRow)(nil)).
			Where("user_id = ? AND course_id = ? AND withdrawn_at IS NULL", userID, courseID).Count(ctx)
		if err != nil {
			return wrap(err, "enrolment")
		}
		if n == 0 {
			return courses.Invalid("not enrolled", courses.Problem{Key: courses.ProblemNotEnrolled})
		}
		// The capacity is that of the published version (a new version may
		// change it); places freed by a larger one go to the waiting list.
		if _, err := tx.NewInsert().Model(&seatRow{CourseID: courseID, ActivityKey: key, Capacity: m.Capacity}).
			On("CONFLICT (course_id, activity_key) DO UPDATE").Set("capacity = EXCLUDED.capacity").Exec(ctx); err != nil {
			return wrap(err, "seats")
		}
		var r registrationRow
		err = tx.NewSelect().Model(&r).Where("course_id = ? AND activity_key = ? AND user_id = ?", courseID, key, userID).Scan(ctx)
		switch {
		case err == nil && r.Status != courses.Cancelled:
			id = r.ID
			return nil // registered or waiting already
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return wrap(err, "registration")
		}
		status := courses.Waiting
		if took, err := takeSeat(ctx, tx, courseID, key); err != nil {
			return err
		} else if took {
			status = courses.Registered
		}
		if r.ID == 0 {
			r = registrationRow{CourseID: courseID, ActivityKey: key, UserID: userID, Status: status, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&r).Returning("id").Exec(ctx); err != nil {
				return wrap(err, "register")
			}
		} else {
			// Back after cancelling: at the end of the queue.
			if _, err := tx.NewUpdate().Model((*registrationRow)(nil)).Set("status = ?, created_at = ?, updated_at = ?", status, now, now).
				Where("id = ?", r.ID).Exec(ctx); err != nil {
				return wrap(err, "register again")
			}
		}
		id = r.ID
		if status == courses.Registered {
			return s.scheduleReminder(ctx, tx, r.ID, m, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.registration(ctx, id)
}

// takeSeat takes one place if one is free.
func takeSeat(ctx context.Context, tx bun.Tx, courseID int64, key string) (bool, error) {
	res, err := tx.NewUpdate().Model((*seatRow)(nil)).Set("taken = taken + 1").
		Where("course_id = ? AND activity_key = ? AND taken < capacity", courseID, key).Exec(ctx)
	if err != nil {
		return false, wrap(err, "take seat")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *LearningService) scheduleReminder(ctx context.Context, tx bun.Tx, registrationID int64, m *courses.Meeting, now time.Time) error {
	at := m.StartsAt.Add(-courses.SessionReminderBefore)
	if !at.After(now) {
		at = time.Time{} // less than a day ahead: remind at once
	}
	return s.schedule(ctx, tx, courses.SessionReminderJob{RegistrationID: registrationID}, at)
}

// CancelRegistration gives up a place or a waiting-list entry; a freed
// place goes to the first on the waiting list, who is told by mail.
func (s *LearningService) CancelRegistration(ctx context.Context, userID, courseID int64, key string) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		return s.cancel(ctx, tx, userID, courseID, key, now)
	})
}

func (s *LearningService) cancel(ctx context.Context, tx bun.Tx, userID, courseID int64, key string, now time.Time) error {
	var r registrationRow
	if err := tx.NewSelect().Model(&r).Where("course_id = ? AND activity_key = ? AND user_id = ? AND status <> ?",
		courseID, key, userID, courses.Cancelled).Scan(ctx); err != nil {
		return wrap(err, "registration")
	}
	if _, err := tx.NewUpdate().Model((*registrationRow)(nil)).Set("status = ?, updated_at = ?", courses.Cancelled, now).
		Where("id = ?", r.ID).Exec(ctx); err != nil {
		return wrap(err, "cancel")
	}
	if r.Status != courses.Registered {
		return nil
	}
	if _, err := tx.NewUpdate().Model((*seatRow)(nil)).Set("taken = taken - 1").
		Where("course_id = ? AND activity_key = ? AND taken > 0", courseID, key).Exec(ctx); err != nil {
		return wrap(err, "free seat")
	}
	return s.promote(ctx, tx, courseID, key, now)
}

// promote moves the first on the waiting list to a free place.
func (s *LearningService) promote(ctx context.Context, tx bun.Tx, courseID int64, key string, now time.Time) error {
	var next registrationRow
	err := forUpdate(tx.NewSelect().Model(&next).Where("course_id = ? AND activity_key = ? AND status = ?", courseID, key, courses.Waiting).
		Order("created_at", "id").Limit(1), tx).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return wrap(err, "waiting list")
	}
	took, err := takeSeat(ctx, tx, courseID, key)
	if err != nil || !took {
		return err
	}
	if _, err := tx.NewUpdate().Model((*registrationRow)(nil)).Set("status = ?, updated_at = ?", courses.Registered, now).
		Where("id = ?", next.ID).Exec(ctx); err != nil {
		return wrap(err, "promote")
	}
	if err := s.schedule(ctx, tx, courses.WaitlistPromotionJob{RegistrationID: next.ID}, time.Time{}); err != nil {
		return err
	}
	// The reminder's worker waits until a day before the session.
	return s.schedule(ctx, tx, courses.SessionReminderJob{RegistrationID: next.ID}, time.Time{})
}

// registrationQuery selects registrations with the learner's name and the
// place on the waiting list.
func (s *LearningService) registrationQuery() *bun.SelectQuery {
	return s.db.NewSelect().TableExpr("session_registrations AS r").
		ColumnExpr("r.id, r.course_id, r.activity_key, r.user_id, r.status, r.created_at, r.attended_at, u.name").
		ColumnExpr(`CASE WHEN r.status = 'waiting' THEN (SELECT COUNT(*) FROM session_registrations w
			WHERE w.course_id = r.course_id AND w.activity_key = r.activity_key AND w.status = 'waiting'
			AND (w.created_at < r.created_at OR (w.created_at = r.created_at AND w.id <= r.id))) ELSE 0 END AS position`).
		Join("JOIN users u ON u.id = r.user_id")
}

type registrationScan struct {
	ID          int64      `bun:"id"`
	CourseID    int64      `bun:"course_id"`
	ActivityKey string     `bun:"activity_key"`
	UserID      int64      `bun:"user_id"`
	Status      string     `bun:"status"`
	CreatedAt   time.Time  `bun:"created_at"`
	AttendedAt  *time.Time `bun:"attended_at"`
	Name        string     `bun:"name"`
	Position    int        `bun:"position"`
}

func (r *registrationScan) registration() courses.Registration {
	return courses.Registration{ID: r.ID, CourseID: r.CourseID, ActivityKey: r.ActivityKey, UserID: r.UserID, Status: r.Status,
		CreatedAt: r.CreatedAt.UTC(), AttendedAt: utcPtr(r.AttendedAt), Name: r.Name, Position: r.Position}
}

func (s *LearningService) registration(ctx context.Context, id int64) (*courses.Registration, error) {
	var r registrationScan
	if err := s.registrationQuery().Where("r.id = ?", id).Scan(ctx, &r); err != nil {
		return nil, wrap(err, "registration")
	}
	reg := r.registration()
	return &reg, nil
}

// Registration returns userID's registration for a session, or ENOTFOUND.
func (s *LearningService) Registration(ctx context.Context, userID, courseID int64, key string) (*courses.Registration, error) {
	var r registrationScan
	if err := s.registrationQuery().Where("r.user_id = ? AND r.course_id = ? AND r.activity_key = ? AND r.status <> ?",
		userID, courseID, key, courses.Cancelled).Scan(ctx, &r); err != nil {
		return nil, wrap(err, "registration")
	}
	reg := r.registration()
	return &reg, nil
}

// Registrations lists a session's registrations (places first, then the
// waiting list in order) for its trainer.
func (s *LearningService) Registrations(ctx context.Context, courseID int64, key string) ([]courses.Registration, error) {
	var rows []registrationScan
	if err := s.registrationQuery().Where("r.course_id = ? AND r.activity_key = ? AND r.status <> ?", courseID, key, courses.Cancelled).
		OrderExpr("CASE WHEN r.status = 'registered' THEN 0 ELSE 1 END, r.created_at, r.id").Scan(ctx, &rows); err != nil {
		return nil, wrap(err, "registrations")
	}
	out := make([]courses.Registration, len(rows))
	for i := range rows {
		out[i] = rows[i].registration()
	}
	return out, nil
}

// UserRegistrations lists userID's places and waiting-list entries in all
// courses, for the dashboard and the calendar feed.
func (s *LearningService) UserRegistrations(ctx context.Context, userID int64) ([]courses.Registration, error) {
	var rows []registrationScan
	if err := s.registrationQuery().Where("r.user_id = ? AND r.status <> ?", userID, courses.Cancelled).
		OrderExpr("r.created_at").Scan(ctx, &rows); err != nil {
		return nil, wrap(err, "registrations")
	}
	out := make([]courses.Registration, len(rows))
	for i := range rows {
		out[i] = rows[i].registration()
	}
	return out, nil
}

// MarkAttendance records that the given learners (user ids; nil: everyone
// with a place) attended a session; attendance counts as the session done
// and may complete the course. Marking twice keeps the first time.
func (s *LearningService) MarkAttendance(ctx context.Context, courseID int64, key string, userIDs []int64, by int64) (int, error) {
	now := s.db.Now().UTC()
	n := 0
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		q := tx.NewSelect().TableExpr("session_registrations AS r").ColumnExpr("r.id, r.user_id, e.id AS enrolment_id").
			Join("JOIN enrolments e ON e.user_id = r.user_id AND e.course_id = r.course_id").
			Where("r.course_id = ? AND r.activity_key = ? AND r.status = ?", courseID, key, courses.Registered)
		if userIDs != nil {
			if len(userIDs) == 0 {
				return nil
			}
			q = q.Where("r.user_id IN (?)", bun.List(userIDs))
		}
		var rows []struct {
			ID          int64 `bun:"id"`
			UserID      int64 `bun:"user_id"`
			EnrolmentID int64 `bun:"enrolment_id"`
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return wrap(err, "attendees")
		}
		for _, r := range rows {
			res, err := tx.NewUpdate().Model((*registrationRow)(nil)).Set("attended_at = ?, attendance_by = ?", now, by).
				Where("id = ? AND attended_at IS NULL", r.ID).Exec(ctx)
			if err != nil {
				return wrap(err, "attendance")
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
			}
			if err := s.recordDone(ctx, tx, r.EnrolmentID, key, now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
