package courses

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// Certificate is the proof that a learner completed a course: issued once
// per completion, in the same transaction, with what it says frozen at that
// moment (the holder's name as printed, the course's title and version).
// A correction does not change a certificate: it is revoked and a new one
// issued in its place (ReplacedBy).
type Certificate struct {
	ID            int64
	Number        string // RZ-2026-7K4Q-9XPM
	EnrolmentID   int64  // 0 once the enrolment is gone
	UserID        int64  // 0 once the account is gone
	CourseID      int64
	CourseSlug    string
	CourseTitle   string
	CourseSummary string // the achievement's description
	CourseVersion int
	StudyHours    float64
	Language      string // the course's language: the certificate's language
	HolderName    string
	CompletedAt   time.Time
	IssuedAt      time.Time
	ExpiresAt     *time.Time // nil: it does not expire
	Issuer        string     // the issuing organisation
	Signatory     string     // who signs, and as what
	SignatoryRole string
	RevokedAt     *time.Time
	RevokedReason string
	ReplacedBy    string // the number of the certificate issued in its place
	Lookups       int    // how often it was verified
	HasPDF        bool   // the PDF is rendered and stored
}

// CertificateStatus is what a verification answers.
type CertificateStatus string

// The statuses of a certificate, as CONTRACT.md spells them.
const (
	CertificateValid   CertificateStatus = "valid"
	CertificateExpired CertificateStatus = "expired"
	CertificateRevoked CertificateStatus = "revoked"
)

// Status tells whether c is valid at now: revoked beats expired.
func (c *Certificate) Status(now time.Time) CertificateStatus {
	switch {
	case c.RevokedAt != nil && !now.Before(*c.RevokedAt):
		return CertificateRevoked
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return CertificateExpired
	}
	return CertificateValid
}

// RevokedCompletionUndone is the reason recorded when a certificate is
// revoked because its completion was taken back; pages translate it.
const RevokedCompletionUndone = "completion-undone"

// Issuer is the organisation whose name and signatory appear on the
// certificates issued from now on.
type Issuer struct {
	Name          string
	Signatory     string
	SignatoryRole string
}

// numberAlphabet leaves out the characters that look alike (0/O, 1/I/L,
// 5/S, 2/Z, 8/B) in print and when read over the phone.
const numberAlphabet = "34679ACDEFGHJKMNPQRTUVWXY"

// NewCertificateNumber returns a fresh number for a certificate issued in
// year: "RZ-2026-7K4Q-9XPM", eight random characters (about 37 bits; the
// verification is rate limited). The database's unique index decides the
// one-in-a-hundred-billion clash.
func NewCertificateNumber(year int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "RZ-%04d-", year)
	buf := make([]byte, 1)
	for n := 0; n < 8; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
		// Rejection sampling: every character equally likely.
		if int(buf[0]) >= 256-256%len(numberAlphabet) {
			continue
		}
		if n == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(numberAlphabet[int(buf[0])%len(numberAlphabet)])
		n++
	}
	return sb.String()
}

// NormalizeCertificateNumber reads a number as typed or read aloud: case,
// spaces, dots and hyphens do not matter ("rz 2026 7k4q 9xpm" and
// "RZ2026-7K4Q-9XPM" are RZ-2026-7K4Q-9XPM). It reports false for what
// cannot be a number (a character the alphabet leaves out, such as O or 1),
// so that no lookup is made for it.
func NormalizeCertificateNumber(s string) (string, bool) {
	var plain []byte
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '\t' || r == '_':
		case r < 128:
			plain = append(plain, byte(r))
		default:
			return "", false
		}
	}
	if len(plain) != 14 || string(plain[:2]) != "RZ" {
		return "", false
	}
	year, code := plain[2:6], plain[6:]
	for _, c := range year {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	for _, c := range code {
		if !strings.ContainsRune(numberAlphabet, rune(c)) {
			return "", false
		}
	}
	return "RZ-" + string(year) + "-" + string(code[:4]) + "-" + string(code[4:]), true
}
