package pdf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// langPattern is the shape of a BCP 47 language tag: letters, then
// subtags of letters and digits separated by hyphens.
var langPattern = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// xmpPacket returns the XMP metadata stream for the certificate.
func xmpPacket(c *Certificate, issued time.Time) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s)) // a strings.Builder does not fail
		return e.String()
	}
	date := issued.UTC().Format("2006-01-02T15:04:05Z")
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<dc:format>application/pdf</dc:format>
`)
	fmt.Fprintf(&b, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", esc(c.Title))
	fmt.Fprintf(&b, "<dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", esc(c.Author))
	fmt.Fprintf(&b, "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n", esc(c.Subject))
	fmt.Fprintf(&b, "<dc:language><rdf:Bag><rdf:li>%s</rdf:li></rdf:Bag></dc:language>\n", esc(c.Lang))
	fmt.Fprintf(&b, "<pdf:Keywords>%s</pdf:Keywords>\n", esc(c.Keywords))
	fmt.Fprintf(&b, "<pdf:Producer>%s</pdf:Producer>\n", esc(producer))
	fmt.Fprintf(&b, "<xmp:CreatorTool>%s</xmp:CreatorTool>\n", esc(creator))
	fmt.Fprintf(&b, "<xmp:CreateDate>%s</xmp:CreateDate>\n", date)
	fmt.Fprintf(&b, "<xmp:ModifyDate>%s</xmp:ModifyDate>\n", date)
	fmt.Fprintf(&b, "<xmp:MetadataDate>%s</xmp:MetadataDate>\n", date)
	b.WriteString("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>")
	return b.Bytes()
}

var (
	startxrefPattern = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n?$`)
	rootPattern      = regexp.MustCompile(`/Root (\d+) 0 R`)
	infoPattern      = regexp.MustCompile(`/Info (\d+) 0 R`)
	datePattern      = regexp.MustCompile(`/(?:CreationDate|ModDate) \(D:\d{14}()\)`)
)

// xrefEntryLen is the length of one cross-reference entry, end of line
// included: "0000000123 00000 n \n".
const xrefEntryLen = 20

// insertion is text to insert at an offset of the file.
type insertion struct {
	at   int
	text string
}

// finish adds what gofpdf v1.16.2 cannot write to the file it produced: the
// language (/Lang) and the XMP metadata stream (/Metadata) in the document
// catalog, a UTC marker on the Info dates (gofpdf writes the dates without
// time zone, in the zone of the time given, which finish makes UTC), and
// version 1.4, which /Lang and /Metadata need. It inserts the text into the
// file and moves the offsets in the cross-reference table that follow.
func finish(raw []byte, lang string) ([]byte, error) {
	m := startxrefPattern.FindSubmatchIndex(raw)
	if m == nil {
		return nil, errors.New("no startxref at the end of the file")
	}
	xref, err := strconv.Atoi(string(raw[m[2]:m[3]]))
	if err != nil || xref >= len(raw) || !bytes.HasPrefix(raw[xref:], []byte("xref\n0 ")) {
		return nil, errors.New("startxref does not point to a cross-reference table")
	}
	// "xref\n0 count\n", then count entries.
	eol := bytes.IndexByte(raw[xref+len("xref\n"):], '\n')
	if eol < 0 {
		return nil, errors.New("cross-reference table has no subsection header")
	}
	entries := xref + len("xref\n") + eol + 1
	count, err := strconv.Atoi(string(raw[xref+len("xref\n0 ") : entries-1]))
	if err != nil || count < 1 {
		return nil, fmt.Errorf("read cross-reference table header %q", raw[xref:entries-1])
	}
	trailer := entries + count*xrefEntryLen
	if trailer > len(raw) || !bytes.HasPrefix(raw[trailer:], []byte("trailer")) {
		return nil, errors.New("cross-reference table is not followed by the trailer")
	}
	offsets := make([]int, count)
	for i := 1; i < count; i++ {
		e := raw[entries+i*xrefEntryLen:]
		if offsets[i], err = strconv.Atoi(string(e[:10])); err != nil || offsets[i] >= xref {
			return nil, fmt.Errorf("cross-reference entry %d is not an offset in the file", i)
		}
	}
	object := func(pattern *regexp.Regexp, name string) (int, []byte, error) {
		m := pattern.FindSubmatch(raw[trailer:])
		if m == nil {
			return 0, nil, fmt.Errorf("trailer has no %s", name)
		}
		n, _ := strconv.Atoi(string(m[1]))
		if n <= 0 || n >= count {
			return 0, nil, fmt.Errorf("%s object %d is not in the cross-reference table", name, n)
		}
		start := offsets[n]
		end := bytes.Index(raw[start:], []byte("endobj"))
		if end < 0 {
			return 0, nil, fmt.Errorf("%s object %d has no end", name, n)
		}
		return start, raw[start : start+end], nil
	}

	var ins []insertion

	// The XMP stream is the object that starts with its dictionary.
	metadata := 0
	for n := 1; n < count; n++ {
		if bytes.HasPrefix(raw[offsets[n]:], fmt.Appendf(nil, "%d 0 obj\n<< /Type /Metadata /Subtype /XML", n)) {
			metadata = n
			break
		}
	}
	if metadata == 0 {
		return nil, errors.New("no XMP metadata stream")
	}
	catStart, catalog, err := object(rootPattern, "catalog")
	if err != nil {
		return nil, err
	}
	at := bytes.Index(catalog, []byte("<<\n/Type /Catalog\n"))
	if at < 0 {
		return nil, errors.New("catalog is not a dictionary of type /Catalog")
	}
	ins = append(ins, insertion{catStart + at + len("<<\n"), fmt.Sprintf("/Lang (%s)\n/Metadata %d 0 R\n", lang, metadata)})

	infoStart, info, err := object(infoPattern, "Info")
	if err != nil {
		return nil, err
	}
	for _, d := range datePattern.FindAllSubmatchIndex(info, -1) {
		ins = append(ins, insertion{infoStart + d[2], "Z"})
	}
	slices.SortFunc(ins, func(a, b insertion) int { return a.at - b.at })

	grow := 0
	for _, i := range ins {
		grow += len(i.text)
	}
	out := make([]byte, 0, len(raw)+grow+8)
	prev := 0
	for _, i := range ins {
		out = append(out, raw[prev:i.at]...)
		out = append(out, i.text...)
		prev = i.at
	}
	out = append(out, raw[prev:entries]...)
	// shift is how far an offset moves: the length inserted before it.
	shift := func(off int) int {
		s := 0
		for _, i := range ins {
			if i.at <= off {
				s += len(i.text)
			}
		}
		return off + s
	}
	out = append(out, raw[entries:entries+xrefEntryLen]...) // the free entry 0
	for i := 1; i < count; i++ {
		out = fmt.Appendf(out, "%010d", shift(offsets[i]))
		out = append(out, raw[entries+i*xrefEntryLen+10:entries+(i+1)*xrefEntryLen]...)
	}
	out = append(out, raw[trailer:m[2]]...)
	out = strconv.AppendInt(out, int64(shift(xref)), 10)
	out = append(out, raw[m[3]:]...)

	if bytes.HasPrefix(out, []byte("%PDF-1.3")) {
		out[7] = '4'
	}
	return out, nil
}
