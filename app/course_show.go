package main

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// courseView is the data of a course's public page: the course and, for a
// signed-in learner, their enrolment (nil when not enrolled).
type courseView struct {
	*courses.Course
	Enrolment *courses.Enrolment
}

// handleCourseShow shows a course's public page: what it is, for whom, how
// long it takes, and its modules and lessons.
func (a *application) handleCourseShow(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	slug = strings.Clone(slug)
	l := a.localeFrom(c)
	body, err := a.publicPage(c, "course:"+l.Lang+":"+slug, func() ([]byte, error) {
		course, err := a.courses.CourseBySlug(c.UserContext(), slug)
		if err != nil {
			return nil, err
		}
		v := courseView{Course: course}
		if u := userFrom(c); u != nil {
			e, err := a.learning.Enrolment(c.UserContext(), u.ID, course.ID)
			if err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
				return nil, err
			}
			v.Enrolment = e
		}
		p := a.newPage(c, course.Title, "catalogue", "/cursussen/"+slug, v)
		p.Description = course.Summary
		if p.User != nil {
			p.CSRF = a.csrfToken(c) // the enrol form
		}
		return a.views.render("course", p)
	})
	if err != nil {
		return err
	}
	return sendPage(c, body)
}
