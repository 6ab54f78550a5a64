package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/app/openbadges"
	"github.com/raadzaam/raadzaam/app/pdf"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// certificates renders, stores and signs certificates for the handlers and
// the background job.
type certificates struct {
	store   *db.CertificateService
	catalog *Catalog
	baseURL string
	assets  pdf.Assets
	// credentialKeys loads the Open Badges signing keys on first use:
	// generating a key pair for a new data folder takes a moment that only
	// the first credential should wait for.
	credentialKeys func() (*openbadges.KeyRing, error)
}

func newCertificates(cfg *Config, d *db.DB, catalog *Catalog) (*certificates, error) {
	// Without the folder, Raadzaam's own logo and signature are used.
	assets := pdf.DefaultAssets()
	if _, err := os.Stat(cfg.CertificateAssets); err == nil {
		if assets, err = pdf.LoadAssets(cfg.CertificateAssets); err != nil {
			return nil, err
		}
	}
	return &certificates{store: db.NewCertificateService(d), catalog: catalog, baseURL: cfg.BaseURL.String(), assets: assets,
		credentialKeys: sync.OnceValues(func() (*openbadges.KeyRing, error) {
			return openbadges.LoadKeyRing(cfg.CredentialKeys, cfg.DataDir)
		})}, nil
}

// verifyURL is the page a certificate's QR code leads to.
func (cs *certificates) verifyURL(number string) string { return cs.baseURL + "/verifieer/" + number }

// pdfLang is the document language of a certificate in a course language.
func pdfLang(lang string) string {
	if lang == "en" {
		return "en-GB"
	}
	return "nl-NL"
}

// document is what the certificate's page says, in the course's language.
func (cs *certificates) document(c *courses.Certificate) *pdf.Certificate {
	l := cs.catalog.Locale(c.Language)
	details := []string{
		l.T("certificate.pdf.version_hours", "version", c.CourseVersion, "hours", l.Hours(c.StudyHours)),
		l.T("certificate.pdf.completed_on", "date", l.Date(c.CompletedAt)),
	}
	if c.ExpiresAt != nil {
		details = append(details, l.T("certificate.pdf.valid_until", "date", l.Date(*c.ExpiresAt)))
	}
	return &pdf.Certificate{
		Lang:          pdfLang(c.Language),
		Heading:       l.T("certificate.pdf.heading"),
		Intro:         l.T("certificate.pdf.intro", "issuer", c.Issuer),
		Holder:        c.HolderName,
		Achievement:   l.T("certificate.pdf.achievement"),
		Course:        c.CourseTitle,
		Details:       details,
		Issuer:        c.Issuer,
		Signatory:     c.Signatory,
		SignatoryRole: c.SignatoryRole,
		NumberLabel:   l.T("certificate.number"),
		Number:        c.Number,
		VerifyLabel:   l.T("certificate.pdf.verify"),
		VerifyURL:     cs.verifyURL(c.Number),
		Title:         l.T("certificate.pdf.title", "course", c.CourseTitle, "holder", c.HolderName),
		Author:        c.Issuer,
		Subject:       l.T("certificate.pdf.subject", "course", c.CourseTitle, "number", c.Number),
		Keywords:      strings.Join([]string{"Raadzaam", l.T("certificate.pdf.heading"), c.Number}, ", "),
		Issued:        c.IssuedAt,
	}
}

// render renders a certificate's PDF and stores it, returning the stored
// bytes: when another instance or the job stored one first, that one.
func (cs *certificates) render(ctx context.Context, c *courses.Certificate) ([]byte, error) {
	b, err := pdf.Render(cs.document(c), cs.assets)
	if err != nil {
		return nil, err
	}
	stored, err := cs.store.StorePDF(ctx, c.ID, b)
	if err != nil || stored {
		return b, err
	}
	kept, _, err := cs.store.PDF(ctx, c.Number)
	return kept, err
}

// credential signs the Open Badges credential of a certificate.
func (cs *certificates) credential(c *courses.Certificate) (string, error) {
	keys, err := cs.credentialKeys()
	if err != nil {
		return "", err
	}
	return keys.Sign(openbadges.New(c, cs.baseURL))
}

// certificateNumber reads the :nummer parameter as typed; what cannot be a
// number is not found.
func certificateNumber(c *fiber.Ctx) (string, error) {
	raw := c.Params("nummer")
	n, ok := courses.NormalizeCertificateNumber(raw)
	if !ok {
		return "", courses.Errorf(courses.ENOTFOUND, "no certificate %q", raw)
	}
	return n, nil
}

// mayHold reports whether the caller may download a certificate held by
// holder: its holder, and admins. Others get 404, as for a number that
// does not exist.
func mayHold(c *fiber.Ctx, holder int64) error {
	u := userFrom(c)
	if u.Role == courses.RoleAdmin || (holder != 0 && u.ID == holder) {
		return nil
	}
	return courses.Errorf(courses.ENOTFOUND, "certificate of user %d, asked for by %d", holder, u.ID)
}

// handleCertificatePDF serves a certificate's PDF, stored when it was
// issued (rendered now if the job has not run yet).
func (a *application) handleCertificatePDF(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	b, holder, err := a.certs.store.PDF(ctx, number)
	if err != nil {
		return err
	}
	if err := mayHold(c, holder); err != nil {
		return err
	}
	if b == nil {
		cert, err := a.certs.store.ByNumber(ctx, number)
		if err != nil {
			return err
		}
		if b, err = a.certs.render(ctx, cert); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+number+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(b)
}

// handleCertificateCredential serves a certificate's Open Badges 3.0
// credential as a VC-JWT, signed now with the current key.
func (a *application) handleCertificateCredential(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	cert, err := a.certs.store.ByNumber(c.UserContext(), number)
	if err != nil {
		return err
	}
	if err := mayHold(c, cert.UserID); err != nil {
		return err
	}
	token, err := a.certs.credential(cert)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/jwt")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+number+`.jwt"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(token)
}

// handleJWKS publishes the keys that verify certificate credentials.
func (a *application) handleJWKS(c *fiber.Ctx) error {
	keys, err := a.certs.credentialKeys()
	if err != nil {
		return err
	}
	b, err := keys.JWKS()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.Send(b)
}

// apiVerification is the public answer about a certificate (CONTRACT.md):
// nothing personal but the holder's name as printed.
type apiVerification struct {
	Number     string  `json:"number"`
	Status     string  `json:"status"`
	Holder     string  `json:"holder"`
	Course     string  `json:"course"`
	IssuedOn   string  `json:"issued_on"`
	ExpiresOn  *string `json:"expires_on"`
	RevokedOn  *string `json:"revoked_on"`
	ReplacedBy *string `json:"replaced_by"`
}

func toAPIVerification(cert *courses.Certificate, now time.Time) apiVerification {
	day := func(t time.Time) string { return t.In(courses.Amsterdam).Format(time.DateOnly) }
	v := apiVerification{Number: cert.Number, Status: string(cert.Status(now)), Holder: cert.HolderName,
		Course: cert.CourseTitle, IssuedOn: day(cert.IssuedAt)}
	if cert.ExpiresAt != nil {
		s := day(*cert.ExpiresAt)
		v.ExpiresOn = &s
	}
	if cert.Status(now) == courses.CertificateRevoked {
		s := day(*cert.RevokedAt)
		v.RevokedOn = &s
		if cert.ReplacedBy != "" {
			v.ReplacedBy = &cert.ReplacedBy
		}
	}
	return v
}

// handleAPIVerify answers whether a certificate is valid.
func (a *application) handleAPIVerify(c *fiber.Ctx) error {
	number, err := certificateNumber(c)
	if err != nil {
		return err
	}
	cert, err := a.certs.store.Verify(c.UserContext(), number)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.JSON(toAPIVerification(cert, a.auth.now()))
}

// verifyView is the data of the verification pages.
type verifyView struct {
	Typed       string // what was typed into the form
	Problem     string // why it is not a number, translated
	NotFound    string // a well-formed number that no certificate has
	Certificate *courses.Certificate
	Status      courses.CertificateStatus
	CheckedAt   time.Time
}

// handleVerifyForm shows the form to type a number, and sends a typed
// number on to its page.
func (a *application) handleVerifyForm(c *fiber.Ctx) error {
	typed := strings.TrimSpace(c.Query("nummer"))
	if typed == "" {
		return a.renderVerify(c, fiber.StatusOK, verifyView{})
	}
	number, ok := courses.NormalizeCertificateNumber(typed)
	if !ok {
		l := a.localeFrom(c)
		return a.renderVerify(c, fiber.StatusBadRequest, verifyView{Typed: typed, Problem: l.T("verify.not_a_number")})
	}
	return c.Redirect("/verifieer/"+number, fiber.StatusSeeOther)
}

// handleVerifyPage shows whether a certificate is valid: the page every
// certificate's QR code opens.
func (a *application) handleVerifyPage(c *fiber.Ctx) error {
	raw := c.Params("nummer")
	number, ok := courses.NormalizeCertificateNumber(raw)
	if !ok {
		l := a.localeFrom(c)
		return a.renderVerify(c, fiber.StatusNotFound, verifyView{Typed: raw, Problem: l.T("verify.not_a_number")})
	}
	if number != raw {
		return c.Redirect("/verifieer/"+number, fiber.StatusMovedPermanently)
	}
	cert, err := a.certs.store.Verify(c.UserContext(), number)
	if courses.ErrorCode(err) == courses.ENOTFOUND {
		return a.renderVerify(c, fiber.StatusNotFound, verifyView{Typed: number, NotFound: number})
	}
	if err != nil {
		return err
	}
	now := a.auth.now()
	return a.renderVerify(c, fiber.StatusOK, verifyView{Typed: number, Certificate: cert, Status: cert.Status(now), CheckedAt: now})
}

func (a *application) renderVerify(c *fiber.Ctx, status int, v verifyView) error {
	l := a.localeFrom(c)
	title := l.T("verify.title")
	if v.Certificate != nil {
		title = l.T("verify.title_number", "number", v.Certificate.Number)
	}
	path := "/verifieer"
	if v.Certificate != nil || v.NotFound != "" {
		path += "/" + v.Typed
	}
	body, err := a.views.render("verify", a.newPage(c, title, "verify", path, v))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(body)
}
