package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var numberPattern = regexp.MustCompile(`^RZ-20\d\d-[34679ACDEFGHJKMNPQRTUVWXY]{4}-[34679ACDEFGHJKMNPQRTUVWXY]{4}$`)

// completedLearner enrols a new learner named name in the shipped course
// and has an admin complete it through the API, which issues the
// certificate; it returns the learner's token and the certificate number.
func completedLearner(t *testing.T, a *application, email, name, adminToken string) (string, string) {
	t.Helper()
	ctx := context.Background()
	u := createTestUser(t, a, email, courses.RoleLearner)
	if err := a.users.UpdateProfile(ctx, u.ID, name, "nl"); err != nil {
		t.Fatal(err)
	}
	_, token := apiToken(t, a, email, testPassword)
	resp, body := apiCall(t, a, token, http.MethodPost, "/api/v1/courses/"+learnSlug+"/enrolment", "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("enrol: %d %s", resp.StatusCode, body)
	}
	var e apiEnrolment
	if err := json.Unmarshal(body, &e); err != nil || e.Certificate != nil {
		t.Fatalf("enrolment before completion: %s (%v)", body, err)
	}
	resp, body = apiCall(t, a, adminToken, http.MethodPost, fmt.Sprintf("/api/v1/enrolments/%d/completion", e.ID),
		`{"reason":"Aanwezig bij de fysieke training"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("complete: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, a, token, http.MethodGet, "/api/v1/me/enrolments", "")
	var list apiEnrolmentList
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Enrolments) != 1 ||
		list.Enrolments[0].Certificate == nil || !numberPattern.MatchString(*list.Enrolments[0].Certificate) {
		t.Fatalf("enrolments after completion: %d %s", resp.StatusCode, body)
	}
	return token, *list.Enrolments[0].Certificate
}

// needTool finds a command-line tool, failing in CI (which installs it)
// and skipping elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// TestCertificates: a completion through the API issues a certificate
// whose PDF its holder (and admins, nobody else) downloads, whose number
// anyone verifies (API and page), whose credential verifies against the
// published keys with another JOSE library, and which admins re-issue and
// revoke.
func TestCertificates(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			ctx := context.Background()
			createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			_, adminToken := apiToken(t, a, "beheer@example.nl", testPassword)
			token, number := completedLearner(t, a, "ayse@example.nl", "Ayşe Çelik-van 't Hoff", adminToken)
			createTestUser(t, a, "ander@example.nl", courses.RoleLearner)
			_, otherToken := apiToken(t, a, "ander@example.nl", testPassword)
			course, err := a.courses.CourseBySlug(ctx, learnSlug)
			if err != nil {
				t.Fatal(err)
			}

			// The PDF: its holder and admins get the same stored bytes;
			// anyone else is told it does not exist.
			resp, pdf := apiCall(t, a, token, http.MethodGet, "/api/v1/certificates/"+number+".pdf", "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("PDF: %d %s %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), pdf)
			}
			if _, again := apiCall(t, a, adminToken, http.MethodGet, "/api/v1/certificates/"+number+".pdf", ""); !bytes.Equal(again, pdf) {
				t.Error("the admin got other bytes than the holder: the PDF is not served from storage")
			}
			if resp, _ := apiCall(t, a, otherToken, http.MethodGet, "/api/v1/certificates/"+number+".pdf", ""); resp.StatusCode != 404 {
				t.Errorf("another learner's download: %d, want 404", resp.StatusCode)
			}
			if resp, _ := apiCall(t, a, otherToken, http.MethodGet, "/api/v1/certificates/"+number+"/credential", ""); resp.StatusCode != 404 {
				t.Errorf("another learner's credential: %d, want 404", resp.StatusCode)
			}
			if _, err := exec.LookPath("pdftotext"); err == nil || os.Getenv("CI") == "true" {
				tool := needTool(t, "pdftotext")
				file := t.TempDir() + "/c.pdf"
				if err := os.WriteFile(file, pdf, 0o600); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(tool, "-layout", file, "-").Output()
				if err != nil {
					t.Fatal(err)
				}
				text := strings.Join(strings.Fields(string(out)), " ")
				for _, want := range []string{"Ayşe Çelik-van 't Hoff", course.Title, number, "/verifieer/" + number} {
					if !strings.Contains(text, want) {
						t.Errorf("the PDF's text lacks %q:\n%s", want, text)
					}
				}
			}

			// The holder's data export lists it.
			if resp, body := apiCall(t, a, token, http.MethodGet, "/account/mijn-gegevens.json", ""); resp.StatusCode != 200 ||
				!strings.Contains(string(body), `"number": "`+number+`"`) {
				t.Errorf("data export: %d, without the certificate: %.300s", resp.StatusCode, body)
			}

			// Verification, as typed: lower case is read as the number.
			typed := strings.ToLower(number)
			resp, body := apiCall(t, a, "", http.MethodGet, "/api/v1/verify/"+typed, "")
			var v apiVerification
			if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != 200 {
				t.Fatalf("verify: %d %s", resp.StatusCode, body)
			}
			today := time.Now().In(courses.Amsterdam).Format(time.DateOnly)
			if v.Status != "valid" || v.Holder != "Ayşe Çelik-van 't Hoff" || v.Course != course.Title || v.IssuedOn != today || v.Number != number {
				t.Errorf("verification: %+v", v)
			}
			var generic map[string]any
			_ = json.Unmarshal(body, &generic)
			for k := range generic {
				if !strings.Contains(" number status holder course issued_on expires_on revoked_on replaced_by ", " "+k+" ") {
					t.Errorf("verification tells %q", k)
				}
			}
			checkSchema(t, a, "Verification", body)
			page := certPage(t, a, "/verifieer/"+number, 200)
			for _, want := range []string{"Geldig", "Ayşe Çelik-van &#39;t Hoff", course.Title, number} {
				if !strings.Contains(page, want) {
					t.Errorf("verification page lacks %q", want)
				}
			}
			if resp, _ := apiCall(t, a, "", http.MethodGet, "/verifieer/"+typed, ""); resp.StatusCode != 301 || resp.Header.Get("Location") != "/verifieer/"+number {
				t.Errorf("typed number: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := apiCall(t, a, "", http.MethodGet, "/verifieer?nummer="+url.QueryEscape(" "+strings.ReplaceAll(typed, "-", " ")), ""); resp.StatusCode != 303 ||
				resp.Header.Get("Location") != "/verifieer/"+number {
				t.Errorf("form with spaces: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if page := certPage(t, a, "/verifieer?nummer=RZ-2026-0000-1111", 400); !strings.Contains(page, "Dit is geen certificaatnummer") || !strings.Contains(page, `aria-invalid="true"`) {
				t.Error("a number with look-alike characters is not explained")
			}
			if page := certPage(t, a, "/verifieer/RZ-2026-AAAA-AAAA", 404); !strings.Contains(page, "Er bestaat geen certificaat met nummer RZ-2026-AAAA-AAAA") {
				t.Error("an unknown number is not explained")
			}

			// The Open Badges credential verifies with go-jose against the
			// published key set, and says what the certificate says.
			resp, jwt := apiCall(t, a, token, http.MethodGet, "/api/v1/certificates/"+number+"/credential", "")
			if resp.StatusCode != 200 {
				t.Fatalf("credential: %d %s", resp.StatusCode, jwt)
			}
			_, jwks := apiCall(t, a, "", http.MethodGet, "/.well-known/jwks.json", "")
			cred := verifyCredential(t, string(jwt), jwks)
			status, _ := cred["credentialStatus"].(map[string]any)
			subject, _ := cred["credentialSubject"].(map[string]any)
			achievement, _ := subject["achievement"].(map[string]any)
			if status["id"] != a.cfg.BaseURL.String()+"/api/v1/verify/"+number || achievement["name"] != course.Title ||
				achievement["achievementType"] != "CertificateOfCompletion" || !strings.Contains(fmt.Sprint(subject["identifier"]), "Ayşe Çelik-van 't Hoff") {
				t.Errorf("credential: %v", cred)
			}
			tampered := strings.Split(string(jwt), ".")
			payload, _ := base64.RawURLEncoding.DecodeString(tampered[1])
			tampered[1] = base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte("Ayşe"), []byte("Anna"), 1))
			if _, err := parseCredential(strings.Join(tampered, "."), jwks); err == nil {
				t.Error("a credential with another name verified")
			}

			// A name change: the admin re-issues; the old number points to
			// the new one, which bears the new name.
			if err := a.users.UpdateProfile(ctx, mustUserID(t, a, "ayse@example.nl"), "Ayşe Çelik", "nl"); err != nil {
				t.Fatal(err)
			}
			if resp, body := apiCall(t, a, adminToken, http.MethodPost, "/api/v1/certificates/"+number+"/reissue", `{"reason":""}`); resp.StatusCode != 400 {
				t.Errorf("re-issue without a reason: %d %s", resp.StatusCode, body)
			}
			resp, body = apiCall(t, a, adminToken, http.MethodPost, "/api/v1/certificates/"+number+"/reissue", `{"reason":"Naam gewijzigd"}`)
			var fresh apiVerification
			if err := json.Unmarshal(body, &fresh); err != nil || resp.StatusCode != 201 || fresh.Holder != "Ayşe Çelik" || fresh.Number == number || fresh.Status != "valid" {
				t.Fatalf("re-issue: %d %s", resp.StatusCode, body)
			}
			checkSchema(t, a, "Verification", body)
			_, body = apiCall(t, a, "", http.MethodGet, "/api/v1/verify/"+number, "")
			_ = json.Unmarshal(body, &v)
			if v.Status != "revoked" || v.RevokedOn == nil || *v.RevokedOn != today || v.ReplacedBy == nil || *v.ReplacedBy != fresh.Number || v.Holder != "Ayşe Çelik-van 't Hoff" {
				t.Errorf("the replaced certificate: %s", body)
			}
			if page := certPage(t, a, "/verifieer/"+number, 200); !strings.Contains(page, "Ingetrokken") || !strings.Contains(page, `href="/verifieer/`+fresh.Number+`"`) {
				t.Error("the replaced certificate's page does not say so or link to the new one")
			}
			if resp, _ := apiCall(t, a, adminToken, http.MethodPost, "/api/v1/certificates/"+number+"/reissue", `{"reason":"Nog eens"}`); resp.StatusCode != 409 {
				t.Errorf("re-issuing a revoked certificate: %d, want 409", resp.StatusCode)
			}

			// Revocation on the admin page: the reason is required and kept
			// when refused.
			admin := newClient(t, a)
			if resp, _ := admin.signIn("beheer@example.nl", testPassword); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin sign in: %d", resp.StatusCode)
			}
			resp, page = learnPost(admin, "/beheer/certificaten/"+fresh.Number+"/intrekken", url.Values{"reason": {"x"}})
			if resp.StatusCode != 400 || !strings.Contains(page, `id="revoke-reason-error"`) || !strings.Contains(page, `value="x"`) {
				t.Errorf("revoke with a short reason: %d", resp.StatusCode)
			}
			resp, _ = learnPost(admin, "/beheer/certificaten/"+fresh.Number+"/intrekken", url.Values{"reason": {"Ten onrechte afgegeven"}})
			if resp.StatusCode != 303 {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			if resp, page := admin.do(http.MethodGet, "/beheer/certificaten?zoek=celik", nil); resp.StatusCode != 200 || !strings.Contains(page, fresh.Number) || !strings.Contains(page, number) {
				t.Errorf("admin search for the holder: %d", resp.StatusCode)
			}
			_, body = apiCall(t, a, "", http.MethodGet, "/api/v1/verify/"+fresh.Number, "")
			if !strings.Contains(string(body), `"status":"revoked"`) {
				t.Errorf("after revocation: %s", body)
			}
			var audited int
			if err := a.db.NewSelect().TableExpr("audit_log").ColumnExpr("COUNT(*)").Where("action IN (?, ?)", "certificate.revoked", "certificate.reissued").Scan(ctx, &audited); err != nil || audited != 2 {
				t.Errorf("audited certificate events: %d, %v", audited, err)
			}

			// Expiry, with the clock moved past it.
			_, second := completedLearner(t, a, "piet@example.nl", "Piet de Vries", adminToken)
			expires := time.Now().AddDate(1, 0, 0)
			if _, err := a.db.NewRaw("UPDATE certificates SET expires_at = ? WHERE number = ?", expires.UTC(), second).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			_, body = apiCall(t, a, "", http.MethodGet, "/api/v1/verify/"+second, "")
			if !strings.Contains(string(body), `"status":"valid"`) || !strings.Contains(string(body), `"expires_on":"`+expires.In(courses.Amsterdam).Format(time.DateOnly)+`"`) {
				t.Errorf("before expiry: %s", body)
			}
			a.auth.now = func() time.Time { return expires.Add(time.Hour) }
			_, body = apiCall(t, a, "", http.MethodGet, "/api/v1/verify/"+second, "")
			if !strings.Contains(string(body), `"status":"expired"`) {
				t.Errorf("after expiry: %s", body)
			}
			if page := certPage(t, a, "/verifieer/"+second, 200); !strings.Contains(page, "Verlopen") {
				t.Error("the page of an expired certificate does not say so")
			}
			var lookups int
			_ = a.db.NewSelect().TableExpr("certificates").Column("lookups").Where("number = ?", second).Scan(ctx, &lookups)
			if lookups != 3 {
				t.Errorf("lookups counted: %d, want 3", lookups)
			}
		})
	}
}

// TestCertificateVerificationRateLimit: a client gets 60 lookups a minute,
// then 429 with Retry-After.
func TestCertificateVerificationRateLimit(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	for i := 1; i <= 61; i++ {
		resp, body := apiCall(t, a, "", http.MethodGet, "/api/v1/verify/RZ-2026-AAAA-AAAA", "")
		want := 404
		if i == 61 {
			want = 429
		}
		if resp.StatusCode != want {
			t.Fatalf("lookup %d: %d %s, want %d", i, resp.StatusCode, body, want)
		}
		if i == 61 {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 61 {
				t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
		}
	}
}

// TestAssociationCertificatesZIP: an association's admin downloads its
// members' certificates of a period as a ZIP: their PDFs and an index that
// Dutch Excel opens; another association's admin sees nothing.
func TestAssociationCertificatesZIP(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			ctx := context.Background()
			createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			_, adminToken := apiToken(t, a, "beheer@example.nl", testPassword)
			var numbers []string
			for _, p := range []struct{ email, name string }{{"lid1@example.nl", "Zoë Łukasiewicz"}, {"lid2@example.nl", "Jan de Vries"}, {"buiten@example.nl", "Kees Buiten"}} {
				_, n := completedLearner(t, a, p.email, p.name, adminToken)
				numbers = append(numbers, n)
			}
			vvg, err := a.users.AssociationBySlug(ctx, "vvg")
			if err != nil {
				t.Fatal(err)
			}
			for _, email := range []string{"lid1@example.nl", "lid2@example.nl"} {
				if _, err := a.db.NewRaw("INSERT INTO association_members (association_id, user_id, is_admin, joined_at) VALUES (?, ?, ?, ?)",
					vvg.ID, mustUserID(t, a, email), false, time.Now().UTC()).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			griffie := associationAdmin(t, a, "griffie@example.nl", "vvg")
			if resp, page := griffie.do(http.MethodGet, "/vereniging/vvg/certificaten", nil); resp.StatusCode != 200 || !strings.Contains(page, `name="van"`) {
				t.Fatalf("export page: %d", resp.StatusCode)
			}
			if resp, _ := griffie.do(http.MethodGet, "/vereniging/ngb/certificaten.zip?van=2026-01-01&tot=2030-01-01", nil); resp.StatusCode != 404 {
				t.Errorf("another association's export: %d, want 404", resp.StatusCode)
			}
			if resp, page := griffie.do(http.MethodGet, "/vereniging/vvg/certificaten.zip?van=2026-05-01&tot=2026-04-01", nil); resp.StatusCode != 400 || !strings.Contains(page, `id="tot-error"`) {
				t.Errorf("a period that ends before it starts: %d", resp.StatusCode)
			}
			today := time.Now().In(courses.Amsterdam).Format(time.DateOnly)
			resp, body := griffie.do(http.MethodGet, "/vereniging/vvg/certificaten.zip?van=2026-03-18&tot="+today, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("ZIP: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var index string
			for _, f := range zr.File {
				names = append(names, f.Name)
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				if f.Name == "overzicht.csv" {
					index = string(b)
				} else if !bytes.HasPrefix(b, []byte("%PDF-")) {
					t.Errorf("%s is not a PDF", f.Name)
				}
			}
			if len(names) != 3 || !strings.Contains(strings.Join(names, "|"), "Zoë Łukasiewicz") || strings.Contains(strings.Join(names, "|"), "Kees") {
				t.Errorf("files: %q", names)
			}
			if !strings.HasPrefix(index, "\ufeffCertificaatnummer;") || !strings.Contains(index, numbers[0]+";Zoë Łukasiewicz;") || strings.Contains(index, numbers[2]) {
				t.Errorf("index:\n%s", index)
			}
			if resp, body := griffie.do(http.MethodGet, "/vereniging/vvg/certificaten.zip?van=2020-01-01&tot=2020-12-31", nil); resp.StatusCode != 200 {
				t.Errorf("an empty period: %d", resp.StatusCode)
			} else if zr, err := zip.NewReader(strings.NewReader(body), int64(len(body))); err != nil || len(zr.File) != 1 {
				t.Errorf("an empty period's ZIP: %v", err)
			}
		})
	}
}

// certPage fetches an HTML page anonymously and checks its status.
func certPage(t *testing.T, a *application, path string, status int) string {
	t.Helper()
	resp, b := apiCall(t, a, "", http.MethodGet, path, "", "Accept", "text/html")
	if resp.StatusCode != status {
		t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, status)
	}
	return string(b)
}

// checkSchema validates a response body against a schema of the OpenAPI
// document.
func checkSchema(t *testing.T, a *application, schema string, body []byte) {
	t.Helper()
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(a.openapi))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("openapi.json#/components/schemas/" + schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s does not match %s: %v", body, schema, err)
	}
}

// parseCredential verifies a VC-JWT with go-jose (not the library that
// signs it) against a JSON Web Key Set, by the kid in its header.
func parseCredential(token string, jwks []byte) (map[string]any, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, err
	}
	sig, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	kid := sig.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		return nil, fmt.Errorf("kid %q: %d keys in the set", kid, len(keys))
	}
	payload, err := sig.Verify(keys[0])
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(payload, &out)
}

func verifyCredential(t *testing.T, token string, jwks []byte) map[string]any {
	t.Helper()
	cred, err := parseCredential(token, jwks)
	if err != nil {
		t.Fatalf("credential does not verify against the JWKS: %v", err)
	}
	return cred
}

// TestCertificateJob: after a completion commits, the background job
// renders and stores the PDF and mails its holder, in their language, the
// links to it; a revoked certificate's mail is not sent.
func TestCertificateJob(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			w := newJobWorld(t, kind, time.Now())
			ctx := context.Background()
			course, err := w.a.courses.CourseBySlug(ctx, learnSlug)
			if err != nil {
				t.Fatal(err)
			}
			u := w.learner("certificaat@example.nl", "en")
			e := w.enrol(u, course.ID)
			done, _, err := w.a.learning.CompleteManually(ctx, e.ID, u.ID, "Vrijstelling na eerdere opleiding")
			if err != nil {
				t.Fatal(err)
			}
			n := 1
			if done.ExpiresAt != nil {
				n++ // the recertification, waiting for its time
			}
			w.waitForJobs(n)
			cert, err := w.a.certs.store.ByNumber(ctx, done.Certificate)
			if err != nil || !cert.HasPDF {
				t.Fatalf("after the job: %+v, %v", cert, err)
			}
			mails, err := w.a.outbox.Mails(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(mails) != 1 || mails[0].To != "certificaat@example.nl" || !strings.Contains(mails[0].Subject, "Your certificate for "+course.Title) ||
				!strings.Contains(mails[0].Text, "/api/v1/certificates/"+cert.Number+".pdf") || !strings.Contains(mails[0].HTML, "/verifieer/"+cert.Number) {
				t.Errorf("mails: %+v", mails)
			}
		})
	}
}
