package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// TestJourneyInviteAcceptTwoFactor follows an invitation from start to end
// in Chromium, typing as a person does: an admin signs in with two steps and
// invites an association admin, who accepts, must set up two-step sign-in,
// and then signs in once with a recovery code and once with a fresh TOTP
// code. The admin part runs at desktop width, the invitee's at phone width;
// axe checks every page the invitee sees. newBrowser bounds the whole test
// at browserTestTimeout, which leaves room for the one wait for a new TOTP
// step (at most 30 s).
func TestJourneyInviteAcceptTwoFactor(t *testing.T) {
	browser := newBrowser(t)
	env := testEnv(t, db.SQLite, map[string]string{"RAADZAAM_DEMO": "on"})
	base := startServerEnv(t, env)
	axeSource := readAxe(t)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	nl := cat.Locale("nl")

	// Demo mode gives its accounts random passwords, so the admin is added
	// here, once the server has migrated the database.
	const adminEmail = "beheer@example.nl"
	adminSecret := createJourneyAdmin(t, env["DATABASE_URL"], adminEmail)
	const (
		name     = "Ayşe Çelik-van 't Hoff"
		email    = "ayse@example.nl"
		password = "zomeravond-in-de-raadzaal"
	)

	tab := newTab(t, browser)
	viewport(t, tab, 1280, 900)
	// What one step reads from a page and a later step needs.
	var (
		link          string   // the invitation link from the mail
		secret        string   // the invitee's TOTP secret, from the setup page
		enabledStep   int64    // the TOTP step of the code that switched it on
		recoveryCodes []string // shown once, right after
	)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"admin-signs-in", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inloggen", http.StatusOK)
			submit(t, tab, http.StatusOK, "/inloggen/code",
				chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			checkAxe(t, tab, axeSource)
			code, _ := totpCodeAfter(t, tab, adminSecret, 0)
			submit(t, tab, http.StatusOK, "/mijn-leren", chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter))
		}},
		{"admin-invites", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/beheer/gebruikers", chromedp.Click(chromedp.CSS(`nav.rz-nav a[href="/beheer/gebruikers"]`)))
			if err := chromedp.Do(tab,
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#name"), name)); err != nil {
				t.Fatalf("type the address and name: %v", err)
			}
			if got := evaluate[string](t, tab, `document.querySelector('#name').value`); got != name {
				t.Fatalf("name field: got %q, want %q", got, name)
			}
			tabTo(t, tab, "select#role", 1)
			chooseByKeyboard(t, tab, string(courses.RoleAssociationAdmin))
			tabTo(t, tab, "input#association", 3)
			press(t, tab, "nvvr")
			submit(t, tab, http.StatusOK, "/beheer/gebruikers", chromedp.KeyEvent(kb.Enter))
			got := evaluate[string](t, tab, `(document.querySelector('.utrecht-alert--ok[role=status]') || {textContent: ''}).textContent`)
			if want := nl.T("users.invited", "email", email); !strings.Contains(got, want) {
				t.Fatalf("confirmation: got %q, want it to contain %q", got, want)
			}
		}},
		{"admin-reads-the-mail", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/beheer/post", chromedp.Click(chromedp.CSS(`.utrecht-alert--ok a[href="/beheer/post"]`)))
			if got := evaluate[string](t, tab, `document.querySelector('tbody tr td:nth-child(2)').textContent`); got != email {
				t.Fatalf("newest mail goes to %q, want %q", got, email)
			}
			submit(t, tab, http.StatusOK, "", chromedp.Click(chromedp.CSS(`tbody tr:first-child a[href^="/beheer/post/"]`)))
			link = evaluate[string](t, tab, `(document.querySelector('pre.rz-mail a[href*="/uitnodiging/"]') || {href: ''}).href`)
			if !strings.HasPrefix(link, base+"/uitnodiging/") {
				t.Fatalf("mail text has no invitation link on %s; got %q", base, link)
			}
			// The header's sign-out button, by keyboard.
			tabTo(t, tab, "form.rz-signout button", 15)
			submit(t, tab, http.StatusOK, "/", chromedp.KeyEvent(kb.Enter))
		}},
		{"invitee-accepts", func(t *testing.T) {
			viewport(t, tab, 360, 740)
			submit(t, tab, http.StatusOK, strings.TrimPrefix(link, base), chromedp.Navigate(link))
			if got, want := evaluate[string](t, tab, `document.querySelector('main').innerText`), nl.T("token.invitation.lead", "name", name, "email", email); !strings.Contains(got, want) {
				t.Errorf("invitation page: got %q, want it to contain %q", got, want)
			}
			checkAxe(t, tab, axeSource)
			submit(t, tab, http.StatusOK, "",
				chromedp.SendKeys(chromedp.CSS("#password"), password),
				chromedp.SendKeys(chromedp.CSS("#password2"), password+kb.Enter))
			// The role requires two-step sign-in, so the new account starts
			// at its setup, told why.
			if got := pathOf(t, tab); got != "/account/tweestaps" {
				t.Errorf("after accepting: landed on %s, want /account/tweestaps (the role requires two-step sign-in)", got)
				submit(t, tab, http.StatusOK, "/account/tweestaps", chromedp.Navigate(base+"/account/tweestaps"))
			}
			if got := evaluate[string](t, tab, `document.querySelector('main').innerText`); !strings.Contains(got, "verplicht") {
				t.Errorf("setup page does not say that two-step sign-in is verplicht:\n%s", got)
			}
			checkAxe(t, tab, axeSource)
		}},
		{"invitee-sets-up-two-step", func(t *testing.T) {
			secret = strings.ReplaceAll(evaluate[string](t, tab, `document.querySelector('code.rz-secret').textContent`), " ", "")
			var code string
			code, enabledStep = totpCodeAfter(t, tab, secret, 0)
			submit(t, tab, http.StatusOK, "/account/tweestaps", chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter))
			recoveryCodes = evaluate[[]string](t, tab, `[...document.querySelectorAll('ul.rz-codes code')].map(e => e.textContent)`)
			if len(recoveryCodes) != 10 {
				t.Fatalf("recovery codes: got %d (%q), want 10", len(recoveryCodes), recoveryCodes)
			}
			checkAxe(t, tab, axeSource)
		}},
		{"invitee-account", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/account", chromedp.Click(chromedp.CSS(`main a[href="/account"]`)))
			// The name may be shown as text or as the value of a field to
			// change it; either way, exactly as the admin typed it.
			shown := evaluate[string](t, tab, `document.querySelector('main').innerText + '\n' +
				[...document.querySelectorAll('main input:not([type=hidden])')].map(e => e.value).join('\n')`)
			for _, want := range []string{name, "Raadslid.Nu (NVvR)"} {
				if !strings.Contains(shown, want) {
					t.Errorf("account page lacks %q:\n%s", want, shown)
				}
			}
			checkAxe(t, tab, axeSource)
		}},
		{"invitee-signs-in-with-recovery-code", func(t *testing.T) {
			signOutAndIn(t, tab, email, password)
			submit(t, tab, http.StatusOK, "/mijn-leren", chromedp.SendKeys(chromedp.CSS("#code"), recoveryCodes[0]+kb.Enter))
		}},
		{"invitee-signs-in-with-new-code", func(t *testing.T) {
			signOutAndIn(t, tab, email, password)
			// The code used to switch two-step sign-in on works only once:
			// wait for the app to show the next one.
			code, _ := totpCodeAfter(t, tab, secret, enabledStep)
			submit(t, tab, http.StatusOK, "/mijn-leren", chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter))
		}},
		{"invitee-signs-out", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/", chromedp.Click(chromedp.CSS("form.rz-signout button")))
			submit(t, tab, http.StatusOK, "/inloggen", chromedp.Navigate(base+"/account"))
		}},
	}
	for _, s := range steps {
		// Each step starts where the last one ended, so the journey stops
		// at a step that could not finish (t.Fatal); errors go on.
		finished := false
		t.Run(s.name, func(t *testing.T) { s.run(t); finished = true })
		if !finished {
			return
		}
	}
}

// createJourneyAdmin adds an admin with testPassword and two-step sign-in
// to the server's database and returns the admin's TOTP secret.
func createJourneyAdmin(t *testing.T, dsn, email string) string {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	hash, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	users := db.NewUserService(d)
	u, err := users.CreateUser(ctx, &courses.NewUser{Email: email, Name: "Noor Bakker", Role: courses.RoleAdmin, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	secret := courses.NewTOTPSecret()
	if err := users.BeginTwoFactor(ctx, u.ID, secret); err != nil {
		t.Fatal(err)
	}
	if err := users.EnableTwoFactor(ctx, u.ID, 0, nil); err != nil {
		t.Fatal(err)
	}
	return secret
}

// viewport sets the tab's window size in CSS pixels.
func viewport(t *testing.T, tab context.Context, width, height int64) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatal(err)
	}
}

// submit runs actions that end in a page load (typing and Enter, a click)
// and fails unless the page that loads, after any redirects, has
// wantStatus and, when wantPath is not empty, that path.
func submit(t *testing.T, tab context.Context, wantStatus int64, wantPath string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	from := pathOf(t, tab)
	resp, err := chromedp.RunResponse(tab, actions...)
	if err != nil {
		t.Fatalf("from %s: %v", from, err)
	}
	if resp.Status != wantStatus {
		t.Fatalf("from %s: %s answered %d, want %d; page says: %.300s", from, resp.URL, resp.Status, wantStatus,
			evaluate[string](t, tab, `document.querySelector('main') ? document.querySelector('main').innerText : ''`))
	}
	if got := pathOf(t, tab); wantPath != "" && got != wantPath {
		t.Fatalf("from %s: landed on %s, want %s; page says: %.300s", from, got, wantPath,
			evaluate[string](t, tab, `document.querySelector('main') ? document.querySelector('main').innerText : ''`))
	}
}

// pathOf returns the path of the page in tab.
func pathOf(t *testing.T, tab context.Context) string {
	t.Helper()
	return evaluate[string](t, tab, `location.pathname`)
}

// checkAxe reports the page's WCAG 2.1 A and AA violations as errors.
func checkAxe(t *testing.T, tab context.Context, axeSource string) {
	t.Helper()
	if vs := runAxe(t, tab, axeSource); len(vs) > 0 {
		t.Errorf("axe found %d WCAG 2.1 A/AA violations on %s:%s", len(vs), pathOf(t, tab), formatViolations(vs))
	}
}

// totpCodeAfter returns the code an authenticator app shows now for secret,
// and its step, after waiting, as a person would, until the step is later
// than after: the app accepts each step's code only once.
func totpCodeAfter(t *testing.T, ctx context.Context, secret string, after int64) (string, int64) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for courses.TOTPStep(time.Now()) <= after {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for the TOTP step after %d: %v", after, ctx.Err())
		case <-tick.C:
		}
	}
	step := courses.TOTPStep(time.Now())
	code, err := courses.TOTPCode(secret, step)
	if err != nil {
		t.Fatal(err)
	}
	return code, step
}

// signOutAndIn signs out with the header's button, signs in again with the
// address and password, and stops at the page that asks for the code.
func signOutAndIn(t *testing.T, tab context.Context, email, password string) {
	t.Helper()
	submit(t, tab, http.StatusOK, "/", chromedp.Click(chromedp.CSS("form.rz-signout button")))
	submit(t, tab, http.StatusOK, "/inloggen", chromedp.Click(chromedp.CSS(`nav.rz-nav a[href="/inloggen"]`)))
	submit(t, tab, http.StatusOK, "/inloggen/code",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password+kb.Enter))
}
