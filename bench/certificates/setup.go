package main

// Set-up done directly in the database before the server starts: the
// courses, the accounts, and the ZIP's certificates with their PDFs.

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raadzaam/raadzaam/app/pdf"
	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db" // also registers the "sqlite" driver
	"github.com/uptrace/bun"
)

// password is every benchmark account's password.
const password = "certificaat-bench-2026"

func memberEmail(i int) string { return fmt.Sprintf("lid%06d@bench.raadzaam.test", i) }

const adminEmail = "beheerder@bench.raadzaam.test"

// Client addresses of the sign-ins that are not a learner's first.
const (
	addrHolder = 100_000 + iota
	addrAdmin
)

var (
	firstNames = []string{"Anna", "Jan", "Fatima", "Mohammed", "Sanne", "Pieter", "Ayşe", "Zoë", "Daan", "Noor",
		"Sem", "Eva", "Lars", "Inge", "Hüseyin", "Renée", "Chloë", "Björn", "Joost", "Marieke", "Kees", "Ilse",
		"Tjitske", "Sjoerd", "Łucja", "Priya", "Yusuf", "Femke", "Bram", "Anne-Marie"}
	surnames = []string{"de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
		"Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
		"Dijkstra", "Smits", "Çelik", "Yılmaz", "van 't Hoff", "El Amrani", "Schröder", "Kowalski",
		"van der Linden-Hoekstra", "Ruiz García", "Sørensen", "Oude Groeniger"}
)

// holderName is person i's name: 900 combinations, some with letters
// outside ASCII, as the PDF's font subset must then differ.
func holderName(i int) string {
	return firstNames[i%len(firstNames)] + " " + surnames[(i/len(firstNames))%len(surnames)]
}

// shortSlug is the slug of the one-lesson course made of course's first
// lesson.
func shortSlug(course string) string { return course + "-kort" }

// importCourses imports the shipped catalogue and the one-lesson course
// into the empty database, published, so that the server's first start
// seeds nothing. It returns the shipped courses.
func importCourses(ctx context.Context, d *db.DB, course string) ([]*courses.Course, error) {
	list, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		return nil, err
	}
	var base *courses.Course
	for _, c := range list {
		if c.Slug == course {
			base = c
		}
	}
	if base == nil {
		return nil, fmt.Errorf("-course %s is not a shipped course", course)
	}
	short := *base
	short.Slug, short.Prerequisites, short.Files = shortSlug(course), nil, slices.Clone(base.Files)
	short.Modules = nil
	for _, m := range base.Modules {
		for _, a := range m.Activities {
			if a.Kind == courses.KindLesson && short.Modules == nil {
				m.Activities = []courses.Activity{a}
				short.Modules = []courses.Module{m}
			}
		}
	}
	if short.Modules == nil {
		return nil, fmt.Errorf("course %s has no lesson", course)
	}
	all := append(slices.Clone(list), &short)
	if err := db.NewCourseService(d).SaveCourses(ctx, all, courses.ImportOptions{Publish: true}); err != nil {
		return nil, fmt.Errorf("import the catalogue and %s: %w", short.Slug, err)
	}
	return list, nil
}

// createLearners creates n learners with the same argon2id hash and
// returns their user ids.
func createLearners(ctx context.Context, d *db.DB, n, conc int, hash string) ([]int64, error) {
	return benchkit.CreateUsers(ctx, d, n, conc, func(i int) *courses.NewUser {
		return &courses.NewUser{Email: benchkit.LearnerEmail(i), Name: holderName(i), Role: courses.RoleLearner, Language: "nl", PasswordHash: hash}
	})
}

// createAdmin creates the administrator of association slug with two-factor
// sign-in on, as the role requires, and returns the TOTP secret.
func createAdmin(ctx context.Context, d *db.DB, slug, hash string) (string, error) {
	us := db.NewUserService(d)
	u, err := us.CreateUser(ctx, &courses.NewUser{Email: adminEmail, Name: "Beheerder Vereniging", Role: courses.RoleAssociationAdmin,
		Language: "nl", AdminOf: []string{slug}, PasswordHash: hash})
	if err != nil {
		return "", fmt.Errorf("create the association administrator: %w", err)
	}
	secret := courses.NewTOTPSecret()
	if err := us.BeginTwoFactor(ctx, u.ID, secret); err != nil {
		return "", err
	}
	// The step is in the past, so that the sign-in's code is a newer one.
	if err := us.EnableTwoFactor(ctx, u.ID, courses.TOTPStep(time.Now())-2, nil); err != nil {
		return "", err
	}
	return secret, nil
}

// ---------------------------------------------------------------------------
// The certificate's page, as app/certificates.go's document makes it in
// Dutch with the default issuer.

// facts is what a certificate says.
type facts struct {
	number, holder, course string
	version                int
	hours                  float64
	completed, issued      time.Time
	expires                *time.Time
}

var months = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
	"oktober", "november", "december"}

func dutchDate(t time.Time) string {
	t = t.In(courses.Amsterdam)
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

func dutchHours(h float64) string {
	return strings.Replace(strconv.FormatFloat(h, 'f', -1, 64), ".", ",", 1) + " uur"
}

// document is the page of f, with every text of app/locales/nl.json.
func document(f facts, baseURL string) *pdf.Certificate {
	const issuer = "Raadzaam" // db.DefaultIssuer: no signatory
	details := []string{
		fmt.Sprintf("Versie %d · %s studiebelasting", f.version, dutchHours(f.hours)),
		"Afgerond op " + dutchDate(f.completed),
	}
	if f.expires != nil {
		details = append(details, "Geldig tot "+dutchDate(*f.expires))
	}
	return &pdf.Certificate{
		Lang:        "nl-NL",
		Heading:     "Certificaat",
		Intro:       issuer + " verklaart dat",
		Holder:      f.holder,
		Achievement: "de cursus met goed gevolg heeft afgerond",
		Course:      f.course,
		Details:     details,
		Issuer:      issuer,
		NumberLabel: "Certificaatnummer",
		Number:      f.number,
		VerifyLabel: "Controleer dit certificaat op",
		VerifyURL:   baseURL + "/verifieer/" + f.number,
		Title:       "Certificaat " + f.course + " – " + f.holder,
		Author:      issuer,
		Subject:     "Certificaat " + f.number + " voor de cursus " + f.course,
		Keywords:    strings.Join([]string{"Raadzaam", "Certificaat", f.number}, ", "),
		Issued:      f.issued,
	}
}

// sampleFacts are n certificates of the course, with varied holders and
// fresh numbers, issued now.
func sampleFacts(n int, c *courses.Course) []facts {
	now := time.Now().UTC()
	out := make([]facts, n)
	for i := range out {
		f := facts{number: courses.NewCertificateNumber(now.In(courses.Amsterdam).Year()), holder: holderName(i),
			course: c.Title, version: 1, hours: c.StudyHours, completed: now, issued: now}
		if c.ValidityMonths > 0 {
			e := now.AddDate(0, c.ValidityMonths, 0)
			f.expires = &e
		}
		out[i] = f
	}
	return out
}

// renderAll renders the pages of list on every core.
func renderAll(ctx context.Context, list []facts, baseURL string) ([][]byte, error) {
	out := make([][]byte, len(list))
	assets := pdf.DefaultAssets()
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range max(1, runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(list) || ctx.Err() != nil {
					return
				}
				b, err := pdf.Render(document(list[i], baseURL), assets)
				if err != nil {
					mu.Lock()
					first = cmpErr(first, fmt.Errorf("render %s: %w", list[i].number, err))
					mu.Unlock()
					return
				}
				out[i] = b
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return out, first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// ---------------------------------------------------------------------------
// The ZIP's certificates, inserted directly

// Rows as the migrations define them (db/migrations/*), for Bun's bulk
// inserts. Timestamps go through Bun like the application's own, so they
// are stored in the same format.
type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Email        string    `bun:"email"`
	Name         string    `bun:"name"`
	Role         string    `bun:"role"`
	PasswordHash string    `bun:"password_hash"`
	Language     string    `bun:"language"`
	Active       bool      `bun:"active"`
	Demo         bool      `bun:"demo"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

type memberRow struct {
	bun.BaseModel `bun:"table:association_members"`

	AssociationID int64     `bun:"association_id,pk"`
	UserID        int64     `bun:"user_id,pk"`
	IsAdmin       bool      `bun:"is_admin"`
	JoinedAt      time.Time `bun:"joined_at"`
}

type certificateRow struct {
	bun.BaseModel `bun:"table:certificates"`

	ID            int64      `bun:"id,pk,autoincrement"`
	Number        string     `bun:"number"`
	UserID        int64      `bun:"user_id"`
	CourseSlug    string     `bun:"course_slug"`
	CourseTitle   string     `bun:"course_title"`
	CourseSummary string     `bun:"course_summary"`
	CourseVersion int        `bun:"course_version"`
	StudyHours    float64    `bun:"study_hours"`
	Language      string     `bun:"language"`
	HolderName    string     `bun:"holder_name"`
	HolderSearch  string     `bun:"holder_search"`
	CompletedAt   time.Time  `bun:"completed_at"`
	IssuedAt      time.Time  `bun:"issued_at"`
	ExpiresAt     *time.Time `bun:"expires_at"`
	Issuer        string     `bun:"issuer"`
}

type pdfRow struct {
	bun.BaseModel `bun:"table:certificate_pdfs"`

	CertificateID int64  `bun:"certificate_id,pk"`
	PDF           []byte `bun:"pdf"`
}

// zipSeed is what seedZIP inserted.
type zipSeed struct {
	numbers        map[string]bool
	from, to       time.Time // the first and last issue
	pdfBytes       int64     // of all PDFs
	distinct       int
	took           time.Duration
	renderTook     time.Duration
	association    string
	associationID  int64
	certificatesDB int // certificates of the association's members in the database afterwards
}

// zipPlan is the ZIP's certificates, drawn and rendered once and inserted
// into each database.
type zipPlan struct {
	facts []facts
	pdfs  [][]byte // pdfs[i % len(pdfs)] is certificate i's
	took  time.Duration
}

// planZIP draws the n certificates of the ZIP: members with varied names,
// the shipped courses in turn, issued evenly from election day until an
// hour ago; and renders the first distinct of them.
func planZIP(ctx context.Context, n, distinct int, shipped []*courses.Course, baseURL string) (*zipPlan, error) {
	start := time.Date(2026, 3, 18, 9, 0, 0, 0, courses.Amsterdam).UTC()
	end := time.Now().UTC().Add(-time.Hour)
	if !end.After(start) {
		start = end.AddDate(0, -6, 0)
	}
	seen := map[string]bool{}
	p := &zipPlan{facts: make([]facts, n)}
	for i := range p.facts {
		c := shipped[i%len(shipped)]
		at := start.Add(time.Duration(float64(end.Sub(start)) * float64(i) / float64(max(1, n-1)))).Truncate(time.Microsecond)
		var number string
		for number == "" || seen[number] {
			number = courses.NewCertificateNumber(at.In(courses.Amsterdam).Year())
		}
		seen[number] = true
		f := facts{number: number, holder: holderName(i), course: c.Title, version: 1, hours: c.StudyHours, completed: at, issued: at}
		if c.ValidityMonths > 0 {
			e := at.AddDate(0, c.ValidityMonths, 0)
			f.expires = &e
		}
		p.facts[i] = f
	}
	t0 := time.Now()
	var err error
	if p.pdfs, err = renderAll(ctx, p.facts[:distinct], baseURL); err != nil {
		return nil, err
	}
	p.took = time.Since(t0)
	return p, nil
}

// seedZIP inserts a member of association slug for every certificate of
// plan, the certificate and its PDF, in batches.
func seedZIP(ctx context.Context, d *db.DB, plan *zipPlan, shipped []*courses.Course, slug, hash string) (*zipSeed, error) {
	t0 := time.Now()
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := &zipSeed{numbers: map[string]bool{}, association: slug, distinct: len(plan.pdfs), renderTook: plan.took}
	if err := d.NewSelect().TableExpr("associations").Column("id").Where("slug = ?", slug).Scan(ctx, &s.associationID); err != nil {
		return nil, fmt.Errorf("association %s: %w", slug, err)
	}
	byTitle := map[string]*courses.Course{}
	for _, c := range shipped {
		byTitle[c.Title] = c
	}
	const batch = 500
	n := len(plan.facts)
	// Members.
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		users := make([]userRow, 0, hi-lo)
		for i := lo; i < hi; i++ {
			users = append(users, userRow{Email: memberEmail(i), Name: plan.facts[i].holder, Role: string(courses.RoleLearner),
				PasswordHash: hash, Language: "nl", Active: true, CreatedAt: now, UpdatedAt: now})
		}
		if _, err := d.NewInsert().Model(&users).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert members %d–%d: %w", lo, hi, err)
		}
	}
	var users []userRow
	if err := d.NewSelect().Model(&users).Column("id", "email").Where("email LIKE 'lid%@bench.raadzaam.test'").Scan(ctx); err != nil {
		return nil, err
	}
	userID := make(map[string]int64, len(users))
	for _, u := range users {
		userID[u.Email] = u.ID
	}
	if len(userID) != n {
		return nil, fmt.Errorf("%d members inserted, %d found", n, len(userID))
	}
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		rows := make([]memberRow, 0, hi-lo)
		for i := lo; i < hi; i++ {
			rows = append(rows, memberRow{AssociationID: s.associationID, UserID: userID[memberEmail(i)], JoinedAt: now})
		}
		if _, err := d.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert memberships %d–%d: %w", lo, hi, err)
		}
	}
	// Certificates.
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		rows := make([]certificateRow, 0, hi-lo)
		for i := lo; i < hi; i++ {
			f := plan.facts[i]
			c := byTitle[f.course]
			rows = append(rows, certificateRow{Number: f.number, UserID: userID[memberEmail(i)], CourseSlug: c.Slug,
				CourseTitle: c.Title, CourseSummary: c.Summary, CourseVersion: f.version, StudyHours: f.hours, Language: "nl",
				HolderName: f.holder, HolderSearch: courses.SearchText(f.holder), CompletedAt: f.completed, IssuedAt: f.issued,
				ExpiresAt: f.expires, Issuer: "Raadzaam"})
			s.numbers[f.number] = true
		}
		if _, err := d.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert certificates %d–%d: %w", lo, hi, err)
		}
	}
	var certs []certificateRow
	if err := d.NewSelect().Model(&certs).Column("id", "number").Where("user_id IN (SELECT user_id FROM association_members WHERE association_id = ?)", s.associationID).Scan(ctx); err != nil {
		return nil, err
	}
	certID := make(map[string]int64, len(certs))
	for _, c := range certs {
		certID[c.Number] = c.ID
	}
	if len(certID) != n {
		return nil, fmt.Errorf("%d certificates inserted, %d found", n, len(certID))
	}
	// PDFs, fewer at a time: a batch is about 1.5 MB of PDF (3 MB as hex in
	// PostgreSQL's SQL text).
	const pdfBatch = 50
	for lo := 0; lo < n; lo += pdfBatch {
		hi := min(n, lo+pdfBatch)
		rows := make([]pdfRow, 0, hi-lo)
		for i := lo; i < hi; i++ {
			b := plan.pdfs[i%len(plan.pdfs)]
			rows = append(rows, pdfRow{CertificateID: certID[plan.facts[i].number], PDF: b})
			s.pdfBytes += int64(len(b))
		}
		if _, err := d.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert PDFs %d–%d: %w", lo, hi, err)
		}
		if (lo/pdfBatch)%40 == 0 {
			benchkit.Logf("  %d of %d PDFs inserted", lo, n)
		}
	}
	s.from, s.to = plan.facts[0].issued, plan.facts[n-1].issued
	s.certificatesDB = len(certID)
	s.took = time.Since(t0)
	return s, nil
}
