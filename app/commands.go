package main

import (
	"context"
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

// importCourses loads course folders all-or-nothing: `courses import PATH`.
func importCourses(ctx context.Context, d *db.DB, stdout io.Writer, l *Locale, path string) error {
	list, err := readCourses(path)
	if err != nil {
		return err
	}
	if err := db.NewCourseService(d).SaveCourses(ctx, list); err != nil {
		return err
	}
	for _, c := range list {
		fmt.Fprintln(stdout, l.T("cli.course_imported", "slug", c.Slug, "modules", len(c.Modules), "lessons", c.LessonCount()))
	}
	return nil
}

// exportCourse writes a stored course as a folder: `courses export SLUG PATH`.
func exportCourse(ctx context.Context, d *db.DB, stdout io.Writer, l *Locale, slug, path string) error {
	c, err := db.NewCourseService(d).CourseBySlug(ctx, slug)
	if err != nil {
		return err
	}
	if err := courses.WriteCourseFolder(path, c); err != nil {
		return err
	}
	fmt.Fprintln(stdout, l.T("cli.course_exported", "slug", slug, "path", filepath.Join(path, slug)))
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
