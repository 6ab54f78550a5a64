package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"github.com/valyala/fasthttp"
)

// exposition is a /metrics answer read strictly as Prometheus' text format
// 0.0.4: every line a HELP or TYPE comment or a sample, every family with
// one HELP followed by one TYPE before its samples, which follow together.
type exposition struct {
	types   map[string]string  // family → type
	values  map[string]float64 // series key (see seriesKey) → value
	samples []expoSample
}

type expoSample struct {
	name, family string
	labels       map[string]string
	value        float64
}

// seriesKey names a series by its name and labels in name order.
func seriesKey(name string, labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(name)
	for i, k := range names {
		b.WriteString(map[bool]string{true: "{", false: ","}[i == 0])
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	if len(names) > 0 {
		b.WriteByte('}')
	}
	return b.String()
}

// value returns a series' value; labels are name, value pairs.
func (x *exposition) value(name string, labels ...string) (float64, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[labels[i]] = labels[i+1]
	}
	v, ok := x.values[seriesKey(name, m)]
	return v, ok
}

func validMetricName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r == ':' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

func validLabelName(s string) bool { return validMetricName(s) && !strings.Contains(s, ":") }

// parseExposition reads text strictly; any deviation is an error naming
// the line.
func parseExposition(text string) (*exposition, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("the text does not end with a newline")
	}
	x := &exposition{types: map[string]string{}, values: map[string]float64{}}
	help := map[string]bool{}
	current := "" // the family whose HELP came last
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, text, ok := strings.Cut(line[len("# HELP "):], " ")
			if !ok || !validMetricName(name) || text == "" {
				return nil, fail("a HELP line is '# HELP name text'")
			}
			if help[name] {
				return nil, fail("a second HELP for %s", name)
			}
			help[name], current = true, name
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(line[len("# TYPE "):], " ")
			if name != current || x.types[name] != "" {
				return nil, fail("TYPE of %s does not follow its HELP", name)
			}
			if !slices.Contains([]string{"counter", "gauge", "histogram", "summary", "untyped"}, typ) {
				return nil, fail("unknown type %q", typ)
			}
			x.types[name] = typ
		case strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "":
			return nil, fail("neither HELP, TYPE nor a sample")
		default:
			s, err := parseSample(line)
			if err != nil {
				return nil, fail("%v", err)
			}
			s.family = s.name
			if x.types[current] == "histogram" {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if f, ok := strings.CutSuffix(s.name, suffix); ok && f == current {
						s.family = f
					}
				}
			}
			switch {
			case s.family != current:
				return nil, fail("sample of %s outside its family (HELP and TYPE of %s came last)", s.name, current)
			case x.types[current] == "":
				return nil, fail("sample before its TYPE")
			case x.types[current] == "counter" && (!strings.HasSuffix(s.name, "_total") || s.value < 0 || s.value != s.value):
				return nil, fail("a counter is named *_total and is a number >= 0")
			}
			key := seriesKey(s.name, s.labels)
			if _, dup := x.values[key]; dup {
				return nil, fail("series %s twice", key)
			}
			x.values[key] = s.value
			x.samples = append(x.samples, s)
		}
	}
	for name := range help {
		if x.types[name] == "" {
			return nil, fmt.Errorf("%s has HELP but no TYPE", name)
		}
	}
	return x, checkHistograms(x)
}

// parseSample reads `name{label="value",...} value`.
func parseSample(line string) (expoSample, error) {
	s := expoSample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end < 0 {
		return s, errors.New("no value")
	}
	s.name, line = line[:end], line[end:]
	if !validMetricName(s.name) {
		return s, fmt.Errorf("bad name %q", s.name)
	}
	if rest, ok := strings.CutPrefix(line, "{"); ok {
		for {
			eq := strings.Index(rest, `="`)
			if eq < 0 || !validLabelName(rest[:eq]) {
				return s, fmt.Errorf("bad label in %q", rest)
			}
			name := rest[:eq]
			rest = rest[eq+2:]
			var v strings.Builder
			closed := false
			for len(rest) > 0 && !closed {
				c := rest[0]
				rest = rest[1:]
				switch c {
				case '"':
					closed = true
				case '\n':
					return s, errors.New("a newline in a label value")
				case '\\':
					if rest == "" || !strings.ContainsRune(`\"n`, rune(rest[0])) {
						return s, errors.New("a bad escape in a label value")
					}
					v.WriteByte(map[byte]byte{'\\': '\\', '"': '"', 'n': '\n'}[rest[0]])
					rest = rest[1:]
				default:
					v.WriteByte(c)
				}
			}
			if !closed {
				return s, errors.New("an unterminated label value")
			}
			if _, dup := s.labels[name]; dup {
				return s, fmt.Errorf("label %s twice", name)
			}
			s.labels[name] = v.String()
			if after, ok := strings.CutPrefix(rest, "}"); ok {
				line = after
				break
			}
			if rest, ok = strings.CutPrefix(rest, ","); !ok {
				return s, errors.New("labels are separated by commas")
			}
		}
	}
	value, ok := strings.CutPrefix(line, " ")
	if !ok || strings.ContainsAny(value, " \t") {
		return s, errors.New("want one space and a value, without a timestamp")
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return s, fmt.Errorf("bad value %q", value)
	}
	s.value = v
	return s, nil
}

// checkHistograms checks each histogram series: buckets that never
// decrease as le grows, a +Inf bucket equal to _count, and a _sum.
func checkHistograms(x *exposition) error {
	type series struct {
		buckets    map[float64]float64
		sum, count *float64
	}
	all := map[string]*series{}
	for _, s := range x.samples {
		if x.types[s.family] != "histogram" {
			continue
		}
		labels := map[string]string{}
		for k, v := range s.labels {
			if k != "le" {
				labels[k] = v
			}
		}
		key := seriesKey(s.family, labels)
		h := all[key]
		if h == nil {
			h = &series{buckets: map[float64]float64{}}
			all[key] = h
		}
		v := s.value
		switch s.name {
		case s.family + "_bucket":
			le, err := strconv.ParseFloat(s.labels["le"], 64)
			if err != nil {
				return fmt.Errorf("%s: bucket without a numeric le", key)
			}
			h.buckets[le] = v
		case s.family + "_sum":
			h.sum = &v
		case s.family + "_count":
			h.count = &v
		}
	}
	for key, h := range all {
		bounds := make([]float64, 0, len(h.buckets))
		for le := range h.buckets {
			bounds = append(bounds, le)
		}
		slices.Sort(bounds)
		for i := 1; i < len(bounds); i++ {
			if h.buckets[bounds[i]] < h.buckets[bounds[i-1]] {
				return fmt.Errorf("%s: bucket le=%v has fewer than le=%v", key, bounds[i], bounds[i-1])
			}
		}
		inf, ok := h.buckets[math.Inf(1)]
		if !ok || h.sum == nil || h.count == nil || inf != *h.count {
			return fmt.Errorf("%s: want a +Inf bucket equal to _count, and a _sum", key)
		}
	}
	return nil
}

// TestExpositionParser: the strict reader accepts what expo writes (label
// values with quotes, backslashes and newlines too) and refuses each way
// of getting the format wrong, so that the tests that use it can fail.
func TestExpositionParser(t *testing.T) {
	var b bytes.Buffer
	e := expo{&b}
	e.family("demo_total", "counter", "A help text with a \\ and a\nnewline.")
	e.sample("demo_total", 3, "route", `/a"b\c`+"\nd", "method", "GET")
	e.family("demo_seconds", "histogram", "A histogram.")
	e.sample("demo_seconds_bucket", 1, "le", "0.5")
	e.sample("demo_seconds_bucket", 2, "le", "+Inf")
	e.sample("demo_seconds_sum", 0.75)
	e.sample("demo_seconds_count", 2)
	e.family("demo_empty", "gauge", "A family without samples.")
	x, err := parseExposition(b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if v, ok := x.value("demo_total", "method", "GET", "route", `/a"b\c`+"\nd"); !ok || v != 3 {
		t.Errorf("demo_total = %v, %v; want 3 (written as %s)", v, ok, b.String())
	}

	const hg = "# HELP a A.\n# TYPE a gauge\n"
	for name, text := range map[string]string{
		"no newline at the end":   hg + "a 1",
		"a sample without HELP":   "a 1\n",
		"a sample without TYPE":   "# HELP a A.\na 1\n",
		"TYPE before HELP":        "# TYPE a gauge\n# HELP a A.\na 1\n",
		"two HELP lines":          hg + "# HELP a A.\n",
		"an unknown type":         "# HELP a A.\n# TYPE a wibble\n",
		"a family split in two":   hg + "# HELP b B.\n# TYPE b gauge\na 1\n",
		"a series twice":          hg + "a{x=\"1\"} 1\na{x=\"1\"} 2\n",
		"an unterminated label":   hg + "a{x=\"1} 1\n",
		"a bad escape":            hg + "a{x=\"\\t\"} 1\n",
		"a label twice":           hg + "a{x=\"1\",x=\"2\"} 1\n",
		"a bad label name":        hg + "a{1x=\"1\"} 1\n",
		"a timestamp":             hg + "a 1 1700000000\n",
		"a word for a value":      hg + "a one\n",
		"a blank line":            hg + "\na 1\n",
		"another comment":         hg + "# hallo\n",
		"a counter without total": "# HELP c C.\n# TYPE c counter\nc 1\n",
		"a negative counter":      "# HELP c_total C.\n# TYPE c_total counter\nc_total -1\n",
		"buckets that decrease":   "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"+Inf is not the count":   "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
		"a histogram without sum": "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
	} {
		if _, err := parseExposition(text); err == nil {
			t.Errorf("%s: accepted\n%s", name, text)
		}
	}
}

// scrape fetches and strictly reads the metrics at url.
func scrape(t *testing.T, url string) (*exposition, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	x, err := parseExposition(string(body))
	if err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
	return x, string(body)
}

// TestMetricsLabelsArePatterns counts requests in-process and checks the
// counts, and that every route label is a pattern of the route table or
// "unmatched": never a path with an id, a slug or a query in it.
func TestMetricsLabelsArePatterns(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			for path, want := range map[string]int{"/cursussen/nieuw-in-de-raad": 200, "/cursussen/bestaat-niet-31337": 404,
				"/verifieer/RZ-2026-AAAA-AAAA": 404, "/nergens/31337?zoek=geheim": 404, "/healthz": 200} {
				resp, err := a.fiber.Test(httptest.NewRequest(http.MethodGet, path, nil), 10_000)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
				}
			}
			var b bytes.Buffer
			a.writeMetrics(context.Background(), &b)
			x, err := parseExposition(b.String())
			if err != nil {
				t.Fatalf("%v\n%s", err, b.String())
			}
			for _, s := range x.samples {
				if r, ok := s.labels["route"]; ok && r != unmatchedRoute {
					if _, known := a.policies[s.labels["method"]+" "+r]; !known {
						t.Errorf("%s: route label %q is not a route of the table", seriesKey(s.name, s.labels), r)
					}
				}
			}
			for _, secret := range []string{"31337", "geheim", "nieuw-in-de-raad", "RZ-2026"} {
				if strings.Contains(b.String(), secret) {
					t.Errorf("the metrics contain %q, from a request's path or query", secret)
				}
			}
			for _, c := range []struct {
				route, code string
				want        float64
			}{{"/cursussen/:slug", "2xx", 1}, {"/cursussen/:slug", "4xx", 1}, {"/verifieer/:nummer", "4xx", 1},
				{unmatchedRoute, "4xx", 1}, {"/healthz", "2xx", 1}} {
				if got, _ := x.value("raadzaam_http_requests_total", "method", "GET", "route", c.route, "code", c.code); got != c.want {
					t.Errorf("requests of GET %s with %s: %v, want %v", c.route, c.code, got, c.want)
				}
			}
			if got, _ := x.value("raadzaam_http_request_duration_seconds_count", "method", "GET", "route", "/cursussen/:slug"); got != 2 {
				t.Errorf("latencies of GET /cursussen/:slug: %v, want 2", got)
			}
			if got, ok := x.value("raadzaam_http_requests_in_flight"); !ok || got != 0 {
				t.Errorf("in flight after the requests: %v, %v; want 0", got, ok)
			}
			if up, _ := x.value("raadzaam_database_up"); up != 1 {
				t.Errorf("raadzaam_database_up = %v, want 1", up)
			}
			if _, ok := x.value("raadzaam_jobs", "kind", "certificate", "state", "available"); !ok {
				t.Error("no raadzaam_jobs series for certificate jobs waiting")
			}
			pools := []string{"sql"}
			if kind == db.Postgres {
				pools = append(pools, "sessions", "jobs")
			}
			for _, p := range pools {
				if _, ok := x.value("raadzaam_db_connections_max", "pool", p); !ok {
					t.Errorf("no raadzaam_db_connections_max for pool %s", p)
				}
			}
		})
	}
}

// TestMetricsDatabaseDown: a scrape while the database is closed still
// answers, with raadzaam_database_up 0 and the database figures left out.
func TestMetricsDatabaseDown(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	a.db.Close()
	var b bytes.Buffer
	a.writeMetrics(context.Background(), &b)
	x, err := parseExposition(b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if up, ok := x.value("raadzaam_database_up"); !ok || up != 0 {
		t.Errorf("raadzaam_database_up = %v, %v; want 0", up, ok)
	}
	if _, ok := x.value("raadzaam_mail_unsent"); ok {
		t.Error("raadzaam_mail_unsent reported without a database")
	}
}

// metricsCourse is a published course of one lesson, saved straight into
// the server's database: completing the lesson issues a certificate.
func metricsCourse(t *testing.T, d *db.DB) int64 {
	t.Helper()
	fsys := fstest.MapFS{
		"metriek/course.md":          {Data: []byte(learnCourseMD)},
		"metriek/01-basis/module.md": {Data: []byte("---\ntitle: De basis\n---\n")},
		"metriek/01-basis/01-les.md": {Data: []byte("---\ntitle: De enige les\nminutes: 5\n---\nTekst.\n")},
	}
	c, err := courses.ReadCourseFolder(fsys, "metriek")
	if err != nil {
		t.Fatalf("read: %v %v", err, courses.ErrorProblems(err))
	}
	if err := db.NewCourseService(d).SaveCourse(context.Background(), c, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatal(err)
	}
	return c.Activities()[0].Activity.ID
}

// TestMetricsEndpoint runs the real server with the metrics listener on:
// a 404, a page, a completion that issues a certificate (whose job mails
// its holder) move exactly the counters they should, and no path, address,
// name or token shows; /metrics is only on the metrics listener, which
// serves nothing else.
func TestMetricsEndpoint(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			port := freePort(t)
			env := testEnv(t, kind, map[string]string{"RAADZAAM_METRICS_ADDR": fmt.Sprintf("127.0.0.1:%d", port)})
			base := startServerEnv(t, env)
			metricsBase := fmt.Sprintf("http://127.0.0.1:%d", port)

			d, err := db.Open(env["DATABASE_URL"])
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			lesson := metricsCourse(t, d)
			hash, _ := hashPassword(testPassword)
			if _, err := db.NewUserService(d).CreateUser(context.Background(), &courses.NewUser{
				Email: "metriek@example.nl", Name: "Zoë Łukasiewicz", Role: courses.RoleLearner, PasswordHash: hash}); err != nil {
				t.Fatal(err)
			}

			before, _ := scrape(t, metricsBase+"/metrics")
			call := func(method, path, token, body string) int {
				t.Helper()
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			for _, c := range []struct {
				method, path string
				want         int
			}{{"GET", "/nergens/31337", 404}, {"GET", "/metrics", 404}, {"GET", "/cursussen", 200}} {
				if got := call(c.method, c.path, "", ""); got != c.want {
					t.Fatalf("%s %s on the public port: %d, want %d", c.method, c.path, got, c.want)
				}
			}
			req, _ := http.NewRequest("POST", base+"/api/v1/auth/token", strings.NewReader(`{"email":"metriek@example.nl","password":"`+testPassword+`"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var answer tokenResponse
			_ = json.NewDecoder(resp.Body).Decode(&answer)
			resp.Body.Close()
			if resp.StatusCode != 200 || answer.AccessToken == "" {
				t.Fatalf("token: %d", resp.StatusCode)
			}
			if got := call("POST", "/api/v1/courses/metriek/enrolment", answer.AccessToken, ""); got != 201 {
				t.Fatalf("enrol: %d", got)
			}
			lessonPath := "/api/v1/lessons/" + strconv.FormatInt(lesson, 10) + "/completion"
			if got := call("POST", lessonPath, answer.AccessToken, ""); got != 200 {
				t.Fatalf("complete the lesson: %d", got)
			}

			after, text := scrape(t, metricsBase+"/metrics")
			delta := func(name string, labels ...string) float64 {
				b, _ := before.value(name, labels...)
				a, _ := after.value(name, labels...)
				return a - b
			}
			for _, c := range []struct {
				method, route, code string
				want                float64
			}{{"GET", unmatchedRoute, "4xx", 2}, {"GET", "/cursussen", "2xx", 1}, {"POST", "/api/v1/auth/token", "2xx", 1},
				{"POST", "/api/v1/courses/:slug/enrolment", "2xx", 1}, {"POST", "/api/v1/lessons/:id/completion", "2xx", 1}} {
				if got := delta("raadzaam_http_requests_total", "method", c.method, "route", c.route, "code", c.code); got != c.want {
					t.Errorf("requests of %s %s with %s: +%v, want +%v", c.method, c.route, c.code, got, c.want)
				}
				if got := delta("raadzaam_http_request_duration_seconds_count", "method", c.method, "route", c.route); got != c.want {
					t.Errorf("latencies of %s %s: +%v, want +%v", c.method, c.route, got, c.want)
				}
			}
			if got := delta("raadzaam_http_request_duration_seconds_sum", "method", "GET", "route", "/cursussen"); got <= 0 {
				t.Errorf("latency sum of GET /cursussen: +%v, want more than 0", got)
			}
			if got := delta("raadzaam_certificates_issued_total"); got != 1 {
				t.Errorf("certificates issued: +%v, want +1", got)
			}
			if v, _ := after.value("raadzaam_build_info", "go_version", runtime.Version()); v != 1 {
				t.Errorf("raadzaam_build_info for %s: %v, want 1", runtime.Version(), v)
			}
			if v, _ := after.value("go_goroutines"); v < 1 {
				t.Errorf("go_goroutines = %v", v)
			}
			for _, secret := range []string{"31337", "metriek@example.nl", "Łukasiewicz", lessonPath, answer.AccessToken} {
				if strings.Contains(text, secret) {
					t.Errorf("the metrics contain %q", secret)
				}
			}

			// The certificate's job renders its PDF and mails its holder:
			// worked once, it leaves one mail in the outbox (no SMTP is
			// configured, so it stays unsent). Enrolling oneself sends no
			// confirmation.
			deadline := time.Now().Add(30 * time.Second)
			for {
				now, _ := scrape(t, metricsBase+"/metrics")
				if cert, _ := now.value("raadzaam_jobs_worked_total", "kind", "certificate", "outcome", "completed"); cert == 1 {
					after = now
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("certificate jobs worked after 30 s: %v, want 1", cert)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if got := delta("raadzaam_mail_unsent"); got != 1 {
				t.Errorf("unsent mail: +%v, want +1 (the certificate is ready)", got)
			}
			if waiting, ok := after.value("raadzaam_jobs", "kind", "certificate", "state", "available"); !ok || waiting != 0 {
				t.Errorf("certificate jobs waiting after it was worked: %v, %v; want 0", waiting, ok)
			}
			if v, _ := after.value("raadzaam_job_run_seconds_total", "kind", "certificate", "outcome", "completed"); v <= 0 {
				t.Errorf("run time of the certificate job: %v, want more than 0", v)
			}

			// The metrics listener serves /metrics and nothing else.
			for _, c := range []struct {
				method, path string
				want         int
			}{{"GET", "/", 404}, {"GET", "/healthz", 404}, {"GET", "/cursussen", 404}, {"POST", "/metrics", 405}, {"HEAD", "/metrics", 200}} {
				req, _ := http.NewRequest(c.method, metricsBase+c.path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != c.want {
					t.Errorf("%s %s on the metrics port: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
				}
			}
		})
	}
}

// TestMetricsConfig: RAADZAAM_METRICS_ADDR is host:port with a port of its
// own; empty means no metrics listener.
func TestMetricsConfig(t *testing.T) {
	for addr, ok := range map[string]bool{"": true, ":9091": true, "127.0.0.1:9091": true, "[::]:9091": true, "fly-local-6pn:9091": true,
		"9091": false, ":8080": false, ":0": false, ":99999": false, "host:poort": false, "http://x:9091": false} {
		cfg, err := loadConfig(getenvFrom(map[string]string{"RAADZAAM_METRICS_ADDR": addr}))
		if ok != (err == nil) {
			t.Errorf("RAADZAAM_METRICS_ADDR=%q: %v, want ok=%v", addr, err, ok)
			continue
		}
		if err != nil {
			if p := courses.ErrorProblems(err); len(p) != 1 || p[0].Field != "RAADZAAM_METRICS_ADDR" {
				t.Errorf("RAADZAAM_METRICS_ADDR=%q: problems %v, want one naming the variable", addr, p)
			}
		} else if cfg.MetricsAddr != addr {
			t.Errorf("RAADZAAM_METRICS_ADDR=%q: MetricsAddr %q", addr, cfg.MetricsAddr)
		}
	}
}

// BenchmarkMetricsMiddleware measures the cost countRequests adds to every
// request: the same route through Fiber's handler without and with it, in
// parallel (the counters are shared between goroutines), and record alone.
func BenchmarkMetricsMiddleware(b *testing.B) {
	for _, counted := range []bool{false, true} {
		b.Run(map[bool]string{false: "without", true: "with"}[counted], func(b *testing.B) {
			m := newMetrics()
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			if counted {
				app.Use(m.countRequests)
			}
			app.Get("/cursussen/:slug", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
			handler := app.Handler()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var req fasthttp.Request
				req.Header.SetMethod(fiber.MethodGet)
				req.SetRequestURI("/cursussen/nieuw-in-de-raad")
				var rc fasthttp.RequestCtx
				rc.Init(&req, nil, nil)
				for pb.Next() {
					handler(&rc)
					if rc.Response.StatusCode() != fiber.StatusOK {
						b.Fatalf("status %d", rc.Response.StatusCode())
					}
					rc.Response.Reset()
				}
			})
			if counted {
				if n := m.byLabel[routeKey{"GET", "/cursussen/:slug"}].byClass[1].Load(); n != uint64(b.N) {
					b.Fatalf("counted %d requests of %d", n, b.N)
				}
			}
		})
	}
	b.Run("record", func(b *testing.B) {
		s := &routeStats{}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.record(200, 700*time.Microsecond)
			}
		})
	})
}
