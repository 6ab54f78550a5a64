package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// associationAdmin creates an association admin of slug with two-step
// sign-in and signs them in.
func associationAdmin(t *testing.T, a *application, email, slug string) *client {
	t.Helper()
	hash, _ := hashPassword(testPassword)
	u, err := a.users.CreateUser(context.Background(), &courses.NewUser{Email: email, Name: "Griet de Griffier",
		Role: courses.RoleAssociationAdmin, AdminOf: []string{slug}, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	secret := courses.NewTOTPSecret()
	if err := a.users.BeginTwoFactor(context.Background(), u.ID, secret); err != nil {
		t.Fatal(err)
	}
	if err := a.users.EnableTwoFactor(context.Background(), u.ID, 0, nil); err != nil {
		t.Fatal(err)
	}
	testSecrets[email] = secret
	c := newClient(t, a)
	if resp, _ := c.signIn(email, testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", email, resp.StatusCode)
	}
	return c
}

// upload posts a member list as a browser does.
func (b *client) upload(path, name, content string) (*http.Response, string) {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", b.csrf())
	fw, _ := w.CreateFormFile("bestand", name)
	io.WriteString(fw, content)
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.a.fiber.Test(req, 10_000)
	if err != nil {
		b.t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(out)
}

func TestAssociationMembers(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			ctx := context.Background()
			c := associationAdmin(t, a, "griffie@example.nl", "vvg")
			other := associationAdmin(t, a, "ngb@example.nl", "ngb")
			if resp, _ := other.do(http.MethodGet, "/vereniging/vvg/leden", nil); resp.StatusCode != 404 {
				t.Errorf("another association's admin: %d, want 404", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodGet, "/vereniging/bestaat-niet/leden", nil); resp.StatusCode != 404 {
				t.Errorf("unknown association: %d, want 404", resp.StatusCode)
			}
			_, page := c.do(http.MethodGet, "/vereniging/vvg/leden", nil)
			if !strings.Contains(page, "Vereniging van Griffiers") {
				t.Fatal("member page lacks the association's name")
			}

			// One member, with the municipality by name.
			resp, _ := c.do(http.MethodPost, "/vereniging/vvg/leden", url.Values{"_csrf": {c.csrf()}, "email": {"g@example.nl"},
				"name": {"Gerda"}, "office": {"griffier"}, "municipality": {"Súdwest-Fryslân"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("invite one: %d", resp.StatusCode)
			}
			id := mustUserID(t, a, "g@example.nl")
			u, _ := a.users.UserByID(ctx, id)
			if len(u.Offices) != 1 || u.Offices[0].CBSCode != "GM1900" || len(u.Memberships) != 1 || u.Memberships[0].Association.Slug != "vvg" {
				t.Errorf("invited member: %+v %+v", u.Offices, u.Memberships)
			}

			// A list with bad lines invites nobody and names every line.
			bad := "\uFEFFemail;naam;ambt;gemeente\n" +
				"a@example.nl;Anna Jansen;raadslid;Utrecht\n" +
				"geen-adres;Bram;raadslid;GM0344\n" +
				"c@example.nl;Cas;koning;GM0344\n" +
				"a@example.nl;Anna twee;;\n" +
				"d@example.nl;Dirk;wethouder;Bergen\n" +
				"g@example.nl;Gerda;griffier;GM1900\n"
			resp, page = c.upload("/vereniging/vvg/leden/lijst", "leden.csv", bad)
			for _, want := range []string{
				"leden.csv:3: email: &#34;geen-adres&#34; is geen geldig e-mailadres",
				"leden.csv:4: ambt: &#34;koning&#34; is onbekend",
				"leden.csv:5: email: staat ook op regel 2",
				"leden.csv:6: gemeente: &#34;Bergen&#34; past bij meer gemeenten",
			} {
				if !strings.Contains(page, want) {
					t.Errorf("upload errors lack %q", want)
				}
			}
			if resp.StatusCode != 400 {
				t.Errorf("bad list: %d", resp.StatusCode)
			}
			if n, _ := a.users.CountUsers(ctx); n != 3 {
				t.Fatalf("a bad list left %d users, want 3", n)
			}
			// A list whose only fault is an existing address: found in the database.
			resp, page = c.upload("/vereniging/vvg/leden/lijst", "leden.csv", "email,naam\nnieuw@example.nl,Nieuw\ng@example.nl,Gerda\n")
			if resp.StatusCode != 400 || !strings.Contains(page, "leden.csv:3: email: er bestaat al een account") {
				t.Errorf("existing address: %d", resp.StatusCode)
			}
			if n, _ := a.users.CountUsers(ctx); n != 3 {
				t.Fatalf("a refused list left %d users, want 3", n)
			}

			good := "email;naam;ambt;gemeente\r\n" +
				"a@example.nl;Anna Jansen;raadslid;Utrecht\r\n" +
				"b@example.nl;\"Çelik-van 't Hoff, Ayşe\";wethouder;gm0363\r\n" +
				"e@example.nl;Eva;;\r\n\r\n"
			if resp, page := c.upload("/vereniging/vvg/leden/lijst", "leden.csv", good); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("good list: %d\n%.500s", resp.StatusCode, page)
			}
			if _, page := c.do(http.MethodGet, "/vereniging/vvg/leden?uitgenodigd=3", nil); !strings.Contains(page, "3 uitnodigingen verstuurd") || !strings.Contains(page, "Çelik-van &#39;t Hoff, Ayşe") {
				t.Error("member page after the upload")
			}
			if list, _ := a.outbox.Mails(ctx, 10); len(list) != 4 {
				t.Errorf("%d invitation mails, want 4", len(list))
			}
		})
	}
}

// TestPasswordResetKeepsTheSecondFactor: a reset link alone (one factor,
// from a mailbox) does not open a session for a user with two-step sign-in.
func TestPasswordResetKeepsTheSecondFactor(t *testing.T) {
	a := newTestApp(t, "sqlite")
	createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
	c := newClient(t, a)
	_, page := c.do(http.MethodGet, "/wachtwoord-vergeten", nil)
	c.do(http.MethodPost, "/wachtwoord-vergeten", url.Values{"_csrf": {csrfField.FindStringSubmatch(page)[1]}, "email": {"beheer@example.nl"}})
	link := lastLink(t, a, "beheer@example.nl")
	c.do(http.MethodGet, link, nil)
	pw := "sneeuw-op-het-stadhuis"
	resp, _ := c.do(http.MethodPost, link, url.Values{"_csrf": {c.csrf()}, "password": {pw}, "password2": {pw}})
	if resp.Header.Get("Location") != "/inloggen/code" || c.cookies["rz_access"] != "" {
		t.Fatalf("after the reset: %s, access cookie %q", resp.Header.Get("Location"), c.cookies["rz_access"])
	}
	if resp, _ := c.do(http.MethodPost, "/inloggen/code", url.Values{"_csrf": {c.csrf()}, "code": {nextCode(t, a, "beheer@example.nl")}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("code after the reset: %d", resp.StatusCode)
	}
	if resp, _ := c.do(http.MethodGet, "/beheer/gebruikers", nil); resp.StatusCode != 200 {
		t.Errorf("admin page after reset and code: %d", resp.StatusCode)
	}
}

// TestRolesAndAssociations: an admin changes a role, which holds at the
// user's next request and is audited, and adds an association.
func TestRolesAndAssociations(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			learner := createTestUser(t, a, "leerling@example.nl", courses.RoleLearner)
			c := newClient(t, a)
			c.signIn("beheer@example.nl", testPassword)
			_, token := apiToken(t, a, "leerling@example.nl", testPassword)

			path := "/beheer/gebruikers/" + itoa(int(learner.ID)) + "/rol"
			if resp, _ := c.do(http.MethodPost, path, url.Values{"_csrf": {c.csrf()}, "role": {"koning"}}); resp.StatusCode != 400 {
				t.Errorf("unknown role: %d", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodPost, path, url.Values{"_csrf": {c.csrf()}, "role": {"trainer"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change role: %d", resp.StatusCode)
			}
			req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, _ := a.fiber.Test(req)
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), `"role":"trainer"`) {
				t.Errorf("the role does not hold at once: %s", body)
			}
			events, _ := a.audit.AuditEvents(context.Background(), "user.role_changed", 0, 5)
			if len(events) != 1 || events[0].Detail != "role=trainer" {
				t.Errorf("audit: %+v", events)
			}

			if resp, _ := c.do(http.MethodPost, "/beheer/verenigingen", url.Values{"_csrf": {c.csrf()}, "slug": {"raadsacademie"}, "name": {"Raadsacademie Noord"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add association: %d", resp.StatusCode)
			}
			if resp, page := c.do(http.MethodPost, "/beheer/verenigingen", url.Values{"_csrf": {c.csrf()}, "slug": {"vng"}, "name": {"Nog een VNG"}}); resp.StatusCode != 400 || !strings.Contains(page, "staat dubbel") {
				t.Errorf("taken slug: %d", resp.StatusCode)
			}
			if _, page := c.do(http.MethodGet, "/beheer/verenigingen", nil); !strings.Contains(page, "Raadsacademie Noord") || !strings.Contains(page, "6 verenigingen") {
				t.Error("the new association is not listed")
			}
		})
	}
}
