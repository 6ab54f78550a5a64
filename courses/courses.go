// Package courses is Raadzaam's learning domain: courses and their modules and
// lessons, the offices and topics they are for, the municipalities office
// holders serve, the rules between them and the service interfaces that the
// db package implements. It imports nothing but the standard library.
package courses

import (
	"context"
	"regexp"
	"slices"
	"strings"
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

// Course is one version of a course: the published version in the
// catalogue, or a draft in the editor. Everything a learner sees belongs to
// one version; the slug, owners and id belong to the course across versions.
type Course struct {
	ID             int64
	Slug           string
	Title          string
	Summary        string
	Description    string // Markdown
	Audience       []Office
	Topics         []Topic
	StudyHours     float64
	Level          Level
	Language       string
	ValidityMonths int      // how long a certificate stays valid; 0: it does not expire
	Prerequisites  []string // slugs of courses to complete first
	Version        int      // the version number, from 1
	VersionID      int64
	State          VersionState
	Modules        []Module // nil when loaded as a catalogue summary
	Files          []File   // images and attachments the Markdown refers to
	PublishedAt    time.Time
	UpdatedAt      time.Time
}

// VersionState is where a course version is in its life.
type VersionState string

// The version states: a course has at most one draft, at most one published
// version, and any number of retired ones that enrolled learners may keep.
const (
	StateDraft     VersionState = "draft"
	StatePublished VersionState = "published"
	StateRetired   VersionState = "retired"
)

// Minutes returns the sum of the activity minutes of a fully loaded course.
func (c *Course) Minutes() int {
	n := 0
	for _, m := range c.Modules {
		for _, a := range m.Activities {
			n += a.Minutes
		}
	}
	return n
}

// LessonCount returns the number of activities of a fully loaded course.
func (c *Course) LessonCount() int {
	n := 0
	for _, m := range c.Modules {
		n += len(m.Activities)
	}
	return n
}

// Activities returns every activity of a fully loaded course in course
// order, each with its module.
func (c *Course) Activities() []Step {
	var out []Step
	for i := range c.Modules {
		for j := range c.Modules[i].Activities {
			out = append(out, Step{Module: &c.Modules[i], Activity: &c.Modules[i].Activities[j], Index: len(out)})
		}
	}
	return out
}

// Step is an activity at its place in a course: what the lesson pages step
// through with next and previous.
type Step struct {
	Module   *Module
	Activity *Activity
	Index    int // 0-based position in the whole course
}

// Find returns the step with the activity at moduleSlug/activitySlug.
func (c *Course) Find(moduleSlug, activitySlug string) (Step, bool) {
	for _, s := range c.Activities() {
		if s.Module.Slug == moduleSlug && s.Activity.Slug == activitySlug {
			return s, true
		}
	}
	return Step{}, false
}

// Module is an ordered part of a course.
type Module struct {
	ID         int64
	Position   int
	Slug       string
	Title      string
	Summary    string
	Intro      string // Markdown
	Activities []Activity
}

// CourseFilter narrows the catalogue. Zero values mean "any".
type CourseFilter struct {
	Office Office
	Topic  Topic
	Query  string // words that must all occur in the title, summary or description
}

// ImportOptions says how a course folder is saved. A new course is
// published at once (its first version) unless Draft is set; a new version
// of an existing course stays a draft unless Publish is set.
type ImportOptions struct {
	Publish      bool  // publish the new version at once
	Draft        bool  // keep even a new course's first version as a draft
	ReplaceDraft bool  // replace a draft made before (its changes are lost)
	Owner        int64 // a user who becomes an owner of the course; 0 for none
}

// CourseService reads and writes the course catalogue.
type CourseService interface {
	// ListCourses returns published courses matching f, without modules,
	// ordered by title in Dutch collation.
	ListCourses(ctx context.Context, f CourseFilter) ([]*Course, error)
	// CourseBySlug returns the published version of a course with all its
	// content, or ENOTFOUND.
	CourseBySlug(ctx context.Context, slug string) (*Course, error)
	// CourseVersion returns one version of a course with all its content.
	CourseVersion(ctx context.Context, versionID int64) (*Course, error)
	// SaveCourse saves c as a new draft version (see ImportOptions).
	SaveCourse(ctx context.Context, c *Course, opt ImportOptions) error
	// SaveCourses saves several courses in one transaction: all or none.
	SaveCourses(ctx context.Context, list []*Course, opt ImportOptions) error
	// CountCourses returns the number of courses.
	CountCourses(ctx context.Context) (int, error)
}

// SearchText folds s for searching: lower case, diacritics removed, so that
// "financien" finds "Financiën".
func SearchText(s string) string {
	return strings.ToLower(foldDiacritics(s))
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether s can name a course, module or lesson in a URL.
func ValidSlug(s string) bool { return len(s) <= 80 && slugPattern.MatchString(s) }
