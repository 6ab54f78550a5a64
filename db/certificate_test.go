package db_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

var certificateNumber = regexp.MustCompile(`^RZ-2026-[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$`)

// completeAll does every activity of the course (all lessons) for e.
func completeAll(t *testing.T, ls *db.LearningService, c *courses.Course, enrolmentID int64) {
	t.Helper()
	for _, s := range c.Activities() {
		if err := ls.CompleteActivity(context.Background(), enrolmentID, courses.Key(s.Module.Slug, s.Activity.Slug)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCertificateIssuedOnCompletion: the completion's transaction issues
// one certificate that says what it did at that moment: the holder's name
// with its diacritics, the course version, the expiry, the issuer; its PDF
// job is scheduled; the enrolment names it.
func TestCertificateIssuedOnCompletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 20, 15, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, sampleCourse("integriteit", "Integriteit in de raad", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		jobs := &jobLog{}
		ls := db.NewLearningService(d)
		ls.SetJobs(jobs)
		ls.SetIssuer(courses.Issuer{Name: "VNG Academie", Signatory: "drs. J. de Vries", SignatoryRole: "Directeur"})
		u := newUser(t, d, "ayse@example.nl", courses.RoleLearner)
		if err := db.NewUserService(d).SetName(ctx, u.ID, "Ayşe Çelik-van 't Hoff"); err != nil {
			t.Fatal(err)
		}
		e, _, err := ls.Enrol(ctx, u.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, "certificates", ""); n != 0 {
			t.Fatalf("%d certificates before completion", n)
		}
		completeAll(t, ls, c, e.ID)
		got, err := ls.EnrolmentByID(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !certificateNumber.MatchString(got.Certificate) {
			t.Fatalf("enrolment's certificate %q is not a number like RZ-2026-7K4Q-9XPM", got.Certificate)
		}
		certs := db.NewCertificateService(d)
		cert, err := certs.ByNumber(ctx, got.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		want := courses.Certificate{ID: cert.ID, Number: got.Certificate, EnrolmentID: e.ID, UserID: u.ID, CourseID: c.ID,
			CourseSlug: "integriteit", CourseTitle: "Integriteit in de raad", CourseSummary: c.Summary, CourseVersion: 1,
			StudyHours: c.StudyHours, Language: "nl", HolderName: "Ayşe Çelik-van 't Hoff", CompletedAt: now, IssuedAt: now,
			Issuer: "VNG Academie", Signatory: "drs. J. de Vries", SignatoryRole: "Directeur"}
		expires := now.AddDate(0, 48, 0)
		want.ExpiresAt = &expires
		if cert.ExpiresAt == nil || !cert.ExpiresAt.Equal(expires) {
			t.Errorf("expires %v, want %v", cert.ExpiresAt, expires)
		}
		cert.ExpiresAt = want.ExpiresAt
		if *cert != want {
			t.Errorf("certificate\n got %+v\nwant %+v", *cert, want)
		}
		if k := jobs.kinds()["certificate"]; k != 1 {
			t.Errorf("certificate jobs: %d, want 1", k)
		}
		if st := cert.Status(now); st != courses.CertificateValid {
			t.Errorf("status %q", st)
		}
		if st := cert.Status(expires); st != courses.CertificateExpired {
			t.Errorf("status at expiry %q", st)
		}
		// Verification counts lookups, and nothing else.
		for range 3 {
			if _, err := certs.Verify(ctx, cert.Number); err != nil {
				t.Fatal(err)
			}
		}
		if again, _ := certs.ByNumber(ctx, cert.Number); again.Lookups != 3 {
			t.Errorf("lookups %d, want 3", again.Lookups)
		}
		if _, err := certs.Verify(ctx, "RZ-2026-AAAA-AAAA"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("unknown number: %v", err)
		}
		// The PDF: stored once; a second rendering does not replace it.
		if pdf, holder, err := certs.PDF(ctx, cert.Number); err != nil || pdf != nil || holder != u.ID {
			t.Fatalf("PDF before rendering: %d bytes, holder %d, %v", len(pdf), holder, err)
		}
		if ok, err := certs.StorePDF(ctx, cert.ID, []byte("%PDF-first")); err != nil || !ok {
			t.Fatalf("StorePDF: %v %v", ok, err)
		}
		if ok, err := certs.StorePDF(ctx, cert.ID, []byte("%PDF-second")); err != nil || ok {
			t.Fatalf("second StorePDF: %v %v", ok, err)
		}
		if pdf, _, _ := certs.PDF(ctx, cert.Number); string(pdf) != "%PDF-first" {
			t.Errorf("stored PDF %q", pdf)
		}
		// The account goes; the certificate stays verifiable, without it.
		if err := db.NewUserService(d).DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		kept, err := certs.Verify(ctx, cert.Number)
		if err != nil || kept.UserID != 0 || kept.HolderName != "Ayşe Çelik-van 't Hoff" || kept.Status(now) != courses.CertificateValid {
			t.Errorf("after deleting the account: %+v, %v", kept, err)
		}
	})
}

// TestOneCertificatePerCompletion: the last lesson done in 32 tabs at once
// and a trainer's manual completion at the same moment issue one
// certificate between them.
func TestOneCertificatePerCompletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := publishedCourse(t, d, sampleCourse("een", "Eén certificaat", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ls := db.NewLearningService(d)
		trainer := newUser(t, d, "trainer@example.nl", courses.RoleTrainer)
		for i, email := range []string{"a@example.nl", "b@example.nl", "c@example.nl"} {
			u := newUser(t, d, email, courses.RoleLearner)
			e, _, _ := ls.Enrol(ctx, u.ID, c.ID)
			steps := c.Activities()
			for _, s := range steps[:len(steps)-1] {
				if err := ls.CompleteActivity(ctx, e.ID, courses.Key(s.Module.Slug, s.Activity.Slug)); err != nil {
					t.Fatal(err)
				}
			}
			last := steps[len(steps)-1]
			var wg sync.WaitGroup
			errs := make(chan error, 33)
			for range 32 {
				wg.Go(func() { errs <- ls.CompleteActivity(ctx, e.ID, courses.Key(last.Module.Slug, last.Activity.Slug)) })
			}
			wg.Go(func() {
				_, _, err := ls.CompleteManually(ctx, e.ID, trainer.ID, "Aanwezig bij de training")
				errs <- err
			})
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("completion: %v", err)
				}
			}
			if n := countRows(t, d, "certificates", "enrolment_id = ?", e.ID); n != 1 {
				t.Errorf("learner %d: %d certificates, want 1", i, n)
			}
		}
	})
}

// TestRevokeAndReissue: an administrator revokes with a reason; a re-issue
// after a name change gives a new number with the new name, and the old
// one points to it. Neither happens twice, and the reason is required.
func TestRevokeAndReissue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, sampleCourse("herzien", "Herzien", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ls := db.NewLearningService(d)
		certs := db.NewCertificateService(d)
		users := db.NewUserService(d)
		admin := newUser(t, d, "beheer@example.nl", courses.RoleAdmin)
		u := newUser(t, d, "zoe@example.nl", courses.RoleLearner)
		_ = users.SetName(ctx, u.ID, "Zoë Jansen")
		e, _, _ := ls.Enrol(ctx, u.ID, c.ID)
		completeAll(t, ls, c, e.ID)
		got, _ := ls.EnrolmentByID(ctx, e.ID)
		first := got.Certificate

		if _, err := certs.Reissue(ctx, first, admin.ID, "", nil); courses.ErrorCode(err) != courses.EINVALID {
			t.Errorf("re-issue without a reason: %v, want EINVALID", err)
		}
		later := now.Add(30 * 24 * time.Hour)
		d.Now = func() time.Time { return later }
		_ = users.SetName(ctx, u.ID, "Zoë Łukasiewicz")
		jobs := &jobLog{}
		fresh, err := certs.Reissue(ctx, first, admin.ID, "Naam gewijzigd na huwelijk", jobs)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.Number == first || !certificateNumber.MatchString(fresh.Number) || fresh.HolderName != "Zoë Łukasiewicz" ||
			!fresh.IssuedAt.Equal(later) || !fresh.CompletedAt.Equal(now) || fresh.Status(later) != courses.CertificateValid {
			t.Errorf("re-issued: %+v", fresh)
		}
		if jobs.kinds()["certificate"] != 1 {
			t.Errorf("no PDF job for the re-issued certificate: %v", jobs.kinds())
		}
		old, _ := certs.ByNumber(ctx, first)
		if old.Status(later) != courses.CertificateRevoked || old.ReplacedBy != fresh.Number || old.HolderName != "Zoë Jansen" ||
			old.RevokedReason != "Naam gewijzigd na huwelijk" || !old.RevokedAt.Equal(later) {
			t.Errorf("the replaced certificate: %+v", old)
		}
		if old.Status(now) != courses.CertificateValid {
			t.Errorf("before its revocation it was %q", old.Status(now))
		}
		if got, _ := ls.EnrolmentByID(ctx, e.ID); got.Certificate != fresh.Number {
			t.Errorf("enrolment names %q, want the new %q", got.Certificate, fresh.Number)
		}
		if _, err := certs.Reissue(ctx, first, admin.ID, "Nog eens", nil); courses.ErrorCode(err) != courses.ECONFLICT {
			t.Errorf("re-issuing a revoked certificate: %v, want ECONFLICT", err)
		}
		revoked, err := certs.Revoke(ctx, fresh.Number, admin.ID, "Ten onrechte afgegeven")
		if err != nil || revoked.Status(later) != courses.CertificateRevoked || revoked.ReplacedBy != "" {
			t.Fatalf("Revoke: %+v, %v", revoked, err)
		}
		if _, err := certs.Revoke(ctx, fresh.Number, admin.ID, "Nog eens"); courses.ErrorCode(err) != courses.ECONFLICT {
			t.Errorf("revoking twice: %v, want ECONFLICT", err)
		}
		if _, err := certs.Revoke(ctx, "RZ-2026-AAAA-AAAA", admin.ID, "Bestaat niet"); courses.ErrorCode(err) != courses.ENOTFOUND {
			t.Errorf("revoking an unknown number: %v, want ENOTFOUND", err)
		}
		list, total, err := certs.Search(ctx, db.CertificateFilter{Query: "lukasiewicz"})
		if err != nil || total != 1 || len(list) != 1 || list[0].Number != fresh.Number {
			t.Errorf("search by name without the Ł: %d %v %v", total, list, err)
		}
		if list, total, _ := certs.Search(ctx, db.CertificateFilter{Query: " " + first[:7] + " " + first[8:] + " "}); total != 1 || list[0].Number != first {
			t.Errorf("search by number as typed: %d %v", total, list)
		}
	})
}

// TestUndoCompletionRevokes: taking a completion back revokes its
// certificate; completing again issues a new one.
func TestUndoCompletionRevokes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, sampleCourse("terug", "Terug", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ls := db.NewLearningService(d)
		certs := db.NewCertificateService(d)
		admin := newUser(t, d, "beheer@example.nl", courses.RoleAdmin)
		u := newUser(t, d, "terug@example.nl", courses.RoleLearner)
		e, _, _ := ls.Enrol(ctx, u.ID, c.ID)
		if _, _, err := ls.CompleteManually(ctx, e.ID, admin.ID, "Vrijstelling"); err != nil {
			t.Fatal(err)
		}
		got, _ := ls.EnrolmentByID(ctx, e.ID)
		first := got.Certificate
		d.Now = func() time.Time { return now.Add(time.Hour) }
		if err := ls.UndoCompletion(ctx, e.ID, admin.ID); err != nil {
			t.Fatal(err)
		}
		old, _ := certs.ByNumber(ctx, first)
		if old.RevokedAt == nil || old.RevokedReason != courses.RevokedCompletionUndone {
			t.Errorf("after undo: %+v", old)
		}
		if got, _ := ls.EnrolmentByID(ctx, e.ID); got.Certificate != "" {
			t.Errorf("enrolment still names %q", got.Certificate)
		}
		d.Now = func() time.Time { return now.Add(2 * time.Hour) }
		completeAll(t, ls, c, e.ID)
		got, _ = ls.EnrolmentByID(ctx, e.ID)
		if got.Certificate == "" || got.Certificate == first {
			t.Errorf("completed again: certificate %q (first %q)", got.Certificate, first)
		}
		if mine, err := certs.OfUser(ctx, u.ID); err != nil || len(mine) != 2 || mine[0].Number != got.Certificate {
			t.Errorf("OfUser: %+v, %v", mine, err)
		}
	})
}

// TestMemberCertificatesAndBackfill: an association's export holds its
// members' certificates of the period, nobody else's and nothing revoked;
// completions from before certificates existed get theirs once.
func TestMemberCertificatesAndBackfill(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := publishedCourse(t, d, sampleCourse("leden", "Leden", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ls := db.NewLearningService(d)
		certs := db.NewCertificateService(d)
		users := db.NewUserService(d)
		as := &courses.Association{Slug: "griffiers", Name: "Vereniging van Griffiers"}
		if err := users.CreateAssociation(ctx, as); err != nil {
			t.Fatal(err)
		}
		day := func(n int) time.Time { return time.Date(2026, 10, n, 12, 0, 0, 0, time.UTC) }
		var numbers []string
		for i, email := range []string{"lid1@example.nl", "lid2@example.nl", "lid3@example.nl", "buiten@example.nl"} {
			u := newUser(t, d, email, courses.RoleLearner)
			if i < 3 {
				if _, err := d.NewRaw("INSERT INTO association_members (association_id, user_id, is_admin, joined_at) VALUES (?, ?, ?, ?)",
					as.ID, u.ID, false, day(1)).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			d.Now = func() time.Time { return day(10 + i) }
			e, _, _ := ls.Enrol(ctx, u.ID, c.ID)
			completeAll(t, ls, c, e.ID)
			got, _ := ls.EnrolmentByID(ctx, e.ID)
			numbers = append(numbers, got.Certificate)
		}
		if _, err := certs.StorePDF(ctx, mustCert(t, certs, numbers[0]).ID, []byte("%PDF-1")); err != nil {
			t.Fatal(err)
		}
		if _, err := certs.Revoke(ctx, numbers[2], 0, "Ten onrechte"); err != nil {
			t.Fatal(err)
		}
		var seen []string
		var pdfs []string
		err := certs.MemberCertificates(ctx, as.ID, day(10), day(13), func(c *courses.Certificate, pdf []byte) error {
			seen = append(seen, c.Number)
			pdfs = append(pdfs, string(pdf))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 2 || seen[0] != numbers[0] || seen[1] != numbers[1] || pdfs[0] != "%PDF-1" || pdfs[1] != "" {
			t.Errorf("export %v (pdfs %q), want %v", seen, pdfs, numbers[:2])
		}
		// Backfill: a completion whose certificate went missing gets one.
		if _, err := d.NewDelete().TableExpr("certificates").Where("number = ?", numbers[3]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := ls.IssueMissingCertificates(ctx); err != nil || n != 1 {
			t.Errorf("IssueMissingCertificates: %d, %v; want 1", n, err)
		}
		if n, err := ls.IssueMissingCertificates(ctx); err != nil || n != 0 {
			t.Errorf("IssueMissingCertificates again: %d, %v; want 0", n, err)
		}
	})
}

func mustCert(t *testing.T, s *db.CertificateService, number string) *courses.Certificate {
	t.Helper()
	c, err := s.ByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
