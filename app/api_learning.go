package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// apiEnrolment is one enrolment in GET /api/v1/me/enrolments (CONTRACT.md).
type apiEnrolment struct {
	ID          int64      `json:"id"`
	Course      string     `json:"course"`
	Title       string     `json:"title"`
	Version     int64      `json:"version_id"`
	Status      string     `json:"status"`
	Progress    int        `json:"progress"`
	EnrolledAt  time.Time  `json:"enrolled_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Certificate *string    `json:"certificate"`
}

type apiEnrolmentList struct {
	Enrolments []apiEnrolment `json:"enrolments"`
}

func toAPIEnrolment(e *courses.Enrolment) apiEnrolment {
	out := apiEnrolment{ID: e.ID, Course: e.Slug, Title: e.Title, Version: e.VersionID, Status: e.Status(),
		Progress: e.Progress(), EnrolledAt: e.EnrolledAt, CompletedAt: e.CompletedAt}
	if e.Certificate != "" {
		out.Certificate = &e.Certificate
	}
	return out
}

// handleAPIEnrol enrols the caller: 201 when new, 200 when enrolled before.
func (a *application) handleAPIEnrol(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	ctx := c.UserContext()
	course, err := a.courses.CourseBySlug(ctx, strings.Clone(slug))
	if err != nil {
		return err
	}
	e, created, err := a.learning.Enrol(ctx, userFrom(c).ID, course.ID)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
		a.auth.record(ctx, courses.AuditEvent{ActorID: userFrom(c).ID, Action: "enrolment.created", Subject: "course:" + course.Slug, RequestID: requestIDFrom(c)})
	}
	return c.Status(status).JSON(toAPIEnrolment(e))
}

// handleAPIMyEnrolments lists the caller's enrolments with their progress.
func (a *application) handleAPIMyEnrolments(c *fiber.Ctx) error {
	list, err := a.learning.Enrolments(c.UserContext(), userFrom(c).ID)
	if err != nil {
		return err
	}
	out := apiEnrolmentList{Enrolments: make([]apiEnrolment, len(list))}
	for i, e := range list {
		out.Enrolments[i] = toAPIEnrolment(e)
	}
	return c.JSON(out)
}

// activityForLearner finds the activity :id in the version the caller is
// enrolled in. An activity of another version of the course is a conflict
// (the learner was moved, or the client kept an old id); one of a course the
// caller is not enrolled in is not found.
func (a *application) activityForLearner(c *fiber.Ctx) (*courses.Enrolment, courses.Step, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return nil, courses.Step{}, courses.Errorf(courses.ENOTFOUND, "bad id %q", c.Params("id"))
	}
	ctx := c.UserContext()
	_, versionID, err := a.learning.ActivityOwner(ctx, id)
	if err != nil {
		return nil, courses.Step{}, err
	}
	course, err := a.versions.get(ctx, versionID)
	if err != nil {
		return nil, courses.Step{}, err
	}
	// The light enrolment query (prepared, with the keys done): progress
	// is counted here against the cached version.
	e, err := a.learning.EnrolmentBySlug(ctx, userFrom(c).ID, course.Slug)
	if err != nil {
		return nil, courses.Step{}, err
	}
	if e.VersionID != versionID {
		return nil, courses.Step{}, courses.Errorf(courses.ECONFLICT, "activity %d belongs to another version than the enrolment's", id)
	}
	for _, s := range course.Activities() {
		if s.Activity.ID == id {
			countProgress(e, course)
			return e, s, nil
		}
	}
	return nil, courses.Step{}, courses.Errorf(courses.ENOTFOUND, "no activity %d", id)
}

// countProgress fills in Done and Total of an enrolment from its done keys.
func countProgress(e *courses.Enrolment, course *courses.Course) {
	steps := course.Activities()
	_, e.Done = doneIn(steps, e.DoneKeys)
	e.Total = len(steps)
}

// apiCompletion answers a lesson completion.
type apiCompletion struct {
	Lesson     int64        `json:"lesson"`
	Completed  bool         `json:"completed"`
	Enrolment  apiEnrolment `json:"enrolment"`
	NextLesson *int64       `json:"next_activity"`
}

// handleAPILessonCompletion marks a lesson done for the caller; doing it
// again changes nothing.
func (a *application) handleAPILessonCompletion(c *fiber.Ctx) error {
	e, step, err := a.activityForLearner(c)
	if err != nil {
		return err
	}
	if step.Activity.Kind != courses.KindLesson {
		return courses.Errorf(courses.ENOTFOUND, "activity %d is not a lesson", step.Activity.ID)
	}
	ctx := c.UserContext()
	if err := a.learning.CompleteActivity(ctx, e.ID, courses.Key(step.Module.Slug, step.Activity.Slug)); err != nil {
		return err
	}
	if e, err = a.learning.EnrolmentBySlug(ctx, e.UserID, e.Slug); err != nil {
		return err
	}
	course, err := a.versions.get(ctx, e.VersionID)
	if err != nil {
		return err
	}
	countProgress(e, course)
	e.Title = course.Title
	return c.JSON(apiCompletion{Lesson: step.Activity.ID, Completed: true, Enrolment: toAPIEnrolment(e)})
}

// apiQuiz is a quiz for a learner: its questions and options, never which
// ones are right.
type apiQuiz struct {
	ID           int64             `json:"id"`
	Title        string            `json:"title"`
	PassMark     int               `json:"pass_mark"`
	MaxAttempts  int               `json:"max_attempts"`
	AttemptsLeft int               `json:"attempts_left"`
	Questions    []apiQuizQuestion `json:"questions"`
}

type apiQuizQuestion struct {
	ID      int64           `json:"id"`
	Kind    string          `json:"kind"`
	Text    string          `json:"text"`
	Options []apiQuizOption `json:"options"`
}

type apiQuizOption struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

// handleAPIQuizShow returns a quiz's questions in the caller's order.
func (a *application) handleAPIQuizShow(c *fiber.Ctx) error {
	e, step, err := a.activityForLearner(c)
	if err != nil {
		return err
	}
	act := step.Activity
	if act.Kind != courses.KindQuiz {
		return courses.Errorf(courses.ENOTFOUND, "activity %d is not a quiz", act.ID)
	}
	attempts, err := a.learning.Attempts(c.UserContext(), e.ID, courses.Key(step.Module.Slug, act.Slug))
	if err != nil {
		return err
	}
	out := apiQuiz{ID: act.ID, Title: act.Title, PassMark: act.Quiz.PassMark, MaxAttempts: act.Quiz.MaxAttempts,
		AttemptsLeft: act.Quiz.AttemptsLeft(len(attempts)), Questions: []apiQuizQuestion{}}
	seed := e.ID*1000 + int64(len(attempts)+1)
	for _, q := range act.Quiz.Questions {
		aq := apiQuizQuestion{ID: q.ID, Kind: string(q.Kind), Text: q.Text}
		for _, o := range q.ShuffledOptions(act.Quiz.Shuffle, seed) {
			aq.Options = append(aq.Options, apiQuizOption{ID: o.ID, Text: o.Text})
		}
		out.Questions = append(out.Questions, aq)
	}
	return c.JSON(out)
}

// apiAttemptRequest is a quiz attempt: the chosen options per question.
type apiAttemptRequest struct {
	Answers []struct {
		Question int64   `json:"question"`
		Options  []int64 `json:"options"`
	} `json:"answers"`
}

// apiAttempt is a graded attempt with feedback per question.
type apiAttempt struct {
	Number       int                  `json:"number"`
	Score        int                  `json:"score"`
	Passed       bool                 `json:"passed"`
	PassMark     int                  `json:"pass_mark"`
	AttemptsLeft int                  `json:"attempts_left"`
	Questions    []apiAttemptFeedback `json:"questions"`
}

type apiAttemptFeedback struct {
	ID       int64   `json:"id"`
	Right    bool    `json:"right"`
	Correct  []int64 `json:"correct_options,omitempty"` // only once passed or out of attempts
	Feedback string  `json:"feedback"`
}

// handleAPIQuizAttempt grades an attempt on the server and stores it.
// Every question must be answered; the attempt limit holds.
func (a *application) handleAPIQuizAttempt(c *fiber.Ctx) error {
	e, step, err := a.activityForLearner(c)
	if err != nil {
		return err
	}
	act := step.Activity
	if act.Kind != courses.KindQuiz {
		return courses.Errorf(courses.ENOTFOUND, "activity %d is not a quiz", act.ID)
	}
	var req apiAttemptRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return courses.Invalid("bad JSON", courses.Problem{Field: "body", Key: courses.ProblemBadJSON})
	}
	answered := map[int64]bool{}
	answers := make([]courses.Answer, len(req.Answers))
	for i, ans := range req.Answers {
		answers[i] = courses.Answer{QuestionID: ans.Question, OptionIDs: ans.Options}
		answered[ans.Question] = len(ans.Options) > 0
	}
	for i, q := range act.Quiz.Questions {
		if !answered[q.ID] {
			return courses.Invalid("unanswered", courses.Problem{Field: "answers." + strconv.Itoa(i+1), Key: courses.ProblemNotAnswered})
		}
	}
	attempt, err := a.learning.SubmitAttempt(c.UserContext(), e.ID, courses.Key(step.Module.Slug, act.Slug), act, answers)
	if err != nil {
		return err
	}
	out := apiAttempt{Number: attempt.Number, Score: attempt.Score, Passed: attempt.Passed, PassMark: act.Quiz.PassMark,
		AttemptsLeft: act.Quiz.AttemptsLeft(attempt.Number)}
	byQuestion := map[int64]courses.Answer{}
	for _, ans := range answers {
		byQuestion[ans.QuestionID] = ans
	}
	// The right answers are shown once they can no longer help a next
	// attempt: after passing or with no attempts left (as on the page).
	reveal := attempt.Passed || out.AttemptsLeft == 0
	for _, q := range act.Quiz.Questions {
		fb := apiAttemptFeedback{ID: q.ID, Right: q.Right(byQuestion[q.ID]), Feedback: q.Feedback}
		for _, o := range q.Options {
			if o.Correct && reveal {
				fb.Correct = append(fb.Correct, o.ID)
			}
		}
		out.Questions = append(out.Questions, fb)
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}
