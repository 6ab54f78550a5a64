package pdf

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The fonts are DejaVu Sans and DejaVu Sans Bold cut down by fonts/subset.sh
// to Latin (Basic, Latin-1, Extended-A and -B) and typographic punctuation.
// gofpdf cuts them down further to the characters a certificate uses.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	fontFamily  = "dejavu"
	replacement = '?' // stands in for a character the fonts cannot show
)

// runeSet is a set of runes in the Basic Multilingual Plane.
type runeSet [1 << 16 / 64]uint64

func (s *runeSet) add(r rune)      { s[r>>6] |= 1 << (r & 63) }
func (s *runeSet) has(r rune) bool { return r >= 0 && r < 1<<16 && s[r>>6]&(1<<(r&63)) != 0 }
func (s *runeSet) intersect(t *runeSet) {
	for i := range s {
		s[i] &= t[i]
	}
}

// coverage is the set of characters that both embedded fonts have a glyph
// for, read once from their cmap tables.
var coverage = sync.OnceValues(func() (*runeSet, error) {
	set, err := cmapCoverage(fontRegular)
	if err != nil {
		return nil, fmt.Errorf("pdf: read DejaVuSans.ttf: %w", err)
	}
	bold, err := cmapCoverage(fontBold)
	if err != nil {
		return nil, fmt.Errorf("pdf: read DejaVuSans-Bold.ttf: %w", err)
	}
	set.intersect(bold)
	return set, nil
})

var errBadFont = errors.New("malformed TrueType font")

// cmapCoverage returns the characters that a TrueType font maps to a glyph,
// according to its Unicode BMP (format 4) cmap subtable.
func cmapCoverage(ttf []byte) (*runeSet, error) {
	u16 := func(b []byte, off int) (int, bool) {
		if off < 0 || off+2 > len(b) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(b[off:])), true
	}
	u32 := func(b []byte, off int) (int, bool) {
		if off < 0 || off+4 > len(b) {
			return 0, false
		}
		return int(binary.BigEndian.Uint32(b[off:])), true
	}

	var cmap []byte
	numTables, ok := u16(ttf, 4)
	if !ok {
		return nil, errBadFont
	}
	for i := range numTables {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errBadFont
		}
		if string(ttf[rec:rec+4]) != "cmap" {
			continue
		}
		off, _ := u32(ttf, rec+8)
		n, _ := u32(ttf, rec+12)
		if off+n > len(ttf) {
			return nil, errBadFont
		}
		cmap = ttf[off : off+n]
	}
	if cmap == nil {
		return nil, fmt.Errorf("%w: no cmap table", errBadFont)
	}

	subtables, ok := u16(cmap, 2)
	if !ok {
		return nil, errBadFont
	}
	for i := range subtables {
		platform, _ := u16(cmap, 4+8*i)
		encoding, _ := u16(cmap, 4+8*i+2)
		off, ok := u32(cmap, 4+8*i+4)
		if !ok {
			return nil, errBadFont
		}
		if !(platform == 3 && encoding == 1) && platform != 0 {
			continue
		}
		if format, _ := u16(cmap, off); format != 4 {
			continue
		}
		return cmapFormat4(cmap[off:], u16)
	}
	return nil, fmt.Errorf("%w: no Unicode format 4 cmap", errBadFont)
}

func cmapFormat4(sub []byte, u16 func([]byte, int) (int, bool)) (*runeSet, error) {
	segX2, ok := u16(sub, 6)
	if !ok || segX2%2 != 0 {
		return nil, errBadFont
	}
	ends, starts, deltas, ranges := 14, 16+segX2, 16+2*segX2, 16+3*segX2
	if ranges+segX2 > len(sub) {
		return nil, errBadFont
	}
	set := new(runeSet)
	for seg := 0; seg < segX2; seg += 2 {
		end, _ := u16(sub, ends+seg)
		start, _ := u16(sub, starts+seg)
		delta, _ := u16(sub, deltas+seg)
		rangeOff, _ := u16(sub, ranges+seg)
		for c := start; c <= end && c != 0xFFFF; c++ {
			gid := c
			if rangeOff != 0 {
				g, ok := u16(sub, ranges+seg+rangeOff+2*(c-start))
				if !ok {
					return nil, errBadFont
				}
				gid = g
				if gid == 0 {
					continue
				}
			}
			if (gid+delta)&0xFFFF != 0 {
				set.add(rune(c))
			}
		}
	}
	return set, nil
}

// clean prepares text for the page: it composes characters (NFC), turns
// line breaks, tabs and other white space into single spaces, drops
// invisible formatting characters (such as soft hyphens and zero-width
// joiners) and replaces characters that the fonts cannot show by the
// nearest character they can (ễ becomes ê) or by a question mark.
func clean(s string, cov *runeSet) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if cov.has(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune(nearest(r, cov))
		}
	}
	return b.String()
}

// nearest returns the character closest to r that the fonts can show: r
// with as many of its accents as possible, or the replacement character.
func nearest(r rune, cov *runeSet) rune {
	d := []rune(norm.NFD.String(string(r)))
	for n := len(d) - 1; n > 0; n-- {
		c := norm.NFC.String(string(d[:n]))
		if f, size := utf8.DecodeRuneInString(c); size == len(c) && cov.has(f) {
			return f
		}
	}
	return replacement
}

// block is a run of text set in one size, already broken into lines.
type block struct {
	lines []string
	bold  bool
	size  float64 // font size in points
}

// lineHeight is the distance between baselines in millimetres.
func (b block) lineHeight() float64 { return b.size * lineSpacing * mmPerPt }

// height is the height of the block in millimetres.
func (b block) height() float64 { return float64(len(b.lines)) * b.lineHeight() }

// fitText breaks text into at most maxLines lines of at most width mm, in
// the largest size from maxPt down to minPt (in half points) at which it
// fits. It prefers breaking between words; only if that is impossible even
// in minPt does it break inside a word. ok is false if the text does not fit.
func (d *doc) fitText(text string, bold bool, width, maxPt, minPt float64, maxLines int) (b block, ok bool) {
	if text == "" {
		return block{bold: bold, size: maxPt}, true
	}
	style := ""
	if bold {
		style = "B"
	}
	for _, wordsOnly := range []bool{true, false} {
		for size := maxPt; size >= minPt-0.01; size -= 0.5 {
			d.f.SetFont(fontFamily, style, size)
			lines := d.f.SplitText(text, width)
			if len(lines) == 0 || len(lines) > maxLines {
				continue
			}
			if wordsOnly && strings.Join(lines, " ") != text {
				continue // a word was broken
			}
			return block{lines: lines, bold: bold, size: size}, true
		}
	}
	return block{}, false
}
