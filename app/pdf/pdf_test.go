package pdf

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const testURL = "https://raadzaam.nl/verifieer/RZ-2026-7K4Q-9XPM"

// sample returns a Dutch certificate for holder.
func sample(holder string) *Certificate {
	return &Certificate{
		Lang:        "nl-NL",
		Heading:     "Certificaat",
		Intro:       "Hierbij verklaart Raadzaam dat",
		Holder:      holder,
		Achievement: "de cursus met goed gevolg heeft afgerond",
		Course:      "Begroting en verantwoording voor raadsleden",
		Details: []string{
			"Versie 3 · 4 uur studiebelasting",
			"Afgerond op 28 november 2026",
			"Geldig tot 28 november 2028",
		},
		Issuer:        "Raadzaam",
		Signatory:     "Mr. drs. J. de Vries",
		SignatoryRole: "Directeur opleidingen",
		NumberLabel:   "Certificaatnummer",
		Number:        "RZ-2026-7K4Q-9XPM",
		VerifyLabel:   "Controleer dit certificaat op",
		VerifyURL:     testURL,
		Title:         "Certificaat – Begroting en verantwoording voor raadsleden",
		Author:        "Raadzaam",
		Subject:       "Certificaat voor " + holder,
		Keywords:      "certificaat, raadzaam, “begroting” & (verantwoording)",
		Issued:        time.Date(2026, 11, 28, 14, 30, 5, 0, time.FixedZone("CET", 3600)),
	}
}

const (
	longHolder = "Maria Anna Wilhelmina Jacoba Theodora Françoise Ayşe Çelik-van 't Hoff tot Oud-Beijerland, " +
		"Zoë Łukasiewicz de la Court van der Voort-Ğündüz en Řehoř Sørensen-Ólafsdóttir van Wassenaer Obdam"
	longCourse = "Integrale afweging in de gemeentelijke begrotingscyclus: van kadernota en voorjaarsnota " +
		"tot jaarrekening, rekenkameronderzoek, weerstandsvermogen en de rol van de raad bij verbonden partijen"
)

// tool returns the path of a command-line tool, skipping the test if it is
// missing, or failing it in CI, which installs the tools.
func tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed: %v", name, err)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func renderFile(t testing.TB, c *Certificate) string {
	t.Helper()
	out, err := Render(c, DefaultAssets())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	path := filepath.Join(t.TempDir(), "certificaat.pdf")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var whitespace = regexp.MustCompile(`\s+`)

// long returns a certificate with a very long name and course title.
func long() *Certificate {
	c := sample(longHolder)
	c.Course = longCourse
	return c
}

func TestRenderText(t *testing.T) {
	for _, c := range []*Certificate{
		sample("Ayşe Çelik-van 't Hoff"),
		sample("Zoë Łukasiewicz"),
		sample("Řehoř Ğündüz"),
		long(),
	} {
		t.Run(c.Holder, func(t *testing.T) {
			text := run(t, "pdftotext", "-layout", "-enc", "UTF-8", renderFile(t, c), "-")
			lines := strings.Split(text, "\n")
			// Short texts are on one line of their own; long ones are
			// wrapped, so compare those with the white space collapsed.
			flat := whitespace.ReplaceAllString(text, " ")
			for _, want := range []string{c.Holder, c.Course} {
				if len(want) > 80 {
					if !strings.Contains(flat, want) {
						t.Errorf("text lacks %q:\n%s", want, text)
					}
					continue
				}
				if !hasLine(lines, want) {
					t.Errorf("no line is %q:\n%s", want, text)
				}
			}
			for _, want := range []string{c.Heading, c.Intro, c.Achievement, c.Details[0], c.Details[1], c.Details[2],
				c.Issuer, c.Signatory, c.SignatoryRole, c.NumberLabel, c.VerifyLabel} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			// The number and the URL must come out exactly, as words of their own.
			for _, want := range []string{c.Number, c.VerifyURL} {
				if !regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(want) + `(\s|$)`).MatchString(text) {
					t.Errorf("text lacks %q as a word:\n%s", want, text)
				}
			}
		})
	}
}

// hasLine reports whether one of lines, trimmed, is want.
func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

func TestRenderIsValidPDF(t *testing.T) {
	for _, c := range []*Certificate{sample("Ayşe Çelik-van 't Hoff"), long()} {
		path := renderFile(t, c)

		check := run(t, "qpdf", "--check", path)
		if !strings.Contains(check, "No syntax or stream encoding errors found") || strings.Contains(check, "WARNING") {
			t.Errorf("qpdf --check:\n%s", check)
		}

		info := run(t, "pdfinfo", path)
		for _, want := range []string{
			"Title: " + c.Title,
			"Author: " + c.Author,
			"Subject: " + c.Subject,
			"Keywords: " + c.Keywords,
			"Creator: Raadzaam",
			"CreationDate: Sat Nov 28 13:30:05 2026 UTC",
			"Page size: 841.89 x 595.28 pts (A4)",
			"Pages: 1",
			"Metadata Stream: yes",
			"PDF version: 1.4",
		} {
			if !strings.Contains(whitespace.ReplaceAllString(info, " "), want) {
				t.Errorf("pdfinfo lacks %q:\n%s", want, info)
			}
		}
	}
}

func TestRenderCatalog(t *testing.T) {
	c := sample("Zoë Łukasiewicz")
	c.Lang = "en-GB"
	c.Title = `Certificate <Budget> & "accounts"`
	path := renderFile(t, c)

	// qpdf's JSON is {"qpdf": [header, {"trailer": …, "obj:N 0 R": …}]}.
	var doc struct {
		QPDF []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal([]byte(run(t, "qpdf", "--json", "--json-key=qpdf", path)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.QPDF) != 2 {
		t.Fatalf("qpdf --json has %d parts, want 2", len(doc.QPDF))
	}
	var objects map[string]struct {
		Value map[string]any `json:"value"`
	}
	if err := json.Unmarshal(doc.QPDF[1], &objects); err != nil {
		t.Fatal(err)
	}
	root, _ := objects["trailer"].Value["/Root"].(string)
	catalog := objects["obj:"+root].Value
	if catalog["/Type"] != "/Catalog" {
		t.Fatalf("trailer /Root %q is not the catalog: %v", root, catalog)
	}
	if got := catalog["/Lang"]; got != "u:en-GB" {
		t.Errorf("catalog /Lang = %v, want en-GB", got)
	}
	ref, _ := catalog["/Metadata"].(string)
	if ref == "" {
		t.Fatalf("catalog has no /Metadata: %v", catalog)
	}

	xmp := run(t, "qpdf", "--show-object="+strings.Fields(ref)[0], "--raw-stream-data", path)
	for _, want := range []string{
		`<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Certificate &lt;Budget&gt; &amp; &#34;accounts&#34;</rdf:li></rdf:Alt></dc:title>`,
		`<dc:creator><rdf:Seq><rdf:li>Raadzaam</rdf:li></rdf:Seq></dc:creator>`,
		`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Certificaat voor Zoë Łukasiewicz</rdf:li></rdf:Alt></dc:description>`,
		`<dc:language><rdf:Bag><rdf:li>en-GB</rdf:li></rdf:Bag></dc:language>`,
		`<xmp:CreateDate>2026-11-28T13:30:05Z</xmp:CreateDate>`,
	} {
		if !strings.Contains(xmp, want) {
			t.Errorf("XMP lacks %s:\n%s", want, xmp)
		}
	}
	var x struct{}
	if err := xml.Unmarshal([]byte(xmp[strings.Index(xmp, "<x:xmpmeta"):strings.LastIndex(xmp, "<?xpacket")]), &x); err != nil {
		t.Errorf("XMP is not well-formed XML: %v", err)
	}
}

func TestRenderQRCode(t *testing.T) {
	for _, c := range []*Certificate{sample("Ayşe Çelik-van 't Hoff"), long()} {
		path := renderFile(t, c)
		png := filepath.Join(filepath.Dir(path), "page")
		run(t, "pdftoppm", "-r", "150", "-png", "-singlefile", path, png)
		got := run(t, "zbarimg", "--quiet", "--raw", png+".png")
		if got = strings.TrimSpace(got); got != c.VerifyURL {
			t.Errorf("QR code says %q, want %q", got, c.VerifyURL)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	c := sample("Zoë Łukasiewicz")
	first, err := Render(c, DefaultAssets())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Render(c, DefaultAssets())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("rendering the same certificate twice gave different bytes")
		}
	}
	// The same moment in another time zone gives the same file.
	c.Issued = c.Issued.UTC()
	utc, err := Render(c, DefaultAssets())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, utc) {
		t.Error("Issued in UTC gave a different file than the same moment in CET")
	}
}

func TestRenderConcurrently(t *testing.T) {
	want, err := Render(sample("Zoë Łukasiewicz"), DefaultAssets())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := Render(sample("Zoë Łukasiewicz"), DefaultAssets())
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("concurrent Render: %v, or different bytes", err)
			}
		})
	}
	wg.Wait()
}

func TestRenderReplacesUnknownCharacters(t *testing.T) {
	c := sample("Zoe\u0308\tNguyễn  🙂 van\u00ad\u200bDijk\n")
	text := run(t, "pdftotext", "-layout", "-enc", "UTF-8", renderFile(t, c), "-")
	if want := "Zoë Nguyên ? vanDijk"; !hasLine(strings.Split(text, "\n"), want) {
		t.Errorf("no line is %q:\n%s", want, text)
	}
}

func TestClean(t *testing.T) {
	cov, err := coverage()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"Ayşe Çelik-van 't Hoff":        "Ayşe Çelik-van 't Hoff",
		"  Zoe\u0308\r\n\tŁuka  ":       "Zoë Łuka",
		"Nguyễn Thị":                    "Nguyên Thi", // ễ and ị are not in the fonts; ê and i are
		"Ștefan Țurcanu":                "Ștefan Țurcanu",
		"‘quote’ “quote” – — · • € … ™": "‘quote’ “quote” – — · • € … ™",
		"Ω 😀 \x00x\u00a0y":              "? ? x y",
		"soft\u00adhyphen":              "softhyphen",
		"bad \xff utf8":                 "bad ? utf8",
	} {
		if got := clean(in, cov); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	cov, err := coverage()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Ayşe", "Zoe\u0308", "Nguyễn", "a\u0301\u0302b", "😀\t\n ", "\xff\xfe", "ᄀ\u1161"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s, cov)
		if !utf8.ValidString(got) || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("clean(%q) = %q", s, got)
		}
		for _, r := range got {
			if !cov.has(r) {
				t.Fatalf("clean(%q) = %q has %U, which the fonts lack", s, got, r)
			}
		}
		if again := clean(got, cov); again != got {
			t.Fatalf("clean is not idempotent: %q, then %q", got, again)
		}
	})
}

func TestCoverage(t *testing.T) {
	cov, err := coverage()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "Aaz09ÇçşŁłŘřĞğëéøÆœßșțǅ‘’“”–—·•€…‰™−" {
		if !cov.has(r) {
			t.Errorf("fonts lack %q (%U)", r, r)
		}
	}
	for _, r := range "ễΩЖ\u0301\u00ad😀" {
		if cov.has(r) && r != '\u00ad' {
			t.Errorf("coverage claims %q (%U), which the subset should not have", r, r)
		}
	}
}

func TestRenderFitsLongText(t *testing.T) {
	for name, c := range map[string]*Certificate{
		"200 capitals": sample(strings.Repeat("WOLTERS-MEIJBOOM ", 12)[:200]),
		"long course": func() *Certificate {
			c := sample("Jan Jansen")
			c.Course = strings.Repeat("Wet gemeenschappelijke regelingen ", 6)[:200]
			return c
		}(),
		"long everything": func() *Certificate {
			c := long()
			c.Intro = strings.Repeat("Hierbij verklaart Raadzaam dat ", 5)
			c.Achievement = strings.Repeat("de cursus met goed gevolg heeft afgerond ", 3)
			c.Details = append(c.Details, c.Details...)
			c.Signatory = strings.Repeat("Mr. drs. J. de Vries ", 5)
			c.SignatoryRole = strings.Repeat("Directeur opleidingen ", 5)
			c.VerifyLabel = strings.Repeat("Controleer dit certificaat op ", 4)
			c.Issuer = strings.Repeat("Raadzaam ", 10)
			return c
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Render(c, DefaultAssets()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRenderRejectsBadInput(t *testing.T) {
	notPNG := DefaultAssets()
	notPNG.Signature = []byte("GIF89a")
	for name, tc := range map[string]struct {
		c    *Certificate
		a    Assets
		want string
	}{
		"nil":            {nil, DefaultAssets(), "nil Certificate"},
		"no language":    {with(func(c *Certificate) { c.Lang = "" }), DefaultAssets(), "Lang"},
		"bad language":   {with(func(c *Certificate) { c.Lang = "nl) /JS (x" }), DefaultAssets(), "Lang"},
		"no holder":      {with(func(c *Certificate) { c.Holder = " \u200b\n" }), DefaultAssets(), "Holder is empty"},
		"no course":      {with(func(c *Certificate) { c.Course = "" }), DefaultAssets(), "Course is empty"},
		"no number":      {with(func(c *Certificate) { c.Number = "" }), DefaultAssets(), "Number is empty"},
		"no URL":         {with(func(c *Certificate) { c.VerifyURL = "" }), DefaultAssets(), "VerifyURL"},
		"URL with space": {with(func(c *Certificate) { c.VerifyURL = "https://raadzaam.nl/ x" }), DefaultAssets(), "VerifyURL"},
		"long URL":       {with(func(c *Certificate) { c.VerifyURL = "https://raadzaam.nl/" + strings.Repeat("x", 400) }), DefaultAssets(), "VerifyURL"},
		"huge holder":    {with(func(c *Certificate) { c.Holder = strings.Repeat("x", 5000) }), DefaultAssets(), "Holder"},
		"holder too wide": {with(func(c *Certificate) { c.Holder = strings.Repeat("W", 400) }), DefaultAssets(),
			"Holder does not fit"},
		"many details": {with(func(c *Certificate) { c.Details = make([]string, 11) }), DefaultAssets(), "Details"},
		"not a PNG":    {sample("Jan"), notPNG, "signature: not a PNG image"},
		"broken PNG":   {sample("Jan"), Assets{Logo: append(bytes.Clone(pngMagic), "\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00garbage"...)}, "logo"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Render(tc.c, tc.a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render: %v (%d bytes), want an error about %q", err, len(out), tc.want)
			}
		})
	}
}

// with returns a sample certificate changed by change.
func with(change func(*Certificate)) *Certificate {
	c := sample("Jan Jansen")
	change(c)
	return c
}

func TestRenderSurvivesOddText(t *testing.T) {
	c := sample("\xff\xfe Ol\u00e1 \U0001F600 (x) \\ )(")
	c.Title, c.Author, c.Subject, c.Keywords = "\xf0\x9f", "\U0001F600 \x00", "a\xe2", "\\)("
	c.Issued = time.Time{}
	out, err := Render(c, DefaultAssets())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("%PDF-1.4")) {
		t.Errorf("output starts with %q", out[:8])
	}
}

func TestFinishRejectsOddFiles(t *testing.T) {
	good, err := Render(sample("Jan Jansen"), DefaultAssets())
	if err != nil {
		t.Fatal(err)
	}
	xref := bytes.LastIndex(good, []byte("xref\n"))
	for name, raw := range map[string][]byte{
		"empty":         nil,
		"no xref":       []byte("%PDF-1.4\nstartxref\n5\n%%EOF\n"),
		"far startxref": []byte("%PDF-1.4\nstartxref\n99999\n%%EOF\n"),
		"short table":   append(bytes.Clone(good[:xref]), "xref\n0 30\n0000000000 65535 f \ntrailer\nstartxref\n"+strconv.Itoa(xref)+"\n%%EOF\n"...),
		"bad count":     append(bytes.Clone(good[:xref]), "xref\n0 \nstartxref\n"+strconv.Itoa(xref)+"\n%%EOF\n"...),
	} {
		if _, err := finish(raw, "nl-NL"); err == nil {
			t.Errorf("%s: finish succeeded", name)
		}
	}
}

// writePNG encodes img as a PNG file in dir.
func writePNG(t *testing.T, dir, name string, img image.Image, enc png.Encoder) {
	t.Helper()
	var buf bytes.Buffer
	if err := enc.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadAssets(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		a, err := LoadAssets(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if d := DefaultAssets(); !bytes.Equal(a.Logo, d.Logo) || !bytes.Equal(a.Signature, d.Signature) {
			t.Error("LoadAssets of an empty directory differs from DefaultAssets")
		}
	})

	t.Run("no directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "missing")
		if _, err := LoadAssets(dir); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("LoadAssets: %v, want an error naming %s", err, dir)
		}
	})

	t.Run("not a PNG", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, LogoFile), []byte("<svg/>"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadAssets(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, LogoFile)) || !strings.Contains(err.Error(), "not a PNG") {
			t.Fatalf("LoadAssets: %v, want an error naming %s", err, LogoFile)
		}
	})

	t.Run("broken PNG", func(t *testing.T) {
		dir := t.TempDir()
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 50, 20))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, SignatureFile), buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadAssets(dir)
		if err == nil || !strings.Contains(err.Error(), SignatureFile) || !strings.Contains(err.Error(), "decode") {
			t.Fatalf("LoadAssets: %v, want a decoding error naming %s", err, SignatureFile)
		}
	})

	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, LogoFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadAssets(dir); err == nil || !strings.Contains(err.Error(), LogoFile) {
			t.Fatalf("LoadAssets: %v, want an error naming %s", err, LogoFile)
		}
	})

	t.Run("converted", func(t *testing.T) {
		dir := t.TempDir()
		// A 16-bit opaque logo and a signature with an alpha channel.
		logo := image.NewGray16(image.Rect(0, 0, 300, 100))
		for i := range logo.Pix {
			logo.Pix[i] = byte(i)
		}
		writePNG(t, dir, LogoFile, logo, png.Encoder{})
		sig := image.NewNRGBA(image.Rect(0, 0, 400, 120))
		for x := 20; x < 380; x++ {
			sig.SetNRGBA(x, 60+x%20, color.NRGBA{0x14, 0x23, 0x5a, uint8(x % 256)})
		}
		writePNG(t, dir, SignatureFile, sig, png.Encoder{})

		a, err := LoadAssets(dir)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{LogoFile: a.Logo, SignatureFile: a.Signature} {
			h, err := checkPNG(data)
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if data[25] == 4 || data[25] == 6 {
				t.Errorf("%s still has an alpha channel (colour type %d)", name, data[25])
			}
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s does not decode: %v (%+v)", name, err, h)
			}
		}
		if !bytes.Contains(a.Signature, []byte("tRNS")) {
			t.Error("signature lost its transparency")
		}
		c := sample("Jan Jansen")
		out, err := Render(c, a)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "c.pdf")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if check := run(t, "qpdf", "--check", path); !strings.Contains(check, "No syntax or stream encoding errors found") {
			t.Errorf("qpdf --check:\n%s", check)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	c, a := sample("Ayşe Çelik-van 't Hoff"), DefaultAssets()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := Render(c, a)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}
