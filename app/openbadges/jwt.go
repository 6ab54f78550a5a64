package openbadges

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Leeway is the clock skew Verify allows on nbf and exp.
const Leeway = time.Minute

// payload is the JWT payload of a VC-JWT as Open Badges 3.0 §8.2 (JSON
// Web Token Proof Format), "JWT Payload Format", defines it: the JSON
// object of the OpenBadgeCredential itself (VCDM 2.0; not wrapped in a
// "vc" claim as under VCDM 1.1) with registered claims at the top level:
//
//	iss  issuer.id              required
//	jti  id                     required
//	nbf  validFrom              required
//	exp  validUntil             required when the credential has a validUntil
//	sub  credentialSubject.id   see below
//	iat  the moment of signing  ("additional standard JWT Claims Names are allowed")
//
// The table marks sub as required, but the data model lets a subject go
// without an id (it is then named by an identifier, as ours are), and then
// sub has nothing to hold. sub is therefore present exactly when
// credentialSubject.id is: RFC 7519 makes sub optional, and other
// implementations do the same (spruceid/ssi#346 omits sub for a subject
// without id; openbadgeslib requires sub only "when the subject has an
// id"). A verifier that insists on sub rejects our credentials; giving
// holders a URI of their own (a DID they bring) would be the way out.
type payload struct {
	Credential
	Iss string           `json:"iss"`
	Jti string           `json:"jti"`
	Sub string           `json:"sub,omitempty"`
	Nbf *jwt.NumericDate `json:"nbf"`
	Exp *jwt.NumericDate `json:"exp,omitempty"`
	Iat *jwt.NumericDate `json:"iat,omitempty"`
}

// The jwt.Claims methods, for the parser's validation of exp and nbf.

func (p *payload) GetExpirationTime() (*jwt.NumericDate, error) { return p.Exp, nil }
func (p *payload) GetIssuedAt() (*jwt.NumericDate, error)       { return p.Iat, nil }
func (p *payload) GetNotBefore() (*jwt.NumericDate, error)      { return p.Nbf, nil }
func (p *payload) GetIssuer() (string, error)                   { return p.Iss, nil }
func (p *payload) GetSubject() (string, error)                  { return p.Sub, nil }
func (p *payload) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// Sign returns cred as a VC-JWT (a compact JWS) signed with the ring's
// signing key. The JOSE header is {"alg":"RS256","kid":…,"typ":"JWT"}.
// Open Badges 3.0 §8.2, "Create the JOSE Header": alg is required and
// RS256 is the algorithm every verifier must support; kid (or jwk) tells
// the verifier the public key, here resolved against [KeyRing.JWKS]; typ,
// if present, must be "JWT"; no other headers are allowed. The payload is
// described at [payload]: the credential plus iss, jti, nbf, exp (when it
// expires), sub (when the subject has an id) and iat.
//
// The spec types kid as a URI that dereferences to the JWK; ours is a bare
// key id, looked up in the issuer's published JWKS as is usual in JOSE.
func (r *KeyRing) Sign(cred *Credential) (string, error) {
	if cred == nil {
		return "", errors.New("openbadges: sign: no credential")
	}
	switch {
	case cred.ID == "":
		return "", errors.New("openbadges: sign: the credential has no id")
	case cred.Issuer.ID == "":
		return "", fmt.Errorf("openbadges: sign %s: the issuer has no id", cred.ID)
	case cred.ValidFrom.IsZero():
		return "", fmt.Errorf("openbadges: sign %s: validFrom is not set", cred.ID)
	}
	p := payload{Credential: *cred}
	// nbf and exp are whole seconds and must equal validFrom and validUntil.
	p.ValidFrom = seconds(cred.ValidFrom)
	p.ValidUntil = secondsPtr(cred.ValidUntil)
	p.Iss = cred.Issuer.ID
	p.Jti = cred.ID
	p.Sub = cred.CredentialSubject.ID
	p.Nbf = jwt.NewNumericDate(p.ValidFrom)
	if p.ValidUntil != nil {
		p.Exp = jwt.NewNumericDate(*p.ValidUntil)
	}
	p.Iat = jwt.NewNumericDate(time.Now())

	signer := r.state.Load().keys[0]
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, &p)
	t.Header["kid"] = signer.kid
	s, err := t.SignedString(signer.private)
	if err != nil {
		return "", fmt.Errorf("openbadges: sign %s with key %s: %w", cred.ID, signer.kid, err)
	}
	return s, nil
}

// Verify checks a VC-JWT made by Sign and returns its credential. It
// accepts RS256 only (no "none", no HMAC with a public key as secret),
// looks the header's kid up in the ring only (never a key sent in the
// token), and checks what Open Badges 3.0 §8.2, "Verify a Credential
// VC-JWT Signature", asks: iss equal to issuer.id, jti equal to id, nbf
// equal to validFrom and passed, exp (required when there is a
// validUntil) equal to it and not passed, sub equal to
// credentialSubject.id; with [Leeway] for clock skew. It does not look at
// credentialStatus: revocation is answered by the verification endpoint.
func (r *KeyRing) Verify(token string) (*Credential, error) {
	st := r.state.Load()
	var p payload
	_, err := jwt.ParseWithClaims(token, &p, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 { // also pinned by WithValidMethods
			return nil, fmt.Errorf("algorithm %v is not accepted", t.Header["alg"])
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("the header has no kid")
		}
		k, ok := st.byKID[kid]
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
		}
		return k.public, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithNotBeforeRequired(),
		jwt.WithLeeway(Leeway),
		jwt.WithStrictDecoding(),
	)
	if err != nil {
		return nil, fmt.Errorf("openbadges: verify: %w", err)
	}
	cred := &p.Credential
	switch {
	case p.Iss == "":
		return nil, errors.New("openbadges: verify: no iss claim")
	case p.Iss != cred.Issuer.ID:
		return nil, fmt.Errorf("openbadges: verify: iss %q is not issuer.id %q", p.Iss, cred.Issuer.ID)
	case p.Jti == "" || p.Jti != cred.ID:
		return nil, fmt.Errorf("openbadges: verify: jti %q is not the credential's id %q", p.Jti, cred.ID)
	case !p.Nbf.Equal(cred.ValidFrom):
		return nil, fmt.Errorf("openbadges: verify %s: nbf is not validFrom", cred.ID)
	case p.Sub != cred.CredentialSubject.ID:
		return nil, fmt.Errorf("openbadges: verify %s: sub %q is not credentialSubject.id %q", cred.ID, p.Sub, cred.CredentialSubject.ID)
	case cred.ValidUntil != nil && p.Exp == nil:
		return nil, fmt.Errorf("openbadges: verify %s: validUntil without exp", cred.ID)
	case cred.ValidUntil != nil && !p.Exp.Equal(*cred.ValidUntil):
		return nil, fmt.Errorf("openbadges: verify %s: exp is not validUntil", cred.ID)
	case !slices.Contains(cred.Type, "VerifiableCredential") ||
		!(slices.Contains(cred.Type, "OpenBadgeCredential") || slices.Contains(cred.Type, "AchievementCredential")):
		return nil, fmt.Errorf("openbadges: verify %s: not an OpenBadgeCredential (type %q)", cred.ID, cred.Type)
	}
	if cred.ValidUntil == nil && p.Exp != nil {
		// OB 3.0 §8.2: exp, when present, sets validUntil.
		t := p.Exp.UTC()
		cred.ValidUntil = &t
	}
	return cred, nil
}

var _ jwt.Claims = (*payload)(nil)
