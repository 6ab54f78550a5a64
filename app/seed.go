package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/refdata"
)

// seed fills an empty database with what ships with Raadzaam: the course
// catalogue and, in demo mode, one account per role. Each part is loaded
// only when its table is empty, so restarts change nothing.
func seed(ctx context.Context, d *db.DB, cfg *Config, log *slog.Logger, stdout io.Writer) error {
	cs := db.NewCourseService(d)
	if n, err := cs.CountCourses(ctx); err != nil {
		return err
	} else if n == 0 {
		list, err := courses.ReadCatalog(catalog.FS, ".")
		if err != nil {
			return fmt.Errorf("shipped catalogue: %w", err)
		}
		if err := cs.SaveCourses(ctx, list, courses.ImportOptions{Publish: true}); err != nil {
			return err
		}
		log.Info("catalogue loaded", "courses", len(list))
	}
	if err := seedPaths(ctx, d, log); err != nil {
		return err
	}

	if !cfg.Demo {
		return nil
	}
	us := db.NewUserService(d)
	if n, err := us.CountUsers(ctx); err != nil || n > 0 {
		return err
	}
	if err := createDemoAccounts(ctx, us, stdout); err != nil {
		return err
	}
	return demoCompletion(ctx, d, cfg)
}

// demoCompletion gives the demo learner one completed course, so that the
// dashboard, the certificate and its verification page can be seen at
// once: the trainer marks it complete, as after an in-person session.
func demoCompletion(ctx context.Context, d *db.DB, cfg *Config) error {
	us := db.NewUserService(d)
	learner, err := us.UserByEmail(ctx, demoAccounts[0].Email)
	if err != nil {
		return err
	}
	trainer, err := us.UserByEmail(ctx, demoAccounts[1].Email)
	if err != nil {
		return err
	}
	course, err := db.NewCourseService(d).CourseBySlug(ctx, demoCompletedCourse)
	if err != nil {
		return err
	}
	ls := db.NewLearningService(d)
	ls.SetIssuer(cfg.Issuer)
	e, _, err := ls.EnrolAs(ctx, courses.EnrolRequest{UserID: learner.ID, CourseID: course.ID, Source: courses.SourceTrainer, By: trainer.ID})
	if err != nil {
		return err
	}
	_, _, err = ls.CompleteManually(ctx, e.ID, trainer.ID, "Demo: afgerond tijdens de inwerkdag voor nieuwe raadsleden")
	return err
}

// demoCompletedCourse is the shipped course the demo learner has completed.
const demoCompletedCourse = "integriteit-en-weerbaarheid"

// loadReferenceData loads the shipped municipality list into an empty
// table. It runs with the migrations, so that every command (user add
// --municipality, too) finds the municipalities.
func loadReferenceData(ctx context.Context, d *db.DB, log *slog.Logger) error {
	ms := db.NewMunicipalityService(d)
	list, err := ms.Municipalities(ctx, true)
	if err != nil || len(list) > 0 {
		return err
	}
	list, err = courses.ParseMunicipalities(bytes.NewReader(refdata.Municipalities), refdata.MunicipalitiesFile)
	if err != nil {
		return fmt.Errorf("shipped municipalities: %w", err)
	}
	if err := ms.ReplaceMunicipalities(ctx, list); err != nil {
		return err
	}
	log.Info("municipalities loaded", "municipalities", len(list))
	return nil
}

// demoAccounts are the demo users, one per role, with names that exercise
// diacritics and particles everywhere they are shown.
var demoAccounts = []courses.NewUser{
	{Email: "raadslid@demo.raadzaam.nl", Name: "Ayşe Çelik-van 't Hoff", Role: courses.RoleLearner,
		Offices: []courses.UserOffice{{Office: courses.Raadslid, CBSCode: "GM0363", StartsOn: demoTermStart}}, Associations: []string{"nvvr"}},
	{Email: "trainer@demo.raadzaam.nl", Name: "Zoë Łukasiewicz", Role: courses.RoleTrainer},
	{Email: "vereniging@demo.raadzaam.nl", Name: "Jan-Willem de Bruïne", Role: courses.RoleAssociationAdmin, AdminOf: []string{"nvvr"}},
	{Email: "beheer@demo.raadzaam.nl", Name: "Noor El Idrissi", Role: courses.RoleAdmin},
}

// demoTermStart is the first day of the demo councillor's term, shortly after the
// municipal elections of 18 March 2026.
var demoTermStart = func() *time.Time { t := time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC); return &t }()

// createDemoAccounts creates the demo users with fresh passwords and prints
// them once; they are not stored anywhere in plain text.
func createDemoAccounts(ctx context.Context, us courses.UserService, stdout io.Writer) error {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\nDemo accounts (passwords are shown only now):")
	for _, nu := range demoAccounts {
		password := newPassword()
		hash, err := hashPassword(password)
		if err != nil {
			return err
		}
		nu.PasswordHash, nu.Demo = hash, true
		if _, err := us.CreateUser(ctx, &nu); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", nu.Role, nu.Email, password)
	}
	fmt.Fprintln(w)
	return w.Flush()
}
