package main

import (
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// access is the policy of a route: who may call it. Every route in
// routes.go names one; a route without a policy does not exist (see
// TestEveryRouteHasAPolicy), so the default is deny.
type access struct {
	name  string
	allow func(u *courses.User) bool // nil: anyone, signed in or not
	// setup marks the few routes a user whose role requires two-factor
	// sign-in may use before setting it up.
	setup bool
	// scope is what a personal API token must hold to use the route; routes
	// without one are closed to personal tokens.
	scope string
}

// withScope returns the policy opened to personal API tokens with scope.
func (p access) withScope(scope string) access {
	p.scope = scope
	p.name += " (token scope " + scope + ")"
	return p
}

var (
	public   = access{name: "public"}
	signedIn = access{name: "signed-in", allow: func(u *courses.User) bool { return true }}
	// setupAllowed is signedIn, also for users who still have to set up
	// their second factor: the setup pages, the account page, signing out.
	setupAllowed = access{name: "signed-in, also during two-factor setup", allow: signedIn.allow, setup: true}
	admins       = access{name: "admin", allow: func(u *courses.User) bool { return u.Role == courses.RoleAdmin }}
	// associationAdmins are association admins (each for their own
	// associations; the handler answers 404 for others) and admins.
	associationAdmins = access{name: "association-admin", allow: func(u *courses.User) bool {
		return u.Role == courses.RoleAssociationAdmin || u.Role == courses.RoleAdmin
	}}
)

// handle registers a route with its policy; routes that change state also
// check the CSRF token first.
func (a *application) handle(method, path string, policy access, h fiber.Handler) {
	a.policies[method+" "+path] = policy
	chain := []fiber.Handler{a.require(policy), h}
	if method != fiber.MethodGet && method != fiber.MethodHead {
		chain = []fiber.Handler{a.require(policy), a.checkCSRF, h}
	}
	a.fiber.Add(method, path, chain...)
}

// require enforces a policy: anonymous callers of a protected route get 401
// (browsers are sent to the sign-in page), callers without the right get 403.
func (a *application) require(policy access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if policy.allow == nil {
			return c.Next()
		}
		if scopes, ok := c.Locals(localScopes).([]string); ok && !slices.Contains(scopes, policy.scope) {
			return &courses.Error{Code: courses.EFORBIDDEN, Message: "api token lacks scope " + policy.scope,
				Problems: []courses.Problem{{Key: courses.ProblemScope, Args: map[string]any{"scope": policy.scope}}}}
		}
		u := userFrom(c)
		if u == nil {
			if !wantsJSON(c) && c.Method() == fiber.MethodGet {
				return c.Redirect("/inloggen?terug="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			return courses.Errorf(courses.EUNAUTHORIZED, "sign in first")
		}
		if u.Role.RequiresTwoFactor() && !u.TwoFactor && !policy.setup {
			if !wantsJSON(c) && c.Method() == fiber.MethodGet {
				return c.Redirect("/account/tweestaps", fiber.StatusSeeOther)
			}
			return &courses.Error{Code: courses.EFORBIDDEN, Message: "set up two-factor sign-in first",
				Problems: []courses.Problem{{Key: courses.ProblemTwoFactorSetup}}}
		}
		if !policy.allow(u) {
			return courses.Errorf(courses.EFORBIDDEN, "role %s may not %s %s", u.Role, c.Method(), c.Route().Path)
		}
		return c.Next()
	}
}
