package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// browserTestTimeout bounds each browser test as a whole, browser start
// included, so a hung page fails the test instead of the whole run.
const browserTestTimeout = 90 * time.Second

// chromiumPath returns the Chromium to test with: $RAADZAAM_CHROMIUM, else
// Debian's package. It skips (locally) or fails (CI=true) without one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RAADZAAM_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("RAADZAAM_CHROMIUM: %v", err)
		}
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	dbtest.SkipOrFail(t, "Chromium not found: apt-get install -y chromium")
	return ""
}

// newBrowser starts a headless Chromium for one test and returns its context,
// in which newTab opens tabs. The browser stops, and its profile is removed,
// when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	path := chromiumPath(t)
	ctx, cancel := context.WithTimeout(t.Context(), browserTestTimeout)
	t.Cleanup(cancel)
	// chromedp never downloads a browser; the explicit ExecPath also keeps
	// it from searching $PATH for some other Chrome.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()), // before the Cleanups below, so removed after Chromium exits
		chromedp.Headless,
		chromedp.NoSandbox, // CI containers run as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc) // waits for the process to exit
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return browser
}

// newTab opens a tab in browser that closes when the (sub)test ends.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	return tab
}

// evaluate runs a JavaScript expression in tab and fails the test on error.
func evaluate[T any](t *testing.T, tab context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// openIn loads path in lang through the language switch (/taal sets the
// cookie and redirects back), so the page is the one a visitor sees after
// choosing that language. It fails unless the final status is wantStatus.
func openIn(t *testing.T, tab context.Context, base, lang, path string, wantStatus int64) {
	t.Helper()
	u := base + "/taal?lang=" + lang + "&terug=" + url.QueryEscape(path)
	resp, err := chromedp.Run(tab, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	if resp.Status != wantStatus {
		t.Fatalf("open %s: status got %d, want %d", u, resp.Status, wantStatus)
	}
	if got := evaluate[string](t, tab, `location.pathname + location.search`); got != path {
		t.Fatalf("open %s: landed on %q, want %q", u, got, path)
	}
}

// axeViolation is the part of an axe-core result that a failure message needs.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axeRun checks the whole document against WCAG 2.1 A and AA and returns
// only the violations, trimmed to what a report needs.
const axeRun = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), html: n.html, summary: n.failureSummary || ''})),
})))`

// runAxe injects axe-core into the loaded page and runs it. DevTools
// evaluation is not subject to the page's Content-Security-Policy.
func runAxe(t *testing.T, tab context.Context, axeSource string) []axeViolation {
	t.Helper()
	evaluate[chromedp.Void](t, tab, axeSource)
	return evaluate[[]axeViolation](t, tab, axeRun, chromedp.EvalAwaitPromise)
}

// formatViolations lists each violation with up to three of its elements.
func formatViolations(vs []axeViolation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n%s (%s): %s (%d elements) %s", v.ID, v.Impact, v.Help, len(v.Nodes), v.HelpURL)
		for i, n := range v.Nodes {
			if i == 3 {
				fmt.Fprintf(&b, "\n    ... and %d more", len(v.Nodes)-i)
				break
			}
			fmt.Fprintf(&b, "\n    %s: %.160s\n      %s", n.Target, n.HTML, oneLine(n.Summary))
		}
	}
	return b.String()
}

// oneLine joins axe's multi-line failure summary into one line.
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}

// readAxe returns the vendored axe-core source, ready to evaluate.
func readAxe(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	// Make the script's completion value a plain one, which returns by value.
	return string(b) + "\n;true"
}

// TestAccessibility loads every public page in both languages at phone and
// desktop width and checks it with axe-core (WCAG 2.1 A and AA), plus what
// axe does not: the document language, one h1, and no horizontal scrolling
// at 360 px (WCAG 1.4.10 Reflow).
func TestAccessibility(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t, db.SQLite)
	axeSource := readAxe(t)

	// The harness must be able to fail: a planted image without alt text
	// has to come back as an image-alt violation.
	t.Run("axe-finds-planted-violation", func(t *testing.T) {
		tab := newTab(t, browser)
		openIn(t, tab, base, "nl", "/toegankelijkheid", http.StatusOK)
		evaluate[chromedp.Void](t, tab, `document.querySelector('main').append(document.createElement('img'))`)
		vs := runAxe(t, tab, axeSource)
		if len(vs) != 1 || vs[0].ID != "image-alt" {
			t.Fatalf("got violations %s\nwant exactly image-alt", formatViolations(vs))
		}
	})

	pages := []struct {
		name, path string
		status     int64
	}{
		{"home", "/", http.StatusOK},
		{"catalogue", "/cursussen", http.StatusOK},
		{"catalogue-filtered", "/cursussen?ambt=raadslid&onderwerp=financien", http.StatusOK},
		{"catalogue-empty", "/cursussen?ambt=gedeputeerde&onderwerp=recht", http.StatusOK},
		{"course", "/cursussen/begroting-lezen-en-beinvloeden", http.StatusOK},
		{"accessibility", "/toegankelijkheid", http.StatusOK},
		{"sign-in", "/inloggen", http.StatusOK},
		{"not-found", "/bestaat-niet", http.StatusNotFound},
	}
	viewports := []struct{ width, height int64 }{{360, 740}, {1280, 900}}
	// One tab per language and width, reused for every page: opening a tab
	// costs about as much as checking a page. Each page still goes through
	// /taal, so the language never depends on the order of the subtests.
	for _, lang := range languages {
		for _, vp := range viewports {
			tab := newTab(t, browser)
			if err := chromedp.Do(tab, chromedp.EmulateViewport(vp.width, vp.height)); err != nil {
				t.Fatal(err)
			}
			for _, p := range pages {
				t.Run(p.name+"/"+lang+"/"+strconv.FormatInt(vp.width, 10), func(t *testing.T) {
					openIn(t, tab, base, lang, p.path, p.status)
					if got := evaluate[string](t, tab, `document.documentElement.lang`); got != lang {
						t.Errorf("html lang: got %q, want %q", got, lang)
					}
					if got := evaluate[int](t, tab, `document.querySelectorAll('h1').length`); got != 1 {
						t.Errorf("h1 elements: got %d, want 1", got)
					}
					if vp.width <= 400 {
						w := evaluate[[2]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`)
						if w[0] > w[1] {
							t.Errorf("horizontal scrolling: scrollWidth %d > innerWidth %d; widest: %s", w[0], w[1],
								evaluate[string](t, tab, widestElements))
						}
					}
					if vs := runAxe(t, tab, axeSource); len(vs) > 0 {
						t.Errorf("axe found %d WCAG 2.1 A/AA violations:%s", len(vs), formatViolations(vs))
					}
				})
			}
		}
	}
}

// widestElements names the elements that stick out of the viewport, to say
// what to fix when a page scrolls sideways.
const widestElements = `[...document.querySelectorAll('body *')]
	.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
	.slice(0, 5)
	.map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') +
		' (right ' + Math.round(e.getBoundingClientRect().right) + ')')
	.join(', ')`

// describeFocus names the focused element, for failure messages.
const describeFocus = `(e => !e ? 'nothing' : e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
	(e.getAttribute('href') ? ' href=' + e.getAttribute('href') : '') +
	' "' + (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50) + '"')(document.activeElement)`

// focusMatches reports whether the focused element matches the CSS selector.
func focusMatches(t *testing.T, tab context.Context, selector string) bool {
	t.Helper()
	return evaluate[bool](t, tab, `!!document.activeElement && document.activeElement.matches(`+strconv.Quote(selector)+`)`)
}

// press sends keys (characters or kb constants) as real key events.
func press(t *testing.T, tab context.Context, keys string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.KeyEvent(keys)); err != nil {
		t.Fatalf("key %q: %v", keys, err)
	}
}

// tabTo presses Tab until the focused element matches selector, at most max
// times, and fails with the path the focus took if it never does.
func tabTo(t *testing.T, tab context.Context, selector string, max int) {
	t.Helper()
	var path []string
	for range max {
		press(t, tab, kb.Tab)
		if focusMatches(t, tab, selector) {
			return
		}
		path = append(path, evaluate[string](t, tab, describeFocus))
	}
	t.Fatalf("%d Tabs did not reach %s; focus went: %s", max, selector, strings.Join(path, " → "))
}

// chooseByKeyboard changes the focused closed <select> to value with
// ArrowDown, as a keyboard user on Windows or Linux does: there (and in
// headless Chromium on Linux) an arrow key on a closed select moves the
// selection without opening the list. macOS opens the list instead, which is
// why this is not a cross-platform recipe; type-ahead (typing the start of
// the option's text) would be the fallback there.
func chooseByKeyboard(t *testing.T, tab context.Context, value string) {
	t.Helper()
	n := evaluate[int](t, tab, `document.activeElement.options.length`)
	for range n {
		if evaluate[string](t, tab, `document.activeElement.value`) == value {
			return
		}
		press(t, tab, kb.ArrowDown)
	}
	if got := evaluate[string](t, tab, `document.activeElement.value`); got != value {
		t.Fatalf("select %s: value got %q after %d ArrowDowns, want %q", evaluate[string](t, tab, describeFocus), got, n, value)
	}
}

// TestKeyboardFilter filters the catalogue at phone width with the keyboard
// only: skip link first, then the two selects, then Enter on the button.
func TestKeyboardFilter(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t, db.SQLite)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	nl := cat.Locale("nl")
	tab := newTab(t, browser)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatal(err)
	}
	openIn(t, tab, base, "nl", "/cursussen", http.StatusOK)

	press(t, tab, kb.Tab)
	if !focusMatches(t, tab, "a.rz-skiplink[href='#inhoud']") {
		t.Fatalf("first Tab: focus on %s, want the skip link", evaluate[string](t, tab, describeFocus))
	}
	if got, want := evaluate[string](t, tab, `document.activeElement.textContent.trim()`), nl.T("skip.to_content"); got != want {
		t.Errorf("skip link text: got %q, want %q", got, want)
	}

	tabTo(t, tab, "select#filter-ambt", 15)
	chooseByKeyboard(t, tab, string(courses.Raadslid))
	tabTo(t, tab, "select#filter-onderwerp", 1)
	chooseByKeyboard(t, tab, "financien")
	tabTo(t, tab, "form.rz-filter button[type=submit]", 1)
	resp, err := chromedp.RunResponse(tab, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		t.Fatalf("submit with Enter: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("submit with Enter: status got %d, want 200", resp.Status)
	}

	loc := evaluate[string](t, tab, `location.href`)
	for _, want := range []string{"ambt=raadslid", "onderwerp=financien"} {
		if !strings.Contains(loc, want) {
			t.Errorf("URL %s lacks %s", loc, want)
		}
	}
	cards := evaluate[[][]string](t, tab,
		`[...document.querySelectorAll('.rz-card')].map(c => [...c.querySelectorAll('.rz-tag')].map(e => e.textContent.trim()))`)
	if len(cards) == 0 {
		t.Fatal("no result cards for raadslid + financien; the seeded catalogue should have some")
	}
	raadslid := nl.Office(courses.Raadslid)
	for i, tags := range cards {
		found := false
		for _, tag := range tags {
			found = found || tag == raadslid
		}
		if !found {
			t.Errorf("card %d: audience %q lacks %q", i+1, tags, raadslid)
		}
	}
	count := evaluate[string](t, tab, `document.querySelector('.rz-result-count').textContent`)
	if !strings.Contains(count, strconv.Itoa(len(cards))) {
		t.Errorf("result count %q does not mention the %d cards", count, len(cards))
	}
}

// TestKeyboardLanguageSwitch switches the home page to English and back with
// Tab and Enter only, and checks that the visitor stays on the same page.
func TestKeyboardLanguageSwitch(t *testing.T) {
	browser := newBrowser(t)
	base := startServer(t, db.SQLite)
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tab := newTab(t, browser)
	openIn(t, tab, base, "nl", "/", http.StatusOK)

	for _, lang := range []string{"en", "nl"} {
		// A fresh page has no focus, so Tab starts from the top.
		tabTo(t, tab, "nav.rz-lang a[hreflang="+lang+"]", 10)
		resp, err := chromedp.RunResponse(tab, chromedp.KeyEvent(kb.Enter))
		if err != nil {
			t.Fatalf("Enter on the %s link: %v", lang, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("Enter on the %s link: status got %d, want 200", lang, resp.Status)
		}
		if got := evaluate[string](t, tab, `document.documentElement.lang`); got != lang {
			t.Errorf("after switching to %s: html lang %q", lang, got)
		}
		if got, want := evaluate[string](t, tab, `document.querySelector('h1').textContent.trim()`), cat.Locale(lang).T("home.title"); got != want {
			t.Errorf("after switching to %s: h1 %q, want %q", lang, got, want)
		}
		if got := evaluate[string](t, tab, `location.pathname + location.search`); got != "/" {
			t.Errorf("after switching to %s: on %q, want /", lang, got)
		}
	}
}
