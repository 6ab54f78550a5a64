package pdf

import (
	"fmt"

	"rsc.io/qr"
)

// quietZone is the white margin around a QR code, in modules, that the
// standard requires.
const quietZone = 4

// drawQR draws text as a QR code (error correction level M) whose dark
// modules fill a square of side mm with its top left corner at (x, y). The
// caller keeps quietZone modules around it free. All modules go into one
// path that is filled once: separate rectangles would leave hairline seams
// between neighbouring modules in anti-aliasing viewers.
func (d *doc) drawQR(text string, x, y, side float64) (modules int, err error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return 0, fmt.Errorf("encode QR code: %w", err)
	}
	m := side / float64(code.Size)
	d.f.SetFillColor(0, 0, 0)
	for row := range code.Size {
		for col := 0; col < code.Size; {
			if !code.Black(col, row) {
				col++
				continue
			}
			run := col
			for run < code.Size && code.Black(run, row) {
				run++
			}
			x0, y0 := x+float64(col)*m, y+float64(row)*m
			x1, y1 := x+float64(run)*m, y+float64(row+1)*m
			d.f.MoveTo(x0, y0)
			d.f.LineTo(x1, y0)
			d.f.LineTo(x1, y1)
			d.f.LineTo(x0, y1)
			d.f.ClosePath()
			col = run
		}
	}
	d.f.DrawPath("F")
	return code.Size, nil
}
