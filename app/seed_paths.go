package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db"
)

// shippedPathsDir is the folder of the shipped learning paths in the
// catalogue; the course reader skips it for its leading underscore.
const shippedPathsDir = "_leerpaden"

// seedPaths loads the shipped learning paths when there are none yet, so
// that restarts change nothing. A shipped path that names a course this
// database lacks (an installation that started from its own courses) is
// left out with a warning rather than stopping the start; the others are
// loaded.
func seedPaths(ctx context.Context, d *db.DB, log *slog.Logger) error {
	ps := db.NewPathService(d)
	if stored, err := ps.Paths(ctx, 0); err != nil || len(stored) > 0 {
		return err
	}
	list, err := courses.ReadPaths(catalog.FS, shippedPathsDir)
	if err != nil {
		return fmt.Errorf("shipped learning paths: %w", err)
	}
	err = ps.SavePaths(ctx, list)
	if courses.ErrorCode(err) == courses.EINVALID {
		var skipped []string
		for _, p := range courses.ErrorProblems(err) {
			if p.Key == courses.ProblemUnknownCourse && !slices.Contains(skipped, p.File) {
				skipped = append(skipped, p.File)
			}
		}
		if len(skipped) == 0 {
			return fmt.Errorf("shipped learning paths: %w", err)
		}
		log.Warn("shipped learning paths left out: they name courses this database does not have", "files", skipped)
		list = slices.DeleteFunc(list, func(p *courses.LearningPath) bool { return slices.Contains(skipped, p.File) })
		if len(list) == 0 {
			return nil
		}
		err = ps.SavePaths(ctx, list)
	}
	if err != nil {
		return err
	}
	log.Info("learning paths loaded", "paths", len(list))
	return nil
}
