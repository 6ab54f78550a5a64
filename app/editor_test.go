package main

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// The course editor under /beheer/cursussen: creating courses, ownership,
// modules and activities, uploads, publishing and versions, the preview as
// a learner, and throwing a draft away. Every test runs on both databases.

// editorCourseForm is a valid form for a new course.
func editorCourseForm(title string) url.Values {
	return url.Values{
		"title":       {title},
		"summary":     {"Een korte cursus om de cursuseditor mee te testen."},
		"audience":    {"raadslid", "griffier"},
		"topics":      {"rollen", "financien"},
		"study_hours": {"2,5"},
		"level":       {"verdieping"},
		"language":    {"nl"},
	}
}

// editorCreate creates a course as c and returns its slug.
func editorCreate(t *testing.T, c *client, title string) string {
	t.Helper()
	resp, page := learnPost(c, "/beheer/cursussen", editorCourseForm(title))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/beheer/cursussen/") {
		t.Fatalf("create %q: %d to %q\n%.800s", title, resp.StatusCode, loc, page)
	}
	return strings.TrimPrefix(loc, "/beheer/cursussen/")
}

var editorAnchorID = regexp.MustCompile(`#(?:module|activiteit)-(\d+)$`)

// editorIDFrom returns the module or activity id a redirect points at.
func editorIDFrom(t *testing.T, resp *http.Response, page string) int64 {
	t.Helper()
	loc := resp.Header.Get("Location")
	m := editorAnchorID.FindStringSubmatch(loc)
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("save: %d to %q\n%.1500s", resp.StatusCode, loc, page)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// editorAddModule adds a module to slug's draft and returns its id.
func editorAddModule(t *testing.T, c *client, slug, title string) int64 {
	t.Helper()
	resp, page := learnPost(c, "/beheer/cursussen/"+slug+"/modules/nieuw", url.Values{"title": {title}})
	return editorIDFrom(t, resp, page)
}

// editorAddLesson adds a lesson to a module and returns its id.
func editorAddLesson(t *testing.T, c *client, slug string, moduleID int64, title, body string) int64 {
	t.Helper()
	resp, page := learnPost(c, "/beheer/cursussen/"+slug+"/modules/"+strconv.FormatInt(moduleID, 10)+"/nieuw",
		url.Values{"kind": {"lesson"}, "title": {title}, "minutes": {"5"}, "body": {body}, "action": {"save"}})
	return editorIDFrom(t, resp, page)
}

// editorDraft loads the draft of slug from the database.
func editorDraft(t *testing.T, a *application, slug string) *courses.Course {
	t.Helper()
	ctx := context.Background()
	id, err := a.editor.CourseIDBySlug(ctx, slug)
	if err != nil {
		t.Fatalf("course %s: %v", slug, err)
	}
	d, err := a.editor.DraftOnly(ctx, id)
	if err != nil {
		t.Fatalf("draft of %s: %v", slug, err)
	}
	return d
}

// editorUpload posts a file in the field "file" of the upload form, as a
// browser does.
func editorUpload(c *client, path, name string, content []byte) (*http.Response, string) {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", c.csrf())
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.a.fiber.Test(req, 60_000)
	if err != nil {
		c.t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(out)
}

// editorPNG returns a real, small PNG image.
func editorPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// editorTextarea returns the unescaped content of the textarea with id.
func editorTextarea(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<textarea[^>]* id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no textarea %s in the page", id)
	}
	return html.UnescapeString(m[1])
}

// editorInput returns the opening tag of the input with id, "" if none.
func editorInput(page, id string) string {
	return regexp.MustCompile(`<input[^>]* id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
}

// editorBetween returns page from the first from to the next to after it.
func editorBetween(t *testing.T, page, from, to string) string {
	t.Helper()
	i := strings.Index(page, from)
	if i < 0 {
		t.Fatalf("page lacks %q", from)
	}
	j := strings.Index(page[i:], to)
	if j < 0 {
		t.Fatalf("page lacks %q after %q", to, from)
	}
	return page[i : i+j]
}

// editorFieldError checks that the field with id shows msg as its error
// and is marked invalid.
func editorFieldError(t *testing.T, page, id, msg string) {
	t.Helper()
	want := `<p class="rz-field-error" id="` + id + `-error">` + msg
	if !strings.Contains(page, want) {
		t.Errorf("page lacks the error of %s: %q", id, want)
	}
	if in := editorInput(page, id); in != "" && !strings.Contains(in, `aria-invalid="true"`) {
		t.Errorf("input %s is not marked invalid: %s", id, in)
	}
}

// TestEditorCreateCourse: a trainer creates a course; its slug comes from
// the title; bad input comes back with every error next to its field and
// the typed values, and creates nothing.
func TestEditorCreateCourse(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			ctx := context.Background()
			trainer, tu := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			if resp, page := trainer.do(http.MethodGet, "/beheer/cursussen", nil); resp.StatusCode != 200 || !strings.Contains(page, `action="/beheer/cursussen"`) {
				t.Fatalf("editor list: %d", resp.StatusCode)
			}

			slug := editorCreate(t, trainer, "Çelik's cursus")
			if slug != "celik-s-cursus" || !courses.ValidSlug(slug) {
				t.Errorf("slug %q, want celik-s-cursus", slug)
			}
			resp, page := trainer.do(http.MethodGet, "/beheer/cursussen/"+slug, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("editor page: %d", resp.StatusCode)
			}
			for _, want := range []string{
				"Çelik&#39;s cursus bewerken",
				"nooit gepubliceerd", "versie 1",
				`value="Çelik&#39;s cursus"`,
				`value="2,5"`,
				`<code>/cursussen/celik-s-cursus</code>`,
				`value="raadslid" checked`, `value="griffier" checked`, `value="rollen" checked`, `value="financien" checked`,
				`<option value="verdieping" selected>`,
				"Deze cursus heeft nog geen modules.",
				"Versie 1 publiceren",
			} {
				if !strings.Contains(page, want) {
					t.Errorf("editor page lacks %q", want)
				}
			}
			d := editorDraft(t, a, slug)
			if d.Title != "Çelik's cursus" || d.StudyHours != 2.5 || d.Level != courses.LevelVerdieping || d.Version != 1 ||
				d.State != courses.StateDraft || d.Description != d.Summary || len(d.Audience) != 2 || len(d.Topics) != 2 {
				t.Errorf("draft: %+v", d)
			}
			if _, page := trainer.do(http.MethodGet, "/beheer/cursussen", nil); !strings.Contains(page, `href="/beheer/cursussen/celik-s-cursus"`) {
				t.Error("the list lacks the new course")
			}

			countCourses := func() int {
				list, err := a.editor.EditableCourses(ctx, tu.ID, true)
				if err != nil {
					t.Fatal(err)
				}
				return len(list)
			}
			before := countCourses()

			// Empty title and no audience: both next to their field.
			form := editorCourseForm("")
			form.Del("audience")
			form.Set("study_hours", "2")
			resp, page = learnPost(trainer, "/beheer/cursussen", form)
			if resp.StatusCode != 400 {
				t.Fatalf("empty title, no audience: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "title", "is verplicht")
			editorFieldError(t, page, "audience", "is verplicht")
			if !strings.Contains(page, `id="audience" aria-describedby="audience-error"`) {
				t.Error("the audience fieldset does not point at its error")
			}

			// Empty title, hours that are no number, no audience: every
			// error at once, each next to its field, the input kept.
			form = editorCourseForm("")
			form.Del("audience")
			form.Set("study_hours", "veel")
			form.Set("summary", "Mijn getypte samenvatting <blijft> staan.")
			resp, page = learnPost(trainer, "/beheer/cursussen", form)
			if resp.StatusCode != 400 {
				t.Fatalf("bad course: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "study_hours", "&#34;veel&#34; is geen getal")
			editorFieldError(t, page, "title", "is verplicht")
			editorFieldError(t, page, "audience", "is verplicht")
			if in := editorInput(page, "study_hours"); !strings.Contains(in, `value="veel"`) {
				t.Errorf("typed hours not kept: %s", in)
			}
			if got := editorTextarea(t, page, "summary"); got != "Mijn getypte samenvatting <blijft> staan." {
				t.Errorf("typed summary not kept: %q", got)
			}
			for _, want := range []string{`value="rollen" checked`, `value="financien" checked`, `<option value="verdieping" selected>`} {
				if !strings.Contains(page, want) {
					t.Errorf("refused form lacks %q", want)
				}
			}
			if strings.Contains(page, `value="raadslid" checked`) {
				t.Error("an office nobody chose is checked")
			}
			if n := countCourses(); n != before {
				t.Errorf("refused forms created courses: %d, want %d", n, before)
			}
		})
	}
}

// TestEditorOwnership: only owners and admins may edit a course; to other
// trainers it does not exist, learners may not open the editor at all.
func TestEditorOwnership(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			owner, ou := learnSignedIn(t, a, "eigenaar@example.nl", courses.RoleTrainer)
			other, _ := learnSignedIn(t, a, "andere@example.nl", courses.RoleTrainer)
			learner, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			admin, _ := learnSignedIn(t, a, "beheer@example.nl", courses.RoleAdmin)

			slug := editorCreate(t, owner, "Eigendom van een cursus")
			moduleID := editorAddModule(t, owner, slug, "De eerste module")
			lessonID := editorAddLesson(t, owner, slug, moduleID, "Een les", "Tekst van de les.")
			base := "/beheer/cursussen/" + slug

			fill := func(route string) string {
				path := strings.Replace(route, ":slug", slug, 1)
				switch {
				case strings.Contains(path, "/modules/:id"):
					path = strings.Replace(path, ":id", strconv.FormatInt(moduleID, 10), 1)
				case strings.Contains(path, "/activiteiten/:id"):
					path = strings.Replace(path, ":id", strconv.FormatInt(lessonID, 10), 1)
				case strings.Contains(path, "/eigenaren/:id"):
					path = strings.Replace(path, ":id", strconv.FormatInt(ou.ID, 10), 1)
				}
				return strings.NewReplacer(":module", "de-eerste-module", ":activity", "een-les").Replace(path)
			}
			n := 0
			for route := range a.policies {
				method, path, _ := strings.Cut(route, " ")
				if !strings.HasPrefix(path, "/beheer/cursussen/:slug") {
					continue
				}
				n++
				path = fill(path)
				var resp *http.Response
				if method == http.MethodPost {
					resp, _ = learnPost(other, path, url.Values{"title": {"Overgenomen"}, "email": {"andere@example.nl"}})
				} else {
					resp, _ = other.do(method, path, nil)
				}
				if resp.StatusCode != 404 {
					t.Errorf("%s %s as another trainer: %d, want 404", method, path, resp.StatusCode)
				}
			}
			if n < 20 {
				t.Errorf("only %d editor routes checked", n)
			}
			if d := editorDraft(t, a, slug); d.Title != "Eigendom van een cursus" || len(d.Modules) != 1 || len(d.Modules[0].Activities) != 1 {
				t.Errorf("another trainer changed the course: %+v", d)
			}
			if resp, _ := learner.do(http.MethodGet, base, nil); resp.StatusCode != 403 {
				t.Errorf("learner: %d, want 403", resp.StatusCode)
			}
			if resp, _ := learnPost(learner, base+"/modules/nieuw", url.Values{"title": {"Van de leerling"}}); resp.StatusCode != 403 {
				t.Errorf("learner adds a module: %d, want 403", resp.StatusCode)
			}
			if resp, page := admin.do(http.MethodGet, base, nil); resp.StatusCode != 200 || !strings.Contains(page, "Als beheerder kunt u elke cursus bewerken") {
				t.Errorf("admin: %d", resp.StatusCode)
			}

			// A co-owner.
			resp, _ := learnPost(owner, base+"/eigenaren", url.Values{"email": {"Andere@Example.nl"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?opgeslagen=eigenaar" {
				t.Fatalf("add owner: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, page := other.do(http.MethodGet, base, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "andere@example.nl") {
				t.Errorf("co-owner: %d", resp.StatusCode)
			}
			if _, page := other.do(http.MethodGet, "/beheer/cursussen", nil); !strings.Contains(page, `href="`+base+`"`) {
				t.Error("the co-owner's list lacks the course")
			}

			// A learner cannot own a course.
			resp, page = learnPost(owner, base+"/eigenaren", url.Values{"email": {"leerling@example.nl"}})
			if resp.StatusCode != 400 {
				t.Errorf("learner as owner: %d, want 400", resp.StatusCode)
			}
			editorFieldError(t, page, "owner-email", "er is geen actieve trainer of beheerder met dit e-mailadres")
			if in := editorInput(page, "owner-email"); !strings.Contains(in, `value="leerling@example.nl"`) {
				t.Errorf("typed address not kept: %s", in)
			}
			if owners, _ := a.editor.Owners(context.Background(), editorDraft(t, a, slug).ID); len(owners) != 2 {
				t.Errorf("%d owners, want 2", len(owners))
			}

			// Remove the co-owner; the last owner stays.
			otherID := mustUserID(t, a, "andere@example.nl")
			if resp, _ := learnPost(owner, base+"/eigenaren/"+strconv.FormatInt(otherID, 10)+"/verwijderen", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("remove co-owner: %d", resp.StatusCode)
			}
			if resp, _ := other.do(http.MethodGet, base, nil); resp.StatusCode != 404 {
				t.Errorf("removed co-owner: %d, want 404", resp.StatusCode)
			}
			if resp, _ := learnPost(owner, base+"/eigenaren/"+strconv.FormatInt(ou.ID, 10)+"/verwijderen", nil); resp.StatusCode != 409 {
				t.Errorf("remove the last owner: %d, want 409", resp.StatusCode)
			}
			if resp, _ := owner.do(http.MethodGet, base, nil); resp.StatusCode != 200 {
				t.Errorf("the last owner lost the course: %d", resp.StatusCode)
			}
		})
	}
}

// TestEditorModulesAndActivities: modules are added, renamed, moved and
// deleted; lessons, quizzes and sessions are checked per field, and a
// refused or previewed form keeps everything typed.
func TestEditorModulesAndActivities(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c, _ := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			slug := editorCreate(t, c, "Modules en onderdelen")
			base := "/beheer/cursussen/" + slug

			// Modules.
			first := editorAddModule(t, c, slug, "Eerste module")
			second := editorAddModule(t, c, slug, "Tweede module")
			order := func() []string {
				var out []string
				for _, m := range editorDraft(t, a, slug).Modules {
					out = append(out, m.Slug+":"+m.Title)
				}
				return out
			}
			if got := strings.Join(order(), ","); got != "eerste-module:Eerste module,tweede-module:Tweede module" {
				t.Errorf("modules: %s", got)
			}
			resp, page := learnPost(c, base+"/modules/nieuw", url.Values{"title": {"X"}, "summary": {"Getypt"}})
			if resp.StatusCode != 400 {
				t.Errorf("module with a short title: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "module-nieuw-title", "is te kort: minstens 3 tekens")
			if in := editorInput(page, "module-nieuw-summary"); !strings.Contains(in, `value="Getypt"`) {
				t.Errorf("typed module summary not kept: %s", in)
			}
			mp := base + "/modules/" + strconv.FormatInt(first, 10)
			resp, _ = learnPost(c, mp, url.Values{"title": {"Hernoemde module"}, "slug": {""}, "summary": {"Over de raad."}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("rename module: %d", resp.StatusCode)
			}
			if got := strings.Join(order(), ","); got != "eerste-module:Hernoemde module,tweede-module:Tweede module" {
				t.Errorf("after renaming (slug kept): %s", got)
			}
			if resp, _ := learnPost(c, mp+"/verplaatsen", url.Values{"richting": {"omlaag"}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("move down: %d", resp.StatusCode)
			}
			if got := strings.Join(order(), ","); got != "tweede-module:Tweede module,eerste-module:Hernoemde module" {
				t.Errorf("after moving down: %s", got)
			}
			if resp, _ := learnPost(c, mp+"/verplaatsen", url.Values{"richting": {"omhoog"}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("move up: %d", resp.StatusCode)
			}
			if got := strings.Join(order(), ","); got != "eerste-module:Hernoemde module,tweede-module:Tweede module" {
				t.Errorf("after moving up: %s", got)
			}
			resp, _ = learnPost(c, base+"/modules/"+strconv.FormatInt(second, 10)+"/verwijderen", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?opgeslagen=verwijderd" {
				t.Errorf("delete module: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := strings.Join(order(), ","); got != "eerste-module:Hernoemde module" {
				t.Errorf("after deleting: %s", got)
			}

			// A lesson: the form, errors per field, the body kept exactly.
			newLesson := mp + "/nieuw"
			resp, page = c.do(http.MethodGet, newLesson+"?soort=lesson", nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `name="kind" value="lesson"`) || !strings.Contains(page, `action="`+newLesson+`"`) {
				t.Fatalf("new lesson form: %d", resp.StatusCode)
			}
			resp, page = learnPost(c, newLesson, url.Values{"kind": {"lesson"}, "title": {""}, "minutes": {"0"}, "body": {""}, "action": {"save"}})
			if resp.StatusCode != 400 {
				t.Fatalf("empty lesson: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "title", "is verplicht")
			editorFieldError(t, page, "minutes", "moet tussen 1 en 240 liggen")
			editorFieldError(t, page, "body", "is verplicht")
			if !strings.Contains(page, `id="body" name="body" rows="18" aria-describedby="body-hint body-error" aria-invalid="true"`) {
				t.Error("the body textarea is not marked invalid")
			}
			body := "## Een kopje\n\nEen regel met \"aanhalingstekens\" & 'apostrof' en 1+1.\n<script>alert(\"x\")</script>\n  ingesprongen regel\n\nSlot."
			resp, page = learnPost(c, newLesson, url.Values{"kind": {"lesson"}, "title": {""}, "minutes": {"0"}, "body": {body}, "action": {"save"}})
			if resp.StatusCode != 400 {
				t.Fatalf("lesson without title: %d", resp.StatusCode)
			}
			if got := editorTextarea(t, page, "body"); got != body {
				t.Errorf("typed body not kept exactly:\n got %q\nwant %q", got, body)
			}
			if strings.Contains(page, "<script>alert") {
				t.Error("the typed script reaches the page unescaped")
			}
			if in := editorInput(page, "minutes"); !strings.Contains(in, `value="0"`) {
				t.Errorf("typed minutes not kept: %s", in)
			}

			// Preview: rendered and sanitised, nothing saved.
			resp, page = learnPost(c, newLesson, url.Values{"kind": {"lesson"}, "title": {"Een les met een voorbeeld"}, "minutes": {"5"},
				"body": {"Tekst met **nadruk**.\n\n<script>alert(1)</script>\n\n- punt één\n"}, "action": {"preview"}})
			if resp.StatusCode != 200 {
				t.Fatalf("preview: %d", resp.StatusCode)
			}
			preview := editorBetween(t, page, `id="voorbeeld"`, "</section>")
			if !strings.Contains(preview, "<strong>nadruk</strong>") || !strings.Contains(preview, "<li>punt één</li>") {
				t.Errorf("preview not rendered: %s", preview)
			}
			if strings.Contains(strings.ToLower(preview), "<script") {
				t.Errorf("preview has a script: %s", preview)
			}
			if in := editorInput(page, "title"); !strings.Contains(in, `value="Een les met een voorbeeld"`) {
				t.Errorf("preview lost the title: %s", in)
			}
			if n := len(editorDraft(t, a, slug).Modules[0].Activities); n != 0 {
				t.Errorf("preview saved %d activities", n)
			}

			lessonID := editorAddLesson(t, c, slug, first, "De eerste les", "Welkom bij de les.")
			resp, page = c.do(http.MethodGet, base+"/activiteiten/"+strconv.FormatInt(lessonID, 10), nil)
			if resp.StatusCode != 200 || !strings.Contains(editorInput(page, "title"), `value="De eerste les"`) ||
				!strings.Contains(editorInput(page, "slug"), `value="de-eerste-les"`) || editorTextarea(t, page, "body") != "Welkom bij de les." {
				t.Errorf("lesson editor: %d", resp.StatusCode)
			}

			// A quiz.
			resp, page = c.do(http.MethodGet, newLesson+"?soort=quiz", nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `name="question_count" value="1"`) || !strings.Contains(page, `name="kind" value="quiz"`) {
				t.Fatalf("new quiz form: %d", resp.StatusCode)
			}
			quiz := url.Values{"kind": {"quiz"}, "title": {"Toets over de raad"}, "minutes": {"10"}, "pass_mark": {"70"},
				"question_count": {"1"}, "q.1.kind": {"single"}, "q.1.text": {"Wie kiest de gemeenteraad?"}, "q.1.options": {"4"},
				"q.1.o.1.text": {"De kiezers"}, "q.1.o.1.correct": {"ja"},
				"q.1.o.2.text": {"De burgemeester"}, "q.1.o.2.correct": {"ja"},
				"q.1.feedback": {"De raad wordt gekozen."}, "action": {"save"}}
			resp, page = learnPost(c, newLesson, quiz)
			if resp.StatusCode != 400 {
				t.Fatalf("two correct options on a single-choice question: %d", resp.StatusCode)
			}
			if !strings.Contains(page, `id="q-1-options-error">markeer precies één goed antwoord</p>`) {
				t.Error("the options of question 1 lack their error")
			}
			quiz.Set("action", "add-question")
			resp, page = learnPost(c, newLesson, quiz)
			if resp.StatusCode != 200 {
				t.Fatalf("add a question: %d", resp.StatusCode)
			}
			for _, want := range []string{`name="question_count" value="2"`, `id="vraag-2"`, `name="q.2.text"`} {
				if !strings.Contains(page, want) {
					t.Errorf("form with an added question lacks %q", want)
				}
			}
			if !strings.Contains(editorInput(page, "q-1-text"), `value="Wie kiest de gemeenteraad?"`) ||
				!strings.Contains(editorInput(page, "q-1-o-2-text"), `value="De burgemeester"`) ||
				!strings.Contains(editorInput(page, "q-1-o-2-correct"), "checked") ||
				editorTextarea(t, page, "q-1-feedback") != "De raad wordt gekozen." {
				t.Error("adding a question lost what was typed in question 1")
			}
			if n := len(editorDraft(t, a, slug).Modules[0].Activities); n != 1 {
				t.Errorf("refused and add-question forms saved: %d activities, want 1", n)
			}

			quiz = url.Values{"kind": {"quiz"}, "title": {"Toets over de raad"}, "minutes": {"10"}, "pass_mark": {"70"}, "attempts": {"3"},
				"shuffle": {"ja"}, "body": {"Drie vragen over de raad."}, "question_count": {"4"},
				"q.1.kind": {"single"}, "q.1.text": {"Wie kiest de gemeenteraad?"}, "q.1.options": {"4"},
				"q.1.o.1.text": {"De kiezers"}, "q.1.o.1.correct": {"ja"}, "q.1.o.2.text": {"De burgemeester"},
				"q.1.feedback": {"De raad wordt gekozen."},
				"q.2.kind":     {"multiple"}, "q.2.text": {"Wat doet de raad?"}, "q.2.options": {"4"},
				"q.2.o.1.text": {"Kaders stellen"}, "q.2.o.1.correct": {"ja"}, "q.2.o.2.text": {"Vergunningen verlenen"},
				"q.2.o.3.text": {"Controleren"}, "q.2.o.3.correct": {"ja"},
				"q.3.kind": {"truefalse"}, "q.3.text": {"De burgemeester is lid van de raad."}, "q.3.answer": {"niet-waar"},
				"q.4.kind": {"single"}, "q.4.options": {"4"}, // an empty block: skipped
				"action": {"save"}}
			resp, page = learnPost(c, newLesson, quiz)
			quizID := editorIDFrom(t, resp, page)
			var saved *courses.Activity
			for _, s := range editorDraft(t, a, slug).Activities() {
				if s.Activity.ID == quizID {
					saved = s.Activity
				}
			}
			if saved == nil || saved.Quiz == nil || len(saved.Quiz.Questions) != 3 || saved.Quiz.PassMark != 70 ||
				saved.Quiz.MaxAttempts != 3 || !saved.Quiz.Shuffle || saved.Slug != "toets-over-de-raad" {
				t.Fatalf("saved quiz: %+v", saved)
			}
			qs := saved.Quiz.Questions
			if qs[0].Kind != courses.SingleChoice || len(qs[0].Options) != 2 || !qs[0].Options[0].Correct || qs[0].Options[1].Correct ||
				qs[1].Kind != courses.MultipleChoice || len(qs[1].Options) != 3 || !qs[1].Options[0].Correct || qs[1].Options[1].Correct || !qs[1].Options[2].Correct ||
				qs[2].Kind != courses.TrueFalse || len(qs[2].Options) != 2 || qs[2].Options[0].Correct || !qs[2].Options[1].Correct {
				t.Errorf("saved questions: %+v", qs)
			}
			resp, page = c.do(http.MethodGet, base+"/activiteiten/"+strconv.FormatInt(quizID, 10), nil)
			if resp.StatusCode != 200 {
				t.Fatalf("quiz editor: %d", resp.StatusCode)
			}
			if !strings.Contains(editorInput(page, "pass_mark"), `value="70"`) || !strings.Contains(editorInput(page, "attempts"), `value="3"`) ||
				!strings.Contains(editorInput(page, "shuffle"), "checked") || !strings.Contains(page, `name="question_count" value="3"`) ||
				editorTextarea(t, page, "body") != "Drie vragen over de raad." {
				t.Error("the quiz settings did not come back")
			}
			q1 := editorBetween(t, page, `id="vraag-1"`, `id="q-1-remove"`)
			q2 := editorBetween(t, page, `id="vraag-2"`, `id="q-2-remove"`)
			q3 := editorBetween(t, page, `id="vraag-3"`, `id="q-3-remove"`)
			checks := []struct {
				part, want string
				ok         bool
			}{
				{q1, `<option value="single" selected>`, true},
				{q1, `value="Wie kiest de gemeenteraad?"`, true},
				{q1, `value="De kiezers"`, true},
				{q1, `id="q-1-o-1-correct" name="q.1.o.1.correct" value="ja" checked`, true},
				{q1, `id="q-1-o-2-correct" name="q.1.o.2.correct" value="ja" checked`, false},
				{q1, `De raad wordt gekozen.</textarea>`, true},
				{q2, `<option value="multiple" selected>`, true},
				{q2, `value="Vergunningen verlenen"`, true},
				{q2, `id="q-2-o-1-correct" name="q.2.o.1.correct" value="ja" checked`, true},
				{q2, `id="q-2-o-2-correct" name="q.2.o.2.correct" value="ja" checked`, false},
				{q2, `id="q-2-o-3-correct" name="q.2.o.3.correct" value="ja" checked`, true},
				{q3, `<option value="truefalse" selected>`, true},
				{q3, `value="De burgemeester is lid van de raad."`, true},
				{q3, `id="q-3-answer-niet-waar" name="q.3.answer" value="niet-waar" checked`, true},
				{q3, `id="q-3-answer-waar" name="q.3.answer" value="waar" checked`, false},
			}
			for _, ch := range checks {
				if strings.Contains(ch.part, ch.want) != ch.ok {
					t.Errorf("reloaded quiz: has %q = %v, want %v", ch.want, !ch.ok, ch.ok)
				}
			}

			// A session that ends before it starts.
			if resp, _ := c.do(http.MethodGet, newLesson+"?soort=session", nil); resp.StatusCode != 200 {
				t.Errorf("new session form: %d", resp.StatusCode)
			}
			resp, page = learnPost(c, newLesson, url.Values{"kind": {"session"}, "title": {"Oefenavond"}, "minutes": {"120"},
				"body": {"Samen oefenen."}, "starts": {"2026-10-01T19:00"}, "ends": {"2026-10-01T18:00"}, "location": {"Stadhuis, raadzaal"},
				"capacity": {"20"}, "action": {"save"}})
			if resp.StatusCode != 400 {
				t.Fatalf("session ending before it starts: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "ends", "het einde ligt vóór het begin")
			if !strings.Contains(editorInput(page, "starts"), `value="2026-10-01T19:00"`) || !strings.Contains(editorInput(page, "ends"), `value="2026-10-01T18:00"`) ||
				!strings.Contains(editorInput(page, "location"), `value="Stadhuis, raadzaal"`) {
				t.Error("typed session values not kept")
			}
			if n := len(editorDraft(t, a, slug).Modules[0].Activities); n != 2 {
				t.Errorf("%d activities, want 2", n)
			}
		})
	}
}

// TestEditorUploads: images and documents are checked on their bytes; the
// Markdown to use a file is offered; refused files are not stored; draft
// files are served to those who may edit only.
func TestEditorUploads(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c, _ := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			learner, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			slug := editorCreate(t, c, "Bestanden uploaden")
			base := "/beheer/cursussen/" + slug
			img := editorPNG(t)

			resp, page := editorUpload(c, base+"/bestanden", "Kaart van de gemeente.png", img)
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "bestand=bestanden%2Fkaart-van-de-gemeente.png") {
				t.Fatalf("upload png: %d to %q\n%.800s", resp.StatusCode, loc, page)
			}
			resp, page = c.do(http.MethodGet, loc, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("page after upload: %d", resp.StatusCode)
			}
			for _, want := range []string{"Het bestand is geüpload.", "kaart-van-de-gemeente.png is geüpload.",
				`<code class="rz-editor-snippet">![beschrijving](bestanden/kaart-van-de-gemeente.png)</code>`} {
				if !strings.Contains(page, want) {
					t.Errorf("page after upload lacks %q", want)
				}
			}

			refused := []struct {
				name    string
				content []byte
				want    string
			}{
				{"script.png", []byte("<script>alert(1)</script>"), "de inhoud van het bestand is geen png"},
				{"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "dit soort bestand is niet toegestaan"},
				{"leeg.pdf", nil, "het bestand is leeg"},
			}
			for _, r := range refused {
				resp, page := editorUpload(c, base+"/bestanden", r.name, r.content)
				if resp.StatusCode != 400 {
					t.Errorf("%s: %d, want 400", r.name, resp.StatusCode)
					continue
				}
				editorFieldError(t, page, "file", r.want)
				if !strings.Contains(page, `id="file" name="file" type="file"`) || !strings.Contains(editorInput(page, "file"), `aria-invalid="true"`) {
					t.Errorf("%s: the file input is not marked invalid", r.name)
				}
			}
			big := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), courses.MaxFileBytes+1-9)...)
			resp, page = editorUpload(c, base+"/bestanden", "groot.pdf", big)
			t.Logf("file of 10 MiB + 1 byte: %d", resp.StatusCode)
			switch resp.StatusCode {
			case 400:
				editorFieldError(t, page, "file", "het bestand is te groot: hoogstens 10 MB")
			case 413:
				if !strings.Contains(page, "te groot") {
					t.Errorf("413 page does not say the file is too large:\n%.800s", page)
				}
			default:
				t.Errorf("file of 10 MiB + 1 byte: %d", resp.StatusCode)
			}

			d := editorDraft(t, a, slug)
			if len(d.Files) != 1 || d.Files[0].Path != "bestanden/kaart-van-de-gemeente.png" || d.Files[0].ContentType != "image/png" || d.Files[0].Size != int64(len(img)) {
				t.Fatalf("stored files: %+v", d.Files)
			}

			path := "/cursusbestanden/" + strconv.FormatInt(d.VersionID, 10) + "/kaart-van-de-gemeente.png"
			if !strings.Contains(page, `href="`+path+`"`) {
				t.Errorf("editor page does not link %s", path)
			}
			resp, got := c.do(http.MethodGet, path, nil)
			if resp.StatusCode != 200 || got != string(img) {
				t.Fatalf("owner gets the file: %d, %d bytes", resp.StatusCode, len(got))
			}
			if h := resp.Header.Get("X-Content-Type-Options"); h != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", h)
			}
			if h := resp.Header.Get("Content-Disposition"); h != `inline; filename="kaart-van-de-gemeente.png"` {
				t.Errorf("Content-Disposition %q", h)
			}
			if h := resp.Header.Get("Content-Type"); h != "image/png" {
				t.Errorf("Content-Type %q", h)
			}
			if resp, _ := learner.do(http.MethodGet, path, nil); resp.StatusCode != 404 {
				t.Errorf("learner gets a draft file: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestEditorPublishAndVersions: publishing checks the whole draft; a
// published version never changes; learners stay on their version until
// they are moved, and keep their progress.
func TestEditorPublishAndVersions(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			ctx := context.Background()
			c, _ := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			learner, lu := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			anon := newClient(t, a)
			title := "Publiceren in de praktijk"
			slug := editorCreate(t, c, title)
			base := "/beheer/cursussen/" + slug
			moduleID := editorAddModule(t, c, slug, "Eerste stappen")

			// An empty module stops publishing, named by its title.
			resp, page := learnPost(c, base+"/publiceren", nil)
			if resp.StatusCode != 400 {
				t.Fatalf("publish with an empty module: %d", resp.StatusCode)
			}
			blockers := editorBetween(t, page, `id="publish-blockers"`, "</ul>")
			if !strings.Contains(blockers, `role="alert"`) || !strings.Contains(blockers, "Module 1 (Eerste stappen): de module heeft geen activiteiten") {
				t.Errorf("blockers: %s", blockers)
			}
			if _, page := anon.do(http.MethodGet, "/cursussen", nil); strings.Contains(page, title) {
				t.Error("an unpublished course is in the catalogue")
			}
			if resp, _ := anon.do(http.MethodGet, "/api/v1/courses/"+slug, nil); resp.StatusCode != 404 {
				t.Errorf("API of an unpublished course: %d, want 404", resp.StatusCode)
			}
			// Nobody can enrol in a course that has only a draft.
			if resp, _ := learnPost(learner, "/cursussen/"+slug+"/inschrijven", nil); resp.StatusCode != 404 {
				t.Errorf("enrolling in an unpublished course: %d, want 404", resp.StatusCode)
			}
			if list, err := a.learning.Enrolments(ctx, lu.ID); err != nil || len(list) != 0 {
				t.Errorf("enrolments after enrolling in an unpublished course: %v %v", list, err)
			}

			editorAddLesson(t, c, slug, moduleID, "Welkom", "Dit is versie een van de les.")
			editorAddLesson(t, c, slug, moduleID, "Verdieping", "Meer over de raad.")
			resp, _ = learnPost(c, base+"/publiceren", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?opgeslagen=gepubliceerd" {
				t.Fatalf("publish: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if _, page := anon.do(http.MethodGet, "/cursussen", nil); !strings.Contains(page, title) {
				t.Error("the published course is not in the catalogue")
			}
			resp, api := anon.do(http.MethodGet, "/api/v1/courses/"+slug, nil)
			if resp.StatusCode != 200 || !strings.Contains(api, `"title":"`+title+`"`) || !strings.Contains(api, `"Verdieping"`) {
				t.Errorf("API: %d %.500s", resp.StatusCode, api)
			}
			_, page = c.do(http.MethodGet, base, nil)
			if !strings.Contains(page, "Wijzigingen maken (nieuwe conceptversie)") || strings.Contains(page, `action="`+base+`/modules/nieuw"`) {
				t.Error("the editor of a published course without draft does not offer a new draft only")
			}
			if resp, _ := learnPost(c, base+"/modules/nieuw", url.Values{"title": {"Te laat"}}); resp.StatusCode != 409 {
				t.Errorf("change without a draft: %d, want 409", resp.StatusCode)
			}

			// A learner on version 1 with one lesson done.
			learnEnrol(t, learner, slug)
			welkom := "/leren/" + slug + "/eerste-stappen/welkom"
			resp, page = learner.do(http.MethodGet, welkom, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Dit is versie een van de les.") {
				t.Fatalf("learner on version 1: %d", resp.StatusCode)
			}
			if resp, _ := learnPost(learner, welkom+"/gedaan", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("mark done: %d", resp.StatusCode)
			}

			// Version 2 is a copy; the published version stays as it was.
			resp, _ = learnPost(c, base+"/concept", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?opgeslagen=concept" {
				t.Fatalf("start draft: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			v1, err := a.courses.CourseBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			d := editorDraft(t, a, slug)
			if d.Version != 2 || d.VersionID == v1.VersionID || len(d.Modules) != 1 || len(d.Modules[0].Activities) != 2 ||
				d.Modules[0].Slug != "eerste-stappen" || d.Modules[0].Activities[0].Slug != "welkom" || d.Modules[0].Activities[0].ID == v1.Modules[0].Activities[0].ID {
				t.Fatalf("draft version 2: %+v", d)
			}
			welkomID := d.Modules[0].Activities[0].ID
			resp, page = learnPost(c, base+"/activiteiten/"+strconv.FormatInt(welkomID, 10), url.Values{"kind": {"lesson"}, "title": {"Welkom terug"},
				"slug": {""}, "minutes": {"5"}, "body": {"Dit is versie twee van de les."}, "action": {"save"}})
			editorIDFrom(t, resp, page)
			editorAddLesson(t, c, slug, d.Modules[0].ID, "Afsluiting", "Tot slot.")
			resp, page = learnPost(c, base+"/gegevens", url.Values{"title": {title + " (herzien)"}, "summary": {"Een herziene samenvatting van de cursus."},
				"description": {"Wat u leert in de herziene versie."}, "audience": {"raadslid"}, "topics": {"rollen"}, "study_hours": {"3"}, "level": {"basis"}, "language": {"nl"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("save metadata of version 2: %d\n%s", resp.StatusCode, regexp.MustCompile(`rz-field-error[^<]*`).FindAllString(page, -1))
			}
			if d := editorDraft(t, a, slug); d.Modules[0].Activities[0].Slug != "welkom" || d.Modules[0].Activities[0].Title != "Welkom terug" || len(d.Modules[0].Activities) != 3 {
				t.Errorf("edited draft: %+v", d.Modules[0].Activities)
			}
			pub, err := a.courses.CourseBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			if pub.Version != 1 || pub.Title != title || len(pub.Modules[0].Activities) != 2 || pub.Modules[0].Activities[0].Body != "Dit is versie een van de les." ||
				pub.Modules[0].Activities[0].Title != "Welkom" {
				t.Errorf("the published version changed: version %d, %q, %+v", pub.Version, pub.Title, pub.Modules[0].Activities)
			}
			if _, api := anon.do(http.MethodGet, "/api/v1/courses/"+slug, nil); strings.Contains(api, "Afsluiting") || strings.Contains(api, "herzien") {
				t.Error("the API shows the draft")
			}
			if _, page := learner.do(http.MethodGet, welkom, nil); !strings.Contains(page, "Dit is versie een van de les.") {
				t.Error("the learner sees the draft")
			}

			// Version 2 published: the learner stays on version 1.
			if resp, _ := learnPost(c, base+"/publiceren", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish version 2: %d", resp.StatusCode)
			}
			if _, api := anon.do(http.MethodGet, "/api/v1/courses/"+slug, nil); !strings.Contains(api, "Afsluiting") || !strings.Contains(api, title+" (herzien)") {
				t.Errorf("API after publishing version 2: %.500s", api)
			}
			resp, page = learner.do(http.MethodGet, welkom, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Dit is versie een van de les.") || strings.Contains(page, "versie twee") {
				t.Errorf("learner after version 2 was published: %d", resp.StatusCode)
			}
			_, page = c.do(http.MethodGet, base, nil)
			if !strings.Contains(page, "1 cursist volgt nog een oudere versie.") || !strings.Contains(page, `action="`+base+`/cursisten-overzetten"`) {
				t.Error("the editor does not offer to move the learner on version 1")
			}

			// Moved: version 2, progress kept by key.
			resp, _ = learnPost(c, base+"/cursisten-overzetten", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?opgeslagen=overgezet" {
				t.Fatalf("move learners: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, page = learner.do(http.MethodGet, welkom, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Dit is versie twee van de les.") || strings.Contains(page, "versie een") {
				t.Fatalf("learner after moving: %d", resp.StatusCode)
			}
			if !strings.Contains(page, "1 van 3 onderdelen gedaan") {
				t.Error("progress not kept after moving")
			}
			v2, _ := a.courses.CourseBySlug(ctx, slug)
			if e, err := a.learning.Enrolment(ctx, lu.ID, v2.ID); err != nil || e.VersionID != v2.VersionID {
				t.Errorf("enrolment after moving: %+v %v, want version %d", e, err, v2.VersionID)
			}
			if _, page := c.do(http.MethodGet, base, nil); strings.Contains(page, "volgt nog een oudere versie") {
				t.Error("after moving, the editor still counts a learner on an older version")
			}
		})
	}
}

// TestEditorPreviewAsLearner: the preview shows the draft as a learner
// sees it, and records nothing.
func TestEditorPreviewAsLearner(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c, u := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			slug := editorCreate(t, c, "Voorbeeld bekijken")
			moduleID := editorAddModule(t, c, slug, "De module")
			editorAddLesson(t, c, slug, moduleID, "De les", "Tekst van het **concept**.")
			editorAddLesson(t, c, slug, moduleID, "De tweede les", "Meer tekst.")
			resp, page := c.do(http.MethodGet, "/beheer/cursussen/"+slug+"/voorbeeld/de-module/de-les", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("preview: %d", resp.StatusCode)
			}
			for _, want := range []string{
				"Voorbeeld van versie 1 zoals een cursist die ziet. Er wordt niets opgeslagen.",
				"Tekst van het <strong>concept</strong>.",
				`href="/beheer/cursussen/` + slug + `/voorbeeld/de-module/de-tweede-les"`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("preview lacks %q", want)
				}
			}
			if strings.Contains(page, "/gedaan\"") {
				t.Error("the preview offers to mark the lesson done")
			}
			if resp, _ := c.do(http.MethodGet, "/beheer/cursussen/"+slug+"/voorbeeld/de-module/bestaat-niet", nil); resp.StatusCode != 404 {
				t.Errorf("preview of an unknown activity: %d", resp.StatusCode)
			}
			if _, err := a.learning.Enrolment(context.Background(), u.ID, editorDraft(t, a, slug).ID); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("the preview enrolled the trainer: %v", err)
			}
		})
	}
}

// TestEditorDiscard: throwing away the draft of a course that was never
// published removes the course.
func TestEditorDiscard(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c, _ := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			title := "Een cursus om weg te gooien"
			slug := editorCreate(t, c, title)
			moduleID := editorAddModule(t, c, slug, "Een module")
			editorAddLesson(t, c, slug, moduleID, "Een les", "Tekst.")
			if resp, _ := editorUpload(c, "/beheer/cursussen/"+slug+"/bestanden", "kaart.png", editorPNG(t)); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("upload: %d", resp.StatusCode)
			}
			_, page := c.do(http.MethodGet, "/beheer/cursussen/"+slug, nil)
			if !strings.Contains(page, "deze cursus is nooit gepubliceerd") {
				t.Error("the editor does not warn that the whole course goes")
			}
			resp, _ := learnPost(c, "/beheer/cursussen/"+slug+"/concept-weggooien", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/beheer/cursussen" {
				t.Fatalf("discard: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := c.do(http.MethodGet, "/beheer/cursussen/"+slug, nil); resp.StatusCode != 404 {
				t.Errorf("discarded course: %d, want 404", resp.StatusCode)
			}
			if _, page := c.do(http.MethodGet, "/beheer/cursussen", nil); strings.Contains(page, title) || strings.Contains(page, slug) {
				t.Error("the list still shows the discarded course")
			}
			if _, err := a.editor.CourseIDBySlug(context.Background(), slug); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("discarded course still stored: %v", err)
			}
			// The slug is free again.
			if again := editorCreate(t, c, title); again != slug {
				t.Errorf("recreated as %q, want %q", again, slug)
			}
		})
	}
}

// TestEditorParseProblemsKeepOtherProblems: a number that does not parse
// is one problem among others; the metadata and activity forms show every
// problem at once, like the form for a new course.
func TestEditorParseProblemsKeepOtherProblems(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c, _ := learnSignedIn(t, a, "trainer@example.nl", courses.RoleTrainer)
			slug := editorCreate(t, c, "Alle fouten tegelijk")
			base := "/beheer/cursussen/" + slug
			moduleID := editorAddModule(t, c, slug, "Een module")

			form := editorCourseForm("")
			form.Set("description", "Beschrijving.")
			form.Del("audience")
			form.Set("study_hours", "veel")
			resp, page := learnPost(c, base+"/gegevens", form)
			if resp.StatusCode != 400 {
				t.Fatalf("bad metadata: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "study_hours", "&#34;veel&#34; is geen getal")
			editorFieldError(t, page, "title", "is verplicht")
			editorFieldError(t, page, "audience", "is verplicht")
			if d := editorDraft(t, a, slug); d.Title != "Alle fouten tegelijk" || len(d.Audience) != 2 {
				t.Errorf("refused metadata changed the draft: %q %v", d.Title, d.Audience)
			}

			resp, page = learnPost(c, base+"/modules/"+strconv.FormatInt(moduleID, 10)+"/nieuw",
				url.Values{"kind": {"lesson"}, "title": {""}, "minutes": {"veel"}, "body": {""}, "action": {"save"}})
			if resp.StatusCode != 400 {
				t.Fatalf("bad lesson: %d", resp.StatusCode)
			}
			editorFieldError(t, page, "minutes", "&#34;veel&#34; is geen getal")
			editorFieldError(t, page, "title", "is verplicht")
			editorFieldError(t, page, "body", "is verplicht")
		})
	}
}
