package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// calendarLines checks the physical form of an iCalendar object (CRLF line
// ends, at most 75 octets a line, no UTF-8 sequence split) and returns its
// unfolded content lines.
func calendarLines(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n") {
		t.Error("the calendar does not end with CRLF")
	}
	physical := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	for i, l := range physical {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d has %d octets, more than 75: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
	}
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(body, "\r\n ", ""), "\r\n"), "\r\n")
}

func calendarHas(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// TestCalendarFormat checks the iCalendar text itself: the frame, the time
// zone, local times in Amsterdam (also in summer time), escaping of commas,
// semicolons, backslashes and line breaks, and folding of long lines
// between, never inside, UTF-8 characters.
func TestCalendarFormat(t *testing.T) {
	winter := &courses.Meeting{StartsAt: time.Date(2027, 1, 14, 18, 30, 0, 0, time.UTC), EndsAt: time.Date(2027, 1, 14, 21, 0, 0, 0, time.UTC),
		Location: `Stadhuis Utrecht, Stadsplateau 1; zaal 2.14 \ ingang B`, Capacity: 24}
	summer := &courses.Meeting{StartsAt: time.Date(2027, 7, 1, 17, 30, 0, 0, time.UTC), EndsAt: time.Date(2027, 7, 1, 19, 0, 0, 0, time.UTC), Capacity: 5}
	long := "Oefenavond: amendementen schrijven voor de begroting van Súdwest-Fryslân, ’s-Hertogenbosch en Nuenen, Gerwen en Nederwetten"
	body := string(writeCalendar("Mijn, bijeenkomsten", []calendarEvent{
		{UID: "sessie-1-a-b@raadzaam.example", Stamp: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Meeting: winter, Summary: long,
			Description: "Regel één\nRegel twee", URL: "https://raadzaam.example/leren/x/a/b"},
		{UID: "sessie-1-a-c@raadzaam.example", Stamp: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Meeting: summer, Summary: "Zomer"},
	}))
	lines := calendarLines(t, body)
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Errorf("frame: first %q, last %q", lines[0], lines[len(lines)-1])
	}
	for _, want := range []string{
		"VERSION:2.0", "PRODID:-//Raadzaam//Raadzaam//NL", `X-WR-CALNAME:Mijn\, bijeenkomsten`,
		"BEGIN:VTIMEZONE", "TZID:Europe/Amsterdam", "TZOFFSETTO:+0200", "TZOFFSETTO:+0100", "END:VTIMEZONE",
		"UID:sessie-1-a-b@raadzaam.example", "DTSTAMP:20261102T090000Z",
		"DTSTART;TZID=Europe/Amsterdam:20270114T193000", "DTEND;TZID=Europe/Amsterdam:20270114T220000",
		"DTSTART;TZID=Europe/Amsterdam:20270701T193000", "DTEND;TZID=Europe/Amsterdam:20270701T210000",
		`LOCATION:Stadhuis Utrecht\, Stadsplateau 1\; zaal 2.14 \\ ingang B`,
		`SUMMARY:Oefenavond: amendementen schrijven voor de begroting van Súdwest-Fryslân\, ’s-Hertogenbosch en Nuenen\, Gerwen en Nederwetten`,
		`DESCRIPTION:Regel één\nRegel twee`, "URL:https://raadzaam.example/leren/x/a/b",
	} {
		if !calendarHas(lines, want) {
			t.Errorf("calendar lacks the line %q", want)
		}
	}
	if n := strings.Count(body, "BEGIN:VEVENT\r\n"); n != 2 {
		t.Errorf("%d events, want 2", n)
	}
	if !strings.Contains(body, "\r\n ") {
		t.Error("the long summary was not folded")
	}
	// The summer session has no location: no empty LOCATION line.
	if calendarHas(lines, "LOCATION:") {
		t.Error("an empty LOCATION line")
	}
}

var calendarFeedURL = regexp.MustCompile(`/agenda/([0-9a-f]{64})\.ics`)

// TestCalendarFeeds: a session's public feed, and a learner's own feed at
// a secret address whose token is stored only as a hash, that lists the
// sessions they have a place at, and that stops when replaced or stopped.
func TestCalendarFeeds(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			enrolSessionCourse(t, a, 5)
			anon := newClient(t, a)
			feed := "/cursussen/" + enrolSessionSlug + "/bijeenkomsten/oefenen/oefenavond.ics"
			resp, public := anon.do(http.MethodGet, feed, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
				t.Fatalf("public feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			lines := calendarLines(t, public)
			for _, want := range []string{"BEGIN:VCALENDAR", "BEGIN:VTIMEZONE", "DTSTART;TZID=Europe/Amsterdam:20270114T193000",
				`LOCATION:Stadhuis Utrecht\, Stadsplateau 1\; zaal 2.14`, "SUMMARY:Oefenavond: amendementen schrijven (Testcursus voor bestanden)"} {
				if !calendarHas(lines, want) {
					t.Errorf("public feed lacks %q", want)
				}
			}
			uid := ""
			for _, l := range lines {
				if v, ok := strings.CutPrefix(l, "UID:"); ok {
					uid = v
				}
			}
			if uid == "" {
				t.Fatal("public feed has no UID")
			}
			if _, again := anon.do(http.MethodGet, feed, nil); again != public {
				t.Error("the public feed differs between two requests")
			}
			for _, path := range []string{
				"/cursussen/" + enrolSessionSlug + "/bijeenkomsten/oefenen/bestaat-niet.ics",
				"/cursussen/bestaat-niet/bijeenkomsten/oefenen/oefenavond.ics",
				"/cursussen/" + learnSlug + "/bijeenkomsten/het-speelveld/het-duale-stelsel.ics", // a lesson
			} {
				if resp, _ := anon.do(http.MethodGet, path, nil); resp.StatusCode != 404 {
					t.Errorf("%s: %d, want 404", path, resp.StatusCode)
				}
			}

			// A learner with a place makes a calendar address.
			anna, annaUser := learnSignedIn(t, a, "anna@example.nl", courses.RoleLearner)
			learnEnrol(t, anna, enrolSessionSlug)
			if resp, _ := learnPost(anna, enrolSessionPage+"/aanmelden", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("register: %d", resp.StatusCode)
			}
			if resp, page := anna.do(http.MethodGet, "/agenda", nil); resp.StatusCode != 200 || !strings.Contains(page, `action="/agenda"`) || calendarFeedURL.MatchString(page) {
				t.Fatalf("calendar page: %d", resp.StatusCode)
			}
			resp, page := learnPost(anna, "/agenda", nil)
			m := calendarFeedURL.FindStringSubmatch(page)
			if resp.StatusCode != 200 || m == nil {
				t.Fatalf("make a calendar address: %d, address shown: %v", resp.StatusCode, m != nil)
			}
			token := m[1]
			var stored string
			if err := a.db.NewSelect().TableExpr("calendar_feeds").Column("token_hash").Where("user_id = ?", annaUser.ID).Scan(ctx, &stored); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(token))
			if stored != hex.EncodeToString(sum[:]) || strings.Contains(stored, token) {
				t.Errorf("stored %q, want only the hash of the token", stored)
			}
			if _, page := anna.do(http.MethodGet, "/agenda", nil); calendarFeedURL.MatchString(page) || !strings.Contains(page, `action="/agenda/intrekken"`) {
				t.Error("the calendar page shows the address again, or lacks the stop form")
			}

			resp, mine := anon.do(http.MethodGet, "/agenda/"+token+".ics", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
				t.Fatalf("own feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			own := calendarLines(t, mine)
			if !calendarHas(own, "UID:"+uid) || !calendarHas(own, "DTSTART;TZID=Europe/Amsterdam:20270114T193000") || strings.Count(mine, "BEGIN:VEVENT") != 1 {
				t.Errorf("own feed lacks the registered session (UID %s), or has others:\n%s", uid, mine)
			}

			// A new address replaces the old; stopping ends it.
			_, page = learnPost(anna, "/agenda", nil)
			m = calendarFeedURL.FindStringSubmatch(page)
			if m == nil || m[1] == token {
				t.Fatal("no new calendar address")
			}
			if resp, _ := anon.do(http.MethodGet, "/agenda/"+token+".ics", nil); resp.StatusCode != 404 {
				t.Errorf("replaced address: %d, want 404", resp.StatusCode)
			}
			if resp, _ := anon.do(http.MethodGet, "/agenda/"+m[1]+".ics", nil); resp.StatusCode != 200 {
				t.Errorf("new address: %d", resp.StatusCode)
			}
			if resp, _ := learnPost(anna, "/agenda/intrekken", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("stop: %d", resp.StatusCode)
			}
			if resp, _ := anon.do(http.MethodGet, "/agenda/"+m[1]+".ics", nil); resp.StatusCode != 404 {
				t.Errorf("stopped address: %d, want 404", resp.StatusCode)
			}
			if resp, _ := anon.do(http.MethodGet, "/agenda/onzin.ics", nil); resp.StatusCode != 404 {
				t.Errorf("malformed token: %d, want 404", resp.StatusCode)
			}
		})
	}
}
