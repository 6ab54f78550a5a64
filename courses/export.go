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
	files := map[string][]byte{}
	for name, text := range CourseFolderFiles(c) {
		files[name] = []byte(text)
	}
	for _, f := range c.Files {
		if f.Data == nil {
			return Errorf(EINTERNAL, "file %s has no content loaded", f.Path)
		}
		files[filepath.FromSlash(f.Path)] = f.Data
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// CourseFolderFiles returns the Markdown files of c's folder (without
// bestanden/), by path relative to the course folder.
func CourseFolderFiles(c *Course) map[string]string {
	validity := ""
	if c.ValidityMonths > 0 {
		validity = strconv.Itoa(c.ValidityMonths)
	}
	files := map[string]string{
		courseFile: frontMatterText([][2]string{
			{"title", c.Title}, {"summary", c.Summary},
			{"audience", strings.Join(names(c.Audience), ", ")},
			{"topics", strings.Join(names(c.Topics), ", ")},
			{"study_hours", strconv.FormatFloat(c.StudyHours, 'f', -1, 64)},
			{"level", string(c.Level)}, {"language", c.Language},
			{"validity_months", validity}, {"prerequisites", strings.Join(c.Prerequisites, ", ")},
			{"version", strconv.Itoa(max(c.Version, 1))},
		}, c.Description),
	}
	for _, m := range c.Modules {
		mdir := fmt.Sprintf("%02d-%s", m.Position, m.Slug)
		files[mdir+"/"+moduleFile] = frontMatterText([][2]string{{"title", m.Title}, {"summary", m.Summary}}, m.Intro)
		for _, a := range m.Activities {
			files[fmt.Sprintf("%s/%02d-%s.md", mdir, a.Position, a.Slug)] = activityText(&a)
		}
	}
	return files
}

// activityText writes one activity file.
func activityText(a *Activity) string {
	pairs := [][2]string{{"title", a.Title}, {"minutes", strconv.Itoa(a.Minutes)}}
	switch {
	case a.Kind == KindQuiz && a.Quiz != nil:
		q := a.Quiz
		shuffle := "nee"
		if q.Shuffle {
			shuffle = "ja"
		}
		attempts := ""
		if q.MaxAttempts > 0 {
			attempts = strconv.Itoa(q.MaxAttempts)
		}
		pairs = append([][2]string{{"kind", "quiz"}}, append(pairs,
			[2]string{"pass_mark", strconv.Itoa(q.PassMark)}, [2]string{"attempts", attempts},
			[2]string{"shuffle", shuffle})...)
		return frontMatterText(pairs, quizBody(a.Body, q))
	case a.Kind == KindSession && a.Meeting != nil:
		m := a.Meeting
		capacity := strconv.Itoa(m.Capacity)
		pairs = append([][2]string{{"kind", "session"}}, append(pairs,
			[2]string{"starts", m.StartsAt.In(Amsterdam).Format(DateTimeLayout)},
			[2]string{"ends", m.EndsAt.In(Amsterdam).Format(DateTimeLayout)},
			[2]string{"location", m.Location}, [2]string{"online_url", m.OnlineURL},
			[2]string{"capacity", capacity})...)
	}
	return frontMatterText(pairs, a.Body)
}

// quizBody writes a quiz's introduction and questions in the folder format.
func quizBody(intro string, q *Quiz) string {
	var b strings.Builder
	if intro != "" {
		b.WriteString(intro + "\n\n")
	}
	for i, question := range q.Questions {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("## " + question.Text + "\n")
		switch question.Kind {
		case TrueFalse:
			answer := "niet waar"
			if len(question.Options) > 0 && question.Options[0].Correct {
				answer = "waar"
			}
			b.WriteString("answer: " + answer + "\n")
		default:
			for _, o := range question.Options {
				mark := map[bool]string{true: "(x)", false: "( )"}[o.Correct]
				if question.Kind == MultipleChoice {
					mark = map[bool]string{true: "[x]", false: "[ ]"}[o.Correct]
				}
				b.WriteString("- " + mark + " " + o.Text + "\n")
			}
		}
		if question.Feedback != "" {
			b.WriteString("\n")
			for _, line := range strings.Split(question.Feedback, "\n") {
				b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
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
