package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type enrolmentRow struct {
	bun.BaseModel `bun:"table:enrolments"`

	ID           int64      `bun:"id,pk,autoincrement"`
	UserID       int64      `bun:"user_id"`
	CourseID     int64      `bun:"course_id"`
	VersionID    int64      `bun:"version_id"`
	LastActivity string     `bun:"last_activity"`
	EnrolledAt   time.Time  `bun:"enrolled_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	CompletedAt  *time.Time `bun:"completed_at"`
	Source       string     `bun:"source"`
	EnrolledBy   *int64     `bun:"enrolled_by"`
	Deadline     *time.Time `bun:"deadline"`
}

type progressRow struct {
	bun.BaseModel `bun:"table:activity_progress"`

	EnrolmentID int64     `bun:"enrolment_id,pk"`
	ActivityKey string    `bun:"activity_key,pk"`
	CompletedAt time.Time `bun:"completed_at"`
}

type attemptRow struct {
	bun.BaseModel `bun:"table:quiz_attempts"`

	ID          int64     `bun:"id,pk,autoincrement"`
	EnrolmentID int64     `bun:"enrolment_id"`
	ActivityKey string    `bun:"activity_key"`
	ActivityID  int64     `bun:"activity_id"`
	Number      int       `bun:"number"`
	Score       int       `bun:"score"`
	Passed      bool      `bun:"passed"`
	Answers     string    `bun:"answers"`
	SubmittedAt time.Time `bun:"submitted_at"`
}

// LearningService stores who takes which course and how far they are.
type LearningService struct {
	db      *DB
	jobs    JobInserter // nil: no background jobs (tests, commands)
	issuer  courses.Issuer
	prepare sync.Once
	stmt    *sql.Stmt // enrolmentBySlugSQL on SQLite
	stmtErr error
}

var _ courses.LearningService = (*LearningService)(nil)

// NewLearningService returns the learning records stored in db.
func NewLearningService(db *DB) *LearningService { return &LearningService{db: db} }

// Enrol enrols userID in the published version of the course by their own
// choice (see EnrolAs).
func (s *LearningService) Enrol(ctx context.Context, userID, courseID int64) (e *courses.Enrolment, created bool, err error) {
	return s.EnrolAs(ctx, courses.EnrolRequest{UserID: userID, CourseID: courseID, Source: courses.SourceSelf})
}

// enrolmentColumns selects an enrolment with its course, and its progress
// counted in SQL: activities of its version, and those done.
func (s *LearningService) enrolments(ctx context.Context) *bun.SelectQuery {
	return s.db.NewSelect().TableExpr("enrolments AS e").
		ColumnExpr("e.id, e.user_id, e.course_id, e.version_id, e.last_activity, e.enrolled_at, e.completed_at").
		ColumnExpr("e.source, e.enrolled_by, e.deadline, e.withdrawn_at, e.completion_kind, e.completion_reason, e.completed_by, e.expires_at").
		ColumnExpr("c.slug, v.title").
		ColumnExpr(`COALESCE((SELECT ct.number FROM certificates ct WHERE ct.enrolment_id = e.id AND ct.revoked_at IS NULL
			ORDER BY ct.issued_at DESC LIMIT 1), '') AS certificate`).
		ColumnExpr(`(SELECT COUNT(*) FROM activities a JOIN version_modules m ON m.id = a.module_id
			WHERE m.version_id = e.version_id) AS total`).
		ColumnExpr(`(SELECT COUNT(*) FROM activity_progress p JOIN version_modules m ON m.version_id = e.version_id
			JOIN activities a ON a.module_id = m.id AND p.activity_key = m.slug || '/' || a.slug
			WHERE p.enrolment_id = e.id) AS done`).
		Join("JOIN courses c ON c.id = e.course_id").
		Join("JOIN course_versions v ON v.id = e.version_id")
}

type enrolmentScan struct {
	ID           int64      `bun:"id"`
	UserID       int64      `bun:"user_id"`
	CourseID     int64      `bun:"course_id"`
	VersionID    int64      `bun:"version_id"`
	LastActivity string     `bun:"last_activity"`
	EnrolledAt   time.Time  `bun:"enrolled_at"`
	CompletedAt  *time.Time `bun:"completed_at"`
	Source       string     `bun:"source"`
	EnrolledBy   *int64     `bun:"enrolled_by"`
	Deadline     *time.Time `bun:"deadline"`
	WithdrawnAt  *time.Time `bun:"withdrawn_at"`
	Kind         string     `bun:"completion_kind"`
	Reason       string     `bun:"completion_reason"`
	CompletedBy  *int64     `bun:"completed_by"`
	ExpiresAt    *time.Time `bun:"expires_at"`
	Slug         string     `bun:"slug"`
	Title        string     `bun:"title"`
	Certificate  string     `bun:"certificate"`
	Total        int        `bun:"total"`
	Done         int        `bun:"done"`
}

func (r *enrolmentScan) enrolment() *courses.Enrolment {
	e := &courses.Enrolment{ID: r.ID, UserID: r.UserID, CourseID: r.CourseID, VersionID: r.VersionID,
		Slug: r.Slug, Title: r.Title, LastActivity: r.LastActivity, Done: r.Done, Total: r.Total,
		EnrolledAt: r.EnrolledAt.UTC()}
	e.CompletedAt, e.Deadline, e.WithdrawnAt, e.ExpiresAt = utcPtr(r.CompletedAt), utcPtr(r.Deadline), utcPtr(r.WithdrawnAt), utcPtr(r.ExpiresAt)
	e.Source, e.CompletionKind, e.CompletionReason, e.Certificate = r.Source, r.Kind, r.Reason, r.Certificate
	if r.EnrolledBy != nil {
		e.EnrolledBy = *r.EnrolledBy
	}
	if r.CompletedBy != nil {
		e.CompletedBy = *r.CompletedBy
	}
	return e
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Enrolment returns userID's enrolment in the course, or ENOTFOUND.
func (s *LearningService) Enrolment(ctx context.Context, userID, courseID int64) (*courses.Enrolment, error) {
	var r enrolmentScan
	if err := s.enrolments(ctx).Where("e.user_id = ? AND e.course_id = ?", userID, courseID).Scan(ctx, &r); err != nil {
		return nil, wrap(err, "enrolment")
	}
	return r.enrolment(), nil
}

// enrolmentBySlugSQL is the query behind every lesson page: the
// enrolment and the keys of the activities done. Like the session check it
// is prepared once with placeholders (parsing it was a fifth of a lesson
// view's CPU on SQLite); on PostgreSQL pgx caches the prepared statement.
const enrolmentBySlugSQL = `SELECT e.id, e.user_id, e.course_id, e.version_id, e.last_activity, e.enrolled_at,
	e.completed_at, c.slug, (SELECT %s FROM activity_progress AS p WHERE p.enrolment_id = e.id)
FROM enrolments AS e JOIN courses AS c ON c.id = e.course_id
WHERE e.user_id = $1 AND c.slug = $2 AND e.withdrawn_at IS NULL`

// EnrolmentBySlug returns userID's enrolment in the course with slug, with
// the keys of the activities done (and no counts), or ENOTFOUND: one query.
func (s *LearningService) EnrolmentBySlug(ctx context.Context, userID int64, slug string) (*courses.Enrolment, error) {
	var e courses.Enrolment
	var completed sql.NullTime
	var keys sql.NullString
	dest := []any{&e.ID, &e.UserID, &e.CourseID, &e.VersionID, &e.LastActivity, &e.EnrolledAt, &completed, &e.Slug, &keys}
	var err error
	if s.db.pool != nil {
		err = s.db.pool.QueryRow(ctx, fmt.Sprintf(enrolmentBySlugSQL, "string_agg(p.activity_key, ',')"), userID, slug).Scan(dest...)
	} else {
		s.prepare.Do(func() {
			query := strings.NewReplacer("$1", "?1", "$2", "?2").Replace(fmt.Sprintf(enrolmentBySlugSQL, "group_concat(p.activity_key, ',')"))
			s.stmt, s.stmtErr = s.db.DB.DB.PrepareContext(ctx, query)
		})
		if s.stmtErr != nil {
			return nil, wrap(s.stmtErr, "prepare enrolment")
		}
		err = s.stmt.QueryRowContext(ctx, userID, slug).Scan(dest...)
	}
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return nil, courses.Errorf(courses.ENOTFOUND, "no enrolment of user %d in %s", userID, slug)
	}
	if err != nil {
		return nil, wrap(err, "enrolment")
	}
	e.EnrolledAt = e.EnrolledAt.UTC()
	if completed.Valid {
		t := completed.Time.UTC()
		e.CompletedAt = &t
	}
	if keys.Valid && keys.String != "" {
		e.DoneKeys = strings.Split(keys.String, ",") // keys are slugs and a slash: no commas
	}
	return &e, nil
}

// Enrolments returns all of userID's enrolments, the latest first: one
// query.
func (s *LearningService) Enrolments(ctx context.Context, userID int64) ([]*courses.Enrolment, error) {
	var rows []enrolmentScan
	if err := s.enrolments(ctx).Where("e.user_id = ? AND e.withdrawn_at IS NULL", userID).OrderExpr("e.enrolled_at DESC, e.id DESC").Scan(ctx, &rows); err != nil {
		return nil, wrap(err, "enrolments")
	}
	out := make([]*courses.Enrolment, len(rows))
	for i := range rows {
		out[i] = rows[i].enrolment()
	}
	return out, nil
}

// DoneKeys returns the keys of the activities done in an enrolment.
func (s *LearningService) DoneKeys(ctx context.Context, enrolmentID int64) (map[string]time.Time, error) {
	var rows []progressRow
	if err := s.db.NewSelect().Model(&rows).Where("enrolment_id = ?", enrolmentID).Scan(ctx); err != nil {
		return nil, wrap(err, "progress")
	}
	done := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		done[r.ActivityKey] = r.CompletedAt.UTC()
	}
	return done, nil
}

// CompleteActivity records that an activity is done. It is idempotent: the
// first completion's time stays, whatever arrives later or at once.
func (s *LearningService) CompleteActivity(ctx context.Context, enrolmentID int64, key string) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		return s.recordDone(ctx, tx, enrolmentID, key, now)
	})
}

// recordDone records an activity done (the first time counts) and then
// applies the course's completion rule, all in the caller's transaction.
func (s *LearningService) recordDone(ctx context.Context, tx bun.Tx, enrolmentID int64, key string, now time.Time) error {
	if s.db.Kind == Postgres {
		return s.recordDonePrepared(ctx, tx, enrolmentID, key, now)
	}
	// The enrolment row is locked first (on PostgreSQL; SQLite's writers
	// run one at a time), so that two last activities done at once cannot
	// each miss the other's row and leave the enrolment incomplete.
	var id int64
	if err := forUpdate(tx.NewSelect().Model((*enrolmentRow)(nil)).Column("id").Where("id = ?", enrolmentID), tx).Scan(ctx, &id); err != nil {
		return wrap(err, "lock enrolment")
	}
	if _, err := tx.NewInsert().Model(&progressRow{EnrolmentID: enrolmentID, ActivityKey: key, CompletedAt: now}).
		On("CONFLICT (enrolment_id, activity_key) DO NOTHING").Exec(ctx); err != nil {
		return wrap(err, "complete activity")
	}
	_, err := s.completeByRule(ctx, tx, enrolmentID, now)
	return err
}

// The statements of recordDone on PostgreSQL, with placeholders: Bun
// writes its arguments into the SQL text, so PostgreSQL would plan each of
// them for every completion, which cost more than running them
// (BENCHMARKS.md, lesson completions). completeRuleSQL is completeByRule's update without
// the expiry, which the rare completing call then sets.
const (
	lockEnrolmentSQL  = `SELECT id FROM enrolments WHERE id = $1 FOR UPDATE`
	insertProgressSQL = `INSERT INTO activity_progress (enrolment_id, activity_key, completed_at) VALUES ($1, $2, $3)
ON CONFLICT (enrolment_id, activity_key) DO NOTHING`
	completeRuleSQL = `UPDATE enrolments SET completed_at = $2, completion_kind = 'rule', updated_at = $2
WHERE id = $1 AND completed_at IS NULL
AND EXISTS (SELECT 1 FROM version_modules m JOIN activities a ON a.module_id = m.id WHERE m.version_id = enrolments.version_id)
AND NOT EXISTS (SELECT 1 FROM version_modules m JOIN activities a ON a.module_id = m.id
	WHERE m.version_id = enrolments.version_id AND NOT EXISTS (SELECT 1 FROM activity_progress p
	WHERE p.enrolment_id = enrolments.id AND p.activity_key = m.slug || '/' || a.slug))`
)

// recordDonePrepared is recordDone on PostgreSQL. The statements go to the
// driver with placeholders, and pgx prepares each once per connection
// (its statement cache) and reuses it.
func (s *LearningService) recordDonePrepared(ctx context.Context, tx bun.Tx, enrolmentID int64, key string, now time.Time) error {
	var id int64
	if err := tx.Tx.QueryRowContext(ctx, lockEnrolmentSQL, enrolmentID).Scan(&id); err != nil {
		return wrap(err, "lock enrolment")
	}
	if _, err := tx.Tx.ExecContext(ctx, insertProgressSQL, enrolmentID, key, now); err != nil {
		return wrap(err, "complete activity")
	}
	res, err := tx.Tx.ExecContext(ctx, completeRuleSQL, enrolmentID, now)
	if err != nil {
		return wrap(err, "complete enrolment")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	// Completed now: the certificate's expiry, and what follows.
	var validity int
	if err := tx.NewSelect().TableExpr("enrolments AS e").ColumnExpr("v.validity_months").
		Join("JOIN course_versions v ON v.id = e.version_id").Where("e.id = ?", enrolmentID).Scan(ctx, &validity); err != nil {
		return wrap(err, "validity")
	}
	expires := courses.ExpiryOf(validity, now)
	if _, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("expires_at = ?", expires).Where("id = ?", enrolmentID).Exec(ctx); err != nil {
		return wrap(err, "expiry")
	}
	return s.afterCompletion(ctx, tx, enrolmentID, expires, now)
}

// SetLastActivity remembers where the learner is, to resume there.
func (s *LearningService) SetLastActivity(ctx context.Context, enrolmentID int64, key string) error {
	_, err := s.db.NewUpdate().Model((*enrolmentRow)(nil)).
		Set("last_activity = ?, updated_at = ?", key, s.db.Now().UTC()).
		Where("id = ? AND last_activity <> ?", enrolmentID, key).Exec(ctx)
	return wrap(err, "last activity")
}

// SubmitAttempt grades answers to quiz a (with key) for the enrolment and
// stores the attempt, numbered after those before it. The attempt limit
// holds under concurrent submits: the unique (enrolment, key, number)
// constraint lets only one attempt take each number. A passed quiz counts
// as done.
func (s *LearningService) SubmitAttempt(ctx context.Context, enrolmentID int64, key string, a *courses.Activity, answers []courses.Answer) (*courses.Attempt, error) {
	if a.Kind != courses.KindQuiz || a.Quiz == nil {
		return nil, courses.Errorf(courses.EINVALID, "activity %d is not a quiz", a.ID)
	}
	score, passed, err := a.Quiz.Grade(answers)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(answersJSON(answers))
	if err != nil {
		return nil, err
	}
	now := s.db.Now().UTC()
	row := attemptRow{EnrolmentID: enrolmentID, ActivityKey: key, ActivityID: a.ID, Score: score, Passed: passed,
		Answers: string(data), SubmittedAt: now}
	err = s.db.inTx(ctx, func(tx bun.Tx) error {
		// One attempt at a time per enrolment, so that simultaneous submits
		// number their attempts in turn instead of colliding.
		var id int64
		if err := forUpdate(tx.NewSelect().Model((*enrolmentRow)(nil)).Column("id").Where("id = ?", enrolmentID), tx).Scan(ctx, &id); err != nil {
			return wrap(err, "lock enrolment")
		}
		var made int
		if err := tx.NewSelect().Model((*attemptRow)(nil)).ColumnExpr("COALESCE(MAX(number), 0)").
			Where("enrolment_id = ? AND activity_key = ?", enrolmentID, key).Scan(ctx, &made); err != nil {
			return wrap(err, "count attempts")
		}
		if a.Quiz.AttemptsLeft(made) == 0 {
			return courses.Invalid("no attempts left", courses.Problem{Key: courses.ProblemNoAttemptsLeft, Args: map[string]any{"n": a.Quiz.MaxAttempts}})
		}
		row.Number = made + 1
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return wrap(err, "save attempt")
		}
		if passed {
			return s.recordDone(ctx, tx, enrolmentID, key, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &courses.Attempt{ID: row.ID, Number: row.Number, Score: score, Passed: passed, Answers: answers, SubmittedAt: now}, nil
}

// Attempts returns the attempts at the quiz with key, the first first.
func (s *LearningService) Attempts(ctx context.Context, enrolmentID int64, key string) ([]courses.Attempt, error) {
	var rows []attemptRow
	if err := s.db.NewSelect().Model(&rows).Where("enrolment_id = ? AND activity_key = ?", enrolmentID, key).
		Order("number").Scan(ctx); err != nil {
		return nil, wrap(err, "attempts")
	}
	out := make([]courses.Attempt, len(rows))
	for i, r := range rows {
		var stored []answerJSON
		if err := json.Unmarshal([]byte(r.Answers), &stored); err != nil {
			return nil, err
		}
		out[i] = courses.Attempt{ID: r.ID, Number: r.Number, Score: r.Score, Passed: r.Passed, SubmittedAt: r.SubmittedAt.UTC()}
		for _, a := range stored {
			out[i].Answers = append(out[i].Answers, courses.Answer{QuestionID: a.Question, OptionIDs: a.Options})
		}
	}
	return out, nil
}

// ActivityOwner returns the course and version of an activity, for routes
// that name an activity by id only.
func (s *LearningService) ActivityOwner(ctx context.Context, activityID int64) (courseID, versionID int64, err error) {
	var r struct {
		CourseID  int64 `bun:"course_id"`
		VersionID int64 `bun:"version_id"`
	}
	err = s.db.NewSelect().TableExpr("activities AS a").ColumnExpr("v.course_id, v.id AS version_id").
		Join("JOIN version_modules m ON m.id = a.module_id").
		Join("JOIN course_versions v ON v.id = m.version_id").
		Where("a.id = ?", activityID).Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, courses.Errorf(courses.ENOTFOUND, "no activity %d", activityID)
	}
	return r.CourseID, r.VersionID, wrap(err, "activity")
}

type answerJSON struct {
	Question int64   `json:"question"`
	Options  []int64 `json:"options"`
}

func answersJSON(answers []courses.Answer) []answerJSON {
	out := make([]answerJSON, len(answers))
	for i, a := range answers {
		out[i] = answerJSON{Question: a.QuestionID, Options: a.OptionIDs}
		if out[i].Options == nil {
			out[i].Options = []int64{}
		}
	}
	return out
}
