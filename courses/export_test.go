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
				c.Version = 1_000_000
				c.Modules[1].Position = 999
				c.Modules[1].Lessons[0].Position = 100
				c.Modules[1].Lessons[0].Minutes = 240
			},
		},
		{
			name: "markdown that looks like front matter",
			change: func(c *Course) {
				c.Description = "---\ntitle: geen sleutel\n---\n\n# Kop\n\n- a: b"
				c.Modules[0].Intro = "# Inleiding: over de raad"
				c.Modules[0].Lessons[0].Body = "---\n\nTekst na een lijn."
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
