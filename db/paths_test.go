package db_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// pathCourses publishes a sample course (three lessons: eerste/a,
// eerste/b, tweede/c) per slug and returns them by slug.
func pathCourses(t *testing.T, d *db.DB, slugs ...string) map[string]*courses.Course {
	t.Helper()
	out := map[string]*courses.Course{}
	for _, slug := range slugs {
		c := sampleCourse(slug, "Cursus "+slug, []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"})
		if err := db.NewCourseService(d).SaveCourse(context.Background(), c, courses.ImportOptions{Publish: true}); err != nil {
			t.Fatalf("SaveCourse(%s): %v", slug, err)
		}
		out[slug] = c
	}
	return out
}

// newPath returns a valid path of the given courses, as if read from
// _leerpaden/NN-slug.md with the courses on line 5.
func newPath(slug string, courseSlugs ...string) *courses.LearningPath {
	p := &courses.LearningPath{Slug: slug, Title: "Leerpad " + slug, Summary: "Een samenvatting van " + slug,
		Description: "Wat u leert in " + slug + ".", Audience: []courses.Office{courses.Wethouder, courses.Raadslid},
		File: "_leerpaden/01-" + slug + ".md", CoursesLine: 5}
	for _, s := range courseSlugs {
		p.Courses = append(p.Courses, courses.PathCourse{Slug: s})
	}
	return p
}

// pathSlugs returns the course slugs of a stored path, in order, with
// their positions checked.
func pathSlugs(t *testing.T, p *courses.LearningPath) []string {
	t.Helper()
	var out []string
	for i, c := range p.Courses {
		if c.Position != i+1 {
			t.Errorf("%s: course %s at position %d, want %d", p.Slug, c.Slug, c.Position, i+1)
		}
		out = append(out, c.Slug)
	}
	return out
}

func mustPath(t *testing.T, ps *db.PathService, slug string, userID int64) *courses.LearningPath {
	t.Helper()
	p, err := ps.PathBySlug(context.Background(), slug, userID)
	if err != nil {
		t.Fatalf("PathBySlug(%s, %d): %v", slug, userID, err)
	}
	return p
}

func TestSavePaths(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ps := db.NewPathService(d)
		cs := pathCourses(t, d, "a", "b", "c")
		first := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return first }

		if err := ps.SavePaths(ctx, []*courses.LearningPath{newPath("raad", "b", "a", "c"), newPath("griffie", "c")}); err != nil {
			t.Fatalf("SavePaths: %v %q", err, courses.ErrorProblems(err))
		}
		list, err := ps.Paths(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var slugs []string
		for _, p := range list {
			slugs = append(slugs, p.Slug)
		}
		if want := []string{"raad", "griffie"}; !slices.Equal(slugs, want) {
			t.Fatalf("Paths = %q, want %q (the order they were saved in)", slugs, want)
		}
		raad := list[0]
		if got, want := pathSlugs(t, raad), []string{"b", "a", "c"}; !slices.Equal(got, want) {
			t.Errorf("courses = %q, want %q", got, want)
		}
		if c := raad.Courses[0]; c.CourseID != cs["b"].ID || c.Title != "Cursus b" || !c.Published || c.StudyHours != 2.5 || c.Enrolled || c.Completed() {
			t.Errorf("first course = %+v, want course b, published, 2,5 hours, no learner state", c)
		}
		if raad.Title != "Leerpad raad" || raad.Description != "Wat u leert in raad." || !slices.Equal(raad.Audience, []courses.Office{courses.Raadslid, courses.Wethouder}) {
			t.Errorf("path = %+v, want its metadata with the audience in display order", raad)
		}
		if raad.EnrolledAt != nil || raad.CompletedAt != nil {
			t.Errorf("anonymous path state = %v, %v; want none", raad.EnrolledAt, raad.CompletedAt)
		}

		// Saving again replaces by slug: same id, new metadata and courses,
		// and a learner who started the path keeps their place.
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		if _, err := ps.EnrolInPath(ctx, u.ID, raad.ID); err != nil {
			t.Fatal(err)
		}
		changed := newPath("raad", "c", "a")
		changed.Title = "Inwerkprogramma raad"
		if err := ps.SavePaths(ctx, []*courses.LearningPath{changed}); err != nil {
			t.Fatalf("SavePaths again: %v", err)
		}
		again := mustPath(t, ps, "raad", u.ID)
		if again.ID != raad.ID || again.Title != "Inwerkprogramma raad" || changed.ID != raad.ID {
			t.Errorf("replaced path: id %d (set %d), title %q; want id %d and the new title", again.ID, changed.ID, again.Title, raad.ID)
		}
		if got, want := pathSlugs(t, again), []string{"c", "a"}; !slices.Equal(got, want) {
			t.Errorf("replaced courses = %q, want %q", got, want)
		}
		if again.EnrolledAt == nil || !again.EnrolledAt.Equal(first) {
			t.Errorf("learner's start = %v, want %v kept", again.EnrolledAt, first)
		}
		if n := countRows(t, d, "learning_paths", ""); n != 2 {
			t.Errorf("%d paths stored, want 2", n)
		}

		_, err = ps.PathBySlug(ctx, "bestaat-niet", 0)
		codeIs(t, "PathBySlug of an unknown path", err, courses.ENOTFOUND)
	})
}

func TestSavePathsIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ps := db.NewPathService(d)
		pathCourses(t, d, "a", "b")
		if err := ps.SavePaths(ctx, []*courses.LearningPath{newPath("bestaand", "a")}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name string
			list []*courses.LearningPath
			want []courses.Problem
		}{
			{
				name: "unknown courses in the second and third path",
				list: []*courses.LearningPath{newPath("nieuw", "a", "b"), newPath("bestaand", "b", "weg"), newPath("ander", "ook-weg", "a", "nergens")},
				want: []courses.Problem{
					{File: "_leerpaden/01-bestaand.md", Line: 5, Field: "courses", Key: courses.ProblemUnknownCourse},
					{File: "_leerpaden/01-ander.md", Line: 5, Field: "courses", Key: courses.ProblemUnknownCourse},
					{File: "_leerpaden/01-ander.md", Line: 5, Field: "courses", Key: courses.ProblemUnknownCourse},
				},
			},
			{
				name: "a path without courses",
				list: []*courses.LearningPath{newPath("nieuw", "a"), newPath("leeg")},
				want: []courses.Problem{{File: "_leerpaden/01-leeg.md", Field: "courses", Key: courses.ProblemRequired}},
			},
			{
				name: "one slug twice",
				list: []*courses.LearningPath{newPath("nieuw", "a"), newPath("nieuw", "b")},
				want: []courses.Problem{{File: "_leerpaden/01-nieuw.md", Field: "slug", Key: courses.ProblemDuplicateValue}},
			},
		}
		for _, tt := range tests {
			err := ps.SavePaths(ctx, tt.list)
			problemsAre(t, tt.name, err, tt.want...)
			if n := countRows(t, d, "learning_paths", ""); n != 1 {
				t.Errorf("%s: %d paths stored, want only the one saved before", tt.name, n)
			}
			if got := pathSlugs(t, mustPath(t, ps, "bestaand", 0)); !slices.Equal(got, []string{"a"}) {
				t.Errorf("%s: the stored path changed to %q", tt.name, got)
			}
		}
		err := ps.SavePaths(ctx, []*courses.LearningPath{newPath("nieuw", "a", "weg")})
		if p := courses.ErrorProblems(err); len(p) != 1 || p[0].Args["value"] != "weg" {
			t.Errorf("problems = %+v, want one naming the course \"weg\"", p)
		}
	})
}

func TestEnrolInPath(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ps, ls := db.NewPathService(d), db.NewLearningService(d)
		cs := pathCourses(t, d, "a", "b")
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		draft := newMeta("concept", "Concept")
		if err := db.NewCourseService(d).CreateCourse(ctx, draft, trainer.ID); err != nil {
			t.Fatal(err)
		}
		if err := ps.SavePaths(ctx, []*courses.LearningPath{newPath("raad", "a", "concept", "b")}); err != nil {
			t.Fatal(err)
		}
		path := mustPath(t, ps, "raad", 0)
		started := time.Date(2026, 4, 2, 19, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return started }
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		other := newUser(t, d, "ander@example.nl", courses.RoleLearner)

		created, err := ps.EnrolInPath(ctx, u.ID, path.ID)
		if err != nil || !created {
			t.Fatalf("EnrolInPath = %v, %v; want created", created, err)
		}
		list, err := ls.Enrolments(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var enrolled []string
		for _, e := range list {
			enrolled = append(enrolled, e.Slug)
			if e.Source != courses.SourcePath || !e.EnrolledAt.Equal(started) {
				t.Errorf("enrolment in %s: source %q at %v, want %q at %v", e.Slug, e.Source, e.EnrolledAt, courses.SourcePath, started)
			}
		}
		slices.Sort(enrolled)
		if want := []string{"a", "b"}; !slices.Equal(enrolled, want) {
			t.Errorf("enrolled in %q, want %q (the published courses only)", enrolled, want)
		}
		got := mustPath(t, ps, "raad", u.ID)
		if got.EnrolledAt == nil || !got.EnrolledAt.Equal(started) || got.CompletedAt != nil {
			t.Errorf("path state = %v, %v; want started at %v, not completed", got.EnrolledAt, got.CompletedAt, started)
		}
		var states []bool
		for _, c := range got.Courses {
			states = append(states, c.Enrolled)
		}
		if want := []bool{true, false, true}; !slices.Equal(states, want) {
			t.Errorf("enrolled per course = %v, want %v", states, want)
		}
		if p := mustPath(t, ps, "raad", other.ID); p.EnrolledAt != nil || p.Courses[0].Enrolled {
			t.Errorf("another learner sees %v, %v; want nothing of the first", p.EnrolledAt, p.Courses[0].Enrolled)
		}

		// Again: nothing new, but a course the learner left comes back.
		if err := ls.Withdraw(ctx, u.ID, cs["a"].ID); err != nil {
			t.Fatal(err)
		}
		if p := mustPath(t, ps, "raad", u.ID); p.Courses[0].Enrolled {
			t.Error("a withdrawn course shows as enrolled")
		}
		d.Now = func() time.Time { return started.Add(time.Hour) }
		created, err = ps.EnrolInPath(ctx, u.ID, path.ID)
		if err != nil || created {
			t.Fatalf("EnrolInPath again = %v, %v; want not created", created, err)
		}
		if n := countRows(t, d, "path_enrolments", "user_id = ?", u.ID); n != 1 {
			t.Errorf("%d path enrolments, want 1", n)
		}
		if n := countRows(t, d, "enrolments", "user_id = ? AND withdrawn_at IS NULL", u.ID); n != 2 {
			t.Errorf("%d active enrolments after starting again, want 2", n)
		}
		if p := mustPath(t, ps, "raad", u.ID); !p.EnrolledAt.Equal(started) {
			t.Errorf("start moved to %v, want %v", p.EnrolledAt, started)
		}

		_, err = ps.EnrolInPath(ctx, u.ID, 999999)
		codeIs(t, "EnrolInPath in an unknown path", err, courses.ENOTFOUND)
	})
}

func TestEnrolInPathConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ps := db.NewPathService(d)
		pathCourses(t, d, "a", "b", "c")
		if err := ps.SavePaths(ctx, []*courses.LearningPath{newPath("raad", "a", "b", "c")}); err != nil {
			t.Fatal(err)
		}
		path := mustPath(t, ps, "raad", 0)
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		const n = 6
		var wg sync.WaitGroup
		results := make(chan bool, n)
		for range n {
			wg.Go(func() {
				created, err := ps.EnrolInPath(ctx, u.ID, path.ID)
				if err != nil {
					t.Errorf("EnrolInPath: %v", err)
				}
				results <- created
			})
		}
		wg.Wait()
		close(results)
		createdN := 0
		for c := range results {
			if c {
				createdN++
			}
		}
		if createdN != 1 {
			t.Errorf("%d calls started the path, want 1", createdN)
		}
		if got := countRows(t, d, "enrolments", "user_id = ?", u.ID); got != 3 {
			t.Errorf("%d enrolments, want 3", got)
		}
	})
}

func TestPathCompletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ps, ls := db.NewPathService(d), db.NewLearningService(d)
		cs := pathCourses(t, d, "a", "b", "los")
		admin := newUser(t, d, "beheer@example.nl", courses.RoleAdmin)
		if err := ps.SavePaths(ctx, []*courses.LearningPath{newPath("raad", "a", "b"), newPath("ander", "b", "los")}); err != nil {
			t.Fatal(err)
		}
		raad := mustPath(t, ps, "raad", 0)
		at := func(day int) time.Time { return time.Date(2026, 5, day, 10, 0, 0, 0, time.UTC) }
		d.Now = func() time.Time { return at(1) }
		u := newUser(t, d, "leerling@example.nl", courses.RoleLearner)
		if _, err := ps.EnrolInPath(ctx, u.ID, raad.ID); err != nil {
			t.Fatal(err)
		}
		enrolment := func(user int64, slug string) *courses.Enrolment {
			t.Helper()
			e, err := ls.Enrolment(ctx, user, cs[slug].ID)
			if err != nil {
				t.Fatalf("Enrolment(%s): %v", slug, err)
			}
			return e
		}
		completedAt := func(slug string) *time.Time {
			t.Helper()
			return mustPath(t, ps, slug, u.ID).CompletedAt
		}

		// Course a by its rule, every activity done (one twice).
		d.Now = func() time.Time { return at(2) }
		ea := enrolment(u.ID, "a")
		for _, key := range []string{"eerste/a", "eerste/b", "eerste/a", "tweede/c"} {
			if err := ls.CompleteActivity(ctx, ea.ID, key); err != nil {
				t.Fatal(err)
			}
		}
		if enrolment(u.ID, "a").CompletedAt == nil {
			t.Fatal("course a not completed by its rule")
		}
		if got := completedAt("raad"); got != nil {
			t.Fatalf("path completed at %v with one of two courses done", got)
		}
		if p := mustPath(t, ps, "raad", u.ID); p.CompletedCount() != 1 || !p.Courses[0].Completed() {
			t.Errorf("completed %d courses, first %v; want 1, the first", p.CompletedCount(), p.Courses[0].CompletedAt)
		}

		// Course b by hand completes the path, once.
		d.Now = func() time.Time { return at(3) }
		eb := enrolment(u.ID, "b")
		if _, done, err := ls.CompleteManually(ctx, eb.ID, admin.ID, "Deelgenomen aan de avond"); err != nil || !done {
			t.Fatalf("CompleteManually = %v, %v", done, err)
		}
		if got := completedAt("raad"); got == nil || !got.Equal(at(3)) {
			t.Fatalf("path completed at %v, want %v", got, at(3))
		}
		// Taking b's completion back and completing it later keeps the
		// path's first completion.
		if err := ls.UndoCompletion(ctx, eb.ID, 0); err != nil {
			t.Fatal(err)
		}
		d.Now = func() time.Time { return at(4) }
		if _, _, err := ls.CompleteManually(ctx, eb.ID, admin.ID, "Opnieuw afgerond"); err != nil {
			t.Fatal(err)
		}
		if got := completedAt("raad"); got == nil || !got.Equal(at(3)) {
			t.Errorf("path completed at %v after a second completion, want still %v", got, at(3))
		}
		// A path the learner did not start is not completed for them,
		// even with its courses done.
		if err := ls.CompleteActivity(ctx, ea.ID, "eerste/a"); err != nil {
			t.Fatal(err)
		}
		if got := completedAt("ander"); got != nil {
			t.Errorf("path not started completed at %v", got)
		}
		if n := countRows(t, d, "path_enrolments", "completed_at IS NOT NULL"); n != 1 {
			t.Errorf("%d completed path enrolments, want 1", n)
		}

		// A learner who completed every course before starting the path
		// completes it on starting.
		v := newUser(t, d, "eerder@example.nl", courses.RoleLearner)
		d.Now = func() time.Time { return at(5) }
		for _, slug := range []string{"b", "los"} {
			e, _, err := ls.Enrol(ctx, v.ID, cs[slug].ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := ls.CompleteManually(ctx, e.ID, admin.ID, "Elders gevolgd"); err != nil {
				t.Fatal(err)
			}
		}
		d.Now = func() time.Time { return at(6) }
		ander := mustPath(t, ps, "ander", 0)
		if created, err := ps.EnrolInPath(ctx, v.ID, ander.ID); err != nil || !created {
			t.Fatalf("EnrolInPath = %v, %v", created, err)
		}
		p := mustPath(t, ps, "ander", v.ID)
		if p.CompletedAt == nil || !p.CompletedAt.Equal(at(6)) || p.CompletedCount() != 2 {
			t.Errorf("path completed at %v with %d courses, want at %v with 2", p.CompletedAt, p.CompletedCount(), at(6))
		}
		if e := enrolment(v.ID, "b"); e.Source != courses.SourceSelf {
			t.Errorf("existing enrolment's source became %q, want it kept as %q", e.Source, courses.SourceSelf)
		}
	})
}
