package db

import (
	"context"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type certificateRow struct {
	bun.BaseModel `bun:"table:certificates,alias:ct"`

	ID            int64      `bun:"id,pk,autoincrement"`
	Number        string     `bun:"number"`
	EnrolmentID   *int64     `bun:"enrolment_id"`
	UserID        *int64     `bun:"user_id"`
	CourseID      *int64     `bun:"course_id"`
	VersionID     *int64     `bun:"version_id"`
	CourseSlug    string     `bun:"course_slug"`
	CourseTitle   string     `bun:"course_title"`
	CourseSummary string     `bun:"course_summary"`
	CourseVersion int        `bun:"course_version"`
	StudyHours    float64    `bun:"study_hours"`
	Language      string     `bun:"language"`
	HolderName    string     `bun:"holder_name"`
	HolderSearch  string     `bun:"holder_search"`
	CompletedAt   time.Time  `bun:"completed_at"`
	IssuedAt      time.Time  `bun:"issued_at"`
	ExpiresAt     *time.Time `bun:"expires_at"`
	Issuer        string     `bun:"issuer"`
	Signatory     string     `bun:"signatory"`
	SignatoryRole string     `bun:"signatory_role"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	RevokedReason string     `bun:"revoked_reason"`
	RevokedBy     *int64     `bun:"revoked_by"`
	ReplacedBy    string     `bun:"replaced_by"`
	Lookups       int        `bun:"lookups"`
	HasPDF        bool       `bun:"has_pdf,scanonly"`
}

func (r *certificateRow) certificate() *courses.Certificate {
	c := &courses.Certificate{ID: r.ID, Number: r.Number, CourseSlug: r.CourseSlug, CourseTitle: r.CourseTitle,
		CourseSummary: r.CourseSummary, CourseVersion: r.CourseVersion, StudyHours: r.StudyHours, Language: r.Language,
		HolderName: r.HolderName, CompletedAt: r.CompletedAt.UTC(), IssuedAt: r.IssuedAt.UTC(), ExpiresAt: utcPtr(r.ExpiresAt),
		Issuer: r.Issuer, Signatory: r.Signatory, SignatoryRole: r.SignatoryRole, RevokedAt: utcPtr(r.RevokedAt),
		RevokedReason: r.RevokedReason, ReplacedBy: r.ReplacedBy, Lookups: r.Lookups, HasPDF: r.HasPDF}
	for dst, src := range map[*int64]*int64{&c.EnrolmentID: r.EnrolmentID, &c.UserID: r.UserID, &c.CourseID: r.CourseID} {
		if src != nil {
			*dst = *src
		}
	}
	return c
}

type certificatePDFRow struct {
	bun.BaseModel `bun:"table:certificate_pdfs"`

	CertificateID int64  `bun:"certificate_id,pk"`
	PDF           []byte `bun:"pdf"`
}

// DefaultIssuer is who issues certificates when nothing else is set.
var DefaultIssuer = courses.Issuer{Name: "Raadzaam"}

// SetIssuer sets the organisation and signatory printed on the
// certificates issued from now on.
func (s *LearningService) SetIssuer(i courses.Issuer) { s.issuer = i }

// issueCertificate issues the certificate of a completion that tx has just
// recorded: the holder's name as it is now, the course version's title and
// study hours, the issuer as set. It also schedules the PDF.
func (s *LearningService) issueCertificate(ctx context.Context, tx bun.Tx, enrolmentID int64, now time.Time) error {
	var src struct {
		UserID      int64      `bun:"user_id"`
		CourseID    int64      `bun:"course_id"`
		VersionID   int64      `bun:"version_id"`
		CompletedAt time.Time  `bun:"completed_at"`
		ExpiresAt   *time.Time `bun:"expires_at"`
		Name        string     `bun:"name"`
		Slug        string     `bun:"slug"`
		Title       string     `bun:"title"`
		Summary     string     `bun:"summary"`
		Number      int        `bun:"number"`
		StudyHours  float64    `bun:"study_hours"`
		Language    string     `bun:"language"`
	}
	if err := tx.NewSelect().TableExpr("enrolments AS e").
		ColumnExpr("e.user_id, e.course_id, e.version_id, e.completed_at, e.expires_at, u.name, c.slug").
		ColumnExpr("v.title, v.summary, v.number, v.study_hours, v.language").
		Join("JOIN users u ON u.id = e.user_id").
		Join("JOIN courses c ON c.id = e.course_id").
		Join("JOIN course_versions v ON v.id = e.version_id").
		Where("e.id = ? AND e.completed_at IS NOT NULL", enrolmentID).Scan(ctx, &src); err != nil {
		return wrap(err, "certificate facts")
	}
	issuer := s.issuer
	if issuer.Name == "" {
		issuer = DefaultIssuer
	}
	row := certificateRow{EnrolmentID: &enrolmentID, UserID: &src.UserID, CourseID: &src.CourseID, VersionID: &src.VersionID,
		CourseSlug: src.Slug, CourseTitle: src.Title, CourseSummary: src.Summary, CourseVersion: src.Number,
		StudyHours: src.StudyHours, Language: src.Language, HolderName: src.Name, HolderSearch: courses.SearchText(src.Name),
		CompletedAt: src.CompletedAt.UTC(), IssuedAt: now, ExpiresAt: utcPtr(src.ExpiresAt),
		Issuer: issuer.Name, Signatory: issuer.Signatory, SignatoryRole: issuer.SignatoryRole}
	if err := insertCertificate(ctx, tx, &row); err != nil {
		return err
	}
	return s.schedule(ctx, tx, courses.CertificateJob{CertificateID: row.ID}, time.Time{})
}

// insertCertificate stores row under a fresh number. A number taken
// already (one in a hundred billion) is drawn again; any other conflict,
// such as a second certificate in force for the same completion, is an
// error. ON CONFLICT names the number only, so that the transaction
// survives that clash on PostgreSQL.
func insertCertificate(ctx context.Context, tx bun.Tx, row *certificateRow) error {
	for range 5 {
		row.Number = courses.NewCertificateNumber(row.IssuedAt.In(courses.Amsterdam).Year())
		res, err := tx.NewInsert().Model(row).On("CONFLICT (number) DO NOTHING").Returning("id").Exec(ctx)
		if err != nil {
			return wrap(err, "issue certificate")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if row.ID == 0 { // SQLite's driver reports the id through LastInsertId
				id, err := res.LastInsertId()
				if err != nil {
					return wrap(err, "certificate id")
				}
				row.ID = id
			}
			return nil
		}
	}
	return courses.Errorf(courses.EINTERNAL, "no free certificate number after 5 draws")
}

// revokeCertificates revokes the certificates in force of an enrolment
// (a completion taken back).
func revokeCertificates(ctx context.Context, tx bun.Tx, enrolmentID int64, by *int64, reason string, now time.Time) error {
	_, err := tx.NewUpdate().Model((*certificateRow)(nil)).
		Set("revoked_at = ?, revoked_reason = ?, revoked_by = ?", now, reason, by).
		Where("enrolment_id = ? AND revoked_at IS NULL", enrolmentID).Exec(ctx)
	return wrap(err, "revoke certificates")
}

// IssueMissingCertificates issues the certificates of completions that have
// none in force: those made before certificates existed. It is run after
// migrating, and does nothing the second time.
func (s *LearningService) IssueMissingCertificates(ctx context.Context) (int, error) {
	var ids []int64
	if err := s.db.NewSelect().TableExpr("enrolments AS e").Column("e.id").
		Where("e.completed_at IS NOT NULL").
		Where("NOT EXISTS (SELECT 1 FROM certificates ct WHERE ct.enrolment_id = e.id AND ct.completed_at = e.completed_at)").
		Order("e.id").Scan(ctx, &ids); err != nil {
		return 0, wrap(err, "completions without certificate")
	}
	for _, id := range ids {
		err := s.db.inTx(ctx, func(tx bun.Tx) error {
			var completed time.Time
			if err := tx.NewSelect().TableExpr("enrolments").Column("completed_at").Where("id = ?", id).Scan(ctx, &completed); err != nil {
				return wrap(err, "completion")
			}
			return s.issueCertificate(ctx, tx, id, completed.UTC())
		})
		if err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// CertificateService finds, verifies, revokes and re-issues certificates.
type CertificateService struct{ db *DB }

// NewCertificateService returns the certificates stored in db.
func NewCertificateService(db *DB) *CertificateService { return &CertificateService{db: db} }

func (s *CertificateService) query(idb bun.IDB) *bun.SelectQuery {
	return idb.NewSelect().Model((*certificateRow)(nil)).ExcludeColumn("holder_search").
		ColumnExpr("EXISTS (SELECT 1 FROM certificate_pdfs p WHERE p.certificate_id = ct.id) AS has_pdf")
}

// ByNumber returns the certificate with number (as normalised by
// courses.NormalizeCertificateNumber), or ENOTFOUND.
func (s *CertificateService) ByNumber(ctx context.Context, number string) (*courses.Certificate, error) {
	var r certificateRow
	if err := s.query(s.db).Where("ct.number = ?", number).Scan(ctx, &r); err != nil {
		return nil, wrap(err, "certificate")
	}
	return r.certificate(), nil
}

// ByID returns a certificate, or ENOTFOUND.
func (s *CertificateService) ByID(ctx context.Context, id int64) (*courses.Certificate, error) {
	var r certificateRow
	if err := s.query(s.db).Where("ct.id = ?", id).Scan(ctx, &r); err != nil {
		return nil, wrap(err, "certificate")
	}
	return r.certificate(), nil
}

// Verify returns the certificate with number and counts the lookup, or
// ENOTFOUND. Only the number of lookups is kept: not who looked, nor from
// where.
func (s *CertificateService) Verify(ctx context.Context, number string) (*courses.Certificate, error) {
	var r certificateRow
	if s.db.Kind == Postgres {
		err := s.db.NewRaw(`UPDATE certificates AS ct SET lookups = lookups + 1 WHERE number = ?
RETURNING ct.*, EXISTS (SELECT 1 FROM certificate_pdfs p WHERE p.certificate_id = ct.id) AS has_pdf`, number).Scan(ctx, &r)
		if err != nil {
			return nil, wrap(err, "verify certificate")
		}
		return r.certificate(), nil
	}
	err := s.db.inTx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*certificateRow)(nil)).Set("lookups = lookups + 1").Where("number = ?", number).Exec(ctx)
		if err := affected(res, err, "verify certificate"); err != nil {
			return err
		}
		return wrap(s.query(tx).Where("ct.number = ?", number).Scan(ctx, &r), "verify certificate")
	})
	if err != nil {
		return nil, err
	}
	return r.certificate(), nil
}

// OfUser returns a learner's certificates, the newest first, revoked ones
// included.
func (s *CertificateService) OfUser(ctx context.Context, userID int64) ([]courses.Certificate, error) {
	var rows []certificateRow
	if err := s.query(s.db).Where("ct.user_id = ?", userID).Order("ct.issued_at DESC", "ct.id DESC").Scan(ctx, &rows); err != nil {
		return nil, wrap(err, "certificates")
	}
	out := make([]courses.Certificate, len(rows))
	for i := range rows {
		out[i] = *rows[i].certificate()
	}
	return out, nil
}

// CertificateFilter selects certificates for the administrators' list.
type CertificateFilter struct {
	Query  string // a number, or words of the holder's name or the course title
	Limit  int
	Offset int
}

// Search lists certificates for administrators, the newest first, with the
// number of all that match.
func (s *CertificateService) Search(ctx context.Context, f CertificateFilter) ([]courses.Certificate, int, error) {
	q := s.query(s.db)
	if number, ok := courses.NormalizeCertificateNumber(f.Query); ok {
		q = q.Where("ct.number = ?", number)
	} else {
		for _, word := range strings.Fields(courses.SearchText(f.Query)) {
			like := "%" + escapeLike(word) + "%"
			q = q.Where("(ct.holder_search LIKE ? ESCAPE '\\' OR lower(ct.course_title) LIKE ? ESCAPE '\\' OR lower(ct.number) LIKE ? ESCAPE '\\')", like, like, like)
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var rows []certificateRow
	total, err := q.Order("ct.issued_at DESC", "ct.id DESC").Limit(int64(f.Limit)).Offset(int64(f.Offset)).ScanAndCount(ctx, &rows)
	if err != nil {
		return nil, 0, wrap(err, "search certificates")
	}
	out := make([]courses.Certificate, len(rows))
	for i := range rows {
		out[i] = *rows[i].certificate()
	}
	return out, int(total), nil
}

// PDF returns the stored PDF of a certificate with its holder's user id
// (0 when the account is gone), or ENOTFOUND; a certificate whose PDF is
// not rendered yet gives a nil PDF.
func (s *CertificateService) PDF(ctx context.Context, number string) (pdf []byte, holder int64, err error) {
	var r struct {
		UserID *int64 `bun:"user_id"`
		PDF    []byte `bun:"pdf"`
	}
	err = s.db.NewSelect().TableExpr("certificates AS ct").ColumnExpr("ct.user_id, p.pdf").
		Join("LEFT JOIN certificate_pdfs p ON p.certificate_id = ct.id").
		Where("ct.number = ?", number).Scan(ctx, &r)
	if err != nil {
		return nil, 0, wrap(err, "certificate pdf")
	}
	if r.UserID != nil {
		holder = *r.UserID
	}
	return r.PDF, holder, nil
}

// StorePDF keeps the rendered PDF of a certificate. The first stored stays:
// a second rendering (the job and a download racing) changes nothing.
// It reports whether this call stored it.
func (s *CertificateService) StorePDF(ctx context.Context, certificateID int64, pdf []byte) (bool, error) {
	res, err := s.db.NewInsert().Model(&certificatePDFRow{CertificateID: certificateID, PDF: pdf}).
		On("CONFLICT (certificate_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, wrap(err, "store certificate pdf")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// userRef is a user id for a nullable reference: 0 is nobody (a command).
func userRef(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// checkReason checks the reason for a manual completion, a revocation or
// a re-issue: 3 to 500 characters.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n < 3 || n > 500 {
		key := courses.ProblemTooShort
		if n > 500 {
			key = courses.ProblemTooLong
		}
		return "", courses.Invalid("reason", courses.Problem{Field: "reason", Key: key, Args: map[string]any{"min": 3, "max": 500, "length": n}})
	}
	return reason, nil
}

// Revoke revokes a certificate in force, with the reason, on an
// administrator's word. A certificate revoked already is EINVALID.
func (s *CertificateService) Revoke(ctx context.Context, number string, by int64, reason string) (*courses.Certificate, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	res, err := s.db.NewUpdate().Model((*certificateRow)(nil)).
		Set("revoked_at = ?, revoked_reason = ?, revoked_by = ?", s.db.Now().UTC(), reason, userRef(by)).
		Where("number = ? AND revoked_at IS NULL", number).Exec(ctx)
	if err != nil {
		return nil, wrap(err, "revoke certificate")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.ByNumber(ctx, number); err != nil {
			return nil, err
		}
		return nil, courses.Errorf(courses.ECONFLICT, "certificate %s is revoked already", number)
	}
	return s.ByNumber(ctx, number)
}

// Reissue replaces a certificate in force by a new one with a new number
// and the holder's name as it is now (after a name change, say), for the
// same completion; the old one is revoked with the reason and points to
// the new one. jobs (may be nil) schedules the new PDF.
func (s *CertificateService) Reissue(ctx context.Context, number string, by int64, reason string, jobs JobInserter) (*courses.Certificate, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	now := s.db.Now().UTC()
	var newID int64
	err = s.db.inTx(ctx, func(tx bun.Tx) error {
		var old certificateRow
		if err := forUpdate(tx.NewSelect().Model(&old).Where("number = ?", number), tx).Scan(ctx, &old); err != nil {
			return wrap(err, "certificate")
		}
		if old.RevokedAt != nil {
			return courses.Errorf(courses.ECONFLICT, "certificate %s is revoked already", number)
		}
		if old.UserID == nil {
			return courses.Errorf(courses.ECONFLICT, "the holder of certificate %s has no account any more", number)
		}
		var name string
		if err := tx.NewSelect().TableExpr("users").Column("name").Where("id = ?", *old.UserID).Scan(ctx, &name); err != nil {
			return wrap(err, "holder")
		}
		if _, err := tx.NewUpdate().Model((*certificateRow)(nil)).
			Set("revoked_at = ?, revoked_reason = ?, revoked_by = ?", now, reason, userRef(by)).
			Where("id = ?", old.ID).Exec(ctx); err != nil {
			return wrap(err, "revoke certificate")
		}
		fresh := old
		fresh.ID, fresh.HolderName, fresh.HolderSearch, fresh.IssuedAt = 0, name, courses.SearchText(name), now
		fresh.RevokedAt, fresh.RevokedReason, fresh.RevokedBy, fresh.ReplacedBy, fresh.Lookups = nil, "", nil, "", 0
		if err := insertCertificate(ctx, tx, &fresh); err != nil {
			return err
		}
		newID = fresh.ID
		if _, err := tx.NewUpdate().Model((*certificateRow)(nil)).Set("replaced_by = ?", fresh.Number).
			Where("id = ?", old.ID).Exec(ctx); err != nil {
			return wrap(err, "replaced by")
		}
		if jobs == nil {
			return nil
		}
		return jobs.InsertTx(ctx, tx, courses.CertificateJob{CertificateID: fresh.ID}, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, newID)
}

// MemberCertificates calls fn for each certificate (with its PDF, nil when
// not rendered yet) issued in [from, to) to a member of the association,
// in order of issue, one row in memory at a time. Revoked certificates are
// left out.
func (s *CertificateService) MemberCertificates(ctx context.Context, associationID int64, from, to time.Time, fn func(*courses.Certificate, []byte) error) error {
	rows, err := s.db.NewSelect().TableExpr("certificates AS ct").
		ColumnExpr("ct.id, ct.number, ct.holder_name, ct.course_slug, ct.course_title, ct.issued_at, ct.completed_at, ct.expires_at, ct.language, p.pdf").
		Join("LEFT JOIN certificate_pdfs p ON p.certificate_id = ct.id").
		Where("ct.revoked_at IS NULL AND ct.issued_at >= ? AND ct.issued_at < ?", from.UTC(), to.UTC()).
		Where("ct.user_id IN (SELECT m.user_id FROM association_members m WHERE m.association_id = ?)", associationID).
		Order("ct.issued_at", "ct.id").Rows(ctx)
	if err != nil {
		return wrap(err, "member certificates")
	}
	defer rows.Close()
	for rows.Next() {
		var r struct {
			certificateRow
			PDF []byte `bun:"pdf"`
		}
		if err := s.db.ScanRow(ctx, rows, &r); err != nil {
			return wrap(err, "member certificate")
		}
		if err := fn(r.certificate(), r.PDF); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "member certificates")
}

// CertificateRecipient returns the holder of a certificate as a job's mail
// addresses them, or ENOTFOUND when the certificate or the account is gone.
func (d *DB) CertificateRecipient(ctx context.Context, certificateID int64) (*JobRecipient, error) {
	var r JobRecipient
	err := d.NewSelect().TableExpr("certificates AS ct").
		ColumnExpr("u.id AS user_id, u.email, u.name, u.language, u.active").
		Join("JOIN users u ON u.id = ct.user_id").
		Where("ct.id = ?", certificateID).Scan(ctx, &r)
	if err != nil {
		return nil, wrap(err, "certificate holder")
	}
	return &r, nil
}

// CheckCertificateReady checks that the mail about a new certificate still
// applies: it is in force and its holder's account is active.
func CheckCertificateReady(certificateID int64) JobCheck {
	return JobCheck{func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
		n, err := tx.NewSelect().TableExpr("certificates AS ct").Join("JOIN users u ON u.id = ct.user_id").
			Where("ct.id = ? AND ct.revoked_at IS NULL AND u.active", certificateID).Count(ctx)
		return n == 1, wrap(err, "certificate in force")
	}}
}
