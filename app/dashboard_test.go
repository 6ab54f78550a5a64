package main

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// The shipped learning path the tests start, and its courses in order.
const (
	dashPath = "inwerkprogramma-raadsleden-2026"
	dashNow  = "2026-04-10 12:00" // Amsterdam: the dashboard's "today"
)

var dashPathCourses = []string{"Nieuw in de raad: de eerste 100 dagen", "Integriteit en weerbaarheid",
	"De begroting lezen en beïnvloeden", "Participatie en het Right to Challenge", "De Omgevingswet voor raadsleden"}

// dashTime reads "YYYY-MM-DD HH:MM" in Amsterdam.
func dashTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04", s, courses.Amsterdam)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// dashApp returns the application with the shipped learning paths and its
// database clock at dashNow.
func dashApp(t *testing.T, kind db.Kind) *application {
	t.Helper()
	a := newTestApp(t, kind)
	if err := seedPaths(context.Background(), a.db, a.log); err != nil {
		t.Fatalf("seedPaths: %v", err)
	}
	now := dashTime(t, dashNow)
	a.db.Now = func() time.Time { return now }
	return a
}

// dashSessionCourse is a course with two sessions, the second with one
// place, and a validity of two years.
func dashSessionCourse(t *testing.T, a *application) *courses.Course {
	t.Helper()
	session := func(title, starts, ends, where string, capacity string) string {
		return "---\nkind: session\ntitle: " + title + "\nminutes: 120\nstarts: " + starts + "\nends: " + ends + "\n" + where +
			"capacity: " + capacity + "\n---\nWe oefenen samen.\n"
	}
	fsys := fstest.MapFS{
		"oefenavonden/course.md": {Data: []byte("---\ntitle: Oefenavonden voor de raad\nsummary: Samen oefenen met moties en amendementen.\n" +
			"audience: raadslid\ntopics: werkwijze-raad\nstudy_hours: 5\nlevel: basis\nlanguage: nl\nvalidity_months: 24\n---\nOefenen.\n")},
		"oefenavonden/01-avonden/module.md": {Data: []byte("---\ntitle: De avonden\n---\n")},
		"oefenavonden/01-avonden/01-moties.md": {Data: []byte(session("Avond over moties", "2026-04-20 19:30", "2026-04-20 21:30",
			"location: Raadzaal, Stadhuisplein 1\n", "20"))},
		"oefenavonden/01-avonden/02-amendementen.md": {Data: []byte(session("Avond over amendementen", "2026-05-04 19:30", "2026-05-04 22:00",
			"online_url: https://meet.example.nl/amendementen\n", "1"))},
	}
	c, err := courses.ReadCourseFolder(fsys, "oefenavonden")
	if err != nil {
		t.Fatalf("read: %v %v", err, courses.ErrorProblems(err))
	}
	if err := a.courses.SaveCourse(context.Background(), c, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatalf("save: %v %v", err, courses.ErrorProblems(err))
	}
	loaded, err := a.courses.CourseBySlug(context.Background(), "oefenavonden")
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}

// dashSection returns the part of a page from the element with id to the
// next section.
func dashSection(t *testing.T, page, id string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `id="`+id+`"`)
	if !ok {
		t.Fatalf("page has no %q", id)
	}
	section, _, _ := strings.Cut(rest, "</section>")
	return section
}

// inOrder reports whether every fragment occurs in s, each after the one
// before.
func inOrder(s string, fragments ...string) bool {
	for _, f := range fragments {
		i := strings.Index(s, f)
		if i < 0 {
			return false
		}
		s = s[i+len(f):]
	}
	return true
}

// TestPathPagesAnonymous: the learning paths are public, in their order,
// with an invitation to sign in instead of the form to start one.
func TestPathPagesAnonymous(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := dashApp(t, kind)
			scenarios := []scenario{
				{name: "list", path: "/leerpaden", wantStatus: 200, want: []string{
					`href="/leerpaden/inwerkprogramma-raadsleden-2026"`, "Inwerkprogramma nieuwe raadsleden 2026",
					"Inwerkprogramma nieuwe wethouders 2026", "Inwerkprogramma griffiers 2026", `<li class="rz-tag">Wethouder</li>`}},
				{name: "one path", path: "/leerpaden/" + dashPath, wantStatus: 200, want: []string{
					`<h1 class="utrecht-heading-1">Inwerkprogramma nieuwe raadsleden 2026</h1>`, "18 maart 2026",
					`href="/cursussen/nieuw-in-de-raad"`, `href="/inloggen?terug=/leerpaden/inwerkprogramma-raadsleden-2026"`},
					wantNot: []string{`action="/leerpaden/inwerkprogramma-raadsleden-2026/inschrijven"`, "rz-path-course__state"}},
				{name: "unknown path", path: "/leerpaden/bestaat-niet", wantStatus: 404},
				{name: "malformed slug", path: "/leerpaden/Hoofd%20Letters", wantStatus: 404},
				{name: "dashboard sends to sign-in", path: "/mijn-leren", wantStatus: 303,
					wantHeader: map[string]string{"Location": "/inloggen?terug=%2Fmijn-leren"}},
				{name: "dashboard for an API client", path: "/mijn-leren", header: map[string]string{"Accept": "application/json"}, wantStatus: 401},
			}
			for _, s := range scenarios {
				s.run(t, a)
			}
			_, page := newClient(t, a).do(http.MethodGet, "/leerpaden/"+dashPath, nil)
			if !inOrder(dashSection(t, page, "courses-heading"), dashPathCourses...) {
				t.Errorf("the path's courses are not in order %q", dashPathCourses)
			}
			if err := seedPaths(context.Background(), a.db, a.log); err != nil {
				t.Fatalf("seedPaths again: %v", err)
			}
			list, err := a.pathService().Paths(context.Background(), 0)
			if err != nil || len(list) != 3 {
				t.Errorf("after seeding twice: %d paths (%v), want 3", len(list), err)
			}
		})
	}
}

// TestDashboard: a learner starts a learning path and sees on their
// dashboard their courses with deadlines first, the sessions they have a
// place at or wait for, the path's progress and what they completed.
func TestDashboard(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := dashApp(t, kind)
			ctx := context.Background()
			c, u := learnSignedIn(t, a, "raadslid@example.nl", courses.RoleLearner)
			nl := a.catalog.Locale("nl")

			_, page := c.do(http.MethodGet, "/mijn-leren", nil)
			for _, want := range []string{`<h1 class="utrecht-heading-1">`, `href="/cursussen"`, `href="/leerpaden"`} {
				if !strings.Contains(page, want) {
					t.Errorf("empty dashboard lacks %q", want)
				}
			}
			if strings.Contains(page, "rz-dash-course") {
				t.Error("empty dashboard lists a course")
			}

			// Start the path from its page.
			_, page = c.do(http.MethodGet, "/leerpaden/"+dashPath, nil)
			if !strings.Contains(page, `action="/leerpaden/`+dashPath+`/inschrijven"`) {
				t.Fatalf("path page has no form to start it:\n%.500s", dashSection(t, page, "enrol-heading"))
			}
			for range 2 {
				resp, body := learnPost(c, "/leerpaden/"+dashPath+"/inschrijven", nil)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/mijn-leren" {
					t.Fatalf("start path: %d to %q; %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
				}
			}
			enrolments, err := a.learning.Enrolments(ctx, u.ID)
			if err != nil || len(enrolments) != 5 {
				t.Fatalf("after starting the path twice: %d enrolments (%v), want 5", len(enrolments), err)
			}

			// Two courses with deadlines, one overdue; one course completed.
			deadline := func(day string) *time.Time {
				d, ok := courses.ParseDay(day)
				if !ok {
					t.Fatal(day)
				}
				return &d
			}
			soon, overdue := deadline("2026-04-15"), deadline("2026-04-08")
			for slug, d := range map[string]*time.Time{"burgemeester-openbare-orde-en-veiligheid": soon, "griffier-als-spil-van-de-raad": overdue} {
				course, err := a.courses.CourseBySlug(ctx, slug)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := a.learning.EnrolAs(ctx, courses.EnrolRequest{UserID: u.ID, CourseID: course.ID, Source: courses.SourceTrainer, Deadline: d}); err != nil {
					t.Fatal(err)
				}
			}
			admin := createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			complete := func(slug string) *courses.Enrolment {
				t.Helper()
				e, err := a.learning.EnrolmentBySlug(ctx, u.ID, slug)
				if err != nil {
					t.Fatal(err)
				}
				done, _, err := a.learning.CompleteManually(ctx, e.ID, admin.ID, "Volgde de introductieavond")
				if err != nil {
					t.Fatal(err)
				}
				return done
			}
			complete("nieuw-in-de-raad")

			// Sessions: a place at the first, the waiting list of the
			// second (one place, taken by someone else first); the course
			// has a validity and is completed at the end.
			sessions := dashSessionCourse(t, a)
			other := createTestUser(t, a, "ander@example.nl", courses.RoleLearner)
			for _, who := range []int64{other.ID, u.ID} {
				if _, _, err := a.learning.Enrol(ctx, who, sessions.ID); err != nil {
					t.Fatal(err)
				}
			}
			register := func(who int64, module, activity string) {
				t.Helper()
				step, _ := sessions.Find(module, activity)
				if _, err := a.learning.Register(ctx, who, sessions.ID, courses.Key(module, activity), step.Activity.Meeting); err != nil {
					t.Fatal(err)
				}
			}
			register(u.ID, "avonden", "moties")
			register(other.ID, "avonden", "amendementen")
			register(u.ID, "avonden", "amendementen")

			_, page = c.do(http.MethodGet, "/mijn-leren", nil)
			mine := dashSection(t, page, "mijn-cursussen")
			if !inOrder(mine, "De griffier als spil van de raad", "Burgemeester: openbare orde en veiligheid", "Oefenavonden voor de raad") {
				t.Errorf("courses are not in deadline order:\n%s", mine)
			}
			for _, want := range []string{
				`rz-dash-course rz-dash-course--overdue`, `rz-deadline rz-deadline--overdue`,
				nl.Date(*overdue), nl.Date(*soon), `href="/leren/burgemeester-openbare-orde-en-veiligheid"`,
				`href="/leren/integriteit-en-weerbaarheid"`, `href="/cursussen/omgevingswet-voor-raadsleden"`,
			} {
				if !strings.Contains(mine, want) {
					t.Errorf("my courses lack %q", want)
				}
			}
			if n := strings.Count(mine, "rz-dash-course--overdue"); n != 1 {
				t.Errorf("%d overdue courses shown, want 1", n)
			}
			if strings.Contains(mine, "Nieuw in de raad") {
				t.Error("a completed course is listed among the courses to do")
			}

			sessionPart := dashSection(t, page, "mijn-bijeenkomsten")
			if !inOrder(sessionPart, "Avond over moties", "Oefenavonden voor de raad", nl.DateTime(dashTime(t, "2026-04-20 19:30")), "21:30",
				"Raadzaal, Stadhuisplein 1", "rz-dash-session--waiting", "Avond over amendementen", nl.DateTime(dashTime(t, "2026-05-04 19:30"))) {
				t.Errorf("sessions section:\n%s", sessionPart)
			}
			if !strings.Contains(sessionPart, `href="/leren/oefenavonden/avonden/moties"`) {
				t.Error("no link to the session")
			}

			paths := dashSection(t, page, "mijn-leerpaden")
			if !strings.Contains(paths, `href="/leerpaden/`+dashPath+`"`) || !strings.Contains(paths, `max="100" value="20"`) {
				t.Errorf("paths section lacks the path at 1 of 5 (20%%):\n%s", paths)
			}

			completed := dashSection(t, page, "afgerond")
			if !strings.Contains(completed, "Nieuw in de raad: de eerste 100 dagen") || !strings.Contains(completed, nl.Date(dashTime(t, dashNow))) {
				t.Errorf("completed section lacks the course with its date:\n%s", completed)
			}
			if strings.Contains(completed, "<dt>"+nl.T("dashboard.valid_until")) {
				t.Error("a course without validity shows a valid-until date")
			}
			later := dashTime(t, dashNow).Add(time.Hour)
			a.db.Now = func() time.Time { return later }
			e := complete("oefenavonden")
			_, page = c.do(http.MethodGet, "/mijn-leren", nil)
			completed = dashSection(t, page, "afgerond")
			if e.ExpiresAt == nil || !inOrder(completed, "Oefenavonden voor de raad", nl.Date(*e.ExpiresAt), "Nieuw in de raad") {
				t.Errorf("completed section lacks the course's valid-until date %v, the latest first:\n%s", e.ExpiresAt, completed)
			}

			// The path page shows the learner's progress, no form.
			_, page = c.do(http.MethodGet, "/leerpaden/"+dashPath, nil)
			if strings.Contains(page, "/inschrijven\"") || !strings.Contains(page, `href="/mijn-leren"`) ||
				!strings.Contains(page, "rz-path-course rz-path-course--completed") {
				t.Errorf("path page after starting:\n%s", dashSection(t, page, "courses-heading"))
			}
		})
	}
}

// TestDashboardUpcomingSessions: sessions that have ended and sessions in
// courses the learner left are not shown; the waiting-list position is.
func TestDashboardUpcomingSessions(t *testing.T) {
	a := dashApp(t, db.SQLite)
	ctx := context.Background()
	u := createTestUser(t, a, "raadslid@example.nl", courses.RoleLearner)
	other := createTestUser(t, a, "ander@example.nl", courses.RoleLearner)
	course := dashSessionCourse(t, a)
	for _, who := range []int64{other.ID, u.ID} {
		if _, _, err := a.learning.Enrol(ctx, who, course.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		who int64
		key string
	}{{u.ID, "avonden/moties"}, {other.ID, "avonden/amendementen"}, {u.ID, "avonden/amendementen"}} {
		module, activity, _ := strings.Cut(r.key, "/")
		step, _ := course.Find(module, activity)
		if _, err := a.learning.Register(ctx, r.who, course.ID, r.key, step.Activity.Meeting); err != nil {
			t.Fatal(err)
		}
	}
	sessionsAt := func(now string) []string {
		t.Helper()
		enrolments, err := a.learning.Enrolments(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		regs, err := a.learning.UserRegistrations(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		list, err := a.upcomingSessions(ctx, dashTime(t, now), enrolments, regs)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range list {
			state := "place"
			if s.Waiting {
				state = "waiting " + strconv.Itoa(s.Position)
			}
			out = append(out, s.Key+": "+state)
		}
		return out
	}
	tests := []struct {
		now  string
		want []string
	}{
		{dashNow, []string{"avonden/moties: place", "avonden/amendementen: waiting 1"}},
		{"2026-04-20 21:00", []string{"avonden/moties: place", "avonden/amendementen: waiting 1"}}, // still going on
		{"2026-04-20 21:30", []string{"avonden/amendementen: waiting 1"}},
		{"2026-05-05 09:00", nil},
	}
	for _, tt := range tests {
		if got := sessionsAt(tt.now); !slices.Equal(got, tt.want) {
			t.Errorf("at %s: sessions %q, want %q", tt.now, got, tt.want)
		}
	}
	if err := a.learning.Withdraw(ctx, u.ID, course.ID); err != nil {
		t.Fatal(err)
	}
	if got := sessionsAt(dashNow); got != nil {
		t.Errorf("after leaving the course: sessions %q, want none", got)
	}
}

// TestNewDashboard: deadlines first, the soonest (so the overdue) first;
// days counted as calendar days in Amsterdam; completed courses the
// latest first, with expiry; only the paths the learner started.
func TestNewDashboard(t *testing.T) {
	at := func(s string) *time.Time { v := dashTime(t, s); return &v }
	endOf := func(day string) *time.Time { v, _ := courses.ParseDay(day); return &v }
	now := dashTime(t, dashNow)
	enrolments := []*courses.Enrolment{
		{Slug: "nieuwste-zonder-deadline"},
		{Slug: "over-vijf-dagen", Deadline: endOf("2026-04-15")},
		{Slug: "twee-dagen-te-laat", Deadline: endOf("2026-04-08")},
		{Slug: "vandaag", Deadline: endOf("2026-04-10")},
		{Slug: "verlopen-certificaat", CompletedAt: at("2024-04-01 10:00"), ExpiresAt: at("2026-04-01 10:00"), Deadline: endOf("2024-05-01")},
		{Slug: "net-afgerond", CompletedAt: at("2026-04-09 10:00"), ExpiresAt: at("2028-04-09 10:00")},
		{Slug: "vanochtend-verlopen", Deadline: at("2026-04-10 09:00")},
		{Slug: "oudste-zonder-deadline"},
	}
	started := now.Add(-48 * time.Hour)
	paths := []*courses.LearningPath{{Slug: "niet-gestart"}, {Slug: "gestart", EnrolledAt: &started}}
	v := newDashboard(now, enrolments, paths)

	type row struct {
		slug     string
		daysLeft int
		overdue  bool
	}
	var got []row
	for _, c := range v.Courses {
		got = append(got, row{c.Slug, c.DaysLeft, c.Overdue})
	}
	want := []row{{"twee-dagen-te-laat", -2, true}, {"vanochtend-verlopen", 0, true}, {"vandaag", 0, false},
		{"over-vijf-dagen", 5, false}, {"nieuwste-zonder-deadline", 0, false}, {"oudste-zonder-deadline", 0, false}}
	if !slices.Equal(got, want) {
		t.Errorf("courses:\n got %v\nwant %v", got, want)
	}
	var completed []string
	for _, c := range v.Completed {
		completed = append(completed, c.Slug)
		if want := c.Slug == "verlopen-certificaat"; c.Expired != want || c.Overdue {
			t.Errorf("%s: expired %v, overdue %v; want expired %v and never overdue", c.Slug, c.Expired, c.Overdue, want)
		}
	}
	if want := []string{"net-afgerond", "verlopen-certificaat"}; !slices.Equal(completed, want) {
		t.Errorf("completed = %q, want %q", completed, want)
	}
	if len(v.Paths) != 1 || v.Paths[0].Slug != "gestart" {
		t.Errorf("paths = %v, want only the started one", v.Paths)
	}

	// Across the switch to summer time, and late in the evening.
	for _, tt := range []struct {
		from, to string
		want     int
	}{
		{"2026-03-28 12:00", "2026-03-30 23:59", 2},
		{"2026-04-10 23:30", "2026-04-11 00:30", 1},
		{"2026-10-24 00:10", "2026-10-26 00:05", 2},
		{"2026-04-10 12:00", "2026-04-08 23:59", -2},
	} {
		if got := calendarDays(dashTime(t, tt.from), dashTime(t, tt.to)); got != tt.want {
			t.Errorf("calendarDays(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}
