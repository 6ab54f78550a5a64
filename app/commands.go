package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// readCourses reads path as one course folder (it holds course.md) or as a
// folder of course folders.
func readCourses(path string) ([]*courses.Course, error) {
	path = filepath.Clean(path)
	info, err := os.Stat(path)
	if err != nil || !info.IsDir() {
		return nil, courses.Invalid("not a folder", courses.Problem{File: path, Key: courses.ProblemMissingFile})
	}
	parent, name := filepath.Split(path)
	if parent == "" {
		parent = "."
	}
	fsys := os.DirFS(parent)
	if _, err := fs.Stat(fsys, name+"/course.md"); err == nil {
		c, err := courses.ReadCourseFolder(fsys, name)
		if err != nil {
			return nil, err
		}
		return []*courses.Course{c}, nil
	}
	return courses.ReadCatalog(fsys, name)
}

// checkCourses checks course folders without a database: `courses check PATH`.
func checkCourses(stdout io.Writer, l *Locale, path string) error {
	list, err := readCourses(path)
	if err != nil {
		return err
	}
	for _, c := range list {
		fmt.Fprintln(stdout, l.T("cli.course_ok", "slug", c.Slug, "modules", len(c.Modules), "lessons", c.LessonCount()))
	}
	return nil
}

// importCourses loads course folders all-or-nothing: a new course is
// published, a new version of a stored course becomes its draft (see
// courses.ImportOptions): `courses import [--publish | --draft]
// [--replace-draft] [--owner EMAIL] PATH`.
func importCourses(ctx context.Context, d *db.DB, stdout io.Writer, l *Locale, args []string) error {
	fs := flag.NewFlagSet("courses import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	publish := fs.Bool("publish", false, "")
	draft := fs.Bool("draft", false, "")
	replace := fs.Bool("replace-draft", false, "")
	owner := fs.String("owner", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return usageError{args: append([]string{"courses", "import"}, args...)}
	}
	opt := courses.ImportOptions{Publish: *publish, Draft: *draft, ReplaceDraft: *replace}
	if *owner != "" {
		u, err := db.NewUserService(d).UserByEmail(ctx, *owner)
		if err != nil {
			return courses.Invalid("owner", courses.Problem{Field: "owner", Key: courses.ProblemNoTrainer})
		}
		if u.Role != courses.RoleTrainer && u.Role != courses.RoleAdmin {
			return courses.Invalid("owner", courses.Problem{Field: "owner", Key: courses.ProblemNoTrainer})
		}
		opt.Owner = u.ID
	}
	list, err := readCourses(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := db.NewCourseService(d).SaveCourses(ctx, list, opt); err != nil {
		return err
	}
	for _, c := range list {
		key := "cli.course_imported"
		if c.State == courses.StatePublished {
			key = "cli.course_imported_published"
		}
		fmt.Fprintln(stdout, l.T(key, "slug", c.Slug, "version", c.Version, "modules", len(c.Modules), "lessons", c.LessonCount()))
	}
	return nil
}

// exportCourse writes a stored course, with its files, as a folder:
// `courses export [--draft] SLUG PATH`.
func exportCourse(ctx context.Context, d *db.DB, stdout io.Writer, l *Locale, args []string) error {
	fs := flag.NewFlagSet("courses export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	draft := fs.Bool("draft", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		return usageError{args: append([]string{"courses", "export"}, args...)}
	}
	slug, path := fs.Arg(0), fs.Arg(1)
	cs := db.NewCourseService(d)
	var c *courses.Course
	var err error
	if *draft {
		var id int64
		if id, err = cs.CourseIDBySlug(ctx, slug); err == nil {
			c, err = cs.DraftOnly(ctx, id)
		}
	} else {
		c, err = cs.CourseBySlug(ctx, slug)
	}
	if err != nil {
		return err
	}
	if err := cs.LoadFileData(ctx, c); err != nil {
		return err
	}
	if err := courses.WriteCourseFolder(path, c); err != nil {
		return err
	}
	fmt.Fprintln(stdout, l.T("cli.course_exported", "slug", slug, "version", c.Version, "path", filepath.Join(path, slug)))
	return nil
}

// publishCourse publishes a course's draft: `courses publish SLUG`.
func publishCourse(ctx context.Context, d *db.DB, stdout io.Writer, l *Locale, slug string) error {
	cs := db.NewCourseService(d)
	id, err := cs.CourseIDBySlug(ctx, slug)
	if err != nil {
		return err
	}
	c, err := cs.Publish(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, l.T("cli.course_published", "slug", slug, "version", c.Version))
	return nil
}

// importMunicipalities replaces the municipality list from a CSV file in the
// format of the shipped one: `municipalities import PATH`.
func importMunicipalities(ctx context.Context, d *db.DB, stdout io.Writer, l *Locale, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return courses.Invalid("cannot open", courses.Problem{File: path, Key: courses.ProblemMissingFile})
	}
	defer f.Close()
	list, err := courses.ParseMunicipalities(f, filepath.Base(path))
	if err != nil {
		return err
	}
	if err := db.NewMunicipalityService(d).ReplaceMunicipalities(ctx, list); err != nil {
		return err
	}
	fmt.Fprintln(stdout, l.T("cli.municipalities_imported", "n", len(list)))
	return nil
}
