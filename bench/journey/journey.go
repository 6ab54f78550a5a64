package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
)

// course is what the journey needs to know of the course beforehand: the
// right options of its quizzes, by question text and option text (the quiz
// page shuffles the options and shows only ids and texts).
type course struct {
	slug       string
	activities int
	lessons    int
	quizzes    int
	right      map[string]map[string]bool // question text → texts of the right options
	quizPaths  map[string]bool            // /leren/SLUG/MODULE/ACTIVITY of the quizzes
}

// readCourse reads the course from the shipped course folders.
func readCourse(slug string) (*course, error) {
	list, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.Slug != slug {
			continue
		}
		out := &course{slug: slug, right: map[string]map[string]bool{}, quizPaths: map[string]bool{}}
		for _, m := range c.Modules {
			for _, a := range m.Activities {
				out.activities++
				switch a.Kind {
				case courses.KindLesson:
					out.lessons++
				case courses.KindQuiz:
					out.quizzes++
					out.quizPaths["/leren/"+slug+"/"+m.Slug+"/"+a.Slug] = true
					for _, q := range a.Quiz.Questions {
						if _, dup := out.right[q.Text]; dup {
							return nil, fmt.Errorf("course %s: two quiz questions read %q; the journey tells them apart by text", slug, q.Text)
						}
						right := map[string]bool{}
						for _, o := range q.Options {
							if o.Correct {
								right[o.Text] = true
							}
						}
						out.right[q.Text] = right
					}
				default:
					return nil, fmt.Errorf("course %s has a %s (%s/%s); the journey goes through lessons and quizzes only", slug, a.Kind, m.Slug, a.Slug)
				}
			}
		}
		if out.activities == 0 {
			return nil, fmt.Errorf("course %s has no activities", slug)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no shipped course %q in courses/catalog", slug)
}

// failure is why a journey stopped: at which step, what kind of failure
// (counted), and the details (the first of each kind is shown).
type failure struct {
	step, kind string
	err        error
}

func (f *failure) Error() string { return f.step + ": " + f.kind + ": " + f.err.Error() }

// fail classifies err, the outcome of a request or a check at step.
func fail(step string, err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	var se *benchkit.StatusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return &failure{step: step, kind: fmt.Sprintf("status %d", se.Status), err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &failure{step: step, kind: "timeout", err: err}
	case errors.Is(err, context.Canceled):
		return &failure{step: step, kind: "cancelled", err: err}
	default:
		return &failure{step: step, kind: "transport", err: err}
	}
}

// check is a page that did not say what it should.
func check(step, format string, args ...any) *failure {
	return &failure{step: step, kind: "check", err: fmt.Errorf(format, args...)}
}

// person is one office holder under load.
type person struct {
	i               int
	email, password string
	certificate     string // its number, once the dashboard showed it
	start, end      time.Time
	activities      int
}

// expect sends one request as the browser and checks the answer's status
// (and, for a redirect, that it has a Location).
func expect(ctx context.Context, b *benchkit.Browser, step, method, path string, form url.Values, want int) (*http.Response, []byte, error) {
	resp, body, _, err := b.Do(ctx, step, method, path, form)
	if err != nil {
		return nil, nil, fail(step, err)
	}
	if resp.StatusCode != want || (want == http.StatusSeeOther && resp.Header.Get("Location") == "") {
		return nil, nil, fail(step, &benchkit.StatusError{Method: method, Path: path, Status: resp.StatusCode,
			Location: resp.Header.Get("Location"), Body: body})
	}
	return resp, body, nil
}

var (
	toetsAction    = regexp.MustCompile(`<form method="post" action="([^"]+/toets)"`)
	gedaanAction   = regexp.MustCompile(`<form[^>]* action="([^"]+/gedaan)"`)
	fieldsetRE     = regexp.MustCompile(`(?s)<fieldset class="rz-question".*?</fieldset>`)
	legendRE       = regexp.MustCompile(`(?s)<legend><span class="rz-question__number"[^>]*>[^<]*</span> (.*?)</legend>`)
	optionRE       = regexp.MustCompile(`(?s)id="optie-(\d+)" name="(q\d+)" value="(\d+)".*?<label class="utrecht-form-label" for="optie-(\d+)">(.*?)</label>`)
	nextLinkRE     = regexp.MustCompile(`<a class="rz-pager__next[^"]*" href="([^"]+)" rel="next"`)
	certificateRE  = regexp.MustCompile(`href="/api/v1/certificates/([A-Z0-9-]+)\.pdf"`)
	completedRE    = regexp.MustCompile(`(?s)<section class="rz-dash-section" aria-labelledby="afgerond">.*?</section>`)
	resultPassedRE = regexp.MustCompile(`rz-result__score--passed`)
)

// answers fills in the quiz form of page with the right options.
func (c *course) answers(page []byte, csrf string) (url.Values, error) {
	form := url.Values{"_csrf": {csrf}}
	sets := fieldsetRE.FindAll(page, -1)
	if len(sets) == 0 {
		return nil, errors.New("no questions in the quiz form")
	}
	for _, fs := range sets {
		m := legendRE.FindSubmatch(fs)
		if m == nil {
			return nil, errors.New("a question without its text")
		}
		text := html.UnescapeString(string(m[1]))
		right, ok := c.right[text]
		if !ok {
			return nil, fmt.Errorf("question %q is not in the course folder", text)
		}
		chosen := 0
		for _, o := range optionRE.FindAllSubmatch(fs, -1) {
			if string(o[1]) != string(o[3]) || string(o[1]) != string(o[4]) {
				return nil, errors.New("an option whose id, value and label differ")
			}
			if right[html.UnescapeString(string(o[5]))] {
				form.Add(string(o[2]), string(o[3]))
				chosen++
			}
		}
		if chosen != len(right) {
			return nil, fmt.Errorf("question %q: %d of its %d right options found on the page", text, chosen, len(right))
		}
	}
	return form, nil
}

// journey takes p through the whole learner journey once, as a browser
// does, and returns the first failure.
func (c *course) journey(ctx context.Context, b *benchkit.Browser, p *person) error {
	// Sign in through the form; the answer sends the browser to the
	// dashboard.
	loc, err := b.SignIn(ctx, p.email, p.password)
	if err != nil {
		var se *benchkit.StatusError
		if (errors.As(err, &se) && se.Method == http.MethodGet) || strings.HasPrefix(err.Error(), "GET ") {
			return fail("signin-form", err)
		}
		return fail("signin", err)
	}
	if loc != "/mijn-leren" {
		return check("signin", "sent to %q after signing in, want /mijn-leren", loc)
	}
	if _, _, err := expect(ctx, b, "dashboard", http.MethodGet, loc, nil, http.StatusOK); err != nil {
		return err
	}
	// The catalogue and the course.
	_, page, err := expect(ctx, b, "catalogue", http.MethodGet, "/cursussen", nil, http.StatusOK)
	if err != nil {
		return err
	}
	coursePath := "/cursussen/" + c.slug
	if !bytes.Contains(page, []byte(`href="`+coursePath+`"`)) {
		return check("catalogue", "the catalogue does not link to %s", coursePath)
	}
	_, page, err = expect(ctx, b, "course", http.MethodGet, coursePath, nil, http.StatusOK)
	if err != nil {
		return err
	}
	enrolPath := coursePath + "/inschrijven"
	if !bytes.Contains(page, []byte(`action="`+enrolPath+`"`)) {
		return check("course", "the course page has no enrol form")
	}
	csrf := benchkit.CSRFField(page)
	if csrf == "" || csrf != b.Cookies["rz_csrf"] {
		return check("course", "the enrol form's _csrf field is missing or not the rz_csrf cookie")
	}
	// Enrol, then /leren/SLUG sends the learner to the first activity.
	resp, _, err := expect(ctx, b, "enrol", http.MethodPost, enrolPath, url.Values{"_csrf": {csrf}}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	if l := resp.Header.Get("Location"); l != "/leren/"+c.slug {
		return check("enrol", "sent to %q after enrolling, want /leren/%s", l, c.slug)
	}
	resp, _, err = expect(ctx, b, "resume", http.MethodGet, "/leren/"+c.slug, nil, http.StatusSeeOther)
	if err != nil {
		return err
	}
	next := resp.Header.Get("Location")
	if err := c.walk(ctx, b, p, next); err != nil {
		return err
	}
	// The dashboard lists the course as completed, with its certificate.
	_, page, err = expect(ctx, b, "dashboard-completed", http.MethodGet, "/mijn-leren", nil, http.StatusOK)
	if err != nil {
		return err
	}
	done := completedRE.Find(page)
	if !bytes.Contains(done, []byte(`href="`+coursePath+`"`)) {
		return check("dashboard-completed", "the course is not among the completed courses")
	}
	m := certificateRE.FindSubmatch(done)
	if m == nil {
		return check("dashboard-completed", "no certificate link for the completed course")
	}
	p.certificate = string(m[1])
	// The PDF, as the dashboard links it.
	resp, page, err = expect(ctx, b, "certificate-pdf", http.MethodGet, "/api/v1/certificates/"+p.certificate+".pdf", nil, http.StatusOK)
	if err != nil {
		return err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		return check("certificate-pdf", "Content-Type %q, want application/pdf", ct)
	}
	if !bytes.HasPrefix(page, []byte("%PDF-")) || !bytes.Contains(page[max(0, len(page)-32):], []byte("%%EOF")) || len(page) < 10_000 {
		return check("certificate-pdf", "not a whole PDF (%d bytes)", len(page))
	}
	// Its public verification page.
	_, page, err = expect(ctx, b, "verify", http.MethodGet, "/verifieer/"+p.certificate, nil, http.StatusOK)
	if err != nil {
		return err
	}
	if !bytes.Contains(page, []byte("rz-verdict--valid")) || !bytes.Contains(page, []byte(p.certificate)) {
		return check("verify", "the verification page does not say that %s is valid", p.certificate)
	}
	return nil
}

// walk goes through the course from the activity at path on: a
// lesson is read and marked done (its form redirects to the next activity),
// a quiz is answered right and its result read; after the last activity
// the course is complete.
func (c *course) walk(ctx context.Context, b *benchkit.Browser, p *person, path string) error {
	prefix := "/leren/" + c.slug + "/"
	for range 4 * c.activities { // a bound, should the pages loop
		if !strings.HasPrefix(path, prefix) {
			return check("activity", "sent to %q, outside the course", path)
		}
		step := "lesson"
		if c.quizPaths[path] {
			step = "quiz"
		}
		_, page, err := expect(ctx, b, step, http.MethodGet, path, nil, http.StatusOK)
		if err != nil {
			return err
		}
		csrf := benchkit.CSRFField(page)
		if m := toetsAction.FindSubmatch(page); m != nil {
			// A quiz: answer it right, then read the result.
			form, err := c.answers(page, csrf)
			if err != nil {
				return check("quiz", "%s: %v", path, err)
			}
			resp, _, err := expect(ctx, b, "quiz-submit", http.MethodPost, html.UnescapeString(string(m[1])), form, http.StatusSeeOther)
			if err != nil {
				return err
			}
			p.activities++
			result := resp.Header.Get("Location")
			result, _, _ = strings.Cut(result, "#")
			_, page, err = expect(ctx, b, "quiz-result", http.MethodGet, result, nil, http.StatusOK)
			if err != nil {
				return err
			}
			if !resultPassedRE.Match(page) {
				return check("quiz-result", "the quiz was not passed with the right answers")
			}
			n := nextLinkRE.FindSubmatch(page)
			if n == nil {
				return c.finished(p)
			}
			path = html.UnescapeString(string(n[1]))
			continue
		}
		m := gedaanAction.FindSubmatch(page)
		if m == nil {
			return check(step, "%s has neither a done form nor a quiz form", path)
		}
		resp, _, err := expect(ctx, b, "lesson-done", http.MethodPost, html.UnescapeString(string(m[1])), url.Values{"_csrf": {csrf}}, http.StatusSeeOther)
		if err != nil {
			return err
		}
		p.activities++
		path = resp.Header.Get("Location")
		if strings.HasSuffix(path, "?klaar=1") {
			// The last activity was a lesson: the browser shows it once
			// more, with the course complete.
			if _, _, err := expect(ctx, b, "lesson", http.MethodGet, path, nil, http.StatusOK); err != nil {
				return err
			}
			return c.finished(p)
		}
	}
	return check("activity", "more than %d activity pages: the pages go round in circles", 4*c.activities)
}

func (c *course) finished(p *person) error {
	if p.activities != c.activities {
		return check("activity", "the course ended after %d of its %d activities", p.activities, c.activities)
	}
	return nil
}
