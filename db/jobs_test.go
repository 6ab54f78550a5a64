package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// countJob is a test job: its worker counts attempts and runs per N, and
// fails the first Fail attempts.
type countJob struct {
	N    int `json:"n"`
	Fail int `json:"fail"`
}

func (countJob) Kind() string { return "test_count" }

type jobCounter struct {
	mu       sync.Mutex
	attempts map[int]int
	runs     map[int]int
	by       map[string]int // runs per client
}

func newJobCounter() *jobCounter {
	return &jobCounter{attempts: map[int]int{}, runs: map[int]int{}, by: map[string]int{}}
}

func (c *jobCounter) count(n int) (attempts, runs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts[n], c.runs[n]
}

type countWorker struct {
	river.WorkerDefaults[countJob]
	c      *jobCounter
	client string
}

func (w *countWorker) Work(ctx context.Context, job *river.Job[countJob]) error {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.attempts[job.Args.N]++
	if w.c.attempts[job.Args.N] <= job.Args.Fail {
		return fmt.Errorf("planned failure %d", w.c.attempts[job.Args.N])
	}
	w.c.runs[job.Args.N]++
	w.c.by[w.client]++
	return nil
}

// retrySoon retries a failed job after 20 ms instead of River's attempt⁴
// seconds, to keep the test short.
type retrySoon struct{}

func (retrySoon) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(20 * time.Millisecond) }

// startCountJobs starts a job queue on d whose worker counts into c; it is
// stopped when the test ends.
func startCountJobs(t *testing.T, d *db.DB, c *jobCounter, id string) *db.Jobs {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &countWorker{c: c, client: id})
	j, err := db.NewJobs(d, workers, db.JobsOptions{ID: id, Test: true, RetryPolicy: retrySoon{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", id, err)
		}
	})
	return j
}

// migrateJobs opens a migrated database with River's schema.
func migrateJobs(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	if err := d.MigrateJobs(context.Background()); err != nil {
		t.Fatalf("MigrateJobs: %v", err)
	}
	return d
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestJobsRollbackAndCommit: a job inserted in a transaction that rolls
// back never runs; one that commits runs once.
func TestJobsRollbackAndCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		migrateJobs(t, d)
		ctx := context.Background()
		c := newJobCounter()
		j := startCountJobs(t, d, c, "one")
		planned := errors.New("roll back")
		err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := j.InsertTx(ctx, tx, countJob{N: 1}, time.Time{}); err != nil {
				return err
			}
			return planned
		})
		if !errors.Is(err, planned) {
			t.Fatalf("rolled-back transaction: %v", err)
		}
		if err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return j.InsertTx(ctx, tx, countJob{N: 2}, time.Time{})
		}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 10*time.Second, "the committed job runs", func() bool { _, runs := c.count(2); return runs == 1 })
		time.Sleep(200 * time.Millisecond) // room for a wrong second run
		if attempts, _ := c.count(1); attempts != 0 {
			t.Errorf("the rolled-back job ran %d times", attempts)
		}
		if _, runs := c.count(2); runs != 1 {
			t.Errorf("the committed job ran %d times, want 1", runs)
		}
		// Match on arguments, not ids: SQLite reuses a rolled-back id.
		list, err := j.Client().JobList(ctx, river.NewJobListParams().Kinds("test_count").First(10))
		if err != nil {
			t.Fatal(err)
		}
		var args countJob
		if len(list.Jobs) == 1 {
			_ = json.Unmarshal(list.Jobs[0].EncodedArgs, &args)
		}
		if len(list.Jobs) != 1 || args.N != 2 {
			for _, job := range list.Jobs {
				t.Logf("job %d %s %s", job.ID, job.State, job.EncodedArgs)
			}
			t.Errorf("%d jobs stored, want only the committed one", len(list.Jobs))
		}
	})
}

// TestJobsSurviveRestart: a job committed by an instance that stops before
// working it is worked by the next one.
func TestJobsSurviveRestart(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			dsn := dbtest.NewDSN(t, kind)
			before, err := db.Open(dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := before.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			migrateJobs(t, before)
			j, err := db.NewJobs(before, nil, db.JobsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Insert(ctx, countJob{N: 5}, time.Time{}); err != nil {
				t.Fatal(err)
			}
			j.Close()
			before.Close()

			after, err := db.Open(dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { after.Close() })
			c := newJobCounter()
			startCountJobs(t, after, c, "after")
			waitUntil(t, 10*time.Second, "the job runs after the restart", func() bool { _, runs := c.count(5); return runs == 1 })
		})
	}
}

// TestJobsTwoInstances: two instances (each its own connection pool and
// River client on one database) start and migrate at once, then work 40
// jobs between them, each exactly once.
func TestJobsTwoInstances(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			dsn := dbtest.NewDSN(t, kind)
			var instances [2]*db.DB
			for i := range instances {
				d, err := db.Open(dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				instances[i] = d
			}
			if _, err := instances[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(instances))
			for i, d := range instances {
				wg.Go(func() { errs[i] = d.MigrateJobs(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("MigrateJobs on instance %d at once: %v", i, err)
				}
			}
			c := newJobCounter()
			a := startCountJobs(t, instances[0], c, "a")
			startCountJobs(t, instances[1], c, "b")
			const n = 40
			if err := instances[0].RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				for i := range n {
					if err := a.InsertTx(ctx, tx, countJob{N: i}, time.Time{}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			done := func() bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return len(c.runs) == n
			}
			waitUntil(t, 20*time.Second, "all jobs run", done)
			time.Sleep(200 * time.Millisecond)
			c.mu.Lock()
			defer c.mu.Unlock()
			for i := range n {
				if c.runs[i] != 1 || c.attempts[i] != 1 {
					t.Errorf("job %d: %d runs in %d attempts, want 1", i, c.runs[i], c.attempts[i])
				}
			}
			t.Logf("runs per instance: %v", c.by)
		})
	}
}

// TestJobsRetry: a failing job is retried until it succeeds, with its
// errors recorded.
func TestJobsRetry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		migrateJobs(t, d)
		ctx := context.Background()
		c := newJobCounter()
		j := startCountJobs(t, d, c, "one")
		if err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return j.InsertTx(ctx, tx, countJob{N: 7, Fail: 2}, time.Time{})
		}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 10*time.Second, "the job succeeds on its third attempt", func() bool { _, runs := c.count(7); return runs == 1 })
		if attempts, _ := c.count(7); attempts != 3 {
			t.Errorf("%d attempts, want 3", attempts)
		}
		var job *rivertype.JobRow
		waitUntil(t, 5*time.Second, "the job is completed", func() bool {
			list, err := j.Client().JobList(ctx, river.NewJobListParams().Kinds("test_count").States(rivertype.JobStateCompleted))
			if err != nil || len(list.Jobs) == 0 {
				return false
			}
			job = list.Jobs[0]
			return true
		})
		if job.Attempt != 3 || len(job.Errors) != 2 || job.Errors[1].Error != "planned failure 2" {
			t.Errorf("job row: attempt %d, errors %+v", job.Attempt, job.Errors)
		}
	})
}

// TestMigrateJobsIdempotent: River's schema applies once; a second run
// changes nothing.
func TestMigrateJobsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for range 2 {
			if err := d.MigrateJobs(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// scheduledJobs lists the jobs of kind waiting to run.
func scheduledJobs(t *testing.T, j *db.Jobs, kind string) []*rivertype.JobRow {
	t.Helper()
	list, err := j.Client().JobList(context.Background(), river.NewJobListParams().Kinds(kind).
		States(rivertype.JobStateScheduled, rivertype.JobStateAvailable).First(100))
	if err != nil {
		t.Fatal(err)
	}
	return list.Jobs
}

// TestJobsInsertUniqueReminders: a reminder is unique per registration or
// enrolment while it waits; inserting it for an earlier time moves it
// there, for a later time keeps it (the worker waits on when it runs
// early); a time past makes it due at once.
func TestJobsInsertUniqueReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		migrateJobs(t, d)
		ctx := context.Background()
		j, err := db.NewJobs(d, nil, db.JobsOptions{}) // insert-only
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(j.Close)
		insert := func(job courses.Job, runAt time.Time) {
			t.Helper()
			if err := j.Insert(ctx, job, runAt); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
		reminder := courses.SessionReminderJob{RegistrationID: 41}
		insert(reminder, at)
		insert(reminder, at)
		wantScheduled(t, j, "session_reminder", at)
		insert(reminder, at.Add(-2*time.Hour))
		wantScheduled(t, j, "session_reminder", at.Add(-2*time.Hour))
		insert(reminder, at)
		wantScheduled(t, j, "session_reminder", at.Add(-2*time.Hour))
		insert(reminder, time.Now().Add(-time.Hour))
		jobs := scheduledJobs(t, j, "session_reminder")
		if len(jobs) != 1 || jobs[0].State != rivertype.JobStateAvailable {
			t.Errorf("a reminder whose time has passed: %d jobs, want one available now", len(jobs))
		}
		// Confirmations and promotions are not unique: each announces an
		// event of its own.
		insert(courses.WaitlistPromotionJob{RegistrationID: 41}, time.Time{})
		insert(courses.WaitlistPromotionJob{RegistrationID: 41}, time.Time{})
		if n := len(scheduledJobs(t, j, "waitlist_promotion")); n != 2 {
			t.Errorf("%d promotions, want 2", n)
		}
	})
}

// TestServicesScheduleJobs: the learning service, given the queue, puts
// its follow-up jobs in River within its own transactions: the session
// reminder due courses.SessionReminderBefore the start (the clock is
// injected), at once for a session less than a day ahead, the promotion of
// the first on the waiting list when a place frees up, and the deadline
// reminder a week ahead.
func TestServicesScheduleJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		migrateJobs(t, d)
		ctx := context.Background()
		now := time.Now().Truncate(time.Second)
		d.Now = func() time.Time { return now }
		j, err := db.NewJobs(d, nil, db.JobsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(j.Close)
		starts := time.Date(now.Year()+1, 3, 14, 19, 30, 0, 0, courses.Amsterdam)
		saveJobCourse(t, d, jobCourse("begroting", starts, false))
		courseID := mustCourseID(t, d, "begroting")
		ls := db.NewLearningService(d)
		ls.SetJobs(j)
		learner := func(email string) *courses.User {
			u := jobUser(t, d, email, "nl")
			if _, _, err := ls.Enrol(ctx, u.ID, courseID); err != nil {
				t.Fatal(err)
			}
			return u
		}
		meeting := &courses.Meeting{StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Capacity: 1}
		first, second := learner("een@example.nl"), learner("twee@example.nl")
		if _, err := ls.Register(ctx, first.ID, courseID, "basis/avond", meeting); err != nil {
			t.Fatal(err)
		}
		if r, err := ls.Register(ctx, second.ID, courseID, "basis/avond", meeting); err != nil || r.Status != courses.Waiting {
			t.Fatalf("second registration: %v %v", r, err)
		}
		reminderAt := starts.Add(-courses.SessionReminderBefore)
		if got := reminderAt.In(courses.Amsterdam); got.Day() != 13 || got.Hour() != 19 || got.Minute() != 30 {
			t.Errorf("reminder at %s, want 13 March 19:30 Amsterdam time", got)
		}
		wantScheduled(t, j, "session_reminder", reminderAt)
		if err := ls.CancelRegistration(ctx, first.ID, courseID, "basis/avond"); err != nil {
			t.Fatal(err)
		}
		if n := len(scheduledJobs(t, j, "waitlist_promotion")); n != 1 {
			t.Errorf("%d promotions after a place freed up, want 1", n)
		}

		// The evening before the session, the place is free again and taken:
		// the reminder is due at once.
		d.Now = func() time.Time { return starts.Add(-3 * time.Hour) }
		if err := ls.CancelRegistration(ctx, second.ID, courseID, "basis/avond"); err != nil {
			t.Fatal(err)
		}
		late := learner("laat@example.nl")
		if r, err := ls.Register(ctx, late.ID, courseID, "basis/avond", meeting); err != nil || r.Status != courses.Registered {
			t.Fatalf("late registration: %v %v", r, err)
		}
		available := 0
		for _, job := range scheduledJobs(t, j, "session_reminder") {
			if job.State == rivertype.JobStateAvailable {
				available++
			}
		}
		// One for the late registration; one scheduled when the second
		// learner moved up from the waiting list (its worker waits until
		// the day before, and skips it now that it is cancelled).
		if available != 2 {
			t.Errorf("%d reminders due at once for a session three hours ahead, want 2", available)
		}

		d.Now = func() time.Time { return now }
		deadline := time.Date(now.Year()+1, 6, 1, 23, 59, 59, 0, courses.Amsterdam)
		u := jobUser(t, d, "termijn@example.nl", "nl")
		if _, _, err := ls.EnrolAs(ctx, courses.EnrolRequest{UserID: u.ID, CourseID: courseID, Source: courses.SourceTrainer, Deadline: &deadline}); err != nil {
			t.Fatal(err)
		}
		wantScheduled(t, j, "deadline_reminder", deadline.Add(-courses.DeadlineReminderBefore))
		if n := len(scheduledJobs(t, j, "enrolment_confirmation")); n != 1 {
			t.Errorf("%d confirmations of an enrolment by a trainer, want 1", n)
		}
	})
}

// wantScheduled checks the times of the jobs of kind that wait.
func wantScheduled(t *testing.T, j *db.Jobs, kind string, want ...time.Time) {
	t.Helper()
	got := scheduledJobs(t, j, kind)
	if len(got) != len(want) {
		t.Fatalf("%s: %d jobs waiting, want %d", kind, len(got), len(want))
	}
	for i := range want {
		if !got[i].ScheduledAt.Equal(want[i]) {
			t.Errorf("%s: scheduled at %s, want %s", kind, got[i].ScheduledAt, want[i].UTC())
		}
	}
}

// ---- fixtures: a learner, a published course with a session ----

func jobUser(t *testing.T, d *db.DB, email, language string) *courses.User {
	t.Helper()
	u, err := db.NewUserService(d).CreateUser(context.Background(), &courses.NewUser{
		Email: email, Name: "Lerner " + language, Role: courses.RoleLearner, Language: language, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// jobCourse is a course with a lesson and a session; changed adds a lesson.
func jobCourse(slug string, starts time.Time, changed bool) *courses.Course {
	c := &courses.Course{Slug: slug, Title: "Grip op de begroting", Summary: "Samenvatting.", Description: "Beschrijving.",
		Audience: []courses.Office{courses.Raadslid}, Topics: []courses.Topic{"financien"}, StudyHours: 2,
		Level: courses.LevelBasis, Language: "nl", Version: 1, ValidityMonths: 24,
		Modules: []courses.Module{{Position: 1, Slug: "basis", Title: "Basis", Activities: []courses.Activity{
			{Position: 1, Slug: "les", Kind: courses.KindLesson, Title: "Les", Minutes: 10, Body: "Tekst"},
			{Position: 2, Slug: "avond", Kind: courses.KindSession, Title: "Oefenavond", Minutes: 120, Body: "Samen oefenen.",
				Meeting: &courses.Meeting{StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Location: "Raadzaal", Capacity: 20}},
		}}},
	}
	if changed {
		c.Version = 2
		c.Modules[0].Activities = append(c.Modules[0].Activities,
			courses.Activity{Position: 3, Slug: "nieuw", Kind: courses.KindLesson, Title: "Nieuw", Minutes: 10, Body: "Nieuw"})
	}
	return c
}

func saveJobCourse(t *testing.T, d *db.DB, c *courses.Course) {
	t.Helper()
	if err := db.NewCourseService(d).SaveCourse(context.Background(), c, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatalf("save course: %v %v", err, courses.ErrorProblems(err))
	}
}

func jobsExec(t *testing.T, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.NewRaw(query, args...).Exec(context.Background()); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func jobsRegister(t *testing.T, d *db.DB, courseID, userID int64, key, status string) int64 {
	t.Helper()
	var id int64
	now := time.Now().UTC()
	if err := d.NewRaw(`INSERT INTO session_registrations (course_id, activity_key, user_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, courseID, key, userID, status, now, now).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestJobFacts: the facts the workers read, from the current state.
func TestJobFacts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		starts := time.Date(2031, 3, 14, 19, 30, 0, 0, courses.Amsterdam)
		saveJobCourse(t, d, jobCourse("begroting", starts, false))
		u := jobUser(t, d, "sam@example.nl", "en")
		e, _, err := db.NewLearningService(d).Enrol(ctx, u.ID, mustCourseID(t, d, "begroting"))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.NewLearningService(d).CompleteActivity(ctx, e.ID, "basis/les"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
		jobsExec(t, d, "UPDATE enrolments SET deadline = ? WHERE id = ?", deadline, e.ID)
		f, err := d.EnrolmentFacts(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.Email != "sam@example.nl" || f.Language != "en" || !f.Active || f.Title != "Grip op de begroting" || f.Slug != "begroting" ||
			f.Deadline == nil || !f.Deadline.Equal(deadline) || f.Done != 1 || f.Total != 2 || f.PublishedVersionID != e.VersionID || f.PublishedNumber != 1 {
			t.Errorf("enrolment facts: %+v", f)
		}
		if _, err := d.EnrolmentFacts(ctx, e.ID+100); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("a missing enrolment: %v, want ENOTFOUND", err)
		}

		id := jobsRegister(t, d, e.CourseID, u.ID, "basis/avond", courses.Registered)
		r, err := d.RegistrationFacts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Found || r.Session != "Oefenavond" || !r.StartsAt.Equal(starts) || !r.EndsAt.Equal(starts.Add(2*time.Hour)) ||
			r.Location != "Raadzaal" || r.Status != courses.Registered || r.CourseTitle != "Grip op de begroting" || r.Language != "en" {
			t.Errorf("registration facts: %+v", r)
		}
		// A key the published version lacks: no session found.
		other := jobsRegister(t, d, e.CourseID, jobUser(t, d, "kim@example.nl", "nl").ID, "basis/weg", courses.Registered)
		if r, err := d.RegistrationFacts(ctx, other); err != nil || r.Found {
			t.Errorf("a removed session: found %v, %v", r.Found, err)
		}
	})
}

func mustCourseID(t *testing.T, d *db.DB, slug string) int64 {
	t.Helper()
	c, err := db.NewCourseService(d).CourseBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestJobRules: when each reminder applies, is due, or waits.
func TestJobRules(t *testing.T) {
	now := time.Date(2031, 5, 20, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	active := db.JobRecipient{Active: true}
	day := 24 * time.Hour
	deadline := []struct {
		name string
		f    db.EnrolmentFacts
		send bool
		wait time.Duration
	}{
		{"due", db.EnrolmentFacts{JobRecipient: active, Deadline: at(7 * day)}, true, 0},
		{"due, run a little late", db.EnrolmentFacts{JobRecipient: active, Deadline: at(6 * day)}, true, 0},
		{"deadline moved later", db.EnrolmentFacts{JobRecipient: active, Deadline: at(9 * day)}, false, 2 * day},
		{"deadline past", db.EnrolmentFacts{JobRecipient: active, Deadline: at(-time.Hour)}, false, 0},
		{"no deadline", db.EnrolmentFacts{JobRecipient: active}, false, 0},
		{"completed", db.EnrolmentFacts{JobRecipient: active, Deadline: at(7 * day), CompletedAt: at(-day)}, false, 0},
		{"withdrawn", db.EnrolmentFacts{JobRecipient: active, Deadline: at(7 * day), WithdrawnAt: at(-day)}, false, 0},
		{"account deactivated", db.EnrolmentFacts{Deadline: at(7 * day)}, false, 0},
		{"reminded already", db.EnrolmentFacts{JobRecipient: active, Deadline: at(6 * day), RemindedAt: at(-day)}, false, 0},
		{"reminded of an earlier deadline", db.EnrolmentFacts{JobRecipient: active, Deadline: at(7 * day), RemindedAt: at(-20 * day)}, true, 0},
	}
	for _, tt := range deadline {
		if send, wait := tt.f.DeadlineReminder(now); send != tt.send || wait != tt.wait {
			t.Errorf("deadline reminder, %s: %v %s, want %v %s", tt.name, send, wait, tt.send, tt.wait)
		}
	}
	recert := []struct {
		name string
		f    db.EnrolmentFacts
		send bool
		wait time.Duration
	}{
		{"due", db.EnrolmentFacts{JobRecipient: active, ExpiresAt: at(60 * day), PublishedVersionID: 3}, true, 0},
		{"expired already", db.EnrolmentFacts{JobRecipient: active, ExpiresAt: at(-day), PublishedVersionID: 3}, true, 0},
		{"early", db.EnrolmentFacts{JobRecipient: active, ExpiresAt: at(61 * day), PublishedVersionID: 3}, false, day},
		{"no expiry", db.EnrolmentFacts{JobRecipient: active, PublishedVersionID: 3}, false, 0},
		{"course not published", db.EnrolmentFacts{JobRecipient: active, ExpiresAt: at(60 * day)}, false, 0},
		{"withdrawn", db.EnrolmentFacts{JobRecipient: active, ExpiresAt: at(60 * day), PublishedVersionID: 3, WithdrawnAt: at(-day)}, false, 0},
	}
	for _, tt := range recert {
		if send, wait := tt.f.Recertification(now); send != tt.send || wait != tt.wait {
			t.Errorf("recertification, %s: %v %s, want %v %s", tt.name, send, wait, tt.send, tt.wait)
		}
	}
	reg := func(status string, starts time.Duration) db.RegistrationFacts {
		return db.RegistrationFacts{JobRecipient: active, Status: status, Found: true, StartsAt: now.Add(starts)}
	}
	session := []struct {
		name string
		f    db.RegistrationFacts
		send bool
		wait time.Duration
	}{
		{"due", reg(courses.Registered, day), true, 0},
		{"registered late", reg(courses.Registered, 3*time.Hour), true, 0},
		{"moved later", reg(courses.Registered, 2*day), false, day},
		{"started", reg(courses.Registered, -time.Minute), false, 0},
		{"cancelled", reg(courses.Cancelled, day), false, 0},
		{"waiting", reg(courses.Waiting, day), false, 0},
		{"session removed", db.RegistrationFacts{JobRecipient: active, Status: courses.Registered, StartsAt: now.Add(day)}, false, 0},
	}
	for _, tt := range session {
		if send, wait := tt.f.SessionReminder(now); send != tt.send || wait != tt.wait {
			t.Errorf("session reminder, %s: %v %s, want %v %s", tt.name, send, wait, tt.send, tt.wait)
		}
	}
}

// TestJobsReEnrolForRecertification: a learner whose certificate expires is
// moved to the published version with the completion cleared and the
// progress kept; only when expires_at is set, not withdrawn, and the
// course still published.
func TestJobsReEnrolForRecertification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		starts := time.Date(2031, 3, 14, 19, 30, 0, 0, courses.Amsterdam)
		saveJobCourse(t, d, jobCourse("begroting", starts, false))
		courseID := mustCourseID(t, d, "begroting")
		learning := db.NewLearningService(d)
		enrol := func(email string) *courses.Enrolment {
			t.Helper()
			e, _, err := learning.Enrol(ctx, jobUser(t, d, email, "nl").ID, courseID)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"basis/les", "basis/avond"} {
				if err := learning.CompleteActivity(ctx, e.ID, key); err != nil {
					t.Fatal(err)
				}
			}
			completed, expires := time.Date(2029, 5, 1, 10, 0, 0, 0, time.UTC), time.Date(2031, 5, 1, 10, 0, 0, 0, time.UTC)
			jobsExec(t, d, "UPDATE enrolments SET completed_at = ?, completion_kind = 'rule', expires_at = ? WHERE id = ?", completed, expires, e.ID)
			return e
		}
		e := enrol("ana@example.nl")
		withdrawn := enrol("bo@example.nl")
		jobsExec(t, d, "UPDATE enrolments SET withdrawn_at = ? WHERE id = ?", time.Now().UTC(), withdrawn.ID)
		notExpiring := enrol("cas@example.nl")
		jobsExec(t, d, "UPDATE enrolments SET expires_at = NULL WHERE id = ?", notExpiring.ID)

		saveJobCourse(t, d, jobCourse("begroting", starts, true))
		v2, err := db.NewCourseService(d).CourseBySlug(ctx, "begroting")
		if err != nil || v2.VersionID == e.VersionID {
			t.Fatalf("version 2: %v %v", v2, err)
		}
		if ok, err := d.ReEnrolForRecertification(ctx, e.ID); !ok || err != nil {
			t.Fatalf("re-enrol: %v %v", ok, err)
		}
		f, err := d.EnrolmentFacts(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.CompletedAt != nil || f.ExpiresAt != nil || f.Title != v2.Title || f.Total != 3 || f.Done != 2 {
			t.Errorf("after re-enrolment: completed %v, expires %v, %d of %d done", f.CompletedAt, f.ExpiresAt, f.Done, f.Total)
		}
		got, err := learning.Enrolment(ctx, f.UserID, courseID)
		if err != nil || got.VersionID != v2.VersionID {
			t.Errorf("enrolled in version %d, want %d (%v)", got.VersionID, v2.VersionID, err)
		}
		if ok, err := d.ReEnrolForRecertification(ctx, e.ID); ok || err != nil {
			t.Errorf("re-enrolled twice: %v %v", ok, err)
		}
		for name, id := range map[string]int64{"withdrawn": withdrawn.ID, "no expiry": notExpiring.ID, "unknown": e.ID + 100} {
			if ok, err := d.ReEnrolForRecertification(ctx, id); ok || err != nil {
				t.Errorf("%s: re-enrolled %v %v", name, ok, err)
			}
		}
		// A course no longer published: nobody is re-enrolled in it.
		other := enrol("dirk@example.nl")
		jobsExec(t, d, "UPDATE course_versions SET state = 'retired' WHERE course_id = ?", courseID)
		if ok, err := d.ReEnrolForRecertification(ctx, other.ID); ok || err != nil {
			t.Errorf("unpublished course: re-enrolled %v %v", ok, err)
		}
	})
}

// TestCommitJobMail: the check decides in the transaction whether the mail
// is enqueued, together with the change it makes.
func TestCommitJobMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		saveJobCourse(t, d, jobCourse("begroting", time.Date(2031, 3, 14, 19, 30, 0, 0, courses.Amsterdam), false))
		e, _, err := db.NewLearningService(d).Enrol(ctx, jobUser(t, d, "ana@example.nl", "nl").ID, mustCourseID(t, d, "begroting"))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2031, 5, 25, 9, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		jobsExec(t, d, "UPDATE enrolments SET deadline = ? WHERE id = ?", now.Add(7*24*time.Hour), e.ID)
		job := &river.Job[courses.DeadlineReminderJob]{Args: courses.DeadlineReminderJob{EnrolmentID: e.ID}}
		mail := func() *courses.Mail {
			return &courses.Mail{To: "ana@example.nl", Subject: "Herinnering", Text: "t", HTML: "h"}
		}
		for i, want := range []bool{true, false} { // the second time: reminded already
			sent, err := db.CommitJobMail(ctx, d, job, db.CheckDeadlineReminder(e.ID), mail())
			if err != nil || sent != want {
				t.Errorf("commit %d: sent %v (%v), want %v", i, sent, err, want)
			}
		}
		f, _ := d.EnrolmentFacts(ctx, e.ID)
		if f.RemindedAt == nil || !f.RemindedAt.Equal(now) {
			t.Errorf("reminded at %v, want %s", f.RemindedAt, now)
		}
		list, err := db.NewOutbox(d).Mails(ctx, 10)
		if err != nil || len(list) != 1 {
			t.Errorf("%d mails in the outbox, want 1 (%v)", len(list), err)
		}
	})
}
