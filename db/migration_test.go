package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// TestCourseVersionsMigration runs the course-versions migration over a
// catalogue stored in the schema before it: every course becomes its
// published version 1 with the same content, and lesson ids stay (they are
// in the API), also for lessons added later.
func TestCourseVersionsMigration(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			d, err := db.Open(dbtest.NewDSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			if _, err := d.MigrateBefore(ctx, "20261128160000"); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
			for _, q := range []string{
				`INSERT INTO courses (id, slug, title, summary, description, study_hours, level, language, version, published, created_at, updated_at)
				 VALUES (1, 'oud', 'Oude cursus', 'Een samenvatting van de oude cursus.', 'Beschrijving.', 2.5, 'basis', 'nl', 3, TRUE, ?, ?)`,
				`INSERT INTO course_audience (course_id, office) VALUES (1, 'wethouder'), (1, 'raadslid')`,
				`INSERT INTO course_topics (course_id, topic) VALUES (1, 'financien'), (1, 'rollen')`,
				`INSERT INTO modules (id, course_id, position, slug, title, summary, intro) VALUES (7, 1, 1, 'eerste', 'Eerste module', 'Kort.', 'Intro.')`,
				`INSERT INTO lessons (id, module_id, position, slug, title, minutes, body) VALUES (41, 7, 1, 'a', 'Les A', 10, 'Tekst A'), (42, 7, 2, 'b', 'Les B', 15, 'Tekst B')`,
			} {
				if _, err := d.NewRaw(q, now, now).Exec(ctx); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatalf("migrate over old data: %v", err)
			}
			cs := db.NewCourseService(d)
			c, err := cs.CourseBySlug(ctx, "oud")
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != 3 || c.State != courses.StatePublished || c.Title != "Oude cursus" || c.StudyHours != 2.5 {
				t.Errorf("course after migration: version %d state %q title %q hours %v", c.Version, c.State, c.Title, c.StudyHours)
			}
			if got := c.Audience; len(got) != 2 || got[0] != courses.Raadslid || got[1] != courses.Wethouder {
				t.Errorf("audience: got %v, want raadslid, wethouder in office order", got)
			}
			if len(c.Modules) != 1 || c.Modules[0].ID != 7 || len(c.Modules[0].Activities) != 2 {
				t.Fatalf("modules: %+v", c.Modules)
			}
			for i, want := range []int64{41, 42} {
				a := c.Modules[0].Activities[i]
				if a.ID != want || a.Kind != courses.KindLesson {
					t.Errorf("activity %d: id %d kind %q, want id %d, a lesson", i, a.ID, a.Kind, want)
				}
			}
			list, err := cs.ListCourses(ctx, courses.CourseFilter{Office: courses.Wethouder})
			if err != nil || len(list) != 1 {
				t.Errorf("catalogue after migration: %v, %v", list, err)
			}
			// New rows continue after the kept ids (PostgreSQL identities).
			next := c
			next.Modules[0].Activities = append(next.Modules[0].Activities, courses.Activity{Position: 3, Slug: "c", Kind: courses.KindLesson, Title: "Les C", Minutes: 5, Body: "Tekst C"})
			if err := cs.SaveCourse(ctx, next, courses.ImportOptions{Publish: true}); err != nil {
				t.Fatalf("save a new version after migration: %v", err)
			}
			for _, a := range next.Modules[0].Activities {
				if a.ID <= 42 {
					t.Errorf("new activity id %d collides with migrated ids", a.ID)
				}
			}
		})
	}
}
