// Command raadzaam is the learning platform for Dutch political office
// holders: it serves the web application and the JSON API, and offers the
// operator's commands of CONTRACT.md (migrate, courses import/export, ...).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Amsterdam also in images without zoneinfo

	"github.com/raadzaam/raadzaam/app/openbadges"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		os.Exit(1)
	}
}

// run executes one command and reports its errors on stderr, translated
// into the operator's language; it returns the error for the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	catalog, err := loadCatalog()
	if err != nil {
		fmt.Fprintln(stderr, "raadzaam:", err)
		return err
	}
	l := catalog.Locale(cliLanguage(getenv))
	err = dispatch(ctx, args, getenv, stdin, stdout, stderr, l)
	if err != nil {
		printError(stderr, l, err)
	}
	return err
}

// cliLanguage picks the language of command output: RAADZAAM_LANG, else the
// locale's LANG, else Dutch.
func cliLanguage(getenv func(string) string) string {
	for _, v := range []string{getenv("RAADZAAM_LANG"), getenv("LANG")} {
		if v != "" {
			if strings.HasPrefix(v, "en") {
				return "en"
			}
			return "nl"
		}
	}
	return "nl"
}

func printError(w io.Writer, l *Locale, err error) {
	var usage usageError
	switch problems := courses.ErrorProblems(err); {
	case errors.As(err, &usage):
		fmt.Fprintln(w, l.T("cli.usage"))
	case len(problems) > 0:
		for _, p := range problems {
			fmt.Fprintln(w, l.Problem(p))
		}
		fmt.Fprintln(w, l.T("cli.nothing_saved", "n", len(problems)))
	default:
		msg := err.Error()
		if code := courses.ErrorCode(err); code != courses.EINTERNAL {
			msg = l.T("error."+code) + " (" + msg + ")"
		}
		fmt.Fprintln(w, "raadzaam:", msg)
	}
}

// usageError is a command line that names no known command.
type usageError struct{ args []string }

func (e usageError) Error() string { return "unknown command: " + strings.Join(e.args, " ") }

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, l *Locale) error {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, l.T("cli.usage"))
		return nil
	}
	if len(args) >= 2 && args[0] == "courses" && args[1] == "check" && len(args) == 3 {
		return checkCourses(stdout, l, args[2])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg)
	switch {
	case len(args) == 0 || (len(args) == 1 && args[0] == "serve"):
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
		if err != nil {
			return err
		}
		// A server logs every request: buffered, written out four times a
		// second and when it stops.
		logs := newBufferedLog(stderr, 250*time.Millisecond)
		defer logs.Close()
		return serve(ctx, cfg, newLogger(logs, cfg), stdout, ln)
	case len(args) == 1 && args[0] == "migrate":
		d, err := openAndMigrate(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer d.Close()
		fmt.Fprintln(stdout, l.T("cli.migrated"))
		return nil
	case len(args) >= 3 && args[0] == "courses" && args[1] == "import":
		return withDB(ctx, cfg, log, func(d *db.DB) error { return importCourses(ctx, d, stdout, l, args[2:]) })
	case len(args) >= 4 && args[0] == "courses" && args[1] == "export":
		return withDB(ctx, cfg, log, func(d *db.DB) error { return exportCourse(ctx, d, stdout, l, args[2:]) })
	case len(args) == 3 && args[0] == "courses" && args[1] == "publish":
		return withDB(ctx, cfg, log, func(d *db.DB) error { return publishCourse(ctx, d, stdout, l, args[2]) })
	case len(args) >= 2 && args[0] == "user" && args[1] == "add":
		return withDB(ctx, cfg, log, func(d *db.DB) error { return userAdd(ctx, d, args[2:], stdin, stdout, l) })
	case len(args) == 2 && args[0] == "credential-key" && args[1] == "new":
		// A key for RAADZAAM_CREDENTIAL_KEYS: put it first, keep the others.
		entry, err := openbadges.NewKeyEntry()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, entry)
		return nil
	case len(args) == 2 && args[0] == "credential-key" && args[1] == "rotate":
		// The key file in RAADZAAM_DATA: a new signing key; the old ones
		// stay published for the credentials they signed.
		if cfg.CredentialKeys != "" {
			return courses.Errorf(courses.EINVALID, "RAADZAAM_CREDENTIAL_KEYS is set: put a key from 'raadzaam credential-key new' first in it instead")
		}
		ring, err := openbadges.LoadKeyRing("", cfg.DataDir)
		if err != nil {
			return err
		}
		kid, err := ring.Rotate(cfg.DataDir)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, l.T("cli.credential_rotated", "kid", kid))
		return nil
	case len(args) >= 2 && args[0] == "backup":
		return backupDatabase(ctx, cfg, args[1:], stdout, l)
	case len(args) >= 2 && args[0] == "restore":
		return restoreDatabase(ctx, cfg, args[1:], stdout, l)
	case len(args) >= 2 && args[0] == "country" && args[1] == "generate":
		return withDB(ctx, cfg, log, func(d *db.DB) error { return countryGenerate(ctx, d, cfg, log, args[2:], stdout, l) })
	case len(args) == 3 && args[0] == "municipalities" && args[1] == "import":
		return withDB(ctx, cfg, log, func(d *db.DB) error { return importMunicipalities(ctx, d, stdout, l, args[2]) })
	}
	return usageError{args: args}
}

func newLogger(w io.Writer, cfg *Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// openAndMigrate opens the configured database and applies migrations.
func openAndMigrate(ctx context.Context, cfg *Config, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("migrations applied", "migrations", applied)
	}
	if err := d.MigrateJobs(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if err := loadReferenceData(ctx, d, log); err != nil {
		d.Close()
		return nil, err
	}
	// Enrolments from before the statistics existed are counted (once).
	if need, err := d.StatsNeedRebuild(ctx); err != nil {
		d.Close()
		return nil, err
	} else if need {
		if err := d.RebuildStats(ctx); err != nil {
			d.Close()
			return nil, err
		}
		log.Info("statistics rebuilt")
	}
	// Completions from before certificates existed get theirs (once).
	ls := db.NewLearningService(d)
	ls.SetIssuer(cfg.Issuer)
	if n, err := ls.IssueMissingCertificates(ctx); err != nil {
		d.Close()
		return nil, err
	} else if n > 0 {
		log.Info("certificates issued for earlier completions", "certificates", n)
	}
	return d, nil
}

func withDB(ctx context.Context, cfg *Config, log *slog.Logger, fn func(*db.DB) error) error {
	d, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(d)
}

// serve migrates, loads the shipped data into an empty database and serves
// HTTP on ln until ctx ends (SIGINT or SIGTERM), then shuts down gracefully
// and closes the database.
func serve(ctx context.Context, cfg *Config, log *slog.Logger, stdout io.Writer, ln net.Listener) error {
	d, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer func() {
		if err := d.Close(); err != nil {
			log.Error("close database", "error", err.Error())
		}
	}()
	if err := seed(ctx, d, cfg, log, stdout); err != nil {
		ln.Close()
		return err
	}
	keys, err := loadKeyRing(cfg.SessionKeys, cfg.DataDir)
	if err != nil {
		ln.Close()
		return err
	}
	a, err := newApplication(cfg, log, d, keys)
	if err != nil {
		ln.Close()
		return err
	}
	return a.serve(ctx, ln)
}
