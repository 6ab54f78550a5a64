// Command completions measures what BENCHMARKS.md reports in the section
// "Lesson completions under load (issue 5)": lesson completions per second
// through the JSON API (POST /api/v1/lessons/{id}/completion with a bearer
// token) with 64 concurrent clients, on SQLite or PostgreSQL, with p50/p99
// latency and errors, and afterwards whether every completion was stored
// exactly once and every enrolment completed exactly once, when its last
// activity was done.
//
// Usage, from anywhere inside the module:
//
//	go run ./bench/completions [-db sqlite|postgres] [-duration 10s] [-clients 64] [-share 1|2]
//
// How it works:
//
//  1. It builds ./app into a temporary directory. With -db postgres it
//     creates a throwaway database (raadzaam_bench_…) next to -pg-admin-url
//     and drops it at the end; with SQLite the database is a file in a fresh
//     RAADZAAM_DATA.
//  2. It creates the learner accounts directly in the database (db.Open,
//     Migrate, UserService.CreateUser), before the server starts. Every
//     learner has the same password and the same real argon2id hash, made
//     once with the production parameters of app/password.go, so that
//     creating thousands of accounts does not cost thousands of hashes.
//  3. It starts raadzaam (RAADZAAM_DEMO=off: it seeds the shipped catalogue)
//     with RAADZAAM_TRUSTED_PROXIES=127.0.0.1/32. Each learner signs in with
//     POST /api/v1/auth/token from its own client address, given in the
//     Fly-Client-IP header as Fly's proxy would (198.18.0.0/15, the range
//     RFC 2544 sets aside for benchmarks): the sign-in limit counts every
//     attempt per address (100 per 15 minutes, app/auth.go), so thousands
//     of sign-ins from one address would be refused. Only the sign-ins send
//     that header. Then each learner enrols (POST
//     /api/v1/courses/SLUG/enrolment) and passes the course's quiz (POST
//     /api/v1/quizzes/{id}/attempts, the right answers taken from the shipped
//     course folder), so that the lessons are all that is left: the last
//     lesson completed completes the enrolment. All of that, argon2id
//     included, happens before the timed part.
//  4. The load: -clients goroutines, each with its own keep-alive connection
//     (Go net/http, in this process), POST completions back to back. The
//     learners are split into groups of -share clients; the clients of a
//     group take the next first completion from one queue that goes through
//     its learners one at a time, lesson after lesson in course order, so
//     with -share 2 two clients complete two lessons of the same learner at
//     the same moment, the last two included (two devices, or a double
//     click). A fraction -repeat of the requests repeats a completion that
//     was answered before (idempotent: no new row). After -warmup, requests
//     that end within -duration are counted: completions/s, p50/p99.
//     Errors are counted over the whole load: a transport error, any status
//     but 200, or an answer that does not say the lesson is completed.
//  5. Checks on every answer: the lesson and enrolment ids are the ones
//     asked for; once an answer shows the enrolment completed, every later
//     answer shows the same completed_at; no answer shows it completed
//     before every lesson was sent.
//  6. Afterwards: GET /api/v1/me/enrolments for every learner (progress and
//     status), then the server is stopped and the database read directly:
//     the progress rows must be exactly the (learner, activity) pairs
//     answered 200 (lessons) plus the quiz; an enrolment must be completed
//     if and only if all its activities are done, by the rule, and its
//     completed_at must be the time of one of its progress rows (the
//     transaction that completed it; a second completion would carry a later
//     time of its own).
//
// Everything listens on and connects to loopback only (raadzaam binds PORT
// on every interface; the benchmark only connects to 127.0.0.1), every step
// is bounded in time, and every child process is started in its own process
// group and stopped (SIGTERM, then SIGKILL) on every exit path. The Markdown
// report goes to stdout, progress to stderr.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the throwaway database and the checks
	"github.com/raadzaam/raadzaam/bench/internal/benchkit"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/courses/catalog"
	"github.com/raadzaam/raadzaam/db" // also registers the "sqlite" driver
)

// goalRate is the goal: lesson completions per second with 64
// concurrent clients, with zero errors.
const goalRate = 1000

type options struct {
	duration   time.Duration
	warmup     time.Duration
	clients    int
	learners   int
	share      int
	repeat     float64
	db         string
	pgAdminURL string
	course     string
	setupConc  int
	seed       uint64
}

func main() {
	o := options{}
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of the measured part of the load")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "load before the measured part (not counted, its errors are)")
	flag.IntVar(&o.clients, "clients", 64, "concurrent clients, each with one keep-alive connection")
	flag.IntVar(&o.learners, "learners", 0, "learner accounts (0 = 24 per client, enough for about 1,500 completions/s over 2s + 10s); the report says when their lessons ran out")
	flag.IntVar(&o.share, "share", 1, "clients per group of learners: 1 = each learner's lessons come from one client, one after the other; 2 = two clients complete the same learner's lessons at once")
	flag.Float64Var(&o.repeat, "repeat", 0.10, "share of requests that repeat an earlier completion (idempotent)")
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres")
	flag.StringVar(&o.pgAdminURL, "pg-admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL URL used to create and drop the throwaway database (loopback only)")
	flag.StringVar(&o.course, "course", "nieuw-in-de-raad", "slug of the shipped course the learners take")
	flag.IntVar(&o.setupConc, "setup-concurrency", 0, "concurrent sign-ins before the load (0 = 2 × CPUs)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the repeat choices")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Everything, building and the sign-ins included, ends in bounded time.
	budget := 10*time.Minute + time.Duration(o.learners)*100*time.Millisecond + 2*(o.duration+o.warmup)
	ctx, cancel := context.WithTimeout(ctx, budget)
	err := run(ctx, o, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (o *options) validate() error {
	if o.learners == 0 {
		o.learners = 24 * o.clients
	}
	if o.setupConc == 0 {
		o.setupConc = 2 * runtime.NumCPU()
	}
	switch {
	case o.duration < time.Second || o.duration > 10*time.Minute:
		return errors.New("-duration must be between 1s and 10m")
	case o.warmup < 0 || o.warmup > time.Minute:
		return errors.New("-warmup must be between 0 and 1m")
	case o.clients < 1 || o.clients > 1024:
		return errors.New("-clients must be between 1 and 1024")
	case o.share < 1 || o.share > o.clients || o.clients%o.share != 0:
		return errors.New("-share must divide -clients")
	case o.learners < o.clients/o.share || o.learners > 100_000:
		return errors.New("-learners must be at least one per group and at most 100,000")
	case o.repeat < 0 || o.repeat >= 1:
		return errors.New("-repeat must be in [0, 1)")
	case o.db != "sqlite" && o.db != "postgres":
		return errors.New("-db must be sqlite or postgres")
	case !slugRE.MatchString(o.course):
		return errors.New("-course must be a course slug")
	case o.setupConc < 1 || o.setupConc > 256:
		return errors.New("-setup-concurrency must be between 1 and 256")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Learner accounts, created in the database before the server starts

// learnerPassword is every learner's password (random per run).
var learnerPassword = rand.Text()

// createLearners migrates the empty database and creates n learners with
// the same argon2id hash; it returns their user ids.
func createLearners(ctx context.Context, dsn string, n, conc int) ([]int64, error) {
	d, err := db.Open(dsn)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return nil, err
	}
	hash := benchkit.HashPassword(learnerPassword)
	return benchkit.CreateUsers(ctx, d, n, conc, func(i int) *courses.NewUser {
		return &courses.NewUser{Email: benchkit.LearnerEmail(i), Name: fmt.Sprintf("Cursist %05d", i), Role: courses.RoleLearner, PasswordHash: hash}
	})
}

// ---------------------------------------------------------------------------
// API calls before the load

// lesson is one lesson of the course.
type lesson struct {
	id  int64
	key string // module slug/activity slug, as in activity_progress
}

// outline is what the benchmark needs of the course: its lessons in course
// order, its quiz (if any) with the right answers, the number of activities.
type outline struct {
	lessons    []lesson
	quizID     int64
	quizKey    string
	activities int
	answers    []quizAnswer
}

type quizAnswer struct {
	Question int64   `json:"question"`
	Options  []int64 `json:"options"`
}

func courseOutline(ctx context.Context, a *benchkit.API, slug string) (*outline, error) {
	var c struct {
		Modules []struct {
			Slug       string `json:"slug"`
			Activities []struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
				Slug string `json:"slug"`
			} `json:"activities"`
		} `json:"modules"`
	}
	if err := a.Call(ctx, http.MethodGet, "/api/v1/courses/"+slug, "", nil, nil, http.StatusOK, &c); err != nil {
		return nil, err
	}
	o := &outline{}
	for _, m := range c.Modules {
		for _, act := range m.Activities {
			o.activities++
			key := m.Slug + "/" + act.Slug
			switch act.Kind {
			case "lesson":
				o.lessons = append(o.lessons, lesson{id: act.ID, key: key})
			case "quiz":
				if o.quizID != 0 {
					return nil, fmt.Errorf("course %s has more than one quiz; the benchmark passes one", slug)
				}
				o.quizID, o.quizKey = act.ID, key
			default:
				return nil, fmt.Errorf("course %s has a %s (%s); the benchmark can complete lessons and one quiz only", slug, act.Kind, key)
			}
		}
	}
	if len(o.lessons) == 0 || len(o.lessons) > 63 {
		return nil, fmt.Errorf("course %s has %d lessons; the benchmark needs 1 to 63", slug, len(o.lessons))
	}
	return o, nil
}

// rightAnswers finds the right options of the quiz (as the API shows it to
// token's learner) in the shipped course folder, by question and option text.
func rightAnswers(ctx context.Context, a *benchkit.API, o *outline, slug, token string) error {
	var q struct {
		Questions []struct {
			ID      int64  `json:"id"`
			Text    string `json:"text"`
			Options []struct {
				ID   int64  `json:"id"`
				Text string `json:"text"`
			} `json:"options"`
		} `json:"questions"`
	}
	if err := a.Call(ctx, http.MethodGet, "/api/v1/quizzes/"+strconv.FormatInt(o.quizID, 10), token, nil, nil, http.StatusOK, &q); err != nil {
		return err
	}
	list, err := courses.ReadCatalog(catalog.FS, ".")
	if err != nil {
		return err
	}
	var quiz *courses.Quiz
	for _, c := range list {
		if c.Slug != slug {
			continue
		}
		for _, m := range c.Modules {
			for _, act := range m.Activities {
				if m.Slug+"/"+act.Slug == o.quizKey {
					quiz = act.Quiz
				}
			}
		}
	}
	if quiz == nil || len(quiz.Questions) != len(q.Questions) {
		return fmt.Errorf("quiz %s: not found in the shipped course folder, or its questions differ", o.quizKey)
	}
	for i, aq := range q.Questions {
		cq := quiz.Questions[i]
		if cq.Text != aq.Text {
			return fmt.Errorf("quiz %s, question %d: the API's text differs from the course folder's", o.quizKey, i+1)
		}
		ans := quizAnswer{Question: aq.ID}
		for _, ao := range aq.Options {
			for _, co := range cq.Options {
				if co.Text == ao.Text && co.Correct {
					ans.Options = append(ans.Options, ao.ID)
				}
			}
		}
		if len(ans.Options) == 0 {
			return fmt.Errorf("quiz %s, question %d: no right option found", o.quizKey, i+1)
		}
		o.answers = append(o.answers, ans)
	}
	return nil
}

// learner is one account under load. The fields after the first block are
// guarded by its group's mutex.
type learner struct {
	idx         int
	userID      int64
	enrolmentID int64
	auth        string // "Bearer …"

	attempted   uint64    // lessons sent as first completions (bit per lesson)
	confirmed   uint64    // lessons answered 200
	completedAt string    // completed_at of the first answer that showed it
	seenAt      time.Time // when that answer arrived
	conflicts   int       // answers with another completed_at than the first
	early       int       // answers that showed it completed before every lesson was sent
	backwards   int       // answers to requests sent after an answer showed it completed that show it not completed
}

// prepare signs every learner in, enrols it and passes the quiz.
func prepare(ctx context.Context, a *benchkit.API, o *outline, slug string, learners []*learner, conc int, rep *report) error {
	var next atomic.Int64
	var signIn, enrol, quiz atomic.Int64 // summed nanoseconds
	var expiresIn atomic.Int64
	expiresIn.Store(math.MaxInt64)
	errc := make(chan error, conc)
	first := learners[0]
	// The first learner alone: its quiz shows the question and option ids.
	step := func(l *learner) error {
		var tok struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		t0 := time.Now()
		if err := a.Call(ctx, http.MethodPost, "/api/v1/auth/token", "", map[string]string{"Fly-Client-IP": benchkit.ClientAddr(l.idx)},
			map[string]string{"email": benchkit.LearnerEmail(l.idx), "password": learnerPassword}, http.StatusOK, &tok); err != nil {
			return fmt.Errorf("learner %d: %w", l.idx, err)
		}
		t1 := time.Now()
		signIn.Add(int64(t1.Sub(t0)))
		for {
			cur := expiresIn.Load()
			if tok.ExpiresIn >= cur || expiresIn.CompareAndSwap(cur, tok.ExpiresIn) {
				break
			}
		}
		l.auth = "Bearer " + tok.AccessToken
		var e struct {
			ID     int64  `json:"id"`
			Course string `json:"course"`
		}
		if err := a.Call(ctx, http.MethodPost, "/api/v1/courses/"+slug+"/enrolment", tok.AccessToken, nil, nil, http.StatusCreated, &e); err != nil {
			return fmt.Errorf("learner %d: %w", l.idx, err)
		}
		if e.Course != slug || e.ID == 0 {
			return fmt.Errorf("learner %d: enrolment %+v is not in %s", l.idx, e, slug)
		}
		l.enrolmentID = e.ID
		t2 := time.Now()
		enrol.Add(int64(t2.Sub(t1)))
		if o.quizID == 0 {
			return nil
		}
		if len(o.answers) == 0 {
			if err := rightAnswers(ctx, a, o, slug, tok.AccessToken); err != nil {
				return err
			}
		}
		var att struct {
			Passed bool `json:"passed"`
			Score  int  `json:"score"`
		}
		if err := a.Call(ctx, http.MethodPost, "/api/v1/quizzes/"+strconv.FormatInt(o.quizID, 10)+"/attempts", tok.AccessToken, nil,
			map[string]any{"answers": o.answers}, http.StatusCreated, &att); err != nil {
			return fmt.Errorf("learner %d: %w", l.idx, err)
		}
		if !att.Passed {
			return fmt.Errorf("learner %d: the quiz was not passed with the right answers (score %d)", l.idx, att.Score)
		}
		quiz.Add(int64(time.Since(t2)))
		return nil
	}
	t0 := time.Now()
	if err := step(first); err != nil {
		return err
	}
	next.Store(1)
	for range conc {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(learners) || ctx.Err() != nil {
					errc <- ctx.Err()
					return
				}
				if err := step(learners[i]); err != nil {
					errc <- err
					return
				}
				if i%500 == 0 {
					benchkit.Logf("  %d of %d learners signed in and enrolled", i, len(learners))
				}
			}
		}()
	}
	var firstErr error
	for range conc {
		if err := <-errc; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	n := time.Duration(len(learners))
	rep.setupTime = time.Since(t0)
	rep.signIn, rep.enrol, rep.quiz = time.Duration(signIn.Load())/n, time.Duration(enrol.Load())/n, time.Duration(quiz.Load())/n
	rep.tokenLife = time.Duration(expiresIn.Load()) * time.Second
	return nil
}

// ---------------------------------------------------------------------------
// The load

// group is a set of learners whose lessons -share clients complete from one
// queue.
type group struct {
	mu       sync.Mutex
	learners []*learner
	next     int      // next first completion: learners[next/len(lessons)], lessons[next%len(lessons)]
	done     [][2]int // (learner index in group, lesson index) answered 200, for repeats
}

// sample is one request's outcome.
type sample struct {
	end     time.Time
	latency time.Duration
	repeat  bool
	ok      bool
}

type clientStats struct {
	samples  []sample
	errors   int64
	samples5 []string // first error descriptions
	exhaust  int64    // first completions wanted when the group had none left
}

// completionAnswer is the answer to POST /api/v1/lessons/{id}/completion.
type completionAnswer struct {
	Lesson    int64 `json:"lesson"`
	Completed bool  `json:"completed"`
	Enrolment struct {
		ID          int64   `json:"id"`
		Status      string  `json:"status"`
		Progress    int     `json:"progress"`
		CompletedAt *string `json:"completed_at"`
	} `json:"enrolment"`
}

type loadResult struct {
	rate          float64
	p50, p99, max time.Duration
	measured      int64 // requests that ended within the measured part
	firsts        int64 // of which first completions
	repeats       int64
	total         int64 // every request, warm-up and tail included
	totalFirsts   int64
	errors        int64
	errorSamples  []string
	exhausted     int64
	clientCPU     time.Duration // this process's CPU per measured completion
	serverCPU     time.Duration // raadzaam's
	pgCPU         time.Duration // PostgreSQL's backends'
	serverRSS     int64
	completedRuns int64 // enrolments seen completed in answers
}

func runLoad(ctx context.Context, o options, base string, out *outline, groups []*group, serverPID int, pgName string) (loadResult, error) {
	nl := len(out.lessons)
	urls := make([]string, nl)
	for i, l := range out.lessons {
		urls[i] = base + "/api/v1/lessons/" + strconv.FormatInt(l.id, 10) + "/completion"
	}
	stats := make([]clientStats, o.clients)
	start := time.Now()
	measureFrom := start.Add(o.warmup)
	measureTo := measureFrom.Add(o.duration)
	lctx, cancel := context.WithTimeout(ctx, o.warmup+o.duration+30*time.Second)
	defer cancel()

	var before, after benchkit.CPUSample
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() { // CPU meters at the edges of the measured part
		defer sampled.Done()
		if benchkit.Sleep(lctx, time.Until(measureFrom)) != nil {
			return
		}
		before = benchkit.TakeCPU(serverPID, pgName)
		if benchkit.Sleep(lctx, time.Until(measureTo)) != nil {
			return
		}
		after = benchkit.TakeCPU(serverPID, pgName)
	}()

	var completedSeen atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < o.clients; c++ {
		g := groups[c/o.share]
		st := &stats[c]
		st.samples = make([]sample, 0, 1<<14)
		rng := mrand.New(mrand.NewPCG(o.seed, uint64(c)))
		tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, IdleConnTimeout: 90 * time.Second}
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tr.CloseIdleConnections()
			fail := func(msg string) {
				st.errors++
				if len(st.samples5) < 5 {
					st.samples5 = append(st.samples5, msg)
				}
			}
			for time.Now().Before(measureTo) && lctx.Err() == nil {
				// Pick the request: a repeat of a completion answered before,
				// or the group's next first completion.
				var l *learner
				var li int
				repeat := false
				g.mu.Lock()
				if len(g.done) > 0 && rng.Float64() < o.repeat {
					d := g.done[rng.IntN(len(g.done))]
					l, li, repeat = g.learners[d[0]], d[1], true
				} else if g.next < len(g.learners)*nl {
					l, li = g.learners[g.next/nl], g.next%nl
					l.attempted |= 1 << li
					g.next++
				} else if len(g.done) > 0 {
					st.exhaust++
					d := g.done[rng.IntN(len(g.done))]
					l, li, repeat = g.learners[d[0]], d[1], true
				}
				g.mu.Unlock()
				if l == nil {
					fail("the group has no learners left")
					return
				}
				req, err := http.NewRequestWithContext(lctx, http.MethodPost, urls[li], nil)
				if err != nil {
					fail(err.Error())
					return
				}
				req.Header.Set("Authorization", l.auth)
				req.Header.Set("Accept", "application/json")
				t := time.Now()
				resp, err := client.Do(req)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				end := time.Now()
				s := sample{end: end, latency: end.Sub(t), repeat: repeat}
				switch {
				case err != nil:
					fail("transport: " + err.Error())
				case resp.StatusCode != http.StatusOK:
					fail(fmt.Sprintf("%s: %.200s", resp.Status, body))
				default:
					var a completionAnswer
					if err := json.Unmarshal(body, &a); err != nil {
						fail("bad JSON: " + err.Error())
						break
					}
					if !a.Completed || a.Lesson != out.lessons[li].id || a.Enrolment.ID != l.enrolmentID {
						fail(fmt.Sprintf("answer for lesson %d of enrolment %d: %.200s", out.lessons[li].id, l.enrolmentID, body))
						break
					}
					s.ok = true
					g.mu.Lock()
					if !repeat {
						l.confirmed |= 1 << li
						g.done = append(g.done, [2]int{slices.Index(g.learners, l), li})
					}
					all := uint64(1)<<nl - 1
					switch {
					case a.Enrolment.CompletedAt != nil:
						if l.completedAt == "" {
							l.completedAt, l.seenAt = *a.Enrolment.CompletedAt, end
							completedSeen.Add(1)
						} else if l.completedAt != *a.Enrolment.CompletedAt {
							l.conflicts++
						}
						if l.attempted != all {
							l.early++
						}
					case l.completedAt != "" && t.After(l.seenAt):
						// Sent after an answer showed the enrolment completed.
						l.backwards++
					}
					g.mu.Unlock()
				}
				st.samples = append(st.samples, s)
			}
		}()
	}
	wg.Wait()
	cancel()
	sampled.Wait()
	if ctx.Err() != nil {
		return loadResult{}, ctx.Err()
	}

	var r loadResult
	var lat []time.Duration
	for i := range stats {
		st := &stats[i]
		r.errors += st.errors
		r.exhausted += st.exhaust
		for _, m := range st.samples5 {
			if len(r.errorSamples) < 5 {
				r.errorSamples = append(r.errorSamples, m)
			}
		}
		for _, s := range st.samples {
			r.total++
			if !s.repeat {
				r.totalFirsts++
			}
			if s.end.Before(measureFrom) || s.end.After(measureTo) {
				continue
			}
			r.measured++
			if !s.ok {
				continue // counted in errors
			}
			lat = append(lat, s.latency)
			if s.repeat {
				r.repeats++
			} else {
				r.firsts++
			}
		}
	}
	r.completedRuns = completedSeen.Load()
	if len(lat) == 0 {
		return r, errors.New("no completion answered 200 in the measured part")
	}
	slices.Sort(lat)
	r.rate = float64(len(lat)) / o.duration.Seconds() // successful completions per second
	r.p50 = benchkit.Percentile(lat, 50)
	r.p99 = benchkit.Percentile(lat, 99)
	r.max = lat[len(lat)-1]
	n := time.Duration(len(lat))
	use := before.To(after)
	r.clientCPU, r.serverCPU, r.pgCPU = use.Self/n, use.Server/n, use.PG/n
	r.serverRSS, _, _ = benchkit.ProcMemory(serverPID)
	return r, nil
}

// ---------------------------------------------------------------------------
// Checks after the load

type checkResult struct {
	learners        int
	pairs           int // distinct (learner, lesson) answered 200
	attemptedPairs  int
	rows            int // lesson progress rows in the database
	quizRows        int
	missing, extra  int // pairs answered 200 without a row; rows never asked for
	wantCompleted   int // learners with every lesson answered 200
	completed       int // enrolments completed in the database
	wrongCompleted  int // completed without every activity done, or not by the rule
	notCompleted    int // every activity done, not completed
	timeMismatch    int // completed_at is not the time of one of its progress rows
	answerConflicts int // answers that disagreed on completed_at, or showed completion early / taken back
	apiMismatch     int // GET /api/v1/me/enrolments disagreeing with the answers or the rows
	notes           []string
}

func (c *checkResult) note(format string, args ...any) {
	if len(c.notes) < 8 {
		c.notes = append(c.notes, fmt.Sprintf(format, args...))
	}
}

// checkAPI compares every learner's GET /api/v1/me/enrolments with the
// answers of the load.
func checkAPI(ctx context.Context, a *benchkit.API, o *outline, slug string, learners []*learner, conc int, c *checkResult) error {
	nl := len(o.lessons)
	var mu sync.Mutex
	var next atomic.Int64
	errc := make(chan error, conc)
	for range conc {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(learners) || ctx.Err() != nil {
					errc <- ctx.Err()
					return
				}
				l := learners[i]
				var list struct {
					Enrolments []struct {
						ID          int64   `json:"id"`
						Course      string  `json:"course"`
						Status      string  `json:"status"`
						Progress    int     `json:"progress"`
						CompletedAt *string `json:"completed_at"`
					} `json:"enrolments"`
				}
				if err := a.Call(ctx, http.MethodGet, "/api/v1/me/enrolments", strings.TrimPrefix(l.auth, "Bearer "), nil, nil, http.StatusOK, &list); err != nil {
					errc <- err
					return
				}
				done := popcount(l.confirmed)
				if o.quizID != 0 {
					done++
				}
				wantProgress := min(done*100/o.activities, 100)
				complete := l.confirmed == uint64(1)<<nl-1
				mu.Lock()
				switch {
				case len(list.Enrolments) != 1 || list.Enrolments[0].ID != l.enrolmentID || list.Enrolments[0].Course != slug:
					c.apiMismatch++
					c.note("learner %d: GET /api/v1/me/enrolments lists %d enrolments, not just %d", l.idx, len(list.Enrolments), l.enrolmentID)
				default:
					e := list.Enrolments[0]
					got := ""
					if e.CompletedAt != nil {
						got = *e.CompletedAt
					}
					if e.Progress != wantProgress || (e.Status == "completed") != complete || (complete && (got == "" || (l.completedAt != "" && got != l.completedAt))) || (!complete && got != "") {
						c.apiMismatch++
						c.note("learner %d: API says %s, %d %%, completed_at %q; the load's answers: %d of %d activities, completed_at %q",
							l.idx, e.Status, e.Progress, got, done, o.activities, l.completedAt)
					}
				}
				mu.Unlock()
			}
		}()
	}
	var first error
	for range conc {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// checkDatabase reads the progress rows and enrolments directly, after the
// server has stopped.
func checkDatabase(ctx context.Context, in *benchkit.Instance, o *outline, slug string, learners []*learner, c *checkResult) error {
	var sqldb *sql.DB
	var err error
	if in.DatabaseURL != "" {
		sqldb, err = sql.Open("pgx", in.DatabaseURL)
	} else {
		sqldb, err = sql.Open("sqlite", "file:"+filepath.Join(in.DataDir, "raadzaam.db")+"?mode=ro")
	}
	if err != nil {
		return err
	}
	defer sqldb.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	byUser := make(map[int64]*learner, len(learners))
	for _, l := range learners {
		byUser[l.userID] = l
	}
	lessonIdx := map[string]int{}
	for i, ls := range o.lessons {
		lessonIdx[ls.key] = i
	}
	// slug matches slugRE: no quoting needed.
	rows, err := sqldb.QueryContext(ctx, `SELECT e.user_id, p.activity_key FROM activity_progress p
		JOIN enrolments e ON e.id = p.enrolment_id JOIN courses c ON c.id = e.course_id WHERE c.slug = '`+slug+`'`)
	if err != nil {
		return err
	}
	stored := make(map[int64]uint64, len(learners))
	for rows.Next() {
		var uid int64
		var key string
		if err := rows.Scan(&uid, &key); err != nil {
			rows.Close()
			return err
		}
		l := byUser[uid]
		if l == nil {
			c.extra++
			c.note("a progress row of user %d, who is not a learner of the benchmark", uid)
			continue
		}
		if key == o.quizKey && o.quizID != 0 {
			c.quizRows++
			continue
		}
		i, ok := lessonIdx[key]
		if !ok {
			c.extra++
			c.note("learner %d: a progress row for %q, which is no lesson of the course", l.idx, key)
			continue
		}
		c.rows++
		stored[uid] |= 1 << i
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, l := range learners {
		c.pairs += popcount(l.confirmed)
		c.attemptedPairs += popcount(l.attempted)
		s := stored[l.userID]
		if m := popcount(l.confirmed &^ s); m > 0 {
			c.missing += m
			c.note("learner %d: %d completions answered 200 have no progress row", l.idx, m)
		}
		if x := popcount(s &^ l.confirmed); x > 0 {
			c.extra += x
			c.note("learner %d: %d progress rows for lessons never answered 200 (sent: %v)", l.idx, x, s&^l.attempted == 0)
		}
	}

	nAct := o.activities
	rows, err = sqldb.QueryContext(ctx, `SELECT e.user_id, e.completed_at IS NOT NULL, COALESCE(e.completion_kind, ''),
		(SELECT COUNT(*) FROM activity_progress p WHERE p.enrolment_id = e.id),
		e.completed_at IS NOT NULL AND e.completed_at IN (SELECT p.completed_at FROM activity_progress p WHERE p.enrolment_id = e.id)
		FROM enrolments e JOIN courses c ON c.id = e.course_id WHERE c.slug = '`+slug+`'`)
	if err != nil {
		return err
	}
	seen := 0
	for rows.Next() {
		var uid int64
		var completed, timeOK bool
		var kind string
		var n int
		if err := rows.Scan(&uid, &completed, &kind, &n, &timeOK); err != nil {
			rows.Close()
			return err
		}
		l := byUser[uid]
		if l == nil {
			continue
		}
		seen++
		all := n == nAct
		if completed {
			c.completed++
		}
		switch {
		case completed && (!all || kind != string(courses.CompletionRule)):
			c.wrongCompleted++
			c.note("learner %d: enrolment completed (%q) with %d of %d activities done", l.idx, kind, n, nAct)
		case all && !completed:
			c.notCompleted++
			c.note("learner %d: all %d activities done, enrolment not completed", l.idx, nAct)
		case completed && !timeOK:
			c.timeMismatch++
			c.note("learner %d: completed_at is not the time of any of its progress rows: completed later, by a transaction that stored no activity (a repeat)", l.idx)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if seen != len(learners) {
		c.note("%d enrolments in %s for %d learners", seen, slug, len(learners))
		c.apiMismatch += len(learners) - seen
	}
	for _, l := range learners {
		if l.confirmed == uint64(1)<<len(o.lessons)-1 {
			c.wantCompleted++
		}
		if n := l.conflicts + l.early + l.backwards; n > 0 {
			c.answerConflicts += n
			c.note("learner %d: %d answers with another completed_at, %d completed before every lesson was sent, %d not completed after a completed one",
				l.idx, l.conflicts, l.early, l.backwards)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// The run

type report struct {
	o          options
	machine    benchkit.Machine
	database   string
	lessons    int
	activities int
	hasQuiz    bool
	created    time.Duration // creating the learner accounts in the database
	firstStart time.Duration
	setupTime  time.Duration // sign-in, enrolment, quiz of every learner
	signIn     time.Duration // per learner, POST /api/v1/auth/token
	enrol      time.Duration
	quiz       time.Duration
	tokenLife  time.Duration
	load       loadResult
	check      checkResult
	stopErr    error
}

func run(ctx context.Context, o options, stdout io.Writer) (err error) {
	sup := benchkit.NewSupervisor()
	defer sup.StopAll()
	rep := &report{o: o, machine: benchkit.DescribeMachine()}
	in, err := benchkit.Prepare(ctx, sup, o.db, o.pgAdminURL, false)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := in.Close(); cerr != nil {
			benchkit.Logf("clean-up: %v", cerr)
			if err == nil {
				err = cerr
			}
		}
	}()
	// The learners sign in from addresses of their own (Fly-Client-IP), see
	// the package comment.
	in.Env = []string{"RAADZAAM_DEMO=off", benchkit.TrustLoopbackProxy}
	rep.database = in.Database

	benchkit.Logf("creating %d learners in the database", o.learners)
	t0 := time.Now()
	ids, err := createLearners(ctx, in.DSN(), o.learners, map[bool]int{true: 8, false: 1}[o.db == "postgres"])
	if err != nil {
		return err
	}
	rep.created = time.Since(t0)

	benchkit.Logf("starting raadzaam (migrate, seed the catalogue)")
	s, d, err := in.Start(ctx, "raadzaam", "/readyz", time.Minute)
	if err != nil {
		return err
	}
	rep.firstStart = d
	stopped := false
	defer func() {
		if !stopped {
			_ = in.Stop(s, 10*time.Second)
		}
	}()

	a := benchkit.NewAPI(s.Base, o.setupConc)
	defer a.Client.CloseIdleConnections()
	outl, err := courseOutline(ctx, a, o.course)
	if err != nil {
		return err
	}
	rep.lessons, rep.activities, rep.hasQuiz = len(outl.lessons), outl.activities, outl.quizID != 0
	benchkit.Logf("course %s: %d activities, %d lessons, quiz %q", o.course, outl.activities, len(outl.lessons), outl.quizKey)

	learners := make([]*learner, o.learners)
	for i := range learners {
		learners[i] = &learner{idx: i, userID: ids[i]}
	}
	benchkit.Logf("signing in %d learners (argon2id), enrolling them and passing the quiz (%d at a time)", o.learners, o.setupConc)
	if err := prepare(ctx, a, outl, o.course, learners, o.setupConc, rep); err != nil {
		return fmt.Errorf("%w\n--- end of %s ---\n%s", err, in.LogPath, benchkit.Tail(in.LogPath, 1500))
	}
	benchkit.Logf("set-up took %s: sign-in %s, enrolment %s, quiz %s per learner; tokens valid %s",
		benchkit.FmtDur(rep.setupTime), benchkit.FmtDur(rep.signIn), benchkit.FmtDur(rep.enrol), benchkit.FmtDur(rep.quiz), rep.tokenLife)
	if rep.tokenLife < o.warmup+o.duration+2*time.Minute {
		return fmt.Errorf("the access tokens are valid %s, too short for the load", rep.tokenLife)
	}

	// Groups: learners dealt round robin, so each group gets an equal share.
	ng := o.clients / o.share
	groups := make([]*group, ng)
	for i := range groups {
		groups[i] = &group{}
	}
	for i, l := range learners {
		groups[i%ng].learners = append(groups[i%ng].learners, l)
	}

	if err := benchkit.Sleep(ctx, time.Second); err != nil {
		return err
	}
	rep.machine.LoadAvg = benchkit.LoadAvg()
	benchkit.Logf("load: %d clients, %s warm-up + %s measured, %.0f %% repeats, %d clients per group of learners", o.clients, o.warmup, o.duration, 100*o.repeat, o.share)
	lr, err := runLoad(ctx, o, s.Base, outl, groups, s.PID(), in.PGName)
	if err != nil {
		return fmt.Errorf("%w\n--- end of %s ---\n%s", err, in.LogPath, benchkit.Tail(in.LogPath, 1500))
	}
	rep.load = lr
	benchkit.Logf("  %.0f completions/s, p50 %s, p99 %s, %d errors, %d first / %d repeat in the measured part",
		lr.rate, benchkit.FmtDur(lr.p50), benchkit.FmtDur(lr.p99), lr.errors, lr.firsts, lr.repeats)
	for _, m := range lr.errorSamples {
		benchkit.Logf("  error: %s", m)
	}
	if done, werr := s.Exited(); done {
		return fmt.Errorf("raadzaam exited during the load: %v\n%s", werr, benchkit.Tail(in.LogPath, 2000))
	}

	benchkit.Logf("checking every learner's GET /api/v1/me/enrolments")
	rep.check.learners = len(learners)
	if err := checkAPI(ctx, a, outl, o.course, learners, o.setupConc, &rep.check); err != nil {
		return err
	}
	a.Client.CloseIdleConnections()
	benchkit.Logf("stopping raadzaam, reading the database")
	rep.stopErr = in.Stop(s, 10*time.Second)
	stopped = true
	if err := checkDatabase(ctx, in, outl, o.course, learners, &rep.check); err != nil {
		return err
	}
	for _, n := range rep.check.notes {
		benchkit.Logf("  check: %s", n)
	}
	rep.write(stdout)
	return nil
}

// ---------------------------------------------------------------------------
// Machine and report

func (r *report) write(w io.Writer) {
	m, l, c, o := r.machine, r.load, r.check, r.o
	pg := o.db == "postgres"
	fmt.Fprintf(w, "### %s — %s\n\n", o.db, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Machine: %d × %s, %s RAM, Linux %s, load average before the load %s\n",
		m.CPUs, m.Model, benchkit.FmtGiB(m.Memory), m.Kernel, m.LoadAvg)
	fmt.Fprintf(w, "- Database: %s; %s, %s/%s\n", r.database, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	quiz := ""
	if r.hasQuiz {
		quiz = " and its quiz passed before the load"
	}
	fmt.Fprintf(w, "- Load: %d clients (Go net/http in the benchmark process, one keep-alive connection each, `Accept-Encoding: gzip`), "+
		"`POST /api/v1/lessons/{id}/completion` with `Authorization: Bearer …`; %s learners enrolled in `%s` "+
		"(%d activities: %d lessons%s), %d clients per group of learners; %.0f %% repeats; %s warm-up, then %s measured\n\n",
		o.clients, benchkit.FmtInt(int64(o.learners)), o.course, r.activities, r.lessons, quiz, o.share, 100*o.repeat, o.warmup, o.duration)

	fmt.Fprintln(w, "| Measure | Result | Goal | Met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	fmt.Fprintf(w, "| Completions answered 200 per second | %s/s (p50 %s, p99 %s, max %s) | ≥ %s/s | %s |\n",
		benchkit.FmtInt(int64(math.Round(l.rate))), benchkit.FmtDur(l.p50), benchkit.FmtDur(l.p99), benchkit.FmtDur(l.max), benchkit.FmtInt(goalRate), benchkit.YesNo(l.rate >= goalRate))
	fmt.Fprintf(w, "| Errors (transport, non-200, wrong answer), warm-up included | %d of %s requests | 0 | %s |\n",
		l.errors, benchkit.FmtInt(l.total), benchkit.YesNo(l.errors == 0))
	fmt.Fprintf(w, "| Progress rows = distinct (learner, lesson) pairs answered 200 | %s rows, %s pairs (%d missing, %d extra); quiz rows %s of %s | equal | %s |\n",
		benchkit.FmtInt(int64(c.rows)), benchkit.FmtInt(int64(c.pairs)), c.missing, c.extra, benchkit.FmtInt(int64(c.quizRows)), benchkit.FmtInt(int64(c.learners)),
		benchkit.YesNo(c.missing == 0 && c.extra == 0 && c.rows == c.pairs && c.quizRows == c.learners))
	fmt.Fprintf(w, "| Enrolments completed exactly once, by the last activity's own transaction | %s completed, %s expected; %d too early, %d never, %d only later (by a repeat), %d answers disagreeing | all | %s |\n",
		benchkit.FmtInt(int64(c.completed)), benchkit.FmtInt(int64(c.wantCompleted)), c.wrongCompleted, c.notCompleted, c.timeMismatch, c.answerConflicts,
		benchkit.YesNo(c.completed == c.wantCompleted && c.wrongCompleted == 0 && c.notCompleted == 0 && c.timeMismatch == 0 && c.answerConflicts == 0))
	fmt.Fprintf(w, "| `GET /api/v1/me/enrolments` agrees (progress, status, completed_at), every learner | %d disagree | 0 | %s |\n",
		c.apiMismatch, benchkit.YesNo(c.apiMismatch == 0))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Also measured:")
	fmt.Fprintln(w)
	share := 0.0
	if l.firsts+l.repeats > 0 {
		share = 100 * float64(l.repeats) / float64(l.firsts+l.repeats)
	}
	fmt.Fprintf(w, "- Measured part: %s completions answered 200: %s first, %s repeats (%.1f %%); whole load %s requests, %s first completions\n",
		benchkit.FmtInt(l.firsts+l.repeats), benchkit.FmtInt(l.firsts), benchkit.FmtInt(l.repeats), share, benchkit.FmtInt(l.total), benchkit.FmtInt(l.totalFirsts))
	if l.exhausted > 0 {
		fmt.Fprintf(w, "- **%s requests wanted a first completion when their group had none left** and repeated one instead: raise `-learners`\n", benchkit.FmtInt(l.exhausted))
	}
	fmt.Fprintf(w, "- Enrolments seen completed in answers during the load: %s\n", benchkit.FmtInt(l.completedRuns))
	cpu := fmt.Sprintf("- CPU per completion (measured part): raadzaam %s, benchmark client %s", benchkit.FmtDur(l.serverCPU), benchkit.FmtDur(l.clientCPU))
	if pg {
		cpu += fmt.Sprintf(", PostgreSQL backends %s", benchkit.FmtDur(l.pgCPU))
	}
	fmt.Fprintln(w, cpu)
	fmt.Fprintf(w, "- raadzaam after the load: VmRSS %s\n", benchkit.FmtMB(l.serverRSS))
	fmt.Fprintf(w, "- Set-up (not timed): %s learner accounts created in the database in %s; start on that database (migrate, seed the catalogue) %s; "+
		"per learner `POST /api/v1/auth/token` %s, enrolment %s, quiz %s (%d at a time, %s in all); the API access token is valid %s\n",
		benchkit.FmtInt(int64(o.learners)), benchkit.FmtDur(r.created), benchkit.FmtDur(r.firstStart), benchkit.FmtDur(r.signIn), benchkit.FmtDur(r.enrol), benchkit.FmtDur(r.quiz), o.setupConc, benchkit.FmtDur(r.setupTime), r.tokenLife)
	if r.stopErr != nil {
		fmt.Fprintf(w, "- Stopping raadzaam after the load: %v\n", r.stopErr)
	}
	for _, n := range c.notes {
		fmt.Fprintf(w, "- Check: %s\n", n)
	}
	for _, e := range l.errorSamples {
		fmt.Fprintf(w, "- Error: `%s`\n", strings.ReplaceAll(e, "`", "'"))
	}
}
