package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// Enrolment keys: a trainer of a course (or an admin) makes a code, a
// griffier hands it to the council, and whoever enters it is enrolled.

// keyGuessLimit bounds how many unknown codes one person may try per hour:
// codes are long enough not to be guessed, and this keeps it so.
var keyGuessLimit = courses.LimitPolicy{Window: time.Hour, Free: 20, BaseLock: 10 * time.Minute, MaxLock: 6 * time.Hour}

// courseKeysView is the data of a course's enrolment keys page.
type courseKeysView struct {
	Slug, Title string
	Keys        []enrolmentKeyRow
	Input       keyInput
	Problems    map[string]string
	New         int64  // the key just made, highlighted
	Saved       string // message key of what was just done
	RedeemURL   string // the address of the redeem page, for links with ?code=
}

// enrolmentKeyRow is a key with its state: active, revoked, expired or
// used_up.
type enrolmentKeyRow struct {
	courses.EnrolmentKey
	State string
}

// keyInput is the key form as sent, kept when refused.
type keyInput struct {
	Label, Expires, MaxUses, Deadline string
}

// managedCourse returns the course as the pages that manage it show it:
// the published version, else the draft.
func (a *application) managedCourse(ctx context.Context, courseID int64, slug string) (*courses.Course, error) {
	c, err := a.courses.CourseBySlug(ctx, slug)
	if courses.ErrorCode(err) == courses.ENOTFOUND {
		return a.editor.DraftOnly(ctx, courseID)
	}
	return c, err
}

// handleKeys lists a course's enrolment keys with the form for a new one.
func (a *application) handleKeys(c *fiber.Ctx) error {
	v := courseKeysView{}
	if id, err := strconv.ParseInt(c.Query("nieuw"), 10, 64); err == nil {
		v.New, v.Saved = id, "keys.saved.created"
	} else if c.Query("ingetrokken") != "" {
		v.Saved = "keys.saved.revoked"
	}
	return a.renderKeys(c, fiber.StatusOK, v)
}

func (a *application) renderKeys(c *fiber.Ctx, status int, v courseKeysView) error {
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
	keys, err := a.learning.Keys(ctx, courseID)
	if err != nil {
		return err
	}
	now := a.db.Now()
	for _, k := range keys {
		row := enrolmentKeyRow{EnrolmentKey: k, State: "active"}
		switch {
		case k.RevokedAt != nil:
			row.State = "revoked"
		case !now.Before(k.ExpiresAt):
			row.State = "expired"
		case !k.Usable(now):
			row.State = "used_up"
		}
		v.Keys = append(v.Keys, row)
	}
	v.Slug = slug
	v.RedeemURL = a.cfg.BaseURL.String() + "/inschrijven"
	title := a.localeFrom(c).T("keys.title", "title", v.Title)
	return a.renderForm(c, status, "enrol-keys", title, "editor", "/beheer/cursussen/"+slug+"/sleutels", v)
}

// handleKeyCreate makes a new enrolment key for the course.
func (a *application) handleKeyCreate(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	in := keyInput{Label: strings.Clone(strings.TrimSpace(c.FormValue("label"))), Expires: strings.Clone(strings.TrimSpace(c.FormValue("expires"))),
		MaxUses: strings.Clone(strings.TrimSpace(c.FormValue("max_uses"))), Deadline: strings.Clone(strings.TrimSpace(c.FormValue("deadline")))}
	k := &courses.EnrolmentKey{CourseID: courseID, Label: in.Label}
	var parse []courses.Problem
	if in.Expires == "" {
		parse = append(parse, courses.Problem{Field: "expires", Key: courses.ProblemRequired})
	} else if day, ok := courses.ParseDay(in.Expires); ok {
		k.ExpiresAt = day
	} else {
		parse = append(parse, courses.Problem{Field: "expires", Key: courses.ProblemBadDate, Args: map[string]any{"value": truncateText(in.Expires, 20)}})
	}
	if in.MaxUses != "" {
		n, err := strconv.Atoi(in.MaxUses)
		if err != nil {
			parse = append(parse, courses.Problem{Field: "max_uses", Key: courses.ProblemNotNumber, Args: map[string]any{"value": truncateText(in.MaxUses, 20)}})
		}
		k.MaxUses = n
	}
	if deadline, p := a.deadlineFrom(in.Deadline); p != nil {
		parse = append(parse, *p)
	} else {
		k.Deadline = deadline
	}
	if len(parse) == 0 {
		err = a.learning.CreateKey(c.UserContext(), k, userFrom(c).ID)
	}
	if len(parse) > 0 || courses.ErrorCode(err) == courses.EINVALID {
		return a.renderKeys(c, fiber.StatusBadRequest, courseKeysView{Input: in, Problems: problemsFor(a.localeFrom(c), parse, err)})
	}
	if err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "enrolment_key.created", Subject: "course:" + slug,
		Detail: "key=" + strconv.FormatInt(k.ID, 10), RequestID: requestIDFrom(c)})
	return c.Redirect("/beheer/cursussen/"+slug+"/sleutels?nieuw="+strconv.FormatInt(k.ID, 10)+"#sleutel-"+strconv.FormatInt(k.ID, 10), fiber.StatusSeeOther)
}

// deadlineFrom reads an optional deadline as typed: empty is none, a day
// in the past is a problem.
func (a *application) deadlineFrom(s string) (*time.Time, *courses.Problem) {
	if s == "" {
		return nil, nil
	}
	day, ok := courses.ParseDay(s)
	if !ok {
		return nil, &courses.Problem{Field: "deadline", Key: courses.ProblemBadDate, Args: map[string]any{"value": truncateText(s, 20)}}
	}
	if !day.After(a.db.Now()) {
		return nil, &courses.Problem{Field: "deadline", Key: courses.ProblemInPast}
	}
	return &day, nil
}

// handleKeyRevoke stops a key from enrolling anyone else.
func (a *application) handleKeyRevoke(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := a.learning.RevokeKey(c.UserContext(), courseID, id); err != nil {
		return err
	}
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "enrolment_key.revoked", Subject: "course:" + slug,
		Detail: "key=" + strconv.FormatInt(id, 10), RequestID: requestIDFrom(c)})
	return c.Redirect("/beheer/cursussen/"+slug+"/sleutels?ingetrokken=1", fiber.StatusSeeOther)
}

// redeemView is the data of the page where a learner enters a code.
type redeemView struct {
	Code    string
	Problem string
}

// handleRedeemShow shows the form for an enrolment code, filled in from
// ?code= so that a griffier can send one link to the whole council.
func (a *application) handleRedeemShow(c *fiber.Ctx) error {
	return a.renderRedeem(c, fiber.StatusOK, redeemView{Code: strings.Clone(truncateText(c.Query("code"), 40))})
}

func (a *application) renderRedeem(c *fiber.Ctx, status int, v redeemView) error {
	return a.renderForm(c, status, "enrol-redeem", a.localeFrom(c).T("redeem.title"), "catalogue", "/inschrijven", v)
}

// handleRedeem enrols the signed-in user with an enrolment code and takes
// them to the course; a wrong, expired, revoked or used-up code is named
// next to the field.
func (a *application) handleRedeem(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	u := userFrom(c)
	code := strings.Clone(strings.TrimSpace(c.FormValue("code")))
	v := redeemView{Code: truncateText(code, 40)}
	if code == "" {
		v.Problem = l.T(courses.ProblemRequired)
		return a.renderRedeem(c, fiber.StatusBadRequest, v)
	}
	limitKey := "enrolkey:user:" + strconv.FormatInt(u.ID, 10)
	if until, err := a.auth.limiter.LockedUntil(ctx, limitKey); err != nil {
		return err
	} else if !until.IsZero() {
		return &courses.Error{Code: courses.ERATELIMIT, Message: "too many unknown enrolment codes",
			Problems: []courses.Problem{{Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}}}}
	}
	e, created, err := a.learning.RedeemKey(ctx, u.ID, code)
	if courses.ErrorCode(err) == courses.EINVALID {
		for _, p := range courses.ErrorProblems(err) {
			if p.Key == courses.ProblemKeyUnknown {
				if _, err := a.auth.limiter.Fail(ctx, limitKey, keyGuessLimit); err != nil {
					return err
				}
			}
		}
		v.Problem = problemsByField(l, err)["code"]
		return a.renderRedeem(c, fiber.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	if created {
		a.auth.record(ctx, courses.AuditEvent{ActorID: u.ID, Action: "enrolment.created", Subject: "course:" + e.Slug, Detail: "source=key", RequestID: requestIDFrom(c)})
	}
	return c.Redirect("/leren/"+e.Slug, fiber.StatusSeeOther)
}
