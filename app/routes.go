package main

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes is Raadzaam's one route table. Every /api/ route here is also in
// the OpenAPI document (openapi_test checks both ways).
func (a *application) routes() {
	app := a.fiber
	app.Use(requestID, a.logRequests, recover.New(), a.securityHeaders,
		compress.New(compress.Config{Level: compress.LevelBestSpeed}))

	app.Get("/healthz", a.handleHealthz)
	app.Get("/readyz", a.handleReadyz)
	app.Get("/static/*", a.assets.handleStatic)
	app.Get("/favicon.ico", a.handleFavicon)
	app.Get("/robots.txt", handleRobots)

	app.Use(a.negotiateLanguage)

	// Pages (HTML).
	app.Get("/", a.handleHome)
	app.Get("/cursussen", a.handleCatalogue)
	app.Get("/cursussen/:slug", a.handleCourseShow)
	app.Get("/taal", a.handleLanguage)
	app.Get("/toegankelijkheid", a.handleAccessibility)

	// JSON API (CONTRACT.md).
	app.Get("/api/openapi.json", a.handleOpenAPI)
	api := app.Group("/api/v1")
	api.Get("/courses", a.handleAPICourseList)
	api.Get("/courses/:slug", a.handleAPICourseShow)
	// Paths without a route reach Fiber's 404 or 405, answered by handleError.
}

// handleRobots lets search engines index the public catalogue only.
func handleRobots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.SendString("User-agent: *\nAllow: /$\nAllow: /cursussen\nAllow: /toegankelijkheid\nDisallow: /\n")
}

// handleFavicon redirects to the fingerprinted SVG icon.
func (a *application) handleFavicon(c *fiber.Ctx) error {
	return c.Redirect(a.assets.URL("img/favicon.svg"), fiber.StatusMovedPermanently)
}
