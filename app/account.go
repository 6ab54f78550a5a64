package main

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// accountView is the data of the account page: the account and, after a
// form was sent, its problems per field and what was saved.
type accountView struct {
	*courses.User
	Problems map[string]string
	Saved    string // a message key
	NewEmail string
	Tokens   []courses.APIToken
	NewToken string         // a new token's secret, shown once
	Office   officeInput    // an office being added, kept when refused
	Consents map[int64]bool // the associations that may see the user's own progress
}

// handleAccount shows the signed-in user's account.
func (a *application) handleAccount(c *fiber.Ctx) error {
	return a.renderAccount(c, fiber.StatusOK, accountView{Saved: savedMessage(c.Query("opgeslagen"))})
}

func savedMessage(what string) string {
	switch what {
	case "gegevens", "wachtwoord", "email", "token", "delen":
		return "account.saved." + what
	}
	return ""
}

func (a *application) renderAccount(c *fiber.Ctx, status int, v accountView) error {
	u, err := a.users.UserByID(c.UserContext(), userFrom(c).ID)
	if err != nil {
		return err
	}
	v.User = u
	if v.Consents, err = db.NewStatsService(a.db).Consents(c.UserContext(), u.ID); err != nil {
		return err
	}
	if u.Role.CanHoldAPITokens() {
		if v.Tokens, err = a.apiTokens.APITokens(c.UserContext(), u.ID); err != nil {
			return err
		}
	}
	return a.renderForm(c, status, "account", a.localeFrom(c).T("account.title"), "account", "/account", v)
}

// problemsByField translates the problems of err for the fields of a form.
func problemsByField(l *Locale, err error) map[string]string {
	out := map[string]string{}
	for _, p := range courses.ErrorProblems(err) {
		if _, seen := out[p.Field]; !seen {
			out[p.Field] = l.TArgs(p.Key, p.Args)
		}
	}
	return out
}

// handleProfileSave changes the name as printed on certificates and the
// language of the interface and e-mail.
func (a *application) handleProfileSave(c *fiber.Ctx) error {
	u := userFrom(c)
	err := a.users.UpdateProfile(c.UserContext(), u.ID, c.FormValue("name"), c.FormValue("language"))
	if courses.ErrorCode(err) == courses.EINVALID {
		return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: problemsByField(a.localeFrom(c), err)})
	}
	if err != nil {
		return err
	}
	if lang := c.FormValue("language"); isLanguage(lang) {
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: strings.Clone(lang), Path: "/", Expires: time.Now().AddDate(1, 0, 0),
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: a.cfg.BaseURL.Scheme == "https"})
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "account.updated", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	return c.Redirect("/account?opgeslagen=gegevens", fiber.StatusSeeOther)
}

// reauthenticate checks the current password of the signed-in user under
// the account's sign-in limit: changing the address or the password, and
// deleting the account, ask for it again.
func (a *application) reauthenticate(c *fiber.Ctx, field string) error {
	ctx := c.UserContext()
	u := userFrom(c)
	key := "signin:user:" + itoa(int(u.ID))
	if until, err := a.auth.limiter.LockedUntil(ctx, key); err != nil {
		return err
	} else if !until.IsZero() {
		return courses.Invalid("locked", courses.Problem{Field: field, Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}})
	}
	_, hash, _, err := a.users.Credentials(ctx, u.Email)
	if err != nil {
		return err
	}
	ok, err := a.auth.checkPassword(ctx, hash, c.FormValue(field))
	if err != nil {
		return err
	}
	if !ok {
		if _, err := a.auth.limiter.Fail(ctx, key, accountLimit); err != nil {
			return err
		}
		a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "reauth.failed", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
		return courses.Invalid("wrong password", courses.Problem{Field: field, Key: courses.ProblemWrongPassword})
	}
	return nil
}

// handlePasswordChange sets a new password after the current one, and
// signs out every other session.
func (a *application) handlePasswordChange(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	u := userFrom(c)
	if err := a.reauthenticate(c, "current_password"); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: problemsByField(l, err)})
		}
		return err
	}
	password := c.FormValue("new_password")
	problems := map[string]string{}
	for _, p := range courses.CheckPassword(password, u.Email, u.Name) {
		problems["new_password"] = l.TArgs(p.Key, p.Args)
	}
	if len(problems) == 0 && password != c.FormValue("new_password2") {
		problems["new_password2"] = l.T(courses.ProblemPasswordsDiffer)
	}
	if len(problems) > 0 {
		return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: problems})
	}
	hash, err := a.auth.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	if err := a.users.ChangePassword(ctx, u.ID, hash, sessionFrom(c).ID); err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "password.changed", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	return c.Redirect("/account?opgeslagen=wachtwoord", fiber.StatusSeeOther)
}

// handleEmailChange changes the address after the current password.
func (a *application) handleEmailChange(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	u := userFrom(c)
	v := accountView{NewEmail: strings.Clone(c.FormValue("email"))}
	if err := a.reauthenticate(c, "email_password"); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			v.Problems = problemsByField(l, err)
			return a.renderAccount(c, fiber.StatusBadRequest, v)
		}
		return err
	}
	if err := a.users.ChangeEmail(ctx, u.ID, v.NewEmail); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			v.Problems = problemsByField(l, err)
			return a.renderAccount(c, fiber.StatusBadRequest, v)
		}
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "email.changed", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	return c.Redirect("/account?opgeslagen=email", fiber.StatusSeeOther)
}

// dataExport is everything Raadzaam holds about a person (AVG art. 15 and
// 20): the account, offices, memberships and the audit entries about them.
type dataExport struct {
	ExportedAt  time.Time          `json:"exported_at"`
	Account     exportAccount      `json:"account"`
	Offices     []exportOffice     `json:"offices"`
	Memberships []exportMembership `json:"memberships"`
	// Certificates are the ones issued to the account, revoked ones too,
	// as verification shows them.
	Certificates []apiVerification    `json:"certificates"`
	Activity     []courses.AuditEvent `json:"activity"`
}

type exportAccount struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Language  string    `json:"language"`
	TwoFactor bool      `json:"two_factor"`
	CreatedAt time.Time `json:"created_at"`
}

type exportOffice struct {
	Office       string     `json:"office"`
	CBSCode      string     `json:"cbs_code,omitempty"`
	Municipality string     `json:"municipality,omitempty"`
	StartsOn     *time.Time `json:"starts_on,omitempty"`
	EndsOn       *time.Time `json:"ends_on,omitempty"`
}

type exportMembership struct {
	Association string `json:"association"`
	Admin       bool   `json:"admin"`
}

// handleDataExport downloads the signed-in user's data as JSON.
func (a *application) handleDataExport(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u, err := a.users.UserByID(ctx, userFrom(c).ID)
	if err != nil {
		return err
	}
	events, err := a.audit.AuditEvents(ctx, "", u.ID, 1000)
	if err != nil {
		return err
	}
	out := dataExport{ExportedAt: time.Now().UTC(), Activity: events, Offices: []exportOffice{}, Memberships: []exportMembership{},
		Account: exportAccount{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Language: u.Language, TwoFactor: u.TwoFactor, CreatedAt: u.CreatedAt}}
	for _, o := range u.Offices {
		out.Offices = append(out.Offices, exportOffice{Office: string(o.Office), CBSCode: o.CBSCode, Municipality: o.Municipality, StartsOn: o.StartsOn, EndsOn: o.EndsOn})
	}
	for _, m := range u.Memberships {
		out.Memberships = append(out.Memberships, exportMembership{Association: m.Association.Slug, Admin: m.Admin})
	}
	certs, err := a.certs.store.OfUser(ctx, u.ID)
	if err != nil {
		return err
	}
	out.Certificates = []apiVerification{}
	for i := range certs {
		out.Certificates = append(out.Certificates, toAPIVerification(&certs[i], a.auth.now()))
	}
	body, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "account.exported", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="raadzaam-mijn-gegevens.json"`)
	return c.Send(body)
}

// handleAccountDelete deletes the signed-in user's account after the
// current password. Admins cannot delete themselves here (another admin
// must, so that the platform never loses its last admin by accident).
func (a *application) handleAccountDelete(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	u := userFrom(c)
	if u.Role == courses.RoleAdmin {
		return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: map[string]string{"delete_password": l.T(courses.ProblemAdminDelete)}})
	}
	if c.FormValue("confirm") != "ja" {
		return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: map[string]string{"confirm": l.T(courses.ProblemRequired)}})
	}
	if err := a.reauthenticate(c, "delete_password"); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: problemsByField(l, err)})
		}
		return err
	}
	if err := a.users.DeleteUser(ctx, u.ID); err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{Action: "account.deleted", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	a.clearCookie(c, "rz_access")
	a.clearCookie(c, "rz_refresh")
	return c.Redirect("/?verwijderd=1", fiber.StatusSeeOther)
}
