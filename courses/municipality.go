package courses

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Municipality is a Dutch municipality as CBS registers it.
type Municipality struct {
	CBSCode    string // GMxxxx
	Name       string // official CBS spelling, e.g. "Bergen (NH.)"
	CommonName string // as people say it, e.g. "Bergen"; not unique
	Province   string // Dutch spelling, e.g. "Fryslân"
	Active     bool   // false once a merger removed it from the current list
}

// Provinces are the twelve provinces in the CBS order.
var Provinces = []string{
	"Groningen", "Fryslân", "Drenthe", "Overijssel", "Flevoland", "Gelderland",
	"Utrecht", "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg",
}

// MunicipalityService keeps the reference list of municipalities.
type MunicipalityService interface {
	// ReplaceMunicipalities makes list the current municipalities in one
	// transaction: new ones are added, changed ones updated and those no
	// longer listed marked inactive (never deleted: offices refer to them).
	ReplaceMunicipalities(ctx context.Context, list []Municipality) error
	// Municipalities returns the municipalities, active ones only unless all.
	Municipalities(ctx context.Context, all bool) ([]Municipality, error)
}

var cbsCodePattern = regexp.MustCompile(`^GM[0-9]{4}$`)

// ValidCBSCode reports whether s looks like a CBS municipality code (GM0363).
func ValidCBSCode(s string) bool { return cbsCodePattern.MatchString(s) }

var municipalityColumns = []string{"cbs_code", "name", "common_name", "province"}

// ParseMunicipalities reads a municipality list in the CSV format of
// db/refdata/gemeenten-2026.csv (header cbs_code,name,common_name,province).
// Every bad row is reported, by line, before anything is returned.
func ParseMunicipalities(r io.Reader, file string) ([]Municipality, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var list []Municipality
	var problems []Problem
	seen := map[string]int{}
	add := func(line int, field, key string, args map[string]any) {
		problems = append(problems, Problem{File: file, Line: line, Field: field, Key: key, Args: args})
	}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, &Error{Code: EINTERNAL, Message: "read municipality list", Err: err}
			}
			add(pe.StartLine, "", ProblemBadCSV, map[string]any{"detail": pe.Err.Error()})
			break
		}
		line, _ := cr.FieldPos(0)
		if n == 0 {
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
			}
			if !slices.Equal(rec, municipalityColumns) {
				add(line, "", ProblemBadCSV, map[string]any{"detail": "header must be " + strings.Join(municipalityColumns, ",")})
				break
			}
			continue
		}
		if len(rec) != len(municipalityColumns) {
			add(line, "", ProblemBadCSV, map[string]any{"detail": "want 4 columns"})
			continue
		}
		m := Municipality{CBSCode: strings.TrimSpace(rec[0]), Name: strings.TrimSpace(rec[1]),
			CommonName: strings.TrimSpace(rec[2]), Province: strings.TrimSpace(rec[3]), Active: true}
		switch {
		case !ValidCBSCode(m.CBSCode):
			add(line, "cbs_code", ProblemUnknownValue, map[string]any{"value": truncate(m.CBSCode, 20), "allowed": "GM0000–GM9999"})
		case seen[m.CBSCode] > 0:
			add(line, "cbs_code", ProblemDuplicateValue, map[string]any{"value": m.CBSCode})
		}
		seen[m.CBSCode] = line
		for i, v := range []string{m.Name, m.CommonName} {
			if v == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > 100 {
				add(line, municipalityColumns[i+1], ProblemRequired, nil)
			}
		}
		if !slices.Contains(Provinces, m.Province) {
			add(line, "province", ProblemUnknownValue, map[string]any{"value": truncate(m.Province, 30), "allowed": strings.Join(Provinces, ", ")})
		}
		list = append(list, m)
	}
	if len(problems) == 0 && len(list) == 0 {
		add(1, "", ProblemBadCSV, map[string]any{"detail": "no rows"})
	}
	if len(problems) > 0 {
		return nil, Invalid("municipality list has problems", problems...)
	}
	return list, nil
}
