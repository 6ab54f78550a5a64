package courses

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var numberShape = regexp.MustCompile(`^RZ-\d{4}-[` + numberAlphabet + `]{4}-[` + numberAlphabet + `]{4}$`)

func TestNewCertificateNumber(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 20000 {
		n := NewCertificateNumber(2026)
		if !numberShape.MatchString(n) || !strings.HasPrefix(n, "RZ-2026-") {
			t.Fatalf("number %q", n)
		}
		if seen[n] {
			t.Fatalf("%s drawn twice in 20,000", n)
		}
		seen[n] = true
		for _, r := range n[8:] {
			counts[r]++
		}
	}
	// Every character of the alphabet, none outside it, about equally
	// often (160,000 draws over 25 characters: 6,400 each).
	if len(counts) != len(numberAlphabet)+1 { // the hyphen
		t.Errorf("characters used: %d", len(counts))
	}
	for _, r := range numberAlphabet {
		if c := counts[r]; c < 5800 || c > 7000 {
			t.Errorf("%c drawn %d times, want about 6,400", r, c)
		}
	}
}

func TestNormalizeCertificateNumber(t *testing.T) {
	for in, want := range map[string]string{
		"RZ-2026-7K4Q-9XPM":       "RZ-2026-7K4Q-9XPM",
		"rz-2026-7k4q-9xpm":       "RZ-2026-7K4Q-9XPM",
		" rz 2026 7k4q 9xpm ":     "RZ-2026-7K4Q-9XPM",
		"RZ20267K4Q9XPM":          "RZ-2026-7K4Q-9XPM",
		"RZ.2026.7K4Q.9XPM":       "RZ-2026-7K4Q-9XPM",
		"RZ-2026-7K4Q-9XP0":       "", // 0 is never used: a misreading
		"RZ-2026-7K4Q-9XPMM":      "",
		"AB-2026-7K4Q-9XPM":       "",
		"RZ-20X6-7K4Q-9XPM":       "",
		"RZ-2026-7K4Q-9XPÉ":       "",
		"":                        "",
		"RZ-2026-7K4Q-9XPM' OR 1": "",
	} {
		got, ok := NormalizeCertificateNumber(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeCertificateNumber(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestCertificateStatus(t *testing.T) {
	issued := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	expires := issued.AddDate(2, 0, 0)
	revoked := issued.AddDate(1, 0, 0)
	c := Certificate{IssuedAt: issued, ExpiresAt: &expires}
	for _, tc := range []struct {
		at      time.Time
		revoked bool
		want    CertificateStatus
	}{
		{issued, false, CertificateValid},
		{expires.Add(-time.Second), false, CertificateValid},
		{expires, false, CertificateExpired},
		{revoked.Add(-time.Second), true, CertificateValid},
		{revoked, true, CertificateRevoked},
		{expires.AddDate(1, 0, 0), true, CertificateRevoked}, // revoked beats expired
	} {
		c.RevokedAt = nil
		if tc.revoked {
			c.RevokedAt = &revoked
		}
		if got := c.Status(tc.at); got != tc.want {
			t.Errorf("at %v (revoked %v): %q, want %q", tc.at, tc.revoked, got, tc.want)
		}
	}
}

// FuzzNormalizeCertificateNumber: whatever is typed, a number it accepts
// has the printed shape and reads as itself.
func FuzzNormalizeCertificateNumber(f *testing.F) {
	for _, s := range []string{"RZ-2026-7K4Q-9XPM", "rz 2026 7k4q 9xpm", "RZ20267K4Q9XPM", "RZ-2026-0000-1111", "ß", "RZ-２０２６"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizeCertificateNumber(s)
		if !ok {
			return
		}
		if !numberShape.MatchString(n) {
			t.Fatalf("%q read as %q", s, n)
		}
		if again, ok := NormalizeCertificateNumber(n); !ok || again != n {
			t.Fatalf("%q does not read as itself: %q %v", n, again, ok)
		}
	})
}
