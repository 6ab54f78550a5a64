package main

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobMessages are the catalogue entries of the job mails, as proposed for
// locales/nl.json and locales/en.json. withJobMessages adds those the
// catalogue lacks, so these tests also run before the locale files have
// them; once they do, it changes nothing.
var jobMessages = map[string]string{
	"nl": `{
  "mail.job.action": "Naar de cursus",
  "mail.job.why": "U ontvangt deze e-mail omdat u bent ingeschreven voor een cursus op Raadzaam.",
  "mail.enrolment.subject": "U bent ingeschreven: {course}",
  "mail.enrolment.body": "U bent ingeschreven voor de cursus {course}. U kunt meteen beginnen; Raadzaam onthoudt waar u bent gebleven.",
  "mail.enrolment.deadline": "Rond de cursus uiterlijk {date} af.",
  "mail.session.when": "Wanneer: {when}",
  "mail.session.where": "Waar: {location}",
  "mail.session.online": "Online deelnemen: {url}",
  "mail.session.cancel": "Kunt u niet komen? Meld u dan af, zodat iemand van de wachtlijst uw plaats krijgt.",
  "mail.session_reminder.subject": "Herinnering: {session} op {date}",
  "mail.session_reminder.body": "U bent aangemeld voor de bijeenkomst {session} van de cursus {course}.",
  "mail.waitlist.subject": "Er is een plaats voor u: {session}",
  "mail.waitlist.body": "Er is een plaats vrijgekomen. U stond op de wachtlijst en bent nu aangemeld voor de bijeenkomst {session} van de cursus {course}.",
  "mail.deadline.subject": "Rond {course} uiterlijk {date} af",
  "mail.deadline.body": "De uiterste datum voor de cursus {course} is {date}. U heeft {done} van de {total} onderdelen afgerond.",
  "mail.recertification.subject": "Uw certificaat voor {course} verloopt op {date}",
  "mail.recertification.body": "Uw certificaat voor de cursus {course} verloopt op {date}. Om het te verlengen bent u opnieuw ingeschreven, in de huidige versie van de cursus (versie {version}).",
  "mail.recertification.progress": "Wat u eerder heeft afgerond, blijft staan; onderdelen die nieuw zijn in deze versie doet u erbij. Daarna rondt u de cursus opnieuw af."
}`,
	"en": `{
  "mail.job.action": "Go to the course",
  "mail.job.why": "You receive this e-mail because you are enrolled in a course on Raadzaam.",
  "mail.enrolment.subject": "You are enrolled: {course}",
  "mail.enrolment.body": "You are enrolled in the course {course}. You can start right away; Raadzaam remembers where you left off.",
  "mail.enrolment.deadline": "Please complete the course by {date}.",
  "mail.session.when": "When: {when}",
  "mail.session.where": "Where: {location}",
  "mail.session.online": "Join online: {url}",
  "mail.session.cancel": "Can't make it? Please cancel your registration, so that someone on the waiting list gets your place.",
  "mail.session_reminder.subject": "Reminder: {session} on {date}",
  "mail.session_reminder.body": "You are registered for the session {session} of the course {course}.",
  "mail.waitlist.subject": "A place for you: {session}",
  "mail.waitlist.body": "A place has become free. You were on the waiting list and are now registered for the session {session} of the course {course}.",
  "mail.deadline.subject": "Complete {course} by {date}",
  "mail.deadline.body": "The deadline for the course {course} is {date}. You have completed {done} of {total} activities.",
  "mail.recertification.subject": "Your certificate for {course} expires on {date}",
  "mail.recertification.body": "Your certificate for the course {course} expires on {date}. To renew it, you have been enrolled again, in the current version of the course (version {version}).",
  "mail.recertification.progress": "What you completed before still counts; activities that are new in this version are added for you to do. Then you complete the course again."
}`,
}

func withJobMessages(t *testing.T, c *Catalog) {
	t.Helper()
	for lang, src := range jobMessages {
		var add map[string]message
		if err := json.Unmarshal([]byte(src), &add); err != nil {
			t.Fatal(err)
		}
		for k, m := range add {
			if !c.Locale(lang).Has(k) {
				c.Locale(lang).messages[k] = m
			}
		}
	}
}

// TestJobMailsNeedTheirMessages: a catalogue without the job mails'
// messages stops the start, naming what is missing.
func TestJobMailsNeedTheirMessages(t *testing.T) {
	catalog, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	delete(catalog.Locale("en").messages, "mail.job.action")
	if _, err := loadJobMailTemplates(catalog); err == nil || !strings.Contains(err.Error(), "en: mail.job.action") {
		t.Errorf("missing message: %v", err)
	}
	withJobMessages(t, catalog)
	if _, err := loadJobMailTemplates(catalog); err != nil {
		t.Errorf("complete catalogue: %v", err)
	}
}

// jobWorld is an application whose clock stands at now (and runs on from
// there), with River's schema and a job queue on the same clock.
type jobWorld struct {
	t    *testing.T
	a    *application
	jobs *db.Jobs
}

func newJobWorld(t *testing.T, kind db.Kind, now time.Time) *jobWorld {
	t.Helper()
	a := newTestApp(t, kind)
	withJobMessages(t, a.catalog)
	if err := a.db.MigrateJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	offset := time.Until(now)
	a.db.Now = func() time.Time { return time.Now().Add(offset) }
	w := &jobWorld{t: t, a: a}
	w.jobs = w.start("first")
	return w
}

// start starts a River client (an "instance") on the world's database.
func (w *jobWorld) start(id string) *db.Jobs {
	w.t.Helper()
	jobs, err := newJobs(w.a, db.JobsOptions{ID: id, Test: true, Clock: func() time.Time { return w.a.db.Now() }})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := jobs.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := jobs.Stop(ctx); err != nil {
			w.t.Errorf("stop jobs: %v", err)
		}
	})
	return jobs
}

func (w *jobWorld) exec(query string, args ...any) {
	w.t.Helper()
	if _, err := w.a.db.NewRaw(query, args...).Exec(context.Background()); err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
}

// learner creates an account in a language.
func (w *jobWorld) learner(email, language string) *courses.User {
	w.t.Helper()
	u, err := w.a.users.CreateUser(context.Background(), &courses.NewUser{Email: email, Name: "Ayşe de Vries-" + language,
		Role: courses.RoleLearner, Language: language, PasswordHash: "x"})
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *jobWorld) enrol(u *courses.User, courseID int64) *courses.Enrolment {
	w.t.Helper()
	e, _, err := w.a.learning.Enrol(context.Background(), u.ID, courseID)
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

// register adds a session registration (the registration service is not
// there yet, so the row is written directly).
func (w *jobWorld) register(u *courses.User, courseID int64, key, status string) int64 {
	w.t.Helper()
	var id int64
	now := w.a.db.Now().UTC()
	if err := w.a.db.NewRaw(`INSERT INTO session_registrations (course_id, activity_key, user_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, courseID, key, u.ID, status, now, now).Scan(context.Background(), &id); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// waitForJobs waits until every job has run, except those waiting for a
// later time, and fails on any job that failed.
func (w *jobWorld) waitForJobs(n int) []*rivertype.JobRow {
	w.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		list, err := w.jobs.Client().JobList(ctx, river.NewJobListParams().First(1000))
		if err != nil {
			w.t.Fatal(err)
		}
		settled := 0
		for _, job := range list.Jobs {
			switch job.State {
			case rivertype.JobStateCompleted, rivertype.JobStateScheduled:
				settled++
			case rivertype.JobStateRetryable, rivertype.JobStateDiscarded:
				w.t.Fatalf("job %s %s failed: %+v", job.Kind, job.EncodedArgs, job.Errors)
			}
		}
		if settled == n && len(list.Jobs) == n {
			return list.Jobs
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d of %d jobs settled within 20 s", settled, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobSessionCourse is a course with a lesson and three sessions: one tomorrow
// evening, one a week later and one that has just begun.
func jobSessionCourse(slug string, now time.Time, version int) *courses.Course {
	day := func(d time.Duration, hour, minute int) time.Time {
		t := now.In(courses.Amsterdam).Add(d)
		return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, courses.Amsterdam)
	}
	session := func(pos int, slug, title string, starts time.Time, online string) courses.Activity {
		return courses.Activity{Position: pos, Slug: slug, Kind: courses.KindSession, Title: title, Minutes: 120, Body: "Samen oefenen.",
			Meeting: &courses.Meeting{StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), Location: "Raadzaal, Markt 1", OnlineURL: online, Capacity: 20}}
	}
	c := &courses.Course{Slug: slug, Title: "Grip op de begroting & jaarrekening", Summary: "Samenvatting.", Description: "Beschrijving.",
		Audience: []courses.Office{courses.Raadslid}, Topics: []courses.Topic{"financien"}, StudyHours: 2,
		Level: courses.LevelBasis, Language: "nl", Version: version, ValidityMonths: 24,
		Modules: []courses.Module{{Position: 1, Slug: "basis", Title: "Basis", Activities: []courses.Activity{
			{Position: 1, Slug: "les", Kind: courses.KindLesson, Title: "Les", Minutes: 10, Body: "Tekst"},
			session(2, "oefenavond", "Oefenavond", day(24*time.Hour, 19, 30), "https://example.nl/live?zaal=1&stream=2"),
			session(3, "slotavond", "Slotavond", day(7*24*time.Hour, 19, 30), ""),
			session(4, "gestart", "Startavond", now.Add(-time.Hour), ""),
		}}},
	}
	if version > 1 {
		c.Modules[0].Activities = append(c.Modules[0].Activities,
			courses.Activity{Position: 5, Slug: "nieuw", Kind: courses.KindLesson, Title: "Nieuw", Minutes: 10, Body: "Nieuw"})
	}
	return c
}

// TestJobMails runs every job kind through River, with two clients on the
// database: each mail that applies lands in the outbox once, in the
// learner's language, with a text and an HTML part and the right facts
// (session times in Amsterdam time); those that no longer apply send
// nothing; a reminder that came early waits. The clock is injected: it
// stands on the evening before a session.
func TestJobMails(t *testing.T) {
	now := time.Date(2031, 3, 13, 20, 0, 0, 0, courses.Amsterdam)
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			w := newJobWorld(t, kind, now)
			w.start("second")
			ctx := context.Background()
			if err := w.a.courses.SaveCourse(ctx, jobSessionCourse("begroting-jobs", now, 1), courses.ImportOptions{Publish: true}); err != nil {
				t.Fatalf("save course: %v %v", err, courses.ErrorProblems(err))
			}
			v1, err := w.a.courses.CourseBySlug(ctx, "begroting-jobs")
			if err != nil {
				t.Fatal(err)
			}
			courseID := v1.ID
			completed := func(e *courses.Enrolment, expires any) {
				w.exec("UPDATE enrolments SET completed_at = ?, completion_kind = 'rule', expires_at = ? WHERE id = ?",
					now.AddDate(-2, 0, 0).UTC(), expires, e.ID)
			}
			expires := time.Date(2031, 5, 12, 10, 0, 0, 0, time.UTC) // 60 days ahead
			deadline := now.Add(7*24*time.Hour - time.Hour)

			type jobCase struct {
				email, lang string
				job         func(u *courses.User) courses.Job
				want        []string // facts in the subject, the text and the HTML; nil: no mail
			}
			confirm := func(u *courses.User) courses.Job {
				return courses.EnrolmentConfirmationJob{EnrolmentID: w.enrol(u, courseID).ID}
			}
			remind := func(key, status string) func(u *courses.User) courses.Job {
				return func(u *courses.User) courses.Job {
					return courses.SessionReminderJob{RegistrationID: w.register(u, courseID, key, status)}
				}
			}
			promote := func(status string) func(u *courses.User) courses.Job {
				return func(u *courses.User) courses.Job {
					return courses.WaitlistPromotionJob{RegistrationID: w.register(u, courseID, "basis/oefenavond", status)}
				}
			}
			remindDeadline := func(u *courses.User) courses.Job {
				e := w.enrol(u, courseID)
				if err := w.a.learning.CompleteActivity(ctx, e.ID, "basis/les"); err != nil {
					t.Fatal(err)
				}
				w.exec("UPDATE enrolments SET deadline = ? WHERE id = ?", deadline.UTC(), e.ID)
				return courses.DeadlineReminderJob{EnrolmentID: e.ID}
			}
			recertify := func(u *courses.User) courses.Job {
				e := w.enrol(u, courseID)
				completed(e, expires)
				return courses.RecertificationJob{EnrolmentID: e.ID}
			}
			cases := []jobCase{
				{"confirm-nl@example.nl", "nl", func(u *courses.User) courses.Job {
					j := confirm(u).(courses.EnrolmentConfirmationJob)
					w.exec("UPDATE enrolments SET deadline = ? WHERE id = ?", time.Date(2031, 4, 1, 12, 0, 0, 0, time.UTC), j.EnrolmentID)
					return j
				}, []string{"U bent ingeschreven: Grip op de begroting & jaarrekening", "Rond de cursus uiterlijk 1 april 2031 af.", "/leren/begroting-jobs", "Beste Ayşe de Vries-nl,"}},
				{"confirm-en@example.nl", "en", confirm, []string{"You are enrolled: Grip op de begroting & jaarrekening", "Dear Ayşe de Vries-en,", "/leren/begroting-jobs"}},
				{"confirm-withdrawn@example.nl", "nl", func(u *courses.User) courses.Job {
					j := confirm(u).(courses.EnrolmentConfirmationJob)
					w.exec("UPDATE enrolments SET withdrawn_at = ? WHERE id = ?", now.UTC(), j.EnrolmentID)
					return j
				}, nil},
				{"confirm-deactivated@example.nl", "nl", func(u *courses.User) courses.Job {
					j := confirm(u)
					if err := w.a.users.SetActive(ctx, u.ID, false); err != nil {
						t.Fatal(err)
					}
					return j
				}, nil},
				{"reminder-nl@example.nl", "nl", remind("basis/oefenavond", courses.Registered),
					[]string{"Herinnering: Oefenavond op 14 maart 2031", "Wanneer: 14 maart 2031, 19:30–21:30", "Waar: Raadzaal, Markt 1",
						"de cursus Grip op de begroting & jaarrekening", "https://example.nl/live?zaal=1&stream=2"}},
				{"reminder-en@example.nl", "en", remind("basis/oefenavond", courses.Registered),
					[]string{"Reminder: Oefenavond on 14 March 2031", "When: 14 March 2031, 19:30–21:30", "Where: Raadzaal, Markt 1"}},
				{"reminder-cancelled@example.nl", "nl", remind("basis/oefenavond", courses.Cancelled), nil},
				{"reminder-waiting@example.nl", "nl", remind("basis/oefenavond", courses.Waiting), nil},
				{"reminder-started@example.nl", "nl", remind("basis/gestart", courses.Registered), nil},
				{"reminder-removed@example.nl", "nl", remind("basis/bestaat-niet", courses.Registered), nil},
				{"reminder-early@example.nl", "nl", remind("basis/slotavond", courses.Registered), nil},
				{"promotion-nl@example.nl", "nl", promote(courses.Registered),
					[]string{"Er is een plaats voor u: Oefenavond", "Wanneer: 14 maart 2031, 19:30–21:30", "U stond op de wachtlijst"}},
				{"promotion-en@example.nl", "en", promote(courses.Registered),
					[]string{"A place for you: Oefenavond", "When: 14 March 2031, 19:30–21:30"}},
				{"promotion-waiting@example.nl", "nl", promote(courses.Waiting), nil},
				{"deadline-nl@example.nl", "nl", remindDeadline,
					[]string{"Rond Grip op de begroting & jaarrekening uiterlijk 20 maart 2031 af", "U heeft 1 van de 4 onderdelen afgerond."}},
				{"deadline-en@example.nl", "en", remindDeadline,
					[]string{"Complete Grip op de begroting & jaarrekening by 20 March 2031", "You have completed 1 of 4 activities."}},
				{"deadline-completed@example.nl", "nl", func(u *courses.User) courses.Job {
					j := remindDeadline(u).(courses.DeadlineReminderJob)
					w.exec("UPDATE enrolments SET completed_at = ? WHERE id = ?", now.UTC(), j.EnrolmentID)
					return j
				}, nil},
				{"recert-nl@example.nl", "nl", recertify,
					[]string{"Uw certificaat voor Grip op de begroting & jaarrekening verloopt op 12 mei 2031", "(versie 2)", "Wat u eerder heeft afgerond"}},
				{"recert-en@example.nl", "en", recertify,
					[]string{"Your certificate for Grip op de begroting & jaarrekening expires on 12 May 2031", "(version 2)"}},
				{"recert-no-expiry@example.nl", "nl", func(u *courses.User) courses.Job {
					e := w.enrol(u, courseID)
					completed(e, nil)
					return courses.RecertificationJob{EnrolmentID: e.ID}
				}, nil},
				{"gone@example.nl", "nl", func(*courses.User) courses.Job { return courses.EnrolmentConfirmationJob{EnrolmentID: 1 << 40} }, nil},
			}
			jobs := make([]courses.Job, len(cases))
			users := map[string]*courses.User{}
			for i, c := range cases {
				users[c.email] = w.learner(c.email, c.lang)
				jobs[i] = c.job(users[c.email])
			}
			// A new version is published after the enrolments: recertification
			// moves learners to it.
			if err := w.a.courses.SaveCourse(ctx, jobSessionCourse("begroting-jobs", now, 2), courses.ImportOptions{Publish: true}); err != nil {
				t.Fatalf("publish version 2: %v %v", err, courses.ErrorProblems(err))
			}
			for _, job := range jobs {
				if err := w.jobs.Insert(ctx, job, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			rows := w.waitForJobs(len(jobs))

			mails, err := w.a.outbox.Mails(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			byRecipient := map[string][]courses.Mail{}
			for _, m := range mails {
				byRecipient[m.To] = append(byRecipient[m.To], m)
			}
			for _, c := range cases {
				got := byRecipient[c.email]
				if c.want == nil {
					if len(got) != 0 {
						t.Errorf("%s: %d mails, want none: %q", c.email, len(got), got[0].Subject)
					}
					continue
				}
				if len(got) != 1 {
					t.Errorf("%s: %d mails, want 1", c.email, len(got))
					continue
				}
				m := got[0]
				all := m.Subject + "\n" + m.Text
				for _, want := range c.want {
					if !strings.Contains(all, want) {
						t.Errorf("%s: subject and text lack %q:\n%s", c.email, want, all)
					}
					if escaped := jobHTMLEscape(want); !strings.Contains(m.HTML, escaped) {
						t.Errorf("%s: HTML lacks %q:\n%s", c.email, escaped, m.HTML)
					}
				}
				if !strings.Contains(m.HTML, `<html lang="`+c.lang+`">`) || strings.Contains(m.Text, "<") || strings.Contains(all, "mail.") {
					t.Errorf("%s: language or parts wrong:\n%s\n%s", c.email, all, m.HTML)
				}
			}

			// The recertified learner is in version 2 with the completion
			// cleared; the deadline reminder is recorded.
			v2, err := w.a.courses.CourseBySlug(ctx, "begroting-jobs")
			if err != nil {
				t.Fatal(err)
			}
			for _, email := range []string{"recert-nl@example.nl", "recert-no-expiry@example.nl"} {
				e, err := w.a.learning.Enrolment(ctx, users[email].ID, courseID)
				if err != nil {
					t.Fatal(err)
				}
				recertified := email == "recert-nl@example.nl"
				if (e.VersionID == v2.VersionID) != recertified || (e.CompletedAt == nil) != recertified {
					t.Errorf("%s: version %d (v2 is %d), completed %v", email, e.VersionID, v2.VersionID, e.CompletedAt)
				}
			}
			// The early reminder waits for 24 hours before its session.
			slot := jobSessionCourse("begroting-jobs", now, 2).Modules[0].Activities[2].Meeting.StartsAt
			waiting := 0
			for _, row := range rows {
				if row.State != rivertype.JobStateScheduled {
					continue
				}
				waiting++
				if want := slot.Add(-courses.SessionReminderBefore); row.Kind != "session_reminder" || row.ScheduledAt.Sub(want).Abs() > 2*time.Second {
					t.Errorf("%s %s waits until %s, want the early reminder until %s", row.Kind, row.EncodedArgs, row.ScheduledAt, want.UTC())
				}
			}
			if waiting != 1 {
				t.Errorf("%d jobs wait, want the early reminder only", waiting)
			}

			// A job mail leaves as a text and an HTML part.
			m := byRecipient["reminder-nl@example.nl"][0]
			raw, err := buildMessage(w.a.cfg.MailFrom, &m, now)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			mr := multipart.NewReader(msg.Body, params["boundary"])
			var types []string
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				_, _ = io.Copy(io.Discard, p)
				types = append(types, strings.Split(p.Header.Get("Content-Type"), ";")[0])
			}
			if strings.Join(types, ",") != "text/plain,text/html" {
				t.Errorf("parts: %v", types)
			}
		})
	}
}

// jobHTMLEscape escapes s as html/template writes text.
func jobHTMLEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}
