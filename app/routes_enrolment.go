package main

// enrolmentRoutes registers the pages of enrolment in depth: enrolment
// keys, a course's learners (enrol, withdraw, complete by hand), session
// registration and attendance, and calendar feeds.
func (a *application) enrolmentRoutes() {
}
