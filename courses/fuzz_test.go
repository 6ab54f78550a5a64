package courses

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// frontMatterSeeds are valid and broken Markdown files for the fuzz targets.
var frontMatterSeeds = []string{
	proefCourse,
	lessonText("Slot", "10", "Tot slot.\n"),
	"---\ntitle: Module\nsummary:\n---\n",
	strings.ReplaceAll(proefCourse, "\n", "\r\n"),
	"\uFEFF" + proefCourse,
	"---\ntitle: Slot\nminutes: 10\n\nTekst.\n",
	"title: Slot\n---\n",
	"---\n# commentaar\n\nauthor: x\nlevel: basis\nlevel: basis\nniveau\n: leeg\n---\n",
	"---\ntitle: Sl\xffot\n---\n",
	"",
	"---",
	"---\n---",
	" ---\n---\n",
}

// parseSafely runs parseFrontMatter and turns a panic into a test failure
// that shows the input.
func parseSafely(t *testing.T, data []byte) *frontMatter {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("parseFrontMatter(%q) panicked: %v", data, p)
		}
	}()
	return parseFrontMatter("f.md", data, courseKeys)
}

func FuzzParseFrontMatter(f *testing.F) {
	for _, s := range frontMatterSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fm := parseSafely(t, data)
		lines := strings.Count(string(data), "\n") + 1
		for _, p := range fm.problems {
			if p.Line < 0 || p.Line > lines {
				t.Errorf("problem %s: line %d outside 0..%d", p, p.Line, lines)
			}
			if !slices.Contains(ProblemKeys, p.Key) {
				t.Errorf("problem %s: unknown key %q", p, p.Key)
			}
			if p.File != "f.md" {
				t.Errorf("problem %s: file %q, want %q", p, p.File, "f.md")
			}
		}
		if len(fm.problems) > 0 {
			return
		}
		for key := range fm.values {
			if !slices.Contains(courseKeys, key) {
				t.Errorf("value for key %q that is not allowed", key)
			}
		}
		if fm.body != strings.TrimSpace(fm.body) {
			t.Errorf("body %q not trimmed", fm.body)
		}
		again := parseSafely(t, data)
		if !reflect.DeepEqual(again.values, fm.values) || again.body != fm.body || again.bodyLine != fm.bodyLine {
			t.Errorf("parsing twice differs:\n%+v\n%+v", fm, again)
		}
	})
}

// readSafely runs ReadCourseFolder and turns a panic into a test failure.
func readSafely(t *testing.T, fsys fstest.MapFS, dir string) (*Course, error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("ReadCourseFolder panicked: %v\ncourse.md: %q", p, fsys[dir+"/course.md"].Data)
		}
	}()
	return ReadCourseFolder(fsys, dir)
}

func FuzzReadCourseFolder(f *testing.F) {
	for _, s := range frontMatterSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"proef/course.md":       {Data: data},
			"proef/01-a/module.md":  {Data: []byte("---\ntitle: Module a\n---\n")},
			"proef/01-a/01-slot.md": {Data: []byte(lessonText("Slot", "10", "Tot slot."))},
		}
		c, err := readSafely(t, fsys, "proef")
		switch {
		case c == nil && err == nil:
			t.Fatal("ReadCourseFolder returned neither a course nor an error")
		case c != nil && err != nil:
			t.Fatalf("ReadCourseFolder returned a course and the error %v", err)
		case err != nil:
			checkInvalid(t, err, "proef/course.md", 0)
			return
		}
		// A course that reads without problems keeps every rule of FORMAT.md.
		if n := utf8.RuneCountInString(c.Title); n < 3 || n > 120 {
			t.Errorf("title of %d characters", n)
		}
		if n := utf8.RuneCountInString(c.Summary); n < 10 || n > 300 {
			t.Errorf("summary of %d characters", n)
		}
		if len(c.Audience) == 0 || len(c.Topics) == 0 {
			t.Errorf("audience %q, topics %q: want at least one of each", c.Audience, c.Topics)
		}
		for _, o := range c.Audience {
			if !o.Valid() {
				t.Errorf("audience %q", o)
			}
		}
		for _, tp := range c.Topics {
			if !tp.Valid() {
				t.Errorf("topic %q", tp)
			}
		}
		if !(c.StudyHours >= 0.5 && c.StudyHours <= 200) {
			t.Errorf("study hours %v outside 0,5..200", c.StudyHours)
		}
		if !c.Level.Valid() || !slices.Contains(Languages, c.Language) {
			t.Errorf("level %q, language %q", c.Level, c.Language)
		}
		if c.Description == "" || len(c.Modules) != 1 {
			t.Errorf("description %q, %d modules: want a description and 1 module", c.Description, len(c.Modules))
		}
	})
}

func FuzzParseMunicipalities(f *testing.F) {
	f.Add(municipalityHeader + "GM0014,Groningen,Groningen,Groningen\nGM0820,\"Nuenen, Gerwen en Nederwetten\",Nuenen,Noord-Brabant\n")
	f.Add("\uFEFF" + municipalityHeader + "GM0080,Leeuwarden,Leeuwarden,Fryslân\r\n")
	f.Add(municipalityHeader + "GM12,,x,Friesland\nGM0014,a\n")
	f.Add(municipalityHeader)
	f.Add("")
	f.Add("a,b\n")
	f.Fuzz(func(t *testing.T, in string) {
		list, err := parseMunicipalities(t, in)
		if (list == nil) == (err == nil) {
			t.Fatalf("ParseMunicipalities returned %d municipalities and the error %v: want exactly one", len(list), err)
		}
		if err != nil {
			checkInvalid(t, err, "g.csv", 1)
			return
		}
		seen := map[string]bool{}
		for _, m := range list {
			if !ValidCBSCode(m.CBSCode) || seen[m.CBSCode] || m.Name == "" || m.CommonName == "" || !slices.Contains(Provinces, m.Province) || !m.Active {
				t.Errorf("bad municipality %+v", m)
			}
			seen[m.CBSCode] = true
		}
	})
}

// parseHoursSafely runs ParseHours and turns a panic into a test failure.
func parseHoursSafely(t *testing.T, s string) (float64, bool) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("ParseHours(%q) panicked: %v", s, p)
		}
	}()
	return ParseHours(s)
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"4,5", "4.5", "0", "200", " 3 ", "4,55", "vier", ",5", "5,", "-1", "1e2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseHoursSafely(t, s)
		if !ok {
			return
		}
		if !(h >= 0) {
			t.Fatalf("ParseHours(%q) = %v, want a number >= 0", s, h)
		}
		for _, again := range []string{strconv.FormatFloat(h, 'f', 1, 64), strings.Replace(strconv.FormatFloat(h, 'f', 1, 64), ".", ",", 1)} {
			if got, ok := parseHoursSafely(t, again); !ok || got != h {
				t.Errorf("ParseHours(%q) = %v; ParseHours(%q) = %v, %v, want %v, true", s, h, again, got, ok, h)
			}
		}
	})
}

// FuzzParseMemberCSV: an uploaded member list never panics, and every
// accepted row is a valid invitation.
func FuzzParseMemberCSV(f *testing.F) {
	f.Add("email;naam;ambt;gemeente\na@example.nl;Anna;raadslid;GM0363\n")
	f.Add("\uFEFFemail,naam\nb@example.nl,\"Çelik, Ayşe\"\n")
	f.Add("email;naam\n\"unterminated;x\n")
	f.Add("naam\nx\n")
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := ParseMemberCSV(strings.NewReader(data), "leden.csv")
		if err != nil {
			if ErrorCode(err) != EINVALID || len(ErrorProblems(err)) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		for _, r := range rows {
			nu := NewUser{Email: r.Email, Name: r.Name, Role: RoleLearner}
			if nu.Validate() != nil || (r.Office != "" && !r.Office.Valid()) || r.Line < 2 {
				t.Fatalf("accepted a bad row: %+v", r)
			}
		}
	})
}

// checkInvalid fails unless err is EINVALID with at least one problem, each
// in file, on a line >= minLine, with a known message key.
func checkInvalid(t *testing.T, err error, file string, minLine int) {
	t.Helper()
	if got, want := ErrorCode(err), EINVALID; got != want {
		t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, want)
	}
	problems := ErrorProblems(err)
	if len(problems) == 0 {
		t.Fatalf("%v has no problems", err)
	}
	for _, p := range problems {
		if p.File != file || p.Line < minLine || !slices.Contains(ProblemKeys, p.Key) {
			t.Errorf("problem %s: want file %s, line >= %d and a known key", p, file, minLine)
		}
	}
}

// quizSeeds are valid and broken quiz bodies for FuzzReadQuiz.
var quizSeeds = []string{
	"## Wie stelt de begroting vast?\n- ( ) Het college\n- (x) De raad\n",
	"Inleiding.\n\n## Welke stukken?\n- [x] De begroting\n- [ ] Het akkoord\n- [x] De jaarrekening\n\n> Begroting en jaarrekening.\n>\n> Artikel 189.\n\n## De raad amendeert.\nanswer: waar\n",
	"## Waar?\nanswer: niet waar\n\n> Nee.\n## Onwaar?\nanswer: onwaar\n",
	"## Wie?\n- (x) a\n- (x) b\n",
	"## Welke?\n- [ ] a\n- [ ] b\n",
	"## Gemengd?\n- ( ) a\n- [x] b\n- (x) c\n",
	"## Waar?\nanswer: misschien\n",
	"## Een optie?\n- (x) a\n",
	"## Geen opties?\n\n## Wel opties?\n- (x) a\n- ( ) b\n",
	"## Wie?\n- (x) a\n- ( ) b\nrommel\n> fb\nnog meer\n",
	"Alleen een inleiding met [een bestand](bestanden/nope.pdf).\n",
	"",
	"##\n## \n###  x\n- (x)\n- ( ) \n",
	"## Wie?\r\n- (x) a\r\n- ( ) b\r\n",
	"## Wie?\n- (x) \u00a0\n- ( ) b\n",
	"## Sl\xffot?\n- (x) a\n- ( ) b\n",
}

// readQuizFolder returns an otherwise valid course folder whose quiz
// proef/10-a/02-toets.md has body as its body.
func readQuizFolder(body []byte) fstest.MapFS {
	fsys := proefFS()
	fsys[quizPath] = &fstest.MapFile{Data: append([]byte("---\nkind: quiz\ntitle: Toets\nminutes: 10\npass_mark: 70\nattempts: 3\nshuffle: ja\n---\n"), body...)}
	return fsys
}

// readQuizSafely runs ReadCourseFolder and turns a panic into a test failure
// that shows the quiz.
func readQuizSafely(t *testing.T, fsys fstest.MapFS) (*Course, error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("ReadCourseFolder panicked: %v\nquiz: %q", p, fsys[quizPath].Data)
		}
	}()
	return ReadCourseFolder(fsys, "proef")
}

// FuzzReadQuiz: any quiz body reads without panicking, either into a quiz
// that keeps every rule of FORMAT.md and writes back unchanged, or into
// problems that each point at a line of the quiz file.
func FuzzReadQuiz(f *testing.F) {
	for _, s := range quizSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fsys := readQuizFolder(body)
		c, err := readQuizSafely(t, fsys)
		switch {
		case c == nil && err == nil:
			t.Fatal("ReadCourseFolder returned neither a course nor an error")
		case c != nil && err != nil:
			t.Fatalf("ReadCourseFolder returned a course and the error %v", err)
		case err != nil:
			if got, want := ErrorCode(err), EINVALID; got != want {
				t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, want)
			}
			problems := ErrorProblems(err)
			if len(problems) == 0 {
				t.Fatalf("%v has no problems", err)
			}
			lines := strings.Count(string(fsys[quizPath].Data), "\n") + 1
			for _, p := range problems {
				fileLevel := p.Key == ProblemNotUTF8 || p.Key == ProblemTooLarge
				switch {
				case p.File != quizPath:
					t.Errorf("problem %s: want file %s", p, quizPath)
				case !slices.Contains(ProblemKeys, p.Key):
					t.Errorf("problem %s: unknown key", p)
				case p.Line == 0 && !fileLevel:
					t.Errorf("problem %s: line 0 for a problem that is not about the whole file", p)
				case p.Line < 0 || p.Line > lines:
					t.Errorf("problem %s: line %d outside 1..%d", p, p.Line, lines)
				}
			}
			return
		}
		step, ok := c.Find("a", "toets")
		if !ok || step.Activity.Kind != KindQuiz || step.Activity.Quiz == nil {
			t.Fatalf("no quiz a/toets in the course: %+v", c.Modules)
		}
		a := step.Activity
		q := a.Quiz
		if p := q.Validate(); len(p) > 0 {
			t.Errorf("quiz read without problems fails Validate: %q", fieldKeys(p))
		}
		if q.PassMark != 70 || q.MaxAttempts != 3 || !q.Shuffle {
			t.Errorf("settings %+v, want pass mark 70, 3 attempts, shuffled", q)
		}
		if a.Body != strings.TrimSpace(a.Body) {
			t.Errorf("introduction %q not trimmed", a.Body)
		}
		for i, question := range q.Questions {
			if p := question.Validate(); len(p) > 0 {
				t.Errorf("question %d fails Validate: %q", i+1, fieldKeys(p))
			}
			if question.Position != i+1 {
				t.Errorf("question %d has position %d", i+1, question.Position)
			}
			correct := 0
			for j, o := range question.Options {
				if o.Position != j+1 {
					t.Errorf("question %d option %d has position %d", i+1, j+1, o.Position)
				}
				if o.Correct {
					correct++
				}
				if o.Text != strings.TrimSpace(o.Text) {
					t.Errorf("question %d option %d: text %q not trimmed", i+1, j+1, o.Text)
				}
			}
			switch question.Kind {
			case SingleChoice, TrueFalse:
				if correct != 1 {
					t.Errorf("question %d (%s) has %d correct options, want 1", i+1, question.Kind, correct)
				}
			case MultipleChoice:
				if correct < 1 {
					t.Errorf("question %d (multiple) has no correct option", i+1)
				}
			default:
				t.Errorf("question %d has kind %q", i+1, question.Kind)
			}
			if question.Kind == TrueFalse && !reflect.DeepEqual(question.Options, TrueFalseOptions("nl", correct == 1 && question.Options[0].Correct)) {
				t.Errorf("true/false question %d has options %+v", i+1, question.Options)
			}
		}
		// courses export writes the quiz back; it must read the same.
		again := proefFS()
		again[quizPath] = &fstest.MapFile{Data: []byte(activityText(a))}
		c2, err := readQuizSafely(t, again)
		if err != nil {
			t.Fatalf("the written quiz does not read: %v\nproblems: %q\nwritten: %q", err, problemStrings(err), again[quizPath].Data)
		}
		if step2, _ := c2.Find("a", "toets"); !reflect.DeepEqual(step2.Activity, a) {
			t.Errorf("written and read back differs:\n got %+v\nwant %+v", step2.Activity, a)
		}
	})
}
