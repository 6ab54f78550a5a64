package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// Calendar feeds (iCalendar, RFC 5545) of sessions: one public feed per
// session, and each learner's feed of the sessions they have a place at,
// at a secret address.

// calendarFeeds keeps the secret addresses of learners' feeds, by the hash
// of their token (db.CalendarFeeds).
type calendarFeeds interface {
	// SetFeedToken replaces userID's address and returns when it was made.
	SetFeedToken(ctx context.Context, userID int64, hash string) (time.Time, error)
	// FeedToken returns when userID's address was made, or ENOTFOUND.
	FeedToken(ctx context.Context, userID int64) (time.Time, error)
	// FeedUser returns the active user whose token has hash, or ENOTFOUND.
	FeedUser(ctx context.Context, hash string) (int64, error)
	RevokeFeedToken(ctx context.Context, userID int64) error
}

// calendarEvent is one session as a calendar shows it.
type calendarEvent struct {
	UID         string
	Stamp       time.Time // when its information was last revised
	Meeting     *courses.Meeting
	Summary     string
	Description string
	URL         string
}

// icsTimezone describes Europe/Amsterdam (CET/CEST, EU rules since 1996)
// for calendars that do not know the zone by name.
var icsTimezone = []string{
	"BEGIN:VTIMEZONE", "TZID:Europe/Amsterdam", "X-LIC-LOCATION:Europe/Amsterdam",
	"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
	"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
	"END:VTIMEZONE",
}

// writeCalendar returns an iCalendar object with the events: CRLF line
// ends, lines folded at 75 octets, text escaped, times in Amsterdam with
// the zone described.
func writeCalendar(name string, events []calendarEvent) []byte {
	var b strings.Builder
	line := func(s string) { foldLine(&b, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Raadzaam//Raadzaam//NL")
	line("CALSCALE:GREGORIAN")
	line("X-WR-CALNAME:" + icsText(name))
	line("X-WR-TIMEZONE:Europe/Amsterdam")
	for _, s := range icsTimezone {
		line(s)
	}
	for _, e := range events {
		line("BEGIN:VEVENT")
		line("UID:" + e.UID)
		line("DTSTAMP:" + e.Stamp.UTC().Format("20060102T150405Z"))
		line("DTSTART;TZID=Europe/Amsterdam:" + e.Meeting.StartsAt.In(courses.Amsterdam).Format("20060102T150405"))
		line("DTEND;TZID=Europe/Amsterdam:" + e.Meeting.EndsAt.In(courses.Amsterdam).Format("20060102T150405"))
		line("SUMMARY:" + icsText(e.Summary))
		if e.Meeting.Location != "" {
			line("LOCATION:" + icsText(e.Meeting.Location))
		}
		if e.Description != "" {
			line("DESCRIPTION:" + icsText(e.Description))
		}
		if e.URL != "" {
			line("URL:" + e.URL)
		}
		line("STATUS:CONFIRMED")
		line("TRANSP:OPAQUE")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

// icsText escapes a TEXT value (RFC 5545, 3.3.11): backslash, semicolon,
// comma and line breaks.
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// foldLine writes a content line, folded so that no line is longer than 75
// octets (the continuation's leading space included), never inside a
// UTF-8 sequence (RFC 5545, 3.1).
func foldLine(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// sessionEvent describes a session of a course version for a calendar.
func (a *application) sessionEvent(l *Locale, course *courses.Course, s courses.Step) calendarEvent {
	page := a.cfg.BaseURL.String() + stepURL("/leren/"+course.Slug, s)
	desc := []string{l.T("calendar.event.course", "title", course.Title)}
	if u := s.Activity.Meeting.OnlineURL; u != "" {
		desc = append(desc, l.T("calendar.event.online", "url", u))
	}
	desc = append(desc, l.T("calendar.event.more", "url", page))
	stamp := course.PublishedAt
	if stamp.IsZero() {
		stamp = a.db.Now()
	}
	// The key is the same in every version, so the event keeps its UID
	// when a new version is published.
	return calendarEvent{
		UID:         "sessie-" + strconv.FormatInt(course.ID, 10) + "-" + s.Module.Slug + "-" + s.Activity.Slug + "@" + a.cfg.BaseURL.Hostname(),
		Stamp:       stamp,
		Meeting:     s.Activity.Meeting,
		Summary:     s.Activity.Title + " (" + course.Title + ")",
		Description: strings.Join(desc, "\n"),
		URL:         page,
	}
}

func sendCalendar(c *fiber.Ctx, cache string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, cache)
	return c.Send(body)
}

// handleSessionCalendar answers the public calendar feed of one session of
// a course's published version.
func (a *application) handleSessionCalendar(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return courses.Errorf(courses.ENOTFOUND, "no course %q", slug)
	}
	course, err := a.courses.CourseBySlug(c.UserContext(), strings.Clone(slug))
	if err != nil {
		return err
	}
	step, ok := course.Find(c.Params("module"), c.Params("activity"))
	if !ok || step.Activity.Meeting == nil {
		return courses.Errorf(courses.ENOTFOUND, "no session %s/%s", c.Params("module"), c.Params("activity"))
	}
	l := a.localeFrom(c)
	ev := a.sessionEvent(l, course, step)
	return sendCalendar(c, "public, max-age=300", writeCalendar(step.Activity.Title, []calendarEvent{ev}))
}

// handleMyCalendar answers a learner's own feed: the sessions they have a
// place at, in the version of the course they follow. The token in the
// address is the credential; an unknown one is not found.
func (a *application) handleMyCalendar(feeds calendarFeeds) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := c.Params("token")
		if len(token) != 64 || strings.Trim(token, "0123456789abcdef") != "" {
			return courses.Errorf(courses.ENOTFOUND, "no calendar feed")
		}
		ctx := c.UserContext()
		userID, err := feeds.FeedUser(ctx, tokenHash(token))
		if err != nil {
			return err
		}
		u, err := a.users.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		l := a.catalog.Locale(u.Language)
		regs, err := a.learning.UserRegistrations(ctx, userID)
		if err != nil {
			return err
		}
		enrolments, err := a.learning.Enrolments(ctx, userID)
		if err != nil {
			return err
		}
		versionOf := map[int64]int64{}
		for _, e := range enrolments {
			versionOf[e.CourseID] = e.VersionID
		}
		var events []calendarEvent
		for _, r := range regs {
			version, enrolled := versionOf[r.CourseID]
			if r.Status != courses.Registered || !enrolled {
				continue
			}
			course, err := a.versions.get(ctx, version)
			if err != nil {
				return err
			}
			module, activity, _ := strings.Cut(r.ActivityKey, "/")
			if step, ok := course.Find(module, activity); ok && step.Activity.Meeting != nil {
				events = append(events, a.sessionEvent(l, course, step))
			}
		}
		return sendCalendar(c, "private, no-cache", writeCalendar(l.T("calendar.my_name"), events))
	}
}

// calendarView is the data of the page of the learner's calendar address.
type calendarView struct {
	Created *time.Time   // when the current address was made; nil: none
	URL     string       // a new address, shown once
	Webcal  template.URL // the same for calendar apps that subscribe by link (our own address: trusted)
	Saved   string
}

// handleCalendarShow shows whether the learner has a calendar address, with
// the buttons to make a new one or stop it.
func (a *application) handleCalendarShow(feeds calendarFeeds) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := calendarView{}
		if c.Query("ingetrokken") != "" {
			v.Saved = "calendar.saved.revoked"
		}
		return a.renderCalendar(c, feeds, fiber.StatusOK, v)
	}
}

func (a *application) renderCalendar(c *fiber.Ctx, feeds calendarFeeds, status int, v calendarView) error {
	created, err := feeds.FeedToken(c.UserContext(), userFrom(c).ID)
	if err == nil {
		v.Created = &created
	} else if courses.ErrorCode(err) != courses.ENOTFOUND {
		return err
	}
	return a.renderForm(c, status, "session-calendar", a.localeFrom(c).T("calendar.title"), "account", "/agenda", v)
}

// handleCalendarCreate makes a new secret address for the learner's feed,
// replacing the one before, and shows it once: only its hash is stored.
func (a *application) handleCalendarCreate(feeds calendarFeeds) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token := hex.EncodeToString(b)
		u := userFrom(c)
		if _, err := feeds.SetFeedToken(c.UserContext(), u.ID, tokenHash(token)); err != nil {
			return err
		}
		a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "calendar.feed_created", Subject: "user:" + strconv.FormatInt(u.ID, 10), RequestID: requestIDFrom(c)})
		feed := a.cfg.BaseURL.String() + "/agenda/" + token + ".ics"
		webcal := "webcal://" + strings.TrimPrefix(strings.TrimPrefix(feed, "https://"), "http://")
		v := calendarView{URL: feed, Webcal: template.URL(webcal), Saved: "calendar.saved.created"} //nolint:gosec // our base URL and a hex token

		return a.renderCalendar(c, feeds, fiber.StatusOK, v)
	}
}

// handleCalendarRevoke stops the learner's calendar address.
func (a *application) handleCalendarRevoke(feeds calendarFeeds) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := userFrom(c)
		if err := feeds.RevokeFeedToken(c.UserContext(), u.ID); err != nil {
			return err
		}
		a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: u.ID, Action: "calendar.feed_revoked", Subject: "user:" + strconv.FormatInt(u.ID, 10), RequestID: requestIDFrom(c)})
		return c.Redirect("/agenda?ingetrokken=1", fiber.StatusSeeOther)
	}
}

// calendarLink is the address of a session's public feed.
func calendarLink(course *courses.Course, s courses.Step) string {
	return "/cursussen/" + course.Slug + "/bijeenkomsten/" + s.Module.Slug + "/" + s.Activity.Slug + ".ics"
}
