package main

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// dashboardView is the data of /mijn-leren: the courses the learner is
// taking, the sessions they have a place at or wait for, the learning
// paths they started and the courses they completed.
type dashboardView struct {
	Courses   []dashboardCourse // not completed: deadlines first, the soonest first
	Sessions  []dashboardSession
	Paths     []*courses.LearningPath // the paths the learner started
	Completed []dashboardCourse       // the most recently completed first
}

// dashboardCourse is an enrolment with its deadline counted in days.
type dashboardCourse struct {
	*courses.Enrolment
	DaysLeft int  // whole calendar days in Amsterdam until the deadline; 0 on the day itself
	Overdue  bool // the deadline has passed and the course is not completed
	Expired  bool // completed, but the certificate's validity has run out
}

// dashboardSession is a session the learner registered for, as shown on
// the dashboard.
type dashboardSession struct {
	CourseID    int64
	CourseSlug  string
	CourseTitle string
	Key         string // module/activity, for the link to the session's page
	Title       string
	Meeting     *courses.Meeting
	Waiting     bool
	Position    int // on the waiting list, from 1
}

// EndClock returns the end time in Amsterdam, for a session that ends on
// the day it starts.
func (s dashboardSession) EndClock() string { return s.Meeting.EndsAt.In(amsterdam).Format("15:04") }

// SameDay reports whether the session ends on the day it starts.
func (s dashboardSession) SameDay() bool {
	y1, m1, d1 := s.Meeting.StartsAt.In(amsterdam).Date()
	y2, m2, d2 := s.Meeting.EndsAt.In(amsterdam).Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// handleDashboard shows the signed-in learner's own learning.
func (a *application) handleDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := userFrom(c)
	enrolments, err := a.learning.Enrolments(ctx, u.ID)
	if err != nil {
		return err
	}
	registrations, err := a.learning.UserRegistrations(ctx, u.ID)
	if err != nil {
		return err
	}
	paths, err := a.pathService().Paths(ctx, u.ID)
	if err != nil {
		return err
	}
	now := a.db.Now() // the clock the enrolments and sessions are recorded with
	sessions, err := a.upcomingSessions(ctx, now, enrolments, registrations)
	if err != nil {
		return err
	}
	v := newDashboard(now, enrolments, paths)
	v.Sessions = sessions
	l := a.localeFrom(c)
	body, err := a.views.render("dashboard", a.newPage(c, l.T("dashboard.title"), "dashboard", "/mijn-leren", v))
	if err != nil {
		return err
	}
	return sendPage(c, body)
}

// newDashboard sorts the learner's enrolments and paths for the
// dashboard at now. Courses with a deadline come first, the soonest
// (so the overdue) first; the others keep their order, the latest
// enrolment first.
func newDashboard(now time.Time, enrolments []*courses.Enrolment, paths []*courses.LearningPath) dashboardView {
	var v dashboardView
	for _, e := range enrolments {
		dc := dashboardCourse{Enrolment: e}
		switch {
		case e.CompletedAt != nil:
			dc.Expired = e.ExpiresAt != nil && !now.Before(*e.ExpiresAt)
			v.Completed = append(v.Completed, dc)
			continue
		case e.Deadline != nil:
			dc.DaysLeft = calendarDays(now, *e.Deadline)
			dc.Overdue = now.After(*e.Deadline)
		}
		v.Courses = append(v.Courses, dc)
	}
	slices.SortStableFunc(v.Courses, func(a, b dashboardCourse) int {
		switch {
		case a.Deadline == nil && b.Deadline == nil:
			return 0
		case a.Deadline == nil:
			return 1
		case b.Deadline == nil:
			return -1
		}
		return a.Deadline.Compare(*b.Deadline)
	})
	slices.SortStableFunc(v.Completed, func(a, b dashboardCourse) int { return b.CompletedAt.Compare(*a.CompletedAt) })
	for _, p := range paths {
		if p.EnrolledAt != nil {
			v.Paths = append(v.Paths, p)
		}
	}
	return v
}

// calendarDays counts the days from from's date to to's date in
// Amsterdam: a deadline at the end of tomorrow is 1 day away, whatever the
// hour now.
func calendarDays(from, to time.Time) int {
	y1, m1, d1 := from.In(amsterdam).Date()
	y2, m2, d2 := to.In(amsterdam).Date()
	return int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// upcomingSessions returns the sessions the learner has a place at or is
// waiting for that have not ended at now, the soonest first. The session's
// time and place come from the course version the learner is enrolled in;
// registrations in courses they left are not shown.
func (a *application) upcomingSessions(ctx context.Context, now time.Time, enrolments []*courses.Enrolment, registrations []courses.Registration) ([]dashboardSession, error) {
	byCourse := make(map[int64]*courses.Enrolment, len(enrolments))
	for _, e := range enrolments {
		byCourse[e.CourseID] = e
	}
	var out []dashboardSession
	for _, r := range registrations {
		e, ok := byCourse[r.CourseID]
		if !ok || r.Status == courses.Cancelled {
			continue
		}
		version, err := a.versions.get(ctx, e.VersionID)
		if err != nil {
			return nil, err
		}
		module, activity, _ := strings.Cut(r.ActivityKey, "/")
		step, found := version.Find(module, activity)
		if !found || step.Activity.Meeting == nil || !step.Activity.Meeting.EndsAt.After(now) {
			continue
		}
		out = append(out, dashboardSession{CourseID: r.CourseID, CourseSlug: version.Slug, CourseTitle: version.Title, Key: r.ActivityKey,
			Title: step.Activity.Title, Meeting: step.Activity.Meeting, Waiting: r.Status == courses.Waiting, Position: r.Position})
	}
	slices.SortStableFunc(out, func(a, b dashboardSession) int {
		return cmp.Or(a.Meeting.StartsAt.Compare(b.Meeting.StartsAt), strings.Compare(a.CourseTitle, b.CourseTitle))
	})
	return out, nil
}
