package main

import (
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// A course's learners as its trainers and admins manage them: enrol one
// person or a list, withdraw, complete by hand with a reason, and (admins)
// take a completion back.

// learnersView is the data of a course's learners page.
type learnersView struct {
	Slug, Title string
	Learners    []courses.Learner
	IsAdmin     bool
	Input       enrolInput
	Problems    map[string]string // the single enrolment's fields, and "reason-<enrolment id>"
	Reasons     map[int64]string  // a refused reason, shown again as typed
	Upload      []string          // the list's problems, one per line
	Enrolled    int               // learners just enrolled anew; -1: none to show
	Saved       string            // message key of what was just done
	Sessions    []courses.Step    // the published version's sessions, for their attendance lists
}

// Reason returns the reason typed for an enrolment when it was refused.
func (v learnersView) Reason(id int64) string { return v.Reasons[id] }

// Problem returns the problem with the reason for an enrolment.
func (v learnersView) Problem(id int64) string {
	return v.Problems["reason-"+strconv.FormatInt(id, 10)]
}

// enrolInput is the form for one learner as sent, kept when refused.
type enrolInput struct {
	Email, Deadline string
}

// handleLearners lists the course's learners with the forms to enrol more.
func (a *application) handleLearners(c *fiber.Ctx) error {
	v := learnersView{Enrolled: -1}
	if n, err := strconv.Atoi(c.Query("ingeschreven")); err == nil && n >= 0 {
		v.Enrolled = n
	}
	switch c.Query("gedaan") {
	case "uitgeschreven", "voltooid", "ingetrokken":
		v.Saved = "learners.saved." + c.Query("gedaan")
	}
	return a.renderLearners(c, fiber.StatusOK, v)
}

func (a *application) renderLearners(c *fiber.Ctx, status int, v learnersView) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	course, err := a.managedCourse(ctx, courseID, slug)
	if err != nil {
		return err
	}
	v.Title = course.Title
	if course.State == courses.StatePublished {
		for _, s := range course.Activities() {
			if s.Activity.Meeting != nil {
				v.Sessions = append(v.Sessions, s)
			}
		}
	}
	if v.Learners, err = a.learning.CourseEnrolments(ctx, courseID); err != nil {
		return err
	}
	v.Slug = slug
	v.IsAdmin = userFrom(c).Role == courses.RoleAdmin
	title := a.localeFrom(c).T("learners.title", "title", v.Title)
	return a.renderForm(c, status, "enrol-learners", title, "editor", "/beheer/cursussen/"+slug+"/cursisten", v)
}

// enrolRowFrom reads the form for one person: an e-mail address and an
// optional deadline, each problem named by its field.
func (a *application) enrolRowFrom(c *fiber.Ctx) (courses.EnrolRow, enrolInput, []courses.Problem) {
	in := enrolInput{Email: strings.Clone(strings.TrimSpace(c.FormValue("email"))), Deadline: strings.Clone(strings.TrimSpace(c.FormValue("deadline")))}
	row := courses.EnrolRow{Email: strings.ToLower(in.Email)}
	var problems []courses.Problem
	switch {
	case row.Email == "":
		problems = append(problems, courses.Problem{Field: "email", Key: courses.ProblemRequired})
	case !courses.ValidEmail(row.Email):
		problems = append(problems, courses.Problem{Field: "email", Key: courses.ProblemBadEmail, Args: map[string]any{"value": truncateText(row.Email, 60)}})
	}
	deadline, p := a.deadlineFrom(in.Deadline)
	if p != nil {
		problems = append(problems, *p)
	}
	row.Deadline = deadline
	return row, in, problems
}

// handleLearnerEnrol enrols one person, by e-mail address, in the course.
func (a *application) handleLearnerEnrol(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	row, in, parse := a.enrolRowFrom(c)
	n := 0
	if len(parse) == 0 {
		n, err = a.learning.EnrolMany(c.UserContext(), courseID, []courses.EnrolRow{row}, "", userFrom(c).ID, courses.SourceTrainer, "")
	}
	if len(parse) > 0 || courses.ErrorCode(err) == courses.EINVALID {
		return a.renderLearners(c, fiber.StatusBadRequest, learnersView{Enrolled: -1, Input: in, Problems: problemsFor(a.localeFrom(c), parse, err)})
	}
	if err != nil {
		return err
	}
	a.auditEnrolments(c, "course:"+slug, n)
	return c.Redirect("/beheer/cursussen/"+slug+"/cursisten?ingeschreven="+strconv.Itoa(n), fiber.StatusSeeOther)
}

// auditEnrolments records that the caller enrolled n learners.
func (a *application) auditEnrolments(c *fiber.Ctx, subject string, n int) {
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "enrolment.created", Subject: subject,
		Detail: "enrolled=" + strconv.Itoa(n), RequestID: requestIDFrom(c)})
}

// enrolmentList reads the uploaded list (field "bestand") and returns its
// rows and file name, or the problems of its lines translated.
func (a *application) enrolmentList(c *fiber.Ctx) ([]courses.EnrolRow, string, []string, error) {
	l := a.localeFrom(c)
	fh, err := c.FormFile("bestand")
	if err != nil {
		return nil, "", []string{l.T("field.bestand") + ": " + l.T(courses.ProblemRequired)}, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", nil, err
	}
	defer f.Close()
	file := strings.Clone(fh.Filename)
	rows, err := courses.ParseEnrolmentCSV(io.LimitReader(f, 5<<20), file)
	if courses.ErrorCode(err) == courses.EINVALID {
		return nil, file, translateProblems(l, err), nil
	}
	return rows, file, nil, err
}

// translateProblems returns every problem of err as "file:line: field:
// message".
func translateProblems(l *Locale, err error) []string {
	var out []string
	for _, p := range courses.ErrorProblems(err) {
		out = append(out, l.Problem(p))
	}
	return out
}

// handleLearnerUpload enrols everyone on an uploaded list, or nobody: each
// bad line is named with its field.
func (a *application) handleLearnerUpload(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	rows, file, problems, err := a.enrolmentList(c)
	if err != nil {
		return err
	}
	n := 0
	if len(problems) == 0 {
		n, err = a.learning.EnrolMany(c.UserContext(), courseID, rows, file, userFrom(c).ID, courses.SourceTrainer, "")
		if courses.ErrorCode(err) == courses.EINVALID {
			problems = translateProblems(a.localeFrom(c), err)
		} else if err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return a.renderLearners(c, fiber.StatusBadRequest, learnersView{Enrolled: -1, Upload: problems})
	}
	a.auditEnrolments(c, "course:"+slug, n)
	return c.Redirect("/beheer/cursussen/"+slug+"/cursisten?ingeschreven="+strconv.Itoa(n), fiber.StatusSeeOther)
}

// courseEnrolment resolves :enrolment to an enrolment in the course the
// caller manages; one of another course, or withdrawn, is not found.
func (a *application) courseEnrolment(c *fiber.Ctx) (*courses.Enrolment, string, error) {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return nil, "", err
	}
	id, err := idParam(c, "enrolment")
	if err != nil {
		return nil, "", err
	}
	e, err := a.learning.EnrolmentByID(c.UserContext(), id)
	if err != nil {
		return nil, "", err
	}
	if e.CourseID != courseID || e.WithdrawnAt != nil {
		return nil, "", courses.Errorf(courses.ENOTFOUND, "no enrolment %d in course %d", id, courseID)
	}
	return e, slug, nil
}

func (a *application) auditEnrolment(c *fiber.Ctx, action string, e *courses.Enrolment, detail string) {
	if detail != "" {
		detail = " " + detail
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: action, Subject: "enrolment:" + strconv.FormatInt(e.ID, 10),
		Detail: "course=" + e.Slug + " user=" + strconv.FormatInt(e.UserID, 10) + detail, RequestID: requestIDFrom(c)})
}

// handleLearnerWithdraw takes a learner out of the course; their progress
// is kept for when they are enrolled again.
func (a *application) handleLearnerWithdraw(c *fiber.Ctx) error {
	e, slug, err := a.courseEnrolment(c)
	if err != nil {
		return err
	}
	if err := a.learning.Withdraw(c.UserContext(), e.UserID, e.CourseID); err != nil {
		return err
	}
	a.auditEnrolment(c, "enrolment.withdrawn", e, "")
	return c.Redirect("/beheer/cursussen/"+slug+"/cursisten?gedaan=uitgeschreven", fiber.StatusSeeOther)
}

// handleCompleteManually completes an enrolment on the trainer's word; the
// reason is required and recorded.
func (a *application) handleCompleteManually(c *fiber.Ctx) error {
	e, slug, err := a.courseEnrolment(c)
	if err != nil {
		return err
	}
	reason := strings.Clone(strings.TrimSpace(c.FormValue("reason")))
	_, done, err := a.learning.CompleteManually(c.UserContext(), e.ID, userFrom(c).ID, reason)
	if courses.ErrorCode(err) == courses.EINVALID {
		key := "reason-" + strconv.FormatInt(e.ID, 10)
		return a.renderLearners(c, fiber.StatusBadRequest, learnersView{Enrolled: -1,
			Problems: map[string]string{key: problemsByField(a.localeFrom(c), err)["reason"]}, Reasons: map[int64]string{e.ID: reason}})
	}
	if err != nil {
		return err
	}
	if done {
		a.auditEnrolment(c, "enrolment.completed_manually", e, "reason="+strconv.Quote(truncateText(reason, 200)))
	}
	return c.Redirect("/beheer/cursussen/"+slug+"/cursisten?gedaan=voltooid", fiber.StatusSeeOther)
}

// handleUndoCompletion takes a completion back (admins only); the progress
// stays.
func (a *application) handleUndoCompletion(c *fiber.Ctx) error {
	e, slug, err := a.courseEnrolment(c)
	if err != nil {
		return err
	}
	if u := userFrom(c); u.Role != courses.RoleAdmin {
		return courses.Errorf(courses.EFORBIDDEN, "only admins undo completions, not %s %d", u.Role, u.ID)
	}
	if err := a.learning.UndoCompletion(c.UserContext(), e.ID, userFrom(c).ID); err != nil {
		return err
	}
	a.auditEnrolment(c, "enrolment.completion_undone", e, "")
	return c.Redirect("/beheer/cursussen/"+slug+"/cursisten?gedaan=ingetrokken", fiber.StatusSeeOther)
}

// handleWithdraw lets a learner leave a course; their progress is kept and
// comes back when they enrol again.
func (a *application) handleWithdraw(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	slug = strings.Clone(slug)
	ctx := c.UserContext()
	u := userFrom(c)
	e, err := a.learning.EnrolmentBySlug(ctx, u.ID, slug)
	if err != nil {
		return err
	}
	if err := a.learning.Withdraw(ctx, u.ID, e.CourseID); err != nil {
		return err
	}
	a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "enrolment.withdrawn", Subject: "course:" + slug, RequestID: requestIDFrom(c)})
	return c.Redirect("/cursussen/"+slug, fiber.StatusSeeOther)
}
