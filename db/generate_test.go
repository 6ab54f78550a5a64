package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"github.com/raadzaam/raadzaam/db/refdata"
)

// loadShippedMunicipalities loads the municipality list that ships with
// Raadzaam, as migrate does.
func loadShippedMunicipalities(t *testing.T, d *db.DB) []courses.Municipality {
	t.Helper()
	list, err := courses.ParseMunicipalities(bytes.NewReader(refdata.Municipalities), refdata.MunicipalitiesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.NewMunicipalityService(d).ReplaceMunicipalities(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	return list
}

// loadShippedCatalogue loads and publishes the shipped courses, as serve
// does on an empty database.
func loadShippedCatalogue(t *testing.T, d *db.DB) []*courses.Course {
	t.Helper()
	list, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.NewCourseService(d).SaveCourses(context.Background(), list, courses.ImportOptions{Publish: true}); err != nil {
		t.Fatal(err)
	}
	return list
}

// generatedEnrolment is an enrolment of the generated country as the test
// reads it back.
type generatedEnrolment struct {
	ID          int64      `bun:"id"`
	UserID      int64      `bun:"user_id"`
	Email       string     `bun:"email"`
	Slug        string     `bun:"slug"`
	EnrolledAt  time.Time  `bun:"enrolled_at"`
	CompletedAt *time.Time `bun:"completed_at"`
	Kind        string     `bun:"completion_kind"`
	Source      string     `bun:"source"`
	Office      string     `bun:"stats_office"`
	CBS         string     `bun:"stats_cbs"`
	Month       int        `bun:"stats_month"`
}

// generatedOffice is an office row of the generated country.
type generatedOffice struct {
	UserID   int64      `bun:"user_id"`
	Email    string     `bun:"email"`
	Office   string     `bun:"office"`
	CBS      *string    `bun:"cbs_code"`
	StartsOn *time.Time `bun:"starts_on"`
	EndsOn   *time.Time `bun:"ends_on"`
}

// TestGenerateCountry generates a small country on each database and checks
// it against the options and the model: people and offices spread over
// every municipality in realistic shares, memberships by office, one
// enrolment per learner and course within the three years, completions
// after their enrolment and not after Now, one valid certificate per
// completion, the statistics' attribution as the application makes it, and
// statistics that add up. The same seed gives the same country on both
// databases.
func TestGenerateCountry(t *testing.T) {
	const people, enrolments, seed = 2000, 12000, 42
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	hashes := map[db.Kind]string{}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		d.Now = func() time.Time { return now }
		opt := db.GenerateOptions{People: people, Enrolments: enrolments, Seed: seed, Now: now}

		if _, err := db.GenerateCountry(ctx, d, opt); err == nil || !strings.Contains(err.Error(), "municipalities") {
			t.Fatalf("without municipalities: got %v, want an error naming them", err)
		}
		munis := loadShippedMunicipalities(t, d)
		if _, err := db.GenerateCountry(ctx, d, opt); courses.ErrorCode(err) != courses.EINVALID || !strings.Contains(err.Error(), "catalogue") {
			t.Fatalf("without catalogue: got %v, want EINVALID naming the catalogue", err)
		}
		if _, err := db.GenerateCountry(ctx, d, db.GenerateOptions{People: -1}); courses.ErrorCode(err) != courses.EINVALID {
			t.Fatalf("People -1: got %v, want EINVALID", err)
		}
		catalogue := loadShippedCatalogue(t, d)

		started := time.Now()
		var stages []string
		opt.Progress = func(stage string, done, total int) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
			}
		}
		sum, err := db.GenerateCountry(ctx, d, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: generated in %v: %+v", d.Kind, time.Since(started).Round(time.Millisecond), sum)
		if !slices.Equal(stages, []string{"people", "enrolments"}) {
			t.Errorf("progress stages = %v", stages)
		}
		if sum.People != people || sum.Enrolments != enrolments || sum.Requested != enrolments || sum.Short() ||
			sum.Courses != len(catalogue) || sum.Capacity != people*len(catalogue) {
			t.Errorf("summary: people %d, enrolments %d of %d (capacity %d, %d courses); want %d and %d",
				sum.People, sum.Enrolments, sum.Requested, sum.Capacity, sum.Courses, people, enrolments)
		}
		if sum.Municipalities != len(munis) || sum.Seats < 8400 || sum.Seats > 8700 {
			t.Errorf("summary: %d municipalities with holders (want %d), %d seats (want about 8,552)", sum.Municipalities, len(munis), sum.Seats)
		}
		if !sum.From.Equal(now.AddDate(-3, 0, 0)) || !sum.To.Equal(now) {
			t.Errorf("summary: from %v to %v", sum.From, sum.To)
		}

		// The people: accounts as said, every municipality has holders,
		// offices in realistic shares.
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := d.NewRaw(q, args...).Scan(ctx, &n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		domain := fmt.Sprintf("@seed-%d.%s", seed, db.GeneratedDomain)
		if n := count("SELECT COUNT(*) FROM users WHERE email LIKE ? AND role = 'learner' AND NOT demo AND active", "%"+domain); n != people {
			t.Errorf("%d generated learners, want %d", n, people)
		}
		if n := count("SELECT COUNT(DISTINCT email) FROM users"); n != people {
			t.Errorf("%d distinct addresses, want %d", n, people)
		}
		if n := count("SELECT COUNT(DISTINCT cbs_code) FROM user_offices WHERE office = 'raadslid'"); n != len(munis) {
			t.Errorf("raadsleden in %d municipalities, want all %d", n, len(munis))
		}
		if n := count("SELECT COUNT(*) FROM user_offices WHERE (cbs_code IS NULL) <> (office IN ('statenlid', 'gedeputeerde'))"); n != 0 {
			t.Errorf("%d offices with a municipality where none belongs, or without one", n)
		}
		var offices []generatedOffice
		if err := d.NewSelect().TableExpr("user_offices AS uo").ColumnExpr("uo.user_id, u.email, uo.office, uo.cbs_code, uo.starts_on, uo.ends_on").
			Join("JOIN users u ON u.id = uo.user_id").OrderExpr("uo.id").Scan(ctx, &offices); err != nil {
			t.Fatal(err)
		}
		holders := map[string]map[int64]bool{}
		userOffices := map[int64][]generatedOffice{}
		for _, o := range offices {
			if holders[o.Office] == nil {
				holders[o.Office] = map[int64]bool{}
			}
			holders[o.Office][o.UserID] = true
			userOffices[o.UserID] = append(userOffices[o.UserID], o)
			if o.StartsOn == nil {
				t.Fatalf("office without a start: %+v", o)
			}
		}
		for office, share := range map[string][2]float64{
			"raadslid": {0.55, 0.75}, "wethouder": {0.08, 0.18}, "commissielid": {0.07, 0.20}, "burgemeester": {0.01, 0.04},
			"griffier": {0.01, 0.04}, "statenlid": {0.015, 0.05}, "gedeputeerde": {0.001, 0.01},
		} {
			got := float64(len(holders[office])) / people
			if got < share[0] || got > share[1] || sum.Offices[courses.Office(office)] != len(holders[office]) {
				t.Errorf("%s: %d holders (%.1f%%; summary %d), want %.1f–%.1f%%", office, len(holders[office]), 100*got,
					sum.Offices[courses.Office(office)], 100*share[0], 100*share[1])
			}
		}
		if n := count("SELECT COUNT(*) FROM user_offices WHERE ends_on = ?", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)); n < people/10 {
			t.Errorf("%d terms ended at the 2026 elections, want many", n)
		}

		// Memberships by office.
		assocs := map[string]int64{}
		for _, slug := range []string{"vng", "nvvr", "wethoudersvereniging", "ngb", "vvg"} {
			a, err := db.NewUserService(d).AssociationBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			assocs[slug] = a.ID
		}
		members := func(slug string) map[int64]bool {
			var ids []int64
			if err := d.NewSelect().TableExpr("association_members").Column("user_id").Where("association_id = ?", assocs[slug]).Scan(ctx, &ids); err != nil {
				t.Fatal(err)
			}
			m := map[int64]bool{}
			for _, id := range ids {
				m[id] = true
			}
			if len(m) != sum.Memberships[slug] {
				t.Errorf("%s: %d members, summary says %d", slug, len(m), sum.Memberships[slug])
			}
			return m
		}
		municipal := map[int64]bool{}
		for _, o := range offices {
			if o.CBS != nil {
				municipal[o.UserID] = true
			}
		}
		if vng := members("vng"); !mapsEqual(vng, municipal) {
			t.Errorf("VNG has %d members, want the %d holders of a municipal office", len(vng), len(municipal))
		}
		for _, rule := range []struct {
			slug, office string
			share        float64
			slack        float64
		}{
			{"nvvr", "raadslid", 0.6, 0.05}, {"wethoudersvereniging", "wethouder", 0.7, 0.1},
			{"ngb", "burgemeester", 0.9, 0.12}, {"vvg", "griffier", 0.9, 0.12},
		} {
			m := members(rule.slug)
			in := 0
			for id := range m {
				if !holders[rule.office][id] {
					t.Errorf("%s member %d holds no %s office", rule.slug, id, rule.office)
					break
				}
				in++
			}
			if got := float64(in) / float64(len(holders[rule.office])); got < rule.share-rule.slack || got > rule.share+rule.slack {
				t.Errorf("%s: %.0f%% of %s members, want about %.0f%%", rule.slug, 100*got, rule.office, 100*rule.share)
			}
		}

		// Enrolments and completions.
		var list []generatedEnrolment
		if err := d.NewSelect().TableExpr("enrolments AS e").
			ColumnExpr("e.id, e.user_id, u.email, c.slug, e.enrolled_at, e.completed_at, e.completion_kind, e.source, e.stats_office, e.stats_cbs, e.stats_month").
			Join("JOIN users u ON u.id = e.user_id").Join("JOIN courses c ON c.id = e.course_id").
			OrderExpr("e.id").Scan(ctx, &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != enrolments {
			t.Fatalf("%d enrolments, want %d", len(list), enrolments)
		}
		if n := count("SELECT COUNT(*) FROM (SELECT user_id, course_id FROM enrolments GROUP BY user_id, course_id HAVING COUNT(*) > 1) x"); n != 0 {
			t.Errorf("%d (learner, course) pairs enrolled twice", n)
		}
		if n := count("SELECT COUNT(*) FROM enrolments e JOIN courses c ON c.id = e.course_id WHERE e.version_id <> c.published_version_id"); n != 0 {
			t.Errorf("%d enrolments not in the published version", n)
		}
		from := now.AddDate(-3, 0, 0)
		completed, perMonth, sources, outsideTerm := 0, map[courses.Month]int{}, map[string]int{}, 0
		for _, e := range list {
			if e.EnrolledAt.Before(from) || e.EnrolledAt.After(now) {
				t.Fatalf("enrolment %d at %v, outside the three years", e.ID, e.EnrolledAt)
			}
			if got := courses.MonthOf(e.EnrolledAt); e.Month != int(got) {
				t.Fatalf("enrolment %d at %v: stats_month %d, want %d", e.ID, e.EnrolledAt, e.Month, got)
			}
			perMonth[courses.Month(e.Month)]++
			sources[e.Source]++
			if e.CompletedAt != nil {
				completed++
				if !e.CompletedAt.After(e.EnrolledAt) || e.CompletedAt.After(now) || e.CompletedAt.Sub(e.EnrolledAt) > 121*24*time.Hour || e.Kind != courses.CompletionRule {
					t.Fatalf("enrolment %d: enrolled %v, completed %v (%s); want 1 to 120 days later, by rule, not after %v",
						e.ID, e.EnrolledAt, *e.CompletedAt, e.Kind, now)
				}
			} else if e.Kind != "" {
				t.Fatalf("enrolment %d: not completed but completion kind %q", e.ID, e.Kind)
			}
			day := e.EnrolledAt.In(courses.Amsterdam).Format(time.DateOnly)
			covered := false
			for _, o := range userOffices[e.UserID] {
				if o.StartsOn.Format(time.DateOnly) <= day && (o.EndsOn == nil || o.EndsOn.Format(time.DateOnly) >= day) {
					covered = true
				}
			}
			if !covered {
				outsideTerm++
			}
		}
		if rate := float64(completed) / enrolments; rate < 0.45 || rate > 0.72 || completed != sum.Completions {
			t.Errorf("%d completions (%.0f%%; summary %d), want about 55–70%% less the recent ones", completed, 100*rate, sum.Completions)
		}
		if outsideTerm > enrolments/100 {
			t.Errorf("%d enrolments outside every term of their learner", outsideTerm)
		}
		if sources[courses.SourceSelf] == 0 || sources[courses.SourceAssociation] == 0 || len(sources) != 2 {
			t.Errorf("sources %v, want self and association", sources)
		}
		// The months after the election of March 2026 are busier than the
		// average month.
		average := float64(enrolments) / float64(len(perMonth))
		for _, m := range []courses.Month{202604, 202605} {
			if float64(perMonth[m]) < 1.5*average {
				t.Errorf("%s: %d enrolments; want a peak after the election (average month %.0f)", m, perMonth[m], average)
			}
		}

		// Certificates: one per completion, as the application issues them.
		var certs []struct {
			Number      string    `bun:"number"`
			EnrolmentID int64     `bun:"enrolment_id"`
			HolderName  string    `bun:"holder_name"`
			Name        string    `bun:"name"`
			IssuedAt    time.Time `bun:"issued_at"`
			CompletedAt time.Time `bun:"completed_at"`
			Completion  time.Time `bun:"completion"`
			Title       string    `bun:"course_title"`
			VTitle      string    `bun:"v_title"`
			Version     int       `bun:"course_version"`
			VNumber     int       `bun:"v_number"`
		}
		if err := d.NewSelect().TableExpr("certificates AS ct").
			ColumnExpr("ct.number, ct.enrolment_id, ct.holder_name, u.name, ct.issued_at, ct.completed_at, e.completed_at AS completion").
			ColumnExpr("ct.course_title, v.title AS v_title, ct.course_version, v.number AS v_number").
			Join("JOIN enrolments e ON e.id = ct.enrolment_id").Join("JOIN users u ON u.id = ct.user_id").
			Join("JOIN course_versions v ON v.id = ct.version_id").
			Where("ct.revoked_at IS NULL").Scan(ctx, &certs); err != nil {
			t.Fatal(err)
		}
		if len(certs) != completed || sum.Certificates != completed {
			t.Errorf("%d certificates (summary %d), want one per completion: %d", len(certs), sum.Certificates, completed)
		}
		seen := map[string]bool{}
		perEnrolment := map[int64]bool{}
		for _, c := range certs {
			norm, ok := courses.NormalizeCertificateNumber(c.Number)
			if !ok || norm != c.Number || seen[c.Number] || !strings.HasPrefix(c.Number, fmt.Sprintf("RZ-%d-", c.IssuedAt.In(courses.Amsterdam).Year())) {
				t.Fatalf("certificate number %q: valid %v, seen before %v, issued %v", c.Number, ok, seen[c.Number], c.IssuedAt)
			}
			seen[c.Number] = true
			if perEnrolment[c.EnrolmentID] {
				t.Fatalf("two certificates for enrolment %d", c.EnrolmentID)
			}
			perEnrolment[c.EnrolmentID] = true
			if c.HolderName != c.Name || !c.IssuedAt.Equal(c.CompletedAt) || !c.CompletedAt.Equal(c.Completion) ||
				c.Title != c.VTitle || c.Version != c.VNumber {
				t.Fatalf("certificate %s does not match its completion: %+v", c.Number, c)
			}
		}
		if n, err := db.NewLearningService(d).IssueMissingCertificates(ctx); err != nil || n != 0 {
			t.Errorf("IssueMissingCertificates = %d, %v; want nothing left to issue", n, err)
		}

		// Statistics: the platform counts every enrolment, an association
		// its members' ones.
		stats := db.NewStatsService(d)
		filter := courses.StatsFilter{From: courses.MonthOf(from), To: courses.MonthOf(now)}
		_, total, err := stats.Counts(ctx, filter, courses.ByOffice)
		if err != nil {
			t.Fatal(err)
		}
		if total.Enrolled != enrolments || total.Completed != completed {
			t.Errorf("platform statistics: %d enrolled, %d completed; want %d and %d", total.Enrolled, total.Completed, enrolments, completed)
		}
		nvvr := members("nvvr")
		want := [2]int{}
		for _, e := range list {
			if nvvr[e.UserID] {
				want[0]++
				if e.CompletedAt != nil {
					want[1]++
				}
			}
		}
		filter.AssociationID = assocs["nvvr"]
		if _, total, err = stats.Counts(ctx, filter, courses.ByMonth); err != nil {
			t.Fatal(err)
		} else if total.Enrolled != want[0] || total.Completed != want[1] {
			t.Errorf("NVvR statistics: %d enrolled, %d completed; want %d and %d", total.Enrolled, total.Completed, want[0], want[1])
		}

		// The roll-ups are those RebuildStats computes from the enrolments
		// and memberships.
		rollups := func() []string {
			t.Helper()
			var rows []string
			for _, q := range []string{
				"SELECT 'm|' || association_id || '|' || course_id || '|' || office || '|' || province || '|' || cbs_code || '|' || month || '|' || enrolled || '|' || completed FROM stats_municipalities",
				"SELECT 'p|' || association_id || '|' || course_id || '|' || office || '|' || province || '|' || month || '|' || enrolled || '|' || completed FROM stats_provinces",
				"SELECT 'o|' || association_id || '|' || course_id || '|' || office || '|' || month || '|' || enrolled || '|' || completed FROM stats_offices",
				"SELECT 'l|' || association_id || '|' || course_id || '|' || province || '|' || month || '|' || enrolled || '|' || completed FROM stats_places",
				"SELECT 'd|' || COUNT(*) FROM stats_deltas",
			} {
				var part []string
				if err := d.NewRaw(q).Scan(ctx, &part); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, part...)
			}
			slices.Sort(rows)
			return rows
		}
		generated := rollups()
		if err := d.RebuildStats(ctx); err != nil {
			t.Fatal(err)
		}
		if rebuilt := rollups(); !slices.Equal(generated, rebuilt) {
			t.Errorf("roll-ups: generated %d rows, RebuildStats makes %d; first difference at %v", len(generated), len(rebuilt), firstDifference(generated, rebuilt))
		}

		// The attribution is the application's: attributed anew by
		// RebuildStats, a seventh of the enrolments keep theirs.
		if _, err := d.NewRaw("UPDATE enrolments SET stats_office = '', stats_cbs = '', stats_month = 0 WHERE id % 7 = 0").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := d.RebuildStats(ctx); err != nil {
			t.Fatal(err)
		}
		var again []generatedEnrolment
		if err := d.NewSelect().TableExpr("enrolments").Column("id", "stats_office", "stats_cbs", "stats_month").OrderExpr("id").Scan(ctx, &again); err != nil {
			t.Fatal(err)
		}
		for i, e := range again {
			if w := list[i]; e.ID != w.ID || e.Office != w.Office || e.CBS != w.CBS || e.Month != w.Month {
				t.Fatalf("enrolment %d: attributed to %s/%s/%d, the application says %s/%s/%d", w.ID, w.Office, w.CBS, w.Month, e.Office, e.CBS, e.Month)
			}
		}

		// The same seed again is refused; another seed adds a second
		// country beside the first. Too few courses for the enrolments
		// asked: everyone takes every course, and the summary says so;
		// Courses adds copies.
		if _, err := db.GenerateCountry(ctx, d, db.GenerateOptions{People: 10, Seed: seed, Now: now}); courses.ErrorCode(err) != courses.ECONFLICT {
			t.Errorf("same seed again: got %v, want ECONFLICT", err)
		}
		small, err := db.GenerateCountry(ctx, d, db.GenerateOptions{People: 20, Enrolments: 500, Seed: 7, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if small.Enrolments != 20*len(catalogue) || !small.Short() || small.Capacity != small.Enrolments {
			t.Errorf("20 people, 500 enrolments asked, %d courses: made %d (capacity %d, short %v)", len(catalogue), small.Enrolments, small.Capacity, small.Short())
		}
		copied, err := db.GenerateCountry(ctx, d, db.GenerateOptions{People: 20, Enrolments: 300, Courses: 2 * len(catalogue), Seed: 8, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if copied.Courses != 2*len(catalogue) || copied.CopiedCourses != len(catalogue) || copied.Enrolments != 300 || copied.Short() {
			t.Errorf("with copied courses: %d courses (%d copies), %d enrolments", copied.Courses, copied.CopiedCourses, copied.Enrolments)
		}
		if n := count("SELECT COUNT(*) FROM courses WHERE slug LIKE '%-kopie-2' AND published_version_id IS NOT NULL"); n != len(catalogue) {
			t.Errorf("%d published copies, want %d", n, len(catalogue))
		}
		if n := count("SELECT COUNT(*) FROM enrolments"); n != enrolments+small.Enrolments+copied.Enrolments {
			t.Errorf("%d enrolments after three countries, want %d", n, enrolments+small.Enrolments+copied.Enrolments)
		}

		// What makes the country, for comparing the databases.
		var lines []string
		for _, e := range list {
			lines = append(lines, fmt.Sprintf("e|%s|%s|%d|%s|%s|%v", e.Email, e.Slug, e.Month, e.Office, e.CBS, e.CompletedAt != nil))
		}
		for _, o := range offices {
			lines = append(lines, fmt.Sprintf("o|%s|%s|%v|%v|%v", o.Email, o.Office, deref(o.CBS), o.StartsOn.Format(time.DateOnly), o.EndsOn != nil))
		}
		var memberships []string
		if err := d.NewSelect().TableExpr("association_members AS m").ColumnExpr("a.slug || '|' || u.email").
			Join("JOIN associations a ON a.id = m.association_id").Join("JOIN users u ON u.id = m.user_id").
			Where("u.email LIKE ?", "%"+domain).Scan(ctx, &memberships); err != nil {
			t.Fatal(err)
		}
		for _, m := range memberships {
			lines = append(lines, "m|"+m)
		}
		slices.Sort(lines)
		h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		mu.Lock()
		hashes[d.Kind] = hex.EncodeToString(h[:])
		mu.Unlock()
	})
	if len(hashes) == 2 && hashes[db.SQLite] != hashes[db.Postgres] {
		t.Errorf("the same seed made different countries: SQLite %s, PostgreSQL %s", hashes[db.SQLite], hashes[db.Postgres])
	}
}

// firstDifference returns the first line where a and b differ.
func firstDifference(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " ≠ " + b[i]
		}
	}
	return fmt.Sprintf("line %d", min(len(a), len(b)))
}

func mapsEqual(a, b map[int64]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
