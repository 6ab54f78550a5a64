package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/valyala/fasthttp"
)

// Fuzz targets for the parsers of outside input in package main: bearer
// tokens, session cookies and two-factor tokens; the statistics and
// catalogue filters of query strings; the redirect target ?terug=. Each
// asserts what an accepted input must be, not only that nothing panics.
// .ci/run fuzzes each for a bounded time; go test runs their seeds.

// fuzzNow is the clock of the token targets.
var fuzzNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const fuzzIssuer = "https://raadzaam.example"

// fuzzAuthenticator signs with k1 and still accepts k0, as during a key
// rotation.
func fuzzAuthenticator() *authenticator {
	ring := &keyRing{keys: []sessionKey{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}, {ID: "k0", Secret: bytes.Repeat([]byte{2}, 32)}}}
	return &authenticator{keys: ring, issuer: fuzzIssuer, now: func() time.Time { return fuzzNow }}
}

// fuzzSessions are the sessions the token targets know: one API session
// and one browser session of user 42.
var fuzzSessions = map[string]*courses.Session{
	"s-api":     {ID: "s-api", UserID: 42, Kind: courses.SessionAPI, ExpiresAt: fuzzNow.Add(time.Hour)},
	"s-browser": {ID: "s-browser", UserID: 42, Kind: courses.SessionBrowser, ExpiresAt: fuzzNow.Add(24 * time.Hour)},
}

func mustToken(t testing.TB, au *authenticator, sessionID, audience string) string {
	t.Helper()
	token, _, err := au.issueAccess(fuzzSessions[sessionID], audience, accessTTL)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// signedByRing checks, without golang-jwt, that token is a compact JWS
// whose header says HS256 and names a key of the ring whose HMAC-SHA256
// is the signature, and returns its payload.
func signedByRing(ring *keyRing, token string) ([]byte, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &header) != nil || header.Alg != "HS256" {
		return nil, false
	}
	secret, ok := ring.byID(header.Kid)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if !ok || err != nil {
		return nil, false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	return payload, err == nil && hmac.Equal(mac.Sum(nil), sig)
}

// FuzzParseAccessToken: whatever a client sends as a bearer token, access
// cookie or two-factor token, what verifies is signed by a key of the ring
// with HS256, for our issuer and the audience asked for, unexpired; what
// does not is EUNAUTHORIZED. Never a panic.
func FuzzParseAccessToken(f *testing.F) {
	au := fuzzAuthenticator()
	valid := mustToken(f, au, "s-api", audienceAPI)
	parts := strings.Split(valid, ".")
	twoFactor, err := au.issueTwoFactor(42)
	if err != nil {
		f.Fatal(err)
	}
	old := fuzzAuthenticator()
	old.keys.keys = old.keys.keys[1:] // signs with k0, retired but still accepted
	foreign := fuzzAuthenticator()
	foreign.keys.keys[0].Secret = bytes.Repeat([]byte{3}, 32) // claims to be k1
	expired := fuzzAuthenticator()
	expired.now = func() time.Time { return fuzzNow.Add(-time.Hour) }
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sid": "s-api", "iss": fuzzIssuer, "aud": audienceAPI, "exp": fuzzNow.Add(time.Hour).Unix()})
	noneToken, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512 := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sid": "s-api", "iss": fuzzIssuer, "aud": audienceAPI, "exp": fuzzNow.Add(time.Hour).Unix()})
	hs512.Header["kid"] = "k1"
	hs512Token, _ := hs512.SignedString(bytes.Repeat([]byte{1}, 32))
	for _, s := range []string{valid, mustToken(f, au, "s-browser", audienceBrowser), mustToken(f, old, "s-api", audienceAPI),
		mustToken(f, foreign, "s-api", audienceAPI), mustToken(f, expired, "s-api", audienceAPI), twoFactor, noneToken, hs512Token,
		parts[0] + "." + parts[1] + ".", parts[0] + "." + parts[1], valid + "=", strings.ToUpper(valid), "", ".", "..", "a.b.c",
		"eyJhbGciOiJIUzI1NiJ9.e30.", unsignedToken("e30")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		for _, audience := range []string{audienceAPI, audienceBrowser} {
			claims, err := au.parseAccess(token, audience)
			if err != nil {
				if courses.ErrorCode(err) != courses.EUNAUTHORIZED {
					t.Fatalf("parseAccess(%q, %s): %v, want EUNAUTHORIZED", token, audience, err)
				}
				continue
			}
			if _, ok := signedByRing(au.keys, token); !ok {
				t.Fatalf("parseAccess accepts %q, which no key of the ring signed with HS256", token)
			}
			if claims.SessionID == "" || claims.Issuer != fuzzIssuer || !slices.Contains(claims.Audience, audience) ||
				claims.ExpiresAt == nil || !fuzzNow.Before(claims.ExpiresAt.Add(5*time.Second)) {
				t.Fatalf("parseAccess(%q, %s) accepts claims %+v", token, audience, claims)
			}
		}
		id, err := au.parseTwoFactor(token)
		if err != nil {
			if courses.ErrorCode(err) != courses.EUNAUTHORIZED {
				t.Fatalf("parseTwoFactor(%q): %v, want EUNAUTHORIZED", token, err)
			}
			return
		}
		if _, ok := signedByRing(au.keys, token); !ok || id <= 0 {
			t.Fatalf("parseTwoFactor accepts %q as user %d", token, id)
		}
	})
}

// unsignedToken is a token naming key k1 with payload and no valid
// signature.
func unsignedToken(payload string) string {
	return "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0." + payload + ".AAAA"
}

// FuzzAccessTokenMutation changes, inserts or deletes one byte of a valid
// access token: the result is refused, or (base64 lets the last character
// carry unused bits) accepted with exactly the original claims.
func FuzzAccessTokenMutation(f *testing.F) {
	au := fuzzAuthenticator()
	valid := mustToken(f, au, "s-api", audienceAPI)
	want, err := au.verifyAccess(valid, audienceAPI)
	if err != nil {
		f.Fatal(err)
	}
	dot := strings.IndexByte(valid, '.')
	for _, pos := range []int{0, 5, dot, dot + 1, len(valid) / 2, len(valid) - 1} {
		for op := range uint8(3) {
			f.Add(uint16(pos), byte('A'), op)
		}
	}
	f.Add(uint16(len(valid)-1), byte('B'), uint8(0))
	f.Fuzz(func(t *testing.T, pos uint16, b byte, op uint8) {
		i := int(pos) % (len(valid) + 1)
		var mutated string
		switch op % 3 {
		case 0:
			if i == len(valid) {
				return
			}
			mutated = valid[:i] + string([]byte{b}) + valid[i+1:]
		case 1:
			mutated = valid[:i] + string([]byte{b}) + valid[i:]
		default:
			if i == len(valid) {
				return
			}
			mutated = valid[:i] + valid[i+1:]
		}
		if mutated == valid {
			return
		}
		got, err := au.verifyAccess(mutated, audienceAPI)
		if err != nil {
			if courses.ErrorCode(err) != courses.EUNAUTHORIZED {
				t.Fatalf("verifyAccess(%q): %v, want EUNAUTHORIZED", mutated, err)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("the mutation %q of a valid token is accepted with other claims: %+v, want %+v", mutated, got, want)
		}
	})
}

// fakeSessions and fakeAPITokens answer authenticateRequest's questions
// for FuzzAuthenticateRequest: the sessions of fuzzSessions, one refresh
// token and one personal API token, all of user 42 (the PAT of user 7).
type fakeSessions struct {
	courses.SessionService
	refreshHash string
}

var (
	fuzzUser    = &courses.User{ID: 42, Name: "Zoë Łukasiewicz", Role: courses.RoleLearner, Active: true}
	fuzzPATUser = &courses.User{ID: 7, Name: "Script", Role: courses.RoleAssociationAdmin, Active: true}
)

func (f fakeSessions) ActiveSession(_ context.Context, id string) (*courses.Session, *courses.User, error) {
	if s, ok := fuzzSessions[id]; ok {
		return s, fuzzUser, nil
	}
	return nil, nil, courses.Errorf(courses.EUNAUTHORIZED, "no session")
}

func (f fakeSessions) RotateRefresh(_ context.Context, oldHash, _ string) (*courses.Session, *courses.User, error) {
	if oldHash == f.refreshHash {
		return fuzzSessions["s-browser"], fuzzUser, nil
	}
	return nil, nil, courses.Errorf(courses.EUNAUTHORIZED, "no refresh token")
}

type fakeAPITokens struct {
	courses.APITokenService
	hash string
}

func (f fakeAPITokens) APITokenUser(_ context.Context, hash string) (*courses.APIToken, *courses.User, error) {
	if hash == f.hash {
		return &courses.APIToken{ID: 1, UserID: fuzzPATUser.ID, Scopes: []string{courses.ScopeStats}}, fuzzPATUser, nil
	}
	return nil, nil, courses.Errorf(courses.EUNAUTHORIZED, "no api token")
}

// fuzzRequest runs one GET request with uri through handler, with the
// headers and cookies set by prepare (no network).
func fuzzRequest(handler fasthttp.RequestHandler, uri string, prepare func(*fasthttp.Request)) {
	var req fasthttp.Request
	req.Header.SetMethod(fiber.MethodGet)
	req.SetRequestURI(uri)
	if prepare != nil {
		prepare(&req)
	}
	var rc fasthttp.RequestCtx
	rc.Init(&req, nil, nil)
	handler(&rc)
}

// FuzzAuthenticateRequest sends any Authorization header and session
// cookies through authenticateRequest. A caller is signed in only with
// the personal API token itself, a bearer token or access cookie whose
// claims are exactly a valid token's of the right audience (an API token
// never works as a cookie, nor a browser token as a bearer token), or the
// refresh token itself; a bad bearer token is EUNAUTHORIZED, bad cookies
// leave the caller anonymous.
func FuzzAuthenticateRequest(f *testing.F) {
	au := fuzzAuthenticator()
	pat := patPrefix + strings.Repeat("x", 43)
	refresh := "ververs-" + strings.Repeat("y", 35)
	au.sessions = fakeSessions{refreshHash: tokenHash(refresh)}
	base, _ := url.Parse("http://localhost:8080")
	a := &application{cfg: &Config{BaseURL: base}, auth: au, apiTokens: fakeAPITokens{hash: tokenHash(pat)}}
	apiToken := mustToken(f, au, "s-api", audienceAPI)
	browserToken := mustToken(f, au, "s-browser", audienceBrowser)
	apiPayload, _ := signedByRing(au.keys, apiToken)
	browserPayload, _ := signedByRing(au.keys, browserToken)

	var user *courses.User
	var scopes []string
	var authErr error
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		authErr = a.authenticateRequest(c)
		return nil
	})
	app.Get("/*", func(c *fiber.Ctx) error {
		user = userFrom(c)
		scopes, _ = c.Locals(localScopes).([]string)
		return nil
	})
	handler := app.Handler()

	for _, s := range [][3]string{{"Bearer " + apiToken, "", ""}, {"Bearer " + pat, "", ""}, {"", browserToken, ""}, {"", "", refresh},
		{"Bearer " + browserToken, "", ""}, {"", apiToken, ""}, {"Bearer " + pat + "x", "", ""}, {"bearer " + apiToken, "", ""},
		{"Bearer  " + apiToken, "", ""}, {"Basic YTpi", "", ""}, {"Bearer ", browserToken, refresh}, {"", "kapot", refresh + "!"},
		{"Bearer " + patPrefix, "", ""}, {"", "", ""}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, authorization, access, refreshCookie string) {
		user, scopes, authErr = nil, nil, nil
		fuzzRequest(handler, "/", func(r *fasthttp.Request) {
			if authorization != "" {
				r.Header.Set(fiber.HeaderAuthorization, authorization)
			}
			if access != "" {
				r.Header.SetCookie("rz_access", access)
			}
			if refreshCookie != "" {
				r.Header.SetCookie("rz_refresh", refreshCookie)
			}
		})
		// What the server saw, read as it reads them: fasthttp may change
		// a header value, and cookies are split on ';' and unquoted.
		var req fasthttp.Request
		if authorization != "" {
			req.Header.Set(fiber.HeaderAuthorization, authorization)
		}
		if access != "" {
			req.Header.SetCookie("rz_access", access)
		}
		if refreshCookie != "" {
			req.Header.SetCookie("rz_refresh", refreshCookie)
		}
		sentAuth := string(req.Header.Peek(fiber.HeaderAuthorization))
		sentAccess, sentRefresh := string(req.Header.Cookie("rz_access")), string(req.Header.Cookie("rz_refresh"))
		if authErr != nil {
			if courses.ErrorCode(authErr) != courses.EUNAUTHORIZED || sentAuth == "" {
				t.Fatalf("authenticate(%q, %q, %q): %v, want EUNAUTHORIZED for a bad bearer token only", authorization, access, refreshCookie, authErr)
			}
			return
		}
		if user == nil {
			return
		}
		if sentAuth != "" {
			token := strings.TrimPrefix(sentAuth, "Bearer ")
			switch {
			case token == pat:
				if user != fuzzPATUser || !slices.Equal(scopes, []string{courses.ScopeStats}) {
					t.Fatalf("the API token signs in %+v with scopes %v", user, scopes)
				}
			case user == fuzzUser:
				if payload, ok := signedByRing(au.keys, token); !ok || !bytes.Equal(payload, apiPayload) {
					t.Fatalf("bearer %q signs in user 42 without being the API session's token", token)
				}
			default:
				t.Fatalf("bearer %q signs in %+v", token, user)
			}
			return
		}
		if user != fuzzUser {
			t.Fatalf("cookies %q, %q sign in %+v", access, refreshCookie, user)
		}
		if payload, ok := signedByRing(au.keys, sentAccess); (!ok || !bytes.Equal(payload, browserPayload)) && sentRefresh != refresh {
			t.Fatalf("cookies %q, %q sign in user 42 without the browser session's token or refresh token", access, refreshCookie)
		}
	})
}

// FuzzStatsFilter reads any van, tot, cursus, ambt and provincie. An
// accepted filter has real months in order, a known office, province and
// course (whose id it carries) or none, and its statsQuery reads back as
// the same filter; a refused one names only those fields, with known
// problem keys, and the API names them in English.
func FuzzStatsFilter(f *testing.F) {
	a := &application{auth: &authenticator{now: func() time.Time { return fuzzNow }}}
	names := []db.CourseName{{ID: 7, Slug: "nieuw-in-de-raad"}, {ID: 9, Slug: "begroting-lezen-en-beinvloeden"}}
	provinces := []string{"Drenthe", "Fryslân", "Noord-Holland", "Zeeland"}
	type result struct {
		filter   courses.StatsFilter
		slug     string
		problems []courses.Problem
	}
	var got result
	reached := false
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		reached = true
		filter, slug, problems := a.statsFilter(c, names, provinces)
		// Fiber's strings are only valid in the handler.
		filter.Office, filter.Province = courses.Office(strings.Clone(string(filter.Office))), strings.Clone(filter.Province)
		got = result{filter: filter, slug: strings.Clone(slug), problems: slices.Clone(problems)}
		for i := range got.problems {
			got.problems[i].Args = nil
		}
		return nil
	})
	handler := app.Handler()
	read := func(t *testing.T, query string) result {
		got, reached = result{}, false
		fuzzRequest(handler, "/?"+query, nil)
		if !reached {
			t.Fatalf("the request with %q did not reach the handler", query)
		}
		return got
	}
	for _, s := range [][5]string{{"", "", "", "", ""}, {"2026-03", "2026-11", "nieuw-in-de-raad", "raadslid", "Fryslân"},
		{"03-2026", "11-2026", " begroting-lezen-en-beinvloeden ", "wethouder", "Zeeland"}, {"2026-13", "1999-01", "nope", "koning", "Texas"},
		{"2026-11", "2026-03", "", "", ""}, {"2026-3", "+2026-03", "", " raadslid", "fryslân"}, {"٢٠٢٦-٠٣", "2026-03\x00", "", "", ""}} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, van, tot, cursus, ambt, provincie string) {
		q := url.Values{"van": {van}, "tot": {tot}, "cursus": {cursus}, "ambt": {ambt}, "provincie": {provincie}}
		r := read(t, q.Encode())
		if len(r.problems) > 0 {
			for _, p := range r.problems {
				if !slices.Contains([]string{"van", "tot", "cursus", "ambt", "provincie"}, p.Field) || !slices.Contains(courses.ProblemKeys, p.Key) {
					t.Fatalf("filter %v: problem %+v", q, p)
				}
				if api := apiField(p.Field); !slices.Contains([]string{"from", "to", "course", "office", "province"}, api) {
					t.Fatalf("field %s is %q in the API", p.Field, api)
				}
			}
			if err := courses.Invalid("statistics filter", r.problems...); courses.ErrorCode(err) != courses.EINVALID {
				t.Fatalf("problems %v are not EINVALID", r.problems)
			}
			return
		}
		fl := r.filter
		switch {
		case !fl.From.Valid() || !fl.To.Valid() || fl.To < fl.From:
			t.Fatalf("filter %v: months %v–%v", q, fl.From, fl.To)
		case fl.Office != "" && (!fl.Office.Valid() || string(fl.Office) != strings.TrimSpace(ambt)):
			t.Fatalf("filter %v: office %q", q, fl.Office)
		case fl.Province != "" && (!slices.Contains(provinces, fl.Province) || fl.Province != strings.TrimSpace(provincie)):
			t.Fatalf("filter %v: province %q", q, fl.Province)
		case (r.slug == "") != (fl.CourseID == 0) || (r.slug != "" && names[slices.IndexFunc(names, func(n db.CourseName) bool { return n.Slug == r.slug })].ID != fl.CourseID):
			t.Fatalf("filter %v: course %q with id %d", q, r.slug, fl.CourseID)
		}
		if again := read(t, statsQuery(&statsReport{Filter: fl, CourseSlug: r.slug})); !reflect.DeepEqual(again, r) {
			t.Fatalf("filter %v reads back from %q as %+v, want %+v", q, statsQuery(&statsReport{Filter: fl, CourseSlug: r.slug}), again, r)
		}
	})
}

// FuzzCourseFilter reads any ?ambt=, ?onderwerp= and ?zoek= of the
// catalogue: accepted filters hold known codes and a search of at most 100
// characters without surrounding or double spaces, and read back the same
// from the catalogue's own links; refused ones are EINVALID naming those
// fields, with the offending value cut short.
func FuzzCourseFilter(f *testing.F) {
	var got courses.CourseFilter
	var gotErr error
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error {
		got, gotErr = parseCourseFilter(c, "ambt", "onderwerp", "zoek")
		return nil
	})
	handler := app.Handler()
	read := func(query string) (courses.CourseFilter, error) {
		got, gotErr = courses.CourseFilter{}, nil
		fuzzRequest(handler, "/?"+query, nil)
		return got, gotErr
	}
	for _, s := range [][3]string{{"", "", ""}, {"raadslid", "financien", "begroting"}, {"koning", "", ""}, {"", "", strings.Repeat("ab ", 60)},
		{"", "", "  omgevings\twet \u00a0 "}, {"Raadslid", "FINANCIEN", "é"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, ambt, onderwerp, zoek string) {
		q := url.Values{"ambt": {ambt}, "onderwerp": {onderwerp}, "zoek": {zoek}}
		fl, err := read(q.Encode())
		if err != nil {
			if courses.ErrorCode(err) != courses.EINVALID {
				t.Fatalf("filter %v: %v, want EINVALID", q, err)
			}
			for _, p := range courses.ErrorProblems(err) {
				v, _ := p.Args["value"].(string)
				if !slices.Contains([]string{"ambt", "onderwerp", "zoek"}, p.Field) || !slices.Contains(courses.ProblemKeys, p.Key) || len([]rune(v)) > 31 {
					t.Fatalf("filter %v: problem %+v", q, p)
				}
			}
			return
		}
		switch {
		case fl.Office != "" && !fl.Office.Valid(), fl.Topic != "" && !fl.Topic.Valid():
			t.Fatalf("filter %v: accepted %+v", q, fl)
		case len([]rune(fl.Query)) > 100 || fl.Query != strings.Join(strings.Fields(fl.Query), " "):
			t.Fatalf("filter %v: search %q", q, fl.Query)
		}
		link := url.Values{}
		for k, v := range map[string]string{"ambt": string(fl.Office), "onderwerp": string(fl.Topic), "zoek": fl.Query} {
			if v != "" {
				link.Set(k, v)
			}
		}
		if again, err := read(link.Encode()); err != nil || again != fl {
			t.Fatalf("filter %v reads back from %q as %+v, %v", q, link.Encode(), again, err)
		}
	})
}

// FuzzLocalPath: the target of ?terug= is either the path given or "/",
// and never leads a browser to another site. A browser reading Location
// drops tabs and newlines and treats backslashes as slashes (WHATWG URL),
// so "/\t/evil.example" or "/\\evil.example" would be other sites.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/cursussen?ambt=raadslid#top", "//evil.example", "/\\evil.example", "https://evil.example",
		"/\t/evil.example", "/%2F/evil.example", "", "/a\r\nSet-Cookie: x=1", "javascript:alert(1)", "/./\\evil.example",
		" //evil.example", "/\x00/evil.example", "\\\\evil.example", "/:x", "/https://evil.example"} {
		f.Add(s)
	}
	site, _ := url.Parse("https://raadzaam.example/taal")
	browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/")
	f.Fuzz(func(t *testing.T, p string) {
		got := localPath(p)
		if got != "/" && got != p {
			t.Fatalf("localPath(%q) = %q, want the path itself or /", p, got)
		}
		seen := browser.Replace(strings.TrimFunc(got, func(r rune) bool { return r <= ' ' }))
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") {
			t.Fatalf("localPath(%q) = %q, which a browser reads as %q: another site", p, got, seen)
		}
		u, err := site.Parse(got)
		if err != nil || u.Scheme != site.Scheme || u.Host != site.Host {
			t.Fatalf("localPath(%q) = %q resolves to %v (%v)", p, got, u, err)
		}
	})
}

// FuzzPageParam checks the page number of the admin lists (?pagina=): a
// number from 1 to 100,000 that reads back from its text, or a validation
// error naming the field; never an offset that overflows.
func FuzzPageParam(f *testing.F) {
	for _, s := range []string{"", "1", "2", "0", "-1", "100000", "100001", "9223372036854775807", "1e3", " 2", "+3", "٣", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		n, err := pageParam(p)
		if err != nil {
			var e *courses.Error
			if !errors.As(err, &e) || e.Code != courses.EINVALID || len(e.Problems) != 1 || e.Problems[0].Field != "pagina" {
				t.Fatalf("pageParam(%q): %v, want a validation error on pagina", p, err)
			}
			return
		}
		if n < 1 || n > 100_000 || (p != "" && strings.TrimLeft(strings.TrimPrefix(p, "+"), "0") != strconv.Itoa(n)) {
			t.Fatalf("pageParam(%q) = %d", p, n)
		}
		if offset := (n - 1) * certificatesPerPage; offset < 0 {
			t.Fatalf("pageParam(%q) = %d: offset %d", p, n, offset)
		}
	})
}
