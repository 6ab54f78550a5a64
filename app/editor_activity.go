package main

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// activityEditView is the data of the activity editor: a lesson, quiz or
// session of a draft, as stored or as sent.
type activityEditView struct {
	Slug        string
	CourseTitle string
	ModuleID    int64
	ModuleTitle string
	ActivityID  int64 // 0 for a new activity
	Input       activityInput
	Problems    map[string]string
	Preview     template.HTML
	HasPreview  bool
	Files       []courses.File
	VersionID   int64
}

// Action returns the form's address.
func (v *activityEditView) Action() string {
	if v.ActivityID == 0 {
		return "/beheer/cursussen/" + v.Slug + "/modules/" + strconv.FormatInt(v.ModuleID, 10) + "/nieuw"
	}
	return "/beheer/cursussen/" + v.Slug + "/activiteiten/" + strconv.FormatInt(v.ActivityID, 10)
}

// activityInput is the activity form as text, so that a refused form comes
// back exactly as it was sent.
type activityInput struct {
	Kind, Title, Slug, Minutes, Body       string
	PassMark, Attempts                     string
	Shuffle                                bool
	Starts, Ends, Location, OnlineURL, Cap string
	Questions                              []questionInput
}

type questionInput struct {
	Kind, Text, Feedback, Answer string
	Options                      []optionInput
}

type optionInput struct {
	Text    string
	Correct bool
}

// optionSlots is how many option rows a question shows: its options and
// two empty ones, at least four, at most MaxOptions.
func optionSlots(n int) int { return min(max(n+2, 4), courses.MaxOptions) }

func (q *questionInput) padOptions() {
	for len(q.Options) < optionSlots(countFilled(q.Options)) {
		q.Options = append(q.Options, optionInput{})
	}
}

func countFilled(list []optionInput) int {
	n := 0
	for _, o := range list {
		if strings.TrimSpace(o.Text) != "" {
			n++
		}
	}
	return n
}

const localInputLayout = "2006-01-02T15:04"

func activityInputOf(a *courses.Activity) activityInput {
	in := activityInput{Kind: string(a.Kind), Title: a.Title, Slug: a.Slug, Minutes: strconv.Itoa(a.Minutes), Body: a.Body}
	if q := a.Quiz; q != nil {
		in.PassMark, in.Shuffle = strconv.Itoa(q.PassMark), q.Shuffle
		if q.MaxAttempts > 0 {
			in.Attempts = strconv.Itoa(q.MaxAttempts)
		}
		for _, question := range q.Questions {
			qi := questionInput{Kind: string(question.Kind), Text: question.Text, Feedback: question.Feedback}
			if question.Kind == courses.TrueFalse {
				qi.Answer = "niet-waar"
				if len(question.Options) > 0 && question.Options[0].Correct {
					qi.Answer = "waar"
				}
			} else {
				for _, o := range question.Options {
					qi.Options = append(qi.Options, optionInput{Text: o.Text, Correct: o.Correct})
				}
			}
			qi.padOptions()
			in.Questions = append(in.Questions, qi)
		}
	}
	if m := a.Meeting; m != nil {
		if !m.StartsAt.IsZero() {
			in.Starts = m.StartsAt.In(courses.Amsterdam).Format(localInputLayout)
			in.Ends = m.EndsAt.In(courses.Amsterdam).Format(localInputLayout)
		}
		in.Location, in.OnlineURL, in.Cap = m.Location, m.OnlineURL, strconv.Itoa(m.Capacity)
	}
	return in
}

// activityFromForm reads the activity form. Numbers and times that do not
// parse are problems of their field; empty option rows are skipped.
func activityFromForm(c *fiber.Ctx, language string) (*courses.Activity, activityInput, []courses.Problem) {
	get := func(name string) string { return strings.Clone(strings.TrimSpace(c.FormValue(name))) }
	in := activityInput{Kind: get("kind"), Title: get("title"), Slug: get("slug"), Minutes: get("minutes"),
		Body: strings.Clone(strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n")), PassMark: get("pass_mark"), Attempts: get("attempts"),
		Shuffle: c.FormValue("shuffle") == "ja", Starts: get("starts"), Ends: get("ends"), Location: get("location"),
		OnlineURL: get("online_url"), Cap: get("capacity")}
	a := &courses.Activity{Kind: courses.ActivityKind(in.Kind), Title: in.Title, Slug: in.Slug, Body: strings.TrimSpace(in.Body)}
	if a.Slug == "" {
		a.Slug = courses.Slugify(a.Title)
	}
	var problems []courses.Problem
	number := func(field, s string, target *int, optional bool) {
		if s == "" && optional {
			return
		}
		if s == "" {
			problems = append(problems, courses.Problem{Field: field, Key: courses.ProblemRequired})
			*target = -1
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			problems = append(problems, courses.Problem{Field: field, Key: courses.ProblemNotNumber, Args: map[string]any{"value": truncateText(s, 20)}})
			*target = -1
			return
		}
		*target = n
	}
	number("minutes", in.Minutes, &a.Minutes, false)
	switch a.Kind {
	case courses.KindQuiz:
		q := &courses.Quiz{Shuffle: in.Shuffle, Questions: []courses.Question{}}
		number("pass_mark", in.PassMark, &q.PassMark, false)
		number("attempts", in.Attempts, &q.MaxAttempts, true)
		count, _ := strconv.Atoi(c.FormValue("question_count"))
		for i := 1; i <= min(count, courses.MaxQuestions+5); i++ {
			p := "q." + strconv.Itoa(i) + "."
			qi := questionInput{Kind: get(p + "kind"), Text: strings.Join(strings.Fields(c.FormValue(p+"text")), " "),
				Feedback: strings.Clone(strings.TrimSpace(strings.ReplaceAll(c.FormValue(p+"feedback"), "\r\n", "\n"))), Answer: get(p + "answer")}
			qi.Text = strings.Clone(qi.Text)
			slots, _ := strconv.Atoi(c.FormValue(p + "options"))
			for j := 1; j <= min(slots, courses.MaxOptions+2); j++ {
				op := p + "o." + strconv.Itoa(j) + "."
				qi.Options = append(qi.Options, optionInput{Text: strings.Clone(strings.Join(strings.Fields(c.FormValue(op+"text")), " ")), Correct: c.FormValue(op+"correct") == "ja"})
			}
			if c.FormValue(p+"remove") == "ja" || (qi.Text == "" && countFilled(qi.Options) == 0 && qi.Feedback == "") {
				continue // removed, or an empty question block
			}
			question := courses.Question{Kind: courses.QuestionKind(qi.Kind), Text: qi.Text, Feedback: qi.Feedback}
			if question.Kind == courses.TrueFalse {
				question.Options = courses.TrueFalseOptions(language, qi.Answer == "waar")
				if qi.Answer != "waar" && qi.Answer != "niet-waar" {
					problems = append(problems, courses.Problem{Field: "questions." + strconv.Itoa(len(q.Questions)+1) + ".answer", Key: courses.ProblemRequired})
				}
			} else {
				for _, o := range qi.Options {
					if o.Text != "" {
						question.Options = append(question.Options, courses.Option{Text: o.Text, Correct: o.Correct})
					}
				}
			}
			qi.padOptions()
			in.Questions = append(in.Questions, qi)
			q.Questions = append(q.Questions, question)
		}
		a.Quiz = q
	case courses.KindSession:
		m := &courses.Meeting{Location: in.Location, OnlineURL: in.OnlineURL}
		for _, t := range []struct {
			field, value string
			target       *time.Time
		}{{"starts", in.Starts, &m.StartsAt}, {"ends", in.Ends, &m.EndsAt}} {
			if t.value == "" {
				continue // Validate reports it as required
			}
			v, err := courses.ParseLocalTime(t.value)
			if err != nil {
				problems = append(problems, courses.Problem{Field: t.field, Key: courses.ProblemBadDateTime, Args: map[string]any{"value": truncateText(t.value, 30)}})
			}
			*t.target = v
		}
		number("capacity", in.Cap, &m.Capacity, false)
		a.Meeting = m
	}
	return a, in, problems
}

// handleActivityNew shows the form for a new activity of the kind in
// ?soort= in a module of the draft.
func (a *application) handleActivityNew(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	moduleID, err := idParam(c, "id")
	if err != nil {
		return err
	}
	kind := courses.ActivityKind(c.Query("soort", "lesson"))
	if !kind.Valid() {
		return courses.Invalid("kind", courses.Problem{Field: "soort", Key: courses.ProblemUnknownValue,
			Args: map[string]any{"value": truncateText(string(kind), 20), "allowed": "lesson, quiz, session"}})
	}
	in := activityInput{Kind: string(kind), Minutes: "15"}
	if kind == courses.KindQuiz {
		in.PassMark, in.Minutes = "70", "10"
		q := questionInput{Kind: string(courses.SingleChoice)}
		q.padOptions()
		in.Questions = []questionInput{q}
	}
	if kind == courses.KindSession {
		in.Minutes, in.Cap = "120", "20"
	}
	v, err := a.activityEditView(c, draft, moduleID, 0, in)
	if err != nil {
		return err
	}
	return a.renderActivityEdit(c, fiber.StatusOK, v)
}

// handleActivityEdit shows an activity of the draft in its editor.
func (a *application) handleActivityEdit(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	for _, s := range draft.Activities() {
		if s.Activity.ID == id {
			v, err := a.activityEditView(c, draft, s.Module.ID, id, activityInputOf(s.Activity))
			if err != nil {
				return err
			}
			return a.renderActivityEdit(c, fiber.StatusOK, v)
		}
	}
	return courses.Errorf(courses.ENOTFOUND, "no activity %d in the draft", id)
}

func (a *application) activityEditView(c *fiber.Ctx, draft *courses.Course, moduleID, activityID int64, in activityInput) (*activityEditView, error) {
	v := &activityEditView{Slug: draft.Slug, CourseTitle: draft.Title, ModuleID: moduleID, ActivityID: activityID,
		Input: in, Files: draft.Files, VersionID: draft.VersionID}
	for _, m := range draft.Modules {
		if m.ID == moduleID {
			v.ModuleTitle = m.Title
			return v, nil
		}
	}
	return nil, courses.Errorf(courses.ENOTFOUND, "no module %d in the draft", moduleID)
}

func (a *application) renderActivityEdit(c *fiber.Ctx, status int, v *activityEditView) error {
	l := a.localeFrom(c)
	title := l.T("editor.activity.new_title", "kind", l.T("activity.kind."+v.Input.Kind))
	if v.ActivityID != 0 {
		title = l.T("editor.activity.edit_title", "title", v.Input.Title)
	}
	return a.renderForm(c, status, "editor-activity", title, "editor", v.Action(), v)
}

// handleActivitySave saves a new or changed activity. The "preview" button
// renders the Markdown without saving; "add-question" adds an empty
// question to the quiz form. Nothing the trainer typed is lost either way.
func (a *application) handleActivitySave(c *fiber.Ctx) error {
	draft, err := a.editorDraft(c)
	if err != nil {
		return err
	}
	var moduleID, activityID int64
	if strings.HasSuffix(c.Route().Path, "/nieuw") {
		if moduleID, err = idParam(c, "id"); err != nil {
			return err
		}
	} else {
		if activityID, err = idParam(c, "id"); err != nil {
			return err
		}
		found := false
		for _, s := range draft.Activities() {
			if s.Activity.ID == activityID {
				moduleID, found = s.Module.ID, true
			}
		}
		if !found {
			return courses.Errorf(courses.ENOTFOUND, "no activity %d in the draft", activityID)
		}
	}
	act, in, parse := activityFromForm(c, draft.Language)
	act.ID = activityID
	if in.Slug == "" && activityID != 0 {
		// The slug is the key of learners' progress: keep the stored one.
		for _, s := range draft.Activities() {
			if s.Activity.ID == activityID {
				act.Slug = s.Activity.Slug
			}
		}
	}
	v, err := a.activityEditView(c, draft, moduleID, activityID, in)
	if err != nil {
		return err
	}
	l := a.localeFrom(c)
	switch c.FormValue("action") {
	case "preview":
		v.HasPreview = true
		v.Preview = a.views.md.Lesson(0, act.Body, fileLinker(draft), l.T("learn.video"))
		return a.renderActivityEdit(c, fiber.StatusOK, v)
	case "add-question":
		if len(v.Input.Questions) < courses.MaxQuestions {
			q := questionInput{Kind: string(courses.SingleChoice)}
			q.padOptions()
			v.Input.Questions = append(v.Input.Questions, q)
		}
		return a.renderActivityEdit(c, fiber.StatusOK, v)
	}
	if len(parse) == 0 {
		err = a.editor.SaveActivity(c.UserContext(), draft.VersionID, moduleID, act)
	} else {
		// Every problem at once: the field checks too, not only what did
		// not parse (whose own message wins for its field).
		p := courses.ValidateActivity(act)
		if act.Kind == courses.KindQuiz && act.Quiz != nil {
			p = append(p, act.Quiz.Validate()...)
		}
		if len(p) > 0 {
			err = courses.Invalid("invalid activity", p...)
		}
	}
	if len(parse) > 0 || courses.ErrorCode(err) == courses.EINVALID {
		v.Problems = problemsFor(l, parse, err)
		return a.renderActivityEdit(c, fiber.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/beheer/cursussen/"+draft.Slug+"?opgeslagen=activiteit#activiteit-"+strconv.FormatInt(act.ID, 10), fiber.StatusSeeOther)
}
