// Package chart draws accessible horizontal bar charts as inline SVG on the
// server, without JavaScript.
//
// A chart is an image with a text alternative: the SVG has role="img" and is
// labelled by its own <title> and <desc>. It is meant to stand next to a
// table with the same figures, which is where screen reader users and
// anyone who needs the exact numbers or the full labels read them.
//
// The SVG is 100% wide and scales with its viewBox, so it fits a 360 px
// phone; its height follows from the number of bars. Sites that want to cap
// the size on wide screens can style the "rz-chart" class (max-width). The
// colours are explicit fills that print: bars in the site's primary
// #0b5563 (8.4:1 against white) and text in #1b2629 (15.5:1). Information
// never depends on colour alone: every bar carries its value as text, and
// suppressed bars are dashed outlines marked "<5".
package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Bar is one bar of a chart.
type Bar struct {
	Label  string  // category, shown left of the bar; cut with "…" when wider than about 150 px (a rune count weighted by letter width)
	Value  float64 // length of the bar, relative to Chart.Max and capped at it; negative and NaN count as 0
	Text   string  // the value as shown at the bar's end, such as "73,4%" or "1.204"; formatted from Value when empty
	Hidden bool    // suppressed for privacy: drawn as an empty dashed outline with the text "<5"
}

// Chart is a horizontal bar chart, one bar per row.
type Chart struct {
	// ID is the prefix of the element ids in the SVG ("ID-title",
	// "ID-desc", "ID-clip"); it must be unique in the page. Characters other than
	// ASCII letters, digits, '-' and '_' become '-'; empty means "chart".
	ID string
	// Title names the chart for assistive technology and as tooltip.
	Title string
	// Desc describes the chart, for instance its main finding. For a chart
	// without bars it is the text shown; it defaults to "Geen gegevens om te
	// tonen." there, so pass a translated text in other languages.
	Desc string
	// Max is the value of a full-length bar; 0 means the largest Value.
	Max float64
	// Bars are drawn top to bottom in order.
	Bars []Bar
}

// Layout, in viewBox units (px at 100% scale).
const (
	width        = 420
	fontSize     = 14
	barX         = 160 // left edge of the bars, after the labels
	labelSpace   = barX - 8
	minValueRoom = 64  // room right of a full bar for its value text
	maxValueRoom = 160 // at most this much, however long the texts
	rowHeight    = 28
	barHeight    = 18
	padTop       = 4
	hiddenWidth  = 24 // length of the outline of a suppressed bar
	emptyHeight  = 40
)

// Colours: bars and outlines ≥ 3:1 against white, text ≥ 4.5:1.
const (
	colorBar  = "#0b5563" // 8.4:1
	colorText = "#1b2629" // 15.5:1
	colorAxis = "#6b7c80" // 4.4:1, the site's border colour
)

// HiddenText is the text shown for a suppressed (hidden) bar.
const HiddenText = "<5"

// emptyText is shown by a chart without bars when Desc is empty.
const emptyText = "Geen gegevens om te tonen."

// SVG renders the chart as an inline <svg> element, safe to place in an
// html/template as is: all text is escaped, and characters XML forbids are
// dropped. A chart without bars is a one-line SVG that shows Desc. The
// output depends only on c, so it can be cached and compared.
func (c Chart) SVG() template.HTML {
	id := cleanID(c.ID)
	title, desc := cleanText(c.Title), cleanText(c.Desc)
	empty := len(c.Bars) == 0
	if empty && desc == "" {
		desc = emptyText
	}
	height := emptyHeight
	if !empty {
		height = padTop*2 + len(c.Bars)*rowHeight
	}

	var b strings.Builder
	b.Grow(400 + len(c.Bars)*200)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="rz-chart" viewBox="0 0 `)
	b.WriteString(strconv.Itoa(width) + " " + strconv.Itoa(height))
	b.WriteString(`" width="100%" preserveAspectRatio="xMinYMin meet" role="img"`)
	var labelledBy []string
	if title != "" {
		labelledBy = append(labelledBy, id+"-title")
	}
	if desc != "" {
		labelledBy = append(labelledBy, id+"-desc")
	}
	if len(labelledBy) > 0 {
		b.WriteString(` aria-labelledby="` + strings.Join(labelledBy, " ") + `"`)
	}
	b.WriteString(` font-family="system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif" font-size="` +
		strconv.Itoa(fontSize) + `" fill="` + colorText + `">`)
	if title != "" {
		b.WriteString(`<title id="` + id + `-title">`)
		escape(&b, title)
		b.WriteString(`</title>`)
	}
	if desc != "" {
		b.WriteString(`<desc id="` + id + `-desc">`)
		escape(&b, desc)
		b.WriteString(`</desc>`)
	}

	if empty {
		b.WriteString(`<text x="0" y="25">`)
		escape(&b, truncate(desc, width))
		b.WriteString(`</text></svg>`)
		return template.HTML(b.String())
	}

	top := c.Max
	if !(top > 0) || math.IsInf(top, 0) {
		top = 0
		for _, bar := range c.Bars {
			if !bar.Hidden && bar.Value > top && !math.IsInf(bar.Value, 0) {
				top = bar.Value
			}
		}
	}
	if top == 0 {
		top = 1 // all zero: every bar has length 0
	}

	// Value texts wider than usual make room for themselves.
	room := minValueRoom
	for _, bar := range c.Bars {
		room = max(room, min(int(math.Ceil(textWidth(valueText(bar))))+10, maxValueRoom))
	}
	barSpace := float64(width - barX - room)

	// Labels are cut to fit by estimate, and clipped in case a font is wider.
	b.WriteString(`<clipPath id="` + id + `-clip"><rect width="` + strconv.Itoa(labelSpace) + `" height="` +
		strconv.Itoa(height) + `"/></clipPath><g clip-path="url(#` + id + `-clip)">`)
	for i, bar := range c.Bars {
		label := cleanText(bar.Label)
		short := truncate(label, labelSpace)
		b.WriteString(`<text x="0" y="` + baseline(i) + `">`)
		if short != label {
			b.WriteString(`<title>`) // the full label as tooltip
			escape(&b, label)
			b.WriteString(`</title>`)
		}
		escape(&b, short)
		b.WriteString(`</text>`)
	}
	// The axis the bars grow from, the bars and their values.
	b.WriteString(`</g><path d="M` + num(barX-0.5) + " " + strconv.Itoa(padTop) + "V" +
		strconv.Itoa(height-padTop) + `" stroke="` + colorAxis + `"/>`)
	for i, bar := range c.Bars {
		y := barTop(i)
		var end float64
		if bar.Hidden {
			end = hiddenWidth
			b.WriteString(`<rect x="` + num(barX+0.5) + `" y="` + num(float64(y)+0.5) + `" width="` +
				num(hiddenWidth-1) + `" height="` + num(barHeight-1) + `" fill="#fff" stroke="` +
				colorBar + `" stroke-dasharray="3 2"/>`)
		} else if end = barLength(bar.Value, top, barSpace); end > 0 {
			b.WriteString(`<rect x="` + strconv.Itoa(barX) + `" y="` + strconv.Itoa(y) + `" width="` +
				num(end) + `" height="` + strconv.Itoa(barHeight) + `" fill="` + colorBar + `"/>`)
		}
		b.WriteString(`<text x="` + num(barX+end+6) + `" y="` + baseline(i) + `">`)
		escape(&b, valueText(bar))
		b.WriteString(`</text>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barTop is the top edge of bar i.
func barTop(i int) int {
	return padTop + i*rowHeight + (rowHeight-barHeight)/2
}

// baseline is the y of the text in row i, centred on the bar.
func baseline(i int) string {
	return num(float64(barTop(i)) + barHeight/2 + 0.35*fontSize)
}

// barLength is the length of a bar for v on a scale where top fills
// barSpace, rounded to 0.1 unit; any positive value gets at least 1 unit so
// it stays visible.
func barLength(v, top, barSpace float64) float64 {
	if !(v > 0) {
		return 0
	}
	l := math.Round(min(v/top, 1)*barSpace*10) / 10
	return max(l, 1)
}

// valueText is the text at the end of a bar: HiddenText for a hidden bar,
// else its Text or, without one, its Value with at most two decimals.
func valueText(bar Bar) string {
	if bar.Hidden {
		return HiddenText
	}
	if t := cleanText(bar.Text); t != "" {
		return t
	}
	if math.IsNaN(bar.Value) || math.IsInf(bar.Value, 0) {
		return ""
	}
	return strconv.FormatFloat(math.Round(bar.Value*100)/100, 'f', -1, 64)
}

// num formats a coordinate with at most one decimal.
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// cleanID keeps ASCII letters, digits, '-' and '_'.
func cleanID(id string) string {
	if id == "" {
		return "chart"
	}
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, id)
}

// cleanText drops invalid UTF-8 and the characters XML 1.0 forbids, turns
// line breaks and tabs into spaces, and trims the result.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.TrimSpace(s)
}

// truncate cuts s to an estimated width of at most room units, ending in
// "…" when cut.
func truncate(s string, room float64) string {
	if textWidth(s) <= room {
		return s
	}
	room -= textWidth("…")
	used := 0.0
	for i, r := range s {
		if used += runeWidth(r); used > room {
			return strings.TrimRight(s[:i], " ") + "…"
		}
	}
	return s
}

// textWidth estimates the width of s at fontSize, in viewBox units.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

// runeWidth roughly estimates the advance of r at fontSize in common sans
// serif fonts, erring on the wide side: a rune count weighted by class.
func runeWidth(r rune) float64 {
	em := 0.62 // most lower case letters, digits
	switch {
	case strings.ContainsRune("il.,:;'|!`’", r), r == 'I', r == 'j':
		em = 0.32
	case strings.ContainsRune(" frt()[]-/", r):
		em = 0.42
	case r == 'm' || r == 'w':
		em = 0.9
	case r == 'M' || r == 'W' || r == '%' || r == '@':
		em = 1.0
	case strings.ContainsRune("<>=+~#&", r):
		em = 0.84
	case 'A' <= r && r <= 'Z', r >= 0xC0 && r <= 0xDE:
		em = 0.74
	case r >= 0x1100 && unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) || r >= 0x1F000:
		em = 1.0 // CJK and emoji
	}
	return em * fontSize
}

// escape writes s as XML and HTML text or attribute content.
func escape(b *strings.Builder, s string) {
	for {
		i := strings.IndexAny(s, `&<>"'`)
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		}
		s = s[i+1:]
	}
}
