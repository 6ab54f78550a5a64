package main

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// signInForm is the data of the sign-in page.
type signInForm struct {
	Email   string
	Back    string
	Message string // a translated error, shown above the form
}

// handleSignInShow shows the sign-in form.
func (a *application) handleSignInShow(c *fiber.Ctx) error {
	back := localPath(c.Query("terug", "/mijn-leren"))
	if userFrom(c) != nil {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	return a.renderSignIn(c, fiber.StatusOK, signInForm{Back: back})
}

func (a *application) renderSignIn(c *fiber.Ctx, status int, form signInForm) error {
	return a.renderForm(c, status, "signin", a.localeFrom(c).T("signin.title"), "signin", "/inloggen", form)
}

// handleSignIn checks the address and password and starts a browser session.
// Wrong input re-renders the form with one message that does not say which
// of the two was wrong.
func (a *application) handleSignIn(c *fiber.Ctx) error {
	form := signInForm{Email: strings.Clone(c.FormValue("email")), Back: localPath(c.FormValue("terug"))}
	if form.Back == "/" {
		form.Back = "/mijn-leren"
	}
	r, err := a.auth.signIn(c.UserContext(), form.Email, c.FormValue("password"), "", strings.Clone(c.IP()),
		courses.SessionBrowser, requestIDFrom(c))
	l := a.localeFrom(c)
	var second *secondFactorNeeded
	if errors.As(err, &second) {
		token, err := a.auth.issueTwoFactor(second.userID)
		if err != nil {
			return err
		}
		a.setCookie(c, "rz_2fa", token, a.auth.now().Add(twoFactorTTL))
		return c.Redirect("/inloggen/code?terug="+url.QueryEscape(form.Back), fiber.StatusSeeOther)
	}
	switch courses.ErrorCode(err) {
	case "":
	case courses.EUNAUTHORIZED:
		form.Message = l.T("signin.failed")
		return a.renderSignIn(c, fiber.StatusUnauthorized, form)
	case courses.ERATELIMIT:
		form.Message = l.T("error.rate_limited") + " " + l.Problem(courses.ErrorProblems(err)[0])
		return a.renderSignIn(c, fiber.StatusTooManyRequests, form)
	default:
		return err
	}
	a.setSessionCookies(c, r)
	return c.Redirect(afterSignIn(r.User, form.Back), fiber.StatusSeeOther)
}

// afterSignIn is where a new session goes: the two-step setup when the
// role requires it and it is not on yet, else where the user was going.
func afterSignIn(u *courses.User, back string) string {
	if u != nil && u.Role.RequiresTwoFactor() && !u.TwoFactor {
		return "/account/tweestaps"
	}
	return back
}

// handleSignOut ends the current session.
func (a *application) handleSignOut(c *fiber.Ctx) error {
	u, s := userFrom(c), sessionFrom(c)
	if err := a.sessions.RevokeSession(c.UserContext(), s.ID, "signed out"); err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "signout", Subject: subjectOf(u.ID), RequestID: requestIDFrom(c)})
	a.clearCookie(c, "rz_access")
	a.clearCookie(c, "rz_refresh")
	return c.Redirect("/", fiber.StatusSeeOther)
}

// handleSignOutEverywhere ends every session of the user, on every device.
func (a *application) handleSignOutEverywhere(c *fiber.Ctx) error {
	u := userFrom(c)
	n, err := a.sessions.RevokeUserSessions(c.UserContext(), u.ID, "signed out everywhere")
	if err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "signout.everywhere", Subject: subjectOf(u.ID),
		Detail: "sessions=" + strconv.Itoa(n), RequestID: requestIDFrom(c)})
	a.clearCookie(c, "rz_access")
	a.clearCookie(c, "rz_refresh")
	return c.Redirect("/inloggen?uitgelogd=overal", fiber.StatusSeeOther)
}

// tokenRequest is the body of POST /api/v1/auth/token.
type tokenRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp"` // a code from the authenticator app, or a recovery code
}

// tokenResponse is its answer (CONTRACT.md).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// handleAPIToken exchanges an e-mail address and password for a bearer
// token, under the same limits as the sign-in form.
func (a *application) handleAPIToken(c *fiber.Ctx) error {
	var req tokenRequest
	if err := c.BodyParser(&req); err != nil {
		return courses.Invalid("bad JSON", courses.Problem{Field: "body", Key: courses.ProblemBadJSON})
	}
	var problems []courses.Problem
	if req.Email == "" {
		problems = append(problems, courses.Problem{Field: "email", Key: courses.ProblemRequired})
	}
	if req.Password == "" {
		problems = append(problems, courses.Problem{Field: "password", Key: courses.ProblemRequired})
	}
	if len(problems) > 0 {
		return courses.Invalid("token request", problems...)
	}
	r, err := a.auth.signIn(c.UserContext(), req.Email, req.Password, req.TOTP, strings.Clone(c.IP()), courses.SessionAPI, requestIDFrom(c))
	var second *secondFactorNeeded
	if errors.As(err, &second) {
		return &courses.Error{Code: courses.EUNAUTHORIZED, Message: "second factor needed",
			Problems: []courses.Problem{{Field: "totp", Key: courses.ProblemTwoFactorNeeded}}}
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(tokenResponse{AccessToken: r.Access, TokenType: "Bearer", ExpiresIn: int(r.AccessExpiry.Sub(a.auth.now()).Seconds())})
}

// apiMe is the caller's own account in the API.
type apiMe struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Language string `json:"language"`
}

// handleAPIMe returns the caller's account.
func (a *application) handleAPIMe(c *fiber.Ctx) error {
	u := userFrom(c)
	return c.JSON(apiMe{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Language: u.Language})
}

// codeForm is the data of the second sign-in step.
type codeForm struct {
	Back    string
	Message string
}

// handleCodeShow asks for the code of the authenticator app.
func (a *application) handleCodeShow(c *fiber.Ctx) error {
	if _, err := a.auth.parseTwoFactor(c.Cookies(a.cookieName("rz_2fa"))); err != nil {
		return c.Redirect("/inloggen", fiber.StatusSeeOther)
	}
	return a.renderForm(c, fiber.StatusOK, "signin-code", a.localeFrom(c).T("code.title"), "signin", "/inloggen/code",
		codeForm{Back: localPath(c.Query("terug", "/mijn-leren"))})
}

// handleCode checks the code and starts the session.
func (a *application) handleCode(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	id, err := a.auth.parseTwoFactor(c.Cookies(a.cookieName("rz_2fa")))
	if err != nil {
		return c.Redirect("/inloggen", fiber.StatusSeeOther)
	}
	form := codeForm{Back: localPath(c.FormValue("terug"))}
	err = a.auth.checkSecondFactor(ctx, id, c.FormValue("code"), requestIDFrom(c))
	switch courses.ErrorCode(err) {
	case "":
	case courses.EUNAUTHORIZED:
		form.Message = l.T("code.failed")
		return a.renderForm(c, fiber.StatusUnauthorized, "signin-code", l.T("code.title"), "signin", "/inloggen/code", form)
	case courses.ERATELIMIT:
		form.Message = l.T("error.rate_limited") + " " + l.Problem(courses.ErrorProblems(err)[0])
		return a.renderForm(c, fiber.StatusTooManyRequests, "signin-code", l.T("code.title"), "signin", "/inloggen/code", form)
	default:
		return err
	}
	r, err := a.auth.startSession(ctx, id, courses.SessionBrowser)
	if err != nil {
		return err
	}
	a.clearCookie(c, "rz_2fa")
	a.setSessionCookies(c, r)
	if form.Back == "/" {
		form.Back = "/mijn-leren"
	}
	return c.Redirect(form.Back, fiber.StatusSeeOther)
}
