package courses

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The front matter keys of each activity kind (FORMAT.md).
var activityKeys = map[ActivityKind][]string{
	KindLesson:  {"kind", "title", "minutes"},
	KindQuiz:    {"kind", "title", "minutes", "pass_mark", "attempts", "shuffle"},
	KindSession: {"kind", "title", "minutes", "starts", "ends", "location", "online_url", "capacity"},
}

var allActivityKeys = []string{"kind", "title", "minutes", "pass_mark", "attempts", "shuffle",
	"starts", "ends", "location", "online_url", "capacity"}

func (r *folderReader) activity(p string, position int, slug string) Activity {
	a := Activity{Position: position, Slug: slug, Kind: KindLesson}
	fm := r.read(p, allActivityKeys)
	if fm == nil || fm.broken {
		r.collect(fm)
		return a
	}
	fm.language = r.language
	if fm.has("kind") {
		a.Kind = ActivityKind(fm.choice("kind", names(ActivityKinds)))
	}
	if allowed, ok := activityKeys[a.Kind]; ok {
		keys := slices.SortedFunc(maps.Keys(fm.values), func(x, y string) int { return fm.values[x].line - fm.values[y].line })
		for _, key := range keys {
			if !contains(allowed, key) {
				fm.add(fm.values[key].line, key, ProblemUnknownKey, map[string]any{"allowed": strings.Join(allowed, ", ")})
			}
		}
	}
	a.Title = fm.text("title", true, 3, 120)
	a.Minutes = fm.integer("minutes", 1, 240)
	switch a.Kind {
	case KindQuiz:
		a.Quiz, a.Body = readQuiz(fm)
	case KindSession:
		a.Meeting = readMeeting(fm)
		a.Body = fm.body
	default:
		a.Body = fm.body
	}
	if a.Kind != KindQuiz && fm.body == "" {
		fm.add(fm.bodyLine, "", ProblemEmptyBody, nil)
	}
	r.scanReferences(fm)
	r.collect(fm)
	return a
}

var (
	optionLine = regexp.MustCompile(`^- (\( \)|\(x\)|\[ \]|\[x\]) (.+)$`)
	answerLine = regexp.MustCompile(`^answer:\s*(.*)$`)
)

// readQuiz reads a quiz's settings and, from its body, the introduction and
// the questions (FORMAT.md), adding a problem per bad line.
func readQuiz(fm *frontMatter) (*Quiz, string) {
	q := &Quiz{PassMark: fm.integer("pass_mark", 1, 100)}
	if fm.has("attempts") {
		q.MaxAttempts = fm.integer("attempts", 0, MaxAttemptsLimit)
	}
	if fm.has("shuffle") {
		switch strings.ToLower(fm.values["shuffle"].text) {
		case "ja", "yes", "true":
			q.Shuffle = true
		case "nee", "no", "false":
		default:
			fm.add(fm.line("shuffle"), "shuffle", ProblemUnknownValue, map[string]any{"value": truncate(fm.values["shuffle"].text, 30), "allowed": "ja, nee"})
		}
	}
	var intro []string
	var cur *Question
	var curLine, feedbackLine int
	var feedback []string
	finish := func() {
		if cur == nil {
			return
		}
		if cur.Kind == "" {
			cur.Kind = SingleChoice // no options at all: Validate names that
		}
		cur.Feedback = strings.TrimSpace(strings.Join(feedback, "\n"))
		for _, p := range cur.Validate() {
			line := curLine
			if strings.HasPrefix(p.Field, "feedback") && feedbackLine > 0 {
				line = feedbackLine
			}
			fm.add(line, "", p.Key, p.Args)
		}
		q.Questions = append(q.Questions, *cur)
		cur, feedback, feedbackLine = nil, nil, 0
	}
	for i, raw := range fm.lines {
		n := fm.bodyLine + i
		line := strings.TrimRight(raw, " \t")
		switch {
		case strings.HasPrefix(line, "## "):
			finish()
			cur = &Question{Position: len(q.Questions) + 1, Text: strings.TrimSpace(line[3:])}
			curLine = n
		case cur == nil:
			intro = append(intro, raw)
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, ">"):
			if feedbackLine == 0 {
				feedbackLine = n
			}
			feedback = append(feedback, strings.TrimPrefix(strings.TrimPrefix(line, ">"), " "))
		case len(feedback) > 0:
			fm.add(n, "", ProblemQuizLine, map[string]any{"text": truncate(line, 40)})
		case optionLine.MatchString(line):
			m := optionLine.FindStringSubmatch(line)
			kind := SingleChoice
			if m[1][0] == '[' {
				kind = MultipleChoice
			}
			if cur.Kind == "" {
				cur.Kind = kind
			} else if cur.Kind != kind {
				fm.add(n, "", ProblemQuizLine, map[string]any{"text": truncate(line, 40)})
				continue
			}
			cur.Options = append(cur.Options, Option{Position: len(cur.Options) + 1, Text: strings.TrimSpace(m[2]), Correct: m[1][1] == 'x'})
		case answerLine.MatchString(line) && cur.Kind == "":
			cur.Kind = TrueFalse
			switch v := strings.ToLower(strings.TrimSpace(answerLine.FindStringSubmatch(line)[1])); v {
			case "waar", "true":
				cur.Options = TrueFalseOptions(fm.language, true)
			case "niet waar", "onwaar", "false":
				cur.Options = TrueFalseOptions(fm.language, false)
			default:
				fm.add(n, "answer", ProblemUnknownValue, map[string]any{"value": truncate(v, 30), "allowed": "waar, niet waar"})
				cur.Options = TrueFalseOptions(fm.language, true)
			}
		default:
			fm.add(n, "", ProblemQuizLine, map[string]any{"text": truncate(line, 40)})
		}
	}
	finish()
	switch {
	case len(q.Questions) == 0:
		fm.add(fm.bodyLine, "", ProblemNoQuestions, nil)
	case len(q.Questions) > MaxQuestions:
		fm.add(fm.bodyLine, "", ProblemTooMany, map[string]any{"max": MaxQuestions})
	}
	return q, strings.TrimSpace(strings.Join(intro, "\n"))
}

// readMeeting reads a session's time, place and capacity.
func readMeeting(fm *frontMatter) *Meeting {
	m := &Meeting{
		StartsAt: dateTime(fm, "starts"),
		EndsAt:   dateTime(fm, "ends"),
		Location: fm.text("location", false, 3, 200),
		Capacity: fm.integer("capacity", 1, 1000),
	}
	if fm.has("online_url") {
		m.OnlineURL = fm.text("online_url", true, 10, 500)
		if !ValidHTTPS(m.OnlineURL) {
			fm.add(fm.line("online_url"), "online_url", ProblemBadURL, nil)
		}
	}
	if m.Location == "" && m.OnlineURL == "" {
		fm.add(1, "location", ProblemNeedPlace, nil)
	}
	if !m.StartsAt.IsZero() && !m.EndsAt.IsZero() && !m.EndsAt.After(m.StartsAt) {
		fm.add(fm.line("ends"), "ends", ProblemEndBeforeStart, nil)
	}
	return m
}

// DateTimeLayout is how session times are written: Dutch local time.
const DateTimeLayout = "2006-01-02 15:04"

func dateTime(fm *frontMatter, key string) time.Time {
	s := fm.text(key, true, 1, 40)
	if s == "" {
		return time.Time{}
	}
	t, err := ParseLocalTime(s)
	if err != nil {
		fm.add(fm.line(key), key, ProblemBadDateTime, map[string]any{"value": truncate(s, 30)})
	}
	return t
}

// ParseLocalTime reads "2027-01-14 19:30" (also with a T) as Amsterdam time.
func ParseLocalTime(s string) (time.Time, error) {
	return time.ParseInLocation(DateTimeLayout, strings.Replace(strings.TrimSpace(s), "T", " ", 1), Amsterdam)
}

// ValidHTTPS reports whether s is an absolute https URL with a host.
func ValidHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && !strings.ContainsAny(s, " \t\n\"<>")
}

// fileName is what a file in bestanden/ may be called: safe in a URL and in
// Markdown without escaping.
var fileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// files reads the course's bestanden/ folder: every file checked for type,
// size and content, the course's total bounded.
func (r *folderReader) files(dir string) []File {
	filesDir := path.Join(dir, FilesDir)
	entries, err := fs.ReadDir(r.fsys, filesDir)
	if err != nil {
		return nil // no bestanden/: a course without files
	}
	var out []File
	var total int64
	for _, e := range entries {
		name := e.Name()
		p := path.Join(filesDir, name)
		if ignored(name) || e.IsDir() {
			continue
		}
		if !fileName.MatchString(name) {
			r.problem(p, 0, ProblemBadName, map[string]any{"name": name})
			continue
		}
		if info, err := e.Info(); err == nil && info.Size() > MaxFileBytes {
			r.problem(p, 0, ProblemFileTooLarge, map[string]any{"max": MaxFileBytes >> 20})
			continue
		}
		data, err := fs.ReadFile(r.fsys, p)
		if err != nil {
			r.problem(p, 0, ProblemUnreadable, nil)
			continue
		}
		ct, key, args := CheckFile(name, data)
		if key != "" {
			r.problem(p, 0, key, args)
			continue
		}
		total += int64(len(data))
		out = append(out, NewFile(FilesDir+"/"+name, ct, data))
	}
	if total > MaxCourseBytes {
		r.problem(filesDir, 0, ProblemCourseTooLarge, map[string]any{"max": MaxCourseBytes >> 20})
	}
	return out
}

// NewFile returns a file with its size and hash computed from data.
func NewFile(p, contentType string, data []byte) File {
	sum := sha256.Sum256(data)
	return File{Path: p, ContentType: contentType, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Data: data}
}

// fileRef is a reference from Markdown to a file, kept for checking once
// every file is known.
type fileRef struct {
	file string
	line int
	path string
}

// refPattern finds link and image destinations that point into bestanden/.
var refPattern = regexp.MustCompile(`\]\(\s*<?((?:\.\./){0,2}` + FilesDir + `/[^)\s>]*)`)

// scanReferences records the file references in fm's body with their lines.
func (r *folderReader) scanReferences(fm *frontMatter) {
	for i, line := range fm.lines {
		for _, m := range refPattern.FindAllStringSubmatch(line, -1) {
			r.refs = append(r.refs, fileRef{file: fm.file, line: fm.bodyLine + i, path: m[1]})
		}
	}
}

// checkReferences reports references to files the course does not have.
func (r *folderReader) checkReferences(c *Course) {
	for _, ref := range r.refs {
		if _, ok := c.File(ref.path); !ok {
			r.problems = append(r.problems, Problem{File: ref.file, Line: ref.line, Key: ProblemFileMissing,
				Args: map[string]any{"name": ref.path}})
		}
	}
}

// File returns the course file that a reference from Markdown names:
// "bestanden/x.png", also written as "../bestanden/x.png".
func (c *Course) File(ref string) (File, bool) {
	for strings.HasPrefix(ref, "../") {
		ref = ref[3:]
	}
	if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	for _, f := range c.Files {
		if f.Path == ref {
			return f, true
		}
	}
	return File{}, false
}
