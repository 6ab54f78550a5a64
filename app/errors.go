package main

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// statusOf maps each error code to its HTTP status: the one place where
// domain errors meet HTTP.
var statusOf = map[string]int{
	courses.EINVALID:      fiber.StatusBadRequest,
	courses.EUNAUTHORIZED: fiber.StatusUnauthorized,
	courses.EFORBIDDEN:    fiber.StatusForbidden,
	courses.ENOTFOUND:     fiber.StatusNotFound,
	courses.ECONFLICT:     fiber.StatusConflict,
	courses.ERATELIMIT:    fiber.StatusTooManyRequests,
	courses.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
	courses.EINTERNAL:     fiber.StatusInternalServerError,
}

// codeOfStatus maps statuses that Fiber itself produces (no route, wrong
// method, body too large) back to error codes.
func codeOfStatus(status int) string {
	switch {
	case status == fiber.StatusNotFound:
		return courses.ENOTFOUND
	case status == fiber.StatusTooManyRequests:
		return courses.ERATELIMIT
	case status == fiber.StatusServiceUnavailable:
		return courses.EUNAVAILABLE
	case status >= 400 && status < 500:
		return courses.EINVALID
	default:
		return courses.EINTERNAL
	}
}

// errorBody is the JSON error format of CONTRACT.md, with the problems of
// invalid input added under "problems".
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code     string         `json:"code"`
	Message  string         `json:"message"`
	Problems []problemField `json:"problems,omitempty"`
}

type problemField struct {
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// errorPage is the data of the HTML error page.
type errorPage struct {
	Status   int
	Message  string
	Problems []string
}

// handleError is Fiber's ErrorHandler: it answers every error as JSON for
// the API (or clients that ask for JSON) and as a translated HTML page
// otherwise. Only internal errors are logged, with the request id.
func (a *application) handleError(c *fiber.Ctx, err error) error {
	code := courses.ErrorCode(err)
	status, ok := statusOf[code]
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, code = fe.Code, codeOfStatus(fe.Code)
		ok = true
	}
	if !ok {
		status = fiber.StatusInternalServerError
	}
	if code == courses.EINTERNAL {
		a.log.LogAttrs(c.UserContext(), slog.LevelError, "internal error",
			slog.String("request_id", requestIDFrom(c)), slog.String("route", c.Route().Path), slog.String("error", err.Error()))
	} else if code == courses.EUNAVAILABLE {
		a.log.LogAttrs(c.UserContext(), slog.LevelWarn, "dependency unavailable",
			slog.String("request_id", requestIDFrom(c)), slog.String("error", err.Error()))
		c.Set(fiber.HeaderRetryAfter, "2")
	}

	l := a.localeFrom(c)
	msg := l.T("error." + code)
	problems := courses.ErrorProblems(err)
	if status == fiber.StatusRequestEntityTooLarge {
		// Only an upload can be this large: say so, with the limit.
		problems = []courses.Problem{{Field: "file", Key: courses.ProblemFileTooLarge, Args: map[string]any{"max": courses.MaxFileBytes >> 20}}}
	}
	c.Status(status)
	if wantsJSON(c) {
		body := errorBody{Error: errorDetail{Code: code, Message: msg}}
		for _, p := range problems {
			body.Error.Problems = append(body.Error.Problems, problemField{Field: p.Field, Line: p.Line, Message: l.TArgs(p.Key, p.Args)})
		}
		return c.JSON(body)
	}
	data := errorPage{Status: status, Message: msg}
	for _, p := range problems {
		data.Problems = append(data.Problems, l.Problem(p))
	}
	html, rerr := a.views.render("error", a.newPage(c, l.T("error.title."+code), "", "/", data))
	if rerr != nil {
		a.log.Error("render error page", "error", rerr.Error())
		return c.SendString(msg)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(html)
}

// wantsJSON reports whether the error should be answered as JSON.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || strings.HasPrefix(c.Path(), "/.well-known/") {
		return true
	}
	return c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON
}
