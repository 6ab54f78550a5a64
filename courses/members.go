package courses

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// MemberRow is one line of a member list that an association admin
// uploads to invite its members at once.
type MemberRow struct {
	Line         int
	Email        string
	Name         string
	Office       Office
	Municipality string // a CBS code or a municipality's name, as typed
}

// MaxMemberRows bounds one upload.
const MaxMemberRows = 2000

var memberColumns = []string{"email", "naam", "ambt", "gemeente"}

// ParseMemberCSV reads a member list: a header line with the columns
// email, naam, ambt, gemeente (in any order; ambt and gemeente may be
// empty), separated by ";" (as Dutch Excel saves) or ",", UTF-8 with or
// without BOM. Every bad line is reported with its number and field; with
// problems, the rows that could be read are returned beside the error.
func ParseMemberCSV(r io.Reader, file string) ([]MemberRow, error) {
	t, err := openCSV(r, file, memberColumns, 2)
	if err != nil {
		return nil, err
	}
	add, cr, get := t.add, t.reader, t.get
	var rows []MemberRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				add(pe.StartLine, "", ProblemBadCSV, map[string]any{"detail": pe.Err.Error()})
				break
			}
			return nil, Errorf(EINTERNAL, "read member list: %v", err)
		}
		line, _ := cr.FieldPos(0)
		if strings.Join(rec, "") == "" {
			continue // an empty line, as spreadsheets leave at the end
		}
		row := MemberRow{Line: line, Email: strings.ToLower(get(rec, "email")), Name: get(rec, "naam"),
			Office: Office(strings.ToLower(get(rec, "ambt"))), Municipality: get(rec, "gemeente")}
		nu := NewUser{Email: row.Email, Name: row.Name, Role: RoleLearner}
		if err := nu.Validate(); err != nil {
			for _, p := range ErrorProblems(err) {
				add(line, map[string]string{"email": "email", "name": "naam"}[p.Field], p.Key, p.Args)
			}
		}
		row.Email, row.Name = nu.Email, nu.Name
		if row.Office != "" && !row.Office.Valid() {
			add(line, "ambt", ProblemUnknownValue, map[string]any{"value": truncate(string(row.Office), 30), "allowed": strings.Join(names(Offices), ", ")})
		}
		if row.Municipality != "" && row.Office == "" {
			add(line, "ambt", ProblemRequired, nil)
		}
		if other, dup := seen[row.Email]; dup && row.Email != "" {
			add(line, "email", ProblemDuplicateRow, map[string]any{"line": other})
		} else {
			seen[row.Email] = line
		}
		rows = append(rows, row)
		if len(rows) > MaxMemberRows {
			add(line, "", ProblemTooManyRows, map[string]any{"max": MaxMemberRows})
			break
		}
	}
	if len(rows) == 0 && len(t.problems) == 0 {
		add(2, "", ProblemBadCSV, map[string]any{"detail": "no rows"})
	}
	if len(t.problems) > 0 {
		// The rows come back too, so that checks that need the database
		// (municipalities, taken addresses) can add their problems and the
		// uploader sees every problem at once.
		return rows, Invalid("member list has problems", t.problems...)
	}
	return rows, nil
}

// csvTable is an uploaded CSV file being read: its reader past the
// header, the column positions and the problems found so far.
type csvTable struct {
	file     string
	reader   *csv.Reader
	col      map[string]int
	problems []Problem
}

func (t *csvTable) add(line int, field, key string, args map[string]any) {
	t.problems = append(t.problems, Problem{File: t.file, Line: line, Field: field, Key: key, Args: args})
}

// get returns the trimmed value of column name in rec, "" when absent.
func (t *csvTable) get(rec []string, name string) string {
	if i, ok := t.col[name]; ok && i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// openCSV reads an uploaded list of at most 2 MB: UTF-8 with or without
// BOM, separated by ";" (as Dutch Excel saves) or ",", with a header line
// naming columns (in any order); the first required columns must be there.
func openCSV(r io.Reader, file string, columns []string, required int) (*csvTable, error) {
	t := &csvTable{file: file, col: map[string]int{}}
	data, err := io.ReadAll(io.LimitReader(r, 2<<20+1))
	if err != nil {
		return nil, Errorf(EINTERNAL, "read %s: %v", file, err)
	}
	if len(data) > 2<<20 {
		t.add(0, "", ProblemTooLarge, map[string]any{"max": 2048})
		return nil, Invalid("list too large", t.problems...)
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	first, _, _ := strings.Cut(text, "\n")
	t.reader = csv.NewReader(strings.NewReader(text))
	t.reader.Comma = ','
	if strings.Count(first, ";") > strings.Count(first, ",") {
		t.reader.Comma = ';'
	}
	t.reader.FieldsPerRecord = -1
	t.reader.TrimLeadingSpace = true
	header, err := t.reader.Read()
	if err != nil {
		t.add(1, "", ProblemBadCSV, map[string]any{"detail": "header: " + strings.Join(columns, ";")})
		return nil, Invalid("list has no header", t.problems...)
	}
	for i, h := range header {
		t.col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range columns[:required] {
		if _, ok := t.col[c]; !ok {
			t.add(1, c, ProblemMissingColumn, map[string]any{"columns": strings.Join(columns, ";")})
		}
	}
	if len(t.problems) > 0 {
		return nil, Invalid("list header", t.problems...)
	}
	return t, nil
}
