package courses

// TotalHidden says which totals of a table must be shown suppressed
// whatever they count. It is for a drill-down whose total is a cell the
// parent table suppressed, such as the municipalities of a province whose
// row the province table hid. Hiding the Enrolled total hides the
// Completed total too.
type TotalHidden struct{ Enrolled, Completed bool }

// Suppress turns raw counts into the table a page may show. The table holds
// only aggregates. No shown count stands for 1 to Threshold-1 people, and
// no suppressed count can be worked out from the shown ones and the totals.
// Rows keep their order, Key and Label, and so does the total. A suppressed
// Shown has N 0, so its number cannot leak by accident.
//
// Rows are worst-cased as adding up to the total, column by column (they
// do when they partition the enrolments). The open count of a cell, the
// enrolments not completed, is Enrolled-Completed. It is shown implicitly
// wherever both are shown. The open total is E-C, where E and C are the
// Enrolled and Completed totals. Counts are taken to be non-negative, with
// Completed at most Enrolled.
//
// The rules, applied to the rows and the total alike:
//
//  1. Primary suppression. Enrolled is suppressed when 0 < EnrolledPeople
//     < Threshold. Zero people show as 0. People counts are lower bounds,
//     so this may hide a cell of Threshold or more people, which is the
//     safe side. Completed is suppressed when Enrolled is, or when
//     0 < CompletedPeople < Threshold, or when 0 < OpenPeople < Threshold.
//     Otherwise shown Enrolled minus shown Completed would give away an
//     open group under Threshold. A total is also suppressed as
//     totalHidden says. A people count that contradicts its count (0 for
//     a count above 0, or above the count) is taken as 1 or as the count:
//     the safe side again.
//  2. Complementary suppression. It runs per column, Enrolled and
//     Completed, when the column's total is shown. If the column has
//     suppressed cells, they must be at least two and add up to at least
//     Threshold. The total minus the shown cells is their sum: one cell
//     alone would be recovered, and a sum under Threshold gives away a
//     group under Threshold. Until that holds, the smallest non-zero shown
//     cell is suppressed too, the last one in row order on a tie. When no
//     such cell is left, the column's total is suppressed. Suppressing an
//     Enrolled suppresses its row's Completed too, because the rate would
//     leak.
//  3. The open column. Rule 2 also applies to the implicit open column
//     when both totals are shown. Its unknown cells are those of every
//     row whose Completed is suppressed, whether its Enrolled is shown or
//     not. E-C minus the open counts of the fully shown rows is exactly
//     their sum. So those rows must be none, or at least two whose open
//     counts add up to at least Threshold. Otherwise the Completed of the
//     shown row with the smallest non-zero open count is suppressed. When
//     no such row is left, the Completed total is suppressed. Counting
//     only the rows with Enrolled shown would be stricter than needed.
//     The open equation is the Enrolled equation minus the Completed one,
//     so it adds nothing beyond that sum. A row whose Enrolled is shown
//     has Enrolled of at least Threshold. For such a row, rules 2 and 3
//     give its Completed a range from max(0, Enrolled-open sum) to
//     min(Enrolled, Completed sum), and its open count the mirror range.
//     Both ranges hold several values and reach Threshold, so a reader
//     cannot even tell whether they are small. TestSuppressAdversary
//     checks this by brute force.
//  4. Hidden totals. A suppressed total must not be the sum of shown
//     rows. If its column has no suppressed cell, the smallest non-zero
//     one is suppressed. When every cell is 0, the total is 0 and nothing
//     hides it. The open column needs no such rule. Its total is unknown
//     whenever a total is hidden, and a hidden total then has a
//     suppressed Completed under it: a hidden Enrolled total hides the
//     Completed total, and a suppressed Enrolled carries its Completed.
//
// The rules are applied one suppression at a time, in column order
// Enrolled, Completed, open, until none asks for more. Each step
// suppresses one more count, so this ends. The result meets every rule
// at once and is deterministic. Protecting more than one table, such as
// a parent and its drill-down, is up to the caller (see TotalHidden).
func Suppress(dim StatsDimension, rows []StatsCount, total StatsCount, totalHidden TotalHidden) StatsTable {
	s := suppression{
		rows:  rows,
		hideE: make([]bool, len(rows)),
		hideC: make([]bool, len(rows)),
	}
	for i, r := range rows {
		s.hideE[i], s.hideC[i] = primary(r)
	}
	s.totalE, s.totalC = primary(total)
	s.totalE = s.totalE || totalHidden.Enrolled
	s.totalC = s.totalC || s.totalE || totalHidden.Completed
	for s.step() {
	}

	t := StatsTable{Dimension: dim, Rows: make([]StatsCell, len(rows))}
	for i, r := range rows {
		t.Rows[i] = cell(r, s.hideE[i], s.hideC[i])
	}
	t.Total = cell(total, s.totalE, s.totalC)
	return t
}

// primary reports which counts of c rule 1 suppresses.
func primary(c StatsCount) (enrolled, completed bool) {
	enrolled = fewPeople(c.Enrolled, c.EnrolledPeople)
	completed = enrolled ||
		fewPeople(c.Completed, c.CompletedPeople) ||
		fewPeople(c.Enrolled-c.Completed, c.OpenPeople)
	return enrolled, completed
}

// fewPeople reports whether n enrolments, of at least people people, may
// stand for 1 to Threshold-1 people. People are at least 1 and at most n
// when n is above 0: a bound outside that contradicts n and is taken as
// the nearest possible number.
func fewPeople(n, people int) bool {
	if n <= 0 {
		return false
	}
	return min(max(people, 1), n) < Threshold
}

// cell is c as it may be shown.
func cell(c StatsCount, hideEnrolled, hideCompleted bool) StatsCell {
	return StatsCell{
		Key:       c.Key,
		Label:     c.Label,
		Enrolled:  shown(c.Enrolled, hideEnrolled),
		Completed: shown(c.Completed, hideCompleted),
	}
}

func shown(n int, hidden bool) Shown {
	if hidden {
		return Shown{Suppressed: true}
	}
	return Shown{N: n}
}

// column is a column of a statistics table. The open column is implicit.
type column int

const (
	enrolledColumn column = iota
	completedColumn
	openColumn
)

var columns = [...]column{enrolledColumn, completedColumn, openColumn}

// suppression is the state of Suppress. Its invariants are: hideE[i]
// implies hideC[i], and totalE implies totalC.
type suppression struct {
	rows           []StatsCount
	hideE, hideC   []bool
	totalE, totalC bool // the totals are suppressed
}

// value is the number of row i in col.
func (s *suppression) value(col column, i int) int {
	r := s.rows[i]
	switch col {
	case enrolledColumn:
		return r.Enrolled
	case completedColumn:
		return r.Completed
	default:
		return r.Enrolled - r.Completed
	}
}

// hidden reports whether the number of row i in col is unknown to a
// reader. An open count is unknown when its Completed is: by the
// invariant, that covers a suppressed Enrolled too.
func (s *suppression) hidden(col column, i int) bool {
	if col == enrolledColumn {
		return s.hideE[i]
	}
	return s.hideC[i]
}

// totalShown reports whether a reader knows col's total. The open total is
// known when both totals are, that is (by the invariant) when the
// Completed total is.
func (s *suppression) totalShown(col column) bool {
	if col == enrolledColumn {
		return !s.totalE
	}
	return !s.totalC
}

// hide suppresses row i in col: suppressing an open count means
// suppressing its Completed, and an Enrolled takes its Completed along.
func (s *suppression) hide(col column, i int) {
	if col == enrolledColumn {
		s.hideE[i] = true
	}
	s.hideC[i] = true
}

// hideTotal suppresses col's total, keeping the invariant.
func (s *suppression) hideTotal(col column) {
	if col == enrolledColumn {
		s.totalE = true
	}
	s.totalC = true
}

// step makes the first suppression rules 2 to 4 ask for, and reports
// whether there was one.
func (s *suppression) step() bool {
	for _, col := range columns {
		if s.protect(col) {
			return true
		}
	}
	return false
}

// protect makes one suppression col needs, if any, and reports whether it
// made one.
func (s *suppression) protect(col column) bool {
	n, sum := 0, 0
	for i := range s.rows {
		if s.hidden(col, i) {
			n++
			sum += s.value(col, i)
		}
	}
	switch {
	case s.totalShown(col):
		// Rules 2 and 3: the total minus the shown cells is the sum of
		// the hidden ones.
		if n == 0 || n >= 2 && sum >= Threshold {
			return false
		}
	case col == openColumn:
		// The open total is unknown, and rule 4 keeps it so.
		return false
	default:
		// Rule 4: a hidden total needs a hidden cell under it, or it is
		// the sum of the shown ones.
		if n > 0 {
			return false
		}
	}
	if i, ok := s.smallestShown(col); ok {
		s.hide(col, i)
		return true
	}
	if s.totalShown(col) {
		s.hideTotal(col)
		return true
	}
	return false // every cell is 0: nothing to hide
}

// smallestShown is the row whose shown non-zero number in col is the
// smallest, the last one on a tie. Hiding a zero would add no uncertainty
// to a sum.
func (s *suppression) smallestShown(col column) (int, bool) {
	best, found := 0, false
	for i := range s.rows {
		v := s.value(col, i)
		if s.hidden(col, i) || v <= 0 {
			continue
		}
		if !found || v <= s.value(col, best) {
			best, found = i, true
		}
	}
	return best, found
}
