package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// TestJourneyCertificate follows a councillor on a phone (360 px) from the
// last lesson of a course to a certificate that anyone can check: the
// learner marks the last lesson done, finds the certificate's links under
// "Afgerond" on the dashboard, downloads the PDF (checked with pdftotext)
// and the Open Badge, and opens the verification page by keyboard, which
// says "Geldig" in Dutch and "Valid" in English. Then a visitor types the
// number loosely into /verifieer and lands on its canonical page, and a
// wrong number is explained. axe checks every page; a screenshot of the
// verification page is kept in a temporary folder that the log names.
func TestJourneyCertificate(t *testing.T) {
	browser := newBrowser(t)
	env := testEnv(t, db.SQLite, nil)
	base := startServerEnv(t, env)
	axeSource := readAxe(t)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	nl, en := cat.Locale("nl"), cat.Locale("en")
	const (
		email  = "ayse@example.nl"
		holder = "Ayşe Çelik-van 't Hoff"
		course = "Vergaderen in de praktijk"
		lesson = "/leren/vergaderen-in-de-praktijk/vergaderen/het-stemmen"
		wrong  = "RZ-2026-AAAA-AAAA"
	)
	createJourneyUser(t, env["DATABASE_URL"], email, holder, courses.RoleLearner)
	createJourneyCourseWithKey(t, env["DATABASE_URL"])
	completeAllButOneLesson(t, env["DATABASE_URL"], email, "vergaderen-in-de-praktijk", "vergaderen/het-stemmen")

	tab := newTab(t, browser)
	viewport(t, tab, 360, 740)
	mainText := func(t *testing.T) string {
		t.Helper()
		return evaluate[string](t, tab, `document.querySelector('main').innerText`)
	}
	// checkPage runs axe and the checks axe leaves out: one h1, and no
	// sideways scrolling at phone width (WCAG 1.4.10).
	checkPage := func(t *testing.T) {
		t.Helper()
		checkAxe(t, tab, axeSource)
		if got := evaluate[int](t, tab, `document.querySelectorAll('h1').length`); got != 1 {
			t.Errorf("%s: %d h1 elements, want 1", pathOf(t, tab), got)
		}
		if w := evaluate[[2]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			t.Errorf("%s scrolls sideways: %d > %d; widest: %s", pathOf(t, tab), w[0], w[1], evaluate[string](t, tab, widestElements))
		}
	}
	// checkVerdict checks that the verification page says status, for holder
	// and course, under the number.
	checkVerdict := func(t *testing.T, l *Locale, number string) {
		t.Helper()
		if got, want := evaluate[string](t, tab, `(document.querySelector('.rz-verdict[role=status] .rz-verdict__status') || {textContent: ''}).textContent`),
			l.T("verify.status.valid"); !strings.Contains(got, want) {
			t.Errorf("verdict: got %q, want it to contain %q", got, want)
		}
		facts := evaluate[string](t, tab, `(document.querySelector('dl.rz-facts') || {innerText: ''}).innerText`)
		for _, want := range []string{number, l.T("verify.holder"), holder, course, l.T("verify.issuer")} {
			if !strings.Contains(facts, want) {
				t.Errorf("the facts lack %q:\n%s", want, facts)
			}
		}
	}

	var number, pdfHref, badgeHref, verifyHref string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"signs-in", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inloggen", http.StatusOK)
			submit(t, tab, http.StatusOK, "/mijn-leren",
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			if got := evaluate[string](t, tab, `(document.querySelector('#afgerond') ? document.querySelector('#afgerond').parentElement.innerText : '')`); strings.Contains(got, course) {
				t.Fatalf("the course is under Afgerond before its last lesson is done:\n%s", got)
			}
		}},
		{"marks-the-last-lesson-done-by-keyboard", func(t *testing.T) {
			submit(t, tab, http.StatusOK, lesson, chromedp.Navigate(base+lesson))
			if got := evaluate[string](t, tab, `document.querySelector('.rz-progress__label').textContent`); !strings.HasPrefix(got, "2 van 3") {
				t.Errorf("progress before: got %q, want 2 van 3", got)
			}
			tabTo(t, tab, ".rz-done button", 120)
			submit(t, tab, http.StatusOK, "/leren/vergaderen-in-de-praktijk/vergaderen/toets", chromedp.KeyEvent(kb.Enter))
			if got := evaluate[string](t, tab, `document.querySelector('.rz-progress__label').textContent`); !strings.HasPrefix(got, "3 van 3") {
				t.Errorf("progress after: got %q, want 3 van 3", got)
			}
		}},
		{"finds-the-certificate-under-afgerond", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/mijn-leren", chromedp.Click(chromedp.CSS(`nav.rz-nav a[href="/mijn-leren"]`)))
			done := evaluate[string](t, tab, `(document.querySelector('#afgerond') ? document.querySelector('#afgerond').parentElement.innerText : '')`)
			if !strings.Contains(done, course) {
				t.Fatalf("the completed course is not under Afgerond:\n%s", done)
			}
			// The links of the one completed course, in the section that
			// #afgerond heads.
			links := evaluate[[][2]string](t, tab, `[...document.querySelectorAll('section[aria-labelledby=afgerond] ul.rz-cert-links a')]
				.map(a => [a.getAttribute('href'), a.textContent.replace(/\s+/g, ' ').trim()])`)
			if len(links) != 3 {
				t.Fatalf("certificate links under Afgerond: got %q, want 3", links)
			}
			pdfHref, badgeHref, verifyHref = links[0][0], links[1][0], links[2][0]
			number = strings.TrimSuffix(strings.TrimPrefix(pdfHref, "/api/v1/certificates/"), ".pdf")
			if !numberPattern.MatchString(number) {
				t.Fatalf("the PDF link %q holds no certificate number", pdfHref)
			}
			want := [][2]string{
				{"/api/v1/certificates/" + number + ".pdf", nl.T("certificates.download_pdf") + " " + number},
				{"/api/v1/certificates/" + number + "/credential", nl.T("certificates.download_badge") + " " + number},
				{"/verifieer/" + number, nl.T("certificates.verify_page") + " " + number},
			}
			for i := range want {
				if links[i] != want[i] {
					t.Errorf("link %d: got %q, want %q", i+1, links[i], want[i])
				}
			}
			if got, want := evaluate[string](t, tab, `document.querySelector('ul.rz-cert-links').getAttribute('aria-label')`),
				nl.T("dashboard.certificate", "number", number); got != want {
				t.Errorf("the list of links is labelled %q, want %q", got, want)
			}
			checkPage(t)
		}},
		{"downloads-the-pdf", func(t *testing.T) {
			status, kind, body := fetchInPage(t, tab, pdfHref)
			if status != http.StatusOK || kind != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF")) {
				t.Fatalf("GET %s in the page: %d %q %.20q", pdfHref, status, kind, body)
			}
			if _, err := exec.LookPath("pdftotext"); err == nil || os.Getenv("CI") == "true" {
				tool := needTool(t, "pdftotext")
				file := filepath.Join(t.TempDir(), number+".pdf")
				if err := os.WriteFile(file, body, 0o600); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(tool, "-layout", "-enc", "UTF-8", file, "-").Output()
				if err != nil {
					t.Fatalf("pdftotext: %v", err)
				}
				text := strings.Join(strings.Fields(string(out)), " ")
				for _, want := range []string{holder, course, number, base + verifyHref} {
					if !strings.Contains(text, want) {
						t.Errorf("the PDF's text lacks %q:\n%s", want, text)
					}
				}
			} else {
				t.Log("pdftotext is not installed: the PDF's text is not checked")
			}
		}},
		{"downloads-the-open-badge", func(t *testing.T) {
			status, kind, body := fetchInPage(t, tab, badgeHref)
			if status != http.StatusOK || kind != "application/jwt" || strings.Count(string(body), ".") != 2 {
				t.Fatalf("GET %s in the page: %d %q %.60q", badgeHref, status, kind, body)
			}
		}},
		{"opens-the-verification-page-by-keyboard", func(t *testing.T) {
			link := `section[aria-labelledby=afgerond] a[href="` + verifyHref + `"]`
			evaluate[chromedp.Void](t, tab, `document.querySelector(`+strconv.Quote(link)+`).focus()`)
			if !focusMatches(t, tab, link) {
				t.Fatalf("focus is on %s, want the Controlepagina link", evaluate[string](t, tab, describeFocus))
			}
			submit(t, tab, http.StatusOK, verifyHref, chromedp.KeyEvent(kb.Enter))
			checkVerdict(t, nl, number)
			if got, want := evaluate[string](t, tab, `document.title`), nl.T("verify.title_number", "number", number); !strings.Contains(got, want) {
				t.Errorf("title: got %q, want it to contain %q", got, want)
			}
			checkPage(t)
			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			// Kept after the test, to look at, in RAADZAAM_SCREENSHOTS when
			// set; otherwise it goes with the test's temporary folder.
			dir := os.Getenv("RAADZAAM_SCREENSHOTS")
			if dir == "" {
				dir = t.TempDir()
			}
			file := filepath.Join(dir, "verifieer-360.png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot of %s at 360 px: %s", verifyHref, file)
		}},
		{"reads-it-in-english", func(t *testing.T) {
			openIn(t, tab, base, "en", verifyHref, http.StatusOK)
			if got := evaluate[string](t, tab, `document.documentElement.lang`); got != "en" {
				t.Errorf("html lang: got %q, want en", got)
			}
			checkVerdict(t, en, number)
			checkPage(t)
		}},
		{"types-the-number-loosely", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/verifieer", http.StatusOK)
			if got := mainText(t); !strings.Contains(got, nl.T("verify.lead")) {
				t.Errorf("the form page lacks its lead:\n%s", got)
			}
			checkPage(t)
			tabTo(t, tab, "input#nummer", 40)
			loose := strings.ToLower(strings.ReplaceAll(number, "-", " "))
			submit(t, tab, http.StatusOK, verifyHref, chromedp.KeyEvent(loose+kb.Enter))
			checkVerdict(t, nl, number)
		}},
		{"checks-a-wrong-number", func(t *testing.T) {
			tabTo(t, tab, "input#nummer", 80)
			if got := evaluate[string](t, tab, `document.activeElement.value`); got != "" {
				t.Errorf("the field to check another number holds %q, want it empty", got)
			}
			submit(t, tab, http.StatusNotFound, "/verifieer/"+wrong, chromedp.KeyEvent(wrong+kb.Enter))
			if got, want := evaluate[string](t, tab, `(document.querySelector('main [role=alert]') || {innerText: ''}).innerText`),
				nl.T("verify.not_found", "number", wrong); !strings.Contains(got, want) {
				t.Errorf("alert: got %q, want it to contain %q", got, want)
			}
			if got := mainText(t); strings.Contains(got, nl.T("verify.status.valid")) || strings.Contains(got, holder) {
				t.Errorf("the page for a wrong number shows a verdict or a holder:\n%s", got)
			}
			if got := evaluate[string](t, tab, `document.querySelector('#nummer').value`); got != wrong {
				t.Errorf("the field holds %q, want the number typed, %q", got, wrong)
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

// completeAllButOneLesson enrols the learner with email in the course with
// slug and does every activity through the service layer (lessons marked
// done, quizzes passed) except the lesson with key, which the browser does.
func completeAllButOneLesson(t *testing.T, dsn, email, slug, key string) {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := t.Context()
	u, err := db.NewUserService(d).UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.NewCourseService(d).CourseBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	learning := db.NewLearningService(d)
	e, _, err := learning.Enrol(ctx, u.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	left := false
	for _, s := range c.Activities() {
		k := courses.Key(s.Module.Slug, s.Activity.Slug)
		switch {
		case k == key:
			left = true
		case s.Activity.Kind == courses.KindQuiz:
			var answers []courses.Answer
			for _, q := range s.Activity.Quiz.Questions {
				a := courses.Answer{QuestionID: q.ID}
				for _, o := range q.Options {
					if o.Correct {
						a.OptionIDs = append(a.OptionIDs, o.ID)
					}
				}
				answers = append(answers, a)
			}
			attempt, err := learning.SubmitAttempt(ctx, e.ID, k, s.Activity, answers)
			if err != nil {
				t.Fatal(err)
			}
			if !attempt.Passed {
				t.Fatalf("quiz %s: the right answers scored %d", k, attempt.Score)
			}
		default:
			if err := learning.CompleteActivity(ctx, e.ID, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !left {
		t.Fatalf("course %s has no activity %s", slug, key)
	}
}

// fetchInPage downloads href from the page in tab, as the page's own
// script would (with the browser's cookies), and returns the status, the
// media type and the body.
func fetchInPage(t *testing.T, tab context.Context, href string) (int, string, []byte) {
	t.Helper()
	r := evaluate[struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Body   string `json:"body"`
	}](t, tab, `fetch(`+strconv.Quote(href)+`).then(async r => {
		const b = new Uint8Array(await r.arrayBuffer());
		let s = '';
		for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
		return {status: r.status, type: r.headers.get('content-type') || '', body: btoa(s)};
	})`, chromedp.EvalAwaitPromise)
	body, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatalf("GET %s in the page: %v", href, err)
	}
	return r.Status, r.Type, body
}
