package openbadges

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// EnvKeys is the environment variable that holds the credential keys when
// several instances must sign with the same key: comma-separated
// "kid:base64(DER)" entries, the first a PKCS#8 RSA private key (it signs),
// the others PKCS#8 private or PKIX public keys (they verify and are
// published). Without it the ring lives in KeyFile in the data directory.
const EnvKeys = "RAADZAAM_CREDENTIAL_KEYS"

// KeyFile is the name of the file-based ring in the data directory. It
// holds private keys and is written with mode 0600.
const KeyFile = "credential-keys.json"

// KeyBits is the size of the RSA keys generated here. 3072 bits (about 128
// bits of security, NIST SP 800-57) rather than 2048, because a credential
// outlives its issuance by years and is checked against the same key all
// that time. The cost is small: generating a 3072-bit key took 93–593 ms
// (median 216 ms; 2048 bits: median 53 ms) over 25 runs on 2 vCPUs (AMD
// EPYC, Go 1.26.8), paid once per ring or rotation; signing takes about
// 3 ms instead of 1 ms (BenchmarkSign).
const KeyBits = 3072

// MinKeyBits is the smallest RSA key accepted from outside.
const MinKeyBits = 2048

// maxKIDLen bounds a kid: it is published and sent in every JWT header.
const maxKIDLen = 64

// ErrUnknownKey is returned by [KeyRing.Verify] for a token whose kid is not
// in the ring.
var ErrUnknownKey = errors.New("openbadges: unknown signing key")

// key is one RSA key of the ring.
type key struct {
	kid     string
	public  *rsa.PublicKey
	private *rsa.PrivateKey // nil: the key verifies and is published, but does not sign
	created time.Time       // file-based ring only
}

// ringState is one immutable version of the ring's keys.
type ringState struct {
	keys  []*key // keys[0] signs
	byKID map[string]*key
}

func newRingState(keys []*key) *ringState {
	st := &ringState{keys: keys, byKID: make(map[string]*key, len(keys))}
	for _, k := range keys {
		st.byKID[k.kid] = k
	}
	return st
}

// KeyRing holds the RSA keys that sign and verify credentials, each named
// by a kid. The first key signs; all keys are published in [KeyRing.JWKS],
// so that a key stays published after a rotation for as long as credentials
// signed with it are around. A KeyRing is safe for concurrent use.
type KeyRing struct {
	state   atomic.Pointer[ringState]
	fromEnv bool
	rotate  sync.Mutex
}

// LoadKeyRing returns the credential key ring. raw is the value of
// [EnvKeys]; when it is empty (or only spaces), the ring is read from
// dataDir/[KeyFile], which is generated on the first start with one key of
// [KeyBits]. Two processes starting at once on an empty dataDir end up
// with the same ring: the file is written under a temporary name and
// linked into place, which fails for the second, which then reads the
// first one's ring.
//
// Errors name the entry (by position and kid) or the file, never key
// material.
func LoadKeyRing(raw, dataDir string) (*KeyRing, error) {
	if strings.TrimSpace(raw) != "" {
		keys, err := parseEnvKeys(raw)
		if err != nil {
			return nil, err
		}
		r := &KeyRing{fromEnv: true}
		r.state.Store(newRingState(keys))
		return r, nil
	}
	if dataDir == "" {
		return nil, fmt.Errorf("credential keys: neither %s nor a data directory is set", EnvKeys)
	}
	path := filepath.Join(dataDir, KeyFile)
	keys, err := readKeyFile(path)
	if errors.Is(err, os.ErrNotExist) {
		keys, err = createKeyFile(dataDir)
	}
	if err != nil {
		return nil, err
	}
	r := &KeyRing{}
	r.state.Store(newRingState(keys))
	return r, nil
}

// SigningKID returns the kid of the key that signs.
func (r *KeyRing) SigningKID() string { return r.state.Load().keys[0].kid }

// KIDs returns the kids of all keys, the signing key first.
func (r *KeyRing) KIDs() []string {
	st := r.state.Load()
	kids := make([]string, len(st.keys))
	for i, k := range st.keys {
		kids[i] = k.kid
	}
	return kids
}

// jwk is the public half of an RSA key as a JSON Web Key (RFC 7517, RFC
// 7518 §6.3.1), with the members in RFC 7638 order for readability.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS returns the JSON Web Key Set of the ring's public keys, the signing
// key first: {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":…,"n":…,"e":…}]}.
// It never contains private parts.
func (r *KeyRing) JWKS() ([]byte, error) {
	st := r.state.Load()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(st.keys))}
	for _, k := range st.keys {
		set.Keys = append(set.Keys, jwk{
			Kty: "RSA", Use: "sig", Alg: "RS256", Kid: k.kid,
			N: b64url(k.public.N.Bytes()),
			E: b64url(big.NewInt(int64(k.public.E)).Bytes()),
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("credential keys: encoding the JWKS: %w", err)
	}
	return b, nil
}

// Rotate gives the file-based ring in dataDir a new signing key and returns
// its kid. The former keys stay in the ring and in the JWKS, as public keys
// only: their private halves are no longer needed and are not kept. The
// file is re-read first (so a key another process added is not lost) and
// replaced atomically; r then holds the new ring. Other processes that
// loaded the ring before keep signing with the former key, which stays
// valid, until they load it again (at their next start).
//
// A ring from [EnvKeys] cannot be rotated here: put a new entry (see
// [NewKeyEntry]) first in the variable and keep the old ones after it.
func (r *KeyRing) Rotate(dataDir string) (string, error) {
	if r.fromEnv {
		return "", fmt.Errorf("credential keys come from %s: rotate by putting a new entry first in it and keeping the others after it", EnvKeys)
	}
	r.rotate.Lock()
	defer r.rotate.Unlock()
	path := filepath.Join(dataDir, KeyFile)
	old, err := readKeyFile(path)
	if err != nil {
		return "", err
	}
	k, err := generateKey()
	if err != nil {
		return "", err
	}
	keys := []*key{k}
	for _, o := range old {
		if o.kid == k.kid {
			return "", fmt.Errorf("credential keys: the new kid %q is already in %s; try again", k.kid, path)
		}
		keys = append(keys, &key{kid: o.kid, public: o.public, created: o.created})
	}
	data, err := encodeKeyFile(keys)
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(dataDir, KeyFile, data, true); err != nil {
		return "", err
	}
	keys, err = readKeyFile(path)
	if err != nil {
		return "", err
	}
	r.state.Store(newRingState(keys))
	return keys[0].kid, nil
}

// NewKeyEntry generates a key of [KeyBits] and returns it as an [EnvKeys]
// entry, "kid:base64(PKCS#8 DER)", to be put first in the variable.
func NewKeyEntry() (string, error) {
	k, err := generateKey()
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.private)
	if err != nil {
		return "", fmt.Errorf("credential keys: encoding the new key: %w", err)
	}
	return k.kid + ":" + base64.StdEncoding.EncodeToString(der), nil
}

// generateKey makes a new RSA key of KeyBits, named by the day and its
// RFC 7638 thumbprint ("20260514-Xy3_ab9QkLm0").
func generateKey() (*key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("credential keys: generating an RSA key: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	kid := now.Format("20060102") + "-" + thumbprint(&priv.PublicKey)[:12]
	return &key{kid: kid, public: &priv.PublicKey, private: priv, created: now}, nil
}

// thumbprint is the RFC 7638 JWK thumbprint of pub, base64url.
func thumbprint(pub *rsa.PublicKey) string {
	canonical := `{"e":"` + b64url(big.NewInt(int64(pub.E)).Bytes()) + `","kty":"RSA","n":"` + b64url(pub.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return b64url(sum[:])
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// validKID reports whether kid is 1 to maxKIDLen characters of
// [A-Za-z0-9._-].
func validKID(kid string) bool {
	if kid == "" || len(kid) > maxKIDLen {
		return false
	}
	for _, c := range []byte(kid) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// parseEnvKeys reads the value of EnvKeys. Empty entries (a trailing
// comma) are skipped; entries are numbered from 1 as written.
func parseEnvKeys(raw string) ([]*key, error) {
	var keys []*key
	seen := map[string]int{}
	for i, entry := range strings.Split(raw, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		kid, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%s entry %d: want kid:base64(DER)", EnvKeys, n)
		}
		kid = strings.TrimSpace(kid)
		if !validKID(kid) {
			// The kid is not shown: a malformed entry may start with key material.
			return nil, fmt.Errorf("%s entry %d: the kid must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'", EnvKeys, n, maxKIDLen)
		}
		name := fmt.Sprintf("%s entry %d (kid %q)", EnvKeys, n, kid)
		if prev, dup := seen[kid]; dup {
			return nil, fmt.Errorf("%s: the kid is also used by entry %d; kids must be unique", name, prev)
		}
		seen[kid] = n
		der, ok := decodeBase64(b64)
		if !ok {
			return nil, fmt.Errorf("%s: the key is not valid base64", name)
		}
		k, err := parseDERKey(der, len(keys) == 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		k.kid = kid
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no keys", EnvKeys)
	}
	return keys, nil
}

// decodeBase64 accepts standard and URL-safe base64, with or without padding.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil && len(b) > 0
}

// parseDERKey reads a PKCS#8 RSA private key or, unless signing is
// required, a PKIX RSA public key. Its errors say what is wrong without
// showing the key.
func parseDERKey(der []byte, mustSign bool) (*key, error) {
	var pub *rsa.PublicKey
	k := &key{}
	if p, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		priv, ok := p.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a PKCS#8 %s key, not RSA", keyKind(p))
		}
		k.private, pub = priv, &priv.PublicKey
	} else if p, err := x509.ParsePKIXPublicKey(der); err == nil {
		rp, ok := p.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a PKIX %s public key, not RSA", keyKind(p))
		}
		if mustSign {
			return nil, errors.New("a public key (PKIX), but the first entry signs: it must be a PKCS#8 RSA private key")
		}
		pub = rp
	} else if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return nil, errors.New("a PKCS#1 RSA private key: convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -outform DER)")
	} else if _, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return nil, errors.New("a PKCS#1 RSA public key: convert it to PKIX (openssl rsa -RSAPublicKey_in -pubout -outform DER)")
	} else {
		return nil, errors.New("not a DER-encoded PKCS#8 private key or PKIX public key")
	}
	if bits := pub.N.BitLen(); bits < MinKeyBits {
		return nil, fmt.Errorf("the RSA key has %d bits; at least %d are required", bits, MinKeyBits)
	}
	k.public = pub
	return k, nil
}

// keyKind names the algorithm of a parsed key for an error message.
func keyKind(k any) string {
	s := fmt.Sprintf("%T", k) // "*ecdsa.PrivateKey", "ed25519.PublicKey"
	s = strings.TrimPrefix(s, "*")
	kind, _, _ := strings.Cut(s, ".")
	return kind
}

// keyFile is the JSON form of the file-based ring.
type keyFile struct {
	Keys []fileKey `json:"keys"`
}

// fileKey is one key of the file: PKCS8 for a key that can sign, PKIX for
// a key that is only published (a former signing key).
type fileKey struct {
	KID     string    `json:"kid"`
	Created time.Time `json:"created,omitzero"`
	PKCS8   []byte    `json:"pkcs8,omitempty"`
	PKIX    []byte    `json:"pkix,omitempty"`
}

func encodeKeyFile(keys []*key) ([]byte, error) {
	var f keyFile
	for _, k := range keys {
		fk := fileKey{KID: k.kid, Created: k.created}
		var err error
		if k.private != nil {
			fk.PKCS8, err = x509.MarshalPKCS8PrivateKey(k.private)
		} else {
			fk.PKIX, err = x509.MarshalPKIXPublicKey(k.public)
		}
		if err != nil {
			return nil, fmt.Errorf("credential keys: encoding key %q: %w", k.kid, err)
		}
		f.Keys = append(f.Keys, fk)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("credential keys: encoding the key file: %w", err)
	}
	return append(b, '\n'), nil
}

// readKeyFile reads the ring at path; its error wraps os.ErrNotExist when
// there is no file.
func readKeyFile(path string) ([]*key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credential keys: %w", err)
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("credential keys: %s is not a key file: %v", path, jsonErrorWithoutData(err))
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("credential keys: %s holds no keys", path)
	}
	keys := make([]*key, 0, len(f.Keys))
	seen := map[string]int{}
	for i, fk := range f.Keys {
		n := i + 1
		if !validKID(fk.KID) {
			return nil, fmt.Errorf("credential keys: %s, key %d: the kid must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'", path, n, maxKIDLen)
		}
		name := fmt.Sprintf("credential keys: %s, key %d (kid %q)", path, n, fk.KID)
		if prev, dup := seen[fk.KID]; dup {
			return nil, fmt.Errorf("%s: the kid is also used by key %d", name, prev)
		}
		seen[fk.KID] = n
		var der []byte
		switch {
		case len(fk.PKCS8) > 0 && len(fk.PKIX) > 0:
			return nil, fmt.Errorf("%s: has both pkcs8 and pkix", name)
		case len(fk.PKCS8) > 0:
			der = fk.PKCS8
		case len(fk.PKIX) > 0:
			der = fk.PKIX
		default:
			return nil, fmt.Errorf("%s: has no key", name)
		}
		k, err := parseDERKey(der, n == 1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(fk.PKIX) > 0 && k.private != nil {
			return nil, fmt.Errorf("%s: pkix holds a private key", name)
		}
		k.kid, k.created = fk.KID, fk.Created
		keys = append(keys, k)
	}
	return keys, nil
}

// jsonErrorWithoutData keeps a JSON error's position but not the text
// around it, which could be key material.
func jsonErrorWithoutData(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("wrong type for %q", typ.Field)
	}
	return "invalid JSON"
}

// createKeyFile generates the first key of a new file-based ring in dataDir
// and returns the ring in the file, which is another process's when it got
// there first.
func createKeyFile(dataDir string) ([]*key, error) {
	k, err := generateKey()
	if err != nil {
		return nil, err
	}
	data, err := encodeKeyFile([]*key{k})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("credential keys: %w", err)
	}
	if err := writeFileAtomic(dataDir, KeyFile, data, false); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	// Read back: what is in the file is the ring, whoever wrote it.
	return readKeyFile(filepath.Join(dataDir, KeyFile))
}

// writeFileAtomic writes data to dir/name with mode 0600, under a temporary
// name first so that no reader ever sees part of it. With replace the file
// is renamed into place (replacing any file there); without, it is linked
// into place, which fails with an error wrapping os.ErrExist when the file
// exists.
func writeFileAtomic(dir, name string, data []byte, replace bool) error {
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return fmt.Errorf("credential keys: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a link the temporary name remains; after a rename this fails harmlessly
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("credential keys: writing %s: %w", tmp.Name(), err)
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("credential keys: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the new name durable; best effort
		_ = d.Sync()
		d.Close()
	}
	return nil
}
