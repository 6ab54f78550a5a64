package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// TestJourneyTrainerAuthorsCourse follows a trainer in Chromium from an
// empty editor to a published course: create it, add a module, upload an
// image, write a lesson that shows it (with the server-side preview), add a
// quiz (first refused for a missing right answer), publish, and view the
// lesson as a learner would. axe checks every page in Dutch and English.
func TestJourneyTrainerAuthorsCourse(t *testing.T) {
	browser := newBrowser(t)
	env := testEnv(t, db.SQLite, nil)
	base := startServerEnv(t, env)
	axeSource := readAxe(t)
	const email = "zoe@example.nl"
	createJourneyUser(t, env["DATABASE_URL"], email, "Zoë Łukasiewicz", courses.RoleTrainer)
	imagePath := filepath.Join(t.TempDir(), "Zaal van de raad.png")
	writePNG(t, imagePath)

	tab := newTab(t, browser)
	viewport(t, tab, 1280, 900)
	checkPage := func(t *testing.T, both bool) {
		t.Helper()
		path := evaluate[string](t, tab, `location.pathname + location.search`)
		checkAxe(t, tab, axeSource)
		if got := evaluate[int](t, tab, `document.querySelectorAll('h1').length`); got != 1 {
			t.Errorf("%s: %d h1 elements, want 1", path, got)
		}
		if both {
			openIn(t, tab, base, "en", path, http.StatusOK)
			checkAxe(t, tab, axeSource)
			openIn(t, tab, base, "nl", path, http.StatusOK)
		}
	}
	mainText := func() string { return evaluate[string](t, tab, `document.querySelector('main').innerText`) }
	const slug = "de-raadsvergadering-voorzitten"
	var lessonPreview string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"signs-in", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inloggen?terug=%2Fbeheer%2Fcursussen", http.StatusOK)
			submit(t, tab, http.StatusOK, "/beheer/cursussen",
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			checkPage(t, true)
		}},
		{"creates-a-course", func(t *testing.T) {
			if err := chromedp.Do(tab,
				chromedp.SendKeys(chromedp.CSS("#title"), "De raadsvergadering voorzitten"),
				chromedp.SendKeys(chromedp.CSS("#summary"), "Hoe u als voorzitter een raadsvergadering in goede banen leidt."),
				chromedp.Click(chromedp.CSS("#audience-raadslid")),
				chromedp.Click(chromedp.CSS("#audience-burgemeester")),
				chromedp.Click(chromedp.CSS("#topics-werkwijze-raad")),
				chromedp.SendKeys(chromedp.CSS("#study_hours"), "1,5")); err != nil {
				t.Fatal(err)
			}
			submit(t, tab, http.StatusOK, "/beheer/cursussen/"+slug, chromedp.Click(chromedp.CSS(`form[action="/beheer/cursussen"] button[type=submit]`)))
			checkPage(t, true)
		}},
		{"adds-a-module", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/beheer/cursussen/"+slug,
				chromedp.SendKeys(chromedp.CSS("#module-nieuw-title"), "De vergadering leiden"),
				chromedp.Click(chromedp.CSS(`form[action$="/modules/nieuw"] button[type=submit]`)))
			if !strings.Contains(mainText(), "De vergadering leiden") {
				t.Fatal("the new module is not on the page")
			}
		}},
		{"uploads-an-image", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/beheer/cursussen/"+slug,
				chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{imagePath}),
				chromedp.Click(chromedp.CSS(`form[action$="/bestanden"] button[type=submit]`)))
			if got := mainText(); !strings.Contains(got, "bestanden/zaal-van-de-raad.png") {
				t.Fatalf("after the upload the page does not offer bestanden/zaal-van-de-raad.png:\n%.600s", got)
			}
			checkPage(t, false)
		}},
		{"writes-a-lesson-with-the-image", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "", chromedp.Click(chromedp.CSS(`a[href$="/nieuw?soort=lesson"]`)))
			checkPage(t, true)
			if err := chromedp.Do(tab,
				chromedp.SendKeys(chromedp.CSS("#title"), "Het woord geven"),
				chromedp.SetValue(chromedp.CSS("#body"), "Als voorzitter geeft u het woord.\n\n![De raadszaal](bestanden/zaal-van-de-raad.png)")); err != nil {
				t.Fatal(err)
			}
			submit(t, tab, http.StatusOK, "", chromedp.Click(chromedp.CSS(`button[name=action][value=preview]`)))
			src := evaluate[string](t, tab, `(document.querySelector('#voorbeeld img') || {src: ''}).src`)
			if !strings.Contains(src, "/cursusbestanden/") {
				t.Errorf("preview image src %q, want the course file", src)
			}
			checkAxe(t, tab, axeSource)
			submit(t, tab, http.StatusOK, "/beheer/cursussen/"+slug, chromedp.Click(chromedp.CSS(`button.utrecht-button--primary-action[name=action][value=save]`)))
		}},
		{"adds-a-quiz", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "", chromedp.Click(chromedp.CSS(`a[href$="/nieuw?soort=quiz"]`)))
			checkPage(t, true)
			if err := chromedp.Do(tab,
				chromedp.SendKeys(chromedp.CSS("#title"), "Toets: voorzitten"),
				chromedp.SendKeys(chromedp.CSS("#q-1-text"), "Wie geeft in de raad het woord?"),
				chromedp.SendKeys(chromedp.CSS("#q-1-o-1-text"), "De voorzitter"),
				chromedp.SendKeys(chromedp.CSS("#q-1-o-2-text"), "De griffier")); err != nil {
				t.Fatal(err)
			}
			// No right answer marked: refused, with the error at the question.
			submit(t, tab, http.StatusBadRequest, "", chromedp.Click(chromedp.CSS(`button.utrecht-button--primary-action[name=action][value=save]`)))
			if got := mainText(); !strings.Contains(got, "markeer precies één goed antwoord") {
				t.Errorf("refused quiz does not say what is wrong:\n%.800s", got)
			}
			if got := evaluate[string](t, tab, `document.querySelector('#q-1-text').value`); got != "Wie geeft in de raad het woord?" {
				t.Errorf("question text after refusal: %q", got)
			}
			checkAxe(t, tab, axeSource)
			submit(t, tab, http.StatusOK, "/beheer/cursussen/"+slug,
				chromedp.Click(chromedp.CSS("#q-1-o-1-correct")),
				chromedp.Click(chromedp.CSS(`button.utrecht-button--primary-action[name=action][value=save]`)))
		}},
		{"publishes", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/beheer/cursussen/"+slug, chromedp.Click(chromedp.CSS(`form[action$="/publiceren"] button`)))
			if got := evaluate[string](t, tab, `location.search`); got != "?opgeslagen=gepubliceerd" {
				t.Errorf("after publishing: %q", got)
			}
			checkPage(t, true)
			openIn(t, tab, base, "nl", "/cursussen/"+slug, http.StatusOK)
			if got := mainText(); !strings.Contains(got, "Het woord geven") || !strings.Contains(got, "Toets: voorzitten") {
				t.Errorf("public course page lacks the lesson and the quiz:\n%.600s", got)
			}
			lessonPreview = "/beheer/cursussen/" + slug + "/voorbeeld/de-vergadering-leiden/het-woord-geven"
		}},
		{"views-the-lesson-as-a-learner", func(t *testing.T) {
			openIn(t, tab, base, "nl", lessonPreview, http.StatusOK)
			if w := evaluate[int](t, tab, `(async () => { const i = document.querySelector('.rz-prose img'); if (!i) return -1; await i.decode().catch(() => {}); return i.naturalWidth })()`,
				chromedp.EvalAwaitPromise); w != 4 {
				t.Errorf("lesson image: naturalWidth %d, want 4 (the uploaded PNG)", w)
			}
			checkPage(t, true)
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow()
		}
	}
}

// createJourneyUser adds an account without a second factor.
func createJourneyUser(t *testing.T, dsn, email, name string, role courses.Role) {
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
	if _, err := db.NewUserService(d).CreateUser(t.Context(), &courses.NewUser{Email: email, Name: name, Role: role, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
}

// writePNG writes a real 4×3 PNG, so that the browser can decode it.
func writePNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, color.RGBA{R: 11, G: 85, B: 99, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
