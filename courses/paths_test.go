package courses

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/raadzaam/raadzaam/courses/catalog"
)

// raadPath is a valid path file; the line numbers in the expected problems
// below refer to it: 2 title, 3 summary, 4 audience, 5 courses, 6 the
// closing ---, 7 the description.
const raadPath = `---
title: Inwerken in de raad
summary: Drie cursussen voor het eerste jaar.
audience: raadslid, commissielid
courses: nieuw-in-de-raad, begroting, integriteit
---
Eerst de basis, dan **geld** en ethiek.
`

// pathsFS returns a folder "_leerpaden" with raadPath as 02-raad.md and a
// second path 10-griffie.md, whose numbers sort differently as text than as
// numbers, plus files the reader must skip.
func pathsFS() fstest.MapFS {
	return fstest.MapFS{
		"_leerpaden/02-raad.md":     {Data: []byte(raadPath)},
		"_leerpaden/10-griffie.md":  {Data: []byte("---\ntitle: Griffie\nsummary: Voor griffiers en hun team.\naudience: griffier\ncourses: griffier\n---\nTekst.\n")},
		"_leerpaden/README.md":      {Data: []byte("geen leerpad")},
		"_leerpaden/_concept.md":    {Data: []byte("---\n---\n")},
		"_leerpaden/03-map/note.md": {Data: []byte("een map, geen leerpad")},
	}
}

func TestReadPathsValid(t *testing.T) {
	list, err := ReadPaths(pathsFS(), "_leerpaden")
	if err != nil {
		t.Fatalf("ReadPaths: %v\nproblems: %q", err, problemStrings(err))
	}
	want := []*LearningPath{
		{Slug: "raad", Title: "Inwerken in de raad", Summary: "Drie cursussen voor het eerste jaar.",
			Description: "Eerst de basis, dan **geld** en ethiek.", Audience: []Office{Raadslid, Commissielid},
			Courses: []PathCourse{{Position: 1, Slug: "nieuw-in-de-raad"}, {Position: 2, Slug: "begroting"}, {Position: 3, Slug: "integriteit"}},
			File:    "_leerpaden/02-raad.md", CoursesLine: 5},
		{Slug: "griffie", Title: "Griffie", Summary: "Voor griffiers en hun team.", Description: "Tekst.",
			Audience: []Office{Griffier}, Courses: []PathCourse{{Position: 1, Slug: "griffier"}},
			File: "_leerpaden/10-griffie.md", CoursesLine: 5},
	}
	if !reflect.DeepEqual(list, want) {
		for i := range max(len(list), len(want)) {
			if i >= len(list) || i >= len(want) || !reflect.DeepEqual(list[i], want[i]) {
				t.Errorf("path %d:\n got %+v\nwant %+v", i, at(list, i), at(want, i))
			}
		}
	}
	for _, p := range list {
		if problems := p.Validate(); len(problems) > 0 {
			t.Errorf("%s: Validate = %q, want none", p.Slug, problems)
		}
	}
}

func at(list []*LearningPath, i int) *LearningPath {
	if i < len(list) {
		return list[i]
	}
	return nil
}

func TestReadPathsProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // replaced or added; "" removes the file
		want  []string
	}{
		{
			name:  "unknown office and a course twice",
			files: map[string]string{"_leerpaden/02-raad.md": strings.NewReplacer("audience: raadslid, commissielid", "audience: koning", "integriteit", "begroting").Replace(raadPath)},
			want:  []string{"_leerpaden/02-raad.md:4: audience: problem.unknown_value", "_leerpaden/02-raad.md:5: courses: problem.duplicate_value"},
		},
		{
			name:  "a course slug that is no slug",
			files: map[string]string{"_leerpaden/02-raad.md": strings.Replace(raadPath, "begroting", "Begroting Lezen", 1)},
			want:  []string{"_leerpaden/02-raad.md:5: courses: problem.unknown_value"},
		},
		{
			name:  "no courses, no title and no description",
			files: map[string]string{"_leerpaden/02-raad.md": "---\nsummary: Drie cursussen voor het eerste jaar.\naudience: raadslid\ncourses:\n---\n\n"},
			want: []string{"_leerpaden/02-raad.md:1: title: problem.required", "_leerpaden/02-raad.md:4: courses: problem.required",
				"_leerpaden/02-raad.md:6: problem.empty_body"},
		},
		{
			name:  "an unknown key and a short summary",
			files: map[string]string{"_leerpaden/02-raad.md": strings.Replace(raadPath, "summary: Drie cursussen voor het eerste jaar.", "summary: Kort\nlevel: basis", 1)},
			want:  []string{"_leerpaden/02-raad.md:4: level: problem.unknown_key", "_leerpaden/02-raad.md:3: summary: problem.too_short"},
		},
		{
			name:  "no front matter",
			files: map[string]string{"_leerpaden/10-griffie.md": "Alleen tekst.\n"},
			want:  []string{"_leerpaden/10-griffie.md:1: problem.no_front_matter"},
		},
		{
			name:  "a bad name and a number used twice",
			files: map[string]string{"_leerpaden/2-raad.md": raadPath, "_leerpaden/4_raad.md": raadPath},
			want:  []string{"_leerpaden/2-raad.md: problem.duplicate_number", "_leerpaden/4_raad.md: problem.bad_name"},
		},
		{
			name:  "one slug in two files",
			files: map[string]string{"_leerpaden/11-raad.md": raadPath},
			want:  []string{"_leerpaden/11-raad.md: problem.duplicate_value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := pathsFS()
			for p, text := range tt.files {
				fsys[p] = &fstest.MapFile{Data: []byte(text)}
			}
			list, err := ReadPaths(fsys, "_leerpaden")
			if list != nil {
				t.Errorf("ReadPaths returned %d paths, want none", len(list))
			}
			if got, want := ErrorCode(err), EINVALID; got != want {
				t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, want)
			}
			if got := problemStrings(err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReadPathsMissingFolder(t *testing.T) {
	_, err := ReadPaths(fstest.MapFS{}, "_leerpaden")
	if got, want := problemStrings(err), []string{"_leerpaden: problem.unreadable"}; !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestLearningPathValidate(t *testing.T) {
	valid := func() *LearningPath {
		return &LearningPath{Slug: "raad", Title: "Inwerken", Summary: "Tien tekens of meer.", Description: "Tekst.",
			Audience: []Office{Raadslid}, Courses: []PathCourse{{Slug: "a"}, {Slug: "b"}}}
	}
	tests := []struct {
		name   string
		change func(*LearningPath)
		want   []string
	}{
		{"valid", func(*LearningPath) {}, nil},
		{"bad slug", func(p *LearningPath) { p.Slug = "Raad 2026" }, []string{"slug: problem.bad_slug"}},
		{"short title, no summary", func(p *LearningPath) { p.Title, p.Summary = "ab", "" }, []string{"title: problem.too_short", "summary: problem.required"}},
		{"no description", func(p *LearningPath) { p.Description = "" }, []string{"problem.empty_body"}},
		{"unknown office", func(p *LearningPath) { p.Audience = []Office{"koning"} }, []string{"audience: problem.unknown_value"}},
		{"no courses", func(p *LearningPath) { p.Courses = nil }, []string{"courses: problem.required"}},
		{"a course twice", func(p *LearningPath) { p.Courses = append(p.Courses, PathCourse{Slug: "a"}) }, []string{"courses: problem.duplicate_value"}},
	}
	for _, tt := range tests {
		p := valid()
		tt.change(p)
		var got []string
		for _, pr := range p.Validate() {
			got = append(got, pr.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Validate = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLearningPathProgress(t *testing.T) {
	completed := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	done := PathCourse{CompletedAt: &completed}
	p := &LearningPath{Courses: []PathCourse{done, {}, done, {StudyHours: 2.5}}}
	if got, want := p.CompletedCount(), 2; got != want {
		t.Errorf("CompletedCount = %d, want %d", got, want)
	}
	if got, want := p.Progress(), 50; got != want {
		t.Errorf("Progress = %d, want %d", got, want)
	}
	p.Courses = p.Courses[:3]
	if got, want := p.Progress(), 66; got != want {
		t.Errorf("Progress of 2 of 3 = %d, want %d (rounded down)", got, want)
	}
	if got, want := (&LearningPath{}).Progress(), 0; got != want {
		t.Errorf("Progress of an empty path = %d, want %d", got, want)
	}
}

// TestShippedPaths reads the shipped learning paths and checks that they
// name shipped courses, each meant for the path's audience.
func TestShippedPaths(t *testing.T) {
	list, err := ReadPaths(catalog.FS, "_leerpaden")
	if err != nil {
		t.Fatalf("ReadPaths: %v\nproblems: %q", err, problemStrings(err))
	}
	shipped, err := ReadCatalog(catalog.FS, ".")
	if err != nil {
		t.Fatalf("ReadCatalog: %v", err)
	}
	bySlug := map[string]*Course{}
	for _, c := range shipped {
		bySlug[c.Slug] = c
	}
	wantTitles := []string{"Inwerkprogramma nieuwe raadsleden 2026", "Inwerkprogramma nieuwe wethouders 2026", "Inwerkprogramma griffiers 2026"}
	var titles []string
	for _, p := range list {
		titles = append(titles, p.Title)
		if len(p.Courses) < 3 {
			t.Errorf("%s has %d courses, want at least 3", p.Slug, len(p.Courses))
		}
		for _, pc := range p.Courses {
			c, ok := bySlug[pc.Slug]
			if !ok {
				t.Errorf("%s:%d: no shipped course %q", p.File, p.CoursesLine, pc.Slug)
				continue
			}
			for _, o := range p.Audience {
				if !slices.Contains(c.Audience, o) && !(o == Griffier && pc.Slug == "nieuw-in-de-raad") {
					t.Errorf("%s: course %s is not meant for %s", p.Slug, pc.Slug, o)
				}
			}
		}
		if !strings.Contains(p.Description, "18 maart 2026") {
			t.Errorf("%s: the description does not mention the elections of 18 March 2026", p.Slug)
		}
	}
	if !slices.Equal(titles, wantTitles) {
		t.Errorf("titles = %q, want %q", titles, wantTitles)
	}
}
