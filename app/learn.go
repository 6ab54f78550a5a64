package main

import (
	"context"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// learnView is the data of an activity page: the course around it, the
// learner's progress, and the activity itself.
type learnView struct {
	Course    *courses.Course
	Enrolment *courses.Enrolment // nil when a trainer previews
	Step      courses.Step
	Total     int
	DoneCount int
	Done      map[string]bool
	Prev      *stepLink
	Next      *stepLink
	Body      template.HTML
	Quiz      *quizView
	Base      string // "/leren/slug", or the editor's preview path
	Preview   bool
	Problems  map[string]string
	// Frame renders the page as a skeleton: the learner's own parts become
	// slots (see lessonframe.go) filled in per request.
	Frame      bool
	slotPrefix string
}

// Slot returns value, or in a skeleton the marker of the slot name.
func (v *learnView) Slot(name string, value any) any {
	if !v.Frame {
		return value
	}
	return slotMarker(v.slotPrefix, name)
}

// stepLink is a link to another activity of the course.
type stepLink struct {
	URL, Title string
}

// Progress returns the share done, 0..100.
func (v *learnView) Progress() int {
	if v.Total == 0 {
		return 0
	}
	return v.DoneCount * 100 / v.Total
}

// ThisDone reports whether the shown activity is done.
func (v *learnView) ThisDone() bool {
	return v.Done[courses.Key(v.Step.Module.Slug, v.Step.Activity.Slug)]
}

// quizView is a quiz with the options in the learner's order, and either
// the form to answer or a graded attempt with feedback.
type quizView struct {
	Questions []questionView
	Attempts  []courses.Attempt
	Shown     *courses.Attempt // the graded attempt shown; nil: the form
	Left      int              // attempts left; -1: unlimited
	Passed    bool             // any attempt passed
}

type questionView struct {
	courses.Question
	Options  []courses.Option
	Chosen   map[int64]bool
	Right    bool
	Answered bool
	Problem  string
}

// learnerCourse loads the published course and the signed-in learner's
// enrolment in it, with the version they are enrolled in.
func (a *application) learnerCourse(c *fiber.Ctx) (*courses.Course, *courses.Enrolment, error) {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return nil, nil, courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	ctx := c.UserContext()
	e, err := a.learning.EnrolmentBySlug(ctx, userFrom(c).ID, slug)
	if err != nil {
		return nil, nil, err
	}
	course, err := a.versions.get(ctx, e.VersionID)
	if err != nil {
		return nil, nil, err
	}
	return course, e, nil
}

// versionCache keeps loaded course versions that can no longer change
// (published and retired ones) so that lesson pages do not reload a whole
// course per view. Drafts are never cached. Entries never go stale, also
// with several instances: a frozen version's content is immutable.
type versionCache struct {
	load func(ctx context.Context, id int64) (*courses.Course, error)
	mu   sync.Mutex
	m    map[int64]*courses.Course
}

// maxCachedVersions bounds the cache; a course version is some 100 KB.
const maxCachedVersions = 256

func newVersionCache(load func(ctx context.Context, id int64) (*courses.Course, error)) *versionCache {
	return &versionCache{load: load, m: map[int64]*courses.Course{}}
}

// get returns the version, loading it once. The result is shared: callers
// must not change it.
func (vc *versionCache) get(ctx context.Context, id int64) (*courses.Course, error) {
	vc.mu.Lock()
	c, ok := vc.m[id]
	vc.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := vc.load(ctx, id)
	if err != nil || c.State == courses.StateDraft {
		return c, err
	}
	vc.mu.Lock()
	if len(vc.m) >= maxCachedVersions {
		clear(vc.m)
	}
	vc.m[id] = c
	vc.mu.Unlock()
	return c, nil
}

// handleEnrol enrols the signed-in user in a course and takes them to it.
func (a *application) handleEnrol(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	slug = strings.Clone(slug)
	ctx := c.UserContext()
	// The id is all enrolling needs (Enrol finds the published version and
	// answers ENOTFOUND without one): not the whole course, which made this
	// the heaviest request of the learner journey (BENCHMARKS.md, issue 8).
	courseID, err := a.editor.CourseIDBySlug(ctx, slug)
	if err != nil {
		return err
	}
	u := userFrom(c)
	if _, created, err := a.learning.Enrol(ctx, u.ID, courseID); err != nil {
		return err
	} else if created {
		a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "enrolment.created", Subject: "course:" + slug, RequestID: requestIDFrom(c)})
	}
	return c.Redirect("/leren/"+slug, fiber.StatusSeeOther)
}

// handleResume takes a learner to where they left off: the last activity
// they opened, else the first one not done.
func (a *application) handleResume(c *fiber.Ctx) error {
	course, e, err := a.learnerCourse(c)
	if courses.ErrorCode(err) == courses.ENOTFOUND && courses.ValidSlug(c.Params("slug")) {
		return c.Redirect("/cursussen/"+url.PathEscape(c.Params("slug")), fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	steps := course.Activities()
	if len(steps) == 0 {
		return courses.Errorf(courses.ENOTFOUND, "course %s has no activities", course.Slug)
	}
	target := steps[0]
	done, _ := doneIn(steps, e.DoneKeys)
	found := false
	if e.LastActivity != "" {
		for _, s := range steps {
			if courses.Key(s.Module.Slug, s.Activity.Slug) == e.LastActivity {
				target, found = s, true
			}
		}
	}
	if !found {
		for _, s := range steps {
			if !done[courses.Key(s.Module.Slug, s.Activity.Slug)] {
				target = s
				break
			}
		}
	}
	return c.Redirect(stepURL("/leren/"+course.Slug, target), fiber.StatusSeeOther)
}

func stepURL(base string, s courses.Step) string {
	return base + "/" + s.Module.Slug + "/" + s.Activity.Slug
}

// handleActivity shows a lesson, quiz or session of the learner's version.
// Lessons and sessions of frozen versions come from a rendered skeleton
// with the learner's progress filled in (lessonframe.go); quizzes, pages
// with a query and drafts are rendered whole.
func (a *application) handleActivity(c *fiber.Ctx) error {
	course, e, err := a.learnerCourse(c)
	if err != nil {
		return err
	}
	step, ok := course.Find(c.Params("module"), c.Params("activity"))
	if !ok {
		return courses.Errorf(courses.ENOTFOUND, "no activity %s/%s", c.Params("module"), c.Params("activity"))
	}
	if key := courses.Key(step.Module.Slug, step.Activity.Slug); e.LastActivity != key {
		if err := a.learning.SetLastActivity(c.UserContext(), e.ID, key); err != nil {
			return err
		}
	}
	if a.frames != nil && course.State != courses.StateDraft && step.Activity.Kind != courses.KindQuiz && len(c.Request().URI().QueryString()) == 0 {
		return a.sendLessonFrame(c, course, step, e)
	}
	v, err := a.learnView(c, course, e, "/leren/"+course.Slug)
	if err != nil {
		return err
	}
	return a.renderActivity(c, fiber.StatusOK, v)
}

// learnView builds the page data for the activity named in the path.
func (a *application) learnView(c *fiber.Ctx, course *courses.Course, e *courses.Enrolment, base string) (*learnView, error) {
	step, ok := course.Find(c.Params("module"), c.Params("activity"))
	if !ok {
		return nil, courses.Errorf(courses.ENOTFOUND, "no activity %s/%s", c.Params("module"), c.Params("activity"))
	}
	v := &learnView{Course: course, Enrolment: e, Step: step, Base: base, Done: map[string]bool{}, Preview: e == nil}
	steps := course.Activities()
	v.Total = len(steps)
	if e != nil {
		v.Done, v.DoneCount = doneIn(steps, e.DoneKeys)
	}
	if step.Index > 0 {
		p := steps[step.Index-1]
		v.Prev = &stepLink{URL: stepURL(base, p), Title: p.Activity.Title}
	}
	if step.Index+1 < len(steps) {
		n := steps[step.Index+1]
		v.Next = &stepLink{URL: stepURL(base, n), Title: n.Activity.Title}
	}
	cacheID := step.Activity.ID
	if course.State == courses.StateDraft {
		cacheID = 0 // drafts change: render each time
	}
	// The player's default title is in the course's language, like the
	// lesson around it, so the cached rendering suits every visitor.
	label := a.catalog.Locale(course.Language).T("learn.video")
	v.Body = a.views.md.Lesson(cacheID, step.Activity.Body, fileLinker(course), label)
	if step.Activity.Kind == courses.KindQuiz {
		q, err := a.quizView(c, v, false)
		if err != nil {
			return nil, err
		}
		v.Quiz = q
	}
	return v, nil
}

// doneIn returns which of steps are among the done keys, and how many.
func doneIn(steps []courses.Step, keys []string) (map[string]bool, int) {
	done := make(map[string]bool, len(keys))
	n := 0
	for _, s := range steps {
		k := courses.Key(s.Module.Slug, s.Activity.Slug)
		if slices.Contains(keys, k) {
			done[k] = true
			n++
		}
	}
	return done, n
}

// fileLinker returns the function that turns references to the course's
// files into their download URLs.
func fileLinker(course *courses.Course) func(string) (string, bool) {
	prefix := "/cursusbestanden/" + strconv.FormatInt(course.VersionID, 10) + "/"
	return func(ref string) (string, bool) {
		f, ok := course.File(ref)
		if !ok {
			return "", false
		}
		return prefix + url.PathEscape(f.Name()), true
	}
}

// quizView loads the learner's attempts and picks what to show: a graded
// attempt (?poging=N, or the latest) or the form for the next attempt
// (?opnieuw, none yet, or newAttempt).
func (a *application) quizView(c *fiber.Ctx, v *learnView, newAttempt bool) (*quizView, error) {
	quiz := v.Step.Activity.Quiz
	q := &quizView{Left: quiz.AttemptsLeft(0)}
	if v.Enrolment != nil {
		attempts, err := a.learning.Attempts(c.UserContext(), v.Enrolment.ID, courses.Key(v.Step.Module.Slug, v.Step.Activity.Slug))
		if err != nil {
			return nil, err
		}
		q.Attempts = attempts
		q.Left = quiz.AttemptsLeft(len(attempts))
		for _, at := range attempts {
			q.Passed = q.Passed || at.Passed
		}
		if n, err := strconv.Atoi(c.Query("poging")); err == nil && n >= 1 && n <= len(attempts) && !newAttempt {
			q.Shown = &attempts[n-1]
		} else if len(attempts) > 0 && !newAttempt && (c.Query("opnieuw") == "" || q.Left == 0) {
			q.Shown = &attempts[len(attempts)-1]
		}
	}
	number := len(q.Attempts) + 1
	var answers map[int64]courses.Answer
	if q.Shown != nil {
		number = q.Shown.Number
		answers = map[int64]courses.Answer{}
		for _, ans := range q.Shown.Answers {
			answers[ans.QuestionID] = ans
		}
	}
	seed := int64(number)
	if v.Enrolment != nil {
		seed += v.Enrolment.ID * 1000
	}
	for _, question := range quiz.Questions {
		qv := questionView{Question: question, Options: question.ShuffledOptions(quiz.Shuffle, seed), Chosen: map[int64]bool{}}
		if ans, ok := answers[question.ID]; ok {
			qv.Answered = true
			qv.Right = question.Right(ans)
			for _, id := range ans.OptionIDs {
				qv.Chosen[id] = true
			}
		}
		q.Questions = append(q.Questions, qv)
	}
	return q, nil
}

func (a *application) renderActivity(c *fiber.Ctx, status int, v *learnView) error {
	return a.renderForm(c, status, "learn", v.Step.Activity.Title+" · "+v.Course.Title, "learn", c.OriginalURL(), v)
}

// handleActivityDone marks a lesson done and goes on to the next activity.
func (a *application) handleActivityDone(c *fiber.Ctx) error {
	course, e, err := a.learnerCourse(c)
	if err != nil {
		return err
	}
	step, ok := course.Find(c.Params("module"), c.Params("activity"))
	if !ok {
		return courses.Errorf(courses.ENOTFOUND, "no activity")
	}
	if step.Activity.Kind != courses.KindLesson {
		return courses.Errorf(courses.ECONFLICT, "only lessons are marked done by hand")
	}
	if err := a.learning.CompleteActivity(c.UserContext(), e.ID, courses.Key(step.Module.Slug, step.Activity.Slug)); err != nil {
		return err
	}
	steps := course.Activities()
	if step.Index+1 < len(steps) {
		return c.Redirect(stepURL("/leren/"+course.Slug, steps[step.Index+1]), fiber.StatusSeeOther)
	}
	return c.Redirect("/leren/"+course.Slug+"/"+step.Module.Slug+"/"+step.Activity.Slug+"?klaar=1", fiber.StatusSeeOther)
}

// handleQuizSubmit grades a quiz attempt and shows its result. A form with
// unanswered questions is shown again with the answers kept and no attempt
// used.
func (a *application) handleQuizSubmit(c *fiber.Ctx) error {
	course, e, err := a.learnerCourse(c)
	if err != nil {
		return err
	}
	v, err := a.learnView(c, course, e, "/leren/"+course.Slug)
	if err != nil {
		return err
	}
	act := v.Step.Activity
	if act.Kind != courses.KindQuiz {
		return courses.Errorf(courses.ENOTFOUND, "not a quiz")
	}
	answers, missing, err := answersFromForm(c, act.Quiz)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		l := a.localeFrom(c)
		if v.Quiz, err = a.quizView(c, v, true); err != nil { // the form as just filled in
			return err
		}
		v.Problems = map[string]string{"quiz": l.T("learn.quiz.unanswered", "n", len(missing))}
		for i := range v.Quiz.Questions {
			qv := &v.Quiz.Questions[i]
			for _, ans := range answers {
				if ans.QuestionID == qv.ID {
					for _, id := range ans.OptionIDs {
						qv.Chosen[id] = true
					}
				}
			}
			if missing[qv.ID] {
				qv.Problem = l.T("learn.quiz.answer_this")
			}
		}
		return a.renderActivity(c, fiber.StatusBadRequest, v)
	}
	key := courses.Key(v.Step.Module.Slug, act.Slug)
	attempt, err := a.learning.SubmitAttempt(c.UserContext(), e.ID, key, act, answers)
	if err != nil {
		return err
	}
	return c.Redirect(stepURL("/leren/"+course.Slug, v.Step)+"?poging="+strconv.Itoa(attempt.Number)+"#resultaat", fiber.StatusSeeOther)
}

// answersFromForm reads the chosen options per question (form fields
// "q<question id>", one value per chosen option) and which questions were
// left open. Values that are not option ids are EINVALID.
func answersFromForm(c *fiber.Ctx, quiz *courses.Quiz) ([]courses.Answer, map[int64]bool, error) {
	args := c.Request().PostArgs()
	missing := map[int64]bool{}
	var answers []courses.Answer
	for _, q := range quiz.Questions {
		values := args.PeekMulti("q" + strconv.FormatInt(q.ID, 10))
		if len(values) == 0 {
			missing[q.ID] = true
			continue
		}
		ans := courses.Answer{QuestionID: q.ID}
		for _, raw := range values {
			id, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return nil, nil, courses.Invalid("bad answer", courses.Problem{Field: "q" + strconv.FormatInt(q.ID, 10), Key: courses.ProblemNotNumber,
					Args: map[string]any{"value": truncateText(string(raw), 20)}})
			}
			ans.OptionIDs = append(ans.OptionIDs, id)
		}
		answers = append(answers, ans)
	}
	return answers, missing, nil
}

// handleCourseFile serves an image or attachment of a course version:
// frozen versions to every signed-in user, drafts only to those who may
// edit the course. Files are sent as stored, never sniffed, and documents
// as downloads.
func (a *application) handleCourseFile(c *fiber.Ctx) error {
	versionID, err := strconv.ParseInt(c.Params("version"), 10, 64)
	if err != nil {
		return courses.Errorf(courses.ENOTFOUND, "no such file")
	}
	name, err := url.PathUnescape(c.Params("name"))
	if err != nil || strings.ContainsAny(name, "/\\") {
		return courses.Errorf(courses.ENOTFOUND, "no such file")
	}
	ctx := c.UserContext()
	course, err := a.versions.get(ctx, versionID)
	if err != nil {
		return err
	}
	if course.State == courses.StateDraft {
		if err := a.mayEdit(c, course.ID); err != nil {
			return err
		}
	}
	f, err := a.editor.FileData(ctx, versionID, courses.FilesDir+"/"+name)
	if err != nil {
		return err
	}
	disposition := "attachment"
	if f.IsImage() {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderContentDisposition, disposition+`; filename="`+f.Name()+`"`)
	c.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	if course.State == courses.StateDraft {
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
	} else {
		c.Set(fiber.HeaderCacheControl, "private, max-age=31536000, immutable")
	}
	c.Set(fiber.HeaderETag, `"`+f.SHA256+`"`)
	if string(c.Request().Header.Peek(fiber.HeaderIfNoneMatch)) == `"`+f.SHA256+`"` {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(f.Data)
}
