package pdf

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/draw"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
)

// Assets are the images on every certificate: PNG bytes. A nil field means
// the default image from DefaultAssets. Render embeds any 8-bit,
// non-interlaced PNG, but one with an alpha channel costs about 5 ms more
// per certificate; LoadAssets converts images to the fast form.
type Assets struct {
	Logo      []byte // shown top left, at most 16 mm high
	Signature []byte // shown above the signatory's line, at most 55 × 20 mm
}

// Names of the files that LoadAssets reads.
const (
	LogoFile      = "logo.png"
	SignatureFile = "handtekening.png"
)

// maxImageSide bounds the width and height of an image in pixels, so that a
// huge image cannot make every render slow.
const maxImageSide = 4096

var (
	//go:embed assets/logo.png
	defaultLogo []byte
	//go:embed assets/handtekening.png
	defaultSignature []byte
)

// DefaultAssets returns the embedded Raadzaam logo and a demo signature.
func DefaultAssets() Assets {
	return Assets{Logo: defaultLogo, Signature: defaultSignature}
}

// LoadAssets reads logo.png and handtekening.png from dir, using the
// default image for a file that does not exist. The directory itself must
// exist: a mistyped path should not put the demo signature on real
// certificates. It checks that each file is
// a PNG image that decodes, at most 4096 pixels wide and high, and converts
// 16-bit and interlaced images, which the PDF writer cannot embed, to 8-bit
// non-interlaced ones.
func LoadAssets(dir string) (Assets, error) {
	if info, err := os.Stat(dir); err != nil {
		return Assets{}, fmt.Errorf("pdf: certificate image directory: %w", err)
	} else if !info.IsDir() {
		return Assets{}, fmt.Errorf("pdf: certificate image directory %s is not a directory", dir)
	}
	a := DefaultAssets()
	for _, file := range []struct {
		name string
		dst  *[]byte
	}{
		{LogoFile, &a.Logo},
		{SignatureFile, &a.Signature},
	} {
		path := filepath.Join(dir, file.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Assets{}, fmt.Errorf("pdf: read certificate image: %w", err)
		}
		data, err = preparePNG(data)
		if err != nil {
			return Assets{}, fmt.Errorf("pdf: certificate image %s: %w", path, err)
		}
		*file.dst = data
	}
	return a, nil
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// pngHeader is the part of a PNG header that matters for embedding.
type pngHeader struct {
	width, height int
	depth         byte
	interlaced    bool
}

// readPNGHeader checks the PNG signature and reads the IHDR chunk.
func readPNGHeader(data []byte) (pngHeader, error) {
	if !bytes.HasPrefix(data, pngMagic) {
		return pngHeader{}, errors.New("not a PNG image")
	}
	// Signature (8), chunk length (4), "IHDR" (4), then 13 bytes of header.
	if len(data) < 33 || string(data[12:16]) != "IHDR" {
		return pngHeader{}, errors.New("not a PNG image: no IHDR chunk")
	}
	h := pngHeader{
		width:      int(binary.BigEndian.Uint32(data[16:])),
		height:     int(binary.BigEndian.Uint32(data[20:])),
		depth:      data[24],
		interlaced: data[28] != 0,
	}
	if h.width <= 0 || h.height <= 0 || h.width > maxImageSide || h.height > maxImageSide {
		return pngHeader{}, fmt.Errorf("image is %d × %d pixels; at most %d × %[3]d allowed", h.width, h.height, maxImageSide)
	}
	return h, nil
}

// preparePNG checks that data is a PNG image that decodes and returns it in
// the form that gofpdf embeds best: 8 bits per channel, not interlaced, and
// without an alpha channel, which gofpdf splits off and compresses again on
// every render (about 5 ms for a signature). An image with transparency is
// flattened onto white, and white is made transparent with a colour key:
// on the white page that looks the same.
func preparePNG(data []byte) ([]byte, error) {
	h, err := readPNGHeader(data)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode PNG: %w", err)
	}
	o, ok := img.(interface{ Opaque() bool })
	opaque := ok && o.Opaque()
	if h.depth <= 8 && !h.interlaced && opaque {
		return data, nil
	}
	flat := image.NewRGBA(img.Bounds())
	draw.Draw(flat, flat.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(flat, flat.Bounds(), img, img.Bounds().Min, draw.Over)
	var buf bytes.Buffer
	if err := png.Encode(&buf, flat); err != nil {
		return nil, fmt.Errorf("re-encode PNG: %w", err)
	}
	out := buf.Bytes()
	if !opaque {
		out = whiteKey(out)
	}
	return out, nil
}

// whiteKey adds a tRNS chunk to an 8-bit RGB PNG that makes white pixels
// transparent. The chunk goes right after IHDR, which ends at byte 33.
func whiteKey(rgb []byte) []byte {
	chunk := make([]byte, 0, 18)
	chunk = binary.BigEndian.AppendUint32(chunk, 6)
	chunk = append(chunk, "tRNS\x00\xff\x00\xff\x00\xff"...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(rgb)+len(chunk))
	out = append(out, rgb[:33]...)
	out = append(out, chunk...)
	return append(out, rgb[33:]...)
}

// checkPNG is the cheap check that Render makes of an image: a PNG header
// with dimensions, bit depth and interlacing that gofpdf can embed.
func checkPNG(data []byte) (pngHeader, error) {
	h, err := readPNGHeader(data)
	if err != nil {
		return h, err
	}
	if h.depth > 8 {
		return h, fmt.Errorf("%d-bit PNG images are not supported (LoadAssets converts them)", h.depth)
	}
	if h.interlaced {
		return h, errors.New("interlaced PNG images are not supported (LoadAssets converts them)")
	}
	return h, nil
}
