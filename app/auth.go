package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/raadzaam/raadzaam/courses"
)

// Token lifetimes and audiences. Each token kind has its own audience, so
// a token of one kind is refused where another is expected.
const (
	accessTTL         = 15 * time.Minute
	apiTokenTTL       = time.Hour
	browserSessionTTL = 14 * 24 * time.Hour
	audienceBrowser   = "raadzaam:browser"
	audienceAPI       = "raadzaam:api"
	audienceTwoFactor = "raadzaam:2fa" // between the password and the code
	twoFactorTTL      = 5 * time.Minute
)

// Sign-in limits: per account, and per client address (which may be shared
// by a whole town hall, hence the larger allowance).
var (
	accountLimit = courses.LimitPolicy{Window: 15 * time.Minute, Free: 5, BaseLock: time.Minute, MaxLock: time.Hour}
	addressLimit = courses.LimitPolicy{Window: 15 * time.Minute, Free: 30, BaseLock: 5 * time.Minute, MaxLock: time.Hour}
	// attemptLimit counts every attempt from an address, successful ones
	// too: each costs ~45 ms of CPU (argon2id), so even valid credentials
	// must not become a way to keep the server busy.
	attemptLimit = courses.LimitPolicy{Window: 15 * time.Minute, Free: 100, BaseLock: time.Minute, MaxLock: 15 * time.Minute}
)

// authenticator signs people in and checks their tokens.
type authenticator struct {
	users    courses.UserService
	sessions courses.SessionService
	limiter  courses.RateLimiter
	audit    courses.AuditLog
	keys     *keyRing
	issuer   string
	now      func() time.Time
	// dummyHash is verified when an address is unknown, so that a wrong
	// address takes as long as a wrong password (no account enumeration).
	dummyHash func() string
	// hashes bounds the argon2id hashes computed at once (password.go).
	hashes hashSlots
	// verified remembers access tokens whose signature and claims were
	// checked, until they expire, so that a token is parsed once per
	// instance rather than on every request. Revocation is still checked
	// on every request against the session.
	verifiedMu sync.Mutex
	verified   map[string]*accessClaims
}

// maxVerified bounds the verified-token cache; when full it starts over.
const maxVerified = 10_000

// accessClaims are the claims of an access token.
type accessClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// issueAccess signs an access token for the session.
func (au *authenticator) issueAccess(s *courses.Session, audience string, ttl time.Duration) (string, time.Time, error) {
	now := au.now()
	exp := now.Add(ttl)
	if exp.After(s.ExpiresAt) {
		exp = s.ExpiresAt
	}
	claims := accessClaims{SessionID: s.ID, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: au.issuer, Subject: strconv.FormatInt(s.UserID, 10), Audience: jwt.ClaimStrings{audience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Second)), ExpiresAt: jwt.NewNumericDate(exp),
	}}
	key := au.keys.current()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = key.ID
	signed, err := t.SignedString(key.Secret)
	return signed, exp, err
}

// parseAccess verifies an access token for audience: HS256 only, a kid from
// our own ring, our issuer, the audience, and an expiry that is required.
// A token verified before is taken from the cache while it is unexpired.
func (au *authenticator) parseAccess(token, audience string) (*accessClaims, error) {
	key := audience + " " + token
	au.verifiedMu.Lock()
	cached, ok := au.verified[key]
	au.verifiedMu.Unlock()
	if ok && au.now().Before(cached.ExpiresAt.Time) {
		return cached, nil
	}
	claims, err := au.verifyAccess(token, audience)
	if err != nil {
		return nil, err
	}
	au.verifiedMu.Lock()
	if au.verified == nil || len(au.verified) >= maxVerified {
		au.verified = map[string]*accessClaims{}
	}
	au.verified[key] = claims
	au.verifiedMu.Unlock()
	return claims, nil
}

// verifyAccess checks a token's signature and claims.
func (au *authenticator) verifyAccess(token, audience string) (*accessClaims, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if secret, ok := au.keys.byID(kid); ok {
			return secret, nil
		}
		return nil, errors.New("unknown kid")
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(au.issuer), jwt.WithAudience(audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(au.now))
	if err != nil || claims.SessionID == "" {
		return nil, courses.Errorf(courses.EUNAUTHORIZED, "bad access token: %v", err)
	}
	return &claims, nil
}

// authenticate returns the active session and user of a verified token.
func (au *authenticator) authenticate(ctx context.Context, token, audience string) (*courses.Session, *courses.User, error) {
	claims, err := au.parseAccess(token, audience)
	if err != nil {
		return nil, nil, err
	}
	s, u, err := au.sessions.ActiveSession(ctx, claims.SessionID)
	if err != nil {
		return nil, nil, err
	}
	if strconv.FormatInt(u.ID, 10) != claims.Subject {
		return nil, nil, courses.Errorf(courses.EUNAUTHORIZED, "token subject does not match its session")
	}
	return s, u, nil
}

// signInResult is a new session with the tokens that carry it.
type signInResult struct {
	User         *courses.User
	Session      *courses.Session
	Access       string
	AccessExpiry time.Time
	Refresh      string // browser sessions only
}

// signIn checks an e-mail address and password under the rate limits and
// starts a session of the given kind. Wrong address and wrong password give
// the same EUNAUTHORIZED; a locked account or address gives ERATELIMIT.
func (au *authenticator) signIn(ctx context.Context, email, password, code, clientIP, kind, requestID string) (*signInResult, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	ipKey := "signin:ip:" + au.pseudonym(clientIP)
	id, hash, active, err := au.users.Credentials(ctx, email)
	if err != nil && courses.ErrorCode(err) != courses.ENOTFOUND {
		return nil, err
	}
	accountKey := "signin:email:" + au.pseudonym(email)
	if id != 0 {
		accountKey = "signin:user:" + strconv.FormatInt(id, 10)
	}
	if until, err := au.limiter.Fail(ctx, "signin-attempt:ip:"+au.pseudonym(clientIP), attemptLimit); err != nil {
		return nil, err
	} else if !until.IsZero() {
		return nil, &courses.Error{Code: courses.ERATELIMIT, Message: "too many sign-in attempts from this address",
			Problems: []courses.Problem{{Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}}}}
	}
	for _, key := range []string{accountKey, ipKey} {
		until, err := au.limiter.LockedUntil(ctx, key)
		if err != nil {
			return nil, err
		}
		if !until.IsZero() {
			au.record(ctx, courses.AuditEvent{ActorID: 0, Action: "signin.locked", Subject: subjectOf(id), RequestID: requestID})
			return nil, &courses.Error{Code: courses.ERATELIMIT, Message: "sign-in locked",
				Problems: []courses.Problem{{Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}}}}
		}
	}
	if id == 0 {
		hash = au.dummyHash()
	}
	ok, err := au.checkPassword(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	if !ok || id == 0 || !active {
		for key, policy := range map[string]courses.LimitPolicy{accountKey: accountLimit, ipKey: addressLimit} {
			if _, err := au.limiter.Fail(ctx, key, policy); err != nil {
				return nil, err
			}
		}
		au.record(ctx, courses.AuditEvent{Action: "signin.failed", Subject: subjectOf(id), RequestID: requestID})
		return nil, courses.Errorf(courses.EUNAUTHORIZED, "bad credentials")
	}
	u, err := au.users.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.TwoFactor {
		if code == "" {
			return nil, &secondFactorNeeded{userID: id}
		}
		if err := au.checkSecondFactor(ctx, id, code, requestID); err != nil {
			return nil, err
		}
	}
	if err := au.limiter.Reset(ctx, accountKey); err != nil {
		return nil, err
	}
	res, err := au.startSession(ctx, id, kind)
	if err != nil {
		return nil, err
	}
	res.User = u
	au.record(ctx, courses.AuditEvent{ActorID: id, Action: "signin", Subject: subjectOf(id), Detail: kind, RequestID: requestID})
	return res, nil
}

// secondFactorNeeded says that the password was right and a code from the
// authenticator app (or a recovery code) must follow.
type secondFactorNeeded struct{ userID int64 }

func (e *secondFactorNeeded) Error() string { return "second factor needed" }

// issueTwoFactor signs the short-lived token that carries a user from the
// password step to the code step; it opens no session.
func (au *authenticator) issueTwoFactor(userID int64) (string, error) {
	now := au.now()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Issuer: au.issuer, Subject: strconv.FormatInt(userID, 10),
		Audience: jwt.ClaimStrings{audienceTwoFactor}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(twoFactorTTL))})
	key := au.keys.current()
	t.Header["kid"] = key.ID
	return t.SignedString(key.Secret)
}

// parseTwoFactor returns the user id of a valid two-factor token.
func (au *authenticator) parseTwoFactor(token string) (int64, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if secret, ok := au.keys.byID(kid); ok {
			return secret, nil
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(au.issuer), jwt.WithAudience(audienceTwoFactor),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(au.now))
	if err != nil {
		return 0, courses.Errorf(courses.EUNAUTHORIZED, "bad two-factor token: %v", err)
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 {
		return 0, courses.Errorf(courses.EUNAUTHORIZED, "bad two-factor subject")
	}
	return id, nil
}

// checkSecondFactor accepts a current TOTP code (once) or an unspent
// recovery code, under the account's sign-in limit.
func (au *authenticator) checkSecondFactor(ctx context.Context, userID int64, code, requestID string) error {
	key := "signin:user:" + strconv.FormatInt(userID, 10)
	if until, err := au.limiter.LockedUntil(ctx, key); err != nil {
		return err
	} else if !until.IsZero() {
		return &courses.Error{Code: courses.ERATELIMIT, Message: "sign-in locked",
			Problems: []courses.Problem{{Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}}}}
	}
	secret, _, err := au.users.TwoFactorSecrets(ctx, userID)
	if err != nil {
		return err
	}
	action := "signin.2fa"
	step, ok := courses.MatchTOTP(secret, code, au.now())
	if ok {
		err = au.users.UseTOTPStep(ctx, userID, step)
	} else {
		action = "signin.recovery_code"
		err = au.users.UseRecoveryCode(ctx, userID, tokenHash(courses.NormalizeRecoveryCode(code)))
	}
	if err != nil {
		if c := courses.ErrorCode(err); c != courses.ECONFLICT && c != courses.ENOTFOUND {
			return err
		}
		if _, err := au.limiter.Fail(ctx, key, accountLimit); err != nil {
			return err
		}
		au.record(ctx, courses.AuditEvent{Action: "signin.2fa_failed", Subject: subjectOf(userID), RequestID: requestID})
		return courses.Errorf(courses.EUNAUTHORIZED, "bad second factor")
	}
	au.record(ctx, courses.AuditEvent{ActorID: userID, Action: action, Subject: subjectOf(userID), RequestID: requestID})
	return au.limiter.Reset(ctx, key)
}

// startSession creates a session with its tokens.
func (au *authenticator) startSession(ctx context.Context, userID int64, kind string) (*signInResult, error) {
	ttl, audience := browserSessionTTL, audienceBrowser
	if kind == courses.SessionAPI {
		ttl, audience = apiTokenTTL, audienceAPI
	}
	s := &courses.Session{ID: randomToken(), UserID: userID, Kind: kind, ExpiresAt: au.now().Add(ttl)}
	res := &signInResult{Session: s}
	refreshHash := ""
	if kind == courses.SessionBrowser {
		res.Refresh = randomToken()
		refreshHash = tokenHash(res.Refresh)
	}
	if err := au.sessions.CreateSession(ctx, s, refreshHash); err != nil {
		return nil, err
	}
	accessTTLFor := accessTTL
	if kind == courses.SessionAPI {
		accessTTLFor = apiTokenTTL // no refresh: the token lives as long as its session
	}
	var err error
	res.Access, res.AccessExpiry, err = au.issueAccess(s, audience, accessTTLFor)
	return res, err
}

// refresh spends a browser refresh token and returns new tokens.
func (au *authenticator) refresh(ctx context.Context, refreshToken string) (*signInResult, error) {
	next := randomToken()
	s, u, err := au.sessions.RotateRefresh(ctx, tokenHash(refreshToken), tokenHash(next))
	if err != nil {
		return nil, err
	}
	access, exp, err := au.issueAccess(s, audienceBrowser, accessTTL)
	if err != nil {
		return nil, err
	}
	return &signInResult{User: u, Session: s, Access: access, AccessExpiry: exp, Refresh: next}, nil
}

func (au *authenticator) record(ctx context.Context, e courses.AuditEvent) {
	// The audit trail must not silently lose entries, but a failed write must
	// not lock people out either: the caller's own query errors surface.
	_ = au.audit.Record(ctx, e)
}

// pseudonym keys rate limits on e-mail addresses and client addresses
// without storing either: an HMAC under the current session key.
func (au *authenticator) pseudonym(s string) string {
	m := hmac.New(sha256.New, au.keys.current().Secret)
	m.Write([]byte("rate-limit\x00" + s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func subjectOf(userID int64) string {
	if userID == 0 {
		return "user:unknown"
	}
	return fmt.Sprintf("user:%d", userID)
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash is how refresh tokens are stored: a leaked table gives no
// usable token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
