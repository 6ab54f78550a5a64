package main

import (
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// apiCompletionRequest is the body of a manual completion (CONTRACT.md).
type apiCompletionRequest struct {
	Reason string `json:"reason"`
}

// apiManualCompletion answers a manual completion: the enrolment, and
// whether this call completed it (false: it was completed before).
type apiManualCompletion struct {
	Completed bool         `json:"completed_now"`
	Enrolment apiEnrolment `json:"enrolment"`
}

// enrolmentForManager loads enrolment :id for a caller who manages its
// course: an admin, or a trainer who owns the course. To anyone else it
// does not exist.
func (a *application) enrolmentForManager(c *fiber.Ctx) (*courses.Enrolment, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return nil, courses.Errorf(courses.ENOTFOUND, "bad id %q", c.Params("id"))
	}
	e, err := a.learning.EnrolmentByID(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if err := a.mayEdit(c, e.CourseID); err != nil {
		return nil, err
	}
	return e, nil
}

// handleAPIManualCompletion marks an enrolment complete on a trainer's or
// admin's word, with a reason; audited. Completing a completed enrolment
// changes nothing (200 either way).
func (a *application) handleAPIManualCompletion(c *fiber.Ctx) error {
	e, err := a.enrolmentForManager(c)
	if err != nil {
		return err
	}
	var req apiCompletionRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return courses.Invalid("bad JSON", courses.Problem{Field: "body", Key: courses.ProblemBadJSON})
	}
	u := userFrom(c)
	e, done, err := a.learning.CompleteManually(c.UserContext(), e.ID, u.ID, req.Reason)
	if err != nil {
		return err
	}
	if done {
		a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "enrolment.completed_manually",
			Subject: "enrolment:" + strconv.FormatInt(e.ID, 10), Detail: req.Reason, RequestID: requestIDFrom(c)})
	}
	return c.JSON(apiManualCompletion{Completed: done, Enrolment: toAPIEnrolment(e)})
}

// handleAPIUndoCompletion takes a completion back (admins only); audited.
func (a *application) handleAPIUndoCompletion(c *fiber.Ctx) error {
	e, err := a.enrolmentForManager(c)
	if err != nil {
		return err
	}
	if err := a.learning.UndoCompletion(c.UserContext(), e.ID, userFrom(c).ID); err != nil {
		return err
	}
	u := userFrom(c)
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "enrolment.completion_undone",
		Subject: "enrolment:" + strconv.FormatInt(e.ID, 10), RequestID: requestIDFrom(c)})
	if e, err = a.learning.EnrolmentByID(c.UserContext(), e.ID); err != nil {
		return err
	}
	return c.JSON(toAPIEnrolment(e))
}
