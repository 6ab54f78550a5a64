package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// The shipped course the learning tests walk through, and its quiz.
const (
	learnSlug     = "nieuw-in-de-raad"
	learnQuizKey  = "overleven-en-samenwerken/toets"
	learnQuizPage = "/leren/nieuw-in-de-raad/overleven-en-samenwerken/toets"
	learnQuizPost = learnQuizPage + "/toets"
	learnFirst    = "/leren/nieuw-in-de-raad/het-speelveld/het-duale-stelsel"
	learnSecond   = "/leren/nieuw-in-de-raad/het-speelveld/drie-rollen-van-de-raad"
)

// learnSignedIn creates a user with role and signs them in.
func learnSignedIn(t *testing.T, a *application, email string, role courses.Role) (*client, *courses.User) {
	t.Helper()
	u := createTestUser(t, a, email, role)
	c := newClient(t, a)
	if resp, _ := c.signIn(email, testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, resp.StatusCode)
	}
	return c, u
}

// learnPost sends a form with the client's CSRF token.
func learnPost(b *client, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.csrf())
	return b.do(http.MethodPost, path, form)
}

// learnEnrol enrols the client's user in slug through the course page's form.
func learnEnrol(t *testing.T, c *client, slug string) {
	t.Helper()
	resp, page := learnPost(c, "/cursussen/"+slug+"/inschrijven", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/leren/"+slug {
		t.Fatalf("enrol in %s: %d to %q; %.300s", slug, resp.StatusCode, resp.Header.Get("Location"), page)
	}
}

// learnCourse loads the published shipped course and its quiz step.
func learnCourse(t *testing.T, a *application) (*courses.Course, courses.Step) {
	t.Helper()
	course, err := a.courses.CourseBySlug(context.Background(), learnSlug)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range course.Activities() {
		if s.Activity.Kind == courses.KindQuiz {
			if courses.Key(s.Module.Slug, s.Activity.Slug) != learnQuizKey {
				t.Fatalf("quiz is %s/%s, want %s", s.Module.Slug, s.Activity.Slug, learnQuizKey)
			}
			return course, s
		}
	}
	t.Fatal("no quiz in " + learnSlug)
	return nil, courses.Step{}
}

func learnField(q courses.Question) string { return "q" + strconv.FormatInt(q.ID, 10) }

// learnAnswers returns a quiz form answering every question rightly
// (right) or wrongly, each question's first wrong option only.
func learnAnswers(quiz *courses.Quiz, right bool) url.Values {
	form := url.Values{}
	for _, q := range quiz.Questions {
		for _, o := range q.Options {
			if right && o.Correct {
				form.Add(learnField(q), strconv.FormatInt(o.ID, 10))
			}
			if !right && !o.Correct {
				form.Add(learnField(q), strconv.FormatInt(o.ID, 10))
				break
			}
		}
	}
	return form
}

var learnOption = regexp.MustCompile(`id="optie-(\d+)" name="q\d+" value="\d+"( checked)?>`)

// learnOptions returns the option ids of a quiz form in page order, and
// those checked.
func learnOptions(page string) (order []int64, checked map[int64]bool) {
	checked = map[int64]bool{}
	for _, m := range learnOption.FindAllStringSubmatch(page, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		order = append(order, id)
		if m[2] != "" {
			checked[id] = true
		}
	}
	return order, checked
}

func learnAttempts(t *testing.T, a *application, userID, courseID int64) int {
	t.Helper()
	ctx := context.Background()
	e, err := a.learning.Enrolment(ctx, userID, courseID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.learning.Attempts(ctx, e.ID, learnQuizKey)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestLearnCourseFlow: the course page invites to sign in or enrol; after
// enrolling the learner starts at the first activity, marks it done, sees
// the progress, and resumes where they last were.
func TestLearnCourseFlow(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			course, _ := learnCourse(t, a)
			total := len(course.Activities())
			first := course.Activities()[0].Activity

			anon := newClient(t, a)
			resp, page := anon.do(http.MethodGet, "/cursussen/"+learnSlug, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Log in om u in te schrijven") || strings.Contains(page, "/inschrijven") {
				t.Errorf("anonymous course page: %d, sign-in invitation or no enrol form missing", resp.StatusCode)
			}

			c, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			_, page = c.do(http.MethodGet, "/cursussen/"+learnSlug, nil)
			if !strings.Contains(page, `action="/cursussen/`+learnSlug+`/inschrijven"`) || !strings.Contains(page, "Schrijf u in voor deze cursus") {
				t.Errorf("signed-in course page lacks the enrol button")
			}
			if strings.Contains(page, "Log in om u in te schrijven") || strings.Contains(page, "U bent ingeschreven") {
				t.Errorf("signed-in course page invites to sign in or says enrolled")
			}

			learnEnrol(t, c, learnSlug)
			if _, page := c.do(http.MethodGet, "/cursussen/"+learnSlug, nil); !strings.Contains(page, "U bent ingeschreven") || !strings.Contains(page, "Begin met de cursus") {
				t.Errorf("course page right after enrolling lacks the enrolment or the start link")
			}
			resp, _ = c.do(http.MethodGet, "/leren/"+learnSlug, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != learnFirst {
				t.Fatalf("resume before starting: %d to %q, want %s", resp.StatusCode, resp.Header.Get("Location"), learnFirst)
			}

			resp, page = c.do(http.MethodGet, learnFirst, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("first activity: %d", resp.StatusCode)
			}
			for _, want := range []string{
				`<h1 class="utrecht-heading-1">` + first.Title + `</h1>`,
				"0 van " + strconv.Itoa(total) + " onderdelen gedaan",
				`href="` + learnSecond + `" rel="next"`,
				"Volgende:",
				"Inhoud van de cursus",
				`href="` + learnQuizPage + `"`,
				`href="` + learnFirst + `" aria-current="page"`,
				`action="` + learnFirst + `/gedaan"`,
				"Markeer als gedaan en ga verder",
			} {
				if !strings.Contains(page, want) {
					t.Errorf("first activity page lacks %q", want)
				}
			}
			if strings.Contains(page, `rel="prev"`) {
				t.Error("first activity has a previous link")
			}

			resp, _ = learnPost(c, learnFirst+"/gedaan", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != learnSecond {
				t.Fatalf("mark done: %d to %q, want %s", resp.StatusCode, resp.Header.Get("Location"), learnSecond)
			}
			resp, page = c.do(http.MethodGet, learnSecond, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "1 van "+strconv.Itoa(total)+" onderdelen gedaan") {
				t.Errorf("second activity: %d, progress 1 missing", resp.StatusCode)
			}
			if !strings.Contains(page, `href="`+learnFirst+`" rel="prev"`) {
				t.Error("second activity lacks the previous link")
			}
			if _, page = c.do(http.MethodGet, learnFirst, nil); !strings.Contains(page, "Gedaan") || strings.Contains(page, `action="`+learnFirst+`/gedaan"`) {
				t.Error("done lesson still offers to mark it done")
			}
			// Marking done again is harmless.
			if resp, _ := learnPost(c, learnFirst+"/gedaan", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("mark done twice: %d", resp.StatusCode)
			}

			// Resume goes to the last opened activity, not the first one not done.
			third := "/leren/nieuw-in-de-raad/van-voorstel-tot-besluit/debatteren-en-stemmen"
			if resp, _ := c.do(http.MethodGet, third, nil); resp.StatusCode != 200 {
				t.Fatalf("open %s: %d", third, resp.StatusCode)
			}
			resp, _ = c.do(http.MethodGet, "/leren/"+learnSlug, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != third {
				t.Errorf("resume: %d to %q, want %s", resp.StatusCode, resp.Header.Get("Location"), third)
			}
			_, page = c.do(http.MethodGet, "/cursussen/"+learnSlug, nil)
			for _, want := range []string{"U bent ingeschreven", "Voortgang: " + strconv.Itoa(100/total) + "%", "Ga verder waar u was", `href="/leren/` + learnSlug + `"`} {
				if !strings.Contains(page, want) {
					t.Errorf("course page after starting lacks %q", want)
				}
			}
			if strings.Contains(page, `/inschrijven"`) {
				t.Error("course page still offers to enrol")
			}
			// An activity that does not exist.
			if resp, _ := c.do(http.MethodGet, "/leren/nieuw-in-de-raad/het-speelveld/bestaat-niet", nil); resp.StatusCode != 404 {
				t.Errorf("unknown activity: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestLearnNotEnrolled: activities are for enrolled learners only.
func TestLearnNotEnrolled(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c, u := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			if resp, _ := c.do(http.MethodGet, learnFirst, nil); resp.StatusCode != 404 {
				t.Errorf("activity without enrolment: %d, want 404", resp.StatusCode)
			}
			if resp, _ := learnPost(c, learnFirst+"/gedaan", nil); resp.StatusCode != 404 {
				t.Errorf("mark done without enrolment: %d, want 404", resp.StatusCode)
			}
			if resp, _ := learnPost(c, learnQuizPost, url.Values{}); resp.StatusCode != 404 {
				t.Errorf("quiz without enrolment: %d, want 404", resp.StatusCode)
			}
			resp, _ := c.do(http.MethodGet, "/leren/"+learnSlug, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cursussen/"+learnSlug {
				t.Errorf("resume without enrolment: %d to %q, want the course page", resp.StatusCode, resp.Header.Get("Location"))
			}
			list, err := a.learning.Enrolments(context.Background(), u.ID)
			if err != nil || len(list) != 0 {
				t.Errorf("enrolments after refused requests: %v %v", list, err)
			}
			if resp, _ := newClient(t, a).do(http.MethodGet, learnFirst, nil); resp.StatusCode != http.StatusSeeOther ||
				!strings.HasPrefix(resp.Header.Get("Location"), "/inloggen") {
				t.Errorf("anonymous activity: %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

// TestLearnQuizForm: a quiz taken through the HTML form, with open
// questions, wrong, tampered and right answers, and the attempt limit.
func TestLearnQuizForm(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			course, step := learnCourse(t, a)
			quiz := step.Activity.Quiz
			if len(quiz.Questions) != 8 || quiz.PassMark != 70 || quiz.MaxAttempts != 3 || !quiz.Shuffle {
				t.Fatalf("quiz settings: %d questions, pass mark %d, %d attempts, shuffle %v", len(quiz.Questions), quiz.PassMark, quiz.MaxAttempts, quiz.Shuffle)
			}
			c, u := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			learnEnrol(t, c, learnSlug)
			attempts := func() int { return learnAttempts(t, a, u.ID, course.ID) }

			resp, page := c.do(http.MethodGet, learnQuizPage, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `action="`+learnQuizPost+`"`) || !strings.Contains(page, "Lever de toets in") ||
				!strings.Contains(page, "8 vragen; u haalt de toets met 70% goed.") || !strings.Contains(page, "U hebt nog 3 pogingen.") {
				t.Fatalf("quiz page: %d, form or rules missing", resp.StatusCode)
			}
			if order, _ := learnOptions(page); len(order) != learnOptionCount(quiz) {
				t.Errorf("quiz form shows %d options, want %d", len(order), learnOptionCount(quiz))
			}

			// Three questions answered: nothing stored, the choices kept.
			partial := url.Values{}
			chosen := map[int64]bool{}
			for _, q := range quiz.Questions[:3] {
				partial.Add(learnField(q), strconv.FormatInt(q.Options[len(q.Options)-1].ID, 10))
				chosen[q.Options[len(q.Options)-1].ID] = true
			}
			resp, page = learnPost(c, learnQuizPost, partial)
			if resp.StatusCode != 400 || !strings.Contains(page, "Er zijn nog 5 vragen niet beantwoord. Uw antwoorden zijn bewaard; er is geen poging gebruikt.") {
				t.Errorf("partial answers: %d, unanswered message missing", resp.StatusCode)
			}
			if _, checked := learnOptions(page); !maps.Equal(checked, chosen) {
				t.Errorf("partial answers: checked %v, want %v", checked, chosen)
			}
			if n := attempts(); n != 0 {
				t.Errorf("partial answers stored %d attempts", n)
			}

			// All wrong: failed, the learner's answers shown, the right ones not yet.
			resp, _ = learnPost(c, learnQuizPost, learnAnswers(quiz, false))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != learnQuizPage+"?poging=1#resultaat" {
				t.Fatalf("wrong answers: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, page = c.do(http.MethodGet, learnQuizPage+"?poging=1", nil)
			for _, want := range []string{"Uitslag van poging 1", "Uw score is 0%. Voor een voldoende is 70% nodig.", "Uw antwoord", "Niet goed", "U hebt nog 2 pogingen.", "Probeer het opnieuw"} {
				if !strings.Contains(page, want) {
					t.Errorf("failed result lacks %q", want)
				}
			}
			if strings.Contains(page, "Goede antwoord") {
				t.Error("failed result with attempts left reveals the right answers")
			}
			if n := attempts(); n != 1 {
				t.Errorf("after one attempt: %d stored", n)
			}

			// Open questions after an attempt: only the new choices are checked,
			// in the order of the form the learner filled in.
			_, again := c.do(http.MethodGet, learnQuizPage+"?opnieuw=1", nil)
			formOrder, formChecked := learnOptions(again)
			if len(formChecked) != 0 {
				t.Errorf("new attempt's form has options checked: %v", formChecked)
			}
			resp, page = learnPost(c, learnQuizPost, partial)
			if resp.StatusCode != 400 {
				t.Errorf("partial answers after an attempt: %d, want 400", resp.StatusCode)
			}
			order, checked := learnOptions(page)
			if !maps.Equal(checked, chosen) {
				t.Errorf("partial answers after an attempt: checked %v, want only %v", checked, chosen)
			}
			if !slices.Equal(order, formOrder) {
				t.Errorf("partial answers after an attempt: options reordered from %v to %v", formOrder, order)
			}

			// Tampered answers: an option of another question, or no number.
			tampered := learnAnswers(quiz, true)
			q0, q1 := quiz.Questions[0], quiz.Questions[1]
			tampered.Set(learnField(q1), strconv.FormatInt(q0.Options[0].ID, 10))
			if resp, _ := learnPost(c, learnQuizPost, tampered); resp.StatusCode != 400 {
				t.Errorf("option of another question: %d, want 400", resp.StatusCode)
			}
			tampered = learnAnswers(quiz, true)
			tampered.Set(learnField(q1), "abc")
			if resp, _ := learnPost(c, learnQuizPost, tampered); resp.StatusCode != 400 {
				t.Errorf("option id abc: %d, want 400", resp.StatusCode)
			}
			if n := attempts(); n != 1 {
				t.Errorf("tampered answers stored attempts: %d, want 1", n)
			}

			// All right: passed.
			resp, _ = learnPost(c, learnQuizPost, learnAnswers(quiz, true))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != learnQuizPage+"?poging=2#resultaat" {
				t.Fatalf("right answers: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, page = c.do(http.MethodGet, learnQuizPage+"?poging=2", nil)
			if !strings.Contains(page, "Gehaald: uw score is 100% (nodig: 70%).") || !strings.Contains(page, "Uw pogingen") {
				t.Errorf("passed result lacks the passed message or the attempt list")
			}

			// Another learner fails three times: no form, no fourth attempt.
			d, du := learnSignedIn(t, a, "herkanser@example.nl", courses.RoleLearner)
			learnEnrol(t, d, learnSlug)
			for i := 1; i <= 3; i++ {
				resp, _ := learnPost(d, learnQuizPost, learnAnswers(quiz, false))
				if want := learnQuizPage + "?poging=" + strconv.Itoa(i) + "#resultaat"; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
					t.Fatalf("failed attempt %d: %d to %q", i, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			for _, path := range []string{learnQuizPage, learnQuizPage + "?opnieuw=1"} {
				_, page = d.do(http.MethodGet, path, nil)
				if strings.Contains(page, `action="`+learnQuizPost+`"`) || strings.Contains(page, "Probeer het opnieuw") {
					t.Errorf("%s: a form or retry link after the last attempt", path)
				}
				if !strings.Contains(page, "geen pogingen meer") {
					t.Errorf("%s: no \"geen pogingen meer\" after the last attempt", path)
				}
				if !strings.Contains(page, "Goede antwoord") {
					t.Errorf("%s: the right answers are not shown once no attempts are left", path)
				}
			}
			if resp, _ := learnPost(d, learnQuizPost, learnAnswers(quiz, true)); resp.StatusCode != 400 {
				t.Errorf("fourth attempt: %d, want 400", resp.StatusCode)
			}
			if n := learnAttempts(t, a, du.ID, course.ID); n != 3 {
				t.Errorf("attempts after the refused fourth: %d, want 3", n)
			}
		})
	}
}

func learnOptionCount(q *courses.Quiz) int {
	n := 0
	for _, question := range q.Questions {
		n += len(question.Options)
	}
	return n
}

// TestLearnQuizShuffleStable: a learner sees the options of one attempt in
// one order, on every reload and in the API.
func TestLearnQuizShuffleStable(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			_, step := learnCourse(t, a)
			c, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			learnEnrol(t, c, learnSlug)
			_, page := c.do(http.MethodGet, learnQuizPage, nil)
			first, _ := learnOptions(page)
			if len(first) != learnOptionCount(step.Activity.Quiz) {
				t.Fatalf("quiz form shows %d options", len(first))
			}
			for range 3 {
				_, page := c.do(http.MethodGet, learnQuizPage, nil)
				if again, _ := learnOptions(page); !slices.Equal(first, again) {
					t.Fatalf("options reordered on reload: %v, then %v", first, again)
				}
			}
			var stored []int64
			for _, q := range step.Activity.Quiz.Questions {
				for _, o := range q.Options {
					stored = append(stored, o.ID)
				}
			}
			if slices.Equal(first, stored) {
				t.Error("options of a shuffled quiz are in the stored order")
			}

			status, token := apiToken(t, a, "leerling@example.nl", testPassword)
			if status != 200 {
				t.Fatalf("token: %d", status)
			}
			resp, body := apiCall(t, a, token, http.MethodGet, "/api/v1/quizzes/"+strconv.FormatInt(step.Activity.ID, 10), "")
			var q apiQuiz
			if err := json.Unmarshal(body, &q); err != nil || resp.StatusCode != 200 {
				t.Fatalf("API quiz: %d %v", resp.StatusCode, err)
			}
			var viaAPI []int64
			for _, question := range q.Questions {
				for _, o := range question.Options {
					viaAPI = append(viaAPI, o.ID)
				}
			}
			if !slices.Equal(first, viaAPI) {
				t.Errorf("API order %v differs from the page's %v", viaAPI, first)
			}
		})
	}
}

// TestLearnAPI: enrolment, progress, lesson completion and quiz attempts
// through the JSON API.
func TestLearnAPI(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			ctx := context.Background()
			course, step := learnCourse(t, a)
			quiz := step.Activity.Quiz
			lesson := course.Activities()[0]
			other, err := a.courses.CourseBySlug(ctx, "begroting-lezen-en-beinvloeden")
			if err != nil {
				t.Fatal(err)
			}
			u := createTestUser(t, a, "leerling@example.nl", courses.RoleLearner)
			status, token := apiToken(t, a, "leerling@example.nl", testPassword)
			if status != 200 || token == "" {
				t.Fatalf("token: %d", status)
			}
			call := func(method, path, body string) (int, string) {
				t.Helper()
				resp, answer := apiCall(t, a, token, method, path, body)
				return resp.StatusCode, string(answer)
			}
			id := func(n int64) string { return strconv.FormatInt(n, 10) }

			// The course outline names lessons and the quiz with its summary.
			status, body := call(http.MethodGet, "/api/v1/courses/"+learnSlug, "")
			var detail apiCourseDetail
			if err := json.Unmarshal([]byte(body), &detail); err != nil || status != 200 {
				t.Fatalf("course: %d %v", status, err)
			}
			kinds := map[string]int{}
			for _, m := range detail.Modules {
				for _, act := range m.Activities {
					kinds[act.Kind]++
					if act.Kind == "quiz" && (act.Quiz == nil || act.Quiz.Questions != 8 || act.Quiz.PassMark != 70 || act.Quiz.MaxAttempts != 3 || act.ID != step.Activity.ID) {
						t.Errorf("quiz in the outline: %+v", act)
					}
				}
			}
			if kinds["lesson"] != len(course.Activities())-1 || kinds["quiz"] != 1 {
				t.Errorf("activity kinds: %v", kinds)
			}
			if !strings.Contains(body, `"quiz":{"questions":8,"pass_mark":70,"max_attempts":3}`) {
				t.Errorf("course JSON lacks the quiz summary: %.300s", body)
			}
			if status, _ := call(http.MethodGet, "/api/v1/courses/bestaat-niet", ""); status != 404 {
				t.Errorf("unknown course: %d", status)
			}

			// Enrol: created, then already there.
			status, body = call(http.MethodPost, "/api/v1/courses/"+learnSlug+"/enrolment", "")
			var e apiEnrolment
			if err := json.Unmarshal([]byte(body), &e); err != nil || status != 201 {
				t.Fatalf("enrol: %d %v %s", status, err, body)
			}
			if e.Course != learnSlug || e.Status != "enrolled" || e.Progress != 0 || e.ID == 0 {
				t.Errorf("new enrolment: %+v", e)
			}
			if status, body := call(http.MethodPost, "/api/v1/courses/"+learnSlug+"/enrolment", ""); status != 200 || !strings.Contains(body, `"id":`+id(e.ID)) {
				t.Errorf("enrol again: %d %s", status, body)
			}
			if status, body := call(http.MethodPost, "/api/v1/courses/bestaat-niet/enrolment", ""); status != 404 || !strings.Contains(body, `"code":"not_found"`) {
				t.Errorf("enrol in an unknown course: %d %s", status, body)
			}
			mine := func() []apiEnrolment {
				t.Helper()
				status, body := call(http.MethodGet, "/api/v1/me/enrolments", "")
				var list apiEnrolmentList
				if err := json.Unmarshal([]byte(body), &list); err != nil || status != 200 {
					t.Fatalf("my enrolments: %d %v", status, err)
				}
				return list.Enrolments
			}
			if list := mine(); len(list) != 1 || list[0].ID != e.ID || list[0].Course != learnSlug || list[0].Status != "enrolled" || list[0].Progress != 0 {
				t.Errorf("my enrolments: %+v", list)
			}

			// Lesson completion: idempotent.
			for i := range 2 {
				status, body := call(http.MethodPost, "/api/v1/lessons/"+id(lesson.Activity.ID)+"/completion", "")
				var done apiCompletion
				if err := json.Unmarshal([]byte(body), &done); err != nil || status != 200 {
					t.Fatalf("completion %d: %d %v %s", i+1, status, err, body)
				}
				if !done.Completed || done.Lesson != lesson.Activity.ID || done.Enrolment.Status != "in_progress" || done.Enrolment.Progress != 100/len(course.Activities()) {
					t.Errorf("completion %d: %+v", i+1, done)
				}
			}
			keys, err := a.learning.DoneKeys(ctx, e.ID)
			if err != nil || len(keys) != 1 {
				t.Errorf("done after two completions: %v %v", keys, err)
			}
			if list := mine(); len(list) != 1 || list[0].Status != "in_progress" || list[0].Progress <= 0 || list[0].Progress > 100 {
				t.Errorf("my enrolments after a lesson: %+v", list)
			}
			if status, _ := call(http.MethodPost, "/api/v1/lessons/"+id(step.Activity.ID)+"/completion", ""); status != 404 {
				t.Errorf("completion of a quiz: %d, want 404", status)
			}
			if status, _ := call(http.MethodPost, "/api/v1/lessons/"+id(other.Activities()[0].Activity.ID)+"/completion", ""); status != 404 {
				t.Errorf("completion in a course not enrolled in: %d, want 404", status)
			}
			if status, _ := call(http.MethodPost, "/api/v1/lessons/999999/completion", ""); status != 404 {
				t.Errorf("completion of an unknown lesson: %d, want 404", status)
			}

			// The quiz without its answers.
			status, body = call(http.MethodGet, "/api/v1/quizzes/"+id(step.Activity.ID), "")
			if status != 200 {
				t.Fatalf("quiz: %d %s", status, body)
			}
			if strings.Contains(strings.ToLower(body), "correct") {
				t.Errorf("quiz JSON tells which options are correct: %s", body)
			}
			var q apiQuiz
			if err := json.Unmarshal([]byte(body), &q); err != nil || len(q.Questions) != 8 || q.PassMark != 70 || q.AttemptsLeft != 3 {
				t.Errorf("quiz: %+v %v", q, err)
			}
			if status, _ := call(http.MethodGet, "/api/v1/quizzes/"+id(lesson.Activity.ID), ""); status != 404 {
				t.Errorf("a lesson as a quiz: %d, want 404", status)
			}

			// Attempts: every question answered, then graded on the server.
			type answer struct {
				Question int64   `json:"question"`
				Options  []int64 `json:"options"`
			}
			var right []answer
			for _, question := range quiz.Questions {
				ans := answer{Question: question.ID}
				for _, o := range question.Options {
					if o.Correct {
						ans.Options = append(ans.Options, o.ID)
					}
				}
				right = append(right, ans)
			}
			encode := func(list []answer) string {
				b, _ := json.Marshal(map[string]any{"answers": list})
				return string(b)
			}
			path := "/api/v1/quizzes/" + id(step.Activity.ID) + "/attempts"
			status, body = call(http.MethodPost, path, encode(right[:7]))
			if status != 400 || !strings.Contains(body, `"field":"answers.8"`) {
				t.Errorf("attempt with an open question: %d %s", status, body)
			}
			if n := learnAttempts(t, a, u.ID, course.ID); n != 0 {
				t.Errorf("refused attempt stored: %d", n)
			}
			status, body = call(http.MethodPost, path, encode(right))
			var at apiAttempt
			if err := json.Unmarshal([]byte(body), &at); err != nil || status != 201 {
				t.Fatalf("attempt: %d %v %s", status, err, body)
			}
			if !at.Passed || at.Score != 100 || at.Number != 1 || at.AttemptsLeft != 2 || len(at.Questions) != 8 {
				t.Errorf("right attempt: %+v", at)
			}
		})
	}
}

const learnCourseMD = `---
title: Testcursus voor bestanden
summary: Een cursus om bestanden en opmaak te testen.
audience: raadslid
topics: werkwijze-raad
study_hours: 1,5
level: basis
language: nl
version: 1
---
Een cursus om te testen.
`

var (
	learnPDF = "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
	learnPNG = "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 32)
)

// learnImport saves a course folder (slug, with files relative to it) as
// a new version, published or a draft.
func learnImport(t *testing.T, a *application, slug string, files map[string]string, publish bool) *courses.Course {
	t.Helper()
	fsys := fstest.MapFS{slug + "/course.md": {Data: []byte(learnCourseMD)}}
	for name, text := range files {
		fsys[slug+"/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	c, err := courses.ReadCourseFolder(fsys, slug)
	if err != nil {
		t.Fatalf("read %s: %v %v", slug, err, courses.ErrorProblems(err))
	}
	if err := a.courses.SaveCourse(context.Background(), c, courses.ImportOptions{Publish: publish}); err != nil {
		t.Fatalf("save %s: %v %v", slug, err, courses.ErrorProblems(err))
	}
	a.pages.clear()
	return c
}

// TestLearnCourseFiles: files of a published version are served to any
// signed-in user, never sniffed, documents as downloads; draft files only
// to those who may edit the course.
func TestLearnCourseFiles(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			published := learnImport(t, a, "bestanden-test", map[string]string{
				"01-basis/module.md":    "---\ntitle: De basis\n---\n",
				"01-basis/01-kaart.md":  "---\ntitle: De kaart\nminutes: 5\n---\n![Kaart](bestanden/kaart.png)\n\n[Handout](bestanden/handout.pdf)\n",
				"bestanden/kaart.png":   learnPNG,
				"bestanden/handout.pdf": learnPDF,
			}, true)
			draft := learnImport(t, a, "bestanden-test", map[string]string{
				"01-basis/module.md":    "---\ntitle: De basis\n---\n",
				"01-basis/01-kaart.md":  "---\ntitle: De kaart\nminutes: 5\n---\n[Concept](bestanden/concept.pdf)\n",
				"bestanden/concept.pdf": learnPDF,
			}, false)
			if draft.State != courses.StateDraft || draft.VersionID == published.VersionID {
				t.Fatalf("draft version %d (%s), published %d", draft.VersionID, draft.State, published.VersionID)
			}
			pub := "/cursusbestanden/" + strconv.FormatInt(published.VersionID, 10) + "/"
			drf := "/cursusbestanden/" + strconv.FormatInt(draft.VersionID, 10) + "/"

			learner, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			resp, body := learner.do(http.MethodGet, pub+"handout.pdf", nil)
			if resp.StatusCode != 200 || body != learnPDF {
				t.Fatalf("published pdf: %d, %d bytes", resp.StatusCode, len(body))
			}
			checkHeaders := func(what string, resp *http.Response, disposition, contentType string) {
				t.Helper()
				h := resp.Header
				if got := h.Get("Content-Disposition"); !strings.HasPrefix(got, disposition) {
					t.Errorf("%s: Content-Disposition %q, want %s", what, got, disposition)
				}
				if got := h.Get("Content-Type"); !strings.HasPrefix(got, contentType) {
					t.Errorf("%s: Content-Type %q, want %s", what, got, contentType)
				}
				if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("%s: X-Content-Type-Options %q", what, got)
				}
				csp := h.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src 'self'") {
					t.Errorf("%s: Content-Security-Policy %q is not restrictive", what, csp)
				}
			}
			checkHeaders("pdf", resp, "attachment", "application/pdf")
			resp, body = learner.do(http.MethodGet, pub+"kaart.png", nil)
			if resp.StatusCode != 200 || body != learnPNG {
				t.Fatalf("published png: %d, %d bytes", resp.StatusCode, len(body))
			}
			checkHeaders("png", resp, "inline", "image/png")

			for _, path := range []string{pub + "bestaat-niet.pdf", pub + "concept.pdf", "/cursusbestanden/999999/handout.pdf", "/cursusbestanden/abc/handout.pdf"} {
				if resp, _ := learner.do(http.MethodGet, path, nil); resp.StatusCode != 404 {
					t.Errorf("%s: %d, want 404", path, resp.StatusCode)
				}
			}
			if resp, _ := learner.do(http.MethodGet, drf+"concept.pdf", nil); resp.StatusCode != 404 {
				t.Errorf("draft file for a learner: %d, want 404", resp.StatusCode)
			}
			if resp, _ := newClient(t, a).do(http.MethodGet, pub+"handout.pdf", nil); resp.StatusCode == 200 {
				t.Error("course file served to an anonymous visitor")
			}
			admin, _ := learnSignedIn(t, a, "beheer@example.nl", courses.RoleAdmin)
			resp, body = admin.do(http.MethodGet, drf+"concept.pdf", nil)
			if resp.StatusCode != 200 || body != learnPDF {
				t.Errorf("draft file for an admin: %d, %d bytes", resp.StatusCode, len(body))
			} else {
				checkHeaders("draft pdf", resp, "attachment", "application/pdf")
			}
		})
	}
}

// TestLearnMarkdownSafety: a lesson's Markdown cannot run script; file
// references point to the course's files; a paragraph that is a single
// link to an allow-listed video becomes a privacy-friendly player.
func TestLearnMarkdownSafety(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			body := "Inleiding.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n![x](bestanden/kaart.png)\n\n" +
				"[Video](https://www.youtube.com/watch?v=abcdefghijk)\n\n[Video](https://evil.example/watch?v=abcdefghijk)\n\nSlot.\n"
			c := learnImport(t, a, "veilig-test", map[string]string{
				"01-basis/module.md":  "---\ntitle: De basis\n---\n",
				"01-basis/01-les.md":  "---\ntitle: Een veilige les\nminutes: 5\n---\n" + body,
				"bestanden/kaart.png": learnPNG,
			}, true)
			learner, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			learnEnrol(t, learner, "veilig-test")
			resp, page := learner.do(http.MethodGet, "/leren/veilig-test/basis/les", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("lesson: %d", resp.StatusCode)
			}
			start := strings.Index(page, `<div class="rz-prose">`)
			end := strings.Index(page, `<div class="rz-done`)
			if start < 0 || end < start {
				t.Fatalf("lesson body not found:\n%s", page)
			}
			prose := page[start:end]
			if !strings.Contains(prose, "Inleiding.") || !strings.Contains(prose, "Slot.") {
				t.Errorf("lesson body incomplete: %s", prose)
			}
			for _, bad := range []string{"<script", "javascript:"} {
				if strings.Contains(strings.ToLower(page), bad) {
					t.Errorf("lesson page has %q: %s", bad, prose)
				}
			}
			for _, want := range []string{
				`src="/cursusbestanden/` + strconv.FormatInt(c.VersionID, 10) + `/kaart.png"`,
				`<iframe src="https://www.youtube-nocookie.com/embed/abcdefghijk" title="Video"`,
				`href="https://evil.example/watch?v=abcdefghijk"`,
			} {
				if !strings.Contains(prose, want) {
					t.Errorf("lesson body lacks %q: %s", want, prose)
				}
			}
			if n := strings.Count(prose, "<iframe"); n != 1 {
				t.Errorf("%d players, want 1 (the link to evil.example stays a link): %s", n, prose)
			}
			if strings.Contains(prose, "evil.example/embed") || strings.Contains(prose, `src="https://evil.example`) {
				t.Errorf("the link to evil.example became a player: %s", prose)
			}
		})
	}
}
