package db_test

// BenchmarkImport100Courses measures importing 100 courses (issue 4): the
// shipped catalogue, copied under distinct slugs until there are 100, saved
// and published with one SaveCourses call (one transaction) into a fresh,
// migrated database per iteration. Creating and migrating the database is
// outside the timer. See BENCHMARKS.md, section "Lesson page and course
// import (issue 4)".
//
//	go test -run XXX -bench Import100 -benchtime 3x ./db

import (
	"context"
	"fmt"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

const importBenchCourses = 100

func BenchmarkImport100Courses(b *testing.B) {
	shipped, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		b.Fatalf("ReadCatalog: %v", err)
	}
	if len(shipped) == 0 {
		b.Fatal("the shipped catalogue is empty")
	}
	for _, kind := range dbtest.Kinds {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			var activities, files int
			for _, c := range importBenchList(shipped) {
				activities += c.LessonCount()
				files += len(c.Files)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				d := dbtest.MustOpen(b, kind) // fresh and migrated; closed and dropped at the end
				list := importBenchList(shipped)
				b.StartTimer()
				if err := db.NewCourseService(d).SaveCourses(ctx, list, courses.ImportOptions{Publish: true}); err != nil {
					b.Fatalf("SaveCourses: %v", err)
				}
				b.StopTimer()
				if n, err := db.NewCourseService(d).CountCourses(ctx); err != nil || n != importBenchCourses {
					b.Fatalf("CountCourses = %d, %v; want %d", n, err, importBenchCourses)
				}
				d.Close() // free the connections now; the cleanup closes it again harmlessly
				b.StartTimer()
			}
			b.StopTimer()
			if sec := b.Elapsed().Seconds(); sec > 0 {
				b.ReportMetric(float64(importBenchCourses*b.N)/sec, "courses/s")
			}
			b.ReportMetric(float64(activities), "activities/op")
			b.ReportMetric(float64(files), "files/op")
		})
	}
}

// importBenchList returns importBenchCourses deep copies of the shipped
// courses, round robin, each with a distinct slug (SLUG-000 to SLUG-012 for
// 8 shipped courses). Prerequisites point to the copy of the same round
// when it is in the list, so that the list stays valid. The copies share
// their file bytes, which the import stores once per hash as it would for
// real copies.
func importBenchList(shipped []*courses.Course) []*courses.Course {
	inList := map[string]bool{}
	for i := range importBenchCourses {
		inList[fmt.Sprintf("%s-%03d", shipped[i%len(shipped)].Slug, i/len(shipped))] = true
	}
	list := make([]*courses.Course, importBenchCourses)
	for i := range list {
		round := i / len(shipped)
		c := copyCourse(shipped[i%len(shipped)])
		c.Slug = fmt.Sprintf("%s-%03d", c.Slug, round)
		var pre []string
		for _, p := range c.Prerequisites {
			if s := fmt.Sprintf("%s-%03d", p, round); inList[s] {
				pre = append(pre, s)
			} else if s := fmt.Sprintf("%s-%03d", p, 0); inList[s] {
				pre = append(pre, s)
			}
		}
		c.Prerequisites = pre
		list[i] = c
	}
	return list
}

// copyCourse copies c deeply enough that SaveCourses, which sets ids in
// the course, its modules, activities, questions and options, changes no
// other copy.
func copyCourse(c *courses.Course) *courses.Course {
	n := *c
	n.Audience = append([]courses.Office(nil), c.Audience...)
	n.Topics = append([]courses.Topic(nil), c.Topics...)
	n.Prerequisites = append([]string(nil), c.Prerequisites...)
	n.Files = append([]courses.File(nil), c.Files...)
	n.Modules = make([]courses.Module, len(c.Modules))
	for i, m := range c.Modules {
		m.Activities = append([]courses.Activity(nil), m.Activities...)
		for j := range m.Activities {
			a := &m.Activities[j]
			if a.Quiz != nil {
				q := *a.Quiz
				q.Questions = append([]courses.Question(nil), q.Questions...)
				for k := range q.Questions {
					q.Questions[k].Options = append([]courses.Option(nil), q.Questions[k].Options...)
				}
				a.Quiz = &q
			}
			if a.Meeting != nil {
				mt := *a.Meeting
				a.Meeting = &mt
			}
		}
		n.Modules[i] = m
	}
	return &n
}
