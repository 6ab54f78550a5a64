// Package pdf renders course certificates as PDF files: one A4 landscape
// page in the sober style of the NL Design System, with the holder's name,
// the course, a signature and a QR code that links to the page where anyone
// can verify the certificate.
//
// The package only lays out: the caller passes every text already
// translated and formatted. Text is set in DejaVu Sans, embedded and cut
// down to the characters used; it can be searched and copied.
//
// Rendering is deterministic: the same Certificate (with a non-zero Issued)
// and Assets give the same bytes, with one exception that gofpdf causes: if
// the logo and the signature are different images of the same width in
// pixels, gofpdf writes them in random order, so the bytes (not the page)
// can differ between renders.
package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jung-kurt/gofpdf"
)

// Certificate is what one certificate page says, every string already in
// the certificate's language. Holder, Course, Number and VerifyURL are
// required; so is Lang.
type Certificate struct {
	Lang          string   // BCP 47 language tag, e.g. "nl-NL" or "en-GB"
	Heading       string   // "Certificaat"
	Intro         string   // "Hierbij verklaart Raadzaam dat"
	Holder        string   // "Ayşe Çelik-van 't Hoff"; long names are set smaller and wrapped
	Achievement   string   // "de cursus met goed gevolg heeft afgerond"
	Course        string   // course title; wrapped to at most three lines
	Details       []string // "Afgerond op 28 november 2026", one line each (at most 10)
	Issuer        string   // "Raadzaam", shown beside the logo
	Signatory     string   // "Mr. drs. J. de Vries"
	SignatoryRole string   // "Directeur opleidingen"
	NumberLabel   string   // "Certificaatnummer"
	Number        string   // "RZ-2026-7K4Q-9XPM"
	VerifyLabel   string   // "Controleer dit certificaat op"
	VerifyURL     string   // printed and encoded in the QR code; printable ASCII

	// Document metadata, written to the Info dictionary and as XMP.
	Title, Author, Subject, Keywords string

	// Issued is the document's creation and modification date. If it is
	// zero, the time of rendering is used and the output differs each time.
	Issued time.Time
}

// Metadata that is the same on every certificate.
const (
	creator  = "Raadzaam"
	producer = "Raadzaam with gofpdf 1.16.2"
)

// Limits on the input, so that bad data gives an error instead of an
// unreadable page or a slow render.
const (
	maxTextLen    = 1000 // bytes in one text field
	maxDetails    = 10
	maxVerifyURL  = 300 // bytes; longer URLs make the QR code's modules too small
	minQRModuleMM = 0.35
)

// Typography and geometry. Lengths are in millimetres, font sizes in points.
const (
	mmPerPt       = 25.4 / 72
	lineSpacing   = 1.25 // line height as a multiple of the font size
	baselineRatio = 0.97 // baseline below the top of a line, times the font size

	pageW, pageH = 297.0, 210.0
	frameInset   = 10.0
	left, right  = 24.0, 273.0 // text column
	contentW     = right - left

	logoTop, logoH, logoMaxW = 22.0, 15.0, 60.0
	headingTop               = 42.0
	flowBottom               = 153.0 // the middle text ends above this line

	sigLineY, sigLineW = 172.0, 85.0
	sigMaxW, sigMaxH   = 55.0, 20.0
	pageBottom         = 188.0 // lowest baseline area and bottom of the QR code
	qrSide             = 26.0  // the code without its quiet zone; ≥ 25 mm scans well
)

type rgb struct{ r, g, b int }

var (
	accent = rgb{0x15, 0x42, 0x73} // dark blue, as in the Rijkshuisstijl
	tint   = rgb{0xb3, 0xc6, 0xd9} // light accent for hairlines
	ink    = rgb{0x1a, 0x1a, 0x1a}
	muted  = rgb{0x4b, 0x4b, 0x4b}
)

// doc is a certificate being rendered.
type doc struct {
	f *gofpdf.Fpdf
}

// spec describes a run of text to be fitted into a stack.
type spec struct {
	field        string // name of the Certificate field, for errors
	text         string
	bold         bool
	color        rgb
	maxPt, minPt float64
	maxLines     int
	gapAfter     float64 // mm below the block, if it has text
	link         string  // URL the text links to
}

// Render returns the certificate as a PDF file. A nil image in a means the
// default one. Render does not change c or a and may be called concurrently.
func Render(c *Certificate, a Assets) (out []byte, err error) {
	if c == nil {
		return nil, errors.New("pdf: render certificate: nil Certificate")
	}
	defer func() {
		// gofpdf panics on some inputs it does not expect; Render checks its
		// input, but an error is still better than a crash.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("pdf: render certificate%s: %v", numbered(c), r)
		}
	}()
	out, err = render(c, a)
	if err != nil {
		return nil, fmt.Errorf("pdf: render certificate%s: %w", numbered(c), err)
	}
	return out, nil
}

// numbered returns the certificate's number for error messages, if it is
// short enough to be one.
func numbered(c *Certificate) string {
	if c.Number == "" || len(c.Number) > 40 {
		return ""
	}
	return fmt.Sprintf(" %q", c.Number)
}

func render(c *Certificate, a Assets) ([]byte, error) {
	cov, err := coverage()
	if err != nil {
		return nil, err
	}
	t, err := prepare(c, cov)
	if err != nil {
		return nil, err
	}
	if a.Logo == nil {
		a.Logo = defaultLogo
	}
	if a.Signature == nil {
		a.Signature = defaultSignature
	}
	logo, err := checkPNG(a.Logo)
	if err != nil {
		return nil, fmt.Errorf("logo: %w", err)
	}
	sig, err := checkPNG(a.Signature)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}

	issued := c.Issued
	if issued.IsZero() {
		issued = time.Now()
	}
	issued = issued.UTC().Truncate(time.Second)

	f := gofpdf.NewCustom(&gofpdf.InitType{OrientationStr: "L", UnitStr: "mm", SizeStr: "A4"})
	d := &doc{f: f}
	f.SetCompression(true)
	f.SetCatalogSort(true) // fonts and images in a fixed order: same input, same bytes
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(0, 0, 0)
	f.SetCellMargin(0)
	f.SetTitle(metaText(c.Title), true)
	f.SetAuthor(metaText(c.Author), true)
	f.SetSubject(metaText(c.Subject), true)
	f.SetKeywords(metaText(c.Keywords), true)
	f.SetCreator(creator, true)
	f.SetProducer(producer, true)
	f.SetCreationDate(issued)
	f.SetModificationDate(issued)
	f.SetXmpMetadata(xmpPacket(c, issued))
	// gofpdf writes into the font bytes it is given (it pads tables in
	// place to compute checksums), so each document gets its own copy.
	f.AddUTF8FontFromBytes(fontFamily, "", bytes.Clone(fontRegular))
	f.AddUTF8FontFromBytes(fontFamily, "B", bytes.Clone(fontBold))
	f.AddPage()
	// AddUTF8FontFromBytes prints a font it cannot read instead of failing;
	// selecting the fonts reveals that.
	f.SetFont(fontFamily, "", 10)
	f.SetFont(fontFamily, "B", 10)
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("set up document: %w", err)
	}

	d.frame()
	if err := d.header(t, a.Logo, logo); err != nil {
		return nil, err
	}
	if err := d.signature(t, a.Signature, sig); err != nil {
		return nil, err
	}
	if err := d.verification(t); err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("write PDF: %w", err)
	}
	return finish(buf.Bytes(), t.Lang)
}

// prepare checks c and returns a copy whose texts are ready to be set.
func prepare(c *Certificate, cov *runeSet) (*Certificate, error) {
	if !langPattern.MatchString(c.Lang) {
		return nil, fmt.Errorf("field Lang: %q is not a BCP 47 language tag", c.Lang)
	}
	if len(c.Details) > maxDetails {
		return nil, fmt.Errorf("field Details: %d lines; at most %d allowed", len(c.Details), maxDetails)
	}
	if err := checkURL(c.VerifyURL); err != nil {
		return nil, fmt.Errorf("field VerifyURL: %w", err)
	}
	t := *c
	t.Details = slices.Clone(c.Details)
	type field struct {
		name     string
		s        *string
		required bool
	}
	fields := []field{
		{"Heading", &t.Heading, false},
		{"Intro", &t.Intro, false},
		{"Holder", &t.Holder, true},
		{"Achievement", &t.Achievement, false},
		{"Course", &t.Course, true},
		{"Issuer", &t.Issuer, false},
		{"Signatory", &t.Signatory, false},
		{"SignatoryRole", &t.SignatoryRole, false},
		{"NumberLabel", &t.NumberLabel, false},
		{"Number", &t.Number, true},
		{"VerifyLabel", &t.VerifyLabel, false},
	}
	for i := range t.Details {
		fields = append(fields, field{fmt.Sprintf("Details[%d]", i), &t.Details[i], false})
	}
	for _, fl := range fields {
		if len(*fl.s) > maxTextLen {
			return nil, fmt.Errorf("field %s: %d bytes long; at most %d allowed", fl.name, len(*fl.s), maxTextLen)
		}
		*fl.s = clean(*fl.s, cov)
		if fl.required && *fl.s == "" {
			return nil, fmt.Errorf("field %s is empty", fl.name)
		}
	}
	return &t, nil
}

// checkURL accepts a URL that can be printed and linked as it is.
func checkURL(u string) error {
	switch {
	case u == "":
		return errors.New("empty")
	case len(u) > maxVerifyURL:
		return fmt.Errorf("%d bytes long; at most %d allowed", len(u), maxVerifyURL)
	}
	for _, r := range u {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("%q has a space, control or non-ASCII character; percent-encode it", u)
		}
	}
	return nil
}

// metaText makes s safe for gofpdf's UTF-16 conversion, which reads past the
// end of invalid UTF-8 and garbles characters outside the BMP.
func metaText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

func (d *doc) setColor(c rgb) { d.f.SetTextColor(c.r, c.g, c.b) }

// frame draws the thin border around the page.
func (d *doc) frame() {
	f := d.f
	f.SetDrawColor(accent.r, accent.g, accent.b)
	f.SetLineWidth(0.6)
	f.Rect(frameInset, frameInset, pageW-2*frameInset, pageH-2*frameInset, "D")
	f.SetDrawColor(tint.r, tint.g, tint.b)
	f.SetLineWidth(0.2)
	const in = frameInset + 2
	f.Rect(in, in, pageW-2*in, pageH-2*in, "D")
}

// header draws the logo, the issuer, the heading and the middle text.
func (d *doc) header(t *Certificate, logoPNG []byte, logo pngHeader) error {
	f := d.f
	w, h := fitBox(logo, logoMaxW, logoH)
	if err := d.image("logo", logoPNG, left, logoTop+(logoH-h)/2, w, h); err != nil {
		return fmt.Errorf("logo: %w", err)
	}
	issuerX := left + w + 4
	issuer := []spec{{field: "Issuer", text: t.Issuer, bold: true, color: accent, maxPt: 16, minPt: 9, maxLines: 2}}
	blocks, height, err := d.stack(issuer, right-issuerX, logoH+4)
	if err != nil {
		return err
	}
	d.draw(issuer, blocks, issuerX, logoTop+(logoH-height)/2, right-issuerX, false)

	heading := []spec{{field: "Heading", text: t.Heading, bold: true, color: accent, maxPt: 32, minPt: 16, maxLines: 2}}
	blocks, height, err = d.stack(heading, contentW, 30)
	if err != nil {
		return err
	}
	d.draw(heading, blocks, left, headingTop, contentW, false)
	y := headingTop + height + 1.5
	f.SetFillColor(accent.r, accent.g, accent.b)
	f.Rect(left, y, 24, 1.2, "F")
	y += 1.2 + 8

	flow := []spec{
		{field: "Intro", text: t.Intro, color: muted, maxPt: 13, minPt: 9, maxLines: 2, gapAfter: 2.5},
		{field: "Holder", text: t.Holder, bold: true, color: ink, maxPt: 30, minPt: 14, maxLines: 4, gapAfter: 3},
		{field: "Achievement", text: t.Achievement, color: muted, maxPt: 13, minPt: 9, maxLines: 2, gapAfter: 2.5},
		{field: "Course", text: t.Course, bold: true, color: accent, maxPt: 20, minPt: 11, maxLines: 3, gapAfter: 6},
	}
	for i, s := range t.Details {
		flow = append(flow, spec{field: fmt.Sprintf("Details[%d]", i), text: s, color: muted, maxPt: 11, minPt: 8, maxLines: 2, gapAfter: 1})
	}
	blocks, _, err = d.stack(flow, contentW, flowBottom-y)
	if err != nil {
		return err
	}
	d.draw(flow, blocks, left, y, contentW, false)
	return nil
}

// signature draws the signature above a line with the signatory's name and
// role below it, bottom left.
func (d *doc) signature(t *Certificate, sigPNG []byte, sig pngHeader) error {
	f := d.f
	w, h := fitBox(sig, sigMaxW, sigMaxH)
	// The pen crosses the line a little, as on paper.
	if err := d.image("signature", sigPNG, left+2, sigLineY+2-h, w, h); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	f.SetDrawColor(muted.r, muted.g, muted.b)
	f.SetLineWidth(0.25)
	f.Line(left, sigLineY, left+sigLineW, sigLineY)
	specs := []spec{
		{field: "Signatory", text: t.Signatory, bold: true, color: ink, maxPt: 11, minPt: 8, maxLines: 2, gapAfter: 0.5},
		{field: "SignatoryRole", text: t.SignatoryRole, color: muted, maxPt: 9.5, minPt: 7.5, maxLines: 2},
	}
	top := sigLineY + 1.5
	blocks, _, err := d.stack(specs, sigLineW, pageBottom+3-top)
	if err != nil {
		return err
	}
	d.draw(specs, blocks, left, top, sigLineW, false)
	return nil
}

// verification draws the QR code bottom right and, to its left, where to
// verify the certificate and its number.
func (d *doc) verification(t *Certificate) error {
	qrX, qrY := right-qrSide, pageBottom-qrSide
	size, err := d.drawQR(t.VerifyURL, qrX, qrY, qrSide)
	if err != nil {
		return err
	}
	if qrSide/float64(size) < minQRModuleMM {
		return errors.New("field VerifyURL: too long for a QR code that scans")
	}
	quiet := quietZone * qrSide / float64(size)
	colRight := qrX - quiet - 2
	colLeft := left + sigLineW + 12
	specs := []spec{
		{field: "VerifyLabel", text: t.VerifyLabel, color: muted, maxPt: 9, minPt: 7, maxLines: 2, gapAfter: 0.3},
		{field: "VerifyURL", text: t.VerifyURL, color: accent, maxPt: 9, minPt: 7, maxLines: 3, gapAfter: 3, link: t.VerifyURL},
		{field: "NumberLabel", text: t.NumberLabel, color: muted, maxPt: 9, minPt: 7, maxLines: 2, gapAfter: 0.3},
		{field: "Number", text: t.Number, bold: true, color: ink, maxPt: 12, minPt: 8, maxLines: 2},
	}
	blocks, height, err := d.stack(specs, colRight-colLeft, qrSide+2)
	if err != nil {
		return err
	}
	// The last line's descenders end level with the bottom of the code.
	d.draw(specs, blocks, colLeft, pageBottom+0.6-height, colRight-colLeft, true)
	return nil
}

// image registers a PNG image and places it.
func (d *doc) image(name string, png []byte, x, y, w, h float64) error {
	opts := gofpdf.ImageOptions{ImageType: "PNG"}
	d.f.RegisterImageOptionsReader(name, opts, bytes.NewReader(png))
	if err := d.f.Error(); err != nil {
		return fmt.Errorf("embed PNG: %w", err)
	}
	d.f.ImageOptions(name, x, y, w, h, false, opts, 0, "")
	return d.f.Error()
}

// fitBox returns the size of an image scaled to fit a box, keeping its
// aspect ratio.
func fitBox(img pngHeader, maxW, maxH float64) (w, h float64) {
	ratio := float64(img.width) / float64(img.height)
	w, h = maxH*ratio, maxH
	if w > maxW {
		w, h = maxW, maxW/ratio
	}
	return w, h
}

// displayPt is the size from which text counts as display text, which
// stack shrinks before the smaller text.
const displayPt = 14

// stack fits runs of text, one below the other, into width and maxHeight.
// It tries every run in its largest size first, then scales the display
// text (the holder's name, the course) down, and then all text, until they
// fit. It returns the blocks and their total height.
func (d *doc) stack(specs []spec, width, maxHeight float64) ([]block, float64, error) {
	blocks := make([]block, len(specs))
	for step := 0; step < 40; step++ {
		display, small := 1-0.05*float64(step), 1.0
		if step >= 20 {
			display, small = 0, 1-0.05*float64(step-20)
		}
		total := 0.0
		for i, s := range specs {
			scale := small
			if s.maxPt >= displayPt {
				scale = min(display, small)
			}
			maxPt := math.Max(s.minPt, math.Round(s.maxPt*scale*2)/2)
			b, ok := d.fitText(s.text, s.bold, width, maxPt, s.minPt, s.maxLines)
			if !ok {
				return nil, 0, fmt.Errorf("field %s does not fit on the certificate (%d characters)", s.field, utf8.RuneCountInString(s.text))
			}
			blocks[i] = b
			if len(b.lines) > 0 {
				total += b.height() + s.gapAfter
			}
		}
		total -= lastGap(specs, blocks)
		if total <= maxHeight {
			return blocks, total, nil
		}
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.field
	}
	return nil, 0, fmt.Errorf("fields %s do not fit on the certificate together", strings.Join(names, ", "))
}

// lastGap is the gap below the last block with text, which takes no room.
func lastGap(specs []spec, blocks []block) float64 {
	for i := len(blocks) - 1; i >= 0; i-- {
		if len(blocks[i].lines) > 0 {
			return specs[i].gapAfter
		}
	}
	return 0
}

// draw sets fitted blocks from top y down, left-aligned at x or
// right-aligned to x+width.
func (d *doc) draw(specs []spec, blocks []block, x, y, width float64, alignRight bool) {
	f := d.f
	for i, b := range blocks {
		if len(b.lines) == 0 {
			continue
		}
		s := specs[i]
		style := ""
		if b.bold {
			style = "B"
		}
		f.SetFont(fontFamily, style, b.size)
		d.setColor(s.color)
		lh := b.lineHeight()
		for j, line := range b.lines {
			lx := x
			w := f.GetStringWidth(line)
			if alignRight {
				lx = x + width - w
			}
			top := y + float64(j)*lh
			f.Text(lx, top+baselineRatio*b.size*mmPerPt, line)
			if s.link != "" {
				f.LinkString(lx, top, w, lh, s.link)
			}
		}
		y += b.height() + s.gapAfter
	}
}
