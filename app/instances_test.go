package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// TestTwoInstances runs two real servers on one PostgreSQL database, as
// Raadzaam runs on Fly: a session made on one works on the other, signing
// out on one ends it on the other, and failed sign-ins on both count
// toward the same limit.
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: starts two servers")
	}
	dsn := dbtest.NewDSN(t, db.Postgres)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := func() map[string]string {
		return map[string]string{"DATABASE_URL": dsn, "RAADZAAM_DATA": t.TempDir(), "RAADZAAM_DEMO": "off",
			"RAADZAAM_SESSION_KEYS": "k1:" + base64.StdEncoding.EncodeToString(secret)}
	}
	first := startServerEnv(t, env())
	second := startServerEnv(t, env())

	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	hash, _ := hashPassword(testPassword)
	if _, err := db.NewUserService(d).CreateUser(context.Background(), &courses.NewUser{
		Email: "griffier@example.nl", Name: "Gijs van der Griffie", Role: courses.RoleLearner, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(u string, form url.Values) int {
		resp, err := c.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	csrf := func(base string) string {
		_, page := get(base + "/inloggen")
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF field on %s/inloggen", base)
		}
		return m[1]
	}

	if s := post(first+"/inloggen", url.Values{"_csrf": {csrf(first)}, "email": {"griffier@example.nl"}, "password": {testPassword}}); s != http.StatusSeeOther {
		t.Fatalf("sign in on the first instance: %d", s)
	}
	if s, page := get(second + "/account"); s != 200 || !strings.Contains(page, "Gijs van der Griffie") {
		t.Fatalf("the session made on the first instance, on the second: %d", s)
	}
	_, page := get(second + "/account")
	token := csrfField.FindStringSubmatch(page)[1]
	if s := post(second+"/uitloggen", url.Values{"_csrf": {token}}); s != http.StatusSeeOther {
		t.Fatalf("sign out on the second instance: %d", s)
	}
	// Replay the first instance's cookie: the session is over there too.
	if s, _ := get(first + "/account"); s != http.StatusSeeOther {
		t.Errorf("after signing out on the second instance, the first: %d, want a redirect to sign in", s)
	}

	// Failures alternate between instances; the shared count locks the
	// account after accountLimit.Free of them, wherever they happened.
	for i := 0; i <= accountLimit.Free; i++ {
		base := []string{first, second}[i%2]
		if s := post(base+"/inloggen", url.Values{"_csrf": {csrf(base)}, "email": {"griffier@example.nl"}, "password": {"fout"}}); s != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, s)
		}
	}
	if s := post(first+"/inloggen", url.Values{"_csrf": {csrf(first)}, "email": {"griffier@example.nl"}, "password": {testPassword}}); s != http.StatusTooManyRequests {
		t.Errorf("right password after %d failures spread over two instances: %d, want 429", accountLimit.Free+1, s)
	}
}
