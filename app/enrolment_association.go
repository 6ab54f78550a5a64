package main

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// associationEnrolView is the data of the page where an association's
// admin enrols members in a course: one by e-mail address, or a list.
type associationEnrolView struct {
	Association *courses.Association
	Courses     []*courses.Course // the published courses to choose from
	Input       enrolInput
	Course      string            // the course chosen in the form for one member
	ListCourse  string            // the course chosen in the form for a list
	Problems    map[string]string // the one-member form's fields
	Upload      []string          // the list's problems, and its course's
	Enrolled    int               // members just enrolled anew; -1: none to show
}

// handleAssociationEnrolShow shows the forms to enrol members in a course.
func (a *application) handleAssociationEnrolShow(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	v := associationEnrolView{Association: as, Enrolled: -1}
	if n, err := strconv.Atoi(c.Query("ingeschreven")); err == nil && n >= 0 {
		v.Enrolled = n
	}
	return a.renderAssociationEnrol(c, fiber.StatusOK, v)
}

func (a *application) renderAssociationEnrol(c *fiber.Ctx, status int, v associationEnrolView) error {
	list, err := a.courses.ListCourses(c.UserContext(), courses.CourseFilter{})
	if err != nil {
		return err
	}
	v.Courses = list
	title := a.localeFrom(c).T("association_enrol.title", "name", v.Association.Name)
	return a.renderForm(c, status, "enrol-association", title, "members", "/vereniging/"+v.Association.Slug+"/inschrijven", v)
}

// handleAssociationEnrol enrols members of the caller's association in a
// published course: one by e-mail address, or everyone on an uploaded list
// (form field "wijze" is "lijst"). Only members can be enrolled; a list
// with any problem enrols nobody.
func (a *application) handleAssociationEnrol(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	l := a.localeFrom(c)
	v := associationEnrolView{Association: as, Enrolled: -1}
	list := c.FormValue("wijze") == "lijst"
	slug := strings.Clone(strings.TrimSpace(c.FormValue("cursus")))
	var course *courses.Course
	var courseProblem *courses.Problem
	switch {
	case slug == "":
		courseProblem = &courses.Problem{Field: "cursus", Key: courses.ProblemRequired}
	case !courses.ValidSlug(slug):
		courseProblem = &courses.Problem{Field: "cursus", Key: courses.ProblemUnknownCourse, Args: map[string]any{"value": truncateText(slug, 40)}}
	default:
		course, err = a.courses.CourseBySlug(ctx, slug)
		if courses.ErrorCode(err) == courses.ENOTFOUND {
			courseProblem = &courses.Problem{Field: "cursus", Key: courses.ProblemUnknownCourse, Args: map[string]any{"value": slug}}
		} else if err != nil {
			return err
		}
	}

	var n int
	if list {
		v.ListCourse = slug
		rows, file, problems, err := a.enrolmentList(c)
		if err != nil {
			return err
		}
		if courseProblem != nil {
			problems = append([]string{l.Problem(*courseProblem)}, problems...)
		}
		if len(problems) == 0 {
			n, err = a.learning.EnrolMany(ctx, course.ID, rows, file, userFrom(c).ID, courses.SourceAssociation, as.Slug)
			if courses.ErrorCode(err) == courses.EINVALID {
				problems = translateProblems(l, err)
			} else if err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			v.Upload = problems
			return a.renderAssociationEnrol(c, fiber.StatusBadRequest, v)
		}
	} else {
		v.Course = slug
		row, in, parse := a.enrolRowFrom(c)
		v.Input = in
		if courseProblem != nil {
			parse = append(parse, *courseProblem)
		}
		if len(parse) == 0 {
			n, err = a.learning.EnrolMany(ctx, course.ID, []courses.EnrolRow{row}, "", userFrom(c).ID, courses.SourceAssociation, as.Slug)
		}
		if len(parse) > 0 || courses.ErrorCode(err) == courses.EINVALID {
			v.Problems = problemsFor(l, parse, err)
			return a.renderAssociationEnrol(c, fiber.StatusBadRequest, v)
		}
		if err != nil {
			return err
		}
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: userFrom(c).ID, Action: "enrolment.created", Subject: "association:" + as.Slug,
		Detail: "course=" + course.Slug + " enrolled=" + strconv.Itoa(n), RequestID: requestIDFrom(c)})
	return c.Redirect("/vereniging/"+as.Slug+"/inschrijven?ingeschreven="+strconv.Itoa(n), fiber.StatusSeeOther)
}
