package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// countryGenerate fills a database with a synthetic country for demos and
// benchmarks: country generate [--people N] [--enrolments M] [--seed S]
// [--courses C] [--force]. It refuses a database with real accounts unless --force, so
// that nobody adds thousands of invented office holders to production.
func countryGenerate(ctx context.Context, d *db.DB, cfg *Config, log *slog.Logger, args []string, stdout io.Writer, l *Locale) error {
	fs := flag.NewFlagSet("country generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	people := fs.String("people", "1000", "")
	enrolments := fs.String("enrolments", "", "")
	seedFlag := fs.String("seed", "1", "")
	courseCount := fs.String("courses", "0", "")
	force := fs.Bool("force", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError{args: append([]string{"country", "generate"}, args...)}
	}
	var problems []courses.Problem
	number := func(field, v string, min, max int) int {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			problems = append(problems, courses.Problem{Field: field, Key: courses.ProblemOutOfRange, Args: map[string]any{"min": min, "max": max}})
		}
		return n
	}
	opt := db.GenerateOptions{People: number("people", *people, 1, 10_000_000)}
	if *enrolments != "" {
		opt.Enrolments = number("enrolments", *enrolments, 0, 100_000_000)
	}
	opt.Seed = uint64(number("seed", *seedFlag, 0, 1<<31-1))
	// The shipped catalogue has 8 courses: a million enrolments over
	// 100,000 people need numbered copies (--courses 20).
	opt.Courses = number("courses", *courseCount, 0, 1000)
	if len(problems) > 0 {
		return courses.Invalid("country generate", problems...)
	}
	if n, err := d.CountRealUsers(ctx); err != nil {
		return err
	} else if n > 0 && !*force {
		return courses.Invalid("country generate", courses.Problem{Field: "force", Key: courses.ProblemCountryRefused, Args: map[string]any{"n": n}})
	}
	// The country enrols in the shipped catalogue: load it into an empty
	// database as serve would, without demo accounts.
	plain := *cfg
	plain.Demo = false
	if err := seed(ctx, d, &plain, log, io.Discard); err != nil {
		return err
	}
	opt.Issuer = cfg.Issuer
	start := time.Now()
	sum, err := db.GenerateCountry(ctx, d, opt)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, l.T("cli.country.summary", "people", sum.People, "municipalities", sum.Municipalities, "enrolments", sum.Enrolments,
		"completions", sum.Completions, "certificates", sum.Certificates, "seconds", l.Number(time.Since(start).Seconds(), 1)))
	if sum.Short() {
		fmt.Fprintln(stdout, l.T("cli.country.short", "requested", sum.Requested, "capacity", sum.Capacity))
	}
	return nil
}
