package db

import (
	"context"
	"slices"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

// courseRow is the courses table.
type courseRow struct {
	bun.BaseModel `bun:"table:courses"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Slug        string    `bun:"slug"`
	Title       string    `bun:"title"`
	Summary     string    `bun:"summary"`
	Description string    `bun:"description"`
	StudyHours  float64   `bun:"study_hours"`
	Level       string    `bun:"level"`
	Language    string    `bun:"language"`
	Version     int       `bun:"version"`
	Published   bool      `bun:"published"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

type moduleRow struct {
	bun.BaseModel `bun:"table:modules"`

	ID       int64  `bun:"id,pk,autoincrement"`
	CourseID int64  `bun:"course_id"`
	Position int    `bun:"position"`
	Slug     string `bun:"slug"`
	Title    string `bun:"title"`
	Summary  string `bun:"summary"`
	Intro    string `bun:"intro"`
}

type lessonRow struct {
	bun.BaseModel `bun:"table:lessons"`

	ID       int64  `bun:"id,pk,autoincrement"`
	ModuleID int64  `bun:"module_id"`
	Position int    `bun:"position"`
	Slug     string `bun:"slug"`
	Title    string `bun:"title"`
	Minutes  int    `bun:"minutes"`
	Body     string `bun:"body"`
}

type audienceRow struct {
	bun.BaseModel `bun:"table:course_audience"`

	CourseID int64  `bun:"course_id,pk"`
	Office   string `bun:"office,pk"`
}

type topicRow struct {
	bun.BaseModel `bun:"table:course_topics"`

	CourseID int64  `bun:"course_id,pk"`
	Topic    string `bun:"topic,pk"`
}

// CourseService implements courses.CourseService.
type CourseService struct{ db *DB }

var _ courses.CourseService = (*CourseService)(nil)

// NewCourseService returns the course catalogue stored in db.
func NewCourseService(db *DB) *CourseService { return &CourseService{db: db} }

// ListCourses returns the published courses matching f, sorted by title the
// Dutch way, each with its audience and topics (three queries in all).
func (s *CourseService) ListCourses(ctx context.Context, f courses.CourseFilter) ([]*courses.Course, error) {
	var rows []courseRow
	q := s.db.NewSelect().Model(&rows).ExcludeColumn("description").Where("published")
	if f.Office != "" {
		q = q.Where("EXISTS (SELECT 1 FROM course_audience a WHERE a.course_id = course_row.id AND a.office = ?)", string(f.Office))
	}
	if f.Topic != "" {
		q = q.Where("EXISTS (SELECT 1 FROM course_topics t WHERE t.course_id = course_row.id AND t.topic = ?)", string(f.Topic))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "list courses")
	}
	list := make([]*courses.Course, len(rows))
	byID := make(map[int64]*courses.Course, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		list[i] = r.course()
		byID[r.ID] = list[i]
		ids[i] = r.ID
	}
	if err := s.loadVocabularies(ctx, s.db.DB, ids, byID); err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b *courses.Course) int { return courses.CompareDutch(a.Title, b.Title) })
	return list, nil
}

// loadVocabularies fills in the audience and topics of the given courses,
// in the vocabularies' display order.
func (s *CourseService) loadVocabularies(ctx context.Context, idb bun.IDB, ids []int64, byID map[int64]*courses.Course) error {
	if len(ids) == 0 {
		return nil
	}
	var audience []audienceRow
	if err := idb.NewSelect().Model(&audience).
		Join("JOIN offices o ON o.code = audience_row.office").
		Where("audience_row.course_id IN (?)", bun.List(ids)).
		OrderExpr("audience_row.course_id, o.position").Scan(ctx); err != nil {
		return wrap(err, "load audience")
	}
	for _, a := range audience {
		c := byID[a.CourseID]
		c.Audience = append(c.Audience, courses.Office(a.Office))
	}
	var topics []topicRow
	if err := idb.NewSelect().Model(&topics).
		Join("JOIN topics t ON t.code = topic_row.topic").
		Where("topic_row.course_id IN (?)", bun.List(ids)).
		OrderExpr("topic_row.course_id, t.position").Scan(ctx); err != nil {
		return wrap(err, "load topics")
	}
	for _, t := range topics {
		c := byID[t.CourseID]
		c.Topics = append(c.Topics, courses.Topic(t.Topic))
	}
	return nil
}

// CourseBySlug returns a published course with its modules and lessons in
// order (five queries, whatever the course's size).
func (s *CourseService) CourseBySlug(ctx context.Context, slug string) (*courses.Course, error) {
	var row courseRow
	if err := s.db.NewSelect().Model(&row).Where("slug = ?", slug).Where("published").Scan(ctx); err != nil {
		return nil, wrap(err, "course by slug")
	}
	c := row.course()
	if err := s.loadVocabularies(ctx, s.db.DB, []int64{row.ID}, map[int64]*courses.Course{row.ID: c}); err != nil {
		return nil, err
	}
	var modules []moduleRow
	if err := s.db.NewSelect().Model(&modules).Where("course_id = ?", row.ID).Order("position").Scan(ctx); err != nil {
		return nil, wrap(err, "load modules")
	}
	var lessons []lessonRow
	if err := s.db.NewSelect().Model(&lessons).
		Join("JOIN modules m ON m.id = lesson_row.module_id").
		Where("m.course_id = ?", row.ID).
		OrderExpr("m.position, lesson_row.position").Scan(ctx); err != nil {
		return nil, wrap(err, "load lessons")
	}
	index := make(map[int64]int, len(modules))
	for i, m := range modules {
		index[m.ID] = i
		c.Modules = append(c.Modules, courses.Module{ID: m.ID, Position: m.Position, Slug: m.Slug, Title: m.Title, Summary: m.Summary, Intro: m.Intro})
	}
	for _, l := range lessons {
		m := &c.Modules[index[l.ModuleID]]
		m.Lessons = append(m.Lessons, courses.Lesson{ID: l.ID, Position: l.Position, Slug: l.Slug, Title: l.Title, Minutes: l.Minutes, Body: l.Body})
	}
	return c, nil
}

// CountCourses returns the number of courses, published or not.
func (s *CourseService) CountCourses(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*courseRow)(nil)).Count(ctx)
	return int(n), wrap(err, "count courses")
}

// SaveCourse inserts c, or replaces the content of the course with c's slug,
// in one transaction. Modules and lessons are matched on their slugs, so the
// ids of lessons that stay keep pointing at the same lesson; modules and
// lessons that are gone are deleted. c's ids are set on return.
func (s *CourseService) SaveCourse(ctx context.Context, c *courses.Course) error {
	return s.SaveCourses(ctx, []*courses.Course{c})
}

// SaveCourses saves every course as SaveCourse does, all in one transaction:
// a catalogue is imported whole or not at all.
func (s *CourseService) SaveCourses(ctx context.Context, list []*courses.Course) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		for _, c := range list {
			if err := saveCourse(ctx, tx, c, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func saveCourse(ctx context.Context, tx bun.Tx, c *courses.Course, now time.Time) error {
	row := courseRow{
		Slug: c.Slug, Title: c.Title, Summary: c.Summary, Description: c.Description,
		StudyHours: c.StudyHours, Level: string(c.Level), Language: c.Language, Version: c.Version,
		Published: true, CreatedAt: now, UpdatedAt: now,
	}
	if _, err := tx.NewInsert().Model(&row).
		On("CONFLICT (slug) DO UPDATE").
		Set("title = EXCLUDED.title, summary = EXCLUDED.summary, description = EXCLUDED.description").
		Set("study_hours = EXCLUDED.study_hours, level = EXCLUDED.level, language = EXCLUDED.language").
		Set("version = EXCLUDED.version, published = EXCLUDED.published, updated_at = EXCLUDED.updated_at").
		Returning("id").Exec(ctx); err != nil {
		return wrap(err, "save course "+c.Slug)
	}
	c.ID, c.UpdatedAt = row.ID, now
	if err := replaceVocabularies(ctx, tx, c); err != nil {
		return err
	}
	return saveModules(ctx, tx, c)
}

func replaceVocabularies(ctx context.Context, tx bun.Tx, c *courses.Course) error {
	for _, table := range []string{"course_audience", "course_topics"} {
		if _, err := tx.NewDelete().TableExpr(table).Where("course_id = ?", c.ID).Exec(ctx); err != nil {
			return wrap(err, "clear "+table)
		}
	}
	audience := make([]audienceRow, len(c.Audience))
	for i, o := range c.Audience {
		audience[i] = audienceRow{CourseID: c.ID, Office: string(o)}
	}
	topics := make([]topicRow, len(c.Topics))
	for i, t := range c.Topics {
		topics[i] = topicRow{CourseID: c.ID, Topic: string(t)}
	}
	if len(audience) > 0 {
		if _, err := tx.NewInsert().Model(&audience).Exec(ctx); err != nil {
			return wrap(err, "save audience")
		}
	}
	if len(topics) > 0 {
		if _, err := tx.NewInsert().Model(&topics).Exec(ctx); err != nil {
			return wrap(err, "save topics")
		}
	}
	return nil
}

func saveModules(ctx context.Context, tx bun.Tx, c *courses.Course) error {
	keep := make([]int64, 0, len(c.Modules))
	for i := range c.Modules {
		m := &c.Modules[i]
		row := moduleRow{CourseID: c.ID, Position: m.Position, Slug: m.Slug, Title: m.Title, Summary: m.Summary, Intro: m.Intro}
		if _, err := tx.NewInsert().Model(&row).
			On("CONFLICT (course_id, slug) DO UPDATE").
			Set("position = EXCLUDED.position, title = EXCLUDED.title, summary = EXCLUDED.summary, intro = EXCLUDED.intro").
			Returning("id").Exec(ctx); err != nil {
			return wrap(err, "save module")
		}
		m.ID = row.ID
		keep = append(keep, row.ID)
		if err := saveLessons(ctx, tx, m); err != nil {
			return err
		}
	}
	q := tx.NewDelete().Model((*moduleRow)(nil)).Where("course_id = ?", c.ID)
	if len(keep) > 0 {
		q = q.Where("id NOT IN (?)", bun.List(keep))
	}
	_, err := q.Exec(ctx)
	return wrap(err, "delete old modules")
}

func saveLessons(ctx context.Context, tx bun.Tx, m *courses.Module) error {
	keep := make([]int64, 0, len(m.Lessons))
	for i := range m.Lessons {
		l := &m.Lessons[i]
		row := lessonRow{ModuleID: m.ID, Position: l.Position, Slug: l.Slug, Title: l.Title, Minutes: l.Minutes, Body: l.Body}
		if _, err := tx.NewInsert().Model(&row).
			On("CONFLICT (module_id, slug) DO UPDATE").
			Set("position = EXCLUDED.position, title = EXCLUDED.title, minutes = EXCLUDED.minutes, body = EXCLUDED.body").
			Returning("id").Exec(ctx); err != nil {
			return wrap(err, "save lesson")
		}
		l.ID = row.ID
		keep = append(keep, row.ID)
	}
	q := tx.NewDelete().Model((*lessonRow)(nil)).Where("module_id = ?", m.ID)
	if len(keep) > 0 {
		q = q.Where("id NOT IN (?)", bun.List(keep))
	}
	_, err := q.Exec(ctx)
	return wrap(err, "delete old lessons")
}

func (r *courseRow) course() *courses.Course {
	return &courses.Course{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Summary: r.Summary, Description: r.Description,
		StudyHours: r.StudyHours, Level: courses.Level(r.Level), Language: r.Language,
		Version: r.Version, UpdatedAt: r.UpdatedAt,
	}
}
