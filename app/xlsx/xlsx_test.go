package xlsx_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/raadzaam/raadzaam/app/xlsx"
)

type count int // a named integer type, written as a number

func buildWorkbook(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := xlsx.NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Sheet("Gemeenten Fryslân", "Naam", "Inwoners", "Opkomst", "Peildatum", "Score", "Actief"))
	must(w.Row("Ayşe Çelik-van 't Hoff", 90123, xlsx.Percent(0.734), time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), 7.25, true))
	must(w.Row("<script>alert('x')</script>", int64(-5), xlsx.Percent(0), time.Date(2024, 3, 1, 13, 45, 30, 0, time.FixedZone("CET", 3600)), nil, false))
	must(w.Row("=1+1", 0, xlsx.Percent(1), nil, 1e-7, nil))
	must(w.Row("  _x0041_ & \"quotes\"\r\nline\x00\x1b\uFFFE", count(42), float32(0.1), time.Time{}, math.NaN(), nil))
	must(w.Row(nil, int64(1234567890123456789), 1e300, time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC), math.Copysign(0, -1), uint8(7)))
	must(w.Sheet(`Raad: [2024] / notulen?*\ met een heel lange naam`, "A", "B"))
	must(w.Row("x", 1))
	must(w.Sheet("gemeenten fryslân")) // no header; name taken ignoring case
	must(w.Row(1.5, "y"))
	must(w.Sheet("'  '")) // nothing left: a numbered default name
	must(w.Close())
	return buf.Bytes()
}

func TestRoundTripExcelize(t *testing.T) {
	data := buildWorkbook(t)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	defer f.Close()

	wantSheets := []string{"Gemeenten Fryslân", "Raad_ _2024_ _ notulen___ met e", "gemeenten fryslân (2)", "Blad4"}
	if got := f.GetSheetList(); fmt.Sprint(got) != fmt.Sprint(wantSheets) {
		t.Fatalf("sheets = %q, want %q", got, wantSheets)
	}
	for _, name := range wantSheets {
		if n := len([]rune(name)); n > 31 {
			t.Errorf("sheet name %q has %d characters", name, n)
		}
	}

	const s1 = "Gemeenten Fryslân"
	type cell struct {
		ref   string
		typ   excelize.CellType
		raw   string // value without number format
		shown string // value with number format, "" = same as raw
	}
	cells := []cell{
		{"A1", excelize.CellTypeInlineString, "Naam", ""},
		{"F1", excelize.CellTypeInlineString, "Actief", ""},
		{"A2", excelize.CellTypeInlineString, "Ayşe Çelik-van 't Hoff", ""},
		{"B2", excelize.CellTypeUnset, "90123", ""},
		{"C2", excelize.CellTypeUnset, "0.734", "73.4%"},
		{"D2", excelize.CellTypeUnset, "45306", "01-15-24"}, // excelize's fixed rendering of built-in format 14
		{"E2", excelize.CellTypeUnset, "7.25", ""},
		{"F2", excelize.CellTypeBool, "1", "TRUE"},
		{"A3", excelize.CellTypeInlineString, "<script>alert('x')</script>", ""},
		{"B3", excelize.CellTypeUnset, "-5", ""},
		{"C3", excelize.CellTypeUnset, "0", "0.0%"},
		{"D3", excelize.CellTypeUnset, "45352.57326388889", "3/1/24 13:45"}, // wall clock, zone ignored
		{"E3", excelize.CellTypeUnset, "", ""},
		{"F3", excelize.CellTypeBool, "0", "FALSE"},
		{"A4", excelize.CellTypeInlineString, "=1+1", ""},
		{"B4", excelize.CellTypeUnset, "0", ""},
		{"C4", excelize.CellTypeUnset, "1", "100.0%"},
		{"D4", excelize.CellTypeUnset, "", ""},
		{"E4", excelize.CellTypeUnset, "1E-07", "0.0000001"},
		{"A5", excelize.CellTypeInlineString, "  _x0041_ & \"quotes\"\r\nline", ""},
		{"B5", excelize.CellTypeUnset, "42", ""},
		{"C5", excelize.CellTypeUnset, "0.1", ""},
		{"D5", excelize.CellTypeUnset, "", ""},
		{"E5", excelize.CellTypeUnset, "", ""},
		{"A6", excelize.CellTypeUnset, "", ""},
		{"B6", excelize.CellTypeInlineString, "1234567890123456789", ""},
		{"C6", excelize.CellTypeUnset, "1E+300", "1E+300"},
		{"D6", excelize.CellTypeInlineString, "1899-12-31", ""},
		{"E6", excelize.CellTypeUnset, "0", ""},
		{"F6", excelize.CellTypeUnset, "7", ""},
	}
	for _, c := range cells {
		typ, err := f.GetCellType(s1, c.ref)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.GetCellValue(s1, c.ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		shown, err := f.GetCellValue(s1, c.ref)
		if err != nil {
			t.Fatal(err)
		}
		if c.shown == "" {
			c.shown = c.raw
		}
		if typ != c.typ || raw != c.raw || shown != c.shown {
			t.Errorf("%s = %v %q shown %q, want %v %q shown %q", c.ref, typ, raw, shown, c.typ, c.raw, c.shown)
		}
	}
	// Numbers, percentages and dates are numeric cells (no t attribute) with
	// the expected number formats; the header is bold.
	formats := map[string]int{"B2": 0, "C2": 164, "D2": 14, "D3": 22, "A2": 0}
	for ref, want := range formats {
		idx, err := f.GetCellStyle(s1, ref)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(idx)
		if err != nil {
			t.Fatal(err)
		}
		got := st.NumFmt
		if want == 164 {
			if st.CustomNumFmt == nil || *st.CustomNumFmt != "0.0%" {
				t.Errorf("%s custom format = %v, want 0.0%%", ref, st.CustomNumFmt)
			}
			continue
		}
		if got != want {
			t.Errorf("%s number format = %d, want %d", ref, got, want)
		}
	}
	idx, _ := f.GetCellStyle(s1, "A1")
	if st, _ := f.GetStyle(idx); st == nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header A1 is not bold: %+v", st)
	}
	idx, _ = f.GetCellStyle(s1, "A2")
	if st, _ := f.GetStyle(idx); st != nil && st.Font != nil && st.Font.Bold {
		t.Error("data cell A2 is bold")
	}

	// Frozen header row on sheets with a header, none without.
	panes, err := f.GetPanes(s1)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the first row frozen", panes)
	}
	if panes, _ := f.GetPanes("gemeenten fryslân (2)"); panes.Freeze {
		t.Errorf("sheet without header has frozen panes %+v", panes)
	}
	// Column widths follow the content: the long name column is wider.
	wa, _ := f.GetColWidth(s1, "A")
	wc, _ := f.GetColWidth(s1, "C")
	if !(wa > wc && wc >= 8 && wa <= 60) {
		t.Errorf("column widths A=%v C=%v", wa, wc)
	}

	// Other sheets.
	for _, c := range []struct{ sheet, ref, want string }{
		{"Raad_ _2024_ _ notulen___ met e", "A1", "A"},
		{"Raad_ _2024_ _ notulen___ met e", "A2", "x"},
		{"Raad_ _2024_ _ notulen___ met e", "B2", "1"},
		{"gemeenten fryslân (2)", "A1", "1.5"},
		{"gemeenten fryslân (2)", "B1", "y"},
	} {
		if got, err := f.GetCellValue(c.sheet, c.ref); err != nil || got != c.want {
			t.Errorf("%s!%s = %q, %v; want %q", c.sheet, c.ref, got, err, c.want)
		}
	}
	rows, err := f.GetRows("Blad4")
	if err != nil || len(rows) != 0 {
		t.Errorf("Blad4 rows = %q, %v; want none", rows, err)
	}
}

// TestZipValid does what `unzip -t` does: every entry decompresses with a
// matching CRC, and every part is well-formed XML.
func TestZipValid(t *testing.T) {
	data := buildWorkbook(t)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		if zf.Method != zip.Deflate {
			t.Errorf("%s: method %d, want deflate", zf.Name, zf.Method)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc) // checks the CRC-32 at EOF
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		dec := xml.NewDecoder(bytes.NewReader(body))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", zf.Name, err)
			}
		}
	}
	want := "xl/worksheets/sheet1.xml xl/worksheets/sheet2.xml xl/worksheets/sheet3.xml xl/worksheets/sheet4.xml " +
		"[Content_Types].xml _rels/.rels docProps/app.xml xl/workbook.xml xl/_rels/workbook.xml.rels xl/styles.xml"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries:\n%s\nwant:\n%s", got, want)
	}
	// The same rows give the same bytes.
	if again := buildWorkbook(t); !bytes.Equal(again, data) {
		t.Error("output is not deterministic")
	}
}

func TestSheetXML(t *testing.T) {
	data := buildWorkbook(t)
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	rc, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	s := string(body)
	for _, want := range []string{
		`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>`,
		`<c r="A2" t="inlineStr"><is><t xml:space="preserve">Ayşe Çelik-van 't Hoff</t></is></c>`,
		`<t xml:space="preserve">&lt;script&gt;alert('x')&lt;/script&gt;</t>`,
		`<c r="A4" t="inlineStr"><is><t xml:space="preserve">=1+1</t></is></c>`,
		`<t xml:space="preserve">  _x005F_x0041_ &amp; "quotes"&#13;` + "\nline</t>",
		`<c r="C2" s="2"><v>0.734</v></c>`,
		`<c r="D2" s="3"><v>45306</v></c>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("sheet1.xml lacks %s", want)
		}
	}
	if strings.Contains(s, "<f>") {
		t.Error("sheet1.xml has a formula")
	}
}

func TestErrors(t *testing.T) {
	w := xlsx.NewWriter(io.Discard)
	if err := w.Row("x"); !errors.Is(err, xlsx.ErrNoSheet) {
		t.Errorf("Row before Sheet: %v", err)
	}
	if err := w.Sheet("a"); err != nil {
		t.Fatal(err)
	}
	if err := w.Row(struct{}{}); !errors.Is(err, xlsx.ErrUnsupported) || !strings.Contains(err.Error(), "A1") {
		t.Errorf("unsupported type: %v", err)
	}
	if err := w.Row(make([]any, xlsx.MaxColumns+1)...); !errors.Is(err, xlsx.ErrTooManyColumns) {
		t.Errorf("too many columns: %v", err)
	}
	if err := w.Row("still usable"); err != nil {
		t.Errorf("Row after a rejected row: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Row("x"); !errors.Is(err, xlsx.ErrClosed) {
		t.Errorf("Row after Close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, xlsx.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}

	// A write error sticks and is wrapped.
	boom := errors.New("disk full")
	w = xlsx.NewWriter(failWriter{boom})
	_ = w.Sheet("a", "h")
	var err error
	for i := 0; i < 10_000 && err == nil; i++ {
		err = w.Row(strings.Repeat("x", 100), i)
	}
	if err == nil {
		err = w.Close()
	}
	if !errors.Is(err, boom) {
		t.Fatalf("write error = %v, want %v", err, boom)
	}
	if err := w.Row("x"); !errors.Is(err, boom) {
		t.Errorf("Row after a write error: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("Close after a write error: %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestMaxRows(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,048,576 rows")
	}
	w := xlsx.NewWriter(io.Discard)
	if err := w.Sheet("a", "h"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < xlsx.MaxRows; i++ {
		if err := w.Row(nil); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if err := w.Row(nil); !errors.Is(err, xlsx.ErrTooManyRows) {
		t.Fatalf("row past the limit: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyWorkbook(t *testing.T) {
	var buf bytes.Buffer
	if err := xlsx.NewWriter(&buf).Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Blad1" {
		t.Errorf("sheets = %q", got)
	}
}

// countWriter counts the bytes of the finished file.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var day = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

// writeRows writes n typical rows, calling check every 100,000 rows.
func writeRows(out io.Writer, n int, check func(row int)) error {
	w := xlsx.NewWriter(out)
	if err := w.Sheet("Deelnemers", "Naam", "Gemeente", "Punten", "Score", "Voortgang", "Datum"); err != nil {
		return err
	}
	for i := range n {
		if err := w.Row("Deelnemer met een naam", "Súdwest-Fryslân", i, float64(i)/7, xlsx.Percent(float64(i%1000)/1000), day); err != nil {
			return err
		}
		if check != nil && i%100_000 == 0 {
			check(i)
		}
	}
	return w.Close()
}

// TestMillionRowsMemory checks that memory stays flat: the live heap after
// a GC hardly grows while 1,000,000 rows are written.
func TestMillionRowsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,000,000 rows")
	}
	n := 1_000_000
	if raceEnabled {
		n = 200_000
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	var out countWriter
	err := writeRows(&out, n, func(int) {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	})
	if err != nil {
		t.Fatal(err)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d rows: %.1f MiB file, %.1f bytes/row, live heap growth %.2f MiB",
		n, float64(out.n)/(1<<20), float64(out.n)/float64(n), float64(growth)/(1<<20))
	if growth > 4<<20 {
		t.Errorf("live heap grew by %d bytes while streaming", growth)
	}
}

// BenchmarkMillionRows writes a 1,000,000-row sheet per iteration.
func BenchmarkMillionRows(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	var out countWriter
	var ms runtime.MemStats
	var peakSys uint64
	for b.Loop() {
		out.n = 0
		err := writeRows(&out, n, func(int) {
			runtime.ReadMemStats(&ms)
			peakSys = max(peakSys, ms.HeapInuse)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.n)/n, "file-bytes/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	b.ReportMetric(float64(peakSys)/(1<<20), "peak-heap-inuse-MiB")
}

// BenchmarkRow measures one row of six typical cells.
func BenchmarkRow(b *testing.B) {
	w := xlsx.NewWriter(io.Discard)
	if err := w.Sheet("Deelnemers", "Naam", "Gemeente", "Punten", "Score", "Voortgang", "Datum"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if i == xlsx.MaxRows {
			b.StopTimer()
			if err := w.Sheet("Deelnemers"); err != nil {
				b.Fatal(err)
			}
			i = 1
			b.StartTimer()
		}
		if err := w.Row("Deelnemer met een naam", "Súdwest-Fryslân", i, float64(i)/7, xlsx.Percent(float64(i%1000)/1000), day); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLongText checks that text is cut at Excel's limit of 32,767
// characters, counted in UTF-16 as Excel does.
func TestLongText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int // runes kept
	}{
		{strings.Repeat("é", 40000), xlsx.MaxCellTextLen},
		{strings.Repeat("😀", 20000), xlsx.MaxCellTextLen / 2},
		{strings.Repeat("a", xlsx.MaxCellTextLen), xlsx.MaxCellTextLen},
	} {
		var buf bytes.Buffer
		w := xlsx.NewWriter(&buf)
		if err := w.Sheet("s"); err != nil {
			t.Fatal(err)
		}
		if err := w.Row(c.in); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.GetCellValue("s", "A1")
		f.Close()
		if n := len([]rune(got)); n != c.want || !strings.HasPrefix(c.in, got) || got != xlsx.CleanText(c.in) {
			t.Errorf("%.10q…: kept %d runes, want %d", c.in, n, c.want)
		}
	}
}

// FuzzStringCell checks that any string comes back from excelize as
// CleanText makes it.
func FuzzStringCell(f *testing.F) {
	for _, s := range []string{
		"", " ", "Ayşe Çelik-van 't Hoff", "<script>", "=1+1", "a&b", "\r\n", "\r", "\t x \t",
		"_x0041_", "_x005F_", "_x005F_x0041_", "__x00411_", "_xD800_", "\x00\x01\ufffe\uffff", "\xff\xfe",
		"]]>", "😀 emoji", "Súdwest-Fryslân\n's-Hertogenbosch",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		w := xlsx.NewWriter(&buf)
		if err := w.Sheet("s"); err != nil {
			t.Fatal(err)
		}
		if err := w.Row(s); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		got, err := x.GetCellValue("s", "A1")
		if err != nil {
			t.Fatal(err)
		}
		if want := xlsx.CleanText(s); got != want {
			t.Errorf("cell = %q, want %q", got, want)
		}
	})
}
