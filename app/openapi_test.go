package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/raadzaam/raadzaam/courses"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/db"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

type openapiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

var paramPattern = regexp.MustCompile(`:([a-zA-Z_]+)`)

// TestOpenAPIMatchesRoutes checks both ways that every /api/ route is in the
// OpenAPI document and every documented operation has a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	var doc openapiDoc
	if err := json.Unmarshal(a.openapi, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi version: got %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var routed []string
	for _, r := range a.fiber.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodHead {
			continue
		}
		routed = append(routed, r.Method+" "+paramPattern.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(documented)
	slices.Sort(routed)
	routed = slices.Compact(routed)
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) {
			t.Errorf("openapi.json documents %s, but there is no such route", d)
		}
	}
	if len(routed) == 0 {
		t.Error("no API routes found")
	}
}

// TestAPIResponsesMatchSchemas validates real responses against the
// schemas of the OpenAPI document (JSON Schema 2020-12).
func TestAPIResponsesMatchSchemas(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(a.openapi))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	createTestUser(t, a, "cursist@example.nl", courses.RoleLearner)
	_, token := apiToken(t, a, "cursist@example.nl", testPassword)
	course, err := a.courses.CourseBySlug(context.Background(), "nieuw-in-de-raad")
	if err != nil {
		t.Fatal(err)
	}
	var lesson, quiz *courses.Activity
	for _, st := range course.Activities() {
		if st.Activity.Kind == courses.KindLesson && lesson == nil {
			lesson = st.Activity
		}
		if st.Activity.Kind == courses.KindQuiz {
			quiz = st.Activity
		}
	}
	var answers []string
	for _, q := range quiz.Quiz.Questions {
		answers = append(answers, fmt.Sprintf(`{"question":%d,"options":[%d]}`, q.ID, q.Options[0].ID))
	}
	attempt := `{"answers":[` + strings.Join(answers, ",") + `]}`
	tests := []struct {
		method, path, body, schema string
		status                     int
	}{
		{"POST", "/api/v1/courses/nieuw-in-de-raad/enrolment", "", "Enrolment", 201},
		{"POST", "/api/v1/courses/nieuw-in-de-raad/enrolment", "", "Enrolment", 200},
		{"POST", fmt.Sprintf("/api/v1/lessons/%d/completion", lesson.ID), "", "Completion", 200},
		{"GET", "/api/v1/me/enrolments", "", "EnrolmentList", 200},
		{"GET", fmt.Sprintf("/api/v1/quizzes/%d", quiz.ID), "", "Quiz", 200},
		{"POST", fmt.Sprintf("/api/v1/quizzes/%d/attempts", quiz.ID), attempt, "Attempt", 201},
		{"POST", fmt.Sprintf("/api/v1/quizzes/%d/attempts", quiz.ID), `{"answers":[]}`, "Error", 400},
		{"POST", fmt.Sprintf("/api/v1/lessons/%d/completion", quiz.ID), "", "Error", 404},
	}
	for _, get := range []struct {
		path, schema string
		status       int
	}{
		{"/api/v1/courses", "CourseList", 200},
		{"/api/v1/courses?office=griffier", "CourseList", 200},
		{"/api/v1/courses/nieuw-in-de-raad", "CourseDetail", 200},
		{"/api/v1/courses/bestaat-niet", "Error", 404},
		{"/api/v1/courses?office=koning", "Error", 400},
	} {
		tests = append(tests, struct {
			method, path, body, schema string
			status                     int
		}{"GET", get.path, "", get.schema, get.status})
	}
	for _, tt := range tests {
		sch, err := c.Compile("openapi.json#/components/schemas/" + tt.schema)
		if err != nil {
			t.Fatalf("compile %s: %v", tt.schema, err)
		}
		req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		if strings.Contains(tt.path, "enrolment") || strings.Contains(tt.path, "lessons") || strings.Contains(tt.path, "quizzes") {
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := a.fiber.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status got %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s does not match %s: %v", tt.path, tt.schema, err)
		}
	}
}
