#!/bin/sh
# Regenerates the cut-down DejaVu fonts that package pdf embeds.
#
# Needs pyftsubset (fonttools) and the DejaVu fonts (Debian: fonts-dejavu-core).
# Package pdf reads the fonts' character maps, so it knows which characters
# they have: any other character is replaced by its nearest covered form (ễ
# becomes ê) or by a question mark (see clean in ../text.go). White space is
# turned into plain spaces, so no other space characters are needed.
#
# Usage: sh app/pdf/fonts/subset.sh [dejavu-dir]
set -eu

src=${1:-/usr/share/fonts/truetype/dejavu}
out=$(dirname "$0")

# Basic Latin, Latin-1 Supplement, Latin Extended-A and -B, a few spacing
# modifier letters (ʻ ʼ ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝), dashes, quotes, bullets,
# ellipsis, per mille, primes, guillemets, fraction slash, euro, numero,
# trade mark and minus.
unicodes="U+0020-007E,U+00A0-00FF,U+0100-017F,U+0180-024F,\
U+02BB-02BC,U+02C6-02C7,U+02D8-02DD,\
U+2010-2015,U+2018-201E,U+2020-2022,U+2026,U+2030,\
U+2032-2033,U+2039-203A,U+2044,U+20AC,U+2116,U+2122,U+2212"

for name in DejaVuSans DejaVuSans-Bold; do
	pyftsubset "$src/$name.ttf" \
		--unicodes="$unicodes" \
		--layout-features='' \
		--drop-tables+=FFTM \
		--no-hinting \
		--notdef-outline \
		--name-IDs='0,1,2,3,4,5,6' \
		--output-file="$out/$name.ttf"
done
