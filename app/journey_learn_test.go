package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// TestJourneyLearnerTakesCourse follows a councillor on a phone (360 px):
// sign in, enrol from the course page, read a lesson and mark it done, take
// the course's quiz by keyboard alone (failing once, then passing), and see
// the result. axe checks every page in Dutch and in English, no page
// scrolls sideways, and a lesson prints without navigation.
func TestJourneyLearnerTakesCourse(t *testing.T) {
	browser := newBrowser(t)
	env := testEnv(t, db.SQLite, nil)
	base := startServerEnv(t, env)
	axeSource := readAxe(t)
	const email = "ayse@example.nl"
	quiz := createJourneyLearner(t, env["DATABASE_URL"], email)

	tab := newTab(t, browser)
	viewport(t, tab, 360, 740)
	// checkPage runs axe and the phone-width checks on the open page, then on
	// the same page in English, and returns to Dutch.
	checkPage := func(t *testing.T) {
		t.Helper()
		path := evaluate[string](t, tab, `location.pathname + location.search`)
		for _, lang := range []string{"en", "nl"} {
			if lang == "en" {
				openIn(t, tab, base, lang, path, http.StatusOK)
			}
			checkAxe(t, tab, axeSource)
			if got := evaluate[int](t, tab, `document.querySelectorAll('h1').length`); got != 1 {
				t.Errorf("%s (%s): %d h1 elements, want 1", path, lang, got)
			}
			if w := evaluate[[2]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
				t.Errorf("%s (%s) scrolls sideways: %d > %d; widest: %s", path, lang, w[0], w[1], evaluate[string](t, tab, widestElements))
			}
		}
		openIn(t, tab, base, "nl", path, http.StatusOK)
	}
	var lessonPath, quizPath string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"signs-in", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inloggen?terug=%2Fcursussen%2Fnieuw-in-de-raad", http.StatusOK)
			submit(t, tab, http.StatusOK, "/cursussen/nieuw-in-de-raad",
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			checkPage(t)
		}},
		{"enrols-by-keyboard", func(t *testing.T) {
			tabTo(t, tab, "section.rz-enrol button", 80)
			submit(t, tab, http.StatusOK, "", chromedp.KeyEvent(kb.Enter))
			lessonPath = pathOf(t, tab)
			if !strings.HasPrefix(lessonPath, "/leren/nieuw-in-de-raad/") {
				t.Fatalf("after enrolling: landed on %s, want the first lesson", lessonPath)
			}
			if got := evaluate[string](t, tab, `document.querySelector('.rz-progress__label').textContent`); !strings.HasPrefix(got, "0 van ") {
				t.Errorf("progress: got %q, want 0 done", got)
			}
			checkPage(t)
		}},
		{"prints-a-lesson", func(t *testing.T) {
			if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
				t.Fatal(err)
			}
			hidden := evaluate[[]string](t, tab, `['.rz-nav', '.rz-breadcrumb', '.rz-learn__toc', '.rz-pager', '.rz-done']
				.filter(s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display !== 'none')`)
			if len(hidden) > 0 {
				t.Errorf("printed lesson shows %v", hidden)
			}
			if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}); err != nil {
				t.Fatal(err)
			}
		}},
		{"marks-done-by-keyboard", func(t *testing.T) {
			tabTo(t, tab, ".rz-done button", 120)
			submit(t, tab, http.StatusOK, "", chromedp.KeyEvent(kb.Enter))
			if got := pathOf(t, tab); got == lessonPath {
				t.Fatalf("still on %s after marking it done, want the next activity", got)
			}
			if got := evaluate[string](t, tab, `document.querySelector('.rz-progress__label').textContent`); !strings.HasPrefix(got, "1 van ") {
				t.Errorf("progress: got %q, want 1 done", got)
			}
		}},
		{"fails-the-quiz-once", func(t *testing.T) {
			quizPath = quiz.path
			submit(t, tab, http.StatusOK, quizPath, chromedp.Navigate(base+quizPath))
			checkPage(t)
			answerByKeyboard(t, tab, quiz.questions, false)
			tabTo(t, tab, "form button[type=submit]", 80)
			submit(t, tab, http.StatusOK, quizPath, chromedp.KeyEvent(kb.Enter))
			if got := evaluate[string](t, tab, `document.querySelector('.rz-result__score').textContent`); !strings.Contains(got, "Voor een voldoende") {
				t.Errorf("result after a wrong attempt: %q", got)
			}
			checkPage(t)
		}},
		{"passes-the-quiz-by-keyboard", func(t *testing.T) {
			tabTo(t, tab, `a[href$="?opnieuw=1"]`, 120)
			submit(t, tab, http.StatusOK, quizPath, chromedp.KeyEvent(kb.Enter))
			answerByKeyboard(t, tab, quiz.questions, true)
			tabTo(t, tab, "form button[type=submit]", 80)
			submit(t, tab, http.StatusOK, quizPath, chromedp.KeyEvent(kb.Enter))
			if got := evaluate[string](t, tab, `document.querySelector('.rz-result__score').textContent`); !strings.Contains(got, "Gehaald: uw score is 100%") {
				t.Errorf("result after the right answers: %q", got)
			}
			checkPage(t)
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow()
		}
	}
}

// journeyQuiz is the quiz the learner takes: its page and, per question in
// page order, the option ids that are right and one that is wrong.
type journeyQuiz struct {
	path      string
	questions []journeyQuestion
}

type journeyQuestion struct {
	id       int64
	multiple bool
	right    []int64
	wrong    int64
}

// createJourneyLearner adds a councillor without a second factor and
// returns the shipped course's quiz.
func createJourneyLearner(t *testing.T, dsn, email string) journeyQuiz {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	hash, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewUserService(d).CreateUser(t.Context(), &courses.NewUser{Email: email, Name: "Ayşe Çelik-van 't Hoff",
		Role: courses.RoleLearner, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	c, err := db.NewCourseService(d).CourseBySlug(t.Context(), "nieuw-in-de-raad")
	if err != nil {
		t.Fatal(err)
	}
	var q journeyQuiz
	for _, s := range c.Activities() {
		if s.Activity.Kind != courses.KindQuiz {
			continue
		}
		q.path = fmt.Sprintf("/leren/%s/%s/%s", c.Slug, s.Module.Slug, s.Activity.Slug)
		for _, question := range s.Activity.Quiz.Questions {
			jq := journeyQuestion{id: question.ID, multiple: question.Kind == courses.MultipleChoice}
			for _, o := range question.Options {
				if o.Correct {
					jq.right = append(jq.right, o.ID)
				} else {
					jq.wrong = o.ID
				}
			}
			q.questions = append(q.questions, jq)
		}
	}
	if q.path == "" {
		t.Fatal("the shipped course has no quiz")
	}
	return q
}

// answerByKeyboard answers every question with Tab, the arrow keys and
// Space only: right answers when right is set, else one wrong option each.
// A radio group takes one Tab stop; the arrow keys move and choose within
// it. Each checkbox is a Tab stop of its own; Space ticks it.
func answerByKeyboard(t *testing.T, tab context.Context, questions []journeyQuestion, right bool) {
	t.Helper()
	for _, q := range questions {
		want := []int64{q.wrong}
		if right {
			want = q.right
		}
		if q.multiple {
			// The checkboxes in the order the learner sees them (shuffled).
			order := evaluate[[]string](t, tab, fmt.Sprintf(`[...document.querySelectorAll('input[name="q%d"]')].map(e => e.id)`, q.id))
			for _, id := range want {
				target := fmt.Sprintf("#optie-%d", id)
				if !slices.Contains(order, target[1:]) {
					t.Fatalf("question %d has no option %s", q.id, target)
				}
			}
			for _, domID := range order {
				tabTo(t, tab, "#"+domID, 40)
				var id int64
				fmt.Sscanf(domID, "optie-%d", &id)
				if slices.Contains(want, id) {
					press(t, tab, " ")
				}
			}
			continue
		}
		tabTo(t, tab, fmt.Sprintf(`input[name="q%d"]`, q.id), 40)
		target := fmt.Sprintf("#optie-%d", want[0])
		for range 12 {
			if focusMatches(t, tab, target) {
				break
			}
			press(t, tab, kb.ArrowDown)
		}
		if !focusMatches(t, tab, target) {
			t.Fatalf("arrow keys did not reach %s; focus is on %s", target, evaluate[string](t, tab, describeFocus))
		}
		press(t, tab, " ")
	}
	checked := evaluate[int](t, tab, `document.querySelectorAll('form input:checked').length`)
	n := 0
	for _, q := range questions {
		if right {
			n += len(q.right)
		} else {
			n++
		}
	}
	if checked != n {
		t.Fatalf("after answering: %d options checked, want %d", checked, n)
	}
}
