package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

func sampleCourse(slug, title string, audience []courses.Office, topics []courses.Topic) *courses.Course {
	return &courses.Course{
		Slug: slug, Title: title, Summary: "Een samenvatting van " + title, Description: "Beschrijving.",
		Audience: audience, Topics: topics, StudyHours: 2.5, Level: courses.LevelBasis, Language: "nl", Version: 1,
		Modules: []courses.Module{
			{Position: 1, Slug: "eerste", Title: "Eerste module", Activities: []courses.Activity{
				{Position: 1, Slug: "a", Kind: courses.KindLesson, Title: "Les A", Minutes: 10, Body: "Tekst A"},
				{Position: 2, Slug: "b", Kind: courses.KindLesson, Title: "Les B", Minutes: 15, Body: "Tekst B"},
			}},
			{Position: 2, Slug: "tweede", Title: "Tweede module", Activities: []courses.Activity{
				{Position: 1, Slug: "c", Kind: courses.KindLesson, Title: "Les C", Minutes: 20, Body: "Tekst C"},
			}},
		},
	}
}

func TestCourseService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		for _, c := range []*courses.Course{
			sampleCourse("zeker", "Zeker weten", []courses.Office{courses.Wethouder, courses.Raadslid}, []courses.Topic{"financien"}),
			sampleCourse("eerst", "Één begroting", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen", "financien"}),
			sampleCourse("anders", "Anders", []courses.Office{courses.Burgemeester}, []courses.Topic{"openbare-orde"}),
		} {
			if err := s.SaveCourse(ctx, c, courses.ImportOptions{Publish: true}); err != nil {
				t.Fatalf("SaveCourse(%s): %v", c.Slug, err)
			}
		}

		tests := []struct {
			name   string
			filter courses.CourseFilter
			want   []string
		}{
			{"all, Dutch order ignores the accent on Één", courses.CourseFilter{}, []string{"anders", "eerst", "zeker"}},
			{"by office", courses.CourseFilter{Office: courses.Raadslid}, []string{"eerst", "zeker"}},
			{"by topic", courses.CourseFilter{Topic: "financien"}, []string{"eerst", "zeker"}},
			{"office and topic", courses.CourseFilter{Office: courses.Wethouder, Topic: "financien"}, []string{"zeker"}},
			{"nothing matches", courses.CourseFilter{Office: courses.Griffier}, nil},
			{"search ignores case and accents", courses.CourseFilter{Query: "EEN begroting"}, []string{"eerst"}},
			{"search needs every word", courses.CourseFilter{Query: "zeker anders"}, nil},
			{"search with LIKE wildcards matches literally", courses.CourseFilter{Query: "%"}, nil},
			{"search and office", courses.CourseFilter{Query: "samenvatting", Office: courses.Burgemeester}, []string{"anders"}},
		}
		for _, tt := range tests {
			list, err := s.ListCourses(ctx, tt.filter)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []string
			for _, c := range list {
				got = append(got, c.Slug)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			}
		}

		list, _ := s.ListCourses(ctx, courses.CourseFilter{Office: courses.Wethouder})
		if got, want := list[0].Audience, []courses.Office{courses.Raadslid, courses.Wethouder}; !slices.Equal(got, want) {
			t.Errorf("audience in office order: got %v, want %v", got, want)
		}

		c, err := s.CourseBySlug(ctx, "zeker")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(c.Modules), 2; got != want {
			t.Fatalf("modules: got %d, want %d", got, want)
		}
		if got, want := c.Modules[0].Activities[1].Title, "Les B"; got != want {
			t.Errorf("lesson order: got %q, want %q", got, want)
		}
		if got, want := c.Minutes(), 45; got != want {
			t.Errorf("minutes: got %d, want %d", got, want)
		}
		published := c.VersionID

		// Re-importing makes a draft; the published version stays as it was.
		changed := sampleCourse("zeker", "Zeker weten (herzien)", []courses.Office{courses.Griffier}, []courses.Topic{"rollen"})
		changed.Modules = changed.Modules[1:]
		changed.Modules[0].Position = 1
		if err := s.SaveCourse(ctx, changed, courses.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if changed.Version != 2 || changed.State != courses.StateDraft {
			t.Errorf("re-import: got version %d state %q, want draft 2", changed.Version, changed.State)
		}
		c, _ = s.CourseBySlug(ctx, "zeker")
		if c.VersionID != published || c.Title != "Zeker weten" {
			t.Errorf("published version changed by an import: %d %q", c.VersionID, c.Title)
		}
		// A second import would overwrite the draft: refused unless asked.
		if err := s.SaveCourse(ctx, changed, courses.ImportOptions{}); courses.ErrorCode(err) != courses.ECONFLICT {
			t.Errorf("import over a draft: got %v, want ECONFLICT", err)
		}
		if err := s.SaveCourse(ctx, changed, courses.ImportOptions{ReplaceDraft: true, Publish: true}); err != nil {
			t.Fatal(err)
		}
		c, err = s.CourseBySlug(ctx, "zeker")
		if err != nil {
			t.Fatal(err)
		}
		if c.Title != "Zeker weten (herzien)" || c.Version != 2 || len(c.Modules) != 1 {
			t.Errorf("after publishing: got title %q version %d modules %d", c.Title, c.Version, len(c.Modules))
		}
		if !slices.Equal(c.Audience, []courses.Office{courses.Griffier}) {
			t.Errorf("audience not replaced: %v", c.Audience)
		}
		list, _ = s.ListCourses(ctx, courses.CourseFilter{Office: courses.Griffier})
		if len(list) != 1 || list[0].Title != "Zeker weten (herzien)" {
			t.Errorf("catalogue after publishing: %v", list)
		}
		old, err := s.CourseVersion(ctx, published)
		if err != nil || old.State != courses.StateRetired || old.Title != "Zeker weten" || len(old.Modules) != 2 {
			t.Errorf("old version after publishing: %+v, %v; want it retired and unchanged", old, err)
		}
		if n, _ := s.CountCourses(ctx); n != 3 {
			t.Errorf("CountCourses: got %d, want 3", n)
		}

		if _, err := s.CourseBySlug(ctx, "bestaat-niet"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("missing course: got %v, want ENOTFOUND", err)
		}
	})
}

func TestSaveCourseIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewCourseService(d)
		bad := sampleCourse("kapot", "Kapot", []courses.Office{courses.Raadslid}, []courses.Topic{"bestaat-niet"})
		if err := s.SaveCourse(ctx, bad, courses.ImportOptions{Publish: true}); err == nil {
			t.Fatal("SaveCourse with an unknown topic: want an error")
		}
		if n, _ := s.CountCourses(ctx); n != 0 {
			t.Errorf("a failed save left %d courses behind", n)
		}
	})
}

func TestMunicipalities(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := db.NewMunicipalityService(d)
		first := []courses.Municipality{
			{CBSCode: "GM0014", Name: "Groningen", CommonName: "Groningen", Province: "Groningen"},
			{CBSCode: "GM0080", Name: "Leeuwarden", CommonName: "Leeuwarden", Province: "Fryslân"},
		}
		if err := s.ReplaceMunicipalities(ctx, first); err != nil {
			t.Fatal(err)
		}
		// A merger: Leeuwarden leaves the list, a new code arrives.
		next := []courses.Municipality{first[0], {CBSCode: "GM1999", Name: "Nieuwdam", CommonName: "Nieuwdam", Province: "Fryslân"}}
		if err := s.ReplaceMunicipalities(ctx, next); err != nil {
			t.Fatal(err)
		}
		active, _ := s.Municipalities(ctx, false)
		all, _ := s.Municipalities(ctx, true)
		if len(active) != 2 || len(all) != 3 {
			t.Fatalf("got %d active and %d in all, want 2 and 3", len(active), len(all))
		}
		if all[1].CBSCode != "GM0080" || all[1].Active || all[1].Province != "Fryslân" {
			t.Errorf("retired municipality: got %+v", all[1])
		}
	})
}
