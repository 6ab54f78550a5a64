// Package openbadges turns certificates into Open Badges 3.0 credentials
// (OpenBadgeCredential, on the W3C Verifiable Credentials Data Model 2.0)
// and signs them as VC-JWT: a compact JWS, RS256, whose header names the
// signing key by kid and whose payload is the credential itself.
//
// Sources for the choices made here:
//
//   - Open Badges Specification v3.0 (1EdTech), https://www.imsglobal.org/spec/ob/v3p0/,
//     §8.2 "JSON Web Token Proof Format" for the JOSE header and the claims, and
//     appendix B for the data model (AchievementCredential, Profile,
//     AchievementSubject, IdentityObject, Achievement, CredentialStatus,
//     CredentialSchema); read in the specification's source repository,
//     github.com/1EdTech/openbadges-specification, ob_v3p0/microsites/spec/integrity.md.
//   - Verifiable Credentials Data Model v2.0 (W3C), https://www.w3.org/TR/vc-data-model-2.0/,
//     for validFrom/validUntil and credentialStatus.
//
// The keys live in a [KeyRing]: the first key signs, every key is published
// in the ring's JSON Web Key Set ([KeyRing.JWKS]), so that a credential signed
// before a rotation still verifies after it.
package openbadges

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
)

// The JSON-LD contexts of an OpenBadgeCredential: VCDM 2.0 first, then the
// Open Badges 3.0 context in its versioned form (the spec's errata: a
// breaking change to the context gets a new file, so a signed credential
// names the version it was made with).
const (
	ContextVC = "https://www.w3.org/ns/credentials/v2"
	ContextOB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

// SchemaURL is the JSON Schema of an Open Badges 3.0 AchievementCredential
// (alias OpenBadgeCredential), and SchemaType the validator the
// specification names for it in credentialSchema.
const (
	SchemaURL  = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
	SchemaType = "1EdTechJsonSchemaValidator2019"
)

// StatusType is the credentialStatus type of Raadzaam's credentials. It is
// our own, not a registered one, and says what the status id is: an HTTPS
// URL (the public verification endpoint, /api/v1/verify/{number}) that
// answers a GET with the certificate's current status as JSON ("valid",
// "expired" or "revoked", see courses.CertificateStatus).
//
// It is deliberately not "1EdTechRevocationList" (the endpoint does not
// serve that list format) nor "BitstringStatusListEntry" (no status list
// credential is published). Under the VCDM 2.0 context an undefined term
// such as this one expands into the issuer-dependent vocabulary
// (https://www.w3.org/ns/credentials/issuer-dependent#); a verifier that
// does not know it cannot check revocation automatically, but can follow
// the id, which is also the certificate's public verification URL.
const StatusType = "RaadzaamCertificateStatus"

// Credential is an OpenBadgeCredential. Its JSON form is the credential as
// the specification defines it; it is what [KeyRing.Sign] puts in the JWT
// payload, next to the registered claims.
type Credential struct {
	Context           []string           `json:"@context"`
	ID                string             `json:"id"`
	Type              []string           `json:"type"`
	Name              string             `json:"name"`
	Issuer            Profile            `json:"issuer"`
	ValidFrom         time.Time          `json:"validFrom"`
	ValidUntil        *time.Time         `json:"validUntil,omitempty"`
	CredentialSubject AchievementSubject `json:"credentialSubject"`
	CredentialStatus  *CredentialStatus  `json:"credentialStatus,omitempty"`
	CredentialSchema  []CredentialSchema `json:"credentialSchema,omitempty"`
}

// Profile is the issuer: the organisation behind baseURL.
type Profile struct {
	ID   string   `json:"id"`
	Type []string `json:"type"`
	Name string   `json:"name,omitempty"`
	URL  string   `json:"url,omitempty"`
}

// AchievementSubject is the holder and what they achieved. ID is empty for
// Raadzaam's credentials: holders have no DID or other URI of their own,
// and the e-mail address stays out of a credential that is meant to be
// shown around; the holder is named by an Identifier instead, which the
// specification allows ("either id or at least one identifier MUST be
// supplied").
type AchievementSubject struct {
	ID              string           `json:"id,omitempty"`
	Type            []string         `json:"type"`
	Identifier      []IdentityObject `json:"identifier,omitempty"`
	ActivityEndDate *time.Time       `json:"activityEndDate,omitempty"`
	Achievement     Achievement      `json:"achievement"`
}

// IdentityObject names the holder. Raadzaam uses identityType "name" (a
// value of the specification's IdentifierTypeEnum) with the name in plain
// text (hashed false): the certificate prints the name anyway, and a
// verifier compares it with the person in front of them. The specification
// calls the field identityHash even when it holds the plain value.
type IdentityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt,omitempty"`
}

// Achievement is the course, as it was when the certificate was issued.
type Achievement struct {
	ID              string   `json:"id"`
	Type            []string `json:"type"`
	AchievementType string   `json:"achievementType,omitempty"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	Criteria        Criteria `json:"criteria"`
	InLanguage      string   `json:"inLanguage,omitempty"`
	Version         string   `json:"version,omitempty"`
}

// Criteria says how the achievement is earned.
type Criteria struct {
	ID        string `json:"id,omitempty"`
	Narrative string `json:"narrative,omitempty"`
}

// CredentialStatus tells where the credential's current status is found.
type CredentialStatus struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// CredentialSchema names a schema the credential conforms to.
type CredentialSchema struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// New returns the OpenBadgeCredential for c, issued by the Raadzaam
// instance at baseURL (e.g. "https://raadzaam.nl"; a trailing slash is
// ignored). Times are in UTC and whole seconds, so that validFrom and
// validUntil equal the JWT's nbf and exp exactly, as §8.2 requires.
//
// The credential's id is the certificate's public verification page,
// baseURL/verifieer/{number}; the achievement's id is the course page,
// baseURL/cursussen/{slug}; credentialStatus points at the verification
// API, baseURL/api/v1/verify/{number} (see [StatusType]).
func New(c *courses.Certificate, baseURL string) *Credential {
	base := strings.TrimRight(baseURL, "/")
	number := url.PathEscape(c.Number)
	english := c.Language == "en"

	description := c.CourseSummary
	if strings.TrimSpace(description) == "" {
		description = c.CourseTitle // the specification requires a description
	}
	var narrative string
	switch {
	case english && c.CourseVersion > 0:
		narrative = fmt.Sprintf("Awarded on completing the course “%s” (version %d).", c.CourseTitle, c.CourseVersion)
	case english:
		narrative = fmt.Sprintf("Awarded on completing the course “%s”.", c.CourseTitle)
	case c.CourseVersion > 0:
		narrative = fmt.Sprintf("Toegekend na het afronden van de cursus ‘%s’ (versie %d).", c.CourseTitle, c.CourseVersion)
	default:
		narrative = fmt.Sprintf("Toegekend na het afronden van de cursus ‘%s’.", c.CourseTitle)
	}

	cred := &Credential{
		Context: []string{ContextVC, ContextOB},
		ID:      base + "/verifieer/" + number,
		Type:    []string{"VerifiableCredential", "OpenBadgeCredential"},
		Name:    c.CourseTitle,
		Issuer: Profile{
			ID:   base,
			Type: []string{"Profile"},
			Name: c.Issuer,
			URL:  base,
		},
		ValidFrom:  seconds(c.IssuedAt),
		ValidUntil: secondsPtr(c.ExpiresAt),
		CredentialSubject: AchievementSubject{
			Type: []string{"AchievementSubject"},
			Identifier: []IdentityObject{{
				Type:         "IdentityObject",
				IdentityHash: c.HolderName,
				IdentityType: "name",
				Hashed:       false,
			}},
			Achievement: Achievement{
				ID:              base + "/cursussen/" + url.PathEscape(c.CourseSlug),
				Type:            []string{"Achievement"},
				AchievementType: "CertificateOfCompletion",
				Name:            c.CourseTitle,
				Description:     description,
				Criteria:        Criteria{Narrative: narrative},
				InLanguage:      c.Language,
			},
		},
		CredentialStatus: &CredentialStatus{
			ID:   base + "/api/v1/verify/" + number,
			Type: StatusType,
		},
		CredentialSchema: []CredentialSchema{{ID: SchemaURL, Type: SchemaType}},
	}
	if c.CourseVersion > 0 {
		cred.CredentialSubject.Achievement.Version = strconv.Itoa(c.CourseVersion)
	}
	if !c.CompletedAt.IsZero() {
		t := seconds(c.CompletedAt)
		cred.CredentialSubject.ActivityEndDate = &t
	}
	return cred
}

// seconds is t in UTC, to the whole second (a JWT NumericDate's precision).
func seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func secondsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := seconds(*t)
	return &s
}
