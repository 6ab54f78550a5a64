package main

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/raadzaam/raadzaam/courses"
)

// routes is Raadzaam's one route table. Every route names its access
// policy (policy.go); every /api/ route is also in the OpenAPI document
// (openapi_test checks both ways).
func (a *application) routes() {
	app := a.fiber
	// countRequests comes first, so that it times the whole request and sees
	// the status logRequests' error handling sets.
	app.Use(a.metrics.countRequests, requestID, a.logRequests, recover.New(), a.securityHeaders,
		compress.New(compress.Config{Level: compress.LevelBestSpeed, Next: compressedAlready}))

	get, post := fiber.MethodGet, fiber.MethodPost
	a.handle(get, "/healthz", public, a.handleHealthz)
	a.handle(get, "/readyz", public, a.handleReadyz)
	a.handle(get, "/static/*", public, a.assets.handleStatic)
	a.handle(get, "/favicon.ico", public, a.handleFavicon)
	a.handle(get, "/robots.txt", public, handleRobots)

	app.Use(a.negotiateLanguage, a.authenticateRequest)

	// Pages (HTML).
	a.handle(get, "/", public, a.handleHome)
	a.handle(get, "/cursussen", public, a.handleCatalogue)
	a.handle(get, "/cursussen/:slug", public, a.handleCourseShow)
	a.handle(get, "/taal", public, a.handleLanguage)
	a.handle(get, "/toegankelijkheid", public, a.handleAccessibility)
	a.handle(get, "/inloggen", public, a.handleSignInShow)
	a.handle(post, "/inloggen", public, a.handleSignIn)
	a.handle(get, "/inloggen/code", public, a.handleCodeShow)
	a.handle(post, "/inloggen/code", public, a.handleCode)
	a.handle(post, "/uitloggen", setupAllowed, a.handleSignOut)
	a.handle(get, "/account", setupAllowed, a.handleAccount)
	a.handle(get, "/account/tweestaps", setupAllowed, a.handleTwoFactorShow)
	a.handle(post, "/account/tweestaps", setupAllowed, a.handleTwoFactorEnable)
	a.handle(post, "/account/tweestaps/uit", signedIn, a.handleTwoFactorDisable)
	a.handle(post, "/account/overal-uitloggen", signedIn, a.handleSignOutEverywhere)
	a.handle(post, "/account/gegevens", signedIn, a.handleProfileSave)
	a.handle(post, "/account/wachtwoord", signedIn, a.handlePasswordChange)
	a.handle(post, "/account/email", signedIn, a.handleEmailChange)
	a.handle(get, "/account/mijn-gegevens.json", signedIn, a.handleDataExport)
	a.handle(post, "/account/verwijderen", signedIn, a.handleAccountDelete)
	a.handle(post, "/account/ambten", signedIn, a.handleOfficeAdd(true))
	a.handle(post, "/account/ambten/:office/verwijderen", signedIn, a.handleOfficeRemove(true))
	a.handle(post, "/account/api-tokens", signedIn, a.handleAPITokenCreate)
	a.handle(post, "/account/api-tokens/:id/intrekken", signedIn, a.handleAPITokenRevoke)
	a.handle(get, "/wachtwoord-vergeten", public, a.handleForgotShow)
	a.handle(post, "/wachtwoord-vergeten", public, a.handleForgot)
	a.handle(get, "/wachtwoord-herstellen/:token", public, a.handleTokenShow(courses.TokenPasswordReset))
	a.handle(post, "/wachtwoord-herstellen/:token", public, a.handleTokenUse(courses.TokenPasswordReset))
	a.handle(get, "/uitnodiging/:token", public, a.handleTokenShow(courses.TokenInvitation))
	a.handle(post, "/uitnodiging/:token", public, a.handleTokenUse(courses.TokenInvitation))
	a.handle(get, "/beheer/audit", admins, a.handleAuditLog)
	a.handle(get, "/beheer/gebruikers", admins, a.handleUsers)
	a.handle(post, "/beheer/gebruikers", admins, a.handleInvite)
	a.handle(post, "/beheer/gebruikers/:id/deactiveren", admins, a.handleSetActive(false))
	a.handle(post, "/beheer/gebruikers/:id/activeren", admins, a.handleSetActive(true))
	a.handle(post, "/beheer/gebruikers/:id/rol", admins, a.handleSetRole)
	a.handle(get, "/beheer/gebruikers/:id", admins, a.handleUserEdit)
	a.handle(post, "/beheer/gebruikers/:id/naam", admins, a.handleUserName)
	a.handle(post, "/beheer/gebruikers/:id/ambten", admins, a.handleOfficeAdd(false))
	a.handle(post, "/beheer/gebruikers/:id/ambten/:office/verwijderen", admins, a.handleOfficeRemove(false))
	a.handle(get, "/beheer/verenigingen", admins, a.handleAssociations)
	a.handle(post, "/beheer/verenigingen", admins, a.handleAssociationCreate)
	a.handle(get, "/vereniging/:slug/leden", signedIn, a.handleMembers)
	a.handle(post, "/vereniging/:slug/leden", signedIn, a.handleMemberInvite)
	a.handle(post, "/vereniging/:slug/leden/lijst", signedIn, a.handleMemberUpload)
	a.handle(post, "/cursussen/:slug/inschrijven", signedIn, a.handleEnrol)
	a.handle(get, "/leren/:slug", signedIn, a.handleResume)
	a.handle(get, "/leren/:slug/:module/:activity", signedIn, a.handleActivity)
	a.handle(post, "/leren/:slug/:module/:activity/gedaan", signedIn, a.handleActivityDone)
	a.handle(post, "/leren/:slug/:module/:activity/toets", signedIn, a.handleQuizSubmit)
	a.handle(get, "/cursusbestanden/:version/:name", signedIn, a.handleCourseFile)
	a.handle(get, "/beheer/cursussen", trainers, a.handleEditorList)
	a.handle(post, "/beheer/cursussen", trainers, a.handleCourseCreate)
	a.handle(post, "/beheer/markdown-voorbeeld", trainers, a.handleMarkdownPreview)
	a.handle(get, "/beheer/cursussen/:slug", trainers, a.handleCourseEdit)
	a.handle(post, "/beheer/cursussen/:slug/concept", trainers, a.handleDraftStart)
	a.handle(post, "/beheer/cursussen/:slug/concept-weggooien", trainers, a.handleDraftDiscard)
	a.handle(post, "/beheer/cursussen/:slug/publiceren", trainers, a.handlePublish)
	a.handle(post, "/beheer/cursussen/:slug/cursisten-overzetten", trainers, a.handleMoveLearners)
	a.handle(post, "/beheer/cursussen/:slug/gegevens", trainers, a.handleMetadataSave)
	a.handle(post, "/beheer/cursussen/:slug/modules/:id", trainers, a.handleModuleSave)
	a.handle(post, "/beheer/cursussen/:slug/modules/:id/verwijderen", trainers, a.handleModuleDelete)
	a.handle(post, "/beheer/cursussen/:slug/modules/:id/verplaatsen", trainers, a.handleModuleMove)
	a.handle(get, "/beheer/cursussen/:slug/modules/:id/nieuw", trainers, a.handleActivityNew)
	a.handle(post, "/beheer/cursussen/:slug/modules/:id/nieuw", trainers, a.handleActivitySave)
	a.handle(get, "/beheer/cursussen/:slug/activiteiten/:id", trainers, a.handleActivityEdit)
	a.handle(post, "/beheer/cursussen/:slug/activiteiten/:id", trainers, a.handleActivitySave)
	a.handle(post, "/beheer/cursussen/:slug/activiteiten/:id/verwijderen", trainers, a.handleActivityDelete)
	a.handle(post, "/beheer/cursussen/:slug/activiteiten/:id/verplaatsen", trainers, a.handleActivityMove)
	a.handle(post, "/beheer/cursussen/:slug/bestanden", trainers, a.handleFileUpload)
	a.handle(post, "/beheer/cursussen/:slug/bestanden/verwijderen", trainers, a.handleFileDelete)
	a.handle(post, "/beheer/cursussen/:slug/eigenaren", trainers, a.handleOwnerAdd)
	a.handle(post, "/beheer/cursussen/:slug/eigenaren/:id/verwijderen", trainers, a.handleOwnerRemove)
	a.handle(get, "/beheer/cursussen/:slug/voorbeeld/:module/:activity", trainers, a.handlePreview)
	a.handle(get, "/beheer/post", admins, a.handleOutbox)
	a.handle(get, "/beheer/post/:id", admins, a.handleOutboxMail)

	a.enrolmentRoutes()   // routes_enrolment.go: keys, learners, sessions, calendars
	a.dashboardRoutes()   // routes_dashboard.go: the learner's dashboard, learning paths
	a.certificateRoutes() // certificates_admin.go: verification, downloads, revocation, exports
	a.statsRoutes()       // stats.go: association statistics, exports, members' consent

	// JSON API (CONTRACT.md).
	a.handle(get, "/api/openapi.json", public, a.handleOpenAPI)
	a.handle(post, "/api/v1/auth/token", public, a.handleAPIToken)
	a.handle(get, "/api/v1/me", signedIn.withScope(courses.ScopeMe), a.handleAPIMe)
	a.handle(get, "/api/v1/courses", public, a.handleAPICourseList)
	a.handle(get, "/api/v1/courses/:slug", public, a.handleAPICourseShow)
	a.handle(post, "/api/v1/courses/:slug/enrolment", signedIn, a.handleAPIEnrol)
	a.handle(get, "/api/v1/me/enrolments", signedIn.withScope(courses.ScopeMe), a.handleAPIMyEnrolments)
	a.handle(post, "/api/v1/lessons/:id/completion", signedIn, a.handleAPILessonCompletion)
	a.handle(get, "/api/v1/quizzes/:id", signedIn, a.handleAPIQuizShow)
	a.handle(post, "/api/v1/quizzes/:id/attempts", signedIn, a.handleAPIQuizAttempt)
	a.handle(post, "/api/v1/enrolments/:id/completion", trainers, a.handleAPIManualCompletion)
	a.handle(fiber.MethodDelete, "/api/v1/enrolments/:id/completion", admins, a.handleAPIUndoCompletion)
	// Paths without a route reach Fiber's 404 or 405, answered by handleError.
}

// compressedAlready skips compression for responses that are compressed
// by their format (PDFs, ZIPs, workbooks): compressing them again costs
// more CPU than it saves bytes (BENCHMARKS.md, certificates).
func compressedAlready(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasSuffix(p, ".pdf") || strings.HasSuffix(p, ".zip") || c.Query("formaat") == "xlsx"
}

// handleRobots lets search engines index the public catalogue only.
func handleRobots(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.SendString("User-agent: *\nAllow: /$\nAllow: /cursussen\nAllow: /leerpaden\nAllow: /toegankelijkheid\nDisallow: /\n")
}

// handleFavicon redirects to the fingerprinted SVG icon.
func (a *application) handleFavicon(c *fiber.Ctx) error {
	return c.Redirect(a.assets.URL("img/favicon.svg"), fiber.StatusMovedPermanently)
}
