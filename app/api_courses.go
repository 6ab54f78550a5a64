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
	Validity   *int      `json:"certificate_valid_months"`
	URL        string    `json:"url"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type apiCourseList struct {
	Courses []apiCourse `json:"courses"`
}

// apiCourseDetail is one course with its modules and their activities.
type apiCourseDetail struct {
	apiCourse
	Description   string      `json:"description"`
	Prerequisites []string    `json:"prerequisites"`
	Minutes       int         `json:"minutes"`
	Modules       []apiModule `json:"modules"`
}

type apiModule struct {
	ID         int64         `json:"id"`
	Position   int           `json:"position"`
	Slug       string        `json:"slug"`
	Title      string        `json:"title"`
	Summary    string        `json:"summary"`
	Activities []apiActivity `json:"activities"`
}

// apiActivity is a lesson, quiz or session of a module.
type apiActivity struct {
	ID      int64       `json:"id"`
	Kind    string      `json:"kind"`
	Slug    string      `json:"slug"`
	Title   string      `json:"title"`
	Minutes int         `json:"minutes"`
	Quiz    *apiQuizRef `json:"quiz,omitempty"`
	Session *apiSession `json:"session,omitempty"`
}

// apiQuizRef summarises a quiz in the course outline.
type apiQuizRef struct {
	Questions   int `json:"questions"`
	PassMark    int `json:"pass_mark"`
	MaxAttempts int `json:"max_attempts"`
}

// apiSession is when and where a session takes place.
type apiSession struct {
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Location  string    `json:"location"`
	OnlineURL string    `json:"online_url"`
	Capacity  int       `json:"capacity"`
}

func (a *application) toAPICourse(c *courses.Course) apiCourse {
	out := apiCourse{
		Slug: c.Slug, Title: c.Title, Summary: c.Summary, Audience: make([]string, len(c.Audience)),
		Topics: make([]string, len(c.Topics)), StudyHours: c.StudyHours, Level: string(c.Level),
		Language: c.Language, Version: c.Version, URL: a.cfg.BaseURL.String() + "/cursussen/" + c.Slug,
		UpdatedAt: c.UpdatedAt.UTC(),
	}
	if c.ValidityMonths > 0 {
		n := c.ValidityMonths
		out.Validity = &n
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
	f, err := parseCourseFilter(c, "office", "topic", "q")
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
	out := apiCourseDetail{apiCourse: a.toAPICourse(course), Description: course.Description, Prerequisites: append([]string{}, course.Prerequisites...),
		Minutes: course.Minutes(), Modules: make([]apiModule, len(course.Modules))}
	for i, m := range course.Modules {
		am := apiModule{ID: m.ID, Position: m.Position, Slug: m.Slug, Title: m.Title, Summary: m.Summary,
			Activities: make([]apiActivity, len(m.Activities))}
		for j, act := range m.Activities {
			out := apiActivity{ID: act.ID, Kind: string(act.Kind), Slug: act.Slug, Title: act.Title, Minutes: act.Minutes}
			if q := act.Quiz; q != nil {
				out.Quiz = &apiQuizRef{Questions: len(q.Questions), PassMark: q.PassMark, MaxAttempts: q.MaxAttempts}
			}
			if s := act.Meeting; s != nil {
				out.Session = &apiSession{StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(), Location: s.Location, OnlineURL: s.OnlineURL, Capacity: s.Capacity}
			}
			am.Activities[j] = out
		}
		out.Modules[i] = am
	}
	return c.JSON(out)
}
