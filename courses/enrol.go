package courses

import (
	"crypto/rand"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"time"
)

// How a learner came to be enrolled.
const (
	SourceSelf            = "self"
	SourceKey             = "key"
	SourceTrainer         = "trainer"
	SourceAssociation     = "association"
	SourcePath            = "path"
	SourceRecertification = "recertification"
)

// How an enrolment was completed.
const (
	CompletionRule   = "rule"   // every activity done: lessons read, quizzes passed, sessions attended
	CompletionManual = "manual" // marked complete by a trainer of the course or an admin, with a reason
)

// EnrolRequest says who is enrolled in which course, how and by whom.
type EnrolRequest struct {
	UserID   int64
	CourseID int64
	Source   string     // SourceSelf, SourceKey, ...
	By       int64      // who enrols them; 0 for themselves
	Deadline *time.Time // nil: none (an existing deadline stays)
}

// EnrolmentKey is a code that enrols whoever enters it in a course: a
// griffier hands one to the whole council.
type EnrolmentKey struct {
	ID        int64
	CourseID  int64
	Code      string
	Label     string
	Deadline  *time.Time // given to everyone who enrols with it
	ExpiresAt time.Time
	MaxUses   int // 0: unlimited
	Uses      int
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Usable reports whether the key can enrol someone now.
func (k *EnrolmentKey) Usable(now time.Time) bool {
	return k.RevokedAt == nil && now.Before(k.ExpiresAt) && (k.MaxUses == 0 || k.Uses < k.MaxUses)
}

// keyAlphabet has no look-alike characters: no 0/O, 1/I/L.
const keyAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewKeyCode returns a fresh enrolment key code such as "K7QF-9XPM-2HJD":
// 60 random bits, easy to read aloud and to type on a phone.
func NewKeyCode() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(keyAlphabet[int(c)%len(keyAlphabet)])
	}
	return sb.String()
}

// NormalizeKeyCode reads a code as typed: case, spaces and hyphens do not
// matter ("k7qf 9xpm2hjd" is K7QF-9XPM-2HJD).
func NormalizeKeyCode(s string) string {
	var plain []rune
	for _, r := range strings.ToUpper(s) {
		if r != ' ' && r != '-' && r != '\t' {
			plain = append(plain, r)
		}
	}
	var sb strings.Builder
	for i, r := range plain {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// Registration is a learner's place (or place on the waiting list) at a
// session.
type Registration struct {
	ID          int64
	CourseID    int64
	ActivityKey string
	UserID      int64
	Name        string // the learner's name, for the trainer's list
	Status      string // registered, waiting or cancelled
	CreatedAt   time.Time
	AttendedAt  *time.Time
	Position    int // on the waiting list, from 1; 0 otherwise
}

// The registration states.
const (
	Registered = "registered"
	Waiting    = "waiting"
	Cancelled  = "cancelled"
)

// EnrolRow is one line of a list of learners to enrol.
type EnrolRow struct {
	Line     int
	Email    string
	Deadline *time.Time
}

var enrolColumns = []string{"email", "deadline"}

// ParseEnrolmentCSV reads a list of learners to enrol: columns email and,
// optionally, deadline (YYYY-MM-DD or DD-MM-YYYY). Every bad line is
// reported with its number and field; nothing is enrolled while any line
// is wrong.
func ParseEnrolmentCSV(r io.Reader, file string) ([]EnrolRow, error) {
	t, err := openCSV(r, file, enrolColumns, 1)
	if err != nil {
		return nil, err
	}
	var rows []EnrolRow
	seen := map[string]int{}
	for {
		rec, err := t.reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.add(pe.StartLine, "", ProblemBadCSV, map[string]any{"detail": pe.Err.Error()})
				break
			}
			return nil, Errorf(EINTERNAL, "read %s: %v", file, err)
		}
		line, _ := t.reader.FieldPos(0)
		if strings.Join(rec, "") == "" {
			continue
		}
		row := EnrolRow{Line: line, Email: strings.ToLower(t.get(rec, "email"))}
		switch {
		case row.Email == "":
			t.add(line, "email", ProblemRequired, nil)
		case !ValidEmail(row.Email):
			t.add(line, "email", ProblemBadEmail, map[string]any{"value": truncate(row.Email, 40)})
		}
		if d := t.get(rec, "deadline"); d != "" {
			day, ok := ParseDay(d)
			if !ok {
				t.add(line, "deadline", ProblemBadDate, map[string]any{"value": truncate(d, 20)})
			}
			row.Deadline = &day
		}
		if other, dup := seen[row.Email]; dup && row.Email != "" {
			t.add(line, "email", ProblemDuplicateRow, map[string]any{"line": other})
		} else {
			seen[row.Email] = line
		}
		rows = append(rows, row)
		if len(rows) > MaxMemberRows {
			t.add(line, "", ProblemTooManyRows, map[string]any{"max": MaxMemberRows})
			break
		}
	}
	if len(rows) == 0 && len(t.problems) == 0 {
		t.add(2, "", ProblemBadCSV, map[string]any{"detail": "no rows"})
	}
	if len(t.problems) > 0 {
		return rows, Invalid("enrolment list has problems", t.problems...)
	}
	return rows, nil
}

// ParseDay reads a date as people type it in the Netherlands or in ISO
// form, and returns the end of that day in Amsterdam (a deadline "on" a
// day includes the whole day).
func ParseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02-01-2006", "2-1-2006", "02/01/2006"} {
		if d, err := time.ParseInLocation(layout, s, Amsterdam); err == nil {
			return d.AddDate(0, 0, 1).Add(-time.Second), true
		}
	}
	return time.Time{}, false
}

// CompletedBy reports whether every activity of c is among done: the
// course's completion rule (lessons marked done, quizzes passed, sessions
// attended all record their activity as done).
func CompletedBy(c *Course, done map[string]bool) bool {
	steps := c.Activities()
	for _, s := range steps {
		if !done[Key(s.Module.Slug, s.Activity.Slug)] {
			return false
		}
	}
	return len(steps) > 0
}

// ExpiryOf returns when a certificate for a course completed at completed
// expires, or nil when the course's certificates do not expire.
func ExpiryOf(validityMonths int, completed time.Time) *time.Time {
	if validityMonths <= 0 {
		return nil
	}
	t := completed.AddDate(0, validityMonths, 0)
	return &t
}

// Learner is an enrolment with the learner's name, as trainers see it.
type Learner struct {
	Enrolment
	Name  string
	Email string
}
