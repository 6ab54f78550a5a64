package db

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type pathRow struct {
	bun.BaseModel `bun:"table:learning_paths"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Slug        string    `bun:"slug"`
	Title       string    `bun:"title"`
	Summary     string    `bun:"summary"`
	Description string    `bun:"description"`
	Audience    string    `bun:"audience"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

type pathCourseRow struct {
	bun.BaseModel `bun:"table:learning_path_courses"`

	PathID   int64 `bun:"path_id,pk"`
	Position int   `bun:"position"`
	CourseID int64 `bun:"course_id,pk"`
}

type pathEnrolmentRow struct {
	bun.BaseModel `bun:"table:path_enrolments"`

	PathID      int64      `bun:"path_id,pk"`
	UserID      int64      `bun:"user_id,pk"`
	EnrolledAt  time.Time  `bun:"enrolled_at"`
	CompletedAt *time.Time `bun:"completed_at"`
}

// PathService stores the learning paths and who follows them.
type PathService struct {
	db       *DB
	learning *LearningService
}

var _ courses.PathService = (*PathService)(nil)

// NewPathService returns the learning paths stored in db. Courses are
// enrolled in as LearningService.EnrolAs does, without follow-up jobs: a
// learner who starts a path themselves needs no confirmation per course.
func NewPathService(db *DB) *PathService {
	return &PathService{db: db, learning: NewLearningService(db)}
}

// SavePaths stores the paths, each replacing the stored path with its
// slug (its learners keep their place in it), all in one transaction.
// Every course slug must name a stored course; those that do not are
// reported together, each with the file and line of its path.
func (s *PathService) SavePaths(ctx context.Context, list []*courses.LearningPath) error {
	var problems []courses.Problem
	seen := map[string]bool{}
	var slugs []string
	for _, p := range list {
		problems = append(problems, p.Validate()...)
		if seen[p.Slug] {
			problems = append(problems, courses.Problem{File: p.File, Field: "slug", Key: courses.ProblemDuplicateValue, Args: map[string]any{"value": p.Slug}})
		}
		seen[p.Slug] = true
		slugs = append(slugs, p.CourseSlugs()...)
	}
	if len(problems) > 0 {
		return courses.Invalid("learning paths have problems", problems...)
	}
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		ids, err := courseIDs(ctx, tx, slugs)
		if err != nil {
			return err
		}
		for _, p := range list {
			for _, c := range p.Courses {
				if _, ok := ids[c.Slug]; !ok {
					problems = append(problems, courses.Problem{File: p.File, Line: p.CoursesLine, Field: "courses",
						Key: courses.ProblemUnknownCourse, Args: map[string]any{"value": c.Slug}})
				}
			}
		}
		if len(problems) > 0 {
			return courses.Invalid("learning paths name unknown courses", problems...)
		}
		for _, p := range list {
			if err := savePath(ctx, tx, p, ids, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// courseIDs returns the ids of the courses with the given slugs that exist.
func courseIDs(ctx context.Context, idb bun.IDB, slugs []string) (map[string]int64, error) {
	ids := map[string]int64{}
	if len(slugs) == 0 {
		return ids, nil
	}
	var rows []struct {
		ID   int64  `bun:"id"`
		Slug string `bun:"slug"`
	}
	if err := idb.NewSelect().Model((*courseRow)(nil)).Column("id", "slug").
		Where("slug IN (?)", bun.List(slugs)).Scan(ctx, &rows); err != nil {
		return nil, wrap(err, "find path courses")
	}
	for _, r := range rows {
		ids[r.Slug] = r.ID
	}
	return ids, nil
}

// savePath upserts one path by its slug and replaces its list of courses.
func savePath(ctx context.Context, tx bun.Tx, p *courses.LearningPath, ids map[string]int64, now time.Time) error {
	audience := slices.Clone(p.Audience)
	slices.SortStableFunc(audience, func(a, b courses.Office) int {
		return slices.Index(courses.Offices, a) - slices.Index(courses.Offices, b)
	})
	row := pathRow{Slug: p.Slug, Title: p.Title, Summary: p.Summary, Description: p.Description,
		Audience: strings.Join(stringsOf(audience), ","), CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&row).
		On("CONFLICT (slug) DO UPDATE").
		Set("title = EXCLUDED.title, summary = EXCLUDED.summary, description = EXCLUDED.description").
		Set("audience = EXCLUDED.audience, updated_at = EXCLUDED.updated_at").
		Returning("id").Exec(ctx); err != nil {
		return wrap(err, "save path "+p.Slug)
	}
	if _, err := tx.NewDelete().Model((*pathCourseRow)(nil)).Where("path_id = ?", row.ID).Exec(ctx); err != nil {
		return wrap(err, "replace path courses")
	}
	rows := make([]pathCourseRow, len(p.Courses))
	for i, c := range p.Courses {
		rows[i] = pathCourseRow{PathID: row.ID, Position: i + 1, CourseID: ids[c.Slug]}
		p.Courses[i].Position, p.Courses[i].CourseID = i+1, ids[c.Slug]
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return wrap(err, "save path courses")
	}
	p.ID = row.ID
	return nil
}

// Paths returns every learning path, in the order they were first stored
// (the shipped files' order), each with its courses and userID's state in
// the path and in each course: three queries.
func (s *PathService) Paths(ctx context.Context, userID int64) ([]*courses.LearningPath, error) {
	return s.load(ctx, "", userID)
}

// PathBySlug returns one learning path as Paths does, or ENOTFOUND.
func (s *PathService) PathBySlug(ctx context.Context, slug string, userID int64) (*courses.LearningPath, error) {
	list, err := s.load(ctx, slug, userID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, courses.Errorf(courses.ENOTFOUND, "no learning path %q", slug)
	}
	return list[0], nil
}

// load reads the paths (all, or the one with slug) for userID.
func (s *PathService) load(ctx context.Context, slug string, userID int64) ([]*courses.LearningPath, error) {
	var rows []pathRow
	q := s.db.NewSelect().Model(&rows).OrderExpr("id")
	if slug != "" {
		q = q.Where("slug = ?", slug)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "learning paths")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	list := make([]*courses.LearningPath, len(rows))
	byID := make(map[int64]*courses.LearningPath, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		list[i] = &courses.LearningPath{ID: r.ID, Slug: r.Slug, Title: r.Title, Summary: r.Summary, Description: r.Description}
		for _, o := range splitList(r.Audience) {
			list[i].Audience = append(list[i].Audience, courses.Office(o))
		}
		byID[r.ID], ids[i] = list[i], r.ID
	}
	// A user's withdrawn enrolment does not count as enrolled, but a
	// completion stays a completion (as completePaths counts it).
	var courseRows []struct {
		PathID      int64      `bun:"path_id"`
		Position    int        `bun:"position"`
		CourseID    int64      `bun:"course_id"`
		Slug        string     `bun:"slug"`
		Title       string     `bun:"title"`
		Summary     string     `bun:"summary"`
		StudyHours  float64    `bun:"study_hours"`
		Published   bool       `bun:"published"`
		EnrolmentID *int64     `bun:"enrolment_id"`
		WithdrawnAt *time.Time `bun:"withdrawn_at"`
		CompletedAt *time.Time `bun:"completed_at"`
	}
	if err := s.db.NewSelect().TableExpr("learning_path_courses AS pc").
		ColumnExpr("pc.path_id, pc.position, c.id AS course_id, c.slug, c.title, c.summary, c.study_hours, c.published").
		ColumnExpr("e.id AS enrolment_id, e.withdrawn_at, e.completed_at").
		Join("JOIN courses c ON c.id = pc.course_id").
		Join("LEFT JOIN enrolments e ON e.course_id = pc.course_id AND e.user_id = ?", userID).
		Where("pc.path_id IN (?)", bun.List(ids)).
		OrderExpr("pc.path_id, pc.position").Scan(ctx, &courseRows); err != nil {
		return nil, wrap(err, "learning path courses")
	}
	for _, r := range courseRows {
		p := byID[r.PathID]
		p.Courses = append(p.Courses, courses.PathCourse{Position: r.Position, CourseID: r.CourseID, Slug: r.Slug,
			Title: r.Title, Summary: r.Summary, StudyHours: r.StudyHours, Published: r.Published,
			Enrolled: r.EnrolmentID != nil && r.WithdrawnAt == nil, CompletedAt: utcPtr(r.CompletedAt)})
	}
	if userID == 0 {
		return list, nil
	}
	var enrolments []pathEnrolmentRow
	if err := s.db.NewSelect().Model(&enrolments).Where("user_id = ? AND path_id IN (?)", userID, bun.List(ids)).
		Scan(ctx); err != nil {
		return nil, wrap(err, "path enrolments")
	}
	for _, e := range enrolments {
		p := byID[e.PathID]
		enrolled := e.EnrolledAt.UTC()
		p.EnrolledAt, p.CompletedAt = &enrolled, utcPtr(e.CompletedAt)
	}
	return list, nil
}

// EnrolInPath starts a learning path for userID and, in the same
// transaction, enrols them in each of its published courses as EnrolAs
// does with source "path" (a learner who left a course comes back to it
// with their progress). Starting again changes nothing but bringing back
// such courses; created tells whether this call started the path. When
// every course of the path is completed already, the path is completed at
// once.
func (s *PathService) EnrolInPath(ctx context.Context, userID, pathID int64) (created bool, err error) {
	now := s.db.Now().UTC()
	err = s.db.inTx(ctx, func(tx bun.Tx) error {
		var published []int64
		n, err := tx.NewSelect().Model((*pathRow)(nil)).Where("id = ?", pathID).Count(ctx)
		if err != nil {
			return wrap(err, "learning path")
		}
		if n == 0 {
			return courses.Errorf(courses.ENOTFOUND, "no learning path %d", pathID)
		}
		if err := tx.NewSelect().TableExpr("learning_path_courses AS pc").ColumnExpr("pc.course_id").
			Join("JOIN courses c ON c.id = pc.course_id").
			Where("pc.path_id = ? AND c.published", pathID).OrderExpr("pc.position").Scan(ctx, &published); err != nil {
			return wrap(err, "learning path courses")
		}
		res, err := tx.NewInsert().Model(&pathEnrolmentRow{PathID: pathID, UserID: userID, EnrolledAt: now}).
			On("CONFLICT (path_id, user_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return wrap(err, "start learning path")
		}
		if k, _ := res.RowsAffected(); k == 1 {
			created = true
		}
		for _, courseID := range published {
			if _, err := s.learning.enrol(ctx, tx, courses.EnrolRequest{UserID: userID, CourseID: courseID, Source: courses.SourcePath}, now); err != nil {
				return err
			}
		}
		return completePath(ctx, tx, pathID, userID, now)
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// completePath records the path complete for userID, once, when every one
// of its courses is: the rule of completePaths, for a learner who
// completed the courses before starting the path.
func completePath(ctx context.Context, tx bun.Tx, pathID, userID int64, now time.Time) error {
	_, err := tx.NewUpdate().TableExpr("path_enrolments AS pe").Set("completed_at = ?", now).
		Where("pe.path_id = ? AND pe.user_id = ? AND pe.completed_at IS NULL", pathID, userID).
		Where(`NOT EXISTS (SELECT 1 FROM learning_path_courses pc WHERE pc.path_id = pe.path_id AND NOT EXISTS (
			SELECT 1 FROM enrolments e WHERE e.course_id = pc.course_id AND e.user_id = pe.user_id AND e.completed_at IS NOT NULL))`).
		Exec(ctx)
	return wrap(err, "complete path")
}
