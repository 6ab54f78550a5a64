package main

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// Lifetimes of the links sent by e-mail.
const (
	resetTTL      = time.Hour
	invitationTTL = 7 * 24 * time.Hour
)

// Limits on asking for reset mails: per address and per client address.
var (
	resetAccountLimit = courses.LimitPolicy{Window: time.Hour, Free: 3, BaseLock: 15 * time.Minute, MaxLock: 6 * time.Hour}
	resetAddressLimit = courses.LimitPolicy{Window: time.Hour, Free: 20, BaseLock: 15 * time.Minute, MaxLock: 6 * time.Hour}
)

// tokenForm is the data of the pages that ask for an address or set a
// password through a link.
type tokenForm struct {
	Email    string
	Name     string
	Purpose  string // courses.TokenPasswordReset or courses.TokenInvitation
	Action   string // where the form posts
	Sent     bool
	Problems map[string]string // field → translated message
	Message  string
}

// handleForgotShow shows the form that asks for a reset mail.
func (a *application) handleForgotShow(c *fiber.Ctx) error {
	l := a.localeFrom(c)
	return a.renderForm(c, fiber.StatusOK, "forgot", l.T("forgot.title"), "signin", "/wachtwoord-vergeten", tokenForm{})
}

// handleForgot sends a reset link when the address has an active account.
// The answer is the same either way, so that the form does not tell who
// has an account.
func (a *application) handleForgot(c *fiber.Ctx) error {
	l := a.localeFrom(c)
	form := tokenForm{Email: strings.ToLower(strings.TrimSpace(c.FormValue("email")))}
	if !courses.ValidEmail(form.Email) {
		form.Problems = map[string]string{"email": l.TArgs(courses.ProblemBadEmail, map[string]any{"value": form.Email})}
		return a.renderForm(c, fiber.StatusBadRequest, "forgot", l.T("forgot.title"), "signin", "/wachtwoord-vergeten", form)
	}
	ctx := c.UserContext()
	for key, policy := range map[string]courses.LimitPolicy{
		"reset:email:" + a.auth.pseudonym(form.Email): resetAccountLimit,
		"reset:ip:" + a.auth.pseudonym(c.IP()):        resetAddressLimit,
	} {
		// Every request counts: asking is the thing being limited.
		if until, err := a.auth.limiter.Fail(ctx, key, policy); err != nil {
			return err
		} else if !until.IsZero() {
			form.Message = l.T("error.rate_limited") + " " + l.TArgs(courses.ProblemLockedUntil, map[string]any{"until": until})
			return a.renderForm(c, fiber.StatusTooManyRequests, "forgot", l.T("forgot.title"), "signin", "/wachtwoord-vergeten", form)
		}
	}
	id, _, active, err := a.users.Credentials(ctx, form.Email)
	switch {
	case err == nil && active:
		u, err := a.users.UserByID(ctx, id)
		if err != nil {
			return err
		}
		token := randomToken()
		expires := a.auth.now().Add(resetTTL)
		m, err := a.mails.render("password-reset", u.Email, mailData{Locale: a.catalog.Locale(u.Language), Name: u.Name,
			Link: a.cfg.BaseURL.String() + "/wachtwoord-herstellen/" + token, Expires: expires})
		if err != nil {
			return err
		}
		if err := a.users.IssueAccountToken(ctx, courses.AccountToken{Hash: tokenHash(token), UserID: u.ID,
			Purpose: courses.TokenPasswordReset, ExpiresAt: expires}, m); err != nil {
			return err
		}
		a.mailer.notify()
		a.auth.record(ctx, courses.AuditEvent{Action: "password.reset_requested", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	case err != nil && courses.ErrorCode(err) != courses.ENOTFOUND:
		return err
	}
	form.Sent = true
	return a.renderForm(c, fiber.StatusOK, "forgot", l.T("forgot.title"), "signin", "/wachtwoord-vergeten", form)
}

// handleTokenShow shows the form that sets a password through a link from
// an e-mail: a reset, or accepting an invitation.
func (a *application) handleTokenShow(purpose string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		l := a.localeFrom(c)
		u, err := a.users.PeekAccountToken(c.UserContext(), tokenHash(c.Params("token")), purpose)
		if courses.ErrorCode(err) == courses.ENOTFOUND {
			return a.renderForm(c, fiber.StatusNotFound, "set-password", l.T("token.invalid_title"), "", c.Path(),
				tokenForm{Purpose: purpose, Message: l.T("token.invalid")})
		}
		if err != nil {
			return err
		}
		return a.renderForm(c, fiber.StatusOK, "set-password", l.T("token."+purpose+".title"), "", c.Path(),
			tokenForm{Purpose: purpose, Name: u.Name, Email: u.Email, Action: strings.Clone(c.Path())})
	}
}

// handleTokenUse sets the password, spends the link and signs the user in.
func (a *application) handleTokenUse(purpose string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		l := a.localeFrom(c)
		hash := tokenHash(c.Params("token"))
		u, err := a.users.PeekAccountToken(ctx, hash, purpose)
		if courses.ErrorCode(err) == courses.ENOTFOUND {
			return a.renderForm(c, fiber.StatusNotFound, "set-password", l.T("token.invalid_title"), "", c.Path(),
				tokenForm{Purpose: purpose, Message: l.T("token.invalid")})
		}
		if err != nil {
			return err
		}
		form := tokenForm{Purpose: purpose, Name: u.Name, Email: u.Email, Action: strings.Clone(c.Path()), Problems: map[string]string{}}
		password := c.FormValue("password")
		for _, p := range courses.CheckPassword(password, u.Email, u.Name) {
			form.Problems["password"] = l.TArgs(p.Key, p.Args)
		}
		if password != c.FormValue("password2") && len(form.Problems) == 0 {
			form.Problems["password2"] = l.T("problem.passwords_differ")
		}
		if len(form.Problems) > 0 {
			return a.renderForm(c, fiber.StatusBadRequest, "set-password", l.T("token."+purpose+".title"), "", c.Path(), form)
		}
		pw, err := a.auth.hashPassword(ctx, password)
		if err != nil {
			return err
		}
		if u, err = a.users.UseAccountToken(ctx, hash, purpose, pw); err != nil {
			return err
		}
		a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: map[string]string{
			courses.TokenPasswordReset: "password.reset", courses.TokenInvitation: "invitation.accepted"}[purpose],
			Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
		if u.TwoFactor {
			// A link from a mailbox is one factor: the code still follows.
			token, err := a.auth.issueTwoFactor(u.ID)
			if err != nil {
				return err
			}
			a.setCookie(c, "rz_2fa", token, a.auth.now().Add(twoFactorTTL))
			return c.Redirect("/inloggen/code", fiber.StatusSeeOther)
		}
		r, err := a.auth.startSession(ctx, u.ID, courses.SessionBrowser)
		if err != nil {
			return err
		}
		a.setSessionCookies(c, r)
		return c.Redirect(afterSignIn(u, "/account"), fiber.StatusSeeOther)
	}
}
