package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sessionKey is one HMAC key that signs access tokens, named by its kid.
type sessionKey struct {
	ID     string `json:"kid"`
	Secret []byte `json:"secret"`
}

// keyRing holds the session keys: the first signs, all verify, so that a
// new key can be introduced and an old one retired without signing anyone
// out. Every instance must hold the same ring.
type keyRing struct {
	keys []sessionKey
}

func (r *keyRing) current() sessionKey { return r.keys[0] }

func (r *keyRing) byID(kid string) ([]byte, bool) {
	for _, k := range r.keys {
		if k.ID == kid {
			return k.Secret, true
		}
	}
	return nil, false
}

// loadKeyRing reads RAADZAAM_SESSION_KEYS ("kid:base64secret,kid2:..." with
// at least 32 bytes each, the signing key first). Without it the ring lives
// in $RAADZAAM_DATA/session-keys.json, generated on the first start: fine for
// one instance; several instances need the variable (README).
func loadKeyRing(raw, dataDir string) (*keyRing, error) {
	if v := strings.TrimSpace(raw); v != "" {
		ring := &keyRing{}
		for _, part := range strings.Split(v, ",") {
			kid, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
			secret, err := base64.StdEncoding.DecodeString(b64)
			if !ok || kid == "" || err != nil || len(secret) < 32 {
				return nil, errors.New("RAADZAAM_SESSION_KEYS: want kid:base64 with at least 32 bytes per key, comma-separated")
			}
			ring.keys = append(ring.keys, sessionKey{ID: kid, Secret: secret})
		}
		return ring, nil
	}
	path := filepath.Join(dataDir, "session-keys.json")
	b, err := os.ReadFile(path)
	if err == nil {
		ring := &keyRing{}
		if err := json.Unmarshal(b, &ring.keys); err != nil || len(ring.keys) == 0 {
			return nil, fmt.Errorf("%s: unreadable key ring", path)
		}
		return ring, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	ring := &keyRing{keys: []sessionKey{{ID: "k" + randomHex(4), Secret: secret}}}
	b, _ = json.Marshal(ring.keys)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, err
	}
	// Written to a temporary file and linked into place, which fails when the
	// file exists: when two processes start at once, both end up with the
	// ring of the first.
	tmp, err := os.CreateTemp(dataDir, ".session-keys-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return nil, err
	}
	// Synced before it is linked, and the folder after: a volume that
	// fails or loses power soon after the first start would otherwise
	// keep an empty key file, and the server would not start again.
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return loadKeyRing(raw, dataDir)
	} else if err != nil {
		return nil, err
	}
	if d, err := os.Open(dataDir); err == nil { // the new name; best effort
		_ = d.Sync()
		d.Close()
	}
	return ring, nil
}
