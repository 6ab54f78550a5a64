package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// TestJourneyEnrolWithKeyAndComplete follows a new councillor in Chromium
// at phone width: sign in, enrol with the code the griffier handed out
// (typed loosely), mark both lessons done, pass the quiz, and find the
// course under "afgerond" on the dashboard. axe checks every page.
func TestJourneyEnrolWithKeyAndComplete(t *testing.T) {
	browser := newBrowser(t)
	env := testEnv(t, db.SQLite, nil)
	base := startServerEnv(t, env)
	axeSource := readAxe(t)
	const email = "raadslid@example.nl"
	createJourneyUser(t, env["DATABASE_URL"], email, "Ayşe Çelik-van 't Hoff", courses.RoleLearner)
	code := createJourneyCourseWithKey(t, env["DATABASE_URL"])

	tab := newTab(t, browser)
	viewport(t, tab, 360, 740)
	mainText := func() string { return evaluate[string](t, tab, `document.querySelector('main').innerText`) }
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"signs-in", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inloggen", http.StatusOK)
			submit(t, tab, http.StatusOK, "/mijn-leren",
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			checkAxe(t, tab, axeSource)
		}},
		{"enrols-with-the-code", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inschrijven", http.StatusOK)
			checkAxe(t, tab, axeSource)
			loose := strings.ToLower(strings.ReplaceAll(code, "-", " "))
			submit(t, tab, http.StatusOK, "/leren/vergaderen-in-de-praktijk/vergaderen/de-opening",
				chromedp.SendKeys(chromedp.CSS("#code"), loose+kb.Enter))
			checkAxe(t, tab, axeSource)
		}},
		{"marks-both-lessons-done", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/leren/vergaderen-in-de-praktijk/vergaderen/het-stemmen", chromedp.Click(chromedp.CSS(".rz-done button")))
			submit(t, tab, http.StatusOK, "/leren/vergaderen-in-de-praktijk/vergaderen/toets", chromedp.Click(chromedp.CSS(".rz-done button")))
			if got := evaluate[string](t, tab, `document.querySelector('.rz-progress__label').textContent`); !strings.HasPrefix(got, "2 van 3") {
				t.Errorf("progress: %q", got)
			}
		}},
		{"passes-the-quiz", func(t *testing.T) {
			checkAxe(t, tab, axeSource)
			submit(t, tab, http.StatusOK, "/leren/vergaderen-in-de-praktijk/vergaderen/toets",
				chromedp.Click(chromedp.CSS(`fieldset.rz-question label[for^="optie-"]:first-of-type`)),
				chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('fieldset.rz-question input').forEach(i => { if (i.nextElementSibling.textContent.trim() === 'De voorzitter') i.click() })`),
				chromedp.Click(chromedp.CSS(`form[action$="/toets"] button`)))
			if got := mainText(); !strings.Contains(got, "Gehaald") {
				t.Fatalf("quiz result: %.400s", got)
			}
		}},
		{"sees-it-completed-on-the-dashboard", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/mijn-leren", chromedp.Navigate(base+"/mijn-leren"))
			got := evaluate[string](t, tab, `(document.querySelector('#afgerond') ? document.querySelector('#afgerond').parentElement.innerText : '')`)
			if !strings.Contains(got, "Vergaderen in de praktijk") {
				t.Errorf("the completed course is not under Afgerond:\n%s", got)
			}
			checkAxe(t, tab, axeSource)
			openIn(t, tab, base, "en", "/mijn-leren", http.StatusOK)
			checkAxe(t, tab, axeSource)
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow()
		}
	}
}

// createJourneyCourseWithKey publishes a short course (two lessons and a
// quiz of one question) and makes an enrolment key for it.
func createJourneyCourseWithKey(t *testing.T, dsn string) string {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := t.Context()
	c := &courses.Course{Slug: "vergaderen-in-de-praktijk", Title: "Vergaderen in de praktijk", Summary: "Hoe een raadsvergadering verloopt.",
		Description: "Een korte cursus.", Audience: []courses.Office{courses.Raadslid}, Topics: []courses.Topic{"werkwijze-raad"},
		StudyHours: 1, Level: courses.LevelBasis, Language: "nl", ValidityMonths: 48,
		Modules: []courses.Module{{Position: 1, Slug: "vergaderen", Title: "De vergadering", Activities: []courses.Activity{
			{Position: 1, Slug: "de-opening", Kind: courses.KindLesson, Title: "De opening", Minutes: 5, Body: "De voorzitter opent de vergadering."},
			{Position: 2, Slug: "het-stemmen", Kind: courses.KindLesson, Title: "Het stemmen", Minutes: 5, Body: "Stemmen gaat hoofdelijk of bij handopsteken."},
			{Position: 3, Slug: "toets", Kind: courses.KindQuiz, Title: "Toets", Minutes: 5, Quiz: &courses.Quiz{PassMark: 100, Questions: []courses.Question{
				{Kind: courses.SingleChoice, Text: "Wie opent de vergadering?", Feedback: "De voorzitter.", Options: []courses.Option{
					{Text: "De griffier"}, {Text: "De voorzitter", Correct: true}}},
			}}},
		}}},
	}
	if err := db.NewCourseService(d).SaveCourse(ctx, c, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatal(err)
	}
	k := &courses.EnrolmentKey{CourseID: c.ID, Label: "Raad van Utrecht", ExpiresAt: time.Now().Add(24 * time.Hour)}
	if err := db.NewLearningService(d).CreateKey(ctx, k, 0); err != nil {
		t.Fatal(err)
	}
	return k.Code
}
