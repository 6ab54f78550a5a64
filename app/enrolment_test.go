package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// enrolNow is the fixed clock of the enrolment tests: before the test
// course's session on 14 January 2027, after its other one in January 2026.
// It lies before the real time, so sign-in sessions (expiring by the real
// clock) stay valid.
var enrolNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

const enrolSlug = "nieuw-in-de-raad"

// enrolApp returns the application on kind with the fixed clock.
func enrolApp(t *testing.T, kind db.Kind) *application {
	t.Helper()
	a := newTestApp(t, kind)
	a.db.Now = func() time.Time { return enrolNow }
	return a
}

// enrolOwner signs in a trainer who owns the course slug.
func enrolOwner(t *testing.T, a *application, email, slug string) (*client, *courses.User) {
	t.Helper()
	c, u := learnSignedIn(t, a, email, courses.RoleTrainer)
	id, err := a.editor.CourseIDBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.editor.AddOwner(context.Background(), id, email); err != nil {
		t.Fatal(err)
	}
	return c, u
}

// enrolCourseID returns the id of the course slug.
func enrolCourseID(t *testing.T, a *application, slug string) int64 {
	t.Helper()
	id, err := a.editor.CourseIDBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// enrolUpload posts a multipart form with a file in field "bestand", as a
// browser does.
func enrolUpload(c *client, path string, fields map[string]string, name, content string) (*http.Response, string) {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", c.csrf())
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("bestand", name)
	io.WriteString(fw, content)
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.a.fiber.Test(req, 10_000)
	if err != nil {
		c.t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(out)
}

// enrolPostAsync sends a form with the client's cookies and token from a
// goroutine: it reports errors instead of failing the test.
func enrolPostAsync(c *client, path string, form url.Values) (int, string, error) {
	form.Set("_csrf", c.csrf())
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.a.fiber.Test(req, 30_000)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), nil
}

var enrolNewKey = regexp.MustCompile(`\?nieuw=(\d+)`)

// enrolCreateKey makes a key through the form and returns it.
func enrolCreateKey(t *testing.T, a *application, c *client, slug string, form url.Values) courses.EnrolmentKey {
	t.Helper()
	resp, page := learnPost(c, "/beheer/cursussen/"+slug+"/sleutels", form)
	m := enrolNewKey.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("create key: %d to %q; %.500s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	keys, err := a.learning.Keys(context.Background(), enrolCourseID(t, a, slug))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("key %d not stored", id)
	return courses.EnrolmentKey{}
}

// enrolHasError reports whether page shows msg as the error of field id,
// tied to it with aria-describedby.
func enrolHasError(page, id, msg string) bool {
	i := strings.Index(page, `id="`+id+`-error"`)
	return i >= 0 && strings.Contains(page[i:min(i+400, len(page))], msg) && strings.Contains(page, id+`-error"`)
}

// TestEnrolmentKeys: the course's trainer makes keys (expiry required and
// in the future), learners redeem them on the redeem page or from the
// course page; wrong, expired, revoked and used-up codes are named next to
// the field; redeeming twice uses one place; other trainers do not see the
// keys.
func TestEnrolmentKeys(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			courseID := enrolCourseID(t, a, enrolSlug)
			owner, _ := enrolOwner(t, a, "trainer@example.nl", enrolSlug)
			base := "/beheer/cursussen/" + enrolSlug + "/sleutels"

			if resp, page := owner.do(http.MethodGet, base, nil); resp.StatusCode != 200 || !strings.Contains(page, `action="`+base+`"`) {
				t.Fatalf("keys page: %d", resp.StatusCode)
			}
			// Refused forms name the field.
			resp, page := learnPost(owner, base, url.Values{"label": {"Raad"}, "expires": {""}})
			if resp.StatusCode != 400 || !enrolHasError(page, "expires", "is verplicht") || !strings.Contains(page, `value="Raad"`) {
				t.Errorf("key without expiry: %d", resp.StatusCode)
			}
			resp, page = learnPost(owner, base, url.Values{"expires": {"2026-10-01"}})
			if resp.StatusCode != 400 || !enrolHasError(page, "expires", "ligt in het verleden") {
				t.Errorf("key expiring in the past: %d", resp.StatusCode)
			}
			resp, page = learnPost(owner, base, url.Values{"expires": {"2026-12-31"}, "max_uses": {"veel"}})
			if resp.StatusCode != 400 || !enrolHasError(page, "max_uses", "is geen getal") {
				t.Errorf("key with a bad maximum: %d", resp.StatusCode)
			}
			if keys, _ := a.learning.Keys(ctx, courseID); len(keys) != 0 {
				t.Fatalf("refused forms stored %d keys", len(keys))
			}

			key := enrolCreateKey(t, a, owner, enrolSlug, url.Values{"label": {"Raad van Utrecht"}, "expires": {"2026-12-31"}, "max_uses": {"2"}, "deadline": {"2027-03-31"}})
			if key.MaxUses != 2 || key.Label != "Raad van Utrecht" || key.Deadline == nil || key.ExpiresAt.In(courses.Amsterdam).Format("2006-01-02") != "2026-12-31" {
				t.Errorf("stored key: %+v", key)
			}
			_, page = owner.do(http.MethodGet, base+"?nieuw="+strconv.FormatInt(key.ID, 10), nil)
			for _, want := range []string{key.Code, "/inschrijven?code=" + key.Code, `action="` + base + `/` + strconv.FormatInt(key.ID, 10) + `/intrekken"`} {
				if !strings.Contains(page, want) {
					t.Errorf("keys page lacks %q", want)
				}
			}

			// Another trainer does not see the course; a learner may not manage keys.
			other, _ := learnSignedIn(t, a, "andere-trainer@example.nl", courses.RoleTrainer)
			if resp, _ := other.do(http.MethodGet, base, nil); resp.StatusCode != 404 {
				t.Errorf("another trainer's keys page: %d, want 404", resp.StatusCode)
			}
			if resp, _ := learnPost(other, base, url.Values{"expires": {"2026-12-31"}}); resp.StatusCode != 404 {
				t.Errorf("another trainer makes a key: %d, want 404", resp.StatusCode)
			}

			// A learner follows the griffier's link and redeems the code as typed.
			anna, annaUser := learnSignedIn(t, a, "anna@example.nl", courses.RoleLearner)
			if resp, _ := anna.do(http.MethodGet, base, nil); resp.StatusCode != 403 {
				t.Errorf("learner on the keys page: %d, want 403", resp.StatusCode)
			}
			_, page = anna.do(http.MethodGet, "/cursussen/"+enrolSlug, nil)
			if !strings.Contains(page, `action="/inschrijven"`) || !strings.Contains(page, `name="code"`) {
				t.Error("course page lacks the code form for a learner not enrolled")
			}
			resp, page = anna.do(http.MethodGet, "/inschrijven?code="+key.Code, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `value="`+key.Code+`"`) {
				t.Errorf("redeem page from a link: %d, code not filled in", resp.StatusCode)
			}
			typed := strings.ToLower(strings.ReplaceAll(key.Code, "-", " "))
			resp, _ = learnPost(anna, "/inschrijven", url.Values{"code": {typed}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/leren/"+enrolSlug {
				t.Fatalf("redeem: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			e, err := a.learning.Enrolment(ctx, annaUser.ID, courseID)
			if err != nil || e.Source != courses.SourceKey || e.Deadline == nil {
				t.Fatalf("enrolment by key: %+v %v", e, err)
			}
			// Redeeming again enrols nobody new and uses no place.
			if resp, _ := learnPost(anna, "/inschrijven", url.Values{"code": {key.Code}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("redeem twice: %d", resp.StatusCode)
			}
			if k := enrolKey(t, a, courseID, key.ID); k.Uses != 1 {
				t.Errorf("uses after redeeming twice: %d, want 1", k.Uses)
			}

			// Wrong, empty, used-up, expired and revoked codes.
			bram, _ := learnSignedIn(t, a, "bram@example.nl", courses.RoleLearner)
			cas, casUser := learnSignedIn(t, a, "cas@example.nl", courses.RoleLearner)
			for _, tc := range []struct{ code, want string }{
				{"AAAA-BBBB-CCCC", "deze code kennen we niet"},
				{"", "is verplicht"},
			} {
				resp, page := learnPost(cas, "/inschrijven", url.Values{"code": {tc.code}})
				if resp.StatusCode != 400 || !enrolHasError(page, "code", tc.want) || !strings.Contains(page, `aria-invalid="true"`) {
					t.Errorf("code %q: %d, want 400 with %q next to the field", tc.code, resp.StatusCode, tc.want)
				}
			}
			if resp, _ := learnPost(bram, "/inschrijven", url.Values{"code": {key.Code}}); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("second place: %d", resp.StatusCode)
			}
			resp, page = learnPost(cas, "/inschrijven", url.Values{"code": {key.Code}})
			if resp.StatusCode != 400 || !enrolHasError(page, "code", "maximale aantal deelnemers (2)") {
				t.Errorf("used-up code: %d", resp.StatusCode)
			}
			expiring := enrolCreateKey(t, a, owner, enrolSlug, url.Values{"expires": {"2026-11-30"}})
			a.db.Now = func() time.Time { return enrolNow.AddDate(0, 1, 0) }
			resp, page = learnPost(cas, "/inschrijven", url.Values{"code": {expiring.Code}})
			if resp.StatusCode != 400 || !enrolHasError(page, "code", "is verlopen op 30 november 2026") {
				t.Errorf("expired code: %d", resp.StatusCode)
			}
			a.db.Now = func() time.Time { return enrolNow }
			revoked := enrolCreateKey(t, a, owner, enrolSlug, url.Values{"expires": {"2026-12-31"}})
			revoke := base + "/" + strconv.FormatInt(revoked.ID, 10) + "/intrekken"
			if resp, _ := learnPost(other, revoke, nil); resp.StatusCode != 404 {
				t.Errorf("another trainer revokes: %d, want 404", resp.StatusCode)
			}
			if resp, _ := learnPost(owner, revoke, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			if resp, _ := learnPost(owner, revoke, nil); resp.StatusCode != 404 {
				t.Errorf("revoke twice: %d, want 404", resp.StatusCode)
			}
			resp, page = learnPost(cas, "/inschrijven", url.Values{"code": {revoked.Code}})
			if resp.StatusCode != 400 || !enrolHasError(page, "code", "is ingetrokken") {
				t.Errorf("revoked code: %d", resp.StatusCode)
			}
			if _, err := a.learning.Enrolment(ctx, casUser.ID, courseID); courses.ErrorCode(err) != courses.ENOTFOUND {
				t.Errorf("refused codes enrolled cas: %v", err)
			}
			if events, _ := a.audit.AuditEvents(ctx, "enrolment_key.", 0, 10); len(events) != 4 {
				t.Errorf("audit: %d key events, want 3 created and 1 revoked", len(events))
			}
		})
	}
}

func enrolKey(t *testing.T, a *application, courseID, id int64) courses.EnrolmentKey {
	t.Helper()
	keys, err := a.learning.Keys(context.Background(), courseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k
		}
	}
	t.Fatalf("no key %d", id)
	return courses.EnrolmentKey{}
}

// TestEnrolKeyConcurrentRedemptions: ten learners redeem a key for three at
// the same moment; exactly three are enrolled.
func TestEnrolKeyConcurrentRedemptions(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			owner, _ := enrolOwner(t, a, "trainer@example.nl", enrolSlug)
			key := enrolCreateKey(t, a, owner, enrolSlug, url.Values{"expires": {"2026-12-31"}, "max_uses": {"3"}})
			var clients []*client
			for i := range 10 {
				c, _ := learnSignedIn(t, a, "raadslid"+strconv.Itoa(i)+"@example.nl", courses.RoleLearner)
				clients = append(clients, c)
			}
			statuses := make([]int, len(clients))
			errs := make([]error, len(clients))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i], _, errs[i] = enrolPostAsync(c, "/inschrijven", url.Values{"code": {key.Code}})
				}()
			}
			close(start)
			wg.Wait()
			enrolled, refused := 0, 0
			for i, s := range statuses {
				switch {
				case errs[i] != nil:
					t.Errorf("redemption %d: %v", i, errs[i])
				case s == http.StatusSeeOther:
					enrolled++
				case s == http.StatusBadRequest:
					refused++
				default:
					t.Errorf("redemption %d: status %d", i, s)
				}
			}
			if enrolled != 3 || refused != 7 {
				t.Errorf("got %d enrolled and %d refused, want 3 and 7", enrolled, refused)
			}
			courseID := enrolCourseID(t, a, enrolSlug)
			if k := enrolKey(t, a, courseID, key.ID); k.Uses != 3 {
				t.Errorf("uses: %d, want 3", k.Uses)
			}
			learners, err := a.learning.CourseEnrolments(context.Background(), courseID)
			if err != nil || len(learners) != 3 {
				t.Errorf("enrolments: %d (%v), want 3", len(learners), err)
			}
		})
	}
}

// TestEnrolLearnersByList: a list with a bad line enrols nobody and names
// file, line and field; a good list enrols everyone; one person is enrolled
// by e-mail address; the learners page shows them.
func TestEnrolLearnersByList(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			courseID := enrolCourseID(t, a, enrolSlug)
			owner, ownerUser := enrolOwner(t, a, "trainer@example.nl", enrolSlug)
			for _, email := range []string{"anna@example.nl", "bram@example.nl", "cas@example.nl"} {
				createTestUser(t, a, email, courses.RoleLearner)
			}
			base := "/beheer/cursussen/" + enrolSlug + "/cursisten"
			count := func() int {
				t.Helper()
				list, err := a.learning.CourseEnrolments(ctx, courseID)
				if err != nil {
					t.Fatal(err)
				}
				return len(list)
			}

			for _, tc := range []struct{ name, csv, want string }{
				{"a bad date", "email;deadline\nanna@example.nl;2027-03-31\nbram@example.nl;31-02-2027\n", "lijst.csv:3: deadline: &#34;31-02-2027&#34; is geen datum"},
				{"a bad address", "email\nanna@example.nl\ngeen-adres\n", "lijst.csv:3: email: &#34;geen-adres&#34; is geen geldig e-mailadres"},
				{"no account", "email\nanna@example.nl\nonbekend@example.nl\n", "lijst.csv:3: email: er is geen actief account met het adres onbekend@example.nl"},
				{"no email column", "naam\nAnna\n", "lijst.csv:1: email: de kolom ontbreekt"},
			} {
				resp, page := enrolUpload(owner, base+"/lijst", nil, "lijst.csv", tc.csv)
				if resp.StatusCode != 400 || !strings.Contains(page, tc.want) {
					t.Errorf("%s: %d, want 400 naming %q", tc.name, resp.StatusCode, tc.want)
				}
				if n := count(); n != 0 {
					t.Fatalf("%s: %d enrolled, want none", tc.name, n)
				}
			}

			resp, page := enrolUpload(owner, base+"/lijst", nil, "lijst.csv", "email;deadline\r\nAnna@Example.nl;2027-03-31\r\nbram@example.nl;\r\n")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?ingeschreven=2" {
				t.Fatalf("good list: %d to %q; %.500s", resp.StatusCode, resp.Header.Get("Location"), page)
			}
			list, _ := a.learning.CourseEnrolments(ctx, courseID)
			if len(list) != 2 {
				t.Fatalf("after the good list: %d enrolled, want 2", len(list))
			}
			for _, l := range list {
				if l.Source != courses.SourceTrainer || l.EnrolledBy != ownerUser.ID {
					t.Errorf("%s: source %q by %d", l.Email, l.Source, l.EnrolledBy)
				}
				if wantDeadline := l.Email == "anna@example.nl"; (l.Deadline != nil) != wantDeadline {
					t.Errorf("%s: deadline %v", l.Email, l.Deadline)
				}
			}

			// One person by e-mail address.
			resp, page = learnPost(owner, base, url.Values{"email": {"onbekend@example.nl"}})
			if resp.StatusCode != 400 || !enrolHasError(page, "email", "er is geen actief account") {
				t.Errorf("enrol an unknown address: %d", resp.StatusCode)
			}
			resp, page = learnPost(owner, base, url.Values{"email": {"cas@example.nl"}, "deadline": {"gisteren"}})
			if resp.StatusCode != 400 || !enrolHasError(page, "deadline", "is geen datum") || !strings.Contains(page, `value="cas@example.nl"`) {
				t.Errorf("enrol with a bad deadline: %d", resp.StatusCode)
			}
			if resp, _ := learnPost(owner, base, url.Values{"email": {"cas@example.nl"}, "deadline": {"2027-01-31"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("enrol one: %d", resp.StatusCode)
			}
			if n := count(); n != 3 {
				t.Errorf("after enrolling one: %d, want 3", n)
			}
			_, page = owner.do(http.MethodGet, base, nil)
			for _, want := range []string{"anna@example.nl", "bram@example.nl", "cas@example.nl", "/cursisten/", "/voltooien", "/uitschrijven"} {
				if !strings.Contains(page, want) {
					t.Errorf("learners page lacks %q", want)
				}
			}
			if strings.Contains(page, "/voltooiing-intrekken") {
				t.Error("a trainer is offered to undo completions")
			}
		})
	}
}

// TestEnrolByAssociation: an association's admin enrols members, one or a
// list, but not people who are not members, and not through another
// association.
func TestEnrolByAssociation(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			courseID := enrolCourseID(t, a, enrolSlug)
			hash, _ := hashPassword(testPassword)
			for email, as := range map[string]string{"lid1@example.nl": "vvg", "lid2@example.nl": "vvg", "buiten@example.nl": "ngb"} {
				if _, err := a.users.CreateUser(ctx, &courses.NewUser{Email: email, Name: "Lid " + email, Role: courses.RoleLearner,
					Associations: []string{as}, PasswordHash: hash}); err != nil {
					t.Fatal(err)
				}
			}
			griffie := associationAdmin(t, a, "griffie@example.nl", "vvg")
			enrolled := func(email string) bool {
				t.Helper()
				e, err := a.learning.Enrolment(ctx, mustUserID(t, a, email), courseID)
				if err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
					t.Fatal(err)
				}
				return err == nil && e.WithdrawnAt == nil
			}

			resp, page := griffie.do(http.MethodGet, "/vereniging/vvg/inschrijven", nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `<option value="`+enrolSlug+`"`) {
				t.Fatalf("association enrol page: %d", resp.StatusCode)
			}
			for _, path := range []string{"/vereniging/ngb/inschrijven", "/vereniging/bestaat-niet/inschrijven"} {
				if resp, _ := griffie.do(http.MethodGet, path, nil); resp.StatusCode != 404 {
					t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
				}
				if resp, _ := learnPost(griffie, path, url.Values{"cursus": {enrolSlug}, "email": {"buiten@example.nl"}}); resp.StatusCode != 404 {
					t.Errorf("POST %s: %d, want 404", path, resp.StatusCode)
				}
			}
			if enrolled("buiten@example.nl") {
				t.Fatal("another association's member was enrolled")
			}

			resp, page = learnPost(griffie, "/vereniging/vvg/inschrijven", url.Values{"email": {"lid1@example.nl"}})
			if resp.StatusCode != 400 || !enrolHasError(page, "cursus", "is verplicht") {
				t.Errorf("no course chosen: %d", resp.StatusCode)
			}
			resp, page = learnPost(griffie, "/vereniging/vvg/inschrijven", url.Values{"cursus": {enrolSlug}, "email": {"buiten@example.nl"}})
			if resp.StatusCode != 400 || !enrolHasError(page, "email", "buiten@example.nl is geen lid van uw vereniging") {
				t.Errorf("a non-member: %d", resp.StatusCode)
			}
			resp, _ = learnPost(griffie, "/vereniging/vvg/inschrijven", url.Values{"cursus": {enrolSlug}, "email": {"lid1@example.nl"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/vereniging/vvg/inschrijven?ingeschreven=1" {
				t.Fatalf("enrol a member: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if e, err := a.learning.Enrolment(ctx, mustUserID(t, a, "lid1@example.nl"), courseID); err != nil || e.Source != courses.SourceAssociation {
				t.Errorf("member's enrolment: %+v %v", e, err)
			}

			list := map[string]string{"wijze": "lijst", "cursus": enrolSlug}
			resp, page = enrolUpload(griffie, "/vereniging/vvg/inschrijven", list, "leden.csv", "email\nlid2@example.nl\nbuiten@example.nl\n")
			if resp.StatusCode != 400 || !strings.Contains(page, "leden.csv:3: email: buiten@example.nl is geen lid van uw vereniging") {
				t.Errorf("list with a non-member: %d", resp.StatusCode)
			}
			if enrolled("lid2@example.nl") || enrolled("buiten@example.nl") {
				t.Fatal("a refused list enrolled someone")
			}
			resp, _ = enrolUpload(griffie, "/vereniging/vvg/inschrijven", list, "leden.csv", "email\nlid2@example.nl\nlid1@example.nl\n")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/vereniging/vvg/inschrijven?ingeschreven=1" {
				t.Fatalf("list of members: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !enrolled("lid2@example.nl") {
				t.Error("member on the list not enrolled")
			}

			// Learners and trainers do not see the page.
			learner, _ := learnSignedIn(t, a, "leerling@example.nl", courses.RoleLearner)
			if resp, _ := learner.do(http.MethodGet, "/vereniging/vvg/inschrijven", nil); resp.StatusCode != 404 {
				t.Errorf("learner: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestEnrolWithdrawKeepsProgress: a learner leaves a course and comes back
// to the progress they made; a trainer withdraws a learner likewise.
func TestEnrolWithdrawKeepsProgress(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			courseID := enrolCourseID(t, a, enrolSlug)
			c, u := learnSignedIn(t, a, "anna@example.nl", courses.RoleLearner)
			learnEnrol(t, c, enrolSlug)
			if resp, _ := learnPost(c, learnFirst+"/gedaan", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("mark done: %d", resp.StatusCode)
			}
			_, page := c.do(http.MethodGet, "/cursussen/"+enrolSlug, nil)
			if !strings.Contains(page, `action="/leren/`+enrolSlug+`/uitschrijven"`) || !strings.Contains(page, `aria-describedby="withdraw-text"`) {
				t.Error("course page lacks the withdraw form with its explanation")
			}
			resp, _ := learnPost(c, "/leren/"+enrolSlug+"/uitschrijven", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cursussen/"+enrolSlug {
				t.Fatalf("withdraw: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := learnPost(c, "/leren/"+enrolSlug+"/uitschrijven", nil); resp.StatusCode != 404 {
				t.Errorf("withdraw twice: %d, want 404", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodGet, learnFirst, nil); resp.StatusCode != 404 {
				t.Errorf("lesson after withdrawing: %d, want 404", resp.StatusCode)
			}
			_, page = c.do(http.MethodGet, "/cursussen/"+enrolSlug, nil)
			if !strings.Contains(page, `action="/cursussen/`+enrolSlug+`/inschrijven"`) || strings.Contains(page, "/uitschrijven") {
				t.Error("course page after withdrawing lacks the enrol form or still offers to withdraw")
			}
			e, err := a.learning.Enrolment(ctx, u.ID, courseID)
			if err != nil || e.WithdrawnAt == nil || e.Done != 1 {
				t.Fatalf("withdrawn enrolment: %+v %v", e, err)
			}
			learnEnrol(t, c, enrolSlug)
			if e, err := a.learning.Enrolment(ctx, u.ID, courseID); err != nil || e.WithdrawnAt != nil || e.Done != 1 {
				t.Errorf("enrolled again: %+v %v, want the one activity done kept", e, err)
			}

			// The course's trainer withdraws her; the progress stays again.
			owner, _ := enrolOwner(t, a, "trainer@example.nl", enrolSlug)
			path := "/beheer/cursussen/" + enrolSlug + "/cursisten/" + strconv.FormatInt(e.ID, 10) + "/uitschrijven"
			other, _ := learnSignedIn(t, a, "andere@example.nl", courses.RoleTrainer)
			if resp, _ := learnPost(other, path, nil); resp.StatusCode != 404 {
				t.Errorf("another trainer withdraws: %d, want 404", resp.StatusCode)
			}
			if resp, _ := learnPost(owner, path, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("trainer withdraws: %d", resp.StatusCode)
			}
			if e, _ := a.learning.Enrolment(ctx, u.ID, courseID); e.WithdrawnAt == nil || e.Done != 1 {
				t.Errorf("withdrawn by the trainer: %+v", e)
			}
			if resp, _ := learnPost(owner, path, nil); resp.StatusCode != 404 {
				t.Errorf("withdraw a withdrawn learner: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestEnrolManualCompletion: the course's trainer completes an enrolment
// by hand with a reason (required, audited); other trainers and learners
// may not; only admins take a completion back.
func TestEnrolManualCompletion(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			c, u := learnSignedIn(t, a, "anna@example.nl", courses.RoleLearner)
			learnEnrol(t, c, enrolSlug)
			courseID := enrolCourseID(t, a, enrolSlug)
			e, err := a.learning.Enrolment(ctx, u.ID, courseID)
			if err != nil {
				t.Fatal(err)
			}
			owner, ownerUser := enrolOwner(t, a, "trainer@example.nl", enrolSlug)
			other, _ := learnSignedIn(t, a, "andere@example.nl", courses.RoleTrainer)
			admin, _ := learnSignedIn(t, a, "beheer@example.nl", courses.RoleAdmin)
			base := "/beheer/cursussen/" + enrolSlug + "/cursisten/" + strconv.FormatInt(e.ID, 10)
			reason := url.Values{"reason": {"Heeft de fysieke cursus in 2025 gevolgd; certificaat gezien"}}

			for _, tc := range []struct {
				name string
				c    *client
				want int
			}{{"another trainer", other, 404}, {"the learner", c, 403}} {
				if resp, _ := learnPost(tc.c, base+"/voltooien", reason); resp.StatusCode != tc.want {
					t.Errorf("%s completes: %d, want %d", tc.name, resp.StatusCode, tc.want)
				}
			}
			resp, page := learnPost(owner, base+"/voltooien", url.Values{"reason": {"  "}})
			if resp.StatusCode != 400 || !enrolHasError(page, "reason-"+strconv.FormatInt(e.ID, 10), "is te kort") {
				t.Errorf("complete without a reason: %d", resp.StatusCode)
			}
			if got, _ := a.learning.EnrolmentByID(ctx, e.ID); got.CompletedAt != nil {
				t.Fatal("refused completions completed the enrolment")
			}
			// An enrolment of another course is not found under this one.
			wrong := "/beheer/cursussen/begroting-lezen-en-beinvloeden/cursisten/" + strconv.FormatInt(e.ID, 10) + "/voltooien"
			if resp, _ := learnPost(admin, wrong, reason); resp.StatusCode != 404 {
				t.Errorf("complete through another course: %d, want 404", resp.StatusCode)
			}

			if resp, _ := learnPost(owner, base+"/voltooien", reason); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("complete: %d", resp.StatusCode)
			}
			got, _ := a.learning.EnrolmentByID(ctx, e.ID)
			if got.CompletedAt == nil || got.CompletionKind != courses.CompletionManual || got.CompletedBy != ownerUser.ID || got.CompletionReason != reason.Get("reason") {
				t.Errorf("completed enrolment: %+v", got)
			}
			events, _ := a.audit.AuditEvents(ctx, "enrolment.completed_manually", 0, 5)
			if len(events) != 1 || events[0].ActorID != ownerUser.ID || !strings.Contains(events[0].Detail, "certificaat gezien") {
				t.Errorf("audit of the completion: %+v", events)
			}
			_, page = owner.do(http.MethodGet, "/beheer/cursussen/"+enrolSlug+"/cursisten", nil)
			if !strings.Contains(page, "certificaat gezien") {
				t.Error("learners page lacks the reason of the completion")
			}

			// Undoing is for admins.
			if resp, _ := learnPost(owner, base+"/voltooiing-intrekken", nil); resp.StatusCode != 403 {
				t.Errorf("trainer undoes: %d, want 403", resp.StatusCode)
			}
			_, page = admin.do(http.MethodGet, "/beheer/cursussen/"+enrolSlug+"/cursisten", nil)
			if !strings.Contains(page, base+"/voltooiing-intrekken") {
				t.Error("admin's learners page lacks the undo form")
			}
			if resp, _ := learnPost(admin, base+"/voltooiing-intrekken", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin undoes: %d", resp.StatusCode)
			}
			if got, _ := a.learning.EnrolmentByID(ctx, e.ID); got.CompletedAt != nil || got.CompletionKind != "" {
				t.Errorf("after undoing: %+v", got)
			}
			if events, _ := a.audit.AuditEvents(ctx, "enrolment.completion_undone", 0, 5); len(events) != 1 {
				t.Errorf("audit of the undo: %d events", len(events))
			}
			if resp, _ := learnPost(admin, base+"/voltooiing-intrekken", nil); resp.StatusCode != 404 {
				t.Errorf("undo twice: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// The session course: a session on 14 January 2027 with places places, in
// a place whose name has a comma and a semicolon, and one that is over.
const (
	enrolSessionSlug     = "bijeenkomsten-test"
	enrolSessionPage     = "/leren/" + enrolSessionSlug + "/oefenen/oefenavond"
	enrolSessionPast     = "/leren/" + enrolSessionSlug + "/oefenen/terugblik"
	enrolSessionActivity = "oefenen/oefenavond"
)

// enrolSessionCourse publishes the session course.
func enrolSessionCourse(t *testing.T, a *application, places int) *courses.Course {
	t.Helper()
	return learnImport(t, a, enrolSessionSlug, map[string]string{
		"01-oefenen/module.md": "---\ntitle: Oefenen\n---\n",
		"01-oefenen/01-oefenavond.md": "---\nkind: session\ntitle: Oefenavond: amendementen schrijven\nminutes: 150\n" +
			"starts: 2027-01-14 19:30\nends: 2027-01-14 22:00\nlocation: Stadhuis Utrecht, Stadsplateau 1; zaal 2.14\n" +
			"online_url: https://meet.example.nl/oefenavond\ncapacity: " + strconv.Itoa(places) + "\n---\nNeem een voorstel mee.\n",
		"01-oefenen/02-terugblik.md": "---\nkind: session\ntitle: Terugblik\nminutes: 60\nstarts: 2026-01-10 10:00\nends: 2026-01-10 11:00\n" +
			"location: Raadzaal\ncapacity: 10\n---\nWat ging er goed?\n",
	}, true)
}

// TestSessionRegistration: two learners race for the last place and get a
// place and a waiting-list entry; a full session offers the waiting list
// with the position; cancelling promotes the first waiting; a session that
// is over offers no buttons.
func TestSessionRegistration(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			course := enrolSessionCourse(t, a, 1)
			var clients []*client
			users := map[int64]*client{}
			for _, email := range []string{"anna@example.nl", "bram@example.nl", "cas@example.nl"} {
				c, u := learnSignedIn(t, a, email, courses.RoleLearner)
				learnEnrol(t, c, enrolSessionSlug)
				clients = append(clients, c)
				users[u.ID] = c
			}
			anna, bram, cas := clients[0], clients[1], clients[2]

			// The session page links to the registration page and the calendar.
			resp, page := anna.do(http.MethodGet, enrolSessionPage, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `href="`+enrolSessionPage+`/aanmelden"`) ||
				!strings.Contains(page, `href="/cursussen/`+enrolSessionSlug+`/bijeenkomsten/oefenen/oefenavond.ics"`) {
				t.Errorf("session page: %d, registration or calendar link missing", resp.StatusCode)
			}
			resp, page = anna.do(http.MethodGet, enrolSessionPage+"/aanmelden", nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `action="`+enrolSessionPage+`/aanmelden"`) || strings.Contains(page, "/afmelden") {
				t.Fatalf("registration page: %d", resp.StatusCode)
			}

			// Two learners race for the one place.
			var wg sync.WaitGroup
			statuses, errs := make([]int, 2), make([]error, 2)
			start := make(chan struct{})
			for i, c := range []*client{anna, bram} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i], _, errs[i] = enrolPostAsync(c, enrolSessionPage+"/aanmelden", url.Values{})
				}()
			}
			close(start)
			wg.Wait()
			for i := range statuses {
				if errs[i] != nil || statuses[i] != http.StatusSeeOther {
					t.Fatalf("registration %d: %d %v", i, statuses[i], errs[i])
				}
			}
			regs, err := a.learning.Registrations(ctx, course.ID, enrolSessionActivity)
			if err != nil || len(regs) != 2 || regs[0].Status != courses.Registered || regs[1].Status != courses.Waiting || regs[1].Position != 1 {
				t.Fatalf("after the race: %+v %v, want one place and one waiting", regs, err)
			}
			placed, waiting := users[regs[0].UserID], users[regs[1].UserID]
			_, page = placed.do(http.MethodGet, enrolSessionPage+"/aanmelden", nil)
			if !strings.Contains(page, `action="`+enrolSessionPage+`/afmelden"`) || strings.Contains(page, `action="`+enrolSessionPage+`/aanmelden"`) {
				t.Error("the placed learner is not offered to cancel")
			}
			// Registering again changes nothing.
			if resp, _ := learnPost(placed, enrolSessionPage+"/aanmelden", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("register twice: %d", resp.StatusCode)
			}

			// The third learner sees a full session and joins the waiting list as number 2.
			_, page = cas.do(http.MethodGet, enrolSessionPage+"/aanmelden", nil)
			if !strings.Contains(page, `action="`+enrolSessionPage+`/aanmelden"`) || !strings.Contains(page, `aria-describedby="waitlist-text"`) {
				t.Error("a full session does not offer the waiting list")
			}
			resp, _ = learnPost(cas, enrolSessionPage+"/aanmelden", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != enrolSessionPage+"/aanmelden?gedaan=wachtlijst" {
				t.Errorf("join the waiting list: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			casUser := mustUserID(t, a, "cas@example.nl")
			if r, err := a.learning.Registration(ctx, casUser, course.ID, enrolSessionActivity); err != nil || r.Position != 2 {
				t.Errorf("cas on the waiting list: %+v %v, want position 2", r, err)
			}

			// The placed learner cancels: the first waiting gets the place.
			resp, _ = learnPost(placed, enrolSessionPage+"/afmelden", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("cancel: %d", resp.StatusCode)
			}
			regs, _ = a.learning.Registrations(ctx, course.ID, enrolSessionActivity)
			if len(regs) != 2 || users[regs[0].UserID] != waiting || regs[0].Status != courses.Registered || regs[1].UserID != casUser || regs[1].Position != 1 {
				t.Errorf("after cancelling: %+v, want the first waiting placed and cas first on the list", regs)
			}
			if resp, _ := learnPost(placed, enrolSessionPage+"/afmelden", nil); resp.StatusCode != 404 {
				t.Errorf("cancel twice: %d, want 404", resp.StatusCode)
			}

			// A session that is over: no buttons, and registering is refused.
			_, page = anna.do(http.MethodGet, enrolSessionPast+"/aanmelden", nil)
			if strings.Contains(page, `action="`+enrolSessionPast+`/aanmelden"`) || strings.Contains(page, `action="`+enrolSessionPast+`/afmelden"`) {
				t.Error("a session that is over offers buttons")
			}
			resp, page = learnPost(anna, enrolSessionPast+"/aanmelden", nil)
			if resp.StatusCode != 400 || !strings.Contains(page, "deze bijeenkomst is al begonnen of voorbij") {
				t.Errorf("register for a past session: %d", resp.StatusCode)
			}

			// Not enrolled, or not a session: not found.
			stranger, _ := learnSignedIn(t, a, "vreemde@example.nl", courses.RoleLearner)
			if resp, _ := learnPost(stranger, enrolSessionPage+"/aanmelden", nil); resp.StatusCode != 404 {
				t.Errorf("register without enrolment: %d, want 404", resp.StatusCode)
			}
			if resp, _ := anna.do(http.MethodGet, learnFirst+"/aanmelden", nil); resp.StatusCode != 404 {
				t.Errorf("registration page of a lesson: %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestSessionAttendance: the trainer's list shows places and the waiting
// list; marking attendance needs a choice, marks the session done for the
// learner (progress) and is audited.
func TestSessionAttendance(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := enrolApp(t, kind)
			ctx := context.Background()
			course := enrolSessionCourse(t, a, 2)
			anna, annaUser := learnSignedIn(t, a, "anna@example.nl", courses.RoleLearner)
			bram, bramUser := learnSignedIn(t, a, "bram@example.nl", courses.RoleLearner)
			cas, _ := learnSignedIn(t, a, "cas@example.nl", courses.RoleLearner)
			casUser := mustUserID(t, a, "cas@example.nl")
			for _, c := range []*client{anna, bram, cas} {
				learnEnrol(t, c, enrolSessionSlug)
				if resp, _ := learnPost(c, enrolSessionPage+"/aanmelden", nil); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("register: %d", resp.StatusCode)
				}
			}
			owner, _ := enrolOwner(t, a, "trainer@example.nl", enrolSessionSlug)
			other, _ := learnSignedIn(t, a, "andere@example.nl", courses.RoleTrainer)
			list := "/beheer/cursussen/" + enrolSessionSlug + "/bijeenkomsten/oefenen/oefenavond"
			if resp, _ := other.do(http.MethodGet, list, nil); resp.StatusCode != 404 {
				t.Errorf("another trainer's attendance list: %d, want 404", resp.StatusCode)
			}
			if resp, _ := anna.do(http.MethodGet, list, nil); resp.StatusCode != 403 {
				t.Errorf("a learner's attendance list: %d, want 403", resp.StatusCode)
			}
			resp, page := owner.do(http.MethodGet, list, nil)
			if resp.StatusCode != 200 || !strings.Contains(page, `name="aanwezig" value="`+strconv.FormatInt(annaUser.ID, 10)+`"`) ||
				!strings.Contains(page, `name="iedereen" value="ja"`) || !strings.Contains(page, "<ol class=\"utrecht-ordered-list\">") {
				t.Fatalf("attendance list: %d, checkbox, everyone button or waiting list missing", resp.StatusCode)
			}
			if _, page := owner.do(http.MethodGet, "/beheer/cursussen/"+enrolSessionSlug+"/cursisten", nil); !strings.Contains(page, `href="`+list+`"`) {
				t.Error("learners page does not link to the attendance list")
			}
			if resp, _ := learnPost(owner, list+"/aanwezigheid", nil); resp.StatusCode != 400 {
				t.Errorf("mark nobody: %d, want 400", resp.StatusCode)
			}
			if resp, _ := learnPost(owner, list+"/aanwezigheid", url.Values{"aanwezig": {"iemand"}}); resp.StatusCode != 400 {
				t.Errorf("mark a bad id: %d, want 400", resp.StatusCode)
			}
			resp, _ = learnPost(owner, list+"/aanwezigheid", url.Values{"aanwezig": {strconv.FormatInt(annaUser.ID, 10)}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != list+"?gemarkeerd=1" {
				t.Fatalf("mark one: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			e, err := a.learning.Enrolment(ctx, annaUser.ID, course.ID)
			if err != nil || e.Done != 1 {
				t.Errorf("anna's progress after attending: %+v %v, want 1 done", e, err)
			}
			// Everyone with a place: only bram is left to mark; cas waits.
			resp, _ = learnPost(owner, list+"/aanwezigheid", url.Values{"iedereen": {"ja"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != list+"?gemarkeerd=1" {
				t.Errorf("mark everyone: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			regs, _ := a.learning.Registrations(ctx, course.ID, enrolSessionActivity)
			for _, r := range regs {
				if present := r.UserID != casUser; (r.AttendedAt != nil) != present || (r.UserID == bramUser.ID && r.Status != courses.Registered) {
					t.Errorf("user %d (%s): attended %v", r.UserID, r.Status, r.AttendedAt)
				}
			}
			if e, _ := a.learning.Enrolment(ctx, casUser, course.ID); e.Done != 0 {
				t.Errorf("cas on the waiting list has %d done, want 0", e.Done)
			}
			if _, page := anna.do(http.MethodGet, enrolSessionPage+"/aanmelden", nil); strings.Contains(page, "/afmelden\"") {
				t.Error("a learner marked present is still offered to cancel")
			}
			if events, _ := a.audit.AuditEvents(ctx, "session.attendance", 0, 5); len(events) != 2 {
				t.Errorf("audit: %d attendance events, want 2", len(events))
			}
		})
	}
}
