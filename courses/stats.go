package courses

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Month is a calendar month in Amsterdam time, written YYYYMM (202603).
// Statistics count enrolments by the month they started in: the cohort of
// that month, and how many of them are completed by now.
type Month int

// ElectionMonth is the month of the municipal elections of 18 March 2026:
// the start of the cohort associations follow by default.
const ElectionMonth Month = 202603

// MonthOf returns the month of t in Amsterdam.
func MonthOf(t time.Time) Month {
	a := t.In(Amsterdam)
	return Month(a.Year()*100 + int(a.Month()))
}

// Year and Num are the month's year and its number (1–12).
func (m Month) Year() int { return int(m) / 100 }

// Num is the month's number in its year, from 1.
func (m Month) Num() int { return int(m) % 100 }

// Valid reports whether m is a real month between 2000 and 2999.
func (m Month) Valid() bool {
	return m.Year() >= 2000 && m.Year() <= 2999 && m.Num() >= 1 && m.Num() <= 12
}

// Start is the first moment of the month in Amsterdam.
func (m Month) Start() time.Time {
	return time.Date(m.Year(), time.Month(m.Num()), 1, 0, 0, 0, 0, Amsterdam)
}

// Next is the month after m.
func (m Month) Next() Month { return MonthOf(m.Start().AddDate(0, 1, 0)) }

// String writes the month as in an <input type="month">: "2026-03".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), m.Num()) }

// ParseMonth reads "2026-03" (as <input type="month"> sends it) or "03-2026".
func ParseMonth(s string) (Month, bool) {
	s = strings.TrimSpace(s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	if len(a) == 2 && len(b) == 4 {
		a, b = b, a
	}
	y, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	m := Month(y*100 + n)
	if err1 != nil || err2 != nil || len(a) != 4 || len(b) != 2 || !m.Valid() {
		return 0, false
	}
	return m, true
}

// StatsDimension is what a statistics table is broken down by.
type StatsDimension string

// The dimensions of the statistics.
const (
	ByCourse       StatsDimension = "course"
	ByOffice       StatsDimension = "office"
	ByProvince     StatsDimension = "province"
	ByMunicipality StatsDimension = "municipality" // within one province
	ByMonth        StatsDimension = "month"
)

// StatsDimensions lists the dimensions in the order pages show them.
var StatsDimensions = []StatsDimension{ByCourse, ByOffice, ByProvince, ByMonth}

// StatsFilter selects what statistics count: the enrolments of an
// association's members (or of everyone), started in a range of months,
// optionally in one course, by holders of one office, or in one province
// (whose municipalities are then listed).
type StatsFilter struct {
	AssociationID int64 // 0: the platform as a whole (administrators)
	From, To      Month // enrolment months, both included
	CourseID      int64 // 0: every course
	Office        Office
	Province      string
}

// StatsCount is a cell's numbers before suppression. A person enrolls in a
// course at most once, so within one course enrolments are people; a cell
// summed over several courses may count one person several times, and
// only a lower bound of its people is known: the largest single course's
// count. Suppression goes by those lower bounds, which errs on the side of
// hiding.
type StatsCount struct {
	Key   string // a course's slug, an office's code, a province's name, a CBS code or a month ("2026-03")
	Label string // what the key means to a reader; filled in by the page
	// Enrolled and Completed count enrolments, and completions of them.
	Enrolled, Completed int
	// EnrolledPeople, CompletedPeople and OpenPeople are lower bounds of
	// the people enrolled, completed and not (yet) completed.
	EnrolledPeople, CompletedPeople, OpenPeople int
}

// Threshold is the smallest number of people a shown count may stand for:
// counts of 1 to Threshold-1 people are shown as "<5".
const Threshold = 5

// Shown is a count as a page may show it: the number, or "<5".
type Shown struct {
	N          int
	Suppressed bool
}

// StatsCell is one row of a statistics table as it may be shown.
type StatsCell struct {
	Key, Label string
	Enrolled   Shown
	Completed  Shown
}

// Rate is the completion rate in percent, and whether it may be shown
// (both counts shown, and something enrolled).
func (c StatsCell) Rate() (float64, bool) {
	if c.Enrolled.Suppressed || c.Completed.Suppressed || c.Enrolled.N == 0 {
		return 0, false
	}
	return 100 * float64(c.Completed.N) / float64(c.Enrolled.N), true
}

// StatsTable is one dimension's breakdown with its total, suppressed.
type StatsTable struct {
	Dimension StatsDimension
	Rows      []StatsCell
	Total     StatsCell
}
