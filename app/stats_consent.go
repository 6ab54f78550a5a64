package main

import (
	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// handleConsent lets a member give or withdraw an association's view of
// their own progress; audited. Statistics never need it: they count
// without names.
func (a *application) handleConsent(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := userFrom(c)
	as, err := a.users.AssociationBySlug(ctx, c.FormValue("vereniging"))
	if err != nil {
		return err
	}
	on := c.FormValue("delen") == "ja"
	if err := db.NewStatsService(a.db).SetConsent(ctx, as.ID, u.ID, on); err != nil {
		return err
	}
	action := "consent.withdrawn"
	if on {
		action = "consent.given"
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: action, Subject: "association:" + as.Slug, RequestID: requestIDFrom(c)})
	return c.Redirect("/account?opgeslagen=delen#account-memberships", fiber.StatusSeeOther)
}

// memberProgressView lists, per member who allowed it, their courses.
type memberProgressView struct {
	Association *courses.Association
	Members     []memberProgress
}

type memberProgress struct {
	Name    string
	Courses []db.MemberProgress
}

// handleMemberProgress shows an association's admins the progress of the
// members who allowed it, and nobody else's.
func (a *application) handleMemberProgress(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	list, err := db.NewStatsService(a.db).ConsentedProgress(c.UserContext(), as.ID)
	if err != nil {
		return err
	}
	v := memberProgressView{Association: as}
	for _, p := range list {
		if n := len(v.Members); n == 0 || v.Members[n-1].Courses[0].UserID != p.UserID {
			v.Members = append(v.Members, memberProgress{Name: p.Name})
		}
		last := &v.Members[len(v.Members)-1]
		last.Courses = append(last.Courses, p)
	}
	l := a.localeFrom(c)
	return a.renderForm(c, fiber.StatusOK, "member-progress", l.T("consent.progress_title", "association", as.Name), "members",
		"/vereniging/"+as.Slug+"/voortgang", v)
}
