package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

// The course editor's operations (courses.CourseEditor). Every change to
// content goes to the course's draft; a published version never changes.

var _ courses.CourseEditor = (*CourseService)(nil)

// EditableCourses returns the courses userID owns, or every course when
// all is set (admins), with their versions and learner counts, sorted by
// title: one query.
func (s *CourseService) EditableCourses(ctx context.Context, userID int64, all bool) ([]courses.EditableCourse, error) {
	var list []courses.EditableCourse
	q := s.db.NewSelect().TableExpr("courses AS c").
		ColumnExpr("c.id, c.slug").
		ColumnExpr("COALESCE(d.title, c.title) AS title").
		ColumnExpr("COALESCE(p.number, 0) AS published_version").
		ColumnExpr("COALESCE(d.number, 0) AS draft_version, COALESCE(d.id, 0) AS draft_version_id").
		ColumnExpr("COALESCE(d.updated_at, c.updated_at) AS updated_at").
		ColumnExpr("(SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id) AS learners").
		ColumnExpr("(SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id AND e.completed_at IS NULL AND e.version_id <> COALESCE(p.id, 0)) AS old_version").
		Join("LEFT JOIN course_versions p ON p.course_id = c.id AND p.state = ?", courses.StatePublished).
		Join("LEFT JOIN course_versions d ON d.course_id = c.id AND d.state = ?", courses.StateDraft)
	if !all {
		q = q.Where("EXISTS (SELECT 1 FROM course_owners o WHERE o.course_id = c.id AND o.user_id = ?)", userID)
	}
	if err := q.Scan(ctx, &list); err != nil {
		return nil, wrap(err, "editable courses")
	}
	for i := range list {
		list[i].UpdatedAt = list[i].UpdatedAt.UTC()
	}
	sortBy(list, func(c courses.EditableCourse) string { return c.Title })
	return list, nil
}

// IsOwner reports whether userID owns or co-owns the course.
func (s *CourseService) IsOwner(ctx context.Context, courseID, userID int64) (bool, error) {
	n, err := s.db.NewSelect().Model((*ownerRow)(nil)).Where("course_id = ? AND user_id = ?", courseID, userID).Count(ctx)
	return n > 0, wrap(err, "is owner")
}

// Owners returns the owners of a course, by name.
func (s *CourseService) Owners(ctx context.Context, courseID int64) ([]courses.CourseOwner, error) {
	var list []courses.CourseOwner
	err := s.db.NewSelect().TableExpr("users AS u").ColumnExpr("u.id AS user_id, u.name, u.email").
		Join("JOIN course_owners o ON o.user_id = u.id").Where("o.course_id = ?", courseID).Scan(ctx, &list)
	sortBy(list, func(o courses.CourseOwner) string { return o.Name })
	return list, wrap(err, "owners")
}

// AddOwner makes the trainer or admin with the given e-mail address a
// co-owner. Learners cannot own courses: least privilege.
func (s *CourseService) AddOwner(ctx context.Context, courseID int64, email string) (courses.CourseOwner, error) {
	var u userRow
	if err := s.db.NewSelect().Model(&u).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Where("active").Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return courses.CourseOwner{}, courses.Invalid("no such user", courses.Problem{Field: "email", Key: courses.ProblemNoTrainer})
		}
		return courses.CourseOwner{}, wrap(err, "find owner")
	}
	if role := courses.Role(u.Role); role != courses.RoleTrainer && role != courses.RoleAdmin {
		return courses.CourseOwner{}, courses.Invalid("not a trainer", courses.Problem{Field: "email", Key: courses.ProblemNoTrainer})
	}
	_, err := s.db.NewInsert().Model(&ownerRow{CourseID: courseID, UserID: u.ID, CreatedAt: s.db.Now().UTC()}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	return courses.CourseOwner{UserID: u.ID, Name: u.Name, Email: u.Email}, wrap(err, "add owner")
}

// RemoveOwner takes userID's ownership away; the last owner stays, so that
// a course is never left without one (admins can always edit).
func (s *CourseService) RemoveOwner(ctx context.Context, courseID, userID int64) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		if err := lockCourse(ctx, tx, courseID); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*ownerRow)(nil)).Where("course_id = ?", courseID).Count(ctx)
		if err != nil {
			return wrap(err, "count owners")
		}
		if n <= 1 {
			return courses.Errorf(courses.ECONFLICT, "the last owner of a course stays")
		}
		_, err = tx.NewDelete().Model((*ownerRow)(nil)).Where("course_id = ? AND user_id = ?", courseID, userID).Exec(ctx)
		return wrap(err, "remove owner")
	})
}

// CourseIDBySlug returns the id of the course with slug, published or not.
func (s *CourseService) CourseIDBySlug(ctx context.Context, slug string) (int64, error) {
	var id int64
	err := s.db.NewSelect().Model((*courseRow)(nil)).Column("id").Where("slug = ?", slug).Scan(ctx, &id)
	return id, wrap(err, "course by slug")
}

// CreateCourse creates a new course with an empty draft (version 1) owned
// by owner. The slug must be free.
func (s *CourseService) CreateCourse(ctx context.Context, c *courses.Course, owner int64) error {
	if p := courses.ValidateMetadata(c); len(p) > 0 {
		return courses.Invalid("invalid course", p...)
	}
	now := s.db.Now().UTC()
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		if err := checkPrerequisites(ctx, tx, []*courses.Course{c}); err != nil {
			return err
		}
		row := courseRow{Slug: c.Slug, Title: c.Title, Summary: c.Summary, Description: c.Description,
			StudyHours: c.StudyHours, Level: string(c.Level), Language: c.Language, Version: 1,
			ValidityMonths: c.ValidityMonths, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			if courses.ErrorCode(wrap(err, "")) == courses.ECONFLICT {
				return courses.Invalid("slug taken", courses.Problem{Field: "slug", Key: courses.ProblemSlugTaken})
			}
			return wrap(err, "create course")
		}
		c.ID = row.ID
		if _, err := tx.NewInsert().Model(&ownerRow{CourseID: c.ID, UserID: owner, CreatedAt: now}).Exec(ctx); err != nil {
			return wrap(err, "add owner")
		}
		c.Modules, c.Files = nil, nil
		return insertVersion(ctx, tx, c, courses.StateDraft, owner, now)
	})
}

// Draft returns the course's draft with all its content, starting one as a
// copy of the published version when there is none.
func (s *CourseService) Draft(ctx context.Context, courseID, by int64) (*courses.Course, error) {
	var id int64
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		// Two editors opening the course at once must get the same draft.
		if err := lockCourse(ctx, tx, courseID); err != nil {
			return err
		}
		var v versionRow
		err := tx.NewSelect().Model(&v).Column("id").Where("course_id = ? AND state = ?", courseID, courses.StateDraft).Scan(ctx)
		if err == nil {
			id = v.ID
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "find draft")
		}
		var published versionRow
		if err := tx.NewSelect().Model(&published).Column("id").
			Where("course_id = ? AND state = ?", courseID, courses.StatePublished).Scan(ctx); err != nil {
			return wrap(err, "find published version")
		}
		c, err := courseVersion(ctx, tx, published.ID)
		if err != nil {
			return err
		}
		clearIDs(c)
		if err := insertVersion(ctx, tx, c, courses.StateDraft, by, s.db.Now().UTC()); err != nil {
			return err
		}
		id = c.VersionID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.CourseVersion(ctx, id)
}

// DraftOnly returns the course's draft, or ENOTFOUND when it has none.
func (s *CourseService) DraftOnly(ctx context.Context, courseID int64) (*courses.Course, error) {
	var id int64
	if err := s.db.NewSelect().Model((*versionRow)(nil)).Column("id").
		Where("course_id = ? AND state = ?", courseID, courses.StateDraft).Scan(ctx, &id); err != nil {
		return nil, wrap(err, "draft")
	}
	return s.CourseVersion(ctx, id)
}

// clearIDs makes a loaded version insertable as a copy: files link to the
// blobs stored already.
func clearIDs(c *courses.Course) {
	for i := range c.Modules {
		m := &c.Modules[i]
		m.ID = 0
		for j := range m.Activities {
			a := &m.Activities[j]
			a.ID = 0
			if a.Quiz != nil {
				for k := range a.Quiz.Questions {
					q := &a.Quiz.Questions[k]
					q.ID = 0
					for l := range q.Options {
						q.Options[l].ID = 0
					}
				}
			}
		}
	}
}

// DiscardDraft deletes the course's draft. A course that was never
// published is deleted with it, unless learners are enrolled.
func (s *CourseService) DiscardDraft(ctx context.Context, courseID int64) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*versionRow)(nil)).Where("course_id = ? AND state = ?", courseID, courses.StateDraft).Exec(ctx)
		if err != nil {
			return wrap(err, "discard draft")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return courses.Errorf(courses.ENOTFOUND, "course %d has no draft", courseID)
		}
		_, err = tx.NewDelete().Model((*courseRow)(nil)).Where("id = ?", courseID).
			Where("NOT EXISTS (SELECT 1 FROM course_versions v WHERE v.course_id = course_row.id)").Exec(ctx)
		return wrap(err, "delete unpublished course")
	})
}

// Publish checks the course's draft and publishes it; problems come back as
// EINVALID, each naming where in the course it is.
func (s *CourseService) Publish(ctx context.Context, courseID int64) (*courses.Course, error) {
	var draftID int64
	if err := s.db.NewSelect().Model((*versionRow)(nil)).Column("id").
		Where("course_id = ? AND state = ?", courseID, courses.StateDraft).Scan(ctx, &draftID); err != nil {
		return nil, wrap(err, "find draft")
	}
	draft, err := s.CourseVersion(ctx, draftID)
	if err != nil {
		return nil, err
	}
	if p := courses.PublishProblems(draft); len(p) > 0 {
		return nil, courses.Invalid("draft has problems", p...)
	}
	err = s.db.inTx(ctx, func(tx bun.Tx) error {
		if err := checkPrerequisites(ctx, tx, []*courses.Course{draft}); err != nil {
			return err
		}
		return publish(ctx, tx, courseID, s.db.Now().UTC())
	})
	if err != nil {
		return nil, err
	}
	return s.CourseVersion(ctx, draftID)
}

// MoveLearners moves every learner of the course who has not completed it
// to the published version; progress follows by activity key. It returns
// how many moved.
func (s *CourseService) MoveLearners(ctx context.Context, courseID int64) (int, error) {
	res, err := s.db.NewUpdate().TableExpr("enrolments").
		Set("version_id = (SELECT v.id FROM course_versions v WHERE v.course_id = enrolments.course_id AND v.state = ?)", courses.StatePublished).
		Set("updated_at = ?", s.db.Now().UTC()).
		Where("course_id = ? AND completed_at IS NULL", courseID).
		Where("version_id <> (SELECT v.id FROM course_versions v WHERE v.course_id = enrolments.course_id AND v.state = ?)", courses.StatePublished).
		Exec(ctx)
	if err != nil {
		return 0, wrap(err, "move learners")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "move learners")
}

// inDraft runs fn in a transaction after checking that versionID is a
// draft, and marks the draft changed.
func (s *CourseService) inDraft(ctx context.Context, versionID int64, fn func(tx bun.Tx) error) error {
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*versionRow)(nil)).Set("updated_at = ?", s.db.Now().UTC()).
			Where("id = ? AND state = ?", versionID, courses.StateDraft).Exec(ctx)
		if err != nil {
			return wrap(err, "touch draft")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return courses.Errorf(courses.ECONFLICT, "version %d is not a draft", versionID)
		}
		return fn(tx)
	})
}

// SaveMetadata saves the draft's metadata (title to prerequisites).
func (s *CourseService) SaveMetadata(ctx context.Context, versionID int64, c *courses.Course) error {
	if p := courses.ValidateMetadata(c); len(p) > 0 {
		return courses.Invalid("invalid course", p...)
	}
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		if err := checkPrerequisites(ctx, tx, []*courses.Course{c}); err != nil {
			return err
		}
		var v versionRow
		v.setMetadata(c)
		_, err := tx.NewUpdate().Model(&v).
			Column("title", "summary", "description", "audience", "topics", "study_hours", "level", "language",
				"validity_months", "prerequisites").
			Where("id = ?", versionID).Exec(ctx)
		return wrap(err, "save metadata")
	})
}

// SaveModule adds m to the draft (m.ID == 0, at the end) or changes it.
func (s *CourseService) SaveModule(ctx context.Context, versionID int64, m *courses.Module) error {
	if p := courses.ValidateModule(m); len(p) > 0 {
		return courses.Invalid("invalid module", p...)
	}
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		if m.ID == 0 {
			var last int
			if err := tx.NewSelect().Model((*moduleRow)(nil)).ColumnExpr("COALESCE(MAX(position), 0)").
				Where("version_id = ?", versionID).Scan(ctx, &last); err != nil {
				return wrap(err, "module position")
			}
			m.Position = last + 1
			m.Activities = nil
			return slugFree(insertModule(ctx, tx, versionID, m))
		}
		res, err := tx.NewUpdate().Model(&moduleRow{Slug: m.Slug, Title: m.Title, Summary: m.Summary, Intro: m.Intro}).
			Column("slug", "title", "summary", "intro").Where("id = ? AND version_id = ?", m.ID, versionID).Exec(ctx)
		return slugFree(affected(res, err, "save module"))
	})
}

// DeleteModule removes a module and its activities from the draft.
func (s *CourseService) DeleteModule(ctx context.Context, versionID, moduleID int64) error {
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*moduleRow)(nil)).Where("id = ? AND version_id = ?", moduleID, versionID).Exec(ctx)
		if err := affected(res, err, "delete module"); err != nil {
			return err
		}
		return renumber(ctx, tx, "version_modules", "version_id", versionID, nil)
	})
}

// MoveModule swaps a module with its neighbour above (up) or below.
func (s *CourseService) MoveModule(ctx context.Context, versionID, moduleID int64, up bool) error {
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		return swapPosition(ctx, tx, "version_modules", "version_id", versionID, moduleID, up)
	})
}

// SaveActivity adds a to a module of the draft (a.ID == 0, at the end) or
// changes it. A quiz's questions are saved with it when a.Quiz.Questions is
// not nil (the quiz editor sends them all at once).
func (s *CourseService) SaveActivity(ctx context.Context, versionID, moduleID int64, a *courses.Activity) error {
	p := courses.ValidateActivity(a)
	if a.Kind == courses.KindQuiz && a.Quiz != nil && a.Quiz.Questions != nil {
		p = append(p, a.Quiz.Validate()...)
	}
	if len(p) > 0 {
		return courses.Invalid("invalid activity", p...)
	}
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*moduleRow)(nil)).Where("id = ? AND version_id = ?", moduleID, versionID).Count(ctx)
		if err != nil {
			return wrap(err, "find module")
		}
		if n == 0 {
			return courses.Errorf(courses.ENOTFOUND, "module %d is not in version %d", moduleID, versionID)
		}
		if a.ID == 0 {
			var last int
			if err := tx.NewSelect().Model((*activityRow)(nil)).ColumnExpr("COALESCE(MAX(position), 0)").
				Where("module_id = ?", moduleID).Scan(ctx, &last); err != nil {
				return wrap(err, "activity position")
			}
			a.Position = last + 1
			return slugFree(insertActivity(ctx, tx, moduleID, a))
		}
		row := activityRowOf(moduleID, a)
		res, err := tx.NewUpdate().Model(&row).
			ExcludeColumn("id", "module_id", "position").
			Where("id = ? AND module_id = ?", a.ID, moduleID).Exec(ctx)
		if err := slugFree(affected(res, err, "save activity")); err != nil {
			return err
		}
		if a.Kind == courses.KindQuiz && a.Quiz != nil && a.Quiz.Questions != nil {
			if _, err := tx.NewDelete().Model((*questionRow)(nil)).Where("activity_id = ?", a.ID).Exec(ctx); err != nil {
				return wrap(err, "replace questions")
			}
			return insertQuestions(ctx, tx, a.ID, a.Quiz.Questions)
		}
		return nil
	})
}

// DeleteActivity removes an activity from the draft.
func (s *CourseService) DeleteActivity(ctx context.Context, versionID, activityID int64) error {
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		var a activityRow
		if err := tx.NewSelect().Model(&a).Column("module_id").Where("id = ?", activityID).
			Where("module_id IN (SELECT id FROM version_modules WHERE version_id = ?)", versionID).Scan(ctx); err != nil {
			return wrap(err, "find activity")
		}
		if _, err := tx.NewDelete().Model((*activityRow)(nil)).Where("id = ?", activityID).Exec(ctx); err != nil {
			return wrap(err, "delete activity")
		}
		return renumber(ctx, tx, "activities", "module_id", a.ModuleID, nil)
	})
}

// MoveActivity swaps an activity with its neighbour in its module.
func (s *CourseService) MoveActivity(ctx context.Context, versionID, activityID int64, up bool) error {
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		var a activityRow
		if err := tx.NewSelect().Model(&a).Column("module_id").Where("id = ?", activityID).
			Where("module_id IN (SELECT id FROM version_modules WHERE version_id = ?)", versionID).Scan(ctx); err != nil {
			return wrap(err, "find activity")
		}
		return swapPosition(ctx, tx, "activities", "module_id", a.ModuleID, activityID, up)
	})
}

// swapPosition swaps the position of row id with the nearest row above or
// below it among the rows of table with parent = parentID. At the top or
// bottom it does nothing.
func swapPosition(ctx context.Context, tx bun.Tx, table, parent string, parentID, id int64, up bool) error {
	type posRow struct {
		ID       int64 `bun:"id"`
		Position int   `bun:"position"`
	}
	var rows []posRow
	if err := tx.NewSelect().TableExpr(table).Column("id", "position").
		Where("? = ?", bun.Ident(parent), parentID).Order("position").Scan(ctx, &rows); err != nil {
		return wrap(err, "positions")
	}
	i := -1
	for k, r := range rows {
		if r.ID == id {
			i = k
		}
	}
	if i < 0 {
		return courses.Errorf(courses.ENOTFOUND, "no row %d in %s", id, table)
	}
	j := i + 1
	if up {
		j = i - 1
	}
	if j < 0 || j >= len(rows) {
		return nil
	}
	rows[i], rows[j] = rows[j], rows[i]
	ids := make([]int64, len(rows))
	for k, r := range rows {
		ids[k] = r.ID
	}
	return renumber(ctx, tx, table, parent, parentID, ids)
}

// renumber gives the rows of table under parentID the positions 1..n, in
// the order of ids (nil: their current order), so that positions stay
// unique and dense whatever gaps an import or a delete left. Rows pass
// through negative positions, which no unique index ever sees twice.
func renumber(ctx context.Context, tx bun.Tx, table, parent string, parentID int64, ids []int64) error {
	if ids == nil {
		if err := tx.NewSelect().TableExpr(table).Column("id").
			Where("? = ?", bun.Ident(parent), parentID).Order("position").Scan(ctx, &ids); err != nil {
			return wrap(err, "positions")
		}
	}
	for k, id := range ids {
		if _, err := tx.NewUpdate().TableExpr(table).Set("position = ?", -(k+1)).Where("id = ?", id).Exec(ctx); err != nil {
			return wrap(err, "renumber")
		}
	}
	_, err := tx.NewUpdate().TableExpr(table).Set("position = -position").
		Where("? = ?", bun.Ident(parent), parentID).Where("position < 0").Exec(ctx)
	return wrap(err, "renumber")
}

// lockCourse serialises changes to one course's versions and owners until
// the transaction ends (PostgreSQL; SQLite's writers run one at a time).
func lockCourse(ctx context.Context, tx bun.Tx, courseID int64) error {
	var id int64
	err := forUpdate(tx.NewSelect().Model((*courseRow)(nil)).Column("id").Where("id = ?", courseID), tx).Scan(ctx, &id)
	return wrap(err, "lock course")
}

// AddFile stores an uploaded file in the draft under f.Path; a file with
// the same path is replaced.
func (s *CourseService) AddFile(ctx context.Context, versionID int64, f *courses.File) error {
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		var total int64
		if err := tx.NewSelect().Model((*fileRow)(nil)).ColumnExpr("COALESCE(SUM(size), 0)").
			Where("version_id = ? AND path <> ?", versionID, f.Path).Scan(ctx, &total); err != nil {
			return wrap(err, "course size")
		}
		if total+f.Size > courses.MaxCourseBytes {
			return courses.Invalid("course too large", courses.Problem{Field: "file", Key: courses.ProblemCourseTooLarge,
				Args: map[string]any{"max": courses.MaxCourseBytes >> 20}})
		}
		if _, err := tx.NewDelete().Model((*fileRow)(nil)).Where("version_id = ? AND path = ?", versionID, f.Path).Exec(ctx); err != nil {
			return wrap(err, "replace file")
		}
		return insertFile(ctx, tx, versionID, f, s.db.Now().UTC())
	})
}

// DeleteFile removes a file from the draft. Its bytes stay while other
// versions use them.
func (s *CourseService) DeleteFile(ctx context.Context, versionID int64, path string) error {
	return s.inDraft(ctx, versionID, func(tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*fileRow)(nil)).Where("version_id = ? AND path = ?", versionID, path).Exec(ctx)
		return affected(res, err, "delete file")
	})
}

// FileData returns a file of a version with its bytes.
func (s *CourseService) FileData(ctx context.Context, versionID int64, path string) (courses.File, error) {
	var row struct {
		fileRow
		Data []byte `bun:"data"`
	}
	err := s.db.NewSelect().TableExpr("version_files AS f").ColumnExpr("f.*, b.data").
		Join("JOIN blobs b ON b.sha256 = f.sha256").
		Where("f.version_id = ? AND f.path = ?", versionID, path).Scan(ctx, &row)
	if err != nil {
		return courses.File{}, wrap(err, "file")
	}
	return courses.File{Path: row.Path, ContentType: row.ContentType, Size: row.Size, SHA256: row.SHA256, Data: row.Data}, nil
}

// LoadFileData fills in the bytes of every file of c, for export.
func (s *CourseService) LoadFileData(ctx context.Context, c *courses.Course) error {
	for i := range c.Files {
		f, err := s.FileData(ctx, c.VersionID, c.Files[i].Path)
		if err != nil {
			return err
		}
		c.Files[i].Data = f.Data
	}
	return nil
}

// affected turns "no row changed" into ENOTFOUND.
func affected(res sql.Result, err error, op string) error {
	if err != nil {
		return wrap(err, op)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "%s: not found", op)
	}
	return nil
}

// slugFree turns a unique violation on a slug into a problem for the slug
// field.
func slugFree(err error) error {
	if courses.ErrorCode(err) == courses.ECONFLICT {
		return courses.Invalid("slug taken", courses.Problem{Field: "slug", Key: courses.ProblemSlugTaken})
	}
	return err
}

// sortBy sorts list by the Dutch collation of key.
func sortBy[T any](list []T, key func(T) string) {
	slices.SortStableFunc(list, func(a, b T) int { return courses.CompareDutch(key(a), key(b)) })
}
