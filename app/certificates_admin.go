package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// certificateRoutes registers verification, downloads, the administrators'
// revocation and re-issue, and the associations' ZIP export.
func (a *application) certificateRoutes() {
	get, post := fiber.MethodGet, fiber.MethodPost
	verify := newWindowLimiter(60, time.Minute)
	a.handle(get, "/verifieer", public, a.limited(verify, a.handleVerifyForm))
	a.handle(get, "/verifieer/:nummer", public, a.limited(verify, a.handleVerifyPage))
	a.handle(get, "/.well-known/jwks.json", public, a.handleJWKS)
	a.handle(get, "/beheer/certificaten", admins, a.handleCertificatesAdmin)
	a.handle(get, "/beheer/certificaten/:nummer", admins, a.handleCertificateAdmin)
	a.handle(post, "/beheer/certificaten/:nummer/intrekken", admins, a.handleCertificateRevoke)
	a.handle(post, "/beheer/certificaten/:nummer/opnieuw", admins, a.handleCertificateReissue)
	a.handle(get, "/vereniging/:slug/certificaten", signedIn, a.handleAssociationCertificates)
	a.handle(get, "/vereniging/:slug/certificaten.zip", signedIn, a.handleAssociationCertificatesZIP)

	a.handle(get, "/api/v1/verify/:nummer", public, a.limited(verify, a.handleAPIVerify))
	a.handle(get, "/api/v1/certificates/:nummer.pdf", signedIn.withScope(courses.ScopeMe), a.handleCertificatePDF)
	a.handle(get, "/api/v1/certificates/:nummer/credential", signedIn.withScope(courses.ScopeMe), a.handleCertificateCredential)
	a.handle(post, "/api/v1/certificates/:nummer/revocation", admins, a.handleAPICertificateRevoke)
	a.handle(post, "/api/v1/certificates/:nummer/reissue", admins, a.handleAPICertificateReissue)
}

// certificatesAdminView is the administrators' list of certificates.
type certificatesAdminView struct {
	Query        string
	Certificates []courses.Certificate
	Total        int
	Page, Pages  int
	Now          time.Time
}

const certificatesPerPage = 50

// handleCertificatesAdmin lists certificates, the newest first, searchable
// by number, holder or course.
func (a *application) handleCertificatesAdmin(c *fiber.Ctx) error {
	page, err := pageParam(c.Query("pagina"))
	if err != nil {
		return err
	}
	v := certificatesAdminView{Query: strings.TrimSpace(c.Query("zoek")), Page: page, Now: a.auth.now()}
	list, total, err := a.certs.store.Search(c.UserContext(), db.CertificateFilter{Query: v.Query, Limit: certificatesPerPage,
		Offset: (v.Page - 1) * certificatesPerPage})
	if err != nil {
		return err
	}
	v.Certificates, v.Total, v.Pages = list, total, (total+certificatesPerPage-1)/certificatesPerPage
	l := a.localeFrom(c)
	return a.renderForm(c, fiber.StatusOK, "certificates-admin", l.T("certificates.admin_title"), "certificates", "/beheer/certificaten", v)
}

// certificateAdminView is one certificate with the forms to revoke and
// re-issue it.
type certificateAdminView struct {
	Certificate *courses.Certificate
	Status      courses.CertificateStatus
	Form        string // the form the reason belongs to: "revoke" or "reissue"
	Reason      string
	Problems    map[string]string
	Done        string // "ingetrokken" or "vervangen", after a redirect
}

func (a *application) handleCertificateAdmin(c *fiber.Ctx) error {
	return a.renderCertificateAdmin(c, fiber.StatusOK, certificateAdminView{Done: c.Query("gedaan")})
}

func (a *application) renderCertificateAdmin(c *fiber.Ctx, status int, v certificateAdminView) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	if v.Certificate, err = a.certs.store.ByNumber(c.UserContext(), number); err != nil {
		return err
	}
	v.Status = v.Certificate.Status(a.auth.now())
	l := a.localeFrom(c)
	return a.renderForm(c, status, "certificate-admin", l.T("certificates.admin_one", "number", number), "certificates",
		"/beheer/certificaten/"+number, v)
}

// handleCertificateRevoke revokes a certificate with a reason; audited.
func (a *application) handleCertificateRevoke(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	if _, err := a.certs.store.Revoke(c.UserContext(), number, userFrom(c).ID, reason); err != nil {
		return a.certificateFormError(c, err, "revoke", reason)
	}
	a.auditCertificate(c, "certificate.revoked", number, reason)
	return c.Redirect("/beheer/certificaten/"+number+"?gedaan=ingetrokken", fiber.StatusSeeOther)
}

// handleCertificateReissue replaces a certificate by a new one with the
// holder's current name; audited.
func (a *application) handleCertificateReissue(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	fresh, err := a.certs.store.Reissue(c.UserContext(), number, userFrom(c).ID, reason, a.jobs)
	if err != nil {
		return a.certificateFormError(c, err, "reissue", reason)
	}
	a.auditCertificate(c, "certificate.reissued", number, "new="+fresh.Number+" "+reason)
	return c.Redirect("/beheer/certificaten/"+fresh.Number+"?gedaan=vervangen", fiber.StatusSeeOther)
}

// certificateFormError shows a refused revocation or re-issue on the
// certificate's page, the typed reason kept.
func (a *application) certificateFormError(c *fiber.Ctx, err error, form, reason string) error {
	l := a.localeFrom(c)
	v := certificateAdminView{Form: form, Reason: reason}
	switch courses.ErrorCode(err) {
	case courses.EINVALID:
		v.Problems = problemsByField(l, err)
		return a.renderCertificateAdmin(c, fiber.StatusBadRequest, v)
	case courses.ECONFLICT:
		v.Problems = map[string]string{"reason": l.T("certificates.conflict")}
		return a.renderCertificateAdmin(c, fiber.StatusConflict, v)
	}
	return err
}

func (a *application) auditCertificate(c *fiber.Ctx, action, number, detail string) {
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: action, Subject: "certificate:" + number,
		Detail: detail, RequestID: requestIDFrom(c)})
}

type apiReasonRequest struct {
	Reason string `json:"reason"`
}

// handleAPICertificateRevoke revokes a certificate (admins); audited.
func (a *application) handleAPICertificateRevoke(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	var req apiReasonRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return courses.Invalid("bad JSON", courses.Problem{Field: "body", Key: courses.ProblemBadJSON})
	}
	cert, err := a.certs.store.Revoke(c.UserContext(), number, userFrom(c).ID, req.Reason)
	if err != nil {
		return err
	}
	a.auditCertificate(c, "certificate.revoked", number, req.Reason)
	return c.JSON(toAPIVerification(cert, a.auth.now()))
}

// handleAPICertificateReissue replaces a certificate by a new one with the
// holder's current name (admins); audited. It answers the new one.
func (a *application) handleAPICertificateReissue(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	var req apiReasonRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return courses.Invalid("bad JSON", courses.Problem{Field: "body", Key: courses.ProblemBadJSON})
	}
	fresh, err := a.certs.store.Reissue(c.UserContext(), number, userFrom(c).ID, req.Reason, a.jobs)
	if err != nil {
		return err
	}
	a.auditCertificate(c, "certificate.reissued", number, "new="+fresh.Number+" "+req.Reason)
	return c.Status(fiber.StatusCreated).JSON(toAPIVerification(fresh, a.auth.now()))
}

// associationCertificatesView is the form to download an association's
// certificates of a period.
type associationCertificatesView struct {
	Association *courses.Association
	From, To    string // as typed, or the defaults
	Problems    map[string]string
}

// electionDay is the day of the municipal elections of 2026: the default
// start of an association's period.
var electionDay = time.Date(2026, 3, 18, 0, 0, 0, 0, courses.Amsterdam)

func (a *application) handleAssociationCertificates(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	v := associationCertificatesView{Association: as, From: electionDay.Format(time.DateOnly),
		To: a.auth.now().In(courses.Amsterdam).Format(time.DateOnly)}
	return a.renderAssociationCertificates(c, fiber.StatusOK, v)
}

func (a *application) renderAssociationCertificates(c *fiber.Ctx, status int, v associationCertificatesView) error {
	l := a.localeFrom(c)
	return a.renderForm(c, status, "association-certificates", l.T("certificates.association_title", "association", v.Association.Name),
		"members", "/vereniging/"+v.Association.Slug+"/certificaten", v)
}

// period reads the van and tot days (both included) of a download.
func period(c *fiber.Ctx, l *Locale) (from, to time.Time, problems map[string]string) {
	problems = map[string]string{}
	fromDay, ok1 := courses.ParseDay(c.Query("van"))
	toDay, ok2 := courses.ParseDay(c.Query("tot"))
	if !ok1 {
		problems["van"] = l.TArgs(courses.ProblemBadDate, map[string]any{"value": c.Query("van")})
	}
	if !ok2 {
		problems["tot"] = l.TArgs(courses.ProblemBadDate, map[string]any{"value": c.Query("tot")})
	}
	if ok1 && ok2 && toDay.Before(fromDay) {
		problems["tot"] = l.T(courses.ProblemEndBeforeStart)
	}
	// ParseDay gives the last second of a day: the period runs from the
	// start of the first day to the end of the last.
	return fromDay.Add(time.Second).AddDate(0, 0, -1), toDay.Add(time.Second), problems
}

// handleAssociationCertificatesZIP streams the PDFs of the members'
// certificates issued in the period as one ZIP, with an index in CSV.
// Rows are read and written one at a time: memory stays flat however many
// certificates there are.
func (a *application) handleAssociationCertificatesZIP(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	l := a.localeFrom(c)
	from, to, problems := period(c, l)
	if len(problems) > 0 {
		return a.renderAssociationCertificates(c, fiber.StatusBadRequest, associationCertificatesView{Association: as,
			From: c.Query("van"), To: c.Query("tot"), Problems: problems})
	}
	name := fmt.Sprintf("certificaten-%s-%s-%s.zip", as.Slug, from.Format("20060102"), to.Add(-time.Second).Format("20060102"))
	a.auth.record(c.UserContext(), courses.AuditEvent{ActorID: userFrom(c).ID, Action: "certificates.exported",
		Subject: "association:" + as.Slug, Detail: "from=" + from.Format(time.DateOnly) + " to=" + to.Format(time.DateOnly), RequestID: requestIDFrom(c)})
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx := context.WithoutCancel(c.UserContext())
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := a.writeCertificatesZIP(ctx, w, as.ID, from, to, l); err != nil {
			// The status is sent: the client sees a ZIP cut short, and
			// the log says why.
			a.log.Error("certificates zip", "association", as.Slug, "error", err.Error())
		}
	})
	return nil
}

// writeCertificatesZIP writes the ZIP: one PDF per certificate (stored as
// is: PDFs are compressed already) and overzicht.csv listing them.
func (a *application) writeCertificatesZIP(ctx context.Context, w *bufio.Writer, associationID int64, from, to time.Time, l *Locale) error {
	zw := zip.NewWriter(w)
	var index strings.Builder
	index.WriteString("\ufeff" + csvRow(l.T("certificate.number"), l.T("field.name"), l.T("certificates.course"),
		l.T("certificates.completed_on"), l.T("certificates.issued_on"), l.T("certificates.valid_until")))
	used := map[string]bool{}
	err := a.certs.store.MemberCertificates(ctx, associationID, from, to, func(cert *courses.Certificate, b []byte) error {
		if b == nil {
			full, err := a.certs.store.ByID(ctx, cert.ID)
			if err != nil {
				return err
			}
			if b, err = a.certs.render(ctx, full); err != nil {
				return err
			}
		}
		file := zipName(cert, used)
		f, err := zw.CreateHeader(&zip.FileHeader{Name: file, Method: zip.Store, Modified: cert.IssuedAt})
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			return err
		}
		expires := ""
		if cert.ExpiresAt != nil {
			expires = cert.ExpiresAt.In(courses.Amsterdam).Format("02-01-2006")
		}
		index.WriteString(csvRow(cert.Number, cert.HolderName, cert.CourseTitle, cert.CompletedAt.In(courses.Amsterdam).Format("02-01-2006"),
			cert.IssuedAt.In(courses.Amsterdam).Format("02-01-2006"), expires))
		return w.Flush()
	})
	if err != nil {
		return err
	}
	f, err := zw.Create("overzicht.csv")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(index.String())); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return w.Flush()
}

// zipName names a certificate's file in the ZIP: holder, course and
// number, without characters that file systems refuse.
func zipName(cert *courses.Certificate, used map[string]bool) string {
	clean := strings.NewReplacer("/", "-", "\\", "-", ":", "-", "*", "", "?", "", "\"", "", "<", "", ">", "", "|", "").Replace
	name := clean(cert.HolderName + " - " + cert.CourseTitle)
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	name += " - " + cert.Number + ".pdf"
	for i := 2; used[name]; i++ {
		name = strings.TrimSuffix(name, ".pdf") + " (" + strconv.Itoa(i) + ").pdf"
	}
	used[name] = true
	return name
}

// csvRow writes one line for Dutch Excel: ';' separated, quoted when
// needed, and cells that a spreadsheet would run as a formula defused.
func csvRow(cells ...string) string {
	var sb strings.Builder
	for i, s := range cells {
		if i > 0 {
			sb.WriteByte(';')
		}
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			s = "'" + s
		}
		if strings.ContainsAny(s, ";\"\r\n") {
			s = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		sb.WriteString(s)
	}
	sb.WriteString("\r\n")
	return sb.String()
}
