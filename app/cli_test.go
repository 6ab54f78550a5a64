package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/app/openbadges"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// writeFiles creates files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const goodCourse = `---
title: Vergaderen met de Reglement van orde
summary: Hoe een raadsvergadering verloopt, van opening tot stemming.
audience: raadslid, griffier
topics: werkwijze-raad
study_hours: 1,5
level: basis
language: nl
version: 1
---
Een korte cursus over de orde van de vergadering.
`

func goodFolder(t *testing.T, parent, slug string) string {
	t.Helper()
	writeFiles(t, parent, map[string]string{
		slug + "/course.md":              goodCourse,
		slug + "/01-orde/module.md":      "---\ntitle: De orde\n---\n",
		slug + "/01-orde/01-opening.md":  "---\ntitle: De opening\nminutes: 10\n---\nDe voorzitter opent.\n",
		slug + "/01-orde/02-stemming.md": "---\ntitle: De stemming\nminutes: 15\n---\nHoofdelijk of bij handopsteken.\n",
	})
	return filepath.Join(parent, slug)
}

// runCLI runs the program with args against the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, getenvFrom(env), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

// richFolder writes a course with every kind of activity, a file and the
// optional settings, requiring the course "vergaderen".
func richFolder(t *testing.T, parent string) {
	t.Helper()
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 32)
	writeFiles(t, parent, map[string]string{
		"rijk/course.md":         strings.Replace(goodCourse, "version: 1", "validity_months: 48\nprerequisites: vergaderen\nversion: 1", 1),
		"rijk/01-orde/module.md": "---\ntitle: De orde\nsummary: Hoe een vergadering loopt.\n---\nEen inleiding.\n",
		"rijk/01-orde/01-opening.md": "---\ntitle: De opening\nminutes: 10\n---\nZie ![De zaal](bestanden/zaal.png).\n\n" +
			"[Video: de opening](https://www.youtube.com/watch?v=abcdefghijk)\n",
		"rijk/01-orde/02-toets.md": "---\nkind: quiz\ntitle: Toets: de orde\nminutes: 5\npass_mark: 50\nattempts: 2\nshuffle: ja\n---\nTwee vragen.\n\n" +
			"## Wie opent de vergadering?\n- ( ) De griffier\n- (x) De voorzitter\n\n> De voorzitter opent.\n\n" +
			"## Welke stemmingen bestaan er? Kies alle goede antwoorden.\n- [x] Hoofdelijk\n- [x] Bij handopsteken\n- [ ] Per brief\n\n" +
			"## Een motie is een verzoek.\nanswer: waar\n",
		"rijk/01-orde/03-oefenen.md": "---\nkind: session\ntitle: Oefenavond\nminutes: 120\nstarts: 2027-01-14 19:30\nends: 2027-01-14 21:30\n" +
			"location: Stadhuis, Utrecht\ncapacity: 20\n---\nNeem uw agenda mee.\n",
		"rijk/bestanden/zaal.png": png,
	})
}

func TestCoursesImportAndExport(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			env := testEnv(t, kind, nil)
			src := t.TempDir()
			goodFolder(t, src, "vergaderen")
			richFolder(t, src)

			out, stderr, err := runCLI(t, env, "courses", "import", "--draft", src)
			if err != nil {
				t.Fatalf("import: %v\n%s", err, stderr)
			}
			if want := "vergaderen: geïmporteerd als concept, versie 1 (1 modules, 2 activiteiten)"; !strings.Contains(out, want) {
				t.Errorf("import output %q lacks %q", out, want)
			}
			// A draft is not published: there is nothing to export yet but the draft.
			if _, stderr, err := runCLI(t, env, "courses", "export", "rijk", t.TempDir()); err == nil || !strings.Contains(stderr, "niet vinden") {
				t.Errorf("export of an unpublished course: err %v, stderr %q", err, stderr)
			}
			for _, slug := range []string{"vergaderen", "rijk"} {
				if out, stderr, err := runCLI(t, env, "courses", "publish", slug); err != nil || !strings.Contains(out, slug+": versie 1 gepubliceerd") {
					t.Fatalf("publish %s: %v %q %q", slug, err, out, stderr)
				}
			}

			// Export, then compare with what the folder writer makes of the
			// source as read: the database must have kept everything.
			dst := t.TempDir()
			if _, stderr, err := runCLI(t, env, "courses", "export", "rijk", dst); err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			read, err := courses.ReadCourseFolder(os.DirFS(src), "rijk")
			if err != nil {
				t.Fatal(err)
			}
			read.Version = 1
			want := t.TempDir()
			if err := courses.WriteCourseFolder(want, read); err != nil {
				t.Fatal(err)
			}
			got, wantFiles := relFiles(t, filepath.Join(dst, "rijk")), relFiles(t, filepath.Join(want, "rijk"))
			if len(got) != 6 || !maps.Equal(got, wantFiles) {
				t.Errorf("export differs from the source:\n got %q\nwant %q", got, wantFiles)
			}

			// Importing the export again makes version 2 as a draft; a second
			// import would overwrite that draft and is refused.
			if out, stderr, err := runCLI(t, env, "courses", "import", filepath.Join(dst, "rijk")); err != nil || !strings.Contains(out, "versie 2") {
				t.Fatalf("re-import: %v %q %q", err, out, stderr)
			}
			if _, stderr, err := runCLI(t, env, "courses", "import", filepath.Join(dst, "rijk")); err == nil || !strings.Contains(stderr, "al een conceptversie (2)") {
				t.Errorf("import over a draft: err %v, stderr %q", err, stderr)
			}
			if out, stderr, err := runCLI(t, env, "courses", "import", "--replace-draft", "--publish", filepath.Join(dst, "rijk")); err != nil || !strings.Contains(out, "geïmporteerd en gepubliceerd, versie 2") {
				t.Errorf("import --replace-draft --publish: %v %q %q", err, out, stderr)
			}
			if _, stderr, err := runCLI(t, env, "courses", "export", "bestaat-niet", t.TempDir()); err == nil || !strings.Contains(stderr, "niet vinden") {
				t.Errorf("export of an unknown course: err %v, stderr %q", err, stderr)
			}
			// Without flags a new course is published at once, as it always was.
			goodFolder(t, src, "later")
			if out, stderr, err := runCLI(t, env, "courses", "import", filepath.Join(src, "later")); err != nil || !strings.Contains(out, "later: geïmporteerd en gepubliceerd, versie 1") {
				t.Errorf("import of a new course: %v %q %q", err, out, stderr)
			}
		})
	}
}

// relFiles returns every file under dir by its slash path relative to dir.
func relFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, data := range listFilesIn(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = data
	}
	return out
}

func listFilesIn(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		files[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCoursesImportIsAllOrNothing imports a folder of two courses, one of
// them with three errors in different files: every error is reported as
// file:line: message and nothing is saved.
func TestCoursesImportIsAllOrNothing(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			env := testEnv(t, kind, nil)
			src := t.TempDir()
			goodFolder(t, src, "goed")
			goodFolder(t, src, "fout")
			writeFiles(t, src, map[string]string{
				"fout/course.md":              strings.Replace(goodCourse, "study_hours: 1,5", "study_hours: vier", 1),
				"fout/01-orde/01-opening.md":  "---\ntitle: De opening\nminutes: 0\n---\nTekst.\n",
				"fout/01-orde/02-stemming.md": "title: zonder kop\n",
			})
			_, stderr, err := runCLI(t, env, "courses", "import", src)
			if err == nil {
				t.Fatal("import of a bad folder succeeded")
			}
			for _, want := range []string{
				`fout/course.md:6: study_hours: "vier" is geen getal`,
				"fout/01-orde/01-opening.md:3: minutes: moet tussen 1 en 240 liggen",
				`fout/01-orde/02-stemming.md:1: het bestand moet beginnen met een regel "---"`,
				"3 fouten gevonden; er is niets opgeslagen.",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			d, err := db.Open(env["DATABASE_URL"])
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if n, err := db.NewCourseService(d).CountCourses(context.Background()); err != nil || n != 0 {
				t.Errorf("after a failed import: %d courses (err %v), want 0", n, err)
			}
		})
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	badCSV := filepath.Join(dir, "gemeenten.csv")
	writeFiles(t, dir, map[string]string{"gemeenten.csv": "cbs_code,name,common_name,province\nGM12,X,X,Groningen\nGM0014,Groningen,Groningen,Holland\n"})
	env := map[string]string{"RAADZAAM_DATA": dir}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"unknown command", env, []string{"fly"}, []string{"Gebruik: raadzaam"}},
		{"bad settings are all named", map[string]string{"PORT": "abc", "RAADZAAM_DEMO": "misschien", "DATABASE_URL": "mysql://x"}, []string{"migrate"},
			[]string{"PORT: moet tussen 1 en 65.535 liggen", `RAADZAAM_DEMO: "misschien" is onbekend`, "DATABASE_URL:"}},
		{"in English", map[string]string{"PORT": "0", "RAADZAAM_LANG": "en"}, []string{"migrate"}, []string{"PORT: must be between 1 and 65,535"}},
		{"missing folder", env, []string{"courses", "check", filepath.Join(dir, "nergens")}, []string{"nergens: bestand of map ontbreekt"}},
		{"bad municipality list", env, []string{"municipalities", "import", badCSV},
			[]string{`gemeenten.csv:2: cbs_code: "GM12" is onbekend`, `gemeenten.csv:3: province: "Holland" is onbekend`}},
	}
	for _, tt := range tests {
		_, stderr, err := runCLI(t, tt.env, tt.args...)
		if err == nil {
			t.Errorf("%s: want an error", tt.name)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, stderr)
			}
		}
	}
}

func TestMigrateAndMunicipalitiesImport(t *testing.T) {
	env := testEnv(t, db.SQLite, nil)
	if out, stderr, err := runCLI(t, env, "migrate"); err != nil || !strings.Contains(out, "De database is bijgewerkt.") {
		t.Fatalf("migrate: %v %q %q", err, out, stderr)
	}
	out, stderr, err := runCLI(t, env, "municipalities", "import", filepath.Join("..", "db", "refdata", "gemeenten-2026.csv"))
	if err != nil || !strings.Contains(out, "342 gemeenten ingelezen.") {
		t.Fatalf("municipalities import: %v %q %q", err, out, stderr)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(getenvFrom(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8080 || !cfg.Embedded || !cfg.Demo || cfg.DatabaseURL != "sqlite:data/raadzaam.db" || cfg.BaseURL.String() != "http://localhost:8080" {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = loadConfig(getenvFrom(map[string]string{"DATABASE_URL": "postgres://u@db:5432/raadzaam", "PORT": "9000", "RAADZAAM_BASE_URL": "https://raadzaam.nl/"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Embedded || cfg.Demo || cfg.Port != 9000 || cfg.BaseURL.String() != "https://raadzaam.nl" {
		t.Errorf("production: %+v", cfg)
	}
}

// TestServeDemoAccounts runs serve on an empty embedded database: it prints
// one demo account per role with a password that verifies, once.
func TestServeDemoAccounts(t *testing.T) {
	d := dbtest.MustOpen(t, db.SQLite)
	var out bytes.Buffer
	cfg := &Config{Demo: true}
	log := newLogger(&bytes.Buffer{}, &Config{})
	if err := loadReferenceData(context.Background(), d, log); err != nil {
		t.Fatal(err)
	}
	if err := seed(context.Background(), d, cfg, log, &out); err != nil {
		t.Fatal(err)
	}
	for _, u := range demoAccounts {
		if !strings.Contains(out.String(), u.Email) {
			t.Errorf("output lacks %s", u.Email)
		}
	}
	var hash string
	if err := d.NewRaw("SELECT password_hash FROM users WHERE email = ?", "raadslid@demo.raadzaam.nl").Scan(context.Background(), &hash); err != nil {
		t.Fatal(err)
	}
	line := out.String()[strings.Index(out.String(), "raadslid@demo.raadzaam.nl"):]
	password := strings.Fields(line)[1]
	if !checkPassword(hash, password) || checkPassword(hash, password+"x") {
		t.Error("printed password does not verify against the stored hash")
	}
	out.Reset()
	if err := seed(context.Background(), d, cfg, log, &out); err != nil || out.Len() != 0 {
		t.Errorf("second start printed %q (err %v), want nothing", out.String(), err)
	}
}

func TestUserAdd(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			env := testEnv(t, kind, nil)
			out, stderr, err := runCLI(t, env, "user", "add", "--email", "Ayse@Example.nl", "--name", "Ayşe Çelik-van 't Hoff",
				"--role", "learner", "--office", "raadslid", "--municipality", "GM0363", "--association", "nvvr")
			if err != nil {
				t.Fatalf("user add: %v\n%s", err, stderr)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 3 || !strings.Contains(lines[1], "aangemaakt voor ayse@example.nl") {
				t.Fatalf("output: %q", out)
			}
			password := strings.TrimSpace(lines[2][strings.LastIndex(lines[2], ":")+1:])
			d, err := db.Open(env["DATABASE_URL"])
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			id, hash, _, err := db.NewUserService(d).Credentials(context.Background(), "ayse@example.nl")
			if err != nil || !checkPassword(hash, password) || strings.TrimSpace(lines[0]) != itoa(int(id)) {
				t.Fatalf("printed id %q and password do not match account %d (%v)", lines[0], id, err)
			}
			u, _ := db.NewUserService(d).UserByID(context.Background(), id)
			if u.Name != "Ayşe Çelik-van 't Hoff" || len(u.Offices) != 1 || u.Offices[0].Municipality != "Amsterdam" || u.Memberships[0].Association.Slug != "nvvr" {
				t.Errorf("stored account: %+v", u)
			}

			var errb bytes.Buffer
			err = run(context.Background(), []string{"user", "add", "--email", "b@example.nl", "--name", "Bram", "--role", "trainer", "--password-stdin"},
				getenvFrom(env), strings.NewReader("wachtwoord1\n"), &bytes.Buffer{}, &errb)
			if err == nil || !strings.Contains(errb.String(), "Wachtwoord: dit wachtwoord komt voor in lijsten") {
				t.Errorf("common password: %v %q", err, errb.String())
			}
			err = run(context.Background(), []string{"user", "add", "--email", "b@example.nl", "--name", "Bram", "--role", "trainer", "--password-stdin"},
				getenvFrom(env), strings.NewReader(testPassword+"\n"), &bytes.Buffer{}, &errb)
			if err != nil {
				t.Errorf("password from stdin: %v %s", err, errb.String())
			}
		})
	}
}

func TestUserAddErrors(t *testing.T) {
	env := testEnv(t, db.SQLite, nil)
	if _, stderr, err := runCLI(t, env, "user", "add", "--email", "a@example.nl", "--name", "Anna", "--role", "learner"); err != nil {
		t.Fatal(stderr)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"fields", []string{"--email", "geen", "--name", "", "--role", "koning", "--office", "minister"},
			[]string{`E-mailadres: "geen" is geen geldig e-mailadres`, "Naam: is verplicht", `Rol: "koning" is onbekend`, `Ambt: "minister" is onbekend`}},
		{"unknown municipality and association", []string{"--email", "c@example.nl", "--name", "Cas", "--role", "learner", "--office", "wethouder", "--municipality", "GM9999", "--association", "fnv"},
			[]string{`Vereniging: "fnv" is onbekend`, `Gemeente: "GM9999" is onbekend`}},
		{"taken address", []string{"--email", "A@example.nl", "--name", "Anna", "--role", "learner"}, []string{"E-mailadres: er bestaat al een account"}},
		{"municipality without office", []string{"--email", "d@example.nl", "--name", "Dirk", "--role", "learner", "--municipality", "GM0363"}, []string{"Ambt: is verplicht"}},
		{"unknown flag", []string{"--partij", "x"}, []string{"Gebruik: raadzaam"}},
	}
	for _, tt := range tests {
		_, stderr, err := runCLI(t, env, append([]string{"user", "add"}, tt.args...)...)
		if err == nil {
			t.Errorf("%s: want an error", tt.name)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, stderr)
			}
		}
	}
}

// TestCredentialKeyCommands: rotation puts a new signing key in the data
// folder's ring and keeps the old one published; "new" prints an entry
// for RAADZAAM_CREDENTIAL_KEYS that the server accepts.
func TestCredentialKeyCommands(t *testing.T) {
	env := testEnv(t, db.SQLite, nil)
	dir := env["RAADZAAM_DATA"]
	first, err := openbadges.LoadKeyRing("", dir)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, env, "credential-key", "rotate")
	if err != nil || !strings.Contains(out, "Nieuwe sleutel") {
		t.Fatalf("rotate: %q %v", out, err)
	}
	ring, err := openbadges.LoadKeyRing("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if kids := ring.KIDs(); len(kids) != 2 || kids[1] != first.SigningKID() || kids[0] == first.SigningKID() {
		t.Errorf("after rotation: %v (first %s)", kids, first.SigningKID())
	}
	entry, _, err := runCLI(t, env, "credential-key", "new")
	if err != nil {
		t.Fatal(err)
	}
	fromEnv, err := openbadges.LoadKeyRing(strings.TrimSpace(entry), t.TempDir())
	if err != nil || len(fromEnv.KIDs()) != 1 {
		t.Fatalf("the printed entry: %v", err)
	}
	env["RAADZAAM_CREDENTIAL_KEYS"] = strings.TrimSpace(entry)
	if _, _, err := runCLI(t, env, "credential-key", "rotate"); courses.ErrorCode(err) != courses.EINVALID {
		t.Errorf("rotating a ring from the environment: %v, want EINVALID", err)
	}
}
