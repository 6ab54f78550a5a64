package openbadges

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signedByRing checks, without golang-jwt, that token is a compact JWS
// whose header says RS256 and names a key of r that made its signature.
func signedByRing(r *KeyRing, token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &header) != nil || header.Alg != "RS256" {
		return false
	}
	k, ok := r.state.Load().byKID[header.Kid]
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if !ok || err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(k.public, crypto.SHA256, sum[:], sig) == nil
}

// FuzzVerifyCredential: any string offered as a credential either
// verifies, and then was signed with RS256 by a key of the ring and is an
// Open Badge valid now, or is refused with an error of this package.
func FuzzVerifyCredential(f *testing.F) {
	r := envRing(f)
	good := mustSign(f, r, New(valid(), baseURL))
	parts := strings.Split(good, ".")
	foreign, err := LoadKeyRing("k0:"+pkcs8(f, testRSA()[2]), "") // another key under a kid of the ring
	if err != nil {
		f.Fatal(err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": baseURL})
	noneToken, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, s := range []string{good, mustSign(f, foreign, New(valid(), baseURL)), noneToken, parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1], good + "A", strings.ToLower(good), "", "..", "a.b.c", parts[0] + ".e30." + parts[2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		cred, err := r.Verify(token)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "openbadges: verify") {
				t.Fatalf("Verify(%q): %v, want an error of openbadges: verify", token, err)
			}
			return
		}
		now := time.Now()
		switch {
		case !signedByRing(r, token):
			t.Fatalf("Verify accepts %q, which no key of the ring signed with RS256", token)
		case cred.ID == "" || cred.Issuer.ID == "" || !slices.Contains(cred.Type, "VerifiableCredential"):
			t.Fatalf("Verify(%q) accepts %+v", token, cred)
		case cred.ValidFrom.After(now.Add(Leeway)) || cred.ValidUntil != nil && cred.ValidUntil.Before(now.Add(-Leeway)):
			t.Fatalf("Verify(%q) accepts a credential valid %v–%v", token, cred.ValidFrom, cred.ValidUntil)
		}
	})
}

// FuzzVerifyCredentialMutation changes, inserts or deletes one byte of a
// valid credential: the result is refused or, at most, the same credential.
func FuzzVerifyCredentialMutation(f *testing.F) {
	r := envRing(f)
	good := mustSign(f, r, New(valid(), baseURL))
	want, err := r.Verify(good)
	if err != nil {
		f.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	dot := strings.IndexByte(good, '.')
	for _, pos := range []int{0, dot, dot + 1, len(good) / 2, strings.LastIndexByte(good, '.') + 1, len(good) - 1} {
		for op := range uint8(3) {
			f.Add(uint16(pos), byte('Q'), op)
		}
	}
	f.Fuzz(func(t *testing.T, pos uint16, b byte, op uint8) {
		i := int(pos) % (len(good) + 1)
		var mutated string
		switch op % 3 {
		case 0:
			if i == len(good) {
				return
			}
			mutated = good[:i] + string([]byte{b}) + good[i+1:]
		case 1:
			mutated = good[:i] + string([]byte{b}) + good[i:]
		default:
			if i == len(good) {
				return
			}
			mutated = good[:i] + good[i+1:]
		}
		if mutated == good {
			return
		}
		got, err := r.Verify(mutated)
		if err != nil {
			return
		}
		if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(wantJSON) {
			t.Fatalf("the mutation %q of a valid credential verifies as another credential:\n%s", mutated, gotJSON)
		}
	})
}
