package main

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// auditView is the data of the audit log page.
type auditView struct {
	Events []courses.AuditEvent
	Action string
	Actor  string
}

// handleAuditLog shows the newest audit events, filtered by ?actie= (a
// prefix such as "signin") and ?gebruiker= (a user id).
func (a *application) handleAuditLog(c *fiber.Ctx) error {
	v := auditView{Action: c.Query("actie"), Actor: c.Query("gebruiker")}
	var actor int64
	if v.Actor != "" {
		n, err := strconv.ParseInt(v.Actor, 10, 64)
		if err != nil || n <= 0 {
			return courses.Invalid("bad actor", courses.Problem{Field: "gebruiker", Key: courses.ProblemNotNumber, Args: map[string]any{"value": truncateText(v.Actor, 20)}})
		}
		actor = n
	}
	if len(v.Action) > 40 {
		return courses.Invalid("bad action", courses.Problem{Field: "actie", Key: courses.ProblemTooLong, Args: map[string]any{"max": 40, "length": len(v.Action)}})
	}
	events, err := a.audit.AuditEvents(c.UserContext(), v.Action, actor, 200)
	if err != nil {
		return err
	}
	v.Events = events
	return a.renderForm(c, fiber.StatusOK, "audit", a.localeFrom(c).T("audit.title"), "audit", "/beheer/audit", v)
}
