package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's first recommended set (m=19 MiB, t=2, p=1).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// hashPassword returns a PHC-formatted argon2id hash of password.
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword reports whether password matches a hash from hashPassword.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// newPassword returns a random password of 26 characters (130 bits), for
// demo accounts and `user add` without a password.
func newPassword() string { return rand.Text() }

// hashSlots bounds the argon2id hashes computed at once to the number of
// cores. Each holds argonMemory (19 MiB) for its ~45 ms of CPU, so more at
// once add no throughput, only memory: 100 sign-ins at once took the server
// from 41 MB to 2.5 GB (BENCHMARKS.md, issue 8). A request waits for a
// slot, or gives up when its context ends. A nil hashSlots does not bound.
type hashSlots chan struct{}

func newHashSlots() hashSlots { return make(hashSlots, runtime.GOMAXPROCS(0)) }

// do runs fn in a slot.
func (s hashSlots) do(ctx context.Context, fn func()) error {
	if s != nil {
		select {
		case s <- struct{}{}:
			defer func() { <-s }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fn()
	return nil
}

// checkPassword is checkPassword in one of the authenticator's hash slots.
func (au *authenticator) checkPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	err = au.hashes.do(ctx, func() { ok = checkPassword(hash, password) })
	return ok, err
}

// hashPassword is hashPassword in one of the authenticator's hash slots.
func (au *authenticator) hashPassword(ctx context.Context, password string) (hash string, err error) {
	if err := au.hashes.do(ctx, func() { hash, err = hashPassword(password) }); err != nil {
		return "", err
	}
	return hash, err
}
