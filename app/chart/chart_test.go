package chart_test

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/raadzaam/raadzaam/app/chart"
)

// node is a parsed SVG element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// all returns the descendants named name, in document order.
func (n node) all(name string) []node {
	var out []node
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

func parse(t *testing.T, svg template.HTML) node {
	t.Helper()
	// Well-formed: the strict decoder reads every token.
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
	var root node
	if err := xml.Unmarshal([]byte(svg), &root); err != nil {
		t.Fatal(err)
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root = %v", root.XMLName)
	}
	return root
}

// drawnRects returns the drawn rectangles, not the one of the clip path.
func drawnRects(root node) []node {
	var out []node
	for _, r := range root.all("rect") {
		if r.attr("y") != "" {
			out = append(out, r)
		}
	}
	return out
}

// texts returns the visible text of the <text> elements.
func texts(root node) []string {
	var out []string
	for _, n := range root.all("text") {
		out = append(out, n.Text)
	}
	return out
}

var sample = chart.Chart{
	ID:    "opkomst",
	Title: "Opkomst per gemeente",
	Desc:  "Súdwest-Fryslân had de hoogste opkomst.",
	Max:   1,
	Bars: []chart.Bar{
		{Label: "Súdwest-Fryslân", Value: 0.734, Text: "73,4%"},
		{Label: "'s-Hertogenbosch", Value: 0.5, Text: "50,0%"},
		{Label: "Vlieland", Hidden: true, Value: 0.02},
	},
}

func TestGolden(t *testing.T) {
	const want = `<svg xmlns="http://www.w3.org/2000/svg" class="rz-chart" viewBox="0 0 420 92" width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="opkomst-title opkomst-desc" font-family="system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif" font-size="14" fill="#1b2629">` +
		`<title id="opkomst-title">Opkomst per gemeente</title><desc id="opkomst-desc">Súdwest-Fryslân had de hoogste opkomst.</desc>` +
		`<clipPath id="opkomst-clip"><rect width="152" height="92"/></clipPath><g clip-path="url(#opkomst-clip)">` +
		`<text x="0" y="22.9">Súdwest-Fryslân</text><text x="0" y="50.9">&#39;s-Hertogenbosch</text><text x="0" y="78.9">Vlieland</text></g>` +
		`<path d="M159.5 4V88" stroke="#6b7c80"/>` +
		`<rect x="160" y="9" width="143.9" height="18" fill="#0b5563"/><text x="309.9" y="22.9">73,4%</text>` +
		`<rect x="160" y="37" width="98" height="18" fill="#0b5563"/><text x="264" y="50.9">50,0%</text>` +
		`<rect x="160.5" y="65.5" width="23" height="17" fill="#fff" stroke="#0b5563" stroke-dasharray="3 2"/><text x="190" y="78.9">&lt;5</text>` +
		`</svg>`
	got := sample.SVG()
	if string(got) != want {
		t.Errorf("SVG:\n%s\nwant:\n%s", got, want)
	}
	if again := sample.SVG(); again != got {
		t.Error("output is not deterministic")
	}
}

func TestAccessibleName(t *testing.T) {
	root := parse(t, sample.SVG())
	if root.attr("role") != "img" {
		t.Errorf("role = %q", root.attr("role"))
	}
	ids := map[string]node{}
	for _, name := range []string{"title", "desc"} {
		els := root.all(name)
		if len(els) == 0 {
			t.Fatalf("no <%s>", name)
		}
		ids[els[0].attr("id")] = els[0]
	}
	refs := strings.Fields(root.attr("aria-labelledby"))
	if len(refs) != 2 {
		t.Fatalf("aria-labelledby = %q", refs)
	}
	if n, ok := ids[refs[0]]; !ok || n.XMLName.Local != "title" || n.Text != sample.Title {
		t.Errorf("aria-labelledby[0] = %q, not the title", refs[0])
	}
	if n, ok := ids[refs[1]]; !ok || n.XMLName.Local != "desc" || n.Text != sample.Desc {
		t.Errorf("aria-labelledby[1] = %q, not the desc", refs[1])
	}
	// The title is the first child, as SVG requires for the tooltip.
	if root.Children[0].XMLName.Local != "title" {
		t.Errorf("first child is %s", root.Children[0].XMLName.Local)
	}
	if w, vb := root.attr("width"), root.attr("viewBox"); w != "100%" || !strings.HasPrefix(vb, "0 0 ") {
		t.Errorf("width %q viewBox %q", w, vb)
	}
	if root.attr("preserveAspectRatio") == "" {
		t.Error("no preserveAspectRatio")
	}

	// Without a Desc only the title labels the chart.
	c := sample
	c.Desc = ""
	root = parse(t, c.SVG())
	if got := root.attr("aria-labelledby"); got != "opkomst-title" {
		t.Errorf("aria-labelledby without desc = %q", got)
	}
	if len(root.all("desc")) != 0 {
		t.Error("empty <desc> written")
	}
	// IDs are made safe.
	c.ID = `x" onload="alert(1)`
	root = parse(t, c.SVG())
	if got := root.attr("aria-labelledby"); got != "x--onload--alert-1--title" || root.attr("onload") != "" {
		t.Errorf("aria-labelledby with hostile ID = %q", got)
	}
}

func TestHostileText(t *testing.T) {
	c := chart.Chart{
		ID:    "h",
		Title: `<script>alert("t")</script>`,
		Desc:  "a & b </desc><desc>",
		Bars: []chart.Bar{
			{Label: "<b>", Value: 1, Text: `"1"&`},
			{Label: "'s-Hertogenbosch", Value: 2},
			{Label: "bad\x00\x01utf8\xff\ufffe line\nbreak", Value: 3},
		},
	}
	svg := c.SVG()
	for _, bad := range []string{"<script", "<b>", "</desc><desc>", "\x00", "\xff"} {
		if strings.Contains(string(svg), bad) {
			t.Errorf("output contains %q:\n%s", bad, svg)
		}
	}
	root := parse(t, svg)
	if got := root.all("title")[0].Text; got != c.Title {
		t.Errorf("title = %q", got)
	}
	if got := root.all("desc")[0].Text; got != c.Desc {
		t.Errorf("desc = %q", got)
	}
	want := []string{"<b>", "'s-Hertogenbosch", "badutf8 line break", `"1"&`, "2", "3"}
	if got := texts(root); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("texts = %q, want %q", got, want)
	}
}

func TestHiddenBars(t *testing.T) {
	c := chart.Chart{ID: "v", Title: "Aantal", Bars: []chart.Bar{
		{Label: "Ameland", Value: 3, Text: "3", Hidden: true},
		{Label: "Leeuwarden", Value: 120, Text: "120"},
		{Label: "Schiermonnikoog", Hidden: true},
	}}
	root := parse(t, c.SVG())
	got := texts(root)
	if want := []string{"Ameland", "Leeuwarden", "Schiermonnikoog", "<5", "120", "<5"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("texts = %q, want %q", got, want)
	}
	rects := drawnRects(root)
	if len(rects) != 3 {
		t.Fatalf("%d rects", len(rects))
	}
	for _, i := range []int{0, 2} {
		r := rects[i]
		if r.attr("stroke-dasharray") == "" || r.attr("fill") != "#fff" || r.attr("stroke") == "" {
			t.Errorf("hidden bar %d is not an empty dashed outline: %v", i, r.Attrs)
		}
	}
	// The hidden value does not set the scale: Leeuwarden is full length.
	if w := rects[1].attr("width"); w != "196" {
		t.Errorf("full bar width = %s", w)
	}
}

func TestProportionalWidths(t *testing.T) {
	values := []float64{1204, 602, 301, 0, 1, 1203.9}
	var bars []chart.Bar
	for _, v := range values {
		bars = append(bars, chart.Bar{Label: "x", Value: v})
	}
	for _, max := range []float64{0, 2000} {
		c := chart.Chart{ID: "p", Title: "t", Max: max, Bars: bars}
		rects := drawnRects(parse(t, c.SVG()))
		top := max
		if top == 0 {
			top = 1204
		}
		widths := map[float64]float64{}
		for _, r := range rects {
			y, _ := strconv.ParseFloat(r.attr("y"), 64)
			w, _ := strconv.ParseFloat(r.attr("width"), 64)
			widths[y] = w
		}
		for i, v := range values {
			y := float64(4 + i*28 + 5)
			want := v / top * 196
			got := widths[y]
			if v == 0 {
				if _, ok := widths[y]; ok {
					t.Errorf("Max %v: zero value has a bar", max)
				}
				continue
			}
			if math.Abs(got-want) > 0.05 && !(want < 1 && got == 1) {
				t.Errorf("Max %v: value %v: width %v, want %.2f", max, v, got, want)
			}
		}
	}
	// Values above Max are capped at full length; negative ones have no bar.
	c := chart.Chart{ID: "c", Title: "t", Max: 10, Bars: []chart.Bar{{Label: "a", Value: 20}, {Label: "b", Value: -3}, {Label: "c", Value: math.NaN()}}}
	rects := drawnRects(parse(t, c.SVG()))
	if len(rects) != 1 || rects[0].attr("width") != "196" {
		t.Errorf("rects = %+v", rects)
	}
	// The value text sits right after each bar's end.
	root := parse(t, sample.SVG())
	rects, ts := drawnRects(root), root.all("text")
	valueTexts := ts[len(ts)-len(rects):]
	for i, r := range rects {
		x, _ := strconv.ParseFloat(r.attr("x"), 64)
		w, _ := strconv.ParseFloat(r.attr("width"), 64)
		tx, _ := strconv.ParseFloat(valueTexts[i].attr("x"), 64)
		if d := tx - (x + w); d < 4 || d > 8 {
			t.Errorf("bar %d: text %v after bar end %v", i, tx, x+w)
		}
	}
}

func TestLongLabels(t *testing.T) {
	long := "Gemeente Noardeast-Fryslân en omstreken"
	narrow := strings.Repeat("il", 15)
	wide := strings.Repeat("W", 15)
	c := chart.Chart{ID: "l", Title: "t", Bars: []chart.Bar{
		{Label: long, Value: 1, Text: "1"},
		{Label: "Twenty runes fit in", Value: 1},
		{Label: narrow, Value: 1},
		{Label: wide, Value: 1},
	}}
	ts := parse(t, c.SVG()).all("text")
	if got := ts[0].Text; got != "Gemeente Noardea…" {
		t.Errorf("long label shown as %q", got)
	}
	if titles := ts[0].all("title"); len(titles) != 1 || titles[0].Text != long {
		t.Errorf("long label lacks its full text as tooltip: %+v", titles)
	}
	if got := ts[1].Text; got != "Twenty runes fit in" || len(ts[1].all("title")) != 0 {
		t.Errorf("short label = %q", got)
	}
	// Narrow letters fit more runes than wide ones.
	if got := ts[2].Text; got != narrow {
		t.Errorf("narrow label = %q", got)
	}
	if got := ts[3].Text; got != "WWWWWWWWWW…" {
		t.Errorf("wide label = %q", got)
	}
}

func TestEmpty(t *testing.T) {
	for _, c := range []chart.Chart{
		{ID: "e", Title: "Opkomst", Desc: "Er is nog niet gestemd."},
		{ID: "e", Title: "Opkomst", Bars: []chart.Bar{}},
	} {
		svg := c.SVG()
		root := parse(t, svg)
		want := c.Desc
		if want == "" {
			want = "Geen gegevens om te tonen."
		}
		if got := texts(root); len(got) != 1 || got[0] != want {
			t.Errorf("empty chart texts = %q, want %q", got, want)
		}
		if got := root.all("desc"); len(got) != 1 || got[0].Text != want {
			t.Errorf("empty chart desc = %+v", got)
		}
		if root.attr("aria-labelledby") != "e-title e-desc" || len(drawnRects(root)) != 0 {
			t.Errorf("empty chart: %s", svg)
		}
		if vb := root.attr("viewBox"); vb != "0 0 420 40" {
			t.Errorf("empty chart viewBox = %q", vb)
		}
	}
}

func TestHeightByBars(t *testing.T) {
	for _, n := range []int{1, 5, 40} {
		c := chart.Chart{ID: "n", Title: "t", Bars: make([]chart.Bar, n)}
		vb := parse(t, c.SVG()).attr("viewBox")
		if want := "0 0 420 " + strconv.Itoa(8+28*n); vb != want {
			t.Errorf("%d bars: viewBox %q, want %q", n, vb, want)
		}
	}
}

// TestInTemplate checks that html/template inserts the SVG unescaped.
func TestInTemplate(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`<figure>{{.}}</figure>`))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, sample.SVG()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "<figure><svg ") {
		t.Errorf("template output: %.80s", buf.String())
	}
}

func BenchmarkSVG(b *testing.B) {
	c := chart.Chart{ID: "b", Title: "t", Desc: "d"}
	for i := range 20 {
		c.Bars = append(c.Bars, chart.Bar{Label: "Gemeente " + strconv.Itoa(i), Value: float64(i * 37), Text: strconv.Itoa(i * 37)})
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = c.SVG()
	}
}

func TestLongValueText(t *testing.T) {
	c := chart.Chart{ID: "v", Title: "t", Bars: []chart.Bar{
		{Label: "a", Value: 10, Text: "1.234.567 inwoners"},
		{Label: "b", Value: 5, Text: "5"},
	}}
	rects := drawnRects(parse(t, c.SVG()))
	full, _ := strconv.ParseFloat(rects[0].attr("width"), 64)
	half, _ := strconv.ParseFloat(rects[1].attr("width"), 64)
	if full >= 196 || full < 100 || math.Abs(half-full/2) > 0.1 {
		t.Errorf("bar widths %v and %v with a long value text", full, half)
	}
}

// FuzzSVG checks that any text gives well-formed markup that shows it
// escaped.
func FuzzSVG(f *testing.F) {
	f.Add("Súdwest-Fryslân", "73,4%", "<b>", 0.5, false)
	f.Add("'s-Hertogenbosch", `"&<>`, "]]>", -1.0, true)
	f.Add("\x00\xff\ufffe", "", "", math.Inf(1), false)
	f.Fuzz(func(t *testing.T, label, text, title string, value float64, hidden bool) {
		c := chart.Chart{ID: label, Title: title, Desc: text, Bars: []chart.Bar{
			{Label: label, Value: value, Text: text, Hidden: hidden},
			{Label: text, Value: 1},
		}}
		root := parse(t, c.SVG())
		if root.attr("role") != "img" || len(drawnRects(root)) > 2 {
			t.Errorf("unexpected markup: %s", c.SVG())
		}
		if e := (chart.Chart{ID: label, Desc: text}).SVG(); !strings.HasSuffix(string(e), "</text></svg>") {
			t.Errorf("empty chart: %s", e)
		}
		_ = parse(t, chart.Chart{ID: label, Desc: text}.SVG())
	})
}
