package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// statsWorld has 14 members of the NVvR and 3 others enrolled in the
// shipped course: 8 in Amsterdam (5 completed), 3 in Groningen (1
// completed), 3 in Súdwest-Fryslân; the others in Amsterdam.
func statsWorld(t *testing.T, a *application) {
	t.Helper()
	ctx := context.Background()
	course, err := a.courses.CourseBySlug(ctx, learnSlug)
	if err != nil {
		t.Fatal(err)
	}
	admin := createTestUser(t, a, "statbeheer@example.nl", courses.RoleTrainer)
	started := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	n := 0
	for _, g := range []struct {
		cbs       string
		members   int
		completed int
		others    int
	}{{"GM0363", 8, 5, 3}, {"GM0014", 3, 1, 0}, {"GM1900", 3, 0, 0}} {
		for i := range g.members + g.others {
			n++
			nu := &courses.NewUser{Email: fmt.Sprintf("raad%d@example.nl", n), Name: fmt.Sprintf("Raadslid %d", n), Role: courses.RoleLearner,
				PasswordHash: "x", Offices: []courses.UserOffice{{Office: courses.Raadslid, CBSCode: g.cbs, StartsOn: &started}}}
			if i < g.members {
				nu.Associations = []string{"nvvr"}
			}
			u, err := a.users.CreateUser(ctx, nu)
			if err != nil {
				t.Fatal(err)
			}
			e, _, err := a.learning.Enrol(ctx, u.ID, course.ID)
			if err != nil {
				t.Fatal(err)
			}
			if i < g.completed {
				if _, _, err := a.learning.CompleteManually(ctx, e.ID, admin.ID, "Afgerond op de inwerkavond"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestAssociationStats: an association's admin sees its members' numbers
// (not the others'), with small groups suppressed, the same in the page,
// the CSV, the workbook and the API; another association's admin sees
// nothing, a learner is refused.
func TestAssociationStats(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			statsWorld(t, a)
			raad := associationAdmin(t, a, "raad@example.nl", "nvvr")
			_, token := apiToken(t, a, "raad@example.nl", testPassword)

			// The API: 14 enrolments, 6 completed; Noord-Holland (8) shown,
			// Groningen and Fryslân (3 each) hidden, which protects both.
			resp, body := apiCall(t, a, token, http.MethodGet, "/api/v1/associations/nvvr/stats?from=2026-01", "")
			if resp.StatusCode != 200 {
				t.Fatalf("stats: %d %s", resp.StatusCode, body)
			}
			checkSchema(t, a, "Stats", body)
			var s apiStats
			if err := json.Unmarshal(body, &s); err != nil {
				t.Fatal(err)
			}
			if s.Total.Enrolled == nil || *s.Total.Enrolled != 14 || s.Total.Completed == nil || *s.Total.Completed != 6 {
				t.Errorf("total: %+v", s.Total)
			}
			byDim := map[string]apiStatsTable{}
			for _, tb := range s.Tables {
				byDim[tb.Dimension] = tb
			}
			prov := map[string]apiStatsCell{}
			for _, r := range byDim["province"].Rows {
				prov[r.Key] = r
			}
			// Noord-Holland: 8 enrolled shown; 5 of them completed, so 3 did
			// not: a group under five, hidden by hiding the completions.
			if nh := prov["Noord-Holland"]; nh.Enrolled == nil || *nh.Enrolled != 8 || nh.Completed != nil || !nh.Suppressed.Completed {
				t.Errorf("Noord-Holland: %+v", nh)
			}
			for _, p := range []string{"Groningen", "Fryslân"} {
				if c := prov[p]; c.Enrolled != nil || !c.Suppressed.Enrolled || c.Completed != nil {
					t.Errorf("%s (3 people) shown: %+v", p, c)
				}
			}
			// With a province: its municipalities.
			resp, body = apiCall(t, a, token, http.MethodGet, "/api/v1/associations/nvvr/stats?from=2026-01&province="+url.QueryEscape("Noord-Holland"), "")
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"dimension":"municipality"`) || !strings.Contains(string(body), `"key":"GM0363","label":"Amsterdam","enrolled":8`) {
				t.Errorf("drill-down: %d %.400s", resp.StatusCode, body)
			}
			// Bad filters name their field.
			resp, body = apiCall(t, a, token, http.MethodGet, "/api/v1/associations/nvvr/stats?from=maart&office=koning", "")
			if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"from"`) || !strings.Contains(string(body), `"field":"office"`) {
				t.Errorf("bad filters: %d %s", resp.StatusCode, body)
			}

			// The page and the downloads hide the same cells.
			resp, page := raad.do(http.MethodGet, "/vereniging/nvvr/statistiek?van=2026-01", nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "&lt;5") || !strings.Contains(page, "<svg") || !strings.Contains(page, `role="img"`) {
				t.Fatalf("page: %d", resp.StatusCode)
			}
			resp, csv := raad.do(http.MethodGet, "/vereniging/nvvr/statistiek?van=2026-01&formaat=csv", nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(csv, "\ufeff") || !strings.Contains(csv, "Per provincie;Groningen;Groningen;<5;<5;–") ||
				!strings.Contains(csv, "Per provincie;Noord-Holland;Noord-Holland;8;") || !strings.Contains(csv, "Per gemeente;GM0363;Amsterdam (Noord-Holland);8;") ||
				!strings.Contains(csv, "Per gemeente;GM0014;Groningen (Groningen);<5;<5;–") {
				t.Errorf("CSV: %d\n%s", resp.StatusCode, csv)
			}
			resp, book := raad.do(http.MethodGet, "/vereniging/nvvr/statistiek?van=2026-01&formaat=xlsx", nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(book, "PK") || !bytes.Contains([]byte(book), []byte("xl/worksheets/sheet")) {
				t.Errorf("workbook: %d %q", resp.StatusCode, book[:min(len(book), 10)])
			}
			resp, csvAPI := apiCall(t, a, token, http.MethodGet, "/api/v1/associations/nvvr/stats?from=2026-01", "", "Accept", "text/csv")
			if resp.StatusCode != 200 || string(csvAPI) != csv {
				t.Errorf("the API's CSV differs from the page's")
			}

			// Others: another association's admin does not see it; a learner
			// is refused.
			createTestUser(t, a, "leerling@example.nl", courses.RoleLearner)
			_, learner := apiToken(t, a, "leerling@example.nl", testPassword)
			if resp, _ := apiCall(t, a, learner, http.MethodGet, "/api/v1/associations/nvvr/stats", ""); resp.StatusCode != 403 {
				t.Errorf("a learner: %d, want 403", resp.StatusCode)
			}
			griffie := associationAdmin(t, a, "griffie@example.nl", "vvg")
			if resp, _ := griffie.do(http.MethodGet, "/vereniging/nvvr/statistiek", nil); resp.StatusCode != 404 {
				t.Errorf("another association's admin: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestProgressConsent: a member's own progress is visible to their
// association only while they allow it.
func TestProgressConsent(t *testing.T) {
	a := newTestApp(t, "sqlite")
	statsWorld(t, a)
	raad := associationAdmin(t, a, "raad@example.nl", "nvvr")
	member := newClient(t, a)
	if resp, _ := member.signIn("raad1@example.nl", testPassword); resp.StatusCode != http.StatusSeeOther {
		// statsWorld's learners have no password: give one.
		hash, _ := hashPassword(testPassword)
		if _, err := a.db.NewRaw("UPDATE users SET password_hash = ? WHERE email = ?", hash, "raad1@example.nl").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		if resp, _ := member.signIn("raad1@example.nl", testPassword); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", resp.StatusCode)
		}
	}
	if _, page := raad.do(http.MethodGet, "/vereniging/nvvr/voortgang", nil); strings.Contains(page, "Raadslid 1<") {
		t.Fatal("a member's progress is shown without consent")
	}
	if resp, _ := learnPost(member, "/account/voortgang-delen", url.Values{"vereniging": {"nvvr"}, "delen": {"ja"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	if _, page := raad.do(http.MethodGet, "/vereniging/nvvr/voortgang", nil); !strings.Contains(page, "Raadslid 1<") || strings.Contains(page, "Raadslid 2<") {
		t.Error("after consent: the member is not listed, or another one is")
	}
	if resp, _ := learnPost(member, "/account/voortgang-delen", url.Values{"vereniging": {"vvg"}, "delen": {"ja"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("consent for an association one is not a member of: %d, want 404", resp.StatusCode)
	}
	if resp, _ := learnPost(member, "/account/voortgang-delen", url.Values{"vereniging": {"nvvr"}, "delen": {"nee"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	if _, page := raad.do(http.MethodGet, "/vereniging/nvvr/voortgang", nil); strings.Contains(page, "Raadslid 1<") {
		t.Error("after withdrawal the member is still listed")
	}
}
