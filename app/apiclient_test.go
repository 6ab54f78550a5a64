package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
)

// The tests' ways of using the JSON API: apiCall in process (the app's
// fiber.Test), apiClient against a real server over HTTP (startServerEnv
// or the built binary).

// apiCall sends one request to the in-process app with a bearer token and
// a JSON body, each left out when empty. It asks for JSON unless headers,
// given as name and value pairs, set Accept otherwise, and returns the
// response with its whole body.
func apiCall(t *testing.T, a *application, token, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	if len(headers)%2 != 0 {
		t.Fatalf("apiCall: headers %q are not name and value pairs", headers)
	}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.fiber.Test(req, 30_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, out
}

// apiClient uses the JSON API of a real server, anonymously or signed in
// as a learner. Its methods return errors rather than failing the test, so
// that goroutines can use them; those that take a testing.TB fail it.
type apiClient struct {
	base  string // http://host:port
	http  *http.Client
	email string // who signed in; empty when anonymous
	token string // their access token
}

// newAPIClient returns an anonymous client of the server at base. A
// request may take up to timeout (a hang fails instead of blocking the
// test); the client's own pool keeps up to conns connections alive and is
// closed when the test ends.
func newAPIClient(t testing.TB, base string, timeout time.Duration, conns int) *apiClient {
	hc := &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}}
	t.Cleanup(hc.CloseIdleConnections)
	return &apiClient{base: base, http: hc}
}

// signIn returns a client on the same connections, signed in as email
// with testPassword through POST /api/v1/auth/token.
func (c *apiClient) signIn(ctx context.Context, email string) (*apiClient, error) {
	var tok tokenResponse
	in := map[string]string{"email": email, "password": testPassword}
	if _, err := c.call(ctx, http.MethodPost, "/api/v1/auth/token", in, http.StatusOK, &tok); err != nil {
		return nil, fmt.Errorf("token for %s: %w", email, err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("token for %s: none in the answer", email)
	}
	return &apiClient{base: c.base, http: c.http, email: email, token: tok.AccessToken}, nil
}

// mustSignIn is signIn that fails the test.
func (c *apiClient) mustSignIn(t testing.TB, email string) *apiClient {
	t.Helper()
	l, err := c.signIn(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// request sends one request to path with in, if not nil, as JSON. It asks
// for JSON in Dutch (the fault tests compare translated messages) and
// sends the bearer token when signed in. It returns the response with its
// whole body: no response when there was no answer, the response and the
// error when reading the body failed.
func (c *apiClient) request(ctx context.Context, method, path string, in any) (*http.Response, []byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", "nl")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// call is request that wants status want and decodes the answer into out,
// if not nil. Any other status is an error that names it and the answer.
// It returns the status, 0 when there was no answer.
func (c *apiClient) call(ctx context.Context, method, path string, in any, want int, out any) (int, error) {
	resp, b, err := c.request(ctx, method, path, in)
	if resp == nil {
		return 0, err
	}
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return resp.StatusCode, fmt.Errorf("%s %s: status %d, want %d: %.300s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v: %.300s", method, path, err, b)
		}
	}
	return resp.StatusCode, nil
}

// lessonRef is a lesson as the API names it, with the key its completion
// is stored under.
type lessonRef struct {
	course string
	id     int64
	key    string
}

// completionPath is the API path that marks a lesson done.
func completionPath(id int64) string { return fmt.Sprintf("/api/v1/lessons/%d/completion", id) }

// courseOutline is a published course as the API shows it, with its quiz
// as the shipped course folder has it, right options included.
type courseOutline struct {
	slug, title string
	lessons     []lessonRef // in course order
	activities  int         // of every kind
	quizID      int64       // the first quiz; 0 when there is none
	quizKey     string
	quiz        *courses.Quiz // nil when the shipped folders do not have it
}

// outlines reads the published courses named by slugs, or all of them when
// none is named, through the API, and finds each one's quiz in the shipped
// course folders.
func (c *apiClient) outlines(ctx context.Context, t testing.TB, slugs ...string) []*courseOutline {
	t.Helper()
	if len(slugs) == 0 {
		var list apiCourseList
		if _, err := c.call(ctx, http.MethodGet, "/api/v1/courses", nil, http.StatusOK, &list); err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Courses {
			slugs = append(slugs, s.Slug)
		}
	}
	shipped, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	var outlines []*courseOutline
	for _, slug := range slugs {
		var detail apiCourseDetail
		if _, err := c.call(ctx, http.MethodGet, "/api/v1/courses/"+slug, nil, http.StatusOK, &detail); err != nil {
			t.Fatal(err)
		}
		o := &courseOutline{slug: slug, title: detail.Title}
		for _, m := range detail.Modules {
			for _, act := range m.Activities {
				o.activities++
				key := courses.Key(m.Slug, act.Slug)
				switch {
				case act.Kind == string(courses.KindLesson):
					o.lessons = append(o.lessons, lessonRef{course: slug, id: act.ID, key: key})
				case act.Kind == string(courses.KindQuiz) && o.quizID == 0:
					o.quizID, o.quizKey = act.ID, key
				}
			}
		}
		for _, sc := range shipped {
			if sc.Slug != slug || o.quizID == 0 {
				continue
			}
			for _, m := range sc.Modules {
				for _, act := range m.Activities {
					if courses.Key(m.Slug, act.Slug) == o.quizKey {
						o.quiz = act.Quiz
					}
				}
			}
		}
		outlines = append(outlines, o)
	}
	return outlines
}

// rightAnswers matches the quiz as the API shows it to a learner with the
// shipped folder's right options, by question and option text.
func (o *courseOutline) rightAnswers(q apiQuiz) (apiAttemptRequest, error) {
	var req apiAttemptRequest
	if o.quiz == nil {
		return req, fmt.Errorf("quiz %s of %s is not in the shipped folder", o.quizKey, o.slug)
	}
	if len(q.Questions) != len(o.quiz.Questions) {
		return req, fmt.Errorf("quiz %s: %d questions from the API, %d in the folder", o.quizKey, len(q.Questions), len(o.quiz.Questions))
	}
	for i, aq := range q.Questions {
		shipped := o.quiz.Questions[i]
		if shipped.Text != aq.Text {
			return req, fmt.Errorf("quiz %s, question %d: the API's text differs from the folder's", o.quizKey, i+1)
		}
		var chosen []int64
		for _, opt := range aq.Options {
			for _, so := range shipped.Options {
				if so.Correct && so.Text == opt.Text {
					chosen = append(chosen, opt.ID)
				}
			}
		}
		req.Answers = append(req.Answers, struct {
			Question int64   `json:"question"`
			Options  []int64 `json:"options"`
		}{aq.ID, chosen})
	}
	return req, nil
}

// passQuiz reads the course's quiz through the API, answers it rightly and
// wants the attempt passed.
func (c *apiClient) passQuiz(ctx context.Context, o *courseOutline) error {
	path := "/api/v1/quizzes/" + strconv.FormatInt(o.quizID, 10)
	var q apiQuiz
	if _, err := c.call(ctx, http.MethodGet, path, nil, http.StatusOK, &q); err != nil {
		return err
	}
	answers, err := o.rightAnswers(q)
	if err != nil {
		return err
	}
	var att apiAttempt
	if _, err := c.call(ctx, http.MethodPost, path+"/attempts", answers, http.StatusCreated, &att); err != nil {
		return err
	}
	if !att.Passed {
		return fmt.Errorf("quiz %s of %s as %s: not passed: %+v", o.quizKey, o.slug, c.email, att)
	}
	return nil
}
