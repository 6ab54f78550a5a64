package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// officeInput is what someone typed to add an office.
type officeInput struct {
	Office, Municipality, StartsOn, EndsOn string
}

// officeFromForm reads an office with its municipality (by CBS code or
// name) and term, and the problems per field.
func (a *application) officeFromForm(c *fiber.Ctx) (courses.UserOffice, officeInput, map[string]string, error) {
	l := a.localeFrom(c)
	in := officeInput{Office: c.FormValue("office"), Municipality: strings.TrimSpace(c.FormValue("municipality")),
		StartsOn: c.FormValue("starts_on"), EndsOn: c.FormValue("ends_on")}
	problems := map[string]string{}
	o := courses.UserOffice{Office: courses.Office(in.Office)}
	if in.Office == "" {
		problems["office"] = l.T(courses.ProblemRequired)
	}
	if in.Municipality != "" {
		res, err := a.municipalities(c.UserContext())
		if err != nil {
			return o, in, nil, err
		}
		code, p := res.resolve(in.Municipality)
		if p != nil {
			problems["municipality"] = l.TArgs(p.Key, p.Args)
		}
		o.CBSCode = code
	}
	for field, dst := range map[string]**time.Time{"starts_on": &o.StartsOn, "ends_on": &o.EndsOn} {
		t, ok := courses.ParseDate(c.FormValue(field))
		if !ok {
			problems[field] = l.TArgs(courses.ProblemBadDate, map[string]any{"value": truncateText(c.FormValue(field), 20)})
		}
		*dst = t
	}
	if len(problems) == 0 {
		for _, p := range o.Validate() {
			problems[p.Field] = l.TArgs(p.Key, p.Args)
		}
	}
	return o, in, problems, nil
}

// officeTarget is whose offices a route changes: the signed-in user's own
// (/account/ambten) or, for admins, the user of the path.
func officeTarget(c *fiber.Ctx, self bool) (int64, string, error) {
	if self {
		return userFrom(c).ID, "/account", nil
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, "", courses.Errorf(courses.ENOTFOUND, "no user %q", c.Params("id"))
	}
	return id, "/beheer/gebruikers/" + strconv.FormatInt(id, 10), nil
}

// handleOfficeAdd adds an office, for the user themselves or by an admin.
func (a *application) handleOfficeAdd(self bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		id, back, err := officeTarget(c, self)
		if err != nil {
			return err
		}
		o, in, problems, err := a.officeFromForm(c)
		if err != nil {
			return err
		}
		if len(problems) == 0 {
			err = a.users.AddOffice(ctx, id, o)
			if courses.ErrorCode(err) == courses.EINVALID {
				problems = problemsByField(a.localeFrom(c), err)
			} else if err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			if self {
				return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: problems, Office: in})
			}
			return a.renderUserEdit(c, fiber.StatusBadRequest, id, userEditView{Problems: problems, Office: in})
		}
		a.auth.record(ctx, courses.AuditEvent{ActorID: userFrom(c).ID, Action: "office.added", Subject: subjectOf(id),
			Detail: "office=" + string(o.Office) + " municipality=" + o.CBSCode, RequestID: requestIDFrom(c)})
		return c.Redirect(back, fiber.StatusSeeOther)
	}
}

// handleOfficeRemove removes an office of the target user.
func (a *application) handleOfficeRemove(self bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, back, err := officeTarget(c, self)
		if err != nil {
			return err
		}
		officeID, err := strconv.ParseInt(c.Params("office"), 10, 64)
		if err != nil {
			return courses.Errorf(courses.ENOTFOUND, "no office %q", c.Params("office"))
		}
		if err := a.users.RemoveOffice(c.UserContext(), id, officeID); err != nil {
			return err
		}
		a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "office.removed", Subject: subjectOf(id), RequestID: requestIDFrom(c)})
		return c.Redirect(back, fiber.StatusSeeOther)
	}
}

// userEditView is the data of an admin's page about one user.
type userEditView struct {
	Person   *courses.User
	Problems map[string]string
	Office   officeInput
}

// handleUserEdit shows one user to an admin: name, role, offices,
// memberships and state, each changeable.
func (a *application) handleUserEdit(c *fiber.Ctx) error {
	id, _, err := officeTarget(c, false)
	if err != nil {
		return err
	}
	return a.renderUserEdit(c, fiber.StatusOK, id, userEditView{})
}

func (a *application) renderUserEdit(c *fiber.Ctx, status int, id int64, v userEditView) error {
	u, err := a.users.UserByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	v.Person = u
	return a.renderForm(c, status, "user", u.Name, "users", "/beheer/gebruikers/"+strconv.FormatInt(id, 10), v)
}

// handleUserName lets an admin correct a name as printed on certificates.
func (a *application) handleUserName(c *fiber.Ctx) error {
	id, back, err := officeTarget(c, false)
	if err != nil {
		return err
	}
	if err := a.users.SetName(c.UserContext(), id, c.FormValue("name")); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			return a.renderUserEdit(c, fiber.StatusBadRequest, id, userEditView{Problems: problemsByField(a.localeFrom(c), err)})
		}
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "user.renamed", Subject: subjectOf(id), RequestID: requestIDFrom(c)})
	return c.Redirect(back, fiber.StatusSeeOther)
}
