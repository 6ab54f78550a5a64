package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

const testPassword = "paars-fietsenrek-op-dinsdag"

// createTestUser adds an account with testPassword; roles that require
// two-factor sign-in get it, with a secret kept in testSecrets.
func createTestUser(t *testing.T, a *application, email string, role courses.Role) *courses.User {
	t.Helper()
	ctx := context.Background()
	hash, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.users.CreateUser(ctx, &courses.NewUser{Email: email, Name: "Zoë Łukasiewicz", Role: role, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if role.RequiresTwoFactor() {
		secret := courses.NewTOTPSecret()
		if err := a.users.BeginTwoFactor(ctx, u.ID, secret); err != nil {
			t.Fatal(err)
		}
		if err := a.users.EnableTwoFactor(ctx, u.ID, 0, nil); err != nil {
			t.Fatal(err)
		}
		testSecrets[strings.ToLower(email)] = secret
		u.TwoFactor = true
	}
	return u
}

// testSecrets holds the TOTP secrets of test users with two-factor sign-in.
var testSecrets = map[string]string{}

// nextCode moves the application's clock on by one TOTP step (a code
// works once) and returns the code of that moment.
func nextCode(t *testing.T, a *application, email string) string {
	t.Helper()
	secret, ok := testSecrets[strings.ToLower(email)]
	if !ok {
		t.Fatalf("%s has no two-factor secret", email)
	}
	at := a.auth.now().Add(31 * time.Second)
	offset := time.Until(at)
	a.auth.now = func() time.Time { return time.Now().Add(offset) }
	code, err := courses.TOTPCode(secret, courses.TOTPStep(at))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// client keeps cookies across requests to an in-process application, as
// a browser would.
type client struct {
	t       *testing.T
	a       *application
	cookies map[string]string
	header  map[string]string
}

func newClient(t *testing.T, a *application) *client {
	return &client{t: t, a: a, cookies: map[string]string{}, header: map[string]string{}}
}

func (b *client) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header.Set(k, v)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.a.fiber.Test(req, 10_000)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(out)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn fills in the sign-in form like a person would.
func (b *client) signIn(email, password string) (*http.Response, string) {
	b.t.Helper()
	_, page := b.do(http.MethodGet, "/inloggen", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("sign-in page has no CSRF field:\n%.500s", page)
	}
	resp, page := b.do(http.MethodPost, "/inloggen", url.Values{"_csrf": {m[1]}, "email": {email}, "password": {password}, "terug": {"/account"}})
	if !strings.HasPrefix(resp.Header.Get("Location"), "/inloggen/code") {
		return resp, page
	}
	b.do(http.MethodGet, resp.Header.Get("Location"), nil)
	return b.do(http.MethodPost, "/inloggen/code", url.Values{"_csrf": {b.csrf()}, "code": {nextCode(b.t, b.a, email)}, "terug": {"/account"}})
}

func (b *client) csrf() string { return b.cookies["rz_csrf"] }

func TestSignInJourney(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			createTestUser(t, a, "Zoe@Example.nl", courses.RoleTrainer)
			b := newClient(t, a)

			resp, _ := b.signIn("zoe@example.nl", testPassword)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
				t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if b.cookies["rz_access"] == "" || b.cookies["rz_refresh"] == "" {
				t.Fatalf("no session cookies: %v", b.cookies)
			}
			resp, page := b.do(http.MethodGet, "/account", nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "Zoë Łukasiewicz") || !strings.Contains(page, "Uitloggen") {
				t.Fatalf("account page: %d\n%.400s", resp.StatusCode, page)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("account page Cache-Control %q, want no-store", got)
			}
			// Signed-in visitors do not get the cached anonymous catalogue.
			if _, page := b.do(http.MethodGet, "/cursussen", nil); !strings.Contains(page, "Mijn account") {
				t.Error("catalogue header does not show the signed-in user")
			}
			stolen := b.cookies["rz_access"]

			resp, _ = b.do(http.MethodPost, "/uitloggen", url.Values{"_csrf": {b.csrf()}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign out: %d", resp.StatusCode)
			}
			// The access token is still unexpired, but its session is gone.
			thief := newClient(t, a)
			thief.cookies["rz_access"] = stolen
			if resp, _ := thief.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther ||
				!strings.HasPrefix(resp.Header.Get("Location"), "/inloggen?terug=") {
				t.Errorf("old access token after sign-out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			events, _ := a.audit.AuditEvents(context.Background(), "sign", 0, 10)
			if len(events) != 2 || events[0].Action != "signout" || events[1].Action != "signin" {
				t.Errorf("audit: %+v", events)
			}
		})
	}
}

func TestSignInFailuresAndLockout(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	u := createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
	b := newClient(t, a)
	for i := 1; i <= accountLimit.Free+1; i++ {
		resp, page := b.signIn("zoe@example.nl", "fout-wachtwoord")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Het e-mailadres of het wachtwoord klopt niet") {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
		if !strings.Contains(page, `value="zoe@example.nl"`) {
			t.Errorf("failure %d: the form lost the typed address", i)
		}
	}
	resp, page := b.signIn("zoe@example.nl", testPassword)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Probeer het opnieuw na") {
		t.Fatalf("after %d failures the right password: %d, want 429", accountLimit.Free+1, resp.StatusCode)
	}
	// An unknown address fails the same way, and is counted too.
	if resp, _ := b.signIn("niemand@example.nl", testPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown address: %d, want 401", resp.StatusCode)
	}
	events, _ := a.audit.AuditEvents(context.Background(), "signin", u.ID*0, 20)
	var failed, locked int
	for _, e := range events {
		switch e.Action {
		case "signin.failed":
			failed++
		case "signin.locked":
			locked++
		}
		if strings.Contains(e.Detail+e.Subject, "example.nl") || strings.Contains(e.Detail+e.Subject, testPassword) {
			t.Errorf("audit event holds personal data or a secret: %+v", e)
		}
	}
	if failed != accountLimit.Free+2 || locked != 1 {
		t.Errorf("audit: %d failures and %d locks, want %d and 1", failed, locked, accountLimit.Free+2)
	}
}

func TestCSRF(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
	b := newClient(t, a)
	b.do(http.MethodGet, "/inloggen", nil)
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"no token", url.Values{"email": {"zoe@example.nl"}, "password": {testPassword}}, nil, 400},
		{"wrong token", url.Values{"_csrf": {strings.Repeat("x", 43)}, "email": {"zoe@example.nl"}, "password": {testPassword}}, nil, 400},
		{"cross-site", url.Values{"_csrf": {b.csrf()}, "email": {"zoe@example.nl"}, "password": {testPassword}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"right token", url.Values{"_csrf": {b.csrf()}, "email": {"zoe@example.nl"}, "password": {testPassword}}, nil, 303},
	}
	for _, tt := range tests {
		b.header = tt.header
		if resp, _ := b.do(http.MethodPost, "/inloggen", tt.form); resp.StatusCode != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	b.header = nil
	if resp, _ := b.do(http.MethodPost, "/uitloggen", url.Values{}); resp.StatusCode != 400 {
		t.Errorf("sign out without token: %d, want 400", resp.StatusCode)
	}
}

// apiToken gets a bearer token through the API.
func apiToken(t *testing.T, a *application, email, password string) (int, string) {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + password + `"}`
	if _, ok := testSecrets[strings.ToLower(email)]; ok {
		body = `{"email":"` + email + `","password":"` + password + `","totp":"` + nextCode(t, a, email) + `"}`
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.fiber.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	return resp.StatusCode, answer.AccessToken
}

func bearerStatus(t *testing.T, a *application, token string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.fiber.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTokens(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	u := createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
	status, token := apiToken(t, a, "ZOE@example.nl", testPassword)
	if status != 200 || token == "" {
		t.Fatalf("token: %d", status)
	}
	if got := bearerStatus(t, a, token); got != 200 {
		t.Fatalf("valid token: %d", got)
	}
	if status, _ := apiToken(t, a, "zoe@example.nl", "fout"); status != 401 {
		t.Errorf("bad password: %d, want 401", status)
	}

	key := a.auth.keys.current()
	claims := func(aud string, exp time.Time) accessClaims {
		s, _, _ := a.sessions.ActiveSession(context.Background(), mustClaims(t, a, token).SessionID)
		return accessClaims{SessionID: s.ID, RegisteredClaims: jwt.RegisteredClaims{Issuer: a.auth.issuer, Subject: itoa(int(u.ID)),
			Audience: jwt.ClaimStrings{aud}, IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(exp)}}
	}
	sign := func(method jwt.SigningMethod, c jwt.Claims, secret any, kid string) string {
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(audienceAPI, time.Now().Add(time.Hour))).SignedString(jwt.UnsafeAllowNoneSignatureType)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2]
	tests := []struct {
		name  string
		token string
	}{
		{"alg none", none},
		{"wrong audience (a browser token)", sign(jwt.SigningMethodHS256, claims(audienceBrowser, time.Now().Add(time.Hour)), key.Secret, key.ID)},
		{"expired", sign(jwt.SigningMethodHS256, claims(audienceAPI, time.Now().Add(-time.Minute)), key.Secret, key.ID)},
		{"no expiry", sign(jwt.SigningMethodHS256, jwt.MapClaims{"sid": mustClaims(t, a, token).SessionID, "iss": a.auth.issuer, "aud": audienceAPI, "sub": itoa(int(u.ID))}, key.Secret, key.ID)},
		{"unknown kid", sign(jwt.SigningMethodHS256, claims(audienceAPI, time.Now().Add(time.Hour)), key.Secret, "other")},
		{"other secret", sign(jwt.SigningMethodHS256, claims(audienceAPI, time.Now().Add(time.Hour)), []byte(strings.Repeat("k", 32)), key.ID)},
		{"HS512", sign(jwt.SigningMethodHS512, claims(audienceAPI, time.Now().Add(time.Hour)), key.Secret, key.ID)},
		{"RS256 with an attacker's key", sign(jwt.SigningMethodRS256, claims(audienceAPI, time.Now().Add(time.Hour)), rsaKey, key.ID)},
		{"tampered", tampered},
		{"garbage", "not-a-token"},
	}
	for _, tt := range tests {
		if got := bearerStatus(t, a, tt.token); got != 401 {
			t.Errorf("%s: got %d, want 401", tt.name, got)
		}
	}
	// Time passes: the token expires (injected clock).
	a.auth.now = func() time.Time { return time.Now().Add(apiTokenTTL + time.Minute) }
	if got := bearerStatus(t, a, token); got != 401 {
		t.Errorf("token after its lifetime: %d, want 401", got)
	}
	a.auth.now = time.Now
	// Revoked: signing out everywhere ends API sessions too.
	if _, err := a.sessions.RevokeUserSessions(context.Background(), u.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if got := bearerStatus(t, a, token); got != 401 {
		t.Errorf("revoked token: %d, want 401", got)
	}
}

func mustClaims(t *testing.T, a *application, token string) *accessClaims {
	t.Helper()
	c, err := a.auth.parseAccess(token, audienceAPI)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefreshRotation lets the access cookie expire: the next request is
// served with new cookies, and replaying the spent refresh token ends the
// session for everyone holding it.
func TestRefreshRotation(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
	b := newClient(t, a)
	b.signIn("zoe@example.nl", testPassword)
	firstRefresh := b.cookies["rz_refresh"]

	a.auth.now = func() time.Time { return time.Now().Add(accessTTL + time.Minute) }
	defer func() { a.auth.now = time.Now }()
	if resp, _ := b.do(http.MethodGet, "/account", nil); resp.StatusCode != 200 {
		t.Fatalf("after the access token expired: %d, want 200 through the refresh token", resp.StatusCode)
	}
	if b.cookies["rz_refresh"] == firstRefresh {
		t.Fatal("refresh token did not rotate")
	}
	attacker := newClient(t, a)
	attacker.cookies["rz_refresh"] = firstRefresh
	if resp, _ := attacker.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("replayed refresh token: %d, want a redirect to sign in", resp.StatusCode)
	}
	a.auth.now = func() time.Time { return time.Now().Add(2 * (accessTTL + time.Minute)) }
	if resp, _ := b.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after reuse, the rightful browser: %d, want signed out (the session is revoked)", resp.StatusCode)
	}
}

// TestEveryRouteHasAPolicy walks the route table: a route without an access
// policy fails the build (deny by default).
func TestEveryRouteHasAPolicy(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	n := 0
	for _, r := range a.fiber.GetRoutes(true) {
		if r.Method == http.MethodHead {
			continue
		}
		n++
		if _, ok := a.policies[r.Method+" "+r.Path]; !ok {
			t.Errorf("route %s %s has no access policy", r.Method, r.Path)
		}
	}
	if n < 15 {
		t.Errorf("only %d routes found", n)
	}
}

// TestAccessMatrix calls every route as every role and checks the status.
func TestAccessMatrix(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	roles := []courses.Role{courses.RoleLearner, courses.RoleTrainer, courses.RoleAssociationAdmin, courses.RoleAdmin}
	tokens := map[courses.Role]string{}
	for _, r := range roles {
		createTestUser(t, a, string(r)+"@example.nl", r)
		_, tokens[r] = apiToken(t, a, string(r)+"@example.nl", testPassword)
	}
	type want map[string]int // "anonymous" or a role → status
	ok := func(s int) want {
		return want{"anonymous": s, "learner": s, "trainer": s, "association-admin": s, "admin": s}
	}
	adminOnly := func(s int) want {
		return want{"anonymous": 401, "learner": 403, "trainer": 403, "association-admin": 403, "admin": s}
	}
	trainerOnly := func(s int) want {
		return want{"anonymous": 401, "learner": 403, "trainer": s, "association-admin": 403, "admin": s}
	}
	signed := func(s int) want {
		return want{"anonymous": 401, "learner": s, "trainer": s, "association-admin": s, "admin": s}
	}
	matrix := map[string]want{
		"GET /healthz": ok(200), "GET /readyz": ok(200), "GET /static/*": ok(404), "GET /favicon.ico": ok(301),
		"GET /robots.txt": ok(200), "GET /": ok(200), "GET /cursussen": ok(200), "GET /cursussen/:slug": ok(200),
		"GET /taal": ok(303), "GET /toegankelijkheid": ok(200), "GET /inloggen": {"anonymous": 200, "learner": 303, "trainer": 303, "association-admin": 303, "admin": 303},
		// Without the form's CSRF token anonymous posts are refused; bearer
		// callers carry no cookies (no CSRF) but send no credentials either.
		"POST /inloggen":  {"anonymous": 400, "learner": 401, "trainer": 401, "association-admin": 401, "admin": 401},
		"POST /uitloggen": signed(303), "GET /account": signed(200), "POST /account/overal-uitloggen": signed(303),
		"GET /inloggen/code": ok(303), "POST /inloggen/code": {"anonymous": 400, "learner": 303, "trainer": 303, "association-admin": 303, "admin": 303},
		"GET /account/tweestaps": signed(200), "POST /account/email": signed(400), "POST /account/wachtwoord": signed(400),
		"POST /account/verwijderen": signed(400), "POST /account/gegevens": signed(400), "GET /account/mijn-gegevens.json": signed(200),
		"POST /account/api-tokens":               {"anonymous": 401, "learner": 403, "trainer": 403, "association-admin": 400, "admin": 400},
		"POST /account/api-tokens/:id/intrekken": signed(404),
		"POST /account/tweestaps":                {"anonymous": 401, "learner": 400, "trainer": 400, "association-admin": 303, "admin": 303}, "POST /account/tweestaps/uit": signed(400),
		"GET /beheer/audit": adminOnly(200), "GET /beheer/gebruikers": adminOnly(200), "POST /beheer/gebruikers": adminOnly(400),
		"POST /beheer/gebruikers/:id/deactiveren": adminOnly(404), "POST /beheer/gebruikers/:id/activeren": adminOnly(404),
		"GET /vereniging/:slug/leden":        {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 200},
		"POST /vereniging/:slug/leden":       {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 400},
		"POST /vereniging/:slug/leden/lijst": {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 400},
		"POST /beheer/gebruikers/:id/rol":    adminOnly(400), "GET /beheer/verenigingen": adminOnly(200), "POST /beheer/verenigingen": adminOnly(400),
		"POST /account/ambten": signed(400), "POST /account/ambten/:office/verwijderen": signed(404),
		"GET /beheer/gebruikers/:id": adminOnly(404), "POST /beheer/gebruikers/:id/naam": adminOnly(404),
		"POST /beheer/gebruikers/:id/ambten": adminOnly(404), "POST /beheer/gebruikers/:id/ambten/:office/verwijderen": adminOnly(404),
		"GET /beheer/post": adminOnly(200), "GET /beheer/post/:id": adminOnly(404),
		"GET /wachtwoord-vergeten": ok(200), "POST /wachtwoord-vergeten": ok(400),
		"GET /wachtwoord-herstellen/:token": ok(404), "GET /uitnodiging/:token": ok(404),
		"POST /wachtwoord-herstellen/:token": {"anonymous": 400, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 404},
		"POST /uitnodiging/:token":           {"anonymous": 400, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 404},
		"GET /api/openapi.json":              ok(200), "POST /api/v1/auth/token": ok(400), "GET /api/v1/me": signed(200),
		"GET /api/v1/courses": ok(200), "GET /api/v1/courses/:slug": ok(200),
		// Learning: activities that do not exist are 404 whether or not the
		// caller is enrolled, so the rows do not depend on their order.
		"POST /cursussen/:slug/inschrijven": signed(303), "GET /leren/:slug": signed(303),
		"GET /leren/:slug/:module/:activity": signed(404), "POST /leren/:slug/:module/:activity/gedaan": signed(404),
		"POST /leren/:slug/:module/:activity/toets": signed(404), "GET /cursusbestanden/:version/:name": signed(404),
		"POST /api/v1/courses/:slug/enrolment": signed(201), "GET /api/v1/me/enrolments": signed(200),
		"POST /api/v1/lessons/:id/completion": signed(404), "GET /api/v1/quizzes/:id": signed(404),
		"POST /api/v1/quizzes/:id/attempts":      signed(404),
		"POST /api/v1/enrolments/:id/completion": trainerOnly(404), "DELETE /api/v1/enrolments/:id/completion": adminOnly(404),
		// The learner's dashboard and the learning paths.
		"GET /mijn-leren": signed(200), "GET /leerpaden": ok(200), "GET /leerpaden/:slug": ok(200),
		"POST /leerpaden/:slug/inschrijven": signed(404),
		// Enrolment keys, learners, sessions (trainers of the course and
		// admins): 404 for a course that does not exist. Undoing a
		// completion is for admins, but its route lets trainers through so
		// that other trainers' courses stay 404 (TestEditorOwnership); the
		// handler answers a course's own trainer 403.
		"GET /beheer/cursussen/:slug/sleutels": trainerOnly(404), "POST /beheer/cursussen/:slug/sleutels": trainerOnly(404),
		"POST /beheer/cursussen/:slug/sleutels/:id/intrekken": trainerOnly(404),
		"GET /beheer/cursussen/:slug/cursisten":               trainerOnly(404), "POST /beheer/cursussen/:slug/cursisten": trainerOnly(404),
		"POST /beheer/cursussen/:slug/cursisten/lijst":                              trainerOnly(404),
		"POST /beheer/cursussen/:slug/cursisten/:enrolment/uitschrijven":            trainerOnly(404),
		"POST /beheer/cursussen/:slug/cursisten/:enrolment/voltooien":               trainerOnly(404),
		"POST /beheer/cursussen/:slug/cursisten/:enrolment/voltooiing-intrekken":    trainerOnly(404),
		"GET /beheer/cursussen/:slug/bijeenkomsten/:module/:activity":               trainerOnly(404),
		"POST /beheer/cursussen/:slug/bijeenkomsten/:module/:activity/aanwezigheid": trainerOnly(404),
		// Redeeming a code: an empty code is refused (400).
		"GET /inschrijven": signed(200), "POST /inschrijven": signed(400),
		// Association admins enrol their own members; others do not see the
		// association (404); an admin's empty form is 400.
		"GET /vereniging/:slug/inschrijven":  {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 200},
		"POST /vereniging/:slug/inschrijven": {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 400},
		// A learner leaves a course they follow: nobody follows bestaat-niet.
		"POST /leren/:slug/uitschrijven": signed(404),
		// Session registration: activities that do not exist are 404.
		"GET /leren/:slug/:module/:activity/aanmelden": signed(404), "POST /leren/:slug/:module/:activity/aanmelden": signed(404),
		"POST /leren/:slug/:module/:activity/afmelden": signed(404),
		// Calendars: the public feed of a session that does not exist; the
		// learner's calendar link page, making a link (shown once: 200) and
		// stopping it; an unknown feed token.
		"GET /cursussen/:slug/bijeenkomsten/:module/:activity.ics": ok(404),
		"GET /agenda": signed(200), "POST /agenda": signed(200), "POST /agenda/intrekken": signed(303),
		"GET /agenda/:token.ics": ok(404),
		// The editor: trainers and admins; a course the caller may not edit
		// (here: one that does not exist) is 404.
		"GET /beheer/cursussen": trainerOnly(200), "POST /beheer/cursussen": trainerOnly(400),
		"POST /beheer/markdown-voorbeeld": trainerOnly(200), "GET /beheer/cursussen/:slug": trainerOnly(404),
		"POST /beheer/cursussen/:slug/concept": trainerOnly(404), "POST /beheer/cursussen/:slug/concept-weggooien": trainerOnly(404),
		"POST /beheer/cursussen/:slug/publiceren": trainerOnly(404), "POST /beheer/cursussen/:slug/cursisten-overzetten": trainerOnly(404),
		"POST /beheer/cursussen/:slug/gegevens": trainerOnly(404), "POST /beheer/cursussen/:slug/modules/:id": trainerOnly(404),
		"POST /beheer/cursussen/:slug/modules/:id/verwijderen": trainerOnly(404), "POST /beheer/cursussen/:slug/modules/:id/verplaatsen": trainerOnly(404),
		"GET /beheer/cursussen/:slug/modules/:id/nieuw": trainerOnly(404), "POST /beheer/cursussen/:slug/modules/:id/nieuw": trainerOnly(404),
		"GET /beheer/cursussen/:slug/activiteiten/:id": trainerOnly(404), "POST /beheer/cursussen/:slug/activiteiten/:id": trainerOnly(404),
		"POST /beheer/cursussen/:slug/activiteiten/:id/verwijderen": trainerOnly(404), "POST /beheer/cursussen/:slug/activiteiten/:id/verplaatsen": trainerOnly(404),
		"POST /beheer/cursussen/:slug/bestanden": trainerOnly(404), "POST /beheer/cursussen/:slug/bestanden/verwijderen": trainerOnly(404),
		"POST /beheer/cursussen/:slug/eigenaren": trainerOnly(404), "POST /beheer/cursussen/:slug/eigenaren/:id/verwijderen": trainerOnly(404),
		"GET /beheer/cursussen/:slug/voorbeeld/:module/:activity": trainerOnly(404),
		// Certificates: verification is public (an unknown number is 404);
		// downloads are for the holder and admins (404 for anyone else, as
		// for a number that does not exist); revocation and re-issue are for
		// admins, and a reason is required (400); associations' exports are
		// for their admins (an admin without a period: 400).
		"GET /verifieer": ok(200), "GET /verifieer/:nummer": ok(404), "GET /api/v1/verify/:nummer": ok(404),
		"GET /.well-known/jwks.json":           ok(200),
		"GET /api/v1/certificates/:nummer.pdf": signed(404), "GET /api/v1/certificates/:nummer/credential": signed(404),
		"POST /api/v1/certificates/:nummer/revocation": adminOnly(400), "POST /api/v1/certificates/:nummer/reissue": adminOnly(400),
		"GET /beheer/certificaten": adminOnly(200), "GET /beheer/certificaten/:nummer": adminOnly(404),
		"POST /beheer/certificaten/:nummer/intrekken": adminOnly(404), "POST /beheer/certificaten/:nummer/opnieuw": adminOnly(404),
		"GET /vereniging/:slug/certificaten":     {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 200},
		"GET /vereniging/:slug/certificaten.zip": {"anonymous": 401, "learner": 404, "trainer": 404, "association-admin": 404, "admin": 400},
		// Statistics: an association's admins (here: another association's,
		// who get 404) and admins; the platform's for admins; a member's
		// consent (an association that does not exist: 404).
		"GET /vereniging/:slug/statistiek":     {"anonymous": 401, "learner": 403, "trainer": 403, "association-admin": 404, "admin": 200},
		"GET /vereniging/:slug/voortgang":      {"anonymous": 401, "learner": 403, "trainer": 403, "association-admin": 404, "admin": 200},
		"GET /api/v1/associations/:slug/stats": {"anonymous": 401, "learner": 403, "trainer": 403, "association-admin": 404, "admin": 200},
		"GET /beheer/statistiek":               adminOnly(200),
		"POST /account/voortgang-delen":        signed(404),
	}
	paths := map[string]string{"/static/*": "/static/nope.css", "/cursussen/:slug": "/cursussen/nieuw-in-de-raad",
		"/api/v1/courses/:slug": "/api/v1/courses/nieuw-in-de-raad", "/taal": "/taal?lang=nl",
		"/beheer/gebruikers/:id/deactiveren": "/beheer/gebruikers/999999/deactiveren", "/beheer/gebruikers/:id/activeren": "/beheer/gebruikers/999999/activeren",
		"/beheer/post/:id": "/beheer/post/999999", "/account/ambten/:office/verwijderen": "/account/ambten/999999/verwijderen",
		"/beheer/gebruikers/:id": "/beheer/gebruikers/999999", "/beheer/gebruikers/:id/naam": "/beheer/gebruikers/999999/naam",
		"/beheer/gebruikers/:id/ambten": "/beheer/gebruikers/999999/ambten", "/beheer/gebruikers/:id/ambten/:office/verwijderen": "/beheer/gebruikers/999999/ambten/1/verwijderen", "/vereniging/:slug/leden": "/vereniging/nvvr/leden", "/vereniging/:slug/leden/lijst": "/vereniging/nvvr/leden/lijst",
		"/account/api-tokens/:id/intrekken": "/account/api-tokens/999999/intrekken", "/beheer/gebruikers/:id/rol": "/beheer/gebruikers/999999/rol", "/wachtwoord-herstellen/:token": "/wachtwoord-herstellen/onzin", "/uitnodiging/:token": "/uitnodiging/onzin",
		"/cursussen/:slug/inschrijven": "/cursussen/nieuw-in-de-raad/inschrijven", "/leren/:slug": "/leren/nieuw-in-de-raad",
		"/leren/:slug/:module/:activity": "/leren/nieuw-in-de-raad/x/y", "/leren/:slug/:module/:activity/gedaan": "/leren/nieuw-in-de-raad/x/y/gedaan",
		"/leren/:slug/:module/:activity/toets": "/leren/nieuw-in-de-raad/x/y/toets", "/cursusbestanden/:version/:name": "/cursusbestanden/1/nope.png",
		"/api/v1/courses/:slug/enrolment": "/api/v1/courses/begroting-lezen-en-beinvloeden/enrolment",
		"/api/v1/lessons/:id/completion":  "/api/v1/lessons/999999/completion", "/api/v1/quizzes/:id": "/api/v1/quizzes/999999",
		"/api/v1/quizzes/:id/attempts": "/api/v1/quizzes/999999/attempts", "/api/v1/enrolments/:id/completion": "/api/v1/enrolments/999999/completion",
		"/leerpaden/:slug": "/leerpaden/inwerkprogramma-raadsleden-2026", "/leerpaden/:slug/inschrijven": "/leerpaden/bestaat-niet/inschrijven",
		"/beheer/cursussen/:slug/sleutels":                                     "/beheer/cursussen/bestaat-niet/sleutels",
		"/beheer/cursussen/:slug/sleutels/:id/intrekken":                       "/beheer/cursussen/bestaat-niet/sleutels/999999/intrekken",
		"/beheer/cursussen/:slug/cursisten":                                    "/beheer/cursussen/bestaat-niet/cursisten",
		"/beheer/cursussen/:slug/cursisten/lijst":                              "/beheer/cursussen/bestaat-niet/cursisten/lijst",
		"/beheer/cursussen/:slug/cursisten/:enrolment/uitschrijven":            "/beheer/cursussen/bestaat-niet/cursisten/999999/uitschrijven",
		"/beheer/cursussen/:slug/cursisten/:enrolment/voltooien":               "/beheer/cursussen/bestaat-niet/cursisten/999999/voltooien",
		"/beheer/cursussen/:slug/cursisten/:enrolment/voltooiing-intrekken":    "/beheer/cursussen/bestaat-niet/cursisten/999999/voltooiing-intrekken",
		"/beheer/cursussen/:slug/bijeenkomsten/:module/:activity":              "/beheer/cursussen/bestaat-niet/bijeenkomsten/x/y",
		"/beheer/cursussen/:slug/bijeenkomsten/:module/:activity/aanwezigheid": "/beheer/cursussen/bestaat-niet/bijeenkomsten/x/y/aanwezigheid",
		"/inschrijven":                                         "/inschrijven",
		"/vereniging/:slug/inschrijven":                        "/vereniging/nvvr/inschrijven",
		"/leren/:slug/uitschrijven":                            "/leren/bestaat-niet/uitschrijven",
		"/leren/:slug/:module/:activity/aanmelden":             "/leren/nieuw-in-de-raad/x/y/aanmelden",
		"/leren/:slug/:module/:activity/afmelden":              "/leren/nieuw-in-de-raad/x/y/afmelden",
		"/cursussen/:slug/bijeenkomsten/:module/:activity.ics": "/cursussen/nieuw-in-de-raad/bijeenkomsten/x/y.ics",
		"/agenda": "/agenda", "/agenda/intrekken": "/agenda/intrekken",
		"/agenda/:token.ics": "/agenda/onzin.ics",
		"/verifieer/:nummer": "/verifieer/RZ-2026-AAAA-AAAA", "/api/v1/verify/:nummer": "/api/v1/verify/RZ-2026-AAAA-AAAA",
		"/api/v1/certificates/:nummer.pdf": "/api/v1/certificates/RZ-2026-AAAA-AAAA.pdf", "/api/v1/certificates/:nummer/credential": "/api/v1/certificates/RZ-2026-AAAA-AAAA/credential",
		"/api/v1/certificates/:nummer/revocation": "/api/v1/certificates/RZ-2026-AAAA-AAAA/revocation", "/api/v1/certificates/:nummer/reissue": "/api/v1/certificates/RZ-2026-AAAA-AAAA/reissue",
		"/beheer/certificaten/:nummer": "/beheer/certificaten/RZ-2026-AAAA-AAAA", "/beheer/certificaten/:nummer/intrekken": "/beheer/certificaten/RZ-2026-AAAA-AAAA/intrekken",
		"/beheer/certificaten/:nummer/opnieuw": "/beheer/certificaten/RZ-2026-AAAA-AAAA/opnieuw",
		"/vereniging/:slug/certificaten":       "/vereniging/nvvr/certificaten", "/vereniging/:slug/certificaten.zip": "/vereniging/nvvr/certificaten.zip",
		"/vereniging/:slug/statistiek": "/vereniging/nvvr/statistiek", "/vereniging/:slug/voortgang": "/vereniging/nvvr/voortgang",
		"/api/v1/associations/:slug/stats": "/api/v1/associations/nvvr/stats"}
	for route := range a.policies {
		if path, ok := strings.CutPrefix(route, "GET "); ok && strings.HasPrefix(path, "/beheer/cursussen/:slug") {
			paths[path] = editorPath(path)
		}
		if path, ok := strings.CutPrefix(route, "POST "); ok && strings.HasPrefix(path, "/beheer/cursussen/:slug") {
			paths[path] = editorPath(path)
		}
	}
	for route, wants := range matrix {
		if _, found := a.policies[route]; !found {
			t.Errorf("matrix names %s, which is not a route", route)
		}
		method, path, _ := strings.Cut(route, " ")
		if p, ok := paths[path]; ok {
			path = p
		}
		for who, status := range wants {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.Header.Set("Accept", "application/json")
			if method == http.MethodPost {
				req.Header.Set("Content-Type", "application/json")
			}
			if who != "anonymous" {
				req.Header.Set("Authorization", "Bearer "+tokens[courses.Role(who)])
			}
			resp, err := a.fiber.Test(req, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != status {
				t.Errorf("%s as %s: got %d, want %d", route, who, resp.StatusCode, status)
			}
		}
		// Sign-out routes revoke the token: get fresh ones for the next rows.
		if strings.Contains(route, "uitloggen") {
			for _, r := range roles {
				_, tokens[r] = apiToken(t, a, string(r)+"@example.nl", testPassword)
			}
		}
	}
	for route := range a.policies {
		if _, found := matrix[route]; !found {
			t.Errorf("route %s is missing from the access matrix", route)
		}
	}
}

// editorPath fills in an editor route for a course that does not exist.
func editorPath(route string) string {
	r := strings.NewReplacer(":slug", "bestaat-niet", ":id", "999999", ":enrolment", "999999", ":module", "x", ":activity", "y")
	return r.Replace(route)
}
