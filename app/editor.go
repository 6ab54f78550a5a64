package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// The course editor: trainers edit the courses they own, admins every
// course. Every change goes to the course's draft; publishing freezes it.

// trainers may open the editor; which courses they see is decided per
// course by mayEdit.
var trainers = access{name: "trainer or admin", allow: func(u *courses.User) bool {
	return u.Role == courses.RoleTrainer || u.Role == courses.RoleAdmin
}}

// mayEdit allows admins and the course's owners; to anyone else the course
// does not exist (404, as for what a caller may not see).
func (a *application) mayEdit(c *fiber.Ctx, courseID int64) error {
	u := userFrom(c)
	if u == nil {
		return courses.Errorf(courses.EUNAUTHORIZED, "sign in first")
	}
	if u.Role == courses.RoleAdmin {
		return nil
	}
	if u.Role == courses.RoleTrainer {
		ok, err := a.editor.IsOwner(c.UserContext(), courseID, u.ID)
		if err != nil || ok {
			return err
		}
	}
	return courses.Errorf(courses.ENOTFOUND, "no course %d for user %d", courseID, u.ID)
}

// editorCourseID resolves :slug to a course the caller may edit.
func (a *application) editorCourseID(c *fiber.Ctx) (int64, string, error) {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return 0, "", courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	slug = strings.Clone(slug)
	id, err := a.editor.CourseIDBySlug(c.UserContext(), slug)
	if err != nil {
		return 0, "", err
	}
	return id, slug, a.mayEdit(c, id)
}

// editorListView is the data of the editor's course list.
type editorListView struct {
	Courses  []courses.EditableCourse
	Problems map[string]string
	Input    courseInput
}

// handleEditorList lists the courses the caller may edit, with a form for a
// new one.
func (a *application) handleEditorList(c *fiber.Ctx) error {
	return a.renderEditorList(c, fiber.StatusOK, editorListView{Input: courseInput{Language: "nl", Level: "basis"}})
}

func (a *application) renderEditorList(c *fiber.Ctx, status int, v editorListView) error {
	u := userFrom(c)
	list, err := a.editor.EditableCourses(c.UserContext(), u.ID, u.Role == courses.RoleAdmin)
	if err != nil {
		return err
	}
	v.Courses = list
	return a.renderForm(c, status, "editor-list", a.localeFrom(c).T("editor.title"), "editor", "/beheer/cursussen", v)
}

// courseInput is the metadata form as sent, kept when refused.
type courseInput struct {
	Slug, Title, Summary, Description, StudyHours, Level, Language, Validity, Prerequisites string
	Audience                                                                                map[string]bool
	Topics                                                                                  map[string]bool
}

func courseInputOf(c *courses.Course) courseInput {
	in := courseInput{Slug: c.Slug, Title: c.Title, Summary: c.Summary, Description: c.Description,
		StudyHours: strings.Replace(strconv.FormatFloat(c.StudyHours, 'f', -1, 64), ".", ",", 1),
		Level:      string(c.Level), Language: c.Language, Prerequisites: strings.Join(c.Prerequisites, ", "),
		Audience: map[string]bool{}, Topics: map[string]bool{}}
	if c.ValidityMonths > 0 {
		in.Validity = strconv.Itoa(c.ValidityMonths)
	}
	for _, o := range c.Audience {
		in.Audience[string(o)] = true
	}
	for _, t := range c.Topics {
		in.Topics[string(t)] = true
	}
	return in
}

// courseFromForm reads the metadata form; numbers that do not parse are
// problems of their field.
func courseFromForm(c *fiber.Ctx) (*courses.Course, courseInput, []courses.Problem) {
	in := courseInput{
		Slug: strings.TrimSpace(c.FormValue("slug")), Title: strings.TrimSpace(c.FormValue("title")),
		Summary: strings.TrimSpace(c.FormValue("summary")), Description: strings.TrimSpace(c.FormValue("description")),
		StudyHours: strings.TrimSpace(c.FormValue("study_hours")), Level: c.FormValue("level"), Language: c.FormValue("language"),
		Validity: strings.TrimSpace(c.FormValue("validity_months")), Prerequisites: strings.TrimSpace(c.FormValue("prerequisites")),
		Audience: map[string]bool{}, Topics: map[string]bool{},
	}
	in = cloneInput(in)
	course := &courses.Course{Slug: in.Slug, Title: in.Title, Summary: in.Summary, Description: in.Description,
		Level: courses.Level(in.Level), Language: in.Language}
	args := c.Request().PostArgs()
	for _, o := range args.PeekMulti("audience") {
		in.Audience[string(o)] = true
		course.Audience = append(course.Audience, courses.Office(string(o)))
	}
	for _, t := range args.PeekMulti("topics") {
		in.Topics[string(t)] = true
		course.Topics = append(course.Topics, courses.Topic(string(t)))
	}
	var problems []courses.Problem
	if h, ok := courses.ParseHours(in.StudyHours); ok {
		course.StudyHours = h
	} else {
		problems = append(problems, courses.Problem{Field: "study_hours", Key: courses.ProblemNotNumber, Args: map[string]any{"value": truncateText(in.StudyHours, 20)}})
		course.StudyHours = 1 // checked above; keeps Validate from adding a second problem
	}
	if in.Validity != "" {
		n, err := strconv.Atoi(in.Validity)
		if err != nil {
			problems = append(problems, courses.Problem{Field: "validity_months", Key: courses.ProblemNotNumber, Args: map[string]any{"value": truncateText(in.Validity, 20)}})
		}
		course.ValidityMonths = n
	}
	for _, s := range strings.Split(in.Prerequisites, ",") {
		if s = strings.TrimSpace(s); s != "" {
			course.Prerequisites = append(course.Prerequisites, s)
		}
	}
	return course, in, problems
}

func cloneInput(in courseInput) courseInput {
	in.Slug, in.Title, in.Summary, in.Description = strings.Clone(in.Slug), strings.Clone(in.Title), strings.Clone(in.Summary), strings.Clone(in.Description)
	in.StudyHours, in.Level, in.Language = strings.Clone(in.StudyHours), strings.Clone(in.Level), strings.Clone(in.Language)
	in.Validity, in.Prerequisites = strings.Clone(in.Validity), strings.Clone(in.Prerequisites)
	return in
}

// problemsFor translates parse problems plus the service's problems.
func problemsFor(l *Locale, parse []courses.Problem, err error) map[string]string {
	out := problemsByField(l, err)
	for _, p := range parse {
		out[p.Field] = l.TArgs(p.Key, p.Args)
	}
	return out
}

// handleCourseCreate creates a course with an empty draft owned by the
// caller.
func (a *application) handleCourseCreate(c *fiber.Ctx) error {
	course, in, parse := courseFromForm(c)
	if course.Slug == "" {
		course.Slug = courses.Slugify(course.Title)
		in.Slug = course.Slug
	}
	if course.Description == "" {
		course.Description = course.Summary
	}
	l := a.localeFrom(c)
	var err error
	if len(parse) == 0 {
		err = a.editor.CreateCourse(c.UserContext(), course, userFrom(c).ID)
	} else if p := courses.ValidateMetadata(course); len(p) > 0 {
		err = courses.Invalid("invalid course", p...) // every problem at once
	}
	if len(parse) > 0 || courses.ErrorCode(err) == courses.EINVALID {
		return a.renderEditorList(c, fiber.StatusBadRequest, editorListView{Problems: problemsFor(l, parse, err), Input: in})
	}
	if err != nil {
		return err
	}
	a.auditCourse(c, "course.created", course.Slug)
	return c.Redirect("/beheer/cursussen/"+course.Slug, fiber.StatusSeeOther)
}

func (a *application) auditCourse(c *fiber.Ctx, action, slug string) {
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: action, Subject: "course:" + slug, RequestID: requestIDFrom(c)})
}

// courseEditView is the data of a course's editor page.
type courseEditView struct {
	Slug      string
	Draft     *courses.Course // nil: no draft, the published version is shown
	Published *courses.Course // nil: never published
	Owners    []courses.CourseOwner
	Summary   courses.EditableCourse
	Input     courseInput
	Problems  map[string]string
	Publish   []string // problems that stop publishing, translated
	Saved     string
	Snippet   string // Markdown for a file just uploaded
	IsAdmin   bool
	// A refused module or owner form: which form ("module-12",
	// "module-nieuw", "owner") and what was sent, shown again as typed.
	SentForm      string
	Sent          map[string]string
	PublishFailed bool
}

// Value returns what was sent in field of form when that form was refused,
// else stored.
func (v courseEditView) Value(form, field, stored string) string {
	if v.SentForm == form {
		return v.Sent[field]
	}
	return stored
}

// handleCourseEdit shows the editor of one course.
func (a *application) handleCourseEdit(c *fiber.Ctx) error {
	return a.renderCourseEdit(c, fiber.StatusOK, courseEditView{Saved: savedEditorMessage(c.Query("opgeslagen")),
		Snippet: strings.Clone(c.Query("bestand"))})
}

func savedEditorMessage(what string) string {
	switch what {
	case "gegevens", "module", "activiteit", "bestand", "gepubliceerd", "verwijderd", "eigenaar", "overgezet", "concept":
		return "editor.saved." + what
	}
	return ""
}

func (a *application) renderCourseEdit(c *fiber.Ctx, status int, v courseEditView) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v.Slug = slug
	v.IsAdmin = userFrom(c).Role == courses.RoleAdmin
	if v.Draft, err = a.editor.DraftOnly(ctx, courseID); err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
		return err
	}
	if v.Published, err = a.courses.CourseBySlug(ctx, slug); err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
		return err
	}
	if v.Owners, err = a.editor.Owners(ctx, courseID); err != nil {
		return err
	}
	u := userFrom(c)
	list, err := a.editor.EditableCourses(ctx, u.ID, true)
	if err != nil {
		return err
	}
	for _, ec := range list {
		if ec.ID == courseID {
			v.Summary = ec
		}
	}
	l := a.localeFrom(c)
	if v.Draft != nil {
		if v.Input.Audience == nil {
			v.Input = courseInputOf(v.Draft)
		}
		for _, p := range courses.PublishProblems(v.Draft) {
			v.Publish = append(v.Publish, publishProblem(l, v.Draft, p))
		}
	}
	title := l.T("editor.course_title", "title", slug)
	if v.Draft != nil {
		title = l.T("editor.course_title", "title", v.Draft.Title)
	} else if v.Published != nil {
		title = l.T("editor.course_title", "title", v.Published.Title)
	}
	return a.renderForm(c, status, "editor-course", title, "editor", "/beheer/cursussen/"+slug, v)
}

// editorDraft returns the caller's course's draft, or ECONFLICT when there
// is none (a form from before publishing).
func (a *application) editorDraft(c *fiber.Ctx) (*courses.Course, error) {
	courseID, _, err := a.editorCourseID(c)
	if err != nil {
		return nil, err
	}
	d, err := a.editor.DraftOnly(c.UserContext(), courseID)
	if courses.ErrorCode(err) == courses.ENOTFOUND {
		return nil, courses.Errorf(courses.ECONFLICT, "course %d has no draft", courseID)
	}
	return d, err
}

func (a *application) backToCourse(c *fiber.Ctx, slug, saved string) error {
	return c.Redirect("/beheer/cursussen/"+slug+"?opgeslagen="+saved, fiber.StatusSeeOther)
}

// handleDraftStart starts a draft as a copy of the published version.
func (a *application) handleDraftStart(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	if _, err := a.editor.Draft(c.UserContext(), courseID, userFrom(c).ID); err != nil {
		return err
	}
	return a.backToCourse(c, slug, "concept")
}

// handleMetadataSave saves the draft's metadata.
func (a *application) handleMetadataSave(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	course, in, parse := courseFromForm(c)
	course.Slug, in.Slug = draft.Slug, draft.Slug // the slug is the course's address: fixed
	if len(parse) == 0 {
		err = a.editor.SaveMetadata(c.UserContext(), draft.VersionID, course)
	} else if p := courses.ValidateMetadata(course); len(p) > 0 {
		err = courses.Invalid("invalid course", p...) // every problem at once
	}
	if len(parse) > 0 || courses.ErrorCode(err) == courses.EINVALID {
		return a.renderCourseEdit(c, fiber.StatusBadRequest, courseEditView{Input: in, Problems: problemsFor(a.localeFrom(c), parse, err)})
	}
	if err != nil {
		return err
	}
	return a.backToCourse(c, draft.Slug, "gegevens")
}

// handleModuleSave adds a module (:id "nieuw") or changes one.
func (a *application) handleModuleSave(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	m := &courses.Module{Title: strings.TrimSpace(c.FormValue("title")), Summary: strings.TrimSpace(c.FormValue("summary")),
		Intro: strings.TrimSpace(c.FormValue("intro")), Slug: strings.TrimSpace(c.FormValue("slug"))}
	m.Title, m.Summary, m.Intro, m.Slug = strings.Clone(m.Title), strings.Clone(m.Summary), strings.Clone(m.Intro), strings.Clone(m.Slug)
	if id := c.Params("id"); id != "nieuw" {
		if m.ID, err = strconv.ParseInt(id, 10, 64); err != nil {
			return courses.Errorf(courses.ENOTFOUND, "no module %q", id)
		}
	}
	if m.Slug == "" {
		m.Slug = courses.Slugify(m.Title)
		// A module's slug is the key of its learners' progress: an empty
		// field keeps the stored one rather than follow a new title.
		for _, stored := range draft.Modules {
			if stored.ID == m.ID && m.ID != 0 {
				m.Slug = stored.Slug
			}
		}
	}
	err = a.editor.SaveModule(c.UserContext(), draft.VersionID, m)
	if courses.ErrorCode(err) == courses.EINVALID {
		form := "module-" + c.Params("id")
		problems := map[string]string{}
		for f, msg := range problemsByField(a.localeFrom(c), err) {
			problems[form+"-"+f] = msg
		}
		return a.renderCourseEdit(c, fiber.StatusBadRequest, courseEditView{Problems: problems, SentForm: strings.Clone(form),
			Sent: map[string]string{"title": m.Title, "summary": m.Summary, "intro": m.Intro, "slug": strings.Clone(c.FormValue("slug"))}})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/beheer/cursussen/"+draft.Slug+"?opgeslagen=module#module-"+strconv.FormatInt(m.ID, 10), fiber.StatusSeeOther)
}

func idParam(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil {
		return 0, courses.Errorf(courses.ENOTFOUND, "bad id %q", c.Params(name))
	}
	return id, nil
}

// handleModuleDelete removes a module from the draft.
func (a *application) handleModuleDelete(c *fiber.Ctx) error {
	return a.draftItem(c, a.editor.DeleteModule, func(slug string, _ int64) string {
		return "/beheer/cursussen/" + slug + "?opgeslagen=verwijderd"
	})
}

// handleModuleMove moves a module up or down (form field "richting").
func (a *application) handleModuleMove(c *fiber.Ctx) error {
	up := c.FormValue("richting") == "omhoog"
	return a.draftItem(c, func(ctx context.Context, version, id int64) error { return a.editor.MoveModule(ctx, version, id, up) },
		func(slug string, id int64) string {
			return "/beheer/cursussen/" + slug + "#module-" + strconv.FormatInt(id, 10)
		})
}

// handleActivityMove moves an activity up or down within its module.
func (a *application) handleActivityMove(c *fiber.Ctx) error {
	up := c.FormValue("richting") == "omhoog"
	return a.draftItem(c, func(ctx context.Context, version, id int64) error { return a.editor.MoveActivity(ctx, version, id, up) },
		func(slug string, id int64) string {
			return "/beheer/cursussen/" + slug + "#activiteit-" + strconv.FormatInt(id, 10)
		})
}

// handleActivityDelete removes an activity from the draft.
func (a *application) handleActivityDelete(c *fiber.Ctx) error {
	return a.draftItem(c, a.editor.DeleteActivity, func(slug string, _ int64) string {
		return "/beheer/cursussen/" + slug + "?opgeslagen=verwijderd"
	})
}

// draftItem runs do on the module or activity :id of the caller's draft
// and goes back to the course's editor at to(slug, id).
func (a *application) draftItem(c *fiber.Ctx, do func(ctx context.Context, versionID, id int64) error, to func(slug string, id int64) string) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := do(c.UserContext(), draft.VersionID, id); err != nil {
		return err
	}
	return c.Redirect(to(draft.Slug, id), fiber.StatusSeeOther)
}

// handleFileUpload stores an image or document in the draft. The name is
// made safe, the type checked on the bytes, and the Markdown to use it is
// shown back.
func (a *application) handleFileUpload(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	l := a.localeFrom(c)
	refuse := func(key string, args map[string]any) error {
		return a.renderCourseEdit(c, fiber.StatusBadRequest, courseEditView{Problems: map[string]string{"file": l.TArgs(key, args)}})
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refuse(courses.ProblemRequired, nil)
	}
	if fh.Size > courses.MaxFileBytes {
		return refuse(courses.ProblemFileTooLarge, map[string]any{"max": courses.MaxFileBytes >> 20})
	}
	name := courses.FileSlug(fh.Filename)
	if name == "" {
		return refuse(courses.ProblemFileType, map[string]any{"allowed": courses.AllowedFileTypes})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, courses.MaxFileBytes+1))
	if err != nil {
		return err
	}
	ct, key, args := courses.CheckFile(name, data)
	if key != "" {
		return refuse(key, args)
	}
	file := courses.NewFile(courses.FilesDir+"/"+name, ct, data)
	err = a.editor.AddFile(c.UserContext(), draft.VersionID, &file)
	if courses.ErrorCode(err) == courses.EINVALID {
		return a.renderCourseEdit(c, fiber.StatusBadRequest, courseEditView{Problems: problemsByField(l, err)})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/beheer/cursussen/"+draft.Slug+"?opgeslagen=bestand&bestand="+url.QueryEscape(file.Path)+"#bestanden", fiber.StatusSeeOther)
}

// handleFileDelete removes a file from the draft.
func (a *application) handleFileDelete(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	if err := a.editor.DeleteFile(c.UserContext(), draft.VersionID, strings.Clone(c.FormValue("path"))); err != nil {
		return err
	}
	return c.Redirect("/beheer/cursussen/"+draft.Slug+"?opgeslagen=verwijderd#bestanden", fiber.StatusSeeOther)
}

// handlePublish publishes the draft, or shows what stops it.
func (a *application) handlePublish(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	_, err = a.editor.Publish(c.UserContext(), courseID)
	if courses.ErrorCode(err) == courses.EINVALID {
		return a.renderCourseEdit(c, fiber.StatusBadRequest, courseEditView{PublishFailed: true})
	}
	if err != nil {
		return err
	}
	a.pages.clear()
	a.auditCourse(c, "course.published", slug)
	return a.backToCourse(c, slug, "gepubliceerd")
}

// handleDraftDiscard throws the draft away.
func (a *application) handleDraftDiscard(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	if err := a.editor.DiscardDraft(c.UserContext(), courseID); err != nil {
		return err
	}
	a.auditCourse(c, "course.draft_discarded", slug)
	if _, err := a.editor.CourseIDBySlug(c.UserContext(), slug); courses.ErrorCode(err) == courses.ENOTFOUND {
		return c.Redirect("/beheer/cursussen", fiber.StatusSeeOther) // a course never published is gone
	}
	return a.backToCourse(c, slug, "verwijderd")
}

// handleMoveLearners moves learners on older versions to the published one.
func (a *application) handleMoveLearners(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	if _, err := a.editor.MoveLearners(c.UserContext(), courseID); err != nil {
		return err
	}
	a.auditCourse(c, "course.learners_moved", slug)
	return a.backToCourse(c, slug, "overgezet")
}

// handleOwnerAdd adds a co-owner by e-mail address.
func (a *application) handleOwnerAdd(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	email := strings.Clone(c.FormValue("email"))
	_, err = a.editor.AddOwner(c.UserContext(), courseID, email)
	if courses.ErrorCode(err) == courses.EINVALID {
		problems := map[string]string{}
		for f, msg := range problemsByField(a.localeFrom(c), err) {
			problems["owner-"+f] = msg
		}
		return a.renderCourseEdit(c, fiber.StatusBadRequest, courseEditView{Problems: problems, SentForm: "owner", Sent: map[string]string{"email": email}})
	}
	if err != nil {
		return err
	}
	a.auditCourse(c, "course.owner_added", slug)
	return a.backToCourse(c, slug, "eigenaar")
}

// handleOwnerRemove removes a co-owner; the last owner stays.
func (a *application) handleOwnerRemove(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := a.editor.RemoveOwner(c.UserContext(), courseID, id); err != nil {
		return err
	}
	a.auditCourse(c, "course.owner_removed", slug)
	return a.backToCourse(c, slug, "eigenaar")
}

// handlePreview shows an activity of the draft (or the published version)
// as a learner sees it, without recording anything.
func (a *application) handlePreview(c *fiber.Ctx) error {
	courseID, slug, err := a.editorCourseID(c)
	if err != nil {
		return err
	}
	course, err := a.editor.DraftOnly(c.UserContext(), courseID)
	if courses.ErrorCode(err) == courses.ENOTFOUND {
		course, err = a.courses.CourseBySlug(c.UserContext(), slug)
	}
	if err != nil {
		return err
	}
	v, err := a.learnView(c, course, nil, "/beheer/cursussen/"+slug+"/voorbeeld")
	if err != nil {
		return err
	}
	return a.renderActivity(c, fiber.StatusOK, v)
}

// handleMarkdownPreview renders Markdown for the editor's live preview: the
// same renderer and sanitiser as the lesson pages.
func (a *application) handleMarkdownPreview(c *fiber.Ctx) error {
	src := c.FormValue("body")
	if len(src) > 512<<10 {
		return courses.Invalid("too long", courses.Problem{Field: "body", Key: courses.ProblemTooLong, Args: map[string]any{"max": 512 << 10, "length": len(src)}})
	}
	// With the course's slug, references to its draft's files resolve too.
	var files func(string) (string, bool)
	if slug := c.FormValue("cursus"); courses.ValidSlug(slug) {
		id, err := a.editor.CourseIDBySlug(c.UserContext(), strings.Clone(slug))
		if err == nil {
			err = a.mayEdit(c, id)
		}
		if err != nil {
			return err
		}
		draft, err := a.editor.DraftOnly(c.UserContext(), id)
		if err != nil {
			return err
		}
		files = fileLinker(draft)
	}
	out := a.views.md.Lesson(0, src, files, a.localeFrom(c).T("learn.video"))
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(string(out))
}

// publishProblem says in words where a problem that stops publishing is:
// "Module 2 (De begroting), Toets: de cyclus: vragen: ...".
func publishProblem(l *Locale, c *courses.Course, p courses.Problem) string {
	where := l.T("editor.publish.where_course")
	if p.File != "course" {
		mi, ai := 0, 0
		fmt.Sscanf(p.File, "%d/%d", &mi, &ai)
		if mi >= 1 && mi <= len(c.Modules) {
			m := c.Modules[mi-1]
			where = l.T("course.module_label", "n", mi) + " (" + m.Title + ")"
			if ai >= 1 && ai <= len(m.Activities) {
				where += ", " + m.Activities[ai-1].Title
			}
		}
	}
	msg := l.TArgs(p.Key, p.Args)
	if p.Field != "" {
		field := p.Field
		if key := "editor.field." + strings.SplitN(field, ".", 2)[0]; l.Has(key) {
			field = l.T(key)
		}
		msg = field + ": " + msg
	}
	return where + ": " + msg
}
