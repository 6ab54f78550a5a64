package courses

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseMunicipalitiesShipped(t *testing.T) {
	f, err := os.Open("../db/refdata/gemeenten-2026.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list, err := ParseMunicipalities(f, "gemeenten-2026.csv")
	if err != nil {
		t.Fatalf("ParseMunicipalities: %v\nproblems: %q", err, problemStrings(err))
	}
	if got, want := len(list), 342; got != want {
		t.Errorf("%d municipalities, want %d", got, want)
	}

	perProvince := map[string]int{}
	codes := map[string]bool{}
	for _, m := range list {
		perProvince[m.Province]++
		if codes[m.CBSCode] {
			t.Errorf("code %s occurs twice", m.CBSCode)
		}
		codes[m.CBSCode] = true
		if !m.Active {
			t.Errorf("%s is not active", m.CBSCode)
		}
	}
	want := map[string]int{
		"Groningen": 10, "Fryslân": 18, "Drenthe": 12, "Overijssel": 25, "Flevoland": 6, "Gelderland": 51,
		"Utrecht": 26, "Noord-Holland": 44, "Zuid-Holland": 50, "Zeeland": 13, "Noord-Brabant": 56, "Limburg": 31,
	}
	if !maps.Equal(perProvince, want) {
		t.Errorf("municipalities per province:\n got %v\nwant %v", perProvince, want)
	}

	// A name with a comma is quoted in the file.
	i := slices.IndexFunc(list, func(m Municipality) bool { return m.CBSCode == "GM0820" })
	if i < 0 {
		t.Fatal("GM0820 missing")
	}
	if got, want := list[i], (Municipality{CBSCode: "GM0820", Name: "Nuenen, Gerwen en Nederwetten", CommonName: "Nuenen", Province: "Noord-Brabant", Active: true}); got != want {
		t.Errorf("GM0820 = %+v, want %+v", got, want)
	}
}

// parseMunicipalities calls ParseMunicipalities and turns a panic into a
// test failure, so that one bad input does not stop the whole test binary.
func parseMunicipalities(t *testing.T, in string) ([]Municipality, error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("ParseMunicipalities(%q) panicked: %v", in, p)
		}
	}()
	return ParseMunicipalities(strings.NewReader(in), "g.csv")
}

const municipalityHeader = "cbs_code,name,common_name,province\n"

func TestParseMunicipalities(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Municipality
	}{
		{
			name: "two rows",
			in:   municipalityHeader + "GM0363,Amsterdam,Amsterdam,Noord-Holland\nGM0373,Bergen (NH.),Bergen,Noord-Holland\n",
			want: []Municipality{
				{CBSCode: "GM0363", Name: "Amsterdam", CommonName: "Amsterdam", Province: "Noord-Holland", Active: true},
				{CBSCode: "GM0373", Name: "Bergen (NH.)", CommonName: "Bergen", Province: "Noord-Holland", Active: true},
			},
		},
		{
			name: "byte order mark before the header",
			in:   "\uFEFF" + municipalityHeader + "GM0080,Leeuwarden,Leeuwarden,Fryslân\n",
			want: []Municipality{{CBSCode: "GM0080", Name: "Leeuwarden", CommonName: "Leeuwarden", Province: "Fryslân", Active: true}},
		},
		{
			name: "CRLF, quotes, spaces and no final newline",
			in:   strings.ReplaceAll(municipalityHeader, "\n", "\r\n") + " GM0820 ,\"Nuenen, Gerwen en Nederwetten\",Nuenen , Noord-Brabant",
			want: []Municipality{{CBSCode: "GM0820", Name: "Nuenen, Gerwen en Nederwetten", CommonName: "Nuenen", Province: "Noord-Brabant", Active: true}},
		},
		{
			name: "blank lines",
			in:   municipalityHeader + "\nGM0014,Groningen,Groningen,Groningen\n\n",
			want: []Municipality{{CBSCode: "GM0014", Name: "Groningen", CommonName: "Groningen", Province: "Groningen", Active: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMunicipalities(t, tt.in)
			if err != nil {
				t.Fatalf("ParseMunicipalities: %v\nproblems: %q", err, problemStrings(err))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseMunicipalities:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMunicipalitiesProblems(t *testing.T) {
	row := func(code, name, common, province string) string {
		return fmt.Sprintf("%s,%s,%s,%s\n", code, name, common, province)
	}
	groningen := row("GM0014", "Groningen", "Groningen", "Groningen")
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "wrong header",
			in:   "code,name,common_name,province\n" + groningen,
			want: []string{"g.csv:1: problem.bad_csv"},
		},
		{
			name: "header in another order",
			in:   "name,cbs_code,common_name,province\n" + groningen,
			want: []string{"g.csv:1: problem.bad_csv"},
		},
		{
			name: "header without province",
			in:   "cbs_code,name,common_name\nGM0014,Groningen,Groningen\n",
			want: []string{"g.csv:1: problem.bad_csv"},
		},
		{
			name: "short code",
			in:   municipalityHeader + row("GM12", "A", "A", "Groningen"),
			want: []string{"g.csv:2: cbs_code: problem.unknown_value"},
		},
		{
			name: "lower-case code",
			in:   municipalityHeader + row("gm0014", "A", "A", "Groningen"),
			want: []string{"g.csv:2: cbs_code: problem.unknown_value"},
		},
		{
			name: "duplicate code",
			in:   municipalityHeader + groningen + row("GM0034", "Almere", "Almere", "Flevoland") + row("GM0014", "Stad", "Stad", "Groningen"),
			want: []string{"g.csv:4: cbs_code: problem.duplicate_value"},
		},
		{
			name: "unknown province",
			in:   municipalityHeader + row("GM0080", "Leeuwarden", "Leeuwarden", "Friesland"),
			want: []string{"g.csv:2: province: problem.unknown_value"},
		},
		{
			name: "empty name",
			in:   municipalityHeader + row("GM0014", "", "Groningen", "Groningen"),
			want: []string{"g.csv:2: name: problem.required"},
		},
		{
			name: "empty common name",
			in:   municipalityHeader + row("GM0014", "Groningen", " ", "Groningen"),
			want: []string{"g.csv:2: common_name: problem.required"},
		},
		{
			name: "name not UTF-8",
			in:   municipalityHeader + row("GM0014", "Gr\xffningen", "Groningen", "Groningen"),
			want: []string{"g.csv:2: name: problem.required"},
		},
		{
			name: "too few columns",
			in:   municipalityHeader + "GM0014,Groningen,Groningen\n",
			want: []string{"g.csv:2: problem.bad_csv"},
		},
		{
			name: "too many columns",
			in:   municipalityHeader + "GM0014,Groningen,Groningen,Groningen,x\n",
			want: []string{"g.csv:2: problem.bad_csv"},
		},
		{
			name: "empty file",
			in:   "",
			want: []string{"g.csv:1: problem.bad_csv"},
		},
		{
			name: "header only",
			in:   municipalityHeader,
			want: []string{"g.csv:1: problem.bad_csv"},
		},
		{
			name: "every bad row reported",
			in: municipalityHeader + groningen +
				row("GM12", "A", "A", "Groningen") +
				"GM0034,Almere\n" +
				row("GM0080", "", "Leeuwarden", "Friesland"),
			want: []string{
				"g.csv:3: cbs_code: problem.unknown_value",
				"g.csv:4: problem.bad_csv",
				"g.csv:5: name: problem.required",
				"g.csv:5: province: problem.unknown_value",
			},
		},
		{
			// Fails now (panic in csv.Reader.FieldPos): see the report.
			name: "bare quote in a row",
			in:   municipalityHeader + groningen + row("GM\"0034", "Almere", "Almere", "Flevoland"),
			want: []string{"g.csv:3: problem.bad_csv"},
		},
		{
			// Fails now (panic in csv.Reader.FieldPos): see the report.
			name: "unterminated quote",
			in:   municipalityHeader + groningen + "\"GM0034,Almere,Almere,Flevoland\n",
			want: []string{"g.csv:3: problem.bad_csv"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := parseMunicipalities(t, tt.in)
			if list != nil {
				t.Errorf("ParseMunicipalities returned %d municipalities, want none", len(list))
			}
			if got, want := ErrorCode(err), EINVALID; got != want {
				t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, want)
			}
			if got := problemStrings(err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
