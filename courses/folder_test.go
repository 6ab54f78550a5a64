package courses

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// proefCourse is course.md of the test course "proef"; the line numbers in
// the expected problems below refer to it:
// 2 title, 3 summary, 4 audience, 5 topics, 6 study_hours, 7 level,
// 8 language, 9 version, 10 the closing ---, 11 the description.
const proefCourse = `---
title: De raad in het kort
summary: Een korte cursus om mee te testen.
audience: wethouder, raadslid
topics: rollen, financien
study_hours: 4,5
level: basis
language: nl
version: 2
---
Wat u leert.
`

// lessonText returns a lesson file: 2 title, 3 minutes, 4 ---, 5 body.
func lessonText(title, minutes, body string) string {
	return "---\ntitle: " + title + "\nminutes: " + minutes + "\n---\n" + body
}

// proefFS returns a fresh valid course folder "proef" whose module and lesson
// numbers sort differently as text ("10-a" < "2-b") than as numbers.
func proefFS() fstest.MapFS {
	return fstest.MapFS{
		"proef/course.md":          {Data: []byte(proefCourse)},
		"proef/10-a/module.md":     {Data: []byte("---\ntitle: Tiende module\n---\n")},
		"proef/10-a/01-slot.md":    {Data: []byte(lessonText("Slot", "10", "Tot slot.\n"))},
		"proef/2-b/module.md":      {Data: []byte("---\ntitle: Tweede module\nsummary: Kort.\n---\n\nInleiding.\n")},
		"proef/2-b/10-a.md":        {Data: []byte(lessonText("Les tien", "20", "Tekst tien.\n"))},
		"proef/2-b/2-b.md":         {Data: []byte(lessonText("Les twee", "15", "Tekst twee.\n\nMeer tekst.\n"))},
		"proef/2-b/afbeelding.png": {Data: []byte{0x89, 'P', 'N', 'G'}},
	}
}

// proefCourseWant is the course that proefFS reads as.
func proefCourseWant() *Course {
	return &Course{
		Slug:        "proef",
		Title:       "De raad in het kort",
		Summary:     "Een korte cursus om mee te testen.",
		Description: "Wat u leert.",
		Audience:    []Office{Wethouder, Raadslid},
		Topics:      []Topic{"rollen", "financien"},
		StudyHours:  4.5,
		Level:       LevelBasis,
		Language:    "nl",

		Modules: []Module{
			{Position: 2, Slug: "b", Title: "Tweede module", Summary: "Kort.", Intro: "Inleiding.", Activities: []Activity{
				{Position: 2, Slug: "b", Kind: KindLesson, Title: "Les twee", Minutes: 15, Body: "Tekst twee.\n\nMeer tekst."},
				{Position: 10, Slug: "a", Kind: KindLesson, Title: "Les tien", Minutes: 20, Body: "Tekst tien."},
			}},
			{Position: 10, Slug: "a", Title: "Tiende module", Activities: []Activity{
				{Position: 1, Slug: "slot", Kind: KindLesson, Title: "Slot", Minutes: 10, Body: "Tot slot."},
			}},
		},
	}
}

// replaceIn returns a change that replaces old by new in the file p; it fails
// the test when old does not occur, so a case cannot silently test nothing.
func replaceIn(t *testing.T, p, old, new string) func(fstest.MapFS) {
	return func(fsys fstest.MapFS) {
		t.Helper()
		text := string(fsys[p].Data)
		if !strings.Contains(text, old) {
			t.Fatalf("%s does not contain %q", p, old)
		}
		fsys[p] = &fstest.MapFile{Data: []byte(strings.Replace(text, old, new, 1))}
	}
}

// setFiles returns a change that writes (or, when text is "", removes) files.
func setFiles(files map[string]string) func(fstest.MapFS) {
	return func(fsys fstest.MapFS) {
		for p, text := range files {
			if text == "" {
				delete(fsys, p)
				continue
			}
			fsys[p] = &fstest.MapFile{Data: []byte(text)}
		}
	}
}

func problemStrings(err error) []string {
	var out []string
	for _, p := range ErrorProblems(err) {
		out = append(out, p.String())
	}
	return out
}

func TestReadCourseFolderValid(t *testing.T) {
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   func(*Course) // changes proefCourseWant; nil: unchanged
	}{
		{name: "minimal course, sorted by number"},
		{
			name: "CRLF line endings",
			change: func(fsys fstest.MapFS) {
				for p, f := range fsys {
					if strings.HasSuffix(p, ".md") {
						f.Data = []byte(strings.ReplaceAll(string(f.Data), "\n", "\r\n"))
					}
				}
			},
		},
		{
			name: "byte order mark",
			change: func(fsys fstest.MapFS) {
				for _, p := range []string{"proef/course.md", "proef/2-b/module.md", "proef/10-a/01-slot.md"} {
					fsys[p].Data = append([]byte("\uFEFF"), fsys[p].Data...)
				}
			},
		},
		{
			name: "ignored files and folders",
			change: setFiles(map[string]string{
				"proef/.DS_Store":               "\x00\x01",
				"proef/_notes.md":               "geen front matter",
				"proef/notities.txt":            "los",
				"proef/afbeeldingen/kaart.png":  "png",
				"proef/afbeeldingen/01-x.md":    "geen front matter",
				"proef/_oud/01-x.md":            "geen front matter",
				"proef/.git/config":             "x",
				"proef/10-a/.DS_Store":          "\x00",
				"proef/10-a/_concept.md":        "geen front matter",
				"proef/10-a/01-foto.png":        "png",
				"proef/10-a/afbeeldingen/a.png": "png",
			}),
		},
		{
			// FORMAT.md: only names starting with a digit must be NN-slug;
			// other files (notes) are ignored. Fails now: see the report.
			name:   "notes without a number in a module",
			change: setFiles(map[string]string{"proef/10-a/notities.md": "los", "proef/10-a/README.md": "# Lees mij"}),
		},
		{
			name:   "comments, blank lines and spaces in front matter",
			change: replaceIn(t, "proef/course.md", "level: basis\n", "# het niveau\n\n  level :   basis  \n"),
		},
		{
			name:   "study hours with a decimal point",
			change: replaceIn(t, "proef/course.md", "study_hours: 4,5", "study_hours: 4.5"),
		},
		{
			name:   "study hours lower bound",
			change: replaceIn(t, "proef/course.md", "study_hours: 4,5", "study_hours: 0,5"),
			want:   func(c *Course) { c.StudyHours = 0.5 },
		},
		{
			name:   "study hours upper bound",
			change: replaceIn(t, "proef/course.md", "study_hours: 4,5", "study_hours: 200"),
			want:   func(c *Course) { c.StudyHours = 200 },
		},
		{
			name:   "three-digit numbers",
			change: setFiles(map[string]string{"proef/999-c/module.md": "---\ntitle: Laatste\n---\n", "proef/999-c/001-z.md": lessonText("Les z", "240", "Z.")}),
			want: func(c *Course) {
				c.Modules = append(c.Modules, Module{Position: 999, Slug: "c", Title: "Laatste", Activities: []Activity{
					{Position: 1, Slug: "z", Kind: KindLesson, Title: "Les z", Minutes: 240, Body: "Z."},
				}})
			},
		},
		{
			name:   "title of 120 characters",
			change: replaceIn(t, "proef/course.md", "title: De raad in het kort", "title: "+strings.Repeat("é", 120)),
			want:   func(c *Course) { c.Title = strings.Repeat("é", 120) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := proefFS()
			if tt.change != nil {
				tt.change(fsys)
			}
			want := proefCourseWant()
			if tt.want != nil {
				tt.want(want)
			}
			got, err := ReadCourseFolder(fsys, "proef")
			if err != nil {
				t.Fatalf("ReadCourseFolder: %v\nproblems: %q", err, problemStrings(err))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ReadCourseFolder:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReadCourseFolderProblems(t *testing.T) {
	const (
		course = "proef/course.md"
		lesson = "proef/10-a/01-slot.md"
	)
	tests := []struct {
		name   string
		dir    string // default "proef"
		change func(fstest.MapFS)
		want   []string
	}{
		{
			name:   "missing course.md",
			change: setFiles(map[string]string{course: ""}),
			want:   []string{"proef/course.md: problem.missing_file"},
		},
		{
			name:   "missing module.md",
			change: setFiles(map[string]string{"proef/10-a/module.md": ""}),
			want:   []string{"proef/10-a/module.md: problem.missing_file"},
		},
		{
			name:   "empty file",
			change: setFiles(map[string]string{course: "\n"}),
			want:   []string{"proef/course.md:1: problem.no_front_matter"},
		},
		{
			name:   "no front matter",
			change: setFiles(map[string]string{lesson: "title: Slot\nminutes: 10\n\nTekst.\n"}),
			want:   []string{"proef/10-a/01-slot.md:1: problem.no_front_matter"},
		},
		{
			name:   "no front matter in module.md",
			change: setFiles(map[string]string{"proef/2-b/module.md": "# Tweede module\n"}),
			want:   []string{"proef/2-b/module.md:1: problem.no_front_matter"},
		},
		{
			name:   "unclosed front matter",
			change: setFiles(map[string]string{lesson: "---\ntitle: Slot\nminutes: 10\n\nTot slot.\n"}),
			want: []string{
				"proef/10-a/01-slot.md:5: problem.bad_line",
				"proef/10-a/01-slot.md:1: problem.unclosed_front_matter",
			},
		},
		{
			name:   "line without a key",
			change: replaceIn(t, course, "level: basis\n", "niveau basis\n"),
			want: []string{
				"proef/course.md:7: problem.bad_line",
				"proef/course.md:1: level: problem.required",
			},
		},
		{
			name:   "unknown key",
			change: replaceIn(t, course, "version: 2\n", "version: 2\nauthor: Jan\n"),
			want:   []string{"proef/course.md:10: author: problem.unknown_key"},
		},
		{
			name:   "duplicate key",
			change: replaceIn(t, course, "level: basis\n", "level: basis\nlevel: verdieping\n"),
			want:   []string{"proef/course.md:8: level: problem.duplicate_key"},
		},
		{
			name:   "missing required key",
			change: replaceIn(t, course, "language: nl\n", ""),
			want:   []string{"proef/course.md:1: language: problem.required"},
		},
		{
			name:   "empty required value",
			change: replaceIn(t, course, "summary: Een korte cursus om mee te testen.", "summary:"),
			want:   []string{"proef/course.md:3: summary: problem.required"},
		},
		{
			name:   "title too long",
			change: replaceIn(t, course, "title: De raad in het kort", "title: "+strings.Repeat("a", 121)),
			want:   []string{"proef/course.md:2: title: problem.too_long"},
		},
		{
			name:   "title too short",
			change: replaceIn(t, course, "title: De raad in het kort", "title: Ab"),
			want:   []string{"proef/course.md:2: title: problem.too_short"},
		},
		{
			name:   "unknown office",
			change: replaceIn(t, course, "audience: wethouder, raadslid", "audience: wethouder, koning"),
			want:   []string{"proef/course.md:4: audience: problem.unknown_value"},
		},
		{
			name:   "empty list item",
			change: replaceIn(t, course, "audience: wethouder, raadslid", "audience: wethouder,,raadslid"),
			want:   []string{"proef/course.md:4: audience: problem.required"},
		},
		{
			name:   "duplicate topic",
			change: replaceIn(t, course, "topics: rollen, financien", "topics: rollen, financien, rollen"),
			want:   []string{"proef/course.md:5: topics: problem.duplicate_value"},
		},
		{
			name:   "unknown level",
			change: replaceIn(t, course, "level: basis", "level: gevorderd"),
			want:   []string{"proef/course.md:7: level: problem.unknown_value"},
		},
		{
			name:   "unknown language",
			change: replaceIn(t, course, "language: nl", "language: de"),
			want:   []string{"proef/course.md:8: language: problem.unknown_value"},
		},
		{
			name:   "study hours not a number",
			change: replaceIn(t, course, "study_hours: 4,5", "study_hours: vier"),
			want:   []string{"proef/course.md:6: study_hours: problem.not_number"},
		},
		{
			name:   "study hours with two decimals",
			change: replaceIn(t, course, "study_hours: 4,5", "study_hours: 4,55"),
			want:   []string{"proef/course.md:6: study_hours: problem.too_many_decimals"},
		},
		{
			name:   "study hours zero",
			change: replaceIn(t, course, "study_hours: 4,5", "study_hours: 0"),
			want:   []string{"proef/course.md:6: study_hours: problem.out_of_range"},
		},
		{
			name:   "study hours below the minimum",
			change: replaceIn(t, course, "study_hours: 4,5", "study_hours: 0,4"),
			want:   []string{"proef/course.md:6: study_hours: problem.out_of_range"},
		},
		{
			name:   "study hours 300",
			change: replaceIn(t, course, "study_hours: 4,5", "study_hours: 300"),
			want:   []string{"proef/course.md:6: study_hours: problem.out_of_range"},
		},
		{
			// Fails now: ParseHours accepts "NaN", see the report.
			name:   "study hours NaN",
			change: replaceIn(t, course, "study_hours: 4,5", "study_hours: NaN"),
			want:   []string{"proef/course.md:6: study_hours: problem.not_number"},
		},
		{
			name:   "version not a number",
			change: replaceIn(t, course, "version: 2", "version: twee"),
			want:   []string{"proef/course.md:9: version: problem.not_number"},
		},
		{
			name:   "version with a decimal",
			change: replaceIn(t, course, "version: 2", "version: 2.1"),
			want:   []string{"proef/course.md:9: version: problem.not_number"},
		},
		{
			name:   "version zero",
			change: replaceIn(t, course, "version: 2", "version: 0"),
			want:   []string{"proef/course.md:9: version: problem.out_of_range"},
		},
		{
			name:   "empty description",
			change: replaceIn(t, course, "Wat u leert.\n", " \n\n"),
			want:   []string{"proef/course.md:11: problem.empty_body"},
		},
		{
			name:   "bad slug",
			dir:    "Proef_1",
			change: func(fsys fstest.MapFS) { renameDir(fsys, "proef", "Proef_1") },
			want:   []string{"Proef_1: problem.bad_slug"},
		},
		{
			name:   "module without lessons",
			change: setFiles(map[string]string{lesson: ""}),
			want:   []string{"proef/10-a/module.md: problem.no_lessons"},
		},
		{
			name: "course without modules",
			change: func(fsys fstest.MapFS) {
				for p := range fsys {
					if p != course {
						delete(fsys, p)
					}
				}
				fsys["proef/afbeeldingen/kaart.png"] = &fstest.MapFile{Data: []byte("png")}
			},
			want: []string{"proef/course.md: problem.no_modules"},
		},
		{
			name:   "bad module folder name",
			change: setFiles(map[string]string{"proef/1_intro/module.md": "---\ntitle: Intro\n---\n"}),
			want:   []string{"proef/1_intro: problem.bad_name"},
		},
		{
			name:   "bad lesson file name",
			change: setFiles(map[string]string{"proef/10-a/02 slot.md": lessonText("Slot", "5", "x")}),
			want:   []string{"proef/10-a/02 slot.md: problem.bad_name"},
		},
		{
			name: "duplicate module numbers",
			change: setFiles(map[string]string{
				"proef/01-a/module.md": "---\ntitle: Module a\n---\n",
				"proef/01-a/01-x.md":   lessonText("Les x", "5", "x"),
				"proef/1-b/module.md":  "---\ntitle: Module b\n---\n",
				"proef/1-b/01-x.md":    lessonText("Les x", "5", "x"),
			}),
			want: []string{"proef/1-b: problem.duplicate_number"},
		},
		{
			name:   "duplicate lesson numbers",
			change: setFiles(map[string]string{"proef/2-b/02-c.md": lessonText("Les c", "5", "c")}),
			want:   []string{"proef/2-b/2-b.md: problem.duplicate_number"},
		},
		{
			name:   "lesson with empty body",
			change: setFiles(map[string]string{lesson: lessonText("Slot", "10", "\n  \n")}),
			want:   []string{"proef/10-a/01-slot.md:5: problem.empty_body"},
		},
		{
			name:   "lesson of zero minutes",
			change: setFiles(map[string]string{lesson: lessonText("Slot", "0", "Tot slot.")}),
			want:   []string{"proef/10-a/01-slot.md:3: minutes: problem.out_of_range"},
		},
		{
			name:   "lesson of 241 minutes",
			change: setFiles(map[string]string{lesson: lessonText("Slot", "241", "Tot slot.")}),
			want:   []string{"proef/10-a/01-slot.md:3: minutes: problem.out_of_range"},
		},
		{
			// Fails now: the empty body is only reported when the file has no
			// other problem, see the report.
			name:   "lesson of zero minutes with empty body",
			change: setFiles(map[string]string{lesson: lessonText("Slot", "0", "")}),
			want: []string{
				"proef/10-a/01-slot.md:3: minutes: problem.out_of_range",
				"proef/10-a/01-slot.md:5: problem.empty_body",
			},
		},
		{
			name:   "not UTF-8",
			change: setFiles(map[string]string{lesson: lessonText("Sl\xffot", "10", "Tot slot.")}),
			want:   []string{"proef/10-a/01-slot.md: problem.not_utf8"},
		},
		{
			name:   "file too large",
			change: setFiles(map[string]string{lesson: lessonText("Slot", "10", strings.Repeat("x", maxFileSize))}),
			want:   []string{"proef/10-a/01-slot.md: problem.too_large"},
		},
		{
			name: "three errors in three files",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, course, "audience: wethouder, raadslid", "audience: koning")(fsys)
				replaceIn(t, "proef/2-b/module.md", "title: Tweede module\n", "")(fsys)
				setFiles(map[string]string{lesson: lessonText("Slot", "0", "Tot slot.")})(fsys)
			},
			want: []string{
				"proef/course.md:4: audience: problem.unknown_value",
				"proef/10-a/01-slot.md:3: minutes: problem.out_of_range",
				"proef/2-b/module.md:1: title: problem.required",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := proefFS()
			tt.change(fsys)
			dir := tt.dir
			if dir == "" {
				dir = "proef"
			}
			c, err := ReadCourseFolder(fsys, dir)
			if c != nil {
				t.Errorf("ReadCourseFolder returned a course, want nil")
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

// renameDir moves every file under the folder from to the folder to.
func renameDir(fsys fstest.MapFS, from, to string) {
	for p, f := range fsys {
		if rest, ok := strings.CutPrefix(p, from+"/"); ok {
			delete(fsys, p)
			fsys[to+"/"+rest] = f
		}
	}
}

func TestReadCatalog(t *testing.T) {
	// catalogFS holds the valid course "proef" and the named extra folders,
	// each a copy of "proef" with course.md changed as given.
	catalogFS := func(bad map[string]string) fstest.MapFS {
		fsys := fstest.MapFS{"catalogus/README.md": {Data: []byte("geen cursus")}}
		for p, f := range proefFS() {
			fsys["catalogus/"+p] = f
		}
		for slug, text := range bad {
			for p, f := range proefFS() {
				fsys["catalogus/"+slug+strings.TrimPrefix(p, "proef")] = f
			}
			fsys["catalogus/"+slug+"/course.md"] = &fstest.MapFile{Data: []byte(text)}
		}
		return fsys
	}
	tests := []struct {
		name      string
		fsys      fstest.MapFS
		wantSlugs []string
		want      []string // problems; nil when the catalogue is valid
	}{
		{
			name:      "two valid courses",
			fsys:      catalogFS(map[string]string{"ander": strings.Replace(proefCourse, "version: 2", "version: 3", 1)}),
			wantSlugs: []string{"ander", "proef"},
		},
		{
			name: "one of two folders bad",
			fsys: catalogFS(map[string]string{"kapot": strings.Replace(proefCourse, "audience: wethouder, raadslid", "audience: koning", 1)}),
			want: []string{"kapot/course.md:4: audience: problem.unknown_value"},
		},
		{
			name: "two of three folders bad",
			fsys: catalogFS(map[string]string{
				"kapot":  strings.Replace(proefCourse, "audience: wethouder, raadslid", "audience: koning", 1),
				"stukje": strings.Replace(proefCourse, "version: 2", "version: nul", 1),
			}),
			want: []string{
				"kapot/course.md:4: audience: problem.unknown_value",
				"stukje/course.md:9: version: problem.not_number",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := ReadCatalog(tt.fsys, "catalogus")
			if tt.want != nil {
				if list != nil {
					t.Errorf("ReadCatalog returned %d courses, want none", len(list))
				}
				if got, want := ErrorCode(err), EINVALID; got != want {
					t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, want)
				}
				if got := problemStrings(err); !slices.Equal(got, tt.want) {
					t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadCatalog: %v\nproblems: %q", err, problemStrings(err))
			}
			var got []string
			for _, c := range list {
				got = append(got, c.Slug)
			}
			if !slices.Equal(got, tt.wantSlugs) {
				t.Errorf("slugs = %q, want %q", got, tt.wantSlugs)
			}
		})
	}
}

func TestReadCatalogMissingFolder(t *testing.T) {
	list, err := ReadCatalog(fstest.MapFS{}, "bestaat-niet")
	if list != nil {
		t.Errorf("ReadCatalog returned %d courses, want none", len(list))
	}
	if got, want := ErrorCode(err), EINVALID; got != want {
		t.Errorf("ErrorCode(%v) = %q, want %q", err, got, want)
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in     string
		want   float64
		wantOK bool
	}{
		{"4,5", 4.5, true},
		{"4.5", 4.5, true},
		{" 3 ", 3, true},
		{"0,5", 0.5, true},
		{"200", 200, true},
		{"0", 0, true}, // in range or not is the caller's business
		{"", 0, false},
		{"vier", 0, false},
		{"4,55", 0, false},
		{"4,", 0, false},
		{",5", 0, false},
		{"4,5,5", 0, false},
		{"4.5.5", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e2", 0, false},
		{"4 uur", 0, false},
		// Fail now: strconv.ParseFloat syntax slips through, see the report.
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"infinity", 0, false},
		{"1_0", 0, false},
		{"0x1p1", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseHours(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseHours(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
