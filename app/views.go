package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

//go:embed templates/*.html
var templateFS embed.FS

// views holds every page template, each parsed once at start together with
// the layout; a missing or broken template stops the start.
type views struct {
	pages map[string]*template.Template
	md    *markdown
}

// page is what every template receives: the request's locale and context
// for the layout, and the page's own data in Data.
type page struct {
	*Locale
	Title       string // the page's own title; the layout adds "Raadzaam"
	Description string // meta description
	Path        string // the current path with query, for the language switch
	Nav         string // which main navigation item is current
	User        *courses.User
	CSRF        string // the token for forms that change state
	Data        any
}

// formField is the data of the shared "field" template: a labelled text
// input with its error.
type formField struct {
	Page                            *page
	ID, Label, Type, Value, Problem string
}

// officesEditor is the data of the shared "officesEditor" template.
type officesEditor struct {
	Page     *page
	Offices  []courses.UserOffice
	Action   string
	Problems map[string]string
	Input    officeInput
}

// mailStateView pairs a mail with the page, for the "mailstate" template.
type mailStateView struct {
	Page *page
	Mail courses.Mail
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify escapes text and turns its http(s) URLs into links.
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range urlPattern.FindAllStringIndex(text, -1) {
		b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		u := template.HTMLEscapeString(text[m[0]:m[1]])
		b.WriteString(`<a class="utrecht-link utrecht-link--html-a" href="` + u + `">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String()) //nolint:gosec // every piece is escaped above
}

// newPage returns the page data for a request: the locale, and for a
// signed-in user their account and the CSRF token of the sign-out form.
// Pages with forms of their own are rendered by renderForm.
func (a *application) newPage(c *fiber.Ctx, title, nav, path string, data any) *page {
	p := &page{Locale: a.localeFrom(c), Title: title, Nav: nav, Path: path, Data: data, User: userFrom(c)}
	if p.User != nil {
		p.CSRF = a.csrfToken(c) // for the sign-out form in the header
	}
	return p
}

func loadViews(a *assets) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, md: newMarkdown()}
	funcs := template.FuncMap{
		"asset":    a.URL,
		"markdown": v.md.HTML,
		"langURL": func(lang, back string) string {
			return "/taal?lang=" + lang + "&terug=" + urlQueryEscape(back)
		},
		"languages":  func() []string { return languages },
		"offices":    func() []courses.Office { return courses.Offices },
		"topics":     func() []courses.Topic { return courses.Topics },
		"deref":      func(t *time.Time) time.Time { return *t },
		"roles":      func() []courses.Role { return courses.Roles },
		"scopes":     func() []string { return courses.Scopes },
		"scopeField": func(s string) string { return strings.ReplaceAll(s, ":", "_") },
		"add":        func(a, b int) int { return a + b },
		"sub":        func(a, b int) int { return a - b },
		"shown":      func(p *page, s courses.Shown) string { return shownText(p.Locale, s) },
		"rate":       func(p *page, c courses.StatsCell) string { return rateText(p.Locale, c) },
		"monthName": func(p *page, m courses.Month) string {
			return p.T("month."+strconv.Itoa(m.Num())) + " " + strconv.Itoa(m.Year())
		},
		"withoutProvince": withoutProvince,
		"key":             courses.Key,
		"fieldOf": func(p *page, id, label, typ, value string, problems map[string]string) formField {
			return formField{Page: p, ID: id, Label: "field." + label, Type: typ, Value: value, Problem: problems[id]}
		},
		"officesOf": func(p *page, offices []courses.UserOffice, action string, problems map[string]string, in officeInput) officesEditor {
			return officesEditor{Page: p, Offices: offices, Action: action, Problems: problems, Input: in}
		},
		"mailState": func(p *page, m courses.Mail) mailStateView { return mailStateView{Page: p, Mail: m} },
		"linkify":   linkify,
		"filterLabel": func(p *page, f courses.CourseFilter) string {
			var parts []string
			if f.Office != "" {
				parts = append(parts, p.Office(f.Office))
			}
			if f.Topic != "" {
				parts = append(parts, p.Topic(f.Topic))
			}
			if f.Query != "" {
				parts = append(parts, "“"+f.Query+"”")
			}
			return strings.Join(parts, " · ")
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, err
		}
		v.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return v, nil
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes the named page into a new byte slice.
func (v *views) render(name string, p *page) ([]byte, error) {
	t, ok := v.pages[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	buf := bufferPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufferPool.Put(buf) }()
	if err := t.ExecuteTemplate(buf, "layout.html", p); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	// Copied: the buffer returns to the pool, and Fiber keeps the slice
	// until the response is written.
	return bytes.Clone(buf.Bytes()), nil
}

// renderPartial executes one named template of a page's set (a part of
// the page) into a new byte slice.
func (v *views) renderPartial(page, name string, p *page) ([]byte, error) {
	t, ok := v.pages[page]
	if !ok {
		return nil, fmt.Errorf("no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, p); err != nil {
		return nil, fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	return buf.Bytes(), nil
}

// renderForm renders a page that holds a form: never cached, always with
// the visitor's CSRF token.
func (a *application) renderForm(c *fiber.Ctx, status int, view, title, nav, path string, data any) error {
	p := a.newPage(c, title, nav, path, data)
	p.CSRF = a.csrfToken(c)
	body, err := a.views.render(view, p)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(body)
}
