package db

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// A synthetic country for demos and benchmarks: office holders spread over
// the municipalities by size and office, their memberships, and three years
// of enrolments, completions and certificates, written in bulk.
//
// The model, and where it approximates:
//
//   - Size. The repository has no population figures, so a municipality's
//     council seats stand for its size. The eight municipalities over
//     200,000 inhabitants have 45 seats and the 22 others among the 30
//     biggest have 39 (Gemeentewet art. 8; bigSeats); every other one gets
//     an odd number from 11 to 35, skewed small, drawn from a hash of its
//     CBS code (the same country for every seed) and nudged so that all
//     seats add up to about the 8,552 of the real councils.
//   - Offices per municipality and term: its seats in raadsleden, about a
//     sixth of that in wethouders (at least 2), one burgemeester, one
//     griffier, and in seven of ten municipalities commissieleden (a fifth
//     to a half of the seats). The provinces add their statenleden (39 to
//     55 per province) and about six gedeputeerden, who hold no
//     municipality (their enrolments count under an empty one).
//   - Terms. Council offices follow the elections: a third of the holders
//     serve from 30 March 2022 on, a third left on 29 March 2026, a third
//     came on 30 March 2026; half of the new wethouders were raadslid
//     before. Burgemeesters and griffiers are appointed: most serve
//     throughout, some are succeeded on a day within the three years.
//     Statenleden mostly serve from 30 March 2023 on; one in ten also holds
//     a council seat in their province.
//   - Scale. These full-size numbers (about 21,000 people over the three
//     years) are scaled to People, keeping the shares: over the offices by
//     largest remainders, within an office over the municipalities (or
//     provinces) by systematic sampling; each municipality keeps at least
//     one raadslid while People allows. A country of 100,000 thus has five
//     times as many holders per municipality as the real one.
//   - Memberships: NVvR (Raadslid.Nu) about 60% of raadsleden,
//     Wethoudersvereniging 70% of wethouders, NGB 90% of burgemeesters,
//     Vereniging van Griffiers 90% of griffiers. The VNG's members are in
//     reality municipalities; here every holder of a municipal office is a
//     member, so that its statistics cover the municipalities' people.
//     Members who left office stay members.
//   - Enrolments fall within the learner's own terms, in the three years
//     before Now, more often in the half year after an election (the
//     municipal ones of March 2022 and 2026, less so the provincial one of
//     2023) and less in the summer and December. Each learner takes a
//     number of distinct courses (one enrolment per course), preferring
//     those whose audience holds one of their offices. About 55 to 70% of
//     enrolments (by course) are completed, 1 to 120 days later and never
//     after Now, by the course's rule, each with its certificate (no PDF:
//     the application renders one on first download). No activity
//     progress is written.

// GenerateOptions says what country GenerateCountry makes.
type GenerateOptions struct {
	// People is the number of office holders (default 1,000).
	People int
	// Enrolments is the number of enrolments to aim for (default 10 ×
	// People). A learner enrols in a course at most once, so at most
	// People × the number of published courses can be made.
	Enrolments int
	// Courses, when more courses are published than that, is ignored;
	// otherwise numbered copies of the published courses are added until
	// there are Courses (for benchmarks that need more enrolments per
	// person than the catalogue has courses). 0 leaves the catalogue as is.
	Courses int
	// Seed makes the country: the same seed on the same catalogue and
	// municipalities gives the same people, offices, memberships and
	// enrolments (certificate numbers are random all the same).
	Seed uint64
	// Now is the end of the three years (default the database's Now).
	Now time.Time
	// Issuer is printed on the certificates (default DefaultIssuer).
	Issuer courses.Issuer
	// Progress, when set, is called as the work proceeds: stage is
	// "people" or "enrolments"; done of total.
	Progress func(stage string, done, total int)
}

// GenerateSummary is what GenerateCountry made.
type GenerateSummary struct {
	Seed           uint64
	People         int
	Offices        map[courses.Office]int // holders of each office (someone may hold two)
	Municipalities int                    // municipalities with office holders
	Seats          int                    // the council seats of the modelled country
	Memberships    map[string]int         // members per association slug
	Courses        int                    // published courses enrolled in
	CopiedCourses  int                    // copies added for Courses
	// Requested is the number of enrolments asked for; Enrolments those
	// made. They differ only when Requested exceeds Capacity (People ×
	// Courses): then every learner is enrolled in every course.
	Requested, Enrolments, Capacity int
	Completions, Certificates       int
	From, To                        time.Time // the three years
	Elapsed                         time.Duration
}

// Short reports whether fewer enrolments were made than requested because
// there are too few people or courses.
func (s GenerateSummary) Short() bool { return s.Enrolments < s.Requested }

// GeneratedDomain is the domain of the synthetic accounts' addresses: a
// reserved top-level domain (RFC 2606), so that no mail reaches anyone.
const GeneratedDomain = "raadzaam.invalid"

// unusablePassword is the synthetic accounts' password hash: no password
// matches it (it is not an argon2id hash).
const unusablePassword = "!synthetic-account-without-password"

// generatedEmailDomain is the address domain of the country made with seed:
// a second country with another seed can be added beside it.
func generatedEmailDomain(seed uint64) string {
	return "seed-" + strconv.FormatUint(seed, 10) + "." + GeneratedDomain
}

// GeneratedPeople counts the accounts of the country generated with seed.
func (d *DB) GeneratedPeople(ctx context.Context, seed uint64) (int, error) {
	n, err := d.NewSelect().Model((*userRow)(nil)).Where("email LIKE ?", "%@"+generatedEmailDomain(seed)).Count(ctx)
	return int(n), wrap(err, "generated people")
}

// CountRealUsers counts the accounts that are not demo accounts, so that a
// command may refuse to add synthetic people to a database in use.
func (d *DB) CountRealUsers(ctx context.Context) (int, error) {
	n, err := d.NewSelect().Model((*userRow)(nil)).Where("NOT demo").Count(ctx)
	return int(n), wrap(err, "count users")
}

// GenerateCountry adds a synthetic country to d (see GenerateOptions and
// the model described above), with its statistics. It needs the published
// courses and the municipalities, and refuses a seed whose country is there
// already. It writes in batches of thousands of people, each in its own
// transaction, so an error leaves the batches before it, consistent: each
// batch of enrolments adds its counts to the statistics' roll-ups, as
// FoldStats would (a RebuildStats afterwards changes nothing).
func GenerateCountry(ctx context.Context, d *DB, opt GenerateOptions) (GenerateSummary, error) {
	start := time.Now()
	if opt.People == 0 {
		opt.People = 1000
	}
	if opt.Enrolments == 0 {
		opt.Enrolments = 10 * opt.People
	}
	var problems []courses.Problem
	if opt.People < 1 || opt.People > 10_000_000 {
		problems = append(problems, courses.Problem{Field: "people", Key: courses.ProblemOutOfRange, Args: map[string]any{"min": 1, "max": 10_000_000}})
	}
	if opt.Enrolments < 0 || opt.Enrolments > 100_000_000 {
		problems = append(problems, courses.Problem{Field: "enrolments", Key: courses.ProblemOutOfRange, Args: map[string]any{"min": 0, "max": 100_000_000}})
	}
	if opt.Courses < 0 || opt.Courses > 1000 {
		problems = append(problems, courses.Problem{Field: "courses", Key: courses.ProblemOutOfRange, Args: map[string]any{"min": 0, "max": 1000}})
	}
	if len(problems) > 0 {
		return GenerateSummary{}, courses.Invalid("generate country", problems...)
	}
	if opt.Now.IsZero() {
		opt.Now = d.Now()
	}
	if opt.Issuer.Name == "" {
		opt.Issuer = DefaultIssuer
	}
	if opt.Progress == nil {
		opt.Progress = func(string, int, int) {}
	}
	g := &generator{d: d, opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, 0x7261_6164_7a61_616d))}
	g.now = opt.Now.UTC().Truncate(time.Second)
	g.from = g.now.AddDate(-3, 0, 0)
	if err := g.load(ctx); err != nil {
		return GenerateSummary{}, err
	}
	g.plan()
	sum := GenerateSummary{Seed: opt.Seed, People: len(g.people), Offices: map[courses.Office]int{}, Memberships: map[string]int{},
		Seats: g.seats, Courses: len(g.courses), CopiedCourses: g.copied, Requested: opt.Enrolments,
		Capacity: len(g.people) * len(g.courses), From: g.from, To: g.now}
	withHolders := map[string]bool{}
	for _, p := range g.people {
		seen := map[courses.Office]bool{}
		for _, o := range p.offices {
			if !seen[o.office] {
				seen[o.office] = true
				sum.Offices[o.office]++
			}
			if o.cbs != "" {
				withHolders[o.cbs] = true
			}
		}
		for i, a := range g.assocs {
			if p.assoc&(1<<i) != 0 {
				sum.Memberships[a.slug]++
			}
		}
	}
	sum.Municipalities = len(withHolders)
	if d.Kind == SQLite {
		conn, restore, err := bulkConnection(ctx, d)
		if err != nil {
			return sum, err
		}
		defer restore()
		g.conn = conn
	}
	if err := g.writePeople(ctx); err != nil {
		return sum, err
	}
	if err := g.writeEnrolments(ctx, &sum); err != nil {
		return sum, err
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// generator holds what GenerateCountry reads, plans and writes.
type generator struct {
	d        *DB
	opt      GenerateOptions
	rng      *rand.Rand
	from     time.Time // the start of the three years
	now      time.Time
	domain   string
	munis    []genMunicipality
	muniIdx  map[string]int // CBS code → index in munis
	courses  []genCourse
	copied   int
	assocs   []genAssociation
	position map[courses.Office]int
	numbers  map[string]bool // certificate numbers taken
	people   []*genPerson
	seats    int
	conn     *sql.Conn // SQLite: the connection that writes
	keys     []float64 // planEnrolments' scratch space
	order    []int
	// cumDays holds the cumulative enrolment intensity of the days of the
	// three years (Amsterdam days from day0 on), cumDays[0] = 0.
	cumDays []float64
	day0    time.Time
}

// genMunicipality is a municipality of the list and its council seats.
type genMunicipality struct {
	CBS      string `bun:"cbs_code"`
	Name     string `bun:"name"`
	Province string `bun:"province"`
	seats    int
}

// genCourse is a published course with what its enrolments and
// certificates need.
type genCourse struct {
	ID         int64   `bun:"id"`
	Slug       string  `bun:"slug"`
	VersionID  int64   `bun:"version_id"`
	Number     int     `bun:"number"`
	Title      string  `bun:"title"`
	Summary    string  `bun:"summary"`
	StudyHours float64 `bun:"study_hours"`
	Language   string  `bun:"language"`
	Validity   int     `bun:"validity_months"`
	Audience   string  `bun:"audience"`
	index      int     // in generator.courses
	audience   map[courses.Office]bool
	popularity float64 // relative chance of being chosen
	completion float64 // chance an enrolment is completed
}

// genAssociation is one of the associations that come with the migrations.
type genAssociation struct {
	slug string
	id   int64
}

// The associations of the migrations, in the order of genPerson.assoc's bits.
var generatedAssociations = []string{"vng", "nvvr", "wethoudersvereniging", "ngb", "vvg"}

const (
	assocVNG = 1 << iota
	assocNVvR
	assocWethouders
	assocNGB
	assocVVG
)

// genOffice is one term of an office.
type genOffice struct {
	office courses.Office
	cbs    string    // "" for a provincial office
	starts time.Time // a date (UTC midnight)
	ends   time.Time // zero: open
}

// covers reports whether the term includes day ("2006-01-02"), as
// attribute compares them.
func (o genOffice) covers(day string) bool {
	return o.starts.Format(time.DateOnly) <= day && (o.ends.IsZero() || o.ends.Format(time.DateOnly) >= day)
}

// genPerson is a synthetic office holder.
type genPerson struct {
	id      int64
	name    string
	email   string
	offices []genOffice // in the order their rows are written (their ids)
	assoc   uint8
	lo, hi  time.Time // when this person enrols: their terms within the three years
	courses int       // how many courses they enrol in
}

// load reads the catalogue, municipalities, associations and offices.
func (g *generator) load(ctx context.Context) error {
	d := g.d
	if err := d.NewSelect().TableExpr("municipalities").Column("cbs_code", "name", "province").Where("active").
		Order("cbs_code").Scan(ctx, &g.munis); err != nil {
		return wrap(err, "municipalities")
	}
	if len(g.munis) == 0 {
		return courses.Errorf(courses.EINVALID, "no municipalities: load them first (raadzaam migrate)")
	}
	g.muniIdx = make(map[string]int, len(g.munis))
	for i, m := range g.munis {
		g.muniIdx[m.CBS] = i
	}
	if err := g.loadCourses(ctx); err != nil {
		return err
	}
	if len(g.courses) == 0 {
		return courses.Errorf(courses.EINVALID, "no published courses: load the catalogue first (raadzaam migrate / serve)")
	}
	var assocs []associationRow
	if err := d.NewSelect().Model(&assocs).Where("slug IN (?)", bun.List(generatedAssociations)).Scan(ctx); err != nil {
		return wrap(err, "associations")
	}
	for _, slug := range generatedAssociations {
		i := slices.IndexFunc(assocs, func(a associationRow) bool { return a.Slug == slug })
		if i < 0 {
			return courses.Errorf(courses.EINVALID, "association %q is missing (it comes with the migrations)", slug)
		}
		g.assocs = append(g.assocs, genAssociation{slug: slug, id: assocs[i].ID})
	}
	var offices []struct {
		Code     string `bun:"code"`
		Position int    `bun:"position"`
	}
	if err := d.NewSelect().TableExpr("offices").Column("code", "position").Scan(ctx, &offices); err != nil {
		return wrap(err, "offices")
	}
	g.position = map[courses.Office]int{}
	for _, o := range offices {
		g.position[courses.Office(o.Code)] = o.Position
	}
	g.domain = generatedEmailDomain(g.opt.Seed)
	n, err := d.GeneratedPeople(ctx, g.opt.Seed)
	if err != nil {
		return err
	}
	if n > 0 {
		return courses.Errorf(courses.ECONFLICT, "a country with seed %d is there already (%d accounts @%s): choose another seed", g.opt.Seed, n, g.domain)
	}
	var numbers []string
	if err := d.NewSelect().TableExpr("certificates").Column("number").Scan(ctx, &numbers); err != nil {
		return wrap(err, "certificate numbers")
	}
	g.numbers = make(map[string]bool, len(numbers))
	for _, s := range numbers {
		g.numbers[s] = true
	}
	// Last, when nothing else stands in the way: the copies are stored at once.
	if g.opt.Courses > len(g.courses) {
		return g.copyCourses(ctx)
	}
	return nil
}

func (g *generator) loadCourses(ctx context.Context) error {
	g.courses = nil
	if err := g.d.NewSelect().TableExpr("courses AS c").
		ColumnExpr("c.id, c.slug, v.id AS version_id, v.number, v.title, v.summary, v.study_hours, v.language, v.validity_months, v.audience").
		Join("JOIN course_versions v ON v.id = c.published_version_id").
		Where("v.state = ?", courses.StatePublished).Order("c.id").Scan(ctx, &g.courses); err != nil {
		return wrap(err, "published courses")
	}
	for i := range g.courses {
		c := &g.courses[i]
		c.index = i
		c.audience = map[courses.Office]bool{}
		for _, o := range strings.Split(c.Audience, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.audience[courses.Office(o)] = true
			}
		}
		// Stable per course, whatever the seed: some courses draw more
		// learners, and are finished more often, than others.
		c.popularity = 0.5 + unitHash("popularity/"+c.Slug)
		c.completion = 0.55 + 0.15*unitHash("completion/"+c.Slug)
	}
	return nil
}

// copyCourses adds numbered copies of the published courses ("SLUG-kopie-2",
// title "… (kopie 2)") until there are opt.Courses, published, in one
// transaction.
func (g *generator) copyCourses(ctx context.Context) error {
	cs := NewCourseService(g.d)
	// Copies of the courses themselves, not of earlier copies.
	originals := slices.DeleteFunc(slices.Clone(g.courses), func(c genCourse) bool { return strings.Contains(c.Slug, "-kopie-") })
	if len(originals) == 0 {
		originals = slices.Clone(g.courses)
	}
	taken := map[string]bool{}
	var slugs []string
	if err := g.d.NewSelect().TableExpr("courses").Column("slug").Scan(ctx, &slugs); err != nil {
		return wrap(err, "course slugs")
	}
	for _, s := range slugs {
		taken[s] = true
	}
	var list []*courses.Course
	for round := 2; len(g.courses)+len(list) < g.opt.Courses; round++ {
		for _, o := range originals {
			if len(g.courses)+len(list) >= g.opt.Courses {
				break
			}
			slug := fmt.Sprintf("%s-kopie-%d", o.Slug, round)
			if taken[slug] {
				continue
			}
			c, err := cs.CourseBySlug(ctx, o.Slug)
			if err != nil {
				return err
			}
			if err := cs.LoadFileData(ctx, c); err != nil {
				return err
			}
			c.Slug = slug
			c.Title = fmt.Sprintf("%s (kopie %d)", c.Title, round)
			c.Prerequisites = nil
			list = append(list, c)
			taken[slug] = true
		}
		if round > 2+g.opt.Courses {
			break // nothing to copy
		}
	}
	if len(list) == 0 {
		return nil
	}
	if err := cs.SaveCourses(ctx, list, courses.ImportOptions{Publish: true}); err != nil {
		return err
	}
	g.copied = len(list)
	return g.loadCourses(ctx)
}

// unitHash maps s to [0, 1), the same on every run.
func unitHash(s string) float64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	x := h.Sum64() // FNV's high bits vary little with the last bytes: mix them (SplitMix64's finaliser)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// Election days and the terms that follow them.
var (
	termStart2022     = day(2022, 3, 30)
	termEnd2022       = day(2026, 3, 29)
	termStart2026     = day(2026, 3, 30)
	statesStart2019   = day(2019, 3, 28)
	statesStart2023   = day(2023, 3, 30)
	deputiesStart2023 = day(2023, 7, 6)
	// elections are the days after which more people enrol, with how much
	// more.
	elections = []struct {
		day    time.Time
		weight float64
	}{
		{day(2022, 3, 16), 4}, {day(2023, 3, 15), 1.5}, {day(2026, 3, 18), 4},
	}
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// bigSeats are the council seats of the 30 biggest municipalities, by name
// in the municipality list: 45 above 200,000 inhabitants, 39 from 100,000.
var bigSeats = map[string]int{
	"Amsterdam": 45, "Rotterdam": 45, "'s-Gravenhage": 45, "Utrecht": 45,
	"Eindhoven": 45, "Groningen": 45, "Tilburg": 45, "Almere": 45,
	"Breda": 39, "Nijmegen": 39, "Apeldoorn": 39, "Arnhem": 39, "Haarlem": 39, "Haarlemmermeer": 39,
	"Enschede": 39, "Amersfoort": 39, "Zaanstad": 39, "'s-Hertogenbosch": 39, "Zwolle": 39, "Leiden": 39,
	"Zoetermeer": 39, "Leeuwarden": 39, "Ede": 39, "Maastricht": 39, "Dordrecht": 39, "Westland": 39,
	"Alphen aan den Rijn": 39, "Alkmaar": 39, "Emmen": 39, "Delft": 39,
}

// realSeats is the number of council seats in the Netherlands (2022) that
// the modelled country's seats add up to, for a full list of municipalities.
const realSeats = 8552

// smallSeats are the seat counts of the other municipalities (11 to 35),
// with their relative frequencies: most between 15 and 29.
var smallSeats = []struct{ seats, weight int }{
	{11, 2}, {13, 5}, {15, 8}, {17, 11}, {19, 11}, {21, 11}, {23, 10},
	{25, 9}, {27, 9}, {29, 8}, {31, 7}, {33, 6}, {35, 5},
}

// provinceSeats are the seats of the provincial councils (2023).
var provinceSeats = map[string]int{
	"Zuid-Holland": 55, "Noord-Holland": 55, "Noord-Brabant": 55, "Gelderland": 55, "Utrecht": 49,
	"Limburg": 47, "Overijssel": 47, "Fryslân": 43, "Groningen": 43, "Drenthe": 41, "Flevoland": 41, "Zeeland": 39,
}

// assignSeats gives each municipality its council seats (see bigSeats and
// smallSeats), the same for every seed, and returns their total.
func assignSeats(munis []genMunicipality) int {
	totalWeight := 0
	for _, s := range smallSeats {
		totalWeight += s.weight
	}
	sum, small := 0, []int{}
	for i := range munis {
		m := &munis[i]
		if s, ok := bigSeats[m.Name]; ok {
			m.seats = s
		} else {
			r := int(unitHash("seats/"+m.CBS) * float64(totalWeight))
			for _, s := range smallSeats {
				if r < s.weight {
					m.seats = s.seats
					break
				}
				r -= s.weight
			}
			small = append(small, i)
		}
		sum += m.seats
	}
	// Nudge the small ones, two seats at a time in a fixed order, towards
	// the real total (scaled to the list's length).
	target := int(math.Round(realSeats * float64(len(munis)) / 342))
	sort.SliceStable(small, func(a, b int) bool {
		return unitHash("nudge/"+munis[small[a]].CBS) < unitHash("nudge/"+munis[small[b]].CBS)
	})
	for range 4 {
		for _, i := range small {
			m := &munis[i]
			switch {
			case sum < target-1 && m.seats < 35:
				m.seats += 2
				sum += 2
			case sum > target+1 && m.seats > 11:
				m.seats -= 2
				sum -= 2
			}
		}
	}
	return sum
}

// genCell is a group of people of one office in one municipality or
// province, with its size in the full-size country.
type genCell struct {
	muni     int // index in munis, -1 for a province
	province string
	office   courses.Office
	weight   float64 // people in the full-size country
	count    int     // people in this one
}

// plan makes the people, their offices and memberships, and how many
// courses each takes.
func (g *generator) plan() {
	g.seats = assignSeats(g.munis)
	var cells []genCell
	provinces := map[string][]int{}
	for i, m := range g.munis {
		s := float64(m.seats)
		wethouders := max(2, math.Round(s/6))
		cells = append(cells,
			genCell{muni: i, office: courses.Raadslid, weight: 1.5 * s},
			genCell{muni: i, office: courses.Wethouder, weight: 1.6 * wethouders},
			genCell{muni: i, office: courses.Burgemeester, weight: 1.15},
			genCell{muni: i, office: courses.Griffier, weight: 1.15})
		if u := unitHash("committee/" + m.CBS); u < 0.7 {
			cells = append(cells, genCell{muni: i, office: courses.Commissielid, weight: 1.5 * math.Round(s*(0.2+0.3*u/0.7))})
		}
		provinces[m.Province] = append(provinces[m.Province], i)
	}
	names := make([]string, 0, len(provinces))
	for p := range provinces {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		seats, ok := provinceSeats[p]
		if !ok {
			seats = 41
		}
		cells = append(cells,
			genCell{muni: -1, province: p, office: courses.Statenlid, weight: 1.1 * float64(seats)},
			genCell{muni: -1, province: p, office: courses.Gedeputeerde, weight: 6.6})
	}
	g.apportionCells(cells)

	g.people = make([]*genPerson, 0, g.opt.People)
	for _, c := range cells {
		for range c.count {
			p := &genPerson{}
			if c.muni >= 0 {
				g.municipalOffice(p, c.office, g.munis[c.muni].CBS)
			} else {
				g.provincialOffice(p, c.office, provinces[c.province])
			}
			g.people = append(g.people, p)
		}
	}
	// Names and addresses, then memberships, in the people's order.
	for i, p := range g.people {
		p.name = g.name()
		p.email = emailOf(p.name, i+1, g.domain)
		g.memberships(p)
		g.activeSpan(p)
	}
	g.spreadEnrolments()
	g.dayWeights()
}

// apportionCells divides the people over the cells: over the offices by
// largest remainders of their full-size totals, then each office's people
// over its municipalities or provinces by systematic sampling in a random
// order, so that every cell gets its share rounded up or down, small
// offices are not crowded out, and none is favoured by its place in the
// list. Every municipality keeps a raadslid while there are raadsleden
// enough.
func (g *generator) apportionCells(cells []genCell) {
	byOffice := make([][]int, len(courses.Offices))
	totals := make([]float64, len(courses.Offices))
	for i, c := range cells {
		k := slices.Index(courses.Offices, c.office)
		byOffice[k] = append(byOffice[k], i)
		totals[k] += c.weight
	}
	counts := largestRemainders(totals, g.opt.People)
	for k, idx := range byOffice {
		n := counts[k]
		if courses.Offices[k] == courses.Raadslid && n >= len(idx) {
			for _, i := range idx {
				cells[i].count = 1
				cells[i].weight = max(0, cells[i].weight-1)
			}
			n -= len(idx)
		}
		g.systematic(cells, idx, n)
	}
}

// largestRemainders divides n in proportion to weights, the remainders to
// the largest fractions (ties to the first).
func largestRemainders(weights []float64, n int) []int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	counts := make([]int, len(weights))
	if total == 0 {
		return counts
	}
	order := make([]int, len(weights))
	fracs := make([]float64, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(n) * w / total
		counts[i] = int(exact)
		fracs[i] = exact - float64(counts[i])
		given += counts[i]
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return fracs[order[a]] > fracs[order[b]] })
	for k := 0; given < n; k++ {
		counts[order[k%len(order)]]++
		given++
	}
	return counts
}

// systematic adds n people to the cells idx in proportion to their
// weights: systematic sampling over the cells in a random order.
func (g *generator) systematic(cells []genCell, idx []int, n int) {
	total := 0.0
	for _, i := range idx {
		total += cells[i].weight
	}
	if n <= 0 || total == 0 {
		return
	}
	u := g.rng.Float64()
	cum, given := 0.0, 0
	order := g.rng.Perm(len(idx))
	for k, o := range order {
		i := idx[o]
		cum += float64(n) * cells[i].weight / total
		upto := int(math.Floor(cum + u))
		if k == len(order)-1 {
			upto = n
		}
		cells[i].count += upto - given
		given = upto
	}
}

// municipalOffice gives p an office in municipality cbs with its term.
func (g *generator) municipalOffice(p *genPerson, office courses.Office, cbs string) {
	r := g.rng.Float64()
	switch office {
	case courses.Burgemeester, courses.Griffier:
		// Appointed for years: most serve throughout, some are succeeded.
		switch {
		case r < 0.74:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: g.randomDay(day(2015, 1, 1), day(2022, 12, 31))})
		case r < 0.87:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: g.randomDay(day(2014, 1, 1), day(2021, 12, 31)),
				ends: g.randomDay(g.from.AddDate(0, 2, 0), g.now.AddDate(0, -2, 0))})
		default:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: g.randomDay(g.from.AddDate(0, 2, 0), g.now.AddDate(0, -2, 0))})
		}
	case courses.Wethouder:
		switch {
		case r < 0.25:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: termStart2022})
		case r < 0.625:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: termStart2022, ends: termEnd2022})
		default:
			if g.rng.Float64() < 0.5 { // was raadslid before
				p.offices = append(p.offices, genOffice{office: courses.Raadslid, cbs: cbs, starts: termStart2022, ends: termEnd2022})
			}
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: termStart2026})
		}
	default: // raadslid, commissielid: elected with the council
		switch {
		case r < 1.0/3:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: termStart2022})
		case r < 2.0/3:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: termStart2022, ends: termEnd2022})
		default:
			p.offices = append(p.offices, genOffice{office: office, cbs: cbs, starts: termStart2026})
		}
	}
}

// provincialOffice gives p a provincial office; munis are the province's
// municipalities, for a statenlid who also sits in a council.
func (g *generator) provincialOffice(p *genPerson, office courses.Office, munis []int) {
	r := g.rng.Float64()
	o := genOffice{office: office}
	switch {
	case office == courses.Gedeputeerde && r < 0.85:
		o.starts = deputiesStart2023
	case office == courses.Statenlid && r < 0.8:
		o.starts = statesStart2023
	case office == courses.Statenlid && r < 0.9:
		o.starts = statesStart2019
	default: // a successor, sworn in during the three years
		o.starts = g.randomDay(g.from.AddDate(0, 1, 0), g.now.AddDate(0, -1, 0))
	}
	if office == courses.Statenlid && len(munis) > 0 && g.rng.Float64() < 0.1 {
		cbs := g.munis[munis[g.rng.IntN(len(munis))]].CBS
		p.offices = append(p.offices, genOffice{office: courses.Raadslid, cbs: cbs, starts: termStart2022})
	}
	p.offices = append(p.offices, o)
}

// randomDay returns a day from a to b (both included; a when b is before).
func (g *generator) randomDay(a, b time.Time) time.Time {
	a, b = day(a.Year(), a.Month(), a.Day()), day(b.Year(), b.Month(), b.Day())
	n := int(b.Sub(a).Hours()/24) + 1
	if n <= 1 {
		return a
	}
	return a.AddDate(0, 0, g.rng.IntN(n))
}

// memberships sets p's associations by their offices.
func (g *generator) memberships(p *genPerson) {
	for _, o := range p.offices {
		if o.cbs != "" {
			p.assoc |= assocVNG
		}
		var bit uint8
		var share float64
		switch o.office {
		case courses.Raadslid:
			bit, share = assocNVvR, 0.6
		case courses.Wethouder:
			bit, share = assocWethouders, 0.7
		case courses.Burgemeester:
			bit, share = assocNGB, 0.9
		case courses.Griffier:
			bit, share = assocVVG, 0.9
		default:
			continue
		}
		if g.rng.Float64() < share {
			p.assoc |= bit
		}
	}
}

// activeSpan sets when p enrols: from their first term's start to their
// last term's end, within the three years (all of them when their terms lie
// outside).
func (g *generator) activeSpan(p *genPerson) {
	lo, hi := p.offices[0].starts, p.offices[0].ends
	for _, o := range p.offices[1:] {
		if o.starts.Before(lo) {
			lo = o.starts
		}
		if !hi.IsZero() && (o.ends.IsZero() || o.ends.After(hi)) {
			hi = o.ends
		}
	}
	// Terms are Amsterdam days: from the first one's start to the last
	// one's end.
	lo = time.Date(lo.Year(), lo.Month(), lo.Day(), 0, 0, 0, 0, courses.Amsterdam).UTC()
	if !hi.IsZero() {
		hi = time.Date(hi.Year(), hi.Month(), hi.Day(), 23, 59, 59, 0, courses.Amsterdam).UTC()
	}
	if lo.Before(g.from) {
		lo = g.from
	}
	if hi.IsZero() || hi.After(g.now) {
		hi = g.now
	}
	if !lo.Before(hi) {
		lo, hi = g.from, g.now
	}
	p.lo, p.hi = lo, hi
}

// spreadEnrolments decides how many courses each person takes: around the
// average the options ask for, some many more, none more than there are
// courses, adding up to the request (or to everything possible).
func (g *generator) spreadEnrolments() {
	c := len(g.courses)
	want := min(g.opt.Enrolments, c*len(g.people))
	mean := float64(want) / float64(len(g.people))
	sum := 0
	for _, p := range g.people {
		gamma := (g.rng.ExpFloat64() + g.rng.ExpFloat64()) / 2 // Gamma(2), mean 1
		p.courses = min(c, int(math.Round(mean*gamma)))
		sum += p.courses
	}
	for sum != want {
		moved := false
		for _, i := range g.rng.Perm(len(g.people)) {
			p := g.people[i]
			switch {
			case sum < want && p.courses < c:
				p.courses++
				sum++
				moved = true
			case sum > want && p.courses > 0:
				p.courses--
				sum--
				moved = true
			}
			if sum == want {
				break
			}
		}
		if !moved {
			break
		}
	}
}

// dayWeights computes the cumulative enrolment intensity of each day of the
// three years: a base of 1, more after elections (fading over half a year),
// less in July, August and December.
func (g *generator) dayWeights() {
	a := g.from.In(courses.Amsterdam)
	g.day0 = day(a.Year(), a.Month(), a.Day())
	b := g.now.In(courses.Amsterdam)
	last := day(b.Year(), b.Month(), b.Day())
	n := int(last.Sub(g.day0).Hours()/24) + 1
	g.cumDays = make([]float64, n+1)
	for i := range n {
		t := g.day0.AddDate(0, 0, i)
		w := 1.0
		for _, e := range elections {
			since := t.Sub(e.day).Hours()/24 - 14 // the councils are sworn in first
			if since >= 0 && since < 180 {
				w += e.weight * math.Exp(-since/60)
			}
		}
		switch t.Month() {
		case time.July, time.August:
			w *= 0.5
		case time.December:
			w *= 0.7
		}
		g.cumDays[i+1] = g.cumDays[i] + w
	}
}

// enrolmentTime draws a moment from lo to hi by the day weights, in the
// daytime or evening (Amsterdam), to the second.
func (g *generator) enrolmentTime(lo, hi time.Time) time.Time {
	idx := func(t time.Time) int {
		a := t.In(courses.Amsterdam)
		i := int(day(a.Year(), a.Month(), a.Day()).Sub(g.day0).Hours() / 24)
		return min(max(i, 0), len(g.cumDays)-2)
	}
	i, j := idx(lo), idx(hi)
	u := g.cumDays[i] + g.rng.Float64()*(g.cumDays[j+1]-g.cumDays[i])
	k := sort.SearchFloat64s(g.cumDays, u) - 1
	k = min(max(k, i), j)
	d := g.day0.AddDate(0, 0, k)
	t := time.Date(d.Year(), d.Month(), d.Day(), 7+g.rng.IntN(16), g.rng.IntN(60), g.rng.IntN(60), 0, courses.Amsterdam).UTC()
	if t.Before(lo) {
		t = lo
	}
	if t.After(hi) {
		t = hi
	}
	return t
}

// attribution is where an enrolment of p at t counts: attribute's rule
// (a term that covers the day first, then the office's position, then the
// order of the rows).
func (g *generator) attribution(p *genPerson, t time.Time) (courses.Office, string) {
	d := t.In(courses.Amsterdam).Format(time.DateOnly)
	best, bestCovers := -1, 0
	for i, o := range p.offices {
		c := 1
		if o.covers(d) {
			c = 0
		}
		if best < 0 || cmp.Or(cmp.Compare(c, bestCovers), cmp.Compare(g.position[o.office], g.position[p.offices[best].office])) < 0 {
			best, bestCovers = i, c
		}
	}
	return p.offices[best].office, p.offices[best].cbs
}

// Synthetic names: Dutch and Frisian, and those of the Netherlands'
// Turkish, Moroccan, Surinamese, Polish and other families, with their
// diacritics and particles.
var (
	firstNames = []string{
		"Jan", "Pieter", "Sanne", "Emma", "Daan", "Lotte", "Sem", "Fenna", "Anouk", "Bram", "Noor", "Ruben", "Esther",
		"Willemijn", "Gerrit", "Hendrika", "Jan-Willem", "Anne-Marie", "Kees", "Marieke", "Thijs", "Femke", "Joost",
		"Ayşe", "Mehmet", "Elif", "Hüseyin", "Zeynep", "Emre", "Gülşen", "Özlem", "Çağla",
		"Mohamed", "Fatima", "Youssef", "Saïda", "Khadija", "Hicham", "Naïma", "Soufiane",
		"Zoë", "Chloë", "Joëlle", "Noëlle", "Daniël", "Michiel", "Anaïs", "Renée", "André", "Irène", "José",
		"Wytske", "Sjoerd", "Tjitske", "Aukje", "Jelte", "Hylke", "Sytske",
		"Priya", "Rajesh", "Shanti", "Kwame", "Nadia", "Xiomara",
		"Łukasz", "Agnieszka", "Małgorzata", "Dariusz", "Björn", "Søren", "Inês", "João", "Thanh", "Mei",
	}
	lastNames = []string{
		"de Vries", "van den Berg", "van Dijk", "Bakker", "Jansen", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
		"de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
		"van 't Hoff", "van der Meer", "in 't Veld", "ter Horst", "van der Heijden", "de Jong", "Hoekstra", "Sijbrandij",
		"de Bruïne", "Wijnstra", "van Hoëvell",
		"Çelik", "Yılmaz", "Öztürk", "Kaya", "Doğan", "Şahin", "Koç",
		"el Idrissi", "Bouzid", "Aït Taleb", "el Amrani", "Boukhari",
		"Ramdin", "Soerjadi", "Kartosen", "Nguyễn", "Łukasiewicz", "Kowalski", "Wiśniewska", "Müller",
	}
)

// name draws a full name: a first name and a surname, sometimes two joined
// by a hyphen ("Ayşe Çelik-van 't Hoff").
func (g *generator) name() string {
	first := firstNames[g.rng.IntN(len(firstNames))]
	last := lastNames[g.rng.IntN(len(lastNames))]
	if g.rng.IntN(10) == 0 {
		if second := lastNames[g.rng.IntN(len(lastNames))]; second != last {
			last += "-" + second
		}
	}
	return first + " " + last
}

// emailOf makes a unique address from a name: "ayse.celik-vanthoff.17@…".
func emailOf(name string, n int, domain string) string {
	first, last, _ := strings.Cut(name, " ")
	return asciiWord(first) + "." + asciiWord(last) + "." + strconv.Itoa(n) + "@" + domain
}

// asciiWord folds s to lower-case ASCII letters, digits and hyphens.
func asciiWord(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(courses.SearchText(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == 'ı':
			b.WriteByte('i')
		case unicode.Is(unicode.Mn, r), r == ' ', r == '\'':
		}
	}
	return b.String()
}

// peopleBatch is how many people go in one transaction.
const peopleBatch = 5000

// writePeople writes the accounts, their offices and memberships.
func (g *generator) writePeople(ctx context.Context) error {
	now := g.d.Now().UTC().Truncate(time.Second)
	for startIdx := 0; startIdx < len(g.people); startIdx += peopleBatch {
		batch := g.people[startIdx:min(startIdx+peopleBatch, len(g.people))]
		err := g.inBulk(ctx, func(b bulkWriter) error {
			ids, err := b.ids(ctx, "users", len(batch))
			if err != nil {
				return err
			}
			users := make([][]any, len(batch))
			var offices, members [][]any
			for i, p := range batch {
				p.id = ids[i]
				created := p.lo.In(courses.Amsterdam)
				created = time.Date(created.Year(), created.Month(), created.Day(), 0, 0, 0, 0, courses.Amsterdam).UTC()
				if created.After(now) {
					created = now
				}
				users[i] = []any{p.id, p.email, p.name, string(courses.RoleLearner), unusablePassword, "nl", false, true, created, created}
				for _, o := range p.offices {
					var cbs, ends any
					if o.cbs != "" {
						cbs = o.cbs
					}
					if !o.ends.IsZero() {
						ends = o.ends
					}
					offices = append(offices, []any{p.id, string(o.office), cbs, o.starts, ends})
				}
				for k, a := range g.assocs {
					if p.assoc&(1<<k) != 0 {
						members = append(members, []any{a.id, p.id, false, created})
					}
				}
			}
			if err := b.insert(ctx, "users", []string{"id", "email", "name", "role", "password_hash", "language", "demo", "active", "created_at", "updated_at"}, users); err != nil {
				return err
			}
			if err := b.insert(ctx, "user_offices", []string{"user_id", "office", "cbs_code", "starts_on", "ends_on"}, offices); err != nil {
				return err
			}
			return b.insert(ctx, "association_members", []string{"association_id", "user_id", "is_admin", "joined_at"}, members)
		})
		if err != nil {
			return err
		}
		g.opt.Progress("people", startIdx+len(batch), len(g.people))
	}
	return nil
}

// Enrolments are written enrolmentBatch at a time, in transactions of
// about enrolmentsPerTx: large ones, since every transaction rewrites most
// pages of the indexes it touches (certificate numbers are random, and the
// statistics' cells spread over all courses and months).
const (
	enrolmentBatch  = 20_000
	enrolmentsPerTx = 200_000
)

var (
	enrolmentColumns = []string{"id", "user_id", "course_id", "version_id", "enrolled_at", "updated_at", "completed_at", "source",
		"completion_kind", "expires_at", "stats_office", "stats_cbs", "stats_month"}
	certificateColumns = []string{"number", "enrolment_id", "user_id", "course_id", "version_id", "course_slug", "course_title",
		"course_summary", "course_version", "study_hours", "language", "holder_name", "holder_search", "completed_at", "issued_at",
		"expires_at", "issuer", "signatory", "signatory_role"}
)

// genEnrolment is one planned enrolment.
type genEnrolment struct {
	person    *genPerson
	course    *genCourse
	enrolled  time.Time
	completed time.Time // zero: not (yet) completed
	source    string
}

// writeEnrolments plans and writes the enrolments, certificates and
// statistics, people after people.
func (g *generator) writeEnrolments(ctx context.Context, sum *GenerateSummary) error {
	total := 0
	for _, p := range g.people {
		total += p.courses
	}
	next, written := 0, 0 // the next person; enrolments written
	var batch []genEnrolment
	for next < len(g.people) {
		var enrolments, completions, certificates int
		err := g.inBulk(ctx, func(b bulkWriter) error {
			enrolments, completions, certificates = 0, 0, 0
			cells := map[statsCell][2]int{}
			for enrolments < enrolmentsPerTx && next < len(g.people) {
				batch = g.planEnrolments(g.people[next], batch)
				next++
				if len(batch) < enrolmentBatch && next < len(g.people) {
					continue
				}
				done, err := g.writeEnrolmentBatch(ctx, b, batch, cells)
				if err != nil {
					return err
				}
				enrolments += len(batch)
				completions += done
				certificates += done
				batch = batch[:0]
				g.opt.Progress("enrolments", written+enrolments, total)
			}
			return g.addStats(ctx, b, cells)
		})
		if err != nil {
			return err
		}
		written += enrolments
		sum.Enrolments += enrolments
		sum.Completions += completions
		sum.Certificates += certificates
	}
	return nil
}

// planEnrolments appends p's enrolments to batch: p.courses distinct
// courses, by weighted sampling without replacement (Efraimidis–Spirakis)
// in which the courses for one of p's offices weigh eight times more.
func (g *generator) planEnrolments(p *genPerson, batch []genEnrolment) []genEnrolment {
	if p.courses == 0 {
		return batch
	}
	if len(g.keys) != len(g.courses) {
		g.keys, g.order = make([]float64, len(g.courses)), make([]int, len(g.courses))
	}
	for i := range g.courses {
		c := &g.courses[i]
		w := c.popularity
		for _, o := range p.offices {
			if c.audience[o.office] {
				w *= 8
				break
			}
		}
		g.keys[i] = math.Log(1-g.rng.Float64()) / w
		g.order[i] = i
	}
	sort.SliceStable(g.order, func(a, b int) bool { return g.keys[g.order[a]] > g.keys[g.order[b]] })
	member := p.assoc&^assocVNG != 0
	for _, ci := range g.order[:p.courses] {
		c := &g.courses[ci]
		e := genEnrolment{person: p, course: c, source: courses.SourceSelf}
		e.enrolled = g.enrolmentTime(p.lo, p.hi)
		if member && g.rng.Float64() < 0.25 {
			e.source = courses.SourceAssociation
		}
		if g.rng.Float64() < c.completion {
			u := g.rng.Float64()
			done := e.enrolled.Add(time.Duration(1+int(119*u*u))*24*time.Hour + time.Duration(g.rng.IntN(8*3600))*time.Second)
			if !done.After(g.now) {
				e.completed = done
			}
		}
		batch = append(batch, e)
	}
	return batch
}

// writeEnrolmentBatch writes enrolments and the certificates of the
// completed ones, adds them to the statistics' cells and returns the
// number of completions.
func (g *generator) writeEnrolmentBatch(ctx context.Context, b bulkWriter, batch []genEnrolment, cells map[statsCell][2]int) (int, error) {
	ids, err := b.ids(ctx, "enrolments", len(batch))
	if err != nil {
		return 0, err
	}
	rows := make([][]any, len(batch))
	var certs [][]any
	for i, e := range batch {
		office, cbs := g.attribution(e.person, e.enrolled)
		month := courses.MonthOf(e.enrolled)
		var completed, expires any
		kind, updated := "", e.enrolled
		if !e.completed.IsZero() {
			completed, kind, updated = e.completed, courses.CompletionRule, e.completed
			if exp := courses.ExpiryOf(e.course.Validity, e.completed); exp != nil {
				expires = *exp
			}
			certs = append(certs, []any{g.certificateNumber(e.completed), ids[i], e.person.id, e.course.ID, e.course.VersionID,
				e.course.Slug, e.course.Title, e.course.Summary, e.course.Number, e.course.StudyHours, e.course.Language,
				e.person.name, courses.SearchText(e.person.name), e.completed, e.completed, expires,
				g.opt.Issuer.Name, g.opt.Issuer.Signatory, g.opt.Issuer.SignatoryRole})
		}
		rows[i] = []any{ids[i], e.person.id, e.course.ID, e.course.VersionID, e.enrolled, updated, completed, e.source,
			kind, expires, string(office), cbs, int(month)}
		g.count(cells, e, office, cbs, month)
	}
	if err := b.insert(ctx, "enrolments", enrolmentColumns, rows); err != nil {
		return 0, err
	}
	// In the order of their numbers, which the unique index keeps.
	slices.SortFunc(certs, func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) })
	if err := b.insert(ctx, "certificates", certificateColumns, certs); err != nil {
		return 0, err
	}
	return len(certs), nil
}

// statsCell is a cell of the statistics' roll-up by municipality: an
// association (index in assocs plus one; 0 for the platform), a course
// (index in courses), an office, a municipality (index in munis; -1 for
// none) and a month.
type statsCell struct {
	assoc, office int8
	course        int16
	muni          int16
	month         int32
}

// count adds enrolment e, attributed to office, cbs and month, to the
// cells of the platform and of each association of its learner.
func (g *generator) count(cells map[statsCell][2]int, e genEnrolment, office courses.Office, cbs string, month courses.Month) {
	muni := -1
	if cbs != "" {
		muni = g.muniIdx[cbs]
	}
	c := statsCell{office: int8(slices.Index(courses.Offices, office)), course: int16(e.course.index), muni: int16(muni), month: int32(month)}
	done := 0
	if !e.completed.IsZero() {
		done = 1
	}
	for a := range len(g.assocs) + 1 {
		if a > 0 && e.person.assoc&(1<<(a-1)) == 0 {
			continue
		}
		c.assoc = int8(a)
		n := cells[c]
		cells[c] = [2]int{n[0] + 1, n[1] + done}
	}
}

// addStats adds the cells to the roll-ups by municipality and by province,
// as FoldStats adds deltas (PostgreSQL: under its lock).
func (g *generator) addStats(ctx context.Context, b bulkWriter, cells map[statsCell][2]int) error {
	keys := make([]statsCell, 0, len(cells))
	for c := range cells {
		keys = append(keys, c)
	}
	slices.SortFunc(keys, func(a, b statsCell) int {
		return cmp.Or(cmp.Compare(a.assoc, b.assoc), cmp.Compare(a.course, b.course), cmp.Compare(a.office, b.office),
			cmp.Compare(a.muni, b.muni), cmp.Compare(a.month, b.month))
	})
	type provinceCell struct {
		assoc, office int8
		course        int16
		province      string
		month         int32
	}
	provinces := map[provinceCell][2]int{}
	var provinceKeys []provinceCell
	rows := make([][]any, len(keys))
	for i, c := range keys {
		n := cells[c]
		assoc := int64(0)
		if c.assoc > 0 {
			assoc = g.assocs[c.assoc-1].id
		}
		province, cbs := "", ""
		if c.muni >= 0 {
			province, cbs = g.munis[c.muni].Province, g.munis[c.muni].CBS
		}
		rows[i] = []any{assoc, g.courses[c.course].ID, string(courses.Offices[c.office]), province, cbs, int(c.month), n[0], n[1]}
		p := provinceCell{c.assoc, c.office, c.course, province, c.month}
		if _, ok := provinces[p]; !ok {
			provinceKeys = append(provinceKeys, p)
		}
		pn := provinces[p]
		provinces[p] = [2]int{pn[0] + n[0], pn[1] + n[1]}
	}
	if err := b.lockStats(ctx); err != nil {
		return err
	}
	if err := b.upsert(ctx, "stats_municipalities", statsMunicipalityColumns, statsMunicipalityKey, rows); err != nil {
		return err
	}
	slices.SortFunc(provinceKeys, func(a, b provinceCell) int {
		return cmp.Or(cmp.Compare(a.assoc, b.assoc), cmp.Compare(a.course, b.course), cmp.Compare(a.office, b.office),
			cmp.Compare(a.province, b.province), cmp.Compare(a.month, b.month))
	})
	rows = make([][]any, len(provinceKeys))
	for i, p := range provinceKeys {
		n := provinces[p]
		assoc := int64(0)
		if p.assoc > 0 {
			assoc = g.assocs[p.assoc-1].id
		}
		rows[i] = []any{assoc, g.courses[p.course].ID, string(courses.Offices[p.office]), p.province, int(p.month), n[0], n[1]}
	}
	if err := b.upsert(ctx, "stats_provinces", statsProvinceColumns, statsProvinceKey, rows); err != nil {
		return err
	}
	// The coarser roll-ups: without the place, and without the office
	// (rows[i] is association, course, office, province, month, counts).
	for _, coarse := range []struct {
		table, key string
		cols       []string
		by         int // the column of rows[i] it keeps: the office or the province
	}{
		{"stats_offices", "association_id, course_id, office, month", []string{"association_id", "course_id", "office", "month", "enrolled", "completed"}, 2},
		{"stats_places", "association_id, course_id, province, month", []string{"association_id", "course_id", "province", "month", "enrolled", "completed"}, 3},
	} {
		type key struct {
			assoc, course int64
			by            string
			month         int
		}
		sums := map[key][2]int{}
		var keys []key
		for _, r := range rows {
			k := key{r[0].(int64), r[1].(int64), r[coarse.by].(string), r[4].(int)}
			n, ok := sums[k]
			if !ok {
				keys = append(keys, k)
			}
			sums[k] = [2]int{n[0] + r[5].(int), n[1] + r[6].(int)}
		}
		slices.SortFunc(keys, func(a, b key) int {
			return cmp.Or(cmp.Compare(a.assoc, b.assoc), cmp.Compare(a.course, b.course), cmp.Compare(a.by, b.by), cmp.Compare(a.month, b.month))
		})
		out := make([][]any, len(keys))
		for i, k := range keys {
			out[i] = []any{k.assoc, k.course, k.by, k.month, sums[k][0], sums[k][1]}
		}
		if err := b.upsert(ctx, coarse.table, coarse.cols, coarse.key, out); err != nil {
			return err
		}
	}
	return nil
}

// The roll-ups' columns, ending in the counts, and their primary keys.
var (
	statsMunicipalityColumns = []string{"association_id", "course_id", "office", "province", "cbs_code", "month", "enrolled", "completed"}
	statsMunicipalityKey     = "association_id, course_id, office, cbs_code, month"
	statsProvinceColumns     = []string{"association_id", "course_id", "office", "province", "month", "enrolled", "completed"}
	statsProvinceKey         = "association_id, course_id, office, province, month"
)

// certificateNumber draws a number for a certificate issued at t that is
// not taken yet, in the database or in this run.
func (g *generator) certificateNumber(t time.Time) string {
	for {
		n := courses.NewCertificateNumber(t.In(courses.Amsterdam).Year())
		if !g.numbers[n] {
			g.numbers[n] = true
			return n
		}
	}
}

// bulkWriter writes many rows in one transaction: PostgreSQL's COPY
// through the pgx pool beside database/sql, or multi-row INSERTs of
// prepared statements on SQLite.
type bulkWriter interface {
	// ids reserves n new ids of table, ascending.
	ids(ctx context.Context, table string, n int) ([]int64, error)
	// insert writes rows (values in the order of cols) into table.
	insert(ctx context.Context, table string, cols []string, rows [][]any) error
	// upsert writes rows into a statistics roll-up whose primary key is
	// key, adding the counts (enrolled, completed: the last columns) to a
	// row with the same key.
	upsert(ctx context.Context, table string, cols []string, key string, rows [][]any) error
	// lockStats takes the lock of FoldStats and RebuildStats until the
	// transaction ends.
	lockStats(ctx context.Context) error
}

// bulkConnection returns a connection of SQLite's pool for the batches, set
// up for many large transactions: a page cache of 64 MiB (SQLite's default
// is 2 MB, far smaller than the indexes being filled) and a checkpoint every
// 80 MB of write-ahead log instead of every 4 MB, so that pages written by
// several transactions go to the database file once. restore sets both
// back and returns the connection to the pool.
func bulkConnection(ctx context.Context, d *DB) (conn *sql.Conn, restore func(), err error) {
	conn, err = d.DB.DB.Conn(ctx)
	if err != nil {
		return nil, nil, wrap(err, "connection")
	}
	var cache, checkpoint int
	err = conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache)
	if err == nil {
		err = conn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&checkpoint)
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "PRAGMA cache_size = -65536")
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 20000")
	}
	restore = func() {
		ctx := context.WithoutCancel(ctx)
		_, _ = conn.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(cache))
		_, _ = conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = "+strconv.Itoa(checkpoint))
		conn.Close()
	}
	if err != nil {
		restore()
		return nil, nil, wrap(err, "set up connection")
	}
	return conn, restore, nil
}

// inBulk runs fn in a transaction with a bulkWriter and commits when it
// returns nil.
func (g *generator) inBulk(ctx context.Context, fn func(bulkWriter) error) error {
	if g.d.Kind == Postgres {
		if g.d.pool == nil {
			return courses.Errorf(courses.EINTERNAL, "no pgx pool: open the database with Open")
		}
		tx, err := g.d.pool.Begin(ctx)
		if err != nil {
			return wrap(err, "begin")
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it does nothing
		if err := fn(&pgxBulk{tx: tx}); err != nil {
			return err
		}
		return wrap(tx.Commit(ctx), "commit")
	}
	tx, err := g.conn.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "begin")
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	b := &sqlBulk{tx: tx, stmts: map[string]*sql.Stmt{}}
	if err := fn(b); err != nil {
		return err
	}
	return wrap(tx.Commit(), "commit")
}

// upsertSQL is the INSERT of n rows into a roll-up that adds to the rows
// there: with ? placeholders, or $1… when dollar.
func upsertSQL(table string, cols []string, key string, n int, dollar bool) string {
	var q strings.Builder
	writeInsert(&q, table, cols, n, dollar)
	q.WriteString(" ON CONFLICT (" + key + ") DO UPDATE SET enrolled = " + table + ".enrolled + excluded.enrolled, completed = " +
		table + ".completed + excluded.completed")
	return q.String()
}

// writeInsert writes the INSERT of n rows of cols into table.
func writeInsert(q *strings.Builder, table string, cols []string, n int, dollar bool) {
	q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j := range cols {
			if j > 0 {
				q.WriteString(", ")
			}
			p++
			if dollar {
				q.WriteString("$" + strconv.Itoa(p))
			} else {
				q.WriteByte('?')
			}
		}
		q.WriteByte(')')
	}
}

// pgxBulk writes through a native pgx transaction.
type pgxBulk struct {
	tx   pgx.Tx
	args []any
}

const reserveIDsSQL = "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)"

func (b *pgxBulk) ids(ctx context.Context, table string, n int) ([]int64, error) {
	rows, err := b.tx.Query(ctx, reserveIDsSQL, table, n)
	if err != nil {
		return nil, wrap(err, "reserve ids")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, wrap(err, "reserve ids")
	}
	slices.Sort(ids)
	return ids, nil
}

func (b *pgxBulk) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := b.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return wrap(err, "write "+table)
}

// pgxUpsertRows is the number of rows of one upsert on PostgreSQL (at most
// 65,535 parameters).
const pgxUpsertRows = 2000

func (b *pgxBulk) upsert(ctx context.Context, table string, cols []string, key string, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), pgxUpsertRows)
		b.args = b.args[:0]
		for _, r := range rows[:n] {
			b.args = append(b.args, r...)
		}
		if _, err := b.tx.Exec(ctx, upsertSQL(table, cols, key, n, true), b.args...); err != nil {
			return wrap(err, "add to "+table)
		}
		rows = rows[n:]
	}
	return nil
}

func (b *pgxBulk) lockStats(ctx context.Context) error {
	_, err := b.tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", statsFoldLock)
	return wrap(err, "statistics lock")
}

// sqlBulk writes to SQLite through database/sql, with INSERTs of up to
// sqlBulkRows rows, prepared once per transaction and shape.
type sqlBulk struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	args  []any
}

// sqlBulkRows is the number of rows of one INSERT: large enough to save
// most of the per-statement cost, small enough for SQLite's limit of
// 32,766 parameters.
const sqlBulkRows = 500

// ids takes the ids after the largest one: the transaction holds SQLite's
// write lock, so nobody else takes them until it commits.
func (b *sqlBulk) ids(ctx context.Context, table string, n int) ([]int64, error) {
	var last int64
	if err := b.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&last); err != nil {
		return nil, wrap(err, "reserve ids")
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	return ids, nil
}

func (b *sqlBulk) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	return b.exec(ctx, table, rows, func(n int) string {
		var q strings.Builder
		writeInsert(&q, table, cols, n, false)
		return q.String()
	})
}

func (b *sqlBulk) upsert(ctx context.Context, table string, cols []string, key string, rows [][]any) error {
	return b.exec(ctx, table+"+", rows, func(n int) string { return upsertSQL(table, cols, key, n, false) })
}

// lockStats does nothing: SQLite's writers take turns anyway.
func (b *sqlBulk) lockStats(context.Context) error { return nil }

// exec runs the statement that query makes for n rows over rows, up to
// sqlBulkRows at a time, each shape prepared once under name.
func (b *sqlBulk) exec(ctx context.Context, name string, rows [][]any, query func(n int) string) error {
	for len(rows) > 0 {
		n := min(len(rows), sqlBulkRows)
		key := name + "/" + strconv.Itoa(n)
		stmt := b.stmts[key]
		if stmt == nil {
			var err error
			if stmt, err = b.tx.PrepareContext(ctx, query(n)); err != nil {
				return wrap(err, "prepare "+name)
			}
			b.stmts[key] = stmt
		}
		b.args = b.args[:0]
		for _, r := range rows[:n] {
			b.args = append(b.args, r...)
		}
		if _, err := stmt.ExecContext(ctx, b.args...); err != nil {
			return wrap(err, "write "+name)
		}
		rows = rows[n:]
	}
	return nil
}
