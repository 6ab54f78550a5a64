package main

import (
	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/db"
)

// enrolmentRoutes registers the pages of enrolment in depth: enrolment
// keys, a course's learners (enrol, withdraw, complete by hand), session
// registration and attendance, and calendar feeds.
func (a *application) enrolmentRoutes() {
	get, post := fiber.MethodGet, fiber.MethodPost
	feeds := db.NewCalendarFeeds(a.db)

	// Enrolment keys: the course's trainers and admins make them (which
	// course is checked per request by editorCourseID), learners redeem them.
	a.handle(get, "/beheer/cursussen/:slug/sleutels", trainers, a.handleKeys)
	a.handle(post, "/beheer/cursussen/:slug/sleutels", trainers, a.handleKeyCreate)
	a.handle(post, "/beheer/cursussen/:slug/sleutels/:id/intrekken", trainers, a.handleKeyRevoke)
	a.handle(get, "/inschrijven", signedIn, a.handleRedeemShow)
	a.handle(post, "/inschrijven", signedIn, a.handleRedeem)

	// A course's learners, for its trainers and admins. Undoing a
	// completion is for admins only: the route lets trainers through so
	// that a course they do not own stays 404 (as every editor route), and
	// the handler refuses the course's own trainers with 403.
	a.handle(get, "/beheer/cursussen/:slug/cursisten", trainers, a.handleLearners)
	a.handle(post, "/beheer/cursussen/:slug/cursisten", trainers, a.handleLearnerEnrol)
	a.handle(post, "/beheer/cursussen/:slug/cursisten/lijst", trainers, a.handleLearnerUpload)
	a.handle(post, "/beheer/cursussen/:slug/cursisten/:enrolment/uitschrijven", trainers, a.handleLearnerWithdraw)
	a.handle(post, "/beheer/cursussen/:slug/cursisten/:enrolment/voltooien", trainers, a.handleCompleteManually)
	a.handle(post, "/beheer/cursussen/:slug/cursisten/:enrolment/voltooiing-intrekken", trainers, a.handleUndoCompletion)
	// Association admins enrol their own members (associationForAdmin).
	a.handle(get, "/vereniging/:slug/inschrijven", signedIn, a.handleAssociationEnrolShow)
	a.handle(post, "/vereniging/:slug/inschrijven", signedIn, a.handleAssociationEnrol)
	a.handle(post, "/leren/:slug/uitschrijven", signedIn, a.handleWithdraw)

	// Sessions: the learner's registration, the trainer's attendance list.
	a.handle(get, "/leren/:slug/:module/:activity/aanmelden", signedIn, a.handleSessionShow)
	a.handle(post, "/leren/:slug/:module/:activity/aanmelden", signedIn, a.handleSessionRegister)
	a.handle(post, "/leren/:slug/:module/:activity/afmelden", signedIn, a.handleSessionCancel)
	a.handle(get, "/beheer/cursussen/:slug/bijeenkomsten/:module/:activity", trainers, a.handleAttendance)
	a.handle(post, "/beheer/cursussen/:slug/bijeenkomsten/:module/:activity/aanwezigheid", trainers, a.handleAttendanceMark)

	// Calendars: a public feed per session, and each learner's own feed at
	// a secret address (the token is the credential, hence public).
	a.handle(get, "/cursussen/:slug/bijeenkomsten/:module/:activity.ics", public, a.handleSessionCalendar)
	a.handle(get, "/agenda", signedIn, a.handleCalendarShow(feeds))
	a.handle(post, "/agenda", signedIn, a.handleCalendarCreate(feeds))
	a.handle(post, "/agenda/intrekken", signedIn, a.handleCalendarRevoke(feeds))
	a.handle(get, "/agenda/:token.ics", public, a.handleMyCalendar(feeds))
}
