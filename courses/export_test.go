package courses

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCatalogRoundTrip(t *testing.T) {
	list, err := ReadCatalog(os.DirFS("catalog"), ".")
	if err != nil {
		t.Fatalf("ReadCatalog(catalog): %v\nproblems: %q", err, problemStrings(err))
	}
	if got, min := len(list), 8; got < min {
		t.Errorf("shipped catalogue has %d courses, want at least %d", got, min)
	}
	parent := t.TempDir()
	for _, c := range list {
		t.Run(c.Slug, func(t *testing.T) {
			if got, min := len(c.Modules), 3; got < min {
				t.Errorf("%d modules, want at least %d", got, min)
			}
			if len(c.Audience) == 0 {
				t.Errorf("no audience office")
			}
			if c.Description == "" {
				t.Errorf("empty description")
			}
			if err := WriteCourseFolder(parent, c); err != nil {
				t.Fatalf("WriteCourseFolder: %v", err)
			}
			got, err := ReadCourseFolder(os.DirFS(parent), c.Slug)
			if err != nil {
				t.Fatalf("ReadCourseFolder of the written folder: %v\nproblems: %q", err, problemStrings(err))
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("read back differs:\n got %+v\nwant %+v", got, c)
			}
		})
	}
}

func TestWriteCourseFolderRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Course)
	}{
		{name: "test course"},
		{
			name: "bounds",
			change: func(c *Course) {
				c.StudyHours = 0.5
				c.Audience = Offices
				c.Topics = Topics
				c.Language = "en"
				c.Level = LevelSpecialist
				c.Modules[1].Position = 999
				c.Modules[1].Activities[0].Position = 100
				c.Modules[1].Activities[0].Minutes = 240
			},
		},
		{
			name: "every activity kind, files and course settings",
			change: func(c *Course) {
				c.ValidityMonths = 48
				c.Prerequisites = []string{"nieuw-in-de-raad", "integriteit"}
				png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 40)...)
				c.Files = []File{NewFile("bestanden/kaart.png", "image/png", png), NewFile("bestanden/notitie.pdf", "application/pdf", []byte("%PDF-1.7\n"))}
				c.Modules[0].Activities[0].Body = "Zie ![De kaart](bestanden/kaart.png) en [de notitie](../bestanden/notitie.pdf)."
				starts, _ := ParseLocalTime("2027-03-28 19:30") // the night summer time starts
				ends, _ := ParseLocalTime("2027-03-28 22:00")
				c.Modules[1].Activities = append(c.Modules[1].Activities,
					Activity{Position: 2, Slug: "toets", Kind: KindQuiz, Title: "Toets: de raad", Minutes: 10, Body: "Zes vragen.",
						Quiz: &Quiz{PassMark: 70, MaxAttempts: 3, Shuffle: true, Questions: []Question{
							{Position: 1, Kind: SingleChoice, Text: "Wie stelt de begroting vast?", Feedback: "De raad.\n\nArtikel 189 Gemeentewet.", Options: []Option{
								{Position: 1, Text: "Het college"}, {Position: 2, Text: "De raad", Correct: true}}},
							{Position: 2, Kind: MultipleChoice, Text: "Welke stukken? Kies alle goede antwoorden.", Options: []Option{
								{Position: 1, Text: "Begroting", Correct: true}, {Position: 2, Text: "Jaarrekening", Correct: true}, {Position: 3, Text: "Akkoord"}}},
							{Position: 3, Kind: TrueFalse, Text: "De raad kan amenderen.", Feedback: "Ja.", Options: TrueFalseOptions("nl", true)},
							{Position: 4, Kind: TrueFalse, Text: "Het college amendeert.", Options: TrueFalseOptions("nl", false)},
						}}},
					Activity{Position: 3, Slug: "oefenavond", Kind: KindSession, Title: "Oefenavond", Minutes: 150, Body: "Neem de begroting mee.",
						Meeting: &Meeting{StartsAt: starts, EndsAt: ends, Location: "Stadhuis, Utrecht", OnlineURL: "https://meet.example.nl/x", Capacity: 24}},
					Activity{Position: 4, Slug: "online", Kind: KindSession, Title: "Online vragenuur", Minutes: 60, Body: "Vragen.",
						Meeting: &Meeting{StartsAt: starts, EndsAt: ends, OnlineURL: "https://meet.example.nl/y", Capacity: 1000}},
					Activity{Position: 5, Slug: "kort", Kind: KindQuiz, Title: "Korte toets", Minutes: 1,
						Quiz: &Quiz{PassMark: 100, Questions: []Question{
							{Position: 1, Kind: SingleChoice, Text: "Één vraag?", Options: []Option{{Position: 1, Text: "Ja", Correct: true}, {Position: 2, Text: "Nee"}}},
						}}},
				)
			},
		},
		{
			name: "markdown that looks like front matter",
			change: func(c *Course) {
				c.Description = "---\ntitle: geen sleutel\n---\n\n# Kop\n\n- a: b"
				c.Modules[0].Intro = "# Inleiding: over de raad"
				c.Modules[0].Activities[0].Body = "---\n\nTekst na een lijn."
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := proefCourseWant()
			if tt.change != nil {
				tt.change(want)
			}
			parent := t.TempDir()
			if err := WriteCourseFolder(parent, want); err != nil {
				t.Fatalf("WriteCourseFolder: %v", err)
			}
			got, err := ReadCourseFolder(os.DirFS(parent), want.Slug)
			if err != nil {
				t.Fatalf("ReadCourseFolder of the written folder: %v\nproblems: %q", err, problemStrings(err))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back differs:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestWriteCourseFolderConflict(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, parent string)
	}{
		{
			name: "empty folder",
			setup: func(t *testing.T, parent string) {
				if err := os.Mkdir(filepath.Join(parent, "proef"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "file with the slug as name",
			setup: func(t *testing.T, parent string) {
				if err := os.WriteFile(filepath.Join(parent, "proef"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "course written before",
			setup: func(t *testing.T, parent string) {
				if err := WriteCourseFolder(parent, proefCourseWant()); err != nil {
					t.Fatalf("first WriteCourseFolder: %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			tt.setup(t, parent)
			before := listFiles(t, parent)

			c := proefCourseWant()
			c.Title = "Een andere titel"
			err := WriteCourseFolder(parent, c)
			if got, want := ErrorCode(err), ECONFLICT; got != want {
				t.Errorf("ErrorCode(%v) = %q, want %q", err, got, want)
			}
			if got := listFiles(t, parent); !reflect.DeepEqual(got, before) {
				t.Errorf("files after refused write:\n got %q\nwant %q", got, before)
			}
		})
	}
}

// listFiles returns every path under dir with its content.
func listFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		files[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
