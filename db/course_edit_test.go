package db_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// ---- helpers shared by the course editor and learning tests ----

// newUser creates an active account with the given role.
func newUser(t *testing.T, d *db.DB, email string, role courses.Role) *courses.User {
	t.Helper()
	name, _, _ := strings.Cut(email, "@")
	u, err := db.NewUserService(d).CreateUser(context.Background(), &courses.NewUser{
		Email: email, Name: "Gebruiker " + name, Role: role, PasswordHash: "x"})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

// newMeta returns valid course metadata without content.
func newMeta(slug, title string) *courses.Course {
	return &courses.Course{Slug: slug, Title: title, Summary: "Een samenvatting van " + title, Description: "Beschrijving.",
		Audience: []courses.Office{courses.Raadslid}, Topics: []courses.Topic{"rollen"}, StudyHours: 2,
		Level: courses.LevelBasis, Language: "nl"}
}

func lessonAct(slug, title string) *courses.Activity {
	return &courses.Activity{Slug: slug, Kind: courses.KindLesson, Title: title, Minutes: 10, Body: "Tekst van " + title}
}

// sampleQuiz has three questions: single choice (the second option is
// right), true/false (true is right) and multiple choice (the first two are
// right).
func sampleQuiz(maxAttempts int) *courses.Quiz {
	return &courses.Quiz{PassMark: 50, MaxAttempts: maxAttempts, Shuffle: true, Questions: []courses.Question{
		{Kind: courses.SingleChoice, Text: "Wie stelt de begroting vast?", Feedback: "De raad: het budgetrecht.", Options: []courses.Option{
			{Text: "Het college"}, {Text: "De raad", Correct: true}, {Text: "De burgemeester"}}},
		{Kind: courses.TrueFalse, Text: "De raad controleert het college.", Options: courses.TrueFalseOptions("nl", true)},
		{Kind: courses.MultipleChoice, Text: "Welke zijn instrumenten van de raad?", Feedback: "Motie en amendement.", Options: []courses.Option{
			{Text: "Motie", Correct: true}, {Text: "Amendement", Correct: true}, {Text: "Beschikking"}}},
	}}
}

func quizAct(slug, title string, maxAttempts int) *courses.Activity {
	return &courses.Activity{Slug: slug, Kind: courses.KindQuiz, Title: title, Minutes: 15, Quiz: sampleQuiz(maxAttempts)}
}

func sessionAct(slug string, starts, ends time.Time) *courses.Activity {
	return &courses.Activity{Slug: slug, Kind: courses.KindSession, Title: "Bijeenkomst " + slug, Minutes: 120, Body: "Samen oefenen.",
		Meeting: &courses.Meeting{StartsAt: starts, EndsAt: ends, Location: "Raadzaal, Stadhuisplein 1", OnlineURL: "https://example.nl/live", Capacity: 40}}
}

// pngData returns bytes that pass for a PNG file, distinct per seed.
func pngData(seed string) []byte { return append([]byte("\x89PNG\r\n\x1a\n"), seed...) }

// richCourse is sampleCourse with a quiz, a session and a file the first
// lesson links to.
func richCourse(slug, title string) *courses.Course {
	c := sampleCourse(slug, title, []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"})
	c.Files = []courses.File{courses.NewFile("bestanden/kaart.png", "image/png", pngData("kaart"))}
	c.Modules[0].Activities[0].Body = "Zie de kaart: ![kaart](bestanden/kaart.png)"
	q := quizAct("toets", "Toets", 2)
	q.Position = 2
	s := sessionAct("bijeenkomst", time.Date(2026, 6, 3, 19, 30, 0, 0, courses.Amsterdam), time.Date(2026, 6, 3, 21, 30, 0, 0, courses.Amsterdam))
	s.Position = 3
	c.Modules[1].Activities = append(c.Modules[1].Activities, *q, *s)
	return c
}

// codeIs reports whether err has the wanted code, and says so when not.
func codeIs(t *testing.T, what string, err error, want string) bool {
	t.Helper()
	if got := courses.ErrorCode(err); got != want {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, want)
		return false
	}
	return true
}

// problemsAre checks that err is EINVALID with exactly the wanted problems
// (compared as "file: field: key", Args ignored).
func problemsAre(t *testing.T, what string, err error, want ...courses.Problem) {
	t.Helper()
	if !codeIs(t, what, err, courses.EINVALID) {
		return
	}
	var got, wantS []string
	for _, p := range courses.ErrorProblems(err) {
		got = append(got, p.String())
	}
	for _, p := range want {
		wantS = append(wantS, p.String())
	}
	if !slices.Equal(got, wantS) {
		t.Errorf("%s: got problems %q, want %q", what, got, wantS)
	}
}

func fieldProblem(field, key string) courses.Problem { return courses.Problem{Field: field, Key: key} }

func countRows(t *testing.T, d *db.DB, table, where string, args ...any) int {
	t.Helper()
	q := d.NewSelect().TableExpr(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	n, err := q.Count(context.Background())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

func loadVersion(t *testing.T, s *db.CourseService, versionID int64) *courses.Course {
	t.Helper()
	c, err := s.CourseVersion(context.Background(), versionID)
	if err != nil {
		t.Fatalf("CourseVersion(%d): %v", versionID, err)
	}
	return c
}

func moduleSlugs(c *courses.Course) []string {
	var out []string
	for _, m := range c.Modules {
		out = append(out, m.Slug)
	}
	return out
}

func modulePositions(c *courses.Course) []int {
	var out []int
	for _, m := range c.Modules {
		out = append(out, m.Position)
	}
	return out
}

func activitySlugs(m courses.Module) []string {
	var out []string
	for _, a := range m.Activities {
		out = append(out, a.Slug)
	}
	return out
}

func activityPositions(m courses.Module) []int {
	var out []int
	for _, a := range m.Activities {
		out = append(out, a.Position)
	}
	return out
}

// dense returns 1..n.
func dense(n int) []int {
	var out []int
	for i := range n {
		out = append(out, i+1)
	}
	return out
}

func moduleBySlug(t *testing.T, c *courses.Course, slug string) courses.Module {
	t.Helper()
	for _, m := range c.Modules {
		if m.Slug == slug {
			return m
		}
	}
	t.Fatalf("no module %q in version %d (%v)", slug, c.VersionID, moduleSlugs(c))
	return courses.Module{}
}

func activityBySlug(t *testing.T, m courses.Module, slug string) courses.Activity {
	t.Helper()
	for _, a := range m.Activities {
		if a.Slug == slug {
			return a
		}
	}
	t.Fatalf("no activity %q in module %q (%v)", slug, m.Slug, activitySlugs(m))
	return courses.Activity{}
}

// withoutIDs returns a deep copy of modules with every id zeroed, to
// compare the content of two versions.
func withoutIDs(mods []courses.Module) []courses.Module {
	out := make([]courses.Module, len(mods))
	for i, m := range mods {
		m.ID = 0
		acts := make([]courses.Activity, len(m.Activities))
		for j, a := range m.Activities {
			a.ID = 0
			if a.Quiz != nil {
				q := *a.Quiz
				q.Questions = make([]courses.Question, len(a.Quiz.Questions))
				for k, qu := range a.Quiz.Questions {
					qu.ID = 0
					qu.Options = slices.Clone(qu.Options)
					for l := range qu.Options {
						qu.Options[l].ID = 0
					}
					q.Questions[k] = qu
				}
				a.Quiz = &q
			}
			if a.Meeting != nil {
				m := *a.Meeting
				a.Meeting = &m
			}
			acts[j] = a
		}
		m.Activities = acts
		out[i] = m
	}
	return out
}

// contentIDs returns the module, activity, question and option ids of c,
// by table.
func contentIDs(c *courses.Course) map[string][]int64 {
	ids := map[string][]int64{}
	for _, m := range c.Modules {
		ids["modules"] = append(ids["modules"], m.ID)
		for _, a := range m.Activities {
			ids["activities"] = append(ids["activities"], a.ID)
			if a.Quiz != nil {
				for _, q := range a.Quiz.Questions {
					ids["questions"] = append(ids["questions"], q.ID)
					for _, o := range q.Options {
						ids["options"] = append(ids["options"], o.ID)
					}
				}
			}
		}
	}
	return ids
}

// ---- CreateCourse ----

func TestCreateCourse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		other := newUser(t, d, "ander@example.nl", courses.RoleTrainer)

		c := newMeta("raadswerk", "Raadswerk")
		c.Audience = []courses.Office{courses.Wethouder, courses.Raadslid}
		if err := s.CreateCourse(ctx, c, trainer.ID); err != nil {
			t.Fatalf("CreateCourse: %v", err)
		}
		if c.ID == 0 || c.VersionID == 0 || c.Version != 1 || c.State != courses.StateDraft {
			t.Errorf("CreateCourse: got course %d version %d (id %d) state %q, want ids set and draft version 1",
				c.ID, c.Version, c.VersionID, c.State)
		}
		draft, err := s.DraftOnly(ctx, c.ID)
		if err != nil {
			t.Fatalf("DraftOnly: %v", err)
		}
		if draft.VersionID != c.VersionID || draft.Version != 1 || draft.State != courses.StateDraft {
			t.Errorf("draft: got version %d (id %d) state %q, want draft 1 (id %d)", draft.Version, draft.VersionID, draft.State, c.VersionID)
		}
		if draft.Slug != "raadswerk" || draft.Title != "Raadswerk" || draft.Summary != c.Summary || len(draft.Modules) != 0 || len(draft.Files) != 0 {
			t.Errorf("draft content: got slug %q title %q summary %q, %d modules, %d files; want the metadata and no content",
				draft.Slug, draft.Title, draft.Summary, len(draft.Modules), len(draft.Files))
		}
		if got, want := draft.Audience, []courses.Office{courses.Raadslid, courses.Wethouder}; !slices.Equal(got, want) {
			t.Errorf("draft audience: got %v, want %v (office order)", got, want)
		}
		for _, tt := range []struct {
			name string
			user int64
			want bool
		}{{"creator", trainer.ID, true}, {"another trainer", other.ID, false}} {
			got, err := s.IsOwner(ctx, c.ID, tt.user)
			if err != nil || got != tt.want {
				t.Errorf("IsOwner(%s): got %v, %v; want %v", tt.name, got, err, tt.want)
			}
		}
		if id, err := s.CourseIDBySlug(ctx, "raadswerk"); err != nil || id != c.ID {
			t.Errorf("CourseIDBySlug: got %d, %v; want %d", id, err, c.ID)
		}
		if _, err := s.CourseBySlug(ctx, "raadswerk"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("CourseBySlug of an unpublished course: got %v, want ENOTFOUND", err)
		}
		if list, err := s.ListCourses(ctx, courses.CourseFilter{}); err != nil || len(list) != 0 {
			t.Errorf("ListCourses with only a draft: got %d courses, %v; want none", len(list), err)
		}

		withUnknownPrerequisite := newMeta("vervolg", "Vervolg")
		withUnknownPrerequisite.Prerequisites = []string{"bestaat-niet"}
		tests := []struct {
			name string
			c    *courses.Course
			want []courses.Problem
		}{
			{"duplicate slug", newMeta("raadswerk", "Nog een raadswerk"), []courses.Problem{fieldProblem("slug", courses.ProblemSlugTaken)}},
			{"invalid metadata names every field",
				&courses.Course{Slug: "Geen Slug", Title: "x", Summary: "kort", Language: "de", ValidityMonths: 300},
				[]courses.Problem{
					fieldProblem("slug", courses.ProblemBadSlug),
					fieldProblem("title", courses.ProblemTooShort),
					fieldProblem("summary", courses.ProblemTooShort),
					fieldProblem("description", courses.ProblemRequired),
					fieldProblem("audience", courses.ProblemRequired),
					fieldProblem("topics", courses.ProblemRequired),
					fieldProblem("study_hours", courses.ProblemOutOfRange),
					fieldProblem("level", courses.ProblemRequired),
					fieldProblem("language", courses.ProblemRequired),
					fieldProblem("validity_months", courses.ProblemOutOfRange),
				}},
			{"unknown topic and office", func() *courses.Course {
				c := newMeta("onbekend", "Onbekend")
				c.Audience, c.Topics = []courses.Office{"koning"}, []courses.Topic{"sterrenkunde"}
				return c
			}(), []courses.Problem{fieldProblem("audience", courses.ProblemUnknownValue), fieldProblem("topics", courses.ProblemUnknownValue)}},
			{"unknown prerequisite", withUnknownPrerequisite,
				[]courses.Problem{{File: "vervolg/course.md", Field: "prerequisites", Key: courses.ProblemUnknownCourse}}},
		}
		for _, tt := range tests {
			err := s.CreateCourse(ctx, tt.c, other.ID)
			problemsAre(t, tt.name, err, tt.want...)
		}
		if n, err := s.CountCourses(ctx); err != nil || n != 1 {
			t.Errorf("CountCourses after refused creates: got %d, %v; want 1", n, err)
		}
		if list, err := s.EditableCourses(ctx, other.ID, false); err != nil || len(list) != 0 {
			t.Errorf("a refused create left the other trainer %d courses (%v)", len(list), err)
		}

		// A known prerequisite is fine and kept.
		next := newMeta("vervolg", "Vervolg")
		next.Prerequisites = []string{"raadswerk"}
		if err := s.CreateCourse(ctx, next, other.ID); err != nil {
			t.Fatalf("CreateCourse with a known prerequisite: %v", err)
		}
		if got, err := s.DraftOnly(ctx, next.ID); err != nil || !slices.Equal(got.Prerequisites, []string{"raadswerk"}) {
			t.Errorf("prerequisites: got %v, want [raadswerk]", got)
		}
	})
}

// ---- draft editing: modules ----

func TestDraftModules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := newMeta("modules", "Modules")
		if err := s.CreateCourse(ctx, c, trainer.ID); err != nil {
			t.Fatal(err)
		}
		vid := c.VersionID

		mods := []*courses.Module{
			{Slug: "begin", Title: "Het begin"},
			{Slug: "midden", Title: "Het midden", Summary: "Samenvatting", Intro: "Inleiding *vet*"},
			{Slug: "eind", Title: "Het eind"},
		}
		for i, m := range mods {
			if err := s.SaveModule(ctx, vid, m); err != nil {
				t.Fatalf("SaveModule(%s): %v", m.Slug, err)
			}
			if m.ID == 0 || m.Position != i+1 {
				t.Errorf("SaveModule(%s): got id %d position %d, want an id and position %d", m.Slug, m.ID, m.Position, i+1)
			}
		}
		got := loadVersion(t, s, vid)
		if want := []string{"begin", "midden", "eind"}; !slices.Equal(moduleSlugs(got), want) {
			t.Errorf("modules: got %v, want %v", moduleSlugs(got), want)
		}
		if !slices.Equal(modulePositions(got), dense(3)) {
			t.Errorf("positions: got %v, want %v", modulePositions(got), dense(3))
		}
		if m := got.Modules[1]; m.ID != mods[1].ID || m.Title != "Het midden" || m.Summary != "Samenvatting" || m.Intro != "Inleiding *vet*" {
			t.Errorf("module midden: got %+v", m)
		}

		// Updating keeps the id and position.
		upd := courses.Module{ID: mods[1].ID, Slug: "kern", Title: "De kern", Summary: "Nieuw", Intro: "Andere inleiding"}
		if err := s.SaveModule(ctx, vid, &upd); err != nil {
			t.Fatalf("SaveModule update: %v", err)
		}
		got = loadVersion(t, s, vid)
		if m := got.Modules[1]; m.ID != mods[1].ID || m.Position != 2 || m.Slug != "kern" || m.Title != "De kern" || m.Summary != "Nieuw" || m.Intro != "Andere inleiding" {
			t.Errorf("updated module: got %+v, want id %d position 2 with the new fields", m, mods[1].ID)
		}

		errs := []struct {
			name     string
			m        courses.Module
			wantCode string
			want     []courses.Problem
		}{
			{"new module with a taken slug", courses.Module{Slug: "begin", Title: "Weer een begin"}, courses.EINVALID,
				[]courses.Problem{fieldProblem("slug", courses.ProblemSlugTaken)}},
			{"renaming to a taken slug", courses.Module{ID: mods[2].ID, Slug: "begin", Title: "Het eind"}, courses.EINVALID,
				[]courses.Problem{fieldProblem("slug", courses.ProblemSlugTaken)}},
			{"bad slug and short title", courses.Module{Slug: "Geen slug", Title: "x"}, courses.EINVALID,
				[]courses.Problem{fieldProblem("slug", courses.ProblemBadSlug), fieldProblem("title", courses.ProblemTooShort)}},
			{"unknown module id", courses.Module{ID: 999999, Slug: "nieuw", Title: "Nieuw"}, courses.ENOTFOUND, nil},
		}
		for _, tt := range errs {
			m := tt.m
			err := s.SaveModule(ctx, vid, &m)
			if tt.wantCode == courses.EINVALID {
				problemsAre(t, tt.name, err, tt.want...)
			} else {
				codeIs(t, tt.name, err, tt.wantCode)
			}
		}
		got = loadVersion(t, s, vid)
		if want := []string{"begin", "kern", "eind"}; !slices.Equal(moduleSlugs(got), want) {
			t.Errorf("modules after refused saves: got %v, want %v", moduleSlugs(got), want)
		}

		moves := []struct {
			name string
			slug string
			up   bool
			want []string
		}{
			{"top module up: no-op", "begin", true, []string{"begin", "kern", "eind"}},
			{"bottom module down: no-op", "eind", false, []string{"begin", "kern", "eind"}},
			{"first down", "begin", false, []string{"kern", "begin", "eind"}},
			{"last up", "eind", true, []string{"kern", "eind", "begin"}},
			{"middle up", "eind", true, []string{"eind", "kern", "begin"}},
			{"middle down", "kern", false, []string{"eind", "begin", "kern"}},
		}
		for _, tt := range moves {
			id := moduleBySlug(t, loadVersion(t, s, vid), tt.slug).ID
			if err := s.MoveModule(ctx, vid, id, tt.up); err != nil {
				t.Errorf("%s: MoveModule: %v", tt.name, err)
				continue
			}
			got := loadVersion(t, s, vid)
			if !slices.Equal(moduleSlugs(got), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, moduleSlugs(got), tt.want)
			}
			if !slices.Equal(modulePositions(got), dense(3)) {
				t.Errorf("%s: positions got %v, want %v", tt.name, modulePositions(got), dense(3))
			}
		}
		if err := s.MoveModule(ctx, vid, 999999, true); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("MoveModule of an unknown module: got %v, want ENOTFOUND", err)
		}

		// Deleting a module takes its activities with it.
		begin := moduleBySlug(t, loadVersion(t, s, vid), "begin")
		if err := s.SaveActivity(ctx, vid, begin.ID, lessonAct("les", "Een les")); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteModule(ctx, vid, begin.ID); err != nil {
			t.Fatalf("DeleteModule: %v", err)
		}
		got = loadVersion(t, s, vid)
		if want := []string{"eind", "kern"}; !slices.Equal(moduleSlugs(got), want) {
			t.Errorf("after DeleteModule: got %v, want %v", moduleSlugs(got), want)
		}
		if n := countRows(t, d, "activities", "module_id = ?", begin.ID); n != 0 {
			t.Errorf("activities of a deleted module: got %d, want 0", n)
		}
		if err := s.DeleteModule(ctx, vid, begin.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("DeleteModule twice: got %v, want ENOTFOUND", err)
		}
		// Positions are what the course page labels modules with ("Module
		// 2") and what the API returns: they should stay 1..n.
		if !slices.Equal(modulePositions(got), dense(2)) {
			t.Errorf("positions after DeleteModule: got %v, want %v", modulePositions(got), dense(2))
		}

		// A new module goes last; a move renumbers 1..n whatever gaps there were.
		slot := &courses.Module{Slug: "slot", Title: "Het slot"}
		if err := s.SaveModule(ctx, vid, slot); err != nil {
			t.Fatal(err)
		}
		if err := s.MoveModule(ctx, vid, slot.ID, true); err != nil {
			t.Fatal(err)
		}
		got = loadVersion(t, s, vid)
		if want := []string{"eind", "slot", "kern"}; !slices.Equal(moduleSlugs(got), want) {
			t.Errorf("after adding and moving up: got %v, want %v", moduleSlugs(got), want)
		}
		if !slices.Equal(modulePositions(got), dense(3)) {
			t.Errorf("positions after a move: got %v, want %v", modulePositions(got), dense(3))
		}
	})
}

// ---- draft editing: activities ----

func TestDraftActivities(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := newMeta("activiteiten", "Activiteiten")
		if err := s.CreateCourse(ctx, c, trainer.ID); err != nil {
			t.Fatal(err)
		}
		vid := c.VersionID
		m1, m2 := &courses.Module{Slug: "een", Title: "Module een"}, &courses.Module{Slug: "twee", Title: "Module twee"}
		for _, m := range []*courses.Module{m1, m2} {
			if err := s.SaveModule(ctx, vid, m); err != nil {
				t.Fatal(err)
			}
		}

		les := lessonAct("lezen", "Lezen")
		quiz := quizAct("toets", "Toets", 3)
		summer := sessionAct("zomer", time.Date(2026, 6, 3, 19, 30, 0, 0, courses.Amsterdam), time.Date(2026, 6, 3, 21, 30, 0, 0, courses.Amsterdam))
		// 00:30 UTC is 02:30 summer time, 01:30 UTC is 02:30 winter time:
		// the same wall clock twice, so only instants round-trip.
		autumn := sessionAct("herfst", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC))
		autumn.Meeting.Location, autumn.Meeting.Capacity = "", 1000
		for i, a := range []*courses.Activity{les, quiz, summer, autumn} {
			if err := s.SaveActivity(ctx, vid, m1.ID, a); err != nil {
				t.Fatalf("SaveActivity(%s): %v", a.Slug, err)
			}
			if a.ID == 0 || a.Position != i+1 {
				t.Errorf("SaveActivity(%s): got id %d position %d, want an id and position %d", a.Slug, a.ID, a.Position, i+1)
			}
		}
		got := loadVersion(t, s, vid).Modules[0]
		if want := []string{"lezen", "toets", "zomer", "herfst"}; !slices.Equal(activitySlugs(got), want) {
			t.Fatalf("activities: got %v, want %v", activitySlugs(got), want)
		}
		if a := got.Activities[0]; a.ID != les.ID || a.Kind != courses.KindLesson || a.Title != "Lezen" || a.Minutes != 10 ||
			a.Body != les.Body || a.Quiz != nil || a.Meeting != nil {
			t.Errorf("lesson: got %+v", a)
		}
		if a := got.Activities[1]; a.ID != quiz.ID || a.Kind != courses.KindQuiz || a.Minutes != 15 || !reflect.DeepEqual(a.Quiz, quiz.Quiz) {
			t.Errorf("quiz: got %+v with %+v,\nwant %+v", a, a.Quiz, quiz.Quiz)
		}
		if q := got.Activities[1].Quiz; q != nil && len(q.Questions) == 3 {
			var kinds []courses.QuestionKind
			var correct []bool
			for _, qu := range q.Questions {
				kinds = append(kinds, qu.Kind)
				for _, o := range qu.Options {
					correct = append(correct, o.Correct)
				}
			}
			if want := []courses.QuestionKind{courses.SingleChoice, courses.TrueFalse, courses.MultipleChoice}; !slices.Equal(kinds, want) {
				t.Errorf("question kinds: got %v, want %v", kinds, want)
			}
			if want := []bool{false, true, false, true, false, true, true, false}; !slices.Equal(correct, want) {
				t.Errorf("correct flags: got %v, want %v", correct, want)
			}
			if q.PassMark != 50 || q.MaxAttempts != 3 || !q.Shuffle || q.Questions[0].Feedback != "De raad: het budgetrecht." {
				t.Errorf("quiz settings: got pass mark %d attempts %d shuffle %v feedback %q", q.PassMark, q.MaxAttempts, q.Shuffle, q.Questions[0].Feedback)
			}
		}
		for i, want := range []*courses.Activity{summer, autumn} {
			a := got.Activities[2+i]
			if a.Meeting == nil {
				t.Errorf("session %s: no meeting", want.Slug)
				continue
			}
			m, w := a.Meeting, want.Meeting
			if !m.StartsAt.Equal(w.StartsAt) || !m.EndsAt.Equal(w.EndsAt) {
				t.Errorf("session %s times: got %v – %v, want %v – %v", want.Slug, m.StartsAt, m.EndsAt, w.StartsAt, w.EndsAt)
			}
			if m.Location != w.Location || m.OnlineURL != w.OnlineURL || m.Capacity != w.Capacity || a.Body != want.Body || a.Quiz != nil {
				t.Errorf("session %s: got %+v, want %+v", want.Slug, m, w)
			}
		}

		// Updates.
		les.Title, les.Body, les.Minutes = "Lezen en begrijpen", "Nieuwe tekst", 25
		if err := s.SaveActivity(ctx, vid, m1.ID, les); err != nil {
			t.Fatalf("update lesson: %v", err)
		}
		replaced := *quiz
		replaced.Quiz = &courses.Quiz{PassMark: 100, MaxAttempts: 1, Questions: []courses.Question{
			{Kind: courses.TrueFalse, Text: "Een nieuwe vraag?", Feedback: "Nee.", Options: courses.TrueFalseOptions("nl", false)}}}
		if err := s.SaveActivity(ctx, vid, m1.ID, &replaced); err != nil {
			t.Fatalf("update quiz: %v", err)
		}
		got = loadVersion(t, s, vid).Modules[0]
		if a := got.Activities[0]; a.Title != "Lezen en begrijpen" || a.Body != "Nieuwe tekst" || a.Minutes != 25 || a.Position != 1 {
			t.Errorf("updated lesson: got %+v", a)
		}
		if a := got.Activities[1]; !reflect.DeepEqual(a.Quiz, replaced.Quiz) {
			t.Errorf("replaced quiz: got %+v, want %+v", a.Quiz, replaced.Quiz)
		}
		if n := countRows(t, d, "quiz_questions", "activity_id = ?", quiz.ID); n != 1 {
			t.Errorf("questions after replacing: got %d rows, want 1", n)
		}
		if n := countRows(t, d, "quiz_options", ""); n != 2 {
			t.Errorf("options after replacing: got %d rows, want 2 (the old ones deleted)", n)
		}
		// Without questions, an update keeps them.
		settings := courses.Activity{ID: quiz.ID, Slug: "toets", Kind: courses.KindQuiz, Title: "Toets", Minutes: 20,
			Quiz: &courses.Quiz{PassMark: 70, MaxAttempts: 2}}
		if err := s.SaveActivity(ctx, vid, m1.ID, &settings); err != nil {
			t.Fatalf("update quiz settings: %v", err)
		}
		if q := loadVersion(t, s, vid).Modules[0].Activities[1].Quiz; q == nil || q.PassMark != 70 || q.MaxAttempts != 2 || q.Shuffle ||
			len(q.Questions) != 1 || q.Questions[0].Text != "Een nieuwe vraag?" {
			t.Errorf("quiz after a settings-only update: got %+v, want pass mark 70, 2 attempts, the one question kept", q)
		}
		// Sessions move in time as instants.
		summer.Meeting.StartsAt = time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC) // 03:30 in Amsterdam, just after the clocks go forward
		summer.Meeting.EndsAt = summer.Meeting.StartsAt.Add(90 * time.Minute)
		summer.Meeting.Capacity = 12
		if err := s.SaveActivity(ctx, vid, m1.ID, summer); err != nil {
			t.Fatalf("update session: %v", err)
		}
		if m := loadVersion(t, s, vid).Modules[0].Activities[2].Meeting; m == nil || !m.StartsAt.Equal(summer.Meeting.StartsAt) ||
			!m.EndsAt.Equal(summer.Meeting.EndsAt) || m.Capacity != 12 {
			t.Errorf("updated session: got %+v, want %v – %v, capacity 12", m, summer.Meeting.StartsAt, summer.Meeting.EndsAt)
		}

		errs := []struct {
			name     string
			module   int64
			a        courses.Activity
			wantCode string
			want     []courses.Problem
		}{
			{"taken slug in the same module", m1.ID, *lessonAct("lezen", "Nog eens lezen"), courses.EINVALID,
				[]courses.Problem{fieldProblem("slug", courses.ProblemSlugTaken)}},
			{"renaming to a taken slug", m1.ID, func() courses.Activity { a := *autumn; a.Slug = "toets"; return a }(), courses.EINVALID,
				[]courses.Problem{fieldProblem("slug", courses.ProblemSlugTaken)}},
			{"invalid lesson", m1.ID, courses.Activity{Slug: "x y", Kind: courses.KindLesson, Title: "ab"}, courses.EINVALID,
				[]courses.Problem{fieldProblem("slug", courses.ProblemBadSlug), fieldProblem("title", courses.ProblemTooShort),
					fieldProblem("minutes", courses.ProblemOutOfRange), fieldProblem("body", courses.ProblemRequired)}},
			{"invalid question", m1.ID, courses.Activity{Slug: "toets-twee", Kind: courses.KindQuiz, Title: "Toets twee", Minutes: 5,
				Quiz: &courses.Quiz{PassMark: 50, Questions: []courses.Question{{Kind: courses.SingleChoice, Text: "Vraag?",
					Options: []courses.Option{{Text: "Enige", Correct: true}}}}}}, courses.EINVALID,
				[]courses.Problem{fieldProblem("questions.1.options", courses.ProblemTooFewOptions)}},
			{"session that ends before it starts", m1.ID, *sessionAct("omgekeerd", time.Date(2026, 6, 3, 21, 0, 0, 0, time.UTC), time.Date(2026, 6, 3, 20, 0, 0, 0, time.UTC)),
				courses.EINVALID, []courses.Problem{fieldProblem("ends", courses.ProblemEndBeforeStart)}},
			{"unknown module", 999999, *lessonAct("nieuw", "Nieuw"), courses.ENOTFOUND, nil},
			{"unknown activity id", m1.ID, func() courses.Activity { a := *lessonAct("nieuw", "Nieuw"); a.ID = 999999; return a }(), courses.ENOTFOUND, nil},
			{"activity of another module", m2.ID, func() courses.Activity { a := *les; return a }(), courses.ENOTFOUND, nil},
		}
		for _, tt := range errs {
			a := tt.a
			err := s.SaveActivity(ctx, vid, tt.module, &a)
			if tt.wantCode == courses.EINVALID {
				problemsAre(t, tt.name, err, tt.want...)
			} else {
				codeIs(t, tt.name, err, tt.wantCode)
			}
		}
		// The same slug in another module is fine.
		if err := s.SaveActivity(ctx, vid, m2.ID, lessonAct("lezen", "Ook lezen")); err != nil {
			t.Errorf("same slug in another module: %v", err)
		}
		got = loadVersion(t, s, vid).Modules[0]
		if want := []string{"lezen", "toets", "zomer", "herfst"}; !slices.Equal(activitySlugs(got), want) {
			t.Errorf("activities after refused saves: got %v, want %v", activitySlugs(got), want)
		}

		moves := []struct {
			name string
			slug string
			up   bool
			want []string
		}{
			{"top up: no-op", "lezen", true, []string{"lezen", "toets", "zomer", "herfst"}},
			{"bottom down: no-op", "herfst", false, []string{"lezen", "toets", "zomer", "herfst"}},
			{"first down", "lezen", false, []string{"toets", "lezen", "zomer", "herfst"}},
			{"last up", "herfst", true, []string{"toets", "lezen", "herfst", "zomer"}},
			{"middle up", "herfst", true, []string{"toets", "herfst", "lezen", "zomer"}},
			{"middle down", "toets", false, []string{"herfst", "toets", "lezen", "zomer"}},
		}
		for _, tt := range moves {
			id := activityBySlug(t, loadVersion(t, s, vid).Modules[0], tt.slug).ID
			if err := s.MoveActivity(ctx, vid, id, tt.up); err != nil {
				t.Errorf("%s: MoveActivity: %v", tt.name, err)
				continue
			}
			got := loadVersion(t, s, vid)
			if !slices.Equal(activitySlugs(got.Modules[0]), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, activitySlugs(got.Modules[0]), tt.want)
			}
			if !slices.Equal(activityPositions(got.Modules[0]), dense(4)) {
				t.Errorf("%s: positions got %v, want %v", tt.name, activityPositions(got.Modules[0]), dense(4))
			}
			if want := []string{"lezen"}; !slices.Equal(activitySlugs(got.Modules[1]), want) {
				t.Errorf("%s: the other module changed: %v", tt.name, activitySlugs(got.Modules[1]))
			}
		}
		if err := s.MoveActivity(ctx, vid, 999999, true); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("MoveActivity of an unknown activity: got %v, want ENOTFOUND", err)
		}

		if err := s.DeleteActivity(ctx, vid, quiz.ID); err != nil {
			t.Fatalf("DeleteActivity: %v", err)
		}
		got = loadVersion(t, s, vid).Modules[0]
		if want := []string{"herfst", "lezen", "zomer"}; !slices.Equal(activitySlugs(got), want) {
			t.Errorf("after DeleteActivity: got %v, want %v", activitySlugs(got), want)
		}
		if n := countRows(t, d, "quiz_questions", ""); n != 0 {
			t.Errorf("questions of a deleted quiz: got %d rows, want 0", n)
		}
		if err := s.DeleteActivity(ctx, vid, quiz.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("DeleteActivity twice: got %v, want ENOTFOUND", err)
		}
		if !slices.Equal(activityPositions(got), dense(3)) {
			t.Errorf("activity positions after DeleteActivity: got %v, want %v", activityPositions(got), dense(3))
		}
	})
}

// ---- only drafts change; ids must belong to the version ----

func TestEditingOnlyTheDraftsOwnContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		pub := richCourse("vast", "Vast")
		if err := s.SaveCourse(ctx, pub, courses.ImportOptions{Publish: true, Owner: trainer.ID}); err != nil {
			t.Fatal(err)
		}
		pm, pa := pub.Modules[0], pub.Modules[0].Activities[0]
		before := loadVersion(t, s, pub.VersionID)

		draft := newMeta("concept", "Concept")
		if err := s.CreateCourse(ctx, draft, trainer.ID); err != nil {
			t.Fatal(err)
		}
		dm := &courses.Module{Slug: "een", Title: "Module een"}
		if err := s.SaveModule(ctx, draft.VersionID, dm); err != nil {
			t.Fatal(err)
		}
		da := lessonAct("les", "Een les")
		if err := s.SaveActivity(ctx, draft.VersionID, dm.ID, da); err != nil {
			t.Fatal(err)
		}
		draftBefore := loadVersion(t, s, draft.VersionID)
		file := courses.NewFile("bestanden/nieuw.png", "image/png", pngData("nieuw"))
		dv, pv := draft.VersionID, pub.VersionID

		tests := []struct {
			name string
			op   func() error
			want string
		}{
			{"SaveMetadata of a published version", func() error { return s.SaveMetadata(ctx, pv, newMeta("vast", "Andere titel")) }, courses.ECONFLICT},
			{"SaveModule adding to a published version", func() error { return s.SaveModule(ctx, pv, &courses.Module{Slug: "nieuw", Title: "Nieuw"}) }, courses.ECONFLICT},
			{"SaveModule changing a published module", func() error { m := pm; m.Title = "Gewijzigd"; return s.SaveModule(ctx, pv, &m) }, courses.ECONFLICT},
			{"DeleteModule of a published version", func() error { return s.DeleteModule(ctx, pv, pm.ID) }, courses.ECONFLICT},
			{"MoveModule in a published version", func() error { return s.MoveModule(ctx, pv, pm.ID, false) }, courses.ECONFLICT},
			{"SaveActivity adding to a published version", func() error { return s.SaveActivity(ctx, pv, pm.ID, lessonAct("nieuw", "Nieuw")) }, courses.ECONFLICT},
			{"SaveActivity changing a published activity", func() error { a := pa; a.Title = "Gewijzigd"; return s.SaveActivity(ctx, pv, pm.ID, &a) }, courses.ECONFLICT},
			{"DeleteActivity of a published version", func() error { return s.DeleteActivity(ctx, pv, pa.ID) }, courses.ECONFLICT},
			{"MoveActivity in a published version", func() error { return s.MoveActivity(ctx, pv, pa.ID, false) }, courses.ECONFLICT},
			{"AddFile to a published version", func() error { f := file; return s.AddFile(ctx, pv, &f) }, courses.ECONFLICT},
			{"DeleteFile of a published version", func() error { return s.DeleteFile(ctx, pv, "bestanden/kaart.png") }, courses.ECONFLICT},

			{"SaveModule in the draft changing a published module", func() error { m := pm; m.Title = "Gewijzigd"; return s.SaveModule(ctx, dv, &m) }, courses.ENOTFOUND},
			{"DeleteModule in the draft of a published module", func() error { return s.DeleteModule(ctx, dv, pm.ID) }, courses.ENOTFOUND},
			{"MoveModule in the draft of a published module", func() error { return s.MoveModule(ctx, dv, pm.ID, false) }, courses.ENOTFOUND},
			{"SaveActivity in the draft into a published module", func() error { return s.SaveActivity(ctx, dv, pm.ID, lessonAct("nieuw", "Nieuw")) }, courses.ENOTFOUND},
			{"SaveActivity in the draft changing a published activity", func() error { a := pa; a.Title = "Gewijzigd"; return s.SaveActivity(ctx, dv, dm.ID, &a) }, courses.ENOTFOUND},
			{"DeleteActivity in the draft of a published activity", func() error { return s.DeleteActivity(ctx, dv, pa.ID) }, courses.ENOTFOUND},
			{"MoveActivity in the draft of a published activity", func() error { return s.MoveActivity(ctx, dv, pa.ID, false) }, courses.ENOTFOUND},
			{"DeleteFile in the draft of a published file", func() error { return s.DeleteFile(ctx, dv, "bestanden/kaart.png") }, courses.ENOTFOUND},
		}
		for _, tt := range tests {
			codeIs(t, tt.name, tt.op(), tt.want)
		}
		after := loadVersion(t, s, pub.VersionID)
		if !reflect.DeepEqual(after.Modules, before.Modules) || !reflect.DeepEqual(after.Files, before.Files) || after.Title != before.Title ||
			after.State != courses.StatePublished {
			t.Errorf("the published version changed:\ngot  %+v\nwant %+v", after.Modules, before.Modules)
		}
		if got := loadVersion(t, s, draft.VersionID); !reflect.DeepEqual(got.Modules, draftBefore.Modules) || len(got.Files) != 0 {
			t.Errorf("the draft changed:\ngot  %+v\nwant %+v", got.Modules, draftBefore.Modules)
		}
	})
}

// ---- Publish ----

func TestPublish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		first := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return first }
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := newMeta("publiceren", "Publiceren")
		c.Audience = []courses.Office{courses.Wethouder, courses.Raadslid}
		if err := s.CreateCourse(ctx, c, trainer.ID); err != nil {
			t.Fatal(err)
		}
		vid := c.VersionID
		m1, m2 := &courses.Module{Slug: "een", Title: "Module een"}, &courses.Module{Slug: "twee", Title: "Module twee"}
		quiz := quizAct("toets", "Toets", 0)
		quiz.Quiz.Questions = nil // a quiz saved before its questions
		kaart := courses.NewFile("bestanden/kaart.png", "image/png", pngData("kaart"))
		var linking *courses.Activity

		steps := []struct {
			name   string
			change func() error
			want   []courses.Problem // nil: publishes
		}{
			{"no modules", nil, []courses.Problem{{File: "course", Key: courses.ProblemNoModules}}},
			{"an empty module and a quiz without questions", func() error {
				for _, m := range []*courses.Module{m1, m2} {
					if err := s.SaveModule(ctx, vid, m); err != nil {
						return err
					}
				}
				return s.SaveActivity(ctx, vid, m1.ID, quiz)
			}, []courses.Problem{
				{File: "1/1", Field: "questions", Key: courses.ProblemNoQuestions},
				{File: "2", Key: courses.ProblemNoLessons},
			}},
			{"a lesson that links a missing file", func() error {
				linking = lessonAct("kaart", "De kaart")
				linking.Body = "Bekijk ![de kaart](bestanden/kaart.png)."
				return s.SaveActivity(ctx, vid, m2.ID, linking)
			}, []courses.Problem{
				{File: "1/1", Field: "questions", Key: courses.ProblemNoQuestions},
				{File: "2/1", Field: "body", Key: courses.ProblemFileMissing},
			}},
			{"valid", func() error {
				quiz.Quiz = sampleQuiz(0)
				if err := s.SaveActivity(ctx, vid, m1.ID, quiz); err != nil {
					return err
				}
				f := kaart
				return s.AddFile(ctx, vid, &f)
			}, nil},
		}
		for _, tt := range steps {
			if tt.change != nil {
				if err := tt.change(); err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
			}
			got, err := s.Publish(ctx, c.ID)
			if tt.want != nil {
				problemsAre(t, tt.name, err, tt.want...)
				if _, err := s.CourseBySlug(ctx, "publiceren"); courses.ErrorCode(err) != courses.ENOTFOUND {
					t.Errorf("%s: a refused publish left a published version (%v)", tt.name, err)
				}
				if dr, err := s.DraftOnly(ctx, c.ID); err != nil || dr.VersionID != vid {
					t.Errorf("%s: draft after a refused publish: %v", tt.name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: Publish: %v", tt.name, err)
			}
			if got.VersionID != vid || got.State != courses.StatePublished || got.Version != 1 || !got.PublishedAt.Equal(first) {
				t.Errorf("%s: Publish returned version %d (id %d) state %q published %v; want version 1 (id %d) published at %v",
					tt.name, got.Version, got.VersionID, got.State, got.PublishedAt, vid, first)
			}
		}

		v1, err := s.CourseBySlug(ctx, "publiceren")
		if err != nil {
			t.Fatalf("CourseBySlug after publishing: %v", err)
		}
		if v1.VersionID != vid || len(v1.Modules) != 2 || len(v1.Files) != 1 {
			t.Errorf("CourseBySlug: got version id %d with %d modules and %d files, want %d with 2 and 1", v1.VersionID, len(v1.Modules), len(v1.Files), vid)
		}
		list, err := s.ListCourses(ctx, courses.CourseFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListCourses: got %d, %v; want 1 course", len(list), err)
		}
		if l := list[0]; l.Title != "Publiceren" || l.VersionID != vid || l.Version != 1 ||
			!slices.Equal(l.Audience, []courses.Office{courses.Raadslid, courses.Wethouder}) || !slices.Equal(l.Topics, []courses.Topic{"rollen"}) {
			t.Errorf("catalogue entry: got %+v", l)
		}
		if _, err := s.DraftOnly(ctx, c.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("DraftOnly after publishing: got %v, want ENOTFOUND", err)
		}
		if _, err := s.Publish(ctx, c.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("Publish without a draft: got %v, want ENOTFOUND", err)
		}

		// Version 2: other metadata, one more module, a changed lesson.
		second := first.Add(24 * time.Hour)
		d.Now = func() time.Time { return second }
		d2, err := s.Draft(ctx, c.ID, trainer.ID)
		if err != nil {
			t.Fatal(err)
		}
		meta := newMeta("publiceren", "Publiceren, tweede druk")
		meta.Audience = []courses.Office{courses.Griffier}
		if err := s.SaveMetadata(ctx, d2.VersionID, meta); err != nil {
			t.Fatal(err)
		}
		drie := &courses.Module{Slug: "drie", Title: "Module drie"}
		if err := s.SaveModule(ctx, d2.VersionID, drie); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveActivity(ctx, d2.VersionID, drie.ID, lessonAct("slot", "Het slot")); err != nil {
			t.Fatal(err)
		}
		changed := d2.Modules[1].Activities[0]
		changed.Title = "De nieuwe kaart"
		if err := s.SaveActivity(ctx, d2.VersionID, d2.Modules[1].ID, &changed); err != nil {
			t.Fatal(err)
		}
		p2, err := s.Publish(ctx, c.ID)
		if err != nil {
			t.Fatalf("Publish version 2: %v", err)
		}
		if p2.Version != 2 || p2.VersionID != d2.VersionID || !p2.PublishedAt.Equal(second) {
			t.Errorf("Publish version 2: got version %d (id %d) at %v", p2.Version, p2.VersionID, p2.PublishedAt)
		}
		if got, err := s.CourseBySlug(ctx, "publiceren"); err != nil || got.VersionID != d2.VersionID || got.Title != "Publiceren, tweede druk" || len(got.Modules) != 3 {
			t.Errorf("CourseBySlug after version 2: got %+v, %v", got, err)
		}
		list, _ = s.ListCourses(ctx, courses.CourseFilter{})
		if len(list) != 1 || list[0].Title != "Publiceren, tweede druk" || list[0].Version != 2 || list[0].VersionID != d2.VersionID ||
			!slices.Equal(list[0].Audience, []courses.Office{courses.Griffier}) {
			t.Errorf("catalogue after version 2: got %+v", list)
		}
		if list, _ := s.ListCourses(ctx, courses.CourseFilter{Office: courses.Wethouder}); len(list) != 0 {
			t.Errorf("the old audience still finds the course: %+v", list)
		}

		old := loadVersion(t, s, vid)
		if old.State != courses.StateRetired {
			t.Errorf("version 1 after publishing version 2: got state %q, want retired", old.State)
		}
		if old.Title != v1.Title || !slices.Equal(old.Audience, v1.Audience) || !old.PublishedAt.Equal(v1.PublishedAt) ||
			!reflect.DeepEqual(old.Modules, v1.Modules) || !reflect.DeepEqual(old.Files, v1.Files) {
			t.Errorf("version 1 changed:\ngot  %q %v %+v\nwant %q %v %+v", old.Title, old.Audience, old.Modules, v1.Title, v1.Audience, v1.Modules)
		}
		if err := s.SaveModule(ctx, vid, &courses.Module{Slug: "later", Title: "Later"}); courses.ErrorCode(err) != courses.ECONFLICT {
			t.Errorf("editing a retired version: got %v, want ECONFLICT", err)
		}
		if list, _ := s.EditableCourses(ctx, trainer.ID, false); len(list) != 1 || list[0].PublishedVersion != 2 || list[0].DraftVersion != 0 {
			t.Errorf("EditableCourses after version 2: got %+v", list)
		}
	})
}

// ---- Draft ----

func TestDraftCopiesThePublishedVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := richCourse("kopie", "Kopie")
		if err := s.SaveCourse(ctx, c, courses.ImportOptions{Publish: true, Owner: trainer.ID}); err != nil {
			t.Fatal(err)
		}
		pub, err := s.CourseBySlug(ctx, "kopie")
		if err != nil {
			t.Fatal(err)
		}

		draft, err := s.Draft(ctx, pub.ID, trainer.ID)
		if err != nil {
			t.Fatalf("Draft: %v", err)
		}
		if draft.State != courses.StateDraft || draft.Version != pub.Version+1 || draft.VersionID == pub.VersionID || draft.ID != pub.ID {
			t.Errorf("Draft: got course %d version %d (id %d) state %q; want course %d, draft version %d with a new id",
				draft.ID, draft.Version, draft.VersionID, draft.State, pub.ID, pub.Version+1)
		}
		if draft.Title != pub.Title || draft.Summary != pub.Summary || !slices.Equal(draft.Audience, pub.Audience) || !slices.Equal(draft.Topics, pub.Topics) {
			t.Errorf("draft metadata: got %q %q %v %v", draft.Title, draft.Summary, draft.Audience, draft.Topics)
		}
		if !reflect.DeepEqual(withoutIDs(draft.Modules), withoutIDs(pub.Modules)) {
			t.Errorf("draft content:\ngot  %+v\nwant %+v", withoutIDs(draft.Modules), withoutIDs(pub.Modules))
		}
		if !reflect.DeepEqual(draft.Files, pub.Files) || len(draft.Files) != 1 {
			t.Errorf("draft files: got %+v, want %+v", draft.Files, pub.Files)
		}
		pubIDs, draftIDs := contentIDs(pub), contentIDs(draft)
		for table, want := range map[string]int{"modules": 2, "activities": 5, "questions": 3, "options": 8} {
			if len(draftIDs[table]) != want || len(pubIDs[table]) != want {
				t.Errorf("%s: got %d in the draft and %d in the published version, want %d in both", table, len(draftIDs[table]), len(pubIDs[table]), want)
			}
			for _, id := range draftIDs[table] {
				if id == 0 || slices.Contains(pubIDs[table], id) {
					t.Errorf("%s: draft id %d is zero or shared with the published version", table, id)
				}
			}
		}
		f, err := s.FileData(ctx, draft.VersionID, "bestanden/kaart.png")
		if err != nil || !bytes.Equal(f.Data, pngData("kaart")) {
			t.Errorf("FileData of the copied file: got %q, %v", f.Data, err)
		}
		if n := countRows(t, d, "blobs", ""); n != 1 {
			t.Errorf("blobs after copying: got %d, want 1", n)
		}

		// Changing the draft leaves the published version as it was.
		before := loadVersion(t, s, pub.VersionID)
		dv := draft.VersionID
		quiz := activityBySlug(t, draft.Modules[1], "toets")
		quiz.Quiz.Questions = []courses.Question{{Kind: courses.TrueFalse, Text: "Is dit nieuw?", Options: courses.TrueFalseOptions("nl", true)}}
		quiz.Quiz.PassMark = 100
		m := draft.Modules[0]
		m.Title = "Gewijzigde module"
		session := activityBySlug(t, draft.Modules[1], "bijeenkomst")
		session.Meeting.Capacity = 5
		for _, tt := range []struct {
			name string
			op   func() error
		}{
			{"replace the quiz's questions", func() error { return s.SaveActivity(ctx, dv, draft.Modules[1].ID, &quiz) }},
			{"change a session", func() error { return s.SaveActivity(ctx, dv, draft.Modules[1].ID, &session) }},
			{"rename a module", func() error { return s.SaveModule(ctx, dv, &m) }},
			{"delete a lesson", func() error { return s.DeleteActivity(ctx, dv, draft.Modules[0].Activities[1].ID) }},
			{"move a module", func() error { return s.MoveModule(ctx, dv, draft.Modules[1].ID, true) }},
			{"delete the file", func() error { return s.DeleteFile(ctx, dv, "bestanden/kaart.png") }},
			{"change the metadata", func() error { return s.SaveMetadata(ctx, dv, newMeta("kopie", "Andere titel")) }},
		} {
			if err := tt.op(); err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
		after := loadVersion(t, s, pub.VersionID)
		if !reflect.DeepEqual(after.Modules, before.Modules) || !reflect.DeepEqual(after.Files, before.Files) || after.Title != before.Title {
			t.Errorf("the published version changed with its draft:\ngot  %+v\nwant %+v", after.Modules, before.Modules)
		}
		if got, err := s.CourseBySlug(ctx, "kopie"); err != nil || got.VersionID != pub.VersionID || got.Title != "Kopie" {
			t.Errorf("CourseBySlug while a draft is edited: got %+v, %v", got, err)
		}
		if f, err := s.FileData(ctx, pub.VersionID, "bestanden/kaart.png"); err != nil || !bytes.Equal(f.Data, pngData("kaart")) {
			t.Errorf("published file after the draft deleted it: %q, %v", f.Data, err)
		}

		again, err := s.Draft(ctx, pub.ID, trainer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.VersionID != dv || again.Version != draft.Version || again.Title != "Andere titel" ||
			!slices.Equal(moduleSlugs(again), []string{"tweede", "eerste"}) || len(again.Files) != 0 {
			t.Errorf("Draft again: got version %d (id %d) %q %v %d files; want the edited draft %d", again.Version, again.VersionID, again.Title,
				moduleSlugs(again), len(again.Files), dv)
		}
		if n := countRows(t, d, "course_versions", "course_id = ?", pub.ID); n != 2 {
			t.Errorf("versions: got %d, want 2", n)
		}
		if _, err := s.Draft(ctx, 999999, trainer.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("Draft of an unknown course: got %v, want ENOTFOUND", err)
		}
	})
}

// TestDraftConcurrently starts the draft of one course from many requests
// at once (a double click on "edit"): all get the same draft.
func TestDraftConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := richCourse("dubbel", "Dubbel")
		if err := s.SaveCourse(ctx, c, courses.ImportOptions{Publish: true, Owner: trainer.ID}); err != nil {
			t.Fatal(err)
		}
		const n = 8
		ids := make([]int64, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				dr, err := s.Draft(ctx, c.ID, trainer.ID)
				errs[i] = err
				if err == nil {
					ids[i] = dr.VersionID
				}
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Draft %d: %v", i, err)
			} else if ids[i] != ids[0] && ids[0] != 0 {
				t.Errorf("Draft %d: got draft %d, others %d", i, ids[i], ids[0])
			}
		}
		if n := countRows(t, d, "course_versions", "course_id = ? AND state = ?", c.ID, courses.StateDraft); n != 1 {
			t.Errorf("drafts: got %d, want 1", n)
		}
	})
}

// ---- DiscardDraft ----

func TestDiscardDraft(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		tests := []struct {
			name           string
			slug           string
			setup          func(slug string) (courseID, publishedVersion int64)
			wantCourseGone bool
		}{
			{"never published: the course goes with its draft", "nieuw", func(slug string) (int64, int64) {
				c := newMeta(slug, "Nieuw")
				if err := s.CreateCourse(ctx, c, trainer.ID); err != nil {
					t.Fatal(err)
				}
				m := &courses.Module{Slug: "een", Title: "Module een"}
				if err := s.SaveModule(ctx, c.VersionID, m); err != nil {
					t.Fatal(err)
				}
				if err := s.SaveActivity(ctx, c.VersionID, m.ID, quizAct("toets", "Toets", 0)); err != nil {
					t.Fatal(err)
				}
				return c.ID, 0
			}, true},
			{"published: only the draft goes", "gepubliceerd", func(slug string) (int64, int64) {
				c := richCourse(slug, "Gepubliceerd")
				if err := s.SaveCourse(ctx, c, courses.ImportOptions{Publish: true, Owner: trainer.ID}); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Draft(ctx, c.ID, trainer.ID); err != nil {
					t.Fatal(err)
				}
				return c.ID, c.VersionID
			}, false},
		}
		for _, tt := range tests {
			id, published := tt.setup(tt.slug)
			if err := s.DiscardDraft(ctx, id); err != nil {
				t.Errorf("%s: DiscardDraft: %v", tt.name, err)
				continue
			}
			if _, err := s.DraftOnly(ctx, id); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("%s: DraftOnly after discarding: got %v, want ENOTFOUND", tt.name, err)
			}
			_, err := s.CourseIDBySlug(ctx, tt.slug)
			if tt.wantCourseGone {
				codeIs(t, tt.name+": CourseIDBySlug", err, courses.ENOTFOUND)
				if n := countRows(t, d, "course_owners", "course_id = ?", id); n != 0 {
					t.Errorf("%s: owners left: %d", tt.name, n)
				}
				if n := countRows(t, d, "course_versions", "course_id = ?", id); n != 0 {
					t.Errorf("%s: versions left: %d", tt.name, n)
				}
			} else {
				if err != nil {
					t.Errorf("%s: the course is gone: %v", tt.name, err)
				}
				got, err := s.CourseBySlug(ctx, tt.slug)
				if err != nil || got.VersionID != published || len(got.Modules) != 2 {
					t.Errorf("%s: published version after discarding: %+v, %v", tt.name, got, err)
				}
				if list, _ := s.EditableCourses(ctx, trainer.ID, false); len(list) != 1 || list[0].DraftVersion != 0 || list[0].PublishedVersion != 1 {
					t.Errorf("%s: EditableCourses: %+v", tt.name, list)
				}
			}
			if err := s.DiscardDraft(ctx, id); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("%s: DiscardDraft twice: got %v, want ENOTFOUND", tt.name, err)
			}
		}
	})
}

// ---- files ----

func TestCourseFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := newMeta("bestanden", "Bestanden")
		if err := s.CreateCourse(ctx, c, trainer.ID); err != nil {
			t.Fatal(err)
		}
		vid := c.VersionID
		blobsOf := func(sha string) int { return countRows(t, d, "blobs", "sha256 = ?", sha) }

		kaart := courses.NewFile("bestanden/kaart.png", "image/png", pngData("kaart"))
		if err := s.AddFile(ctx, vid, &kaart); err != nil {
			t.Fatalf("AddFile: %v", err)
		}
		got, err := s.FileData(ctx, vid, "bestanden/kaart.png")
		if err != nil || !bytes.Equal(got.Data, kaart.Data) || got.ContentType != "image/png" || got.Size != kaart.Size || got.SHA256 != kaart.SHA256 {
			t.Errorf("FileData: got %+v, %v; want %+v", got, err, kaart)
		}
		want := kaart
		want.Data = nil
		if files := loadVersion(t, s, vid).Files; !reflect.DeepEqual(files, []courses.File{want}) {
			t.Errorf("version files: got %+v, want %+v", files, []courses.File{want})
		}

		// The same path again replaces the file.
		nieuw := courses.NewFile("bestanden/kaart.png", "image/png", pngData("een nieuwe kaart"))
		if err := s.AddFile(ctx, vid, &nieuw); err != nil {
			t.Fatalf("AddFile replacing: %v", err)
		}
		if got, err := s.FileData(ctx, vid, "bestanden/kaart.png"); err != nil || !bytes.Equal(got.Data, nieuw.Data) || got.Size != nieuw.Size {
			t.Errorf("FileData after replacing: got %q, %v", got.Data, err)
		}
		if n := countRows(t, d, "version_files", "version_id = ?", vid); n != 1 {
			t.Errorf("files after replacing: got %d, want 1", n)
		}

		// The same bytes in other versions are stored once: an upload to
		// another course, and a published course copied into a draft.
		other := newMeta("ander", "Ander")
		if err := s.CreateCourse(ctx, other, trainer.ID); err != nil {
			t.Fatal(err)
		}
		same := courses.NewFile("bestanden/plattegrond.png", "image/png", pngData("een nieuwe kaart"))
		if err := s.AddFile(ctx, other.VersionID, &same); err != nil {
			t.Fatal(err)
		}
		if got, err := s.FileData(ctx, other.VersionID, "bestanden/plattegrond.png"); err != nil || !bytes.Equal(got.Data, nieuw.Data) {
			t.Errorf("FileData of a shared blob: got %q, %v", got.Data, err)
		}
		rich := richCourse("rijk", "Rijk") // links pngData("kaart"), uploaded above
		if err := s.SaveCourse(ctx, rich, courses.ImportOptions{Publish: true, Owner: trainer.ID}); err != nil {
			t.Fatal(err)
		}
		richDraft, err := s.Draft(ctx, rich.ID, trainer.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name      string
			sha       string
			wantFiles int
		}{
			{"uploaded to two courses", nieuw.SHA256, 2},
			{"imported, copied into a draft, and uploaded before", kaart.SHA256, 2},
		} {
			if n := blobsOf(tt.sha); n != 1 {
				t.Errorf("%s: got %d blobs, want 1", tt.name, n)
			}
			if n := countRows(t, d, "version_files", "sha256 = ?", tt.sha); n != tt.wantFiles {
				t.Errorf("%s: got %d version files, want %d", tt.name, n, tt.wantFiles)
			}
		}
		if n := countRows(t, d, "blobs", ""); n != 2 {
			t.Errorf("blobs: got %d, want 2", n)
		}

		// The course size limit counts the sizes of the version's files.
		// (AddFile takes f.Size as given; the editor sets it from the bytes.)
		used := nieuw.Size
		sized := func(path string, size int64) *courses.File {
			f := courses.NewFile(path, "application/pdf", []byte("%PDF-"+path))
			f.Size = size
			return &f
		}
		tooLarge := []courses.Problem{fieldProblem("file", courses.ProblemCourseTooLarge)}
		limits := []struct {
			name string
			f    *courses.File
			want []courses.Problem
		}{
			{"up to the limit", sized("bestanden/a.pdf", courses.MaxCourseBytes-used), nil},
			{"one byte over the limit", sized("bestanden/b.pdf", 1), tooLarge},
			{"replacing a file counts its new size only", sized("bestanden/a.pdf", courses.MaxCourseBytes-used), nil},
			{"replacing a file with a larger one", sized("bestanden/a.pdf", courses.MaxCourseBytes-used+1), tooLarge},
			{"replacing the other file with a larger one", sized("bestanden/kaart.png", used+1), tooLarge},
		}
		for _, tt := range limits {
			err := s.AddFile(ctx, vid, tt.f)
			if tt.want == nil {
				if err != nil {
					t.Errorf("%s: %v", tt.name, err)
				}
				continue
			}
			problemsAre(t, tt.name, err, tt.want...)
		}
		files := loadVersion(t, s, vid).Files
		var total int64
		for _, f := range files {
			total += f.Size
		}
		if len(files) != 2 || total != courses.MaxCourseBytes {
			t.Errorf("files after the limit checks: got %d files of %d bytes, want 2 of %d", len(files), total, int64(courses.MaxCourseBytes))
		}
		if _, err := s.FileData(ctx, vid, "bestanden/b.pdf"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("a refused file was stored: %v", err)
		}

		// DeleteFile works on drafts only; the bytes stay for other versions.
		if err := s.DeleteFile(ctx, vid, "bestanden/kaart.png"); err != nil {
			t.Fatalf("DeleteFile: %v", err)
		}
		if _, err := s.FileData(ctx, vid, "bestanden/kaart.png"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("FileData of a deleted file: got %v, want ENOTFOUND", err)
		}
		if err := s.DeleteFile(ctx, vid, "bestanden/kaart.png"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("DeleteFile twice: got %v, want ENOTFOUND", err)
		}
		if got, err := s.FileData(ctx, other.VersionID, "bestanden/plattegrond.png"); err != nil || !bytes.Equal(got.Data, nieuw.Data) {
			t.Errorf("shared bytes after a delete elsewhere: %q, %v", got.Data, err)
		}
		if err := s.DeleteFile(ctx, rich.VersionID, "bestanden/kaart.png"); courses.ErrorCode(err) != courses.ECONFLICT {
			t.Errorf("DeleteFile of a published version: got %v, want ECONFLICT", err)
		}
		if err := s.DeleteFile(ctx, richDraft.VersionID, "bestanden/kaart.png"); err != nil {
			t.Errorf("DeleteFile of the copied file: %v", err)
		}
		if got, err := s.FileData(ctx, rich.VersionID, "bestanden/kaart.png"); err != nil || !bytes.Equal(got.Data, pngData("kaart")) {
			t.Errorf("published file after its draft copy was deleted: %q, %v", got.Data, err)
		}
	})
}

// ---- owners ----

func TestCourseOwners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		ls := db.NewLearningService(d)
		t1 := newUser(t, d, "trainer1@example.nl", courses.RoleTrainer)
		t2 := newUser(t, d, "trainer2@example.nl", courses.RoleTrainer)
		admin := newUser(t, d, "beheer@example.nl", courses.RoleAdmin)
		learner := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		assoc := newUser(t, d, "vereniging@example.nl", courses.RoleAssociationAdmin)
		gone := newUser(t, d, "weg@example.nl", courses.RoleTrainer)
		if err := db.NewUserService(d).SetActive(ctx, gone.ID, false); err != nil {
			t.Fatal(err)
		}

		a, b := newMeta("alfa", "Alfa"), newMeta("bravo", "Bravo")
		if err := s.CreateCourse(ctx, a, t1.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCourse(ctx, b, t2.ID); err != nil {
			t.Fatal(err)
		}
		cc := richCourse("charlie", "Charlie")
		if err := s.SaveCourse(ctx, cc, courses.ImportOptions{Publish: true, Owner: t1.ID}); err != nil {
			t.Fatal(err)
		}
		ccDraft, err := s.Draft(ctx, cc.ID, t1.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []*courses.User{learner, assoc} {
			if _, _, err := ls.Enrol(ctx, u.ID, cc.ID); err != nil {
				t.Fatal(err)
			}
		}

		adds := []struct {
			name  string
			email string
			want  int64 // 0: refused
		}{
			{"a trainer, address in another case and with spaces", "  Trainer2@Example.NL ", t2.ID},
			{"an admin", "beheer@example.nl", admin.ID},
			{"the same trainer twice", "trainer2@example.nl", t2.ID},
			{"a learner", "leerling@example.nl", 0},
			{"an association admin", "vereniging@example.nl", 0},
			{"a deactivated trainer", "weg@example.nl", 0},
			{"an unknown address", "niemand@example.nl", 0},
		}
		for _, tt := range adds {
			got, err := s.AddOwner(ctx, a.ID, tt.email)
			if tt.want == 0 {
				problemsAre(t, tt.name, err, fieldProblem("email", courses.ProblemNoTrainer))
				continue
			}
			if err != nil || got.UserID != tt.want {
				t.Errorf("%s: AddOwner: got %+v, %v; want user %d", tt.name, got, err, tt.want)
			}
		}
		owners := []struct {
			name   string
			course int64
			user   int64
			want   bool
		}{
			{"creator of alfa", a.ID, t1.ID, true},
			{"added trainer", a.ID, t2.ID, true},
			{"added admin", a.ID, admin.ID, true},
			{"refused learner", a.ID, learner.ID, false},
			{"refused association admin", a.ID, assoc.ID, false},
			{"creator of bravo", b.ID, t2.ID, true},
			{"trainer 1 on bravo", b.ID, t1.ID, false},
			{"import owner of charlie", cc.ID, t1.ID, true},
		}
		for _, tt := range owners {
			if got, err := s.IsOwner(ctx, tt.course, tt.user); err != nil || got != tt.want {
				t.Errorf("IsOwner(%s): got %v, %v; want %v", tt.name, got, err, tt.want)
			}
		}
		if list, err := s.Owners(ctx, a.ID); err != nil || len(list) != 3 {
			t.Errorf("Owners(alfa): got %+v, %v; want 3", list, err)
		}

		type row struct {
			Slug                   string
			Published, Draft       int
			DraftVersionID         int64
			Learners, OnOldVersion int
		}
		alfa := row{"alfa", 0, 1, a.VersionID, 0, 0}
		bravo := row{"bravo", 0, 1, b.VersionID, 0, 0}
		charlie := row{"charlie", 1, 2, ccDraft.VersionID, 2, 0}
		editable := []struct {
			name string
			user int64
			all  bool
			want []row
		}{
			{"trainer 1 sees own and co-owned", t1.ID, false, []row{alfa, charlie}},
			{"trainer 2 sees what it was added to", t2.ID, false, []row{alfa, bravo}},
			{"a learner owns nothing", learner.ID, false, nil},
			{"admin, all", admin.ID, true, []row{alfa, bravo, charlie}},
			{"admin, own only", admin.ID, false, []row{alfa}},
		}
		for _, tt := range editable {
			list, err := s.EditableCourses(ctx, tt.user, tt.all)
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			var got []row
			for _, e := range list {
				got = append(got, row{e.Slug, e.PublishedVersion, e.DraftVersion, e.DraftVersionID, e.Learners, e.OldVersion})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: EditableCourses got %+v, want %+v", tt.name, got, tt.want)
			}
		}

		removes := []struct {
			name string
			user int64
			want string
		}{
			{"a co-owner", t2.ID, ""},
			{"another co-owner", admin.ID, ""},
			{"the last owner", t1.ID, courses.ECONFLICT},
		}
		for _, tt := range removes {
			codeIs(t, "RemoveOwner "+tt.name, s.RemoveOwner(ctx, a.ID, tt.user), tt.want)
		}
		if list, err := s.Owners(ctx, a.ID); err != nil || len(list) != 1 || list[0].UserID != t1.ID {
			t.Errorf("owners after removals: got %+v, %v; want trainer 1 only", list, err)
		}
		if ok, _ := s.IsOwner(ctx, a.ID, t2.ID); ok {
			t.Errorf("a removed owner still owns the course")
		}
	})
}

// TestRemoveOwnerConcurrently lets two owners remove each other at once:
// one of them must stay.
func TestRemoveOwnerConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		t1 := newUser(t, d, "trainer1@example.nl", courses.RoleTrainer)
		t2 := newUser(t, d, "trainer2@example.nl", courses.RoleTrainer)
		for round := range 10 {
			c := newMeta(fmt.Sprintf("ronde-%d", round), "Ronde")
			if err := s.CreateCourse(ctx, c, t1.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddOwner(ctx, c.ID, t2.Email); err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, u := range []int64{t1.ID, t2.ID} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = s.RemoveOwner(ctx, c.ID, u)
				}()
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil && courses.ErrorCode(err) != courses.ECONFLICT {
					t.Errorf("round %d: RemoveOwner: %v", round, err)
				}
			}
			if n := countRows(t, d, "course_owners", "course_id = ?", c.ID); n != 1 {
				t.Fatalf("round %d: two owners removing each other at once left %d owners, want 1", round, n)
			}
		}
	})
}

// ---- MoveLearners ----

func TestMoveLearners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		ls := db.NewLearningService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := sampleCourse("verhuizen", "Verhuizen", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}) // eerste/a, eerste/b, tweede/c
		if err := s.SaveCourse(ctx, c, courses.ImportOptions{Publish: true, Owner: trainer.ID}); err != nil {
			t.Fatal(err)
		}
		v1 := c.VersionID

		enrol := func(email string, done ...string) *courses.Enrolment {
			u := newUser(t, d, email, courses.RoleLearner)
			e, _, err := ls.Enrol(ctx, u.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range done {
				if err := ls.CompleteActivity(ctx, e.ID, key); err != nil {
					t.Fatal(err)
				}
			}
			return e
		}
		busy := enrol("bezig@example.nl", "eerste/a", "tweede/c")
		other := enrol("ander@example.nl", "eerste/b")
		finished := enrol("klaar@example.nl", "eerste/a", "eerste/b", "tweede/c")
		if _, err := d.NewUpdate().TableExpr("enrolments").Set("completed_at = ?", time.Now().UTC()).Where("id = ?", finished.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// Version 2 drops eerste/b and adds tweede/d.
		draft, err := s.Draft(ctx, c.ID, trainer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.MoveLearners(ctx, c.ID); err != nil || n != 0 {
			t.Errorf("MoveLearners while the published version is current: got %d, %v; want 0", n, err)
		}
		if err := s.DeleteActivity(ctx, draft.VersionID, activityBySlug(t, moduleBySlug(t, draft, "eerste"), "b").ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveActivity(ctx, draft.VersionID, moduleBySlug(t, draft, "tweede").ID, lessonAct("d", "Les D")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		v2 := draft.VersionID
		late := enrol("laat@example.nl", "tweede/d")

		if list, _ := s.EditableCourses(ctx, trainer.ID, false); len(list) != 1 || list[0].Learners != 4 || list[0].OldVersion != 2 {
			t.Errorf("EditableCourses before moving: got %+v, want 4 learners, 2 on an old version", list)
		}
		n, err := s.MoveLearners(ctx, c.ID)
		if err != nil || n != 2 {
			t.Errorf("MoveLearners: got %d, %v; want 2", n, err)
		}
		tests := []struct {
			name        string
			e           *courses.Enrolment
			wantVersion int64
			wantDone    int
			wantTotal   int
		}{
			{"in progress: moved, progress follows by key", busy, v2, 2, 3},
			{"in progress on a dropped activity: moved, that progress no longer counts", other, v2, 0, 3},
			{"completed: stays on version 1", finished, v1, 3, 3},
			{"enrolled in version 2", late, v2, 1, 3},
		}
		for _, tt := range tests {
			got, err := ls.Enrolment(ctx, tt.e.UserID, c.ID)
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			if got.VersionID != tt.wantVersion || got.Done != tt.wantDone || got.Total != tt.wantTotal {
				t.Errorf("%s: got version %d, %d of %d done; want version %d, %d of %d", tt.name,
					got.VersionID, got.Done, got.Total, tt.wantVersion, tt.wantDone, tt.wantTotal)
			}
		}
		if n, err := s.MoveLearners(ctx, c.ID); err != nil || n != 0 {
			t.Errorf("MoveLearners again: got %d, %v; want 0", n, err)
		}
		if list, _ := s.EditableCourses(ctx, trainer.ID, false); len(list) != 1 || list[0].OldVersion != 0 {
			t.Errorf("EditableCourses after moving: got %+v, want none on an old version", list)
		}
		// A course that was never published has no one to move.
		never := newMeta("nooit", "Nooit")
		if err := s.CreateCourse(ctx, never, trainer.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.MoveLearners(ctx, never.ID); err != nil || n != 0 {
			t.Errorf("MoveLearners of an unpublished course: got %d, %v; want 0", n, err)
		}
	})
}
