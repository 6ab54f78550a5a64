// Package static embeds Raadzaam's stylesheets, scripts, fonts and images so
// that the binary serves them without files beside it.
package static

import "embed"

// FS holds the assets, by path relative to this folder (css/raadzaam.css).
//
//go:embed css img js vendor/*/*.css vendor/*/LICENSE
var FS embed.FS
