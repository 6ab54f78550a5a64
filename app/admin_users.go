package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

const usersPerPage = 50

// usersView is the data of the admin's user list with its invite form.
type usersView struct {
	Users    []*courses.User
	Total    int
	Query    string
	Page     int
	Pages    int
	Invite   inviteForm
	Invited  string // the address just invited
	Outbox   bool   // demo mode: invitations can be read at /beheer/post
	Problems map[string]string
}

// inviteForm is what an admin types to invite someone.
type inviteForm struct {
	Email, Name, Role, Office, Municipality, Association string
}

// handleUsers lists accounts, searchable by name or address.
func (a *application) handleUsers(c *fiber.Ctx) error {
	page, err := pageParam(c.Query("pagina"))
	if err != nil {
		return err
	}
	v := usersView{Query: strings.Clone(c.Query("zoek")), Page: page, Outbox: a.cfg.Demo, Invited: strings.Clone(c.Query("uitgenodigd"))}
	return a.renderUsers(c, fiber.StatusOK, v)
}

// pageParam reads the page number of a list (?pagina=): 1 when absent, a
// field error when it is not a number from 1 to 100,000 (so an offset
// cannot overflow).
func pageParam(p string) (int, error) {
	if p == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 100_000 {
		return 0, courses.Invalid("bad page", courses.Problem{Field: "pagina", Key: courses.ProblemNotNumber, Args: map[string]any{"value": truncateText(p, 10)}})
	}
	return n, nil
}

func (a *application) renderUsers(c *fiber.Ctx, status int, v usersView) error {
	users, total, err := a.users.ListUsers(c.UserContext(), v.Query, (v.Page-1)*usersPerPage, usersPerPage)
	if err != nil {
		return err
	}
	v.Users, v.Total, v.Pages = users, total, max(1, (total+usersPerPage-1)/usersPerPage)
	l := a.localeFrom(c)
	return a.renderForm(c, status, "users", l.T("users.title"), "users", "/beheer/gebruikers", v)
}

// handleInvite creates an account without a password and mails the
// invitation link, in one transaction.
func (a *application) handleInvite(c *fiber.Ctx) error {
	if err := a.countInvitation(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	l := a.localeFrom(c)
	f := inviteForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"),
		Office: c.FormValue("office"), Municipality: strings.ToUpper(strings.TrimSpace(c.FormValue("municipality"))),
		Association: c.FormValue("association")}
	nu := courses.NewUser{Email: f.Email, Name: f.Name, Role: courses.Role(f.Role), Language: l.Lang}
	if f.Office != "" {
		nu.Offices = []courses.UserOffice{{Office: courses.Office(f.Office), CBSCode: f.Municipality}}
	}
	if f.Association != "" {
		if nu.Role == courses.RoleAssociationAdmin {
			nu.AdminOf = []string{f.Association}
		} else {
			nu.Associations = []string{f.Association}
		}
	}
	token := randomToken()
	expires := a.auth.now().Add(invitationTTL)
	inviter := userFrom(c)
	m, err := a.mails.render("invitation", strings.ToLower(strings.TrimSpace(f.Email)), mailData{Locale: l, Name: strings.TrimSpace(f.Name),
		Link: a.cfg.BaseURL.String() + "/uitnodiging/" + token, Expires: expires, Inviter: inviter.Name})
	if err != nil {
		return err
	}
	u, err := a.users.InviteUser(ctx, &nu, courses.AccountToken{Hash: tokenHash(token), Purpose: courses.TokenInvitation, ExpiresAt: expires}, m)
	if problems := courses.ErrorProblems(err); courses.ErrorCode(err) == courses.EINVALID && len(problems) > 0 {
		v := usersView{Page: 1, Invite: f, Outbox: a.cfg.Demo, Problems: map[string]string{}}
		for _, p := range problems {
			v.Problems[p.Field] = l.TArgs(p.Key, p.Args)
		}
		return a.renderUsers(c, fiber.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	a.mailer.notify()
	a.auth.record(ctx, courses.AuditEvent{ActorID: inviter.ID, Action: "user.invited", Subject: subjectOf(u.ID),
		Detail: "role=" + string(u.Role), RequestID: requestIDFrom(c)})
	return c.Redirect("/beheer/gebruikers?uitgenodigd="+url.QueryEscape(u.Email), fiber.StatusSeeOther)
}

// handleSetActive deactivates or reactivates an account. Deactivation ends
// its sessions at once. Admins cannot deactivate themselves.
func (a *application) handleSetActive(active bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := strconv.ParseInt(c.Params("id"), 10, 64)
		if err != nil || id <= 0 {
			return courses.Errorf(courses.ENOTFOUND, "no user %q", c.Params("id"))
		}
		actor := userFrom(c)
		if id == actor.ID && !active {
			return courses.Invalid("self", courses.Problem{Field: "id", Key: courses.ProblemSelfDeactivate})
		}
		if err := a.users.SetActive(c.UserContext(), id, active); err != nil {
			return err
		}
		action := map[bool]string{true: "user.activated", false: "user.deactivated"}[active]
		a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: actor.ID, Action: action, Subject: subjectOf(id), RequestID: requestIDFrom(c)})
		return c.Redirect("/beheer/gebruikers", fiber.StatusSeeOther)
	}
}

// outboxView is the data of the outbox pages.
type outboxView struct {
	Mails []courses.Mail
	Mail  *courses.Mail
	Demo  bool // bodies are shown only in demo mode: they hold live links
}

// handleOutbox lists the newest e-mails and their delivery state.
func (a *application) handleOutbox(c *fiber.Ctx) error {
	mails, err := a.outbox.Mails(c.UserContext(), 100)
	if err != nil {
		return err
	}
	l := a.localeFrom(c)
	return a.renderForm(c, fiber.StatusOK, "outbox", l.T("outbox.title"), "outbox", "/beheer/post", outboxView{Mails: mails, Demo: a.cfg.Demo})
}

// handleOutboxMail shows one e-mail; its text only in demo mode.
func (a *application) handleOutboxMail(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return courses.Errorf(courses.ENOTFOUND, "no mail %q", c.Params("id"))
	}
	m, err := a.outbox.MailByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return a.renderForm(c, fiber.StatusOK, "outbox", m.Subject, "outbox", "/beheer/post", outboxView{Mail: m, Demo: a.cfg.Demo})
}

// handleSetRole changes a user's role; it holds from their next request.
// Admins cannot change their own role (no accidental lock-out).
func (a *application) handleSetRole(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return courses.Errorf(courses.ENOTFOUND, "no user %q", c.Params("id"))
	}
	actor := userFrom(c)
	if id == actor.ID {
		return courses.Invalid("self", courses.Problem{Field: "role", Key: courses.ProblemSelfDeactivate})
	}
	role := courses.Role(c.FormValue("role"))
	if err := a.users.SetRole(c.UserContext(), id, role); err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: actor.ID, Action: "user.role_changed", Subject: subjectOf(id),
		Detail: "role=" + string(role), RequestID: requestIDFrom(c)})
	return c.Redirect("/beheer/gebruikers", fiber.StatusSeeOther)
}

// associationsView is the data of the associations page.
type associationsView struct {
	Associations []courses.Association
	New          courses.Association
	Problems     map[string]string
}

// handleAssociations lists the associations with a form to add one.
func (a *application) handleAssociations(c *fiber.Ctx) error {
	return a.renderAssociations(c, fiber.StatusOK, associationsView{})
}

func (a *application) renderAssociations(c *fiber.Ctx, status int, v associationsView) error {
	list, err := a.users.Associations(c.UserContext())
	if err != nil {
		return err
	}
	v.Associations = list
	return a.renderForm(c, status, "associations", a.localeFrom(c).T("associations.title"), "associations", "/beheer/verenigingen", v)
}

// handleAssociationCreate adds an association.
func (a *application) handleAssociationCreate(c *fiber.Ctx) error {
	as := courses.Association{Slug: strings.TrimSpace(c.FormValue("slug")), Name: c.FormValue("name")}
	if err := a.users.CreateAssociation(c.UserContext(), &as); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			return a.renderAssociations(c, fiber.StatusBadRequest, associationsView{New: as, Problems: problemsByField(a.localeFrom(c), err)})
		}
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "association.created", Subject: "association:" + as.Slug, RequestID: requestIDFrom(c)})
	return c.Redirect("/beheer/verenigingen", fiber.StatusSeeOther)
}
