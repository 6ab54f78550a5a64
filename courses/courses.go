// Package courses is Raadzaam's learning domain: courses and their modules and
// lessons, the offices and topics they are for, the municipalities office
// holders serve, the rules between them and the service interfaces that the
// db package implements. It imports nothing but the standard library.
package courses

import (
	"context"
	"regexp"
	"slices"
	"time"
)

// Office is a political or supporting office a learner holds and a course is
// meant for. The codes are part of the public contract (CLI, API, files).
type Office string

// The offices, in the order the catalogue shows them.
const (
	Raadslid     Office = "raadslid"
	Wethouder    Office = "wethouder"
	Burgemeester Office = "burgemeester"
	Griffier     Office = "griffier"
	Commissielid Office = "commissielid"
	Statenlid    Office = "statenlid"
	Gedeputeerde Office = "gedeputeerde"
	Overig       Office = "overig"
)

// Offices lists every office in display order.
var Offices = []Office{Raadslid, Wethouder, Burgemeester, Griffier, Commissielid, Statenlid, Gedeputeerde, Overig}

// Valid reports whether o is a known office.
func (o Office) Valid() bool { return slices.Contains(Offices, o) }

// Topic is a subject area of the catalogue.
type Topic string

// Topics lists every topic code in display order. Their names live in the
// message catalogue under "topic.<code>".
var Topics = []Topic{
	"rollen", "werkwijze-raad", "financien", "integriteit", "ruimte", "openbare-orde",
	"participatie", "samenwerking", "sociaal-domein", "communicatie", "recht",
}

// Valid reports whether t is a known topic.
func (t Topic) Valid() bool { return slices.Contains(Topics, t) }

// Level says how much prior knowledge a course assumes.
type Level string

// The levels, from no prior knowledge to specialist.
const (
	LevelBasis      Level = "basis"
	LevelVerdieping Level = "verdieping"
	LevelSpecialist Level = "specialist"
)

// Levels lists the levels in ascending order.
var Levels = []Level{LevelBasis, LevelVerdieping, LevelSpecialist}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return slices.Contains(Levels, l) }

// Languages are the languages a course can be taught in.
var Languages = []string{"nl", "en"}

// Course is a published course with its modules and lessons.
type Course struct {
	ID          int64
	Slug        string
	Title       string
	Summary     string
	Description string // Markdown
	Audience    []Office
	Topics      []Topic
	StudyHours  float64
	Level       Level
	Language    string
	Version     int
	Modules     []Module // nil when loaded as a catalogue summary
	UpdatedAt   time.Time
}

// Minutes returns the sum of the lesson minutes of a fully loaded course.
func (c *Course) Minutes() int {
	n := 0
	for _, m := range c.Modules {
		for _, l := range m.Lessons {
			n += l.Minutes
		}
	}
	return n
}

// LessonCount returns the number of lessons of a fully loaded course.
func (c *Course) LessonCount() int {
	n := 0
	for _, m := range c.Modules {
		n += len(m.Lessons)
	}
	return n
}

// Module is an ordered part of a course.
type Module struct {
	ID       int64
	Position int
	Slug     string
	Title    string
	Summary  string
	Intro    string // Markdown
	Lessons  []Lesson
}

// Lesson is a unit of study within a module.
type Lesson struct {
	ID       int64
	Position int
	Slug     string
	Title    string
	Minutes  int
	Body     string // Markdown
}

// CourseFilter narrows the catalogue. Zero values mean "any".
type CourseFilter struct {
	Office Office
	Topic  Topic
}

// CourseService reads and writes the course catalogue.
type CourseService interface {
	// ListCourses returns published courses matching f, without modules,
	// ordered by title in Dutch collation.
	ListCourses(ctx context.Context, f CourseFilter) ([]*Course, error)
	// CourseBySlug returns one published course with its modules and lessons,
	// or ENOTFOUND.
	CourseBySlug(ctx context.Context, slug string) (*Course, error)
	// SaveCourse creates the course or replaces the content of the course
	// with the same slug, in one transaction.
	SaveCourse(ctx context.Context, c *Course) error
	// SaveCourses saves several courses in one transaction: all or none.
	SaveCourses(ctx context.Context, list []*Course) error
	// CountCourses returns the number of courses.
	CountCourses(ctx context.Context) (int, error)
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether s can name a course, module or lesson in a URL.
func ValidSlug(s string) bool { return len(s) <= 80 && slugPattern.MatchString(s) }
