package courses

import (
	"errors"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The file names and keys of the course folder format (FORMAT.md).
const (
	courseFile = "course.md"
	moduleFile = "module.md"
)

var (
	courseKeys = []string{"title", "summary", "audience", "topics", "study_hours", "level", "language",
		"validity_months", "prerequisites", "version"}
	moduleKeys = []string{"title", "summary"}

	numberedDir  = regexp.MustCompile(`^([0-9]{1,3})-([a-z0-9]+(?:-[a-z0-9]+)*)$`)
	numberedFile = regexp.MustCompile(`^([0-9]{1,3})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$`)
)

// ReadCourseFolder reads and checks the course folder dir in fsys. The folder's
// name is the course slug. It returns an EINVALID *Error listing every problem
// found, each with its file (relative to dir's parent) and line, or the course.
func ReadCourseFolder(fsys fs.FS, dir string) (*Course, error) {
	r := &folderReader{fsys: fsys, base: path.Dir(dir)}
	c := r.course(dir)
	r.checkReferences(c)
	if len(r.problems) > 0 {
		return nil, Invalid("course folder "+path.Base(dir)+" has problems", r.problems...)
	}
	return c, nil
}

// ReadCatalog reads every course folder directly under dir, for example the
// shipped catalogue. Problems of all folders are reported together.
func ReadCatalog(fsys fs.FS, dir string) ([]*Course, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, Errorf(EINVALID, "read catalogue %s: %v", dir, err)
	}
	var list []*Course
	var problems []Problem
	for _, e := range entries {
		if !e.IsDir() || ignored(e.Name()) {
			continue
		}
		c, err := ReadCourseFolder(fsys, path.Join(dir, e.Name()))
		if err != nil {
			p := ErrorProblems(err)
			if p == nil {
				return nil, err
			}
			problems = append(problems, p...)
			continue
		}
		list = append(list, c)
	}
	if len(problems) > 0 {
		return nil, Invalid("catalogue has problems", problems...)
	}
	return list, nil
}

type folderReader struct {
	fsys     fs.FS
	base     string
	problems []Problem
	refs     []fileRef // references to bestanden/ in Markdown, checked at the end
	language string    // the course's language once course.md is read
}

// rel names a path for problems: relative to the folder holding the course.
func (r *folderReader) rel(p string) string {
	if r.base == "." {
		return p
	}
	return strings.TrimPrefix(p, r.base+"/")
}

func (r *folderReader) problem(file string, line int, key string, args map[string]any) {
	r.problems = append(r.problems, Problem{File: r.rel(file), Line: line, Key: key, Args: args})
}

func (r *folderReader) read(p string, allowed []string) *frontMatter {
	data, err := fs.ReadFile(r.fsys, p)
	if err != nil {
		key := ProblemUnreadable
		if errors.Is(err, fs.ErrNotExist) {
			key = ProblemMissingFile
		}
		r.problem(p, 0, key, nil)
		return nil
	}
	return parseFrontMatter(r.rel(p), data, allowed)
}

func (r *folderReader) collect(fm *frontMatter) {
	if fm != nil {
		r.problems = append(r.problems, fm.problems...)
	}
}

func (r *folderReader) course(dir string) *Course {
	c := &Course{Slug: path.Base(dir)}
	if !ValidSlug(c.Slug) {
		r.problem(dir, 0, ProblemBadSlug, map[string]any{"name": c.Slug})
	}
	if fm := r.read(path.Join(dir, courseFile), courseKeys); fm != nil && fm.broken {
		r.collect(fm)
	} else if fm != nil {
		c.Title = fm.text("title", true, 3, 120)
		c.Summary = fm.text("summary", true, 10, 300)
		for _, o := range fm.list("audience", func(s string) bool { return Office(s).Valid() }, names(Offices)) {
			c.Audience = append(c.Audience, Office(o))
		}
		for _, t := range fm.list("topics", func(s string) bool { return Topic(s).Valid() }, names(Topics)) {
			c.Topics = append(c.Topics, Topic(t))
		}
		c.StudyHours = studyHours(fm)
		c.Level = Level(fm.choice("level", names(Levels)))
		c.Language = fm.choice("language", Languages)
		r.language = c.Language
		if fm.has("validity_months") {
			c.ValidityMonths = fm.integer("validity_months", 1, 240)
		}
		if fm.has("prerequisites") {
			c.Prerequisites = fm.list("prerequisites", ValidSlug, []string{"slugs"})
			if contains(c.Prerequisites, c.Slug) {
				fm.add(fm.line("prerequisites"), "prerequisites", ProblemSelfPrerequisite, nil)
			}
		}
		if fm.has("version") {
			fm.integer("version", 1, 1_000_000) // informational: checked, not kept
		}
		c.Description = fm.body
		if fm.body == "" {
			fm.add(fm.bodyLine, "", ProblemEmptyBody, nil)
		}
		r.scanReferences(fm)
		r.collect(fm)
	}
	c.Files = r.files(dir)
	r.eachNumbered(dir, numberedDir, func(p string, n int, slug string) {
		c.Modules = append(c.Modules, r.module(p, n, slug))
	})
	if len(c.Modules) == 0 {
		r.problem(path.Join(dir, courseFile), 0, ProblemNoModules, nil)
	}
	slices.SortFunc(c.Modules, func(a, b Module) int { return a.Position - b.Position })
	return c
}

// eachNumbered calls fn, in folder order, for each module folder (pattern
// numberedDir) or lesson file (numberedFile) in dir whose name has the
// NN-slug form and a number not used before in dir. Other names starting with
// a digit are problems; names without a leading digit are ignored.
func (r *folderReader) eachNumbered(dir string, pattern *regexp.Regexp, fn func(p string, n int, slug string)) {
	entries, err := fs.ReadDir(r.fsys, dir)
	if err != nil {
		r.problem(dir, 0, ProblemUnreadable, nil)
		return
	}
	wantDir := pattern == numberedDir
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() != wantDir || ignored(name) || !startsWithDigit(name) || (!wantDir && !strings.HasSuffix(name, ".md")) {
			continue
		}
		p := path.Join(dir, name)
		m := pattern.FindStringSubmatch(name)
		if m == nil {
			r.problem(p, 0, ProblemBadName, map[string]any{"name": name})
			continue
		}
		n, _ := strconv.Atoi(m[1]) // at most three digits: cannot fail
		if other, dup := seen[n]; dup {
			r.problem(p, 0, ProblemDuplicateNumber, map[string]any{"number": n, "other": other})
			continue
		}
		seen[n] = name
		fn(p, n, m[2])
	}
}

func (r *folderReader) module(dir string, position int, slug string) Module {
	m := Module{Position: position, Slug: slug}
	if fm := r.read(path.Join(dir, moduleFile), moduleKeys); fm != nil && fm.broken {
		r.collect(fm)
	} else if fm != nil {
		m.Title = fm.text("title", true, 3, 120)
		m.Summary = fm.text("summary", false, 0, 300)
		m.Intro = fm.body
		r.scanReferences(fm)
		r.collect(fm)
	}
	r.eachNumbered(dir, numberedFile, func(p string, n int, slug string) {
		m.Activities = append(m.Activities, r.activity(p, n, slug))
	})
	if len(m.Activities) == 0 {
		r.problem(path.Join(dir, moduleFile), 0, ProblemNoLessons, nil)
	}
	slices.SortFunc(m.Activities, func(a, b Activity) int { return a.Position - b.Position })
	return m
}

// studyHours reads study_hours: 0,5 to 200 with at most one decimal.
func studyHours(fm *frontMatter) float64 {
	s := fm.text("study_hours", true, 1, 20)
	if s == "" {
		return 0
	}
	line := fm.line("study_hours")
	if _, frac, ok := strings.Cut(strings.Replace(s, ",", ".", 1), "."); ok && len(frac) > 1 && allDigits(frac) {
		fm.add(line, "study_hours", ProblemTooManyDecimals, map[string]any{"value": s})
		return 0
	}
	h, ok := ParseHours(s)
	if !ok {
		fm.add(line, "study_hours", ProblemNotNumber, map[string]any{"value": truncate(s, 20)})
		return 0
	}
	if h < 0.5 || h > 200 {
		fm.add(line, "study_hours", ProblemOutOfRange, map[string]any{"min": "0,5", "max": 200})
	}
	return h
}

func ignored(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

func startsWithDigit(name string) bool { return name != "" && name[0] >= '0' && name[0] <= '9' }

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func names[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}
