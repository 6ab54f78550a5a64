package courses

import (
	"strings"
	"unicode"
)

// foldings maps letters with diacritics, as they occur in Dutch names and in
// the names of people with roots elsewhere, to their base letters.
var foldings = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'ā': "a", 'ą': "a", 'ă': "a",
	'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ę': "e", 'ě': "e", 'ė': "e",
	'ğ': "g", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'ı': "i", 'ĳ': "ij",
	'ł': "l", 'ľ': "l", 'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ø': "o", 'ō': "o", 'ő': "o",
	'ř': "r", 'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'ß': "ss", 'ť': "t", 'ţ': "t", 'ț': "t",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ů': "u", 'ű': "u",
	'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z", 'æ': "ae", 'œ': "oe",
}

// SortKey returns the primary collation key of s in Dutch: lower case,
// diacritics removed, apostrophes, hyphens and other punctuation ignored and
// runs of spaces collapsed. "Ç" sorts with "c", "'s-Gravenhage" with "sgravenhage".
func SortKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if f, ok := foldings[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		case unicode.IsSpace(r):
			space = true
		}
	}
	return b.String()
}

// CompareDutch orders two strings by SortKey, then by their exact text so that
// the order is total and stable.
func CompareDutch(a, b string) int {
	if c := strings.Compare(SortKey(a), SortKey(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
