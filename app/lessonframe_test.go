package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// TestLessonFrameMatchesFullRender checks that a lesson page assembled from
// its skeleton is byte for byte the page the templates render whole, for a
// learner with some lessons done and some not, in both languages, for a
// learner and for an admin (whose header differs), and that no slot marker
// leaks.
func TestLessonFrameMatchesFullRender(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			course, err := a.courses.CourseBySlug(t.Context(), "nieuw-in-de-raad")
			if err != nil {
				t.Fatal(err)
			}
			steps := course.Activities()
			paths := []string{}
			for _, s := range steps[:4] {
				paths = append(paths, stepURL("/leren/nieuw-in-de-raad", s))
			}
			for _, role := range []courses.Role{courses.RoleLearner, courses.RoleAdmin} {
				email := string(role) + "@example.nl"
				createTestUser(t, a, email, role)
				b := newClient(t, a)
				b.signIn(email, testPassword)
				if resp, _ := b.do(http.MethodPost, "/cursussen/nieuw-in-de-raad/inschrijven", url.Values{"_csrf": {b.csrf()}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("enrol: %d", resp.StatusCode)
				}
				// Lessons 1 and 3 done, 2 and 4 not.
				for _, i := range []int{0, 2} {
					if resp, _ := b.do(http.MethodPost, paths[i]+"/gedaan", url.Values{"_csrf": {b.csrf()}}); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("done %s: %d", paths[i], resp.StatusCode)
					}
				}
				for _, lang := range []string{"nl", "en"} {
					b.do(http.MethodGet, "/taal?lang="+lang+"&terug=/", nil)
					for _, p := range paths {
						frames := a.frames
						_, framed := b.do(http.MethodGet, p, nil)
						a.frames = nil
						_, whole := b.do(http.MethodGet, p, nil)
						a.frames = frames
						if framed != whole {
							t.Errorf("%s %s %s: the framed page differs from the whole one:\n%s", role, lang, p, firstDifference(framed, whole))
						}
						if strings.Contains(framed, a.frames.prefix) {
							t.Errorf("%s: a slot marker leaked", p)
						}
					}
				}
			}
		})
	}
}

// firstDifference shows where two strings first differ.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(i-80, 0)
	return "framed: …" + a[from:min(i+80, len(a))] + "…\nwhole:  …" + b[from:min(i+80, len(b))] + "…"
}
