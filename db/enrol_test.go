package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"github.com/uptrace/bun"
)

// jobLog is a JobInserter that remembers what was scheduled, and when.
type jobLog struct {
	mu   sync.Mutex
	jobs []scheduled
}

type scheduled struct {
	job   courses.Job
	runAt time.Time
}

func (j *jobLog) InsertTx(ctx context.Context, tx bun.Tx, job courses.Job, runAt time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.jobs = append(j.jobs, scheduled{job, runAt})
	return nil
}

func (j *jobLog) kinds() map[string]int {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := map[string]int{}
	for _, s := range j.jobs {
		out[s.job.Kind()]++
	}
	return out
}

// publishedCourse saves c published with a validity of 48 months.
func publishedCourse(t *testing.T, d *db.DB, c *courses.Course) *courses.Course {
	t.Helper()
	c.ValidityMonths = 48
	if err := db.NewCourseService(d).SaveCourse(context.Background(), c, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCompletionRule completes a course by doing every activity: lessons,
// the quiz (passed) and the session (attended). It completes once, with
// its time and the certificate's expiry, and schedules the
// recertification 60 days before that.
func TestCompletionRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, richCourse("voltooien", "Voltooien"))
		jobs := &jobLog{}
		ls := db.NewLearningService(d)
		ls.SetJobs(jobs)
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		e, _, err := ls.Enrol(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var quiz *courses.Activity
		var sessionKey string
		for _, s := range c.Activities() {
			key := courses.Key(s.Module.Slug, s.Activity.Slug)
			switch s.Activity.Kind {
			case courses.KindLesson:
				if err := ls.CompleteActivity(ctx, e.ID, key); err != nil {
					t.Fatal(err)
				}
			case courses.KindQuiz:
				quiz = s.Activity
				answers := []courses.Answer{}
				for _, q := range quiz.Quiz.Questions {
					var ids []int64
					for _, o := range q.Options {
						if o.Correct {
							ids = append(ids, o.ID)
						}
					}
					answers = append(answers, courses.Answer{QuestionID: q.ID, OptionIDs: ids})
				}
				if _, err := ls.SubmitAttempt(ctx, e.ID, key, quiz, answers); err != nil {
					t.Fatal(err)
				}
			case courses.KindSession:
				sessionKey = key
			}
		}
		if got, _ := ls.EnrolmentByID(ctx, e.ID); got.CompletedAt != nil {
			t.Fatalf("completed before the session was attended: %v", got.CompletedAt)
		}
		// The session: a place, then attendance marked by the trainer.
		m := c.Activities()[len(c.Activities())-1].Activity.Meeting
		d.Now = func() time.Time { return now } // before the session
		if _, err := ls.Register(ctx, u.ID, c.ID, sessionKey, m); err != nil {
			t.Fatal(err)
		}
		later := now.Add(24 * time.Hour)
		d.Now = func() time.Time { return later }
		if n, err := ls.MarkAttendance(ctx, c.ID, sessionKey, nil, u.ID); err != nil || n != 1 {
			t.Fatalf("MarkAttendance: %d, %v", n, err)
		}
		got, _ := ls.EnrolmentByID(ctx, e.ID)
		if got.CompletedAt == nil || !got.CompletedAt.Equal(later) || got.CompletionKind != courses.CompletionRule {
			t.Fatalf("after the last activity: completed %v kind %q, want %v by rule", got.CompletedAt, got.CompletionKind, later)
		}
		if want := later.AddDate(0, 48, 0); got.ExpiresAt == nil || !got.ExpiresAt.Equal(want) {
			t.Errorf("expires %v, want %v", got.ExpiresAt, want)
		}
		if got.Status() != "completed" || got.Progress() != 100 {
			t.Errorf("status %q progress %d", got.Status(), got.Progress())
		}
		// Marking again changes nothing: completed once.
		d.Now = func() time.Time { return later.Add(time.Hour) }
		if _, err := ls.MarkAttendance(ctx, c.ID, sessionKey, nil, u.ID); err != nil {
			t.Fatal(err)
		}
		again, _ := ls.EnrolmentByID(ctx, e.ID)
		if !again.CompletedAt.Equal(later) {
			t.Errorf("completion time moved to %v", again.CompletedAt)
		}
		kinds := jobs.kinds()
		if kinds["recertification"] != 1 || kinds["session_reminder"] != 1 {
			t.Errorf("scheduled jobs %v, want one recertification and one session reminder", kinds)
		}
		for _, s := range jobs.jobs {
			if s.job.Kind() == "recertification" && !s.runAt.Equal(later.AddDate(0, 48, 0).Add(-courses.RecertificationBefore)) {
				t.Errorf("recertification at %v", s.runAt)
			}
			if s.job.Kind() == "session_reminder" && !s.runAt.Equal(m.StartsAt.Add(-courses.SessionReminderBefore)) {
				t.Errorf("session reminder at %v, want %v", s.runAt, m.StartsAt.Add(-courses.SessionReminderBefore))
			}
		}
	})
}

// TestConcurrentLastCompletions: 64 requests complete the same last lesson
// of one learner at once (several tabs, retries). One progress row, one
// completion, no error at all (no "database is locked" on SQLite).
func TestConcurrentLastCompletions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := publishedCourse(t, d, sampleCourse("snel", "Snel", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		jobs := &jobLog{}
		ls := db.NewLearningService(d)
		ls.SetJobs(jobs)
		u := newUser(t, d, "snel@example.nl", courses.RoleLearner)
		e, _, _ := ls.Enrol(ctx, u.ID, c.ID)
		steps := c.Activities()
		for _, s := range steps[:len(steps)-1] {
			if err := ls.CompleteActivity(ctx, e.ID, courses.Key(s.Module.Slug, s.Activity.Slug)); err != nil {
				t.Fatal(err)
			}
		}
		last := steps[len(steps)-1]
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- ls.CompleteActivity(ctx, e.ID, courses.Key(last.Module.Slug, last.Activity.Slug))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("CompleteActivity: %v", err)
			}
		}
		if n := countRows(t, d, "activity_progress", "enrolment_id = ?", e.ID); n != len(steps) {
			t.Errorf("progress rows: got %d, want %d", n, len(steps))
		}
		if got := jobs.kinds()["recertification"]; got != 1 {
			t.Errorf("completions followed up: %d, want exactly 1", got)
		}
		if got, _ := ls.EnrolmentByID(ctx, e.ID); got.CompletedAt == nil {
			t.Error("not completed")
		}
	})
}

// TestManualCompletion needs a reason, completes once, and an admin can
// take it back; the progress stays.
func TestManualCompletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := publishedCourse(t, d, sampleCourse("hand", "Met de hand", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ls := db.NewLearningService(d)
		u := newUser(t, d, "hand@example.nl", courses.RoleLearner)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		e, _, _ := ls.Enrol(ctx, u.ID, c.ID)
		if _, _, err := ls.CompleteManually(ctx, e.ID, trainer.ID, " "); courses.ErrorCode(err) != courses.EINVALID {
			t.Errorf("without a reason: %v, want EINVALID", err)
		}
		got, done, err := ls.CompleteManually(ctx, e.ID, trainer.ID, "Aanwezig bij de fysieke training op 12 mei")
		if err != nil || !done || got.CompletionKind != courses.CompletionManual || got.CompletedBy != trainer.ID || got.CompletionReason == "" {
			t.Fatalf("CompleteManually: %+v done %v err %v", got, done, err)
		}
		if _, done, _ := ls.CompleteManually(ctx, e.ID, trainer.ID, "Nog een keer"); done {
			t.Error("a second manual completion completed again")
		}
		if err := ls.UndoCompletion(ctx, e.ID, 0); err != nil {
			t.Fatal(err)
		}
		if got, _ := ls.EnrolmentByID(ctx, e.ID); got.CompletedAt != nil || got.CompletionKind != "" {
			t.Errorf("after undo: %+v", got)
		}
		if err := ls.UndoCompletion(ctx, e.ID, 0); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("undo of nothing: %v, want ENOTFOUND", err)
		}
	})
}

// TestWithdrawAndComeBack keeps progress across a withdrawal, and schedules
// the deadline reminder and the confirmation of an enrolment by a trainer.
func TestWithdrawAndComeBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, sampleCourse("terug", "Terug", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		jobs := &jobLog{}
		ls := db.NewLearningService(d)
		ls.SetJobs(jobs)
		u := newUser(t, d, "terug@example.nl", courses.RoleLearner)
		trainer := newUser(t, d, "t@example.nl", courses.RoleTrainer)
		deadline := time.Date(2026, 6, 30, 21, 59, 59, 0, time.UTC)
		e, created, err := ls.EnrolAs(ctx, courses.EnrolRequest{UserID: u.ID, CourseID: c.ID, Source: courses.SourceTrainer, By: trainer.ID, Deadline: &deadline})
		if err != nil || !created || e.Source != courses.SourceTrainer || e.Deadline == nil || !e.Deadline.Equal(deadline) {
			t.Fatalf("EnrolAs: %+v %v %v", e, created, err)
		}
		if k := jobs.kinds(); k["enrolment_confirmation"] != 1 || k["deadline_reminder"] != 1 {
			t.Errorf("jobs %v", k)
		}
		first := c.Activities()[0]
		if err := ls.CompleteActivity(ctx, e.ID, courses.Key(first.Module.Slug, first.Activity.Slug)); err != nil {
			t.Fatal(err)
		}
		if err := ls.Withdraw(ctx, u.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := ls.Enrolments(ctx, u.ID); len(list) != 0 {
			t.Errorf("withdrawn enrolment still listed: %+v", list)
		}
		if err := ls.Withdraw(ctx, u.ID, c.ID); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("withdrawing twice: %v", err)
		}
		back, created, err := ls.Enrol(ctx, u.ID, c.ID)
		if err != nil || !created || back.ID != e.ID || back.Done != 1 {
			t.Errorf("back: %+v created %v err %v; want the same enrolment with its progress", back, created, err)
		}
		if _, created, _ := ls.Enrol(ctx, u.ID, c.ID); created {
			t.Error("enrolling while enrolled reports created")
		}
	})
}

// TestRaceForTheLastPlace: two learners register for the last place at
// once; one gets it, the other waits. When the one with the place cancels,
// the waiting one moves up.
func TestRaceForTheLastPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := publishedCourse(t, d, richCourse("plaats", "De laatste plaats"))
		jobs := &jobLog{}
		ls := db.NewLearningService(d)
		ls.SetJobs(jobs)
		var key string
		var m *courses.Meeting
		for _, s := range c.Activities() {
			if s.Activity.Kind == courses.KindSession {
				key, m = courses.Key(s.Module.Slug, s.Activity.Slug), s.Activity.Meeting
			}
		}
		one := *m
		one.Capacity = 1
		d.Now = func() time.Time { return m.StartsAt.Add(-72 * time.Hour) }
		a := newUser(t, d, "a@example.nl", courses.RoleLearner)
		b := newUser(t, d, "b@example.nl", courses.RoleLearner)
		for _, u := range []*courses.User{a, b} {
			if _, _, err := ls.Enrol(ctx, u.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		regs := make([]*courses.Registration, 2)
		var wg sync.WaitGroup
		for i, u := range []*courses.User{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := ls.Register(ctx, u.ID, c.ID, key, &one)
				if err != nil {
					t.Errorf("Register: %v", err)
				}
				regs[i] = r
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if regs[0].Status == regs[1].Status {
			t.Fatalf("both %q; want one place and one waiting", regs[0].Status)
		}
		winner, waiter := a, b
		if regs[1].Status == courses.Registered {
			winner, waiter = b, a
		}
		w, _ := ls.Registration(ctx, waiter.ID, c.ID, key)
		if w.Status != courses.Waiting || w.Position != 1 {
			t.Errorf("waiting: %+v", w)
		}
		if err := ls.CancelRegistration(ctx, winner.ID, c.ID, key); err != nil {
			t.Fatal(err)
		}
		w, _ = ls.Registration(ctx, waiter.ID, c.ID, key)
		if w.Status != courses.Registered {
			t.Errorf("after the cancellation the waiting learner is %q, want registered", w.Status)
		}
		if k := jobs.kinds(); k["waitlist_promotion"] != 1 {
			t.Errorf("jobs %v, want one waiting-list promotion", k)
		}
		if n := countRows(t, d, "session_seats", "course_id = ? AND taken = 1", c.ID); n != 1 {
			t.Errorf("seats taken: want exactly 1 of 1")
		}
	})
}

// TestEnrolmentKeys: a key for two enrols two of three learners racing
// for it; a revoked or expired key says so; using a key when enrolled
// uses nothing.
func TestEnrolmentKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, sampleCourse("sleutel", "Sleutel", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ls := db.NewLearningService(d)
		griffier := newUser(t, d, "griffier@example.nl", courses.RoleTrainer)
		k := &courses.EnrolmentKey{CourseID: c.ID, Label: "Raad van Utrecht", ExpiresAt: now.Add(30 * 24 * time.Hour), MaxUses: 2}
		if err := ls.CreateKey(ctx, k, griffier.ID); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make(chan error, 3)
		for i := range 3 {
			u := newUser(t, d, "raadslid"+string(rune('a'+i))+"@example.nl", courses.RoleLearner)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := ls.RedeemKey(ctx, u.ID, " "+k.Code[:4]+" "+k.Code[5:]) // typed loosely
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		ok, usedUp := 0, 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case len(courses.ErrorProblems(err)) == 1 && courses.ErrorProblems(err)[0].Key == courses.ProblemKeyUsedUp:
				usedUp++
			default:
				t.Errorf("RedeemKey: %v", err)
			}
		}
		if ok != 2 || usedUp != 1 {
			t.Errorf("%d enrolled and %d refused as used up; want 2 and 1", ok, usedUp)
		}
		keys, _ := ls.Keys(ctx, c.ID)
		if len(keys) != 1 || keys[0].Uses != 2 {
			t.Errorf("keys: %+v", keys)
		}
		for _, tt := range []struct {
			name, code, want string
		}{
			{"unknown", "AAAA-BBBB-CCCC", courses.ProblemKeyUnknown},
		} {
			u := newUser(t, d, tt.name+"@example.nl", courses.RoleLearner)
			if _, _, err := ls.RedeemKey(ctx, u.ID, tt.code); len(courses.ErrorProblems(err)) != 1 || courses.ErrorProblems(err)[0].Key != tt.want {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
			}
		}
		if err := ls.RevokeKey(ctx, c.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		late := newUser(t, d, "laat@example.nl", courses.RoleLearner)
		if _, _, err := ls.RedeemKey(ctx, late.ID, k.Code); len(courses.ErrorProblems(err)) != 1 || courses.ErrorProblems(err)[0].Key != courses.ProblemKeyRevoked {
			t.Errorf("revoked: %v", err)
		}
		k2 := &courses.EnrolmentKey{CourseID: c.ID, ExpiresAt: now.Add(time.Hour)}
		if err := ls.CreateKey(ctx, k2, griffier.ID); err != nil {
			t.Fatal(err)
		}
		d.Now = func() time.Time { return now.Add(2 * time.Hour) }
		if _, _, err := ls.RedeemKey(ctx, late.ID, k2.Code); len(courses.ErrorProblems(err)) != 1 || courses.ErrorProblems(err)[0].Key != courses.ProblemKeyExpired {
			t.Errorf("expired: %v", err)
		}
	})
}
