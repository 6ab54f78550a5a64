package main

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

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
		p := a.newPage(c, course.Title, "catalogue", "/cursussen/"+slug, course)
		p.Description = course.Summary
		return a.views.render("course", p)
	})
	if err != nil {
		return err
	}
	return sendPage(c, body)
}
