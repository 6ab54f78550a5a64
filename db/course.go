package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// courseRow is the courses table: a course's identity plus a copy of its
// published version's metadata, which the catalogue lists and filters.
type courseRow struct {
	bun.BaseModel `bun:"table:courses"`

	ID                 int64     `bun:"id,pk,autoincrement"`
	Slug               string    `bun:"slug"`
	Title              string    `bun:"title"`
	Summary            string    `bun:"summary"`
	Description        string    `bun:"description"`
	StudyHours         float64   `bun:"study_hours"`
	Level              string    `bun:"level"`
	Language           string    `bun:"language"`
	Version            int       `bun:"version"`
	ValidityMonths     int       `bun:"validity_months"`
	Published          bool      `bun:"published"`
	PublishedVersionID *int64    `bun:"published_version_id"`
	SearchText         string    `bun:"search_text"`
	CreatedAt          time.Time `bun:"created_at"`
	UpdatedAt          time.Time `bun:"updated_at"`
}

// versionRow is one version of a course, with its own metadata.
type versionRow struct {
	bun.BaseModel `bun:"table:course_versions"`

	ID             int64      `bun:"id,pk,autoincrement"`
	CourseID       int64      `bun:"course_id"`
	Number         int        `bun:"number"`
	State          string     `bun:"state"`
	Title          string     `bun:"title"`
	Summary        string     `bun:"summary"`
	Description    string     `bun:"description"`
	Audience       string     `bun:"audience"`
	Topics         string     `bun:"topics"`
	StudyHours     float64    `bun:"study_hours"`
	Level          string     `bun:"level"`
	Language       string     `bun:"language"`
	ValidityMonths int        `bun:"validity_months"`
	Prerequisites  string     `bun:"prerequisites"`
	CreatedBy      *int64     `bun:"created_by"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
	PublishedAt    *time.Time `bun:"published_at"`

	Slug string `bun:"slug,scanonly"` // joined from courses
}

type moduleRow struct {
	bun.BaseModel `bun:"table:version_modules"`

	ID        int64  `bun:"id,pk,autoincrement"`
	VersionID int64  `bun:"version_id"`
	Position  int    `bun:"position"`
	Slug      string `bun:"slug"`
	Title     string `bun:"title"`
	Summary   string `bun:"summary"`
	Intro     string `bun:"intro"`
}

type activityRow struct {
	bun.BaseModel `bun:"table:activities"`

	ID          int64      `bun:"id,pk,autoincrement"`
	ModuleID    int64      `bun:"module_id"`
	Position    int        `bun:"position"`
	Slug        string     `bun:"slug"`
	Kind        string     `bun:"kind"`
	Title       string     `bun:"title"`
	Minutes     int        `bun:"minutes"`
	Body        string     `bun:"body"`
	PassMark    int        `bun:"pass_mark"`
	MaxAttempts int        `bun:"max_attempts"`
	Shuffle     bool       `bun:"shuffle"`
	StartsAt    *time.Time `bun:"starts_at"`
	EndsAt      *time.Time `bun:"ends_at"`
	Location    string     `bun:"location"`
	OnlineURL   string     `bun:"online_url"`
	Capacity    int        `bun:"capacity"`
}

type questionRow struct {
	bun.BaseModel `bun:"table:quiz_questions"`

	ID         int64  `bun:"id,pk,autoincrement"`
	ActivityID int64  `bun:"activity_id"`
	Position   int    `bun:"position"`
	Kind       string `bun:"kind"`
	Text       string `bun:"text"`
	Feedback   string `bun:"feedback"`
}

type optionRow struct {
	bun.BaseModel `bun:"table:quiz_options"`

	ID         int64  `bun:"id,pk,autoincrement"`
	QuestionID int64  `bun:"question_id"`
	Position   int    `bun:"position"`
	Text       string `bun:"text"`
	Correct    bool   `bun:"correct"`
}

type blobRow struct {
	bun.BaseModel `bun:"table:blobs"`

	SHA256    string    `bun:"sha256,pk"`
	Data      []byte    `bun:"data"`
	Size      int64     `bun:"size"`
	CreatedAt time.Time `bun:"created_at"`
}

type fileRow struct {
	bun.BaseModel `bun:"table:version_files"`

	VersionID   int64  `bun:"version_id,pk"`
	Path        string `bun:"path,pk"`
	SHA256      string `bun:"sha256"`
	ContentType string `bun:"content_type"`
	Size        int64  `bun:"size"`
}

type ownerRow struct {
	bun.BaseModel `bun:"table:course_owners"`

	CourseID  int64     `bun:"course_id,pk"`
	UserID    int64     `bun:"user_id,pk"`
	CreatedAt time.Time `bun:"created_at"`
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
	q := s.db.NewSelect().Model(&rows).ExcludeColumn("description", "search_text").Where("published")
	if f.Office != "" {
		q = q.Where("EXISTS (SELECT 1 FROM course_audience a WHERE a.course_id = course_row.id AND a.office = ?)", string(f.Office))
	}
	if f.Topic != "" {
		q = q.Where("EXISTS (SELECT 1 FROM course_topics t WHERE t.course_id = course_row.id AND t.topic = ?)", string(f.Topic))
	}
	for _, word := range strings.Fields(courses.SearchText(f.Query)) {
		q = q.Where("search_text LIKE ? ESCAPE '\\'", "%"+escapeLike(word)+"%")
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

// CourseBySlug returns the published version of a course with everything
// in it (seven queries, whatever the course's size), or ENOTFOUND.
func (s *CourseService) CourseBySlug(ctx context.Context, slug string) (*courses.Course, error) {
	var v versionRow
	err := s.db.NewSelect().Model(&v).ColumnExpr("version_row.*, c.slug").
		Join("JOIN courses c ON c.id = version_row.course_id").
		Where("c.slug = ?", slug).Where("version_row.state = ?", courses.StatePublished).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "course by slug")
	}
	return loadVersion(ctx, s.db.DB, &v)
}

// CourseVersion returns any version of any course by its id, with
// everything in it, or ENOTFOUND.
func (s *CourseService) CourseVersion(ctx context.Context, versionID int64) (*courses.Course, error) {
	return courseVersion(ctx, s.db.DB, versionID)
}

func courseVersion(ctx context.Context, idb bun.IDB, versionID int64) (*courses.Course, error) {
	var v versionRow
	err := idb.NewSelect().Model(&v).ColumnExpr("version_row.*, c.slug").
		Join("JOIN courses c ON c.id = version_row.course_id").
		Where("version_row.id = ?", versionID).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "course version")
	}
	return loadVersion(ctx, idb, &v)
}

// loadVersion loads a version's modules, activities, questions, options and
// files: five queries.
func loadVersion(ctx context.Context, idb bun.IDB, v *versionRow) (*courses.Course, error) {
	c := v.course()
	var modules []moduleRow
	if err := idb.NewSelect().Model(&modules).Where("version_id = ?", v.ID).Order("position").Scan(ctx); err != nil {
		return nil, wrap(err, "load modules")
	}
	var acts []activityRow
	if err := idb.NewSelect().Model(&acts).
		Join("JOIN version_modules m ON m.id = activity_row.module_id").
		Where("m.version_id = ?", v.ID).
		OrderExpr("m.position, activity_row.position").Scan(ctx); err != nil {
		return nil, wrap(err, "load activities")
	}
	var questions []questionRow
	if err := idb.NewSelect().Model(&questions).
		Join("JOIN activities a ON a.id = question_row.activity_id").
		Join("JOIN version_modules m ON m.id = a.module_id").
		Where("m.version_id = ?", v.ID).
		OrderExpr("question_row.activity_id, question_row.position").Scan(ctx); err != nil {
		return nil, wrap(err, "load questions")
	}
	var options []optionRow
	if len(questions) > 0 {
		if err := idb.NewSelect().Model(&options).
			Join("JOIN quiz_questions q ON q.id = option_row.question_id").
			Join("JOIN activities a ON a.id = q.activity_id").
			Join("JOIN version_modules m ON m.id = a.module_id").
			Where("m.version_id = ?", v.ID).
			OrderExpr("option_row.question_id, option_row.position").Scan(ctx); err != nil {
			return nil, wrap(err, "load options")
		}
	}
	var files []fileRow
	if err := idb.NewSelect().Model(&files).Where("version_id = ?", v.ID).Order("path").Scan(ctx); err != nil {
		return nil, wrap(err, "load files")
	}

	moduleIndex := make(map[int64]int, len(modules))
	for i, m := range modules {
		moduleIndex[m.ID] = i
		c.Modules = append(c.Modules, courses.Module{ID: m.ID, Position: m.Position, Slug: m.Slug, Title: m.Title, Summary: m.Summary, Intro: m.Intro})
	}
	quizzes := map[int64]*courses.Quiz{}
	for _, a := range acts {
		m := &c.Modules[moduleIndex[a.ModuleID]]
		act := a.activity()
		if act.Quiz != nil {
			quizzes[a.ID] = act.Quiz
		}
		m.Activities = append(m.Activities, act)
	}
	questionOf := map[int64]*courses.Question{}
	for _, q := range questions {
		quiz := quizzes[q.ActivityID]
		if quiz == nil {
			continue // a question left on an activity that is no longer a quiz
		}
		quiz.Questions = append(quiz.Questions, courses.Question{ID: q.ID, Position: q.Position, Kind: courses.QuestionKind(q.Kind), Text: q.Text, Feedback: q.Feedback})
	}
	for _, quiz := range quizzes {
		for i := range quiz.Questions {
			questionOf[quiz.Questions[i].ID] = &quiz.Questions[i]
		}
	}
	for _, o := range options {
		if q := questionOf[o.QuestionID]; q != nil {
			q.Options = append(q.Options, courses.Option{ID: o.ID, Position: o.Position, Text: o.Text, Correct: o.Correct})
		}
	}
	for _, f := range files {
		c.Files = append(c.Files, courses.File{Path: f.Path, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256})
	}
	return c, nil
}

// CountCourses returns the number of courses, published or not.
func (s *CourseService) CountCourses(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*courseRow)(nil)).Count(ctx)
	return int(n), wrap(err, "count courses")
}

// SaveCourse saves c as SaveCourses does.
func (s *CourseService) SaveCourse(ctx context.Context, c *courses.Course, opt courses.ImportOptions) error {
	return s.SaveCourses(ctx, []*courses.Course{c}, opt)
}

// SaveCourses saves each course as a new draft version (the first version
// of a new course), published at once with opt.Publish, all in one
// transaction: a catalogue is imported whole or not at all. A course that
// has a draft already is refused unless opt.ReplaceDraft, so that work in
// the editor is never overwritten silently. c's ids are set on return.
func (s *CourseService) SaveCourses(ctx context.Context, list []*courses.Course, opt courses.ImportOptions) error {
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		if err := checkPrerequisites(ctx, tx, list); err != nil {
			return err
		}
		for _, c := range list {
			if err := importCourse(ctx, tx, c, opt, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkPrerequisites refuses prerequisites that name no course, stored or
// in list.
func checkPrerequisites(ctx context.Context, tx bun.IDB, list []*courses.Course) error {
	var problems []courses.Problem
	inList := map[string]bool{}
	for _, c := range list {
		inList[c.Slug] = true
	}
	for _, c := range list {
		for _, slug := range c.Prerequisites {
			if inList[slug] {
				continue
			}
			n, err := tx.NewSelect().Model((*courseRow)(nil)).Where("slug = ?", slug).Count(ctx)
			if err != nil {
				return wrap(err, "check prerequisites")
			}
			if n == 0 {
				problems = append(problems, courses.Problem{File: c.Slug + "/course.md", Field: "prerequisites",
					Key: courses.ProblemUnknownCourse, Args: map[string]any{"value": slug}})
			}
		}
	}
	if len(problems) > 0 {
		return courses.Invalid("unknown prerequisites", problems...)
	}
	return nil
}

func importCourse(ctx context.Context, tx bun.Tx, c *courses.Course, opt courses.ImportOptions, now time.Time) error {
	if p := courses.PublishProblems(c); len(p) > 0 {
		return courses.Invalid("course "+c.Slug+" has problems", p...)
	}
	existing, err := tx.NewSelect().Model((*courseRow)(nil)).Where("slug = ?", c.Slug).Count(ctx)
	if err != nil {
		return wrap(err, "find course "+c.Slug)
	}
	row := courseRow{Slug: c.Slug, Title: c.Title, Summary: c.Summary, Description: c.Description,
		StudyHours: c.StudyHours, Level: string(c.Level), Language: c.Language, Version: 1,
		ValidityMonths: c.ValidityMonths, CreatedAt: now, UpdatedAt: now}
	// A new course gets its row; an existing one keeps its published metadata.
	if _, err := tx.NewInsert().Model(&row).On("CONFLICT (slug) DO UPDATE").Set("slug = EXCLUDED.slug").
		Returning("id").Exec(ctx); err != nil {
		return wrap(err, "save course "+c.Slug)
	}
	c.ID = row.ID
	var draft versionRow
	err = tx.NewSelect().Model(&draft).Where("course_id = ? AND state = ?", c.ID, courses.StateDraft).Scan(ctx)
	switch {
	case err == nil && !opt.ReplaceDraft:
		return &courses.Error{Code: courses.ECONFLICT, Message: "course " + c.Slug + " has a draft already",
			Problems: []courses.Problem{{File: c.Slug, Key: courses.ProblemDraftExists, Args: map[string]any{"version": draft.Number}}}}
	case err == nil:
		if _, err := tx.NewDelete().Model((*versionRow)(nil)).Where("id = ?", draft.ID).Exec(ctx); err != nil {
			return wrap(err, "replace draft")
		}
	case !errors.Is(err, sql.ErrNoRows):
		return wrap(err, "find draft")
	}
	if opt.Owner != 0 {
		if _, err := tx.NewInsert().Model(&ownerRow{CourseID: c.ID, UserID: opt.Owner, CreatedAt: now}).
			On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return wrap(err, "add owner")
		}
	}
	if err := insertVersion(ctx, tx, c, courses.StateDraft, opt.Owner, now); err != nil {
		return err
	}
	if opt.Publish || (existing == 0 && !opt.Draft) {
		if err := publish(ctx, tx, c.ID, now); err != nil {
			return err
		}
		c.State = courses.StatePublished
	}
	return nil
}

// insertVersion stores c as a new version of course c.ID with the next
// number, with all its content, and sets the new ids in c.
func insertVersion(ctx context.Context, tx bun.IDB, c *courses.Course, state courses.VersionState, by int64, now time.Time) error {
	var last int
	if err := tx.NewSelect().Model((*versionRow)(nil)).ColumnExpr("COALESCE(MAX(number), 0)").
		Where("course_id = ?", c.ID).Scan(ctx, &last); err != nil {
		return wrap(err, "next version number")
	}
	v := versionRow{CourseID: c.ID, Number: last + 1, State: string(state), CreatedAt: now, UpdatedAt: now}
	v.setMetadata(c)
	if by != 0 {
		v.CreatedBy = &by
	}
	if _, err := tx.NewInsert().Model(&v).Returning("id").Exec(ctx); err != nil {
		return wrap(err, "save version")
	}
	c.VersionID, c.Version, c.State, c.UpdatedAt = v.ID, v.Number, state, now
	for i := range c.Modules {
		if err := insertModule(ctx, tx, v.ID, &c.Modules[i]); err != nil {
			return err
		}
	}
	for i := range c.Files {
		if err := insertFile(ctx, tx, v.ID, &c.Files[i], now); err != nil {
			return err
		}
	}
	return nil
}

func insertModule(ctx context.Context, tx bun.IDB, versionID int64, m *courses.Module) error {
	row := moduleRow{VersionID: versionID, Position: m.Position, Slug: m.Slug, Title: m.Title, Summary: m.Summary, Intro: m.Intro}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return wrap(err, "save module")
	}
	m.ID = row.ID
	for i := range m.Activities {
		if err := insertActivity(ctx, tx, m.ID, &m.Activities[i]); err != nil {
			return err
		}
	}
	return nil
}

func insertActivity(ctx context.Context, tx bun.IDB, moduleID int64, a *courses.Activity) error {
	row := activityRowOf(moduleID, a)
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return wrap(err, "save activity")
	}
	a.ID = row.ID
	if a.Quiz != nil && a.Kind == courses.KindQuiz {
		return insertQuestions(ctx, tx, a.ID, a.Quiz.Questions)
	}
	return nil
}

func insertQuestions(ctx context.Context, tx bun.IDB, activityID int64, questions []courses.Question) error {
	for i := range questions {
		q := &questions[i]
		row := questionRow{ActivityID: activityID, Position: i + 1, Kind: string(q.Kind), Text: q.Text, Feedback: q.Feedback}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return wrap(err, "save question")
		}
		q.ID, q.Position = row.ID, i+1
		if len(q.Options) == 0 {
			continue
		}
		rows := make([]optionRow, len(q.Options))
		for j, o := range q.Options {
			rows[j] = optionRow{QuestionID: q.ID, Position: j + 1, Text: o.Text, Correct: o.Correct}
		}
		if _, err := tx.NewInsert().Model(&rows).Returning("id").Exec(ctx); err != nil {
			return wrap(err, "save options")
		}
		for j := range q.Options {
			q.Options[j].ID, q.Options[j].Position = rows[j].ID, j+1
		}
	}
	return nil
}

// insertFile stores f's bytes once (by hash) and links them to the version.
// A file without bytes is a link to a blob stored before (copying a version).
func insertFile(ctx context.Context, tx bun.IDB, versionID int64, f *courses.File, now time.Time) error {
	if f.Data != nil {
		blob := blobRow{SHA256: f.SHA256, Data: f.Data, Size: f.Size, CreatedAt: now}
		if _, err := tx.NewInsert().Model(&blob).On("CONFLICT (sha256) DO NOTHING").Exec(ctx); err != nil {
			return wrap(err, "save file "+f.Path)
		}
	}
	row := fileRow{VersionID: versionID, Path: f.Path, SHA256: f.SHA256, ContentType: f.ContentType, Size: f.Size}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return wrap(err, "save file "+f.Path)
	}
	return nil
}

// publish makes the course's draft its published version: the version
// published before is retired (learners on it keep it), and the catalogue
// row takes the new metadata.
func publish(ctx context.Context, tx bun.IDB, courseID int64, now time.Time) error {
	var draft versionRow
	if err := forUpdate(tx.NewSelect().Model(&draft).Where("course_id = ? AND state = ?", courseID, courses.StateDraft), tx).
		Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return courses.Errorf(courses.ECONFLICT, "course %d has no draft to publish", courseID)
		}
		return wrap(err, "find draft")
	}
	if _, err := tx.NewUpdate().Model((*versionRow)(nil)).Set("state = ?", courses.StateRetired).
		Where("course_id = ? AND state = ?", courseID, courses.StatePublished).Exec(ctx); err != nil {
		return wrap(err, "retire version")
	}
	if _, err := tx.NewUpdate().Model((*versionRow)(nil)).Set("state = ?, published_at = ?, updated_at = ?", courses.StatePublished, now, now).
		Where("id = ?", draft.ID).Exec(ctx); err != nil {
		return wrap(err, "publish version")
	}
	c := draft.course()
	if _, err := tx.NewUpdate().Model((*courseRow)(nil)).
		Set("title = ?, summary = ?, description = ?", c.Title, c.Summary, c.Description).
		Set("study_hours = ?, level = ?, language = ?", c.StudyHours, string(c.Level), c.Language).
		Set("version = ?, validity_months = ?, published = TRUE, published_version_id = ?", draft.Number, c.ValidityMonths, draft.ID).
		Set("search_text = ?, updated_at = ?", courses.SearchText(c.Title+" "+c.Summary+" "+c.Description), now).
		Where("id = ?", courseID).Exec(ctx); err != nil {
		return wrap(err, "update catalogue")
	}
	c.ID = courseID
	return replaceVocabularies(ctx, tx, c)
}

func replaceVocabularies(ctx context.Context, tx bun.IDB, c *courses.Course) error {
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

// setMetadata copies c's metadata, with audience and topics in their
// vocabularies' display order.
func (v *versionRow) setMetadata(c *courses.Course) {
	v.Title, v.Summary, v.Description = c.Title, c.Summary, c.Description
	audience := slices.Clone(c.Audience)
	slices.SortStableFunc(audience, func(a, b courses.Office) int {
		return slices.Index(courses.Offices, a) - slices.Index(courses.Offices, b)
	})
	topics := slices.Clone(c.Topics)
	slices.SortStableFunc(topics, func(a, b courses.Topic) int {
		return slices.Index(courses.Topics, a) - slices.Index(courses.Topics, b)
	})
	v.Audience = strings.Join(stringsOf(audience), ",")
	v.Topics = strings.Join(stringsOf(topics), ",")
	v.StudyHours, v.Level, v.Language = c.StudyHours, string(c.Level), c.Language
	v.ValidityMonths, v.Prerequisites = c.ValidityMonths, strings.Join(c.Prerequisites, ",")
}

func (v *versionRow) course() *courses.Course {
	c := &courses.Course{
		ID: v.CourseID, Slug: v.Slug, Title: v.Title, Summary: v.Summary, Description: v.Description,
		StudyHours: v.StudyHours, Level: courses.Level(v.Level), Language: v.Language,
		ValidityMonths: v.ValidityMonths, Version: v.Number, VersionID: v.ID,
		State: courses.VersionState(v.State), UpdatedAt: v.UpdatedAt,
	}
	for _, o := range splitList(v.Audience) {
		c.Audience = append(c.Audience, courses.Office(o))
	}
	for _, t := range splitList(v.Topics) {
		c.Topics = append(c.Topics, courses.Topic(t))
	}
	c.Prerequisites = splitList(v.Prerequisites)
	if v.PublishedAt != nil {
		c.PublishedAt = *v.PublishedAt
	}
	return c
}

func activityRowOf(moduleID int64, a *courses.Activity) activityRow {
	row := activityRow{ModuleID: moduleID, Position: a.Position, Slug: a.Slug, Kind: string(a.Kind),
		Title: a.Title, Minutes: a.Minutes, Body: a.Body}
	if q := a.Quiz; q != nil && a.Kind == courses.KindQuiz {
		row.PassMark, row.MaxAttempts, row.Shuffle = q.PassMark, q.MaxAttempts, q.Shuffle
	}
	if m := a.Meeting; m != nil && a.Kind == courses.KindSession {
		starts, ends := m.StartsAt.UTC(), m.EndsAt.UTC()
		row.StartsAt, row.EndsAt = &starts, &ends
		row.Location, row.OnlineURL, row.Capacity = m.Location, m.OnlineURL, m.Capacity
	}
	return row
}

func (a *activityRow) activity() courses.Activity {
	act := courses.Activity{ID: a.ID, Position: a.Position, Slug: a.Slug, Kind: courses.ActivityKind(a.Kind),
		Title: a.Title, Minutes: a.Minutes, Body: a.Body}
	switch act.Kind {
	case courses.KindQuiz:
		act.Quiz = &courses.Quiz{PassMark: a.PassMark, MaxAttempts: a.MaxAttempts, Shuffle: a.Shuffle}
	case courses.KindSession:
		m := &courses.Meeting{Location: a.Location, OnlineURL: a.OnlineURL, Capacity: a.Capacity}
		if a.StartsAt != nil && a.EndsAt != nil {
			m.StartsAt, m.EndsAt = a.StartsAt.In(courses.Amsterdam), a.EndsAt.In(courses.Amsterdam)
		}
		act.Meeting = m
	}
	return act
}

func (r *courseRow) course() *courses.Course {
	c := &courses.Course{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Summary: r.Summary, Description: r.Description,
		StudyHours: r.StudyHours, Level: courses.Level(r.Level), Language: r.Language,
		ValidityMonths: r.ValidityMonths, Version: r.Version, State: courses.StatePublished, UpdatedAt: r.UpdatedAt,
	}
	if r.PublishedVersionID != nil {
		c.VersionID = *r.PublishedVersionID
	}
	return c
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func stringsOf[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}

// forUpdate locks the selected rows until the transaction ends on
// PostgreSQL. SQLite has no row locks and needs none: its write
// transactions are immediate and run one at a time.
func forUpdate(q *bun.SelectQuery, idb bun.IDB) *bun.SelectQuery {
	if idb.Dialect().Name() == dialect.PG {
		return q.For("UPDATE")
	}
	return q
}
