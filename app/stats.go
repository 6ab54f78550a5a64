package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/app/chart"
	"github.com/raadzaam/raadzaam/app/xlsx"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// statsRoutes registers the statistics: association admins see their
// association's, admins every association's and the platform's.
func (a *application) statsRoutes() {
	get, post := fiber.MethodGet, fiber.MethodPost
	a.handle(get, "/vereniging/:slug/statistiek", associationAdmins, a.handleAssociationStats)
	a.handle(get, "/vereniging/:slug/voortgang", associationAdmins, a.handleMemberProgress)
	a.handle(get, "/beheer/statistiek", admins, a.handlePlatformStats)
	a.handle(post, "/account/voortgang-delen", signedIn, a.handleConsent)
	a.handle(get, "/api/v1/associations/:slug/stats", associationAdmins.withScope(courses.ScopeStats), a.handleAPIStats)
}

// statsReport is everything a statistics page, export or API answer
// shows: the filter, the total and a table per dimension, suppressed.
type statsReport struct {
	Scope       string // the association's slug, or "platform"
	ScopeName   string
	Filter      courses.StatsFilter
	CourseSlug  string // the course filter as a slug
	Total       courses.StatsCell
	Tables      []courses.StatsTable // by course, office, province (or municipality), month
	Provinces   []string             // for the province filter
	Courses     []db.CourseName      // for the course filter
	Problems    map[string]string
	Association *courses.Association // nil for the platform
	Full        bool                 // exports: the municipalities of every province too
}

// tableOf returns the report's table of a dimension, or nil.
func (r *statsReport) tableOf(dim courses.StatsDimension) *courses.StatsTable {
	for i := range r.Tables {
		if r.Tables[i].Dimension == dim {
			return &r.Tables[i]
		}
	}
	return nil
}

// statsFilter reads the filter from the query: van and tot (months),
// cursus (a slug), ambt (an office) and provincie. Problems name the
// field; the defaults are the cohort since the elections of March 2026.
func (a *application) statsFilter(c *fiber.Ctx, names []db.CourseName, provinces []string) (courses.StatsFilter, string, []courses.Problem) {
	now := courses.MonthOf(a.auth.now())
	f := courses.StatsFilter{From: courses.ElectionMonth, To: now}
	var problems []courses.Problem
	bad := func(field, key string, args map[string]any) {
		problems = append(problems, courses.Problem{Field: field, Key: key, Args: args})
	}
	for _, m := range []struct {
		field string
		dst   *courses.Month
	}{{"van", &f.From}, {"tot", &f.To}} {
		if v := strings.TrimSpace(c.Query(m.field)); v != "" {
			month, ok := courses.ParseMonth(v)
			if !ok {
				bad(m.field, courses.ProblemBadMonth, map[string]any{"value": v})
				continue
			}
			*m.dst = month
		}
	}
	if f.To < f.From && len(problems) == 0 {
		bad("tot", courses.ProblemEndBeforeStart, nil)
	}
	slug := strings.TrimSpace(c.Query("cursus"))
	if slug != "" {
		i := slices.IndexFunc(names, func(n db.CourseName) bool { return n.Slug == slug })
		if i < 0 {
			bad("cursus", courses.ProblemUnknownCourse, map[string]any{"value": slug})
		} else {
			f.CourseID = names[i].ID
		}
	}
	if v := strings.TrimSpace(c.Query("ambt")); v != "" {
		if !slices.Contains(courses.Offices, courses.Office(v)) {
			bad("ambt", courses.ProblemUnknownValue, map[string]any{"value": v, "allowed": joinCodes(courses.Offices)})
		} else {
			f.Office = courses.Office(v)
		}
	}
	if v := strings.TrimSpace(c.Query("provincie")); v != "" {
		if !slices.Contains(provinces, v) {
			bad("provincie", courses.ProblemUnknownValue, map[string]any{"value": v, "allowed": strings.Join(provinces, ", ")})
		} else {
			f.Province = v
		}
	}
	return f, slug, problems
}

// statsReportFor counts and suppresses every table of the report. With a
// province chosen, its municipalities replace the provinces, and their
// total is hidden where the province table hid the province's row.
func (a *application) statsReportFor(ctx context.Context, l *Locale, r *statsReport) error {
	st := db.NewStatsService(a.db)
	names := map[string]string{}
	for _, n := range r.Courses {
		names[strconv.FormatInt(n.ID, 10)] = n.Title
	}
	municipalities, err := a.municipalityList.Municipalities(ctx, true)
	if err != nil {
		return err
	}
	muniName, muniProvince := map[string]string{}, map[string]string{}
	for _, m := range municipalities {
		muniName[m.CBSCode], muniProvince[m.CBSCode] = m.CommonName, m.Province
	}
	label := func(dim courses.StatsDimension, key string) string {
		switch dim {
		case courses.ByCourse:
			return cmp.Or(names[key], key)
		case courses.ByOffice:
			if key == "" {
				return l.T("stats.no_office")
			}
			return l.Office(courses.Office(key))
		case courses.ByProvince:
			return cmp.Or(key, l.T("stats.no_province"))
		case courses.ByMunicipality:
			if key == "" {
				return l.T("stats.no_municipality")
			}
			return cmp.Or(muniName[key], key)
		case courses.ByMonth:
			m, _ := strconv.Atoi(key)
			return l.T("month."+strconv.Itoa(courses.Month(m).Num())) + " " + strconv.Itoa(courses.Month(m).Year())
		}
		return key
	}
	dims := []courses.StatsDimension{courses.ByCourse, courses.ByOffice, courses.ByProvince, courses.ByMonth}
	var hidden courses.TotalHidden
	if r.Filter.Province != "" {
		// The province's row in the province table (without the province
		// filter) decides what the municipalities' total may show.
		whole := r.Filter
		whole.Province = ""
		rows, total, err := st.Counts(ctx, whole, courses.ByProvince)
		if err != nil {
			return err
		}
		parent := courses.Suppress(courses.ByProvince, rows, total, courses.TotalHidden{})
		for _, row := range parent.Rows {
			if row.Key == r.Filter.Province {
				hidden = courses.TotalHidden{Enrolled: row.Enrolled.Suppressed, Completed: row.Completed.Suppressed}
			}
		}
		dims[2] = courses.ByMunicipality
	}
	all, totals, err := st.CountsAll(ctx, r.Filter)
	if err != nil {
		return err
	}
	// table suppresses the counts of dim, labelled and in their order, with
	// the totals hidden that must be.
	table := func(dim courses.StatsDimension, hidden courses.TotalHidden) courses.StatsTable {
		rows, total := slices.Clone(all[dim]), totals[dim]
		if dim == courses.ByMonth {
			rows = fillMonths(rows, r.Filter.From, r.Filter.To)
		}
		for i := range rows {
			rows[i].Label = label(dim, rows[i].Key)
		}
		sortStats(dim, rows)
		total.Label = l.T("stats.total")
		return courses.Suppress(dim, rows, total, hidden)
	}
	for _, dim := range dims {
		r.Tables = append(r.Tables, table(dim, hidden))
	}
	// Every table has the same total; the most protected one is shown.
	r.Total = r.Tables[0].Total
	for _, t := range r.Tables[1:] {
		r.Total.Enrolled.Suppressed = r.Total.Enrolled.Suppressed || t.Total.Enrolled.Suppressed
		r.Total.Completed.Suppressed = r.Total.Completed.Suppressed || t.Total.Completed.Suppressed
	}
	if r.Total.Enrolled.Suppressed {
		r.Total.Enrolled.N = 0
	}
	if r.Total.Completed.Suppressed {
		r.Total.Completed.N = 0
	}
	// A total hidden in one table is hidden in all: otherwise another
	// table's total would give it away.
	for i, t := range r.Tables {
		if r.Total.Enrolled.Suppressed != t.Total.Enrolled.Suppressed || r.Total.Completed.Suppressed != t.Total.Completed.Suppressed {
			r.Tables[i] = table(t.Dimension, courses.TotalHidden{Enrolled: r.Total.Enrolled.Suppressed, Completed: r.Total.Completed.Suppressed})
		}
	}
	if r.Full && r.Filter.Province == "" {
		t, err := a.allMunicipalities(ctx, st, r, l, muniName, muniProvince)
		if err != nil {
			return err
		}
		r.Tables = append(r.Tables, t)
	}
	return nil
}

// allMunicipalities is the municipalities of every province for a full
// export: each province's municipalities suppressed as its drill-down
// page does, with its total hidden where the province table hid it. The
// rows name their province; the table has no total of its own (it is the
// province table's).
func (a *application) allMunicipalities(ctx context.Context, st *db.StatsService, r *statsReport, l *Locale,
	name, province map[string]string) (courses.StatsTable, error) {
	rows, _, err := st.Counts(ctx, r.Filter, courses.ByMunicipality)
	if err != nil {
		return courses.StatsTable{}, err
	}
	hidden := map[string]courses.TotalHidden{}
	if t := r.tableOf(courses.ByProvince); t != nil {
		for _, row := range t.Rows {
			hidden[row.Key] = courses.TotalHidden{Enrolled: row.Enrolled.Suppressed, Completed: row.Completed.Suppressed}
		}
	}
	groups := map[string][]courses.StatsCount{}
	for _, row := range rows {
		p := province[row.Key]
		row.Label = cmp.Or(name[row.Key], l.T("stats.no_municipality"))
		if p != "" {
			row.Label += " (" + p + ")"
		}
		groups[p] = append(groups[p], row)
	}
	keys := make([]string, 0, len(groups))
	for p := range groups {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if (a == "") != (b == "") {
			return cmp.Compare(b, a)
		}
		return courses.CompareDutch(a, b)
	})
	all := courses.StatsTable{Dimension: courses.ByMunicipality}
	for _, p := range keys {
		group := groups[p]
		sortStats(courses.ByMunicipality, group)
		var total courses.StatsCount
		for _, row := range group {
			total.Enrolled += row.Enrolled
			total.Completed += row.Completed
		}
		// The group's people bounds are not needed: its total is the
		// province's row, shown or hidden by the province table.
		total.EnrolledPeople, total.CompletedPeople, total.OpenPeople = total.Enrolled, total.Completed, total.Enrolled-total.Completed
		t := courses.Suppress(courses.ByMunicipality, group, total, hidden[p])
		all.Rows = append(all.Rows, t.Rows...)
	}
	all.Total = r.Tables[0].Total
	return all, nil
}

// fillMonths adds the months of the period without enrolments, so that
// a chart over time has no gaps.
func fillMonths(rows []courses.StatsCount, from, to courses.Month) []courses.StatsCount {
	have := map[string]bool{}
	for _, r := range rows {
		have[r.Key] = true
	}
	for m := from; m <= to && m.Valid(); m = m.Next() {
		if k := strconv.Itoa(int(m)); !have[k] {
			rows = append(rows, courses.StatsCount{Key: k})
		}
	}
	return rows
}

// sortStats puts rows in reading order: courses and places by name in
// Dutch, offices as the office list has them, months in time; what is
// unknown last.
func sortStats(dim courses.StatsDimension, rows []courses.StatsCount) {
	slices.SortStableFunc(rows, func(a, b courses.StatsCount) int {
		if (a.Key == "") != (b.Key == "") {
			if a.Key == "" {
				return 1
			}
			return -1
		}
		switch dim {
		case courses.ByOffice:
			return cmp.Compare(slices.Index(courses.Offices, courses.Office(a.Key)), slices.Index(courses.Offices, courses.Office(b.Key)))
		case courses.ByMonth:
			return cmp.Compare(a.Key, b.Key)
		}
		return courses.CompareDutch(a.Label, b.Label)
	})
}

// statsProvinces lists the provinces for the filter, in Dutch order.
func (a *application) statsProvinces(ctx context.Context) ([]string, error) {
	list, err := a.municipalityList.Municipalities(ctx, true)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range list {
		if !seen[m.Province] {
			seen[m.Province] = true
			out = append(out, m.Province)
		}
	}
	slices.SortFunc(out, courses.CompareDutch)
	return out, nil
}

// buildStats reads the filter and builds the report for an association
// (nil: the platform).
func (a *application) buildStats(c *fiber.Ctx, as *courses.Association, full bool) (*statsReport, error) {
	ctx := c.UserContext()
	l := a.localeFrom(c)
	names, err := db.NewStatsService(a.db).CourseNames(ctx)
	if err != nil {
		return nil, err
	}
	provinces, err := a.statsProvinces(ctx)
	if err != nil {
		return nil, err
	}
	r := &statsReport{Scope: "platform", ScopeName: l.T("stats.platform"), Courses: names, Provinces: provinces, Association: as, Full: full}
	if as != nil {
		r.Scope, r.ScopeName, r.Filter.AssociationID = as.Slug, as.Name, as.ID
	}
	f, slug, problems := a.statsFilter(c, names, provinces)
	f.AssociationID = r.Filter.AssociationID
	r.Filter, r.CourseSlug = f, slug
	if len(problems) > 0 {
		err := courses.Invalid("statistics filter", problems...)
		r.Problems = problemsByField(l, err)
		return r, err
	}
	return r, a.statsReportFor(ctx, l, r)
}

// handleAssociationStats shows an association's statistics to its admins
// (and to admins); ?formaat=csv or xlsx downloads them.
func (a *application) handleAssociationStats(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	return a.serveStats(c, as)
}

// handlePlatformStats shows the whole platform's statistics to admins, or
// one association's with ?vereniging=.
func (a *application) handlePlatformStats(c *fiber.Ctx) error {
	if slug := c.Query("vereniging"); slug != "" {
		as, err := a.users.AssociationBySlug(c.UserContext(), slug)
		if err != nil {
			return err
		}
		return c.Redirect("/vereniging/"+as.Slug+"/statistiek", fiber.StatusSeeOther)
	}
	return a.serveStats(c, nil)
}

func (a *application) serveStats(c *fiber.Ctx, as *courses.Association) error {
	format := c.Query("formaat")
	r, err := a.buildStats(c, as, format == "csv" || format == "xlsx")
	l := a.localeFrom(c)
	if courses.ErrorCode(err) == courses.EINVALID && r != nil {
		return a.renderStats(c, fiber.StatusBadRequest, r)
	}
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		return a.sendStatsCSV(c, r, l)
	case "xlsx":
		return a.sendStatsXLSX(c, r, l)
	}
	return a.renderStats(c, fiber.StatusOK, r)
}

// statsView is the page's data: the report with its charts.
type statsView struct {
	*statsReport
	Charts     map[courses.StatsDimension]template.HTML
	Query      string // the filter as a query string, for links
	Path       string
	Downloads  bool
	AllOffices []courses.Office
}

func (a *application) renderStats(c *fiber.Ctx, status int, r *statsReport) error {
	l := a.localeFrom(c)
	v := statsView{statsReport: r, Charts: map[courses.StatsDimension]template.HTML{}, AllOffices: courses.Offices, Path: "/beheer/statistiek"}
	if r.Association != nil {
		v.Path = "/vereniging/" + r.Association.Slug + "/statistiek"
	}
	v.Query = statsQuery(r)
	for _, t := range r.Tables {
		v.Charts[t.Dimension] = statsChart(l, t)
	}
	title := l.T("stats.title", "scope", r.ScopeName)
	nav := "stats"
	if r.Association != nil {
		nav = "members"
	}
	return a.renderForm(c, status, "stats", title, nav, v.Path, v)
}

// statsQuery writes the report's filter as a query string.
func statsQuery(r *statsReport) string {
	q := "van=" + r.Filter.From.String() + "&tot=" + r.Filter.To.String()
	if r.CourseSlug != "" {
		q += "&cursus=" + r.CourseSlug
	}
	if r.Filter.Office != "" {
		q += "&ambt=" + string(r.Filter.Office)
	}
	if r.Filter.Province != "" {
		q += "&provincie=" + url.QueryEscape(r.Filter.Province)
	}
	return q
}

// statsChart draws a table's completion rates, or its enrolments over
// time, as an accessible SVG; the table next to it has the same numbers.
func statsChart(l *Locale, t courses.StatsTable) template.HTML {
	c := chart.Chart{ID: "chart-" + string(t.Dimension), Title: l.T("stats.chart." + string(t.Dimension)), Desc: l.T("stats.chart_desc")}
	for _, row := range t.Rows {
		b := chart.Bar{Label: row.Label}
		if t.Dimension == courses.ByMonth {
			if row.Enrolled.Suppressed {
				b.Hidden, b.Text = true, "<5"
			} else {
				b.Value, b.Text = float64(row.Enrolled.N), l.Number(float64(row.Enrolled.N), 0)
			}
		} else if rate, ok := row.Rate(); ok {
			b.Value, b.Text = rate, percent(l, rate)
		} else {
			// A rate that may not be shown is a dash, as in the table, and
			// no bar: "<5" would read as "under 5 %".
			b.Value, b.Text = 0, "–"
		}
		c.Bars = append(c.Bars, b)
	}
	if t.Dimension != courses.ByMonth {
		c.Max = 100
	}
	return c.SVG()
}

// shownText writes a count as shown: the number, or "<5".
func shownText(l *Locale, s courses.Shown) string {
	if s.Suppressed {
		return "<" + strconv.Itoa(courses.Threshold)
	}
	return l.Number(float64(s.N), 0)
}

// rateText writes a cell's completion rate, or a dash when it may not be
// shown.
func rateText(l *Locale, c courses.StatsCell) string {
	if rate, ok := c.Rate(); ok {
		return percent(l, rate)
	}
	return "–"
}

// percent writes a rate with one decimal, as the language writes it:
// 52,4% or 52.4%.
func percent(l *Locale, rate float64) string {
	s := strconv.FormatFloat(rate, 'f', 1, 64)
	if l.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}

// statsFileName names a download after its scope and period.
func statsFileName(r *statsReport, ext string) string {
	return fmt.Sprintf("raadzaam-statistiek-%s-%s-%s.%s", r.Scope, r.Filter.From, r.Filter.To, ext)
}

// sendStatsCSV writes the report as one CSV for Dutch Excel: UTF-8 with a
// byte order mark, ';' between cells, decimal commas.
func (a *application) sendStatsCSV(c *fiber.Ctx, r *statsReport, l *Locale) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+statsFileName(r, "csv")+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	var sb strings.Builder
	sb.WriteString("\ufeff")
	sb.WriteString(csvRow(l.T("stats.col.table"), l.T("stats.col.key"), l.T("stats.col.name"), l.T("stats.col.enrolled"),
		l.T("stats.col.completed"), l.T("stats.col.rate")))
	for _, t := range r.Tables {
		for _, row := range append(slices.Clone(t.Rows), t.Total) {
			sb.WriteString(csvRow(l.T("stats.table."+string(t.Dimension)), row.Key, row.Label, shownText(l, row.Enrolled),
				shownText(l, row.Completed), rateText(l, row)))
		}
	}
	return c.SendString(sb.String())
}

// sendStatsXLSX writes the report as a workbook, a sheet per table,
// streamed.
func (a *application) sendStatsXLSX(c *fiber.Ctx, r *statsReport, l *Locale) error {
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+statsFileName(r, "xlsx")+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := writeStatsXLSX(w, r, l); err != nil {
			a.log.Error("statistics workbook", "error", err.Error())
		}
		_ = w.Flush()
	})
	return nil
}

func writeStatsXLSX(w *bufio.Writer, r *statsReport, l *Locale) error {
	x := xlsx.NewWriter(w)
	cell := func(s courses.Shown) any {
		if s.Suppressed {
			return "<" + strconv.Itoa(courses.Threshold)
		}
		return s.N
	}
	for _, t := range r.Tables {
		if err := x.Sheet(l.T("stats.table."+string(t.Dimension)), l.T("stats.col.key"), l.T("stats.col.name"), l.T("stats.col.enrolled"),
			l.T("stats.col.completed"), l.T("stats.col.rate")); err != nil {
			return err
		}
		for _, row := range append(slices.Clone(t.Rows), t.Total) {
			var rate any = "–"
			if v, ok := row.Rate(); ok {
				rate = xlsx.Percent(v / 100)
			}
			if err := x.Row(row.Key, row.Label, cell(row.Enrolled), cell(row.Completed), rate); err != nil {
				return err
			}
		}
	}
	return x.Close()
}

// withoutProvince drops the province from a statistics query string: the
// way back from a province's municipalities.
func withoutProvince(query string) string {
	var keep []string
	for _, part := range strings.Split(query, "&") {
		if !strings.HasPrefix(part, "provincie=") {
			keep = append(keep, part)
		}
	}
	return strings.Join(keep, "&")
}
