package main

import "github.com/gofiber/fiber/v2"

// dashboardRoutes registers the learner's dashboard and the learning
// paths.
func (a *application) dashboardRoutes() {
	get, post := fiber.MethodGet, fiber.MethodPost
	a.handle(get, "/mijn-leren", signedIn, a.handleDashboard)
	a.handle(get, "/leerpaden", public, a.handlePaths)
	a.handle(get, "/leerpaden/:slug", public, a.handlePathShow)
	a.handle(post, "/leerpaden/:slug/inschrijven", signedIn, a.handlePathEnrol)
}
