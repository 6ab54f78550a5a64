package main

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// Request-scoped values set by authenticate.
const (
	localUser localKey = iota + 100
	localSession
	localScopes // set only for personal API tokens
)

// patPrefix starts every personal API token, so that it is told apart from
// a session token and recognised by secret scanners.
const patPrefix = "rz_pat_"

// userFrom returns the signed-in user, or nil.
func userFrom(c *fiber.Ctx) *courses.User {
	u, _ := c.Locals(localUser).(*courses.User)
	return u
}

// sessionFrom returns the current session, or nil.
func sessionFrom(c *fiber.Ctx) *courses.Session {
	s, _ := c.Locals(localSession).(*courses.Session)
	return s
}

// cookieName returns the name of a cookie: with the __Host- prefix when the
// site runs on https (the prefix requires Secure, path / and no domain).
func (a *application) cookieName(name string) string {
	if a.cfg.BaseURL.Scheme == "https" {
		return "__Host-" + name
	}
	return name
}

func (a *application) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: a.cookieName(name), Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: a.cfg.BaseURL.Scheme == "https", SameSite: fiber.CookieSameSiteLaxMode})
}

func (a *application) clearCookie(c *fiber.Ctx, name string) {
	a.setCookie(c, name, "", time.Unix(1, 0))
}

// setSessionCookies stores a browser session's tokens in cookies.
func (a *application) setSessionCookies(c *fiber.Ctx, r *signInResult) {
	a.setCookie(c, "rz_access", r.Access, r.AccessExpiry)
	if r.Refresh != "" {
		a.setCookie(c, "rz_refresh", r.Refresh, r.Session.ExpiresAt)
	}
}

// authenticateRequest finds the caller: a bearer token (API clients) or the
// session cookies (browsers). An expired access cookie is renewed with the
// refresh cookie, which rotates. It never refuses a request: the route's
// policy decides what anonymous callers may do. Every token is checked
// against its session in the database, so that signing out anywhere ends
// it everywhere at once.
func (a *application) authenticateRequest(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return courses.Errorf(courses.EUNAUTHORIZED, "authorization header is not a bearer token")
		}
		if strings.HasPrefix(token, patPrefix) {
			t, u, err := a.apiTokens.APITokenUser(ctx, tokenHash(token))
			if err != nil {
				return err
			}
			c.Locals(localUser, u)
			c.Locals(localScopes, t.Scopes)
			return c.Next()
		}
		s, u, err := a.auth.authenticate(ctx, token, audienceAPI)
		if err != nil {
			return err // a bad bearer token is an error, not anonymity
		}
		c.Locals(localUser, u)
		c.Locals(localSession, s)
		return c.Next()
	}
	if token := c.Cookies(a.cookieName("rz_access")); token != "" {
		s, u, err := a.auth.authenticate(ctx, token, audienceBrowser)
		if err == nil {
			c.Locals(localUser, u)
			c.Locals(localSession, s)
			return c.Next()
		}
		if courses.ErrorCode(err) != courses.EUNAUTHORIZED {
			return err
		}
	}
	if refresh := c.Cookies(a.cookieName("rz_refresh")); refresh != "" {
		r, err := a.auth.refresh(ctx, strings.Clone(refresh))
		switch {
		case err == nil:
			a.setSessionCookies(c, r)
			c.Locals(localUser, r.User)
			c.Locals(localSession, r.Session)
		case courses.ErrorCode(err) == courses.EUNAUTHORIZED:
			a.clearCookie(c, "rz_access")
			a.clearCookie(c, "rz_refresh")
		default:
			return err
		}
	}
	return c.Next()
}

// csrfToken returns the visitor's CSRF token, setting its cookie when there
// is none yet. Forms carry it in the hidden field _csrf (double submit: a
// site that cannot read our cookies cannot forge the field).
func (a *application) csrfToken(c *fiber.Ctx) string {
	if t := c.Cookies(a.cookieName("rz_csrf")); len(t) >= 32 {
		return strings.Clone(t)
	}
	t := randomToken()
	c.Cookie(&fiber.Cookie{Name: a.cookieName("rz_csrf"), Value: t, Path: "/", SessionOnly: true,
		HTTPOnly: true, Secure: a.cfg.BaseURL.Scheme == "https", SameSite: fiber.CookieSameSiteLaxMode})
	c.Locals(localCSRF, t)
	return t
}

const localCSRF localKey = 200

// checkCSRF refuses state-changing requests that do not carry the CSRF
// token of the visitor's cookie, and any that a browser marks as coming from
// another site. Requests with a bearer token carry no ambient credentials
// and need no token.
func (a *application) checkCSRF(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderAuthorization) != "" {
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return courses.Errorf(courses.EFORBIDDEN, "cross-site request refused")
	}
	// The token endpoint takes credentials in its body and sets no cookie.
	if c.Path() == "/api/v1/auth/token" {
		return c.Next()
	}
	cookie := c.Cookies(a.cookieName("rz_csrf"))
	sent := c.FormValue("_csrf")
	if sent == "" {
		sent = c.Get("X-CSRF-Token")
	}
	if len(cookie) < 32 || subtle.ConstantTimeCompare([]byte(cookie), []byte(sent)) != 1 {
		return courses.Invalid("csrf", courses.Problem{Key: courses.ProblemCSRF})
	}
	return c.Next()
}
