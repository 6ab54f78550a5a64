package main

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/riverqueue/river"
)

// jobMailNames are the e-mails the background jobs send; each is
// mails/NAME.tmpl, with a subject, a text and an HTML part like the others.
var jobMailNames = []string{"enrolment-confirmation", "session-reminder", "waitlist-promotion", "deadline-reminder", "recertification", "certificate-ready"}

// jobMailData is what a job's mail template receives. Dates are instants;
// the Locale shows them in Amsterdam time.
type jobMailData struct {
	*Locale
	Name      string
	Course    string // the course's title
	Link      string // where the learner continues the course
	Session   string // the session's title
	StartsAt  time.Time
	When      string // the session's date and times: "14 maart 2031, 19:30–21:30"
	Location  string
	OnlineURL string
	Deadline  time.Time // zero: none
	Expires   time.Time
	Version   int
	Number    string // a certificate's number
	PDF       string // where its PDF is downloaded
	Verify    string // its public verification page
	Done      int
	Total     int
}

// jobEnv is what the job workers share: they read the current state, render
// a mail in the learner's language and commit it to the outbox.
type jobEnv struct {
	db      *db.DB
	catalog *Catalog
	mails   *mailTemplates
	baseURL string
	log     *slog.Logger
	notify  func() // wakes this instance's mail sender
}

// newJobs builds the job workers and the queue of a. It only inserts jobs
// until its Start (serve starts it), so the services can be given it at
// composition.
func newJobs(a *application, opts db.JobsOptions) (*db.Jobs, error) {
	mails, err := loadJobMailTemplates(a.catalog)
	if err != nil {
		return nil, fmt.Errorf("job mail templates: %w", err)
	}
	env := &jobEnv{db: a.db, catalog: a.catalog, mails: mails, baseURL: a.cfg.BaseURL.String(), log: a.log,
		notify: func() {
			if a.mailer != nil {
				a.mailer.notify()
			}
		}}
	workers := river.NewWorkers()
	river.AddWorker(workers, &enrolmentConfirmationWorker{jobEnv: env})
	river.AddWorker(workers, &sessionReminderWorker{jobEnv: env})
	river.AddWorker(workers, &waitlistPromotionWorker{jobEnv: env})
	river.AddWorker(workers, &deadlineReminderWorker{jobEnv: env})
	river.AddWorker(workers, &recertificationWorker{jobEnv: env})
	river.AddWorker(workers, &certificateWorker{jobEnv: env, certs: a.certs})
	if opts.Logger == nil {
		// River reports its routine at info level; the log keeps its warnings.
		opts.Logger = slog.New(minLevel{a.log.Handler(), slog.LevelWarn}).With("component", "jobs")
	}
	return db.NewJobs(a.db, workers, opts)
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}

// messageKey finds the catalogue keys a mail template uses.
var messageKey = regexp.MustCompile(`\.T "([^"]+)"`)

// loadJobMailTemplates parses the job mails and checks that the catalogue
// has every message they use in every language, so that a missing
// translation stops the start instead of mailing a key.
func loadJobMailTemplates(catalog *Catalog) (*mailTemplates, error) {
	m := &mailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	missing := map[string]bool{}
	for _, name := range jobMailNames {
		file := "mails/" + name + ".tmpl"
		src, err := mailFS.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, match := range messageKey.FindAllStringSubmatch(string(src), -1) {
			for _, lang := range languages {
				if !catalog.Locale(lang).Has(match[1]) {
					missing[lang+": "+match[1]] = true
				}
			}
		}
		if m.text[name], err = texttemplate.ParseFS(mailFS, file); err != nil {
			return nil, err
		}
		if m.html[name], err = htmltemplate.ParseFS(mailFS, file); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		keys := make([]string, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("the message catalogue lacks %s", strings.Join(keys, ", "))
	}
	return m, nil
}

// render builds a job's mail for a recipient.
func (e *jobEnv) render(name, to string, d jobMailData) (*courses.Mail, error) {
	var subject, text, html bytes.Buffer
	if err := e.mails.text[name].ExecuteTemplate(&subject, "subject", d); err != nil {
		return nil, err
	}
	if err := e.mails.text[name].ExecuteTemplate(&text, "text", d); err != nil {
		return nil, err
	}
	if err := e.mails.html[name].ExecuteTemplate(&html, "html", d); err != nil {
		return nil, err
	}
	return &courses.Mail{To: to, Subject: strings.TrimSpace(subject.String()), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

// data starts a mail's data for a recipient, in their language.
func (e *jobEnv) data(r db.JobRecipient, course, slug string) jobMailData {
	return jobMailData{Locale: e.catalog.Locale(r.Language), Name: r.Name, Course: course, Link: e.baseURL + "/leren/" + slug}
}

// withSession adds a session's facts to a mail's data.
func withSession(d jobMailData, f *db.RegistrationFacts) jobMailData {
	d.Session, d.StartsAt, d.Location, d.OnlineURL = f.Session, f.StartsAt, f.Location, f.OnlineURL
	d.When = sessionWhen(d.Locale, f.StartsAt, f.EndsAt)
	return d
}

// sessionWhen writes when a session takes place, in Amsterdam time: the
// end as a time only when it is on the same day.
func sessionWhen(l *Locale, starts, ends time.Time) string {
	s, e := starts.In(courses.Amsterdam), ends.In(courses.Amsterdam)
	if s.YearDay() == e.YearDay() && s.Year() == e.Year() {
		return l.DateTime(starts) + "–" + e.Format("15:04")
	}
	return l.DateTime(starts) + " – " + l.DateTime(ends)
}

// sendJobMail renders the mail and commits it with check and the job's
// completion (db.CommitJobMail), then wakes the mail sender.
func sendJobMail[T river.JobArgs](ctx context.Context, e *jobEnv, job *river.Job[T], name, to string, d jobMailData, check db.JobCheck) error {
	m, err := e.render(name, to, d)
	if err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	sent, err := db.CommitJobMail(ctx, e.db, job, check, m)
	if err != nil {
		return err
	}
	if sent {
		e.notify()
		e.log.Info("job mail enqueued", "job", job.Kind, "job_id", job.ID, "mail_id", m.ID)
	}
	return nil
}

// gone reports whether a job's subject was deleted (then it has nothing
// to do); other errors are retried.
func gone(err error) bool { return courses.ErrorCode(err) == courses.ENOTFOUND }

// wait is a job that came too early (what it follows moved later): River
// runs it again after d, without counting an attempt.
func wait(d time.Duration) error { return river.JobSnooze(d) }

type enrolmentConfirmationWorker struct {
	river.WorkerDefaults[courses.EnrolmentConfirmationJob]
	*jobEnv
}

// Work mails the learner that they were enrolled, unless they withdrew.
func (w *enrolmentConfirmationWorker) Work(ctx context.Context, job *river.Job[courses.EnrolmentConfirmationJob]) error {
	f, err := w.db.EnrolmentFacts(ctx, job.Args.EnrolmentID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !f.Confirmation() {
		return nil
	}
	d := w.data(f.JobRecipient, f.Title, f.Slug)
	if f.Deadline != nil {
		d.Deadline = *f.Deadline
	}
	return sendJobMail(ctx, w.jobEnv, job, "enrolment-confirmation", f.Email, d, db.CheckConfirmation(f.EnrolmentID))
}

type sessionReminderWorker struct {
	river.WorkerDefaults[courses.SessionReminderJob]
	*jobEnv
}

// Work reminds a registered learner of a session a day ahead, unless the
// registration was cancelled or the session removed or started.
func (w *sessionReminderWorker) Work(ctx context.Context, job *river.Job[courses.SessionReminderJob]) error {
	f, err := w.db.RegistrationFacts(ctx, job.Args.RegistrationID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	send, later := f.SessionReminder(w.db.Now())
	if !send {
		if later > 0 {
			return wait(later)
		}
		return nil
	}
	d := withSession(w.data(f.JobRecipient, f.CourseTitle, f.Slug), f)
	return sendJobMail(ctx, w.jobEnv, job, "session-reminder", f.Email, d, db.CheckSessionReminder(f.RegistrationID))
}

type waitlistPromotionWorker struct {
	river.WorkerDefaults[courses.WaitlistPromotionJob]
	*jobEnv
}

// Work tells a learner who moved up from the waiting list that they have a
// place, unless they no longer have it or the session has started.
func (w *waitlistPromotionWorker) Work(ctx context.Context, job *river.Job[courses.WaitlistPromotionJob]) error {
	f, err := w.db.RegistrationFacts(ctx, job.Args.RegistrationID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !f.Promotion(w.db.Now()) {
		return nil
	}
	d := withSession(w.data(f.JobRecipient, f.CourseTitle, f.Slug), f)
	return sendJobMail(ctx, w.jobEnv, job, "waitlist-promotion", f.Email, d, db.CheckPromotion(f.RegistrationID))
}

type deadlineReminderWorker struct {
	river.WorkerDefaults[courses.DeadlineReminderJob]
	*jobEnv
}

// Work reminds a learner a week before their deadline, unless the course
// is complete, they withdrew, the deadline went, or they were reminded.
func (w *deadlineReminderWorker) Work(ctx context.Context, job *river.Job[courses.DeadlineReminderJob]) error {
	f, err := w.db.EnrolmentFacts(ctx, job.Args.EnrolmentID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	send, later := f.DeadlineReminder(w.db.Now())
	if !send {
		if later > 0 {
			return wait(later)
		}
		return nil
	}
	d := w.data(f.JobRecipient, f.Title, f.Slug)
	d.Deadline, d.Done, d.Total = *f.Deadline, f.Done, f.Total
	return sendJobMail(ctx, w.jobEnv, job, "deadline-reminder", f.Email, d, db.CheckDeadlineReminder(f.EnrolmentID))
}

type recertificationWorker struct {
	river.WorkerDefaults[courses.RecertificationJob]
	*jobEnv
}

// Work enrols a learner whose certificate expires again in the published
// version (db.ReEnrolForRecertification) and tells them, in one
// transaction; nothing when the course is no longer published or they
// withdrew.
func (w *recertificationWorker) Work(ctx context.Context, job *river.Job[courses.RecertificationJob]) error {
	f, err := w.db.EnrolmentFacts(ctx, job.Args.EnrolmentID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	send, later := f.Recertification(w.db.Now())
	if !send {
		if later > 0 {
			return wait(later)
		}
		return nil
	}
	d := w.data(f.JobRecipient, f.PublishedTitle, f.Slug)
	d.Expires, d.Version = *f.ExpiresAt, f.PublishedNumber
	return sendJobMail(ctx, w.jobEnv, job, "recertification", f.Email, d, db.CheckRecertification(f.EnrolmentID))
}

type certificateWorker struct {
	river.WorkerDefaults[courses.CertificateJob]
	*jobEnv
	certs *certificates
}

// Work renders and stores the PDF of a certificate just issued (unless a
// download did so first), then mails its holder that it is ready.
func (w *certificateWorker) Work(ctx context.Context, job *river.Job[courses.CertificateJob]) error {
	cert, err := w.certs.store.ByID(ctx, job.Args.CertificateID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !cert.HasPDF {
		if _, err := w.certs.render(ctx, cert); err != nil {
			return err
		}
	}
	r, err := w.db.CertificateRecipient(ctx, cert.ID)
	if gone(err) {
		return nil // the account is gone; the certificate stays
	}
	if err != nil {
		return err
	}
	d := w.data(*r, cert.CourseTitle, cert.CourseSlug)
	d.Number, d.PDF, d.Verify = cert.Number, w.baseURL+"/api/v1/certificates/"+cert.Number+".pdf", w.certs.verifyURL(cert.Number)
	d.Link = w.baseURL + "/mijn-leren#afgerond"
	if cert.ExpiresAt != nil {
		d.Expires = *cert.ExpiresAt
	}
	return sendJobMail(ctx, w.jobEnv, job, "certificate-ready", r.Email, d, db.CheckCertificateReady(cert.ID))
}
