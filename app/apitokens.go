package main

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// handleAPITokenCreate creates a personal API token and shows its secret
// once, on the account page.
func (a *application) handleAPITokenCreate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	u := userFrom(c)
	if !u.Role.CanHoldAPITokens() {
		return courses.Errorf(courses.EFORBIDDEN, "role %s cannot hold api tokens", u.Role)
	}
	problems := map[string]string{}
	name := strings.TrimSpace(c.FormValue("token_name"))
	if n := utf8.RuneCountInString(name); n < 2 || n > 60 {
		problems["token_name"] = l.T(courses.ProblemOutOfRange, "min", 2, "max", 60)
	}
	var scopes []string
	for _, s := range courses.Scopes {
		if c.FormValue("scope_"+strings.ReplaceAll(s, ":", "_")) == "ja" {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		problems["scopes"] = l.T(courses.ProblemRequired)
	}
	days, err := strconv.Atoi(c.FormValue("token_days", "90"))
	if err != nil || days < 1 || days > 365 {
		problems["token_days"] = l.T(courses.ProblemOutOfRange, "min", 1, "max", 365)
	}
	if len(problems) > 0 {
		return a.renderAccount(c, fiber.StatusBadRequest, accountView{Problems: problems})
	}
	secret := patPrefix + randomToken()
	expires := a.auth.now().Add(time.Duration(days) * 24 * time.Hour)
	t := &courses.APIToken{UserID: u.ID, Name: name, Prefix: secret[:len(patPrefix)+6], Scopes: scopes, ExpiresAt: &expires}
	if err := a.apiTokens.CreateAPIToken(ctx, t, tokenHash(secret)); err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "token.created", Subject: "token:" + itoa(int(t.ID)),
		Detail: "scopes=" + strings.Join(scopes, ","), RequestID: requestIDFrom(c)})
	return a.renderAccount(c, fiber.StatusOK, accountView{NewToken: secret})
}

// handleAPITokenRevoke ends one of the user's tokens at once.
func (a *application) handleAPITokenRevoke(c *fiber.Ctx) error {
	u := userFrom(c)
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return courses.Errorf(courses.ENOTFOUND, "no token %q", c.Params("id"))
	}
	if err := a.apiTokens.RevokeAPIToken(c.UserContext(), u.ID, id); err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "token.revoked", Subject: "token:" + itoa(int(id)), RequestID: requestIDFrom(c)})
	return c.Redirect("/account?opgeslagen=token", fiber.StatusSeeOther)
}
