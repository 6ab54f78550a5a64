package courses

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteCourseFolder writes c as a course folder (FORMAT.md) named after its
// slug inside parent, so that ReadCourseFolder reads back the same course.
// It refuses to write over an existing folder.
func WriteCourseFolder(parent string, c *Course) error {
	if !ValidSlug(c.Slug) {
		return Errorf(EINVALID, "bad slug %q", c.Slug)
	}
	dir := filepath.Join(parent, c.Slug)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil { // fails when it exists: never write over a folder
		if os.IsExist(err) {
			return Errorf(ECONFLICT, "folder %s exists already", dir)
		}
		return err
	}
	files := map[string]string{
		courseFile: frontMatterText([][2]string{
			{"title", c.Title}, {"summary", c.Summary},
			{"audience", strings.Join(names(c.Audience), ", ")},
			{"topics", strings.Join(names(c.Topics), ", ")},
			{"study_hours", strconv.FormatFloat(c.StudyHours, 'f', -1, 64)},
			{"level", string(c.Level)}, {"language", c.Language}, {"version", strconv.Itoa(c.Version)},
		}, c.Description),
	}
	for _, m := range c.Modules {
		mdir := fmt.Sprintf("%02d-%s", m.Position, m.Slug)
		files[filepath.Join(mdir, moduleFile)] = frontMatterText([][2]string{{"title", m.Title}, {"summary", m.Summary}}, m.Intro)
		for _, l := range m.Lessons {
			name := fmt.Sprintf("%02d-%s.md", l.Position, l.Slug)
			files[filepath.Join(mdir, name)] = frontMatterText([][2]string{{"title", l.Title}, {"minutes", strconv.Itoa(l.Minutes)}}, l.Body)
		}
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func frontMatterText(pairs [][2]string, body string) string {
	var b strings.Builder
	b.WriteString("---\n")
	for _, kv := range pairs {
		if kv[1] == "" {
			continue
		}
		b.WriteString(kv[0] + ": " + kv[1] + "\n")
	}
	b.WriteString("---\n")
	if body != "" {
		b.WriteString(body + "\n")
	}
	return b.String()
}
