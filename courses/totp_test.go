package courses

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// TestTOTPVectors checks the RFC 6238 test vectors for SHA-1 (the last six
// digits of its eight-digit codes).
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	}
	for _, tt := range tests {
		got, err := TOTPCode(secret, TOTPStep(time.Unix(tt.unix, 0)))
		if err != nil || got != tt.want {
			t.Errorf("T=%d: got %q (%v), want %q", tt.unix, got, err, tt.want)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		code, _ := TOTPCode(secret, TOTPStep(now.Add(d)))
		if step, ok := MatchTOTP(secret, code[:3]+" "+code[3:], now); !ok || step != TOTPStep(now.Add(d)) {
			t.Errorf("code from %v: not accepted", d)
		}
	}
	old, _ := TOTPCode(secret, TOTPStep(now.Add(-90*time.Second)))
	if _, ok := MatchTOTP(secret, old, now); ok {
		t.Error("a code from three steps ago was accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := MatchTOTP(secret, bad, now); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if uri := TOTPURI("Raadzaam", "zoë@example.nl", secret); !strings.HasPrefix(uri, "otpauth://totp/Raadzaam:zo%C3%AB@example.nl?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("uri: %s", uri)
	}
	codes := NewRecoveryCodes(10)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || seen[c] || NormalizeRecoveryCode(strings.ToUpper(c)) != strings.ReplaceAll(c, "-", "") {
			t.Errorf("recovery code %q", c)
		}
		seen[c] = true
	}
}
