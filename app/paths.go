package main

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// pathService returns the learning paths. It is cheap to make; the
// application struct may hold one instead once server.go composes it.
func (a *application) pathService() courses.PathService { return db.NewPathService(a.db) }

// pathsView is the data of /leerpaden: every learning path, with the
// signed-in learner's progress in those they started.
type pathsView struct {
	Paths []*courses.LearningPath
}

// pathView is the data of a learning path's page: the path with its
// courses in order and, for a signed-in learner, their enrolments by
// course id (for the progress in each).
type pathView struct {
	Path       *courses.LearningPath
	Enrolments map[int64]*courses.Enrolment
}

// handlePaths lists the learning paths.
func (a *application) handlePaths(c *fiber.Ctx) error {
	l := a.localeFrom(c)
	body, err := a.publicPage(c, "paths:"+l.Lang, func() ([]byte, error) {
		list, err := a.pathService().Paths(c.UserContext(), userIDOf(c))
		if err != nil {
			return nil, err
		}
		p := a.newPage(c, l.T("paths.title"), "paths", "/leerpaden", pathsView{Paths: list})
		p.Description = l.T("paths.lead")
		return a.views.render("paths", p)
	})
	if err != nil {
		return err
	}
	return sendPage(c, body)
}

// handlePathShow shows a learning path: what it is for, its courses in
// order and, for a signed-in learner, how far they are and the form to
// start it.
func (a *application) handlePathShow(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no learning path %q", slug)
	}
	slug = strings.Clone(slug)
	l := a.localeFrom(c)
	body, err := a.publicPage(c, "path:"+l.Lang+":"+slug, func() ([]byte, error) {
		ctx := c.UserContext()
		path, err := a.pathService().PathBySlug(ctx, slug, userIDOf(c))
		if err != nil {
			return nil, err
		}
		v := pathView{Path: path, Enrolments: map[int64]*courses.Enrolment{}}
		if u := userFrom(c); u != nil {
			list, err := a.learning.Enrolments(ctx, u.ID)
			if err != nil {
				return nil, err
			}
			for _, e := range list {
				v.Enrolments[e.CourseID] = e
			}
		}
		p := a.newPage(c, path.Title, "paths", "/leerpaden/"+slug, v)
		p.Description = path.Summary
		return a.views.render("path", p)
	})
	if err != nil {
		return err
	}
	return sendPage(c, body)
}

// handlePathEnrol starts a learning path for the signed-in learner, who is
// enrolled in each of its courses, and takes them to their dashboard.
func (a *application) handlePathEnrol(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no learning path %q", slug)
	}
	slug = strings.Clone(slug)
	ctx := c.UserContext()
	ps := a.pathService()
	path, err := ps.PathBySlug(ctx, slug, 0)
	if err != nil {
		return err
	}
	u := userFrom(c)
	created, err := ps.EnrolInPath(ctx, u.ID, path.ID)
	if err != nil {
		return err
	}
	if created {
		a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "path_enrolment.created", Subject: "path:" + slug, RequestID: requestIDFrom(c)})
	}
	return c.Redirect("/mijn-leren", fiber.StatusSeeOther)
}

// userIDOf returns the signed-in user's id, or 0 for a visitor.
func userIDOf(c *fiber.Ctx) int64 {
	if u := userFrom(c); u != nil {
		return u.ID
	}
	return 0
}
