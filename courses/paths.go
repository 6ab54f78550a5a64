package courses

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// LearningPath is an ordered set of courses with a completion of its own:
// an induction programme for new councillors, say. A learner starts the
// path, is enrolled in each of its courses, and completes the path when
// every course is completed.
type LearningPath struct {
	ID          int64
	Slug        string
	Title       string
	Summary     string
	Description string // Markdown
	Audience    []Office
	Courses     []PathCourse // in the path's order

	// File and CoursesLine say where the path was read from, so that a
	// course slug found unknown only when the path is saved is reported
	// at its line. Empty for paths from elsewhere.
	File        string
	CoursesLine int

	// The learner's state, for paths loaded for a user: nil when they have
	// not started (or completed) the path.
	EnrolledAt  *time.Time
	CompletedAt *time.Time
}

// PathCourse is a course at its place in a learning path, with the
// learner's state in it when the path is loaded for a user.
type PathCourse struct {
	Position   int // from 1
	CourseID   int64
	Slug       string
	Title      string
	Summary    string
	StudyHours float64
	Published  bool // only published courses can be taken

	Enrolled    bool       // enrolled and not withdrawn
	CompletedAt *time.Time // completed, also when withdrawn since
}

// Completed reports whether the learner completed the course.
func (c PathCourse) Completed() bool { return c.CompletedAt != nil }

// CompletedCount returns how many of the path's courses the learner
// completed.
func (p *LearningPath) CompletedCount() int {
	n := 0
	for _, c := range p.Courses {
		if c.Completed() {
			n++
		}
	}
	return n
}

// StudyHours returns the study load of all the path's courses together.
func (p *LearningPath) StudyHours() float64 {
	h := 0.0
	for _, c := range p.Courses {
		h += c.StudyHours
	}
	return h
}

// Progress returns the share of the path's courses completed, 0..100,
// rounded down so that 100 means every course is done.
func (p *LearningPath) Progress() int {
	if len(p.Courses) == 0 {
		return 0
	}
	return p.CompletedCount() * 100 / len(p.Courses)
}

// CourseSlugs returns the slugs of the path's courses in order.
func (p *LearningPath) CourseSlugs() []string {
	out := make([]string, len(p.Courses))
	for i, c := range p.Courses {
		out[i] = c.Slug
	}
	return out
}

// Validate checks a path built in code the way ReadPaths checks a file:
// a valid slug, a title, a summary and a description within bounds, known
// offices, and at least one course, none twice.
func (p *LearningPath) Validate() []Problem {
	var problems []Problem
	add := func(field, key string, args map[string]any) {
		problems = append(problems, Problem{File: p.File, Field: field, Key: key, Args: args})
	}
	if !ValidSlug(p.Slug) {
		add("slug", ProblemBadSlug, map[string]any{"name": truncate(p.Slug, 40)})
	}
	for _, f := range []struct {
		name, value string
		min, max    int
	}{{"title", p.Title, 3, 120}, {"summary", p.Summary, 10, 300}} {
		switch n := utf8.RuneCountInString(f.value); {
		case n == 0:
			add(f.name, ProblemRequired, nil)
		case n < f.min:
			add(f.name, ProblemTooShort, map[string]any{"min": f.min})
		case n > f.max:
			add(f.name, ProblemTooLong, map[string]any{"max": f.max, "length": n})
		}
	}
	if p.Description == "" {
		add("", ProblemEmptyBody, nil)
	}
	for _, o := range p.Audience {
		if !o.Valid() {
			add("audience", ProblemUnknownValue, map[string]any{"value": truncate(string(o), 30), "allowed": strings.Join(names(Offices), ", ")})
		}
	}
	if len(p.Courses) == 0 {
		add("courses", ProblemRequired, nil)
	}
	seen := map[string]bool{}
	for _, c := range p.Courses {
		switch {
		case !ValidSlug(c.Slug):
			add("courses", ProblemBadSlug, map[string]any{"name": truncate(c.Slug, 40)})
		case seen[c.Slug]:
			add("courses", ProblemDuplicateValue, map[string]any{"value": c.Slug})
		}
		seen[c.Slug] = true
	}
	return problems
}

// pathKeys are the front matter keys of a learning path file.
var pathKeys = []string{"title", "summary", "audience", "courses"}

// ReadPaths reads the learning paths in dir: one file NN-slug.md each,
// in the order of their numbers, with the front matter keys title,
// summary, audience (offices) and courses (course slugs, comma-separated,
// in the order to take them), and the description as the body. Like the
// course folder reader it returns an EINVALID *Error listing every
// problem, each with its file (relative to dir's parent) and line.
// Whether the courses exist is checked when the paths are saved.
func ReadPaths(fsys fs.FS, dir string) ([]*LearningPath, error) {
	r := &folderReader{fsys: fsys, base: path.Dir(dir)}
	var list []*LearningPath
	bySlug := map[string]string{}
	r.eachNumbered(dir, numberedFile, func(p string, _ int, slug string) {
		lp := r.learningPath(p, slug)
		if lp == nil {
			return
		}
		if other, dup := bySlug[slug]; dup {
			r.problem(p, 0, ProblemDuplicateValue, map[string]any{"value": slug + " (" + other + ")"})
			return
		}
		bySlug[slug] = path.Base(p)
		list = append(list, lp)
	})
	if len(r.problems) > 0 {
		return nil, Invalid("learning paths in "+path.Base(dir)+" have problems", r.problems...)
	}
	return list, nil
}

// learningPath reads one learning path file; nil when it has no usable
// front matter.
func (r *folderReader) learningPath(p, slug string) *LearningPath {
	fm := r.read(p, pathKeys)
	if fm == nil || fm.broken {
		r.collect(fm)
		return nil
	}
	lp := &LearningPath{Slug: slug, File: r.rel(p), CoursesLine: fm.line("courses")}
	lp.Title = fm.text("title", true, 3, 120)
	lp.Summary = fm.text("summary", true, 10, 300)
	for _, o := range fm.list("audience", func(s string) bool { return Office(s).Valid() }, names(Offices)) {
		lp.Audience = append(lp.Audience, Office(o))
	}
	for i, s := range fm.list("courses", ValidSlug, []string{"slugs"}) {
		lp.Courses = append(lp.Courses, PathCourse{Position: i + 1, Slug: s})
	}
	lp.Description = fm.body
	if fm.body == "" {
		fm.add(fm.bodyLine, "", ProblemEmptyBody, nil)
	}
	r.collect(fm)
	return lp
}

// PathService keeps the learning paths and who follows them.
type PathService interface {
	// SavePaths stores the shipped paths, replacing those with the same
	// slug, all or none; a course slug that names no course is EINVALID
	// naming the file.
	SavePaths(ctx context.Context, list []*LearningPath) error
	// Paths returns every path with userID's state in it and in each of
	// its courses; userID 0 is an anonymous visitor.
	Paths(ctx context.Context, userID int64) ([]*LearningPath, error)
	// PathBySlug returns one path as Paths does, or ENOTFOUND.
	PathBySlug(ctx context.Context, slug string, userID int64) (*LearningPath, error)
	// EnrolInPath starts the path for userID and enrols them in each of
	// its published courses; created is false when they had started it
	// before. A path whose courses are all completed already is completed
	// at once.
	EnrolInPath(ctx context.Context, userID, pathID int64) (created bool, err error)
}
