package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

var (
	secretPattern   = regexp.MustCompile(`<code class="rz-secret">([A-Z2-7 ]+)</code>`)
	recoveryPattern = regexp.MustCompile(`<li><code>([a-z2-9-]{14})</code></li>`)
)

func TestTwoFactorSetupAndSignIn(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
			c := newClient(t, a)
			c.signIn("zoe@example.nl", testPassword)

			_, page := c.do(http.MethodGet, "/account/tweestaps", nil)
			m := secretPattern.FindStringSubmatch(page)
			if m == nil || !strings.Contains(page, `<svg xmlns="http://www.w3.org/2000/svg" class="rz-qr"`) {
				t.Fatalf("setup page lacks the secret or the QR code:\n%.600s", page)
			}
			testSecrets["zoe@example.nl"] = strings.ReplaceAll(m[1], " ", "")
			// Reloading keeps the same pending secret (the app may have scanned it).
			if _, again := c.do(http.MethodGet, "/account/tweestaps", nil); !strings.Contains(again, m[1]) {
				t.Error("the pending secret changed on reload")
			}
			if resp, _ := c.do(http.MethodPost, "/account/tweestaps", url.Values{"_csrf": {c.csrf()}, "code": {"000000"}}); resp.StatusCode != 400 {
				t.Errorf("wrong setup code: %d", resp.StatusCode)
			}
			resp, page := c.do(http.MethodPost, "/account/tweestaps", url.Values{"_csrf": {c.csrf()}, "code": {nextCode(t, a, "zoe@example.nl")}})
			codes := recoveryPattern.FindAllStringSubmatch(page, -1)
			if resp.StatusCode != 200 || len(codes) != 10 {
				t.Fatalf("enable: %d with %d recovery codes", resp.StatusCode, len(codes))
			}
			c.do(http.MethodPost, "/uitloggen", url.Values{"_csrf": {c.csrf()}})

			// The password alone no longer opens a session.
			d := newClient(t, a)
			_, form := d.do(http.MethodGet, "/inloggen", nil)
			resp, _ = d.do(http.MethodPost, "/inloggen", url.Values{"_csrf": {csrfField.FindStringSubmatch(form)[1]}, "email": {"zoe@example.nl"}, "password": {testPassword}})
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/inloggen/code") || d.cookies["rz_access"] != "" {
				t.Fatalf("after the password: %s, access cookie %q", loc, d.cookies["rz_access"])
			}
			if resp, _ := d.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("account between the two steps: %d", resp.StatusCode)
			}
			if resp, _ := d.do(http.MethodPost, "/inloggen/code", url.Values{"_csrf": {d.csrf()}, "code": {"123456"}}); resp.StatusCode != 401 {
				t.Errorf("wrong code: %d", resp.StatusCode)
			}
			code := nextCode(t, a, "zoe@example.nl")
			if resp, _ := d.do(http.MethodPost, "/inloggen/code", url.Values{"_csrf": {d.csrf()}, "code": {code}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("right code: %d", resp.StatusCode)
			}
			if resp, _ := d.do(http.MethodGet, "/account", nil); resp.StatusCode != 200 {
				t.Errorf("signed in with two steps: %d", resp.StatusCode)
			}

			// The same code a second time (a replay) fails; a recovery code works once.
			e := newClient(t, a)
			_, form = e.do(http.MethodGet, "/inloggen", nil)
			e.do(http.MethodPost, "/inloggen", url.Values{"_csrf": {csrfField.FindStringSubmatch(form)[1]}, "email": {"zoe@example.nl"}, "password": {testPassword}})
			if resp, _ := e.do(http.MethodPost, "/inloggen/code", url.Values{"_csrf": {e.csrf()}, "code": {code}}); resp.StatusCode != 401 {
				t.Errorf("replayed code: %d, want 401", resp.StatusCode)
			}
			recovery := strings.ToUpper(codes[0][1])
			if resp, _ := e.do(http.MethodPost, "/inloggen/code", url.Values{"_csrf": {e.csrf()}, "code": {recovery}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("recovery code: %d", resp.StatusCode)
			}
			if err := a.users.UseRecoveryCode(context.Background(), mustUserID(t, a, "zoe@example.nl"), tokenHash(courses.NormalizeRecoveryCode(recovery))); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("recovery code usable twice: %v", err)
			}

			// API clients send the code as totp.
			req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/token", strings.NewReader(`{"email":"zoe@example.nl","password":"`+testPassword+`"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := a.fiber.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 401 {
				t.Errorf("token without totp: %d", resp.StatusCode)
			}
			if status, token := apiToken(t, a, "zoe@example.nl", testPassword); status != 200 || token == "" {
				t.Errorf("token with totp: %d", status)
			}
		})
	}
}

func mustUserID(t *testing.T, a *application, email string) int64 {
	t.Helper()
	id, _, _, err := a.users.Credentials(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestTwoFactorRequiredForAdmins signs in an admin without a second factor:
// every page but the setup sends them there, and the API refuses.
func TestTwoFactorRequiredForAdmins(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	hash, _ := hashPassword(testPassword)
	if _, err := a.users.CreateUser(context.Background(), &courses.NewUser{Email: "beheer@example.nl", Name: "Noor", Role: courses.RoleAdmin, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, a)
	if resp, _ := c.signIn("beheer@example.nl", testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	for _, path := range []string{"/beheer/gebruikers", "/beheer/audit"} {
		if resp, _ := c.do(http.MethodGet, path, nil); resp.Header.Get("Location") != "/account/tweestaps" {
			t.Errorf("%s before setup: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, page := c.do(http.MethodGet, "/account/tweestaps", nil); resp.StatusCode != 200 || !strings.Contains(page, "verplicht") {
		t.Errorf("setup page: %d", resp.StatusCode)
	}
	status, token := apiToken(t, a, "beheer@example.nl", testPassword)
	if status != 200 {
		t.Fatalf("token: %d", status)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, _ := a.fiber.Test(req)
	if resp.StatusCode != 403 {
		t.Errorf("API before setup: %d, want 403", resp.StatusCode)
	}
}
