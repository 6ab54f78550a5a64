package openbadges

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/raadzaam/raadzaam/courses"
)

const (
	baseURL = "https://raadzaam.example"
	holder  = "Ayşe Çelik-van 't Hoff"
)

// testRSA holds 2048-bit keys generated once for the tests that do not
// exercise generation itself (KeyBits keys take a while, more so with -race).
var testRSA = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	return keys
})

func pkcs8(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func pkix(t testing.TB, k *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// envRing is a ring from the variable: test key 0 signs as "k0", test key
// 1 is published as "k1".
func envRing(t testing.TB) *KeyRing {
	t.Helper()
	keys := testRSA()
	r, err := LoadKeyRing("k0:"+pkcs8(t, keys[0])+", k1:"+pkix(t, &keys[1].PublicKey), "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func certificate() *courses.Certificate {
	issued := time.Date(2026, 5, 14, 9, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
	expires := issued.AddDate(3, 0, 0)
	return &courses.Certificate{
		Number:        "RZ-2026-7K4Q-9XPM",
		CourseSlug:    "gemeentewet-basis",
		CourseTitle:   "De Gemeentewet in één avond",
		CourseSummary: "Wat de raad, het college en de burgemeester mogen — en wat niet.",
		CourseVersion: 3,
		StudyHours:    2.5,
		Language:      "nl",
		HolderName:    holder,
		CompletedAt:   issued.Add(-time.Minute),
		IssuedAt:      issued,
		ExpiresAt:     &expires,
		Issuer:        "Stichting Raadzaam",
		Signatory:     "Dr. Zoë Mulder",
	}
}

// valid is a certificate that is valid now (the sample's dates are fixed).
func valid() *courses.Certificate {
	c := certificate()
	c.IssuedAt = time.Now().Add(-time.Hour)
	c.CompletedAt = c.IssuedAt.Add(-time.Minute)
	exp := c.IssuedAt.AddDate(1, 0, 0)
	c.ExpiresAt = &exp
	return c
}

func TestNew(t *testing.T) {
	c := New(certificate(), baseURL+"/")
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"@context":["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]`,
		`"id":"https://raadzaam.example/verifieer/RZ-2026-7K4Q-9XPM"`,
		`"type":["VerifiableCredential","OpenBadgeCredential"]`,
		`"name":"De Gemeentewet in één avond"`,
		`"issuer":{"id":"https://raadzaam.example","type":["Profile"],"name":"Stichting Raadzaam","url":"https://raadzaam.example"}`,
		`"validFrom":"2026-05-14T07:30:15Z"`,
		`"validUntil":"2029-05-14T07:30:15Z"`,
		`"identifier":[{"type":"IdentityObject","identityHash":"Ayşe Çelik-van 't Hoff","identityType":"name","hashed":false}]`,
		`"activityEndDate":"2026-05-14T07:29:15Z"`,
		`"achievement":{"id":"https://raadzaam.example/cursussen/gemeentewet-basis","type":["Achievement"],"achievementType":"CertificateOfCompletion"`,
		`"description":"Wat de raad, het college en de burgemeester mogen — en wat niet."`,
		`"criteria":{"narrative":"Toegekend na het afronden van de cursus ‘De Gemeentewet in één avond’ (versie 3)."}`,
		`"inLanguage":"nl","version":"3"`,
		`"credentialStatus":{"id":"https://raadzaam.example/api/v1/verify/RZ-2026-7K4Q-9XPM","type":"RaadzaamCertificateStatus"}`,
		`"credentialSchema":[{"id":"https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json","type":"1EdTechJsonSchemaValidator2019"}]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("credential lacks %s\n%s", want, s)
		}
	}
	for _, unwanted := range []string{`"proof"`, `"vc"`, `"issuanceDate"`, `"expirationDate"`, `"email"`} {
		if strings.Contains(s, unwanted) {
			t.Errorf("credential has %s\n%s", unwanted, s)
		}
	}
	if c.CredentialSubject.ID != "" {
		t.Errorf("subject id %q, want none", c.CredentialSubject.ID)
	}

	en := certificate()
	en.Language, en.ExpiresAt, en.CourseSummary = "en", nil, ""
	ce := New(en, baseURL)
	if got, want := ce.CredentialSubject.Achievement.Criteria.Narrative, "Awarded on completing the course “De Gemeentewet in één avond” (version 3)."; got != want {
		t.Errorf("English narrative %q, want %q", got, want)
	}
	if ce.ValidUntil != nil {
		t.Errorf("validUntil %v for a certificate that does not expire", ce.ValidUntil)
	}
	if ce.CredentialSubject.Achievement.Description != en.CourseTitle {
		t.Errorf("description %q, want the title for a course without summary", ce.CredentialSubject.Achievement.Description)
	}
	if b, _ := json.Marshal(ce); strings.Contains(string(b), "validUntil") {
		t.Errorf("validUntil in %s", b)
	}
}

// verifyWithGoJose checks token with go-jose against jwksJSON, as an
// outside verifier would, and returns the header and the payload.
func verifyWithGoJose(t *testing.T, token string, jwksJSON []byte) (jose.Header, map[string]any, error) {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwksJSON, &set); err != nil {
		t.Fatalf("go-jose cannot read the JWKS: %v\n%s", err, jwksJSON)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return jose.Header{}, nil, err
	}
	if len(jws.Signatures) != 1 {
		t.Fatalf("%d signatures", len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		return h, nil, fmt.Errorf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	if !keys[0].IsPublic() {
		t.Fatalf("the JWKS publishes a private key for %q", h.KeyID)
	}
	body, err := jws.Verify(keys[0])
	if err != nil {
		return h, nil, err
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return h, p, nil
}

// at follows a path of object keys and array indexes in decoded JSON.
func at(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case int:
			a, _ := v.([]any)
			if p >= len(a) {
				return nil
			}
			v = a[p]
		}
	}
	return v
}

func TestSignVerifiedByGoJose(t *testing.T) {
	r := envRing(t)
	cert := certificate()
	token, err := r.Sign(New(cert, baseURL))
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := r.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	h, p, err := verifyWithGoJose(t, token, jwks)
	if err != nil {
		t.Fatalf("go-jose rejects the credential: %v", err)
	}

	if h.Algorithm != "RS256" || h.KeyID != "k0" {
		t.Errorf("header alg %q kid %q, want RS256 k0", h.Algorithm, h.KeyID)
	}
	rawHeader, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var header map[string]any
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"alg": "RS256", "kid": "k0", "typ": "JWT"}; fmt.Sprint(header) != fmt.Sprint(want) {
		t.Errorf("header %v, want exactly %v (OB 3.0 allows no other JOSE headers)", header, want)
	}

	checks := []struct {
		path []any
		want any
	}{
		{[]any{"type", 1}, "OpenBadgeCredential"},
		{[]any{"@context", 0}, ContextVC},
		{[]any{"credentialSubject", "achievement", "achievementType"}, "CertificateOfCompletion"},
		{[]any{"credentialSubject", "identifier", 0, "identityHash"}, holder},
		{[]any{"credentialSubject", "achievement", "name"}, "De Gemeentewet in één avond"},
		{[]any{"validFrom"}, "2026-05-14T07:30:15Z"},
		{[]any{"validUntil"}, "2029-05-14T07:30:15Z"},
		{[]any{"credentialStatus", "id"}, baseURL + "/api/v1/verify/RZ-2026-7K4Q-9XPM"},
		{[]any{"iss"}, baseURL},
		{[]any{"jti"}, baseURL + "/verifieer/RZ-2026-7K4Q-9XPM"},
		{[]any{"nbf"}, float64(time.Date(2026, 5, 14, 7, 30, 15, 0, time.UTC).Unix())},
		{[]any{"exp"}, float64(time.Date(2029, 5, 14, 7, 30, 15, 0, time.UTC).Unix())},
		{[]any{"sub"}, nil}, // the subject has no id
		{[]any{"vc"}, nil},  // VCDM 2.0: the payload is the credential
	}
	for _, c := range checks {
		if got := at(p, c.path...); got != c.want {
			t.Errorf("payload %v = %v, want %v", c.path, got, c.want)
		}
	}
	if iat, ok := p["iat"].(float64); !ok || time.Since(time.Unix(int64(iat), 0)) > time.Minute {
		t.Errorf("iat %v, want about now", p["iat"])
	}

	// And our own verifier agrees (on a credential valid today).
	got, err := r.Verify(mustSign(t, r, New(valid(), baseURL)))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.CredentialSubject.Identifier[0].IdentityHash != holder {
		t.Errorf("holder %q after Verify", got.CredentialSubject.Identifier[0].IdentityHash)
	}
}

func mustSign(t testing.TB, r *KeyRing, c *Credential) string {
	t.Helper()
	s, err := r.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRoundTrip(t *testing.T) {
	r := envRing(t)
	want := New(valid(), baseURL)
	got, err := r.Verify(mustSign(t, r, want))
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	if string(wb) != string(gb) {
		t.Errorf("Verify returned\n%s\nwant\n%s", gb, wb)
	}

	// A credential with a subject id carries it as sub.
	withID := New(valid(), baseURL)
	withID.CredentialSubject.ID = "did:example:ayse"
	token := mustSign(t, r, withID)
	_, p, err := verifyWithGoJose(t, token, must(r.JWKS()))
	if err != nil {
		t.Fatal(err)
	}
	if p["sub"] != "did:example:ayse" {
		t.Errorf("sub %v", p["sub"])
	}
	if _, err := r.Verify(token); err != nil {
		t.Errorf("Verify with sub: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestVerifyTimes(t *testing.T) {
	r := envRing(t)
	expired := valid()
	past := time.Now().Add(-2 * Leeway)
	expired.ExpiresAt = &past
	if _, err := r.Verify(mustSign(t, r, New(expired, baseURL))); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("expired credential: %v, want ErrTokenExpired", err)
	}
	future := valid()
	future.IssuedAt = time.Now().Add(time.Hour)
	if _, err := r.Verify(mustSign(t, r, New(future, baseURL))); !errors.Is(err, jwt.ErrTokenNotValidYet) {
		t.Errorf("credential valid from the future: %v, want ErrTokenNotValidYet", err)
	}
	forever := valid()
	forever.ExpiresAt = nil
	if _, err := r.Verify(mustSign(t, r, New(forever, baseURL))); err != nil {
		t.Errorf("credential without expiry: %v", err)
	}
}

// tamper replaces a token's payload by edit(payload) and keeps the
// signature: what an attacker without the key can do.
func tamper(t *testing.T, token string, edit func(string) string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := edit(string(body))
	if changed == string(body) {
		t.Fatal("the edit changed nothing")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}

func TestTamperedRefused(t *testing.T) {
	r := envRing(t)
	token := mustSign(t, r, New(valid(), baseURL))
	jwks := must(r.JWKS())
	for name, edit := range map[string]func(string) string{
		"one character of the name": func(s string) string { return strings.Replace(s, "Ayşe", "Ayse", 1) },
		"achievement type": func(s string) string {
			return strings.Replace(s, "CertificateOfCompletion", "CertificateOfCompletioN", 1)
		},
		"later expiry": func(s string) string { return strings.Replace(s, `"exp":1`, `"exp":2`, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			bad := tamper(t, token, edit)
			if _, _, err := verifyWithGoJose(t, bad, jwks); err == nil {
				t.Error("go-jose accepts the tampered credential")
			}
			if _, err := r.Verify(bad); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Errorf("Verify: %v, want ErrTokenSignatureInvalid", err)
			}
		})
	}
	// A changed signature fails too.
	parts := strings.Split(token, ".")
	sig := []byte(parts[2])
	sig[10] ^= 1
	if _, err := r.Verify(parts[0] + "." + parts[1] + "." + string(sig)); err == nil {
		t.Error("Verify accepts a changed signature")
	}
}

func TestForeignKeyRefused(t *testing.T) {
	r := envRing(t)
	foreign := testRSA()[2]
	cred := New(valid(), baseURL)

	for _, kid := range []string{"k0", "k1", "intruder"} { // the ring's kids, and one it does not know
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claimsOf(t, r, cred)))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(foreign)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Verify(s)
		if err == nil {
			t.Errorf("kid %s: Verify accepts a credential signed by a key outside the ring", kid)
		}
		if kid == "intruder" && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("unknown kid: %v, want ErrUnknownKey", err)
		}
		if _, _, err := verifyWithGoJose(t, s, must(r.JWKS())); err == nil {
			t.Errorf("kid %s: go-jose accepts a credential signed by a key outside the ring", kid)
		}
	}

	// A token without kid.
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claimsOf(t, r, cred)))
	if _, err := r.Verify(must(tok.SignedString(testRSA()[0]))); err == nil {
		t.Error("Verify accepts a token without kid")
	}
}

// claimsOf is the payload the ring signs for cred, as a map.
func claimsOf(t *testing.T, r *KeyRing, cred *Credential) map[string]any {
	t.Helper()
	parts := strings.Split(mustSign(t, r, cred), ".")
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAlgorithmConfusionRefused(t *testing.T) {
	r := envRing(t)
	claims := jwt.MapClaims(claimsOf(t, r, New(valid(), baseURL)))

	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	none.Header["kid"] = "k0"
	s, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(s); err == nil {
		t.Error(`Verify accepts alg "none"`)
	}
	// Also with a made-up header, in case a library lower-cases.
	parts := strings.Split(s, ".")
	for _, alg := range []string{"none", "None", "NONE"} {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"k0","typ":"JWT"}`))
		if _, err := r.Verify(h + "." + parts[1] + "."); err == nil {
			t.Errorf("Verify accepts alg %q", alg)
		}
	}

	// HS256 with the published public key as the HMAC secret, in the forms
	// an attacker would try.
	pub := &testRSA()[0].PublicKey
	der, _ := x509.MarshalPKIXPublicKey(pub)
	secrets := map[string][]byte{
		"PKIX DER": der,
		"PEM":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"JWKS":     must(r.JWKS()),
	}
	for name, secret := range secrets {
		for _, m := range []jwt.SigningMethod{jwt.SigningMethodHS256, jwt.SigningMethodHS512} {
			tok := jwt.NewWithClaims(m, claims)
			tok.Header["kid"] = "k0"
			s, err := tok.SignedString(secret)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Verify(s); err == nil {
				t.Errorf("Verify accepts %s with the public key (%s) as secret", m.Alg(), name)
			}
		}
	}

	// Other RSA algorithms with the right key are not RS256 either.
	ps := jwt.NewWithClaims(jwt.SigningMethodPS256, claims)
	ps.Header["kid"] = "k0"
	if _, err := r.Verify(must(ps.SignedString(testRSA()[0]))); err == nil {
		t.Error("Verify accepts PS256")
	}
}

func TestVerifyChecksClaims(t *testing.T) {
	r := envRing(t)
	cred := New(valid(), baseURL)
	sign := func(edit func(m jwt.MapClaims)) string {
		m := jwt.MapClaims(claimsOf(t, r, cred))
		edit(m)
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, m)
		tok.Header["kid"] = "k0"
		return must(tok.SignedString(testRSA()[0]))
	}
	for name, edit := range map[string]func(jwt.MapClaims){
		"no iss":        func(m jwt.MapClaims) { delete(m, "iss") },
		"other iss":     func(m jwt.MapClaims) { m["iss"] = "https://elders.example" },
		"no jti":        func(m jwt.MapClaims) { delete(m, "jti") },
		"no nbf":        func(m jwt.MapClaims) { delete(m, "nbf") },
		"nbf moved":     func(m jwt.MapClaims) { m["nbf"] = m["nbf"].(float64) - 10 },
		"no exp":        func(m jwt.MapClaims) { delete(m, "exp") },
		"sub added":     func(m jwt.MapClaims) { m["sub"] = "did:example:someone" },
		"not a badge":   func(m jwt.MapClaims) { m["type"] = []string{"VerifiableCredential"} },
		"string exp":    func(m jwt.MapClaims) { m["exp"] = "tomorrow" },
		"exp ≠ validTo": func(m jwt.MapClaims) { m["exp"] = m["exp"].(float64) + 3600 },
	} {
		if _, err := r.Verify(sign(edit)); err == nil {
			t.Errorf("%s: Verify accepts it", name)
		}
	}
	if _, err := r.Verify(sign(func(jwt.MapClaims) {})); err != nil {
		t.Errorf("unchanged: %v", err)
	}
	if _, err := r.Verify("not.a.token"); err == nil {
		t.Error("Verify accepts garbage")
	}
}

func TestSignNeedsCredential(t *testing.T) {
	r := envRing(t)
	if _, err := r.Sign(nil); err == nil {
		t.Error("Sign(nil) succeeds")
	}
	c := New(valid(), baseURL)
	c.ID = ""
	if _, err := r.Sign(c); err == nil {
		t.Error("Sign without id succeeds")
	}
	c = New(valid(), baseURL)
	c.ValidFrom = time.Time{}
	if _, err := r.Sign(c); err == nil {
		t.Error("Sign without validFrom succeeds")
	}
}

func TestJWKS(t *testing.T) {
	r := envRing(t)
	b, err := r.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("%d keys, want 2: %s", len(set.Keys), b)
	}
	for i, k := range set.Keys {
		if k["kty"] != "RSA" || k["use"] != "sig" || k["alg"] != "RS256" || k["kid"] != fmt.Sprintf("k%d", i) || k["e"] != "AQAB" {
			t.Errorf("key %d: %v", i, k)
		}
		if len(k) != 6 {
			t.Errorf("key %d has members %v, want kty use alg kid n e only", i, k)
		}
		n, err := base64.RawURLEncoding.Strict().DecodeString(k["n"])
		if err != nil || strings.ContainsAny(k["n"], "=+/") {
			t.Errorf("key %d: n is not unpadded base64url: %v", i, err)
		}
		if want := testRSA()[i].N.Bytes(); string(n) != string(want) {
			t.Errorf("key %d: n is not the modulus", i)
		}
	}
	for _, private := range []string{`"d"`, `"p"`, `"q"`, `"dp"`, `"dq"`, `"qi"`} {
		if strings.Contains(string(b), private) {
			t.Errorf("the JWKS contains %s", private)
		}
	}
}

func TestLoadKeyRingEnv(t *testing.T) {
	keys := testRSA()
	good0, good1 := pkcs8(t, keys[0]), pkcs8(t, keys[1])
	short, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	pkcs1 := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(keys[0]))

	r, err := LoadKeyRing(" a.1:"+good0+" ,b_2:"+pkix(t, &keys[1].PublicKey)+",c-3:"+strings.TrimRight(good1, "=")+",", "")
	if err != nil {
		t.Fatalf("good variable: %v", err)
	}
	if got := r.KIDs(); !slices.Equal(got, []string{"a.1", "b_2", "c-3"}) || r.SigningKID() != "a.1" {
		t.Errorf("kids %v, signing %s", got, r.SigningKID())
	}
	if _, err := r.Verify(mustSign(t, r, New(valid(), baseURL))); err != nil {
		t.Errorf("sign and verify with the variable's ring: %v", err)
	}

	for _, c := range []struct {
		name, raw string
		want      []string
	}{
		{"bad base64", "k0:" + good0 + ",k1:" + good1[:40] + "!!" + good1[42:], []string{"entry 2", `"k1"`, "base64"}},
		{"short key", "old:" + pkcs8(t, short), []string{"entry 1", `"old"`, "1024 bits", "2048"}},
		{"duplicate kid", "k0:" + good0 + ",k1:" + good1 + ",k0:" + good1, []string{"entry 3", `"k0"`, "entry 1", "unique"}},
		{"public first", "pub:" + pkix(t, &keys[0].PublicKey) + ",k1:" + good1, []string{"entry 1", `"pub"`, "public key", "PKCS#8"}},
		{"no kid", good0, []string{"entry 1", "kid:base64"}},
		{"bad kid", "k 0/x:" + good0, []string{"entry 1", "kid must be"}},
		{"long kid", strings.Repeat("k", 65) + ":" + good0, []string{"entry 1", "kid must be"}},
		{"PKCS#1", "k0:" + pkcs1, []string{"entry 1", "PKCS#1", "PKCS#8"}},
		{"not RSA", "k0:" + base64.StdEncoding.EncodeToString(ecDER), []string{"entry 1", "ecdsa", "not RSA"}},
		{"not a key", "k0:" + base64.StdEncoding.EncodeToString([]byte("hello, world")), []string{"entry 1", "not a DER"}},
		{"only commas", " , ,", []string{"no keys"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadKeyRing(c.raw, t.TempDir())
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if !strings.Contains(msg, EnvKeys) {
				t.Errorf("error %q does not name %s", msg, EnvKeys)
			}
			for _, secret := range []string{good0, good1, pkcs1} {
				if strings.Contains(msg, secret[30:50]) {
					t.Errorf("error %q shows key material", msg)
				}
			}
		})
	}
}

func TestLoadKeyRingDataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	start := time.Now()
	r, err := LoadKeyRing("  ", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first start: ring generated in %v (RSA %d)", time.Since(start), KeyBits)
	path := filepath.Join(dir, KeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	if bits := r.state.Load().keys[0].private.N.BitLen(); bits != KeyBits {
		t.Errorf("generated a %d-bit key, want %d", bits, KeyBits)
	}
	if !validKID(r.SigningKID()) {
		t.Errorf("generated kid %q", r.SigningKID())
	}

	again, err := LoadKeyRing("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(must(r.JWKS())) != string(must(again.JWKS())) {
		t.Error("the second start has another ring")
	}
	token := mustSign(t, r, New(valid(), baseURL))
	if _, err := again.Verify(token); err != nil {
		t.Errorf("the reloaded ring does not verify: %v", err)
	}

	// The variable, when set, wins over the file.
	fromEnv, err := LoadKeyRing("k0:"+pkcs8(t, testRSA()[0]), dir)
	if err != nil || fromEnv.SigningKID() != "k0" {
		t.Errorf("variable and data dir: %v, %v", fromEnv.KIDs(), err)
	}

	if _, err := LoadKeyRing("", ""); err == nil || !strings.Contains(err.Error(), EnvKeys) {
		t.Errorf("no variable, no data dir: %v", err)
	}

	// A damaged file is reported by name, without its contents.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, KeyFile), []byte(`{"keys":[{"kid":"x","pkcs8":"c2VjcmV0IGtleSBtYXRlcmlhbA=="}]}`), 0o600)
	if _, err := LoadKeyRing("", bad); err == nil || !strings.Contains(err.Error(), KeyFile) || !strings.Contains(err.Error(), `"x"`) || strings.Contains(err.Error(), "c2Vj") {
		t.Errorf("damaged file: %v", err)
	}
	os.WriteFile(filepath.Join(bad, KeyFile), []byte(`{"keys":[{"kid":"x","pkcs8":"secret material`), 0o600)
	if _, err := LoadKeyRing("", bad); err == nil || !strings.Contains(err.Error(), KeyFile) || strings.Contains(err.Error(), "secret") {
		t.Errorf("truncated file: %v", err)
	}
}

func TestLoadKeyRingConcurrentStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rings := make([]*KeyRing, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range rings {
		wg.Go(func() { rings[i], errs[i] = LoadKeyRing("", dir) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if a, b := string(must(rings[0].JWKS())), string(must(rings[1].JWKS())); a != b {
		t.Errorf("two processes starting at once have two rings:\n%s\n%s", a, b)
	}
	// Either signs what the other verifies.
	if _, err := rings[1].Verify(mustSign(t, rings[0], New(valid(), baseURL))); err != nil {
		t.Error(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != KeyFile {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("data dir holds %v, want only %s", names, KeyFile)
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r, err := LoadKeyRing("", dir)
	if err != nil {
		t.Fatal(err)
	}
	oldKID := r.SigningKID()
	oldToken := mustSign(t, r, New(valid(), baseURL))

	newKID, err := r.Rotate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if newKID == oldKID || r.SigningKID() != newKID {
		t.Fatalf("after rotation the signing kid is %s (returned %s, before %s)", r.SigningKID(), newKID, oldKID)
	}
	if got := r.KIDs(); !slices.Equal(got, []string{newKID, oldKID}) {
		t.Errorf("kids %v, want [%s %s]", got, newKID, oldKID)
	}
	newToken := mustSign(t, r, New(valid(), baseURL))
	jwks := must(r.JWKS())
	for _, kid := range []string{oldKID, newKID} {
		if !strings.Contains(string(jwks), `"kid":"`+kid+`"`) {
			t.Errorf("JWKS lacks %s: %s", kid, jwks)
		}
	}
	for name, tok := range map[string]string{"old": oldToken, "new": newToken} {
		h, _, err := verifyWithGoJose(t, tok, jwks)
		if err != nil {
			t.Errorf("go-jose, %s key: %v", name, err)
		}
		if want := map[string]string{"old": oldKID, "new": newKID}[name]; h.KeyID != want {
			t.Errorf("%s token signed by %s, want %s", name, h.KeyID, want)
		}
		if _, err := r.Verify(tok); err != nil {
			t.Errorf("Verify, %s key: %v", name, err)
		}
	}

	// The next start reads the rotated ring; the old key is kept public only.
	again, err := LoadKeyRing("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.KIDs(), r.KIDs()) {
		t.Errorf("reloaded kids %v, want %v", again.KIDs(), r.KIDs())
	}
	if _, err := again.Verify(oldToken); err != nil {
		t.Errorf("reloaded ring, old credential: %v", err)
	}
	if again.state.Load().keys[1].private != nil {
		t.Error("the former signing key's private half is still stored")
	}
	fi, _ := os.Stat(filepath.Join(dir, KeyFile))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after rotation", fi.Mode().Perm())
	}

	// A ring from the variable is rotated by editing the variable.
	if _, err := envRing(t).Rotate(dir); err == nil || !strings.Contains(err.Error(), EnvKeys) {
		t.Errorf("rotating the variable's ring: %v", err)
	}
}

func TestNewKeyEntry(t *testing.T) {
	t.Parallel()
	entry, err := NewKeyEntry()
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadKeyRing(entry+",k0:"+pkix(t, &testRSA()[0].PublicKey), "")
	if err != nil {
		t.Fatalf("the new entry does not load: %v", err)
	}
	kid, _, _ := strings.Cut(entry, ":")
	if r.SigningKID() != kid {
		t.Errorf("signing kid %s, want %s", r.SigningKID(), kid)
	}
	if bits := r.state.Load().keys[0].public.N.BitLen(); bits != KeyBits {
		t.Errorf("%d bits", bits)
	}
	if _, err := r.Verify(mustSign(t, r, New(valid(), baseURL))); err != nil {
		t.Error(err)
	}
}

func BenchmarkSign(b *testing.B) {
	cred := New(valid(), baseURL)
	rings := map[string]func() *KeyRing{
		fmt.Sprintf("rsa%d", KeyBits): func() *KeyRing { return must(LoadKeyRing("", b.TempDir())) },
		"rsa2048": func() *KeyRing {
			return must(LoadKeyRing("k0:"+pkcs8(b, testRSA()[0]), ""))
		},
	}
	for _, name := range []string{fmt.Sprintf("rsa%d", KeyBits), "rsa2048"} {
		b.Run(name, func(b *testing.B) {
			r := rings[name]()
			for b.Loop() {
				if _, err := r.Sign(cred); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	r := must(LoadKeyRing("", b.TempDir()))
	token := must(r.Sign(New(valid(), baseURL)))
	for b.Loop() {
		if _, err := r.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}
