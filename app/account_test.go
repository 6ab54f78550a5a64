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

// TestOffices: a councillor adds the office of a new term with municipality
// (by name) and dates, bad input is named per field, an office is removed;
// an admin edits another user's offices and name; nobody removes another
// user's office through their own account.
func TestOffices(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			zoe := createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
			c := newClient(t, a)
			c.signIn("zoe@example.nl", testPassword)
			add := func(cl *client, path string, form url.Values) (*http.Response, string) {
				form.Set("_csrf", cl.csrf())
				return cl.do(http.MethodPost, path, form)
			}
			resp, page := add(c, "/account/ambten", url.Values{"office": {"raadslid"}, "municipality": {"Bergen"}, "starts_on": {"2026-04-02"}, "ends_on": {"2026-13-01"}})
			if resp.StatusCode != 400 || !strings.Contains(page, "past bij meer gemeenten") || !strings.Contains(page, "is geen datum") {
				t.Errorf("bad office: %d", resp.StatusCode)
			}
			if resp, page := add(c, "/account/ambten", url.Values{"office": {"raadslid"}, "starts_on": {"2030-01-01"}, "ends_on": {"2026-01-01"}}); resp.StatusCode != 400 || !strings.Contains(page, "het einde ligt vóór het begin") {
				t.Errorf("end before start: %d", resp.StatusCode)
			}
			if resp, _ := add(c, "/account/ambten", url.Values{"office": {"raadslid"}, "municipality": {"'s-Hertogenbosch"}, "starts_on": {"2026-04-02"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add office: %d", resp.StatusCode)
			}
			u, _ := a.users.UserByID(context.Background(), zoe.ID)
			if len(u.Offices) != 1 || u.Offices[0].CBSCode != "GM0796" || u.Offices[0].StartsOn.Format("2006-01-02") != "2026-04-02" {
				t.Fatalf("offices: %+v", u.Offices)
			}
			if _, page := c.do(http.MethodGet, "/account", nil); !strings.Contains(page, "Raadslid, &#39;s-Hertogenbosch · van 2 april 2026") {
				t.Error("account page does not show the office with its term")
			}

			// An admin adds an office to Zoë and corrects her name.
			createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			admin := newClient(t, a)
			admin.signIn("beheer@example.nl", testPassword)
			base := "/beheer/gebruikers/" + itoa(int(zoe.ID))
			if resp, _ := add(admin, base+"/ambten", url.Values{"office": {"commissielid"}, "municipality": {"GM0363"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin adds an office: %d", resp.StatusCode)
			}
			if resp, _ := add(admin, base+"/naam", url.Values{"name": {"Zoë Łukasiewicz-Dijkstra"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin renames: %d", resp.StatusCode)
			}
			u, _ = a.users.UserByID(context.Background(), zoe.ID)
			if len(u.Offices) != 2 || u.Name != "Zoë Łukasiewicz-Dijkstra" {
				t.Fatalf("after the admin: %+v %q", u.Offices, u.Name)
			}

			// Another user cannot remove Zoë's office through their own account.
			createTestUser(t, a, "ander@example.nl", courses.RoleLearner)
			other := newClient(t, a)
			other.signIn("ander@example.nl", testPassword)
			if resp, _ := add(other, "/account/ambten/"+itoa(int(u.Offices[0].ID))+"/verwijderen", url.Values{}); resp.StatusCode != 404 {
				t.Errorf("removing another's office: %d, want 404", resp.StatusCode)
			}
			if resp, _ := add(c, "/account/ambten/"+itoa(int(u.Offices[0].ID))+"/verwijderen", url.Values{}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("removing her own office: %d", resp.StatusCode)
			}
			if u, _ = a.users.UserByID(context.Background(), zoe.ID); len(u.Offices) != 1 {
				t.Errorf("offices after removal: %+v", u.Offices)
			}
		})
	}
}
