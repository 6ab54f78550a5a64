package main

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthBody is the answer of /healthz and /readyz.
type healthBody struct {
	Status   string `json:"status"`
	Database string `json:"database,omitempty"`
}

// handleHealthz answers 200 while the process runs (liveness).
func (a *application) handleHealthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(healthBody{Status: "ok"})
}

// handleReadyz answers 200 when the database answers within a second and
// 503 otherwise (readiness: Fly stops routing to an instance that is not).
func (a *application) handleReadyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), time.Second)
	defer cancel()
	if err := a.db.Ping(ctx); err != nil {
		a.log.Warn("not ready", "error", err.Error())
		return c.Status(fiber.StatusServiceUnavailable).JSON(healthBody{Status: "unavailable", Database: string(a.db.Kind)})
	}
	return c.JSON(healthBody{Status: "ok", Database: string(a.db.Kind)})
}
