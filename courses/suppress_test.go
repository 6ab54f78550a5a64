package courses

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// oneCourse is a row of a single course: its enrolments are people.
func oneCourse(key string, enrolled, completed int) StatsCount {
	return StatsCount{
		Key: key, Label: "Label " + key,
		Enrolled: enrolled, Completed: completed,
		EnrolledPeople: enrolled, CompletedPeople: completed, OpenPeople: enrolled - completed,
	}
}

// totalOf adds rows up as the database does when each row is another
// course: the total's people are at least those of its largest row.
func totalOf(rows []StatsCount) StatsCount {
	t := StatsCount{Key: "total", Label: "Totaal"}
	for _, r := range rows {
		t.Enrolled += r.Enrolled
		t.Completed += r.Completed
		t.EnrolledPeople = max(t.EnrolledPeople, r.EnrolledPeople)
		t.CompletedPeople = max(t.CompletedPeople, r.CompletedPeople)
		t.OpenPeople = max(t.OpenPeople, r.OpenPeople)
	}
	return t
}

// showCount writes a count as a page would.
func showCount(s Shown) string {
	if s.Suppressed {
		return "<" + strconv.Itoa(Threshold)
	}
	return strconv.Itoa(s.N)
}

// render writes a cell as "enrolled/completed".
func render(c StatsCell) string { return showCount(c.Enrolled) + "/" + showCount(c.Completed) }

func renderRows(t StatsTable) []string {
	out := make([]string, len(t.Rows))
	for i, c := range t.Rows {
		out[i] = render(c)
	}
	return out
}

func TestSuppress(t *testing.T) {
	tests := []struct {
		name      string
		rows      []StatsCount
		total     *StatsCount // nil: totalOf(rows)
		hidden    TotalHidden
		want      []string
		wantTotal string
		partial   bool // the rows do not add up to the total
	}{
		{
			name:      "no small cells",
			rows:      []StatsCount{oneCourse("a", 20, 10), oneCourse("b", 30, 25), oneCourse("c", 8, 0)},
			want:      []string{"20/10", "30/25", "8/0"},
			wantTotal: "58/35",
		},
		{
			name:      "one small cell hides a second",
			rows:      []StatsCount{oneCourse("a", 20, 10), oneCourse("b", 3, 1), oneCourse("c", 30, 20)},
			want:      []string{"<5/<5", "<5/<5", "30/20"},
			wantTotal: "53/31",
		},
		{
			name: "the complement is the smallest non-zero cell",
			rows: []StatsCount{oneCourse("a", 40, 30), oneCourse("b", 2, 0), oneCourse("c", 0, 0),
				oneCourse("d", 12, 6), oneCourse("e", 25, 20)},
			want:      []string{"40/30", "<5/<5", "0/0", "<5/<5", "25/20"},
			wantTotal: "79/56",
		},
		{
			name:      "on a tie the complement is the last",
			rows:      []StatsCount{oneCourse("a", 10, 5), oneCourse("b", 3, 0), oneCourse("c", 10, 5)},
			want:      []string{"10/5", "<5/<5", "<5/<5"},
			wantTotal: "23/10",
		},
		{
			name: "two small cells under the threshold take a third",
			rows: []StatsCount{oneCourse("a", 1, 0), oneCourse("b", 2, 1), oneCourse("c", 10, 5),
				oneCourse("d", 20, 10)},
			want:      []string{"<5/<5", "<5/<5", "<5/<5", "20/10"},
			wantTotal: "33/16",
		},
		{
			name:      "all cells small",
			rows:      []StatsCount{oneCourse("a", 2, 1), oneCourse("b", 1, 1), oneCourse("c", 1, 0)},
			want:      []string{"<5/<5", "<5/<5", "<5/<5"},
			wantTotal: "<5/<5",
		},
		{
			name: "no cell to protect the enrolled total with",
			rows: []StatsCount{oneCourse("a", 3, 1), oneCourse("b", 0, 0)},
			total: &StatsCount{Key: "t", Label: "Totaal", Enrolled: 12, Completed: 6,
				EnrolledPeople: 12, CompletedPeople: 6, OpenPeople: 6},
			want:      []string{"<5/<5", "0/0"},
			wantTotal: "<5/<5",
			partial:   true,
		},
		{
			name:      "no cell to protect the completed total with",
			rows:      []StatsCount{oneCourse("a", 10, 6), oneCourse("b", 10, 0)},
			want:      []string{"10/<5", "10/0"},
			wantTotal: "20/<5",
		},
		{
			name:      "zeros are shown",
			rows:      []StatsCount{oneCourse("a", 0, 0), oneCourse("b", 12, 0), oneCourse("c", 7, 7)},
			want:      []string{"0/0", "12/0", "7/7"},
			wantTotal: "19/7",
		},
		{
			name:      "total under the threshold",
			rows:      []StatsCount{oneCourse("a", 3, 2), oneCourse("b", 0, 0)},
			want:      []string{"<5/<5", "0/0"},
			wantTotal: "<5/<5",
		},
		{
			name:      "hidden enrolled total hides a row under it",
			rows:      []StatsCount{oneCourse("a", 20, 10), oneCourse("b", 30, 15)},
			hidden:    TotalHidden{Enrolled: true},
			want:      []string{"<5/<5", "30/15"},
			wantTotal: "<5/<5",
		},
		{
			name:      "hidden completed total hides a completed under it",
			rows:      []StatsCount{oneCourse("a", 20, 10), oneCourse("b", 30, 15)},
			hidden:    TotalHidden{Completed: true},
			want:      []string{"20/<5", "30/15"},
			wantTotal: "50/<5",
		},
		{
			name:      "hidden total over a suppressed row",
			rows:      []StatsCount{oneCourse("a", 3, 1), oneCourse("b", 20, 10), oneCourse("c", 30, 15)},
			hidden:    TotalHidden{Enrolled: true},
			want:      []string{"<5/<5", "20/10", "30/15"},
			wantTotal: "<5/<5",
		},
		{
			name:      "few people open hide completed",
			rows:      []StatsCount{oneCourse("a", 20, 17), oneCourse("b", 30, 10)},
			want:      []string{"20/<5", "30/<5"},
			wantTotal: "50/27",
		},
		{
			name: "open column takes a third completed",
			rows: []StatsCount{oneCourse("a", 20, 17), oneCourse("b", 30, 29), oneCourse("c", 12, 5),
				oneCourse("d", 40, 30)},
			want:      []string{"20/<5", "30/<5", "12/<5", "40/30"},
			wantTotal: "102/81",
		},
		{
			name: "hidden enrolled cascades into the completed column",
			rows: []StatsCount{oneCourse("a", 3, 0), oneCourse("b", 6, 0), oneCourse("c", 20, 10),
				oneCourse("d", 30, 25)},
			want:      []string{"<5/<5", "<5/<5", "20/<5", "30/25"},
			wantTotal: "59/35",
		},
		{
			name: "enrolled people below the threshold with more enrolments",
			rows: []StatsCount{
				{Key: "a", Label: "A", Enrolled: 8, Completed: 6, EnrolledPeople: 4, CompletedPeople: 3, OpenPeople: 2},
				oneCourse("b", 20, 10), oneCourse("c", 25, 15)},
			want:      []string{"<5/<5", "<5/<5", "25/15"},
			wantTotal: "53/31",
		},
		{
			name: "completed people below the threshold with more completions",
			rows: []StatsCount{
				{Key: "a", Label: "A", Enrolled: 12, Completed: 6, EnrolledPeople: 6, CompletedPeople: 3, OpenPeople: 6},
				oneCourse("b", 20, 10), oneCourse("c", 25, 15)},
			want:      []string{"12/<5", "20/<5", "25/15"},
			wantTotal: "57/31",
		},
		{
			name: "a people count contradicting its count errs on hiding",
			rows: []StatsCount{
				{Key: "a", Label: "A", Enrolled: 7, Completed: 0},
				{Key: "b", Label: "B", Enrolled: 3, Completed: 0, EnrolledPeople: 9, OpenPeople: 9},
				oneCourse("c", 20, 10), oneCourse("d", 30, 20)},
			want:      []string{"<5/<5", "<5/<5", "20/<5", "30/20"},
			wantTotal: "60/30",
		},
		{
			name:      "no rows",
			want:      []string{},
			wantTotal: "0/0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := totalOf(tt.rows)
			if tt.total != nil {
				total = *tt.total
			}
			before := slices.Clone(tt.rows)
			got := Suppress(ByCourse, tt.rows, total, tt.hidden)
			if !slices.Equal(tt.rows, before) {
				t.Errorf("Suppress changed its rows: %v, was %v", tt.rows, before)
			}
			if got.Dimension != ByCourse {
				t.Errorf("Dimension = %q, want %q", got.Dimension, ByCourse)
			}
			if rows := renderRows(got); !slices.Equal(rows, tt.want) {
				t.Errorf("rows = %q, want %q", rows, tt.want)
			}
			if tot := render(got.Total); tot != tt.wantTotal {
				t.Errorf("total = %q, want %q", tot, tt.wantTotal)
			}
			if tt.partial {
				// The adversary assumes the rows add up to the total.
				if err := checkCells(tt.rows, total, tt.hidden, got); err != nil {
					t.Error(err)
				}
				return
			}
			if _, err := checkSuppressed(tt.rows, total, tt.hidden, got); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSuppressAdversary suppresses random tables and attacks each result
// with everything the page shows.
func TestSuppressAdversary(t *testing.T) {
	perSeed := 6000
	if testing.Short() {
		perSeed = 600
	}
	var solved, hiddenTotals, attacked, complementary, openOnly int
	for _, seed := range []uint64{1, 2, 3, 20260318} {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		for n := range perSeed {
			rows, total, hidden := randomStats(r)
			got := Suppress(ByMunicipality, rows, total, hidden)
			ran, err := checkSuppressed(rows, total, hidden, got)
			if err != nil {
				t.Fatalf("seed %d, table %d: %v\n%s", seed, n, err, dumpStats(rows, total, hidden, got))
			}
			if ran {
				solved++
			}
			if got.Total.Completed.Suppressed {
				hiddenTotals++
			} else if slices.ContainsFunc(got.Rows, func(c StatsCell) bool { return c.Completed.Suppressed }) {
				attacked++ // the totals are shown over suppressed cells
			}
			for i, c := range got.Rows {
				e, cm := primary(rows[i])
				if c.Enrolled.Suppressed && !e || c.Completed.Suppressed && !cm {
					complementary++
				}
				if c.Completed.Suppressed && !c.Enrolled.Suppressed {
					openOnly++
				}
			}
		}
	}
	// The random tables must exercise what they test.
	tables := 4 * perSeed
	if solved < tables/2 || hiddenTotals < tables/20 || attacked < tables/4 || complementary < tables/8 || openOnly < tables/4 {
		t.Errorf("weak coverage: %d of %d tables brute-forced, %d hidden totals, %d shown totals over suppressed cells, %d complementary cells, %d rows with only Completed hidden",
			solved, tables, hiddenTotals, attacked, complementary, openOnly)
	}
	t.Logf("%d tables: %d brute-forced, %d hidden totals, %d shown totals over suppressed cells, %d complementary cells, %d rows with only Completed hidden",
		tables, solved, hiddenTotals, attacked, complementary, openOnly)
}

// randomStats is a random table as the database makes them: each row sums
// one to three courses, mostly small ones, and its people are its largest
// course's. The rows add up to the total.
func randomStats(r *rand.Rand) ([]StatsCount, StatsCount, TotalHidden) {
	count := func() int {
		switch r.IntN(10) {
		case 0, 1, 2, 3:
			return r.IntN(Threshold)
		case 4, 5, 6, 7:
			return r.IntN(12)
		default:
			return r.IntN(40)
		}
	}
	rows := make([]StatsCount, 1+r.IntN(15))
	for i := range rows {
		row := StatsCount{Key: strconv.Itoa(i), Label: "Gemeente " + strconv.Itoa(i)}
		if r.IntN(8) > 0 {
			for range 1 + r.IntN(3) {
				e := count()
				var c int
				switch r.IntN(4) {
				case 0:
					c = 0
				case 1:
					c = e
				case 2:
					c = max(0, e-r.IntN(Threshold))
				default:
					c = r.IntN(e + 1)
				}
				row.Enrolled += e
				row.Completed += c
				row.EnrolledPeople = max(row.EnrolledPeople, e)
				row.CompletedPeople = max(row.CompletedPeople, c)
				row.OpenPeople = max(row.OpenPeople, e-c)
			}
		}
		rows[i] = row
	}
	total := totalOf(rows)
	if r.IntN(3) == 0 {
		// A course in several rows makes the total's bounds larger.
		grow := func(people, n int) int { return people + r.IntN(n-people+1) }
		total.EnrolledPeople = grow(total.EnrolledPeople, total.Enrolled)
		total.CompletedPeople = grow(total.CompletedPeople, total.Completed)
		total.OpenPeople = grow(total.OpenPeople, total.Enrolled-total.Completed)
	}
	hidden := TotalHidden{Enrolled: r.IntN(8) == 0, Completed: r.IntN(8) == 0}
	return rows, total, hidden
}

func dumpStats(rows []StatsCount, total StatsCount, hidden TotalHidden, got StatsTable) string {
	var b strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&b, "%+v -> %s\n", r, render(got.Rows[i]))
	}
	fmt.Fprintf(&b, "total %+v %+v -> %s\n", total, hidden, render(got.Total))
	return b.String()
}

// checkCells checks each cell on its own: shown numbers are the raw ones,
// suppressed ones are 0, suppressed Enrolled suppresses Completed, and no
// shown count stands for 1 to Threshold-1 people.
func checkCells(rows []StatsCount, total StatsCount, hidden TotalHidden, got StatsTable) error {
	if len(got.Rows) != len(rows) {
		return fmt.Errorf("%d rows, want %d", len(got.Rows), len(rows))
	}
	check := func(what string, raw StatsCount, c StatsCell) error {
		if c.Key != raw.Key || c.Label != raw.Label {
			return fmt.Errorf("%s is %q %q, want %q %q", what, c.Key, c.Label, raw.Key, raw.Label)
		}
		for _, x := range []struct {
			name      string
			s         Shown
			n, people int
		}{
			{"enrolled", c.Enrolled, raw.Enrolled, raw.EnrolledPeople},
			{"completed", c.Completed, raw.Completed, raw.CompletedPeople},
			{"open", c.Completed, raw.Enrolled - raw.Completed, raw.OpenPeople},
		} {
			switch {
			case x.s.Suppressed && x.s.N != 0:
				return fmt.Errorf("%s %s is suppressed with N %d", what, x.name, x.s.N)
			case x.s.Suppressed:
			case x.name != "open" && x.s.N != x.n:
				return fmt.Errorf("%s %s shows %d, is %d", what, x.name, x.s.N, x.n)
			case x.n > 0 && x.people < Threshold:
				return fmt.Errorf("%s %s shows %d of at least %d people", what, x.name, x.n, x.people)
			}
		}
		if c.Enrolled.Suppressed && !c.Completed.Suppressed {
			return fmt.Errorf("%s shows completed of a suppressed enrolled", what)
		}
		return nil
	}
	for i, raw := range rows {
		if err := check("row "+strconv.Itoa(i), raw, got.Rows[i]); err != nil {
			return err
		}
	}
	if err := check("total", total, got.Total); err != nil {
		return err
	}
	if hidden.Enrolled && !got.Total.Enrolled.Suppressed || hidden.Completed && !got.Total.Completed.Suppressed {
		return fmt.Errorf("total %s, hidden %+v", render(got.Total), hidden)
	}
	return nil
}

// checkSuppressed checks the cells and then attacks the table as a reader
// who knows that the rows add up to the total: column by column
// (Enrolled, Completed and the implicit open column) and then by brute
// force over all of them at once. It reports whether the brute force ran:
// it skips tables whose unknown sums are large.
func checkSuppressed(rows []StatsCount, total StatsCount, hidden TotalHidden, got StatsTable) (bool, error) {
	if err := checkCells(rows, total, hidden, got); err != nil {
		return false, err
	}
	if err := attackColumns(rows, got); err != nil {
		return false, err
	}
	return attackJointly(rows, got)
}

// attackColumns subtracts the shown cells of each column from its total.
// The rest is the sum of the unknown cells: one unknown cell is recovered
// by it, and several must not be a group under Threshold. These sums (and
// combinations of them) are all the equations a reader has. A suppressed
// total must not be the sum of shown cells.
func attackColumns(rows []StatsCount, got StatsTable) error {
	type view func(c StatsCell) (int, bool) // a column's number in a cell, if known
	views := []struct {
		name string
		get  view
		raw  func(StatsCount) int
	}{
		{"enrolled", func(c StatsCell) (int, bool) { return c.Enrolled.N, !c.Enrolled.Suppressed },
			func(r StatsCount) int { return r.Enrolled }},
		{"completed", func(c StatsCell) (int, bool) { return c.Completed.N, !c.Completed.Suppressed },
			func(r StatsCount) int { return r.Completed }},
		{"open", func(c StatsCell) (int, bool) {
			return c.Enrolled.N - c.Completed.N, !c.Enrolled.Suppressed && !c.Completed.Suppressed
		}, func(r StatsCount) int { return r.Enrolled - r.Completed }},
	}
	for _, v := range views {
		rest, ok := v.get(got.Total)
		var unknown []int
		allZero := true
		for i, c := range got.Rows {
			allZero = allZero && v.raw(rows[i]) == 0
			if n, known := v.get(c); known {
				rest -= n
			} else {
				unknown = append(unknown, i)
			}
		}
		switch {
		case !ok:
			if len(unknown) == 0 && !allZero && v.name != "open" {
				return fmt.Errorf("the %s total is suppressed, but is the sum of the rows", v.name)
			}
		case len(unknown) == 0:
			if rest != 0 {
				return fmt.Errorf("the %s rows add up to %d off the total", v.name, rest)
			}
		case len(unknown) == 1:
			return fmt.Errorf("%s of row %d is recovered: %d", v.name, unknown[0], rest)
		case rest < Threshold:
			return fmt.Errorf("%s of rows %v add up to %d", v.name, unknown, rest)
		}
	}
	return nil
}

// Bounds of the brute force: the unknown Completed sum is a bit set.
const (
	maxUnknownEnrolled  = 80
	maxUnknownCompleted = 63
)

// attackJointly works out, from the shown table alone, every value each
// suppressed count can take: counts are non-negative integers, a row's
// Completed is at most its Enrolled, a suppressed Enrolled is at least 1
// (zeros are shown), and the rows add up to each shown total. It
// enumerates by dynamic programming over the sums of the unknown counts
// of all rows but one, for each row with unknowns. No suppressed count
// may have one possible value, and the raw one must be among them. Where
// Enrolled is shown (and so at least Threshold), Completed and open must
// also be able to reach Threshold: a reader cannot even tell they are
// small. (A suppressed Enrolled, and what it bounds, may be known to be
// small: "<5" says as much.)
func attackJointly(rows []StatsCount, got StatsTable) (bool, error) {
	knowE, knowC := !got.Total.Enrolled.Suppressed, !got.Total.Completed.Suppressed
	sumE, sumC := got.Total.Enrolled.N, got.Total.Completed.N // what the unknown cells add up to
	var unknown []int
	for i, c := range got.Rows {
		if !c.Enrolled.Suppressed {
			sumE -= c.Enrolled.N
		}
		if !c.Completed.Suppressed {
			sumC -= c.Completed.N
		} else {
			unknown = append(unknown, i)
		}
	}
	if !knowE {
		sumE = 0
	}
	if !knowC {
		sumC = 0
	}
	if sumE > maxUnknownEnrolled || sumC > maxUnknownCompleted {
		return false, nil
	}
	// The largest suppressed Enrolled to try: the unknown sum. Without it
	// an Enrolled can grow without end (it is in no shown sum), and
	// trying up to the largest raw one, and past the Completed sum, finds
	// all sums and the raw values.
	capE := sumE
	if !knowE {
		capE = max(sumC+2, Threshold)
		for _, i := range unknown {
			capE = max(capE, rows[i].Enrolled)
		}
	}
	// reach[e] has bit c when the unknown counts can add up to e and c.
	// A sum a reader does not know stays at 0.
	type reach []uint64
	mask := uint64(1)<<(sumC+1) - 1
	add := func(from reach, i int) reach {
		to := make(reach, len(from))
		c := got.Rows[i]
		for e, bits := range from {
			if bits == 0 {
				continue
			}
			if !c.Enrolled.Suppressed {
				// Completed is 0 to the shown Enrolled.
				dil := bits
				for k := 1; k <= c.Enrolled.N && knowC; k++ {
					dil |= bits << k
				}
				to[e] |= dil & mask
				continue
			}
			dil := bits // completed 0 to k for Enrolled k
			for k := 1; k <= capE; k++ {
				if knowC {
					dil |= bits << k
				}
				te := e
				if knowE {
					te += k
				}
				if te < len(to) {
					to[te] |= dil & mask
				}
			}
		}
		return to
	}
	possible := make(map[int][3]map[int]bool) // row: enrolled, completed, open values
	for _, i := range unknown {
		others := make(reach, sumE+1)
		others[0] = 1
		for _, j := range unknown {
			if j != i {
				others = add(others, j)
			}
		}
		c := got.Rows[i]
		lo, hi := c.Enrolled.N, c.Enrolled.N
		if c.Enrolled.Suppressed {
			lo, hi = 1, capE
		}
		sets := [3]map[int]bool{{}, {}, {}}
		for e := lo; e <= hi; e++ {
			for cm := 0; cm <= e; cm++ {
				restE, restC := sumE, sumC
				if knowE && c.Enrolled.Suppressed {
					restE -= e
				}
				if knowC {
					restC -= cm
				}
				if restE < 0 || restC < 0 || others[restE]>>restC&1 == 0 {
					continue
				}
				sets[0][e], sets[1][cm], sets[2][e-cm] = true, true, true
			}
		}
		possible[i] = sets
	}
	for _, i := range unknown {
		sets, raw := possible[i], rows[i]
		names := [3]string{"enrolled", "completed", "open"}
		values := [3]int{raw.Enrolled, raw.Completed, raw.Enrolled - raw.Completed}
		for k, set := range sets {
			if k == 0 && !got.Rows[i].Enrolled.Suppressed {
				continue
			}
			if !set[values[k]] {
				return true, fmt.Errorf("the adversary rules out the raw %s %d of row %d: %v", names[k], values[k], i, set)
			}
			if len(set) == 1 {
				return true, fmt.Errorf("the %s of row %d is recovered: %d", names[k], i, values[k])
			}
			if !got.Rows[i].Enrolled.Suppressed && slices.Max(slices.Collect(maps.Keys(set))) < Threshold {
				return true, fmt.Errorf("the %s of row %d is known to be under %d: %v", names[k], i, Threshold, set)
			}
		}
	}
	// A hidden Enrolled total is recovered only when every Enrolled is
	// shown: a suppressed one is in no shown sum and can grow. A hidden
	// Completed total is shown Completed plus the unknown ones; lowering
	// these to 0 breaks nothing, so the total is recovered exactly when
	// all of them must be 0.
	if !knowC {
		zero, allZero := true, true
		for i, raw := range rows {
			allZero = allZero && raw.Completed == 0
			if set, ok := possible[i]; ok && (len(set[1]) > 1 || !set[1][0]) {
				zero = false
			}
		}
		if zero && !allZero {
			return true, fmt.Errorf("the completed total is recovered")
		}
	}
	return true, nil
}
