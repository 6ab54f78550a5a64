package main

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// apiCourse is a course in the catalogue list of the JSON API.
type apiCourse struct {
	Slug       string    `json:"slug"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	Audience   []string  `json:"audience"`
	Topics     []string  `json:"topics"`
	StudyHours float64   `json:"study_hours"`
	Level      string    `json:"level"`
	Language   string    `json:"language"`
	Version    int       `json:"version"`
	URL        string    `json:"url"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type apiCourseList struct {
	Courses []apiCourse `json:"courses"`
}

// apiCourseDetail is one course with its modules and their activities.
type apiCourseDetail struct {
	apiCourse
	Description string      `json:"description"`
	Minutes     int         `json:"minutes"`
	Modules     []apiModule `json:"modules"`
}

type apiModule struct {
	ID         int64         `json:"id"`
	Position   int           `json:"position"`
	Slug       string        `json:"slug"`
	Title      string        `json:"title"`
	Summary    string        `json:"summary"`
	Activities []apiActivity `json:"activities"`
}

// apiActivity is a lesson now; quizzes and sessions join with their kinds.
type apiActivity struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Minutes int    `json:"minutes"`
}

func (a *application) toAPICourse(c *courses.Course) apiCourse {
	out := apiCourse{
		Slug: c.Slug, Title: c.Title, Summary: c.Summary, Audience: make([]string, len(c.Audience)),
		Topics: make([]string, len(c.Topics)), StudyHours: c.StudyHours, Level: string(c.Level),
		Language: c.Language, Version: c.Version, URL: a.cfg.BaseURL.String() + "/cursussen/" + c.Slug,
		UpdatedAt: c.UpdatedAt.UTC(),
	}
	for i, o := range c.Audience {
		out.Audience[i] = string(o)
	}
	for i, t := range c.Topics {
		out.Topics[i] = string(t)
	}
	return out
}

// handleAPICourseList lists the published courses, optionally filtered by
// ?office= and ?topic=.
func (a *application) handleAPICourseList(c *fiber.Ctx) error {
	f, err := parseCourseFilter(c, "office", "topic")
	if err != nil {
		return err
	}
	list, err := a.courses.ListCourses(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := apiCourseList{Courses: make([]apiCourse, len(list))}
	for i, course := range list {
		out.Courses[i] = a.toAPICourse(course)
	}
	return c.JSON(out)
}

// handleAPICourseShow returns one course with its modules and activities.
func (a *application) handleAPICourseShow(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	course, err := a.courses.CourseBySlug(c.UserContext(), strings.Clone(slug))
	if err != nil {
		return err
	}
	out := apiCourseDetail{apiCourse: a.toAPICourse(course), Description: course.Description,
		Minutes: course.Minutes(), Modules: make([]apiModule, len(course.Modules))}
	for i, m := range course.Modules {
		am := apiModule{ID: m.ID, Position: m.Position, Slug: m.Slug, Title: m.Title, Summary: m.Summary,
			Activities: make([]apiActivity, len(m.Lessons))}
		for j, les := range m.Lessons {
			am.Activities[j] = apiActivity{ID: les.ID, Kind: "lesson", Slug: les.Slug, Title: les.Title, Minutes: les.Minutes}
		}
		out.Modules[i] = am
	}
	return c.JSON(out)
}
