package db

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// The statistics (migration 20261128200000_stats explains the design):
// enrolments are attributed once to an office, a municipality and a month;
// changes write signed deltas in their own transaction; FoldStats adds the
// deltas into the roll-ups; Counts reads roll-ups plus unfolded deltas.

// attribution is where an enrolment counts in the statistics.
type attribution struct {
	Office string
	CBS    string
	Month  courses.Month
}

// attribute finds the office and municipality a learner holds at now: an
// office whose term covers now before one that does not, then the office
// listed first (raadslid before commissielid), then the one entered first.
func attribute(ctx context.Context, idb bun.IDB, userID int64, now time.Time) (attribution, error) {
	var rows []struct {
		Office   string     `bun:"office"`
		CBS      *string    `bun:"cbs_code"`
		StartsOn *time.Time `bun:"starts_on"`
		EndsOn   *time.Time `bun:"ends_on"`
		Position int        `bun:"position"`
		ID       int64      `bun:"id"`
	}
	err := idb.NewSelect().TableExpr("user_offices AS uo").ColumnExpr("uo.id, uo.office, uo.cbs_code, uo.starts_on, uo.ends_on, o.position").
		Join("JOIN offices o ON o.code = uo.office").Where("uo.user_id = ?", userID).Scan(ctx, &rows)
	if err != nil {
		return attribution{}, wrap(err, "offices for statistics")
	}
	day := now.In(courses.Amsterdam).Format(time.DateOnly)
	covers := func(i int) int {
		r := rows[i]
		if (r.StartsOn == nil || r.StartsOn.Format(time.DateOnly) <= day) && (r.EndsOn == nil || r.EndsOn.Format(time.DateOnly) >= day) {
			return 0
		}
		return 1
	}
	best := -1
	for i := range rows {
		if best < 0 || cmp.Or(cmp.Compare(covers(i), covers(best)), cmp.Compare(rows[i].Position, rows[best].Position),
			cmp.Compare(rows[i].ID, rows[best].ID)) < 0 {
			best = i
		}
	}
	a := attribution{Month: courses.MonthOf(now)}
	if best >= 0 {
		a.Office = rows[best].Office
		if rows[best].CBS != nil {
			a.CBS = *rows[best].CBS
		}
	}
	return a, nil
}

// countEnrolment attributes a new enrolment and counts it.
func countEnrolment(ctx context.Context, tx bun.Tx, enrolmentID, userID int64, now time.Time) error {
	a, err := attribute(ctx, tx, userID, now)
	if err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("stats_office = ?, stats_cbs = ?, stats_month = ?", a.Office, a.CBS, int(a.Month)).
		Where("id = ?", enrolmentID).Exec(ctx); err != nil {
		return wrap(err, "attribute enrolment")
	}
	return statsDelta(ctx, tx, "e.id = ?", enrolmentID, 1, 0)
}

// statsDelta writes signed deltas for the enrolments that where selects
// (with arg): for the platform and for each association of their
// learners. enrolled and completed are added; a completed of -2 means
// "minus one if the enrolment is completed" (for an account's deletion).
func statsDelta(ctx context.Context, idb bun.IDB, where string, arg any, enrolled, completed int) error {
	completedExpr := "?"
	completedArg := any(completed)
	if completed == -2 {
		completedExpr, completedArg = "CASE WHEN e.completed_at IS NULL THEN 0 ELSE -1 END", nil
	}
	for _, target := range []struct{ assoc, join string }{
		{"0", ""},
		{"m.association_id", "JOIN association_members m ON m.user_id = e.user_id"},
	} {
		args := []any{enrolled}
		if completedArg != nil {
			args = append(args, completedArg)
		}
		args = append(args, arg)
		q := `INSERT INTO stats_deltas (association_id, course_id, office, province, cbs_code, month, enrolled, completed)
SELECT ` + target.assoc + `, e.course_id, e.stats_office, COALESCE(mu.province, ''), e.stats_cbs, e.stats_month, ?, ` + completedExpr + `
FROM enrolments e ` + target.join + `
LEFT JOIN municipalities mu ON mu.cbs_code = e.stats_cbs
WHERE e.stats_month > 0 AND ` + where
		if _, err := idb.NewRaw(q, args...).Exec(ctx); err != nil {
			return wrap(err, "statistics delta")
		}
	}
	return nil
}

// statsFoldLock is the advisory lock that lets one PostgreSQL session fold
// at a time: two folders adding the same deltas would count them twice.
const statsFoldLock = 7_211_002

// FoldStats adds the statistics' deltas into the roll-ups and removes
// them, in one transaction. It is safe to run from every instance at once.
func (d *DB) FoldStats(ctx context.Context) (int, error) {
	var n int
	err := d.inTx(ctx, func(tx bun.Tx) error {
		if tx.Dialect().Name() == dialect.PG {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", statsFoldLock); err != nil {
				return wrap(err, "statistics lock")
			}
		}
		var last int64
		if err := tx.NewSelect().TableExpr("stats_deltas").ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &last); err != nil {
			return wrap(err, "statistics deltas")
		}
		if last == 0 {
			return nil
		}
		for _, q := range []string{
			`INSERT INTO stats_municipalities (association_id, course_id, office, province, cbs_code, month, enrolled, completed)
SELECT association_id, course_id, office, province, cbs_code, month, SUM(enrolled), SUM(completed)
FROM stats_deltas WHERE id <= ? GROUP BY association_id, course_id, office, province, cbs_code, month
ON CONFLICT (association_id, course_id, office, cbs_code, month) DO UPDATE
SET enrolled = stats_municipalities.enrolled + excluded.enrolled, completed = stats_municipalities.completed + excluded.completed`,
			`INSERT INTO stats_provinces (association_id, course_id, office, province, month, enrolled, completed)
SELECT association_id, course_id, office, province, month, SUM(enrolled), SUM(completed)
FROM stats_deltas WHERE id <= ? GROUP BY association_id, course_id, office, province, month
ON CONFLICT (association_id, course_id, office, province, month) DO UPDATE
SET enrolled = stats_provinces.enrolled + excluded.enrolled, completed = stats_provinces.completed + excluded.completed`,
			`INSERT INTO stats_offices (association_id, course_id, office, month, enrolled, completed)
SELECT association_id, course_id, office, month, SUM(enrolled), SUM(completed)
FROM stats_deltas WHERE id <= ? GROUP BY association_id, course_id, office, month
ON CONFLICT (association_id, course_id, office, month) DO UPDATE
SET enrolled = stats_offices.enrolled + excluded.enrolled, completed = stats_offices.completed + excluded.completed`,
			`INSERT INTO stats_places (association_id, course_id, province, month, enrolled, completed)
SELECT association_id, course_id, province, month, SUM(enrolled), SUM(completed)
FROM stats_deltas WHERE id <= ? GROUP BY association_id, course_id, province, month
ON CONFLICT (association_id, course_id, province, month) DO UPDATE
SET enrolled = stats_places.enrolled + excluded.enrolled, completed = stats_places.completed + excluded.completed`,
		} {
			if _, err := tx.NewRaw(q, last).Exec(ctx); err != nil {
				return wrap(err, "fold statistics")
			}
		}
		res, err := tx.NewDelete().TableExpr("stats_deltas").Where("id <= ?", last).Exec(ctx)
		if err != nil {
			return wrap(err, "folded deltas")
		}
		rows, _ := res.RowsAffected()
		n = int(rows)
		return nil
	})
	return n, err
}

// RebuildStats attributes the enrolments that have no attribution yet
// (those from before statistics existed, or loaded in bulk) and computes
// the roll-ups anew from the enrolments and memberships, in one
// transaction.
func (d *DB) RebuildStats(ctx context.Context) error {
	var pending []struct {
		ID         int64     `bun:"id"`
		UserID     int64     `bun:"user_id"`
		EnrolledAt time.Time `bun:"enrolled_at"`
	}
	if err := d.NewSelect().TableExpr("enrolments").Column("id", "user_id", "enrolled_at").Where("stats_month = 0").
		Scan(ctx, &pending); err != nil {
		return wrap(err, "enrolments to attribute")
	}
	return d.inTx(ctx, func(tx bun.Tx) error {
		if tx.Dialect().Name() == dialect.PG {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", statsFoldLock); err != nil {
				return wrap(err, "statistics lock")
			}
		}
		for _, p := range pending {
			a, err := attribute(ctx, tx, p.UserID, p.EnrolledAt)
			if err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model((*enrolmentRow)(nil)).Set("stats_office = ?, stats_cbs = ?, stats_month = ?", a.Office, a.CBS, int(a.Month)).
				Where("id = ? AND stats_month = 0", p.ID).Exec(ctx); err != nil {
				return wrap(err, "attribute enrolment")
			}
		}
		for _, q := range []string{
			`DELETE FROM stats_deltas`,
			`DELETE FROM stats_municipalities`,
			`DELETE FROM stats_provinces`,
			`INSERT INTO stats_municipalities (association_id, course_id, office, province, cbs_code, month, enrolled, completed)
SELECT 0, e.course_id, e.stats_office, COALESCE(mu.province, ''), e.stats_cbs, e.stats_month, COUNT(*), COUNT(e.completed_at)
FROM enrolments e LEFT JOIN municipalities mu ON mu.cbs_code = e.stats_cbs
WHERE e.stats_month > 0
GROUP BY e.course_id, e.stats_office, COALESCE(mu.province, ''), e.stats_cbs, e.stats_month`,
			`INSERT INTO stats_municipalities (association_id, course_id, office, province, cbs_code, month, enrolled, completed)
SELECT m.association_id, e.course_id, e.stats_office, COALESCE(mu.province, ''), e.stats_cbs, e.stats_month, COUNT(*), COUNT(e.completed_at)
FROM enrolments e JOIN association_members m ON m.user_id = e.user_id LEFT JOIN municipalities mu ON mu.cbs_code = e.stats_cbs
WHERE e.stats_month > 0
GROUP BY m.association_id, e.course_id, e.stats_office, COALESCE(mu.province, ''), e.stats_cbs, e.stats_month`,
			`INSERT INTO stats_provinces (association_id, course_id, office, province, month, enrolled, completed)
SELECT association_id, course_id, office, province, month, SUM(enrolled), SUM(completed)
FROM stats_municipalities GROUP BY association_id, course_id, office, province, month`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return wrap(err, "rebuild statistics")
			}
		}
		return coarseStats(ctx, tx)
	})
}

// coarseStats computes the roll-ups by office and by province anew from the
// one by office and province.
func coarseStats(ctx context.Context, idb bun.IDB) error {
	for _, q := range []string{
		`DELETE FROM stats_offices`,
		`DELETE FROM stats_places`,
		`INSERT INTO stats_offices (association_id, course_id, office, month, enrolled, completed)
SELECT association_id, course_id, office, month, SUM(enrolled), SUM(completed)
FROM stats_provinces GROUP BY association_id, course_id, office, month`,
		`INSERT INTO stats_places (association_id, course_id, province, month, enrolled, completed)
SELECT association_id, course_id, province, month, SUM(enrolled), SUM(completed)
FROM stats_provinces GROUP BY association_id, course_id, province, month`,
	} {
		if _, err := idb.ExecContext(ctx, q); err != nil {
			return wrap(err, "statistics by office and by province")
		}
	}
	return nil
}

// StatsNeedRebuild reports whether enrolments wait for their attribution
// (after the upgrade that brought statistics, or a bulk load).
func (d *DB) StatsNeedRebuild(ctx context.Context) (bool, error) {
	n, err := d.NewSelect().TableExpr("enrolments").Where("stats_month = 0").Limit(1).Count(ctx)
	return n > 0, wrap(err, "statistics state")
}

// StatsService reads the statistics.
type StatsService struct{ db *DB }

// NewStatsService returns the statistics stored in db.
func NewStatsService(db *DB) *StatsService { return &StatsService{db: db} }

// statsColumns maps a dimension to the column it groups by: an allow-list,
// never text from a request.
var statsColumns = map[courses.StatsDimension]string{
	courses.ByCourse:       "course_id",
	courses.ByOffice:       "office",
	courses.ByProvince:     "province",
	courses.ByMunicipality: "cbs_code",
	courses.ByMonth:        "month",
}

// statsSource picks the smallest roll-up that holds the columns a table of
// dim under f groups and filters by, besides the course and the month that
// they all hold. The deltas not folded yet hold every column.
func statsSource(f courses.StatsFilter, dim courses.StatsDimension) string {
	switch {
	case dim == courses.ByMunicipality:
		return "stats_municipalities" // a province's municipalities
	case f.Province == "" && dim != courses.ByProvince:
		return "stats_offices" // by course, office or month
	case f.Office == "" && dim != courses.ByOffice:
		return "stats_places" // by course, province or month
	default:
		return "stats_provinces"
	}
}

// Counts returns the raw counts of a dimension under the filter, one per
// key that has any enrolment, and their total, with the lower bounds of
// the people they count (see courses.StatsCount). They are exact: the
// roll-ups plus the deltas not folded yet.
func (s *StatsService) Counts(ctx context.Context, f courses.StatsFilter, dim courses.StatsDimension) ([]courses.StatsCount, courses.StatsCount, error) {
	col, ok := statsColumns[dim]
	if !ok {
		return nil, courses.StatsCount{}, courses.Errorf(courses.EINVALID, "no statistics by %q", dim)
	}
	src := statsSource(f, dim)
	where := "association_id = ? AND month >= ? AND month <= ?"
	args := []any{f.AssociationID, int(f.From), int(f.To)}
	if f.CourseID != 0 {
		where += " AND course_id = ?"
		args = append(args, f.CourseID)
	}
	if f.Office != "" {
		where += " AND office = ?"
		args = append(args, string(f.Office))
	}
	if f.Province != "" {
		where += " AND province = ?"
		args = append(args, f.Province)
	}
	// The roll-up and the deltas are grouped apart, each in the order of an
	// index where there is one (a province's municipalities), and added here.
	type cell struct {
		k      string
		course int64
	}
	sums := map[cell][2]int{}
	for _, table := range []string{src, "stats_deltas"} {
		q := `SELECT CAST(` + col + ` AS TEXT), course_id, SUM(enrolled), SUM(completed) FROM ` + table +
			` WHERE ` + where + ` GROUP BY ` + col + `, course_id`
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, courses.StatsCount{}, wrap(err, "statistics")
		}
		for rows.Next() {
			var c cell
			var enrolled, completed int
			if err := rows.Scan(&c.k, &c.course, &enrolled, &completed); err != nil {
				rows.Close()
				return nil, courses.StatsCount{}, wrap(err, "statistics")
			}
			n := sums[c]
			sums[c] = [2]int{n[0] + enrolled, n[1] + completed}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, courses.StatsCount{}, wrap(err, "statistics")
		}
	}
	byKey := map[string]*courses.StatsCount{}
	perCourse := map[int64]*courses.StatsCount{}
	add := func(c *courses.StatsCount, enrolled, completed int) {
		c.Enrolled += enrolled
		c.Completed += completed
	}
	bound := func(c *courses.StatsCount, enrolled, completed int) {
		c.EnrolledPeople = max(c.EnrolledPeople, enrolled)
		c.CompletedPeople = max(c.CompletedPeople, completed)
		c.OpenPeople = max(c.OpenPeople, enrolled-completed)
	}
	for c, n := range sums {
		if n[0] == 0 && n[1] == 0 {
			continue
		}
		k := byKey[c.k]
		if k == nil {
			k = &courses.StatsCount{Key: c.k}
			byKey[c.k] = k
		}
		add(k, n[0], n[1])
		bound(k, n[0], n[1])
		pc := perCourse[c.course]
		if pc == nil {
			pc = &courses.StatsCount{}
			perCourse[c.course] = pc
		}
		add(pc, n[0], n[1])
	}
	var total courses.StatsCount
	for _, pc := range perCourse {
		add(&total, pc.Enrolled, pc.Completed)
		bound(&total, pc.Enrolled, pc.Completed)
	}
	rows := make([]courses.StatsCount, 0, len(byKey))
	for _, k := range byKey {
		rows = append(rows, *k)
	}
	slices.SortFunc(rows, func(a, b courses.StatsCount) int { return cmp.Compare(a.Key, b.Key) })
	return rows, total, nil
}

// SetConsent records whether a member lets an association see their own
// progress.
func (s *StatsService) SetConsent(ctx context.Context, associationID, userID int64, on bool) error {
	if !on {
		_, err := s.db.NewDelete().TableExpr("progress_consents").Where("association_id = ? AND user_id = ?", associationID, userID).Exec(ctx)
		return wrap(err, "withdraw consent")
	}
	n, err := s.db.NewSelect().TableExpr("association_members").Where("association_id = ? AND user_id = ?", associationID, userID).Count(ctx)
	if err != nil {
		return wrap(err, "membership")
	}
	if n == 0 {
		return courses.Errorf(courses.ENOTFOUND, "user %d is no member of association %d", userID, associationID)
	}
	_, err = s.db.NewRaw("INSERT INTO progress_consents (association_id, user_id, granted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		associationID, userID, s.db.Now().UTC()).Exec(ctx)
	return wrap(err, "give consent")
}

// Consents returns the associations a user lets see their progress.
func (s *StatsService) Consents(ctx context.Context, userID int64) (map[int64]bool, error) {
	var ids []int64
	if err := s.db.NewSelect().TableExpr("progress_consents").Column("association_id").Where("user_id = ?", userID).Scan(ctx, &ids); err != nil {
		return nil, wrap(err, "consents")
	}
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// MemberProgress is one enrolment of a member who lets their association
// see their progress.
type MemberProgress struct {
	UserID      int64      `bun:"user_id"`
	Name        string     `bun:"name"`
	CourseSlug  string     `bun:"slug"`
	CourseTitle string     `bun:"title"`
	EnrolledAt  time.Time  `bun:"enrolled_at"`
	CompletedAt *time.Time `bun:"completed_at"`
	Done        int        `bun:"done"`
	Total       int        `bun:"total"`
}

// ConsentedProgress lists the enrolments of the members who let the
// association see their progress, by name.
func (s *StatsService) ConsentedProgress(ctx context.Context, associationID int64) ([]MemberProgress, error) {
	var out []MemberProgress
	err := s.db.NewSelect().TableExpr("progress_consents AS pc").
		ColumnExpr("u.id AS user_id, u.name, c.slug, v.title, e.enrolled_at, e.completed_at").
		ColumnExpr(`(SELECT COUNT(*) FROM activities a JOIN version_modules m ON m.id = a.module_id WHERE m.version_id = e.version_id) AS total`).
		ColumnExpr(`(SELECT COUNT(*) FROM activity_progress p JOIN version_modules m ON m.version_id = e.version_id
			JOIN activities a ON a.module_id = m.id AND p.activity_key = m.slug || '/' || a.slug WHERE p.enrolment_id = e.id) AS done`).
		Join("JOIN association_members am ON am.association_id = pc.association_id AND am.user_id = pc.user_id").
		Join("JOIN users u ON u.id = pc.user_id").
		Join("JOIN enrolments e ON e.user_id = pc.user_id AND e.withdrawn_at IS NULL").
		Join("JOIN courses c ON c.id = e.course_id").
		Join("JOIN course_versions v ON v.id = e.version_id").
		Where("pc.association_id = ?", associationID).Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "members' progress")
	}
	slices.SortStableFunc(out, func(a, b MemberProgress) int {
		return cmp.Or(courses.CompareDutch(a.Name, b.Name), cmp.Compare(a.UserID, b.UserID), courses.CompareDutch(a.CourseTitle, b.CourseTitle))
	})
	return out, nil
}

// CourseName is how statistics name a course.
type CourseName struct {
	ID    int64  `bun:"id"`
	Slug  string `bun:"slug"`
	Title string `bun:"title"`
}

// CourseNames returns every course with the title of its published
// version (or else its latest), retired courses too: statistics go back
// further than the catalogue.
func (s *StatsService) CourseNames(ctx context.Context) ([]CourseName, error) {
	var out []CourseName
	err := s.db.NewSelect().TableExpr("courses AS c").ColumnExpr("c.id, c.slug").
		ColumnExpr(`COALESCE((SELECT v.title FROM course_versions v WHERE v.course_id = c.id
			ORDER BY CASE WHEN v.state = ? THEN 0 ELSE 1 END, v.number DESC LIMIT 1), c.slug) AS title`, courses.StatePublished).
		Scan(ctx, &out)
	if err != nil {
		return nil, wrap(err, "course names")
	}
	slices.SortFunc(out, func(a, b CourseName) int { return courses.CompareDutch(a.Title, b.Title) })
	return out, nil
}

// CountsAll returns the counts of every dimension a page shows — by
// course, office, province (or, with a province in the filter, its
// municipalities) and month — each from the smallest roll-up that holds it
// (statsSource), grouped by the database.
func (s *StatsService) CountsAll(ctx context.Context, f courses.StatsFilter) (map[courses.StatsDimension][]courses.StatsCount, map[courses.StatsDimension]courses.StatsCount, error) {
	geo := courses.ByProvince
	if f.Province != "" {
		geo = courses.ByMunicipality
	}
	out := map[courses.StatsDimension][]courses.StatsCount{}
	totals := map[courses.StatsDimension]courses.StatsCount{}
	for _, d := range []courses.StatsDimension{courses.ByCourse, courses.ByOffice, geo, courses.ByMonth} {
		rows, total, err := s.Counts(ctx, f, d)
		if err != nil {
			return nil, nil, err
		}
		out[d], totals[d] = rows, total
	}
	return out, totals, nil
}
