package main

// dashboardRoutes registers the learner's dashboard and the learning
// paths.
func (a *application) dashboardRoutes() {
}
