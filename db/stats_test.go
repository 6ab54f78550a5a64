package db_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// statsMunicipalities is a small country: three provinces.
var statsMunicipalities = []courses.Municipality{
	{CBSCode: "GM0363", Name: "Amsterdam", CommonName: "Amsterdam", Province: "Noord-Holland", Active: true},
	{CBSCode: "GM0392", Name: "Haarlem", CommonName: "Haarlem", Province: "Noord-Holland", Active: true},
	{CBSCode: "GM0014", Name: "Groningen", CommonName: "Groningen", Province: "Groningen", Active: true},
	{CBSCode: "GM1900", Name: "Súdwest-Fryslân", CommonName: "Súdwest-Fryslân", Province: "Fryslân", Active: true},
}

// rawEnrolment is an enrolment as the independent computation reads it.
type rawEnrolment struct {
	UserID    int64     `bun:"user_id"`
	CourseID  int64     `bun:"course_id"`
	Office    string    `bun:"stats_office"`
	CBS       string    `bun:"stats_cbs"`
	Month     int       `bun:"stats_month"`
	Completed time.Time `bun:"completed_at"`
	Done      bool      `bun:"done"`
}

// independentCounts computes a dimension's counts straight from the
// enrolments, memberships and municipalities, person by person: the
// numbers the roll-ups must give.
func independentCounts(t *testing.T, d *db.DB, f courses.StatsFilter, dim courses.StatsDimension) map[string][2]int {
	t.Helper()
	ctx := context.Background()
	var list []rawEnrolment
	if err := d.NewSelect().TableExpr("enrolments").ColumnExpr("user_id, course_id, stats_office, stats_cbs, stats_month, completed_at IS NOT NULL AS done").
		Scan(ctx, &list); err != nil {
		t.Fatal(err)
	}
	members := map[int64]bool{}
	if f.AssociationID != 0 {
		var ids []int64
		if err := d.NewSelect().TableExpr("association_members").Column("user_id").Where("association_id = ?", f.AssociationID).Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			members[id] = true
		}
	}
	province := map[string]string{}
	for _, m := range statsMunicipalities {
		province[m.CBSCode] = m.Province
	}
	out := map[string][2]int{}
	for _, e := range list {
		if f.AssociationID != 0 && !members[e.UserID] {
			continue
		}
		if courses.Month(e.Month) < f.From || courses.Month(e.Month) > f.To || (f.CourseID != 0 && e.CourseID != f.CourseID) ||
			(f.Office != "" && e.Office != string(f.Office)) || (f.Province != "" && province[e.CBS] != f.Province) {
			continue
		}
		var k string
		switch dim {
		case courses.ByCourse:
			k = strconv.FormatInt(e.CourseID, 10)
		case courses.ByOffice:
			k = e.Office
		case courses.ByProvince:
			k = province[e.CBS]
		case courses.ByMunicipality:
			k = e.CBS
		case courses.ByMonth:
			k = strconv.Itoa(e.Month)
		}
		c := out[k]
		c[0]++
		if e.Done {
			c[1]++
		}
		out[k] = c
	}
	return out
}

// TestStatsMatchIndependentCount: a year of random enrolments,
// completions, completions taken back and accounts deleted, by learners of
// several offices, municipalities and associations; at every step the
// statistics (roll-ups plus unfolded deltas) equal a direct count of the
// enrolments, for every dimension and several filters; folding and a full
// rebuild change nothing.
func TestStatsMatchIndependentCount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := db.NewMunicipalityService(d).ReplaceMunicipalities(ctx, statsMunicipalities); err != nil {
			t.Fatal(err)
		}
		users := db.NewUserService(d)
		vng, err := users.AssociationBySlug(ctx, "vng") // the five associations come with the migrations
		if err != nil {
			t.Fatal(err)
		}
		nvvr, err := users.AssociationBySlug(ctx, "nvvr")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
		d.Now = func() time.Time { return now }
		var list []*courses.Course
		for i := range 3 {
			list = append(list, publishedCourse(t, d, sampleCourse(fmt.Sprintf("stat-%d", i), fmt.Sprintf("Statistiek %d", i),
				[]courses.Office{courses.Raadslid}, []courses.Topic{"rollen"})))
		}
		ls := db.NewLearningService(d)
		stats := db.NewStatsService(d)
		rng := rand.New(rand.NewPCG(7, 11))
		offices := []courses.Office{courses.Raadslid, courses.Wethouder, courses.Griffier}
		var learners []int64
		for i := range 40 {
			nu := &courses.NewUser{Email: fmt.Sprintf("l%d@example.nl", i), Name: fmt.Sprintf("Leerling %d", i), Role: courses.RoleLearner, PasswordHash: "x"}
			if i%7 != 0 { // some hold no office at all
				m := statsMunicipalities[rng.IntN(len(statsMunicipalities))]
				nu.Offices = []courses.UserOffice{{Office: offices[rng.IntN(len(offices))], CBSCode: m.CBSCode}}
			}
			switch i % 3 {
			case 0:
				nu.Associations = []string{"vng"}
			case 1:
				nu.Associations = []string{"vng", "nvvr"}
			}
			u, err := users.CreateUser(ctx, nu)
			if err != nil {
				t.Fatal(err)
			}
			learners = append(learners, u.ID)
		}
		admin := newUser(t, d, "beheer@example.nl", courses.RoleAdmin)
		check := func(step string) {
			t.Helper()
			for _, f := range []courses.StatsFilter{
				{From: 202601, To: 202612},
				{AssociationID: vng.ID, From: 202601, To: 202612},
				{AssociationID: nvvr.ID, From: 202603, To: 202608},
				{AssociationID: vng.ID, From: 202601, To: 202612, CourseID: list[1].ID},
				{From: 202601, To: 202612, Office: courses.Raadslid},
				{AssociationID: vng.ID, From: 202601, To: 202612, Province: "Noord-Holland"},
			} {
				for _, dim := range []courses.StatsDimension{courses.ByCourse, courses.ByOffice, courses.ByProvince, courses.ByMunicipality, courses.ByMonth} {
					rows, total, err := stats.Counts(ctx, f, dim)
					if err != nil {
						t.Fatal(err)
					}
					want := independentCounts(t, d, f, dim)
					got := map[string][2]int{}
					var sum [2]int
					for _, r := range rows {
						got[r.Key] = [2]int{r.Enrolled, r.Completed}
						sum[0] += r.Enrolled
						sum[1] += r.Completed
						if r.EnrolledPeople > r.Enrolled || r.CompletedPeople > r.Completed || r.OpenPeople > r.Enrolled-r.Completed {
							t.Errorf("%s %+v %s %q: people bounds above the counts: %+v", step, f, dim, r.Key, r)
						}
						if dim == courses.ByCourse && (r.EnrolledPeople != r.Enrolled || r.CompletedPeople != r.Completed) {
							t.Errorf("%s: within a course enrolments are people: %+v", step, r)
						}
					}
					for k, w := range want {
						if got[k] != w {
							t.Errorf("%s %+v by %s, %q: got %v, want %v", step, f, dim, k, got[k], w)
						}
					}
					for k, g := range got {
						if _, ok := want[k]; !ok {
							t.Errorf("%s %+v by %s: %q = %v counted, but nothing there", step, f, dim, k, g)
						}
					}
					if sum != [2]int{total.Enrolled, total.Completed} {
						t.Errorf("%s %+v by %s: rows add up to %v, total says %d/%d", step, f, dim, sum, total.Enrolled, total.Completed)
					}
				}
				// One pass for the page's four tables gives the same.
				all, totals, err := stats.CountsAll(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				geo := courses.ByProvince
				if f.Province != "" {
					geo = courses.ByMunicipality
				}
				for _, dim := range []courses.StatsDimension{courses.ByCourse, courses.ByOffice, geo, courses.ByMonth} {
					rows, total, _ := stats.Counts(ctx, f, dim)
					if !slices.Equal(all[dim], rows) || totals[dim] != total {
						t.Errorf("%s %+v by %s: CountsAll %+v / %+v, Counts %+v / %+v", step, f, dim, all[dim], totals[dim], rows, total)
					}
				}
			}
		}
		type enrolment struct {
			id        int64
			completed bool
		}
		var enrolled []enrolment
		for step := range 120 {
			now = now.Add(time.Duration(rng.IntN(72)) * time.Hour)
			switch r := rng.IntN(10); {
			case r < 5 && len(learners) > 0: // enrol
				u := learners[rng.IntN(len(learners))]
				c := list[rng.IntN(len(list))]
				e, created, err := ls.Enrol(ctx, u, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if created {
					enrolled = append(enrolled, enrolment{id: e.ID})
				}
			case r < 8 && len(enrolled) > 0: // complete
				i := rng.IntN(len(enrolled))
				if _, _, err := ls.CompleteManually(ctx, enrolled[i].id, admin.ID, "Afgerond op de training"); err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
					t.Fatal(err)
				}
				enrolled[i].completed = true
			case r < 9 && len(enrolled) > 0: // take a completion back
				i := rng.IntN(len(enrolled))
				if enrolled[i].completed {
					if err := ls.UndoCompletion(ctx, enrolled[i].id, admin.ID); err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
						t.Fatal(err)
					}
					enrolled[i].completed = false
				}
			default: // an account goes, with its enrolments
				i := rng.IntN(len(learners))
				if err := users.DeleteUser(ctx, learners[i]); err != nil {
					t.Fatal(err)
				}
				learners = slices.Delete(learners, i, i+1)
				enrolled = enrolled[:0]
				var ids []int64
				if err := d.NewSelect().TableExpr("enrolments").Column("id").Scan(ctx, &ids); err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					var done bool
					_ = d.NewSelect().TableExpr("enrolments").ColumnExpr("completed_at IS NOT NULL").Where("id = ?", id).Scan(ctx, &done)
					enrolled = append(enrolled, enrolment{id: id, completed: done})
				}
			}
			if step%17 == 0 {
				if _, err := d.FoldStats(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if step%30 == 29 {
				check(fmt.Sprintf("step %d", step))
			}
		}
		check("before the last fold")
		if _, err := d.FoldStats(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, d, "stats_deltas", ""); n != 0 {
			t.Errorf("%d deltas left after folding", n)
		}
		check("folded")
		if n, _ := d.FoldStats(ctx); n != 0 {
			t.Errorf("a second fold found %d deltas", n)
		}
		check("folded twice")
		if err := d.RebuildStats(ctx); err != nil {
			t.Fatal(err)
		}
		check("rebuilt")
	})
}

// TestStatsAttribution: an enrolment counts under the office whose term
// covers its start, in its municipality and month, and keeps counting
// there when the learner's office changes later.
func TestStatsAttribution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := db.NewMunicipalityService(d).ReplaceMunicipalities(ctx, statsMunicipalities); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC) // 1 April in Amsterdam
		d.Now = func() time.Time { return now }
		c := publishedCourse(t, d, sampleCourse("toerekening", "Toerekening", []courses.Office{courses.Raadslid}, []courses.Topic{"rollen"}))
		ended := time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)
		started := time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)
		u, err := db.NewUserService(d).CreateUser(ctx, &courses.NewUser{Email: "wissel@example.nl", Name: "Wissel", Role: courses.RoleLearner, PasswordHash: "x",
			Offices: []courses.UserOffice{
				{Office: courses.Raadslid, CBSCode: "GM0014", EndsOn: &ended},
				{Office: courses.Wethouder, CBSCode: "GM1900", StartsOn: &started},
			}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.NewLearningService(d).Enrol(ctx, u.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		rows, _, err := db.NewStatsService(d).Counts(ctx, courses.StatsFilter{From: 202601, To: 202612}, courses.ByMunicipality)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Key != "GM1900" || rows[0].Enrolled != 1 {
			t.Errorf("by municipality: %+v, want one enrolment in GM1900 (the office held on the day)", rows)
		}
		for dim, want := range map[courses.StatsDimension]string{courses.ByOffice: "wethouder", courses.ByProvince: "Fryslân", courses.ByMonth: "202604"} {
			rows, _, _ := db.NewStatsService(d).Counts(ctx, courses.StatsFilter{From: 202601, To: 202612}, dim)
			if len(rows) != 1 || rows[0].Key != want {
				t.Errorf("by %s: %+v, want %s", dim, rows, want)
			}
		}
	})
}
