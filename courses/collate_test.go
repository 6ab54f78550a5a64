package courses

import (
	"slices"
	"testing"
)

func TestSortKey(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Bakker", "bakker"},
		{"Çelik", "celik"},
		{"Één", "een"},
		{"'s-Gravenhage", "sgravenhage"},
		{"'s-Hertogenbosch", "shertogenbosch"},
		{"Zoë Łukasiewicz", "zoe lukasiewicz"},
		{"ZOË ŁUKASIEWICZ", "zoe lukasiewicz"},
		{"IJsselstein", "ijsselstein"},
		{"Ĳsselstein", "ijsselstein"},
		{"Straße", "strasse"},
		{"Bergen (NH.)", "bergen nh"},
		{"Nuenen, Gerwen en Nederwetten", "nuenen gerwen en nederwetten"},
		{"  Jan   de\tVries  ", "jan de vries"},
		{"Súdwest-Fryslân", "sudwestfryslan"},
		{"Ærø Œuvre", "aero oeuvre"},
		{"Gemeente 010", "gemeente 010"},
		{"", ""},
		{"'- .", ""},
	}
	for _, tt := range tests {
		if got := SortKey(tt.in); got != tt.want {
			t.Errorf("SortKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompareDutch(t *testing.T) {
	tests := []struct {
		a, b string
		want int // the sign of the result
	}{
		{"Bakker", "Çelik", -1},
		{"Çelik", "Dijk", -1},
		{"Dijk", "Çelik", 1},
		{"Één", "eend", -1},
		{"Eem", "Één", -1},
		{"'s-Gravenhage", "Schiedam", 1}, // "sg" after "sc"
		{"'s-Gravenhage", "Sittard", -1},
		{"appel", "Banaan", -1}, // byte order would put "B" first
		{"Zwolle", "amsterdam", 1},
		{"Ede", "Ede", 0},
		{"een", "Één", -1}, // same key: the exact text decides
	}
	for _, tt := range tests {
		if got := sign(CompareDutch(tt.a, tt.b)); got != tt.want {
			t.Errorf("CompareDutch(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestCompareDutchTotal checks that strings with the same sort key are still
// ordered, and consistently, so that sorting is deterministic.
func TestCompareDutchTotal(t *testing.T) {
	words := []string{"Één", "één", "een", "Een", "EEN", "eén", "e-en", "'een", "e en"}
	for _, a := range words {
		for _, b := range words {
			got, back := CompareDutch(a, b), CompareDutch(b, a)
			if a == b {
				if got != 0 {
					t.Errorf("CompareDutch(%q, %q) = %d, want 0", a, b, got)
				}
				continue
			}
			if got == 0 {
				t.Errorf("CompareDutch(%q, %q) = 0 for different strings", a, b)
			}
			if sign(got) != -sign(back) {
				t.Errorf("CompareDutch(%q, %q) = %d but CompareDutch(%q, %q) = %d", a, b, got, b, a, back)
			}
		}
	}
	for _, perm := range [][]string{words, reversed(words)} {
		got := slices.Clone(perm)
		slices.SortFunc(got, CompareDutch)
		want := slices.Clone(words)
		slices.SortFunc(want, CompareDutch)
		if !slices.Equal(got, want) {
			t.Errorf("sorting %q gives %q, sorting %q gives %q", perm, got, words, want)
		}
	}
}

func TestSortDutchNames(t *testing.T) {
	names := []string{
		"Zoë Łukasiewicz", "Éva Kovács", "Bram 't Hart", "Anouk van Dam",
		"Ömer Çelik", "anouk Bakker", "Emma van den Berg", "Çağla Yılmaz",
	}
	// Particles are not skipped: the whole name is the key, as SortKey says.
	want := []string{
		"anouk Bakker", "Anouk van Dam", "Bram 't Hart", "Çağla Yılmaz",
		"Emma van den Berg", "Éva Kovács", "Ömer Çelik", "Zoë Łukasiewicz",
	}
	got := slices.Clone(names)
	slices.SortFunc(got, CompareDutch)
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n got %q\nwant %q", got, want)
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
