package main

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"rsc.io/qr"
)

// twoFactorView is the data of the two-factor page.
type twoFactorView struct {
	Enabled       bool
	Required      bool
	Secret        string // grouped in fours, to type in by hand
	URI           string
	QR            template.HTML // an inline SVG of the URI
	RecoveryCodes []string      // shown once, right after enabling
	Problem       string
}

// handleTwoFactorShow shows the state of two-factor sign-in, or the setup
// with a new secret as QR code and as text.
func (a *application) handleTwoFactorShow(c *fiber.Ctx) error {
	return a.renderTwoFactor(c, fiber.StatusOK, "")
}

func (a *application) renderTwoFactor(c *fiber.Ctx, status int, problem string) error {
	ctx := c.UserContext()
	u := userFrom(c)
	v := twoFactorView{Enabled: u.TwoFactor, Required: u.Role.RequiresTwoFactor(), Problem: problem}
	if !u.TwoFactor {
		_, pending, err := a.users.TwoFactorSecrets(ctx, u.ID)
		if err != nil {
			return err
		}
		if pending == "" {
			pending = courses.NewTOTPSecret()
			if err := a.users.BeginTwoFactor(ctx, u.ID, pending); err != nil {
				return err
			}
		}
		v.URI = courses.TOTPURI("Raadzaam", u.Email, pending)
		v.Secret = groupInFours(pending)
		svg, err := qrSVG(v.URI, a.localeFrom(c).T("twofactor.qr_label"))
		if err != nil {
			return err
		}
		v.QR = svg
	}
	return a.renderForm(c, status, "two-factor", a.localeFrom(c).T("twofactor.title"), "account", "/account/tweestaps", v)
}

// handleTwoFactorEnable confirms the pending secret with a code from the
// app and shows ten recovery codes, once.
func (a *application) handleTwoFactorEnable(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := userFrom(c)
	l := a.localeFrom(c)
	if u.TwoFactor {
		return c.Redirect("/account/tweestaps", fiber.StatusSeeOther)
	}
	_, pending, err := a.users.TwoFactorSecrets(ctx, u.ID)
	if err != nil {
		return err
	}
	step, ok := courses.MatchTOTP(pending, c.FormValue("code"), a.auth.now())
	if pending == "" || !ok {
		return a.renderTwoFactor(c, fiber.StatusBadRequest, l.T(courses.ProblemBadCode))
	}
	codes := courses.NewRecoveryCodes(10)
	hashes := make([]string, len(codes))
	for i, code := range codes {
		hashes[i] = tokenHash(courses.NormalizeRecoveryCode(code))
	}
	if err := a.users.EnableTwoFactor(ctx, u.ID, step, hashes); err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "2fa.enabled", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	return a.renderForm(c, fiber.StatusOK, "two-factor", l.T("twofactor.title"), "account", "/account/tweestaps",
		twoFactorView{Enabled: true, Required: u.Role.RequiresTwoFactor(), RecoveryCodes: codes})
}

// handleTwoFactorDisable turns two-factor sign-in off after a valid code,
// for roles that do not require it.
func (a *application) handleTwoFactorDisable(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := userFrom(c)
	l := a.localeFrom(c)
	if u.Role.RequiresTwoFactor() {
		return courses.Invalid("required", courses.Problem{Key: courses.ProblemTwoFactorSetup})
	}
	if err := a.auth.checkSecondFactor(ctx, u.ID, c.FormValue("code"), requestIDFrom(c)); err != nil {
		if courses.ErrorCode(err) == courses.EUNAUTHORIZED {
			return a.renderTwoFactor(c, fiber.StatusBadRequest, l.T(courses.ProblemBadCode))
		}
		return err
	}
	if err := a.users.DisableTwoFactor(ctx, u.ID); err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "2fa.disabled", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	return c.Redirect("/account/tweestaps", fiber.StatusSeeOther)
}

func groupInFours(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// qrSVG draws text as a QR code in SVG, one path of black modules, with a
// quiet zone of four modules and an accessible name.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	n := code.Size
	var path strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.Black(x, y) {
				path.WriteString("M" + itoa(x+4) + " " + itoa(y+4) + "h1v1h-1z")
			}
		}
	}
	size := itoa(n + 8)
	return template.HTML(`<svg xmlns="http://www.w3.org/2000/svg" class="rz-qr" viewBox="0 0 ` + size + ` ` + size + `" role="img" aria-label="` +
		template.HTMLEscapeString(label) + `"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="` + path.String() + `"/></svg>`), nil //nolint:gosec // built from numbers and an escaped label
}

func itoa(n int) string { return strconv.Itoa(n) }
