package main

import (
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
)

func mustCatalog(t *testing.T) *Catalog {
	t.Helper()
	c, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogCoversEveryKey checks that every message key the code and the
// templates use exists (loadCatalog already ensures nl and en agree).
func TestCatalogCoversEveryKey(t *testing.T) {
	c := mustCatalog(t)
	var keys []string
	keys = append(keys, courses.ProblemKeys...)
	for code := range statusOf {
		keys = append(keys, "error."+code, "error.title."+code)
	}
	for _, o := range courses.Offices {
		keys = append(keys, "office."+string(o))
	}
	for _, tp := range courses.Topics {
		keys = append(keys, "topic."+string(tp))
	}
	for _, l := range courses.Levels {
		keys = append(keys, "level."+string(l))
	}
	for _, l := range languages {
		keys = append(keys, "language."+l)
	}
	for m := 1; m <= 12; m++ {
		keys = append(keys, "month."+strconv.Itoa(m))
	}
	// Keys in templates ({{.T "key"}} and {{$.T "key"}}) and in Go code (T("key")).
	pattern := regexp.MustCompile(`\.T "([a-z0-9_.\-]+)"|\bT\("([a-z0-9_.\-]+)"`)
	for _, fsys := range []fs.FS{templateFS, goSources(t)} {
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, _ := fs.ReadFile(fsys, p)
			for _, m := range pattern.FindAllStringSubmatch(string(b), -1) {
				k := m[1] + m[2]
				if k[len(k)-1] != '.' && k != "key" { // dynamic prefixes like "error." are covered above
					keys = append(keys, k)
				}
			}
			return nil
		})
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys; the scan is broken", len(keys))
	}
	for _, lang := range languages {
		l := c.Locale(lang)
		for _, k := range keys {
			if !l.Has(k) {
				t.Errorf("%s: missing message %q", lang, k)
			}
		}
	}
}

func TestNegotiate(t *testing.T) {
	c := mustCatalog(t)
	tests := []struct{ cookie, accept, want string }{
		{"", "", "nl"},
		{"", "en-US,en;q=0.9", "en"},
		{"", "de-DE,de;q=0.9,en;q=0.8,nl;q=0.9", "nl"},
		{"", "fr, en;q=0.5", "en"},
		{"", "en;q=0", "nl"},
		{"nl", "en", "nl"},
		{"en", "nl", "en"},
		{"xx", "en", "en"},
	}
	for _, tt := range tests {
		if got := c.Negotiate(tt.cookie, tt.accept).Lang; got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.cookie, tt.accept, got, tt.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	c := mustCatalog(t)
	nl, en := c.Locale("nl"), c.Locale("en")
	date := time.Date(2026, 3, 18, 23, 30, 0, 0, time.UTC) // already 19 March in Amsterdam
	tests := []struct{ got, want string }{
		{nl.Number(1234567.5, 1), "1.234.567,5"},
		{en.Number(1234567.5, 1), "1,234,567.5"},
		{nl.Number(-8552, 0), "-8.552"},
		{nl.Number(3, 1), "3"},
		{nl.Hours(4.5), "4,5 uur"},
		{en.Hours(1), "1 hour"},
		{en.Hours(2.5), "2.5 hours"},
		{nl.Date(date), "19 maart 2026"},
		{en.Date(date), "19 March 2026"},
		{nl.T("course.minutes", "n", 1), "1 minuut"},
		{nl.T("course.minutes", "n", 15), "15 minuten"},
		{nl.T("catalogue.count", "n", 0), "0 cursussen gevonden"},
		{nl.T("does.not.exist"), "does.not.exist"},
		{nl.Problem(courses.Problem{File: "a/course.md", Line: 5, Field: "study_hours", Key: courses.ProblemNotNumber, Args: map[string]any{"value": "vier"}}),
			`a/course.md:5: study_hours: "vier" is geen getal`},
		{en.Problem(courses.Problem{Field: "ambt", Key: courses.ProblemRequired}), "Office: is required"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

// goSources returns the package's own Go files, to scan for message keys.
func goSources(t *testing.T) fs.FS {
	t.Helper()
	return os.DirFS(".")
}
