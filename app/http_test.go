package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// scenario is one HTTP request and what its answer must hold.
type scenario struct {
	name       string
	method     string
	path       string
	header     map[string]string
	wantStatus int
	wantHeader map[string]string
	want       []string // fragments the body must contain
	wantNot    []string // fragments the body must not contain
}

func (s scenario) run(t *testing.T, a *application) {
	t.Helper()
	method := s.method
	if method == "" {
		method = http.MethodGet
	}
	req := httptest.NewRequest(method, s.path, nil)
	for k, v := range s.header {
		req.Header.Set(k, v)
	}
	resp, err := a.fiber.Test(req, 10_000)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != s.wantStatus {
		t.Errorf("%s: status got %d, want %d; body: %.300s", s.name, resp.StatusCode, s.wantStatus, body)
	}
	for k, v := range s.wantHeader {
		if got := resp.Header.Get(k); !strings.Contains(got, v) {
			t.Errorf("%s: header %s got %q, want it to contain %q", s.name, k, got, v)
		}
	}
	for _, w := range s.want {
		if !strings.Contains(string(body), w) {
			t.Errorf("%s: body lacks %q", s.name, w)
		}
	}
	for _, w := range s.wantNot {
		if strings.Contains(string(body), w) {
			t.Errorf("%s: body has %q", s.name, w)
		}
	}
}

// runOnBoth runs the scenarios against the application on each database.
func runOnBoth(t *testing.T, scenarios []scenario) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			for _, s := range scenarios {
				s.run(t, a)
			}
		})
	}
}

var english = map[string]string{"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"}

func TestPages(t *testing.T) {
	scenarios := []scenario{
		{name: "home in Dutch by default", path: "/", wantStatus: 200,
			wantHeader: map[string]string{"Content-Language": "nl", "Content-Type": "text/html"},
			want:       []string{`<html lang="nl"`, "Sterker in raad en bestuur", "De begroting lezen en beïnvloeden", "Naar de inhoud", "8 cursussen gevonden"}},
		{name: "home in English by Accept-Language", path: "/", header: english, wantStatus: 200,
			wantHeader: map[string]string{"Content-Language": "en"},
			want:       []string{`<html lang="en"`, "Stronger in council and government", "Councillor (raadslid)"}},
		{name: "language cookie beats Accept-Language", path: "/", header: map[string]string{"Accept-Language": "en", "Cookie": "raadzaam_lang=nl"},
			wantStatus: 200, want: []string{`<html lang="nl"`}},
		{name: "catalogue filtered by office", path: "/cursussen?ambt=burgemeester", wantStatus: 200,
			want:    []string{"Burgemeester: openbare orde en veiligheid", `<option value="burgemeester" selected>`, "Wis filters"},
			wantNot: []string{"De Omgevingswet voor raadsleden"}},
		{name: "catalogue filtered by office and topic", path: "/cursussen?ambt=raadslid&onderwerp=financien", wantStatus: 200,
			want:    []string{"De begroting lezen en beïnvloeden", "1 cursus gevonden voor Raadslid · Financiën"},
			wantNot: []string{`href="/cursussen/integriteit-en-weerbaarheid"`}},
		{name: "catalogue with no match shows the empty state", path: "/cursussen?ambt=gedeputeerde&onderwerp=ruimte", wantStatus: 200,
			want: []string{"Geen cursussen gevonden", "0 cursussen gevonden"}},
		{name: "unknown office names the field", path: "/cursussen?ambt=koning", wantStatus: 400,
			want: []string{"Ambt: &#34;koning&#34; is onbekend", "raadslid, wethouder"}},
		{name: "course page", path: "/cursussen/begroting-lezen-en-beinvloeden", wantStatus: 200,
			want: []string{"<h1 class=\"utrecht-heading-1\">De begroting lezen en beïnvloeden</h1>", "Studielast", "Inhoud van de cursus",
				"De vier documenten van de cyclus", "minuten", "Raadslid, Wethouder, Commissielid, Statenlid"}},
		{name: "course page in English keeps the Dutch content marked as Dutch", path: "/cursussen/nieuw-in-de-raad", header: english, wantStatus: 200,
			want: []string{`<article lang="nl">`, "Study load", "Course content"}},
		{name: "unknown course is a translated 404", path: "/cursussen/bestaat-niet", wantStatus: 404,
			want: []string{"Pagina niet gevonden", "Foutcode 404"}},
		{name: "malformed slug is a 404", path: "/cursussen/Hoofd%20Letters", wantStatus: 404},
		{name: "unknown path is a 404 page in English", path: "/nergens", header: english, wantStatus: 404,
			want: []string{"Page not found"}},
		{name: "accessibility statement", path: "/toegankelijkheid", wantStatus: 200, want: []string{"Toegankelijkheidsverklaring", "WCAG 2.1"}},
		{name: "language switch sets a cookie and goes back", path: "/taal?lang=en&terug=%2Fcursussen%3Fambt%3Draadslid", wantStatus: 303,
			wantHeader: map[string]string{"Location": "/cursussen?ambt=raadslid", "Set-Cookie": "raadzaam_lang=en"}},
		{name: "language switch is no open redirect", path: "/taal?lang=en&terug=%2F%2Fevil.example", wantStatus: 303,
			wantHeader: map[string]string{"Location": "/"}},
		{name: "unknown language is refused", path: "/taal?lang=fr", wantStatus: 400, want: []string{"Taal: &#34;fr&#34; is onbekend"}},
		{name: "healthz", path: "/healthz", wantStatus: 200, want: []string{`"status":"ok"`}},
		{name: "readyz", path: "/readyz", wantStatus: 200, want: []string{`"status":"ok"`}},
		{name: "security headers", path: "/", wantStatus: 200, wantHeader: map[string]string{
			"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "same-origin", "X-Request-Id": ""}},
		{name: "robots", path: "/robots.txt", wantStatus: 200, want: []string{"Allow: /cursussen"}},
	}
	runOnBoth(t, scenarios)
}

func TestAPI(t *testing.T) {
	scenarios := []scenario{
		{name: "list", path: "/api/v1/courses", wantStatus: 200,
			wantHeader: map[string]string{"Content-Type": "application/json"},
			want:       []string{`"slug":"begroting-lezen-en-beinvloeden"`, `"audience":["raadslid"`, `"study_hours":`}},
		{name: "list filtered", path: "/api/v1/courses?office=burgemeester&topic=openbare-orde", wantStatus: 200,
			want: []string{`"slug":"burgemeester-openbare-orde-en-veiligheid"`}, wantNot: []string{`"slug":"nieuw-in-de-raad"`}},
		{name: "bad filter names the field", path: "/api/v1/courses?office=koning", wantStatus: 400,
			want: []string{`"code":"invalid"`, `"field":"office"`}},
		{name: "bad filter in English", path: "/api/v1/courses?topic=x", header: english, wantStatus: 400,
			want: []string{`"message":"The input is not valid.`, `is unknown`}},
		{name: "one course", path: "/api/v1/courses/nieuw-in-de-raad", wantStatus: 200,
			want: []string{`"modules":[{"id":`, `"activities":[{"id":`, `"kind":"lesson"`, `"description":`}},
		{name: "unknown course", path: "/api/v1/courses/bestaat-niet", wantStatus: 404,
			want: []string{`{"error":{"code":"not_found","message":`}},
		{name: "unknown API path is JSON", path: "/api/v1/nergens", wantStatus: 404, want: []string{`"code":"not_found"`}},
		{name: "wrong method", method: http.MethodDelete, path: "/api/v1/courses", wantStatus: 405, want: []string{`"code":"invalid"`}},
		{name: "openapi", path: "/api/openapi.json", wantStatus: 200, want: []string{`"openapi": "3.1.0"`}},
	}
	runOnBoth(t, scenarios)
}

// TestStaticAssets checks that pages link fingerprinted assets and that
// those are served with a year's cache lifetime.
func TestStaticAssets(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	css := a.assets.URL("css/raadzaam.css")
	if css == "/static/css/raadzaam.css" {
		t.Fatalf("asset URL is not fingerprinted: %s", css)
	}
	scenario{name: "fingerprinted CSS", path: css, wantStatus: 200, wantHeader: map[string]string{
		"Cache-Control": "immutable", "Content-Type": "text/css"}}.run(t, a)
	scenario{name: "page links it", path: "/", wantStatus: 200, want: []string{css}}.run(t, a)
	scenario{name: "unknown asset", path: "/static/css/nope.css", wantStatus: 404}.run(t, a)
	scenario{name: "precompressed CSS", path: css, header: map[string]string{"Accept-Encoding": "gzip, br"}, wantStatus: 200,
		wantHeader: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}}.run(t, a)
}

// TestDatabaseUnavailable checks that a database that does not answer makes
// readiness report 503 and the API answer 503 with Retry-After, never 500:
// on PostgreSQL a server that refuses connections, on SQLite a closed pool.
func TestDatabaseUnavailable(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			a.pages.clear()
			if kind == db.Postgres {
				gone, err := db.Open("postgres://postgres@127.0.0.1:1/gone?sslmode=disable&connect_timeout=1")
				if err != nil {
					t.Fatal(err)
				}
				defer gone.Close()
				if a, err = newApplication(a.cfg, a.log, gone, a.auth.keys); err != nil {
					t.Fatal(err)
				}
			} else {
				a.db.DB.Close()
			}
			scenario{name: "readyz", path: "/readyz", wantStatus: 503, want: []string{`"status":"unavailable"`}}.run(t, a)
			scenario{name: "healthz still fine", path: "/healthz", wantStatus: 200}.run(t, a)
			scenario{name: "API answers 503", path: "/api/v1/courses", wantStatus: 503, want: []string{`"code":"unavailable"`},
				wantHeader: map[string]string{"Retry-After": "2"}}.run(t, a)
			scenario{name: "page answers 503", path: "/cursussen/nieuw-in-de-raad", wantStatus: 503, want: []string{"Even niet beschikbaar"}}.run(t, a)
		})
	}
}

// TestCataloguePageIsCached checks that the catalogue is rendered once per
// language and filter, and that clearing the cache shows new content.
func TestCataloguePageIsCached(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	get := func() string {
		resp, err := a.fiber.Test(httptest.NewRequest(http.MethodGet, "/cursussen", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	first := get()
	if _, err := a.db.NewUpdate().TableExpr("courses").Set("title = ?", "Gewijzigde titel").Where("slug = ?", "nieuw-in-de-raad").Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	if second := get(); second != first {
		t.Error("cached page changed before the cache was cleared")
	}
	a.pages.clear()
	if third := get(); !strings.Contains(third, "Gewijzigde titel") {
		t.Error("page did not show the new title after clearing the cache")
	}
}

func TestAPIResponsesDecode(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	resp, err := a.fiber.Test(httptest.NewRequest(http.MethodGet, "/api/v1/courses", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list apiCourseList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if got := len(list.Courses); got < 8 {
		t.Fatalf("got %d courses, want at least 8", got)
	}
	for i := 1; i < len(list.Courses); i++ {
		if a, b := list.Courses[i-1].Title, list.Courses[i].Title; strings.ToLower(a) > strings.ToLower(b) && !strings.HasPrefix(strings.ToLower(b), "é") {
			t.Errorf("not sorted by title: %q before %q", a, b)
		}
	}
}
