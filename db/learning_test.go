package db_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// learningCourse publishes sampleCourse with two quizzes, eerste/toets (2
// attempts) and tweede/eindtoets (3 attempts): five activities in all. It
// returns the published version as loaded, with every id.
func learningCourse(t *testing.T, d *db.DB, slug string) *courses.Course {
	t.Helper()
	ctx := context.Background()
	s := db.NewCourseService(d)
	c := sampleCourse(slug, "Leren", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"})
	toets := quizAct("toets", "Toets", 2)
	toets.Position = 3
	eind := quizAct("eindtoets", "Eindtoets", 3)
	eind.Position = 2
	c.Modules[0].Activities = append(c.Modules[0].Activities, *toets)
	c.Modules[1].Activities = append(c.Modules[1].Activities, *eind)
	if err := s.SaveCourse(ctx, c, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatalf("SaveCourse(%s): %v", slug, err)
	}
	loaded, err := s.CourseBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}

func activityOf(t *testing.T, c *courses.Course, module, slug string) *courses.Activity {
	t.Helper()
	a := activityBySlug(t, moduleBySlug(t, c, module), slug)
	return &a
}

// choose answers quiz q: choices[i] are the indexes of the options chosen
// for question i; nil leaves the question open.
func choose(q *courses.Quiz, choices ...[]int) []courses.Answer {
	var out []courses.Answer
	for i, idx := range choices {
		if idx == nil {
			continue
		}
		a := courses.Answer{QuestionID: q.Questions[i].ID, OptionIDs: []int64{}}
		for _, j := range idx {
			a.OptionIDs = append(a.OptionIDs, q.Questions[i].Options[j].ID)
		}
		out = append(out, a)
	}
	return out
}

// For sampleQuiz: every answer wrong (0%), two of three right (66%), all
// right (100%).
func allWrong(q *courses.Quiz) []courses.Answer { return choose(q, []int{0}, []int{1}, []int{2}) }
func twoRight(q *courses.Quiz) []courses.Answer { return choose(q, []int{1}, []int{0}, []int{0}) }
func allRight(q *courses.Quiz) []courses.Answer { return choose(q, []int{1}, []int{0}, []int{0, 1}) }

func sameAnswers(a, b []courses.Answer) bool {
	return slices.EqualFunc(a, b, func(x, y courses.Answer) bool {
		return x.QuestionID == y.QuestionID && slices.Equal(x.OptionIDs, y.OptionIDs)
	})
}

func enrolNew(t *testing.T, d *db.DB, email string, courseID int64) *courses.Enrolment {
	t.Helper()
	u := newUser(t, d, email, courses.RoleLearner)
	e, _, err := db.NewLearningService(d).Enrol(context.Background(), u.ID, courseID)
	if err != nil {
		t.Fatalf("Enrol(%s): %v", email, err)
	}
	return e
}

func TestEnrol(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		s := db.NewCourseService(d)
		enrolled := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return enrolled }
		c := learningCourse(t, d, "inschrijven")
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		draftOnly := newMeta("concept", "Concept")
		if err := s.CreateCourse(ctx, draftOnly, trainer.ID); err != nil {
			t.Fatal(err)
		}
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)

		var first *courses.Enrolment
		tests := []struct {
			name        string
			course      int64
			now         time.Time
			wantCreated bool
			wantCode    string
		}{
			{"first time", c.ID, enrolled, true, ""},
			{"again, a day later", c.ID, enrolled.Add(24 * time.Hour), false, ""},
			{"a course with only a draft", draftOnly.ID, enrolled, false, courses.ENOTFOUND},
			{"an unknown course", 999999, enrolled, false, courses.ENOTFOUND},
		}
		for _, tt := range tests {
			d.Now = func() time.Time { return tt.now }
			e, created, err := ls.Enrol(ctx, u.ID, tt.course)
			if tt.wantCode != "" {
				codeIs(t, tt.name, err, tt.wantCode)
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if created != tt.wantCreated {
				t.Errorf("%s: got created %v, want %v", tt.name, created, tt.wantCreated)
			}
			if first == nil {
				first = e
			}
			if e.ID == 0 || e.ID != first.ID || e.UserID != u.ID || e.CourseID != c.ID || e.VersionID != c.VersionID ||
				e.Slug != "inschrijven" || e.Title != "Leren" || e.Total != 5 || e.Done != 0 || e.LastActivity != "" ||
				!e.EnrolledAt.Equal(enrolled) || e.CompletedAt != nil {
				t.Errorf("%s: got %+v; want enrolment %d in version %d, 0 of 5 done, enrolled at %v", tt.name, e, first.ID, c.VersionID, enrolled)
			}
			if e.Status() != "enrolled" || e.Progress() != 0 {
				t.Errorf("%s: got status %q progress %d, want enrolled 0", tt.name, e.Status(), e.Progress())
			}
		}
		if n := countRows(t, d, "enrolments", ""); n != 1 {
			t.Errorf("enrolments: got %d rows, want 1", n)
		}
		list, err := ls.Enrolments(ctx, u.ID)
		if err != nil || len(list) != 1 || list[0].ID != first.ID {
			t.Errorf("Enrolments: got %+v, %v; want the one enrolment", list, err)
		}
		if _, err := ls.Enrolment(ctx, u.ID, draftOnly.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("Enrolment in a course not enrolled in: got %v, want ENOTFOUND", err)
		}
	})
}

func TestEnrolmentProgress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		c := learningCourse(t, d, "voortgang")
		e := enrolNew(t, d, "leerling@example.nl", c.ID)
		t0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

		steps := []struct {
			name         string
			key          string // "": only look
			wantDone     int
			wantProgress int
			wantStatus   string
		}{
			{"nothing done", "", 0, 0, "enrolled"},
			{"first lesson", "eerste/a", 1, 20, "in_progress"},
			{"first lesson again", "eerste/a", 1, 20, "in_progress"},
			{"a key that is not in the version", "eerste/bestaat-niet", 1, 20, "in_progress"},
			{"second lesson", "eerste/b", 2, 40, "in_progress"},
			{"a quiz, marked done", "eerste/toets", 3, 60, "in_progress"},
			{"a lesson in module two", "tweede/c", 4, 80, "in_progress"},
			{"the last activity", "tweede/eindtoets", 5, 100, ""},
		}
		for i, tt := range steps {
			at := t0.Add(time.Duration(i) * time.Hour)
			d.Now = func() time.Time { return at }
			if tt.key != "" {
				if err := ls.CompleteActivity(ctx, e.ID, tt.key); err != nil {
					t.Fatalf("%s: CompleteActivity: %v", tt.name, err)
				}
			}
			got, err := ls.Enrolment(ctx, e.UserID, c.ID)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got.Done != tt.wantDone || got.Total != 5 || got.Progress() != tt.wantProgress {
				t.Errorf("%s: got %d of %d done (%d%%), want %d of 5 (%d%%)", tt.name, got.Done, got.Total, got.Progress(), tt.wantDone, tt.wantProgress)
			}
			if tt.wantStatus != "" && got.Status() != tt.wantStatus {
				t.Errorf("%s: got status %q, want %q", tt.name, got.Status(), tt.wantStatus)
			}
		}
		// The first completion's time stays: eerste/a was done in step 1
		// and again in step 2.
		done, err := ls.DoneKeys(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := done["eerste/a"], t0.Add(time.Hour); !got.Equal(want) {
			t.Errorf("completed_at of eerste/a after completing it twice: got %v, want the first, %v", got, want)
		}
		if len(done) != 6 {
			t.Errorf("DoneKeys: got %d keys, want 6 (including the unknown one)", len(done))
		}

		// A completed enrolment reports so.
		finished := t0.Add(24 * time.Hour)
		if _, err := d.NewUpdate().TableExpr("enrolments").Set("completed_at = ?", finished).Where("id = ?", e.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := ls.Enrolment(ctx, e.UserID, c.ID)
		if err != nil || got.CompletedAt == nil || !got.CompletedAt.Equal(finished) || got.Status() != "completed" {
			t.Errorf("completed enrolment: got %+v, %v; want completed at %v", got, err, finished)
		}
	})
}

func TestCompleteActivityConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		c := learningCourse(t, d, "tegelijk")
		const n = 64
		tests := []struct {
			name     string
			key      func(i int) string
			wantRows int
		}{
			{"the same key", func(int) string { return "eerste/a" }, 1},
			{"a different key each", func(i int) string { return fmt.Sprintf("module/%d", i) }, n},
		}
		for k, tt := range tests {
			e := enrolNew(t, d, fmt.Sprintf("leerling%d@example.nl", k), c.ID)
			start := make(chan struct{})
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = ls.CompleteActivity(ctx, e.ID, tt.key(i))
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("%s: CompleteActivity %d: %v", tt.name, i, err)
				}
			}
			if got := countRows(t, d, "activity_progress", "enrolment_id = ?", e.ID); got != tt.wantRows {
				t.Errorf("%s: got %d progress rows, want %d", tt.name, got, tt.wantRows)
			}
		}
	})
}

func TestEnrolConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		c := learningCourse(t, d, "drukte")
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		const n = 64
		type result struct {
			id      int64
			created bool
			err     error
		}
		results := make([]result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				e, created, err := ls.Enrol(ctx, u.ID, c.ID)
				results[i] = result{created: created, err: err}
				if e != nil {
					results[i].id = e.ID
				}
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, r := range results {
			if r.err != nil {
				t.Errorf("Enrol %d: %v", i, r.err)
				continue
			}
			if r.created {
				created++
			}
			if r.id == 0 || r.id != results[0].id {
				t.Errorf("Enrol %d: got enrolment %d, want %d like the others", i, r.id, results[0].id)
			}
		}
		if created != 1 {
			t.Errorf("got %d calls with created=true, want exactly 1", created)
		}
		if got := countRows(t, d, "enrolments", "user_id = ? AND course_id = ?", u.ID, c.ID); got != 1 {
			t.Errorf("got %d enrolment rows, want 1", got)
		}
	})
}

func TestSubmitAttempt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		c := learningCourse(t, d, "toetsen")
		toets := activityOf(t, c, "eerste", "toets") // 2 attempts, pass mark 50
		q := toets.Quiz
		const key = "eerste/toets"
		e := enrolNew(t, d, "leerling@example.nl", c.ID)
		t0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

		steps := []struct {
			name       string
			answers    []courses.Answer
			wantCode   string
			wantKey    string // the problem key with EINVALID, if any
			wantNumber int
			wantScore  int
			wantPassed bool
			wantDone   int
		}{
			{"an option of another question", []courses.Answer{{QuestionID: q.Questions[0].ID, OptionIDs: []int64{q.Questions[1].Options[0].ID}}},
				courses.EINVALID, "", 0, 0, false, 0},
			{"a question answered twice", append(choose(q, []int{0}), choose(q, []int{1})...), courses.EINVALID, "", 0, 0, false, 0},
			{"two options for a single-choice question", choose(q, []int{0, 1}), courses.EINVALID, "", 0, 0, false, 0},
			{"first attempt, all wrong", allWrong(q), "", "", 1, 0, false, 0},
			{"second attempt, two of three right: passed", twoRight(q), "", "", 2, 66, true, 1},
			{"third attempt: none left", allRight(q), courses.EINVALID, courses.ProblemNoAttemptsLeft, 0, 0, false, 1},
		}

		var stored []courses.Attempt
		for i, tt := range steps {
			at := t0.Add(time.Duration(i) * time.Minute)
			d.Now = func() time.Time { return at }
			got, err := ls.SubmitAttempt(ctx, e.ID, key, toets, tt.answers)
			if tt.wantCode != "" {
				if codeIs(t, tt.name, err, tt.wantCode) && tt.wantKey != "" {
					if p := courses.ErrorProblems(err); len(p) != 1 || p[0].Key != tt.wantKey {
						t.Errorf("%s: got problems %v, want %s", tt.name, p, tt.wantKey)
					}
				}
			} else if err != nil {
				t.Errorf("%s: SubmitAttempt: %v", tt.name, err)
			} else {
				if got.ID == 0 || got.Number != tt.wantNumber || got.Score != tt.wantScore || got.Passed != tt.wantPassed || !got.SubmittedAt.Equal(at) {
					t.Errorf("%s: got attempt %+v, want number %d score %d passed %v at %v", tt.name, got, tt.wantNumber, tt.wantScore, tt.wantPassed, at)
				}
				stored = append(stored, *got)
			}
			if en, err := ls.Enrolment(ctx, e.UserID, c.ID); err != nil || en.Done != tt.wantDone {
				t.Errorf("%s: got %d activities done (%v), want %d", tt.name, en.Done, err, tt.wantDone)
			}
		}

		attempts, err := ls.Attempts(ctx, e.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != len(stored) {
			t.Fatalf("Attempts: got %d, want %d", len(attempts), len(stored))
		}
		for i, a := range attempts {
			w := stored[i]
			if a.ID != w.ID || a.Number != i+1 || a.Score != w.Score || a.Passed != w.Passed || !a.SubmittedAt.Equal(w.SubmittedAt) ||
				!sameAnswers(a.Answers, w.Answers) {
				t.Errorf("attempt %d: got %+v, want %+v", i+1, a, w)
			}
		}
		if done, _ := ls.DoneKeys(ctx, e.ID); !done[key].Equal(stored[1].SubmittedAt) {
			t.Errorf("the passed quiz: done at %v, want %v", done[key], stored[1].SubmittedAt)
		}
		if other, err := ls.Attempts(ctx, e.ID, "tweede/eindtoets"); err != nil || len(other) != 0 {
			t.Errorf("attempts at another quiz: got %d, %v; want none", len(other), err)
		}
		// An open question counts as wrong.
		eind := activityOf(t, c, "tweede", "eindtoets")
		got, err := ls.SubmitAttempt(ctx, e.ID, "tweede/eindtoets", eind, choose(eind.Quiz, []int{1}, nil, []int{0, 1}))
		if err != nil || got.Score != 66 || !got.Passed || got.Number != 1 {
			t.Errorf("attempt with an open question: got %+v, %v; want number 1, 66, passed", got, err)
		}
		if list, _ := ls.Attempts(ctx, e.ID, "tweede/eindtoets"); len(list) != 1 || len(list[0].Answers) != 2 {
			t.Errorf("attempt with an open question stored as %+v, want two answers", list)
		}
		if _, err := ls.SubmitAttempt(ctx, e.ID, "eerste/a", activityOf(t, c, "eerste", "a"), nil); courses.ErrorCode(err) != courses.EINVALID {
			t.Errorf("SubmitAttempt for a lesson: got %v, want EINVALID", err)
		}
	})
}

// TestSubmitAttemptConcurrently submits 16 attempts at once at a quiz that
// allows 3: exactly 3 are stored, numbered 1 to 3.
func TestSubmitAttemptConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		c := learningCourse(t, d, "stormloop")
		eind := activityOf(t, c, "tweede", "eindtoets")
		if eind.Quiz.MaxAttempts != 3 {
			t.Fatalf("eindtoets allows %d attempts, want 3", eind.Quiz.MaxAttempts)
		}
		const key = "tweede/eindtoets"
		e := enrolNew(t, d, "leerling@example.nl", c.ID)
		const n = 16
		numbers := make([]int, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				a, err := ls.SubmitAttempt(ctx, e.ID, key, eind, allWrong(eind.Quiz))
				errs[i] = err
				if err == nil {
					numbers[i] = a.Number
				}
			}()
		}
		close(start)
		wg.Wait()
		var got []int
		for i, err := range errs {
			switch code := courses.ErrorCode(err); code {
			case "":
				got = append(got, numbers[i])
			case courses.EINVALID, courses.ECONFLICT:
			default:
				t.Errorf("submit %d: got %v (code %q), want success, EINVALID or ECONFLICT", i, err, code)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("successful submits got numbers %v, want [1 2 3]", got)
		}
		attempts, err := ls.Attempts(ctx, e.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		var stored []int
		for _, a := range attempts {
			stored = append(stored, a.Number)
		}
		if !slices.Equal(stored, []int{1, 2, 3}) {
			t.Errorf("stored attempts numbered %v, want [1 2 3]", stored)
		}
	})
}

func TestActivityOwner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		s := db.NewCourseService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		c := learningCourse(t, d, "eigenaar")
		other := learningCourse(t, d, "andere")
		draft, err := s.Draft(ctx, c.ID, trainer.ID)
		if err != nil {
			t.Fatal(err)
		}
		type want struct{ course, version int64 }
		tests := []struct {
			name     string
			activity int64
			want     want
			wantCode string
		}{
			{"first lesson", c.Modules[0].Activities[0].ID, want{c.ID, c.VersionID}, ""},
			{"quiz in module two", activityOf(t, c, "tweede", "eindtoets").ID, want{c.ID, c.VersionID}, ""},
			{"the same activity in the draft", draft.Modules[0].Activities[0].ID, want{c.ID, draft.VersionID}, ""},
			{"another course", other.Modules[1].Activities[0].ID, want{other.ID, other.VersionID}, ""},
			{"unknown", 999999, want{}, courses.ENOTFOUND},
		}
		for _, tt := range tests {
			course, version, err := ls.ActivityOwner(ctx, tt.activity)
			if tt.wantCode != "" {
				codeIs(t, tt.name, err, tt.wantCode)
				continue
			}
			if err != nil || (want{course, version}) != tt.want {
				t.Errorf("%s: ActivityOwner got course %d version %d, %v; want %+v", tt.name, course, version, err, tt.want)
			}
		}
	})
}

func TestSetLastActivity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ls := db.NewLearningService(d)
		c := learningCourse(t, d, "hervatten")
		e := enrolNew(t, d, "leerling@example.nl", c.ID)
		for _, key := range []string{"eerste/b", "eerste/b", "tweede/c", "eerste/a"} {
			if err := ls.SetLastActivity(ctx, e.ID, key); err != nil {
				t.Fatalf("SetLastActivity(%s): %v", key, err)
			}
			got, err := ls.Enrolment(ctx, e.UserID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastActivity != key || got.Status() != "in_progress" || got.Done != 0 {
				t.Errorf("after SetLastActivity(%s): got last %q status %q done %d; want %q, in_progress, 0",
					key, got.LastActivity, got.Status(), got.Done, key)
			}
		}
	})
}
