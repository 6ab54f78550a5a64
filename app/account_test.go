package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

func TestAccountPage(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
			createTestUser(t, a, "bezet@example.nl", courses.RoleLearner)
			c := newClient(t, a)
			c.signIn("zoe@example.nl", testPassword)
			other := newClient(t, a)
			other.signIn("zoe@example.nl", testPassword)
			post := func(path string, form url.Values) (*http.Response, string) {
				form.Set("_csrf", c.csrf())
				return c.do(http.MethodPost, path, form)
			}

			// Name and language.
			if resp, page := post("/account/gegevens", url.Values{"name": {" "}, "language": {"nl"}}); resp.StatusCode != 400 || !strings.Contains(page, "is verplicht") {
				t.Errorf("empty name: %d", resp.StatusCode)
			}
			if resp, _ := post("/account/gegevens", url.Values{"name": {"Zoë  Łukasiewicz-de Wit"}, "language": {"en"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save profile: %d", resp.StatusCode)
			}
			if _, page := c.do(http.MethodGet, "/account?opgeslagen=gegevens", nil); !strings.Contains(page, `value="Zoë Łukasiewicz-de Wit"`) || !strings.Contains(page, "Your details have been saved") {
				t.Errorf("profile not saved or language not switched:\n%.300s", page)
			}

			// E-mail address: the current password first; a taken address is named.
			if resp, page := post("/account/email", url.Values{"email": {"nieuw@example.nl"}, "email_password": {"fout"}}); resp.StatusCode != 400 || !strings.Contains(page, "the password is not right") {
				t.Errorf("email with a wrong password: %d", resp.StatusCode)
			}
			if resp, page := post("/account/email", url.Values{"email": {"bezet@example.nl"}, "email_password": {testPassword}}); resp.StatusCode != 400 || !strings.Contains(page, "exists already") {
				t.Errorf("taken email: %d", resp.StatusCode)
			}
			if resp, _ := post("/account/email", url.Values{"email": {"Nieuw@Example.nl"}, "email_password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change email: %d", resp.StatusCode)
			}

			// Password: the other session ends, this one stays.
			if resp, page := post("/account/wachtwoord", url.Values{"current_password": {testPassword}, "new_password": {"welkom2026"}, "new_password2": {"welkom2026"}}); resp.StatusCode != 400 || !strings.Contains(page, "common") {
				t.Errorf("common new password: %d", resp.StatusCode)
			}
			if resp, _ := post("/account/wachtwoord", url.Values{"current_password": {testPassword}, "new_password": {"herfstblad-op-de-stoep"}, "new_password2": {"herfstblad-op-de-stoep"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change password: %d", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodGet, "/account", nil); resp.StatusCode != 200 {
				t.Errorf("this session after the password change: %d", resp.StatusCode)
			}
			if resp, _ := other.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the other session after the password change: %d", resp.StatusCode)
			}

			// Export: everything about me, no secrets.
			resp, body := c.do(http.MethodGet, "/account/mijn-gegevens.json", nil)
			var export dataExport
			if err := json.Unmarshal([]byte(body), &export); err != nil || resp.StatusCode != 200 {
				t.Fatalf("export: %d %v", resp.StatusCode, err)
			}
			if export.Account.Email != "nieuw@example.nl" || export.Account.Name != "Zoë Łukasiewicz-de Wit" || len(export.Activity) == 0 {
				t.Errorf("export: %+v", export.Account)
			}
			if strings.Contains(body, "argon2id") || strings.Contains(body, "password_hash") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Error("export holds the password hash or is not a download")
			}

			// Delete: confirmation and password; afterwards the account is gone.
			if resp, _ := post("/account/verwijderen", url.Values{"delete_password": {"herfstblad-op-de-stoep"}}); resp.StatusCode != 400 {
				t.Errorf("delete without confirmation: %d", resp.StatusCode)
			}
			if resp, _ := post("/account/verwijderen", url.Values{"confirm": {"ja"}, "delete_password": {"herfstblad-op-de-stoep"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete: %d", resp.StatusCode)
			}
			if _, _, _, err := a.users.Credentials(context.Background(), "nieuw@example.nl"); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("account still there: %v", err)
			}
			events, _ := a.audit.AuditEvents(context.Background(), "account.deleted", 0, 5)
			if len(events) != 1 || events[0].ActorID != 0 {
				t.Errorf("audit of the deletion: %+v", events)
			}
		})
	}
}

// TestAdminCannotDeleteThemselves keeps the last admin from vanishing.
func TestAdminCannotDeleteThemselves(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
	c := newClient(t, a)
	c.signIn("beheer@example.nl", testPassword)
	if resp, _ := c.do(http.MethodPost, "/account/verwijderen", url.Values{"_csrf": {c.csrf()}, "confirm": {"ja"}, "delete_password": {testPassword}}); resp.StatusCode != 400 {
		t.Errorf("admin deleting themselves: %d, want 400", resp.StatusCode)
	}
}
