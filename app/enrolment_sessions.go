package main

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// Sessions: a learner takes a place (or one on the waiting list) and gives
// it up; the trainer marks who attended, which counts as the session done.

// sessionView is the data of a session's registration page.
type sessionView struct {
	Course   *courses.Course
	Step     courses.Step
	Meeting  *courses.Meeting
	Taken    int                   // places taken
	Free     int                   // places free
	Waiting  int                   // on the waiting list
	Mine     *courses.Registration // the learner's place or waiting-list entry; nil: none
	Over     bool                  // started or past: no more changes
	Saved    string                // message key of what was just done
	Problem  string
	Calendar string // the session's calendar feed
}

// Full reports whether every place is taken.
func (v *sessionView) Full() bool { return v.Free == 0 }

// NextPosition is the place on the waiting list of whoever joins it now.
func (v *sessionView) NextPosition() int { return v.Waiting + 1 }

// learnerSession loads the signed-in learner's enrolment, their version of
// the course and the session named in the path (ENOTFOUND for an activity
// that is not a session).
func (a *application) learnerSession(c *fiber.Ctx) (*courses.Course, courses.Step, error) {
	course, _, err := a.learnerCourse(c)
	if err != nil {
		return nil, courses.Step{}, err
	}
	step, ok := course.Find(c.Params("module"), c.Params("activity"))
	if !ok || step.Activity.Meeting == nil {
		return nil, courses.Step{}, courses.Errorf(courses.ENOTFOUND, "no session %s/%s", c.Params("module"), c.Params("activity"))
	}
	return course, step, nil
}

func sessionActivityKey(s courses.Step) string { return courses.Key(s.Module.Slug, s.Activity.Slug) }

// sessionPath is the learner's page of a session: "/leren/slug/module/activity".
func sessionPath(course *courses.Course, s courses.Step) string {
	return stepURL("/leren/"+course.Slug, s)
}

// handleSessionShow shows a session's places and the learner's own state,
// with the buttons to register or cancel.
func (a *application) handleSessionShow(c *fiber.Ctx) error {
	course, step, err := a.learnerSession(c)
	if err != nil {
		return err
	}
	v := &sessionView{Course: course, Step: step}
	switch c.Query("gedaan") {
	case "aangemeld", "wachtlijst", "afgemeld":
		v.Saved = "session.saved." + c.Query("gedaan")
	}
	return a.renderSession(c, fiber.StatusOK, v)
}

func (a *application) renderSession(c *fiber.Ctx, status int, v *sessionView) error {
	if err := a.fillSessionView(c, v); err != nil {
		return err
	}
	title := a.localeFrom(c).T("session.title", "title", v.Step.Activity.Title)
	return a.renderForm(c, status, "session-register", title, "learn", sessionPath(v.Course, v.Step)+"/aanmelden", v)
}

// fillSessionView counts the places of the session in v and finds the
// signed-in learner's own registration. (The lesson page could show the
// same box inline with it once session pages are no longer skeletons.)
func (a *application) fillSessionView(c *fiber.Ctx, v *sessionView) error {
	ctx := c.UserContext()
	key := sessionActivityKey(v.Step)
	regs, err := a.learning.Registrations(ctx, v.Course.ID, key)
	if err != nil {
		return err
	}
	for _, r := range regs {
		switch r.Status {
		case courses.Registered:
			v.Taken++
		case courses.Waiting:
			v.Waiting++
		}
	}
	v.Meeting = v.Step.Activity.Meeting
	v.Free = max(v.Meeting.Capacity-v.Taken, 0)
	v.Over = !v.Meeting.StartsAt.After(a.db.Now())
	v.Mine, err = a.learning.Registration(ctx, userFrom(c).ID, v.Course.ID, key)
	if courses.ErrorCode(err) == courses.ENOTFOUND {
		v.Mine, err = nil, nil
	}
	v.Calendar = calendarLink(v.Course, v.Step)
	return err
}

// handleSessionRegister gives the learner a place, or a place on the
// waiting list when the session is full.
func (a *application) handleSessionRegister(c *fiber.Ctx) error {
	course, step, err := a.learnerSession(c)
	if err != nil {
		return err
	}
	r, err := a.learning.Register(c.UserContext(), userFrom(c).ID, course.ID, sessionActivityKey(step), step.Activity.Meeting)
	if courses.ErrorCode(err) == courses.EINVALID {
		v := &sessionView{Course: course, Step: step, Problem: strings.Join(translateProblems(a.localeFrom(c), err), " ")}
		return a.renderSession(c, fiber.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	done := "aangemeld"
	if r.Status == courses.Waiting {
		done = "wachtlijst"
	}
	return c.Redirect(sessionPath(course, step)+"/aanmelden?gedaan="+done, fiber.StatusSeeOther)
}

// handleSessionCancel gives up the learner's place or waiting-list entry
// before the session starts; a freed place goes to the first waiting.
func (a *application) handleSessionCancel(c *fiber.Ctx) error {
	course, step, err := a.learnerSession(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	key := sessionActivityKey(step)
	r, err := a.learning.Registration(ctx, userFrom(c).ID, course.ID, key)
	if err != nil {
		return err
	}
	// Once it has begun, or the trainer has marked them present, a
	// learner's place is history.
	if !step.Activity.Meeting.StartsAt.After(a.db.Now()) || r.AttendedAt != nil {
		v := &sessionView{Course: course, Step: step, Problem: a.localeFrom(c).T(courses.ProblemSessionOver)}
		return a.renderSession(c, fiber.StatusBadRequest, v)
	}
	if err := a.learning.CancelRegistration(ctx, userFrom(c).ID, course.ID, key); err != nil {
		return err
	}
	return c.Redirect(sessionPath(course, step)+"/aanmelden?gedaan=afgemeld", fiber.StatusSeeOther)
}

// attendanceView is the data of a session's attendance list for its
// trainer: places first, then the waiting list in order.
type attendanceView struct {
	Slug, Title string
	Step        courses.Step
	Meeting     *courses.Meeting
	Places      []courses.Registration
	Waiting     []courses.Registration
	Marked      int // learners just marked present; -1: none to show
	Problem     string
}

// Open counts the places whose learner is not marked present yet.
func (v *attendanceView) Open() int {
	n := 0
	for _, r := range v.Places {
		if r.AttendedAt == nil {
			n++
		}
	}
	return n
}

// trainerSession resolves the course the caller manages and the session
// in its published version.
func (a *application) trainerSession(c *fiber.Ctx) (int64, *courses.Course, courses.Step, error) {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return 0, nil, courses.Step{}, err
	}
	course, err := a.courses.CourseBySlug(c.UserContext(), slug)
	if err != nil {
		return 0, nil, courses.Step{}, err
	}
	step, ok := course.Find(c.Params("module"), c.Params("activity"))
	if !ok || step.Activity.Meeting == nil {
		return 0, nil, courses.Step{}, courses.Errorf(courses.ENOTFOUND, "no session %s/%s", c.Params("module"), c.Params("activity"))
	}
	return courseID, course, step, nil
}

// handleAttendance lists a session's registrations with the form to mark
// who attended.
func (a *application) handleAttendance(c *fiber.Ctx) error {
	v := &attendanceView{Marked: -1}
	if n, err := strconv.Atoi(c.Query("gemarkeerd")); err == nil && n >= 0 {
		v.Marked = n
	}
	return a.renderAttendance(c, fiber.StatusOK, v)
}

func (a *application) renderAttendance(c *fiber.Ctx, status int, v *attendanceView) error {
	courseID, course, step, err := a.trainerSession(c)
	if err != nil {
		return err
	}
	regs, err := a.learning.Registrations(c.UserContext(), courseID, sessionActivityKey(step))
	if err != nil {
		return err
	}
	for _, r := range regs {
		if r.Status == courses.Registered {
			v.Places = append(v.Places, r)
		} else if r.Status == courses.Waiting {
			v.Waiting = append(v.Waiting, r)
		}
	}
	v.Slug, v.Title, v.Step, v.Meeting = course.Slug, course.Title, step, step.Activity.Meeting
	title := a.localeFrom(c).T("attendance.title", "title", step.Activity.Title)
	path := "/beheer/cursussen/" + course.Slug + "/bijeenkomsten/" + step.Module.Slug + "/" + step.Activity.Slug
	return a.renderForm(c, status, "session-attendance", title, "editor", path, v)
}

// handleAttendanceMark marks the ticked learners (form field "aanwezig",
// user ids), or with iedereen=ja everyone with a place, present.
func (a *application) handleAttendanceMark(c *fiber.Ctx) error {
	courseID, course, step, err := a.trainerSession(c)
	if err != nil {
		return err
	}
	var ids []int64
	if c.FormValue("iedereen") != "ja" {
		ids = []int64{}
		for _, raw := range c.Request().PostArgs().PeekMulti("aanwezig") {
			id, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return courses.Invalid("bad attendee", courses.Problem{Field: "aanwezig", Key: courses.ProblemNotNumber,
					Args: map[string]any{"value": truncateText(string(raw), 20)}})
			}
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			return a.renderAttendance(c, fiber.StatusBadRequest, &attendanceView{Marked: -1, Problem: a.localeFrom(c).T("attendance.none_chosen")})
		}
	}
	key := sessionActivityKey(step)
	n, err := a.learning.MarkAttendance(c.UserContext(), courseID, key, ids, userFrom(c).ID)
	if err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "session.attendance", Subject: "course:" + course.Slug,
		Detail: "session=" + key + " marked=" + strconv.Itoa(n), RequestID: requestIDFrom(c)})
	path := "/beheer/cursussen/" + course.Slug + "/bijeenkomsten/" + step.Module.Slug + "/" + step.Activity.Slug
	return c.Redirect(path+"?gemarkeerd="+strconv.Itoa(n), fiber.StatusSeeOther)
}
