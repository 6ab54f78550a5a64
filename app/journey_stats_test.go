package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/xuri/excelize/v2"
)

// TestJourneyStatistics follows an admin of the NVvR (Raadslid.Nu), who
// signs in with two steps, through the members' statistics on a phone
// (360 px): from the members page to the statistics by keyboard, the
// summary and the four tables, each after a chart with the same figures;
// the CSV and the workbook, downloaded in the page, hide the same cells;
// a province opens by keyboard into its municipalities and back; the
// filter is used with the keyboard only; a bad month is explained at its
// field; and the page reads in English. axe checks every state of the
// page, and no state scrolls sideways at 360 px (the tables scroll in
// their own region). Screenshots at 360 and 1280 px are kept to look at.
func TestJourneyStatistics(t *testing.T) {
	browser := newBrowser(t)
	env := testEnv(t, db.SQLite, nil)
	base := startServerEnv(t, env)
	axeSource := readAxe(t)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	nl, en := cat.Locale("nl"), cat.Locale("en")
	const (
		email     = "griffie@nvvr.example.nl"
		statsPath = "/vereniging/nvvr/statistiek"
	)
	secret := createJourneyAssociationAdmin(t, env["DATABASE_URL"], email, "nvvr")
	world := buildJourneyStatsWorld(t, env["DATABASE_URL"], nl)

	tab := newTab(t, browser)
	viewport(t, tab, 360, 740)

	// checkPage runs axe and the checks axe leaves out: the language, one
	// h1, no sideways scrolling at phone width (WCAG 1.4.10), and tables
	// that scroll, if at all, in a focusable region of their own.
	checkPage := func(t *testing.T, lang string) {
		t.Helper()
		checkAxe(t, tab, axeSource)
		if got := evaluate[string](t, tab, `document.documentElement.lang`); got != lang {
			t.Errorf("%s: html lang %q, want %q", pathOf(t, tab), got, lang)
		}
		if got := evaluate[int](t, tab, `document.querySelectorAll('h1').length`); got != 1 {
			t.Errorf("%s: %d h1 elements, want 1", pathOf(t, tab), got)
		}
		if evaluate[int](t, tab, `window.innerWidth`) > 400 {
			return
		}
		if w := evaluate[[2]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			t.Errorf("%s scrolls sideways: %d > %d; widest: %s", pathOf(t, tab), w[0], w[1], evaluate[string](t, tab, widestElements))
		}
		for _, r := range evaluate[[]statsRegion](t, tab, statsRegions) {
			if r.Right > r.Viewport+0.5 || r.OverflowX != "auto" && r.OverflowX != "scroll" || r.Role != "region" || r.TabIndex != 0 || r.Label == "" {
				t.Errorf("the table %q does not scroll in a focusable region of its own within the page: %+v", r.Label, r)
			}
		}
	}
	// readPage reads the summary and every table with its chart.
	readPage := func(t *testing.T) statsPage {
		t.Helper()
		return evaluate[statsPage](t, tab, statsPageScript)
	}
	// checkTables checks each table's heading, chart and table in locale
	// l: the chart is an image named by its title and description and
	// comes before a table with the same figures, bar by bar.
	checkTables := func(t *testing.T, l *Locale, p statsPage, dims ...string) {
		t.Helper()
		var got []string
		for _, tb := range p.Tables {
			got = append(got, tb.Dim)
		}
		if !slices.Equal(got, dims) {
			t.Fatalf("tables: got %q, want %q", got, dims)
		}
		for _, tb := range p.Tables {
			checkStatsTable(t, l, tb)
		}
	}
	table := func(t *testing.T, p statsPage, dim string) statsTable {
		t.Helper()
		for _, tb := range p.Tables {
			if tb.Dim == dim {
				return tb
			}
		}
		t.Fatalf("no table %s on the page", dim)
		return statsTable{}
	}
	checkFacts := func(t *testing.T, l *Locale, p statsPage, enrolled, completed, rate string) {
		t.Helper()
		want := [][2]string{{l.T("stats.col.enrolled"), enrolled}, {l.T("stats.col.completed"), completed}, {l.T("stats.col.rate"), rate}}
		if !slices.Equal(p.Facts, want) {
			t.Errorf("summary: got %q, want %q", p.Facts, want)
		}
	}

	var (
		page           statsPage // the statistics without a filter, as first seen
		csvHref, xHref string
	)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"signs-in-with-two-steps", func(t *testing.T) {
			openIn(t, tab, base, "nl", "/inloggen", http.StatusOK)
			submit(t, tab, http.StatusOK, "/inloggen/code",
				chromedp.SendKeys(chromedp.CSS("#email"), email),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			code, _ := totpCodeAfter(t, tab, secret, 0)
			submit(t, tab, http.StatusOK, "/mijn-leren", chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter))
		}},
		{"opens-the-statistics-from-the-members-page", func(t *testing.T) {
			submit(t, tab, http.StatusOK, "/vereniging/nvvr/leden", chromedp.Navigate(base+"/vereniging/nvvr/leden"))
			// The members page is only the way in: axe, but not the
			// statistics' layout checks.
			checkAxe(t, tab, axeSource)
			link := `main a[href="` + statsPath + `"]`
			tabTo(t, tab, link, 40)
			if got, want := evaluate[string](t, tab, `document.activeElement.textContent.trim()`), nl.T("stats.association_link"); got != want {
				t.Errorf("the link to the statistics says %q, want %q", got, want)
			}
			submit(t, tab, http.StatusOK, statsPath, chromedp.KeyEvent(kb.Enter))
			if got, want := evaluate[string](t, tab, `document.querySelector('h1').textContent.trim()`), nl.T("stats.title", "scope", world.association); got != want {
				t.Errorf("h1: got %q, want %q", got, want)
			}
		}},
		{"reads-the-summary-and-the-tables", func(t *testing.T) {
			page = readPage(t)
			checkFacts(t, nl, page, "42", "22", "52,4%")
			checkTables(t, nl, page, "course", "office", "province", "month")
			for _, want := range world.tables {
				if got := table(t, page, want.dim); !slices.EqualFunc(got.Rows, want.rows, slices.Equal) || !slices.Equal(got.Total, want.total) {
					t.Errorf("%s: got\n%q\n%q\nwant\n%q\n%q", want.dim, got.Rows, got.Total, want.rows, want.total)
				}
			}
			months := table(t, page, "month")
			if n := monthsBetween(courses.ElectionMonth, courses.MonthOf(time.Now())); len(months.Rows) != n {
				t.Errorf("per month: %d rows, want one per month since the elections, %d", len(months.Rows), n)
			}
			for _, want := range world.months {
				i := slices.IndexFunc(months.Rows, func(r []string) bool { return r[0] == want[0] })
				if i < 0 || !slices.Equal(months.Rows[i], want) {
					t.Errorf("per month: want a row %q in\n%q", want, months.Rows)
				}
			}
			if page.Suppressed == 0 {
				t.Error("no cell on the page says <5")
			}
			checkPage(t, "nl")
			for _, r := range evaluate[[]statsRegion](t, tab, statsRegions) {
				if r.ScrollWidth > r.ClientWidth {
					t.Logf("at 360 px the table %q scrolls in its region: %d px wide in %d", r.Label, r.ScrollWidth, r.ClientWidth)
				}
			}
			saveJourneyScreenshot(t, tab, "statistiek-360.png")
		}},
		{"downloads-the-csv", func(t *testing.T) {
			links := evaluate[[][2]string](t, tab, `[...document.querySelectorAll('section[aria-labelledby=stats-summary] a[download]')]
				.map(a => [a.getAttribute('href'), a.textContent.trim()])`)
			if len(links) != 2 || links[0][1] != nl.T("stats.download_csv") || links[1][1] != nl.T("stats.download_xlsx") {
				t.Fatalf("download links: got %q", links)
			}
			csvHref, xHref = links[0][0], links[1][0]
			status, kind, body := fetchInPage(t, tab, csvHref)
			if status != http.StatusOK || !strings.HasPrefix(kind, "text/csv") {
				t.Fatalf("GET %s in the page: %d %q %.80q", csvHref, status, kind, body)
			}
			if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
				t.Errorf("the CSV does not start with the UTF-8 byte order mark: %.20q", body)
			}
			r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))))
			r.Comma = ';'
			records, err := r.ReadAll()
			if err != nil {
				t.Fatalf("the CSV does not read with ';' between cells: %v\n%s", err, body)
			}
			if want := []string{nl.T("stats.col.table"), nl.T("stats.col.key"), nl.T("stats.col.name"), nl.T("stats.col.enrolled"),
				nl.T("stats.col.completed"), nl.T("stats.col.rate")}; len(records) == 0 || !slices.Equal(records[0], want) {
				t.Fatalf("CSV header: got %q, want %q", records[:min(len(records), 1)], want)
			}
			// Each table of the page, with its total, is in the CSV as it
			// is shown: the same "<5" cells.
			for _, tb := range page.Tables {
				var got [][]string
				for _, rec := range records[1:] {
					if rec[0] == tb.Heading {
						got = append(got, rec[2:])
					}
				}
				if want := append(slices.Clone(tb.Rows), tb.Total); !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("CSV rows of %q:\ngot  %q\nwant %q (the page)", tb.Heading, got, want)
				}
			}
			// The CSV adds every province's municipalities (the page shows
			// them one province at a time); the page's tables hide the same.
			hidden := 0
			for _, rec := range records[1:] {
				if rec[0] != nl.T("stats.table.municipality") {
					hidden += strings.Count(strings.Join(rec, ";"), ";<5")
				}
			}
			if want := page.Suppressed; hidden != want {
				t.Errorf("the CSV's tables have %d cells <5, the page's %d", hidden, want)
			}
		}},
		{"downloads-the-workbook", func(t *testing.T) {
			status, kind, body := fetchInPage(t, tab, xHref)
			if status != http.StatusOK || kind != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" || !bytes.HasPrefix(body, []byte("PK")) {
				t.Fatalf("GET %s in the page: %d %q %.20q", xHref, status, kind, body)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("excelize cannot read the workbook: %v", err)
			}
			defer f.Close()
			var headings []string
			for _, tb := range page.Tables {
				headings = append(headings, tb.Heading)
			}
			// A sheet per table of the page, and every province's
			// municipalities last.
			if got := f.GetSheetList(); !slices.Equal(got, append(headings, nl.T("stats.table.municipality"))) {
				t.Errorf("sheets: got %q, want the tables %q and the municipalities", got, headings)
			}
			for _, tb := range page.Tables {
				rows, err := f.GetRows(tb.Heading)
				if err != nil {
					t.Errorf("sheet %q: %v", tb.Heading, err)
					continue
				}
				if want := []string{nl.T("stats.col.key"), nl.T("stats.col.name"), nl.T("stats.col.enrolled"), nl.T("stats.col.completed"),
					nl.T("stats.col.rate")}; len(rows) == 0 || !slices.Equal(rows[0], want) {
					t.Errorf("sheet %q header: got %q, want %q", tb.Heading, rows[:min(len(rows), 1)], want)
					continue
				}
				// excelize shows the percentages as an English Excel does
				// (0.0%), the page as Dutch with trailing zeros dropped:
				// they are compared as numbers.
				var got, want [][]string
				for _, row := range rows[1:] {
					got = append(got, []string{cellAt(row, 1), cellAt(row, 2), cellAt(row, 3), percentOf(t, cellAt(row, 4))})
				}
				for _, row := range append(slices.Clone(tb.Rows), tb.Total) {
					want = append(want, []string{row[0], row[1], row[2], percentOf(t, row[3])})
				}
				if !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("sheet %q:\ngot  %q\nwant %q (the page)", tb.Heading, got, want)
				}
			}
		}},
		{"opens-a-province-by-keyboard", func(t *testing.T) {
			link := `section[aria-labelledby=stats-province] tbody a[href*="provincie=Noord-Holland"]`
			evaluate[chromedp.Void](t, tab, `document.querySelector(`+strconv.Quote(link)+`).focus()`)
			if !focusMatches(t, tab, link) {
				t.Fatalf("focus is on %s, want the link of Noord-Holland", evaluate[string](t, tab, describeFocus))
			}
			submit(t, tab, http.StatusOK, statsPath, chromedp.KeyEvent(kb.Enter))
			if got := evaluate[string](t, tab, `new URLSearchParams(location.search).get('provincie')`); got != "Noord-Holland" {
				t.Errorf("the province in the address: got %q, want Noord-Holland", got)
			}
			p := readPage(t)
			checkFacts(t, nl, p, "16", "7", "43,8%")
			checkTables(t, nl, p, "course", "office", "municipality", "month")
			m := table(t, p, "municipality")
			if want := nl.T("stats.table.municipality") + ": Noord-Holland"; m.Heading != want {
				t.Errorf("heading: got %q, want %q", m.Heading, want)
			}
			want := [][]string{{"Amsterdam", "10", "<5", "–"}, {"Haarlem", "6", "<5", "–"}}
			if !slices.EqualFunc(m.Rows, want, slices.Equal) || !slices.Equal(m.Total, []string{"Totaal", "16", "7", "43,8%"}) {
				t.Errorf("per gemeente: got %q %q, want %q and the province's total", m.Rows, m.Total, want)
			}
			if got := evaluate[string](t, tab, `document.querySelector('#provincie').value`); got != "Noord-Holland" {
				t.Errorf("the filter's province: got %q, want Noord-Holland", got)
			}
			checkPage(t, "nl")
		}},
		{"goes-back-to-all-provinces-by-keyboard", func(t *testing.T) {
			back := `section[aria-labelledby=stats-municipality] a`
			tabTo(t, tab, back, 60)
			if got, want := evaluate[string](t, tab, `document.activeElement.textContent.trim()`), nl.T("stats.all_provinces_back"); got != want {
				t.Errorf("the way back says %q, want %q", got, want)
			}
			submit(t, tab, http.StatusOK, statsPath, chromedp.KeyEvent(kb.Enter))
			if got := evaluate[string](t, tab, `location.search`); strings.Contains(got, "provincie") {
				t.Errorf("back to all provinces, the address still has a province: %s", got)
			}
			p := readPage(t)
			checkFacts(t, nl, p, "42", "22", "52,4%")
			if got := table(t, p, "province"); !slices.EqualFunc(got.Rows, table(t, page, "province").Rows, slices.Equal) {
				t.Errorf("per provincie after going back: %q", got.Rows)
			}
		}},
		{"filters-by-keyboard", func(t *testing.T) {
			openIn(t, tab, base, "nl", statsPath, http.StatusOK)
			from := world.from
			tabTo(t, tab, "input#van", 40)
			typeMonth(t, tab, from)
			tabTo(t, tab, "select#ambt", 8)
			chooseByKeyboard(t, tab, string(courses.Raadslid))
			tabTo(t, tab, "select#provincie", 1)
			chooseByKeyboard(t, tab, "Utrecht")
			tabTo(t, tab, "form.rz-filter button[type=submit]", 1)
			submit(t, tab, http.StatusOK, statsPath, chromedp.KeyEvent(kb.Enter))
			q, err := url.ParseQuery(strings.TrimPrefix(evaluate[string](t, tab, `location.search`), "?"))
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{"van": from.String(), "ambt": "raadslid", "provincie": "Utrecht", "cursus": ""} {
				if got := q.Get(k); got != want {
					t.Errorf("filter %s: got %q, want %q (address %s)", k, got, want, q.Encode())
				}
			}
			if got := evaluate[[3]string](t, tab, `['#van', '#ambt', '#provincie'].map(s => document.querySelector(s).value)`); got != [3]string{from.String(), "raadslid", "Utrecht"} {
				t.Errorf("the filter does not keep its values: %q", got)
			}
			// Five councillors of Utrecht since then, three of whom
			// completed: the province's completions are hidden in the
			// table of provinces, so the total is hidden here too.
			p := readPage(t)
			checkFacts(t, nl, p, "5", "<5", "–")
			checkTables(t, nl, p, "course", "office", "municipality", "month")
			if m := table(t, p, "municipality"); !slices.EqualFunc(m.Rows, [][]string{{"Utrecht", "5", "<5", "–"}}, slices.Equal) ||
				!slices.Equal(m.Total, []string{"Totaal", "5", "<5", "–"}) {
				t.Errorf("per gemeente: got %q %q", m.Rows, m.Total)
			}
			if got := table(t, p, "month"); len(got.Rows) != monthsBetween(from, courses.MonthOf(time.Now())) {
				t.Errorf("per maand from %s: %d rows", from, len(got.Rows))
			}
			checkPage(t, "nl")
		}},
		{"explains-a-bad-month", func(t *testing.T) {
			submit(t, tab, http.StatusBadRequest, statsPath, chromedp.Navigate(base+statsPath+"?van=maart"))
			field := evaluate[struct {
				Invalid     string `json:"invalid"`
				DescribedBy string `json:"describedBy"`
				Error       string `json:"error"`
				SameField   bool   `json:"sameField"`
				Alert       string `json:"alert"`
				Tables      int    `json:"tables"`
			}](t, tab, `(() => {
				const input = document.querySelector('#van'), err = document.querySelector('#van-error');
				return {
					invalid: input.getAttribute('aria-invalid') || '',
					describedBy: input.getAttribute('aria-describedby') || '',
					error: err ? err.textContent.trim() : '',
					sameField: !!err && err.closest('.utrecht-form-field') === input.closest('.utrecht-form-field'),
					alert: (document.querySelector('form.rz-filter [role=alert]') || {textContent: ''}).textContent.trim(),
					tables: document.querySelectorAll('main table').length,
				};
			})()`)
			if field.Invalid != "true" || field.DescribedBy != "van-error" {
				t.Errorf("the month field: aria-invalid %q, aria-describedby %q; want true and van-error", field.Invalid, field.DescribedBy)
			}
			if want := nl.TArgs(courses.ProblemBadMonth, map[string]any{"value": "maart"}); field.Error != want {
				t.Errorf("the error at the field: got %q, want %q", field.Error, want)
			}
			if !field.SameField {
				t.Error("the error is not next to its field")
			}
			if want := nl.T("error.invalid"); field.Alert != want {
				t.Errorf("the alert: got %q, want %q", field.Alert, want)
			}
			if field.Tables != 0 {
				t.Errorf("a bad filter still shows %d tables", field.Tables)
			}
			checkPage(t, "nl")
		}},
		{"reads-it-in-english", func(t *testing.T) {
			openIn(t, tab, base, "en", statsPath, http.StatusOK)
			if got := evaluate[string](t, tab, `document.querySelector('h1').textContent.trim()`); !strings.HasPrefix(got, "Statistics") ||
				got != en.T("stats.title", "scope", world.association) {
				t.Errorf("h1 in English: %q", got)
			}
			p := readPage(t)
			checkFacts(t, en, p, "42", "22", "52.4%")
			checkTables(t, en, p, "course", "office", "province", "month")
			checkPage(t, "en")
		}},
		{"looks-at-it-on-a-desktop", func(t *testing.T) {
			viewport(t, tab, 1280, 900)
			openIn(t, tab, base, "nl", statsPath, http.StatusOK)
			checkPage(t, "nl")
			saveJourneyScreenshot(t, tab, "statistiek-1280.png")
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow()
		}
	}
}

// statsPage is what the statistics page shows: the summary, every table
// with its chart, and how many cells say "<5".
type statsPage struct {
	Facts      [][2]string  `json:"facts"`
	Tables     []statsTable `json:"tables"`
	Suppressed int          `json:"suppressed"`
}

// statsTable is one section of the page: its chart and its table.
type statsTable struct {
	Dim        string     `json:"dim"`
	Heading    string     `json:"heading"`
	Role       string     `json:"role"`
	LabelledBy []string   `json:"labelledBy"` // "tag:text" of each element that names the chart
	ChartFirst bool       `json:"chartFirst"`
	BarLabels  []string   `json:"barLabels"` // in full, also where the chart cuts them
	BarTexts   []string   `json:"barTexts"`
	Caption    string     `json:"caption"`
	Head       []string   `json:"head"`
	Rows       [][]string `json:"rows"` // name, enrolled, completed, rate
	Total      []string   `json:"total"`
}

// statsPageScript reads a statsPage. A row's name leaves out the text for
// screen readers only; a bar's label is its tooltip where it is cut.
const statsPageScript = `(() => {
	const text = e => e ? e.textContent.replace(/\s+/g, ' ').trim() : '';
	const visible = e => { const c = e.cloneNode(true); c.querySelectorAll('.rz-visually-hidden').forEach(x => x.remove()); return text(c); };
	const tables = [...document.querySelectorAll('main section[aria-labelledby^="stats-"]')].filter(s => s.querySelector('table')).map(s => {
		const svg = s.querySelector('svg'), table = s.querySelector('table');
		const ids = ((svg && svg.getAttribute('aria-labelledby')) || '').split(/\s+/).filter(Boolean);
		return {
			dim: s.getAttribute('aria-labelledby').replace(/^stats-/, ''),
			heading: text(s.querySelector('h2')),
			role: svg ? svg.getAttribute('role') || '' : '',
			labelledBy: ids.map(id => { const e = document.getElementById(id); return e && svg.contains(e) ? e.tagName.toLowerCase() + ':' + text(e) : 'no ' + id + ' in the chart'; }),
			chartFirst: !!svg && !!(svg.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING),
			barLabels: svg ? [...svg.querySelectorAll(':scope > g > text')].map(t => t.querySelector('title') ? text(t.querySelector('title')) : text(t)) : [],
			barTexts: svg ? [...svg.querySelectorAll(':scope > text')].map(text) : [],
			caption: text(table.caption),
			head: [...table.tHead.rows[0].cells].map(text),
			rows: [...table.tBodies[0].rows].map(r => [...r.cells].map((c, i) => i ? text(c) : visible(c))),
			total: [...table.tFoot.rows[0].cells].map(text),
		};
	});
	const facts = [...document.querySelectorAll('section[aria-labelledby=stats-summary] dl.rz-facts > div')]
		.map(d => [text(d.querySelector('dt')), text(d.querySelector('dd'))]);
	const suppressed = [...document.querySelectorAll('main td')].filter(td => text(td) === '<5').length;
	return {facts, tables, suppressed};
})()`

// checkStatsTable checks one section in locale l: its heading, a chart
// named by its title and description before the table, one bar per row
// with the row's name, and each bar's text the table's figure: the
// enrolments per month, else the completion rate.
func checkStatsTable(t *testing.T, l *Locale, tb statsTable) {
	t.Helper()
	if want := l.T("stats.table." + tb.Dim); !strings.HasPrefix(tb.Heading, want) {
		t.Errorf("%s: heading %q, want %q", tb.Dim, tb.Heading, want)
	}
	if tb.Role != "img" {
		t.Errorf("%s: the chart's role is %q, want img", tb.Dim, tb.Role)
	}
	if want := []string{"title:" + l.T("stats.chart."+tb.Dim), "desc:" + l.T("stats.chart_desc")}; !slices.Equal(tb.LabelledBy, want) {
		t.Errorf("%s: the chart is labelled by %q, want its title and description %q", tb.Dim, tb.LabelledBy, want)
	}
	if !tb.ChartFirst {
		t.Errorf("%s: the chart does not come before the table", tb.Dim)
	}
	if want := l.T("stats.caption." + tb.Dim); tb.Caption != want {
		t.Errorf("%s: caption %q, want %q", tb.Dim, tb.Caption, want)
	}
	if want := []string{l.T("stats.head." + tb.Dim), l.T("stats.col.enrolled"), l.T("stats.col.completed"), l.T("stats.col.rate")}; !slices.Equal(tb.Head, want) {
		t.Errorf("%s: column heads %q, want %q", tb.Dim, tb.Head, want)
	}
	if len(tb.Total) != 4 || tb.Total[0] != l.T("stats.total") {
		t.Errorf("%s: total row %q", tb.Dim, tb.Total)
	}
	if len(tb.BarLabels) != len(tb.Rows) || len(tb.BarTexts) != len(tb.Rows) {
		t.Errorf("%s: %d bar labels and %d bar texts for %d rows", tb.Dim, len(tb.BarLabels), len(tb.BarTexts), len(tb.Rows))
		return
	}
	for i, row := range tb.Rows {
		if len(row) != 4 {
			t.Errorf("%s: row %q", tb.Dim, row)
			continue
		}
		if tb.BarLabels[i] != row[0] {
			t.Errorf("%s: bar %d is labelled %q, the row %q", tb.Dim, i+1, tb.BarLabels[i], row[0])
		}
		if want := barTextFor(tb.Dim, row); tb.BarTexts[i] != want {
			t.Errorf("%s, %s: the bar says %q, the table %q (want %q)", tb.Dim, row[0], tb.BarTexts[i], row[1:], want)
		}
	}
}

// barTextFor is what the bar of a table row says: per month the
// enrolments; else the completion rate as the table shows it, a dash
// where it shows none.
func barTextFor(dim string, row []string) string {
	if dim == "month" {
		return row[1]
	}
	return row[3]
}

// statsRegion is a table's scrolling region, as laid out.
type statsRegion struct {
	Label       string  `json:"label"`
	Role        string  `json:"role"`
	TabIndex    int     `json:"tabIndex"`
	OverflowX   string  `json:"overflowX"`
	Right       float64 `json:"right"`
	Viewport    float64 `json:"viewport"`
	ScrollWidth int     `json:"scrollWidth"`
	ClientWidth int     `json:"clientWidth"`
}

const statsRegions = `[...document.querySelectorAll('main table')].map(t => {
	const r = t.parentElement;
	const label = document.getElementById(r.getAttribute('aria-labelledby') || '');
	return {
		label: label ? label.textContent.trim() : '', role: r.getAttribute('role') || '', tabIndex: r.tabIndex,
		overflowX: getComputedStyle(r).overflowX, right: r.getBoundingClientRect().right, viewport: window.innerWidth,
		scrollWidth: r.scrollWidth, clientWidth: r.clientWidth,
	};
})`

// typeMonth types m into the focused month field as a keyboard user does.
// Chromium's month field has a segment for the month (shown by name in the
// browser's language, whatever the page's) and one for the year: the
// month's two digits fill the first and move on, the year's digits fill the
// second. Tab then moves through the segments before it leaves the field.
func typeMonth(t *testing.T, tab context.Context, m courses.Month) {
	t.Helper()
	press(t, tab, fmt.Sprintf("%02d%d", m.Num(), m.Year()))
	if got := evaluate[string](t, tab, `document.activeElement.value`); got != m.String() {
		t.Fatalf("typed %s into %s: its value is %q", m, evaluate[string](t, tab, describeFocus), got)
	}
}

// cellAt is row[i], or "" where a spreadsheet row ends early.
func cellAt(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// percentOf writes a percentage shown as "43,8%", "50,0%" or "43.8%" as
// "43.8%", to compare; other text stays as it is.
func percentOf(t *testing.T, s string) string {
	t.Helper()
	n, ok := strings.CutSuffix(s, "%")
	if !ok {
		return s
	}
	f, err := strconv.ParseFloat(strings.Replace(n, ",", ".", 1), 64)
	if err != nil {
		t.Errorf("percentage %q: %v", s, err)
		return s
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + "%"
}

// monthsBetween counts the months from one to another, both included.
func monthsBetween(from, to courses.Month) int {
	n := 0
	for m := from; m <= to; m = m.Next() {
		n++
	}
	return n
}

// saveJourneyScreenshot keeps a screenshot of the whole page, in
// RAADZAAM_SCREENSHOTS when set (to look at after the test), else in the
// test's temporary folder, and logs where.
func saveJourneyScreenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("RAADZAAM_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s at %d px: %s", pathOf(t, tab), evaluate[int](t, tab, `window.innerWidth`), file)
}

// createJourneyAssociationAdmin adds an admin of the association slug with
// testPassword and two-step sign-in, and returns the TOTP secret.
func createJourneyAssociationAdmin(t *testing.T, dsn, email, slug string) string {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	hash, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	users := db.NewUserService(d)
	u, err := users.CreateUser(ctx, &courses.NewUser{Email: email, Name: "Griet de Griffier", Role: courses.RoleAssociationAdmin,
		AdminOf: []string{slug}, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	secret := courses.NewTOTPSecret()
	if err := users.BeginTwoFactor(ctx, u.ID, secret); err != nil {
		t.Fatal(err)
	}
	if err := users.EnableTwoFactor(ctx, u.ID, 0, nil); err != nil {
		t.Fatal(err)
	}
	return secret
}

// journeyStatsWorld is what buildJourneyStatsWorld made, as the page
// should show it in Dutch without a filter.
type journeyStatsWorld struct {
	association string
	from        courses.Month // seven months ago, when the first members enrolled
	tables      []journeyStatsTable
	months      [][]string // the rows of the months with enrolments
}

// journeyStatsTable is a table as the page should show it.
type journeyStatsTable struct {
	dim   string
	rows  [][]string
	total []string
}

// buildJourneyStatsWorld enrols 42 members of the NVvR (and 3 others) in
// three shipped courses, in six provinces, with four offices, over five
// months, so that every table shows some counts and hides others:
//
//	municipality (province)       office        course      n  done  months ago
//	Amsterdam (Noord-Holland)     raadslid      nieuw      10     5  7
//	Haarlem (Noord-Holland)       raadslid      nieuw       6     2  7
//	Utrecht (Utrecht)             raadslid      begroting   5     3  5
//	Utrecht (Utrecht)             wethouder     begroting   5     2  5
//	Rotterdam (Zuid-Holland)      griffier      integriteit 8     6  2
//	Middelburg (Zeeland)          burgemeester  nieuw       2     1  1
//	Groningen (Groningen)         raadslid      nieuw       3     2  0
//	Súdwest-Fryslân (Fryslân)     raadslid      nieuw       3     1  0
//
// plus 3 non-members in Amsterdam, who do not count. The enrolment dates
// are set in the database and the statistics rebuilt from them.
func buildJourneyStatsWorld(t *testing.T, dsn string, nl *Locale) journeyStatsWorld {
	t.Helper()
	d, err := db.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := t.Context()
	users, learn, cs := db.NewUserService(d), db.NewLearningService(d), db.NewCourseService(d)
	trainer, err := users.CreateUser(ctx, &courses.NewUser{Email: "trainer@example.nl", Name: "Tessa Trainer", Role: courses.RoleTrainer, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	ids := map[string]int64{}
	for _, slug := range []string{"nieuw-in-de-raad", "begroting-lezen-en-beinvloeden", "integriteit-en-weerbaarheid"} {
		c, err := cs.CourseBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		titles[slug], ids[slug] = c.Title, c.ID
	}
	now := time.Now()
	monthsAgo := func(n int) time.Time {
		return time.Date(now.Year(), now.Month()-time.Month(n), 15, 12, 0, 0, 0, time.UTC)
	}
	started := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	groups := []struct {
		cbs       string
		office    courses.Office
		course    string
		n, done   int
		monthsAgo int
		member    bool
	}{
		{"GM0363", courses.Raadslid, "nieuw-in-de-raad", 10, 5, 7, true},
		{"GM0392", courses.Raadslid, "nieuw-in-de-raad", 6, 2, 7, true},
		{"GM0344", courses.Raadslid, "begroting-lezen-en-beinvloeden", 5, 3, 5, true},
		{"GM0344", courses.Wethouder, "begroting-lezen-en-beinvloeden", 5, 2, 5, true},
		{"GM0599", courses.Griffier, "integriteit-en-weerbaarheid", 8, 6, 2, true},
		{"GM0687", courses.Burgemeester, "nieuw-in-de-raad", 2, 1, 1, true},
		{"GM0014", courses.Raadslid, "nieuw-in-de-raad", 3, 2, 0, true},
		{"GM1900", courses.Raadslid, "nieuw-in-de-raad", 3, 1, 0, true},
		{"GM0363", courses.Raadslid, "nieuw-in-de-raad", 3, 3, 7, false},
	}
	n := 0
	for _, g := range groups {
		for i := range g.n {
			n++
			nu := &courses.NewUser{Email: fmt.Sprintf("lid%d@example.nl", n), Name: fmt.Sprintf("Lid %d", n), Role: courses.RoleLearner,
				PasswordHash: "x", Offices: []courses.UserOffice{{Office: g.office, CBSCode: g.cbs, StartsOn: &started}}}
			if g.member {
				nu.Associations = []string{"nvvr"}
			}
			u, err := users.CreateUser(ctx, nu)
			if err != nil {
				t.Fatal(err)
			}
			e, _, err := learn.Enrol(ctx, u.ID, ids[g.course])
			if err != nil {
				t.Fatal(err)
			}
			if i < g.done {
				if _, _, err := learn.CompleteManually(ctx, e.ID, trainer.ID, "Afgerond op de inwerkavond"); err != nil {
					t.Fatal(err)
				}
			}
			if g.monthsAgo > 0 {
				if _, err := d.NewRaw("UPDATE enrolments SET enrolled_at = ?, stats_month = 0 WHERE id = ?", monthsAgo(g.monthsAgo), e.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := d.RebuildStats(ctx); err != nil {
		t.Fatal(err)
	}
	as, err := users.AssociationBySlug(ctx, "nvvr")
	if err != nil {
		t.Fatal(err)
	}
	monthLabel := func(ago int) string {
		m := monthsAgo(ago)
		return nl.T("month."+strconv.Itoa(int(m.Month()))) + " " + strconv.Itoa(m.Year())
	}
	total := []string{"Totaal", "42", "22", "52,4%"}
	w := journeyStatsWorld{association: as.Name, from: courses.MonthOf(monthsAgo(7))}
	w.tables = append(w.tables,
		journeyStatsTable{"course", [][]string{
			{titles["begroting-lezen-en-beinvloeden"], "10", "<5", "–"},
			{titles["integriteit-en-weerbaarheid"], "8", "<5", "–"},
			{titles["nieuw-in-de-raad"], "24", "11", "45,8%"},
		}, total},
		journeyStatsTable{"office", [][]string{
			{nl.Office(courses.Raadslid), "27", "13", "48,1%"},
			{nl.Office(courses.Wethouder), "<5", "<5", "–"},
			{nl.Office(courses.Burgemeester), "<5", "<5", "–"},
			{nl.Office(courses.Griffier), "8", "<5", "–"},
		}, total},
		journeyStatsTable{"province", [][]string{
			{"Fryslân", "<5", "<5", "–"},
			{"Groningen", "<5", "<5", "–"},
			{"Noord-Holland", "16", "7", "43,8%"},
			{"Utrecht", "10", "5", "50,0%"},
			{"Zeeland", "<5", "<5", "–"},
			{"Zuid-Holland", "8", "<5", "–"},
		}, total},
	)
	w.months = [][]string{
		{monthLabel(7), "16", "7", "43,8%"},
		{monthLabel(5), "10", "5", "50,0%"},
		{monthLabel(2), "8", "<5", "–"},
		{monthLabel(1), "<5", "<5", "–"},
		{monthLabel(0), "<5", "<5", "–"},
	}
	return w
}
