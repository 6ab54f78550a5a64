package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// BenchmarkStats measures the statistics over a generated country through
// the real HTTP stack (in process, without a network): the page, the JSON
// API and a full CSV export, with filters drawn at random, as the NVvR's
// admin and as an admin (the platform). It reports p50 and p95 per request
// and the export's time. It runs only with RAADZAAM_BENCH_COUNTRY set to
// "people,enrolments", because generating the country takes minutes:
//
//	RAADZAAM_BENCH_COUNTRY=100000,1000000 go test -run '^$' -bench BenchmarkStats -benchtime 200x -timeout 60m ./app/
//
// BENCHMARKS.md has the figures.
func BenchmarkStats(b *testing.B) {
	spec := os.Getenv("RAADZAAM_BENCH_COUNTRY")
	if spec == "" {
		b.Skip("set RAADZAAM_BENCH_COUNTRY=people,enrolments (e.g. 100000,1000000)")
	}
	p, e, _ := strings.Cut(spec, ",")
	people, err1 := strconv.Atoi(p)
	enrolments, err2 := strconv.Atoi(e)
	if err1 != nil || err2 != nil {
		b.Fatalf("RAADZAAM_BENCH_COUNTRY=%q: want people,enrolments", spec)
	}
	for _, kind := range dbtest.Kinds {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			a := newTestApp(b, kind)
			start := time.Now()
			sum, err := db.GenerateCountry(ctx, a.db, db.GenerateOptions{People: people, Enrolments: enrolments, Courses: 20, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: generated %d people, %d enrolments, %d completions in %s", kind, sum.People, sum.Enrolments, sum.Completions, time.Since(start).Round(time.Second))
			token := benchAdminToken(b, a)
			provinces, err := a.statsProvinces(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			query := func() string {
				q := url.Values{}
				from := courses.Month(202401 + rng.IntN(12))
				if rng.IntN(2) == 0 {
					from = courses.ElectionMonth
				}
				q.Set("van", from.String())
				switch rng.IntN(4) {
				case 0:
					q.Set("provincie", provinces[rng.IntN(len(provinces))])
				case 1:
					q.Set("ambt", string(courses.Offices[rng.IntN(3)]))
				}
				return q.Encode()
			}
			type target struct {
				name string
				path func() string
				lat  []time.Duration
			}
			targets := []*target{
				{name: "page-association", path: func() string { return "/vereniging/nvvr/statistiek?" + query() }},
				{name: "api-association", path: func() string {
					return "/api/v1/associations/nvvr/stats?" + strings.NewReplacer("van=", "from=", "provincie=", "province=", "ambt=", "office=").Replace(query())
				}},
				{name: "page-platform", path: func() string { return "/beheer/statistiek?" + query() }},
			}
			get := func(path string) time.Duration {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := a.fiber.Test(req, 60_000)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != 200 || n == 0 {
					b.Fatalf("GET %s: %d", path, resp.StatusCode)
				}
				return d
			}
			for _, t := range targets { // warm the caches
				get(t.path())
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := targets[i%len(targets)]
				t.lat = append(t.lat, get(t.path()))
			}
			b.StopTimer()
			for _, t := range targets {
				slices.Sort(t.lat)
				if len(t.lat) == 0 {
					continue
				}
				p50, p95 := t.lat[len(t.lat)/2], t.lat[len(t.lat)*95/100]
				b.ReportMetric(float64(p50.Microseconds())/1000, t.name+"-p50-ms")
				b.ReportMetric(float64(p95.Microseconds())/1000, t.name+"-p95-ms")
			}
			export := get("/beheer/statistiek?van=2024-01&formaat=csv")
			b.ReportMetric(float64(export.Microseconds())/1000, "export-csv-ms")
			export = get("/beheer/statistiek?van=2024-01&formaat=xlsx")
			b.ReportMetric(float64(export.Microseconds())/1000, "export-xlsx-ms")
		})
	}
}

// benchAdminToken signs in an admin with two-step sign-in, as the tests do,
// and returns an access token.
func benchAdminToken(tb testing.TB, a *application) string {
	tb.Helper()
	ctx := context.Background()
	hash, err := hashPassword(testPassword)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := a.users.CreateUser(ctx, &courses.NewUser{Email: "bench@example.nl", Name: "Bench", Role: courses.RoleAdmin, PasswordHash: hash})
	if err != nil {
		tb.Fatal(err)
	}
	secret := courses.NewTOTPSecret()
	if err := a.users.BeginTwoFactor(ctx, u.ID, secret); err != nil {
		tb.Fatal(err)
	}
	if err := a.users.EnableTwoFactor(ctx, u.ID, 0, nil); err != nil {
		tb.Fatal(err)
	}
	code, err := courses.TOTPCode(secret, courses.TOTPStep(a.auth.now()))
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/token",
		strings.NewReader(fmt.Sprintf(`{"email":"bench@example.nl","password":%q,"totp":%q}`, testPassword, code)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.fiber.Test(req, 10_000)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out tokenResponse
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		tb.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	return out.AccessToken
}
