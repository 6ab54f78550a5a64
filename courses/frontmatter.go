package courses

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxFileSize bounds every file read from a course folder.
const maxFileSize = 1 << 20

// frontMatter is a parsed Markdown file: its key: value header and its body.
type frontMatter struct {
	file     string
	values   map[string]fmValue
	body     string
	bodyLine int      // the line the body starts on
	lines    []string // the body's lines as written; lines[i] is line bodyLine+i
	problems []Problem
	broken   bool   // no usable front matter: field checks would only add noise
	language string // the course's language, for true/false labels in quizzes
}

type fmValue struct {
	text string
	line int
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z_]*$`)

// parseFrontMatter splits data into front matter and body. Every problem is
// collected, each with its line, so a trainer sees all of them at once.
func parseFrontMatter(file string, data []byte, allowed []string) *frontMatter {
	fm := &frontMatter{file: file, values: map[string]fmValue{}}
	if len(data) > maxFileSize {
		fm.add(0, "", ProblemTooLarge, map[string]any{"max": maxFileSize / 1024})
		fm.broken = true
		return fm
	}
	if !utf8.Valid(data) {
		fm.add(0, "", ProblemNotUTF8, nil)
		fm.broken = true
		return fm
	}
	text := string(bytes.TrimPrefix(data, []byte("\uFEFF")))
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if strings.TrimRight(lines[0], " \t") != "---" {
		fm.add(1, "", ProblemNoFrontMatter, nil)
		fm.broken = true
		return fm
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		if line == "---" {
			end = i
			break
		}
		n := i + 1
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || !keyPattern.MatchString(key) {
			fm.add(n, "", ProblemBadLine, map[string]any{"text": truncate(line, 40)})
			continue
		}
		switch {
		case !contains(allowed, key):
			fm.add(n, key, ProblemUnknownKey, map[string]any{"allowed": strings.Join(allowed, ", ")})
		case fm.has(key):
			fm.add(n, key, ProblemDuplicateKey, map[string]any{"line": fm.values[key].line})
		default:
			fm.values[key] = fmValue{text: strings.TrimSpace(value), line: n}
		}
	}
	if end < 0 {
		fm.add(1, "", ProblemUnclosedFront, nil)
		fm.broken = true
		return fm
	}
	fm.bodyLine = end + 2
	fm.lines = lines[end+1:]
	fm.body = strings.TrimSpace(strings.Join(lines[end+1:], "\n"))
	return fm
}

func (fm *frontMatter) has(key string) bool { _, ok := fm.values[key]; return ok }

func (fm *frontMatter) add(line int, field, key string, args map[string]any) {
	fm.problems = append(fm.problems, Problem{File: fm.file, Line: line, Field: field, Key: key, Args: args})
}

// line returns the line of key, or 1 (the front matter) when it is absent.
func (fm *frontMatter) line(key string) int {
	if v, ok := fm.values[key]; ok {
		return v.line
	}
	return 1
}

// text returns the value of key, checking that it is present when required
// and that its length in characters lies within [min, max].
func (fm *frontMatter) text(key string, required bool, min, max int) string {
	v, ok := fm.values[key]
	if !ok || v.text == "" {
		if required {
			fm.add(fm.line(key), key, ProblemRequired, nil)
		}
		return ""
	}
	n := utf8.RuneCountInString(v.text)
	switch {
	case n < min:
		fm.add(v.line, key, ProblemTooShort, map[string]any{"min": min})
	case n > max:
		fm.add(v.line, key, ProblemTooLong, map[string]any{"max": max, "length": n})
	}
	return v.text
}

// integer returns the whole number at key, within [min, max].
func (fm *frontMatter) integer(key string, min, max int) int {
	s := fm.text(key, true, 1, 20)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || !integerPattern.MatchString(s) {
		fm.add(fm.line(key), key, ProblemNotNumber, map[string]any{"value": truncate(s, 20)})
		return 0
	}
	if n < min || n > max {
		fm.add(fm.line(key), key, ProblemOutOfRange, map[string]any{"min": min, "max": max})
	}
	return n
}

// list returns the comma-separated values at key, each checked by valid and
// none repeated.
func (fm *frontMatter) list(key string, valid func(string) bool, choices []string) []string {
	s := fm.text(key, true, 1, 500)
	if s == "" {
		return nil
	}
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			fm.add(fm.line(key), key, ProblemRequired, nil)
		case !valid(item):
			fm.add(fm.line(key), key, ProblemUnknownValue, map[string]any{"value": truncate(item, 30), "allowed": strings.Join(choices, ", ")})
		case contains(out, item):
			fm.add(fm.line(key), key, ProblemDuplicateValue, map[string]any{"value": item})
		default:
			out = append(out, item)
		}
	}
	return out
}

// choice returns the value at key when it is one of choices.
func (fm *frontMatter) choice(key string, choices []string) string {
	s := fm.text(key, true, 1, 40)
	if s != "" && !contains(choices, s) {
		fm.add(fm.line(key), key, ProblemUnknownValue, map[string]any{"value": truncate(s, 30), "allowed": strings.Join(choices, ", ")})
	}
	return s
}

// ParseHours parses a study load written the Dutch way ("4,5") or the
// English way ("4.5"), with at most one decimal: digits only, so that Go's
// float syntax (NaN, Inf, 1_0, 0x1p1) is refused.
func ParseHours(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if !hoursPattern.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	return f, err == nil
}

var (
	hoursPattern   = regexp.MustCompile(`^[0-9]{1,6}([.,][0-9])?$`)
	integerPattern = regexp.MustCompile(`^[0-9]{1,9}$`)
)

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func contains[S ~string](list []S, s S) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
