package main

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
)

//go:embed locales/*.json
var localeFS embed.FS

// languages are the interface languages, the default first.
var languages = []string{"nl", "en"}

// message is one catalogue entry: a text, or a text per plural form chosen
// by the argument "n".
type message struct {
	Other string
	One   string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.Other); err == nil {
		return nil
	}
	var forms struct{ One, Other string }
	if err := json.Unmarshal(b, &forms); err != nil || forms.Other == "" {
		return fmt.Errorf("want a string or {\"one\", \"other\"}")
	}
	m.One, m.Other = forms.One, forms.Other
	return nil
}

// Catalog holds the messages of every language, parsed once at start.
type Catalog struct {
	locales map[string]*Locale
}

// loadCatalog parses the embedded catalogues and fails on any difference in
// keys between the languages, so a missing translation stops the start.
func loadCatalog() (*Catalog, error) {
	c := &Catalog{locales: map[string]*Locale{}}
	for _, lang := range languages {
		b, err := localeFS.ReadFile("locales/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		l := &Locale{Lang: lang}
		if err := json.Unmarshal(b, &l.messages); err != nil {
			return nil, fmt.Errorf("locales/%s.json: %w", lang, err)
		}
		c.locales[lang] = l
	}
	ref := c.locales[languages[0]]
	for _, lang := range languages[1:] {
		if missing := missingKeys(ref.messages, c.locales[lang].messages); len(missing) > 0 {
			return nil, fmt.Errorf("locales/%s.json lacks %v", lang, missing)
		}
		if extra := missingKeys(c.locales[lang].messages, ref.messages); len(extra) > 0 {
			return nil, fmt.Errorf("locales/%s.json lacks %v", languages[0], extra)
		}
	}
	return c, nil
}

func missingKeys(want, have map[string]message) []string {
	var missing []string
	for k := range want {
		if _, ok := have[k]; !ok {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	return missing
}

// Locale returns the locale for lang, or the default.
func (c *Catalog) Locale(lang string) *Locale {
	if l, ok := c.locales[lang]; ok {
		return l
	}
	return c.locales[languages[0]]
}

// Negotiate picks the interface language from an explicit choice (the
// language cookie) or else the Accept-Language header, defaulting to Dutch.
func (c *Catalog) Negotiate(choice, acceptLanguage string) *Locale {
	if _, ok := c.locales[choice]; ok {
		return c.locales[choice]
	}
	best, bestQ := languages[0], -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := c.locales[primary]; ok && q > bestQ && q > 0 {
			best, bestQ = primary, q
		}
	}
	return c.locales[best]
}

// Locale translates and formats for one language.
type Locale struct {
	Lang     string
	messages map[string]message
}

// T returns the message for key with its {placeholders} filled from args,
// given as name, value pairs. An argument "n" selects the plural form. An
// unknown key returns the key itself, which the catalogue tests rule out.
func (l *Locale) T(key string, args ...any) string {
	m, ok := l.messages[key]
	if !ok {
		return key
	}
	text := m.Other
	var pairs []string
	for i := 0; i+1 < len(args); i += 2 {
		name := fmt.Sprint(args[i])
		if name == "n" && m.One != "" && fmt.Sprint(args[i+1]) == "1" {
			text = m.One
		}
		pairs = append(pairs, "{"+name+"}", l.format(args[i+1]))
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// TArgs is T with the arguments as a map, as problems carry them.
func (l *Locale) TArgs(key string, args map[string]any) string {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	flat := make([]any, 0, 2*len(args))
	for _, k := range names {
		flat = append(flat, k, args[k])
	}
	return l.T(key, flat...)
}

// Has reports whether key is in the catalogue.
func (l *Locale) Has(key string) bool { _, ok := l.messages[key]; return ok }

func (l *Locale) format(v any) string {
	switch v := v.(type) {
	case int:
		return l.Number(float64(v), 0)
	case int64:
		return l.Number(float64(v), 0)
	case float64:
		return l.Number(v, 1)
	case time.Time:
		return l.DateTime(v)
	default:
		return fmt.Sprint(v)
	}
}

// Number formats f with up to decimals decimals (trailing zeros dropped):
// 1.234,5 in Dutch, 1,234.5 in English.
func (l *Locale) Number(f float64, decimals int) string {
	group, point := ".", ","
	if l.Lang == "en" {
		group, point = ",", "."
	}
	neg := f < 0
	f = math.Abs(f)
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(point + frac)
	}
	return b.String()
}

// FileSize formats a size in bytes the way people read it: 840 KB, 2,4 MB.
func (l *Locale) FileSize(n int64) string {
	switch {
	case n < 1000:
		return l.Number(float64(n), 0) + " B"
	case n < 1000*1000:
		return l.Number(float64(n)/1000, 0) + " KB"
	}
	return l.Number(float64(n)/1000/1000, 1) + " MB"
}

// Hours formats a study load: "4,5 uur", "1 hour".
func (l *Locale) Hours(h float64) string {
	return l.T("unit.hours", "n", h)
}

// Date formats a date the way the language writes it: 18 maart 2026.
func (l *Locale) Date(t time.Time) string {
	t = t.In(amsterdam)
	return fmt.Sprintf("%d %s %d", t.Day(), l.T("month."+strconv.Itoa(int(t.Month()))), t.Year())
}

// DateTime formats a moment in Amsterdam time: 18 maart 2026, 21:30.
func (l *Locale) DateTime(t time.Time) string {
	return l.Date(t) + ", " + t.In(amsterdam).Format("15:04")
}

// Office returns the display name of an office.
func (l *Locale) Office(o courses.Office) string { return l.T("office." + string(o)) }

// Topic returns the display name of a topic.
func (l *Locale) Topic(t courses.Topic) string { return l.T("topic." + string(t)) }

// Level returns the display name of a level.
func (l *Locale) Level(v courses.Level) string { return l.T("level." + string(v)) }

// LanguageName returns the name of a language code in this locale.
func (l *Locale) LanguageName(code string) string { return l.T("language." + code) }

// Problem translates one problem as "file:line: field: message" (for files)
// or "field: message".
func (l *Locale) Problem(p courses.Problem) string {
	msg := l.TArgs(p.Key, p.Args)
	switch {
	case p.File == "" && l.Has("field."+p.Field):
		msg = l.T("field."+p.Field) + ": " + msg
	case p.Field != "":
		msg = p.Field + ": " + msg
	}
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, msg)
	case p.File != "":
		return p.File + ": " + msg
	}
	return msg
}

// amsterdam is the time zone every date is shown in.
var amsterdam = mustLoadLocation("Europe/Amsterdam")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is embedded, so this cannot fail
	}
	return loc
}
