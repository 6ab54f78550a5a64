package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

var patPattern = regexp.MustCompile(`<code class="rz-secret">(rz_pat_[A-Za-z0-9_-]+)</code>`)

func patStatus(t *testing.T, a *application, token, path string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := a.fiber.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPersonalAPITokens(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			c := associationAdmin(t, a, "script@example.nl", "nvvr")
			create := func(name string, scopes ...string) (int, string) {
				form := url.Values{"_csrf": {c.csrf()}, "token_name": {name}, "token_days": {"30"}}
				for _, s := range scopes {
					form.Set("scope_"+strings.ReplaceAll(s, ":", "_"), "ja")
				}
				resp, page := c.do(http.MethodPost, "/account/api-tokens", form)
				m := patPattern.FindStringSubmatch(page)
				if m == nil {
					return resp.StatusCode, ""
				}
				return resp.StatusCode, m[1]
			}
			if status, _ := create("x", courses.ScopeMe); status != 400 {
				t.Errorf("too short a name: %d", status)
			}
			if status, _ := create("Zonder rechten"); status != 400 {
				t.Errorf("no scopes: %d", status)
			}
			status, me := create("Ledenscript", courses.ScopeMe)
			if status != 200 || me == "" {
				t.Fatalf("create: %d", status)
			}
			_, courseOnly := create("Catalogus", courses.ScopeCourses)
			if _, page := c.do(http.MethodGet, "/account", nil); strings.Contains(page, me) {
				t.Error("the secret is shown again")
			}

			tests := []struct {
				name, token, path string
				want              int
			}{
				{"scope held", me, "/api/v1/me", 200},
				{"scope missing", courseOnly, "/api/v1/me", 403},
				{"public route", courseOnly, "/api/v1/courses", 200},
				{"a page without a scope", me, "/account", 403},
				{"unknown token", "rz_pat_" + strings.Repeat("a", 43), "/api/v1/me", 401},
			}
			for _, tt := range tests {
				if got := patStatus(t, a, tt.token, tt.path); got != tt.want {
					t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
				}
			}

			tokens, _ := a.apiTokens.APITokens(t.Context(), mustUserID(t, a, "script@example.nl"))
			if len(tokens) != 2 || tokens[1].LastUsedAt == nil {
				t.Fatalf("tokens: %+v", tokens)
			}
			// Another user cannot revoke it; its owner can, and it stops at once.
			other := associationAdmin(t, a, "ander@example.nl", "vng")
			if resp, _ := other.do(http.MethodPost, "/account/api-tokens/"+itoa(int(tokens[1].ID))+"/intrekken", url.Values{"_csrf": {other.csrf()}}); resp.StatusCode != 404 {
				t.Errorf("revoking another's token: %d, want 404", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodPost, "/account/api-tokens/"+itoa(int(tokens[1].ID))+"/intrekken", url.Values{"_csrf": {c.csrf()}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			if got := patStatus(t, a, me, "/api/v1/me"); got != 401 {
				t.Errorf("revoked token: %d, want 401", got)
			}

			learner := newClient(t, a)
			createTestUser(t, a, "leerling@example.nl", courses.RoleLearner)
			learner.signIn("leerling@example.nl", testPassword)
			if resp, _ := learner.do(http.MethodPost, "/account/api-tokens", url.Values{"_csrf": {learner.csrf()}, "token_name": {"Mijn script"}, "scope_me_read": {"ja"}}); resp.StatusCode != 403 {
				t.Errorf("a learner creating a token: %d, want 403", resp.StatusCode)
			}
		})
	}
}
